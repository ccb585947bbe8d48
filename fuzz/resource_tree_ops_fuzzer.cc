// Differential fuzzer: bytes -> a sequence of kernel resource-tree
// operations, run on ResourceTree and on the reference KernelModel. Aborts
// (a libFuzzer crash) on any problem tests/lockstep.h reports (results,
// trees, /proc/iomem, invariants, a failed operation that changed the tree);
// the message is the trace of the sequence, replayable with
// tests/tree_ops.h.
//
//   bazel build --config=fuzz //fuzz:resource_tree_ops_fuzzer
//   bazel-bin/fuzz/resource_tree_ops_fuzzer -max_total_time=600
//       /tmp/ops_corpus fuzz/corpus/resource_tree_ops_fuzzer

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzzer/FuzzedDataProvider.h"
#include "resource_tree/kernel_profile.h"
#include "tests/lockstep.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

constexpr size_t kMaxOps = 256;

[[noreturn]] void Fail(const std::string& trace, const std::string& what) {
  std::fprintf(stderr, "%s%s\n", trace.c_str(), what.c_str());
  std::abort();
}

}  // namespace
}  // namespace restree

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace restree;
  FuzzedDataProvider in(data, size);
  const int root_kind = in.ConsumeIntegralInRange<int>(0, 2);
  const size_t profile =
      in.ConsumeIntegralInRange<size_t>(0, KernelProfile::All().size() - 1);
  const bool small_gfr_align = in.ConsumeBool();
  const bool low_physmem = in.ConsumeBool();
  const test_support::World w =
      test_support::MakeWorld(root_kind, profile, small_gfr_align, low_physmem);
  test_support::Lockstep twins(w);
  std::string trace = "profile " + w.profile.name + "\n";
  const uint64_t top = w.root.range.last();
  for (size_t step = 0; step < kMaxOps && in.remaining_bytes() > 0; ++step) {
    const ops::Op op =
        ops::Make(ops::DecodeRawOp(in, top, ops::OpSet::kKernel), twins.tree());
    trace += ops::ToString(op, w.label) + "\n";
    const std::string problem = twins.Step(op);
    if (!problem.empty()) Fail(trace, problem);
  }
  return 0;
}
