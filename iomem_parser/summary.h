// File: summary.h
// -----------------------------------------------------------------------------
//
// The totals a person wants first about a /proc/iomem dump: System RAM, CXL
// windows, regions, dax devices and kmem ranges. `restree show` prints them
// above the resources, `restree diff` before and after.
//
// Resources are recognised by name: "System RAM" and "System RAM (...)"
// (counted once where nested), "CXL Window N", "regionN", "daxX.Y",
// "System RAM (kmem)".

#ifndef RESTREE_IOMEM_PARSER_SUMMARY_H_
#define RESTREE_IOMEM_PARSER_SUMMARY_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"

namespace restree {

struct IomemSummary {
  absl::uint128 system_ram = 0;  // bytes
  // The ranges of each kind, in pre-order (left empty by kCounts).
  std::vector<Range> cxl_windows;
  std::vector<Range> regions;
  std::vector<Range> dax;
  std::vector<Range> kmem;
  // How many of each kind, and their bytes (always filled).
  struct Total {
    size_t count = 0;
    absl::uint128 bytes = 0;
  };
  Total cxl_window_total, region_total, dax_total, kmem_total;
};

// kCounts leaves out the range lists: O(1) memory instead of O(n).
enum class SummaryDetail { kRanges, kCounts };

// The summary of `tree`. One pre-order walk, O(n) (O(n log n) on a tree
// mutated since TreeBuilder). A tree from TreeBuilder of 2^15 resources or
// more is walked in two halves, the second on a thread of its own, joined
// before returning; the result is the same. Reads `tree` only: safe alongside
// other readers.
IomemSummary Summarize(const ResourceTree& tree,
                       SummaryDetail detail = SummaryDetail::kRanges);

// The same summary built from resources met one at a time in pre-order
// (/proc/iomem order), for code that sees them without a tree: the parser
// counts each part of a large dump on that part's thread, then joins the
// parts' summaries with AppendSummary(). O(1) a resource (plus the range
// lists for kRanges); memory O(depth). Thread-compatible. Counters fed
// from different threads are best kept a cache line apart (the parser keeps
// each in a cache-line-aligned slot of a vector).
class SummaryCounter {
 public:
  explicit SummaryCounter(SummaryDetail detail) : detail_(detail) {}

  // A resource open before the first Add() at `depth` (0 = a child of the
  // root), for a count that starts inside the tree; not counted, but RAM
  // below it is not counted again. Give each depth from 0 in turn.
  void Open(size_t depth, absl::string_view name);
  // The next resource in pre-order, at `depth` (at most one more than the
  // depth before it; deeper aborts, RESTREE_CHECK).
  void Add(size_t depth, const Range& range, absl::string_view name);

  const IomemSummary& summary() const& { return summary_; }
  IomemSummary summary() && { return std::move(summary_); }

 private:
  const SummaryDetail detail_;
  IomemSummary summary_;
  std::vector<uint8_t> in_ram_;  // the open resource at each depth is RAM or
                                 // under RAM
};

// Adds the counts of `later`, a summary of the resources after those of
// `into` in pre-order, to `into` (lists appended in order).
void AppendSummary(IomemSummary& into, const IomemSummary& later);

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_SUMMARY_H_
