// Benchmarks of ResourceTree's redesign operations (resource_tree.h,
// "Redesign operations") against the reference RedesignModel
// (tests/redesign_model.h: linked lists and linear scans) at n = 10^3 ..
// 10^6 chunks in one CXL window, the memory a chunk node costs, and memory
// flatness over 10^6 claim/return cycles. Results and the exact command are
// in docs/performance.md ("Redesign operations"):
//
//   bazel run -c opt //resource_tree:redesign_benchmark --
//       --benchmark_min_time=0.05   (one line)
//
// The steady-state operations run at a pseudo-random position and are undone
// in the same iteration (by the inverse operation, or by rolling back a
// Transaction), so the tree keeps its size. Whole-window operations
// (ReserveChunks, ReleaseUnusedChunks) are O(n) by nature and report
// items = chunks, so their time per chunk is what should stay flat.

#include <malloc.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "resource_tree/resource_tree.h"
#include "tests/redesign_model.h"

namespace restree {
namespace {

constexpr uint64_t kChunk = uint64_t{256} << 20;
constexpr uint64_t kWinFirst = 0x1050000000;
constexpr uint64_t kRam = iores::kSystemRam | iores::kBusy;
constexpr int kClaim = 3;  // chunks per region (k)

const ResourceSpec kIomemRoot = {Range::Full(), "PCI mem", iores::kMem, 0};

ResourceSpec WindowSpec(int64_t n) {
  return {Range(kWinFirst, kWinFirst + static_cast<uint64_t>(n) * kChunk - 1),
          "CXL Window 0", iores::kMem, iores_desc::kCxl};
}

Range Chunks(int64_t first, int64_t count) {
  return Range(kWinFirst + static_cast<uint64_t>(first) * kChunk,
               kWinFirst + static_cast<uint64_t>(first + count) * kChunk - 1);
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", what);
    std::abort();
  }
}

// A tree whose only window holds n chunks.
ResourceTree ChunkTree(int64_t n, ResourceId* window) {
  ResourceTree t = ResourceTree::Iomem();
  absl::StatusOr<ResourceId> w = t.Request(t.root(), WindowSpec(n));
  Check(w.ok(), "window");
  *window = *w;
  Check(t.ReserveChunks(*w, ChunkGeometry()).ok(), "reserve");
  return t;
}

void ChunkModel(model::RedesignModel& m, int64_t n, model::Res** window) {
  model::Result w = m.Request(m.root(), WindowSpec(n));
  Check(w.outcome == KernelOutcome::kOk, "model window");
  *window = w.node;
  Check(m.ReserveChunks(w.node, ChunkGeometry()).result.outcome ==
            KernelOutcome::kOk,
        "model reserve");
}

size_t HeapBytes() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

size_t RssBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) *
         static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// ---------------------------------------------------------------------------
// ReserveChunks of a whole window (O(n); items = chunks).

void BM_ReserveChunks_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    ResourceTree t = ResourceTree::Iomem();
    absl::StatusOr<ResourceId> w = t.Request(t.root(), WindowSpec(n));
    Check(w.ok(), "window");
    state.ResumeTiming();
    absl::StatusOr<size_t> c = t.ReserveChunks(*w, ChunkGeometry());
    benchmark::DoNotOptimize(c);
    state.PauseTiming();
    Check(c.ok() && *c == static_cast<size_t>(n), "reserve");
    { ResourceTree gone = std::move(t); }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ReserveChunks_Tree)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Unit(benchmark::kMicrosecond);

void BM_ReserveChunks_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    auto m = std::make_unique<model::RedesignModel>(kIomemRoot,
                                                    KernelProfile::Debian61());
    model::Result w = m->Request(m->root(), WindowSpec(n));
    state.ResumeTiming();
    model::CountResult c = m->ReserveChunks(w.node, ChunkGeometry());
    benchmark::DoNotOptimize(c);
    state.PauseTiming();
    Check(c.count == static_cast<size_t>(n), "model reserve");
    m.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ReserveChunks_Model)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Iterations(2)
    ->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------
// ClaimChunks of k = 3 chunks + ReturnToChunks: one region's life.

