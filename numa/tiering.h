// File: tiering.h
// -----------------------------------------------------------------------------
//
// The kernel's memory tiering, computed from a `Topology`: each memory node's
// abstract distance (mm/memory-tiers.c, mt_perf_to_adistance()), the memory
// tiers (`memory_tierN` in /sys/devices/virtual/memory_tiering/), the demotion
// targets that establish_demotion_targets() sets up (the `preferred` nodemask
// of node_demotion[] and each tier's lower_tier_mask), node_is_toptier(), the
// page allocator's per-node fallback order (build_zonelists()), and a
// proposed next_promotion_node(), which the kernel does not have.
//
// Every formula, constant and tie-break is the kernel's and is written down,
// with the kernel version it comes from, in docs/tiering.md. Two choices are
// restree's own and are marked as such here and there:
//
//   * next_demotion_node() picks uniformly at random among the preferred
//     nodes (node_random()); restree exposes the whole preferred set and, as
//     the single answer, the preferred node the kernel's search found first.
//   * next_promotion_node() is a proposal: the nearest node of the next
//     higher tier, ties broken by socket, then by the inverse of demotion,
//     then by CPUs, then by lowest id (see NodeTiering::promotion_rule).
//
// Complexity: n nodes. O(n^2 log n) time (one sorted candidate list per node
// for the fallback order and one for demotion) and O(n^2) memory for the
// fallback lists; n = 1024 takes about a second unoptimised
// (tiering_test MaxNumNodesStaysFast, setup and checks included).
//
// Thread-safety: `Tiering` is an immutable value once computed; safe to share.

#ifndef RESTREE_NUMA_TIERING_H_
#define RESTREE_NUMA_TIERING_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "numa/node_mask.h"
#include "numa/topology.h"

namespace restree {
namespace numa {

// include/linux/memory-tiers.h (since v6.1).
inline constexpr int kMemtierChunkBits = 7;
inline constexpr int kMemtierChunkSize = 1 << kMemtierChunkBits;  // 128
inline constexpr int kMemtierAdistanceDram =
    4 * kMemtierChunkSize + (kMemtierChunkSize >> 1);  // 576
// MEMTIER_DEFAULT_DAX_ADISTANCE (drivers/dax/kmem.c, v6.1-v6.10), renamed
// MEMTIER_DEFAULT_LOWTIER_ADISTANCE in include/linux/memory-tiers.h later.
inline constexpr int kMemtierDefaultLowtierAdistance =
    kMemtierAdistanceDram * 5;  // 2880
// include/linux/topology.h, used by find_next_best_node().
inline constexpr int kPenaltyForNodeWithCpus = 1;

// Where a node's abstract distance came from.
enum class AdistanceSource {
  kNone,         // memoryless: the node has no memory tier
  kDefaultDram,  // MEMTIER_ADISTANCE_DRAM (boot memory, no usable perf)
  kDefaultKmem,  // MEMTIER_DEFAULT_LOWTIER_ADISTANCE (dax/kmem, no perf)
  kPerformance,  // mt_perf_to_adistance() against the reference DRAM node
  kOverride,     // NumaNode::adistance_override
};
absl::string_view AdistanceSourceName(AdistanceSource s);

struct MemoryTier {
  // round_down(adistance, 128) of its nodes; the tier covers
  // [adistance_start, adistance_start + 127].
  int adistance_start = 0;
  NodeMask nodes;
  // Every node of every tier below this one (memtier->lower_tier_mask).
  NodeMask lower_tier_mask;

  // The sysfs device id and name: adistance_start >> 7, "memory_tierN".
  int id() const { return adistance_start >> kMemtierChunkBits; }
  std::string name() const;
};

// Which rule of the promotion proposal chose `next_promotion`.
enum class PromotionRule {
  kNone,      // top tier (or memoryless): no promotion
  kDistance,  // a single nearest node of the next higher tier
  kSocket,    // a tie, broken by sharing the node's socket
  kInverse,   // a tie, broken by "that node demotes to this one"
  kCpu,       // a tie, broken by the candidate having CPUs
  kLowestId,  // a tie nothing else broke
};
absl::string_view PromotionRuleName(PromotionRule r);

struct NodeTiering {
  int node = kNoNode;
  bool has_memory = false;
  // Abstract distance; meaningful when has_memory.
  int adistance = 0;
  AdistanceSource adistance_source = AdistanceSource::kNone;
  // Index into Tiering::tiers, or -1 for a memoryless node.
  int tier = -1;
  // node_is_toptier().
  bool toptier = true;

