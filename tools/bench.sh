#!/bin/bash
# bench.sh: rerun every restree benchmark and regenerate the performance
# report (docs/performance.md's tables, docs/design.md's bytes per node and
# the plots docs/images/bench-*.svg).
#
#   tools/bench.sh [--quick] [--out DIR] [--no-build] [--report-only]
#
# 1. Builds with `bazel build -c opt` the Google Benchmark binaries and
#    //tools:restree, and copies them to DIR/bin.
# 2. Runs each benchmark binary with --benchmark_format=json into
#    DIR/NAME.json.
# 3. Writes the inputs (tools/bench_dump.py: a /proc/iomem dump and a copy
#    with 1 % of its lines changed; tools/bench_events.py: a restree apply
#    script on a window of 10^5 chunks) to DIR/inputs.
# 4. Times the commands end to end with hyperfine (-N, warm-up runs), each
#    group in one hyperfine run with its references, into DIR/e2e_GROUP.json,
#    and reads each command's peak RSS (GNU time) and output size once,
#    into DIR/e2e_rss.tsv.
# 5. Runs tools/bench_report.py DIR, which rewrites the report.
#
# Modes:
#   (default)  10^6-line dumps, 5 x 10^4 apply rounds, benchmarks with
#              --benchmark_min_time=0.2 and 3 repetitions (medians), the
#              pool benchmark included. About 10 minutes on the project's
#              2-core machine when it is quiet (the pool benchmark about 2.5
#              of them), up to 15 at a load average of 2-3; plus the build.
#   --quick    10^5-line dumps, 2,000 apply rounds, every micro benchmark
#              once with --benchmark_min_time=0.01, no pool benchmark: about
#              a minute. For working on this script and the report; the
#              report says it came from a quick run.
#
#   --out DIR      results directory (default /tmp/restree-bench/MODE);
#                  its previous contents are replaced
#   --no-build     use the binaries already in DIR/bin
#   --report-only  only rerun tools/bench_report.py on DIR
#
# Needs: tools/install_deps.sh --bench (hyperfine, jc, GNU time, gnuplot).
# Bazel runs with BENCH_BAZEL_FLAGS (default "--jobs=1
# --local_cpu_resources=1", for a shared machine). Run nothing else heavy
# meanwhile: the report's ratios pair commands measured side by side, but
# absolute times follow the machine's load (recorded in DIR/machine.json).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

mode=full
out=
build=1
report_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --no-build) build=0 ;;
    --report-only) report_only=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-/tmp/restree-bench/$mode}

if [[ $report_only -eq 1 ]]; then
  exec python3 tools/bench_report.py "$out"
fi

for tool in hyperfine jc gnuplot /usr/bin/time python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "bench.sh: $tool not found; run tools/install_deps.sh --bench" >&2
    exit 2
  fi
done

if [[ $mode == quick ]]; then
  lines=100000
  apply_rounds=2000
  bm_args=(--benchmark_min_time=0.01)
  bm_iomem_args=(--benchmark_min_time=0.01)
  e2e_runs=3 e2e_warmup=1
  e2e_slow_runs=3 e2e_slow_warmup=1
  run_pool=0
else
  lines=1000000
  apply_rounds=50000
  bm_args=(--benchmark_min_time=0.2 --benchmark_repetitions=3
           --benchmark_report_aggregates_only=true)
  bm_iomem_args=(--benchmark_min_time=0.2 --benchmark_repetitions=5
                 --benchmark_report_aggregates_only=true)
  e2e_runs=10 e2e_warmup=2
  e2e_slow_runs=5 e2e_slow_warmup=1
  run_pool=1
fi
diff_fraction=0.01
apply_chunks=100000

# name  Bazel target  (the JSON file is DIR/name.json)
benchmarks=(
  resource_tree_benchmark //resource_tree:resource_tree_benchmark
  redesign_benchmark //resource_tree:redesign_benchmark
  iomem_benchmark //iomem_parser:iomem_benchmark
  decode_benchmark //cfmws:decode_benchmark
  interleave_benchmark //cfmws:interleave_benchmark
  hotplug_benchmark //hotplug:hotplug_benchmark
  pool_benchmark //appliance:pool_benchmark
)

start=$(date +%s)
log() { printf 'bench.sh: [%4ds] %s\n' $(( $(date +%s) - start )) "$*" >&2; }

# DIR's contents are replaced: refuse a directory that is not empty and was
# not written by this script.
if [[ -d "$out" && -n "$(ls -A "$out")" && ! -e "$out/params.json" \
      && ! -e "$out/bin/restree" ]]; then
  echo "bench.sh: $out is not empty and holds no earlier results; not touching it" >&2
  exit 2
