// File: internal/flat_tree.h
// -----------------------------------------------------------------------------
//
// A tree flattened in pre-order with parent positions: what DiffTrees()
// compares, and what the tests' ApplyDiff() (tests/apply_diff.h) walks.
// Not part of the public API.

#ifndef RESTREE_IOMEM_PARSER_INTERNAL_FLAT_TREE_H_
#define RESTREE_IOMEM_PARSER_INTERNAL_FLAT_TREE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace internal {

// Position k holds the k-th node in pre-order; names view the tree's
// storage (valid while the tree is unchanged).
struct FlatTree {
  std::vector<ResourceId> id;
  std::vector<int> parent;  // position of the parent; -1 = the root
  std::vector<Range> range;
  std::vector<absl::string_view> name;
  std::vector<uint64_t> flags;
  std::vector<uint32_t> desc;
  size_t size() const { return id.size(); }
};

// O(n).
FlatTree Flatten(const ResourceTree& t);

// The pre-order of a valid tree: first ascending, then last descending.
inline bool AddrLess(const Range& x, const Range& y) {
  if (x.first() != y.first()) return x.first() < y.first();
  return x.last() > y.last();
}

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_INTERNAL_FLAT_TREE_H_
