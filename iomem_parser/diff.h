// File: diff.h
// -----------------------------------------------------------------------------
//
// Structural diff of two resource trees (two /proc/iomem dumps, two boots,
// two machines, before and after a hotplug).
//
// Matching. Only resources with the same name are paired: the kernel never
// renames a resource in iomem (a driver that rebinds releases its resource
// and requests a new one), so another name on the same range is another
// resource, removed and added (its children, if they stay, are moved to
// it). Resources are paired in three rounds:
//   1. same range and same name; among equals, one whose parent is paired
//      with this one's parent (same ancestry), else the next in pre-order;
//   2. same name, overlapping range, and parents that are paired: resized;
//   3. same name and overlapping range under unpaired parents: resized and
//      moved.
// In a zeroed (unprivileged) dump addresses carry no information, so
// resources are paired by their ancestry of names instead (the path of names
// from the root, and the occurrence of that path), then by name alone.
//
// Classification of each pair: resized (range differs), reparented
// (its parent is not the partner of its partner's parent: e.g. System RAM
// moved under a new CXL Window), flags changed (flags or desc differ; text
// dumps carry none). Unpaired resources are removed (old tree) or added (new
// tree).
//
// The diff is self-contained: a tree equal to `b` can be rebuilt from `a` and
// the entries alone (the tests' ApplyDiff(), tests/apply_diff.h, does it as a
// property of every diff they make), and `DiffTrees(a, a)` is empty.
//
// Summaries come first for people (summary.h): total System RAM, CXL
// windows, regions, dax devices and kmem ranges, before and after.
//
// Complexity: O((n + m) log(n + m)) for trees of n and m nodes.
// Thread-safety: pure functions of their arguments.

#ifndef RESTREE_IOMEM_PARSER_DIFF_H_
#define RESTREE_IOMEM_PARSER_DIFF_H_

#include <cstdint>
#include <string>
#include <vector>

#include "iomem_parser/summary.h"  // IomemSummary, Summarize (re-exported)
#include "resource_tree/resource_tree.h"

namespace restree {

// Where an added or moved resource goes in the new tree.
struct DiffParent {
  enum class Kind { kRoot, kOld, kAdded };
  Kind kind = Kind::kRoot;
  ResourceId old_node;  // kOld: a resource of the old tree (kept in the new)
  size_t added = 0;     // kAdded: index of the entry that adds it
};

struct DiffEntry {
  enum Change : unsigned {
    kAdded = 1u << 0,
    kRemoved = 1u << 1,
    kResized = 1u << 2,
    kReparented = 1u << 3,
    kFlagsChanged = 1u << 4,
  };
  unsigned changes = 0;
  ResourceId old_node;  // invalid when added
  ResourceId new_node;  // invalid when removed
  // The resource as it is in the new tree (for added, resized, reparented,
  // flags changed), or in the old tree (removed).
  Range range;
  std::string name;
  uint64_t flags = 0;
  uint32_t desc = 0;
  // For added and reparented: the parent in the new tree.
  DiffParent parent;
};

// Names of the changes in `changes`, in a fixed order ("resized", ...).
std::vector<std::string> ChangeNames(unsigned changes);

struct IomemDiff {
  IomemSummary before;
  IomemSummary after;
  // Removed resources first (old tree's pre-order), then every other change
  // in the new tree's pre-order.
  std::vector<DiffEntry> entries;
  // A dump without addresses was involved: summaries carry no sizes.
  bool zeroed = false;
  bool empty() const { return entries.empty(); }
};

struct DiffOptions {
  // Pair by ancestry of names instead of addresses (set it when either
  // dump is zeroed).
  bool zeroed = false;
};

IomemDiff DiffTrees(const ResourceTree& old_tree, const ResourceTree& new_tree,
                    const DiffOptions& options = {});

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_DIFF_H_
