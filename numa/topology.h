// File: topology.h
// -----------------------------------------------------------------------------
//
// `Topology` is what the kernel knows about a machine's NUMA nodes when it
// builds memory tiers: the node ids, the SLIT distance between every pair,
// which nodes have CPUs and memory, each memory node's access performance
// (HMAT / CDAT, as the node's access0/access1 "initiators" attributes show
// it), who onlined the memory (boot firmware or dax/kmem for hot-plugged CXL),
// and which physical ranges of the node are in ZONE_NORMAL or ZONE_MOVABLE.
//
// It is the input of `ComputeTiering()` (tiering.h); the parsers in parse.h
// build it from numactl output, a sysfs tree or an ACPI SLIT. It holds no
// derived data: nothing here is computed by the kernel's tiering code.
//
// Node ids are the kernel's, 0 .. kMaxNumNodes-1, and may be sparse. The
// distance matrix is dense over the nodes present (n^2 bytes, at most 1 MiB),
// and lookups are O(1): an id -> position table of kMaxNumNodes entries.
//
// Invalidation: `node()` / `mutable_node()` references stay valid until the
// Topology is destroyed or assigned (the node set is fixed at creation).
//
// Thread-safety: thread-compatible. Const methods may run concurrently; any
// mutation needs exclusive access.

#ifndef RESTREE_NUMA_TOPOLOGY_H_
#define RESTREE_NUMA_TOPOLOGY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "numa/node_mask.h"
#include "resource_tree/range.h"

namespace restree {
namespace numa {

// LOCAL_DISTANCE and REMOTE_DISTANCE (include/linux/topology.h): what
// node_distance() returns on a machine without a SLIT.
inline constexpr int kLocalDistance = 10;
inline constexpr int kRemoteDistance = 20;

// Who put the node's memory online. It decides the node's abstract distance
// when no performance data is known: boot memory gets the default DRAM value,
// memory onlined by dax/kmem (hot-plugged CXL, PMEM) the kmem default.
enum class MemorySource { kBoot, kDaxKmem };
absl::string_view MemorySourceName(MemorySource s);

// The zone a memory block was onlined into (the online policy decides:
// online_movable / auto-online "online_kernel" etc.).
enum class Zone { kNormal, kMovable };
absl::string_view ZoneName(Zone z);

// /sys/devices/system/memory/auto_online_blocks: what the kernel does with
// a memory block when it is hot-added.
enum class OnlinePolicy { kOffline, kOnline, kOnlineKernel, kOnlineMovable };
absl::string_view OnlinePolicyName(OnlinePolicy p);
// The sysfs spelling ("offline", "online", "online_kernel",
// "online_movable"); nullopt for anything else.
std::optional<OnlinePolicy> ParseOnlinePolicy(absl::string_view text);

// `struct access_coordinate`: performance of the node's memory as seen from
// its nearest initiators. Latencies in nanoseconds, bandwidths in MiB/s, as
// in /sys/devices/system/node/nodeN/accessC/initiators/.
struct AccessPerf {
  uint32_t read_latency = 0;
  uint32_t write_latency = 0;
  uint32_t read_bandwidth = 0;
  uint32_t write_bandwidth = 0;
  // The access class it came from: 1 (access1, CPU initiators; what the
  // kernel's tiering uses) or 0 (access0, any initiator).
  int access_class = 1;

  friend bool operator==(const AccessPerf& a, const AccessPerf& b) {
    return a.read_latency == b.read_latency &&
           a.write_latency == b.write_latency &&
           a.read_bandwidth == b.read_bandwidth &&
           a.write_bandwidth == b.write_bandwidth &&
           a.access_class == b.access_class;
  }
};

// A physical range of a node's memory and its zone.
struct MemoryRange {
  Range range;
  Zone zone = Zone::kNormal;
};

struct NumaNode {
  int id = kNoNode;
  // CPU ids, ascending. Non-empty means the node is in N_CPU.
  std::vector<int> cpus;
  // N_MEMORY. Implied by non-zero memory_bytes or any range.
  bool has_memory = false;
  // Total memory (MemTotal); 0 if unknown.
  uint64_t memory_bytes = 0;
  MemorySource source = MemorySource::kBoot;
  // Physical package (socket) id of the node's CPUs, or a socket an input
  // assigned to a CPU-less node.
  std::optional<int> socket;
  std::optional<AccessPerf> perf;
  // The node's access0 initiators (the nodes listed under
  // accessN/initiators/); empty when unknown.
  NodeMask initiators;
  // An abstract distance fixed by a driver's memory type (what a
  // memory_dev_type set through init_node_memory_type() gives the node).
  std::optional<int> adistance_override;
  // Sorted by address, disjoint.
  std::vector<MemoryRange> ranges;

