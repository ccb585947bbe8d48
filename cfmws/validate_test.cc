#include "cfmws/validate.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cfmws/cedt.h"
#include "cfmws/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace restree {
namespace cedt {
namespace {

using test_support::Encode;
using test_support::FromDescription;
using test_support::ReadTestdata;
using ::testing::HasSubstr;

// Two CXL 2.0 host bridges and a valid 2-way window over them. Subtable
// offsets: CHBS 0x24 and 0x44, CFMWS 0x64.
constexpr char kBridges[] =
    "chbs uid=1 version=1 base=0x1000 length=0x10000\n"
    "chbs uid=2 version=1 base=0x2000 length=0x10000\n";
constexpr char kWindow[] =
    "cfmws base=0x100000000 size=2G ways=2 granularity=4K "
    "restrictions=hostonly|volatile targets=1,2\n";
constexpr uint64_t kCfmwsAt = 0x64;

std::vector<Finding> Validate(const std::string& description) {
  const Cedt t = FromDescription(description);
  // Through bytes, as the CLI does, so offsets and checksum are real.
  absl::StatusOr<Cedt> d = DecodeCedt(Encode(t));
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? ValidateCedt(*d) : std::vector<Finding>{};
}

std::string Dump(const std::vector<Finding>& fs) {
  std::vector<std::string> lines;
  for (const Finding& f : fs) {
    lines.push_back(absl::StrCat(SeverityName(f.severity), " ", f.code, " ",
                                 f.subtable, " 0x", absl::Hex(f.offset), " ",
                                 f.message));
  }
  return absl::StrJoin(lines, "\n");
}

// Expects exactly one finding with `code`, at `subtable` and `offset`, with
// `severity`; returns it.
Finding ExpectOne(const std::vector<Finding>& fs, const std::string& code,
                  Severity severity, int subtable, uint64_t offset) {
  std::vector<Finding> match;
  for (const Finding& f : fs) {
    if (f.code == code) match.push_back(f);
  }
  EXPECT_EQ(match.size(), 1u) << code << "\n" << Dump(fs);
  if (match.empty()) return Finding{};
  EXPECT_EQ(match[0].severity, severity) << code;
  EXPECT_EQ(match[0].subtable, subtable) << code;
  EXPECT_EQ(match[0].offset, offset) << code;
  return match[0];
}

TEST(ValidateTest, CleanTableHasNoFindings) {
  EXPECT_EQ(Dump(Validate(absl::StrCat(kBridges, kWindow))), "");
}

TEST(ValidateTest, QemuSampleIsClean) {
  ASSERT_OK_AND_ASSIGN(Cedt t,
                       DecodeCedt(ReadTestdata("qemu72-cxl1.CEDT.bin")));
  EXPECT_EQ(Dump(ValidateCedt(t)), "");
}

TEST(ValidateTest, TableChecksum) {
  std::vector<uint8_t> b =
      Encode(FromDescription(absl::StrCat(kBridges, kWindow)));
  const uint8_t good = b[9];
  b[9] = static_cast<uint8_t>(good + 1);
  ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(b));
  Finding f =
      ExpectOne(ValidateCedt(t), "table-checksum", Severity::kError, -1, 9);
  EXPECT_THAT(f.message, HasSubstr(absl::StrFormat("expected 0x%02X", good)));
}

TEST(ValidateTest, TableRevision) {
  ExpectOne(Validate(absl::StrCat("cedt revision=7\n", kBridges, kWindow)),
            "table-revision", Severity::kWarning, -1, 8);
}

TEST(ValidateTest, TableTrailingBytes) {
  std::vector<uint8_t> b =
      Encode(FromDescription(absl::StrCat(kBridges, kWindow)));
  const uint64_t len = b.size();
  b.push_back(0);
  ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(b));
  ExpectOne(ValidateCedt(t), "table-trailing-bytes", Severity::kWarning, -1,
            len);
}

