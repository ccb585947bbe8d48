#!/bin/bash
# fuzz.sh: one libFuzzer campaign on one restree fuzz target.
#
#   tools/fuzz.sh TARGET SECONDS [--fork N] [--no-merge] [--binary PATH]
#   tools/fuzz.sh --list
#
# Builds //fuzz:TARGET under --config=fuzz (clang, libFuzzer, ASan + UBSan),
# then fuzzes for SECONDS into a scratch directory, seeded from the committed
# corpus fuzz/corpus/TARGET, with fuzz/TARGET.dict and the [libfuzzer]
# settings of fuzz/TARGET.options when they exist. Afterwards it merges
# (-merge=1) what the campaign found into a copy of the committed corpus, so
# only inputs that add coverage over it remain, and prints what to commit:
# every crash reproducer, and the minimised new corpus entries. The last line
# is a one-line summary (the fields of docs/fuzzing.md's campaign table):
#
#   fuzz.sh: TARGET SECONDSs RUNS runs EXEC exec/s corpus N (+K new) cov EDGES ft F findings M
#
#   --fork N       run N jobs in parallel (libFuzzer -fork=N)
#   --no-merge     skip the merge (CI's bounded runs: pass or fail only)
#   --binary PATH  fuzz PATH instead of building (CI passes the libFuzzer
#                  binary `bazel test --config=fuzz` already built)
#
# Exit status: 0 no finding, 1 a finding (crash, leak, timeout, OOM),
# 2 usage error, 3 the build or the fuzzer itself failed to run.
# Run it niced on a shared machine: nice -n 10 tools/fuzz.sh ...
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 3

targets() {  # every fuzz_target() in fuzz/BUILD.bazel
  sed -n 's/^ *name = "\([a-z0-9_]*_fuzzer\)",$/\1/p' fuzz/BUILD.bazel | sort -u
}
usage() {
  echo "usage: tools/fuzz.sh TARGET SECONDS [--fork N] [--no-merge] [--binary PATH]" >&2
  [[ -n "${1:-}" ]] && echo "fuzz.sh: $1" >&2
  exit 2
}

if [[ "${1:-}" == --list ]]; then  # tools/fuzz.sh --list: the targets
  targets
  exit 0
fi
[[ $# -ge 2 ]] || usage "need a TARGET and a number of SECONDS"
target=$1
seconds=$2
shift 2
if ! targets | grep -qx -- "$target"; then
  usage "unknown target '$target'; one of: $(targets | tr '\n' ' ')"
fi
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage "SECONDS must be a positive whole number, not '$seconds'"
fork=0
merge=1
binary=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fork)
      [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || usage "--fork needs a positive number of jobs"
      fork=$2; shift 2 ;;
    --no-merge) merge=0; shift ;;
    --binary)
      [[ -x "${2:-}" ]] || usage "--binary needs an executable, not '${2:-}'"
      binary=$2; shift 2 ;;
    *) usage "unknown option '$1'" ;;
  esac
done

corpus=fuzz/corpus/$target
[[ -d "$corpus" ]] || { echo "fuzz.sh: no committed corpus $corpus" >&2; exit 3; }

if [[ -z "$binary" ]]; then
  echo "fuzz.sh: bazel build --config=fuzz //fuzz:$target" >&2
  bazel build --config=fuzz "//fuzz:$target" >&2 || { echo "fuzz.sh: build failed" >&2; exit 3; }
  binary="$(bazel info --config=fuzz bazel-bin 2>/dev/null)/fuzz/$target"
  [[ -x "$binary" ]] || { echo "fuzz.sh: no binary at $binary" >&2; exit 3; }
fi

scratch=$(mktemp -d "/tmp/fuzz-$target.XXXXXX")
mkdir -p "$scratch/new" "$scratch/artifacts"
log=$scratch/fuzz.log

