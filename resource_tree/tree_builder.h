// File: tree_builder.h
// -----------------------------------------------------------------------------
//
// `TreeBuilder` builds a ResourceTree from nodes given in pre-order (the order
// of /proc/iomem lines), in O(1) amortised time per node plus one O(n) index
// build at the end, instead of the O(log n) inserts of the kernel-compatible
// operations. Each `Append()` validates that the new node keeps the tree's
// invariants — inside its parent, after (and disjoint from) the parent's
// previous child — so `Finish()` always returns a tree that passes
// `CheckInvariants()`.
//
// Example:
//   TreeBuilder b(ResourceSpec{Range::Full(), "PCI mem", iores::kMem});
//   ResourceId ram = *b.Append(b.root(), {Range(0x1000, 0x9ffff), "System RAM"});
//   ResourceTree tree = std::move(b).Finish();
//
// Ids returned by Append() stay valid in the finished tree.
// Thread-compatible.

#ifndef RESTREE_RESOURCE_TREE_TREE_BUILDER_H_
#define RESTREE_RESOURCE_TREE_TREE_BUILDER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "resource_tree/resource_tree.h"

namespace restree {

class TreeBuilder {
 public:
  explicit TreeBuilder(const ResourceSpec& root,
                       KernelProfile profile = KernelProfile::Debian61());

  ResourceId root() const { return tree_.root(); }

  // Makes room for `n` more nodes (an estimate: a bound that is too high
  // costs address space, not memory, until the nodes are appended).
  void Reserve(size_t n);

  // Why an Append() failed.
  enum class Problem {
    kNone,
    kInverted,        // start > end
    kOutsideParent,   // not inside `parent`
    kNotAfterSibling, // starts at or before the end of the previous child
  };

  // Appends `spec` as the last child of `parent`, which must be the root or
  // a node appended earlier. On failure nothing is appended, the status is
  // kInvalidArgument, and `*problem`/`*other` (if given) say why and name the
  // node in the way (the parent, or the previous sibling).
  [[nodiscard]] absl::StatusOr<ResourceId> Append(ResourceId parent,
                                                  const ResourceSpec& spec,
                                                  Problem* problem = nullptr,
                                                  ResourceId* other = nullptr);

  // A hint that `name` will be appended soon (see NameTable::Prefetch): a
  // loader that knows its next names a few nodes ahead saves the cache miss
  // of looking each one up. No effect on the result.
  void PrefetchName(absl::string_view name) const {
    tree_.names_.Prefetch(name);
  }

  // The range and last child of a node appended so far (or the root).
  Range RangeOf(ResourceId id) const { return tree_.RangeOf(id); }
  ResourceId LastChildOf(ResourceId id) const;
  size_t size() const { return tree_.live_count_; }

  // The tree. The builder is left empty.
  ResourceTree Finish() &&;

 private:
  ResourceTree tree_;
  std::vector<uint32_t> last_child_;  // per slot
};

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_TREE_BUILDER_H_
