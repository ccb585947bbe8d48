// Differential fuzzer: bytes -> a sequence of kernel resource-tree
// operations, run on ResourceTree and on the reference KernelModel. Aborts
// (a libFuzzer crash) when the two disagree on any result or tree, when an
// invariant breaks, or when a failed operation changed the tree; the
// message is the trace of the sequence, replayable with tests/tree_ops.h.
//
//   bazel build --config=fuzz //fuzz:resource_tree_ops_fuzzer
//   bazel-bin/fuzz/resource_tree_ops_fuzzer -max_total_time=600 \
//       /tmp/ops_corpus fuzz/corpus/resource_tree_ops_fuzzer

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzzer/FuzzedDataProvider.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"
#include "tests/fuzz_ops.h"
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
  ResourceSpec root = {Range::Full(), "PCI mem", iores::kMem, 0};
  const char* label = "iomem";
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 1:
      root = {Range(0, 0xffff), "PCI IO", iores::kIo, 0};
      label = "ioport";
      break;
    case 2:
      root = {Range(0, 0x3fff), "PCI mem", iores::kMem, 0};
      break;
    default:
      break;
  }
  const std::vector<KernelProfile> profiles = KernelProfile::All();
  KernelProfile profile =
      profiles[in.ConsumeIntegralInRange<size_t>(0, profiles.size() - 1)];
  if (in.ConsumeBool()) profile.gfr_default_align = 0x100;
  if (in.ConsumeBool()) profile.physmem_end = 0x3fff;

  ResourceTree tree(root, profile);
  model::KernelModel model(root, profile);
  std::string trace = "profile " + profile.name + "\n";
  const uint64_t top = root.range.last();
  for (size_t step = 0; step < kMaxOps && in.remaining_bytes() > 0; ++step) {
    const ops::Op op = ops::Normalize(testing::ConsumeOp(in, top),
                                      static_cast<int>(tree.size()) - 1);
    trace += ops::ToString(op, label) + "\n";

    const std::string before = RenderDump(tree);
    const ops::OpResult rt = ops::Apply(tree, op);
    const ops::OpResult rm = ops::Apply(model, op);
    if (rt != rm) {
      Fail(trace, "results differ: tree " + rt.ToString() + " model " +
                      rm.ToString());
    }
    const std::string after = RenderDump(tree);
    if (after != model.Dump()) Fail(trace, "trees differ:\n" + after);
    if (!tree.CheckInvariants().empty()) Fail(trace, "tree invariants");
    if (!model.CheckInvariants().empty()) Fail(trace, "model invariants");
    if ((rt.Failed() || ops::IsQuery(op.kind)) && after != before) {
      Fail(trace, "a failed op or a query changed the tree");
    }
  }
  return 0;
}
