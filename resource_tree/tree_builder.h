// File: tree_builder.h
// -----------------------------------------------------------------------------
//
// `TreeBuilder` builds a ResourceTree from nodes given in pre-order (the order
// of /proc/iomem lines), in O(1) amortised time per node, instead of the
// O(log n) inserts of the kernel-compatible operations. Each append validates
// that the new node keeps the tree's invariants — inside its parent, after
// (and disjoint from) the parent's previous child — so the finished tree
// always passes `CheckInvariants()`. The tree's child index is not built
// here: the tree builds it on first use (see resource_tree.h).
//
// Two ways to feed it:
//
//   * One node at a time, under any earlier node. Names are interned.
//
//       TreeBuilder b(ResourceSpec{Range::Full(), "PCI mem", iores::kMem});
//       ResourceId ram = *b.Append(b.root(), {Range(0x1000, 0x9ffff), "RAM"});
//       ResourceTree tree = std::move(b).Finish();
//
//     Ids returned by Append() stay valid in the finished tree.
//
//   * In parts, on several threads. The root's children are cut into runs of
//     whole subtrees; each run is built as a `Part`, along its rightmost
//     path (the way pre-order text such as /proc/iomem arrives). Names are
//     stored verbatim (copied, not interned), each part in its own stretch
//     of the tree's name text:
//
//       std::vector<TreeBuilder::Part> parts =
//           b.Split(2, max_nodes, max_name_bytes);
//       std::thread t([&] {
//         // n0: how many nodes part 0 will hold; b0: the name bytes it may
//         // use at most.
//         parts[1].Begin(n0, b0, max_name_bytes - b0);
//         Fill(parts[1]);
//       });
//       parts[0].Begin(0, 0, b0);
//       Fill(parts[0]);
//       t.join();
//       absl::StatusOr<ResourceTree> tree =
//           std::move(b).Join(std::move(parts));
//
//     Part k's nodes take the ids after part k-1's, so the tree's node
//     order is the pre-order of the whole input. Join() checks the seams
//     between parts; it does no other work.
//
// Thread-safety: thread-compatible, except that distinct Parts of one
// builder may be filled concurrently.

#ifndef RESTREE_RESOURCE_TREE_TREE_BUILDER_H_
#define RESTREE_RESOURCE_TREE_TREE_BUILDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "resource_tree/internal/name_table.h"
#include "resource_tree/internal/node_store.h"
#include "resource_tree/resource_tree.h"

namespace restree {

class TreeBuilder {
 public:
  explicit TreeBuilder(const ResourceSpec& root,
                       KernelProfile profile = KernelProfile::Debian61());

  ResourceId root() const { return IdOf(Store::kRoot); }

  // Makes room for `n` more nodes (an estimate: a bound that is too high
  // costs address space, not memory, until the nodes are appended).
  void Reserve(size_t n);

  // Why an Append() failed.
  enum class Problem {
    kNone,
    kInverted,         // start > end
    kOutsideParent,    // not inside `parent`
    kNotAfterSibling,  // starts at or before the end of the previous child
    kFull,             // a Part has no room left (see Split())
  };

  // The placement rules of Append() and Part::Append(): `r` is valid,
  // inside `parent`, and starts after `previous` (the parent's last child
  // so far; null when it has none). kNone when `r` may go there. O(1).
  static Problem CheckPlacement(const Range& parent, const Range* previous,
                                const Range& r);

  // Appends `spec` as the last child of `parent`, which must be the root or
  // a node appended earlier (and not after Split()). On failure nothing is
  // appended, the status is kInvalidArgument, and `*problem`/`*other` (if
  // given) say why and name the node in the way (the parent, or the previous
  // sibling).
  [[nodiscard]] absl::StatusOr<ResourceId> Append(ResourceId parent,
                                                  const ResourceSpec& spec,
                                                  Problem* problem = nullptr,
                                                  ResourceId* other = nullptr);

  // The range and last child of a node appended so far (or the root).
  Range RangeOf(ResourceId id) const { return store_.range(Slot(id)); }
  ResourceId LastChildOf(ResourceId id) const;
  size_t size() const { return store_.live_count(); }

  // The tree. The builder is left empty. Not after Split() (use Join()).
  ResourceTree Finish() &&;

  // The id of the k-th node (1-based, in pre-order) of a tree made by this
  // class, by Finish() or Join(). O(1).
  static ResourceId NodeId(size_t k) {
    return ResourceId::FromValue((uint64_t{1} << 32) | k);
  }

  // ---------------------------------------------------------------------------
  // Building in parts.