TEST(ValidateTest, UnknownSubtableType) {
  ExpectOne(Validate(absl::StrCat(kBridges, kWindow, "raw type=9 body=00\n")),
            "subtable-unknown-type", Severity::kWarning, 3, 0x90);
}

TEST(ValidateTest, RecordTrailingBytes) {
  ExpectOne(
      Validate(absl::StrCat("chbs uid=1 version=1 base=0x1000 length=0x10000 "
                            "trailing=0000\n")),
      "record-trailing-bytes", Severity::kWarning, 0, 0x24 + 32);
}

TEST(ValidateTest, ChbsDuplicateUid) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "chbs uid=2 version=1 base=0x3000 "
                                  "length=0x10000\n")),
            "chbs-duplicate-uid", Severity::kError, 2, 0x64 + 4);
}

TEST(ValidateTest, ChbsVersion) {
  ExpectOne(Validate("chbs uid=1 version=5 base=0x1000 length=0x10000\n"),
            "chbs-version", Severity::kWarning, 0, 0x24 + 8);
}

TEST(ValidateTest, ChbsRegisterLength) {
  ExpectOne(Validate("chbs uid=1 version=0 base=0x1000 length=0x10000\n"),
            "chbs-register-length", Severity::kError, 0, 0x24 + 24);
}

TEST(ValidateTest, ChbsMixedVersions) {
  ExpectOne(Validate("chbs uid=1 version=1 base=0x1000 length=0x10000\n"
                     "chbs uid=2 version=0 base=0x2000 length=0x2000\n"),
            "chbs-mixed-versions", Severity::kWarning, 1, 0x44 + 8);
}

TEST(ValidateTest, ChbsBaseZero) {
  ExpectOne(Validate("chbs uid=1 version=1 base=0 length=0x10000\n"),
            "chbs-base-zero", Severity::kError, 0, 0x24 + 16);
}

TEST(ValidateTest, CfmwsArithmetic) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G ways=2 "
                                  "granularity=4K arithmetic=2 "
                                  "restrictions=0x6 targets=1,2\n")),
            "cfmws-arithmetic", Severity::kError, 2, kCfmwsAt + 25);
}

TEST(ValidateTest, CfmwsBaseAlign) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100100000 size=2G ways=2 "
                                  "granularity=4K restrictions=0x6 "
                                  "targets=1,2\n")),
            "cfmws-base-align", Severity::kError, 2, kCfmwsAt + 8);
}

TEST(ValidateTest, CfmwsSizeAlign) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=0x81000000 "
                                  "ways=2 granularity=4K restrictions=0x6 "
                                  "targets=1,2\n")),
            "cfmws-size-align", Severity::kError, 2, kCfmwsAt + 16);
}

TEST(ValidateTest, CfmwsSizeZero) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=0 ways=2 "
                                  "granularity=4K restrictions=0x6 "
                                  "targets=1,2\n")),
            "cfmws-size-zero", Severity::kError, 2, kCfmwsAt + 16);
}

TEST(ValidateTest, CfmwsWraps) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0xfffffff000000000 size=128G "
                                  "ways=2 granularity=4K restrictions=0x6 "
                                  "targets=1,2\n")),
            "cfmws-wraps", Severity::kError, 2, kCfmwsAt + 16);
}

TEST(ValidateTest, CfmwsEniw) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G eniw=5 "
                                  "granularity=4K restrictions=0x6 "
                                  "targets=1,2\n")),
            "cfmws-eniw", Severity::kError, 2, kCfmwsAt + 24);
}

TEST(ValidateTest, CfmwsHbig) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G ways=2 "
                                  "hbig=7 restrictions=0x6 targets=1,2\n")),
            "cfmws-hbig", Severity::kError, 2, kCfmwsAt + 28);
}