  // node_demotion[node].preferred, and the same nodes in the order the
  // kernel's find_next_best_node() loop found them.
  NodeMask demotion_preferred;
  std::vector<int> demotion_order;
  // node_get_allowed_targets(): the tier's lower_tier_mask (fallback targets).
  NodeMask demotion_allowed;
  // restree's deterministic next_demotion_node(): demotion_order[0], or
  // kNoNode when the node is terminal.
  int next_demotion = kNoNode;

  // The proposal's candidates: the next higher tier's nodes at the minimum
  // distance (before tie-breaking), and its choice.
  NodeMask promotion_candidates;
  int next_promotion = kNoNode;
  PromotionRule promotion_rule = PromotionRule::kNone;

  // The CPU nodes this node is "near": itself if it has CPUs, else its
  // access0 initiators if known, else the CPU nodes at the minimum distance.
  NodeMask home;
  // Socket keys of `home` (known socket ids; an unknown socket counts as
  // one socket per CPU node, reported as kUnknownSocketBase + node).
  std::vector<int> sockets;

  // The allocator's fallback order (ZONELIST_FALLBACK node order; the
  // kernel prints it as "Fallback order for Node N: ...").
  std::vector<int> fallback;
};

inline constexpr int kUnknownSocketBase = 1 << 20;

struct TieringWarning {
  enum class Kind {
    kKmemZoneNormal,         // hot-plugged memory onlined into ZONE_NORMAL
    kNoGiganticPages,        // all of a node's memory is ZONE_MOVABLE
    kDemotionIgnoresCpuset,  // demotion enabled: targets ignore cpuset.mems
    kTierSpansSockets,       // a lower tier lumps nodes of different sockets
    kDemotionCrossesSocket,  // a preferred demotion target on another socket
    kDramPerfMismatch,       // default DRAM nodes differ by more than 10%
    kPerfUnused,             // performance given but not used for adistance
    kAssumedDram,            // CPU-less memory of unknown kind tiered as DRAM
    kAutoOnlineKernel,       // new hot-plugged blocks will be onlined into a
                             // kernel zone (auto_online_blocks)
    kWhatIfDistances,        // a distance table Linux would not use as given
  };
  Kind kind;
  int node = kNoNode;  // kNoNode when not about one node
  std::string message;
};
absl::string_view WarningKindName(TieringWarning::Kind k);

// How the default DRAM performance reference was established
// (hmat_set_default_dram_perf() + mt_set_default_dram_perf()).
struct PerfReference {
  enum class State {
    kNone,      // no default DRAM node had performance data
    kSet,       // `perf` of `node` is the reference
    kInvalid,   // the first candidate had a zero latency or bandwidth sum
    kMismatch,  // a default DRAM node differed by more than 10%: disabled
  };
  State state = State::kNone;
  int node = kNoNode;            // the reference node (kSet, kMismatch)
  int offending_node = kNoNode;  // kInvalid, kMismatch
  AccessPerf perf;
};

struct Tiering {
  // Ascending adistance_start: the fastest tier first.
  std::vector<MemoryTier> tiers;
  // One per topology node, ascending id.
  std::vector<NodeTiering> nodes;
  // top_tier_adistance: the last adistance counted as top tier.
  int top_tier_adistance = 0;
  PerfReference reference;
  std::vector<TieringWarning> warnings;

  // Precondition for the node-taking accessors: the node is in `nodes`.
  const NodeTiering& node(int id) const;
  // next_demotion_node() with restree's deterministic choice.
  int NextDemotionNode(int id) const { return node(id).next_demotion; }
  bool NodeIsToptier(int id) const { return node(id).toptier; }
  int NextPromotionNode(int id) const { return node(id).next_promotion; }
};

// Computes the tiering of `topology`. kInvalidArgument if the topology
// breaks an invariant; kOutOfRange if an abstract distance computed from
// performance data does not fit the kernel's int (absurd latencies or
// bandwidths), naming the node.
[[nodiscard]] absl::StatusOr<Tiering> ComputeTiering(const Topology& topology);

// Independent checks of a computed tiering against its topology, one message
// per violation (empty = consistent): tiers sorted, disjoint, covering
// exactly the memory nodes, each node's adistance inside its tier; demotion
// preferred targets exactly one tier down and at one distance; no demotion
// or promotion cycle; promotion exactly one tier up; top tier consistent
// with the CPU nodes; fallback lists a permutation of the memory nodes.
std::vector<std::string> CheckTiering(const Topology& topology,
                                      const Tiering& tiering);

}  // namespace numa
}  // namespace restree

#endif  // RESTREE_NUMA_TIERING_H_
