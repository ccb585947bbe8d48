#!/usr/bin/env bash
# install_deps.sh: install the Debian 12 packages restree needs to build and
# test, and nothing else. Idempotent: packages already installed are left
# alone, and a machine that has everything makes no apt call at all.
#
#   tools/install_deps.sh            install what is missing
#   tools/install_deps.sh --check    only list what is missing (exit 1 if any)
#   tools/install_deps.sh --bench    also what tools/bench.sh needs
#
# Needs root for apt-get; when run as another user it re-runs apt-get through
# sudo. Nothing is downloaded except Debian packages.
set -euo pipefail

# Build: Bazel 4.2 (Debian's bootstrap build) and the local repositories it
# needs offline; compilers (gcc is the default toolchain, clang + lld +
# compiler-rt for --config=fuzz and libFuzzer); pkg-config, which the
# WORKSPACE uses to find the libraries; clang-format-14 for
# tools/format_check.sh.
# Libraries: Abseil, GoogleTest/GoogleMock, RapidCheck, Google Benchmark.
# Kernel in the loop: Debian's linux-source-6.1 and linux-source-6.12
# (bookworm-security; kernel/resource.c and include/linux/ioport.h are
# extracted from their tarballs at test time; nothing from them is committed).
PACKAGES=(
  bazel-bootstrap bazel-platforms bazel-rules-java
  g++ clang lld libclang-rt-14-dev pkg-config clang-format-14
  libabsl-dev libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  linux-source-6.1 linux-source-6.12 xz-utils
  # //map:browser_test loads restree map's HTML page in headless Chromium.
  chromium
)
# tools/bench.sh: end-to-end timings against cat, wc and jc (hyperfine, jc),
# peak RSS (GNU time's /usr/bin/time), and the plots (gnuplot).
BENCH_PACKAGES=(hyperfine jc time gnuplot-nox)
CHECK_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
    --check) CHECK_ONLY=1 ;;
    *) echo "install_deps: unknown argument '$arg' (--check, --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

if [[ $CHECK_ONLY -eq 1 ]]; then
  echo "install_deps: missing: ${missing[*]}"
  exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install_deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 2
  fi
  SUDO=(sudo)
fi

echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  echo "install_deps: package lists may be stale; running apt-get update"
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
echo "install_deps: done"