TEST(ValidateTest, CfmwsSizeNotMultipleOfWaysTimes256M) {
  // 768 MiB is 256 MiB aligned (Linux accepts it) but not a multiple of
  // 2 x 256 MiB.
  Finding f = ExpectOne(
      Validate(absl::StrCat(kBridges,
                            "cfmws base=0x100000000 size=768M ways=2 "
                            "granularity=4K restrictions=0x6 targets=1,2\n")),
      "cfmws-size-ways", Severity::kWarning, 2, kCfmwsAt + 16);
  EXPECT_THAT(f.message, HasSubstr("Linux does not check"));
}

TEST(ValidateTest, CfmwsMod3Base) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "chbs uid=3 version=1 base=0x3000 "
                                  "length=0x10000\n",
                                  "cfmws base=0x100000000 size=768M ways=3 "
                                  "granularity=4K restrictions=0x6 "
                                  "targets=1,2,3\n")),
            "cfmws-mod3-base", Severity::kInfo, 3, 0x84 + 8);
}

TEST(ValidateTest, CfmwsUnknownTarget) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G ways=2 "
                                  "granularity=4K restrictions=0x6 "
                                  "targets=1,9\n")),
            "cfmws-unknown-target", Severity::kError, 2, kCfmwsAt + 40);
}

TEST(ValidateTest, CfmwsDuplicateTarget) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G ways=2 "
                                  "granularity=4K restrictions=0x6 "
                                  "targets=2,2\n")),
            "cfmws-duplicate-target", Severity::kWarning, 2, kCfmwsAt + 40);
}

TEST(ValidateTest, CfmwsRestrictionsReserved) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G ways=2 "
                                  "granularity=4K restrictions=0x106 "
                                  "targets=1,2\n")),
            "cfmws-restrictions-reserved", Severity::kWarning, 2,
            kCfmwsAt + 32);
}

TEST(ValidateTest, CfmwsRestrictionsNoDeviceType) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G ways=2 "
                                  "granularity=4K restrictions=volatile "
                                  "targets=1,2\n")),
            "cfmws-restrictions-no-device-type", Severity::kWarning, 2,
            kCfmwsAt + 32);
}

TEST(ValidateTest, CfmwsRestrictionsNoMemoryType) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G ways=2 "
                                  "granularity=4K restrictions=hostonly|fixed "
                                  "targets=1,2\n")),
            "cfmws-restrictions-no-memory-type", Severity::kWarning, 2,
            kCfmwsAt + 32);
}

constexpr char kXor2Way[] =
    "cfmws base=0x100000000 size=2G ways=2 granularity=4K arithmetic=xor "
    "restrictions=0x6 targets=1,2\n";

TEST(ValidateTest, CfmwsXorWithoutCxims) {
  Finding f =
      ExpectOne(Validate(absl::StrCat(kBridges, kXor2Way)),
                "cfmws-xor-no-cxims", Severity::kError, 2, kCfmwsAt + 25);
  EXPECT_THAT(f.message, HasSubstr("No CXIMS for HBIG"));
}

TEST(ValidateTest, CfmwsXorCximsForAnotherGranularityDoesNotMatch) {
  ExpectOne(Validate(absl::StrCat(kBridges, kXor2Way,
                                  "cxims granularity=256 xormaps=0x100\n")),
            "cfmws-xor-no-cxims", Severity::kError, 2, kCfmwsAt + 25);
}

TEST(ValidateTest, CfmwsXorTooFewMaps) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "chbs uid=3 version=1 base=0x3000 "
                                  "length=0x10000\n"
                                  "chbs uid=4 version=1 base=0x4000 "
                                  "length=0x10000\n"
                                  "cfmws base=0x100000000 size=4G ways=4 "
                                  "granularity=4K arithmetic=xor "
                                  "restrictions=0x6 targets=1,2,3,4\n"
                                  "cxims granularity=4K xormaps=0x1001000\n")),
            "cfmws-xor-cxims", Severity::kError, 4, 0xa4 + 25);
}

