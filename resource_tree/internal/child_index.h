// File: internal/child_index.h
// -----------------------------------------------------------------------------
//
// The resource tree's child index: one entry per non-root node, ordered by
// (parent, start), so that a node's children are one sorted run.
//
// It is kept as a few B-trees ("shards") that split the key space at fixed
// bounds, in order: shard k holds the keys in [bound(k), bound(k + 1)). To
// its users it is one ordered set (iteration runs through the shards in
// turn); the split exists so that a bulk loader can build the shards on
// several threads at once (TreeBuilder::Join() makes one shard of each
// part's top-level nodes and one of the rest of its nodes). A tree built any
// other way has one shard.
//
// Complexity: find/lower_bound/upper_bound/insert/erase are O(s + log n) for
// s shards (s is at most twice the bulk loader's threads, so small);
// iterator steps are amortised O(1). Iterators are invalidated by insert()
// and erase(), as absl::btree_set's are. Thread-safety: thread-compatible.

#ifndef RESTREE_RESOURCE_TREE_INTERNAL_CHILD_INDEX_H_
#define RESTREE_RESOURCE_TREE_INTERNAL_CHILD_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/btree_set.h"

namespace restree {
namespace internal {

struct ChildKey {
  uint32_t parent;
  uint32_t child;
  uint64_t start;
};

// Orders by (parent, start); `child` is payload.
struct ChildKeyLess {
  using is_transparent = void;
  bool operator()(const ChildKey& a, const ChildKey& b) const {
    return a.parent != b.parent ? a.parent < b.parent : a.start < b.start;
  }
};

class ChildIndex {
 public:
  using Set = absl::btree_set<ChildKey, ChildKeyLess>;

  // One shard of a bulk-built index: the keys in `set`, all at or above
  // `bound` (and below the next shard's bound).
  struct Shard {
    ChildKey bound;
    Set set;
  };

  // Bidirectional; an iterator is never at the end of a shard other than
  // the last (it moves on to the next shard's first key).
  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = ChildKey;
    using difference_type = std::ptrdiff_t;
    using pointer = const ChildKey*;
    using reference = const ChildKey&;

    const_iterator() = default;
    reference operator*() const { return *it_; }
    pointer operator->() const { return &*it_; }
    const_iterator& operator++() {
      ++it_;
      Settle();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    // Precondition: not begin().
    const_iterator& operator--() {
      while (shard_ > 0 && it_ == shards_[shard_].set.begin()) {
        it_ = shards_[--shard_].set.end();
      }
      --it_;
      return *this;
    }
    const_iterator operator--(int) {
      const_iterator old = *this;
      --*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.shard_ == b.shard_ && a.it_ == b.it_;
    }
    friend bool operator!=(const const_iterator& a, const const_iterator& b) {
      return !(a == b);
    }

   private:
    friend class ChildIndex;
    const_iterator(const Shard* shards, uint32_t last, uint32_t shard,
                   Set::const_iterator it)
        : shards_(shards), shard_(shard), last_(last), it_(it) {
      Settle();
    }
    // Moves from a shard's end to the next non-empty shard's first key (with
    // one shard, a comparison of two registers).
    void Settle() {
      while (shard_ < last_ && it_ == shards_[shard_].set.end()) {
        it_ = shards_[++shard_].set.begin();
      }
    }

    const Shard* shards_ = nullptr;
    uint32_t shard_ = 0;
    uint32_t last_ = 0;  // the index's last shard
    Set::const_iterator it_;
  };

  // Empty, one shard.
  ChildIndex() : shards_(1) { shards_[0].bound = ChildKey{0, 0, 0}; }
  // The index made of `shards`, whose bounds must increase, the first being
  // the least key (0, 0), and whose keys must lie within their bounds (as
  // CheckShards() verifies). An empty list makes an empty index.
  explicit ChildIndex(std::vector<Shard> shards);

  ChildIndex(const ChildIndex&) = default;
  ChildIndex& operator=(const ChildIndex&) = default;
  // A moved-from index is empty, with one shard.
  ChildIndex(ChildIndex&& other) : ChildIndex() {
    shards_.swap(other.shards_);
    std::swap(last_, other.last_);
  }
  ChildIndex& operator=(ChildIndex&& other) {
    if (this != &other) {
      shards_ = std::move(other.shards_);
      last_ = other.last_;
      other.shards_.assign(1, Shard{});
      other.last_ = 0;
    }
    return *this;
  }

  const_iterator begin() const { return At(0, shards_[0].set.begin()); }
  const_iterator end() const { return At(last_, shards_[last_].set.end()); }
  size_t size() const;
  size_t shard_count() const { return shards_.size(); }

  ABSL_ATTRIBUTE_ALWAYS_INLINE const_iterator find(const ChildKey& k) const {
    const uint32_t s = ShardOf(k);
    auto it = shards_[s].set.find(k);
    return it == shards_[s].set.end() ? end() : At(s, it);
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE const_iterator lower_bound(const ChildKey& k) const {
    const uint32_t s = ShardOf(k);
    return At(s, shards_[s].set.lower_bound(k));
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE const_iterator upper_bound(const ChildKey& k) const {
    const uint32_t s = ShardOf(k);
    return At(s, shards_[s].set.upper_bound(k));
  }
  std::pair<const_iterator, bool> insert(const ChildKey& k) {
    const uint32_t s = ShardOf(k);
    auto r = shards_[s].set.insert(k);
    return {At(s, r.first), r.second};
  }
  // Precondition: `it` is an element of this index.
  void erase(const_iterator it) { shards_[it.shard_].set.erase(it.it_); }

  // Empty if every shard's keys lie within its bounds and the bounds
  // increase from the least key; else what is wrong. O(s) (only each shard's
  // first and last keys are looked at, the shards being sorted sets).
  std::string CheckShards() const;

 private:
  const_iterator At(uint32_t shard, Set::const_iterator it) const {
    return const_iterator(shards_.data(), last_, shard, it);
  }
  // The shard whose range holds `k`.
  uint32_t ShardOf(const ChildKey& k) const {
    uint32_t s = last_;
    while (s > 0 && ChildKeyLess()(k, shards_[s].bound)) --s;
    return s;
  }

  std::vector<Shard> shards_;  // at least one
  uint32_t last_ = 0;          // shards_.size() - 1
};

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_INTERNAL_CHILD_INDEX_H_
