// File: apply_diff.h
// -----------------------------------------------------------------------------
//
// The test oracle for iomem_parser/diff.h's claim that a diff is
// self-contained: `ApplyDiff(a, DiffTrees(a, b))` rebuilds a tree equal to
// `b` from `a` and the diff's entries alone. diff_test's properties and
// diff_fuzzer check it for every diff they make. testonly: restree has no
// command that applies a diff.
//
// Complexity: O(n log n) for the n nodes of the old tree and the entries.
// Thread-safety: a pure function of its arguments.

#ifndef RESTREE_TESTS_APPLY_DIFF_H_
#define RESTREE_TESTS_APPLY_DIFF_H_

#include "absl/status/statusor.h"
#include "iomem_parser/diff.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace test_support {

// Rebuilds the new tree from the old one and the diff. Fails
// (kInvalidArgument) if the diff does not fit `old_tree` (an entry names a
// resource it lacks, or the result would break an invariant), and
// (kFailedPrecondition) for a diff of zeroed dumps, which has no addresses.
[[nodiscard]] absl::StatusOr<ResourceTree> ApplyDiff(
    const ResourceTree& old_tree, const IomemDiff& diff);

}  // namespace test_support
}  // namespace restree

#endif  // RESTREE_TESTS_APPLY_DIFF_H_
