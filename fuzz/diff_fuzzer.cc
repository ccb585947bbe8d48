// Fuzzes the structural differ (iomem_parser/diff.h). The input builds tree
// A by kernel-compatible and redesign operations (tests/fuzz_ops.h), copies
// it, and applies more operations to the copy to get tree B. Then:
//   * DiffTrees(A, A) and DiffTrees(B, B) are empty;
//   * ApplyDiff(A, DiffTrees(A, B)) (tests/apply_diff.h) succeeds and
//     renders exactly as B (with flags and desc, RenderDump), and passes
//     CheckInvariants().
// The trace of both sequences is printed on failure.
//
//   bazel build --config=fuzz //fuzz:diff_fuzzer
//   bazel-bin/fuzz/diff_fuzzer -max_total_time=600 /tmp/diff_corpus
//       fuzz/corpus/diff_fuzzer

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

#include "fuzzer/FuzzedDataProvider.h"
#include "iomem_parser/diff.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tests/apply_diff.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

constexpr size_t kMaxOps = 64;

[[noreturn]] void Fail(const std::string& trace, const std::string& what) {
  std::fprintf(stderr, "%s%s\n", trace.c_str(), what.c_str());
  std::abort();
}

// Applies up to kMaxOps decoded operations to `t`, appending them to
// `trace`.
void Grow(FuzzedDataProvider& in, ResourceTree& t, std::string& trace) {
  const uint64_t top = t.RangeOf(t.root()).last();
  const size_t n = in.ConsumeIntegralInRange<size_t>(0, kMaxOps);
  for (size_t i = 0; i < n && in.remaining_bytes() > 0; ++i) {
    const ops::Op op =
        ops::Make(ops::DecodeRawOp(in, top, ops::OpSet::kKernel), t);
    // The differ compares what is below the root (a dump has no root line):
    // leave the root's own range and flags alone.
    const bool changes_root =
        (std::holds_alternative<ops::AdjustResource>(op) ||
         std::holds_alternative<ops::Grow>(op) ||
         std::holds_alternative<ops::SetFlags>(op) ||
         std::holds_alternative<ops::ReallocateResource>(op)) &&
        ops::Refs(op)[0] < 0;
    if (changes_root) continue;
    trace += ops::ToString(op) + "\n";
    (void)ops::ApplyAsKernel(t, op);
  }
}

}  // namespace
}  // namespace restree

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace restree;
  FuzzedDataProvider in(data, size);
  ResourceTree a = ResourceTree::Iomem();
  std::string trace = "# tree A\n";
  Grow(in, a, trace);
  ResourceTree b = a;
  trace += "# tree B = A and\n";
  Grow(in, b, trace);
  if (!DiffTrees(a, a).empty()) Fail(trace, "diff(A, A) is not empty");
  if (!DiffTrees(b, b).empty()) Fail(trace, "diff(B, B) is not empty");
  const IomemDiff d = DiffTrees(a, b);
  absl::StatusOr<ResourceTree> rebuilt = test_support::ApplyDiff(a, d);
  if (!rebuilt.ok()) {
    Fail(trace, "ApplyDiff(A, diff(A, B)) failed: " +
                    std::string(rebuilt.status().message()));
  }
  const std::string want = RenderDump(b);
  const std::string got = RenderDump(*rebuilt);
  if (got != want) {
    Fail(trace,
         "ApplyDiff(A, diff(A, B)) is not B\nB:\n" + want + "rebuilt:\n" + got);
  }
  if (!rebuilt->CheckInvariants().empty()) {
    Fail(trace, "the rebuilt tree breaks an invariant");
  }
  return 0;
}
