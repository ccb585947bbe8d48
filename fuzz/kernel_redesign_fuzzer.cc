// The redesign in the loop, fuzzed: bytes -> kernel and redesign operations
// run on a real kernel's kernel/resource.c plus restree's C redesign
// implementation (tests/kernel_shim/resource_redesign.{h,c}), on
// RedesignModel and on ResourceTree, which must agree on every result,
// errno, conflict, count, tree, chunk size and /proc/iomem
// (kil::KernelLoop in LoopMode::kRedesign; docs/kernel-in-the-loop.md,
// "Validating a redesign patch"). Under --config=fuzz resource.c and the C
// redesign are coverage-instrumented too. Aborts with the trace of the
// sequence, which `bazel run //tests:kil -- TRACE` replays.
//
//   bazel build --config=fuzz //fuzz:kernel_redesign_fuzzer
//   bazel-bin/fuzz/kernel_redesign_fuzzer -max_total_time=600
//       /tmp/kr_corpus fuzz/corpus/kernel_redesign_fuzzer

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzzer/FuzzedDataProvider.h"
#include "tests/kernel_in_the_loop.h"
#include "tests/tree_ops.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace restree;
  if (!kil::KernelAvailable()) {
    std::fprintf(stderr, "no kernel source compiled in: %s\n",
                 kil::CompiledKernelDescription().c_str());
    std::abort();
  }
  FuzzedDataProvider in(data, size);
  const uint64_t physmem_end =
      in.ConsumeBool() ? 0x3fffffff : (uint64_t{1} << 46) - 1;
  kil::KernelLoop loop(physmem_end, kil::LoopMode::kRedesign);
  std::string trace = kil::TraceHeader(physmem_end, kil::LoopMode::kRedesign);
  for (int step = 0; step < 128 && in.remaining_bytes() > 0; ++step) {
    // Every kind; SetChunkFence is skipped by the loop (the C interface has
    // no fence).
    const ops::Op op = ops::Make(
        ops::DecodeRawOp(in, kMaxAddress, ops::OpSet::kAll), loop.tree());
    trace += ops::ToString(op) + "\n";
    const kil::StepReport r = loop.Step(op);
    if (!r.mismatch.empty()) {
      std::fprintf(stderr, "%s%s\n", trace.c_str(), r.mismatch.c_str());
      std::abort();
    }
  }
  return 0;
}
