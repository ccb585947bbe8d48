// The kernel's IORESOURCE_* flags and IORES_DESC_* values by name.

#include "resource_tree/flags.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace restree {
namespace {

constexpr uint64_t kRamFlags = iores::kSystemRam | iores::kBusy;

TEST(FlagsTest, NamesRoundTrip) {
  const uint64_t f = kRamFlags | iores::kSysramDriverManaged;
  EXPECT_EQ(FlagsToString(f), "MEM|SYSRAM|SYSRAM_DRIVER_MANAGED|BUSY");
  uint64_t back = 0;
  ASSERT_TRUE(ParseFlags(FlagsToString(f), &back));
  EXPECT_EQ(back, f);
  EXPECT_EQ(FlagsToString(0), "0");
  EXPECT_EQ(FlagsToString(iores::kMem | 0x40), "MEM|0x40");
  ASSERT_TRUE(ParseFlags("0x80000200", &back));
  EXPECT_EQ(back, iores::kMem | iores::kBusy);
  EXPECT_FALSE(ParseFlags("MEM|NOPE", &back));
  EXPECT_FALSE(ParseFlags("", &back));
  EXPECT_EQ(DescToString(iores_desc::kCxl), "CXL");
  EXPECT_EQ(DescToString(42), "42");
}

}  // namespace
}  // namespace restree
