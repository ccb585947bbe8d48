#!/usr/bin/env bash
# format_check.sh: the C++ sources against .clang-format (Google style),
# with Debian's clang-format-14.
#
#   tools/format_check.sh          list files that differ (exit 1 if any)
#   tools/format_check.sh --fix    rewrite them in place
#
# Checks every tracked *.cc and *.h except third_party/ and the kernel-style
# code under tests/kernel_shim/ (its own .clang-format turns formatting
# off). .ci/run runs it as its "format" stage.
set -euo pipefail
cd "$(dirname "$0")/.."
CF=clang-format-14
if ! command -v "$CF" >/dev/null 2>&1; then
  echo "format_check: $CF not found (tools/install_deps.sh installs it)" >&2
  exit 2
fi
fix=0
case "${1:-}" in
  "") ;;
  --fix) fix=1 ;;
  *) echo "format_check: unknown argument '$1' (--fix)" >&2; exit 2 ;;
esac
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v -e '^third_party/' -e '^tests/kernel_shim/')
if [[ $fix -eq 1 ]]; then
  "$CF" -i --style=file "${files[@]}"
  echo "format_check: formatted ${#files[@]} files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  if ! "$CF" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [[ ${#bad[@]} -ne 0 ]]; then
  printf 'format_check: not formatted: %s\n' "${bad[@]}"
  echo "format_check: FAILED (${#bad[@]} of ${#files[@]} files; tools/format_check.sh --fix)"
  exit 1
fi
echo "format_check: PASSED (${#files[@]} files)"
