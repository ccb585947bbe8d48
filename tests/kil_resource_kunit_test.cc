// The facts of Linux 6.12's KUnit suite for kernel/resource.c
// (tests/resource_kunit_vectors.h) on the compiled kernel of this test's
// slot: its ioport.h's resource_union() and resource_intersection(), and the
// region_intersects() scenario replayed through the kernel-in-the-loop
// harness, where KernelModel and ResourceTree must also agree with the
// kernel at every line.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "resource_tree/kernel_status.h"
#include "tests/kernel_in_the_loop.h"
#include "tests/kernel_shim/kernel_adapter.h"
#include "tests/resource_kunit_vectors.h"

namespace restree {
namespace {

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

TEST(KilResourceKunitTest, KernelUnionOfEveryPairInBothOrders) {
  ASSERT_TRUE(kil::KernelAvailable()) << kil::CompiledKernelDescription();
  for (const kunit::RangeVector& v : kunit::RangeVectors()) {
    ExpectHelper(ka_resource_union, v.a, v.b, v.union_);
    ExpectHelper(ka_resource_union, v.b, v.a, v.union_);
  }
}

TEST(KilResourceKunitTest, KernelIntersectionOfEveryPairInBothOrders) {
  ASSERT_TRUE(kil::KernelAvailable()) << kil::CompiledKernelDescription();
  for (const kunit::RangeVector& v : kunit::RangeVectors()) {
    ExpectHelper(ka_resource_intersection, v.a, v.b, v.intersection);
    ExpectHelper(ka_resource_intersection, v.b, v.a, v.intersection);
  }
}

TEST(KilResourceKunitTest, RegionIntersectsScenarioOnTheKernel) {
  ASSERT_TRUE(kil::KernelAvailable()) << kil::CompiledKernelDescription();
  const KernelProfile profile = kil::CompiledKernelProfile();
  const bool root_base_fails = !profile.gfr_ascending_skips_zero;
  const std::vector<std::string> tree = kunit::RegionTree(root_base_fails);
  const std::vector<kunit::RegionQuery> queries = kunit::RegionQueries();
  std::string trace;
  for (const std::string& l : tree) absl::StrAppend(&trace, l, "\n");
  for (const kunit::RegionQuery& q : queries) {
    absl::StrAppend(&trace, q.line, "\n");
  }

  std::vector<ops::OpResult> kernel;
  absl::StatusOr<kil::ReplaySummary> sum =
      kil::Replay(trace, "kunit.trace", [&](int, const kil::StepReport& r) {
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
}  // namespace restree