void BM_ClaimReturn_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceId w;
  ResourceTree t = ChunkTree(n, &w);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    const int64_t at = static_cast<int64_t>(rng() % (n - kClaim));
    absl::StatusOr<ResourceId> r =
        t.ClaimChunks(w, {Chunks(at, kClaim), "region0", iores::kMem});
    benchmark::DoNotOptimize(r);
    if (!r.ok() || !t.ReturnToChunks(*r).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClaimReturn_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_ClaimReturn_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::RedesignModel m(kIomemRoot, KernelProfile::Debian61());
  model::Res* w = nullptr;
  ChunkModel(m, n, &w);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    const int64_t at = static_cast<int64_t>(rng() % (n - kClaim));
    model::Result r =
        m.ClaimChunks(w, {Chunks(at, kClaim), "region0", iores::kMem});
    benchmark::DoNotOptimize(r);
    if (r.outcome != KernelOutcome::kOk ||
        m.ReturnToChunks(r.node).result.outcome != KernelOutcome::kOk) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClaimReturn_Model)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Iterations(20);

// ---------------------------------------------------------------------------
// ReleaseUnusedChunks(shrink) of a window with one region left (O(n);
// items = chunks freed).

void BM_ReleaseUnused_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    ResourceId w;
    ResourceTree t = ChunkTree(n, &w);
    Check(
        t.ClaimChunks(w, {Chunks(n / 2, kClaim), "region0", iores::kMem}).ok(),
        "claim");
    state.ResumeTiming();
    absl::StatusOr<size_t> c = t.ReleaseUnusedChunks(w, true);
    benchmark::DoNotOptimize(c);
    state.PauseTiming();
    Check(c.ok() && *c == static_cast<size_t>(n - kClaim), "release");
    { ResourceTree gone = std::move(t); }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (n - kClaim));
}
BENCHMARK(BM_ReleaseUnused_Tree)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Unit(benchmark::kMicrosecond);

void BM_ReleaseUnused_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    auto m = std::make_unique<model::RedesignModel>(kIomemRoot,
                                                    KernelProfile::Debian61());
    model::Res* w = nullptr;
    ChunkModel(*m, n, &w);
    Check(m->ClaimChunks(w, {Chunks(n / 2, kClaim), "region0", iores::kMem})
                  .outcome == KernelOutcome::kOk,
          "model claim");
    state.ResumeTiming();
    model::CountResult c = m->ReleaseUnusedChunks(w, true);
    benchmark::DoNotOptimize(c);
    state.PauseTiming();
    Check(c.count == static_cast<size_t>(n - kClaim), "model release");
    m.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (n - kClaim));
}
BENCHMARK(BM_ReleaseUnused_Model)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Iterations(2)
    ->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------
// InsertOver of a window over n System RAM siblings (8 KiB apart, 4 KiB
// each): it splits the two it straddles and adopts the k - 1 between them.
// Undone by rolling back a Transaction (the operation allocates and moves
// nodes but frees none).

constexpr uint64_t kStride = 0x2000;

ResourceTree RamTree(int64_t n) {
  ResourceTree t = ResourceTree::Iomem();
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t s = static_cast<uint64_t>(i) * kStride;
    Check(t.Request(t.root(), {Range(s, s + 0xfff), "System RAM", kRam}).ok(),
          "ram");
  }
  return t;
}

void BuildRamModel(model::RedesignModel& m, int64_t n) {
  for (int64_t i = n - 1; i >= 0; --i) {  // head inserts: O(n) in all
    const uint64_t s = static_cast<uint64_t>(i) * kStride;
    Check(m.Request(m.root(), {Range(s, s + 0xfff), "System RAM", kRam})
                  .outcome == KernelOutcome::kOk,
          "model ram");
  }
}

Range StraddlingWindow(int64_t i) {
  const uint64_t s = static_cast<uint64_t>(i) * kStride;
  return Range(s + 0x800, s + kClaim * kStride + 0x7ff);
}

