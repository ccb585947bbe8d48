// The kernel in the loop (issue 5): random operation sequences run on a real
// kernel's kernel/resource.c (Debian's linux-source-6.1 in
// kernel_in_the_loop_test, 6.12 in kernel_in_the_loop_test_6_12, compiled
// in user space against tests/kernel_shim/), on KernelModel and on
// ResourceTree. After every step the three must agree on the result, the
// conflict, the new node and the whole tree, and the kernel's own
// /proc/iomem (r_show) must equal restree's rendering. RapidCheck shrinks a
// disagreement to a short trace (docs/kernel-in-the-loop.md).
//
// 10,000 sequences per run by default (500 for 6.12, CI's budget);
// RESTREE_RC_RUNS=N for more.

#include "tests/kernel_in_the_loop.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

// What the random sequences did, printed at the end.
kil::Tally tally;

class PrintTally : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("%s", tally.Summary("kernel in the loop").c_str());
  }
};
const auto* const kTallyEnv =
    ::testing::AddGlobalTestEnvironment(new PrintTally());

TEST(KernelInTheLoopTest, KernelSourceIsAvailable) {
  ASSERT_TRUE(kil::KernelAvailable())
      << "no kernel source was compiled in: "
      << kil::CompiledKernelDescription()
      << "; run tools/install_deps.sh (it installs linux-source-6.1 and "
         "linux-source-6.12)";
  std::printf("kernel under test: %s, profile %s\n",
              kil::CompiledKernelDescription().c_str(),
              kil::CompiledKernelProfile().name.c_str());
}

// The sequences run the profile detected in the compiled source. For the
// kernels restree names, that must be the named profile, field by field:
// Debian's 6.1 is debian-6.1, any 6.12 is linux-6.12, any 7.x (mainline from
// 7.0 on; 7.1's resource.c is 7.0's) is linux-7.0.
TEST(KernelInTheLoopTest, NamedProfileIsTheCompiledKernels) {
  if (!kil::KernelAvailable()) GTEST_SKIP();
  const std::string kernel = kil::CompiledKernelDescription();
  std::optional<KernelProfile> named;
  if (absl::StartsWith(kernel, "6.1.") &&
      absl::StrContains(kernel, "Debian linux-source-6.1 ")) {
    named = KernelProfile::Debian61();
  } else if (absl::StartsWith(kernel, "6.12.")) {
    named = KernelProfile::Linux612();
  } else if (absl::StartsWith(kernel, "7.")) {
    named = KernelProfile::Linux70();
  } else {
    GTEST_SKIP() << "no named profile for " << kernel;
  }
  const KernelProfile compiled = kil::CompiledKernelProfile();
  EXPECT_EQ(compiled.proc_max_depth, named->proc_max_depth);
  EXPECT_EQ(compiled.region_intersects_descendants,
            named->region_intersects_descendants);
  EXPECT_EQ(compiled.gfr_step_is_align, named->gfr_step_is_align);
  EXPECT_EQ(compiled.gfr_ascending_skips_zero, named->gfr_ascending_skips_zero);
  EXPECT_EQ(compiled.split_reparents_children, named->split_reparents_children);
  EXPECT_EQ(compiled.physmem_end, named->physmem_end);
  EXPECT_EQ(compiled.gfr_default_align, named->gfr_default_align);
  std::printf("%s is restree's %s\n", kernel.c_str(), named->name.c_str());
}

// A few ops whose outcome is known, so the harness itself is checked.
TEST(KernelInTheLoopTest, KnownSequence) {
  if (!kil::KernelAvailable()) GTEST_SKIP();
  kil::KernelLoop loop;
  const char* script[] = {
      R"(request_resource parent=iomem start=0x1000 end=0x1fff flags=0x81000200 desc=0 name="System RAM")",
      R"(insert_resource_expand_to_fit parent=iomem start=0x1800 end=0x2fff flags=0x200 desc=9 name="CXL Window 0")",
      R"(request_region parent=iomem start=0x2000 size=0x100 flags=0x0 name="dax0.0")",
      R"(request_region parent=iomem start=0x2000 size=0x100 flags=0x0 name="again")",
      R"(release_region parent=iomem start=0x2000 size=0x10)",
      R"(region_intersects start=0x1000 size=0x100 flags=0x1000200 desc=0)",
  };
  const char* want[] = {"ok", "ok", "ok", "conflict", "not-found", "ok"};
  for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); ++i) {
    absl::StatusOr<ops::Op> op = ops::ParseOp(script[i]);
    ASSERT_TRUE(op.ok()) << op.status();
    const kil::StepReport r = loop.Step(*op);
    EXPECT_EQ(r.mismatch, "") << script[i];
    EXPECT_EQ(KernelOutcomeName(r.kernel.outcome), want[i]) << script[i];
  }
  EXPECT_EQ(
      loop.KernelDump(),
      "0000000000000000-ffffffffffffffff : PCI mem flags=0x200 desc=0\n"
      "  0000000000001000-0000000000002fff : CXL Window 0 flags=0x200 desc=9\n"
      "    0000000000001000-0000000000001fff : System RAM flags=0x81000200 "
      "desc=0\n"
      "    0000000000002000-00000000000020ff : dax0.0 flags=0x80000200 "
      "desc=9\n");
}

RC_GTEST_PROP(KernelInTheLoop, KernelModelAndResourceTreeAgree, ()) {
  RC_PRE(kil::KernelAvailable());
  const uint64_t physmem_end =
      *rc::gen::element<uint64_t>((uint64_t{1} << 46) - 1, 0x3fffffff);
  const std::vector<ops::RawOp> seq =
      *rc::gen::container<std::vector<ops::RawOp>>(
          ops::GenRawOp(kMaxAddress, ops::OpSet::kKernel));
  kil::KernelLoop loop(physmem_end);
  std::string trace = kil::TraceHeader(physmem_end);
  for (const ops::RawOp& raw : seq) {
    const ops::Op op = ops::Make(raw, loop.tree());
    absl::StrAppend(&trace, ops::ToString(op), "\n");
    const kil::StepReport r = loop.Step(op);
    if (!r.mismatch.empty()) RC_FAIL(absl::StrCat(trace, r.mismatch));
    tally.Count(r);
  }
  tally.EndSequence();
}

}  // namespace
}  // namespace restree
