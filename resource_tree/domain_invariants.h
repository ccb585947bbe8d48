// File: domain_invariants.h
// -----------------------------------------------------------------------------
//
// The domain rules of the reference semantics ("Invariants" 13 and 14) and
// the driver chains of docs/driver-chains.md: what Linux's CXL, nvdimm,
// device-DAX, kmem, dax_hmem and e820 code put into iomem, and where. They
// hold for trees those drivers build but are not enforced by
// kernel/resource.c itself. `ResourceTree::CheckInvariants()` covers the
// structural invariants 1-8; this covers:
//
//   13 (memory hotplug): a driver-managed "System RAM (...)" node is
//      SYSTEM_RAM|BUSY|SYSRAM_DRIVER_MANAGED, and its range starts and ends
//      on memory-block boundaries;
//   14 (CXL): a "CXL Window N" node is MEM with desc IORES_DESC_CXL; a
//      "regionN" in a window is 256 MiB aligned and a multiple of 256 MiB
//      long (times the interleave ways, which the tree does not record);
//   nesting: every node of a kind a driver chain makes (`NodeKind`) sits
//      directly under a parent of a kind that some chain of the kernel
//      profile puts it under (`DriverChainNestings()`, one entry per chain,
//      naming the chain and its source). This is the knowledge the hotplug
//      applier (hotplug/machine.h) follows, in one table both can read;
//   defects seen in the field (`DomainFinding::rule`): a CXL window that
//      is not 256 MiB aligned and holds PCI buses (error); dax_hmem holding
//      part of a window beside a region (warning); kmem memory stranded
//      directly under a window after a region teardown (warning); a CXL
//      window overlapping a PCI host bridge's window otherwise (warning);
//      Soft Reserved inside Soft Reserved (warning).
//
// Invariants 9-12 are about operations, not states (a failed mutation
// leaves no trace, children hoisted in order, request_region never adopts,
// flags inherited at request time); the differential and scenario tests
// check those.
//
// Nodes are recognised by name, so the rules also apply to a tree parsed
// from /proc/iomem; there flags are unknown and `check_flags` should be off.
//
// Complexity: O(n log n) with n nodes (O(n) on a tree from TreeBuilder).
// Iterative: input depth never becomes stack depth. Thread-safety: reads
// the tree only; the table is immutable.

#ifndef RESTREE_RESOURCE_TREE_DOMAIN_INVARIANTS_H_
#define RESTREE_RESOURCE_TREE_DOMAIN_INVARIANTS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/resource_tree.h"