fi
mkdir -p "$out"
if [[ $build -eq 1 ]]; then
  targets=(//tools:restree)
  for ((i = 1; i < ${#benchmarks[@]}; i += 2)); do targets+=("${benchmarks[i]}"); done
  read -r -a bazel_flags <<< "${BENCH_BAZEL_FLAGS:---jobs=1 --local_cpu_resources=1}"
  log "bazel build -c opt ${bazel_flags[*]} ${targets[*]}"
  bazel build -c opt "${bazel_flags[@]}" "${targets[@]}"
  bin_dir=$(bazel info -c opt bazel-bin 2>/dev/null)
  find "$out" -mindepth 1 -delete
  mkdir -p "$out/bin"
  cp "$bin_dir/tools/restree" "$out/bin/"
  for ((i = 1; i < ${#benchmarks[@]}; i += 2)); do
    t=${benchmarks[i]#//}
    cp "$bin_dir/${t%%:*}/${t##*:}" "$out/bin/"
  done
else
  [[ -x "$out/bin/restree" ]] || { echo "bench.sh: no binaries in $out/bin" >&2; exit 2; }
  find "$out" -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} +
fi
export PATH="$out/bin:$PATH"

python3 tools/bench_report.py --machine "$out/machine.json" --mode "$mode"
cat > "$out/params.json" <<EOF
{"mode": "$mode", "lines": $lines, "diff_fraction": $diff_fraction,
 "apply_rounds": $apply_rounds, "apply_chunks": $apply_chunks,
 "e2e_runs": $e2e_runs, "e2e_warmup": $e2e_warmup,
 "e2e_slow_runs": $e2e_slow_runs, "e2e_slow_warmup": $e2e_slow_warmup,
 "benchmark_args": "${bm_args[*]}", "iomem_benchmark_args": "${bm_iomem_args[*]}"}
EOF

# --- Google Benchmark binaries -------------------------------------------
for ((i = 0; i < ${#benchmarks[@]}; i += 2)); do
  name=${benchmarks[i]}
  args=("${bm_args[@]}")
  case "$name" in
    iomem_benchmark) args=("${bm_iomem_args[@]}") ;;
    # One iteration of each pool run takes minutes: no repetitions.
    pool_benchmark)
      [[ $run_pool -eq 1 ]] || { log "$name: skipped (quick mode)"; continue; }
      args=() ;;
  esac
  log "$name ${args[*]}"
  "$out/bin/$name" "${args[@]}" --benchmark_format=json \
      --benchmark_out="$out/$name.json" --benchmark_out_format=json \
      > /dev/null 2> "$out/$name.stderr"
done

# --- Inputs ----------------------------------------------------------------
inputs="$out/inputs"
mkdir -p "$inputs"
log "inputs: $lines-line dumps, $apply_rounds apply rounds"
python3 tools/bench_dump.py "$lines" -o "$inputs/big.txt"
python3 tools/bench_dump.py "$lines" "$diff_fraction" -o "$inputs/big2.txt"
python3 tools/bench_events.py 0 --chunks "$apply_chunks" -o "$inputs/setup.events"
python3 tools/bench_events.py "$apply_rounds" --chunks "$apply_chunks" \
    -o "$inputs/cycle.events"
cd "$inputs"

# --- End to end -------------------------------------------------------------
# e2e GROUP RUNS WARMUP [-i] -- NAME COMMAND NAME COMMAND ...
# One hyperfine run per group (its commands alternate in one stretch), then
# each command once more under GNU time for its peak RSS and output size.
printf 'group\tname\tpeak_rss_kb\toutput_bytes\texit\tcommand\n' > "$out/e2e_rss.tsv"
e2e() {
  local group=$1 runs=$2 warmup=$3
  shift 3
  local hf=(hyperfine -N --style basic --runs "$runs" --warmup "$warmup"
            --export-json "$out/e2e_$group.json")
  if [[ $1 == -i ]]; then hf+=(-i); shift; fi
  shift  # --
  local pairs=("$@") k
  for ((k = 0; k < ${#pairs[@]}; k += 2)); do
    hf+=(--command-name "${pairs[k]}" "${pairs[k + 1]}")
  done
  log "e2e $group: ${runs} runs"
  "${hf[@]}" > "$out/e2e_$group.txt" 2>&1
  for ((k = 0; k < ${#pairs[@]}; k += 2)); do
    local name=${pairs[k]} cmd=${pairs[k + 1]} rss rc bytes
    # GNU time's last line is "%M %x" (a failing command adds one before).
    bytes=$(/usr/bin/time -f '%M %x' -o "$out/time.tmp" sh -c "$cmd" 2>/dev/null \
            | wc -c) || true
    read -r rss rc < <(tail -n 1 "$out/time.tmp")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$group" "$name" "$rss" "$bytes" "$rc" "$cmd" \
        >> "$out/e2e_rss.tsv"
  done
  rm -f "$out/time.tmp"
}

e2e read "$e2e_runs" "$e2e_warmup" -- \
  "cat" "cat big.txt" \
  "wc -l" "wc -l big.txt" \
  "restree show --raw" "restree show --raw big.txt" \
  "restree check" "restree check big.txt"
# jc reads standard input only, and hyperfine 1.15 has no --input: both
# sides read the file through the same sh redirection.
e2e json "$e2e_slow_runs" "$e2e_slow_warmup" -- \
  "cat" "sh -c 'cat < big.txt'" \
  "restree show --json" "sh -c 'restree show --json - < big.txt'" \
  "jc --proc-iomem" "sh -c 'jc --proc-iomem < big.txt'"
# Both diffs exit 1 when the files differ: -i.
e2e diff "$e2e_slow_runs" "$e2e_slow_warmup" -i -- \
  "cat" "cat big.txt big2.txt" \
  "diff (GNU)" "diff big.txt big2.txt" \
  "restree diff" "restree diff big.txt big2.txt"
e2e apply "$e2e_slow_runs" "$e2e_slow_warmup" -- \
  "restree apply (setup only)" "restree apply setup.events" \
  "restree apply" "restree apply cycle.events"

cd "$repo"
python3 tools/bench_report.py --machine "$out/machine_end.json" --mode "$mode"
log "report"
python3 tools/bench_report.py "$out"
log "done: $out"
