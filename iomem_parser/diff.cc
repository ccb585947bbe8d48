#include "iomem_parser/diff.h"

#include <cstdint>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "iomem_parser/internal/flat_tree.h"
#include "resource_tree/domain_invariants.h"

namespace restree {

namespace internal {

FlatTree Flatten(const ResourceTree& t) {
  FlatTree f;
  std::vector<int> at_depth;  // the last node seen at each depth
  t.ForEachPreorder([&](ResourceId id, int depth) {
    const int pos = static_cast<int>(f.id.size());
    at_depth.resize(static_cast<size_t>(depth) + 1);
    at_depth[depth] = pos;
    const ResourceView v = t.View(id);
    f.id.push_back(id);
    f.parent.push_back(depth == 0 ? -1 : at_depth[depth - 1]);
    f.range.push_back(v.range);
    f.name.push_back(v.name);
    f.flags.push_back(v.flags);
    f.desc.push_back(v.desc);
  });
  return f;
}

}  // namespace internal

namespace {

class Matcher {
 public:
  Matcher(const internal::FlatTree& a, const internal::FlatTree& b, bool zeroed)
      : a_(a), b_(b), zeroed_(zeroed), pa_(a.size(), -1), pb_(b.size(), -1) {}

  void Run() {
    if (zeroed_) {
      ByAncestry();
      ByNameInOrder();
    } else {
      SameRangeAndName();
      Overlapping(/*need_parents_paired=*/true);
      Overlapping(/*need_parents_paired=*/false);
    }
  }

  const std::vector<int>& pair_a() const { return pa_; }
  const std::vector<int>& pair_b() const { return pb_; }

 private:
  void Pair(int i, int j) {
    pa_[i] = j;
    pb_[j] = i;
  }
  bool ParentsPaired(int i, int j) const {
    const int p = a_.parent[i];
    const int q = b_.parent[j];
    if (p < 0 || q < 0) return p < 0 && q < 0;
    return pa_[p] == q;
  }

  // Round 1: a linear merge of the two pre-orders, pairing equal
  // (range, name) within each run of equal ranges: a partner whose parent
  // is paired with this one's parent first, else the first in order. (The
  // run's outer resources come first in pre-order, so they are paired
  // before the resources nested in them.)
  void SameRangeAndName() {
    size_t i = 0, j = 0;
    while (i < a_.size() && j < b_.size()) {
      if (internal::AddrLess(a_.range[i], b_.range[j])) {
        ++i;
      } else if (internal::AddrLess(b_.range[j], a_.range[i])) {
        ++j;
      } else {
        size_t ie = i, je = j;
        while (ie < a_.size() && a_.range[ie] == a_.range[i]) ++ie;
        while (je < b_.size() && b_.range[je] == b_.range[j]) ++je;
        for (size_t x = j; x < je; ++x) {
          int first = -1;
          int kin = -1;
          for (size_t y = i; y < ie && kin < 0; ++y) {
            if (pa_[y] >= 0 || a_.name[y] != b_.name[x]) continue;
            if (first < 0) first = static_cast<int>(y);
            if (ParentsPaired(static_cast<int>(y), static_cast<int>(x))) {
              kin = static_cast<int>(y);
            }
          }
          if (kin >= 0 || first >= 0) {
            Pair(kin >= 0 ? kin : first, static_cast<int>(x));
          }
        }
        i = ie;
        j = je;
      }
    }
  }

