// Tests of the description format (description.h) and the human and JSON
// views (render.h).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cfmws/cedt.h"
#include "cfmws/description.h"
#include "cfmws/interleave.h"
#include "cfmws/plan.h"
#include "cfmws/render.h"
#include "cfmws/test_util.h"
#include "cfmws/validate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/resource_tree.h"
#include "tests/status_matchers.h"

namespace restree {
namespace cedt {
namespace {

using ::restree::test_support::StatusIs;
using test_support::ReadTestdata;
using ::testing::HasSubstr;

// A strict JSON syntax check (RFC 8259 grammar, no duplicate-key check),
// iterative over a depth counter so it cannot recurse on its input.
bool IsJson(const std::string& s) {
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() &&
           (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) {
      ++i;
    }
  };
  auto str = [&] {
    if (s[i] != '"') return false;
    for (++i; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        ++i;
        return true;
      } else if (static_cast<unsigned char>(s[i]) < 0x20) {
        return false;
      }
    }
    return false;
  };
  std::vector<char> stack;  // '{' or '['
  bool want_value = true;
  ws();
  while (i < s.size()) {
    if (want_value) {
      if (s[i] == '{' || s[i] == '[') {
        stack.push_back(s[i++]);
        ws();
        if (i < s.size() && (s[i] == '}' || s[i] == ']')) {
          if ((s[i] == '}') != (stack.back() == '{')) return false;
          stack.pop_back();
          ++i;
          want_value = false;
        } else if (stack.back() == '{') {
          if (!str()) return false;
          ws();
          if (i >= s.size() || s[i++] != ':') return false;
        }
        ws();
        continue;
      }
      if (s[i] == '"') {
        if (!str()) return false;
      } else if (s.compare(i, 4, "true") == 0 || s.compare(i, 4, "null") == 0) {
        i += 4;
      } else if (s.compare(i, 5, "false") == 0) {
        i += 5;
      } else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      } else {
        return false;
      }
      want_value = false;
      ws();
      continue;
    }
    if (stack.empty()) return false;  // trailing garbage
    if (s[i] == ',') {
      ++i;
      ws();
      if (stack.back() == '{') {
        if (!str()) return false;
        ws();
        if (i >= s.size() || s[i++] != ':') return false;
        ws();
      }
      want_value = true;
      continue;
    }
    if ((s[i] == '}' && stack.back() == '{') ||
        (s[i] == ']' && stack.back() == '[')) {
      stack.pop_back();
      ++i;
      ws();
      continue;
    }
    return false;
  }
  return stack.empty() && !want_value;
}

TEST(JsonCheckerTest, AcceptsAndRejects) {
  EXPECT_TRUE(IsJson("{\"a\": [1, \"x\", null, {}], \"b\": {\"c\": true}}\n"));
  EXPECT_FALSE(IsJson("{\"a\": [1,]}"));
  EXPECT_FALSE(IsJson("{\"a\" 1}"));
  EXPECT_FALSE(IsJson("[1] 2"));
}

TEST(DescriptionTest, ParsesNamedValuesAndSizes) {
  ASSERT_OK_AND_ASSIGN(
      Cedt t,
      ParseDescription("# a comment\n"
                       "cedt revision=2 oem-id=ACME oem-table-id=\"CXL\\x00\"\n"
                       "cfmws base=64G size=4G ways=12 granularity=16K "
                       "arithmetic=xor restrictions=hostonly|volatile|0x100 "
                       "qtg=3 targets=1,2,3,4,5,6,7,8,9,10,11,12  # trailing\n"
                       "rdpas segment=1 bdf=0x100 address=0x1000 "
                       "protocol=cachemem\n"));
  EXPECT_EQ(t.header.revision, 2);
  EXPECT_EQ(std::string(t.header.oem_id.begin(), t.header.oem_id.end()),
            "ACME  ");
  EXPECT_EQ(t.header.oem_table_id[3], '\0');
  EXPECT_EQ(t.header.oem_table_id[4], ' ');
  const Cfmws& c = std::get<Cfmws>(t.subtables[0]);
  EXPECT_EQ(c.base_hpa, uint64_t{64} << 30);
  EXPECT_EQ(c.eniw, 10);
  EXPECT_EQ(c.hbig, 6u);
  EXPECT_EQ(c.arithmetic, kArithmeticXor);
  EXPECT_EQ(c.restrictions, 0x106);
  EXPECT_EQ(c.qtg_id, 3);
  EXPECT_EQ(std::get<Rdpas>(t.subtables[1]).protocol, 1);
}

TEST(DescriptionTest, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"chbs uid=1\nbogus x=1\n", "line 2: unknown record 'bogus'"},
      {"chbs uid=1 colour=red\n", "line 1: chbs: unknown key 'colour'"},
      {"chbs uid=0x100000000\n", "line 1: uid: '0x100000000' does not fit"},
      {"chbs uid=1 uid=2\n", "line 1: key 'uid' given twice"},
      {"cfmws ways=5\n", "line 1: ways: 5 is not"},
      {"cfmws ways=2 targets=1\n", "line 1: cfmws: 2 ways need 2 targets"},
      {"cfmws ways=2 eniw=1 targets=1,2\n", "give ways= or eniw="},
      {"cfmws granularity=300\n", "granularity: 300 is not"},
      {"cfmws eniw=7 trailing=00000000\n", "trailing= must be under 4"},
      {"cfmws restrictions=bogus\n", "restrictions:"},
      {"cxims xormaps=1,,2\n", "xormaps:"},
      {"raw type=1\n", "raw: type 1 is a known type"},
      {"raw body=00\n", "raw: type= needed"},
      {"rdpas layout=legacy trailing=000000\n", "legacy record"},
      {"cedt\ncedt\n", "line 2: second cedt line"},
      {"cedt oem-id=\"unterminated\n", "unterminated string"},
      {"cedt oem-id=TOOLONGID\n", "longer than 6"},
      {"csds trailing=0\n", "even number of hex digits"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Cedt> t = ParseDescription(c.text);
    EXPECT_THAT(t, StatusIs(absl::StatusCode::kInvalidArgument)) << c.text;
    EXPECT_THAT(t.status().message(), HasSubstr(c.message)) << c.text;
  }
}

