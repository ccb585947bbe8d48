// File: report.h
// -----------------------------------------------------------------------------
//
// What `restree diff` and `restree check` print, as library functions:
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
// changed (resized, renamed, moved, flags), each with its line numbers.
std::string RenderDiff(const IomemDiff& diff, const DiffSide& old_side,
                       const DiffSide& new_side, bool color);

// Schema "restree.diff/1".
std::string RenderDiffJson(const IomemDiff& diff, const DiffSide& old_side,
                           const DiffSide& new_side);

// A problem `restree check` found in a dump.
struct CheckFinding {
  std::string kind;     // "structure", or an InvariantKindName()
  int line = 0;         // 0 when unknown
  int other_line = 0;   // the other line involved, 0 for none or the root
  std::string message;
};

struct CheckOptions {
  // memory_block_size_bytes() for the kmem alignment rule; 0 skips it.
  uint64_t memory_block_size = uint64_t{128} << 20;
};

// Every problem in a dump parsed with collect_structure_problems: the lines
// whose indentation contradicts their addresses, then the structural and
// domain invariants (CheckInvariants(), CheckDomainInvariants() by name).
std::vector<CheckFinding> CheckDump(const ParsedIomem& dump,
                                    const CheckOptions& options = {});

std::string RenderCheck(const std::vector<CheckFinding>& findings,
                        const ParsedIomem& dump, absl::string_view source);
// Schema "restree.check/1".
std::string RenderCheckJson(const std::vector<CheckFinding>& findings,
                            const ParsedIomem& dump, absl::string_view source);

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_REPORT_H_
