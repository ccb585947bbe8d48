// `restree check` of a dump without building its tree, for the common case
// of a clean dump in the kernel's exact format.
//
// Thread-safety: a pure function; it starts threads of its own (one per
// part of the text) when `fast` allows.

#ifndef RESTREE_IOMEM_PARSER_STREAMED_CHECK_H_
#define RESTREE_IOMEM_PARSER_STREAMED_CHECK_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "iomem_parser/internal/parse_paths.h"
#include "iomem_parser/parser.h"
#include "resource_tree/domain_invariants.h"

namespace restree {

// The number of resources in `text` when it is a dump in the kernel's
// exact format (internal::IsKernelExactDump(text, options, fast): a valid
// tree, so no structural problem or invariant violation) and no rule of
// any profile set in `each` finds anything in it (CheckDomainEach() of its
// tree, with `rules`, would return no finding at all); nothing otherwise,
// when the caller builds the tree for the report. O(n) time on the parts'
// threads, memory O(depth) plus the hmem candidates, none of it a tree.
// `rules.check_flags` must be false: a dump has no flags.
std::optional<size_t> CleanResourcesWithoutTree(
    absl::string_view text, const IomemParseOptions& options,
    const DomainRules& rules, const std::vector<ChainProfiles>& each,
    const internal::FastPathOptions& fast = internal::FastPathOptions());

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_STREAMED_CHECK_H_