  bool has_cpu() const { return !cpus.empty(); }
};

class Topology {
 public:
  // Nodes `ids` (any order; unique, each in [0, kMaxNumNodes)), without CPUs
  // or memory, at the kernel's default distances (10 to itself, 20 to every
  // other node). kInvalidArgument for an empty, duplicate or out-of-range id
  // list.
  [[nodiscard]] static absl::StatusOr<Topology> Create(std::vector<int> ids);

  // Nodes, ascending id.
  const std::vector<NumaNode>& nodes() const { return nodes_; }
  int size() const { return static_cast<int>(nodes_.size()); }
  bool HasNode(int id) const;
  // Precondition: HasNode(id). O(1).
  const NumaNode& node(int id) const;
  NumaNode& mutable_node(int id);

  // node_distance(from, to). Precondition: both nodes exist. O(1).
  int Distance(int from, int to) const;
  // Sets one entry. kNotFound for an unknown node; kInvalidArgument for a
  // distance outside [1, 255] (the kernel stores u8 and 0 means "none").
  // Entries Linux would refuse (a self distance other than 10, a remote one
  // of 10 or less) are kept, so that a what-if table can be tiered as given;
  // KernelDistanceDeviations() lists them.
  [[nodiscard]] absl::Status SetDistance(int from, int to, int distance);

  // The entries of the distance table that Linux would not use as given:
  // a self distance other than LOCAL_DISTANCE (numa_set_distance() ignores
  // the entry) and a remote distance of LOCAL_DISTANCE or less (an ACPI
  // SLIT with either fails slit_valid() and is ignored whole). Row-major
  // order. O(n^2).
  struct DistanceDeviation {
    int from = kNoNode;
    int to = kNoNode;
    int distance = 0;
  };
  std::vector<DistanceDeviation> KernelDistanceDeviations() const;

  // What Linux does with a table that has deviations: every entry back to
  // its default (10 to itself, 20 elsewhere), as when the SLIT is ignored.
  // A table without deviations is left as it is. O(n^2).
  void UseKernelDefaultDistancesIfRejected();

  // Adds a memory range to `node` (marking it N_MEMORY), keeping ranges
  // sorted. kNotFound for an unknown node, kInvalidArgument for an inverted
  // range, kAlreadyExists if it overlaps a range of any node. O(log r) to
  // check plus the insertion into the node's vector (O(1) when ranges come
  // in address order).
  [[nodiscard]] absl::Status AddRange(int node, MemoryRange range);

  // node_states[N_MEMORY], node_states[N_CPU], all nodes. O(n).
  NodeMask MemoryNodes() const;
  NodeMask CpuNodes() const;
  NodeMask AllNodes() const;

  // /sys/kernel/mm/numa/demotion_enabled.
  bool demotion_enabled() const { return demotion_enabled_; }
  void set_demotion_enabled(bool on) { demotion_enabled_ = on; }

  // auto_online_blocks, when known.
  std::optional<OnlinePolicy> auto_online() const { return auto_online_; }
  void set_auto_online(OnlinePolicy p) { auto_online_ = p; }

  // Every broken invariant, one message each (empty means consistent):
  // ascending unique ids in range, the id table, a full n x n matrix with 10
  // of 1..255 entries, ascending unique CPU ids owned by
  // one node only, has_memory set where memory or ranges exist, valid
  // disjoint sorted ranges (also across nodes), access classes 0/1, sockets
  // >= 0, initiators naming existing nodes. O(n^2 + r log r).
  std::vector<std::string> CheckInvariants() const;

 private:
  Topology() = default;
  int Index(int id) const { return index_[static_cast<size_t>(id)]; }

  std::vector<NumaNode> nodes_;
  std::vector<int> index_;         // kMaxNumNodes entries; -1 = absent
  std::vector<uint8_t> distance_;  // n * n, row = from
  // Every node's ranges: first -> (last, node), for overlap checks.
  std::map<uint64_t, std::pair<uint64_t, int>> range_index_;
  bool demotion_enabled_ = false;
  std::optional<OnlinePolicy> auto_online_;
};

}  // namespace numa
}  // namespace restree

#endif  // RESTREE_NUMA_TOPOLOGY_H_
