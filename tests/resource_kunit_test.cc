// The facts of Linux 6.12's KUnit suite for kernel/resource.c
// (tests/resource_kunit_vectors.h) on restree's model: Range::Union() and
// Range::Intersection() against resource_union() and
// resource_intersection(), and the region_intersects() scenario on
// ResourceTree and KernelModel under every profile. The same vectors run on
// the compiled kernels in kil_resource_kunit_test.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"
#include "tests/resource_kunit_vectors.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

TEST(ResourceKunitTest, UnionOfEveryPairInBothOrders) {
  for (const kunit::RangeVector& v : kunit::RangeVectors()) {
    EXPECT_EQ(v.a.Union(v.b), v.union_) << v.a << " " << v.b;
    EXPECT_EQ(v.b.Union(v.a), v.union_) << v.b << " " << v.a;
  }
}

TEST(ResourceKunitTest, IntersectionOfEveryPairInBothOrders) {
  for (const kunit::RangeVector& v : kunit::RangeVectors()) {
    EXPECT_EQ(v.a.Intersection(v.b), v.intersection) << v.a << " " << v.b;
    EXPECT_EQ(v.b.Intersection(v.a), v.intersection) << v.b << " " << v.a;
  }
}

std::vector<KernelProfile> Profiles() {
  std::vector<KernelProfile> all = KernelProfile::All();
  all.push_back(KernelProfile::Linux71());
  return all;
}

class RegionIntersectsKunitTest
    : public ::testing::TestWithParam<KernelProfile> {};

// Builds the scenario's tree on both ResourceTree and KernelModel (they must
// agree on every line), then asks the queries.
TEST_P(RegionIntersectsKunitTest, TreeAndModelGiveTheKernelsAnswers) {
  const KernelProfile& profile = GetParam();
  ResourceTree tree = ResourceTree::Iomem(profile);
  model::KernelModel m({Range::Full(), "PCI mem", iores::kMem, 0}, profile);
  const bool root_base_fails = !profile.gfr_ascending_skips_zero;

  const std::vector<std::string> lines = kunit::RegionTree(root_base_fails);
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    absl::StatusOr<ops::Op> op = ops::ParseOp(lines[i]);
    ASSERT_TRUE(op.ok()) << op.status();
    const ops::OpResult t = ops::ApplyAsKernel(tree, *op);
    const std::optional<ops::OpResult> k = ops::Apply(m, *op);
    ASSERT_TRUE(k.has_value());
    EXPECT_EQ(t, *k) << "tree " << t.ToString() << ", model " << k->ToString();
    if (i == 0 && root_base_fails) {
      EXPECT_EQ(t.outcome, KernelOutcome::kError);
      EXPECT_EQ(t.err, kerrno::kERANGE);
    } else {
      ASSERT_EQ(t.outcome, KernelOutcome::kOk) << t.ToString();
    }
    if (i == (root_base_fails ? 1u : 0u)) {
      // The parent, wherever it came from, is at kBase.
      EXPECT_EQ(tree.RangeOf(tree.FirstChild(tree.root())),
                Range(kunit::kBase, kunit::kBase + 0x700000 - 1));
    }
  }
  EXPECT_TRUE(tree.CheckInvariants().empty());
  EXPECT_TRUE(m.CheckInvariants().empty());

  for (const kunit::RegionQuery& q : kunit::RegionQueries()) {
    SCOPED_TRACE(q.line);
    absl::StatusOr<ops::Op> op = ops::ParseOp(q.line);
    ASSERT_TRUE(op.ok()) << op.status();
    const RegionIntersection want = profile.region_intersects_descendants
                                        ? q.descendants
                                        : q.top_level_only;
    EXPECT_EQ(ops::ApplyAsKernel(tree, *op).intersects, want)
        << RegionIntersectionName(want);
    EXPECT_EQ(ops::Apply(m, *op)->intersects, want)
        << RegionIntersectionName(want);
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, RegionIntersectsKunitTest,
                         ::testing::ValuesIn(Profiles()),
                         [](const ::testing::TestParamInfo<KernelProfile>& p) {
                           std::string n = p.param.name;
                           for (char& c : n) {
                             if (c == '-' || c == '.') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace restree
