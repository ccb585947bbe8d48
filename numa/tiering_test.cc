#include "numa/tiering.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "numa/node_mask.h"
#include "numa/topology.h"
#include "tests/status_matchers.h"

namespace restree {
namespace numa {
namespace {

using ::restree::test_support::IsOk;
using ::restree::test_support::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A node description for the table-driven topologies below.
struct Spec {
  int id;
  std::vector<int> cpus;
  bool memory = true;
  MemorySource source = MemorySource::kBoot;
  std::optional<int> socket = std::nullopt;
};

Topology Make(const std::vector<Spec>& specs,
              const std::vector<std::vector<int>>& matrix) {
  std::vector<int> ids;
  for (const Spec& s : specs) ids.push_back(s.id);
  absl::StatusOr<Topology> t = Topology::Create(ids);
  EXPECT_THAT(t, IsOk());
  for (const Spec& s : specs) {
    NumaNode& n = t->mutable_node(s.id);
    n.cpus = s.cpus;
    n.has_memory = s.memory;
    n.source = s.source;
    n.socket = s.socket;
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    for (size_t j = 0; j < specs.size(); ++j) {
      EXPECT_THAT(t->SetDistance(specs[i].id, specs[j].id, matrix[i][j]),
                  IsOk());
    }
  }
  EXPECT_THAT(t->CheckInvariants(), IsEmpty());
  return *std::move(t);
}

Tiering Compute(const Topology& t) {
  absl::StatusOr<Tiering> r = ComputeTiering(t);
  EXPECT_THAT(r, IsOk());
  if (!r.ok()) return Tiering();
  EXPECT_THAT(CheckTiering(t, *r), IsEmpty());
  return *std::move(r);
}

std::vector<std::string> TierNames(const Tiering& r) {
  std::vector<std::string> out;
  for (const MemoryTier& tier : r.tiers) {
    out.push_back(tier.name() + "=" + tier.nodes.ToString());
  }
  return out;
}

AccessPerf Perf(uint32_t rl, uint32_t wl, uint32_t rb, uint32_t wb) {
  AccessPerf p;
  p.read_latency = rl;
  p.write_latency = wl;
  p.read_bandwidth = rb;
  p.write_bandwidth = wb;
  return p;
}

bool HasWarning(const Tiering& r, TieringWarning::Kind kind, int node) {
  for (const TieringWarning& w : r.warnings) {
    if (w.kind == kind && w.node == node) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// The three node_demotion[] examples in the comment of mm/memory-tiers.c.

// Example 1: nodes 0-1 CPU + DRAM, nodes 2-3 PMEM (onlined by dax/kmem).
Topology KernelExample1() {
  return Make(
      {{0, {0}},
       {1, {1}},
       {2, {}, true, MemorySource::kDaxKmem},
       {3, {}, true, MemorySource::kDaxKmem}},
      {{10, 20, 30, 40}, {20, 10, 40, 30}, {30, 40, 10, 40}, {40, 30, 40, 10}});
}

TEST(TieringTest, KernelExample1DramAndPmem) {
  const Topology t = KernelExample1();
  const Tiering r = Compute(t);
  // DRAM: MEMTIER_ADISTANCE_DRAM = 4 * 128 + 64 = 576, 576 >> 7 = 4.
  // PMEM (dax/kmem, no perf): 576 * 5 = 2880, 2880 >> 7 = 22.
  EXPECT_THAT(TierNames(r),
              ElementsAre("memory_tier4=0-1", "memory_tier22=2-3"));
  EXPECT_EQ(r.node(2).adistance, 2880);
  // The kernel's comment: node_demotion[0].preferred = 2, [1] = 3, 2 and 3
  // empty.
  EXPECT_EQ(r.node(0).demotion_preferred, NodeMask::Of({2}));
  EXPECT_EQ(r.node(1).demotion_preferred, NodeMask::Of({3}));
  EXPECT_TRUE(r.node(2).demotion_preferred.Empty());
  EXPECT_TRUE(r.node(3).demotion_preferred.Empty());
  EXPECT_EQ(r.NextDemotionNode(0), 2);
  EXPECT_EQ(r.NextDemotionNode(1), 3);
  EXPECT_EQ(r.NextDemotionNode(2), kNoNode);
  // top_tier_adistance = 512 + 127: only the DRAM tier is top tier.
  EXPECT_EQ(r.top_tier_adistance, 639);
  EXPECT_TRUE(r.NodeIsToptier(0));
  EXPECT_FALSE(r.NodeIsToptier(3));
  EXPECT_EQ(r.node(0).demotion_allowed, NodeMask::Of({2, 3}));
  EXPECT_TRUE(r.node(2).demotion_allowed.Empty());
  // Promotion: 2 is 30 from node 0 and 40 from node 1.
  EXPECT_EQ(r.NextPromotionNode(2), 0);
  EXPECT_EQ(r.NextPromotionNode(3), 1);
  EXPECT_EQ(r.NextPromotionNode(0), kNoNode);
}

TEST(TieringTest, KernelExample1FallbackOrder) {
  const Tiering r = Compute(KernelExample1());
  // find_next_best_node() key: (distance + [n < local] + [n has CPUs])
  // * 1024 + node_load[n], node_load starting at 0 and bumped for the first
  // node of each new distance group.
  // Node 0: 1 -> 20+0+1 = 21, 2 -> 30, 3 -> 40: 0 1 2 3; loads 1,2,3 = 1.
  EXPECT_THAT(r.node(0).fallback, ElementsAre(0, 1, 2, 3));
  // Node 1: 0 -> 20+1+1 = 22, 3 -> 30, 2 -> 40: 1 0 3 2; load 0 = 1,
  // 3 = 2, 2 = 2.
  EXPECT_THAT(r.node(1).fallback, ElementsAre(1, 0, 3, 2));
  // Node 2: 0 -> 30+1+1 = 32, 3 -> 40+0 = 40, 1 -> 40+1+1 = 42: 2 0 3 1.
  EXPECT_THAT(r.node(2).fallback, ElementsAre(2, 0, 3, 1));
  // Node 3: 1 -> 30+1+1 = 32, 2 -> 40+1 = 41, 0 -> 40+1+1 = 42: 3 1 2 0.
  EXPECT_THAT(r.node(3).fallback, ElementsAre(3, 1, 2, 0));
}

// Example 2: nodes 0-1 CPU + DRAM, node 2 memory-only DRAM: one tier.
TEST(TieringTest, KernelExample2MemoryOnlyDramSharesTheTier) {
  const Topology t = Make({{0, {0}}, {1, {1}}, {2, {}}},
                          {{10, 20, 30}, {20, 10, 30}, {30, 30, 10}});
  const Tiering r = Compute(t);
  EXPECT_THAT(TierNames(r), ElementsAre("memory_tier4=0-2"));
  // Nothing says node 2 is anything but DRAM: said, not guessed.
  EXPECT_TRUE(HasWarning(r, TieringWarning::Kind::kAssumedDram, 2));
  EXPECT_FALSE(HasWarning(r, TieringWarning::Kind::kAssumedDram, 0));
  for (int n : {0, 1, 2}) {
    EXPECT_TRUE(r.node(n).demotion_preferred.Empty()) << n;
    EXPECT_TRUE(r.NodeIsToptier(n)) << n;
    EXPECT_EQ(r.NextPromotionNode(n), kNoNode) << n;
  }
}

// Example 3: node 0 CPU + DRAM, node 1 HBM (faster), node 2 PMEM.
Topology KernelExample3() {
  Topology t = Make({{0, {0}}, {1, {}}, {2, {}, true, MemorySource::kDaxKmem}},
                    {{10, 20, 30}, {20, 10, 40}, {30, 40, 10}});
  t.mutable_node(0).perf = Perf(100, 100, 1000, 1000);
  // HBM: same latency, 4x the bandwidth: 576 * 200 / 200 * 2000 / 8000 =
  // 144, memory_tier1.
  t.mutable_node(1).perf = Perf(100, 100, 4000, 4000);
  return t;
}

TEST(TieringTest, KernelExample3HbmAboveDram) {
  const Tiering r = Compute(KernelExample3());
  EXPECT_EQ(r.node(1).adistance, 144);
  EXPECT_EQ(r.node(1).adistance_source, AdistanceSource::kPerformance);
  EXPECT_EQ(r.node(0).adistance, 576);
  EXPECT_THAT(TierNames(r), ElementsAre("memory_tier1=1", "memory_tier4=0",
                                        "memory_tier22=2"));
  // The kernel's comment: preferred[0] = 2, preferred[1] = 0, [2] empty.
  EXPECT_EQ(r.node(0).demotion_preferred, NodeMask::Of({2}));
  EXPECT_EQ(r.node(1).demotion_preferred, NodeMask::Of({0}));
  EXPECT_TRUE(r.node(2).demotion_preferred.Empty());
  // The lowest tier with CPUs is DRAM's: HBM and DRAM are both top tier.
  EXPECT_TRUE(r.NodeIsToptier(1));
  EXPECT_TRUE(r.NodeIsToptier(0));
  EXPECT_FALSE(r.NodeIsToptier(2));
}

TEST(TieringTest, PromotionStopsAtTheTopTierUnlikeTheInverseOfDemotion) {
  const Tiering r = Compute(KernelExample3());
  // The naive inverse of demotion would promote 0 -> 1 (1 demotes to 0);
  // node 0 is top tier, so the proposal does not promote it.
  EXPECT_TRUE(r.node(1).demotion_preferred.Test(0));
  EXPECT_EQ(r.NextPromotionNode(0), kNoNode);
  EXPECT_EQ(r.NextPromotionNode(1), kNoNode);
  EXPECT_EQ(r.NextPromotionNode(2), 0);
  EXPECT_EQ(r.node(2).promotion_rule, PromotionRule::kDistance);
}

// ---------------------------------------------------------------------------
// The seed topology: two sockets, DRAM plus one CXL device per socket.

// Form A, "10/20/20/30": 10 to itself, 20 to the other socket's DRAM, 20
// between DRAM and its own socket's CXL, 30 to anything across sockets
// through CXL (remote CXL, and CXL to CXL).
Topology SeedFormA() {
  return Make(
      {{0, {0, 1}, true, MemorySource::kBoot, 0},
       {1, {2, 3}, true, MemorySource::kBoot, 1},
       {2, {}, true, MemorySource::kDaxKmem},
       {3, {}, true, MemorySource::kDaxKmem}},
      {{10, 20, 20, 30}, {20, 10, 30, 20}, {20, 30, 10, 30}, {30, 20, 30, 10}});
}

// Form B, "16/32/48/64": the same shape at realistic ratios: 16 to the
// other socket's DRAM, 32 to the own socket's CXL, 48 to the other socket's
// CXL, 64 between the two CXL devices.
Topology SeedFormB() {
  return Make(
      {{0, {0, 1}, true, MemorySource::kBoot, 0},
       {1, {2, 3}, true, MemorySource::kBoot, 1},
       {2, {}, true, MemorySource::kDaxKmem},
       {3, {}, true, MemorySource::kDaxKmem}},
      {{10, 16, 32, 48}, {16, 10, 48, 32}, {32, 48, 10, 64}, {48, 32, 64, 10}});
}

void ExpectSeedTiering(const Tiering& r) {
  ASSERT_EQ(r.tiers.size(), 2u);
  EXPECT_EQ(r.tiers[0].nodes, NodeMask::Of({0, 1}));
  EXPECT_EQ(r.tiers[1].nodes, NodeMask::Of({2, 3}));
  EXPECT_EQ(r.node(0).demotion_preferred, NodeMask::Of({2}));
  EXPECT_EQ(r.node(1).demotion_preferred, NodeMask::Of({3}));
  EXPECT_EQ(r.NextDemotionNode(0), 2);
  EXPECT_EQ(r.NextDemotionNode(1), 3);
  EXPECT_EQ(r.NextDemotionNode(2), kNoNode);
  EXPECT_EQ(r.NextDemotionNode(3), kNoNode);
  EXPECT_EQ(r.NextPromotionNode(2), 0);
  EXPECT_EQ(r.NextPromotionNode(3), 1);
  EXPECT_EQ(r.NextPromotionNode(0), kNoNode);
  EXPECT_EQ(r.NextPromotionNode(1), kNoNode);
  EXPECT_TRUE(r.NodeIsToptier(0));
  EXPECT_TRUE(r.NodeIsToptier(1));
  EXPECT_FALSE(r.NodeIsToptier(2));
  EXPECT_FALSE(r.NodeIsToptier(3));
}

TEST(TieringTest, SeedFormA) {
  const Tiering r = Compute(SeedFormA());
  ExpectSeedTiering(r);
  // Tiers from the defaults: DRAM 576 (memory_tier4), kmem 2880
  // (memory_tier22).
  EXPECT_THAT(TierNames(r),
              ElementsAre("memory_tier4=0-1", "memory_tier22=2-3"));
  // Node 0's fallback: the local CXL node (20, no CPUs) beats the other
  // socket's DRAM (20 + 1 for its CPUs); 3 is 30.
  EXPECT_THAT(r.node(0).fallback, ElementsAre(0, 2, 1, 3));
  // Node 1: 3 at 20 beats 0 at 20 + 1 (lower id) + 1 (CPUs); 2 is 30.
  EXPECT_THAT(r.node(1).fallback, ElementsAre(1, 3, 0, 2));
}

TEST(TieringTest, SeedFormB) {
  const Tiering r = Compute(SeedFormB());
  ExpectSeedTiering(r);
  // Node 0: 1 at 16 + 1 = 17, 2 at 32, 3 at 48.
  EXPECT_THAT(r.node(0).fallback, ElementsAre(0, 1, 2, 3));
  // Node 2: 0 at 32 + 1 + 1 = 34, 1 at 48 + 1 + 1 = 50, 3 at 64.
  EXPECT_THAT(r.node(2).fallback, ElementsAre(2, 0, 1, 3));
}

TEST(TieringTest, SeedWithCdatPerformance) {
  Topology t = SeedFormB();
  t.mutable_node(0).perf = Perf(100, 100, 40000, 40000);
  t.mutable_node(1).perf = Perf(100, 100, 40000, 40000);
  t.mutable_node(2).perf = Perf(250, 250, 10000, 10000);
  t.mutable_node(3).perf = Perf(250, 250, 10000, 10000);
  const Tiering r = Compute(t);
  ExpectSeedTiering(r);
  // 576 * 500 / 200 = 1440; 1440 * 80000 / 20000 = 5760: memory_tier45.
  EXPECT_EQ(r.node(2).adistance, 5760);
  EXPECT_EQ(r.tiers[1].name(), "memory_tier45");
  EXPECT_EQ(r.reference.state, PerfReference::State::kSet);
  EXPECT_EQ(r.reference.node, 0);
}

TEST(TieringTest, AdistanceTruncatesLeftToRight) {
  Topology t = SeedFormA();
  t.mutable_node(0).perf = Perf(100, 100, 30000, 30000);
  t.mutable_node(2).perf = Perf(150, 170, 7000, 5000);
  const Tiering r = Compute(t);
  // 576 * 320 = 184320; / 200 = 921 (921.6 truncated); * 60000 = 55260000;
  // / 12000 = 4605. Exact arithmetic would give 576 * 1.6 * 5 = 4608, one
  // tier higher (36 instead of 35).
  EXPECT_EQ(r.node(2).adistance, 4605);
  EXPECT_EQ(r.tiers[r.node(2).tier].name(), "memory_tier35");
  // Node 3 has no performance data: the kmem default.
  EXPECT_EQ(r.node(3).adistance, 2880);
  EXPECT_EQ(r.node(3).adistance_source, AdistanceSource::kDefaultKmem);
}

TEST(TieringTest, DramMismatchDisablesPerformanceTiering) {
  Topology t = SeedFormA();
  t.mutable_node(0).perf = Perf(100, 100, 30000, 30000);
  // Node 1's read latency is 12% above node 0's: |112 - 100| * 10 > 100.
  t.mutable_node(1).perf = Perf(112, 100, 30000, 30000);
  t.mutable_node(2).perf = Perf(300, 300, 8000, 8000);
  const Tiering r = Compute(t);
  EXPECT_EQ(r.reference.state, PerfReference::State::kMismatch);
  EXPECT_EQ(r.reference.offending_node, 1);
  EXPECT_EQ(r.node(2).adistance, 2880);
  EXPECT_TRUE(HasWarning(r, TieringWarning::Kind::kDramPerfMismatch, 1));
  EXPECT_TRUE(HasWarning(r, TieringWarning::Kind::kPerfUnused, 2));
}

TEST(TieringTest, DramWithinTenPercentKeepsTheReference) {
  Topology t = SeedFormA();
  t.mutable_node(0).perf = Perf(100, 100, 30000, 30000);
  // 10% exactly is allowed: |110 - 100| * 10 = 100, not > 100.
  t.mutable_node(1).perf = Perf(110, 100, 30000, 30000);
  const Tiering r = Compute(t);
  EXPECT_EQ(r.reference.state, PerfReference::State::kSet);
  // 576 * 210 / 200 = 604; * 60000 / 60000 = 604: still memory_tier4.
  EXPECT_EQ(r.node(1).adistance, 604);
  EXPECT_EQ(r.tiers[r.node(1).tier].name(), "memory_tier4");
}

TEST(TieringTest, ZeroReferenceSumsLeaveDefaults) {
  Topology t = SeedFormA();
  t.mutable_node(0).perf = Perf(0, 0, 30000, 30000);
  t.mutable_node(2).perf = Perf(300, 300, 8000, 8000);
  const Tiering r = Compute(t);
  EXPECT_EQ(r.reference.state, PerfReference::State::kInvalid);
  EXPECT_EQ(r.node(2).adistance, 2880);
}

TEST(TieringTest, HugeAdistanceIsAnError) {
  Topology t = SeedFormA();
  t.mutable_node(0).perf = Perf(1, 1, 4000000000u, 4000000000u);
  t.mutable_node(2).perf = Perf(4000000000u, 4000000000u, 1, 1);
  EXPECT_THAT(ComputeTiering(t), StatusIs(absl::StatusCode::kOutOfRange));
}

// ---------------------------------------------------------------------------
// Where the promotion proposal differs from the naive inverse of demotion.

TEST(TieringTest, SharedCxlNodePromotesToItsOwnSocket) {
  // One CXL device (node 2) equidistant from both sockets; firmware lists
  // node 1 as its access0 initiator (it hangs off socket 1's host bridge).
  Topology t = Make({{0, {0}, true, MemorySource::kBoot, 0},
                     {1, {1}, true, MemorySource::kBoot, 1},
                     {2, {}, true, MemorySource::kDaxKmem}},
                    {{10, 20, 30}, {20, 10, 30}, {30, 30, 10}});
  t.mutable_node(2).initiators = NodeMask::Of({1});
  const Tiering r = Compute(t);
  // Both DRAM nodes demote to 2: the naive inverse is {0, 1}.
  EXPECT_EQ(r.node(0).demotion_preferred, NodeMask::Of({2}));
  EXPECT_EQ(r.node(1).demotion_preferred, NodeMask::Of({2}));
  EXPECT_EQ(r.node(2).promotion_candidates, NodeMask::Of({0, 1}));
  EXPECT_EQ(r.NextPromotionNode(2), 1);
  EXPECT_EQ(r.node(2).promotion_rule, PromotionRule::kSocket);
  EXPECT_THAT(r.node(2).sockets, ElementsAre(1));
}

TEST(TieringTest, OrphanLowerNodeStillPromotes) {
  // Nodes 2 and 3 are each socket's CXL at 20; node 4 is a far CXL node
  // (40 from both sockets) that no node demotes to.
  Topology t = Make({{0, {0}, true, MemorySource::kBoot, 0},
                     {1, {1}, true, MemorySource::kBoot, 1},
                     {2, {}, true, MemorySource::kDaxKmem},
                     {3, {}, true, MemorySource::kDaxKmem},
                     {4, {}, true, MemorySource::kDaxKmem}},
                    {{10, 20, 20, 30, 40},
                     {20, 10, 30, 20, 40},
                     {20, 30, 10, 30, 40},
                     {30, 20, 30, 10, 40},
                     {40, 40, 40, 40, 10}});
  const Tiering r = Compute(t);
  for (int n : {0, 1, 2, 3}) {
    EXPECT_FALSE(r.node(n).demotion_preferred.Test(4)) << n;
  }
  // Naive inverse: nobody. Proposal: the nearest DRAM nodes are 0 and 1 at
  // 40, both home to 4 (its nearest CPU nodes), neither demotes to it, both
  // have CPUs: lowest id.
  EXPECT_EQ(r.node(4).promotion_candidates, NodeMask::Of({0, 1}));
  EXPECT_EQ(r.NextPromotionNode(4), 0);
  EXPECT_EQ(r.node(4).promotion_rule, PromotionRule::kLowestId);
}

TEST(TieringTest, InverseBreaksATieTheSocketCannot) {
  // Two DRAM nodes of one socket (0, 1) and a CXL node 2 at 30 from both;
  // 0 prefers node 2, but node 1 prefers node 3 (at 20).
  Topology t = Make(
      {{0, {0}, true, MemorySource::kBoot, 0},
       {1, {1}, true, MemorySource::kBoot, 0},
       {2, {}, true, MemorySource::kDaxKmem},
       {3, {}, true, MemorySource::kDaxKmem}},
      {{10, 12, 30, 40}, {12, 10, 30, 20}, {30, 30, 10, 40}, {40, 20, 40, 10}});
  const Tiering r = Compute(t);
  EXPECT_EQ(r.node(0).demotion_preferred, NodeMask::Of({2}));
  EXPECT_EQ(r.node(1).demotion_preferred, NodeMask::Of({3}));
  EXPECT_EQ(r.node(2).promotion_candidates, NodeMask::Of({0, 1}));
  EXPECT_EQ(r.NextPromotionNode(2), 0);
  EXPECT_EQ(r.node(2).promotion_rule, PromotionRule::kInverse);
}

TEST(TieringTest, CpuPenaltyHidesANearerDemotionTarget) {
  // Node 2 (CPU + DRAM) demotes to tier 22 = {0, 3}. Node 0 is nearer (20)
  // but has CPUs and a lower id: key 20 + 1 + 1 = 22. Node 3 is at 21 with
  // key 21, so find_next_best_node() returns 3 first, sets best_distance =
  // 21, and stops at node 0 (20 != 21).
  Topology t = Make({{0, {0}, true, MemorySource::kDaxKmem},
                     {2, {2}, true, MemorySource::kBoot},
                     {3, {}, true, MemorySource::kDaxKmem}},
                    {{10, 20, 30}, {20, 10, 21}, {30, 21, 10}});
  const Tiering r = Compute(t);
  EXPECT_EQ(r.node(2).demotion_preferred, NodeMask::Of({3}));
  // Tier 22 holds a CPU node, so it is the lowest tier with CPUs and every
  // node is top tier: nothing promotes.
  EXPECT_EQ(r.top_tier_adistance, 2816 + 127);
  EXPECT_TRUE(r.NodeIsToptier(3));
  EXPECT_EQ(r.NextPromotionNode(3), kNoNode);
}

TEST(TieringTest, EqualDistancesGiveSeveralPreferredTargets) {
  // Node 0 is 30 from both CXL nodes: both preferred, in the order
  // find_next_best_node() returned them; the deterministic choice is the
  // first.
  Topology t = Make({{0, {0}},
                     {2, {}, true, MemorySource::kDaxKmem},
                     {3, {}, true, MemorySource::kDaxKmem}},
                    {{10, 30, 30}, {30, 10, 40}, {30, 40, 10}});
  const Tiering r = Compute(t);
  EXPECT_EQ(r.node(0).demotion_preferred, NodeMask::Of({2, 3}));
  // Loads after the zonelists: node 0 bumps 2 (new distance 30); node 2
  // bumps 0 (30) and 3 (40); node 3 bumps 0 (30) and 2 (40). So load[2] =
  // 2 and load[3] = 1: node 3 (key 30*1024 + 1) comes before node 2
  // (30*1024 + 2).
  EXPECT_THAT(r.node(0).demotion_order, ElementsAre(3, 2));
  EXPECT_EQ(r.NextDemotionNode(0), 3);
}

TEST(TieringTest, MemorylessCpuNode) {
  Topology t =
      Make({{0, {0}}, {1, {1}, false}, {2, {}, true, MemorySource::kDaxKmem}},
           {{10, 20, 30}, {20, 10, 25}, {30, 25, 10}});
  const Tiering r = Compute(t);
  EXPECT_FALSE(r.node(1).has_memory);
  EXPECT_EQ(r.node(1).tier, -1);
  EXPECT_TRUE(r.NodeIsToptier(1));
  EXPECT_EQ(r.NextDemotionNode(1), kNoNode);
  // Its fallback skips itself (v6.8+): 0 at 20 + 1 + 1 = 22 beats 2 at 25.
  EXPECT_THAT(r.node(1).fallback, ElementsAre(0, 2));
  // Node 2's nearest CPU node is 1 (25), which has no memory: its home is 1.
  EXPECT_EQ(r.node(2).home, NodeMask::Of({1}));
}

TEST(TieringTest, SparseNodeIds) {
  Topology t = Make({{0, {0}}, {1023, {}, true, MemorySource::kDaxKmem}},
                    {{10, 30}, {30, 10}});
  const Tiering r = Compute(t);
  EXPECT_EQ(r.NextDemotionNode(0), 1023);
  EXPECT_EQ(r.NextPromotionNode(1023), 0);
}

TEST(TieringTest, NoCpuNodesMeansOnlyTierZeroIsTop) {
  Topology t = Make({{0, {}}, {1, {}, true, MemorySource::kDaxKmem}},
                    {{10, 20}, {20, 10}});
  const Tiering r = Compute(t);
  // top_tier_adistance keeps its initial 0: memory_tier4 is not top tier.
  EXPECT_EQ(r.top_tier_adistance, 0);
  EXPECT_FALSE(r.NodeIsToptier(0));
  EXPECT_EQ(r.NextPromotionNode(0), kNoNode);
  EXPECT_EQ(r.NextPromotionNode(1), 0);
}

TEST(TieringTest, OverrideSetsTheAdistance) {
  Topology t = SeedFormA();
  t.mutable_node(2).adistance_override = 1000;
  const Tiering r = Compute(t);
  EXPECT_EQ(r.node(2).adistance, 1000);
  // 1000 >> 7 = 7: node 2 alone in memory_tier7, node 3 in memory_tier22.
  EXPECT_THAT(TierNames(r), ElementsAre("memory_tier4=0-1", "memory_tier7=2",
                                        "memory_tier22=3"));
  // Node 3 promotes one tier up, to 2.
  EXPECT_EQ(r.NextPromotionNode(3), 2);
  EXPECT_EQ(r.NextDemotionNode(2), 3);
}

TEST(TieringTest, MaxNumNodesStaysFast) {
  // 1024 nodes (MAX_NUMNODES): 512 CPU + DRAM nodes and 512 kmem nodes, the
  // i-th kmem node nearest to the i-th DRAM node. O(n^2 log n) keeps this
  // well under a second; the kernel's own loops would be O(n^3).
  std::vector<int> ids;
  for (int i = 0; i < kMaxNumNodes; ++i) ids.push_back(i);
  ASSERT_OK_AND_ASSIGN(Topology t, Topology::Create(ids));
  const int half = kMaxNumNodes / 2;
  for (int i = 0; i < kMaxNumNodes; ++i) {
    NumaNode& n = t.mutable_node(i);
    n.has_memory = true;
    if (i < half) {
      n.cpus = {i};
    } else {
      n.source = MemorySource::kDaxKmem;
    }
    for (int j = 0; j < kMaxNumNodes; ++j) {
      if (i == j) continue;
      const bool pair = (i % half) == (j % half);
      ASSERT_OK(t.SetDistance(i, j, pair ? 20 : 30 + (i + j) % 100));
    }
  }
  ASSERT_OK_AND_ASSIGN(Tiering r, ComputeTiering(t));
  EXPECT_THAT(CheckTiering(t, r), IsEmpty());
  EXPECT_EQ(r.NextDemotionNode(7), half + 7);
  EXPECT_EQ(r.NextPromotionNode(half + 7), 7);
  EXPECT_EQ(r.node(1023).fallback.size(), 1024u);
}

// ---------------------------------------------------------------------------
// Warnings.

TEST(TieringTest, WarnsAboutZonesSocketsAndCpusets) {
  Topology t = SeedFormA();
  t.set_demotion_enabled(true);
  ASSERT_OK(t.AddRange(2, {Range(0x1000000000, 0x10ffffffff), Zone::kNormal}));
  ASSERT_OK(t.AddRange(3, {Range(0x2000000000, 0x20ffffffff), Zone::kMovable}));
  const Tiering r = Compute(t);
  EXPECT_TRUE(HasWarning(r, TieringWarning::Kind::kKmemZoneNormal, 2));
  EXPECT_FALSE(HasWarning(r, TieringWarning::Kind::kKmemZoneNormal, 3));
  EXPECT_TRUE(HasWarning(r, TieringWarning::Kind::kNoGiganticPages, 3));
  EXPECT_FALSE(HasWarning(r, TieringWarning::Kind::kNoGiganticPages, 2));
  EXPECT_TRUE(
      HasWarning(r, TieringWarning::Kind::kDemotionIgnoresCpuset, kNoNode));
  // memory_tier22 holds node 2 (home node 0, socket 0) and node 3 (home 1,
  // socket 1); the top tier lumping both sockets is not reported.
  int spans = 0;
  for (const TieringWarning& w : r.warnings) {
    if (w.kind == TieringWarning::Kind::kTierSpansSockets) {
      ++spans;
      EXPECT_THAT(w.message, ::testing::HasSubstr("memory_tier22"));
    }
  }
  EXPECT_EQ(spans, 1);
  EXPECT_FALSE(HasWarning(r, TieringWarning::Kind::kDemotionCrossesSocket, 0));
}

TEST(TieringTest, WarnsWhenHotplugWouldOnlineIntoAKernelZone) {
  Topology t = SeedFormA();
  t.set_auto_online(OnlinePolicy::kOnlineKernel);
  EXPECT_TRUE(
      HasWarning(Compute(t), TieringWarning::Kind::kAutoOnlineKernel, kNoNode));
  t.set_auto_online(OnlinePolicy::kOnline);
  EXPECT_TRUE(
      HasWarning(Compute(t), TieringWarning::Kind::kAutoOnlineKernel, kNoNode));
  t.set_auto_online(OnlinePolicy::kOnlineMovable);
  EXPECT_FALSE(
      HasWarning(Compute(t), TieringWarning::Kind::kAutoOnlineKernel, kNoNode));
  // No hot-plugged (kmem) memory: nothing to warn about.
  Topology dram = Make({{0, {0}}}, {{10}});
  dram.set_auto_online(OnlinePolicy::kOnlineKernel);
  EXPECT_FALSE(HasWarning(Compute(dram),
                          TieringWarning::Kind::kAutoOnlineKernel, kNoNode));
}

TEST(TieringTest, NoCpusetWarningWhenDemotionIsDisabled) {
  const Tiering r = Compute(SeedFormA());
  EXPECT_FALSE(
      HasWarning(r, TieringWarning::Kind::kDemotionIgnoresCpuset, kNoNode));
}

TEST(TieringTest, WarnsWhenDemotionCrossesSockets) {
  // Socket 0's CXL device is attached far away: node 0 is nearer to socket
  // 1's CXL node 3 (25) than to its own node 2 (40).
  Topology t = Make(
      {{0, {0}, true, MemorySource::kBoot, 0},
       {1, {1}, true, MemorySource::kBoot, 1},
       {2, {}, true, MemorySource::kDaxKmem, 0},
       {3, {}, true, MemorySource::kDaxKmem, 1}},
      {{10, 20, 40, 25}, {20, 10, 40, 20}, {40, 40, 10, 40}, {25, 20, 40, 10}});
  const Tiering r = Compute(t);
  EXPECT_EQ(r.node(0).demotion_preferred, NodeMask::Of({3}));
  EXPECT_TRUE(HasWarning(r, TieringWarning::Kind::kDemotionCrossesSocket, 0));
  EXPECT_FALSE(HasWarning(r, TieringWarning::Kind::kDemotionCrossesSocket, 1));
}

// ---------------------------------------------------------------------------
// The checker itself.

TEST(TieringTest, CheckerCatchesCorruptedResults) {
  const Topology t = SeedFormA();
  const Tiering good = Compute(t);
  {
    Tiering bad = good;
    bad.nodes[0].next_demotion = 3;  // not the first preferred node
    EXPECT_THAT(CheckTiering(t, bad), ::testing::Not(IsEmpty()));
  }
  {
    Tiering bad = good;
    bad.nodes[2].next_promotion = 3;  // same tier
    bad.nodes[2].promotion_candidates.Set(3);
    EXPECT_THAT(CheckTiering(t, bad), ::testing::Not(IsEmpty()));
  }
  {
    Tiering bad = good;
    bad.nodes[0].demotion_order = {2, 3};  // 2 at 20, 3 at 30
    bad.nodes[0].demotion_preferred = NodeMask::Of({2, 3});
    EXPECT_THAT(CheckTiering(t, bad), ::testing::Not(IsEmpty()));
  }
  {
    Tiering bad = good;
    bad.nodes[1].fallback.pop_back();
    EXPECT_THAT(CheckTiering(t, bad), ::testing::Not(IsEmpty()));
  }
  {
    Tiering bad = good;
    bad.nodes[3].next_demotion = 1000;  // unknown node: reported, no crash
    EXPECT_THAT(CheckTiering(t, bad), ::testing::Not(IsEmpty()));
  }
  {
    Tiering bad = good;
    bad.top_tier_adistance = 5000;
    EXPECT_THAT(CheckTiering(t, bad), ::testing::Not(IsEmpty()));
  }
}

TEST(TieringTest, RejectsBrokenTopology) {
  Topology t = SeedFormA();
  t.mutable_node(1).cpus = {1};  // CPU 1 is also node 0's
  EXPECT_THAT(ComputeTiering(t), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace numa
}  // namespace restree
