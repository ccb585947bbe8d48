#include "numa/render.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/byte_size.h"
#include "base/json_writer.h"

namespace restree {
namespace numa {
namespace {

std::string NodeOrNone(int n) { return n == kNoNode ? "-" : absl::StrCat(n); }

std::string OrNone(const std::string& s) { return s.empty() ? "-" : s; }

std::string TierName(const Tiering& r, int tier) {
  return tier < 0 ? "-" : r.tiers[static_cast<size_t>(tier)].name();
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

// A table whose columns are as wide as their widest cell.
std::string Table(const std::vector<std::vector<std::string>>& rows,
                  const std::string& indent) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : Pad(row[i], width[i] + 1);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string PerfText(const AccessPerf& p) {
  return absl::StrCat("access", p.access_class, " read ", p.read_latency,
                      " ns ", p.read_bandwidth, " MiB/s, write ",
                      p.write_latency, " ns ", p.write_bandwidth, " MiB/s");
}

// --- JSON -------------------------------------------------------------------

std::string JsonInts(const std::vector<int>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}

std::string JsonNode(int n) { return n == kNoNode ? "null" : absl::StrCat(n); }

std::string DotId(int n) { return absl::StrCat("n", n); }

}  // namespace

std::vector<std::string> CompareKernelTiers(
    const Tiering& r, const std::map<int, NodeMask>& kernel) {
  std::vector<std::string> out;
  if (kernel.empty()) return out;
  std::map<int, NodeMask> model;
  for (const MemoryTier& t : r.tiers) model[t.id()] = t.nodes;
  for (const auto& [id, nodes] : kernel) {
    auto it = model.find(id);
    if (it == model.end()) {
      out.push_back(absl::StrCat("the kernel shows memory_tier", id, " = ",
                                 nodes.ToString(),
                                 "; restree computes no such tier"));
    } else if (it->second != nodes) {
      out.push_back(absl::StrCat("the kernel shows memory_tier", id, " = ",
                                 nodes.ToString(), "; restree computes ",
                                 it->second.ToString()));
    }
  }
  for (const auto& [id, nodes] : model) {
    if (kernel.count(id) == 0) {
      out.push_back(absl::StrCat("restree computes memory_tier", id, " = ",
                                 nodes.ToString(),
                                 "; the kernel shows no such tier"));
    }
  }
  return out;
}

std::string RenderText(const Topology& t, const Tiering& r,
                       const std::vector<std::string>& notes) {
  std::string out;
  out += "nodes:\n";
  std::vector<std::vector<std::string>> rows = {
      {"node", "cpus", "memory", "source", "socket", "adistance", "tier",
       "toptier"}};
  for (size_t i = 0; i < t.nodes().size(); ++i) {
    const NumaNode& n = t.nodes()[i];
    const NodeTiering& nt = r.nodes[i];
    rows.push_back(
        {absl::StrCat(n.id), OrNone(FormatIdList(n.cpus)),
         n.has_memory ? (n.memory_bytes ? HumanSize(n.memory_bytes) : "yes")
                      : "none",
         n.has_memory ? std::string(MemorySourceName(n.source)) : "-",
         n.socket.has_value() ? absl::StrCat(*n.socket) : "-",
         n.has_memory
             ? absl::StrCat(nt.adistance, " (",
                            AdistanceSourceName(nt.adistance_source), ")")
             : "-",
         TierName(r, nt.tier), nt.toptier ? "yes" : "no"});
  }
  out += Table(rows, "  ");
  bool any_perf = false;
  for (const NumaNode& n : t.nodes()) any_perf = any_perf || n.perf.has_value();
  if (any_perf) {
    out += "\nperformance:\n";
    for (const NumaNode& n : t.nodes()) {
      if (n.perf.has_value()) {
        out += absl::StrCat("  node ", n.id, ": ", PerfText(*n.perf), "\n");
      }
    }
    switch (r.reference.state) {
      case PerfReference::State::kSet:
        out += absl::StrCat("  reference (default DRAM): node ",
                            r.reference.node, "\n");
        break;
      case PerfReference::State::kNone:
        out += "  reference (default DRAM): none\n";
        break;
      case PerfReference::State::kInvalid:
      case PerfReference::State::kMismatch:
        out += absl::StrCat("  reference (default DRAM): disabled by node ",
                            r.reference.offending_node, "\n");
        break;
    }
  }

  out += "\ndistances:\n";
  std::vector<std::vector<std::string>> dist = {{"node"}};
  for (const NumaNode& n : t.nodes()) dist[0].push_back(absl::StrCat(n.id));
  for (const NumaNode& from : t.nodes()) {
    std::vector<std::string> row = {absl::StrCat(from.id)};
    for (const NumaNode& to : t.nodes()) {
      row.push_back(absl::StrCat(t.Distance(from.id, to.id)));
    }
    dist.push_back(row);
  }
  out += Table(dist, "  ");

  out += absl::StrCat("\ntiers (top_tier_adistance ", r.top_tier_adistance,
                      "):\n");
  rows = {{"tier", "adistance", "nodes", "lower_tier_mask"}};
  for (const MemoryTier& tier : r.tiers) {
    rows.push_back({tier.name(),
                    absl::StrCat(tier.adistance_start, "-",
                                 tier.adistance_start + kMemtierChunkSize - 1),
                    tier.nodes.ToString(),
                    OrNone(tier.lower_tier_mask.ToString())});
  }
  out += Table(rows, "  ");

  out += absl::StrCat("\ndemotion (demotion_enabled: ",
                      t.demotion_enabled() ? "true" : "false", "):\n");
  rows = {{"node", "next", "preferred", "allowed"}};
  for (const NodeTiering& nt : r.nodes) {
    if (!nt.has_memory) continue;
    rows.push_back({absl::StrCat(nt.node), NodeOrNone(nt.next_demotion),
                    OrNone(FormatIdList(nt.demotion_order)),
                    OrNone(nt.demotion_allowed.ToString())});
  }
  out += Table(rows, "  ");

  out += "\npromotion (proposal, see docs/tiering.md):\n";
  rows = {{"node", "next", "candidates", "rule"}};
  for (const NodeTiering& nt : r.nodes) {
    if (!nt.has_memory) continue;
    rows.push_back({absl::StrCat(nt.node), NodeOrNone(nt.next_promotion),
                    OrNone(nt.promotion_candidates.ToString()),
                    std::string(PromotionRuleName(nt.promotion_rule))});
  }
  out += Table(rows, "  ");

  out += "\nfallback order:\n";
  for (const NodeTiering& nt : r.nodes) {
    out += absl::StrCat("  node ", nt.node, ": ",
                        OrNone(absl::StrJoin(nt.fallback, " ")), "\n");
  }

  bool any_ranges = false;
  for (const NumaNode& n : t.nodes())
    any_ranges = any_ranges || !n.ranges.empty();
  if (any_ranges || t.auto_online().has_value()) {
    out += "\nmemory ranges";
    if (t.auto_online().has_value()) {
      absl::StrAppend(&out, " (auto_online_blocks: ",
                      OnlinePolicyName(*t.auto_online()), ")");
    }
    out += ":\n";
    for (const NumaNode& n : t.nodes()) {
      for (const MemoryRange& m : n.ranges) {
        out += absl::StrCat("  node ", n.id, ": ", m.range.ToString(), " ",
                            ZoneName(m.zone), "\n");
      }
    }
  }

  if (!r.warnings.empty() || !notes.empty()) {
    out += "\nwarnings:\n";
    for (const TieringWarning& w : r.warnings) {
      out +=
          absl::StrCat("  [", WarningKindName(w.kind), "] ", w.message, "\n");
    }
    for (const std::string& n : notes) {
      out += absl::StrCat("  [kernel-tiers-differ] ", n, "\n");
    }
  }
  return out;
}

std::string RenderJson(const Topology& t, const Tiering& r,
                       const std::vector<std::string>& notes) {
  std::string out = "{\n  \"schema\": \"restree.numa/1\",\n  \"nodes\": [\n";
  for (size_t i = 0; i < t.nodes().size(); ++i) {
    const NumaNode& n = t.nodes()[i];
    const NodeTiering& nt = r.nodes[i];
    std::string perf = "null";
    if (n.perf.has_value()) {
      perf = absl::StrCat(
          "{\"access_class\":", n.perf->access_class,
          ",\"read_latency_ns\":", n.perf->read_latency,
          ",\"write_latency_ns\":", n.perf->write_latency,
          ",\"read_bandwidth_mibps\":", n.perf->read_bandwidth,
          ",\"write_bandwidth_mibps\":", n.perf->write_bandwidth, "}");
    }
    std::vector<std::string> ranges;
    for (const MemoryRange& m : n.ranges) {
      ranges.push_back(absl::StrFormat(
          "{\"start\":\"0x%x\",\"end\":\"0x%x\",\"size\":%u,"
          "\"zone\":\"%s\"}",
          m.range.first(), m.range.last(), m.range.size(), ZoneName(m.zone)));
    }
    absl::StrAppend(
        &out, "    {\"id\":", n.id, ",\"cpus\":", JsonInts(n.cpus),
        ",\"has_memory\":", n.has_memory ? "true" : "false",
        ",\"memory_bytes\":", n.memory_bytes,
        ",\"source\":", JsonQuote(std::string(MemorySourceName(n.source))),
        ",\"socket\":", n.socket.has_value() ? absl::StrCat(*n.socket) : "null",
        ",\"perf\":", perf,
        ",\"initiators\":", JsonInts(n.initiators.ToVector()), ",\"ranges\":[",
        absl::StrJoin(ranges, ","), "]");
    absl::StrAppend(
        &out, ",\n     \"adistance\":",
        n.has_memory ? absl::StrCat(nt.adistance) : "null",
        ",\"adistance_source\":",
        JsonQuote(std::string(AdistanceSourceName(nt.adistance_source))),
        ",\"tier\":", nt.tier < 0 ? "null" : JsonQuote(TierName(r, nt.tier)),
        ",\"toptier\":", nt.toptier ? "true" : "false",
        ",\"home\":", JsonInts(nt.home.ToVector()),
        ",\"sockets\":", JsonInts(nt.sockets));
    absl::StrAppend(
        &out, ",\n     \"demotion\":{\"next\":", JsonNode(nt.next_demotion),
        ",\"preferred\":", JsonInts(nt.demotion_order),
        ",\"allowed\":", JsonInts(nt.demotion_allowed.ToVector()), "}",
        ",\n     \"promotion\":{\"next\":", JsonNode(nt.next_promotion),
        ",\"candidates\":", JsonInts(nt.promotion_candidates.ToVector()),
        ",\"rule\":",
        JsonQuote(std::string(PromotionRuleName(nt.promotion_rule))), "}",
        ",\n     \"fallback\":", JsonInts(nt.fallback), "}",
        i + 1 < t.nodes().size() ? "," : "", "\n");
  }
  out += "  ],\n  \"distances\": {\"nodes\":";
  std::vector<int> ids = t.AllNodes().ToVector();
  out += JsonInts(ids) + ",\"matrix\":[";
  for (size_t i = 0; i < ids.size(); ++i) {
    std::vector<int> row;
    for (int to : ids) row.push_back(t.Distance(ids[i], to));
    out += (i ? "," : "") + JsonInts(row);
  }
  out += "]},\n  \"tiers\": [";
  for (size_t i = 0; i < r.tiers.size(); ++i) {
    const MemoryTier& tier = r.tiers[i];
    absl::StrAppend(
        &out, i ? "," : "", "\n    {\"name\":", JsonQuote(tier.name()),
        ",\"id\":", tier.id(), ",\"adistance_start\":", tier.adistance_start,
        ",\"nodes\":", JsonInts(tier.nodes.ToVector()),
        ",\"lower_tier_mask\":", JsonInts(tier.lower_tier_mask.ToVector()),
        "}");
  }
  absl::StrAppend(
      &out, "\n  ],\n  \"top_tier_adistance\": ", r.top_tier_adistance,
      ",\n  \"demotion_enabled\": ", t.demotion_enabled() ? "true" : "false",
      ",\n  \"auto_online_blocks\": ",
      t.auto_online().has_value()
          ? JsonQuote(std::string(OnlinePolicyName(*t.auto_online())))
          : "null",
      ",\n  \"reference_node\": ",
      r.reference.state == PerfReference::State::kSet
          ? absl::StrCat(r.reference.node)
          : "null",
      ",\n  \"warnings\": [");
  bool first = true;
  for (const TieringWarning& w : r.warnings) {
    absl::StrAppend(&out, first ? "" : ",", "\n    {\"kind\":",
                    JsonQuote(std::string(WarningKindName(w.kind))),
                    ",\"node\":", JsonNode(w.node),
                    ",\"message\":", JsonQuote(w.message), "}");
    first = false;
  }
  for (const std::string& n : notes) {
    absl::StrAppend(&out, first ? "" : ",",
                    "\n    {\"kind\":\"kernel-tiers-differ\",\"node\":null,"
                    "\"message\":",
                    JsonQuote(n), "}");
    first = false;
  }
  out += first ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::string RenderDot(const Topology& t, const Tiering& r) {
  std::string out =
      "digraph numa {\n"
      "  rankdir=TB;\n"
      "  node [shape=box, fontname=\"monospace\"];\n";
  for (const MemoryTier& tier : r.tiers) {
    absl::StrAppend(
        &out, "  subgraph cluster_", tier.name(), " {\n    label=\"",
        tier.name(), " (adistance ", tier.adistance_start, "-",
        tier.adistance_start + kMemtierChunkSize - 1,
        tier.adistance_start <= r.top_tier_adistance ? ", top tier" : "",
        ")\";\n");
    for (int n : tier.nodes.ToVector()) {
      const NumaNode& node = t.node(n);
      absl::StrAppend(
          &out, "    ", DotId(n), " [label=\"node ", n,
          node.has_cpu() ? absl::StrCat("\\ncpus ", FormatIdList(node.cpus))
                         : "",
          node.socket.has_value() ? absl::StrCat("\\nsocket ", *node.socket)
                                  : "",
          "\\nadistance ", r.node(n).adistance, "\"];\n");
    }
    out += "  }\n";
  }
  for (const NumaNode& n : t.nodes()) {
    if (!n.has_memory) {
      absl::StrAppend(&out, "  ", DotId(n.id), " [label=\"node ", n.id,
                      " (no memory)\", style=dashed];\n");
    }
  }
  for (const NodeTiering& nt : r.nodes) {
    for (int target : nt.demotion_order) {
      absl::StrAppend(&out, "  ", DotId(nt.node), " -> ", DotId(target),
                      " [color=blue, label=\"demote\"",
                      target == nt.next_demotion ? "" : ", style=dashed",
                      "];\n");
    }
    if (nt.next_promotion != kNoNode) {
      absl::StrAppend(&out, "  ", DotId(nt.node), " -> ",
                      DotId(nt.next_promotion),
                      " [color=red, label=\"promote\"];\n");
    }
  }
  out += "}\n";
  return out;
}

}  // namespace numa
}  // namespace restree
