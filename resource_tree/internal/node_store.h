// File: internal/node_store.h
// -----------------------------------------------------------------------------
//
// `NodeStore` is the storage core of a ResourceTree and the only code that
// writes it: the node slots, the free list, the live count, the slots'
// generations, the child index, the flag saying the slots are in pre-order,
// and the names' reference counts. Everything above it (the kernel-compatible
// and redesign operations) changes the tree only through its primitive
// mutations — allocate, free, link, unlink, move, set parent, set
// flags/desc/name — so the bookkeeping is kept consistent in one place.
//
// Undo journal. While a transaction is open (`Begin()` returned a mark that
// has not been committed or rolled back), every primitive mutation records
// its inverse. `Rollback(mark)` replays the inverses in reverse order and
// restores the store exactly: the same slots with the same generations, the
// same free list in the same order, the same index contents, names and
// flags. `Commit(mark)` keeps the changes; when the outermost transaction
// commits, the name references that freed nodes and renames let go are
// released (until then a rollback may need them back). Cost: O(1) per
// recorded step, O(k log n) to roll back k steps; nothing is recorded while
// no transaction is open.
//
// The child index is built on first use (a tree bulk-loaded in pre-order by
// TreeBuilder has none): `index()` returns the built index, building it
// first if needed, so no caller can read an unbuilt one.
//
// Thread-safety: thread-compatible; const methods may run concurrently (the
// first to need the index builds it under a lock).

#ifndef RESTREE_RESOURCE_TREE_INTERNAL_NODE_STORE_H_
#define RESTREE_RESOURCE_TREE_INTERNAL_NODE_STORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "resource_tree/internal/huge_page_allocator.h"
#include "resource_tree/internal/name_table.h"
#include "resource_tree/range.h"

namespace restree {

class TreeBuilder;
class ResourceTreeTestPeer;

namespace internal {

// One resource. Trivially default-constructible on purpose: the node array
// can grow without writing (TreeBuilder::Split), and `Node{}` is all zero.
struct Node {
  uint64_t first;
  uint64_t last;
  uint64_t flags;
  uint32_t desc;
  uint32_t name;
  uint32_t parent;      // NodeStore::kNone for the root
  uint32_t generation;  // odd while live, even while free
};

// The one way to make a node's contents (the store, TreeBuilder and its
// parts all build nodes through it).
inline Node MakeNode(const Range& r, uint32_t name, uint64_t flags,
                     uint32_t desc, uint32_t parent, uint32_t generation) {
  Node n;
  n.first = r.first();
  n.last = r.last();
  n.flags = flags;
  n.desc = desc;
  n.name = name;
  n.parent = parent;
  n.generation = generation;
  return n;
}

// One index entry per non-root node, ordered by (parent, start).
struct ChildKey {
  uint32_t parent;
  uint32_t child;
  uint64_t start;
};
struct ChildKeyLess {
  using is_transparent = void;
  bool operator()(const ChildKey& a, const ChildKey& b) const {
    return a.parent != b.parent ? a.parent < b.parent : a.start < b.start;
  }
};
using ChildIndex = absl::btree_set<ChildKey, ChildKeyLess>;

class NodeStore {
 public:
  static constexpr uint32_t kRoot = 0;
  static constexpr uint32_t kNone = 0xffffffffu;

  // A store holding only the root (slot 0, generation 1), index built.
  NodeStore(const Range& root, absl::string_view name, uint64_t flags,
            uint32_t desc);
  // Copies need no open transaction on `other`; the copy has none either.
  NodeStore(const NodeStore& other);
  NodeStore& operator=(const NodeStore& other);
  NodeStore(NodeStore&&) = default;
  NodeStore& operator=(NodeStore&&) = default;

  // ---------------------------------------------------------------------------
  // Reading.

  const Node& node(uint32_t i) const { return nodes_[i]; }
  Range range(uint32_t i) const {
    return Range(nodes_[i].first, nodes_[i].last);
  }
  absl::string_view name(uint32_t i) const {
    return names_.Get(nodes_[i].name);
  }
  // Slots, live or free (ids index them).
  size_t slot_count() const { return nodes_.size(); }
  size_t live_count() const { return live_count_; }
  bool IsLive(uint32_t i) const {
    return i < nodes_.size() && (nodes_[i].generation & 1) == 1;
  }
  const std::vector<uint32_t>& free_slots() const { return free_slots_; }
  const NameTable& names() const { return names_; }
  // True while slots [1, slot_count()) are exactly the nodes, in pre-order
  // (a tree from TreeBuilder until its first structural change).
  bool preorder_slots() const { return preorder_slots_; }

  // Whether the child index exists yet (a tree from TreeBuilder builds it
  // at its first use).
  bool index_built() const {
    return index_state_->built.load(std::memory_order_acquire);
  }
  // The child index, built first if it is not yet (O(n log n) once).
  const ChildIndex& index() const {
    if (ABSL_PREDICT_FALSE(
            !index_state_->built.load(std::memory_order_acquire))) {
      BuildIndex();
    }
    return children_;
  }

