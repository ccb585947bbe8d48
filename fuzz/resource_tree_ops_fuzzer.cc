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
#include "tests/tree_ops.h"

namespace restree {
namespace {

constexpr uint64_t kFlags[] = {
    iores::kMem,
    iores::kMem | iores::kBusy,
    iores::kSystemRam | iores::kBusy,
    iores::kSystemRam,
    iores::kMem | iores::kBusy | iores::kMuxed,
    iores::kMuxed,
    iores::kMem | iores::kUnset,
    iores::kIo | iores::kBusy,
    iores::kSystemRam | iores::kSysramDriverManaged,
    0,
};
constexpr const char* kNames[] = {"A", "B", "System RAM", "CXL Window 0"};
constexpr size_t kMaxOps = 256;

uint64_t Addr(FuzzedDataProvider& in, uint64_t top) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return in.ConsumeIntegral<uint8_t>() * uint64_t{0x100};
    case 1:
      return top - in.ConsumeIntegral<uint8_t>() * uint64_t{0x100};
    case 2:
      return in.ConsumeIntegral<uint16_t>();
    default:
      return in.ConsumeIntegral<uint64_t>();
  }
}

uint64_t Len(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0:
      return (in.ConsumeIntegral<uint8_t>() % 32 + 1) * uint64_t{0x100};
    case 1:
      return in.ConsumeIntegral<uint16_t>();
    default:
      return in.ConsumeIntegral<uint64_t>();
  }
}

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
    ops::Op op;
    op.kind = static_cast<ops::OpKind>(
        in.ConsumeIntegralInRange<int>(0, ops::kNumOpKinds - 1));
    op.ref = in.ConsumeIntegral<uint16_t>();
    op.start = Addr(in, top);
    op.size = Len(in);
    op.end = in.ConsumeBool() ? op.start + op.size - 1 : Addr(in, top);
    op.min = in.ConsumeBool() ? 0 : Addr(in, top);
    op.max = in.ConsumeBool() ? ~uint64_t{0} : Addr(in, top);
    op.align = in.ConsumeBool() ? uint64_t{1} << in.ConsumeIntegralInRange(0, 16)
                                : in.ConsumeIntegral<uint16_t>();
    op.alignf = in.ConsumeBool() ? ops::AlignFn::kUp16k : ops::AlignFn::kNone;
    op.flags = in.ConsumeBool()
                   ? kFlags[in.ConsumeIntegralInRange<size_t>(
                         0, sizeof(kFlags) / sizeof(kFlags[0]) - 1)]
                   : in.ConsumeIntegral<uint64_t>();
    op.desc = in.ConsumeIntegralInRange<uint32_t>(0, 10);
    op.name = kNames[in.ConsumeIntegralInRange<size_t>(0, 3)];
    op = ops::Normalize(op, static_cast<int>(tree.size()) - 1);
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
