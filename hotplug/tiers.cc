#include "hotplug/tiers.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/byte_size.h"
#include "base/status_macros.h"
#include "numa/node_mask.h"
#include "numa/parse.h"
#include "numa/tiering.h"

namespace restree {
namespace hotplug {
namespace {

// What the machine's present blocks say about one node.
struct NodeMemory {
  uint64_t online_bytes = 0;
  bool any_boot = false;  // an online block not onlined by kmem
  std::vector<numa::MemoryRange> ranges;
};

std::map<int, NodeMemory> Nodes(const Machine& machine) {
  std::map<int, NodeMemory> nodes;
  nodes[0];  // the boot CPU's node
  const uint64_t bs = machine.block_size();
  for (const auto& [number, block] : machine.blocks()) {
    NodeMemory& n = nodes[block.node];
    if (!block.online) continue;
    n.online_bytes += bs;
    if (block.owner != Machine::BlockOwner::kKmem) n.any_boot = true;
    const numa::Zone zone = block.zone == Machine::Zone::kMovable
                                ? numa::Zone::kMovable
                                : numa::Zone::kNormal;
    const uint64_t start = number * bs;
    if (!n.ranges.empty() && n.ranges.back().zone == zone &&
        n.ranges.back().range.last() + 1 == start) {
      n.ranges.back().range =
          Range(n.ranges.back().range.first(), start + bs - 1);
    } else {
      n.ranges.push_back({Range(start, start + bs - 1), zone});
    }
  }
  return nodes;
}

std::string Key(const std::map<int, NodeMemory>& nodes) {
  std::string key;
  for (const auto& [id, n] : nodes) {
    absl::StrAppend(&key, id, n.any_boot ? "b" : "k", ":");
    for (const numa::MemoryRange& r : n.ranges) {
      absl::StrAppend(&key, r.range.first(), "-", r.range.last(),
                      r.zone == numa::Zone::kMovable ? "m" : "n", ",");
    }
    key += ';';
  }
  return key;
}

absl::StatusOr<numa::Topology> Build(const std::map<int, NodeMemory>& nodes,
                                     absl::string_view attrs,
                                     absl::string_view attrs_file) {
  std::vector<int> ids;
  for (const auto& [id, n] : nodes) {
    if (id < 0 || id >= numa::kMaxNumNodes) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", id, " is outside 0..", numa::kMaxNumNodes - 1));
    }
    ids.push_back(id);
  }
  RESTREE_ASSIGN_OR_RETURN(numa::Topology t, numa::Topology::Create(ids));
  t.mutable_node(0).cpus = {0};
  for (const auto& [id, n] : nodes) {
    numa::NumaNode& node = t.mutable_node(id);
    node.memory_bytes = n.online_bytes;
    node.has_memory = n.online_bytes > 0;
    node.source = n.any_boot || n.online_bytes == 0
                      ? numa::MemorySource::kBoot
                      : numa::MemorySource::kDaxKmem;
    for (const numa::MemoryRange& r : n.ranges) {
      RESTREE_RETURN_IF_ERROR(t.AddRange(id, r));
    }
  }
  if (!attrs.empty()) {
    RESTREE_RETURN_IF_ERROR(numa::ApplyNodeAttributes(attrs, attrs_file, &t));
  }
  return t;
}

std::string Summary(const numa::Topology& t, const numa::Tiering& tiering) {
  std::vector<std::string> nodes;
  for (const numa::NumaNode& n : t.nodes()) {
    std::vector<std::string> what;
    if (n.has_memory) {
      what.push_back(n.source == numa::MemorySource::kDaxKmem ? "dax/kmem"
                                                              : "boot DRAM");
      what.push_back(HumanSize(n.memory_bytes));
    } else {
      what.push_back("no memory");
    }
    if (n.has_cpu()) what.push_back("cpu");
    nodes.push_back(absl::StrCat(n.id, " (", absl::StrJoin(what, ", "), ")"));
  }
  std::vector<std::string> tiers;
  for (const numa::MemoryTier& tier : tiering.tiers) {
    tiers.push_back(
        absl::StrCat(tier.name(), " (", tier.adistance_start, "-",
                     tier.adistance_start + numa::kMemtierChunkSize - 1, ") ",
                     tier.nodes.ToString()));
  }
  std::vector<std::string> demotion;
  std::vector<std::string> promotion;
  for (const numa::NodeTiering& nt : tiering.nodes) {
    if (nt.next_demotion != numa::kNoNode) {
      demotion.push_back(absl::StrCat(nt.node, " -> ", nt.next_demotion,
                                      " (preferred ",
                                      nt.demotion_preferred.ToString(), ")"));
    }
    if (nt.next_promotion != numa::kNoNode) {
      promotion.push_back(absl::StrCat(nt.node, " -> ", nt.next_promotion));
    }
  }
  auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("none") : absl::StrJoin(v, ", ");
  };
  std::string out = absl::StrCat(
      "  nodes: ", absl::StrJoin(nodes, " "), "\n",
      "  tiers: ", tiers.empty() ? "none" : absl::StrJoin(tiers, " | "), "\n",
      "  demotion: ", list(demotion), "\n",
      "  promotion (proposal): ", list(promotion), "\n");
  for (const numa::TieringWarning& w : tiering.warnings) {
    absl::StrAppend(&out, "  warning [", numa::WarningKindName(w.kind),
                    "]: ", w.message, "\n");
  }
  return out;
}

}  // namespace

absl::StatusOr<numa::Topology> MachineTopology(const Machine& machine,
                                               absl::string_view attrs,
                                               absl::string_view attrs_file) {
  return Build(Nodes(machine), attrs, attrs_file);
}

absl::StatusOr<std::string> TierWatcher::After(const Machine& machine) {
  std::map<int, NodeMemory> nodes = Nodes(machine);
  for (int id : seen_) nodes[id];
  for (const auto& [id, n] : nodes) seen_.insert(id);
  std::string key = Key(nodes);
  if (!first_ && key == last_key_) return std::string();
  RESTREE_ASSIGN_OR_RETURN(numa::Topology t, Build(nodes, attrs_, attrs_file_));
  RESTREE_ASSIGN_OR_RETURN(numa::Tiering tiering, numa::ComputeTiering(t));
  first_ = false;
  last_key_ = std::move(key);
  return Summary(t, tiering);
}

}  // namespace hotplug
}  // namespace restree