  // ---------------------------------------------------------------------------
  // Primitive mutations (journaled inside a transaction).

  // The id of `name`; the next Allocate() or SetName() with it takes the
  // reference, so call it right before one of those.
  uint32_t Intern(absl::string_view name) { return names_.Intern(name); }
  // A new live node, not yet linked into the index (Link() does that). Takes
  // a reference to `name`. Reuses the most recently freed slot.
  uint32_t Allocate(const Range& r, uint32_t name, uint64_t flags,
                    uint32_t desc, uint32_t parent);
  // Adds / removes node i's index entry (under its parent, at its start).
  void Link(uint32_t i);
  void Unlink(uint32_t i);
  // Slot i (already unlinked) back to the free list; its generation becomes
  // even, so its ids go stale. Its name reference is released (at the
  // outermost commit when in a transaction).
  void Free(uint32_t i);
  // Node i takes the range [first, last]; a linked node is re-keyed.
  void Move(uint32_t i, uint64_t first, uint64_t last);
  // Linked node c moves under `parent` (re-keyed).
  void SetParent(uint32_t c, uint32_t parent);
  // Unlinked (not freed) node i gets `parent` and is linked there.
  void Attach(uint32_t i, uint32_t parent);
  void SetFlags(uint32_t i, uint64_t flags);
  void SetDesc(uint32_t i, uint32_t desc);
  // Node i takes `name` (from Intern()) and lets go of its old name.
  void SetName(uint32_t i, uint32_t name);
  // The chunk size recorded for live node i (a chunk-reserved window), or 0.
  // An entry dies with its node: a reused slot has another generation.
  uint64_t chunk_size(uint32_t i) const {
    auto it = chunk_sizes_.find(i);
    return it != chunk_sizes_.end() &&
                   it->second.generation == nodes_[i].generation
               ? it->second.size
               : 0;
  }
  void SetChunkSize(uint32_t i, uint64_t size);

  // ---------------------------------------------------------------------------
  // Transactions.

  // Opens a (possibly nested) transaction; returns its mark.
  size_t Begin();
  // Closes the transaction opened at `mark`, keeping its changes.
  void Commit(size_t mark);
  // Closes it, undoing every step recorded since `mark`.
  void Rollback(size_t mark);
  bool in_transaction() const { return depth_ != 0; }
  size_t journal_size() const { return journal_.size(); }

 private:
  friend class ::restree::TreeBuilder;
  friend class ::restree::ResourceTreeTestPeer;

  enum class UndoOp : uint8_t {
    kAllocSlot,    // from the free list; the slot's old contents are on
                   // saved_nodes_
    kAllocAppend,  // a new slot at the end
    kFree,         // u32 = old parent, a = the name it held
    kLink,
    kUnlink,
    kMove,       // a, b = old first, last
    kSetParent,  // u32 = old parent
    kAttach,     // u32 = old parent
    kFlags,      // a = old flags
    kDesc,       // u32 = old desc
    kName,       // u32 = old name
    kPreorder,   // preorder_slots_ was true
    kChunkSize,  // u32 = old entry's generation (0: none), a = its size
  };
  struct Undo {
    UndoOp op;
    uint32_t i;
    uint32_t u32;
    uint64_t a;
    uint64_t b;
  };

  void Record(UndoOp op, uint32_t i, uint32_t u32 = 0, uint64_t a = 0,
              uint64_t b = 0) {
    if (depth_ != 0) journal_.push_back(Undo{op, i, u32, a, b});
  }
  // The index for writing: built, and no longer in slot pre-order.
  ChildIndex& MutableIndex();
  void RawLink(uint32_t i);
  void RawUnlink(uint32_t i);
  void RawMove(uint32_t i, uint64_t first, uint64_t last);
  void BuildIndex() const;
  // Empties the journal after the outermost transaction, giving back the
  // memory of a large one.
  void ReleaseJournal();

  // Whether children_ is built; TreeBuilder makes stores without it.
  struct IndexState {
    std::atomic<bool> built{true};
    std::mutex mu;  // taken to build it
  };

  std::vector<Node, HugePageAllocator<Node>> nodes_;
  std::vector<uint32_t> free_slots_;
  size_t live_count_ = 0;
  mutable ChildIndex children_;
  std::unique_ptr<IndexState> index_state_ = std::make_unique<IndexState>();
  bool preorder_slots_ = true;
  NameTable names_;
  struct ChunkSize {
    uint32_t generation;
    uint64_t size;
  };
  absl::flat_hash_map<uint32_t, ChunkSize> chunk_sizes_;
  std::vector<Undo> journal_;
  // The contents of free slots that Allocate() reused inside a transaction
  // (a rollback puts them back: the freed node may be brought back to life
  // by undoing its Free()).
  std::vector<Node> saved_nodes_;
  int depth_ = 0;
};

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_INTERNAL_NODE_STORE_H_