# libFuzzer flags: the dictionary, then the target's .options (an OSS-Fuzz
# style [libfuzzer] section of "name = value" lines).
flags=()
[[ -f "fuzz/$target.dict" ]] && flags+=("-dict=fuzz/$target.dict")
if [[ -f "fuzz/$target.options" ]]; then
  while IFS= read -r line; do
    line=${line%%#*}
    [[ "$line" =~ ^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*([^[:space:]]+) ]] || continue
    [[ "${BASH_REMATCH[1]}" == dict ]] && continue  # fuzz/<target>.dict above
    flags+=("-${BASH_REMATCH[1]}=${BASH_REMATCH[2]}")
  done < <(sed -n '/^\[libfuzzer\]/,/^\[/p' "fuzz/$target.options")
fi
run_flags=("${flags[@]}")
[[ $fork -gt 0 ]] && run_flags+=("-fork=$fork")

echo "fuzz.sh: $binary ${run_flags[*]} -max_total_time=$seconds $scratch/new $corpus" >&2
"$binary" "${run_flags[@]}" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$scratch/artifacts/" "$scratch/new" "$corpus" > "$log" 2>&1
rc=$?

# Findings: whatever libFuzzer wrote as an artifact.
findings=()
for f in "$scratch"/artifacts/*; do
  [[ -f "$f" ]] && findings+=("$f")
done
if [[ $rc -ne 0 && ${#findings[@]} -eq 0 ]]; then
  tail -20 "$log" >&2
  echo "fuzz.sh: $binary exited $rc without a finding (see $log)" >&2
  exit 3
fi

# Numbers from libFuzzer's output: the last status line ("#N DONE cov: ..."
# or, with -fork, "#N: cov: ... exec/s: ..."), and the final stats.
status=$(grep -E '^#[0-9]+:?[[:space:]].*cov: ' "$log" | tail -1)
field() { sed -n "s/.* $1: \([0-9]*\).*/\1/p" <<<"$status"; }
cov=$(field cov)
ft=$(field ft)
corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$status")
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
if [[ -z "$runs" ]]; then  # -fork prints no final stats
  runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$status")
  execs=$(( ${runs:-0} / seconds ))
fi

committed=$(ls "$corpus" | wc -l)
new=()
if [[ $merge -eq 1 ]]; then
  # Merge into a copy of the committed corpus: what is added there reaches
  # an edge the committed corpus does not (-use_counters=0: a new hit count
  # on a known edge is not worth a committed file).
  mkdir -p "$scratch/merged" "$scratch/to-commit"
  cp "$corpus"/* "$scratch/merged/"
  "$binary" "${flags[@]}" -use_counters=0 -merge=1 "$scratch/merged" \
    "$scratch/new" > "$scratch/merge.log" 2>&1 ||
    echo "fuzz.sh: merge failed (see $scratch/merge.log)" >&2
  for f in "$scratch"/merged/*; do
    [[ -e "$corpus/$(basename "$f")" ]] && continue
    new+=("$f")
    cp "$f" "$scratch/to-commit/"
  done
fi

echo "fuzz.sh: campaign log $log"
if [[ ${#findings[@]} -gt 0 ]]; then
  echo "Findings (fix the cause, then commit each reproducer to $corpus/ and add a named regression test):"
  for f in "${findings[@]}"; do
    echo "  $f"
    grep -m1 -E '^==[0-9]+==ERROR|runtime error|^SUMMARY' "$log" | sed 's/^/    /'
  done
fi
if [[ $merge -eq 1 ]]; then
  if [[ ${#new[@]} -gt 0 ]]; then
    echo "New edges: ${#new[@]} of the campaign's $(ls "$scratch/new" | wc -l) inputs" \
         "($(grep -o '[0-9]* new coverage edges' "$scratch/merge.log" | tail -1)); commit with:"
    echo "  cp $scratch/to-commit/* $corpus/ && git add $corpus"
  else
    echo "No input adds coverage over the committed corpus; nothing to commit."
  fi
fi
echo "fuzz.sh: $target ${seconds}s ${runs:-?} runs ${execs:-?} exec/s" \
     "corpus $committed (+${#new[@]} new; campaign ${corp:-?}) cov ${cov:-?} ft ${ft:-?}" \
     "findings ${#findings[@]}"
[[ ${#findings[@]} -eq 0 ]]
