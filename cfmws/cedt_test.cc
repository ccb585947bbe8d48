#include "cfmws/cedt.h"

#include <cstdint>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "cfmws/internal/byte_reader.h"
#include "cfmws/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace restree {
namespace cedt {
namespace {

using ::restree::test_support::IsOk;
using ::restree::test_support::StatusIs;
using test_support::Encode;
using test_support::FromDescription;
using test_support::ReadTestdata;
using ::testing::HasSubstr;

std::vector<uint8_t> Qemu() { return ReadTestdata("qemu72-cxl1.CEDT.bin"); }
std::vector<uint8_t> Template() {
  return ReadTestdata("acpica-template.CEDT.bin");
}

void PutU16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void PutU32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

TEST(ByteReaderTest, ReadsLittleEndianAndFailsWithoutMoving) {
  const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05};
  internal::ByteReader r(data, 100);
  uint16_t a = 0;
  ASSERT_TRUE(r.ReadU16(&a));
  EXPECT_EQ(a, 0x0201);
  EXPECT_EQ(r.offset(), 102u);
  uint32_t b = 0;
  EXPECT_FALSE(r.ReadU32(&b));  // only 3 bytes left
  EXPECT_EQ(r.pos(), 2u);
  internal::ByteReader sub;
  EXPECT_FALSE(r.Sub(4, &sub));
  ASSERT_TRUE(r.Sub(3, &sub));
  EXPECT_EQ(sub.base_offset(), 102u);
  EXPECT_EQ(r.remaining(), 0u);
  uint8_t c = 0;
  ASSERT_TRUE(sub.ReadU8(&c));
  EXPECT_EQ(c, 0x03);
  EXPECT_FALSE(sub.Skip(3));
  EXPECT_TRUE(sub.Skip(2));
  EXPECT_FALSE(sub.ReadU8(&c));
}

TEST(CedtTest, EncodingHelpers) {
  const uint32_t ways[] = {1, 2, 4, 8, 16, 0, 0, 0, 3, 6, 12};
  for (uint32_t e = 0; e < 16; ++e) {
    std::optional<uint32_t> w = EniwToWays(e);
    if (e < 11 && ways[e] != 0) {
      ASSERT_TRUE(w.has_value()) << e;
      EXPECT_EQ(*w, ways[e]);
      EXPECT_EQ(WaysToEniw(*w), e);
    } else {
      EXPECT_FALSE(w.has_value()) << e;
    }
  }
  EXPECT_FALSE(WaysToEniw(5).has_value());
  EXPECT_EQ(HbigToGranularity(0), 256u);
  EXPECT_EQ(HbigToGranularity(6), 16384u);
  EXPECT_FALSE(HbigToGranularity(7).has_value());
  EXPECT_EQ(GranularityToHbig(4096), 4u);
  EXPECT_FALSE(GranularityToHbig(3000).has_value());
  EXPECT_EQ(XorMapsNeeded(1), 0);
  EXPECT_EQ(XorMapsNeeded(3), 0);
  EXPECT_EQ(XorMapsNeeded(2), 1);
  EXPECT_EQ(XorMapsNeeded(6), 1);
  EXPECT_EQ(XorMapsNeeded(12), 2);
  EXPECT_EQ(XorMapsNeeded(16), 4);
}

TEST(CedtTest, DecodesQemuTable) {
  ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(Qemu()));
  EXPECT_EQ(t.header.length, 0x6cu);
  EXPECT_EQ(t.header.checksum, 0x7f);
  ASSERT_EQ(t.subtables.size(), 2u);
  const Chbs& h = std::get<Chbs>(t.subtables[0]);
  EXPECT_EQ(h.uid, 12u);
  EXPECT_EQ(h.base, 0x380000000u);
  const Cfmws& w = std::get<Cfmws>(t.subtables[1]);
  EXPECT_EQ(w.base_hpa, 0x390000000u);
  EXPECT_EQ(w.window_size, 0x100000000u);
  EXPECT_EQ(w.restrictions, 0xf);
  EXPECT_EQ(w.targets, std::vector<uint32_t>{12});
  EXPECT_EQ(SubtableOffsets(t), (std::vector<uint64_t>{0x24, 0x44}));
}

