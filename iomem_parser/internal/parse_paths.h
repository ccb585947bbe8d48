// File: internal/parse_paths.h
// -----------------------------------------------------------------------------
//
// The two ways ParseIomem() reads a file, exposed so that tests and fuzzers
// can hold them to each other. Not part of the public API.
//
//   * The kernel-format fast path reads a strict, privileged dump in one
//     pass straight into the tree. It gives up (nullopt) at the first thing
//     it does not handle: any error, lenient or problem-collecting mode, a
//     zeroed dump. Gives up in O(position of the problem).
//   * The general parser handles every mode and words every error; it is the
//     specification the fast path must agree with.
//
// ParseIomem() = the fast path if it succeeds, else the general parser.
// Contract checked by tests/iomem_parse_paths_test and iomem_parse_fuzzer:
// whenever the fast path returns a result, the general parser returns an
// equal one.

#ifndef RESTREE_IOMEM_PARSER_INTERNAL_PARSE_PATHS_H_
#define RESTREE_IOMEM_PARSER_INTERNAL_PARSE_PATHS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "iomem_parser/parser.h"

namespace restree {
namespace internal {

std::optional<ParsedIomem> ParseIomemFast(absl::string_view text,
                                          const IomemParseOptions& options);

[[nodiscard]] absl::StatusOr<ParsedIomem> ParseIomemGeneral(
    absl::string_view text, const IomemParseOptions& options);

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_INTERNAL_PARSE_PATHS_H_
