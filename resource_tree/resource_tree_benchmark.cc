// Benchmarks of ResourceTree against the reference KernelModel (the kernel's
// linked-list algorithms) at n = 10^3 .. 10^6 siblings, and the memory a node
// costs. Results and the exact command are in docs/performance.md:
//
//   bazel run -c opt //resource_tree:resource_tree_benchmark
//
// Each operation runs on a tree of n "System RAM" siblings 8 KiB apart, at a
// pseudo-random position, and is undone in the same iteration so the tree
// stays the same size.

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"

namespace restree {
namespace {

constexpr uint64_t kStride = 0x2000;
constexpr uint64_t kRam = iores::kSystemRam | iores::kBusy;

ResourceTree BuildTree(int64_t n) {
  ResourceTree t = ResourceTree::Iomem();
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t s = static_cast<uint64_t>(i) * kStride;
    if (!t.Request(t.root(), {Range(s, s + 0xfff), "System RAM", kRam}).ok()) {
      std::abort();
    }
  }
  return t;
}

// The model is filled back to front so that building it is O(n), not
// O(n^2): each request lands at the head of the sibling list.
void BuildModel(model::KernelModel& m, int64_t n) {
  for (int64_t i = n - 1; i >= 0; --i) {
    const uint64_t s = static_cast<uint64_t>(i) * kStride;
    if (m.RequestResource(m.root(), {Range(s, s + 0xfff), "System RAM", kRam})
            .outcome != KernelOutcome::kOk) {
      std::abort();
    }
  }
}

const ResourceSpec kIomemRoot = {Range::Full(), "PCI mem", iores::kMem, 0};

void BM_RequestRelease_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = BuildTree(n);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    const uint64_t gap = (rng() % n) * kStride + 0x1000;
    absl::StatusOr<ResourceId> id =
        t.Request(t.root(), {Range(gap, gap + 0xfff), "dev", iores::kMem});
    benchmark::DoNotOptimize(id);
    if (!id.ok() || !t.Release(*id).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_RequestRelease_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_RequestRelease_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::KernelModel m(kIomemRoot, KernelProfile::Debian61());
  BuildModel(m, n);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    const uint64_t gap = (rng() % n) * kStride + 0x1000;
    model::Result r = m.RequestResource(
        m.root(), {Range(gap, gap + 0xfff), "dev", iores::kMem});
    benchmark::DoNotOptimize(r);
    if (r.outcome != KernelOutcome::kOk ||
        m.ReleaseResource(r.node).outcome != KernelOutcome::kOk) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_RequestRelease_Model)->RangeMultiplier(10)->Range(1000, 1000000);

// insert_resource over 4 siblings, then remove_resource hoisting them back.
void BM_InsertRemove_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = BuildTree(n);
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    const uint64_t s = (rng() % (n - 4)) * kStride;
    absl::StatusOr<ResourceId> id = t.Insert(
        t.root(), {Range(s, s + 4 * kStride - 1), "window", iores::kMem});
    if (!id.ok() || !t.Remove(*id).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_InsertRemove_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_InsertRemove_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::KernelModel m(kIomemRoot, KernelProfile::Debian61());
  BuildModel(m, n);
  std::mt19937_64 rng(2);
  for (auto _ : state) {
    const uint64_t s = (rng() % (n - 4)) * kStride;
    model::Result r = m.InsertResource(
        m.root(), {Range(s, s + 4 * kStride - 1), "window", iores::kMem});
    if (r.outcome != KernelOutcome::kOk ||
        m.RemoveResource(r.node).outcome != KernelOutcome::kOk) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_InsertRemove_Model)->RangeMultiplier(10)->Range(1000, 1000000);

// adjust_resource growing and shrinking a node in place.
void BM_Adjust_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = BuildTree(n);
  std::vector<ResourceId> ids = t.PreorderIds();
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    const size_t k = rng() % n;
    const uint64_t s = k * kStride;
    if (!t.Adjust(ids[k], s, 0x1800).ok() ||
        !t.Adjust(ids[k], s, 0x1000).ok()) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_Adjust_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_Adjust_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::KernelModel m(kIomemRoot, KernelProfile::Debian61());
  BuildModel(m, n);
  std::vector<model::Res*> nodes = m.Preorder();
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    const size_t k = rng() % n;
    const uint64_t s = k * kStride;
    if (m.AdjustResource(nodes[k], s, 0x1800).outcome != KernelOutcome::kOk ||
        m.AdjustResource(nodes[k], s, 0x1000).outcome != KernelOutcome::kOk) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_Adjust_Model)->RangeMultiplier(10)->Range(1000, 1000000);

// allocate_resource of 4 KiB at or above a random sibling (the first fit is
// the gap right after it), then release_resource. The kernel walks the
// sibling list from its head to the first gap that fits.
AllocConstraint AllocAbove(uint64_t min) {
  AllocConstraint c;
  c.min = min;
  c.align = 0x1000;
  return c;
}

void BM_AllocateRelease_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = BuildTree(n);
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    const uint64_t min = (rng() % n) * kStride;
    absl::StatusOr<ResourceId> id = t.Allocate(
        t.root(), {Range(), "dev", iores::kMem}, 0x1000, AllocAbove(min));
    benchmark::DoNotOptimize(id);
    if (!id.ok() || t.RangeOf(*id).first() != min + 0x1000 ||
        !t.Release(*id).ok()) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_AllocateRelease_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_AllocateRelease_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::KernelModel m(kIomemRoot, KernelProfile::Debian61());
  BuildModel(m, n);
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    const uint64_t min = (rng() % n) * kStride;
    model::Result r = m.AllocateResource(
        m.root(), {Range(), "dev", iores::kMem}, 0x1000, AllocAbove(min));
    benchmark::DoNotOptimize(r);
    if (r.outcome != KernelOutcome::kOk || r.node->start != min + 0x1000 ||
        m.ReleaseResource(r.node).outcome != KernelOutcome::kOk) {
      std::abort();
    }
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_AllocateRelease_Model)->RangeMultiplier(10)->Range(1000, 1000000);

