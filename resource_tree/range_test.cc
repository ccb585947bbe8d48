// Range: inclusive bounds that reach 2^64-1, overlap, intersection and union
// as the kernel computes them, and the kernel's ALIGN().

#include "resource_tree/range.h"

#include <cstdint>
#include <optional>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace restree {
namespace {

using ::restree::test_support::StatusIs;

TEST(RangeTest, InclusiveBoundsReachTheTop) {
  EXPECT_EQ(Range::Full().size(), absl::uint128(1) << 64);
  EXPECT_EQ(Range::Full().size_wrapping(), 0u);
  EXPECT_EQ(Range(5, 5).size(), 1);
  ASSERT_OK_AND_ASSIGN(Range top, Range::FromStartSize(kMaxAddress, 1));
  EXPECT_EQ(top, Range(kMaxAddress, kMaxAddress));
  EXPECT_THAT(Range::FromStartSize(kMaxAddress, 2),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(Range::FromStartSize(0x1000, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(Range::FromStartSizeWrapping(0x1000, 0).valid());
  EXPECT_EQ(Range::FromStartSizeWrapping(0, 0), Range::Full());
}

TEST(RangeTest, OverlapAndIntersectionFollowTheKernel) {
  EXPECT_TRUE(Range(0, 10).Overlaps(Range(10, 20)));
  EXPECT_FALSE(Range(0, 9).Overlaps(Range(10, 20)));  // adjacent only
  EXPECT_EQ(Range(0, 15).Intersection(Range(10, 20)), Range(10, 15));
  EXPECT_EQ(Range(0, 9).Intersection(Range(10, 20)), std::nullopt);
  EXPECT_EQ(Range(0, 15).Union(Range(10, 20)), Range(0, 20));
  EXPECT_EQ(Range(0, 9).Union(Range(10, 20)), std::nullopt);  // adjacent
  EXPECT_TRUE(Range(0, 20).Contains(Range(10, 20)));
  EXPECT_FALSE(Range(0, 19).Contains(Range(10, 20)));
  EXPECT_EQ(Range(0x1000, 0x1fff).ToString(), "[0x1000-0x1fff]");
}

TEST(RangeTest, KernelAlignIsMaskArithmetic) {
  EXPECT_EQ(KernelAlign(0x1001, 0x1000), 0x2000u);
  EXPECT_EQ(KernelAlign(0x1000, 0x1000), 0x1000u);
  EXPECT_EQ(KernelAlign(0x1234, 0), 0u);            // the kernel's ALIGN(x, 0)
  EXPECT_EQ(KernelAlign(kMaxAddress, 0x1000), 0u);  // wraps; callers check
  // Not a power of two: (x + 2) & ~2, not a rounding.
  EXPECT_EQ(KernelAlign(5, 3), (5u + 2u) & ~2u);
}

}  // namespace
}  // namespace restree
