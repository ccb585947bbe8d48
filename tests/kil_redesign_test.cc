// The redesign in the loop (issue 25): random sequences mixing the kernel's
// functions and the redesign operations run on three implementations at
// once: a real kernel/resource.c plus a C implementation of
// tests/kernel_shim/resource_redesign.h (restree's own resource_redesign.c;
// in kil_redesign_user_test, $RESTREE_REDESIGN_C via
// tools/kernel_in_the_loop.sh --redesign),
// RedesignModel (KernelModel plus the reference redesign) and ResourceTree.
// After every step they must agree on the result, errno, conflicting node,
// created node and count, on the whole tree, every chunk size and
// /proc/iomem (kil::KernelLoop in LoopMode::kRedesign). RapidCheck shrinks a
// disagreement to a short trace, printed between "--- trace ---" lines, that
// `bazel run //tests:kil -- FILE` replays.
//
// kil_redesign_test (Debian's 6.1) and kil_redesign_test_6_12: 1,000 and 300
// sequences in `bazel test //...` (tests/BUILD.bazel, KIL_REDESIGN_CI_RUNS),
// RESTREE_RC_RUNS=N for more (tools/kernel_in_the_loop.sh: 10,000).

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "tests/kernel_in_the_loop.h"
#include "tests/kernel_shim/kernel_adapter.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

kil::Tally tally;

class PrintTally : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("%s", tally
                          .Summary(absl::StrCat("redesign in the loop (",
                                                ka_redesign_origin(), ")"))
                          .c_str());
  }
};
const auto* const kTallyEnv =
    ::testing::AddGlobalTestEnvironment(new PrintTally());

TEST(KilRedesignTest, KernelSourceIsAvailable) {
  ASSERT_TRUE(kil::KernelAvailable()) << "no kernel source was compiled in: "
                                      << kil::CompiledKernelDescription();
  std::printf("kernel under test: %s; redesign implementation: %s\n",
              kil::CompiledKernelDescription().c_str(), ka_redesign_origin());
}

// A worked sequence with known results, so that the loop itself is checked:
// a window over System RAM that straddles it (split), chunks, a region
// claimed and returned, a grow that adopts and a reparent.
TEST(KilRedesignTest, KnownSequence) {
  if (!kil::KernelAvailable()) GTEST_SKIP();
  kil::KernelLoop loop((uint64_t{1} << 46) - 1, kil::LoopMode::kRedesign);
  const struct {
    const char* line;
    const char* want;
  } script[] = {
      {R"(request_resource parent=iomem start=0x0 end=0x2fffffff flags=0x81000200 desc=0 name="System RAM")",
       "ok node=0"},
      {R"(insert_over parent=iomem start=0x20000000 end=0x5fffffff flags=0x200 desc=5 name="CXL Window 0" splittable="System RAM")",
       "ok node=1"},
      {R"(reserve_chunks window=iomem:1 chunk_size=0x10000000 ways=1 memory_block_size=0x8000000 max_new_chunks=64)",
       "ok count=3"},
      {R"(claim_chunks window=iomem:1 start=0x30000000 end=0x4fffffff flags=0x200 desc=5 name="region0")",
       "ok node=3"},
      {R"(return_to_chunks target=iomem:3)", "ok count=2"},
      {R"(claim_chunks window=iomem:1 start=0x38000000 end=0x4fffffff flags=0x200 desc=5 name="region0")",
       "error EINVAL conflict=3"},
      {R"(release_unused_chunks window=iomem:1 shrink=1)", "ok count=3"},
      {R"(grow target=iomem:0 start=0x0 size=0x40000000)", "ok"},
      {R"(reparent target=iomem:2 new_parent=iomem:0)", "ok"},
  };
  for (const auto& step : script) {
    absl::StatusOr<ops::Op> op = ops::ParseOp(step.line);
    ASSERT_TRUE(op.ok()) << op.status();
    const kil::StepReport r = loop.Step(*op);
    EXPECT_EQ(r.mismatch, "") << step.line;
    EXPECT_FALSE(r.skipped) << step.line;
    std::string got = r.kernel.ToString();
    got = got.substr(0, got.rfind(' '));  // drop the region_intersects word
    EXPECT_EQ(got, step.want) << step.line;
  }
  EXPECT_EQ(loop.KernelDump(),
            "0000000000000000-ffffffffffffffff : PCI mem flags=0x200 desc=0\n"
            "  0000000000000000-000000003fffffff : System RAM flags=0x81000200 "
            "desc=0\n"
            "    0000000020000000-000000002fffffff : System RAM "
            "flags=0x81000200 desc=0\n"
            "      0000000020000000-000000002fffffff : CXL Window 0 "
            "flags=0x200 desc=5\n");
}

RC_GTEST_PROP(KilRedesign, ThreeImplementationsAgree, ()) {
  RC_PRE(kil::KernelAvailable());
  const uint64_t physmem_end =
      *rc::gen::element<uint64_t>((uint64_t{1} << 46) - 1, 0x3fffffff);
  const std::vector<ops::RawOp> seq =
      *rc::gen::container<std::vector<ops::RawOp>>(kil::GenRedesignRawOp());
  kil::KernelLoop loop(physmem_end, kil::LoopMode::kRedesign);
  std::string trace = kil::TraceHeader(physmem_end, kil::LoopMode::kRedesign);
  for (const ops::RawOp& raw : seq) {
    const ops::Op op = ops::Make(raw, loop.tree());
    absl::StrAppend(&trace, ops::ToString(op), "\n");
    const kil::StepReport r = loop.Step(op);
    if (!r.mismatch.empty()) {
      RC_FAIL(absl::StrCat("\n--- trace ---\n", trace, "--- trace ---\n",
                           r.mismatch));
    }
    tally.Count(r);
  }
  tally.EndSequence();
}

}  // namespace
}  // namespace restree
