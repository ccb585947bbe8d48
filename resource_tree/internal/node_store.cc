#include "resource_tree/internal/node_store.h"

#include <cassert>
#include <utility>

#include "base/status_macros.h"

namespace restree {
namespace internal {

NodeStore::NodeStore(const Range& root, absl::string_view name, uint64_t flags,
                     uint32_t desc) {
  RESTREE_CHECK(root.valid(), "the root range must not be inverted");
  const uint32_t id = names_.Intern(name);
  names_.Ref(id);
  nodes_.push_back(MakeNode(root, id, flags, desc, kNone, 1));
  live_count_ = 1;
}

NodeStore::NodeStore(const NodeStore& other)
    : nodes_(other.nodes_),
      free_slots_(other.free_slots_),
      live_count_(other.live_count_),
      preorder_slots_(other.preorder_slots_),
      names_(other.names_),
      chunk_sizes_(other.chunk_sizes_) {
  RESTREE_CHECK(other.depth_ == 0, "copying a tree inside a transaction");
  // Another thread may be building other's index (a const method): copy it
  // only once it is complete, else leave ours to be built from the nodes.
  if (other.index_state_->built.load(std::memory_order_acquire)) {
    children_ = other.children_;
  } else {
    index_state_->built.store(false, std::memory_order_relaxed);
  }
}

NodeStore& NodeStore::operator=(const NodeStore& other) {
  if (this != &other) *this = NodeStore(other);
  return *this;
}

void NodeStore::BuildIndex() const {
  std::lock_guard<std::mutex> lock(index_state_->mu);
  if (index_state_->built.load(std::memory_order_relaxed)) return;
  RESTREE_CHECK(preorder_slots_ && free_slots_.empty(),
                "no child index for a tree whose slots are not in pre-order");
  // Counting sort of the nodes by parent: `first[p]` becomes the position of
  // p's first entry. Slots are in pre-order, so each parent's children come
  // in increasing start order, the result is sorted by (parent, start), and
  // the B-tree is built by appending at its end.
  const size_t n = nodes_.size();
  std::vector<uint32_t, HugePageAllocator<uint32_t>> first(n + 1, 0);
  for (size_t i = 1; i < n; ++i) ++first[nodes_[i].parent + 1];
  for (size_t p = 1; p <= n; ++p) first[p] += first[p - 1];
  std::vector<ChildKey, HugePageAllocator<ChildKey>> sorted(n - 1);
  for (uint32_t i = 1; i < n; ++i) {
    const Node& node = nodes_[i];
    sorted[first[node.parent]++] = ChildKey{node.parent, i, node.first};
  }
  first = decltype(first)();
  children_ = ChildIndex(sorted.begin(), sorted.end());
  index_state_->built.store(true, std::memory_order_release);
}

ChildIndex& NodeStore::MutableIndex() {
  index();
  if (preorder_slots_) {
    Record(UndoOp::kPreorder, 0);
    preorder_slots_ = false;
  }
  return children_;
}

uint32_t NodeStore::Allocate(const Range& r, uint32_t name, uint64_t flags,
                             uint32_t desc, uint32_t parent) {
  // A deferred index build must not see the new slot (it is linked later).
  index();
  uint32_t i;
  if (!free_slots_.empty()) {
    i = free_slots_.back();
    free_slots_.pop_back();
    if (depth_ != 0) saved_nodes_.push_back(nodes_[i]);
    Record(UndoOp::kAllocSlot, i);
  } else {
    RESTREE_CHECK(nodes_.size() < kNone - 1, "too many resources");
    i = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(Node{});
    Record(UndoOp::kAllocAppend, i);
  }
  // Odd generations are live, even ones free (so a stale id never matches).
  uint32_t generation = nodes_[i].generation + 1;
  if (generation == 0) generation = 1;
  nodes_[i] = MakeNode(r, name, flags, desc, parent, generation);
  names_.Ref(name);
  ++live_count_;
  return i;
}

void NodeStore::RawLink(uint32_t i) {
  const Node& n = nodes_[i];
  const bool inserted =
      MutableIndex().insert(ChildKey{n.parent, i, n.first}).second;
  RESTREE_CHECK(inserted, "two siblings with the same start");
}

void NodeStore::RawUnlink(uint32_t i) {
  const Node& n = nodes_[i];
  ChildIndex& index = MutableIndex();
  auto it = index.find(ChildKey{n.parent, i, n.first});
  RESTREE_CHECK(it != index.end() && it->child == i,
                "unlinking a node that is not linked");
  index.erase(it);
}

void NodeStore::Link(uint32_t i) {
  RawLink(i);
  Record(UndoOp::kLink, i);
}

void NodeStore::Unlink(uint32_t i) {
  RawUnlink(i);
  Record(UndoOp::kUnlink, i);
}

void NodeStore::Free(uint32_t i) {
  Node& n = nodes_[i];
  Record(UndoOp::kFree, i, n.parent, n.name);
  ++n.generation;
  n.parent = kNone;
  free_slots_.push_back(i);
  --live_count_;
  if (depth_ == 0) names_.Unref(n.name);
}

void NodeStore::RawMove(uint32_t i, uint64_t first, uint64_t last) {
  Node& n = nodes_[i];
  if (n.first != first && n.parent != kNone) {
    RawUnlink(i);
    n.first = first;
    n.last = last;
    RawLink(i);
  } else {
    n.first = first;
    n.last = last;
  }
}

void NodeStore::Move(uint32_t i, uint64_t first, uint64_t last) {
  Record(UndoOp::kMove, i, 0, nodes_[i].first, nodes_[i].last);
  RawMove(i, first, last);
}

void NodeStore::SetParent(uint32_t c, uint32_t parent) {
  Record(UndoOp::kSetParent, c, nodes_[c].parent);
  RawUnlink(c);
  nodes_[c].parent = parent;
  RawLink(c);
}

void NodeStore::Attach(uint32_t i, uint32_t parent) {
  Record(UndoOp::kAttach, i, nodes_[i].parent);
  nodes_[i].parent = parent;
  RawLink(i);
}

void NodeStore::SetFlags(uint32_t i, uint64_t flags) {
  Record(UndoOp::kFlags, i, 0, nodes_[i].flags);
  nodes_[i].flags = flags;
}

void NodeStore::SetDesc(uint32_t i, uint32_t desc) {
  Record(UndoOp::kDesc, i, nodes_[i].desc);
  nodes_[i].desc = desc;
}

void NodeStore::SetName(uint32_t i, uint32_t name) {
  const uint32_t old = nodes_[i].name;
  Record(UndoOp::kName, i, old);
  names_.Ref(name);
  nodes_[i].name = name;
  if (depth_ == 0) names_.Unref(old);
}

void NodeStore::SetChunkSize(uint32_t i, uint64_t size) {
  auto it = chunk_sizes_.find(i);
  if (it == chunk_sizes_.end()) {
    Record(UndoOp::kChunkSize, i, 0);
  } else {
    Record(UndoOp::kChunkSize, i, it->second.generation, it->second.size);
  }
  chunk_sizes_[i] = ChunkSize{nodes_[i].generation, size};
}

size_t NodeStore::Begin() {
  ++depth_;
  return journal_.size();
}

void NodeStore::Commit(size_t mark) {
  RESTREE_CHECK(depth_ > 0 && mark <= journal_.size(),
                "Commit() without an open transaction");
  if (--depth_ != 0) return;
  // The outermost commit: release the names that freed nodes and renames
  // gave up (they were kept for a rollback).
  for (const Undo& u : journal_) {
    if (u.op == UndoOp::kFree) names_.Unref(static_cast<uint32_t>(u.a));
    if (u.op == UndoOp::kName) names_.Unref(u.u32);
  }
  ReleaseJournal();
}

void NodeStore::ReleaseJournal() {
  // A bulk transaction (10^6 chunks) leaves a large journal: do not keep its
  // memory once the outermost transaction has ended.
  constexpr size_t kKeep = 4096;
  journal_.clear();
  saved_nodes_.clear();
  if (journal_.capacity() > kKeep) journal_ = std::vector<Undo>();
  if (saved_nodes_.capacity() > kKeep) saved_nodes_ = std::vector<Node>();
}

void NodeStore::Rollback(size_t mark) {
  RESTREE_CHECK(depth_ > 0 && mark <= journal_.size(),
                "Rollback() without an open transaction");
  while (journal_.size() > mark) {
    const Undo u = journal_.back();
    journal_.pop_back();
    Node& n = nodes_[u.i];
    switch (u.op) {
      case UndoOp::kAllocSlot:
        names_.Unref(n.name);
        n = saved_nodes_.back();
        saved_nodes_.pop_back();
        free_slots_.push_back(u.i);
        --live_count_;
        break;
      case UndoOp::kAllocAppend:
        RESTREE_CHECK(u.i + 1 == nodes_.size(),
                      "undo of an append out of order");
        names_.Unref(n.name);
        nodes_.pop_back();
        --live_count_;
        break;
      case UndoOp::kFree:
        RESTREE_CHECK(!free_slots_.empty() && free_slots_.back() == u.i,
                      "undo of a free out of order");
        free_slots_.pop_back();
        --n.generation;
        n.parent = u.u32;
        ++live_count_;
        break;
      case UndoOp::kLink:
        RawUnlink(u.i);
        break;
      case UndoOp::kUnlink:
        RawLink(u.i);
        break;
      case UndoOp::kMove:
        RawMove(u.i, u.a, u.b);
        break;
      case UndoOp::kSetParent:
        RawUnlink(u.i);
        n.parent = u.u32;
        RawLink(u.i);
        break;
      case UndoOp::kAttach:
        RawUnlink(u.i);
        n.parent = u.u32;
        break;
      case UndoOp::kFlags:
        n.flags = u.a;
        break;
      case UndoOp::kDesc:
        n.desc = u.u32;
        break;
      case UndoOp::kName:
        names_.Unref(n.name);
        n.name = u.u32;
        break;
      case UndoOp::kPreorder:
        preorder_slots_ = true;
        break;
      case UndoOp::kChunkSize:
        if (u.u32 == 0) {
          chunk_sizes_.erase(u.i);
        } else {
          chunk_sizes_[u.i] = ChunkSize{u.u32, u.a};
        }
        break;
    }
  }
  // Steps of inner transactions that committed into this one are undone
  // with it: their entries stay in the journal until the outermost end.
  if (--depth_ == 0) ReleaseJournal();
}

}  // namespace internal
}  // namespace restree