  // Rounds 2 and 4: same name and overlapping ranges. Unpaired old
  // resources are indexed by name, in pre-order (so by start).
  void Overlapping(bool need_parents_paired) {
    absl::flat_hash_map<absl::string_view, std::vector<int>> by_name;
    for (size_t i = 0; i < a_.size(); ++i) {
      if (pa_[i] < 0) by_name[a_.name[i]].push_back(static_cast<int>(i));
    }
    if (by_name.empty()) return;
    for (size_t j = 0; j < b_.size(); ++j) {
      if (pb_[j] >= 0) continue;
      auto it = by_name.find(b_.name[j]);
      if (it == by_name.end()) continue;
      const Range& r = b_.range[j];
      std::vector<int>& cand = it->second;
      // The last candidate starting at or before r.last; look back a few.
      auto hi = std::upper_bound(
          cand.begin(), cand.end(), r.last(),
          [&](uint64_t v, int i) { return v < a_.range[i].first(); });
      int best = -1;
      absl::uint128 best_overlap = 0;
      int looked = 0;
      for (auto k = hi; k != cand.begin() && looked < 16; ++looked) {
        --k;
        const int i = *k;
        if (pa_[i] >= 0) continue;
        const std::optional<Range> o = a_.range[i].Intersection(r);
        if (!o) continue;
        if (need_parents_paired && !ParentsPaired(i, static_cast<int>(j))) {
          continue;
        }
        if (best < 0 || o->size() > best_overlap) {
          best = i;
          best_overlap = o->size();
        }
      }
      if (best >= 0) Pair(best, static_cast<int>(j));
    }
  }

  // Zeroed round 1: top-down, the k-th child named N of paired parents.
  void ByAncestry() {
    // Children lists in order, per parent position (-1 -> index 0).
    auto children = [](const internal::FlatTree& f) {
      std::vector<std::vector<int>> c(f.size() + 1);
      for (size_t i = 0; i < f.size(); ++i) {
        c[static_cast<size_t>(f.parent[i] + 1)].push_back(static_cast<int>(i));
      }
      return c;
    };
    const auto ca = children(a_);
    const auto cb = children(b_);
    std::vector<std::pair<int, int>> pending = {{-1, -1}};
    while (!pending.empty()) {
      const auto [p, q] = pending.back();
      pending.pop_back();
      const auto& kids_a = ca[static_cast<size_t>(p + 1)];
      const auto& kids_b = cb[static_cast<size_t>(q + 1)];
      size_t start = 0;
      for (int j : kids_b) {
        for (size_t k = start; k < kids_a.size(); ++k) {
          const int i = kids_a[k];
          if (pa_[i] < 0 && a_.name[i] == b_.name[j]) {
            Pair(i, j);
            pending.emplace_back(i, j);
            start = k + 1;
            break;
          }
        }
      }
    }
  }

  // Zeroed round 2: the k-th unpaired resource named N with the k-th.
  void ByNameInOrder() {
    absl::flat_hash_map<absl::string_view, std::vector<int>> by_name;
    for (size_t i = a_.size(); i-- > 0;) {
      if (pa_[i] < 0) by_name[a_.name[i]].push_back(static_cast<int>(i));
    }
    for (size_t j = 0; j < b_.size(); ++j) {
      if (pb_[j] >= 0) continue;
      auto it = by_name.find(b_.name[j]);
      if (it == by_name.end() || it->second.empty()) continue;
      Pair(it->second.back(), static_cast<int>(j));
      it->second.pop_back();
    }
  }

