#include "iomem_parser/summary.h"

#include <cstddef>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "base/status_macros.h"
#include "resource_tree/domain_invariants.h"

namespace restree {
namespace {

// Whether `name` is System RAM's (plain or driver-managed). Every such name
// starts with 'S': most names are passed over after one comparison.
bool IsRam(absl::string_view name) {
  return !name.empty() && name[0] == 'S' && IsSystemRamName(name);
}

void AddTotal(IomemSummary::Total& to, const IomemSummary::Total& from) {
  to.count += from.count;
  to.bytes += from.bytes;
}

void AppendRanges(std::vector<Range>& to, const std::vector<Range>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// Trees of at least this many resources are summarised on two threads.
constexpr size_t kParallelSummaryNodes = size_t{1} << 15;

// A counter fed from a walk of `tree` that may start at any node: the
// first node's ancestors are opened first.
class TreeCounter {
 public:
  TreeCounter(const ResourceTree& tree, SummaryDetail detail)
      : tree_(tree), counter_(detail) {}

  void Visit(ResourceId id, int depth) {
    const size_t d = static_cast<size_t>(depth);
    const ResourceView v = tree_.View(id);
    if (!started_) {
      started_ = true;
      OpenAncestors(v.parent, d);
    }
    counter_.Add(d, v.range, v.name);
  }

  SummaryCounter& counter() { return counter_; }

 private:
  void OpenAncestors(ResourceId parent, size_t depth) {
    std::vector<absl::string_view> names(depth);
    for (size_t k = depth; k-- > 0; parent = tree_.View(parent).parent) {
      names[k] = tree_.View(parent).name;
    }
    for (size_t k = 0; k < depth; ++k) counter_.Open(k, names[k]);
  }

  const ResourceTree& tree_;
  SummaryCounter counter_;
  bool started_ = false;
};

}  // namespace

void SummaryCounter::Open(size_t depth, absl::string_view name) {
  RESTREE_CHECK(depth <= in_ram_.size(),
                "SummaryCounter: Open() skipped a depth");
  const bool above = depth > 0 && in_ram_[depth - 1];
  in_ram_.resize(depth + 1);
  in_ram_[depth] = above || IsRam(name);
}

void SummaryCounter::Add(size_t depth, const Range& range,
                         absl::string_view name) {
  RESTREE_CHECK(depth <= in_ram_.size(),
                "SummaryCounter: a resource two or more below the one before");
  const bool above = depth > 0 && in_ram_[depth - 1];
  if (in_ram_.size() <= depth) in_ram_.resize(depth + 1);
  const bool ram = IsRam(name);
  // RAM under RAM is counted where the outer one is.
  if (ram && !above) summary_.system_ram += range.size();
  in_ram_[depth] = above || ram;
  auto add = [&](IomemSummary::Total& total, std::vector<Range>& ranges) {
    ++total.count;
    total.bytes += range.size();
    if (detail_ == SummaryDetail::kRanges) ranges.push_back(range);
  };
  // KindOfName() picks the one pattern to try by the name's first byte.
  switch (KindOfName(name)) {
    case NodeKind::kKmemRam:
      add(summary_.kmem_total, summary_.kmem);
      break;
    case NodeKind::kCxlWindow:
      add(summary_.cxl_window_total, summary_.cxl_windows);
      break;
    case NodeKind::kRegion:
      add(summary_.region_total, summary_.regions);
      break;
    case NodeKind::kDax:
      add(summary_.dax_total, summary_.dax);
      break;
    default:
      break;
  }
}

void AppendSummary(IomemSummary& into, const IomemSummary& later) {
  into.system_ram += later.system_ram;
  AddTotal(into.cxl_window_total, later.cxl_window_total);
  AddTotal(into.region_total, later.region_total);
  AddTotal(into.dax_total, later.dax_total);
  AddTotal(into.kmem_total, later.kmem_total);
  AppendRanges(into.cxl_windows, later.cxl_windows);
  AppendRanges(into.regions, later.regions);
  AppendRanges(into.dax, later.dax);
  AppendRanges(into.kmem, later.kmem);
}

IomemSummary Summarize(const ResourceTree& tree, SummaryDetail detail) {
  const size_t n = tree.size() - 1;
  // Only a tree from TreeBuilder can be cut (a slice of nothing says so).
  if (n >= kParallelSummaryNodes &&
      tree.ForEachPreorderSlice(0, 0, [](ResourceId, int, ptrdiff_t) {})) {
    // The first half of the pre-order here, the second on a helper (its
    // counter on the heap, away from this thread's); the halves join in
    // order.
    TreeCounter first(tree, detail);
    const auto second = std::make_unique<TreeCounter>(tree, detail);
    auto visit = [](TreeCounter& c) {
      return [&c](ResourceId id, int depth, ptrdiff_t) { c.Visit(id, depth); };
    };
    std::thread helper(
        [&] { tree.ForEachPreorderSlice(n / 2, n, visit(*second)); });
    {
      absl::Cleanup join = [&] { helper.join(); };  // also on an exception
      tree.ForEachPreorderSlice(0, n / 2, visit(first));
    }
    IomemSummary s = std::move(first.counter()).summary();
    AppendSummary(s, second->counter().summary());
    return s;
  }
  TreeCounter walk(tree, detail);
  tree.ForEachPreorder(
      [&](ResourceId id, int depth) { walk.Visit(id, depth); });
  return std::move(walk.counter()).summary();
}

}  // namespace restree
