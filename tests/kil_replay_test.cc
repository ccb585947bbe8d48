// kil::Replay(): traces replayed on the real kernel, KernelModel and
// ResourceTree, and the errors a bad trace gets.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kernel_in_the_loop.h"

namespace restree {
namespace kil {
namespace {

using ::testing::HasSubstr;

TEST(Replay, RunsEveryLineOnAllThreeAndReportsTheKernelsProcIomem) {
  ASSERT_TRUE(KernelAvailable()) << CompiledKernelDescription();
  const std::string trace =
      "# a comment, then the directive\n"
      "# physmem_end=0x3fffffff\n"
      "\n"
      "request_resource parent=iomem start=0x1000 end=0x1fff flags=0x200 "
      "desc=0 name=\"A\"\n"
      "  request_region parent=iomem start=0x1000 size=0x100 flags=0 "
      "name=\"B\"\r\n"
      "remove_resource target=iomem\n"  // the root: a contract violation
      "request_resource parent=iomem start=0x1800 end=0x27ff flags=0x200 "
      "desc=0 name=\"C\"\n";
  std::vector<int> lines;
  absl::StatusOr<ReplaySummary> sum =
      Replay(trace, "t.trace",
             [&](int line, const StepReport& r) {
               lines.push_back(line);
               EXPECT_TRUE(r.mismatch.empty()) << r.mismatch;
             });
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(lines, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(sum->ops, 4);
  EXPECT_EQ(sum->skipped, 1);
  EXPECT_EQ(sum->mismatch_line, 0);
  // B went under A; C conflicted with A and was not added.
  EXPECT_EQ(sum->proc_iomem,
            "00001000-00001fff : A\n"
            "  00001000-000010ff : B\n");
}

TEST(Replay, TheKernelSeesPhysmemEnd) {
  // A free-region search in a window above 4 GiB: PHYSMEM_END at 1 GiB - 1
  // leaves no candidate (ERANGE); the default one leaves the whole window.
  // (The window does not start at 0: 6.1's ascending search never starts
  // there, see docs/kernel-semantics.md.)
  const std::string ops =
      "request_resource parent=iomem start=0x100000000 end=0x1ffffffff "
      "flags=0x200 desc=0 name=\"W\"\n"
      "alloc_free_mem_region parent=iomem:0 size=0x10000000 align=0x10000000 "
      "name=\"R\"\n";
  std::vector<std::string> outcomes;
  for (const std::string& prefix :
       {std::string("# physmem_end=1073741823\n"), std::string()}) {
    absl::StatusOr<ReplaySummary> sum = Replay(
        prefix + ops, "t", [&](int line, const StepReport& r) {
          if (line == (prefix.empty() ? 2 : 3)) {
            outcomes.push_back(r.kernel.ToString());
          }
        });
    ASSERT_TRUE(sum.ok()) << sum.status();
    EXPECT_EQ(sum->mismatch_line, 0) << sum->mismatch.mismatch;
  }
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_THAT(outcomes[0], HasSubstr("ERANGE"));
  EXPECT_THAT(outcomes[1], HasSubstr("ok node=1"));
}

TEST(Replay, ABadLineIsNamedByFileLineAndColumnBeforeAnythingRuns) {
  int steps = 0;
  absl::StatusOr<ReplaySummary> sum = Replay(
      "request_resource parent=iomem start=0x1000 end=0x1fff flags=0x200 "
      "desc=0 name=\"A\"\n"
      "  frobnicate parent=iomem\n",
      "bad.trace", [&](int, const StepReport&) { ++steps; });
  ASSERT_FALSE(sum.ok());
  EXPECT_THAT(std::string(sum.status().message()),
              HasSubstr("bad.trace:2:3: unknown operation 'frobnicate'"));
  EXPECT_EQ(steps, 0);
}

TEST(Replay, PhysmemEndAfterAnOperationIsRejected) {
  absl::StatusOr<ReplaySummary> sum = Replay(
      "request_resource parent=iomem start=0x1000 end=0x1fff flags=0x200 "
      "desc=0 name=\"A\"\n"
      "# physmem_end=0x3fffffff\n",
      "t", {});
  ASSERT_FALSE(sum.ok());
  EXPECT_THAT(std::string(sum.status().message()),
              HasSubstr("t:2: physmem_end must come before"));
  sum = Replay("# physmem_end=lots\n", "t", {});
  ASSERT_FALSE(sum.ok());
  EXPECT_THAT(std::string(sum.status().message()),
              HasSubstr("t:1: bad physmem_end 'lots'"));
}

TEST(Replay, AReferenceToANodeTheTreeDoesNotHaveIsAnError) {
  absl::StatusOr<ReplaySummary> sum = Replay(
      "request_resource parent=iomem start=0x1000 end=0x1fff flags=0x200 "
      "desc=0 name=\"A\"\n"
      "release_resource target=iomem:1\n",
      "t", {});
  ASSERT_FALSE(sum.ok());
  EXPECT_THAT(std::string(sum.status().message()),
              HasSubstr("t:2: node 1 does not exist (the tree has 1 nodes"));
}

}  // namespace
}  // namespace kil
}  // namespace restree