// get_free_mem_region, as CXL places a region in its window
// (alloc_free_mem_region: ascending, 4 KiB): a window packed with n 4 KiB
// regions has one of them, at a random position j, released; the search
// steps past the j regions below the hole and fills it. k = j is uniform in
// [0, n), so the cost per iteration is the cost of stepping past n/2
// children on average.
constexpr uint64_t kRegion = 0x1000;
const uint64_t kWindowBase = uint64_t{1} << 40;

void BM_FreeRegion_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = ResourceTree::Iomem();
  absl::StatusOr<ResourceId> window = t.Request(
      t.root(), {Range(kWindowBase, kWindowBase + 2 * n * kRegion - 1),
                 "CXL Window 0", iores::kMem});
  if (!window.ok()) std::abort();
  std::vector<ResourceId> regions;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t s = kWindowBase + i * kRegion;
    absl::StatusOr<ResourceId> id =
        t.Request(*window, {Range(s, s + kRegion - 1), "region", iores::kMem});
    if (!id.ok()) std::abort();
    regions.push_back(*id);
  }
  std::mt19937_64 rng(5);
  for (auto _ : state) {
    const size_t j = rng() % n;
    if (!t.Release(regions[j]).ok()) std::abort();
    absl::StatusOr<ResourceId> id =
        t.AllocFreeMemRegion(*window, kRegion, kRegion, "region");
    benchmark::DoNotOptimize(id);
    if (!id.ok() || t.RangeOf(*id).first() != kWindowBase + j * kRegion) {
      std::abort();
    }
    regions[j] = *id;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FreeRegion_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

// The model tests every candidate against every child, as the kernel's
// __region_intersects() does (but jumps over a taken stretch where the kernel
// steps through it): O(k n). Up to 10^4 only.
void BM_FreeRegion_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::KernelModel m(kIomemRoot, KernelProfile::Debian61());
  model::Result window = m.RequestResource(
      m.root(), {Range(kWindowBase, kWindowBase + 2 * n * kRegion - 1),
                 "CXL Window 0", iores::kMem});
  if (window.outcome != KernelOutcome::kOk) std::abort();
  std::vector<model::Res*> regions;
  for (int64_t i = n - 1; i >= 0; --i) {  // O(1) each, at the list's head
    const uint64_t s = kWindowBase + i * kRegion;
    model::Result r = m.RequestResource(
        window.node, {Range(s, s + kRegion - 1), "region", iores::kMem});
    if (r.outcome != KernelOutcome::kOk) std::abort();
    regions.push_back(r.node);
  }
  std::reverse(regions.begin(), regions.end());
  std::mt19937_64 rng(5);
  for (auto _ : state) {
    const size_t j = rng() % n;
    if (m.ReleaseResource(regions[j]).outcome != KernelOutcome::kOk) {
      std::abort();
    }
    model::Result r = m.GetFreeMemRegion(window.node, kRegion, kRegion,
                                         "region", iores_desc::kNone,
                                         /*descending=*/false,
                                         /*request_region=*/false);
    benchmark::DoNotOptimize(r);
    if (r.outcome != KernelOutcome::kOk ||
        r.node->start != kWindowBase + j * kRegion) {
      std::abort();
    }
    regions[j] = r.node;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FreeRegion_Model)->RangeMultiplier(10)->Range(1000, 10000);

// region_intersects() of a random 4 KiB range that straddles a sibling's
// end and the gap after it: REGION_INTERSECTS (a gap is neither the type
// asked for nor another).
void BM_RegionIntersects_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = BuildTree(n);
  std::mt19937_64 rng(6);
  for (auto _ : state) {
    const uint64_t s = (rng() % n) * kStride + 0x800;
    const RegionIntersection r =
        t.RegionIntersects(s, 0x1000, kRam, iores_desc::kNone);
    benchmark::DoNotOptimize(r);
    if (r != RegionIntersection::kIntersects) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegionIntersects_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_RegionIntersects_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::KernelModel m(kIomemRoot, KernelProfile::Debian61());
  BuildModel(m, n);
  std::mt19937_64 rng(6);
  for (auto _ : state) {
    const uint64_t s = (rng() % n) * kStride + 0x800;
    const RegionIntersection r =
        m.RegionIntersects(s, 0x1000, kRam, iores_desc::kNone);
    benchmark::DoNotOptimize(r);
    if (r != RegionIntersection::kIntersects) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegionIntersects_Model)->RangeMultiplier(10)->Range(1000, 1000000);

// walk_system_ram_res() over a random stretch of 16 siblings: O(log n + m)
// in the tree; the kernel restarts its search at the root for each match.
constexpr int kWalkHits = 16;

void BM_WalkSystemRam_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = BuildTree(n);
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    const uint64_t s = (rng() % (n - kWalkHits)) * kStride;
    absl::StatusOr<std::vector<WalkMatch>> w =
        t.WalkSystemRam(s, s + kWalkHits * kStride - 1);
    benchmark::DoNotOptimize(w);
    if (!w.ok() || w->size() != kWalkHits) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * kWalkHits);
}
BENCHMARK(BM_WalkSystemRam_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_WalkSystemRam_Model(benchmark::State& state) {
  const int64_t n = state.range(0);
  model::KernelModel m(kIomemRoot, KernelProfile::Debian61());
  BuildModel(m, n);
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    const uint64_t s = (rng() % (n - kWalkHits)) * kStride;
    KernelOutcome outcome = KernelOutcome::kOk;
    std::vector<model::WalkHit> w = m.WalkIomemResDesc(
        iores_desc::kNone, kRam, s, s + kWalkHits * kStride - 1, &outcome);
    benchmark::DoNotOptimize(w);
    if (outcome != KernelOutcome::kOk || w.size() != kWalkHits) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * kWalkHits);
}
BENCHMARK(BM_WalkSystemRam_Model)->RangeMultiplier(10)->Range(1000, 1000000);

void BM_Lookup_Tree(benchmark::State& state) {
  const int64_t n = state.range(0);
  ResourceTree t = BuildTree(n);
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.Lookup((rng() % n) * kStride + 0x10));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Lookup_Tree)->RangeMultiplier(10)->Range(1000, 1000000);

// Heap bytes per node of a tree of n siblings (glibc mallinfo2: the arena's
// bytes in use plus the mmap()ed blocks, where the big arrays are), reported
// as the counter "bytes_per_node".
void BM_MemoryPerNode(benchmark::State& state) {
  const int64_t n = state.range(0);
  double per_node = 0;
  for (auto _ : state) {
    const struct mallinfo2 m0 = mallinfo2();
    ResourceTree t = BuildTree(n);
    const struct mallinfo2 m1 = mallinfo2();
    const size_t before = m0.uordblks + m0.hblkhd;
    const size_t after = m1.uordblks + m1.hblkhd;
    per_node = static_cast<double>(after - before) / static_cast<double>(n);
    benchmark::DoNotOptimize(t);
  }
  state.counters["bytes_per_node"] = per_node;
}
BENCHMARK(BM_MemoryPerNode)->Arg(1000000)->Iterations(1);

}  // namespace
}  // namespace restree

BENCHMARK_MAIN();
