// File: domain_invariants.h
// -----------------------------------------------------------------------------
//
// The domain rules of the reference semantics ("Invariants" 13 and 14),
// which hold for trees that Linux's memory-hotplug and CXL code build but
// are not enforced by kernel/resource.c itself. `ResourceTree::
// CheckInvariants()` covers the structural invariants 1-8; this covers:
//
//   13 (memory hotplug): a driver-managed "System RAM (...)" node is
//      SYSTEM_RAM|BUSY|SYSRAM_DRIVER_MANAGED, and its range starts and ends
//      on memory-block boundaries;
//   14 (CXL): a "CXL Window N" node is MEM with desc IORES_DESC_CXL; a
//      "regionN" below a window is its direct child (or separated from it
//      only by what the drivers insert there: cxl_pmem's "Persistent
//      Memory" on the region's own range, "Soft Reserved"), 256 MiB aligned
//      and a multiple of 256 MiB long (times the interleave ways, which the
//      tree does not record).
//
// Invariants 9-12 are about operations, not states (a failed mutation
// leaves no trace, children hoisted in order, request_region never adopts,
// flags inherited at request time); the differential and scenario tests
// check those.
//
// Nodes are recognised by name, so the rules also apply to a tree parsed
// from /proc/iomem; there flags are unknown and `check_flags` should be off.
//
// Complexity O(n log n). Thread-safety: reads the tree only.

#ifndef RESTREE_RESOURCE_TREE_DOMAIN_INVARIANTS_H_
#define RESTREE_RESOURCE_TREE_DOMAIN_INVARIANTS_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "resource_tree/resource_tree.h"

namespace restree {

// How nodes are recognised by name, here and in the /proc/iomem summaries
// (iomem_parser/diff.h). Numbers are one or more decimal digits.
bool IsCxlWindowName(absl::string_view name);       // "CXL Window N"
bool IsRegionName(absl::string_view name);          // "regionN"
bool IsDaxName(absl::string_view name);             // "daxN.M"
bool IsDriverManagedRamName(absl::string_view name);  // "System RAM (...)"
bool IsSystemRamName(absl::string_view name);  // "System RAM" or the above

struct DomainRules {
  // memory_block_size_bytes(); 0 skips the alignment rule.
  uint64_t memory_block_size = uint64_t{128} << 20;
  // Check flags and desc (off for trees parsed from text).
  bool check_flags = true;
};

std::vector<InvariantViolation> CheckDomainInvariants(
    const ResourceTree& tree, const DomainRules& rules = {});

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_DOMAIN_INVARIANTS_H_
