// File: test_util.h
// -----------------------------------------------------------------------------
//
// Trees for the tests of resource_tree/: a pre-order listing of nested
// nodes, and the same tree built through TreeBuilder (the tree's slots are
// its pre-order and its child index is not built yet) or through
// ResourceTree::Request() (its index built as it grows). testonly.

#ifndef RESTREE_RESOURCE_TREE_TEST_UTIL_H_
#define RESTREE_RESOURCE_TREE_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"
#include "resource_tree/tree_builder.h"

namespace restree {
namespace test_support {

// One node of a pre-order listing: its depth below the root's children (0
// for a child of the root), its range and its name.
struct PreorderLine {
  size_t depth;
  Range range;
  std::string name;
};

// `groups` top-level nodes 1 MiB apart, each with two children, the second
// with one child of its own: 4 lines per group.
inline std::vector<PreorderLine> NestedLines(int groups) {
  std::vector<PreorderLine> out;
  for (int g = 0; g < groups; ++g) {
    const uint64_t a = uint64_t{0x100000} * g;
    out.push_back({0, Range(a, a + 0xfffff), g % 3 ? "System RAM" : "PCI Bus"});
    out.push_back({1, Range(a, a + 0xfff), "Kernel code"});
    out.push_back({1, Range(a + 0x1000, a + 0x7fff), absl::StrCat("dev", g)});
    out.push_back(
        {2, Range(a + 0x2000, a + 0x2fff), absl::StrCat("bar", g % 7)});
  }
  return out;
}

// Builds `lines` under an iomem root with TreeBuilder, one node at a time.
inline ResourceTree BuildSequentially(const std::vector<PreorderLine>& lines) {
  TreeBuilder b({Range::Full(), "PCI mem", iores::kMem});
  std::vector<ResourceId> path = {b.root()};
  for (const PreorderLine& l : lines) {
    path.resize(l.depth + 1);
    path.push_back(*b.Append(path.back(), {l.range, l.name}));
  }
  return std::move(b).Finish();
}

// The same tree through Request(): its child index built as it grows.
inline ResourceTree BuildByRequests(const std::vector<PreorderLine>& lines) {
  ResourceTree t = ResourceTree::Iomem();
  std::vector<ResourceId> path = {t.root()};
  for (const PreorderLine& l : lines) {
    path.resize(l.depth + 1);
    path.push_back(*t.Request(path.back(), {l.range, l.name}));
  }
  return t;
}

}  // namespace test_support
}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_TEST_UTIL_H_
