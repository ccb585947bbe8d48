// File: tiers.h
// -----------------------------------------------------------------------------
//
// The NUMA view of a hotplug `Machine` (machine.h), for `restree apply
// --tiers`: which nodes have memory after each event, and how Linux tiers
// them (the numa package: memory tiers, demotion targets, restree's proposed
// promotion targets).
//
//   MachineTopology(machine, attrs)  the numa::Topology the machine's online
//                                    memory blocks give, plus optional node
//                                    attribute text (performance, CPUs...);
//   TierWatcher                      remembers the last topology summary and
//                                    renders the tiering when it changes.
//
// The machine's nodes: node 0 holds the boot CPU (CPU 0); every node with
// an online memory block is N_MEMORY. A node whose online memory is all
// kmem-onlined (dax/kmem) is tiered as dax/kmem memory (kmem's
// init_node_memory_type() only sets a type on a node that has none yet);
// any boot or ACPI-added block makes it boot DRAM. Distances are the
// kernel's defaults (10 / 20) unless the attribute text sets performance;
// node attribute text is numa/parse.h's (docs/tiering.md).
//
// Thread-safety: MachineTopology() is a pure function; a TierWatcher is
// thread-compatible.

#ifndef RESTREE_HOTPLUG_TIERS_H_
#define RESTREE_HOTPLUG_TIERS_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hotplug/machine.h"
#include "numa/topology.h"

namespace restree {
namespace hotplug {

// The topology of `machine`'s online memory (see the file comment), with
// `attrs` (node attribute text, may be empty; `attrs_file` names it in
// errors) applied on top. Errors: a node id the numa package cannot hold,
// or an error in `attrs` (FILE:LINE:COL). O(b) for b present blocks, plus
// the attribute text.
[[nodiscard]] absl::StatusOr<numa::Topology> MachineTopology(
    const Machine& machine, absl::string_view attrs,
    absl::string_view attrs_file);

// Tracks the machine's nodes across events. After() returns the tiering
// summary when the set of memory nodes, their sizes, sources or zones
// changed since the previous call (always on the first call), and "" when
// nothing changed. A node that had memory stays listed (memoryless) after
// its memory is removed, as the kernel keeps it online. The summary is a few
// lines, each indented by two spaces:
//   nodes: 0 (boot DRAM, 4 GiB, cpu) 1 (dax/kmem, 2 GiB)
//   tiers: memory_tier4 (512-639) 0 | memory_tier22 (2816-2943) 1
//   demotion: 0 -> 1 (preferred 1)
//   promotion (proposal): 1 -> 0
// followed by one "warning [kind]: message" line per tiering warning.
class TierWatcher {
 public:
  TierWatcher(std::string attrs, std::string attrs_file)
      : attrs_(std::move(attrs)), attrs_file_(std::move(attrs_file)) {}

  // Errors: those of MachineTopology() and numa::ComputeTiering().
  [[nodiscard]] absl::StatusOr<std::string> After(const Machine& machine);

 private:
  std::string attrs_;
  std::string attrs_file_;
  std::string last_key_;
  std::set<int> seen_;  // every node that ever had memory (stays online)
  bool first_ = true;
};

}  // namespace hotplug
}  // namespace restree

#endif  // RESTREE_HOTPLUG_TIERS_H_