  const internal::FlatTree& a_;
  const internal::FlatTree& b_;
  bool zeroed_;
  std::vector<int> pa_;
  std::vector<int> pb_;
};

}  // namespace

std::vector<std::string> ChangeNames(unsigned changes) {
  std::vector<std::string> out;
  if (changes & DiffEntry::kAdded) out.push_back("added");
  if (changes & DiffEntry::kRemoved) out.push_back("removed");
  if (changes & DiffEntry::kResized) out.push_back("resized");
  if (changes & DiffEntry::kReparented) out.push_back("reparented");
  if (changes & DiffEntry::kFlagsChanged) out.push_back("flags");
  return out;
}

namespace {

// Counts one resource into `s`; `under_ram`: an ancestor is System RAM
// (its bytes are counted there). Returns whether this resource or an
// ancestor is System RAM.
bool AddToSummary(IomemSummary& s, absl::string_view name, const Range& r,
                  bool under_ram, SummaryDetail detail) {
  // Every System RAM name starts with 'S'; KindOfName looks at the first
  // byte too, so most names are passed over after one comparison.
  const bool ram = !name.empty() && name[0] == 'S' && IsSystemRamName(name);
  if (ram && !under_ram) s.system_ram += r.size();
  auto add = [&](IomemSummary::Total& total, std::vector<Range>& ranges) {
    ++total.count;
    total.bytes += r.size();
    if (detail == SummaryDetail::kRanges) ranges.push_back(r);
  };
  switch (KindOfName(name)) {
    case NodeKind::kCxlWindow:
      add(s.cxl_window_total, s.cxl_windows);
      break;
    case NodeKind::kRegion:
      add(s.region_total, s.regions);
      break;
    case NodeKind::kDax:
      add(s.dax_total, s.dax);
      break;
    case NodeKind::kKmemRam:
      add(s.kmem_total, s.kmem);
      break;
    default:
      break;
  }
  return under_ram || ram;
}

// The summary of a flattened tree (its nodes in pre-order with parents).
IomemSummary SummarizeFlat(const internal::FlatTree& f) {
  IomemSummary s;
  std::vector<bool> in_ram(f.size());  // this node or an ancestor is RAM
  for (size_t i = 0; i < f.size(); ++i) {
    const bool above =
        f.parent[i] >= 0 && in_ram[static_cast<size_t>(f.parent[i])];
    in_ram[i] =
        AddToSummary(s, f.name[i], f.range[i], above, SummaryDetail::kRanges);
  }
  return s;
}

}  // namespace

namespace {

// A summary built node by node in pre-order, from the start of the walk or
// from any node in it (a slice of the walk for one thread).
class SummaryWalk {
 public:
  SummaryWalk(const ResourceTree& tree, SummaryDetail detail)
      : tree_(tree), detail_(detail) {}

  void Visit(ResourceId id, int depth) {
    const size_t d = static_cast<size_t>(depth);
    if (in_ram_.size() < d) SeedAncestors(id, d);
    const bool above = d > 0 && in_ram_[d - 1];
    if (in_ram_.size() <= d) in_ram_.resize(d + 1);
    const ResourceView v = tree_.View(id);
    in_ram_[d] = AddToSummary(summary_, v.name, v.range, above, detail_);
  }

  IomemSummary& summary() { return summary_; }

 private:
  // A slice's first node: whether each of its `depth` ancestors is (under)
  // System RAM.
  void SeedAncestors(ResourceId id, size_t depth) {
    std::vector<ResourceId> path;
    for (ResourceId a = tree_.View(id).parent; path.size() < depth;
         a = tree_.View(a).parent) {
      path.push_back(a);
    }
    in_ram_.assign(depth, 0);
    for (size_t k = 0; k < depth; ++k) {
      in_ram_[k] = (k > 0 && in_ram_[k - 1]) ||
                   IsSystemRamName(tree_.View(path[depth - 1 - k]).name);
    }
  }

