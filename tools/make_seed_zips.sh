#!/bin/bash
# make_seed_zips.sh OUTDIR [TARGET...]: OUTDIR/<target>_seed_corpus.zip for
# every fuzz target (default: each directory in fuzz/corpus/), the names
# OSS-Fuzz and ClusterFuzzLite look for next to a fuzzer binary. Each zip
# holds the committed corpus, fuzz/corpus/<target>/, flat: seeds (real
# /proc/iomem dumps, CEDT tables and scenario scripts among them), minimised
# campaign finds and every crash reproducer. Used by .clusterfuzzlite/build.sh.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:?usage: make_seed_zips.sh OUTDIR [TARGET...]}
shift
if [[ $# -eq 0 ]]; then
  set -- $(cd "$repo/fuzz/corpus" && ls -d */ | tr -d /)
fi
command -v zip >/dev/null || { echo "make_seed_zips.sh: needs zip" >&2; exit 1; }
mkdir -p "$out"
for t in "$@"; do
  dir="$repo/fuzz/corpus/$t"
  if [[ ! -d "$dir" ]] || [[ -z "$(ls -A "$dir")" ]]; then
    echo "make_seed_zips.sh: $t: no corpus in fuzz/corpus/$t" >&2
    exit 1
  fi
  zip_path="$out/${t}_seed_corpus.zip"
  rm -f "$zip_path"
  # -X: no extra attributes, -j: flat, -q: quiet.
  (cd "$dir" && zip -X -j -q "$zip_path" -- *)
  echo "$t: $(ls "$dir" | wc -l) files -> $(basename "$zip_path")"
done
