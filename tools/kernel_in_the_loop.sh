#!/usr/bin/env bash
# Holds restree's kernel model to a real kernel/resource.c: yours, or
# Debian's linux-source-6.1 / linux-source-6.12; and a C implementation of
# the redesign operations (tests/kernel_shim/resource_redesign.h): yours, or
# restree's. See docs/kernel-in-the-loop.md.
#
#   tools/kernel_in_the_loop.sh [--kernel 6.1|6.12] [--source DIR | --resource-c FILE]
#                               [--redesign FILE.c] [--runs N] [--replay TRACE]
#                               [--fuzz SECONDS]
#
#   --kernel V         the kernel slot: 6.1 (default) or 6.12; the Debian
#                      package whose tree --source or --resource-c replaces
#   --source DIR       a kernel tree (kernel/resource.c, include/linux/ioport.h)
#   --resource-c FILE  Debian's tree with this resource.c (a patch under test)
#   --redesign FILE.c  your implementation of resource_redesign.h instead of
#                      restree's; runs only the redesign sequences and prints
#                      a verdict, the shortest failing trace and its replay
#   --runs N           random sequences per RapidCheck test (default 10000)
#   --replay TRACE     replay a trace step by step instead of testing
#   --fuzz SECONDS     also run the kernel_loop and kernel_redesign libFuzzer
#                      targets for that long each (6.1 only)
#
# Exit status: 0 when all three implementations agree everywhere, non-zero
# otherwise (the failing trace is printed).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '7,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