namespace restree {

// How nodes are recognised by name, here and in the /proc/iomem summaries
// (iomem_parser/summary.h). Numbers are one or more decimal digits.
bool IsCxlWindowName(absl::string_view name);         // "CXL Window N"
bool IsRegionName(absl::string_view name);            // "regionN"
bool IsDaxName(absl::string_view name);               // "daxN.M"
bool IsDriverManagedRamName(absl::string_view name);  // "System RAM (...)"
bool IsSystemRamName(absl::string_view name);  // "System RAM" or the above

// The kinds of node the driver chains make, by name.
enum class NodeKind : uint8_t {
  kOther,         // anything else (firmware ranges, devices, System RAM)
  kRoot,          // the tree's root ("PCI mem" for iomem)
  kCxlWindow,     // "CXL Window N": cxl_acpi's public twin of a CFMWS
  kCxlChunk,      // "CXL chunk": restree's chunked window (redesign)
  kRegion,        // "regionK": a CXL region's HPA (only inside a window)
  kCxlPmem,       // "Persistent Memory": cxl_pmem, NFIT, e820 type 7
  kLegacyPmem,    // "Persistent Memory (legacy)": e820 PRAM (memmap=S!A)
  kSoftReserved,  // "Soft Reserved": e820 (EFI_MEMORY_SP), hmem (7.1)
  kHmem,          // "hmem.N": 6.1 dax_hmem's platform device resource
  kNamespace,     // "namespaceX.Y": nvdimm raw/fsdax/devdax busy node
  kDax,           // "daxX.Y": device_dax (busy) or kmem (SYSTEM_RAM)
  kKmemRam,       // "System RAM (kmem)": add_memory_driver_managed
  kPciBus,        // "PCI Bus ...": a host bridge or bridge window
};
// The kind a name gives. (`CheckDomain()` treats a "regionK" outside any
// CXL window as kOther: there it is not a CXL region's name.)
NodeKind KindOfName(absl::string_view name);
// "CXL Window N", "regionK", ... (the name pattern), "the root", "another
// resource".
absl::string_view NodeKindName(NodeKind kind);

// The kernels whose driver chains differ (a bit set). Debian 6.1 (6.1.192)
// and Linux 6.12 are read from source; 7.x is the Soft Reserved rework of
// 2025-26 (7.0 deferral, 7.1 hmem/CXL arbitration), mostly reported.
enum ChainProfileBits : uint8_t {
  kChains61 = 1,   // debian-6.1, linux-6.1
  kChains612 = 2,  // linux-6.12
  kChains7 = 4,    // linux-7.0 and later
  kChainsAny = kChains61 | kChains612 | kChains7,
};
using ChainProfiles = uint8_t;
// The chain profile of a kernel profile (by its name: "...-6.1",
// "...-6.12", "linux-7..."); nullopt for a profile the table does not know.
std::optional<ChainProfiles> ChainProfilesOf(const KernelProfile& profile);
// "debian-6.1", "linux-6.12", "linux-7.x" (7.0 and 7.1), or several joined by
// ", "
// ("any profile" for kChainsAny).
std::string ChainProfilesName(ChainProfiles profiles);

// One nesting a driver chain produces: `child` directly under `parent`.
struct ChainNesting {
  NodeKind parent;
  NodeKind child;
  ChainProfiles profiles;
  // Only when the parent's range is the child's (cxl_pmem's "Persistent
  // Memory" inserted over a region, or over a window it fills).
  bool same_range;
  // The chain, its source and how sure (docs/driver-chains.md tags).
  const char* chain;
};
// Every nesting, grouped by child. A node whose kind has no entry as a
// child (kOther, kRoot, kPciBus) is not constrained.
const std::vector<ChainNesting>& DriverChainNestings();
// The entry that allows `child` under `parent` for one of `profiles`, or
// null. `same_range`: the two nodes' ranges are equal.
const ChainNesting* FindChainNesting(NodeKind parent, NodeKind child,
                                     bool same_range, ChainProfiles profiles);
// Whether `DriverChainNestings()` constrains the parent of `kind`.
bool IsChainChild(NodeKind kind);

struct DomainRules {
  // memory_block_size_bytes(); 0 skips the alignment rule.
  uint64_t memory_block_size = uint64_t{128} << 20;
  // Check flags and desc (off for trees parsed from text).
  bool check_flags = true;
  // The kernels whose chains are accepted: a nesting is an error only if
  // none of them produces it; rules that differ between kernels apply only
  // if they hold in all of them.
  ChainProfiles profiles = kChainsAny;
};

// One finding of `CheckDomain()`.
struct DomainFinding {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  InvariantViolation::Kind kind = InvariantViolation::Kind::kCxl;
  // "kmem-flags", "kmem-block-alignment", "kmem-range", "cxl-window-flags",
  // "region-alignment", "nesting", "cxl-window-over-pci-bus" (errors);
  // "cxl-window-pci-overlap", "hmem-beside-region", "stranded-kmem",
  // "soft-reserved-overlap" (warnings). docs/cli.md describes each.
  std::string rule;
  // The node the finding is about first, then the other node involved.
  std::vector<ResourceId> nodes;
  std::string message;
};

// Every finding, in pre-order of the node it is about (a rule that needs
// the whole window reports after it). Complexity as above plus O(k) for
// the findings.
std::vector<DomainFinding> CheckDomain(const ResourceTree& tree,
                                       const DomainRules& rules = {});

// CheckDomain() for several profile sets in one walk of the tree: element k
// is CheckDomain(tree, rules with profiles = each[k]). What `restree check`
// uses to find the kernel a dump fits; about the cost of one CheckDomain()
// plus the profile-dependent rules per profile set.
std::vector<std::vector<DomainFinding>> CheckDomainEach(
    const ResourceTree& tree, const DomainRules& rules,
    const std::vector<ChainProfiles>& each);

// CheckDomainEach() on a stream of nodes instead of a tree: whether any
// rule of any profile set in `each` finds anything, without making
// messages. The nodes come in pre-order, as a dump's lines give them, and
// form whole subtrees of the root (the root's other subtrees may go to
// other instances: no rule looks across two top-level subtrees); `depth`
// is a node's level below the root, 0 for a child of the root. Streamed
// nodes have no flags or desc: with `rules.check_flags` every CXL window
// and driver-managed RAM is a finding. `restree check` uses it on a dump it
// reads without building a tree, and builds the tree for the findings when
// there are any. Visit() is amortised O(1) plus the profile sets; memory
// O(depth) plus the hmem candidates seen. Not thread-safe; instances are
// independent.
class DomainStreamCheck {
 public:
  DomainStreamCheck(const Range& root_range, absl::string_view root_name,
                    const DomainRules& rules, std::vector<ChainProfiles> each);
  ~DomainStreamCheck();
  DomainStreamCheck(const DomainStreamCheck&) = delete;
  DomainStreamCheck& operator=(const DomainStreamCheck&) = delete;

  void Visit(int depth, const Range& range, absl::string_view name);
  // After the last node: true iff some rule found something (in the tree
  // of these nodes, CheckDomainEach() would return a finding).
  [[nodiscard]] bool Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The errors of `CheckDomain()` as invariant violations (warnings left
// out): what must hold after every applier event.
std::vector<InvariantViolation> CheckDomainInvariants(
    const ResourceTree& tree, const DomainRules& rules = {});

absl::string_view SeverityName(DomainFinding::Severity severity);

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_DOMAIN_INVARIANTS_H_
