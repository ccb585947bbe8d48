// kil::Replay(): traces replayed on the real kernel, KernelModel and
// ResourceTree, and the errors a bad trace gets; and the facts of 6.12's
// KUnit suite for resource.c on the kernel.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/kernel_status.h"
#include "tests/kernel_in_the_loop.h"
#include "tests/kernel_shim/kernel_adapter.h"
#include "tests/resource_kunit_vectors.h"

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
      Replay(trace, "t.trace", [&](int line, const StepReport& r) {
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
    absl::StatusOr<ReplaySummary> sum =
        Replay(prefix + ops, "t", [&](int line, const StepReport& r) {
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

// The facts of Linux 6.12's KUnit suite for kernel/resource.c
// (tests/resource_kunit_vectors.h) on this slot's kernel: its ioport.h's
// resource_union() and resource_intersection(), and the region_intersects()
// scenario replayed on the kernel, KernelModel and ResourceTree.

using Helper = int (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t*,
                       uint64_t*);

// Runs the kernel's helper on (x, y) as the KUnit case does: the result
// starts zeroed and must stay so when the helper returns false.
void ExpectHelper(Helper fn, const Range& x, const Range& y,
                  const std::optional<Range>& want) {
  uint64_t start = 0, end = 0;
  const int ret = fn(x.first(), x.last(), y.first(), y.last(), &start, &end);
  EXPECT_EQ(ret != 0, want.has_value()) << x << " " << y;
  const Range got(start, end);
  EXPECT_EQ(got, want.value_or(Range(0, 0))) << x << " " << y;
}

TEST(Kunit, KernelUnionOfEveryPairInBothOrders) {
  ASSERT_TRUE(KernelAvailable()) << CompiledKernelDescription();
  for (const kunit::RangeVector& v : kunit::RangeVectors()) {
    ExpectHelper(ka_resource_union, v.a, v.b, v.union_);
    ExpectHelper(ka_resource_union, v.b, v.a, v.union_);
  }
}

TEST(Kunit, KernelIntersectionOfEveryPairInBothOrders) {
  ASSERT_TRUE(KernelAvailable()) << CompiledKernelDescription();
  for (const kunit::RangeVector& v : kunit::RangeVectors()) {
    ExpectHelper(ka_resource_intersection, v.a, v.b, v.intersection);
    ExpectHelper(ka_resource_intersection, v.b, v.a, v.intersection);
  }
}

TEST(Kunit, RegionIntersectsScenarioOnTheKernel) {
  ASSERT_TRUE(KernelAvailable()) << CompiledKernelDescription();
  const KernelProfile profile = CompiledKernelProfile();
  const bool root_base_fails = !profile.gfr_ascending_skips_zero;
  const std::vector<std::string> tree = kunit::RegionTree(root_base_fails);
  const std::vector<kunit::RegionQuery> queries = kunit::RegionQueries();
  std::string trace;
  for (const std::string& l : tree) absl::StrAppend(&trace, l, "\n");
  for (const kunit::RegionQuery& q : queries) {
    absl::StrAppend(&trace, q.line, "\n");
  }

  std::vector<ops::OpResult> kernel;
  absl::StatusOr<ReplaySummary> sum =
      Replay(trace, "kunit.trace", [&](int, const StepReport& r) {
        EXPECT_TRUE(r.mismatch.empty()) << r.mismatch;
        EXPECT_FALSE(r.skipped);
        kernel.push_back(r.kernel);
      });
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(sum->mismatch_line, 0);
  ASSERT_EQ(kernel.size(), tree.size() + queries.size());

  if (root_base_fails) {
    EXPECT_EQ(kernel[0].outcome, KernelOutcome::kError);
    EXPECT_EQ(kernel[0].err, kerrno::kERANGE);
  } else {
    EXPECT_EQ(kernel[0].outcome, KernelOutcome::kOk);
  }
  for (size_t i = 1; i < tree.size(); ++i) {
    EXPECT_EQ(kernel[i].outcome, KernelOutcome::kOk) << tree[i];
  }
  // The parent was at kBase: its former children are now the root's.
  EXPECT_NE(sum->proc_iomem.find("00100000-001fffff : Test System RAM 0"),
            std::string::npos)
      << sum->proc_iomem;
  for (size_t i = 0; i < queries.size(); ++i) {
    const RegionIntersection want = profile.region_intersects_descendants
                                        ? queries[i].descendants
                                        : queries[i].top_level_only;
    EXPECT_EQ(kernel[tree.size() + i].intersects, want)
        << queries[i].line << ": want " << RegionIntersectionName(want);
  }
}

}  // namespace
}  // namespace kil
}  // namespace restree
