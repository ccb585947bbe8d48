#include "numa/topology.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace restree {
namespace numa {

absl::string_view MemorySourceName(MemorySource s) {
  switch (s) {
    case MemorySource::kBoot:
      return "boot";
    case MemorySource::kDaxKmem:
      return "kmem";
  }
  return "?";
}

absl::string_view ZoneName(Zone z) {
  switch (z) {
    case Zone::kNormal:
      return "normal";
    case Zone::kMovable:
      return "movable";
  }
  return "?";
}

absl::string_view OnlinePolicyName(OnlinePolicy p) {
  switch (p) {
    case OnlinePolicy::kOffline:
      return "offline";
    case OnlinePolicy::kOnline:
      return "online";
    case OnlinePolicy::kOnlineKernel:
      return "online_kernel";
    case OnlinePolicy::kOnlineMovable:
      return "online_movable";
  }
  return "?";
}

std::optional<OnlinePolicy> ParseOnlinePolicy(absl::string_view text) {
  for (OnlinePolicy p :
       {OnlinePolicy::kOffline, OnlinePolicy::kOnline,
        OnlinePolicy::kOnlineKernel, OnlinePolicy::kOnlineMovable}) {
    if (text == OnlinePolicyName(p)) return p;
  }
  return std::nullopt;
}

absl::StatusOr<Topology> Topology::Create(std::vector<int> ids) {
  if (ids.empty()) return absl::InvalidArgumentError("no NUMA nodes");
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= kMaxNumNodes) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", ids[i], " is outside 0..", kMaxNumNodes - 1,
                       " (MAX_NUMNODES)"));
    }
    if (i > 0 && ids[i] == ids[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", ids[i], " appears twice"));
    }
  }
  Topology t;
  const size_t n = ids.size();
  t.index_.assign(kMaxNumNodes, -1);
  t.nodes_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    t.nodes_[i].id = ids[i];
    t.index_[static_cast<size_t>(ids[i])] = static_cast<int>(i);
  }
  t.distance_.assign(n * n, static_cast<uint8_t>(kRemoteDistance));
  for (size_t i = 0; i < n; ++i) {
    t.distance_[i * n + i] = static_cast<uint8_t>(kLocalDistance);
  }
  return t;
}

bool Topology::HasNode(int id) const {
  return id >= 0 && id < kMaxNumNodes && Index(id) >= 0;
}

const NumaNode& Topology::node(int id) const {
  RESTREE_CHECK(HasNode(id), "no such node");
  return nodes_[static_cast<size_t>(Index(id))];
}

NumaNode& Topology::mutable_node(int id) {
  RESTREE_CHECK(HasNode(id), "no such node");
  return nodes_[static_cast<size_t>(Index(id))];
}

int Topology::Distance(int from, int to) const {
  RESTREE_CHECK(HasNode(from) && HasNode(to), "no such node");
  return distance_[static_cast<size_t>(Index(from)) * nodes_.size() +
                   static_cast<size_t>(Index(to))];
}

absl::Status Topology::SetDistance(int from, int to, int distance) {
  if (!HasNode(from) || !HasNode(to)) {
    return absl::NotFoundError(
        absl::StrCat("distance ", from, " -> ", to, ": no such node"));
  }
  if (distance < 1 || distance > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "distance ", from, " -> ", to, " is ", distance, "; must be 1..255"));
  }
  distance_[static_cast<size_t>(Index(from)) * nodes_.size() +
            static_cast<size_t>(Index(to))] = static_cast<uint8_t>(distance);
  return absl::OkStatus();
}

std::vector<Topology::DistanceDeviation> Topology::KernelDistanceDeviations()
    const {
  std::vector<DistanceDeviation> out;
  const size_t n = nodes_.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const int d = distance_[i * n + j];
      if (i == j ? d != kLocalDistance : d <= kLocalDistance) {
        out.push_back({nodes_[i].id, nodes_[j].id, d});
      }
    }
  }
  return out;
}

void Topology::UseKernelDefaultDistancesIfRejected() {
  if (KernelDistanceDeviations().empty()) return;
  const size_t n = nodes_.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      distance_[i * n + j] =
          static_cast<uint8_t>(i == j ? kLocalDistance : kRemoteDistance);
    }
  }
}

absl::Status Topology::AddRange(int id, MemoryRange range) {
  if (!HasNode(id)) {
    return absl::NotFoundError(
        absl::StrCat("range ", range.range.ToString(), ": no node ", id));
  }
  if (!range.range.valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat("range ", range.range.ToString(), " is inverted"));
  }
  // The nearest range starting at or before range.last() is the only one
  // that can overlap (ranges are disjoint).
  auto it = range_index_.upper_bound(range.range.last());
  if (it != range_index_.begin()) {
    --it;
    const Range other(it->first, it->second.first);
    if (other.Overlaps(range.range)) {
      return absl::AlreadyExistsError(absl::StrCat(
          "range ", range.range.ToString(), " of node ", id, " overlaps ",
          other.ToString(), " of node ", it->second.second));
    }
  }
  range_index_.emplace(range.range.first(),
                       std::make_pair(range.range.last(), id));
  NumaNode& n = mutable_node(id);
  auto pos = std::upper_bound(n.ranges.begin(), n.ranges.end(), range,
                              [](const MemoryRange& a, const MemoryRange& b) {
                                return a.range < b.range;
                              });
  n.ranges.insert(pos, range);
  n.has_memory = true;
  return absl::OkStatus();
}