  const ResourceTree& tree_;
  const SummaryDetail detail_;
  IomemSummary summary_;
  std::vector<uint8_t> in_ram_;  // the open node at each depth is (under) RAM
};

void AddTotal(IomemSummary::Total& to, const IomemSummary::Total& from) {
  to.count += from.count;
  to.bytes += from.bytes;
}

void Append(std::vector<Range>& to, const std::vector<Range>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// Trees of at least this many resources are summarised on two threads.
constexpr size_t kParallelSummaryNodes = size_t{1} << 15;

}  // namespace

IomemSummary Summarize(const ResourceTree& tree, SummaryDetail detail) {
  const size_t n = tree.size() - 1;
  if (n >= kParallelSummaryNodes) {
    // The first half of the pre-order here, the second on a helper; the
    // halves' lists join in order. Only a tree from TreeBuilder can be cut.
    SummaryWalk first(tree, detail), second(tree, detail);
    auto visit = [](SummaryWalk& w) {
      return [&w](ResourceId id, int depth, ptrdiff_t) { w.Visit(id, depth); };
    };
    bool second_ok = false;
    std::thread helper([&] {
      second_ok = tree.ForEachPreorderSlice(n / 2, n, visit(second));
    });
    const bool first_ok = tree.ForEachPreorderSlice(0, n / 2, visit(first));
    helper.join();
    if (first_ok && second_ok) {
      IomemSummary& s = first.summary();
      const IomemSummary& t = second.summary();
      s.system_ram += t.system_ram;
      AddTotal(s.cxl_window_total, t.cxl_window_total);
      AddTotal(s.region_total, t.region_total);
      AddTotal(s.dax_total, t.dax_total);
      AddTotal(s.kmem_total, t.kmem_total);
      Append(s.cxl_windows, t.cxl_windows);
      Append(s.regions, t.regions);
      Append(s.dax, t.dax);
      Append(s.kmem, t.kmem);
      return std::move(s);
    }
  }
  SummaryWalk walk(tree, detail);
  tree.ForEachPreorder(
      [&](ResourceId id, int depth) { walk.Visit(id, depth); });
  return std::move(walk.summary());
}

IomemDiff DiffTrees(const ResourceTree& old_tree, const ResourceTree& new_tree,
                    const DiffOptions& options) {
  IomemDiff d;
  d.zeroed = options.zeroed;
  // Each tree is walked once; the summaries and the matching use the flat
  // copies.
  const internal::FlatTree a = internal::Flatten(old_tree);
  const internal::FlatTree b = internal::Flatten(new_tree);
  d.before = SummarizeFlat(a);
  d.after = SummarizeFlat(b);
  Matcher m(a, b, options.zeroed);
  m.Run();
  const std::vector<int>& pa = m.pair_a();
  const std::vector<int>& pb = m.pair_b();

  for (size_t i = 0; i < a.size(); ++i) {
    if (pa[i] >= 0) continue;
    DiffEntry e;
    e.changes = DiffEntry::kRemoved;
    e.old_node = a.id[i];
    e.range = a.range[i];
    e.name = std::string(a.name[i]);
    e.flags = a.flags[i];
    e.desc = a.desc[i];
    d.entries.push_back(std::move(e));
  }
  // Entry index of each added new-tree position, for parent references.
  std::vector<size_t> added_entry(b.size(), 0);
  for (size_t j = 0; j < b.size(); ++j) {
    const int i = pb[j];
    DiffEntry e;
    e.new_node = b.id[j];
    e.range = b.range[j];
    e.name = std::string(b.name[j]);
    e.flags = b.flags[j];
    e.desc = b.desc[j];
    const int q = b.parent[j];
    if (q < 0) {
      e.parent.kind = DiffParent::Kind::kRoot;
    } else if (pb[q] >= 0) {
      e.parent.kind = DiffParent::Kind::kOld;
      e.parent.old_node = a.id[pb[q]];
    } else {
      e.parent.kind = DiffParent::Kind::kAdded;
      e.parent.added = added_entry[q];
    }
    if (i < 0) {
      e.changes = DiffEntry::kAdded;
      added_entry[j] = d.entries.size();
    } else {
      e.old_node = a.id[i];
      if (!options.zeroed && a.range[i] != b.range[j]) {
        e.changes |= DiffEntry::kResized;
      }
      const int p = a.parent[i];
      const bool same_parent =
          (p < 0 && q < 0) || (p >= 0 && q >= 0 && pa[p] == q);
      if (!same_parent) e.changes |= DiffEntry::kReparented;
      if (a.flags[i] != b.flags[j] || a.desc[i] != b.desc[j]) {
        e.changes |= DiffEntry::kFlagsChanged;
      }
      if (e.changes == 0) continue;
    }
    d.entries.push_back(std::move(e));
  }
  return d;
}

}  // namespace restree
