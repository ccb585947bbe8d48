#!/usr/bin/env bash
# Regenerates the golden outputs of `restree show` (text and JSON) for every
# sample dump, into tools/testdata/golden/. Review the diff before
# committing: the goldens are the expected output, not whatever the code
# prints today.
set -euo pipefail
cd "$(dirname "$0")/.."
bazel build //tools:restree
mkdir -p tools/testdata/golden
for f in iomem_parser/testdata/*.txt; do
  name=$(basename "$f")
  mode=()
  [[ "$name" == *.excerpt.* ]] && mode=(--lenient)
  bazel-bin/tools/restree show "${mode[@]}" "$f" > "tools/testdata/golden/$name.show" 2>/dev/null
  bazel-bin/tools/restree show --json "${mode[@]}" "$f" > "tools/testdata/golden/$name.json" 2>/dev/null
done
echo "updated $(ls tools/testdata/golden | wc -l) golden files"
