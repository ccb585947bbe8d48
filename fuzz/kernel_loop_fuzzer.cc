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

#include <cstddef>
#include <cstdint>

#include "fuzzer/FuzzedDataProvider.h"
#include "tests/kernel_in_the_loop.h"
#include "tests/tree_ops.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  restree::kil::FuzzSequence(in, restree::kil::LoopMode::kKernel,
                             restree::ops::OpSet::kKernel);
  return 0;
}