TEST(CedtTest, EncodeReproducesSamplesByteForByte) {
  for (const std::vector<uint8_t>& bytes : {Qemu(), Template()}) {
    ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(bytes));
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> kept, EncodeCedt(t, kKeepStored));
    EXPECT_EQ(kept, bytes);
    // Both samples carry a correct checksum, so recomputing changes nothing.
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> fresh, EncodeCedt(t));
    EXPECT_EQ(fresh, bytes);
  }
}

TEST(CedtTest, EncodeComputesLengthAndChecksum) {
  Cedt t = FromDescription(
      "chbs uid=1 version=1 base=0x1000 length=0x10000\n"
      "cfmws base=0x100000000 size=1G ways=1 granularity=256 targets=1\n");
  const std::vector<uint8_t> b = Encode(t);
  ASSERT_EQ(b.size(), 36u + 32u + 40u);
  EXPECT_EQ(b[4], b.size());
  uint8_t sum = 0;
  for (uint8_t x : b) sum = static_cast<uint8_t>(sum + x);
  EXPECT_EQ(sum, 0);
}

// Every proper prefix of a valid table fails to decode (its Length points
// past the bytes), and with the Length patched to the prefix size the
// decoder either succeeds exactly at a record boundary or names the
// subtable that the cut went through. Never a crash or an overread (the
// ASan run of this test checks the latter).
TEST(CedtTest, TruncatedAtEveryOffset) {
  for (const std::vector<uint8_t>& full : {Qemu(), Template()}) {
    ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(full));
    std::set<uint64_t> boundaries = {kHeaderSize};
    for (size_t i = 0; i < t.subtables.size(); ++i) {
      boundaries.insert(SubtableOffsets(t)[i] + RecordLength(t.subtables[i]));
    }
    for (size_t n = 0; n < full.size(); ++n) {
      std::vector<uint8_t> cut(full.begin(), full.begin() + n);
      absl::StatusOr<Cedt> d = DecodeCedt(cut);
      EXPECT_THAT(d, StatusIs(absl::StatusCode::kOutOfRange)) << n;
      if (n < kHeaderSize) continue;
      PutU32(cut, 4, static_cast<uint32_t>(n));
      d = DecodeCedt(cut);
      if (boundaries.count(n)) {
        EXPECT_THAT(d, IsOk()) << n;
      } else {
        EXPECT_THAT(d, StatusIs(absl::StatusCode::kOutOfRange)) << n;
        EXPECT_THAT(d.status().message(), HasSubstr("subtable")) << n;
      }
    }
  }
}

TEST(CedtTest, RejectsShortBufferAndBadHeader) {
  EXPECT_THAT(DecodeCedt(std::vector<uint8_t>(35, 0)),
              StatusIs(absl::StatusCode::kOutOfRange));
  std::vector<uint8_t> b = Qemu();
  b[0] = 'X';
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(d.status().message(), HasSubstr("XEDT"));
  b = Qemu();
  PutU32(b, 4, 20);
  EXPECT_THAT(DecodeCedt(b), StatusIs(absl::StatusCode::kOutOfRange));
  PutU32(b, 4, 0xffffffff);
  d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(d.status().message(), HasSubstr("past the 108 bytes"));
}

TEST(CedtTest, ZeroLengthRecordIsAnErrorNotAHang) {
  std::vector<uint8_t> b = Qemu();
  PutU16(b, 0x44 + 2, 0);  // the CFMWS
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(d.status().message(),
              HasSubstr("subtable 1 (CFMWS at offset 0x44)"));
  EXPECT_THAT(d.status().message(), HasSubstr("record length is 0"));
}

