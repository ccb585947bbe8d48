#include "cfmws/interleave.h"

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cfmws/cedt.h"
#include "cfmws/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace restree {
namespace cedt {
namespace {

using ::restree::test_support::StatusIs;
using test_support::FromDescription;
using ::testing::HasSubstr;

constexpr uint64_t kBase = uint64_t{1} << 40;
constexpr uint64_t kMiB = uint64_t{1} << 20;

InterleaveMap Make(uint32_t ways, uint32_t gran, uint64_t size,
                   Arithmetic a = Arithmetic::kModulo,
                   std::vector<uint64_t> maps = {}) {
  WindowGeometry g;
  g.base = kBase;
  g.size = size;
  g.ways = ways;
  g.granularity = gran;
  g.arithmetic = a;
  g.xormaps = std::move(maps);
  for (uint32_t i = 0; i < ways; ++i) g.targets.push_back(0x100 + i);
  absl::StatusOr<InterleaveMap> m = InterleaveMap::Create(g);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

TargetAddress At(const InterleaveMap& m, uint64_t hpa) {
  absl::StatusOr<TargetAddress> t = m.ToTarget(hpa);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : TargetAddress{};
}

TEST(InterleaveTest, ModuloTwoWay) {
  const InterleaveMap m = Make(2, 4096, 512 * kMiB);
  EXPECT_EQ(At(m, kBase), (TargetAddress{0, 0x100, 0}));
  EXPECT_EQ(At(m, kBase + 0x1000), (TargetAddress{1, 0x101, 0}));
  EXPECT_EQ(At(m, kBase + 0x2000), (TargetAddress{0, 0x100, 0x1000}));
  EXPECT_EQ(At(m, kBase + 0x3abc), (TargetAddress{1, 0x101, 0x1abc}));
  EXPECT_EQ(m.TargetCapacity(0), 256 * kMiB);
}

TEST(InterleaveTest, ModuloThreeWayUsesDivisionNotBits) {
  const InterleaveMap m = Make(3, 256, 768 * kMiB);
  // Chunk 5: position 5 mod 3 = 2, the target's chunk 5 / 3 = 1.
  EXPECT_EQ(At(m, kBase + 5 * 256 + 7), (TargetAddress{2, 0x102, 256 + 7}));
  EXPECT_EQ(At(m, kBase + 3 * 256), (TargetAddress{0, 0x100, 256}));
  ASSERT_OK_AND_ASSIGN(uint64_t hpa, m.ToHpa(2, 256 + 7));
  EXPECT_EQ(hpa, kBase + 5 * 256 + 7);
}

TEST(InterleaveTest, TwelveWayCapacitiesWhenSizeIsNotAMultiple) {
  // 256 MiB is not a multiple of 12 x 16 KiB: the first positions get one
  // more granule than the others.
  const InterleaveMap m = Make(12, 16384, 256 * kMiB);
  uint64_t total = 0;
  for (uint32_t p = 0; p < 12; ++p) total += m.TargetCapacity(p);
  EXPECT_EQ(total, 256 * kMiB);
  const uint64_t granules = 256 * kMiB / 16384;  // 16384 granules
  EXPECT_EQ(m.TargetCapacity(0), (granules / 12 + 1) * 16384);
  EXPECT_EQ(m.TargetCapacity(11), (granules / 12) * 16384);
  EXPECT_EQ(m.TargetCapacity(12), 0u);
}

TEST(InterleaveTest, XorTwoWayPicksPositionByParity) {
  // 4 KiB granularity: the position bit is 12; the map XORs in bit 20.
  const InterleaveMap m =
      Make(2, 4096, 256 * kMiB, Arithmetic::kXor, {0x101000});
  EXPECT_EQ(At(m, kBase).position, 0u);
  EXPECT_EQ(At(m, kBase + 0x1000).position, 1u);
  // Bit 20 set flips the position the low bit alone would give.
  EXPECT_EQ(At(m, kBase + 0x100000).position, 1u);
  EXPECT_EQ(At(m, kBase + 0x101000).position, 0u);
  EXPECT_EQ(At(m, kBase + 0x100000), (TargetAddress{1, 0x101, 0x80000}));
  ASSERT_OK_AND_ASSIGN(uint64_t back, m.ToHpa(1, 0x80000));
  EXPECT_EQ(back, kBase + 0x100000);
}

TEST(InterleaveTest, XorSixWayCombinesParityAndModuloThree) {
  // One map for the power-of-2 part; the modulo 3 part comes from the
  // translated address.
  const InterleaveMap m =
      Make(6, 256, 768 * kMiB, Arithmetic::kXor, {0x10000100});
  std::set<uint32_t> seen;
  for (uint64_t c = 0; c < 12; ++c)
    seen.insert(At(m, kBase + c * 256).position);
  EXPECT_EQ(seen.size(), 6u);
  // Bit 28 set flips bit 8 of the translated address: offset 0x10000000
  // decodes as 0x10000100, chunk 0x100001, which is 5 mod 6 (without the
  // XOR it would be chunk 0x100000, 4 mod 6).
  EXPECT_EQ(At(m, kBase + 0x10000000).position, 5u);
  EXPECT_EQ(Make(6, 256, 768 * kMiB).ToTarget(kBase + 0x10000000)->position,
            4u);
}

// Every granule of a 256 MiB, 12-way XOR window maps to a distinct
// (position, target granule) and back.
TEST(InterleaveTest, ExhaustiveTwelveWayXorIsBijective) {
  const InterleaveMap m = Make(12, 16384, 256 * kMiB, Arithmetic::kXor,
                               {0x0000004004000, 0x00000a0008000});
  ASSERT_TRUE(XorMapProblems(m.geometry()).empty());
  std::set<std::pair<uint32_t, uint64_t>> seen;
  for (uint64_t a = kBase; a < kBase + 256 * kMiB; a += 16384) {
    const TargetAddress t = At(m, a);
    ASSERT_LT(t.target_offset, m.TargetCapacity(t.position));
    ASSERT_TRUE(seen.insert({t.position, t.target_offset}).second) << a;
    ASSERT_OK_AND_ASSIGN(uint64_t back, m.ToHpa(t.position, t.target_offset));
    ASSERT_EQ(back, a);
  }
  EXPECT_EQ(seen.size(), 256 * kMiB / 16384);
}

TEST(InterleaveTest, MapsThatAreNotTheirOwnInverseBreakTheRoundTrip) {
  // Map 0 contains bit 13, which map 1 sets.
  WindowGeometry g;
  g.base = kBase;
  g.size = 256 * kMiB;
  g.ways = 4;
  g.granularity = 4096;
  g.arithmetic = Arithmetic::kXor;
  g.xormaps = {0x3000, 0x102000};
  g.targets = {1, 2, 3, 4};
  const std::vector<XorMapProblem> problems = XorMapProblems(g);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].map_index, 0u);
  ASSERT_OK_AND_ASSIGN(InterleaveMap m, InterleaveMap::Create(g));
  int broken = 0;
  for (uint64_t a = kBase; a < kBase + 0x200000; a += 0x1000) {
    absl::StatusOr<TargetAddress> t = m.ToTarget(a);
    ASSERT_TRUE(t.ok());
    absl::StatusOr<uint64_t> back = m.ToHpa(t->position, t->target_offset);
    if (!back.ok() || *back != a) ++broken;
  }
  EXPECT_GT(broken, 0);
}

TEST(InterleaveTest, LowestBitNotThePositionBitIsReported) {
  WindowGeometry g;
  g.ways = 2;
  g.granularity = 4096;
  g.arithmetic = Arithmetic::kXor;
  g.xormaps = {0x2000};
  std::vector<XorMapProblem> p = XorMapProblems(g);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_THAT(p[0].message, HasSubstr("lowest set bit 13"));
  g.xormaps = {0};  // allowed: Linux skips a zero map
  EXPECT_TRUE(XorMapProblems(g).empty());
}

// Found by cfmws_decode_fuzzer (fuzz/corpus/cfmws_decode_fuzzer/
// crash-abbfc0c2d337e2a0f951c51c7a9e2be58241e32d): in a window that is not
// 256 MiB aligned, X can move an address at the window's edge outside it.
// That address is refused; it is not decoded against the wrong window.
TEST(InterleaveTest, Regression_crash_abbfc0c2_MisalignedXorWindow) {
  WindowGeometry g;
  g.base = 0x74696c6962617061;
  g.size = 0x300736569;
  g.ways = 12;
  g.granularity = 256;
  g.arithmetic = Arithmetic::kXor;
  g.xormaps = {0x4000100, 0x3f08000200};
  for (uint32_t i = 0; i < 12; ++i) g.targets.push_back(i);
  ASSERT_TRUE(XorMapProblems(g).empty());
  ASSERT_OK_AND_ASSIGN(InterleaveMap m, InterleaveMap::Create(g));
  int refused = 0;
  for (uint64_t a : {g.base, g.base + g.size / 2, g.base + g.size - 1}) {
    absl::StatusOr<TargetAddress> t = m.ToTarget(a);
    if (!t.ok()) {
      EXPECT_THAT(t, StatusIs(absl::StatusCode::kOutOfRange));
      ++refused;
      continue;
    }
    // What it does decode still round-trips.
    ASSERT_OK_AND_ASSIGN(uint64_t back, m.ToHpa(t->position, t->target_offset));
    EXPECT_EQ(back, a);
  }
  EXPECT_GT(refused, 0);
}

TEST(InterleaveTest, OutOfRangeQueries) {
  const InterleaveMap m = Make(2, 4096, 512 * kMiB);
  EXPECT_THAT(m.ToTarget(kBase - 1), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(m.ToTarget(kBase + 512 * kMiB),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(m.ToHpa(2, 0), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(m.ToHpa(0, 256 * kMiB), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(InterleaveTest, WindowAtTheTopOfTheAddressSpace) {
  WindowGeometry g;
  g.base = ~uint64_t{0} - 256 * kMiB + 1;
  g.size = 256 * kMiB;
  g.ways = 1;
  g.targets = {7};
  ASSERT_OK_AND_ASSIGN(InterleaveMap m, InterleaveMap::Create(g));
  EXPECT_EQ(At(m, ~uint64_t{0}).target_offset, 256 * kMiB - 1);
  g.size = 512 * kMiB;
  EXPECT_THAT(InterleaveMap::Create(g),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(InterleaveTest, CreateRejectsInconsistentGeometry) {
  WindowGeometry g;
  g.size = 256 * kMiB;
  g.ways = 5;
  g.targets = {1, 2, 3, 4, 5};
  EXPECT_THAT(InterleaveMap::Create(g),
              StatusIs(absl::StatusCode::kInvalidArgument));
  g.ways = 2;
  EXPECT_THAT(InterleaveMap::Create(g),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 5 targets
  g.targets = {1, 2};
  g.granularity = 300;
  EXPECT_THAT(InterleaveMap::Create(g),
              StatusIs(absl::StatusCode::kInvalidArgument));
  g.granularity = 256;
  g.size = 0;
  EXPECT_THAT(InterleaveMap::Create(g),
              StatusIs(absl::StatusCode::kInvalidArgument));
  g.size = 256 * kMiB;
  g.arithmetic = Arithmetic::kXor;  // needs one map
  EXPECT_THAT(InterleaveMap::Create(g),
              StatusIs(absl::StatusCode::kInvalidArgument));
  g.xormaps = {0x100};
  EXPECT_TRUE(InterleaveMap::Create(g).ok());
}

constexpr char kTwoBridges[] =
    "chbs uid=1 version=1 base=0x1000 length=0x10000\n"
    "chbs uid=2 version=1 base=0x2000 length=0x10000\n";

TEST(GeometryTest, FromTable) {
  const Cedt t = FromDescription(absl::StrCat(
      kTwoBridges,
      "cfmws base=0x100000000 size=2G ways=2 granularity=4K arithmetic=xor "
      "restrictions=0x6 targets=1,2\n"
      "cxims granularity=4K xormaps=0x1000,0x2000\n"
      "cxims granularity=4K xormaps=0x41000\n"));
  ASSERT_OK_AND_ASSIGN(WindowGeometry g, GeometryOf(t, 2));
  EXPECT_EQ(g.base, 0x100000000u);
  EXPECT_EQ(g.ways, 2u);
  EXPECT_EQ(g.granularity, 4096u);
  // The last matching CXIMS wins; only the maps the ways need are taken.
  EXPECT_EQ(g.xormaps, std::vector<uint64_t>{0x41000});
  EXPECT_EQ(g.targets, (std::vector<uint32_t>{1, 2}));
  EXPECT_THAT(GeometryOf(t, 0), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(GeometryTest, XorWindowErrorsFollowLinux) {
  const std::string window =
      "cfmws base=0x100000000 size=2G ways=2 granularity=4K arithmetic=xor "
      "restrictions=0x6 targets=1,2\n";
  EXPECT_THAT(GeometryOf(FromDescription(absl::StrCat(kTwoBridges, window)), 2),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(GeometryOf(FromDescription(absl::StrCat(
                             kTwoBridges, window, "cxims granularity=4K\n")),
                         2),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(
      GeometryOf(FromDescription(absl::StrCat(kTwoBridges, window,
                                              "cxims granularity=4K "
                                              "xormaps=0x1000\n"
                                              "cxims hbig=8 xormaps=0x1\n")),
                 2),
      StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(GeometryOf(FromDescription(absl::StrCat(
                             kTwoBridges,
                             "cfmws base=0x100000000 size=2G eniw=7 "
                             "granularity=4K targets=1\n")),
                         2),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WindowIndexTest, FindsOverlappingWindowsInTableOrder) {
  const Cedt t = FromDescription(absl::StrCat(
      kTwoBridges,
      "cfmws base=0x100000000 size=4G ways=2 granularity=4K targets=1,2\n"
      "cfmws base=0x140000000 size=1G ways=1 granularity=4K targets=2\n"
      "cfmws base=0x400000000 size=1G ways=1 granularity=4K targets=1\n"
      "cfmws base=0x500000000 size=1G ways=2 granularity=4K arithmetic=xor "
      "targets=1,2\n"));
  const WindowIndex idx = WindowIndex::Build(t);
  ASSERT_EQ(idx.entries().size(), 3u);
  ASSERT_EQ(idx.skipped().size(), 1u);
  EXPECT_EQ(idx.skipped()[0].subtable_index, 5u);
  std::vector<const WindowIndex::Entry*> f = idx.Find(0x150000000);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0]->subtable_index, 2u);
  EXPECT_EQ(f[1]->subtable_index, 3u);
  EXPECT_EQ(idx.Find(0x1ffffffff).size(), 1u);
  EXPECT_TRUE(idx.Find(0x200000000).empty());
  EXPECT_TRUE(idx.Find(0xffffffff).empty());
  ASSERT_EQ(idx.Find(0x43fffffff).size(), 1u);
  EXPECT_EQ(idx.Find(0x43fffffff)[0]->subtable_index, 4u);
}

}  // namespace
}  // namespace cedt
}  // namespace restree
