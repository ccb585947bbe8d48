// Properties of ComputeTiering() over random topologies, and a differential
// check against a literal, quadratic-per-call re-statement of the kernel's
// find_next_best_node() / build_zonelists() / establish_demotion_targets()
// loops (the production code sorts candidates once per node instead).
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "numa/node_mask.h"
#include "numa/tiering.h"
#include "numa/topology.h"
#include "rapidcheck/gtest.h"

namespace restree {
namespace numa {
namespace {

// ---------------------------------------------------------------------------
// The reference: the kernel's loops, one call at a time.

int NaiveFindNextBestNode(const Topology& t, int local, NodeMask* used,
                          const std::vector<int>& load) {
  if (!used->Test(local) && t.node(local).has_memory) {
    used->Set(local);
    return local;
  }
  int64_t min_val = INT64_MAX;
  int best = kNoNode;
  for (const NumaNode& node : t.nodes()) {
    const int n = node.id;
    if (!node.has_memory || used->Test(n)) continue;
    int64_t val = t.Distance(local, n);
    if (n < local) val += 1;
    if (node.has_cpu()) val += kPenaltyForNodeWithCpus;
    val *= kMaxNumNodes;
    val += load[static_cast<size_t>(n)];
    if (val < min_val) {
      min_val = val;
      best = n;
    }
  }
  if (best != kNoNode) used->Set(best);
  return best;
}

struct NaiveResult {
  std::vector<std::vector<int>> fallback;  // per topology node
  std::vector<NodeMask> preferred;         // per topology node
};

NaiveResult Naive(const Topology& t, const Tiering& tiers) {
  NaiveResult out;
  std::vector<int> load(kMaxNumNodes, 0);
  for (const NumaNode& local : t.nodes()) {
    NodeMask used;
    std::vector<int> order;
    int prev = local.id;
    for (int n = NaiveFindNextBestNode(t, local.id, &used, load); n != kNoNode;
         n = NaiveFindNextBestNode(t, local.id, &used, load)) {
      if (t.Distance(local.id, n) != t.Distance(local.id, prev)) {
        ++load[static_cast<size_t>(n)];
      }
      order.push_back(n);
      prev = n;
    }
    out.fallback.push_back(order);
  }
  for (const NumaNode& node : t.nodes()) {
    NodeMask preferred;
    const NodeTiering& nt = tiers.node(node.id);
    if (node.has_memory && nt.tier + 1 < static_cast<int>(tiers.tiers.size())) {
      NodeMask used = t.MemoryNodes();
      used.AndNot(tiers.tiers[static_cast<size_t>(nt.tier) + 1].nodes);
      int best = -1;
      while (true) {
        const int target = NaiveFindNextBestNode(t, node.id, &used, load);
        if (target == kNoNode) break;
        const int d = t.Distance(node.id, target);
        if (d == best || best == -1) {
          best = d;
          preferred.Set(target);
        } else {
          break;
        }
      }
    }
    out.preferred.push_back(preferred);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Random topologies: 1-10 nodes, dense or sparse ids, symmetric or not,
// distances clustered on a few values so that ties (where the kernel's
// penalties and node_load decide) are common.

Topology RandomTopology() {
  const int n = *rc::gen::inRange(1, 11);
  const bool sparse = *rc::gen::arbitrary<bool>();
  std::vector<int> ids;
  if (sparse) {
    std::set<int> s;
    while (static_cast<int>(s.size()) < n) {
      s.insert(*rc::gen::inRange(0, kMaxNumNodes));
    }
    ids.assign(s.begin(), s.end());
  } else {
    for (int i = 0; i < n; ++i) ids.push_back(i);
  }
  Topology t = Topology::Create(ids).value();
  const bool symmetric = *rc::gen::arbitrary<bool>();
  const std::vector<int> palette = {11, 12, 16, 20, 21, 30, 32, 40, 255};
  for (int i = 0; i < n; ++i) {
    for (int j = symmetric ? i + 1 : 0; j < n; ++j) {
      if (i == j) continue;
      const int d = *rc::gen::elementOf(palette);
      RC_ASSERT(t.SetDistance(ids[i], ids[j], d).ok());
      if (symmetric) RC_ASSERT(t.SetDistance(ids[j], ids[i], d).ok());
    }
  }
  int cpu = 0;
  for (int id : ids) {
    NumaNode& node = t.mutable_node(id);
    if (*rc::gen::weightedElement<bool>({{2, true}, {1, false}})) {
      node.cpus = {cpu++};
    }
    node.has_memory = *rc::gen::weightedElement<bool>({{5, true}, {1, false}});
    node.source =
        *rc::gen::element(MemorySource::kBoot, MemorySource::kDaxKmem);
    if (*rc::gen::arbitrary<bool>()) {
      node.socket = *rc::gen::inRange(0, 3);
    }
    if (*rc::gen::arbitrary<bool>()) {
      AccessPerf p;
      p.read_latency = *rc::gen::inRange<uint32_t>(0, 1000);
      p.write_latency = *rc::gen::inRange<uint32_t>(0, 1000);
      p.read_bandwidth = *rc::gen::inRange<uint32_t>(0, 100000);
      p.write_bandwidth = *rc::gen::inRange<uint32_t>(0, 100000);
      node.perf = p;
    }
    if (*rc::gen::weightedElement<bool>({{1, true}, {6, false}})) {
      node.adistance_override = *rc::gen::inRange(0, 4000);
    }
    if (*rc::gen::weightedElement<bool>({{1, true}, {3, false}})) {
      node.initiators.Set(*rc::gen::elementOf(ids));
    }
  }
  t.set_demotion_enabled(*rc::gen::arbitrary<bool>());
  RC_ASSERT(t.CheckInvariants().empty());
  return t;
}

RC_GTEST_PROP(TieringPropertyTest, ResultPassesTheChecker, ()) {
  const Topology t = RandomTopology();
  const absl::StatusOr<Tiering> r = ComputeTiering(t);
  RC_ASSERT(r.ok());
  const std::vector<std::string> bad = CheckTiering(t, *r);
  if (!bad.empty()) RC_FAIL(bad.front());
}

RC_GTEST_PROP(TieringPropertyTest, NonTerminalNodesDemoteOneTierDown, ()) {
  const Topology t = RandomTopology();
  const Tiering r = ComputeTiering(t).value();
  const int last = static_cast<int>(r.tiers.size()) - 1;
  for (const NodeTiering& nt : r.nodes) {
    if (!nt.has_memory) {
      RC_ASSERT(nt.next_demotion == kNoNode);
      continue;
    }
    if (nt.tier == last) {
      RC_ASSERT(nt.next_demotion == kNoNode);
      continue;
    }
    RC_ASSERT(nt.next_demotion != kNoNode);
    RC_ASSERT(r.node(nt.next_demotion).tier > nt.tier);
    for (int target : nt.demotion_preferred.ToVector()) {
      RC_ASSERT(r.node(target).tier == nt.tier + 1);
    }
  }
}

RC_GTEST_PROP(TieringPropertyTest, PathsHaveNoCycles, ()) {
  const Topology t = RandomTopology();
  const Tiering r = ComputeTiering(t).value();
  for (const NodeTiering& nt : r.nodes) {
    std::set<int> seen = {nt.node};
    for (int cur = nt.next_demotion; cur != kNoNode;
         cur = r.node(cur).next_demotion) {
      RC_ASSERT(seen.insert(cur).second);
    }
    seen = {nt.node};
    for (int cur = nt.next_promotion; cur != kNoNode;
         cur = r.node(cur).next_promotion) {
      RC_ASSERT(seen.insert(cur).second);
    }
  }
}

RC_GTEST_PROP(TieringPropertyTest, PromotionNeverGoesDown, ()) {
  const Topology t = RandomTopology();
  const Tiering r = ComputeTiering(t).value();
  for (const NodeTiering& nt : r.nodes) {
    if (nt.next_promotion == kNoNode) {
      // Only top-tier, memoryless or highest-tier nodes stay put.
      RC_ASSERT(nt.toptier || nt.tier <= 0);
      continue;
    }
    const NodeTiering& up = r.node(nt.next_promotion);
    RC_ASSERT(up.tier == nt.tier - 1);
    RC_ASSERT(up.adistance < nt.adistance);
    // Nearest in that tier.
    for (int m : r.tiers[static_cast<size_t>(up.tier)].nodes.ToVector()) {
      RC_ASSERT(t.Distance(m, nt.node) >=
                t.Distance(nt.next_promotion, nt.node));
    }
  }
}

RC_GTEST_PROP(TieringPropertyTest, MatchesTheKernelLoopsCallByCall, ()) {
  const Topology t = RandomTopology();
  const Tiering r = ComputeTiering(t).value();
  const NaiveResult naive = Naive(t, r);
  for (size_t i = 0; i < t.nodes().size(); ++i) {
    RC_ASSERT(r.nodes[i].fallback == naive.fallback[i]);
    RC_ASSERT(r.nodes[i].demotion_preferred == naive.preferred[i]);
  }
}

RC_GTEST_PROP(TieringPropertyTest, TopTierMatchesTheLowestCpuTier, ()) {
  const Topology t = RandomTopology();
  const Tiering r = ComputeTiering(t).value();
  for (const NodeTiering& nt : r.nodes) {
    if (!nt.has_memory) {
      RC_ASSERT(nt.toptier);
      continue;
    }
    // A node with CPUs is always top tier: its tier is at or above the
    // lowest tier holding CPUs.
    if (t.node(nt.node).has_cpu()) RC_ASSERT(nt.toptier);
  }
}

}  // namespace
}  // namespace numa
}  // namespace restree
