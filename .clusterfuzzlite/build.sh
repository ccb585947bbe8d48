#!/bin/bash -eu
set -eu
# Builds every restree fuzz target without Bazel, the way OSS-Fuzz and
# ClusterFuzzLite build fuzzers: with the engines' own $CC, $CXX, $CFLAGS,
# $CXXFLAGS and $LIB_FUZZING_ENGINE, into $OUT, with scratch space in $WORK.
# Next to each binary: <target>_seed_corpus.zip (tools/make_seed_zips.sh),
# <target>.dict and <target>.options when fuzz/ has them.
#
# What is compiled, with which copts, comes from .clusterfuzzlite/manifest.txt,
# generated from the Bazel graph by tools/fuzz_manifest.py (.ci/run checks it
# is current). Abseil is the system's (Debian/Ubuntu libabsl-dev, 20220623),
# linked statically so the binaries run on the engines' runner images.
#
# Local run (what docs/fuzzing.md records as verified):
#   CC=clang-14 CXX=clang++-14 \
#   CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address,fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
#   OUT=/tmp/cflout SRC=/tmp/cflsrc WORK=/tmp/cflwork .clusterfuzzlite/build.sh
#
# Optional: RESTREE_KERNEL_SOURCE (see kernel_source.sh), RESTREE_FUZZERS
# (space-separated subset), RESTREE_WERROR=1 (keep the project's -Werror;
# off by default because the engines' clang is newer than the one the code
# is held to).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# OSS-Fuzz copies build.sh to $SRC/build.sh; the checkout is then $SRC/restree.
[[ -f "$repo/.clusterfuzzlite/manifest.txt" ]] || repo=$SRC/restree
manifest=$repo/.clusterfuzzlite/manifest.txt
cd "$repo"

: "${CC:?}" "${CXX:?}" "${CFLAGS?}" "${CXXFLAGS?}" "${LIB_FUZZING_ENGINE:?}" "${OUT:?}" "${WORK:?}"

# System Abseil is built against libstdc++; OSS-Fuzz's CXXFLAGS ask for
# libc++ (its CXXFLAGS_EXTRA). Mixing the two does not link, so restree
# builds with libstdc++ (this rules out MemorySanitizer builds, which need an
# instrumented C++ library; see docs/fuzzing.md).
cxxflags=${CXXFLAGS//-stdlib=libc++/}
cflags=$CFLAGS
case " $cflags " in
  *" -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION "*) ;;
  *) cflags="$cflags -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
     cxxflags="$cxxflags -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION" ;;
esac
# The language level Bazel uses (.bazelrc); C sources carry their own -std.
cxxflags="$cxxflags -std=c++20"
# As .bazelrc's --config=fuzz: no coverage instrumentation for Abseil's
# inline code (fuzz/coverage_ignorelist.txt), when the engine instruments
# for coverage at all (not in OSS-Fuzz's source-coverage builds).
case " $CFLAGS $CXXFLAGS " in
  *fuzzer-no-link*|*-fsanitize-coverage=*)
    cxxflags="$cxxflags -fsanitize-coverage-ignorelist=$repo/fuzz/coverage_ignorelist.txt" ;;
esac

kernel=$WORK/restree-kernel
obj=$WORK/restree-obj
mkdir -p "$OUT" "$obj"

# --- which fuzzers ------------------------------------------------------
all=$(awk '$1 == "fuzzer" { print $2 }' "$manifest")
fuzzers=${RESTREE_FUZZERS:-$all}
for f in $fuzzers; do
  grep -qx "$f" <<<"$all" || { echo "build.sh: unknown fuzzer $f (manifest: $(echo $all))" >&2; exit 1; }
done
needs_kernel=0
for f in $fuzzers; do
  awk -v f="$f" '$1 == "fuzzer" && $2 == f' "$manifest" | grep -q '@kernel/' && needs_kernel=1
done
if [[ $needs_kernel -eq 1 ]]; then
  "$repo/.clusterfuzzlite/kernel_source.sh" "$kernel"
fi

# --- compile every source once -------------------------------------------
# One object per source (sources are shared between fuzzers); the manifest
# gives each the copts of the Bazel rule that compiles it.
compile() {  # compile PATH COPTS...
  local src=$1; shift
  local path=${src/#@kernel\//$kernel/}
  local o="$obj/${src//\//__}.o"
  local flags=()
  for f in "$@"; do
    [[ "$f" == -Werror && "${RESTREE_WERROR:-0}" != 1 ]] && continue
    flags+=("${f//@kernel/$kernel}")
  done
  if [[ "$src" == *.c ]]; then
    # shellcheck disable=SC2086
    $CC $cflags -iquote . -iquote "$kernel" "${flags[@]}" -c "$path" -o "$o"
  else
    # shellcheck disable=SC2086
    $CXX $cxxflags -iquote . -iquote "$kernel" "${flags[@]}" -c "$path" -o "$o"
  fi
}

needed=" $(for f in $fuzzers; do awk -v f="$f" '$1 == "fuzzer" && $2 == f { $1 = $2 = ""; print }' "$manifest"; done | tr ' ' '\n' | sort -u | tr '\n' ' ') "
jobs=$(nproc 2>/dev/null || echo 2)
pids=()
while read -r kind src rest; do
  [[ "$kind" == src && "$needed" == *" $src "* ]] || continue
  # shellcheck disable=SC2086
  compile "$src" $rest &
  pids+=($!)
  if [[ ${#pids[@]} -ge $jobs ]]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
  fi
done < "$manifest"
for p in "${pids[@]}"; do wait "$p"; done

# --- link each fuzzer -----------------------------------------------------
for f in $fuzzers; do
  objs=()
  for src in $(awk -v f="$f" '$1 == "fuzzer" && $2 == f { $1 = $2 = ""; print }' "$manifest"); do
    objs+=("$obj/${src//\//__}.o")
  done
  modules=$(awk -v f="$f" '$1 == "absl" && $2 == f { $1 = $2 = ""; print }' "$manifest")
  # Static Abseil: -labsl_x becomes -l:libabsl_x.a (the runner images have
  # no libabsl), in a group so the archives' order does not matter.
  libs=()
  if [[ -n "${modules// /}" ]]; then
    for l in $(pkg-config --libs $modules); do
      [[ "$l" == -labsl_* ]] && l="-l:lib${l#-l}.a"
      libs+=("$l")
    done
  fi
  # Other system libraries (e.g. RapidCheck, whose generators tests/tree_ops
  # uses), as their Bazel rules link them.
  for l in $(awk -v f="$f" '$1 == "libs" && $2 == f { $1 = $2 = ""; print }' "$manifest"); do
    libs+=("$l")
  done
  # shellcheck disable=SC2086
  $CXX $cxxflags "${objs[@]}" $LIB_FUZZING_ENGINE \
    -Wl,--start-group "${libs[@]}" -Wl,--end-group -lpthread -o "$OUT/$f"
  for ext in dict options; do
    [[ -f "fuzz/$f.$ext" ]] && cp "fuzz/$f.$ext" "$OUT/$f.$ext"
  done
  echo "build.sh: $OUT/$f"
done

# --- seed corpora ---------------------------------------------------------
# shellcheck disable=SC2086
"$repo/tools/make_seed_zips.sh" "$OUT" $fuzzers
