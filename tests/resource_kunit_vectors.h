// File: resource_kunit_vectors.h
// -----------------------------------------------------------------------------
//
// The facts that Linux 6.12's KUnit suite for kernel/resource.c
// (kernel/resource_kunit.c: resource_union(), resource_intersection(),
// region_intersects()) checks, as restree test data: range pairs with their
// union and intersection, and a tree of System RAM and CXL windows (built
// under a parent that alloc_free_mem_region() places in the iomem root,
// which is then removed) with region_intersects() queries and their answers.
// Our own encoding of those facts; checked on restree's model under every
// profile (kernel_semantics_test) and on the compiled kernels
// (kil_replay_test).

#ifndef RESTREE_TESTS_RESOURCE_KUNIT_VECTORS_H_
#define RESTREE_TESTS_RESOURCE_KUNIT_VECTORS_H_

#include <optional>
#include <string>
#include <vector>

#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace kunit {

// Two ranges and what the kernel's helpers make of them (either order).
struct RangeVector {
  Range a;
  Range b;
  std::optional<Range> union_;        // nullopt: resource_union() is false
  std::optional<Range> intersection;  // nullopt: false
};
std::vector<RangeVector> RangeVectors();

// The tree of the region_intersects() scenario as trace lines
// (docs/kernel-in-the-loop.md): alloc_free_mem_region() of the 7 MiB parent
// from the iomem root; if `root_base_fails` (kernels without "resource: make
// alloc_free_mem_region() works for iomem_resource", v6.12, whose ascending
// search over the root gives up at address 0 with ERANGE), an
// insert_resource() of the parent where the others place it; then the seven
// resources under it, and the parent's removal (its children move up to the
// root). Every line but the first succeeds.
std::vector<std::string> RegionTree(bool root_base_fails);

// Where the parent lands: alloc_free_mem_region(&iomem_resource, 7M, 1M) on
// an empty tree takes the first 1 MiB-aligned address above 0.
inline constexpr uint64_t kBase = 0x100000;

// The region_intersects() queries on that tree (trace lines, System RAM,
// any desc) and their answers with and without the descendant walk
// (b4afe4183ec7, v6.12; in Debian's 6.1.192 too).
struct RegionQuery {
  std::string line;
  RegionIntersection descendants;
  RegionIntersection top_level_only;
};
std::vector<RegionQuery> RegionQueries();

}  // namespace kunit
}  // namespace restree

#endif  // RESTREE_TESTS_RESOURCE_KUNIT_VECTORS_H_
