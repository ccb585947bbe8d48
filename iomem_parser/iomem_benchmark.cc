// Parse, render and diff throughput on a synthetic 10^6-line /proc/iomem,
// measured against `wc -l` on the same file in the same run. Results and the
// exact command are in docs/performance.md:
//
//   bazel run -c opt //iomem_parser:iomem_benchmark
//
// The dump: 10^6 lines, a third of them nested (System RAM with children,
// PCI windows with BARs, CXL windows with region/dax/kmem chains), names
// like a real machine's, addresses growing past 32 bits.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "iomem_parser/diff.h"
#include "iomem_parser/internal/parse_paths.h"
#include "iomem_parser/parser.h"
#include "resource_tree/domain_invariants.h"
#include "resource_tree/render.h"

namespace restree {
namespace {

constexpr int kLines = 1000000;

// 10^6 lines in groups of 10: a RAM block with two children, a PCI window
// with three BARs, a CXL window with a region, dax and kmem chain.
std::string MakeDump(uint64_t shift) {
  std::string out;
  out.reserve(static_cast<size_t>(kLines) * 40);
  uint64_t a = 0x100000000 + shift;
  const uint64_t step = 0x10000000;
  for (int i = 0; i < kLines / 10; ++i, a += 3 * step) {
    absl::StrAppendFormat(&out, "%08x-%08x : System RAM\n", a, a + step - 1);
    absl::StrAppendFormat(&out, "  %08x-%08x : Kernel code\n", a, a + 0xfffff);
    absl::StrAppendFormat(&out, "  %08x-%08x : Kernel data\n", a + 0x100000,
                          a + 0x1fffff);
    const uint64_t b = a + step;
    absl::StrAppendFormat(&out, "%08x-%08x : PCI Bus 0000:%02x\n", b,
                          b + step - 1, i & 0xff);
    for (int k = 0; k < 3; ++k) {
      absl::StrAppendFormat(&out, "  %08x-%08x : 0000:%02x:%02x.0\n",
                            b + k * 0x10000, b + k * 0x10000 + 0xfff, i & 0xff,
                            k);
    }
    const uint64_t c = b + step;
    absl::StrAppendFormat(&out, "%08x-%08x : CXL Window %d\n", c, c + step - 1,
                          i);
    absl::StrAppendFormat(&out, "  %08x-%08x : region%d\n", c, c + step - 1, i);
    absl::StrAppendFormat(&out, "    %08x-%08x : dax%d.0\n", c, c + step - 1,
                          i);
  }
  return out;
}

const std::string& Dump() {
  static const std::string* d = new std::string(MakeDump(0));
  return *d;
}

const std::string& DumpFile() {
  static const std::string* path = [] {
    auto* p = new std::string("/tmp/restree_iomem_bench.txt");
    std::ofstream(*p, std::ios::binary) << Dump();
    return p;
  }();
  return *path;
}

// Seconds for `wc -l FILE`, best of 5 (the file is in the page cache).
double WcSeconds() {
  static const double best = [] {
    const std::string cmd = "wc -l " + DumpFile() + " > /dev/null";
    double b = 1e9;
    for (int i = 0; i < 5; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      if (std::system(cmd.c_str()) != 0) std::abort();
      const auto t1 = std::chrono::steady_clock::now();
      b = std::min(b, std::chrono::duration<double>(t1 - t0).count());
    }
    return b;
  }();
  return best;
}

void BM_ParseMillionLines(benchmark::State& state) {
  const std::string& text = Dump();
  for (auto _ : state) {
    absl::StatusOr<ParsedIomem> p = ParseIomem(text);
    if (!p.ok()) std::abort();
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(text.size()));
  state.SetItemsProcessed(state.iterations() * kLines);
  state.counters["wc_l_seconds"] = WcSeconds();
}
// Wall time: the parse runs on every hardware thread (at most 4).
BENCHMARK(BM_ParseMillionLines)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same parse counting the summary as it reads (what `show` asks for),
// against BM_SummarizeMillionLines' walk after the parse.
void BM_ParseMillionLinesCounted(benchmark::State& state) {
  const std::string& text = Dump();
  IomemParseOptions counted;
  counted.summarize = true;
  for (auto _ : state) {
    absl::StatusOr<ParsedIomem> p = ParseIomem(text, counted);
    if (!p.ok() || !p->summary.has_value()) std::abort();
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_ParseMillionLinesCounted)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same parse on one thread (the fast path, not cut into parts).
void BM_ParseMillionLinesOneThread(benchmark::State& state) {
  const std::string& text = Dump();
  internal::FastPathOptions one;
  one.max_parts = 1;
  for (auto _ : state) {
    std::optional<ParsedIomem> p = internal::ParseIomemFast(text, {}, one);
    if (!p.has_value()) std::abort();
    benchmark::DoNotOptimize(p);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(text.size()));
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_ParseMillionLinesOneThread)->Unit(benchmark::kMillisecond);

// The parse plus the first query that needs the tree's child index, which
// a parsed tree builds then (on the calling thread): what a caller that goes
// on to navigate or mutate the tree pays in all.
void BM_ParseMillionLinesThenLookup(benchmark::State& state) {
  const std::string& text = Dump();
  for (auto _ : state) {
    absl::StatusOr<ParsedIomem> p = ParseIomem(text);
    if (!p.ok()) std::abort();
    benchmark::DoNotOptimize(p->tree.Lookup(0x100000000));
  }
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_ParseMillionLinesThenLookup)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_RenderMillionLines(benchmark::State& state) {
  absl::StatusOr<ParsedIomem> p = ParseIomem(Dump());
  if (!p.ok()) std::abort();
  for (auto _ : state) {
    std::string out = RenderProcIomem(p->tree);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * kLines);
  state.counters["wc_l_seconds"] = WcSeconds();
}
BENCHMARK(BM_RenderMillionLines)->Unit(benchmark::kMillisecond);

// `restree check`'s two walks of a parsed dump: the driver chains of the
// three kernels, and the structural invariants; with a bare pre-order walk
// reading every node's view as the floor.
const ParsedIomem& ParsedDump() {
  static const ParsedIomem* const p = [] {
    absl::StatusOr<ParsedIomem> parsed = ParseIomem(Dump());
    if (!parsed.ok()) std::abort();
    return new ParsedIomem(*std::move(parsed));
  }();
  return *p;
}

void BM_PreorderViewMillionLines(benchmark::State& state) {
  const ParsedIomem* p = &ParsedDump();
  for (auto _ : state) {
    uint64_t sum = 0;
    p->tree.ForEachPreorder([&](ResourceId id, int depth) {
      const ResourceView v = p->tree.View(id);
      sum += v.range.first() + v.name.size() + static_cast<uint64_t>(depth);
    });
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_PreorderViewMillionLines)->Unit(benchmark::kMillisecond);

// The counts `show` writes before the resources (a walk of its own).
void BM_SummarizeMillionLines(benchmark::State& state) {
  const ParsedIomem* p = &ParsedDump();
  for (auto _ : state) {
    IomemSummary s = Summarize(p->tree, SummaryDetail::kCounts);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_SummarizeMillionLines)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_CheckDomainMillionLines(benchmark::State& state) {
  const ParsedIomem* p = &ParsedDump();
  DomainRules rules;
  rules.check_flags = false;
  for (auto _ : state) {
    std::vector<std::vector<DomainFinding>> f =
        CheckDomainEach(p->tree, rules, {kChains61, kChains612, kChains7});
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_CheckDomainMillionLines)->Unit(benchmark::kMillisecond);

void BM_CheckInvariantsMillionLines(benchmark::State& state) {
  const ParsedIomem* p = &ParsedDump();
  for (auto _ : state) {
    std::vector<InvariantViolation> v = p->tree.CheckInvariants();
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_CheckInvariantsMillionLines)->Unit(benchmark::kMillisecond);

// Two 10^6-line dumps that differ in one resource in every thousand.
void BM_DiffMillionLines(benchmark::State& state) {
  absl::StatusOr<ParsedIomem> a = ParseIomem(Dump());
  std::string changed = Dump();
  size_t pos = 0;
  for (int n = 0; (pos = changed.find("Kernel data", pos)) != std::string::npos;
       ++n, pos += 11) {
    if (n % 100 == 0) changed.replace(pos, 11, "Kernel DATA");
  }
  absl::StatusOr<ParsedIomem> b = ParseIomem(changed);
  if (!a.ok() || !b.ok()) std::abort();
  size_t entries = 0;
  for (auto _ : state) {
    IomemDiff d = DiffTrees(a->tree, b->tree);
    entries = d.entries.size();
    benchmark::DoNotOptimize(d);
  }
  state.counters["changes"] = static_cast<double>(entries);
  state.SetItemsProcessed(state.iterations() * 2 * kLines);
}
BENCHMARK(BM_DiffMillionLines)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace restree

BENCHMARK_MAIN();
