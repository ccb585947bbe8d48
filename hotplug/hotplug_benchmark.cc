// Events per second of the hotplug applier (hotplug::Machine) on a machine
// whose CXL window holds n chunks (ReserveChunks), n = 10^3, 10^4, 10^5, and
// on a machine with b boot memory blocks. An event should cost O(k) for the
// k things it touches, so the rates should not fall with n or b.
//
//   bazel run -c opt //hotplug:hotplug_benchmark
//
// docs/performance.md, "Hotplug applier", records the results.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "hotplug/machine.h"
#include "resource_tree/kernel_profile.h"

namespace restree {
namespace hotplug {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kChunk = 256 * kMiB;
constexpr uint64_t kWindowBase = uint64_t{1} << 40;  // 1 TiB
constexpr uint64_t kDimm = 0x100000000;              // 4 GiB

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", what);
    std::abort();
  }
}

// 6.12 (it has RAM regions), one window of `chunks` 256 MiB chunks.
Machine ChunkedMachine(int64_t chunks) {
  MachineOptions o;
  o.profile = KernelProfile::Linux612();
  Machine m(o);
  Check(
      m.AddWindow(0, kWindowBase, static_cast<uint64_t>(chunks) * kChunk).ok(),
      "window add");
  Check(m.ChunksReserve(0, std::nullopt).ok(), "chunks reserve");
  return m;
}

// A machine booted with `blocks` 128 MiB blocks of System RAM (one node).
Machine BootedMachine(int64_t blocks) {
  const std::string dump = absl::StrFormat(
      "00001000-0009ffff : System RAM\n"
      "100000000-%x : System RAM\n",
      kDimm * 2 + static_cast<uint64_t>(blocks) * 128 * kMiB - 1);
  MachineOptions o;
  o.profile = KernelProfile::Linux612();
  absl::StatusOr<Machine> m = Machine::FromIomem(dump, o);
  Check(m.ok(), "boot dump");
  return *std::move(m);
}

// region create (1 GiB, ram: claims 4 chunks) + dax create + kmem online +
// kmem offline + region destroy (the chunks come back): 5 events.
void RegionCycle(benchmark::State& state, Machine& m) {
  for (auto _ : state) {
    absl::StatusOr<uint32_t> k =
        m.CreateRegion(0, kGiB, Machine::RegionMode::kRam);
    Check(k.ok(), "region create");
    absl::StatusOr<std::string> dax = m.CreateDax(*k);
    Check(dax.ok(), "dax create");
    Check(m.KmemOnline(*dax).ok(), "kmem online");
    Check(m.KmemOffline(*dax).ok(), "kmem offline");
    Check(m.DestroyRegion(*k).ok(), "region destroy");
  }
  state.SetItemsProcessed(state.iterations() * 5);
}

// memory add (512 MiB, auto-online) + offline + online + offline + remove:
// 5 events.
void MemoryCycle(benchmark::State& state, Machine& m, uint64_t addr) {
  for (auto _ : state) {
    Check(m.MemoryAdd(addr, 512 * kMiB).ok(), "memory add");
    Check(m.MemoryOffline(addr, 512 * kMiB).ok(), "memory offline");
    Check(m.MemoryOnline(addr, 512 * kMiB).ok(), "memory online");
    Check(m.MemoryOffline(addr, 512 * kMiB).ok(), "memory offline");
    Check(m.MemoryRemove(addr, 512 * kMiB).ok(), "memory remove");
  }
  state.SetItemsProcessed(state.iterations() * 5);
}

// Events that fail after some of their steps and roll back: memory add of
// a range not block aligned (the System RAM request succeeds first) and a
// window add covering window 0 (the private CXL tree takes it first, then
// it is refused: EBUSY): 2 events.
void FailingEvents(benchmark::State& state, Machine& m, int64_t chunks) {
  const uint64_t cover = (static_cast<uint64_t>(chunks) + 2) * kChunk;
  for (auto _ : state) {
    Check(!m.MemoryAdd(kDimm, 64 * kMiB).ok(), "memory add must fail");
    Check(!m.AddWindow(1, kWindowBase - kChunk, cover).ok(),
          "window add must fail");
  }
  state.SetItemsProcessed(state.iterations() * 2);
}

void BM_RegionCycle_Chunks(benchmark::State& state) {
  Machine m = ChunkedMachine(state.range(0));
  RegionCycle(state, m);
}
BENCHMARK(BM_RegionCycle_Chunks)->RangeMultiplier(10)->Range(1000, 100000);

void BM_MemoryCycle_Chunks(benchmark::State& state) {
  Machine m = ChunkedMachine(state.range(0));
  MemoryCycle(state, m, kDimm);
}
BENCHMARK(BM_MemoryCycle_Chunks)->RangeMultiplier(10)->Range(1000, 100000);

void BM_FailingEvents_Chunks(benchmark::State& state) {
  Machine m = ChunkedMachine(state.range(0));
  FailingEvents(state, m, state.range(0));
}
BENCHMARK(BM_FailingEvents_Chunks)->RangeMultiplier(10)->Range(1000, 100000);

// b boot memory blocks (b x 128 MiB of System RAM): the driver state holds
// b blocks, which the applier used to copy for every event.
void BM_MemoryCycle_BootBlocks(benchmark::State& state) {
  Machine m = BootedMachine(state.range(0));
  MemoryCycle(state, m,
              kDimm * 2 + static_cast<uint64_t>(state.range(0)) * 128 * kMiB);
}
BENCHMARK(BM_MemoryCycle_BootBlocks)->RangeMultiplier(10)->Range(100, 10000);

}  // namespace
}  // namespace hotplug
}  // namespace restree

BENCHMARK_MAIN();
