// File: report.h
// -----------------------------------------------------------------------------
//
// What `restree pool` prints about a finished `Pool` run (docs/pool.md,
// "Output"): the per-event log, the per-host summary table, every host's
// final /proc/iomem, one JSON document (schema restree.pool/1,
// docs/json.md), and an SVG plot of each host's memory over time.
//
// Thread-safety: pure functions of the pool.

#ifndef RESTREE_APPLIANCE_REPORT_H_
#define RESTREE_APPLIANCE_REPORT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "appliance/pool.h"

namespace restree {
namespace appliance {

// One line per log entry: "t=TICK HOST: KIND: text[ (ERRNO)]".
std::string RenderLog(const Pool& pool);

// The appliance line and a table, one row per host: local RAM, granted
// now and at peak, usable now, demand now, grants done/failed, revokes
// done/failed, warnings, hotplug events, mean/max grant latency (events,
// ticks), near-OOM ticks and intervals; shared mode: allocations and
// messages.
std::string RenderSummary(const Pool& pool);

// For every host: "# host NAME: /proc/iomem" and its final tree, then
// "# host NAME: NUMA nodes and memory tiers" and the tiering of its final
// online memory (hotplug::TierWatcher's summary: the appliance's memory on
// the host's node is dax/kmem, tiered below DRAM).
std::string RenderTrees(const Pool& pool);

// The tiering summary of host `h`'s final machine (TierWatcher's text).
std::string RenderTiers(const Pool& pool, size_t h);

// Everything as JSON: scenario name, mode, appliance, hosts (stats, OOM
// intervals, samples, final /proc/iomem), the log.
std::string RenderJson(const Pool& pool, absl::string_view scenario_name);

// An SVG: one panel per host (the first 32), usable memory and demand over
// ticks, granted bytes, near-OOM intervals shaded, warnings and failures
// marked.
std::string RenderPlot(const Pool& pool, absl::string_view title);

}  // namespace appliance
}  // namespace restree

#endif  // RESTREE_APPLIANCE_REPORT_H_