TEST(CedtTest, RecordLengthBelowHeader) {
  std::vector<uint8_t> b = Qemu();
  PutU16(b, 0x24 + 2, 3);
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(d.status().message(),
              HasSubstr("subtable 0 (CHBS at offset 0x24)"));
}

TEST(CedtTest, LyingRecordLengthPastTableEnd) {
  std::vector<uint8_t> b = Qemu();
  PutU16(b, 0x44 + 2, 0xffff);
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(d.status().message(), HasSubstr("past the table end (0x6c)"));
}

TEST(CedtTest, RecordTooShortForItsType) {
  std::vector<uint8_t> b = Qemu();
  // CHBS claims 16 bytes; the next "record" then starts inside it.
  PutU16(b, 0x24 + 2, 16);
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(d.status().message(), HasSubstr("too short for a CHBS"));
}

TEST(CedtTest, TargetCountThatDoesNotFit) {
  std::vector<uint8_t> b = Qemu();
  b[0x44 + 24] = 4;  // 16 ways in a 40-byte record
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(d.status().message(),
              HasSubstr("subtable 1 (CFMWS at offset 0x44)"));
  EXPECT_THAT(d.status().message(), HasSubstr("16 interleave targets"));
}

TEST(CedtTest, HugeXormapCountThatDoesNotFit) {
  Cedt t = FromDescription("cxims granularity=256 xormaps=0x100\n");
  std::vector<uint8_t> b = Encode(t);
  b[36 + 7] = 255;  // Xormap List Count
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(d.status().message(), HasSubstr("255 XOR maps"));
}

TEST(CedtTest, SubtableHeaderCutByTableEnd) {
  std::vector<uint8_t> b = Qemu();
  b.push_back(1);
  b.push_back(0);
  PutU32(b, 4, static_cast<uint32_t>(b.size()));
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  EXPECT_THAT(d, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(d.status().message(), HasSubstr("subtable 2 at offset 0x6c"));
}

TEST(CedtTest, InvalidEniwKeepsWholeEntriesAsTargets) {
  std::vector<uint8_t> b = Qemu();
  b[0x44 + 24] = 5;  // invalid encoding
  ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(b));
  const Cfmws& w = std::get<Cfmws>(t.subtables[1]);
  EXPECT_FALSE(w.ways().has_value());
  EXPECT_EQ(w.targets, std::vector<uint32_t>{12});
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> again, EncodeCedt(t, kKeepStored));
  EXPECT_EQ(again, b);
}