void BM_InsertOverRollback_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = RamTree(n);
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    const int64_t i = static_cast<int64_t>(rng() % (n - kClaim - 1));
    ResourceTree::Transaction tx(&t);
    absl::StatusOr<ResourceId> w = t.InsertOver(
        t.root(), {StraddlingWindow(i), "CXL Window 0", iores::kMem});
    benchmark::DoNotOptimize(w);
    if (!w.ok()) std::abort();
  }  // rolled back
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertOverRollback_Tree)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000);

// The model has no transactions: InsertOver, then undo by hand (remove the
// window, merge each split pair back).
void BM_InsertOverUndo_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::RedesignModel m(kIomemRoot, KernelProfile::Debian61());
  BuildRamModel(m, n);
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    const int64_t i = static_cast<int64_t>(rng() % (n - kClaim - 1));
    const Range r = StraddlingWindow(i);
    model::Result w = m.InsertOver(m.root(), {r, "CXL Window 0", iores::kMem},
                                   {"System RAM"});
    benchmark::DoNotOptimize(w);
    if (w.outcome != KernelOutcome::kOk) std::abort();
    // Undo (not timed): remove the window (children back to the root), then
    // give each straddled RAM block its upper part back.
    state.PauseTiming();
    model::Result rm = m.Remove(w.node);
    if (rm.outcome != KernelOutcome::kOk) std::abort();
    for (uint64_t lo : {r.first(), r.last() + 1}) {
      const uint64_t s = lo & ~(kStride - 1);
      model::Res* low = nullptr;
      model::Res* high = nullptr;
      for (model::Res* c = m.root()->child; c != nullptr; c = c->sibling) {
        if (c->start == s) low = c;
        if (c->start == lo) high = c;
      }
      if (low == nullptr || high == nullptr) std::abort();
      if (m.Release(high).outcome != KernelOutcome::kOk ||
          m.Adjust(low, s, 0x1000).outcome != KernelOutcome::kOk) {
        std::abort();
      }
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertOverUndo_Model)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Iterations(20);

// ---------------------------------------------------------------------------
// Reparent within an equal-range chain (window > Soft Reserved > region >
// 3 dax devices) in a tree of n System RAM siblings: the region to the top
// of the chain and back down (2 operations per iteration).

struct ChainIds {
  ResourceId win, sr, region;
};

ChainIds AddChain(ResourceTree& t, int64_t n) {
  const uint64_t base = static_cast<uint64_t>(n / 2) * kStride + 0x1000;
  const Range r(base, base + 0xfff);
  ChainIds c;
  c.win = *t.Request(t.root(), {r, "CXL Window 0", iores::kMem});
  c.sr = *t.Request(c.win, {r, "Soft Reserved", iores::kMem | iores::kBusy});
  c.region = *t.Request(c.sr, {r, "region0", iores::kMem});
  for (uint64_t k = 0; k < 3; ++k) {
    Check(
        t.Request(c.region, {Range(base + k * 0x400, base + k * 0x400 + 0x3ff),
                             "dax", iores::kMem})
            .ok(),
        "dax");
  }
  return c;
}

