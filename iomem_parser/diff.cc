#include "iomem_parser/diff.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "iomem_parser/internal/flat_tree.h"
#include "iomem_parser/summary.h"

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

// The summary of a flattened tree (its nodes in pre-order with parents).
IomemSummary SummarizeFlat(const internal::FlatTree& f) {
  SummaryCounter counter(SummaryDetail::kRanges);
  std::vector<size_t> depth(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    const int parent = f.parent[i];
    depth[i] = parent < 0 ? 0 : depth[static_cast<size_t>(parent)] + 1;
    counter.Add(depth[i], f.range[i], f.name[i]);
  }
  return std::move(counter).summary();
}

}  // namespace

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
