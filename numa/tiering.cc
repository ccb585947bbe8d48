#include "numa/tiering.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace restree {
namespace numa {
namespace {

// The sort key find_next_best_node() minimises for candidate `n` when
// building the list of `local`: (distance + [n < local] + CPU penalty)
// * MAX_NUMNODES + node_load[n]. Ties go to the lowest id (the kernel scans
// ascending and keeps the first strict minimum).
int64_t BestNodeKey(const Topology& t, int local, int n,
                    const std::vector<int>& node_load) {
  int64_t val = t.Distance(local, n);
  if (n < local) val += 1;
  if (t.node(n).has_cpu()) val += kPenaltyForNodeWithCpus;
  val *= kMaxNumNodes;
  val += node_load[static_cast<size_t>(n)];
  return val;
}

// The order in which repeated find_next_best_node(local, &used) calls return
// the nodes of `candidates`, when `local` is already in `used` (or not a
// candidate). node_load does not change between the calls that matter: the
// only node whose load changes is the one just returned. O(c log c).
std::vector<int> BestNodeOrder(const Topology& t, int local,
                               const std::vector<int>& candidates,
                               const std::vector<int>& node_load) {
  std::vector<std::pair<int64_t, int>> keyed;
  keyed.reserve(candidates.size());
  for (int n : candidates) {
    keyed.emplace_back(BestNodeKey(t, local, n, node_load), n);
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<int> out;
  out.reserve(keyed.size());
  for (const auto& kv : keyed) out.push_back(kv.second);
  return out;
}

// __build_all_zonelists(): node_load[] reset, then build_zonelists() for
// every node in id order. Fills each node's fallback order and returns the
// final node_load[] (what establish_demotion_targets() later sees).
std::vector<int> BuildZonelists(const Topology& t,
                                std::vector<NodeTiering>& nodes) {
  std::vector<int> node_load(kMaxNumNodes, 0);
  std::vector<int> memory;
  for (const NumaNode& n : t.nodes()) {
    if (n.has_memory) memory.push_back(n.id);
  }
  for (size_t i = 0; i < t.nodes().size(); ++i) {
    const int local = t.nodes()[i].id;
    std::vector<int>& order = nodes[i].fallback;
    order.clear();
    // Since v6.8 the local node comes first only if it has memory.
    std::vector<int> rest;
    if (t.node(local).has_memory) order.push_back(local);
    for (int n : memory) {
      if (n != local) rest.push_back(n);
    }
    int prev = local;
    for (int n : BestNodeOrder(t, local, rest, node_load)) {
      // "adding penalty to the first node in same distance group"
      if (t.Distance(local, n) != t.Distance(local, prev)) {
        ++node_load[static_cast<size_t>(n)];
      }
      order.push_back(n);
      prev = n;
    }
  }
  return node_load;
}

absl::uint128 Sum(uint32_t a, uint32_t b) {
  return absl::uint128(a) + absl::uint128(b);
}

// mt_set_default_dram_perf()'s 10% test for one metric.
bool Differs(uint32_t value, uint32_t reference) {
  const int64_t diff =
      std::llabs(static_cast<int64_t>(value) - static_cast<int64_t>(reference));
  return diff * 10 > static_cast<int64_t>(reference);
}

PerfReference FindReference(const Topology& t) {
  PerfReference ref;
  // default_dram_nodes: N_MEMORY & N_CPU at boot, walked in id order by
  // hmat_set_default_dram_perf(), which stops at the first error.
  for (const NumaNode& n : t.nodes()) {
    if (!n.has_memory || !n.has_cpu() || n.source != MemorySource::kBoot ||
        !n.perf.has_value()) {
      continue;
    }
    const AccessPerf& p = *n.perf;
    if (Sum(p.read_latency, p.write_latency) == 0 ||
        Sum(p.read_bandwidth, p.write_bandwidth) == 0) {
      if (ref.state == PerfReference::State::kNone) {
        ref.state = PerfReference::State::kInvalid;
      }
      ref.offending_node = n.id;
      return ref;
    }
    if (ref.state == PerfReference::State::kNone) {
      ref.state = PerfReference::State::kSet;
      ref.node = n.id;
      ref.perf = p;
      continue;
    }
    const AccessPerf& r = ref.perf;
    if (Differs(p.read_latency, r.read_latency) ||
        Differs(p.write_latency, r.write_latency) ||
        Differs(p.read_bandwidth, r.read_bandwidth) ||
        Differs(p.write_bandwidth, r.write_bandwidth)) {
      ref.state = PerfReference::State::kMismatch;
      ref.offending_node = n.id;
      return ref;
    }
  }
  return ref;
}

std::string DescribePerf(const AccessPerf& p) {
  return absl::StrCat("read ", p.read_latency, " ns / ", p.read_bandwidth,
                      " MiB/s, write ", p.write_latency, " ns / ",
                      p.write_bandwidth, " MiB/s");
}

// The node's abstract distance per set_node_memory_tier() (boot memory) or
// dax/kmem (hot-plugged memory).
[[nodiscard]] absl::Status AssignAdistance(const NumaNode& n,
                                           const PerfReference& ref,
                                           NodeTiering& out) {
  if (n.adistance_override.has_value()) {
    out.adistance = *n.adistance_override;
    out.adistance_source = AdistanceSource::kOverride;
    return absl::OkStatus();
  }
  if (n.source == MemorySource::kDaxKmem) {
    out.adistance = kMemtierDefaultLowtierAdistance;
    out.adistance_source = AdistanceSource::kDefaultKmem;
  } else {
    out.adistance = kMemtierAdistanceDram;
    out.adistance_source = AdistanceSource::kDefaultDram;
  }
  if (!n.perf.has_value() || ref.state != PerfReference::State::kSet) {
    return absl::OkStatus();
  }
  const AccessPerf& p = *n.perf;
  const absl::uint128 lat = Sum(p.read_latency, p.write_latency);
  const absl::uint128 bw = Sum(p.read_bandwidth, p.write_bandwidth);
  if (lat == 0 || bw == 0) return absl::OkStatus();  // -EINVAL: default kept
  const absl::uint128 ref_lat =
      Sum(ref.perf.read_latency, ref.perf.write_latency);
  const absl::uint128 ref_bw =
      Sum(ref.perf.read_bandwidth, ref.perf.write_bandwidth);
  // Evaluated left to right with truncating divisions, as the kernel does.
  const absl::uint128 adist =
      absl::uint128(kMemtierAdistanceDram) * lat / ref_lat * ref_bw / bw;
  if (adist > absl::uint128(INT_MAX)) {
    return absl::OutOfRangeError(
        absl::StrCat("node ", n.id, ": abstract distance from ",
                     DescribePerf(p), " does not fit the kernel's int"));
  }
  out.adistance = static_cast<int>(absl::Uint128Low64(adist));
  out.adistance_source = AdistanceSource::kPerformance;
  return absl::OkStatus();
}

std::string SocketName(int key) {
  return key >= kUnknownSocketBase
             ? absl::StrCat("socket of node ", key - kUnknownSocketBase)
             : absl::StrCat("socket ", key);
}

std::vector<int> SocketsOf(const Topology& t, const NodeMask& home) {
  std::set<int> keys;
  for (int c : home.ToVector()) {
    const NumaNode& n = t.node(c);
    keys.insert(n.socket.has_value() ? *n.socket : kUnknownSocketBase + c);
  }
  return std::vector<int>(keys.begin(), keys.end());
}

bool Intersects(const std::vector<int>& a, const std::vector<int>& b) {
  for (int x : a) {
    if (std::binary_search(b.begin(), b.end(), x)) return true;
  }
  return false;
}

// Home CPU nodes and socket keys of every node.
void AssignHomes(const Topology& t, std::vector<NodeTiering>& nodes) {
  const NodeMask cpus = t.CpuNodes();
  const std::vector<int> cpu_list = cpus.ToVector();
  for (size_t i = 0; i < t.nodes().size(); ++i) {
    const NumaNode& n = t.nodes()[i];
    NodeTiering& out = nodes[i];
    if (n.has_cpu()) {
      out.home.Set(n.id);
    } else if (!(n.initiators & cpus).Empty()) {
      out.home = n.initiators & cpus;
    } else {
      int best = INT_MAX;
      for (int c : cpu_list) best = std::min(best, t.Distance(c, n.id));
      for (int c : cpu_list) {
        if (t.Distance(c, n.id) == best) out.home.Set(c);
      }
    }
    if (n.socket.has_value()) {
      out.sockets = {*n.socket};
    } else {
      out.sockets = SocketsOf(t, out.home);
    }
  }
}

void AddWarning(Tiering& r, TieringWarning::Kind kind, int node,
                std::string message) {
  r.warnings.push_back({kind, node, std::move(message)});
}

std::string HumanBytes(absl::uint128 bytes) {
  static constexpr const char* kUnits[] = {"B",   "KiB", "MiB", "GiB",
                                           "TiB", "PiB", "EiB"};
  int unit = 0;
  while (unit < 6 && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return absl::StrCat(absl::Uint128Low64(bytes), " ", kUnits[unit]);
}

void Warn(const Topology& t, Tiering& r) {
  switch (r.reference.state) {
    case PerfReference::State::kMismatch:
      AddWarning(
          r, TieringWarning::Kind::kDramPerfMismatch,
          r.reference.offending_node,
          absl::StrCat(
              "default DRAM node ", r.reference.offending_node,
              " differs by more than 10% from reference node ",
              r.reference.node, " (",
              DescribePerf(t.node(r.reference.offending_node).perf.value()),
              " vs ", DescribePerf(r.reference.perf),
              "): the kernel disables performance-based abstract "
              "distances for every node"));
      break;
    case PerfReference::State::kInvalid:
      AddWarning(r, TieringWarning::Kind::kDramPerfMismatch,
                 r.reference.offending_node,
                 absl::StrCat("default DRAM node ", r.reference.offending_node,
                              " has a zero latency or bandwidth sum: "
                              "hmat_set_default_dram_perf() stops there"));
      break;
    case PerfReference::State::kNone:
    case PerfReference::State::kSet:
      break;
  }
  for (size_t i = 0; i < t.nodes().size(); ++i) {
    const NumaNode& n = t.nodes()[i];
    const NodeTiering& nt = r.nodes[i];
    if (n.has_memory && n.perf.has_value() &&
        nt.adistance_source != AdistanceSource::kPerformance &&
        nt.adistance_source != AdistanceSource::kOverride) {
      AddWarning(r, TieringWarning::Kind::kPerfUnused, n.id,
                 absl::StrCat("node ", n.id,
                              " has performance data but its abstract "
                              "distance is the default ",
                              nt.adistance,
                              r.reference.state == PerfReference::State::kSet
                                  ? " (zero latency or bandwidth sum)"
                                  : " (no usable default DRAM reference)"));
    }
    if (n.has_memory && !n.has_cpu() && n.source == MemorySource::kBoot &&
        !n.perf.has_value() && !n.adistance_override.has_value()) {
      AddWarning(r, TieringWarning::Kind::kAssumedDram, n.id,
                 absl::StrCat("node ", n.id,
                              " has memory but no CPUs, no performance data "
                              "and no sign of dax/kmem: tiered as boot DRAM "
                              "(abstract distance 576); if it is hot-plugged "
                              "CXL memory, say source=kmem or give its "
                              "performance"));
    }
    absl::uint128 normal = 0;
    bool all_movable = !n.ranges.empty();
    for (const MemoryRange& m : n.ranges) {
      if (m.zone == Zone::kNormal) {
        normal += m.range.size();
        all_movable = false;
      }
    }
    if (n.source == MemorySource::kDaxKmem && normal > 0) {
      AddWarning(r, TieringWarning::Kind::kKmemZoneNormal, n.id,
                 absl::StrCat("node ", n.id, ": ", HumanBytes(normal),
                              " of hot-plugged (dax/kmem) memory is in "
                              "ZONE_NORMAL: unmovable kernel allocations can "
                              "land there, pinning it (offline and "
                              "hot-remove fail) and putting kernel data on "
                              "slow memory; online it as online_movable"));
    }
    if (all_movable) {
      AddWarning(r, TieringWarning::Kind::kNoGiganticPages, n.id,
                 absl::StrCat("node ", n.id,
                              ": all memory is ZONE_MOVABLE: no 1 GiB "
                              "(gigantic) hugetlb pages can be allocated on "
                              "it (gigantic pages are never movable)"));
    }
  }
  const std::vector<Topology::DistanceDeviation> deviations =
      t.KernelDistanceDeviations();
  if (!deviations.empty()) {
    std::vector<std::string> entries;
    for (const Topology::DistanceDeviation& d : deviations) {
      if (entries.size() == 4) {
        entries.push_back(absl::StrCat("and ", deviations.size() - 4, " more"));
        break;
      }
      entries.push_back(
          absl::StrCat(d.from, "->", d.to, " = ", d.distance,
                       d.from == d.to ? " (not 10)" : " (not above 10)"));
    }
    AddWarning(
        r, TieringWarning::Kind::kWhatIfDistances, deviations[0].from,
        absl::StrCat(
            "what-if distance table, tiered as given: ",
            absl::StrJoin(entries, ", "),
            ". Linux would not use it: an ACPI SLIT like this fails "
            "slit_valid() and is ignored whole (\"SLIT table looks "
            "invalid. Not used.\"), leaving 10 to itself and 20 to every "
            "other node; numa_set_distance() refuses a self distance other "
            "than 10 on its own. --as-linux tiers what Linux would"));
  }
  bool any_kmem = false;
  for (const NumaNode& n : t.nodes()) {
    any_kmem = any_kmem || (n.has_memory && n.source == MemorySource::kDaxKmem);
  }
  if (any_kmem && t.auto_online().has_value() &&
      (*t.auto_online() == OnlinePolicy::kOnline ||
       *t.auto_online() == OnlinePolicy::kOnlineKernel)) {
    AddWarning(r, TieringWarning::Kind::kAutoOnlineKernel, kNoNode,
               absl::StrCat(
                   "auto_online_blocks is ", OnlinePolicyName(*t.auto_online()),
                   ": memory blocks hot-plugged from now on go to a kernel "
                   "zone (ZONE_NORMAL; \"online\" does so unless "
                   "movable_node or an adjacent ZONE_MOVABLE says "
                   "otherwise); use online_movable for CXL memory"));
  }
  bool any_demotion = false;
  for (const NodeTiering& nt : r.nodes) {
    if (!nt.demotion_preferred.Empty()) any_demotion = true;
  }
  if (t.demotion_enabled() && any_demotion) {
    AddWarning(r, TieringWarning::Kind::kDemotionIgnoresCpuset, kNoNode,
               "demotion is enabled: reclaim demotes to the targets below "
               "whatever a task's cpuset.mems allows, so pages of a cpuset "
               "confined to some nodes can land on nodes outside it");
  }
  for (const MemoryTier& tier : r.tiers) {
    if (tier.adistance_start <= r.top_tier_adistance) continue;
    std::map<int, std::vector<int>> by_socket;
    for (int n : tier.nodes.ToVector()) {
      const NodeTiering& nt = r.node(n);
      for (int s : nt.sockets) by_socket[s].push_back(n);
    }
    if (by_socket.size() < 2) continue;
    std::vector<std::string> parts;
    for (const auto& [socket, members] : by_socket) {
      parts.push_back(
          absl::StrCat(SocketName(socket), ": ", FormatIdList(members)));
    }
    AddWarning(r, TieringWarning::Kind::kTierSpansSockets, kNoNode,
               absl::StrCat(tier.name(), " lumps nodes of different sockets (",
                            absl::StrJoin(parts, "; "),
                            "): demotion falls back to any node of it "
                            "(lower_tier_mask) and tiering ignores sockets"));
  }
  for (const NodeTiering& nt : r.nodes) {
    for (int target : nt.demotion_order) {
      const NodeTiering& tt = r.node(target);
      if (!nt.sockets.empty() && !tt.sockets.empty() &&
          !Intersects(nt.sockets, tt.sockets)) {
        AddWarning(r, TieringWarning::Kind::kDemotionCrossesSocket, nt.node,
                   absl::StrCat("node ", nt.node, " demotes to node ", target,
                                " on another socket"));
      }
    }
  }
}

}  // namespace

absl::string_view AdistanceSourceName(AdistanceSource s) {
  switch (s) {
    case AdistanceSource::kNone:
      return "none";
    case AdistanceSource::kDefaultDram:
      return "default-dram";
    case AdistanceSource::kDefaultKmem:
      return "default-kmem";
    case AdistanceSource::kPerformance:
      return "performance";
    case AdistanceSource::kOverride:
      return "override";
  }
  return "?";
}

absl::string_view PromotionRuleName(PromotionRule r) {
  switch (r) {
    case PromotionRule::kNone:
      return "none";
    case PromotionRule::kDistance:
      return "distance";
    case PromotionRule::kSocket:
      return "socket";
    case PromotionRule::kInverse:
      return "inverse-of-demotion";
    case PromotionRule::kCpu:
      return "cpu";
    case PromotionRule::kLowestId:
      return "lowest-id";
  }
  return "?";
}

absl::string_view WarningKindName(TieringWarning::Kind k) {
  switch (k) {
    case TieringWarning::Kind::kKmemZoneNormal:
      return "kmem-zone-normal";
    case TieringWarning::Kind::kNoGiganticPages:
      return "no-gigantic-pages";
    case TieringWarning::Kind::kDemotionIgnoresCpuset:
      return "demotion-ignores-cpuset";
    case TieringWarning::Kind::kTierSpansSockets:
      return "tier-spans-sockets";
    case TieringWarning::Kind::kDemotionCrossesSocket:
      return "demotion-crosses-socket";
    case TieringWarning::Kind::kDramPerfMismatch:
      return "dram-perf-mismatch";
    case TieringWarning::Kind::kPerfUnused:
      return "perf-unused";
    case TieringWarning::Kind::kAssumedDram:
      return "assumed-dram";
    case TieringWarning::Kind::kAutoOnlineKernel:
      return "auto-online-kernel";
    case TieringWarning::Kind::kWhatIfDistances:
      return "what-if-distances";
  }
  return "?";
}

std::string MemoryTier::name() const {
  return absl::StrCat("memory_tier", id());
}

const NodeTiering& Tiering::node(int id) const {
  auto it =
      std::lower_bound(nodes.begin(), nodes.end(), id,
                       [](const NodeTiering& n, int v) { return n.node < v; });
  RESTREE_CHECK(it != nodes.end() && it->node == id, "no such node");
  return *it;
}

absl::StatusOr<Tiering> ComputeTiering(const Topology& t) {
  if (std::vector<std::string> bad = t.CheckInvariants(); !bad.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("inconsistent topology: ", bad.front()));
  }
  Tiering r;
  const size_t n = t.nodes().size();
  r.nodes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.nodes[i].node = t.nodes()[i].id;
    r.nodes[i].has_memory = t.nodes()[i].has_memory;
  }

