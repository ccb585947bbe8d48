// File: kernel_model.h
// -----------------------------------------------------------------------------
//
// `KernelModel` is restree's reference model of kernel/resource.c: a second,
// deliberately plain implementation that keeps the kernel's own data layout
// (every node has `parent`, `sibling` and `child` pointers; siblings form a
// singly linked list sorted by start) and follows the reference semantics
// (../shared/reference/linux-resource-semantics.md §2) step by step, with
// linear scans everywhere. It exists to be obviously right, not fast:
//
//   * differential tests run every operation on it and on `ResourceTree`
//     and require the same outcome, errno, conflict and tree;
//   * the kernel-in-the-loop test holds it against a real kernel's
//     resource.c compiled in user space;
//   * benchmarks use it as "what the kernel's algorithm costs".
//
// NEVER use it outside tests (the target is testonly). It shares no code with
// ResourceTree except constants, the KernelProfile and KernelOutcome, so that
// a misreading of the reference in one is not silently repeated in the other.
//
// Like ResourceTree, it refuses (KernelOutcome::kContractViolation, no
// change) the inputs where the kernel would corrupt its tree, loop forever or
// dereference NULL; docs/kernel-semantics.md lists them.
//
// Pointers to nodes stay valid until the node is freed by an operation.
// Thread-compatible.

#ifndef RESTREE_TESTS_KERNEL_MODEL_H_
#define RESTREE_TESTS_KERNEL_MODEL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "resource_tree/kernel_profile.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace model {

// The kernel's struct resource.
struct Res {
  uint64_t start = 0;
  uint64_t end = 0;
  std::string name;
  uint64_t flags = 0;
  uint32_t desc = 0;
  Res* parent = nullptr;
  Res* sibling = nullptr;
  Res* child = nullptr;
};

// What an operation returned, in the kernel's terms.
struct Result {
  KernelOutcome outcome = KernelOutcome::kOk;
  int err = 0;              // positive errno, 0 if none
  Res* conflict = nullptr;  // the reported conflict, if any
  Res* node = nullptr;      // the created (or surviving) node, if any
};

struct WalkHit {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t flags = 0;
  uint32_t desc = 0;
  Res* node = nullptr;
  Res* parent = nullptr;
};

class KernelModel {
 public:
  // A tree whose root is `root` (name, range, flags, desc).
  KernelModel(const ResourceSpec& root, KernelProfile profile);
  ~KernelModel();
  KernelModel(const KernelModel&) = delete;  // owns raw-linked nodes
  KernelModel& operator=(const KernelModel&) = delete;

  Res* root() { return root_; }
  const KernelProfile& profile() const { return profile_; }

  // The nodes below the root in /proc/iomem order.
  std::vector<Res*> Preorder() const;

  Result RequestResource(Res* parent, const ResourceSpec& spec);
  Result InsertResource(Res* parent, const ResourceSpec& spec);
  Result InsertResourceExpandToFit(Res* root, const ResourceSpec& spec);
  Result RemoveResource(Res* old);
  Result ReleaseResource(Res* old);
  Result ReleaseChildResources(Res* r);
  Result AdjustResource(Res* res, uint64_t start, uint64_t size);
  Result AllocateResource(Res* root, const ResourceSpec& spec, uint64_t size,
                          const AllocConstraint& c);
  Result ReallocateResource(Res* old, uint64_t size, const AllocConstraint& c);
  Result RequestRegion(Res* parent, uint64_t start, uint64_t n,
                       const std::string& name, uint64_t flags);
  Result ReleaseRegion(Res* parent, uint64_t start, uint64_t n);
  Result ReleaseMemRegionAdjustable(uint64_t start, uint64_t size);
  Result MergeSystemRamResource(Res* res);
  // `dry_run`: stop at the first free candidate without placing anything
  // (to learn last_gfr_candidates() first).
  Result GetFreeMemRegion(Res* base, uint64_t size, uint64_t align,
                          const std::string& name, uint32_t desc,
                          bool descending, bool request_region,
                          bool dry_run = false);
  Result SetFlags(Res* res, uint64_t flags);

  // How many candidates the kernel's loop would have tried in the last
  // GetFreeMemRegion() (the model skips through taken stretches; the kernel
  // walks them one step at a time). Saturates at 2^64-1. The kernel-in-the-
  // loop harness asks with a dry run and keeps searches the kernel would
  // spend minutes on away from it.
  uint64_t last_gfr_candidates() const { return last_gfr_candidates_; }

  RegionIntersection RegionIntersects(uint64_t start, uint64_t size,
                                      uint64_t flags, uint32_t desc) const;
  // The callbacks of walk_iomem_res_desc(); `*outcome` is kContractViolation
  // where the kernel would loop forever.
  std::vector<WalkHit> WalkIomemResDesc(uint32_t desc, uint64_t flags,
                                        uint64_t start, uint64_t end,
                                        KernelOutcome* outcome) const;
  Res* LookupResource(Res* root, uint64_t start) const;

  // The same text as RenderProcIomem() / RenderDump() would give for an
  // equal ResourceTree, written independently.
  std::string RenderProc(int max_depth, bool zero_addresses) const;
  std::string Dump() const;

  // Plain structural checks: links, order, disjointness, containment, valid
  // ranges. Empty if consistent.
  std::vector<std::string> CheckInvariants() const;

 private:
  // The redesign operations' model builds on these nodes (NewRes/FreeRes and
  // the set of live nodes, to forget chunk sizes of freed ones).
  friend class RedesignModel;

  Res* NewRes(uint64_t start, uint64_t end, const std::string& name,
              uint64_t flags, uint32_t desc);
  void FreeRes(Res* r);
  void FreeTree(Res* r);  // r and all its descendants

  // __request_resource(): links `n` or returns the conflict.
  Res* RequestCore(Res* root, Res* n);
  // __release_resource().
  int ReleaseCore(Res* old, bool release_child);
  // The checks of __insert_resource() done without linking; returns the
  // conflict or nullptr, and where the node would go.
  Res* InsertCore(Res* parent, Res* n);
  int AdjustCore(Res* res, uint64_t start, uint64_t size);
  int FindResource(Res* root, Res* old, Res* out, uint64_t size,
                   const AllocConstraint& c) const;
  uint64_t NextCandidate(Res* base, uint64_t addr, uint64_t size, uint64_t step,
                         uint64_t limit, bool descending,
                         uint64_t* steps) const;

  KernelProfile profile_;
  Res* root_ = nullptr;
  std::unordered_set<Res*> live_;
  uint64_t last_gfr_candidates_ = 0;
};

}  // namespace model
}  // namespace restree

#endif  // RESTREE_TESTS_KERNEL_MODEL_H_