  class Part;

  // Cuts the rest of the build into `n` parts that hold at most `max_nodes`
  // nodes and `max_name_bytes` bytes of names together. Precondition:
  // nothing appended yet, `max_name_bytes <= kMaxNameBytes`. The node array and
  // the name text grow by that much without being written (address space, not
  // memory: each part's thread faults in the pages it fills).
  std::vector<Part> Split(size_t n, size_t max_nodes, size_t max_name_bytes);
  static constexpr size_t kMaxNameBytes =
      internal::NameTable::kMaxVerbatimBytes;

  // The tree made of `parts` (from Split(), in order). kInvalidArgument if
  // a part was not begun after exactly the nodes the parts before it hold,
  // or if a part's first node does not start after the previous non-empty
  // part's last top-level node ends (a seam no Part can check alone). Then
  // the builder is unusable. O(number of parts). The builder is left empty.
  [[nodiscard]] absl::StatusOr<ResourceTree> Join(std::vector<Part> parts) &&;

 private:
  using Store = internal::NodeStore;
  // The slot of an id this builder issued, or kNone.
  uint32_t Slot(ResourceId id) const;
  static ResourceId IdOf(uint32_t slot) {
    return ResourceId::FromValue((uint64_t{1} << 32) | slot);
  }
  std::string Describe(uint32_t slot) const;

  KernelProfile profile_;
  Store store_;
  std::vector<uint32_t> last_child_;  // per slot, for Append()
  bool split_ = false;
};

// One run of the root's subtrees, built in pre-order along its rightmost
// path: level 0 of the path is the root, level k the last node appended at
// depth k - 1 (below the root). Appending under the node at some level drops
// the path below that level, so only nodes on the path can gain children.
//
// Thread-compatible; each Part may be filled on its own thread.
// Aligned to a cache line: parts filled on separate threads sit side by side
// in a vector, and each append writes its counters.
inline TreeBuilder::Problem TreeBuilder::CheckPlacement(const Range& parent,
                                                        const Range* previous,
                                                        const Range& r) {
  if (!r.valid()) return Problem::kInverted;
  if (!parent.Contains(r)) return Problem::kOutsideParent;
  if (previous != nullptr && previous->last() >= r.first()) {
    return Problem::kNotAfterSibling;
  }
  return Problem::kNone;
}

class alignas(64) TreeBuilder::Part {
 public:
  Part(Part&&) = default;
  Part& operator=(Part&&) = default;

  // Fixes where the part's nodes go: after `nodes_before` nodes (the total
  // the parts before it will hold); and where its names go: `name_bytes`
  // bytes from `name_bytes_before` in the tree's name text (stretches of
  // different parts must not overlap). Call once, before Append().
  void Begin(size_t nodes_before, size_t name_bytes_before, size_t name_bytes);

  // Levels on the rightmost path, the root's included (at least 1).
  size_t height() const { return height_; }
  // The range of the node at `level` < height().
  const Range& RangeAt(size_t level) const { return path_[level].range; }
  // Nodes appended so far.
  size_t size() const { return count_; }

  // Appends `r` named `name` as the last child of the node at `level` (<
  // height()); the path becomes that level's prefix plus the new node.
  // kNone on success. Otherwise nothing changes and the result says why:
  // inverted, outside the node at `level`, not after that node's previous
  // child (the path's next level), or kFull when the part's nodes or name
  // bytes (from Split() and Begin()) would run out. O(1) amortised plus
  // the copy of the name.
  Problem Append(size_t level, const Range& r, absl::string_view name,
                 uint64_t flags = 0, uint32_t desc = 0);

 private:
  friend class TreeBuilder;
  struct Step {
    uint32_t index;
    Range range;
  };
  Part(internal::Node* nodes, internal::NameTable::VerbatimSpace names,
       size_t max_nodes, size_t max_name_bytes, const Range& root);

  internal::Node* nodes_;  // the tree's node array (index 0: the root)
  internal::NameTable::VerbatimSpace names_;  // entry k names node k
  size_t height_ = 1;                         // path_[0, height_) is the path
  size_t max_nodes_;                          // below the root
  size_t max_name_bytes_;
  uint32_t base_ = 0;  // the index of this part's first node
  uint32_t capacity_ = 0;
  uint32_t count_ = 0;
  uint32_t name_at_ = 0;   // where the next name's bytes go
  uint32_t name_end_ = 0;  // the end of this part's stretch
  std::vector<Step> path_;
  Range first_top_;  // this part's first node (its seam with the previous)
};

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_TREE_BUILDER_H_