TEST(ValidateTest, CfmwsXorOnOneWayWindowUsesNoMaps) {
  ExpectOne(Validate(absl::StrCat(kBridges,
                                  "cfmws base=0x100000000 size=2G ways=1 "
                                  "granularity=4K arithmetic=xor "
                                  "restrictions=0x6 targets=1\n")),
            "cfmws-xor-unused", Severity::kInfo, 2, kCfmwsAt + 25);
}

TEST(ValidateTest, CfmwsXorZeroMap) {
  // CXIMS at 0x64 + 44 = 0x90; its first map at +8.
  ExpectOne(Validate(absl::StrCat(kBridges, kXor2Way,
                                  "cxims granularity=4K xormaps=0\n")),
            "cfmws-xor-zero-map", Severity::kWarning, 2, 0x90 + 8);
}

TEST(ValidateTest, CfmwsXorMapLowestBitIsNotThePositionBit) {
  // 4 KiB granularity: the position bit is 12; this map's lowest is 13.
  Finding f = ExpectOne(Validate(absl::StrCat(kBridges, kXor2Way,
                                              "cxims granularity=4K "
                                              "xormaps=0x1002000\n")),
                        "cfmws-xor-map", Severity::kError, 2, 0x90 + 8);
  EXPECT_THAT(f.message, HasSubstr("lowest set bit 13"));
}

TEST(ValidateTest, CfmwsXorMapsThatAreNotTheirOwnInverse) {
  std::string bridges;
  for (int u = 1; u <= 4; ++u) {
    bridges += absl::StrFormat(
        "chbs uid=%d version=1 base=0x%x000 length=0x10000\n", u, u);
  }
  // Map 0 (position bit 12) also contains bit 13, which map 1 sets.
  const std::vector<Finding> fs = Validate(absl::StrCat(
      bridges,
      "cfmws base=0x100000000 size=4G ways=4 granularity=4K arithmetic=xor "
      "restrictions=0x6 targets=1,2,3,4\n"
      "cxims granularity=4K xormaps=0x100003000,0x200002000\n"));
  // CFMWS at 0xa4 (52 bytes), CXIMS at 0xd8; map 0 at +8.
  Finding f = ExpectOne(fs, "cfmws-xor-map", Severity::kError, 4, 0xd8 + 8);
  EXPECT_THAT(f.message, HasSubstr("not its own inverse"));
}

TEST(ValidateTest, CfmwsPartialOverlap) {
  Finding f = ExpectOne(
      Validate(absl::StrCat(kBridges, kWindow,
                            "cfmws base=0x140000000 size=2G ways=2 "
                            "granularity=4K restrictions=0x6 targets=1,2\n")),
      "cfmws-overlap", Severity::kError, 3, 0x90 + 8);
  EXPECT_THAT(f.message, HasSubstr("partially overlaps"));
}

TEST(ValidateTest, CfmwsNestedAndIdenticalOverlaps) {
  Finding nested = ExpectOne(
      Validate(absl::StrCat(kBridges, kWindow,
                            "cfmws base=0x100000000 size=512M ways=2 "
                            "granularity=4K restrictions=0x6 targets=1,2\n")),
      "cfmws-overlap", Severity::kError, 3, 0x90 + 8);
  EXPECT_THAT(nested.message, HasSubstr("lies inside"));
  Finding same = ExpectOne(Validate(absl::StrCat(kBridges, kWindow, kWindow)),
                           "cfmws-overlap", Severity::kError, 3, 0x90 + 8);
  EXPECT_THAT(same.message, HasSubstr("same range"));
}

