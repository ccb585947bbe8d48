#!/usr/bin/env bash
# Holds restree's kernel model to a real kernel/resource.c: yours, or
# Debian's linux-source-6.1 / linux-source-6.12. See
# docs/kernel-in-the-loop.md.
#
#   tools/kernel_in_the_loop.sh [--kernel 6.1|6.12] [--source DIR | --resource-c FILE]
#                               [--runs N] [--replay TRACE] [--fuzz SECONDS]
#
#   --kernel V         the kernel slot: 6.1 (default) or 6.12; the Debian
#                      package whose tree --source or --resource-c replaces
#   --source DIR       a kernel tree (kernel/resource.c, include/linux/ioport.h)
#   --resource-c FILE  Debian's tree with this resource.c (a patch under test)
#   --runs N           random sequences for the RapidCheck test (default 10000)
#   --replay TRACE     replay a trace step by step instead of testing
#   --fuzz SECONDS     also run the libFuzzer target for that long (6.1 only)
#
# Exit status: 0 when the kernel, KernelModel and ResourceTree agree
# everywhere, non-zero otherwise (the failing trace is printed).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '6,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

kernel=6.1
source_dir=""
resource_c=""
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
if [[ "$fuzz_seconds" -gt 0 && -n "$suffix" ]]; then
  echo "kernel_in_the_loop.sh: --fuzz runs the 6.1 slot only (fuzz/kernel_loop_fuzzer)" >&2
  exit 2
fi

if [[ -n "$replay" ]]; then
  exec bazel run "${repo_env[@]}" "//tests:kil$suffix" -- --verbose "$replay"
fi

# About 4 ms per sequence on 2 cores, with room to spare.
timeout=$(( runs / 100 + 120 ))
bazel test "${repo_env[@]}" \
  --test_env=RESTREE_RC_RUNS="$runs" --test_timeout="$timeout" \
  --test_output=all \
  "//tests:kernel_in_the_loop_test$suffix" "//tests:kil_replay_test$suffix" \
  "//tests/kernel_shim:ioport_check_test$suffix"

if [[ "$fuzz_seconds" -gt 0 ]]; then
  bazel build "${repo_env[@]}" --config=fuzz //fuzz:kernel_loop_fuzzer
  work="$(mktemp -d)"
  echo "fuzzing for ${fuzz_seconds}s; corpus and crashes in $work"
  bazel-bin/fuzz/kernel_loop_fuzzer -max_total_time="$fuzz_seconds" \
    -print_final_stats=1 -artifact_prefix="$work/" \
    "$work" fuzz/corpus/kernel_loop_fuzzer
fi