  // 1. Abstract distances (hmat_set_default_dram_perf(), then
  //    set_node_memory_tier() / dax kmem per node).
  r.reference = FindReference(t);
  for (size_t i = 0; i < n; ++i) {
    const NumaNode& node = t.nodes()[i];
    if (!node.has_memory) continue;
    if (node.adistance_override.has_value() && *node.adistance_override < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "node ", node.id, ": negative abstract distance override"));
    }
    RESTREE_RETURN_IF_ERROR(AssignAdistance(node, r.reference, r.nodes[i]));
  }

  // 2. Tiers: round_down(adistance, MEMTIER_CHUNK_SIZE), ascending.
  std::map<int, NodeMask> by_start;
  for (const NodeTiering& nt : r.nodes) {
    if (!nt.has_memory) continue;
    by_start[nt.adistance - nt.adistance % kMemtierChunkSize].Set(nt.node);
  }
  std::map<int, int> tier_index;
  for (const auto& [start, members] : by_start) {
    tier_index[start] = static_cast<int>(r.tiers.size());
    r.tiers.push_back({start, members, NodeMask()});
  }
  for (NodeTiering& nt : r.nodes) {
    if (nt.has_memory) {
      nt.tier = tier_index[nt.adistance - nt.adistance % kMemtierChunkSize];
    }
  }

  // 3. Fallback order and node_load[] (build_all_zonelists()).
  const std::vector<int> node_load = BuildZonelists(t, r.nodes);

  // 4. establish_demotion_targets(): preferred = the nodes of the next lower
  //    tier that find_next_best_node() returns first, while their distance
  //    equals the first one's.
  for (NodeTiering& nt : r.nodes) {
    if (!nt.has_memory || nt.tier + 1 >= static_cast<int>(r.tiers.size())) {
      continue;
    }
    const std::vector<int> lower =
        r.tiers[static_cast<size_t>(nt.tier) + 1].nodes.ToVector();
    int best = -1;
    for (int target : BestNodeOrder(t, nt.node, lower, node_load)) {
      const int d = t.Distance(nt.node, target);
      if (best != -1 && d != best) break;
      best = d;
      nt.demotion_preferred.Set(target);
      nt.demotion_order.push_back(target);
    }
    nt.next_demotion = nt.demotion_order.front();
  }

  // 5. top_tier_adistance: the end of the lowest tier holding a CPU node
  //    (0, its initial value, if none does).
  const NodeMask cpus = t.CpuNodes();
  for (auto it = r.tiers.rbegin(); it != r.tiers.rend(); ++it) {
    if (!(it->nodes & cpus).Empty()) {
      r.top_tier_adistance = it->adistance_start + kMemtierChunkSize - 1;
      break;
    }
  }

  // 6. lower_tier_mask of each tier, and node_is_toptier().
  NodeMask lower = t.MemoryNodes();
  for (MemoryTier& tier : r.tiers) {
    lower.AndNot(tier.nodes);
    tier.lower_tier_mask = lower;
  }
  for (NodeTiering& nt : r.nodes) {
    if (!nt.has_memory) continue;
    const MemoryTier& tier = r.tiers[static_cast<size_t>(nt.tier)];
    nt.demotion_allowed = tier.lower_tier_mask;
    nt.toptier = tier.adistance_start <= r.top_tier_adistance;
  }

  // 7. The promotion proposal (restree's, see docs/tiering.md).
  AssignHomes(t, r.nodes);
  for (NodeTiering& nt : r.nodes) {
    if (!nt.has_memory || nt.toptier || nt.tier == 0) continue;
    const std::vector<int> upper =
        r.tiers[static_cast<size_t>(nt.tier) - 1].nodes.ToVector();
    int best = INT_MAX;
    for (int m : upper) best = std::min(best, t.Distance(m, nt.node));
    std::vector<int> near;
    for (int m : upper) {
      if (t.Distance(m, nt.node) == best) near.push_back(m);
    }
    nt.promotion_candidates = NodeMask::Of(near);
    nt.promotion_rule = PromotionRule::kDistance;
    auto narrow = [&](PromotionRule rule, auto keep) {
      if (near.size() < 2) return;
      std::vector<int> kept;
      for (int m : near) {
        if (keep(m)) kept.push_back(m);
      }
      if (!kept.empty() && kept.size() < near.size()) {
        near = std::move(kept);
        nt.promotion_rule = rule;
      }
    };
    narrow(PromotionRule::kSocket,
           [&](int m) { return Intersects(r.node(m).sockets, nt.sockets); });
    narrow(PromotionRule::kInverse,
           [&](int m) { return r.node(m).demotion_preferred.Test(nt.node); });
    narrow(PromotionRule::kCpu, [&](int m) { return t.node(m).has_cpu(); });
    if (near.size() > 1) nt.promotion_rule = PromotionRule::kLowestId;
    nt.next_promotion = near.front();
  }

  Warn(t, r);
  return r;
}

