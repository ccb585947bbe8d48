// File: internal/parse_paths.h
// -----------------------------------------------------------------------------
//
// The two ways ParseIomem() reads a file, exposed so that tests and fuzzers
// can hold them to each other. Not part of the public API.
//
//   * The kernel-format fast path reads a strict, privileged dump in one
//     pass straight into the tree, a large file in parts on several
//     threads. It gives up (nullopt) at the first thing it does not handle:
//     any error, lenient mode, a zeroed dump (problem-collecting mode it
//     takes: a file it accepts has no structure problems). Gives up
//     in O(position of the problem) per part.
//   * The general parser handles every mode and words every error; it is the
//     specification the fast path must agree with.
//
// ParseIomem() = the fast path if it succeeds, else the general parser.
// Contract checked by tests/iomem_parse_paths_test and iomem_parse_fuzzer:
// whenever the fast path returns a result, the general parser returns an
// equal one.

#ifndef RESTREE_IOMEM_PARSER_INTERNAL_PARSE_PATHS_H_
#define RESTREE_IOMEM_PARSER_INTERNAL_PARSE_PATHS_H_

#include <cstddef>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "iomem_parser/parser.h"
#include "resource_tree/range.h"

namespace restree {
namespace internal {

// How the fast path cuts a large file into parts parsed on their own
// threads (TreeBuilder::Part). Parts begin at top-level lines, so each is
// whole subtrees of the root; the result does not depend on the cut.
struct FastPathOptions {
  // At most this many parts; 0 = one per hardware thread, at most 4.
  int max_parts = 0;
  // No part smaller than this (tests set 1 to cut small files).
  size_t min_part_bytes = size_t{4} << 20;
  // Fill parts 1.. on threads of their own; false fills them one after the
  // other on the calling thread (the same result: a fuzzer cutting every
  // small input saves a thread start per part).
  bool threads = true;
};

std::optional<ParsedIomem> ParseIomemFast(
    absl::string_view text, const IomemParseOptions& options,
    const FastPathOptions& fast = FastPathOptions());

// What IsKernelExactDump() shows of the lines it accepts. The text is cut
// into parts, each a run of whole top-level subtrees; Begin() comes first
// (again when a second try starts over, with the /proc depth cap of 8),
// then each part's lines in order, the parts on threads of their own:
// Line() must be safe to call concurrently for different parts. A line's
// `level` is its depth in the tree (0 for a child of the root), which at
// the /proc depth cap is decided by containment, not by its indentation.
// Lines of a dump that is then refused have been shown too.
class KernelExactLines {
 public:
  virtual ~KernelExactLines() = default;
  virtual void Begin(const Range& root_range, absl::string_view root_name,
                     size_t parts) = 0;
  virtual void Line(size_t part, size_t level, const Range& range,
                    absl::string_view name) = 0;
};

// True iff ParseIomemFast(text, options, fast) would return a tree, found
// with the same checks but without building it: O(n) time, O(depth)
// memory. Such a file is in the kernel's exact format and is a valid tree,
// so ParseIomem() reads it and renders it back to exactly `text`
// (iomem_parse_fuzzer and parse_paths_test hold both); `restree show --raw`
// of a whole dump then prints the input as it is, and `restree check`
// runs the driver chains on `lines`.
bool IsKernelExactDump(absl::string_view text, const IomemParseOptions& options,
                       const FastPathOptions& fast = FastPathOptions(),
                       KernelExactLines* lines = nullptr);

[[nodiscard]] absl::StatusOr<ParsedIomem> ParseIomemGeneral(
    absl::string_view text, const IomemParseOptions& options);

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_INTERNAL_PARSE_PATHS_H_
