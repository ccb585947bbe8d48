#!/usr/bin/env bash
# Holds restree's kernel model to a real kernel/resource.c: yours, or
# Debian's linux-source-6.1 (the default). See docs/kernel-in-the-loop.md.
#
#   tools/kernel_in_the_loop.sh [--source DIR | --resource-c FILE]
#                               [--runs N] [--replay TRACE] [--fuzz SECONDS]
#
#   --source DIR       a kernel tree (kernel/resource.c, include/linux/ioport.h)
#   --resource-c FILE  Debian's tree with this resource.c (a patch under test)
#   --runs N           random sequences for the RapidCheck test (default 10000)
#   --replay TRACE     replay a trace step by step instead of testing
#   --fuzz SECONDS     also run the libFuzzer target for that long
#
# Exit status: 0 when the kernel, KernelModel and ResourceTree agree
# everywhere, non-zero otherwise (the failing trace is printed).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

repo_env=()
runs=10000
replay=""
fuzz_seconds=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --source)
      [[ $# -ge 2 && -f "$2/kernel/resource.c" ]] ||
        { echo "kernel_in_the_loop.sh: --source needs a kernel tree (no ${2:-?}/kernel/resource.c)" >&2; exit 2; }
      repo_env+=("--repo_env=RESTREE_KERNEL_SOURCE=$(cd "$2" && pwd)"); shift 2 ;;
    --resource-c)
      [[ $# -ge 2 && -f "$2" ]] ||
        { echo "kernel_in_the_loop.sh: --resource-c needs a file (${2:-?} not found)" >&2; exit 2; }
      repo_env+=("--repo_env=RESTREE_RESOURCE_C=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
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

if [[ -n "$replay" ]]; then
  exec bazel run "${repo_env[@]}" //tests:kil -- --verbose "$replay"
fi

# About 4 ms per sequence on 2 cores, with room to spare.
timeout=$(( runs / 100 + 120 ))
bazel test "${repo_env[@]}" \
  --test_env=RESTREE_RC_RUNS="$runs" --test_timeout="$timeout" \
  --test_output=all \
  //tests:kernel_in_the_loop_test //tests:kil_replay_test

if [[ "$fuzz_seconds" -gt 0 ]]; then
  bazel build "${repo_env[@]}" --config=fuzz //fuzz:kernel_loop_fuzzer
  work="$(mktemp -d)"
  echo "fuzzing for ${fuzz_seconds}s; corpus and crashes in $work"
  bazel-bin/fuzz/kernel_loop_fuzzer -max_total_time="$fuzz_seconds" \
    -print_final_stats=1 -artifact_prefix="$work/" \
    "$work" fuzz/corpus/kernel_loop_fuzzer
fi
