// File: report.h
// -----------------------------------------------------------------------------
//
// What `restree diff` prints, as library functions:
// human text (with optional ANSI colour) and JSON (docs/json.md).
//
// Thread-safety: pure functions.

#ifndef RESTREE_IOMEM_PARSER_REPORT_H_
#define RESTREE_IOMEM_PARSER_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "iomem_parser/diff.h"
#include "iomem_parser/parser.h"

namespace restree {

// One side of a diff: the parsed dump and what to call it.
struct DiffSide {
  const ParsedIomem* dump;
  std::string source;
};

// Summaries first, then one line per change: "+" added, "-" removed, "~"
// changed (resized, moved, flags), each with its line numbers.
std::string RenderDiff(const IomemDiff& diff, const DiffSide& old_side,
                       const DiffSide& new_side, bool color);

// Schema "restree.diff/1".
std::string RenderDiffJson(const IomemDiff& diff, const DiffSide& old_side,
                           const DiffSide& new_side);

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_REPORT_H_
