// HPA -> target lookups per second: one window's arithmetic (modulo 2-way,
// modulo 12-way, XOR 16-way), and the window index over many windows.
//   bazel run -c opt //cfmws:interleave_benchmark

#include <cstdint>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "cfmws/cedt.h"
#include "cfmws/description.h"
#include "cfmws/interleave.h"

namespace restree {
namespace cedt {
namespace {

constexpr uint64_t kBase = uint64_t{1} << 40;
constexpr uint64_t kSize = uint64_t{48} << 30;

InterleaveMap Map(uint32_t ways, Arithmetic a) {
  WindowGeometry g;
  g.base = kBase;
  g.size = kSize;
  g.ways = ways;
  g.granularity = 4096;
  g.arithmetic = a;
  for (uint32_t i = 0; i < ways; ++i) g.targets.push_back(i);
  if (a == Arithmetic::kXor) {
    for (int i = 0; i < XorMapsNeeded(ways); ++i) {
      g.xormaps.push_back((uint64_t{1} << (12 + i)) |
                          (uint64_t{0x1111} << (20 + 4 * i)));
    }
  }
  return *InterleaveMap::Create(g);
}

// Pseudo-random addresses in the window (xorshift), precomputed.
std::vector<uint64_t> Addresses() {
  std::vector<uint64_t> a(4096);
  uint64_t x = 88172645463325252u;
  for (uint64_t& v : a) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v = kBase + x % kSize;
  }
  return a;
}

void Lookup(benchmark::State& state, const InterleaveMap& m) {
  const std::vector<uint64_t> addrs = Addresses();
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    absl::StatusOr<TargetAddress> t = m.ToTarget(addrs[i++ & 4095]);
    sum += t->target_offset;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_ToTargetModulo2(benchmark::State& s) {
  Lookup(s, Map(2, Arithmetic::kModulo));
}
void BM_ToTargetModulo12(benchmark::State& s) {
  Lookup(s, Map(12, Arithmetic::kModulo));
}
void BM_ToTargetXor16(benchmark::State& s) {
  Lookup(s, Map(16, Arithmetic::kXor));
}
BENCHMARK(BM_ToTargetModulo2);
BENCHMARK(BM_ToTargetModulo12);
BENCHMARK(BM_ToTargetXor16);

void BM_RoundTripXor16(benchmark::State& state) {
  const InterleaveMap m = Map(16, Arithmetic::kXor);
  const std::vector<uint64_t> addrs = Addresses();
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    absl::StatusOr<TargetAddress> t = m.ToTarget(addrs[i++ & 4095]);
    sum += *m.ToHpa(t->position, t->target_offset);
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_RoundTripXor16);

// Find the window, then the target, among n disjoint 4 GiB windows.
void BM_IndexLookup(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::string d =
      "chbs uid=1 version=1 base=0x1000 length=0x10000\n"
      "chbs uid=2 version=1 base=0x2000 length=0x10000\n";
  for (int i = 0; i < n; ++i) {
    d += absl::StrFormat(
        "cfmws base=0x%x size=4G ways=2 granularity=4K targets=1,2\n",
        kBase + uint64_t(i) * (uint64_t{4} << 30));
  }
  const WindowIndex idx = WindowIndex::Build(*ParseDescription(d));
  std::vector<uint64_t> addrs(4096);
  uint64_t x = 88172645463325252u;
  for (uint64_t& v : addrs) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v = kBase + x % (uint64_t(n) * (uint64_t{4} << 30));
  }
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    const uint64_t a = addrs[i++ & 4095];
    for (const WindowIndex::Entry* e : idx.Find(a)) {
      sum += e->map.ToTarget(a)->position;
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_IndexLookup)->Arg(16)->Arg(1024);

}  // namespace
}  // namespace cedt
}  // namespace restree
