// File: tree_ops.h
// -----------------------------------------------------------------------------
//
// One vocabulary of kernel resource-tree operations, applied to any of
// restree's implementations, so that differential tests, fuzzers and the
// kernel-in-the-loop harness speak the same language:
//
//   Op        one call of a kernel/resource.c function with its arguments;
//   OpResult  what came back, in implementation-independent terms;
//   Apply()   runs an Op on a ResourceTree or on the KernelModel.
//
// Nodes are named by their index in the kernel's pre-order walk (the order of
// /proc/iomem lines), never by pointer or id: `-1` is the root, `k >= 0` the
// k-th node below it. An Op's `ref` may be any int; Normalize() folds it into
// range for a tree with `n` nodes below the root, which is how generators
// produce ops that stay meaningful when a sequence is shrunk.
//
// The text form is the trace format of docs/kernel-in-the-loop.md, one op per
// line, e.g.
//   request_resource parent=iomem:3 start=0x1000 end=0x1fff flags=0x200 desc=0 name="A"
// ToString() and ParseOp() are inverses.

#ifndef RESTREE_TESTS_TREE_OPS_H_
#define RESTREE_TESTS_TREE_OPS_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"

namespace restree {
namespace ops {

enum class OpKind {
  kRequestResource,
  kInsertResource,
  kInsertResourceExpandToFit,
  kRemoveResource,
  kReleaseResource,
  kReleaseChildResources,
  kAdjustResource,
  kAllocateResource,
  kReallocateResource,
  kRequestRegion,
  kReleaseRegion,
  kReleaseMemRegionAdjustable,
  kMergeSystemRamResource,
  kRegionIntersects,
  kWalkIomemResDesc,
  kAllocFreeMemRegion,
  kRequestFreeMemRegion,
  kLookupResource,
  kSetFlags,
  // Redesign operations where they coincide with a kernel function; the
  // kernel side (KernelModel, the real resource.c) runs that function:
  //   insert_over: ResourceTree::InsertOver() with nothing splittable, which
  //     is insert_resource() exactly;
  //   grow: ResourceTree::Grow() where it succeeds without adopting a
  //     sibling, which is adjust_resource() to a range containing the old
  //     one; elsewhere Grow() (rolled back) and adjust_resource() differ by
  //     design, and the tree side answers with Adjust().
  kInsertOver,
  kGrow,
};
inline constexpr int kNumOpKinds = static_cast<int>(OpKind::kGrow) + 1;
// The kinds below kNumKernelOpKinds are kernel functions; the others map to
// one through KernelKind().
inline constexpr int kNumKernelOpKinds =
    static_cast<int>(OpKind::kSetFlags) + 1;
OpKind KernelKind(OpKind kind);

// The kernel function name ("request_resource", ...).
absl::string_view OpName(OpKind kind);

// The alignment callbacks an Op can name (functions cannot travel in text).
enum class AlignFn {
  kNone,   // the kernel's simple_align_resource: the aligned gap start
  kUp16k,  // round the aligned gap start up to 16 KiB
};

struct Op {
  OpKind kind = OpKind::kRequestResource;
  int ref = -1;         // parent / target / base, by pre-order index
  uint64_t start = 0;   // range start; walk start
  uint64_t end = 0;     // range end (inclusive) for request/insert; walk end
  uint64_t size = 0;    // adjust/allocate/region/gfr size
  uint64_t min = 0;     // allocate constraint
  uint64_t max = kMaxAddress;
  uint64_t align = 1;
  AlignFn alignf = AlignFn::kNone;
  uint64_t flags = 0;
  uint32_t desc = 0;
  std::string name;
};

// Folds `op.ref` into range for a tree with n nodes below the root: [-1, n)
// for a parent, [0, n) for a target. References already in range are kept.
Op Normalize(Op op, int n);

// The trace line; `root` is the root's label ("iomem" or "ioport").
std::string ToString(const Op& op, absl::string_view root = "iomem");
// Parses a trace line (with or without a leading "> "). Errors name the
// column and the problem.
[[nodiscard]] absl::StatusOr<Op> ParseOp(absl::string_view line);

inline constexpr int kNoNode = -2;  // "no node" in an OpResult

}  // namespace ops

namespace testing {
// The address grid generated and fuzzed addresses sit on, so that ranges
// collide.
inline constexpr uint64_t kGrid = 0x100;
}  // namespace testing

namespace ops {

struct WalkRecord {
  Range range;
  uint64_t flags = 0;
  uint32_t desc = 0;
  int node = kNoNode;
  int parent = kNoNode;
  friend bool operator==(const WalkRecord& a, const WalkRecord& b) {
    return a.range == b.range && a.flags == b.flags && a.desc == b.desc &&
           a.node == b.node && a.parent == b.parent;
  }
};

struct OpResult {
  KernelOutcome outcome = KernelOutcome::kOk;
  int err = 0;
  int conflict = kNoNode;  // pre-order index (-1 root), or kNoNode
  int node = kNoNode;      // created / surviving / looked-up node
  RegionIntersection intersects = RegionIntersection::kDisjoint;
  std::vector<WalkRecord> walk;

  friend bool operator==(const OpResult& a, const OpResult& b) {
    return a.outcome == b.outcome && a.err == b.err &&
           a.conflict == b.conflict && a.node == b.node &&
           a.intersects == b.intersects && a.walk == b.walk;
  }
  friend bool operator!=(const OpResult& a, const OpResult& b) {
    return !(a == b);
  }
  std::string ToString() const;
  // True if the operation changed nothing by contract (a failure or a
  // query).
  bool Failed() const { return outcome != KernelOutcome::kOk; }
};

// Whether `kind` is a query (never changes the tree).
bool IsQuery(OpKind kind);

// Runs `op` (already normalized) on each implementation.
OpResult Apply(ResourceTree& tree, const Op& op);
OpResult Apply(model::KernelModel& model, const Op& op);

}  // namespace ops
}  // namespace restree

#endif  // RESTREE_TESTS_TREE_OPS_H_
