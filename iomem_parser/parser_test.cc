#include "iomem_parser/parser.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "resource_tree/render.h"
#include "resource_tree/tree_builder.h"
#include "tests/iomem_samples.h"
#include "tests/status_matchers.h"
#include "tests/tree_gen.h"

namespace restree {
namespace {

using ::restree::test_support::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string ReadSample(const std::string& name) {
  return test_support::ReadTestFile(test_support::IomemSamplePath(name));
}

std::string Render(const ParsedIomem& p) {
  ProcRenderOptions o;
  o.max_depth = p.max_depth;
  o.zero_addresses = p.zeroed;
  return RenderProcIomem(p.tree, o);
}

// "depth first-last name" per node, uncapped: the structure of a tree.
std::string Shape(const ResourceTree& t, bool addresses = true) {
  std::string out;
  t.ForEachPreorder([&](ResourceId id, int depth) {
    const Range r = t.RangeOf(id);
    if (addresses) {
      absl::StrAppendFormat(&out, "%d %x-%x %s\n", depth, r.first(), r.last(),
                            t.NameOf(id));
    } else {
      absl::StrAppendFormat(&out, "%d %s\n", depth, t.NameOf(id));
    }
  });
  return out;
}

absl::StatusOr<ParsedIomem> Strict(absl::string_view text) {
  IomemParseOptions o;
  o.filename = "x";
  return ParseIomem(text, o);
}

absl::StatusOr<ParsedIomem> Lenient(absl::string_view text) {
  IomemParseOptions o;
  o.filename = "x";
  o.lenient = true;
  return ParseIomem(text, o);
}

class SampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SampleTest, RendersBackByteForByte) {
  const std::string text = ReadSample(GetParam());
  ASSERT_FALSE(text.empty());
  absl::StatusOr<ParsedIomem> p = Strict(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Render(*p), text);
  EXPECT_THAT(p->tree.CheckInvariants(), IsEmpty());
  // One node per line, in file order.
  EXPECT_EQ(p->tree.size() - 1,
            static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  ASSERT_EQ(p->node_lines.size(), p->tree.size() - 1);
  for (size_t i = 0; i < p->node_lines.size(); ++i) {
    EXPECT_EQ(p->node_lines.line(i), static_cast<int>(i) + 1);
    EXPECT_EQ(p->LineOf(p->node_lines.node(i)), static_cast<int>(i) + 1);
  }
  EXPECT_THAT(p->repairs, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    KernelDumps, SampleTest,
    ::testing::ValuesIn(test_support::KernelIomemSampleNames()));

// The one-per-line form answers as the list it stands for, and turns into
// that list when a pair is added.
TEST(IomemNodeLinesTest, OnePerLineIsTheListItStandsFor) {
  IomemNodeLines m = IomemNodeLines::OnePerLine(3);
  ASSERT_EQ(m.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(m.node(k), TreeBuilder::NodeId(k + 1));
    EXPECT_EQ(m.line(k), static_cast<int>(k) + 1);
    EXPECT_EQ(m.LineOf(TreeBuilder::NodeId(k + 1)), static_cast<int>(k) + 1);
  }
  // The root, a node past the end, the same slot at another generation.
  EXPECT_EQ(m.LineOf(TreeBuilder::NodeId(0)), 0);
  EXPECT_EQ(m.LineOf(TreeBuilder::NodeId(4)), 0);
  EXPECT_EQ(m.LineOf(ResourceId::FromValue((uint64_t{3} << 32) | 2)), 0);
  EXPECT_EQ(m.LineOf(ResourceId()), 0);
  m.Add(TreeBuilder::NodeId(7), 9);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m.node(2), TreeBuilder::NodeId(3));
  EXPECT_EQ(m.line(2), 3);
  EXPECT_EQ(m.LineOf(TreeBuilder::NodeId(7)), 9);
  EXPECT_EQ(m.Find(TreeBuilder::NodeId(5)), -1);
}

// The fast path gives the one-per-line form; the general parser, which
// skips lines in lenient mode, lists pairs. Both name lines the same way.
TEST(ParserTest, LenientModeMapsNodesToTheirLines) {
  IomemParseOptions lenient;
  lenient.lenient = true;
  absl::StatusOr<ParsedIomem> p = ParseIomem(
      "\n00001000-00001fff : a\n\n  00001000-000017ff : b\n", lenient);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->node_lines.size(), 2u);
  EXPECT_EQ(p->node_lines.line(0), 2);
  EXPECT_EQ(p->node_lines.line(1), 4);
  EXPECT_EQ(p->LineOf(p->node_lines.node(1)), 4);
}

TEST(ParserTest, CxlDumpShapeAndCap) {
  absl::StatusOr<ParsedIomem> p =
      Strict(ReadSample("qemu72-linux61-cxl1-iomem.txt"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->zeroed);
  EXPECT_EQ(p->width, 8);
  EXPECT_EQ(p->max_depth, 5);
  // "390000000-48fffffff : CXL Window 0" is a top-level node after
  // "fffc0000-ffffffff : Reserved" (width grows past 8 digits).
  const ResourceId w = p->tree.Lookup(0x400000000);
  EXPECT_EQ(p->tree.NameOf(w), "CXL Window 0");
  EXPECT_EQ(p->tree.RangeOf(w), Range(0x390000000, 0x48fffffff));
  EXPECT_EQ(p->tree.ParentOf(w), p->tree.root());
  // The depth-3 chain below "PCI Bus 0000:0c".
  const ResourceId ep = p->tree.Lookup(0xfe800000);
  EXPECT_EQ(p->tree.NameOf(ep), "endpoint2");
  EXPECT_EQ(p->tree.Depth(ep), 3);
  EXPECT_EQ(p->LineOf(ep), 29);
}

TEST(ParserTest, UnprivilegedDumpKeepsNamesAndOrder) {
  const std::string text =
      ReadSample("mailinglist_nonroot-zeroed-addresses_x86-laptop.txt");
  absl::StatusOr<ParsedIomem> p = Strict(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->zeroed);
  EXPECT_EQ(Render(*p), text);
  // Names and indentation survive; the structure equals what the
  // indentation says (the zeroed text itself).
  std::string from_text;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t sp = l.find_first_not_of(' ');
    absl::StrAppend(&from_text, sp / 2, " ", l.substr(l.find(" : ") + 3), "\n");
  }
  EXPECT_EQ(Shape(p->tree, /*addresses=*/false), from_text);
}

TEST(ParserTest, MailExcerptNeedsLenient) {
  const std::string text = ReadSample(
      "lkml-2025-07_zhijian-rfc_cxl-window-softreserved-region-dax-kmem."
      "excerpt.txt");
  EXPECT_THAT(Strict(text), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(Strict(text).status().message()),
              HasSubstr("x:2:1: odd indentation of 3 spaces"));
  absl::StatusOr<ParsedIomem> p = Lenient(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Shape(p->tree),
            "0 c070000000-fcffffffff CXL Window 0\n"
            "1 c070000000-fcffffffff Soft Reserved\n"
            "2 c070000000-fcffffffff region0\n"
            "3 c070000000-fcffffffff dax0.0\n"
            "4 c070000000-fcffffffff System RAM (kmem)\n");
  // Every line below the first was re-indented; each repair names its line.
  std::vector<int> lines;
  for (const IomemRepair& r : p->repairs) lines.push_back(r.line);
  EXPECT_THAT(lines, ElementsAre(2, 3, 4, 5));
  EXPECT_THAT(p->repairs[0].what,
              HasSubstr("indentation of 3 columns read as depth 1"));
}

TEST(ParserTest, NamesAreSplitOnTheFirstSeparator) {
  absl::StatusOr<ParsedIomem> p = Strict(
      "00000000-00000fff : PCI MMCONFIG 0000 [bus 00-ff] : odd - name\n"
      "fff00000-100ffffff : a:b (c)\n"
      "200000000-200000fff : \n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Shape(p->tree),
            "0 0-fff PCI MMCONFIG 0000 [bus 00-ff] : odd - name\n"
            "0 fff00000-100ffffff a:b (c)\n"
            "0 200000000-200000fff \n");
}

TEST(ParserTest, IoportsUseWidthFour) {
  const std::string text =
      "0000-0cf7 : PCI Bus 0000:00\n"
      "  0000-001f : dma1\n"
      "  0020-0021 : pic1\n"
      "0cf8-0cff : PCI conf1\n"
      "0d00-ffff : PCI Bus 0000:00\n";
  absl::StatusOr<ParsedIomem> p = Strict(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->width, 4);
  EXPECT_EQ(p->tree.RangeOf(p->tree.root()), Range(0, 0xffff));
  EXPECT_EQ(p->tree.FlagsOf(p->tree.root()), iores::kIo);
  EXPECT_EQ(Render(*p), text);
}

// A chain deeper than the cap prints flat at the cap; containment recovers
// it. Built through the API, rendered, parsed back.
TEST(ParserTest, RecoversParentageBelowTheCapFromAddresses) {
  ResourceTree t = ResourceTree::Iomem();
  ResourceId p = t.root();
  for (int i = 0; i < 7; ++i) {
    p = *t.Request(
        p, {Range(0x100000, 0x1fffff - 0x1000 * i), absl::StrCat("level", i)});
  }
  // Two children at true depth 7 and one back at depth 5.
  const ResourceId l6 = p;
  ASSERT_TRUE(t.Request(l6, {Range(0x100000, 0x100fff), "a"}).ok());
  ASSERT_TRUE(t.Request(l6, {Range(0x101000, 0x101fff), "b"}).ok());
  const ResourceId l4 = t.ParentOf(t.ParentOf(l6));
  ASSERT_TRUE(t.Request(l4, {Range(0x1fb000, 0x1fbfff), "late"}).ok());
  const std::string text = RenderProcIomem(t);
  ASSERT_THAT(text, HasSubstr("\n          00100000-00100fff : a\n"));
  absl::StatusOr<ParsedIomem> back = Strict(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Shape(back->tree), Shape(t));
  EXPECT_EQ(back->max_depth, 5);
  // Printed with the 7.0 cap, the same tree parses back the same way.
  ProcRenderOptions eight;
  eight.max_depth = 8;
  absl::StatusOr<ParsedIomem> back8 = Strict(RenderProcIomem(t, eight));
  ASSERT_TRUE(back8.ok()) << back8.status();
  EXPECT_EQ(back8->max_depth, 8);
  EXPECT_EQ(Shape(back8->tree), Shape(t));
}

TEST(ParserTest, DeepNestingIsIterative) {
  // 100,000 identical nested ranges: far below the cap, all at 10 spaces.
  std::string text = "00001000-00001fff : top\n";
  for (int d = 1; d <= 4; ++d) {
    absl::StrAppend(&text, std::string(2 * d, ' '), "00001000-00001fff : n\n");
  }
  for (int i = 0; i < 100000; ++i) {
    absl::StrAppend(&text, "          00001000-00001fff : deep\n");
  }
  absl::StatusOr<ParsedIomem> p = Strict(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tree.Depth(p->node_lines.node(p->node_lines.size() - 1)),
            100004);
  EXPECT_EQ(Render(*p), text);
}

struct BadLine {
  const char* text;
  const char* error;
};

TEST(ParserTest, StrictErrorsNameLineAndColumn) {
  const BadLine cases[] = {
      {"00000000-00000fff : A\n00001000-00001fff: B\n",
       "x:2:18: expected \" : \" after the end address"},
      {"00000000-00000fff : A\n00001000 00001fff : B\n",
       "x:2:9: expected '-' after the start address"},
      {"00000000-00000fff : A\n00001000- : B\n",
       "x:2:10: expected a hex end address after '-'"},
      {"00000000-00000fff : A\nSystem RAM\n",
       "x:2:1: expected a hex start address"},
      {"00000000-00000fff : A\n00001000-00001FFF : B\n",
       "x:2:10: uppercase hex in the end address"},
      {"00000000-00000fff : A\n1000-00001fff : B\n",
       "x:2:1: start address has 4 digits; the kernel pads to 8"},
      {"00000000-00000fff : A\n000001000-00001fff : B\n",
       "x:2:1: start address is padded beyond 8 digits"},
      {"00000000-00000fff : A\n10000000000000000-10000000000000000 : B\n",
       "x:2:1: start address does not fit in 64 bits"},
      {"00000000-00000fff : A\r\n",
       "x:1:22: carriage return before the newline"},
      {"00000000-00000fff : A\n\n00001000-00001fff : B\n", "x:2:1: empty line"},
      {"00000000-00000fff : A\n 00000000-000000ff : B\n",
       "x:2:1: odd indentation of 1 spaces"},
      {"00000000-00000fff : A\n    00000000-000000ff : B\n",
       "x:2:1: indentation depth 2, but the line before is at depth 0"},
      {"00000000-00000fff : A",
       "x:1:22: missing newline at the end of the file"},
      {"00000000-00000fff : A\n00002000-00001fff : B\n",
       "x:2:1: 2000-1fff \"B\" ends before it starts"},
      {"00001000-00001fff : A\n  00000800-000010ff : B\n",
       "x:2:3: 800-10ff \"B\" is indented under line 1 (1000-1fff \"A\") but "
       "is "
       "not inside it"},
      {"00001000-00001fff : A\n00001800-00002fff : B\n",
       "x:2:1: 1800-2fff \"B\" overlaps or precedes its previous sibling on "
       "line 1 (1000-1fff \"A\")"},
  };
  for (const BadLine& c : cases) {
    absl::StatusOr<ParsedIomem> p = Strict(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr(c.error))
        << c.text;
  }
}

TEST(ParserTest, NulByteIsRejected) {
  const std::string text("00000000-00000fff : A\0B\n", 24);
  EXPECT_THAT(std::string(Strict(text).status().message()),
              HasSubstr("x:1:22: NUL byte in the line"));
}

TEST(ParserTest, DepthBeyondEightIsRejected) {
  std::string text;
  for (int d = 0; d <= 9; ++d) {
    absl::StrAppend(&text, std::string(2 * d, ' '), "00001000-00001fff : n\n");
  }
  EXPECT_THAT(std::string(Strict(text).status().message()),
              HasSubstr("x:10:1: indentation depth 9 is deeper than the "
                        "kernel's cap (MAX_IORES_LEVEL 8)"));
}

TEST(ParserTest, LenientRepairsRealWorldNoise) {
  const std::string text =
      "$ cat /proc/iomem\r\n"
      "> 00000000-00000fff : Reserved  \r\n"
      ">   00000000-000000ff : Low\n"
      "\n"
      "> 00001000-0009FBFF : System RAM\n"
      "> 0a000000-0affffff :\n"
      "> \t00000000-0000ffff : tabbed\n"
      "> 100000000-10fffffff : top";
  IomemParseOptions o;
  o.filename = "x";
  o.lenient = true;
  o.collect_structure_problems = true;
  absl::StatusOr<ParsedIomem> p = ParseIomem(text, o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Shape(p->tree),
            "0 0-fff Reserved\n"
            "1 0-ff Low\n"
            "0 1000-9fbff System RAM\n"
            "0 a000000-affffff \n"
            "0 100000000-10fffffff top\n");
  std::vector<std::string> what;
  for (const IomemRepair& r : p->repairs) {
    what.push_back(absl::StrCat(r.line, ": ", r.what));
  }
  EXPECT_THAT(
      what, ::testing::IsSupersetOf(
                {"1: skipped a line that is not a resource line "
                 "(expected a hex start address)",
                 "2: removed CR of a CRLF line end", "2: removed mail quoting",
                 "2: removed trailing whitespace after the name",
                 "4: skipped a blank line",
                 "5: accepted hex that is not in the kernel's format "
                 "(case or padding)",
                 "6: read \" :\" at the end of the line as an empty "
                 "name",
                 "7: tab in indentation read as 8 columns",
                 "8: added the missing final newline"}));
  // The tabbed line is indented under "System RAM"-level... it is a child
  // of the empty-named node by indentation, but not inside it: dropped.
  ASSERT_EQ(p->structure_problems.size(), 1u);
  EXPECT_EQ(p->structure_problems[0].line, 7);
  EXPECT_EQ(p->structure_problems[0].other_line, 6);
}

// Found by iomem_parse_fuzzer: lenient mode removed one CR of a line ending
// in several, leaving the rest in the name, and the rendering of the result
// was then not a valid dump.
TEST(ParserTest, LenientStripsEveryTrailingCarriageReturn) {
  absl::StatusOr<ParsedIomem> p =
      Lenient("000cb800-000d17ff : Adapter ROM\r\r\r\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Shape(p->tree), "0 cb800-d17ff Adapter ROM\n");
  EXPECT_TRUE(Strict(Render(*p)).ok());
}

TEST(ParserTest, CollectsStructureProblemsAndKeepsGoing) {
  const std::string text =
      "00001000-00001fff : A\n"
      "  00000800-000010ff : outside\n"
      "    00000800-000008ff : child of outside\n"
      "00001800-00002fff : overlaps A\n"
      "00003000-00003fff : fine\n";
  IomemParseOptions o;
  o.filename = "x";
  o.collect_structure_problems = true;
  absl::StatusOr<ParsedIomem> p = ParseIomem(text, o);
  ASSERT_TRUE(p.ok()) << p.status();
  std::vector<std::pair<int, int>> where;
  for (const auto& s : p->structure_problems) {
    where.emplace_back(s.line, s.other_line);
  }
  // Line 3 is re-checked against A (line 1) once line 2 is dropped.
  EXPECT_THAT(where, ElementsAre(std::make_pair(2, 1), std::make_pair(3, 1),
                                 std::make_pair(4, 1)));
  EXPECT_EQ(Shape(p->tree), "0 1000-1fff A\n0 3000-3fff fine\n");
  EXPECT_THAT(p->tree.CheckInvariants(), IsEmpty());
}

TEST(ParserTest, EmptyInputIsAnEmptyTree) {
  absl::StatusOr<ParsedIomem> p = Strict("");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->tree.size(), 1u);
  EXPECT_EQ(Render(*p), "");
}

// ---------------------------------------------------------------------------
// Property: any valid tree renders to text that parses back to the same tree.

RC_GTEST_PROP(ParserProperty, RenderThenParseIsIdentity, ()) {
  const ResourceTree t = *test_support::GenTree();
  const int cap = *rc::gen::element(5, 8);
  ProcRenderOptions o;
  o.max_depth = cap;
  const std::string text = RenderProcIomem(t, o);
  IomemParseOptions po;
  po.max_depth = cap;
  absl::StatusOr<ParsedIomem> p = ParseIomem(text, po);
  RC_ASSERT(p.ok());
  RC_ASSERT(Shape(p->tree) == Shape(t));
  RC_ASSERT(Render(*p) == text);
  RC_ASSERT(p->tree.CheckInvariants().empty());
}

}  // namespace
}  // namespace restree
