// File: node_mask.h
// -----------------------------------------------------------------------------
//
// `NodeMask` is the kernel's `nodemask_t`: a fixed-size set of NUMA node ids
// 0 .. kMaxNumNodes-1. restree models a kernel built with CONFIG_NODES_SHIFT=10
// (MAX_NUMNODES = 1024, the x86_64 distribution default), so every mask is a
// 1024-bit bitmap of 128 bytes and every operation on it is O(1024 / 64).
//
// Node lists are printed and parsed in the kernel's "%*pbl" form, as in
// /sys/devices/system/node/has_memory and memory_tierN/nodelist: ascending,
// comma-separated, every run of two or more consecutive nodes written "a-b":
// "0-1,4,6-9".
//
// Thread-safety: a value type; safe to share between threads.

#ifndef RESTREE_NUMA_NODE_MASK_H_
#define RESTREE_NUMA_NODE_MASK_H_

#include <bitset>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace restree {
namespace numa {

// MAX_NUMNODES for CONFIG_NODES_SHIFT=10.
inline constexpr int kMaxNumNodes = 1024;
// NUMA_NO_NODE.
inline constexpr int kNoNode = -1;

class NodeMask {
 public:
  NodeMask() = default;
  // A mask of `nodes`. Precondition: each is in [0, kMaxNumNodes).
  static NodeMask Of(const std::vector<int>& nodes);

  // Precondition for the node-taking methods: 0 <= node < kMaxNumNodes.
  void Set(int node) { bits_.set(static_cast<size_t>(node)); }
  void Clear(int node) { bits_.reset(static_cast<size_t>(node)); }
  bool Test(int node) const { return bits_.test(static_cast<size_t>(node)); }

  bool Empty() const { return bits_.none(); }
  int Count() const { return static_cast<int>(bits_.count()); }
  // The lowest node, or kNoNode when empty.
  int First() const;
  // The nodes, ascending.
  std::vector<int> ToVector() const;
  // "0-1,4" (empty string for the empty mask).
  std::string ToString() const;

  NodeMask& operator|=(const NodeMask& o) {
    bits_ |= o.bits_;
    return *this;
  }
  NodeMask& operator&=(const NodeMask& o) {
    bits_ &= o.bits_;
    return *this;
  }
  // nodes_andnot(): removes every node of `o`.
  NodeMask& AndNot(const NodeMask& o) {
    bits_ &= ~o.bits_;
    return *this;
  }
  friend NodeMask operator|(NodeMask a, const NodeMask& b) { return a |= b; }
  friend NodeMask operator&(NodeMask a, const NodeMask& b) { return a &= b; }
  friend bool operator==(const NodeMask& a, const NodeMask& b) {
    return a.bits_ == b.bits_;
  }
  friend bool operator!=(const NodeMask& a, const NodeMask& b) {
    return !(a == b);
  }

 private:
  std::bitset<kMaxNumNodes> bits_;
};

// Parses a kernel node list ("0-3,5", "" or "\n" for none; surrounding
// whitespace ignored). Errors (kInvalidArgument / kOutOfRange) name `what` and
// the 1-based column of the offending character: "FILE:1:3: ...".
[[nodiscard]] absl::StatusOr<NodeMask> ParseNodeList(absl::string_view text,
                                                     absl::string_view what);

// The same grammar for CPU lists; ids up to `max_id` (inclusive). Returns the
// ids ascending. Used for cpulist files, where ids are not node ids.
[[nodiscard]] absl::StatusOr<std::vector<int>> ParseIdList(
    absl::string_view text, int max_id, absl::string_view what);

// Formats ascending, duplicate-free ids as a list ("0-3,8").
std::string FormatIdList(const std::vector<int>& ids);

}  // namespace numa
}  // namespace restree

#endif  // RESTREE_NUMA_NODE_MASK_H_