TEST(CedtTest, UnknownTypesAreKeptRaw) {
  Cedt t = FromDescription("raw type=9 body=0102\ncsds capabilities=0x5\n");
  ASSERT_OK_AND_ASSIGN(Cedt d, DecodeCedt(Encode(t)));
  ASSERT_EQ(d.subtables.size(), 2u);
  const UnknownSubtable& u = std::get<UnknownSubtable>(d.subtables[0]);
  EXPECT_EQ(u.type, 9);
  EXPECT_EQ(u.body, (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(std::get<Csds>(d.subtables[1]).capabilities, 5);
}

TEST(CedtTest, RdpasBothLayouts) {
  Cedt t = FromDescription(
      "rdpas segment=1 bdf=0x1808 address=0xfed00000 protocol=1\n"
      "rdpas segment=2 bdf=0x10 address=0x123456789 protocol=0 "
      "layout=legacy\n");
  const std::vector<uint8_t> b = Encode(t);
  ASSERT_EQ(b.size(), 36u + 20u + 17u);
  // CXL 3.2 layout: address at +8, protocol at +16.
  EXPECT_EQ(b[36 + 8], 0x00);
  EXPECT_EQ(b[36 + 10], 0xd0);
  EXPECT_EQ(b[36 + 16], 1);
  // Legacy: protocol at +8, address at +9.
  EXPECT_EQ(b[56 + 8], 0);
  EXPECT_EQ(b[56 + 9], 0x89);
  ASSERT_OK_AND_ASSIGN(Cedt d, DecodeCedt(b));
  EXPECT_EQ(d.subtables, t.subtables);
}

TEST(CedtTest, TrailingInputBytesAreCountedNotDecoded) {
  std::vector<uint8_t> b = Qemu();
  b.insert(b.end(), {0xde, 0xad});
  ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(b));
  EXPECT_EQ(t.ignored_trailing_bytes, 2u);
  EXPECT_EQ(t.subtables.size(), 2u);
}

TEST(CedtTest, RecordBytesPastTheLayoutAreKept) {
  Cedt t = FromDescription(
      "chbs uid=1 version=1 base=0x1000 length=0x10000 trailing=aabb\n");
  const std::vector<uint8_t> b = Encode(t);
  ASSERT_EQ(b.size(), 36u + 34u);
  ASSERT_OK_AND_ASSIGN(Cedt d, DecodeCedt(b));
  EXPECT_EQ(std::get<Chbs>(d.subtables[0]).trailing,
            (std::vector<uint8_t>{0xaa, 0xbb}));
}

TEST(CedtTest, EncoderRefusesWhatTheDecoderWouldReadDifferently) {
  Cfmws c;
  c.eniw = 1;  // 2 ways
  c.targets = {1};
  Cedt t;
  t.subtables.push_back(c);
  EXPECT_THAT(EncodeCedt(t), StatusIs(absl::StatusCode::kInvalidArgument));

  Cxims x;
  x.xormaps.resize(256);
  t.subtables = {x};
  EXPECT_THAT(EncodeCedt(t), StatusIs(absl::StatusCode::kInvalidArgument));

  Rdpas r;
  r.layout = RdpasLayout::kAcpicaLegacy;
  r.trailing = {1, 2, 3};
  t.subtables = {r};
  EXPECT_THAT(EncodeCedt(t), StatusIs(absl::StatusCode::kInvalidArgument));

  UnknownSubtable u;
  u.type = kTypeCfmws;
  t.subtables = {u};
  EXPECT_THAT(EncodeCedt(t), StatusIs(absl::StatusCode::kInvalidArgument));

  u.type = 200;
  u.body.resize(0x10000);
  t.subtables = {u};
  absl::StatusOr<std::vector<uint8_t>> e = EncodeCedt(t);
  EXPECT_THAT(e, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(e.status().message(), HasSubstr("exceeds 0xffff"));

  t.subtables.clear();
  t.header.signature = {'A', 'P', 'I', 'C'};
  EXPECT_THAT(EncodeCedt(t), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Text (iasl's disassembly, acpidump's hex dump) is not the table: the error
// says what to give instead.
TEST(CedtTest, TextAsksForTheBinaryTable) {
  for (absl::string_view text :
       {"[000h 0000   4]                    Signature : \"CEDT\"\n",
        "CEDT @ 0x0000000000000000\n    0000: 43 45 44 54 7C 01 00 00\n"}) {
    absl::StatusOr<Cedt> t = DecodeCedt(text);
    EXPECT_THAT(t, StatusIs(absl::StatusCode::kInvalidArgument)) << text;
    EXPECT_THAT(t.status().message(),
                HasSubstr("this is text, not the binary CEDT"))
        << text;
  }
  // A binary table with a wrong signature is not text.
  std::string apic(36, '\0');
  apic.replace(0, 4, "APIC");
  EXPECT_THAT(DecodeCedt(apic).status().message(),
              HasSubstr("signature \"APIC\" is not \"CEDT\""));
}

TEST(CedtTest, TypeNames) {
  EXPECT_EQ(TypeName(kTypeCfmws), "CFMWS");
  EXPECT_EQ(TypeName(kTypeCsds), "CSDS");
  EXPECT_EQ(TypeName(17), "type 17");
}

}  // namespace
}  // namespace cedt
}  // namespace restree
