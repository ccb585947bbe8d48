// File: lockstep.h
// -----------------------------------------------------------------------------
//
// ResourceTree and the reference KernelModel in lock step, for the
// differential RapidCheck test and the differential fuzzer: the worlds they
// run in (root and kernel profile) and the checks after every operation.
//
// Not thread-safe; one Lockstep per sequence.

#ifndef RESTREE_TESTS_LOCKSTEP_H_
#define RESTREE_TESTS_LOCKSTEP_H_

#include <cstddef>
#include <string>

#include "resource_tree/kernel_profile.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"
#include "tests/tree_ops.h"

namespace restree {
namespace test_support {

// A root and a profile. Choices, so that generators and fuzzers pick the
// same worlds:
//   root_kind  0: the whole 64-bit iomem; 1: a 16-bit ioport root;
//              2: a 16 KiB iomem (every range collides)
//   profile    index into KernelProfile::All()
//   small_gfr_align / low_physmem: make get_free_mem_region() search inside
//              a small generated space instead of far above it
struct World {
  ResourceSpec root;
  KernelProfile profile;
  std::string label;  // "iomem" or "ioport", for trace lines
};
World MakeWorld(int root_kind, size_t profile, bool small_gfr_align,
                bool low_physmem);

class Lockstep {
 public:
  explicit Lockstep(const World& w);

  // Runs `op` on both (ResourceTree as ops::ApplyAsKernel()). Returns ""
  // when they agree on the result, the full dump and /proc/iomem
  // (privileged and not), both invariant checkers are clean, and a failed
  // operation or a query left the tree as it was; otherwise what went
  // wrong, with the trees. An operation the kernel does not have
  // (!ops::InKernel) runs on neither and is counted in skipped().
  std::string Step(const ops::Op& op);
  int skipped() const { return skipped_; }

  const ResourceTree& tree() const { return tree_; }
  // Nodes below the root.
  int size() const { return static_cast<int>(tree_.size()) - 1; }

 private:
  World world_;
  ResourceTree tree_;
  model::KernelModel model_;
  std::string dump_;  // RenderDump(tree_) after the last step
  int skipped_ = 0;
};

}  // namespace test_support
}  // namespace restree

#endif  // RESTREE_TESTS_LOCKSTEP_H_