void BM_Reparent_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = RamTree(n);
  const ChainIds c = AddChain(t, n);
  for (auto _ : state) {
    if (!t.Reparent(c.region, t.root()).ok() ||
        !t.Reparent(c.region, c.sr).ok()) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_Reparent_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_Reparent_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::RedesignModel m(kIomemRoot, KernelProfile::Debian61());
  BuildRamModel(m, n);
  const uint64_t base = static_cast<uint64_t>(n / 2) * kStride + 0x1000;
  const Range r(base, base + 0xfff);
  model::Res* win = m.Request(m.root(), {r, "CXL Window 0", iores::kMem}).node;
  model::Res* sr =
      m.Request(win, {r, "Soft Reserved", iores::kMem | iores::kBusy}).node;
  model::Res* region = m.Request(sr, {r, "region0", iores::kMem}).node;
  for (uint64_t k = 0; k < 3; ++k) {
    m.Request(region, {Range(base + k * 0x400, base + k * 0x400 + 0x3ff), "dax",
                       iores::kMem});
  }
  for (auto _ : state) {
    if (m.Reparent(region, m.root()).outcome != KernelOutcome::kOk ||
        m.Reparent(region, sr).outcome != KernelOutcome::kOk) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_Reparent_Model)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Iterations(20);

// ---------------------------------------------------------------------------
// Grow adopting k = 3 following siblings, rolled back; and Grow into free
// space + Shrink back (no adoption), among n siblings.

void BM_GrowAdoptRollback_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int64_t k = state.range(1);  // siblings adopted
  ResourceTree t = RamTree(n);
  const std::vector<ResourceId> ids = t.Children(t.root());
  std::mt19937_64 rng(3);
  size_t steps = 0;
  for (auto _ : state) {
    const int64_t i = static_cast<int64_t>(rng() % (n - k - 1));
    const uint64_t s = static_cast<uint64_t>(i) * kStride;
    ResourceTree::Transaction tx(&t);
    absl::Status g = t.Grow(ids[i], Range(s, s + k * kStride + 0xfff));
    benchmark::DoNotOptimize(g);
    if (!g.ok()) std::abort();
    steps = tx.steps();
  }  // rolled back
  state.counters["steps"] = static_cast<double>(steps);
  state.SetItemsProcessed(state.iterations());
}
// k = 3 at every n; k = 30 and 300 at 10^6 (rollback cost O(k)).
BENCHMARK(BM_GrowAdoptRollback_Tree)
    ->ArgsProduct({{1000, 10000, 100000, 1000000}, {kClaim}})
    ->Args({1000000, 30})
    ->Args({1000000, 300});

void BM_GrowShrink_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = RamTree(n);
  const std::vector<ResourceId> ids = t.Children(t.root());
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    const int64_t i = static_cast<int64_t>(rng() % n);
    const uint64_t s = static_cast<uint64_t>(i) * kStride;
    if (!t.Grow(ids[i], Range(s, s + 0x1fff)).ok() ||
        !t.Shrink(ids[i], Range(s, s + 0xfff)).ok()) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_GrowShrink_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_GrowShrink_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::RedesignModel m(kIomemRoot, KernelProfile::Debian61());
  BuildRamModel(m, n);
  std::vector<model::Res*> ids;
  for (model::Res* c = m.root()->child; c != nullptr; c = c->sibling) {
    ids.push_back(c);
  }
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    const int64_t i = static_cast<int64_t>(rng() % n);
    const uint64_t s = static_cast<uint64_t>(i) * kStride;
    if (m.Grow(ids[i], Range(s, s + 0x1fff), false).outcome !=
            KernelOutcome::kOk ||
        m.Shrink(ids[i], Range(s, s + 0xfff)).outcome != KernelOutcome::kOk) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_GrowShrink_Model)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Iterations(20);

// ---------------------------------------------------------------------------
// Failing operations.

// InsertOver refused at the unsplittable check (nothing is changed, no
// transaction is opened).
void BM_InsertOverUnsplittable_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = RamTree(n);
  const SplitPolicy none{{}};
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    const int64_t i = static_cast<int64_t>(rng() % (n - kClaim - 1));
    absl::StatusOr<ResourceId> w = t.InsertOver(
        t.root(), {StraddlingWindow(i), "CXL Window 0", iores::kMem}, none);
    benchmark::DoNotOptimize(w);
    if (w.ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertOverUnsplittable_Tree)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000);

void BM_InsertOverUnsplittable_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::RedesignModel m(kIomemRoot, KernelProfile::Debian61());
  BuildRamModel(m, n);
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    const int64_t i = static_cast<int64_t>(rng() % (n - kClaim - 1));
    model::Result w = m.InsertOver(
        m.root(), {StraddlingWindow(i), "CXL Window 0", iores::kMem}, {});
    benchmark::DoNotOptimize(w);
    if (w.outcome == KernelOutcome::kOk) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertOverUnsplittable_Model)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Iterations(20);

// InsertOver refused at the fence after it has split: a window of n chunks
// whose first slot holds System RAM; the new node cuts that RAM and would
// adopt chunk 1, so its own transaction rolls the split back.
void BM_InsertOverFenceRollback_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = ResourceTree::Iomem();
  const ResourceId w = *t.Request(t.root(), WindowSpec(n));
  Check(t.Request(w, {Chunks(0, 1), "System RAM", kRam}).ok(), "ram");
  Check(t.ReserveChunks(w, ChunkGeometry()).ok(), "reserve");
  const Range r(kWinFirst + kChunk / 2, kWinFirst + 2 * kChunk - 1);
  for (auto _ : state) {
    absl::StatusOr<ResourceId> x =
        t.InsertOver(w, {r, "CXL region", iores::kMem});
    benchmark::DoNotOptimize(x);
    if (x.ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertOverFenceRollback_Tree)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000);

