// ParseByteSize and HumanSize: what users may type for a size or an
// address, and how sizes are printed.

#include "base/byte_size.h"

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace restree {
namespace {

using ::restree::test_support::StatusIs;
using ::testing::HasSubstr;

TEST(ParseByteSize, AcceptsDecimalHexAndBinarySuffixes) {
  EXPECT_EQ(ParseByteSize("4096").value(), 4096u);
  EXPECT_EQ(ParseByteSize("0x1000").value(), 4096u);
  EXPECT_EQ(ParseByteSize("0XfF").value(), 255u);
  EXPECT_EQ(ParseByteSize("4K").value(), 4096u);
  EXPECT_EQ(ParseByteSize("16g").value(), uint64_t{16} << 30);
  EXPECT_EQ(ParseByteSize("0x10M").value(), uint64_t{16} << 20);
  EXPECT_EQ(ParseByteSize("0x1g").value(), uint64_t{1} << 30);
  EXPECT_EQ(ParseByteSize("1p").value(), uint64_t{1} << 50);
  EXPECT_EQ(ParseByteSize("15E").value(), uint64_t{15} << 60);
  // A hex number's final E is a digit, not the exbi suffix.
  EXPECT_EQ(ParseByteSize("0x1e").value(), 30u);
  EXPECT_EQ(ParseByteSize("0x6BE").value(), 0x6beu);
  EXPECT_EQ(ParseByteSize("  7T\n").value(), uint64_t{7} << 40);
  EXPECT_EQ(ParseByteSize("0").value(), 0u);
  EXPECT_EQ(ParseByteSize("18446744073709551615").value(), ~uint64_t{0});
  EXPECT_EQ(ParseByteSize("0xffffffffffffffff").value(), ~uint64_t{0});
}

TEST(ParseByteSize, RejectsWhatIsNotANumber) {
  for (const char* bad : {"", " ", "0x", "-1", "+1", "1.5G", "K", "0xg", "12Q",
                          "4KB", "1 K", "0b101", "x10"}) {
    SCOPED_TRACE(bad);
    const absl::StatusOr<uint64_t> v = ParseByteSize(bad, "--size");
    EXPECT_THAT(v, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(std::string(v.status().message()),
                HasSubstr("is not a number"));
  }
  EXPECT_EQ(ParseByteSize("lots", "memory").status().message(),
            "memory: 'lots' is not a number (e.g. 4096, 0x1000, 4K, 256M)");
  EXPECT_EQ(ParseByteSize("lots").status().message(),
            "'lots' is not a number (e.g. 4096, 0x1000, 4K, 256M)");
}

TEST(ParseByteSize, RejectsWhatDoesNotFit) {
  for (const char* big : {"18446744073709551616", "0x10000000000000000", "16E",
                          "20000P", "0x1000000000000000K"}) {
    SCOPED_TRACE(big);
    const absl::StatusOr<uint64_t> v = ParseByteSize(big, "x");
    EXPECT_THAT(v, StatusIs(absl::StatusCode::kOutOfRange));
    EXPECT_THAT(std::string(v.status().message()),
                HasSubstr("does not fit in 64 bits"));
  }
  EXPECT_EQ(ParseByteSize("16E", "--hpa").status().message(),
            "--hpa: '16E' does not fit in 64 bits");
}

TEST(HumanSize, ReadsLikeLsmem) {
  EXPECT_EQ(HumanSize(0), "0B");
  EXPECT_EQ(HumanSize(512), "512B");
  EXPECT_EQ(HumanSize(1023), "1023B");
  EXPECT_EQ(HumanSize(4096), "4K");
  EXPECT_EQ(HumanSize(1536), "1.5K");
  EXPECT_EQ(HumanSize(10199), "10K");  // 9.96K rounds to 10.0
  EXPECT_EQ(HumanSize(uint64_t{128} << 20), "128M");
  EXPECT_EQ(HumanSize(uint64_t{3} << 29), "1.5G");
  EXPECT_EQ(HumanSize(absl::uint128(1) << 64), "16E");
}

// An exact multiple of 1K prints as an integer and a unit the parser takes.
TEST(ByteSize, HumanSizeOfAnExactMultipleParsesBack) {
  for (uint64_t v : {uint64_t{4096}, uint64_t{3} << 20, uint64_t{1} << 63,
                     uint64_t{1023} << 50}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(ParseByteSize(HumanSize(v)).value(), v);
  }
}

}  // namespace
}  // namespace restree