NodeMask Topology::MemoryNodes() const {
  NodeMask m;
  for (const NumaNode& n : nodes_) {
    if (n.has_memory) m.Set(n.id);
  }
  return m;
}

NodeMask Topology::CpuNodes() const {
  NodeMask m;
  for (const NumaNode& n : nodes_) {
    if (n.has_cpu()) m.Set(n.id);
  }
  return m;
}

NodeMask Topology::AllNodes() const {
  NodeMask m;
  for (const NumaNode& n : nodes_) m.Set(n.id);
  return m;
}

std::vector<std::string> Topology::CheckInvariants() const {
  std::vector<std::string> out;
  const size_t n = nodes_.size();
  if (n == 0) out.push_back("no nodes");
  if (index_.size() != static_cast<size_t>(kMaxNumNodes)) {
    out.push_back("id table has the wrong size");
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    const int id = nodes_[i].id;
    if (id < 0 || id >= kMaxNumNodes) {
      out.push_back(absl::StrCat("node id ", id, " out of range"));
      continue;
    }
    if (i > 0 && nodes_[i - 1].id >= id) {
      out.push_back(absl::StrCat("node ids not ascending at ", id));
    }
    if (index_[static_cast<size_t>(id)] != static_cast<int>(i)) {
      out.push_back(absl::StrCat("id table disagrees for node ", id));
    }
  }
  size_t mapped = 0;
  for (int v : index_) {
    if (v >= 0) ++mapped;
  }
  if (mapped != n) out.push_back("id table maps a node that does not exist");
  if (distance_.size() != n * n) {
    out.push_back("distance matrix is not n x n");
  } else {
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        const int d = distance_[i * n + j];
        if (d == 0) {
          out.push_back(absl::StrCat("distance ", nodes_[i].id, " -> ",
                                     nodes_[j].id, " is 0"));
        }
      }
    }
  }
  std::vector<std::pair<int, int>> cpu_owner;  // (cpu, node)
  std::vector<std::pair<Range, int>> all_ranges;
  for (const NumaNode& node : nodes_) {
    for (size_t c = 0; c < node.cpus.size(); ++c) {
      if (node.cpus[c] < 0 || (c > 0 && node.cpus[c] <= node.cpus[c - 1])) {
        out.push_back(absl::StrCat("CPU ids of node ", node.id,
                                   " not ascending and non-negative"));
        break;
      }
    }
    for (int c : node.cpus) cpu_owner.emplace_back(c, node.id);
    if ((node.memory_bytes > 0 || !node.ranges.empty()) && !node.has_memory) {
      out.push_back(
          absl::StrCat("node ", node.id, " has memory but is not in N_MEMORY"));
    }
    for (size_t r = 0; r < node.ranges.size(); ++r) {
      const Range& range = node.ranges[r].range;
      if (!range.valid()) {
        out.push_back(absl::StrCat("range ", range.ToString(), " of node ",
                                   node.id, " is inverted"));
      }
      if (r > 0 && !(node.ranges[r - 1].range < range)) {
        out.push_back(
            absl::StrCat("ranges of node ", node.id, " are not sorted"));
      }
      all_ranges.emplace_back(range, node.id);
    }
    if (node.perf.has_value() && node.perf->access_class != 0 &&
        node.perf->access_class != 1) {
      out.push_back(absl::StrCat("node ", node.id, " has access class ",
                                 node.perf->access_class));
    }
    if (node.socket.has_value() && *node.socket < 0) {
      out.push_back(absl::StrCat("node ", node.id, " has a negative socket"));
    }
    for (int i : node.initiators.ToVector()) {
      if (!HasNode(i)) {
        out.push_back(absl::StrCat("node ", node.id,
                                   " names unknown initiator node ", i));
      }
    }
  }
  std::sort(cpu_owner.begin(), cpu_owner.end());
  for (size_t i = 1; i < cpu_owner.size(); ++i) {
    if (cpu_owner[i].first == cpu_owner[i - 1].first) {
      out.push_back(absl::StrCat("CPU ", cpu_owner[i].first,
                                 " belongs to nodes ", cpu_owner[i - 1].second,
                                 " and ", cpu_owner[i].second));
    }
  }
  if (all_ranges.size() != range_index_.size()) {
    out.push_back("range index and node ranges disagree in size");
  }
  for (const auto& [range, owner] : all_ranges) {
    auto it = range_index_.find(range.first());
    if (it == range_index_.end() || it->second.first != range.last() ||
        it->second.second != owner) {
      out.push_back(absl::StrCat("range ", range.ToString(), " of node ", owner,
                                 " missing from the range index"));
    }
  }
  std::sort(all_ranges.begin(), all_ranges.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < all_ranges.size(); ++i) {
    if (all_ranges[i].first.Overlaps(all_ranges[i - 1].first)) {
      out.push_back(absl::StrCat("range ", all_ranges[i].first.ToString(),
                                 " of node ", all_ranges[i].second,
                                 " overlaps ",
                                 all_ranges[i - 1].first.ToString(),
                                 " of node ", all_ranges[i - 1].second));
    }
  }
  return out;
}

}  // namespace numa
}  // namespace restree
