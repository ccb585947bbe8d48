// File: redesign_model.h
// -----------------------------------------------------------------------------
//
// `RedesignModel` is the reference model of ResourceTree's redesign
// operations (resource_tree.h, "Redesign operations"): Reparent, InsertOver,
// Grow, Shrink, the CFMWS chunk operations and the chunk allocation fence.
// It wraps the kernel reference model `KernelModel` (same `Res` nodes, same
// linked lists) and adds those operations, written from the header's text
// alone and as plainly as possible: every operation first collects what it
// needs into vectors, checks every error in the order the specification
// gives, and only then relinks, so that a failure cannot leave anything
// half-done. Nothing here is fast (linear scans, vectors of children); it
// exists to be obviously right, for differential tests against ResourceTree.
//
// The kernel-compatible operations are forwarded to KernelModel unchanged,
// except that the creating ones (Request, Insert, InsertExpandToFit,
// Allocate, RequestRegion, GetFreeMemRegion and its wrappers) obey the chunk
// fence: when it is on and KernelModel's result would put the new node inside
// a chunk or make it adopt one, the node is taken out again (RemoveResource
// is the exact inverse of an insert) and the call fails with EBUSY naming
// that chunk.
//
// Node identity: a node keeps its `Res*` for as long as it lives. Redesign
// operations allocate every new node before they free any old one, so within
// one call a freed address is never handed out again and "same pointer
// before and after" means "same node" (tests compare created/freed sets).
//
// Choices where the specification is silent or ambiguous are marked
// "Choice:" below; the differential test holds ResourceTree to them.
//
// NEVER use outside tests (the target is testonly). Thread-compatible.

#ifndef RESTREE_TESTS_REDESIGN_MODEL_H_
#define RESTREE_TESTS_REDESIGN_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "resource_tree/kernel_profile.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"

namespace restree {
namespace model {

// A Result plus the count that ReserveChunks(), ReturnToChunks() and
// ReleaseUnusedChunks() return on success.
struct CountResult {
  Result result;
  size_t count = 0;
};

class RedesignModel {
 public:
  RedesignModel(const ResourceSpec& root, KernelProfile profile);
  RedesignModel(const RedesignModel&) = delete;
  RedesignModel& operator=(const RedesignModel&) = delete;

  Res* root() { return kernel_.root(); }
  const KernelProfile& profile() const { return kernel_.profile(); }
  // The nodes below the root in /proc/iomem order.
  std::vector<Res*> Preorder() const { return kernel_.Preorder(); }
  // KernelModel's texts (the same as RenderDump() / RenderProcIomem() give
  // for an equal ResourceTree).
  std::string Dump() const { return kernel_.Dump(); }
  std::string RenderProc(int max_depth, bool zero_addresses) const {
    return kernel_.RenderProc(max_depth, zero_addresses);
  }
  // The kernel model underneath, for the queries (region_intersects,
  // walk_iomem_res_desc, lookup_resource), which the redesign does not
  // change.
  const KernelModel& kernel() const { return kernel_; }
  // The same, for KernelModel's dry runs (GetFreeMemRegion(..., dry_run));
  // changing the tree through it bypasses the chunk bookkeeping.
  KernelModel& kernel_for_dry_runs() { return kernel_; }
  // KernelModel's structural checks, plus: every recorded chunk size
  // belongs to a live node.
  std::vector<std::string> CheckInvariants() const;

  // ---------------------------------------------------------------------------
  // Chunks and the fence.

  static constexpr const char* kChunkName = "CXL chunk";
  static bool IsChunk(const Res* r) {
    return (r->flags & iores::kRestreeChunk) != 0;
  }
  // The chunk size ReserveChunks() last recorded for `window`, or 0.
  uint64_t ChunkSizeOf(const Res* window) const;
  void set_chunk_fence(bool on) { chunk_fence_ = on; }
  bool chunk_fence() const { return chunk_fence_; }

  // ---------------------------------------------------------------------------
  // Kernel-compatible operations that create a node: KernelModel's, then the
  // fence.

  Result Request(Res* parent, const ResourceSpec& spec);
  Result Insert(Res* parent, const ResourceSpec& spec);
  Result InsertExpandToFit(Res* root, const ResourceSpec& spec);
  Result Allocate(Res* root, const ResourceSpec& spec, uint64_t size,
                  const AllocConstraint& c);
  Result RequestRegion(Res* parent, uint64_t start, uint64_t n,
                       const std::string& name, uint64_t flags);
  Result GetFreeMemRegion(Res* base, uint64_t size, uint64_t align,
                          const std::string& name, uint32_t desc,
                          bool descending, bool request_region);
  // alloc_free_mem_region() / request_free_mem_region(), as ResourceTree's
  // wrappers call GetFreeMemRegion().
  Result AllocFreeMemRegion(Res* base, uint64_t size, uint64_t align,
                            const std::string& name);
  Result RequestFreeMemRegion(Res* base, uint64_t size,
                              const std::string& name);

  // Kernel-compatible operations the fence does not concern: KernelModel's
  // (chunk sizes of nodes they free are forgotten).
  Result Remove(Res* old);
  Result Release(Res* old);
  Result ReleaseChildren(Res* r);
  Result Adjust(Res* res, uint64_t start, uint64_t size);
  Result Reallocate(Res* old, uint64_t size, const AllocConstraint& c);
  Result ReleaseRegion(Res* parent, uint64_t start, uint64_t n);
  Result ReleaseMemRegionAdjustable(uint64_t start, uint64_t size);
  Result MergeSystemRam(Res* res);
  Result SetFlags(Res* res, uint64_t flags);

  // ---------------------------------------------------------------------------
  // Redesign operations (resource_tree.h has the specification of each).

  Result Reparent(Res* id, Res* new_parent);
  // `splittable`: SplitPolicy::splittable, names matched by exact text.
  Result InsertOver(Res* parent, const ResourceSpec& spec,
                    const std::vector<std::string>& splittable);
  Result Grow(Res* id, const Range& new_range, bool grow_ancestors);
  Result Shrink(Res* id, const Range& new_range);
  CountResult ReserveChunks(Res* window, const ChunkGeometry& geometry);
  Result ClaimChunks(Res* window, const ResourceSpec& spec);
  CountResult ReturnToChunks(Res* id);
  CountResult ReleaseUnusedChunks(Res* window, bool shrink);

 private:
  // The fence after a successful creating call: if `r.node` lies inside a
  // chunk or adopted one, takes it out again and fails naming the chunk.
  Result Fence(Result r);
  // Forgets the chunk sizes of nodes KernelModel has freed.
  void ForgetFreed();
  // Frees `r` alone (its children must have been relinked elsewhere).
  void FreeOne(Res* r);
  // New chunks covering `r`, one per slot of `window`'s chunk grid
  // (`chunk_size` bytes counted from window->start) that `r` touches, in
  // order, unlinked.
  std::vector<Res*> MakeChunks(const Res* window, uint64_t chunk_size,
                               const Range& r);

  KernelModel kernel_;
  // The chunk `p` is or lies in, as the fence sees it (null if none).
  Res* EnclosingChunk(Res* p) const;

  bool chunk_fence_ = true;
  std::unordered_map<const Res*, uint64_t> chunk_size_;
};

}  // namespace model
}  // namespace restree

#endif  // RESTREE_TESTS_REDESIGN_MODEL_H_
