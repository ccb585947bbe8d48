// File: resource_id.h
// -----------------------------------------------------------------------------
//
// `ResourceId` is a caller's handle on one node of a `ResourceTree`. It stays
// valid, naming the same node, across every mutation that does not free that
// node (unrelated inserts, removals, adjustments, even moves of the node
// itself). Once the node is freed the id is *stale*: the tree reports it as
// unknown instead of aliasing a later node (the slot's generation changes), so
// a stale handle is an error, never a use-after-free.
//
// An id is only meaningful for the tree that issued it. The default id is
// invalid and never names a node.
//
// Thread-safety: a value type.

#ifndef RESTREE_RESOURCE_TREE_RESOURCE_ID_H_
#define RESTREE_RESOURCE_TREE_RESOURCE_ID_H_

#include <cstdint>
#include <ostream>
#include <utility>

namespace restree {

class ResourceId {
 public:
  constexpr ResourceId() = default;

  constexpr bool valid() const { return generation_ != 0; }

  // A 64-bit encoding (0 for the invalid id), for logs, JSON and maps.
  constexpr uint64_t value() const {
    return (uint64_t{generation_} << 32) | index_;
  }
  static constexpr ResourceId FromValue(uint64_t value) {
    return ResourceId(static_cast<uint32_t>(value),
                      static_cast<uint32_t>(value >> 32));
  }

  friend constexpr bool operator==(ResourceId a, ResourceId b) {
    return a.index_ == b.index_ && a.generation_ == b.generation_;
  }
  friend constexpr bool operator!=(ResourceId a, ResourceId b) {
    return !(a == b);
  }
  friend constexpr bool operator<(ResourceId a, ResourceId b) {
    return a.value() < b.value();
  }
  friend std::ostream& operator<<(std::ostream& os, ResourceId id) {
    return os << "#" << id.index_ << "." << id.generation_;
  }
  template <typename H>
  friend H AbslHashValue(H h, ResourceId id) {
    return H::combine(std::move(h), id.value());
  }

 private:
  friend class ResourceTree;
  constexpr ResourceId(uint32_t index, uint32_t generation)
      : index_(index), generation_(generation) {}

  uint32_t index_ = 0;
  uint32_t generation_ = 0;
};

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_RESOURCE_ID_H_
