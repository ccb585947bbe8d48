// File: render.h
// -----------------------------------------------------------------------------
//
// Renders a topology and its tiering for people and programs: an aligned
// text report, JSON (schema in docs/tiering.md, "JSON"), and a Graphviz
// digraph of the tiers with demotion and promotion edges.
//
// Also compares a computed tiering with the tiers a live kernel shows in
// /sys/devices/virtual/memory_tiering/ (ReadSysroot() collects them).
//
// Output is deterministic: nodes and tiers in ascending order, no
// addresses or timestamps. Complexity is linear in the output size (the
// distance matrix and fallback lists are n^2).
//
// Thread-safety: pure functions of their arguments.

#ifndef RESTREE_NUMA_RENDER_H_
#define RESTREE_NUMA_RENDER_H_

#include <map>
#include <string>
#include <vector>

#include "numa/node_mask.h"
#include "numa/tiering.h"
#include "numa/topology.h"

namespace restree {
namespace numa {

// One difference between the kernel's tiers (memory_tierN -> nodelist) and
// `tiering`'s, as a sentence; empty when they agree.
std::vector<std::string> CompareKernelTiers(
    const Tiering& tiering, const std::map<int, NodeMask>& kernel_tiers);

// `notes` are extra lines for the warnings section (e.g. the output of
// CompareKernelTiers()).
std::string RenderText(const Topology& topology, const Tiering& tiering,
                       const std::vector<std::string>& notes);
std::string RenderJson(const Topology& topology, const Tiering& tiering,
                       const std::vector<std::string>& notes);
std::string RenderDot(const Topology& topology, const Tiering& tiering);

}  // namespace numa
}  // namespace restree

#endif  // RESTREE_NUMA_RENDER_H_
