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

#include "absl/strings/str_format.h"
#include "resource_tree/flags.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace kunit {

// Where the parent lands: alloc_free_mem_region(&iomem_resource, 7M, 1M) on
// an empty tree takes the first 1 MiB-aligned address above 0.
inline constexpr uint64_t kBase = 0x100000;

// Two ranges and what the kernel's helpers make of them (either order).
struct RangeVector {
  Range a;
  Range b;
  std::optional<Range> union_;        // nullopt: resource_union() is false
  std::optional<Range> intersection;  // nullopt: false
};

// Header-only: the data is compiled into the two tests that use it.
namespace vectors_internal {

inline constexpr uint64_t kMiB = 0x100000;
inline constexpr uint64_t kPage = 0x1000;
// What __request_region() and insert_resource() are given for RAM.
inline constexpr uint64_t kRamFlags = iores::kSystemRam | iores::kBusy;

// Offsets from kBase:
//   [0, 1M)    System RAM 0
//   [1M, 2M)   hole
//   [2M, 3M)   CXL window 0 (no RAM below it)
//   [3M, 4M)   System RAM 1
//   [4M, 7M)   CXL window 1, holding
//     [4M, 5M)   System RAM 2, holding
//       [4M+128K, 4M+256K) code (System RAM)
//     [5M, 6M)   System RAM 3
//     [6M, 7M)   nothing
inline std::string Region(uint64_t off, uint64_t size, const char* name) {
  return absl::StrFormat(
      "request_region parent=iomem:0 start=%#x size=%#x flags=%#x name=\"%s\"",
      kBase + off, size, kRamFlags, name);
}
inline std::string Insert(uint64_t off, uint64_t size, uint64_t flags,
                          const char* name) {
  return absl::StrFormat(
      "insert_resource parent=iomem:0 start=%#x end=%#x flags=%#x desc=0 "
      "name=\"%s\"",
      kBase + off, kBase + off + size - 1, flags, name);
}

}  // namespace vectors_internal

// The ten pairs of resource_kunit.c's union and intersection cases.
inline std::vector<RangeVector> RangeVectors() {
  const Range r0(0x0000, 0xffff), r1(0x1234, 0x2345), r2(0x4567, 0x5678),
      r3(0x6789, 0x789a), r4(0x2000, 0x7000);
  return {
      // Inside r0: the union is r0, the intersection the inner range.
      {r1, r0, r0, r1},
      {r2, r0, r0, r2},
      {r3, r0, r0, r3},
      {r4, r0, r0, r4},
      // Apart.
      {r2, r1, std::nullopt, std::nullopt},
      {r3, r1, std::nullopt, std::nullopt},
      {r2, r3, std::nullopt, std::nullopt},
      // Overlapping at one end.
      {r4, r1, Range(0x1234, 0x7000), Range(0x2000, 0x2345)},
      {r3, r4, Range(0x2000, 0x789a), Range(0x6789, 0x7000)},
      // Contained in r4.
      {r2, r4, r4, r2},
  };
}

// The tree of the region_intersects() scenario as trace lines
// (docs/kernel-in-the-loop.md): alloc_free_mem_region() of the 7 MiB parent
// from the iomem root; if `root_base_fails` (kernels without "resource: make
// alloc_free_mem_region() works for iomem_resource", v6.12, whose ascending
// search over the root gives up at address 0 with ERANGE), an
// insert_resource() of the parent where the others place it; then the seven
// resources under it, and the parent's removal (its children move up to the
// root). Every line but the first succeeds.
inline std::vector<std::string> RegionTree(bool root_base_fails) {
  using vectors_internal::Insert;
  using vectors_internal::kMiB;
  using vectors_internal::kRamFlags;
  using vectors_internal::Region;
  std::vector<std::string> out = {
      absl::StrFormat("alloc_free_mem_region parent=iomem size=%#x align=%#x "
                      "name=\"test resources\"",
                      7 * kMiB, kMiB),
  };
  if (root_base_fails) {
    out.push_back(absl::StrFormat(
        "insert_resource parent=iomem start=%#x end=%#x flags=%#x desc=0 "
        "name=\"test resources\"",
        kBase, kBase + 7 * kMiB - 1, iores::kMem));
  }
  // Pre-order after each line: the parent is iomem:0, the rest follow.
  const std::vector<std::string> rest = {
      Region(0, kMiB, "Test System RAM 0"),
      Insert(2 * kMiB, kMiB, iores::kMem, "Test CXL Window 0"),
      Region(3 * kMiB, kMiB, "Test System RAM 1"),
      Insert(4 * kMiB, 3 * kMiB, iores::kMem, "Test CXL Window 1"),
      // __request_region() descends into the window.
      Region(4 * kMiB, kMiB, "Test System RAM 2"),
      // insert_resource() descends into the window and then the RAM.
      Insert(4 * kMiB + 0x20000, 0x20000, kRamFlags, "Test Code"),
      Region(5 * kMiB, kMiB, "Test System RAM 3"),
      "remove_resource target=iomem:0",
  };
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

// A region_intersects() query (a trace line) and its answer with and without
// the descendant walk.
struct RegionQuery {
  std::string line;
  RegionIntersection descendants;
  RegionIntersection top_level_only;
};

// The region_intersects() queries on that tree (trace lines, System RAM,
// any desc) and their answers with and without the descendant walk
// (b4afe4183ec7, v6.12; in Debian's 6.1.192 too).
inline std::vector<RegionQuery> RegionQueries() {
  using vectors_internal::kMiB;
  using vectors_internal::kPage;
  using R = RegionIntersection;
  auto q = [](uint64_t off, uint64_t size) {
    return absl::StrFormat(
        "region_intersects start=%#x size=%#x flags=%#x desc=0", kBase + off,
        size, iores::kSystemRam);
  };
  return {
      // RAM 0's first page; its last page and the hole's first.
      {q(0, kPage), R::kIntersects, R::kIntersects},
      {q(kMiB - kPage, 2 * kPage), R::kIntersects, R::kIntersects},
      // The hole; the hole's last page and window 0's first (no RAM).
      {q(kMiB, kPage), R::kDisjoint, R::kDisjoint},
      {q(2 * kMiB - kPage, 2 * kPage), R::kDisjoint, R::kDisjoint},
      // Window 0's last page and RAM 1's first.
      {q(3 * kMiB - kPage, 2 * kPage), R::kMixed, R::kMixed},
      // RAM 1's last page and window 1's first, which RAM 2 covers.
      {q(4 * kMiB - kPage, 2 * kPage), R::kIntersects, R::kMixed},
      // RAM 2's last page and RAM 3's first, both inside window 1.
      {q(5 * kMiB - kPage, 2 * kPage), R::kIntersects, R::kDisjoint},
      // The code, two levels down.
      {q(4 * kMiB + 0x20000, kPage), R::kIntersects, R::kDisjoint},
      // RAM 2 and RAM 3's first page.
      {q(4 * kMiB, kMiB + kPage), R::kIntersects, R::kDisjoint},
      // RAM 3 and the page of window 1 above it, which no RAM covers.
      {q(5 * kMiB, kMiB + kPage), R::kMixed, R::kDisjoint},
  };
}

}  // namespace kunit
}  // namespace restree

#endif  // RESTREE_TESTS_RESOURCE_KUNIT_VECTORS_H_