std::vector<std::string> CheckTiering(const Topology& t, const Tiering& r) {
  std::vector<std::string> out;
  if (r.nodes.size() != t.nodes().size()) {
    out.push_back("node count differs from the topology");
    return out;
  }
  for (size_t i = 0; i < r.nodes.size(); ++i) {
    if (r.nodes[i].node != t.nodes()[i].id) {
      out.push_back("nodes differ from the topology's");
      return out;
    }
  }
  const int tiers = static_cast<int>(r.tiers.size());
  // Every node a tiering names must exist before the walks below use it.
  auto known = [&](int id) { return id == kNoNode || t.HasNode(id); };
  for (const NodeTiering& nt : r.nodes) {
    bool ok = known(nt.next_demotion) && known(nt.next_promotion) &&
              nt.tier >= -1 && nt.tier < tiers;
    for (int target : nt.demotion_order) ok = ok && t.HasNode(target);
    if (!ok) {
      out.push_back(
          absl::StrCat("node ", nt.node, ": names an unknown node or tier"));
      return out;
    }
  }
  NodeMask covered;
  for (size_t i = 0; i < r.tiers.size(); ++i) {
    const MemoryTier& tier = r.tiers[i];
    if (tier.adistance_start % kMemtierChunkSize != 0) {
      out.push_back(absl::StrCat(tier.name(), " does not start on a chunk"));
    }
    if (i > 0 && r.tiers[i - 1].adistance_start >= tier.adistance_start) {
      out.push_back("tiers not in ascending abstract distance");
    }
    if (tier.nodes.Empty()) out.push_back(tier.name() + " is empty");
    if (!(covered & tier.nodes).Empty()) {
      out.push_back(tier.name() + " shares nodes with a higher tier");
    }
    covered |= tier.nodes;
  }
  if (covered != t.MemoryNodes()) {
    out.push_back(absl::StrCat("tiers hold ", covered.ToString(),
                               " but the memory nodes are ",
                               t.MemoryNodes().ToString()));
  }
  for (size_t i = 0; i < r.nodes.size(); ++i) {
    const NodeTiering& nt = r.nodes[i];
    const std::string who = absl::StrCat("node ", nt.node, ": ");
    if (!nt.has_memory) {
      if (nt.tier != -1 || !nt.demotion_preferred.Empty() ||
          nt.next_promotion != kNoNode || !nt.toptier) {
        out.push_back(who + "memoryless but tiered");
      }
      continue;
    }
    if (nt.tier < 0 || nt.tier >= tiers) {
      out.push_back(who + "no tier");
      continue;
    }
    const MemoryTier& tier = r.tiers[static_cast<size_t>(nt.tier)];
    if (!tier.nodes.Test(nt.node) || nt.adistance < tier.adistance_start ||
        nt.adistance >= tier.adistance_start + kMemtierChunkSize) {
      out.push_back(who + "abstract distance outside its tier");
    }
    if (nt.toptier != (tier.adistance_start <= r.top_tier_adistance)) {
      out.push_back(who + "toptier disagrees with top_tier_adistance");
    }
    // Demotion: exactly one tier down, non-empty unless the last tier, all
    // preferred at one distance, the choice among them.
    const bool terminal = nt.tier == tiers - 1;
    if (terminal != nt.demotion_preferred.Empty()) {
      out.push_back(who + (terminal ? "terminal node has demotion targets"
                                    : "no demotion target above the last "
                                      "tier"));
    }
    if (NodeMask::Of(nt.demotion_order) != nt.demotion_preferred) {
      out.push_back(who + "demotion order and preferred set differ");
    }
    int distance = -1;
    for (int target : nt.demotion_order) {
      const NodeTiering& tt = r.node(target);
      if (tt.tier != nt.tier + 1) {
        out.push_back(absl::StrCat(who, "demotes to node ", target,
                                   " which is not one tier down"));
      }
      const int d = t.Distance(nt.node, target);
      if (distance != -1 && d != distance) {
        out.push_back(who + "preferred targets at different distances");
      }
      distance = d;
    }
    if (nt.next_demotion !=
        (nt.demotion_order.empty() ? kNoNode : nt.demotion_order.front())) {
      out.push_back(who + "next_demotion is not the first preferred node");
    }
    if (nt.demotion_allowed != tier.lower_tier_mask) {
      out.push_back(who + "allowed targets differ from lower_tier_mask");
    }
    // Promotion: none from the top tier (nor from the highest tier when
    // no tier is "top"); otherwise exactly one tier up, among the
    // candidates.
    const bool promotes = !nt.toptier && nt.tier > 0;
    if (promotes != (nt.next_promotion != kNoNode)) {
      out.push_back(who + (promotes ? "lower-tier node cannot promote"
                                    : "top-tier node promotes"));
    }
    if (nt.next_promotion != kNoNode) {
      const NodeTiering& up = r.node(nt.next_promotion);
      if (up.tier != nt.tier - 1) {
        out.push_back(absl::StrCat(who, "promotes to node ", nt.next_promotion,
                                   " which is not one tier up"));
      }
      if (!nt.promotion_candidates.Test(nt.next_promotion)) {
        out.push_back(who + "promotion target is not a candidate");
      }
    }
  }
  // Demotion and promotion chains end: each step changes the tier by one in
  // one direction, so a chain has at most `tiers` steps.
  for (const NodeTiering& nt : r.nodes) {
    int steps = 0;
    for (int cur = nt.next_demotion; cur != kNoNode;
         cur = r.node(cur).next_demotion) {
      if (++steps > tiers) {
        out.push_back(absl::StrCat("node ", nt.node, ": demotion cycle"));
        break;
      }
    }
    steps = 0;
    for (int cur = nt.next_promotion; cur != kNoNode;
         cur = r.node(cur).next_promotion) {
      if (++steps > tiers) {
        out.push_back(absl::StrCat("node ", nt.node, ": promotion cycle"));
        break;
      }
    }
  }
  // Top tier: the end of the lowest tier with a CPU node, else 0.
  int expected_top = 0;
  for (auto it = r.tiers.rbegin(); it != r.tiers.rend(); ++it) {
    if (!(it->nodes & t.CpuNodes()).Empty()) {
      expected_top = it->adistance_start + kMemtierChunkSize - 1;
      break;
    }
  }
  if (expected_top != r.top_tier_adistance) {
    out.push_back("top_tier_adistance disagrees with the CPU nodes");
  }
  // Fallback: a permutation of the memory nodes, local node first when it
  // has memory.
  const NodeMask memory = t.MemoryNodes();
  for (const NodeTiering& nt : r.nodes) {
    NodeMask seen;
    for (int f : nt.fallback) {
      if (seen.Test(f) || !memory.Test(f)) {
        out.push_back(absl::StrCat("node ", nt.node,
                                   ": fallback order is not a permutation of "
                                   "the memory nodes"));
        break;
      }
      seen.Set(f);
    }
    if (seen != memory) {
      out.push_back(absl::StrCat("node ", nt.node,
                                 ": fallback order misses memory nodes"));
    }
    if (nt.has_memory && (nt.fallback.empty() || nt.fallback[0] != nt.node)) {
      out.push_back(
          absl::StrCat("node ", nt.node, ": fallback does not start locally"));
    }
  }
  return out;
}

}  // namespace numa
}  // namespace restree