TEST(ValidateTest, OverlapCheckIsLinearithmicNotQuadratic) {
  // 20000 disjoint windows and one covering them all: one finding each,
  // computed by the sweep (a pairwise check would do 2e8 comparisons).
  std::string d = kBridges;
  for (int i = 0; i < 20000; ++i) {
    d += absl::StrFormat(
        "cfmws base=0x%x size=512M ways=2 granularity=4K restrictions=0x6 "
        "targets=1,2\n",
        (uint64_t{1} << 40) + static_cast<uint64_t>(i) * (512u << 20));
  }
  d += absl::StrFormat(
      "cfmws base=0x%x size=0x%x ways=2 granularity=4K restrictions=0x6 "
      "targets=1,2\n",
      uint64_t{1} << 40, uint64_t{20000} * (512u << 20));
  const std::vector<Finding> fs = Validate(d);
  size_t overlaps = 0;
  for (const Finding& f : fs) overlaps += f.code == "cfmws-overlap";
  EXPECT_EQ(overlaps, 20000u);
}

TEST(ValidateTest, CximsHbig) {
  ExpectOne(Validate("cxims hbig=9 xormaps=0x100\n"), "cxims-hbig",
            Severity::kError, 0, 0x24 + 6);
}

TEST(ValidateTest, CximsInvalidHbigFailsEveryXorWindow) {
  const std::vector<Finding> fs = Validate(
      absl::StrCat(kBridges, kXor2Way, "cxims granularity=4K xormaps=0x1000\n",
                   "cxims hbig=9 xormaps=0x100\n"));
  Finding f =
      ExpectOne(fs, "cfmws-xor-cxims", Severity::kError, 2, kCfmwsAt + 25);
  EXPECT_THAT(f.message, HasSubstr("invalid Interleave Granularity 9"));
}

TEST(ValidateTest, CximsDuplicateHbig) {
  ExpectOne(Validate("cxims granularity=4K xormaps=0x1000\n"
                     "cxims granularity=4K xormaps=0x1000\n"),
            "cxims-duplicate-hbig", Severity::kWarning, 1, 0x34 + 6);
}

TEST(ValidateTest, CximsNoMaps) {
  ExpectOne(Validate("cxims granularity=4K\n"), "cxims-no-maps",
            Severity::kWarning, 0, 0x24 + 7);
}

TEST(ValidateTest, CximsUnused) {
  ExpectOne(Validate(absl::StrCat(kBridges, kWindow,
                                  "cxims granularity=4K xormaps=0x1000\n")),
            "cxims-unused", Severity::kInfo, 3, 0x90);
}

TEST(ValidateTest, RdpasLegacyLayout) {
  ExpectOne(Validate("rdpas segment=0 bdf=0x100 address=0x1000 protocol=1 "
                     "layout=legacy\n"),
            "rdpas-legacy-layout", Severity::kWarning, 0, 0x24 + 2);
}

TEST(ValidateTest, RdpasProtocol) {
  ExpectOne(Validate("rdpas segment=0 bdf=0x100 address=0x1000 protocol=3\n"),
            "rdpas-protocol", Severity::kWarning, 0, 0x24 + 16);
}

TEST(ValidateTest, AcpicaTemplateOverlapsAreReported) {
  ASSERT_OK_AND_ASSIGN(Cedt t,
                       DecodeCedt(ReadTestdata("acpica-template.CEDT.bin")));
  const std::vector<Finding> fs = ValidateCedt(t);
  EXPECT_EQ(CountErrors(fs), 4) << Dump(fs);
  for (const Finding& f : fs) EXPECT_EQ(f.code, "cfmws-overlap");
}

TEST(ValidateTest, FormatFindingNamesEverything) {
  ASSERT_OK_AND_ASSIGN(Cedt t,
                       DecodeCedt(ReadTestdata("acpica-template.CEDT.bin")));
  const std::vector<Finding> fs = ValidateCedt(t);
  ASSERT_FALSE(fs.empty());
  EXPECT_THAT(FormatFinding(t, fs[0]),
              ::testing::StartsWith(
                  "error: subtable 5 (CFMWS) offset 0xd4: [cfmws-overlap] "));
}

}  // namespace
}  // namespace cedt
}  // namespace restree