// A Transaction doing ClaimChunks of k chunks, then rolled back.
void BM_ClaimRollback_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int64_t k = state.range(1);
  ResourceId w;
  ResourceTree t = ChunkTree(n, &w);
  std::mt19937_64 rng(5);
  size_t steps = 0;
  for (auto _ : state) {
    const int64_t at = static_cast<int64_t>(rng() % (n - k));
    ResourceTree::Transaction tx(&t);
    absl::StatusOr<ResourceId> r =
        t.ClaimChunks(w, {Chunks(at, k), "region0", iores::kMem});
    benchmark::DoNotOptimize(r);
    if (!r.ok()) std::abort();
    steps = tx.steps();
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ClaimRollback_Tree)
    ->ArgsProduct({{1000, 10000, 100000, 1000000}, {3, 30, 300}});

// ---------------------------------------------------------------------------
// Memory.

// Heap bytes per chunk node (mallinfo2: arena bytes in use plus mmap()ed
// blocks) and resident bytes per chunk, for ReserveChunks of n chunks.
void BM_MemoryPerChunk(benchmark::State& state) {
  const int64_t n = state.range(0);
  double heap = 0, rss = 0;
  for (auto _ : state) {
    ResourceTree t = ResourceTree::Iomem();
    const ResourceId w = *t.Request(t.root(), WindowSpec(n));
    const size_t h0 = HeapBytes();
    const size_t r0 = RssBytes();
    Check(t.ReserveChunks(w, ChunkGeometry()).ok(), "reserve");
    heap = static_cast<double>(HeapBytes() - h0) / static_cast<double>(n);
    rss = static_cast<double>(RssBytes() - r0) / static_cast<double>(n);
    benchmark::DoNotOptimize(t);
  }
  state.counters["heap_bytes_per_chunk"] = heap;
  state.counters["rss_bytes_per_chunk"] = rss;
}
BENCHMARK(BM_MemoryPerChunk)
    ->Arg(1000000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// 10^6 ClaimChunks/ReturnToChunks cycles with distinct region names in a
// window of 10^4 chunks: RSS and heap after a warm-up of 10^4 cycles and
// after all of them.
void BM_ClaimReturnMemoryFlat(benchmark::State& state) {
  const int64_t cycles = state.range(0);
  constexpr int64_t kN = 10000;
  double rss0 = 0, rss1 = 0, heap0 = 0, heap1 = 0;
  for (auto _ : state) {
    ResourceId w;
    ResourceTree t = ChunkTree(kN, &w);
    std::mt19937_64 rng(6);
    std::string name;
    auto cycle = [&](int64_t c) {
      name = absl::StrCat("region", c);
      const int64_t at = static_cast<int64_t>(rng() % (kN - kClaim));
      absl::StatusOr<ResourceId> r =
          t.ClaimChunks(w, {Chunks(at, kClaim), name, iores::kMem});
      if (!r.ok() || !t.ReturnToChunks(*r).ok()) std::abort();
    };
    int64_t c = 0;
    for (; c < 10000; ++c) cycle(c);
    rss0 = static_cast<double>(RssBytes());
    heap0 = static_cast<double>(HeapBytes());
    for (; c < cycles; ++c) cycle(c);
    rss1 = static_cast<double>(RssBytes());
    heap1 = static_cast<double>(HeapBytes());
  }
  state.counters["rss_before_MiB"] = rss0 / (1 << 20);
  state.counters["rss_after_MiB"] = rss1 / (1 << 20);
  state.counters["heap_before_MiB"] = heap0 / (1 << 20);
  state.counters["heap_after_MiB"] = heap1 / (1 << 20);
}
BENCHMARK(BM_ClaimReturnMemoryFlat)
    ->Arg(1000000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace restree

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
