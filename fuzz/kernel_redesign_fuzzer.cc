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

#include <cstddef>
#include <cstdint>

#include "fuzzer/FuzzedDataProvider.h"
#include "tests/kernel_in_the_loop.h"
#include "tests/tree_ops.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  restree::kil::FuzzSequence(in, restree::kil::LoopMode::kRedesign,
                             restree::ops::OpSet::kAll);
  return 0;
}
