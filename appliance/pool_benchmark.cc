// The pool at scale: 64 hosts, each with a window of C chunks of 256 MiB
// (an appliance of 64 x C chunks), driven by grants and revokes until the
// hosts have run E hotplug events; reported as hotplug events per second.
// Every host grants g/7..g chunks at a time (g = min(175, C/10)) until it
// holds about C, then alternates revoking its newest grant and granting
// again. Region-per-grant: C = 10^4, E = 10^6. Chunked windows (realize=
// chunks): C = 10^3, E = 10^5 and C = 10^4, E = 10^6 (a region create
// there finds its run of free chunks in one pass over the window's
// children, ResourceTree::FirstClaimableRun).
// Invariants are checked once at the end (PoolOptions::check_every_event
// off) and the log is not kept, as `restree pool --check end` would run
// minus the log.
//
//   bazel run -c opt //appliance:pool_benchmark
//
// docs/performance.md, "Pool simulation", records the results.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "appliance/pool.h"
#include "appliance/scenario.h"
#include "benchmark/benchmark.h"

namespace restree {
namespace appliance {
namespace {

constexpr int kHosts = 64;
constexpr uint64_t kChunk = uint64_t{256} << 20;

void Check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failed: %s\n", what.c_str());
    std::abort();
  }
}

// Args: realize=chunks (1) or region (0), chunks per host, hotplug events.
void BM_Pool(benchmark::State& state) {
  const bool chunked = state.range(0) != 0;
  const uint64_t chunks_per_host = static_cast<uint64_t>(state.range(1));
  const uint64_t max_events = static_cast<uint64_t>(state.range(2));
  const uint64_t max_grant = std::min<uint64_t>(175, chunks_per_host / 10);
  std::string text = absl::StrCat(
      "appliance capacity=", kHosts * chunks_per_host * 256,
      "M chunk=256M realize=", chunked ? "chunks" : "region", "\n");
  for (int h = 0; h < kHosts; ++h) {
    absl::StrAppend(&text, "host h", h, " window-size=", chunks_per_host * 256,
                    "M rate=1000\n");
  }
  for (auto _ : state) {
    state.PauseTiming();
    absl::StatusOr<Scenario> sc = ParseScenario(text, "bench.pool");
    Check(sc.ok(), "parse");
    PoolOptions o;
    o.check_every_event = false;
    o.keep_log = false;
    absl::StatusOr<Pool> pool = Pool::Create(*sc, o);
    Check(pool.ok(), std::string(pool.status().message()));
    std::vector<std::vector<uint64_t>> grants(kHosts);
    std::vector<uint64_t> held(kHosts, 0);
    std::vector<bool> revoke_next(kHosts, false);
    uint64_t seed = 42;
    auto next = [&seed] {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      return seed >> 33;
    };
    state.ResumeTiming();
    uint64_t events = 0;
    while (events < max_events) {
      for (size_t h = 0; h < kHosts; ++h) {
        const uint64_t n = max_grant / 7 + next() % (max_grant * 6 / 7 + 1);
        const bool full = held[h] + n > chunks_per_host;
        if ((full || revoke_next[h]) && !grants[h].empty()) {
          const uint64_t g = grants[h].back();
          grants[h].pop_back();
          held[h] -= g;
          Check(pool->Submit(EventKind::kRevoke, h, g * kChunk).ok(), "revoke");
          revoke_next[h] = false;
        } else if (!full) {
          grants[h].push_back(n);
          held[h] += n;
          Check(pool->Submit(EventKind::kGrant, h, n * kChunk).ok(), "grant");
          revoke_next[h] = held[h] + max_grant > chunks_per_host;
        }
      }
      absl::StatusOr<bool> more = pool->Step();
      Check(more.ok(), std::string(more.status().message()));
      events = 0;
      for (size_t h = 0; h < kHosts; ++h) {
        events += pool->stats(h).hotplug_events;
      }
    }
    state.PauseTiming();
    uint64_t failed = 0;
    for (size_t h = 0; h < kHosts; ++h) {
      failed += pool->stats(h).grants_failed + pool->stats(h).revokes_failed;
    }
    Check(failed == 0, absl::StrCat(failed, " failed requests"));
    const std::vector<std::string> v = pool->CheckInvariants();
    Check(v.empty(), v.empty() ? "" : v[0]);
    state.counters["events"] = static_cast<double>(events);
    state.counters["ticks"] = static_cast<double>(pool->tick());
    state.counters["events_per_s"] = benchmark::Counter(
        static_cast<double>(events), benchmark::Counter::kIsRate);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_Pool)
    ->ArgNames({"chunked", "chunks_per_host", "events"})
    ->Args({0, 10'000, 1'000'000})
    ->Args({1, 1'000, 100'000})
    ->Args({1, 10'000, 1'000'000})
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace appliance
}  // namespace restree

BENCHMARK_MAIN();