TEST(DescriptionTest, TooManyXormaps) {
  std::string maps = "cxims xormaps=0";
  for (int i = 0; i < 255; ++i) maps += ",1";
  EXPECT_THAT(ParseDescription(maps),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DescriptionTest, SamplesRoundTripThroughTheDescription) {
  for (const char* name :
       {"qemu72-cxl1.CEDT.bin", "acpica-template.CEDT.bin"}) {
    const std::vector<uint8_t> bytes = ReadTestdata(name);
    ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(bytes));
    ASSERT_OK_AND_ASSIGN(Cedt p, ParseDescription(FormatDescription(t)));
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> again, EncodeCedt(p));
    EXPECT_EQ(again, bytes) << name;
  }
}

TEST(RenderTest, HumanViewShowsDecodedMeanings) {
  ASSERT_OK_AND_ASSIGN(Cedt t,
                       DecodeCedt(ReadTestdata("acpica-template.CEDT.bin")));
  const std::string s = RenderHuman(t);
  EXPECT_THAT(s, HasSubstr("[15Ch 0348 001h]          Interleave Members : "
                           "01 [2 ways]\n"));
  EXPECT_THAT(s, HasSubstr("Granularity : 00000003 [2K]\n"));
  EXPECT_THAT(s, HasSubstr("Restrictions : 000A [HOSTONLYMEM|PMEM]\n"));
  EXPECT_THAT(s, HasSubstr("Specification version : 00000000 [CXL 1.1]\n"));
}

TEST(RenderTest, HumanViewOfEveryRecordKind) {
  const Cedt t = test_support::FromDescription(
      "cxims granularity=4K xormaps=0x1000,0x2000 trailing=ab\n"
      "rdpas segment=1 bdf=0x1808 address=0xfed00000 protocol=1\n"
      "rdpas segment=1 bdf=0x1808 address=0xfed00000 protocol=0 "
      "layout=legacy\n"
      "csds capabilities=0x3\n"
      "raw type=9 body=0102\n");
  ASSERT_OK_AND_ASSIGN(Cedt d, DecodeCedt(test_support::Encode(t)));
  const std::string s = RenderHuman(d);
  EXPECT_THAT(s, HasSubstr("Xormap List Count : 02\n"));
  EXPECT_THAT(s, HasSubstr("Next Xormap : 0000000000002000\n"));
  EXPECT_THAT(s, HasSubstr("Trailing bytes : AB\n"));
  EXPECT_THAT(s, HasSubstr("PCI BDF : 1808 [18:01.0]\n"));
  EXPECT_THAT(s, HasSubstr("Protocol : 01 [CXL.cachemem]\n"));
  EXPECT_THAT(s, HasSubstr("[ACPICA legacy layout]"));
  EXPECT_THAT(s, HasSubstr("[CXL System Description Structure]"));
  EXPECT_THAT(s, HasSubstr("Raw data : 01 02\n"));
}

TEST(RenderTest, JsonViewsAreValidJson) {
  ASSERT_OK_AND_ASSIGN(Cedt t,
                       DecodeCedt(ReadTestdata("acpica-template.CEDT.bin")));
  const std::vector<Finding> findings = ValidateCedt(t);
  const std::string table = CedtToJson(t, findings);
  EXPECT_TRUE(IsJson(table)) << table;
  EXPECT_THAT(table, HasSubstr(R"("type_name": "CFMWS")"));
  EXPECT_THAT(table, HasSubstr(R"("base": "0x30000000000")"));
  EXPECT_THAT(table, HasSubstr(R"("code": "cfmws-overlap")"));
  const std::string f = FindingsToJson(findings);
  EXPECT_TRUE(IsJson(f)) << f;
  EXPECT_THAT(f, HasSubstr(R"("errors": 4)"));

  ResourceTree tree = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(PlanResult plan, PlanWindows(t, &tree));
  const std::string pj = PlanToJson(plan, tree);
  EXPECT_TRUE(IsJson(pj)) << pj;
  EXPECT_THAT(pj, HasSubstr(R"("fate": "nested")"));
  EXPECT_THAT(pj, HasSubstr("\"iomem\": \"10000000000-1ffffffffff : CXL "
                            "Window 3\\n"));

  const WindowIndex idx = WindowIndex::Build(t);
  std::vector<HpaMatch> matches;
  for (const WindowIndex::Entry* e : idx.Find(0x30000000800)) {
    matches.push_back({e->subtable_index, e->map.geometry(),
                       *e->map.ToTarget(0x30000000800), -1});
  }
  ASSERT_EQ(matches.size(), 2u);
  const std::string hj = HpaToJson(0x30000000800, matches, idx.skipped());
  EXPECT_TRUE(IsJson(hj)) << hj;
  EXPECT_THAT(hj, HasSubstr(R"("target_uid": 12213761)"));  // 0xBA5E01
  EXPECT_THAT(HpaToText(0x30000000800, matches, idx.skipped()),
              HasSubstr("position 1 -> host bridge UID 0xBA5E01"));
}

TEST(RenderTest, RestrictionNames) {
  EXPECT_EQ(RestrictionNames(0), "none");
  EXPECT_EQ(RestrictionNames(0x8021), "DEVMEM|BI|0x8000");
}

}  // namespace
}  // namespace cedt
}  // namespace restree