kernel=6.1
source_dir=""
resource_c=""
redesign=""
runs=10000
replay=""
fuzz_seconds=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kernel)
      [[ $# -ge 2 && ( "$2" == 6.1 || "$2" == 6.12 ) ]] ||
        { echo "kernel_in_the_loop.sh: --kernel needs 6.1 or 6.12 (got '${2:-}')" >&2; exit 2; }
      kernel="$2"; shift 2 ;;
    --source)
      [[ $# -ge 2 && -f "$2/kernel/resource.c" ]] ||
        { echo "kernel_in_the_loop.sh: --source needs a kernel tree (no ${2:-?}/kernel/resource.c)" >&2; exit 2; }
      source_dir="$(cd "$2" && pwd)"; shift 2 ;;
    --resource-c)
      [[ $# -ge 2 && -f "$2" ]] ||
        { echo "kernel_in_the_loop.sh: --resource-c needs a file (${2:-?} not found)" >&2; exit 2; }
      resource_c="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --redesign)
      [[ $# -ge 2 && -f "$2" ]] ||
        { echo "kernel_in_the_loop.sh: --redesign needs a C file (${2:-?} not found)" >&2; exit 2; }
      redesign="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --runs)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]{0,7}$ ]] ||
        { echo "kernel_in_the_loop.sh: --runs needs a count from 1 to 99999999" >&2; exit 2; }
      runs="$2"; shift 2 ;;
    --replay)
      [[ $# -ge 2 && -f "$2" ]] ||
        { echo "kernel_in_the_loop.sh: --replay needs a trace file (${2:-?} not found)" >&2; exit 2; }
      replay="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --fuzz)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]{0,6}$ ]] ||
        { echo "kernel_in_the_loop.sh: --fuzz needs a number of seconds" >&2; exit 2; }
      fuzz_seconds="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "kernel_in_the_loop.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

# The slot's targets (tests/kernel_shim/kernels.bzl) and the variables that
# point its repository rule (third_party/kernel_source.bzl) at your kernel.
suffix=""
[[ "$kernel" == 6.12 ]] && suffix="_6_12"
repo_env=()
[[ -n "$source_dir" ]] && repo_env+=("--repo_env=RESTREE_KERNEL_SOURCE$suffix=$source_dir")
[[ -n "$resource_c" ]] && repo_env+=("--repo_env=RESTREE_RESOURCE_C$suffix=$resource_c")
[[ -n "$redesign" ]] && repo_env+=("--repo_env=RESTREE_REDESIGN_C=$redesign")
if [[ "$fuzz_seconds" -gt 0 && -n "$suffix" ]]; then
  echo "kernel_in_the_loop.sh: --fuzz runs the 6.1 slot only (fuzz/kernel_loop_fuzzer, fuzz/kernel_redesign_fuzzer)" >&2
  exit 2
fi

if [[ -n "$replay" ]]; then
  kil="//tests:kil$suffix"
  [[ -n "$redesign" ]] && kil="//tests:kil_redesign_user$suffix"
  exec bazel run "${repo_env[@]}" "$kil" -- --verbose "$replay"
fi

# The command line that reproduces this run's slot and implementations.
again="tools/kernel_in_the_loop.sh --kernel $kernel"
[[ -n "$source_dir" ]] && again+=" --source $source_dir"
[[ -n "$resource_c" ]] && again+=" --resource-c $resource_c"
[[ -n "$redesign" ]] && again+=" --redesign $redesign"

if [[ -n "$redesign" ]]; then
  # Your redesign against restree: only the redesign sequences. About 20 ms
  # per sequence on 2 cores, with room to spare.
  target="//tests:kil_redesign_user_test$suffix"
  status=0
  bazel test "${repo_env[@]}" \
    --test_env=RESTREE_RC_RUNS="$runs" --test_timeout=$(( runs / 20 + 120 )) \
    --test_output=summary "$target" || status=$?
  log="bazel-testlogs/tests/kil_redesign_user_test$suffix/test.log"
  if [[ $status -eq 0 ]]; then
    grep -h '^redesign in the loop' "$log" || true
    echo "VERDICT: $redesign agrees with restree (resource.c of $kernel," \
      "RedesignModel, ResourceTree) on $runs random sequences"
    exit 0
  fi
  if [[ ! -f "$log" ]] || ! grep -q -- '^--- trace ---$' "$log"; then
    echo "VERDICT: no verdict: $target did not run to a result (build error above?)" >&2
    exit "$status"
  fi
  trace="$(mktemp "${TMPDIR:-/tmp}/redesign-trace.XXXXXX")"
  # RapidCheck prints the shrunk failure last: its trace between the last
  # two markers, then what disagreed.
  awk '/^--- trace ---$/ { n++; if (n % 2) { buf = ""; inside = 1 } else inside = 0; next }
       inside { buf = buf $0 "\n" } END { printf "%s", buf }' "$log" > "$trace"
  echo "VERDICT: $redesign DISAGREES with restree (resource.c of $kernel)"
  echo "shortest failing trace ($trace):"
  sed 's/^/  /' "$trace"
  echo "what disagreed at its last line:"
  awk '/^--- trace ---$/ { n++; show = !(n % 2); next }
       /^\[  FAILED|^Some of your RapidCheck/ { show = 0 }
       show && n >= 2 { last[n] = last[n] $0 "\n" }
       END { printf "%s", last[n] }' "$log" | grep -v '^$' | sed 's/^/  /'
  echo "replay it step by step:"
  echo "  $again --replay $trace"
  exit 1
fi

# About 4 ms per kernel sequence and 20 ms per redesign sequence on 2
# cores, with room to spare.
timeout=$(( runs / 20 + 120 ))
bazel test "${repo_env[@]}" \
  --test_env=RESTREE_RC_RUNS="$runs" --test_timeout="$timeout" \
  --test_output=all \
  "//tests:kernel_in_the_loop_test$suffix" "//tests:kil_replay_test$suffix" \
  "//tests:kil_redesign_test$suffix" \
  "//tests/kernel_shim:ioport_check_test$suffix"

if [[ "$fuzz_seconds" -gt 0 ]]; then
  bazel build "${repo_env[@]}" --config=fuzz //fuzz:kernel_loop_fuzzer \
    //fuzz:kernel_redesign_fuzzer
  for f in kernel_loop_fuzzer kernel_redesign_fuzzer; do
    work="$(mktemp -d)"
    echo "$f: fuzzing for ${fuzz_seconds}s; corpus and crashes in $work"
    "bazel-bin/fuzz/$f" -max_total_time="$fuzz_seconds" \
      -print_final_stats=1 -artifact_prefix="$work/" \
      "$work" "fuzz/corpus/$f"
  done
fi
