// The kernel in the loop, fuzzed: bytes -> operations run on a real kernel's
// kernel/resource.c (tests/kernel_shim/), KernelModel and ResourceTree, which
// must agree on every result, tree and /proc/iomem. Under --config=fuzz the
// kernel code is coverage-instrumented too, so the fuzzer steers into the
// kernel's own branches. Aborts with the trace of the sequence.
//
//   bazel build --config=fuzz //fuzz:kernel_loop_fuzzer
//   bazel-bin/fuzz/kernel_loop_fuzzer -max_total_time=3600
//       /tmp/kl_corpus fuzz/corpus/kernel_loop_fuzzer
//
// With RESTREE_KERNEL_SOURCE=/path/to/linux (bazel --repo_env) it fuzzes that
// tree's resource.c instead of Debian's (docs/kernel-in-the-loop.md).

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
  kil::KernelLoop loop(physmem_end);
  std::string trace = kil::TraceHeader(physmem_end);  // bazel run //tests:kil
  for (int step = 0; step < 128 && in.remaining_bytes() > 0; ++step) {
    const ops::Op op = ops::Make(
        ops::DecodeRawOp(in, kMaxAddress, ops::OpSet::kKernel), loop.tree());
    trace += ops::ToString(op) + "\n";
    const kil::StepReport r = loop.Step(op);
    if (!r.mismatch.empty()) {
      std::fprintf(stderr, "%s%s\n", trace.c_str(), r.mismatch.c_str());
      std::abort();
    }
  }
  return 0;
}
