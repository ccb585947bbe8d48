// In-process tests of `restree show`, `diff`, `check` and `demo`: exit
// codes, error lines, every output mode, and golden outputs for every
// sample dump (tools/testdata/golden/, regenerated with
// tools/update_golden.sh and reviewed by hand).

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/byte_size.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "iomem_parser/parser.h"
#include "iomem_parser/show.h"
#include "tests/iomem_samples.h"
#include "tests/json_value.h"
#include "tools/cli.h"

namespace restree {
namespace {

using ::restree::test_support::JsonValue;
using ::restree::test_support::ParseJson;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct RunResult {
  int rc;
  std::string out;
  std::string err;
};

RunResult Restree(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int rc = cli::Main(args, out, err, /*out_is_terminal=*/false);
  return {rc, out.str(), err.str()};
}

using test_support::IsExcerptSample;
using test_support::ReadTestFile;

std::string Sample(const std::string& name) {
  return test_support::IomemSamplePath(name);
}

std::vector<std::string> Mode(const std::string& name) {
  return IsExcerptSample(name) ? std::vector<std::string>{"--lenient"}
                               : std::vector<std::string>{};
}

// ---------------------------------------------------------------------------
// Golden outputs and their independent checks, for every sample.

class SampleCommandsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SampleCommandsTest, ShowMatchesGolden) {
  const std::string name = GetParam();
  std::vector<std::string> args = {"show", Sample(name)};
  for (const auto& m : Mode(name)) args.push_back(m);
  const RunResult r = Restree(args);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, ReadTestFile(
                       absl::StrCat("tools/testdata/golden/", name, ".show")));
}

TEST_P(SampleCommandsTest, RawIsTheInput) {
  const std::string name = GetParam();
  if (IsExcerptSample(name)) GTEST_SKIP() << "a lenient-mode excerpt";
  const RunResult r = Restree({"show", "--raw", Sample(name)});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, ReadTestFile(Sample(name)));
}

// The JSON describes the same tree as the parser's, checked field by field
// (not by bytes), and matches its golden file.
TEST_P(SampleCommandsTest, JsonIsTheTree) {
  const std::string name = GetParam();
  std::vector<std::string> args = {"show", "--json", Sample(name)};
  for (const auto& m : Mode(name)) args.push_back(m);
  const RunResult r = Restree(args);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, ReadTestFile(
                       absl::StrCat("tools/testdata/golden/", name, ".json")));
  absl::StatusOr<JsonValue> j = ParseJson(r.out);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["schema"].text, "restree.show/1");
  IomemParseOptions o;
  o.lenient = IsExcerptSample(name);
  absl::StatusOr<ParsedIomem> p = ParseIomem(ReadTestFile(Sample(name)), o);
  ASSERT_TRUE(p.ok());
  const std::vector<ResourceId> ids = p->tree.PreorderIds();
  const JsonValue& res = (*j)["resources"];
  ASSERT_EQ(res.items.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const JsonValue& e = res[i];
    EXPECT_EQ(e["name"].text, p->tree.NameOf(ids[i]));
    EXPECT_EQ(e["line"].text, absl::StrCat(p->LineOf(ids[i])));
    EXPECT_EQ(e["depth"].text, absl::StrCat(p->tree.Depth(ids[i])));
    const ResourceId parent = p->tree.ParentOf(ids[i]);
    if (parent == p->tree.root()) {
      EXPECT_TRUE(e["parent"].is_null());
    } else {
      uint64_t pi = 0;
      ASSERT_TRUE(absl::SimpleAtoi(e["parent"].text, &pi));
      EXPECT_EQ(ids[pi], parent);
    }
    if (p->zeroed) {
      EXPECT_TRUE(e["start"].is_null());
      continue;
    }
    const Range rg = p->tree.RangeOf(ids[i]);
    EXPECT_EQ(e["start"].text, absl::StrCat("0x", absl::Hex(rg.first())));
    EXPECT_EQ(e["end"].text, absl::StrCat("0x", absl::Hex(rg.last())));
    EXPECT_EQ(e["size"].text, absl::StrCat(rg.last() - rg.first() + 1));
  }
}

// Every size in the readable view is the line's range in lsmem's units.
TEST_P(SampleCommandsTest, ShowSizesAgreeWithRanges) {
  const std::string name = GetParam();
  if (test_support::IsZeroedSample(name)) GTEST_SKIP() << "no addresses";
  std::vector<std::string> args = {"show", Sample(name)};
  for (const auto& m : Mode(name)) args.push_back(m);
  const RunResult r = Restree(args);
  std::vector<std::string> lines =
      absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_GT(lines.size(), 1u);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(
        absl::StripLeadingAsciiWhitespace(lines[i]), ' ', absl::SkipEmpty());
    ASSERT_GE(f.size(), 2u) << lines[i];
    std::vector<absl::string_view> se = absl::StrSplit(f[0], '-');
    uint64_t s = 0, e = 0;
    ASSERT_TRUE(absl::SimpleHexAtoi(se[0], &s) &&
                absl::SimpleHexAtoi(se[1], &e));
    EXPECT_EQ(f[1], HumanSize(absl::uint128(e) - s + 1)) << lines[i];
  }
}

// `restree show` of a whole dump streams from the tree without a list of
// its resources; the output is what the list of every resource gives.
TEST_P(SampleCommandsTest, WholeDumpStreamsAsTheFullSelection) {
  const std::string name = GetParam();
  IomemParseOptions o;
  o.lenient = IsExcerptSample(name);
  absl::StatusOr<ParsedIomem> dump = ParseIomem(ReadTestFile(Sample(name)), o);
  ASSERT_TRUE(dump.ok()) << dump.status();
  const std::vector<ShownNode> all = SelectNodes(dump->tree, ShowFilter());
  auto collect = [](auto stream) {
    std::string out;
    stream([&](absl::string_view piece) {
      out.append(piece.data(), piece.size());
    });
    return out;
  };
  EXPECT_EQ(collect([&](TextSink s) { StreamShow(*dump, "x", s); }),
            RenderShow(*dump, all, "x"));
  EXPECT_EQ(collect([&](TextSink s) { StreamShowRaw(*dump, s); }),
            RenderShowRaw(*dump, all));
  EXPECT_EQ(collect([&](TextSink s) { StreamShowJson(*dump, "x", s); }),
            RenderShowJson(*dump, all, "x"));
}

INSTANTIATE_TEST_SUITE_P(Samples, SampleCommandsTest,
                         ::testing::ValuesIn(test_support::IomemSampleNames()));

// ---------------------------------------------------------------------------
// show

TEST(ShowTest, Filters) {
  const std::string cxl = Sample("qemu72-linux61-cxl1-iomem.txt");
  RunResult r = Restree({"show", "--under", "PCI Bus 0000:0c", "--raw", cxl});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "fe000000-fe1fffff : PCI Bus 0000:0c\n"
            "  fe000000-fe1fffff : PCI Bus 0000:0d\n"
            "fe800000-fe9fffff : PCI Bus 0000:0c\n"
            "  fe800000-fe9fffff : PCI Bus 0000:0d\n"
            "    fe800000-fe80ffff : 0000:0d:00.0\n"
            "      fe800000-fe80ffff : endpoint2\n"
            "    fe810000-fe810fff : 0000:0d:00.0\n"
            "      fe810080-fe810087 : 0000:0d:00.0\n"
            "      fe810088-fe8108a7 : 0000:0d:00.0\n"
            "      fe8108a8-fe8108af : 0000:0d:00.0\n"
            "    fe811000-fe811fff : 0000:0d:00.0\n"
            "fea10000-fea1ffff : PCI Bus 0000:0c\n"
            "  fea10000-fea1ffff : 0000:0c:00.0\n");
  r = Restree({"show", "--name", "^endpoint", cxl});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(
      r.out,
      HasSubstr("fe800000-fe9fffff     2M  PCI Bus 0000:0c  (context)\n"));
  EXPECT_THAT(r.out, HasSubstr("      fe800000-fe80ffff    64K  endpoint2\n"));
  EXPECT_THAT(r.out, StartsWith(absl::StrCat(cxl, ": 4 resources;")));
  r = Restree({"show", "--depth", "1", "--raw", cxl});
  EXPECT_EQ(r.out.find("\n "), std::string::npos);  // no indented line
}

// A dump nested 20,000 deep by address containment below the kernel's cap
// (the file itself indents at most 5 levels): the readable output stops
// indenting at kShowMaxIndent and names the depth instead, so it stays
// linear in the input.
TEST(ShowTest, DeepNestingKeepsOutputLinear) {
  constexpr int kDeep = 20000;
  std::string dump;
  for (int d = 0; d < kDeep; ++d) {
    dump += absl::StrFormat("%s%08x-%08x : n%d\n",
                            std::string(2 * std::min(d, 5), ' '), 0x1000 + d,
                            0x100000000 - d, d);
  }
  const std::string path = ::testing::TempDir() + "/deep_iomem.txt";
  std::ofstream(path, std::ios::binary) << dump;
  RunResult r = Restree({"show", path});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_LT(r.out.size(), 3 * dump.size());
  // (absl::StrContains, not HasSubstr: a failure must not print 1 MB.)
  EXPECT_TRUE(absl::StrContains(
      r.out, absl::StrCat("\n", std::string(32, ' '),
                          "00001010-fffffff0     4G  n16\n")));
  EXPECT_TRUE(absl::StrContains(
      r.out, absl::StrCat("\n", std::string(32, ' '),
                          "[depth 17] 00001011-ffffffef     4G  n17\n")));
  EXPECT_TRUE(absl::StrContains(
      r.out, absl::StrCat("\n", std::string(32, ' '), "[depth ", kDeep - 1,
                          "] 00005e1f-ffffb1e1     4G  n19999\n")));
  // --raw is the kernel's format: the input, byte for byte.
  r = Restree({"show", "--raw", path});
  EXPECT_TRUE(r.out == dump);
}

TEST(ShowTest, UsageErrorsAreOneLineAndExitTwo) {
  const std::string cxl = Sample("qemu72-linux61-cxl1-iomem.txt");
  struct Case {
    std::vector<std::string> args;
    std::string err;
  } cases[] = {
      {{"show", "--frobnicate", cxl},
       "restree show: unknown option '--frobnicate'\n"},
      {{"show", "--depth"}, "restree show: option '--depth' needs a value\n"},
      {{"show", "--depth", "x", cxl},
       "restree show: option '--depth' wants an integer, got 'x'\n"},
      {{"show", "--depth", "0", cxl},
       "restree show: --depth must be at least 1\n"},
      {{"show", "--name", "end[0-9", cxl},
       "restree show: --name: bad regular expression, column 4: '[' without a "
       "closing ']'\n"},
      {{"show", "--raw", "--json", cxl},
       "restree show: --raw and --json exclude each other\n"},
      {{"show", cxl, cxl}, "restree show: takes at most one file\n"},
      {{"show", "--max-depth", "6", cxl},
       "restree show: --max-depth must be 5 or 8 (MAX_IORES_LEVEL)\n"},
      {{"show", "/nonexistent/iomem"},
       "/nonexistent/iomem: cannot open: No such file or directory\n"},
      // A directory opens but is not a file (reading it threw, and aborted).
      {{"show", "/"}, "/: is a directory\n"},
      {{"check", "/"}, "/: is a directory\n"},
      {{"nosuchcommand"},
       "restree: unknown command 'nosuchcommand' (restree --help lists "
       "them)\n"},
  };
  for (const Case& c : cases) {
    const RunResult r = Restree(c.args);
    EXPECT_EQ(r.rc, 2) << c.args[1];
    EXPECT_THAT(r.err, StartsWith(c.err)) << c.args[1];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(ShowTest, MalformedInputNamesFileLineColumn) {
  const RunResult r = Restree(
      {"show", Sample("lkml-2025-07_zhijian-rfc_cxl-window-softreserved-region-"
                      "dax-kmem.excerpt.txt")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("excerpt.txt:2:1: odd indentation of 3 spaces"));
  const RunResult lenient = Restree(
      {"show", "--lenient",
       Sample("lkml-2025-07_zhijian-rfc_cxl-window-softreserved-region-dax-"
              "kmem.excerpt.txt")});
  EXPECT_EQ(lenient.rc, 0);
  EXPECT_THAT(lenient.err,
              HasSubstr("excerpt.txt:2:1: repaired: indentation of 3 columns "
                        "read as depth 1\n"));
}

TEST(ShowTest, HelpOnEveryCommand) {
  for (const char* cmd : {"show", "diff", "check", "demo"}) {
    const RunResult r = Restree({cmd, "--help"});
    EXPECT_EQ(r.rc, 0) << cmd;
    EXPECT_THAT(r.out, StartsWith(absl::StrCat("usage: restree ", cmd))) << cmd;
  }
  const RunResult top = Restree({"--help"});
  EXPECT_EQ(top.rc, 0);
  EXPECT_THAT(top.out, HasSubstr("  show      show a /proc/iomem dump"));
}

// Writes `text` to a temporary file named `name`; returns its path.
std::string TempFile(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Text with no resource line is not a dump, even in lenient mode; blank
// input is an empty dump only when asked for.
TEST(ShowTest, TextWithoutResourceLinesIsAnError) {
  const std::string prose =
      TempFile("prose.md", "# restree\n\nA library and a CLI.\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"show", "--lenient", prose},
        {"check", "--lenient", prose},
        {"diff", "--lenient", prose, prose}}) {
    const RunResult r = Restree(args);
    EXPECT_EQ(r.rc, 2) << args[0];
    EXPECT_EQ(r.err, absl::StrCat(prose,
                                  ": no /proc/iomem lines found (no line "
                                  "reads START-END : NAME)\n"))
        << args[0];
    EXPECT_EQ(r.out, "") << args[0];
  }
  const std::string empty = TempFile("empty.txt", "");
  RunResult r = Restree({"show", empty});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, absl::StrCat(empty,
                                ": no /proc/iomem lines found (the input is "
                                "empty; --allow-empty reads it as an empty "
                                "dump)\n"));
  r = Restree({"show", "--allow-empty", empty});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith(absl::StrCat(empty, ": 0 resources")));
  // --allow-empty is for blank input, not for prose.
  EXPECT_EQ(Restree({"show", "--lenient", "--allow-empty", prose}).rc, 2);
}

// A strict-mode error on a pasted dump says that --lenient reads it; one
// that --lenient cannot read either says nothing of it.
TEST(ShowTest, StrictErrorSaysWhenLenientWouldRead) {
  const std::string pasted = TempFile(
      "pasted.txt",
      "00000000-00000fff : Reserved\n\n00001000-0009ffff : System RAM\n");
  RunResult r = Restree({"show", pasted});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, absl::StrCat(pasted,
                                ":2:1: empty line (--lenient reads it, with "
                                "1 repair)\n"));
  r = Restree({"show", "--lenient", pasted});
  EXPECT_EQ(r.rc, 0) << r.err;
  const std::string prose = TempFile("prose2.md", "not a dump\n");
  r = Restree({"show", prose});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("--lenient")));
}

// A tab in the indentation is named as such (it was "expected a hex start
// address").
TEST(ShowTest, TabIndentationSaysTab) {
  const std::string tab = TempFile(
      "tab.txt", "00000000-00000fff : Reserved\n\t00000000-000000ff : x\n");
  const RunResult r = Restree({"show", tab});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, absl::StrCat(tab,
                                ":2:1: tab in the indentation (the kernel "
                                "indents with spaces; --lenient reads a tab "
                                "as 8 columns) (--lenient reads it, with 2 "
                                "repairs)\n"));
}

// A filter that matches nothing exits 1 with a message, as grep does.
TEST(ShowTest, FilterMatchingNothingExitsOne) {
  const std::string cxl = Sample("qemu72-linux61-cxl1-iomem.txt");
  RunResult r = Restree({"show", "--under", "CXL Window 7", cxl});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, absl::StrCat("restree show: ", cxl,
                                ": no resource named \"CXL Window 7\"\n"));
  EXPECT_EQ(r.out, "");
  r = Restree({"show", "--json", "--name", "^nvdimm", cxl});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err, absl::StrCat("restree show: ", cxl,
                                ": no resource name matches --name "
                                "\"^nvdimm\"\n"));
  r = Restree({"show", "--under", "CXL Window 0", "--name", "^PCI", cxl});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.err, HasSubstr("matches --name \"^PCI\" under \"CXL Window "
                               "0\"\n"));
  EXPECT_EQ(Restree({"show", "--under", "CXL Window 0", cxl}).rc, 0);
}

// ---------------------------------------------------------------------------
// diff

TEST(DiffCommandTest, ExitStatusLikeDiff) {
  const std::string a = Sample("qemu72-linux61-nocxl-iomem.txt");
  const std::string b = Sample("qemu72-linux61-nocxl-iomem-after-hotplug.txt");
  RunResult r = Restree({"diff", a, a});
  EXPECT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, HasSubstr("0 resources changed\n"));
  r = Restree({"diff", a, b});
  EXPECT_EQ(r.rc, 1);
  // 1.9998G before (2G in lsmem's rounding), plus one 256M DIMM.
  EXPECT_THAT(r.out, HasSubstr("System RAM: 2G -> 2.2G (+256M)\n"));
  EXPECT_THAT(r.out,
              HasSubstr("+ 100000000-10fffffff  System RAM  [new:29]\n"));
  EXPECT_EQ(r.out.find("\033["), std::string::npos);  // no colour in a pipe
  r = Restree({"diff", "--color", "always", a, b});
  EXPECT_THAT(r.out, HasSubstr("\033[32m+ 100000000-10fffffff"));
  r = Restree({"diff", a});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, "restree diff: needs two files: OLD NEW\n");
  r = Restree({"diff", a, "/nonexistent"});
  EXPECT_EQ(r.rc, 2);
}

TEST(DiffCommandTest, JsonNamesEveryChange) {
  const RunResult r =
      Restree({"diff", "--json",
               Sample("qemu72-linux61-nocxl-iomem-after-hotplug2.txt"),
               Sample("qemu72-linux61-nocxl-iomem-after-unplug.txt")});
  EXPECT_EQ(r.rc, 1);
  absl::StatusOr<JsonValue> j = ParseJson(r.out);
  ASSERT_TRUE(j.ok()) << j.status() << r.out;
  EXPECT_EQ((*j)["schema"].text, "restree.diff/1");
  EXPECT_FALSE((*j)["same"].boolean);
  const JsonValue& c = (*j)["changes"];
  ASSERT_EQ(c.items.size(), 1u);
  EXPECT_EQ(c[0]["changes"][0].text, "removed");
  EXPECT_EQ(c[0]["old"]["start"].text, "0x100000000");
  EXPECT_EQ(c[0]["old"]["size"].text, "268435456");
  EXPECT_EQ(c[0]["old"]["line"].text, "29");
  EXPECT_TRUE(c[0]["new"].is_null());
  // The sum of the top-level "System RAM" lines (python3 gives the same).
  EXPECT_EQ((*j)["summary"]["before"]["system_ram"].text, "2952256512");
}

TEST(DiffCommandTest, ZeroedDumpsAreComparedByName) {
  const std::string z =
      Sample("mailinglist_nonroot-zeroed-addresses_x86-laptop.txt");
  const RunResult r = Restree({"diff", z, z});
  EXPECT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, HasSubstr("paired by name and ancestry"));
}

// Addresses as the dump prints them (padded to 8 digits), an added or
// removed resource with its parent, and a count that says what it counts.
TEST(DiffCommandTest, OutputReadsLikeTheDump) {
  const std::string a = TempFile("pad-a.txt",
                                 "00000000-00000fff : Reserved\n"
                                 "000a0000-000bffff : PCI Bus 0000:00\n"
                                 "  000a0000-000a0fff : gone\n");
  const std::string b = TempFile("pad-b.txt",
                                 "00000000-00000fff : Reserved\n"
                                 "  00000100-000001ff : x\n"
                                 "000a0000-000bffff : PCI Bus 0000:00\n");
  const RunResult r = Restree({"diff", a, b});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.out, HasSubstr("\n2 resources changed: 1 removed, 1 added, 0 "
                               "resized, moved or with new flags\n"
                               "- 000a0000-000a0fff  gone  in \"PCI Bus "
                               "0000:00\"  [old:3]\n"
                               "+ 00000100-000001ff  x  in \"Reserved\"  "
                               "[new:2]\n"));
}

// The kernel does not rename a resource in place: another name on the same
// range is a removal and an addition, and the child moves to the new one.
TEST(DiffCommandTest, AnotherNameOnTheSameRangeIsNotARename) {
  const std::string a =
      TempFile("sr.txt",
               "100000000-1ffffffff : CXL Window 0\n"
               "  100000000-1ffffffff : Soft Reserved\n"
               "    100000000-1ffffffff : dax0.0\n"
               "      100000000-1ffffffff : System RAM (kmem)\n");
  const std::string b =
      TempFile("region.txt",
               "100000000-1ffffffff : CXL Window 0\n"
               "  100000000-1ffffffff : region0\n"
               "    100000000-1ffffffff : dax0.0\n"
               "      100000000-1ffffffff : System RAM (kmem)\n");
  RunResult r = Restree({"diff", a, b});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("renamed")));
  EXPECT_THAT(r.out, HasSubstr("- 100000000-1ffffffff  Soft Reserved  in "
                               "\"CXL Window 0\"  [old:2]\n"));
  EXPECT_THAT(r.out, HasSubstr("+ 100000000-1ffffffff  region0  in \"CXL "
                               "Window 0\"  [new:2]\n"));
  EXPECT_THAT(r.out, HasSubstr("~ 100000000-1ffffffff  dax0.0: moved from "
                               "under \"Soft Reserved\" to under "
                               "\"region0\""));
  r = Restree({"diff", "--json", a, b});
  absl::StatusOr<JsonValue> j = ParseJson(r.out);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_EQ((*j)["changes"].items.size(), 3u);
  EXPECT_EQ((*j)["changes"][0]["changes"][0].text, "removed");
  EXPECT_EQ((*j)["changes"][1]["changes"][0].text, "added");
  EXPECT_EQ((*j)["changes"][2]["changes"][0].text, "reparented");
}

// A dump large enough to be parsed in two parts, from a mapped file whose
// pages the parser drops as it goes (and reads back for the second pass
// that `check` and a retry make): the output is still the input, byte for
// byte, and a line broken near the end is still found by its place.
TEST(LargeDumpTest, MappedFileIsReadWholeAndRereadAfterItsPagesAreDropped) {
  std::string text;
  for (uint64_t i = 0; text.size() < (size_t{10} << 20); ++i) {
    const uint64_t start = (uint64_t{1} << 32) + (i << 28);
    text += absl::StrFormat(
        "%08x-%08x : CXL Window %d\n  %08x-%08x : region%d\n", start,
        start + (uint64_t{1} << 28) - 1, i, start, start + 0xfffffff, i);
  }
  const std::string path = TempFile("large.txt", text);
  RunResult r = Restree({"show", "--raw", path});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.out == text) << "show --raw differs from its input";
  r = Restree({"check", path});
  EXPECT_EQ(r.rc, 0) << r.err;

  std::string broken = text;
  const size_t last_line = broken.rfind('\n', broken.size() - 2) + 1;
  broken[last_line + 2] = 'G';  // the last line's start address
  const std::string broken_path = TempFile("large-broken.txt", broken);
  r = Restree({"show", "--raw", broken_path});
  EXPECT_EQ(r.rc, 2);
  const size_t lines =
      static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(broken_path, ":", lines, ":")))
      << "the error names the last line";
}

// A summary line lists up to eight ranges; a longer list is counted, so a
// machine with thousands of windows does not print them all on one line.
TEST(DiffCommandTest, LongRangeListsAreCounted) {
  auto windows = [](int n) {
    std::string text;
    for (int i = 0; i < n; ++i) {
      const uint64_t start =
          (uint64_t{1} << 32) + (static_cast<uint64_t>(i) << 28);
      text += absl::StrFormat("%08x-%08x : CXL Window %d\n", start,
                              start + (uint64_t{1} << 28) - 1, i);
    }
    return text;
  };
  const std::string eight = TempFile("eight.txt", windows(8));
  const std::string nine = TempFile("nine.txt", windows(9));
  const RunResult r = Restree({"diff", eight, nine});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.out, HasSubstr("CXL windows: 100000000-10fffffff (256M), "
                               "110000000-11fffffff (256M), "));
  EXPECT_THAT(r.out, HasSubstr(" -> 9 (2.3G in all, 100000000-10fffffff to "
                               "180000000-18fffffff)\n"));
}

// ---------------------------------------------------------------------------
// check

TEST(CheckCommandTest, CleanDumpPasses) {
  const RunResult r =
      Restree({"check", Sample("qemu72-linux61-legacy-pmem-kmem.txt")});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(": ok: 36 resources; every invariant holds\n"));
  EXPECT_THAT(r.out, HasSubstr(": driver chains of debian-6.1 (inferred); fits "
                               "debian-6.1, linux-6.12, linux-7.x\n"));
}

// Every real kernel dump passes, with no warning either (the excerpt in
// lenient mode); a zeroed dump has nothing to check (exit 2, said why).
TEST_P(SampleCommandsTest, CheckPassesEveryRealDump) {
  const std::string name = GetParam();
  std::vector<std::string> args = {"check", Sample(name)};
  for (const auto& m : Mode(name)) args.push_back(m);
  const RunResult r = Restree(args);
  if (test_support::IsZeroedSample(name)) {
    EXPECT_EQ(r.rc, 2);
    EXPECT_THAT(r.err, HasSubstr("every address is 0"));
    return;
  }
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(": ok: "));
  EXPECT_THAT(r.out, HasSubstr("every invariant holds\n"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("warning")));
}

TEST(CheckCommandTest, ReportsEveryProblemWithBothLines) {
  const std::string path = ::testing::TempDir() + "/broken.txt";
  {
    std::ofstream f(path);
    f << "00001000-00001fff : A\n"
         "  00000800-000010ff : not inside A\n"
         "00001800-00002fff : overlaps A\n"
         "100000000-1ffffffff : CXL Window 0\n"
         "  100000000-10fffffff : Reserved\n"
         "    100000000-107ffffff : region0\n"
         "200000000-200000fff : System RAM (kmem)\n";
  }
  const RunResult r = Restree({"check", path});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         path,
                         ":2:3: 800-10ff \"not inside A\" is indented "
                         "under line 1")));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(path,
                                            ":3:1: 1800-2fff \"overlaps A\" "
                                            "overlaps or precedes its "
                                            "previous sibling on line 1")));
  // region0 breaks two CXL rules: a "Reserved" between it and its window
  // (no driver chain puts it there; "Soft Reserved" would be 6.12's shape),
  // and 128M long.
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         path,
                         ":6: cxl: 100000000-107ffffff \"region0\" is "
                         "directly under 100000000-10fffffff "
                         "\"Reserved\": no driver chain of ")));
  EXPECT_THAT(r.out, HasSubstr("(see line 5)"));
  EXPECT_THAT(r.out, HasSubstr("\"region0\" is not 256M aligned and sized"));
  // kmem: off the memory block, and not under a dax node.
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(path, ":7: memory-hotplug: ")));
  // Sizes in lsmem's units, as everywhere in restree's text.
  EXPECT_THAT(r.out, HasSubstr("is not aligned to the 128M memory block"));
  EXPECT_THAT(r.out, HasSubstr("(it goes under: daxX.Y)"));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(path, ": 6 problems\n")));
  const RunResult j = Restree({"check", "--json", path});
  absl::StatusOr<JsonValue> v = ParseJson(j.out);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE((*v)["ok"].boolean);
  EXPECT_EQ((*v)["errors"].text, "6");
  EXPECT_EQ((*v)["warnings"].text, "0");
  ASSERT_EQ((*v)["findings"].items.size(), 6u);
  EXPECT_EQ((*v)["findings"][0]["kind"].text, "structure");
  EXPECT_EQ((*v)["findings"][0]["severity"].text, "error");
  EXPECT_EQ((*v)["findings"][0]["line"].text, "2");
  EXPECT_EQ((*v)["findings"][0]["other_line"].text, "1");
  EXPECT_EQ((*v)["findings"][2]["rule"].text, "nesting");
  // Without the block-size rule, the kmem line is only misplaced.
  const RunResult nb = Restree({"check", "--block-size", "0", path});
  EXPECT_THAT(nb.out, HasSubstr(": 5 problems\n"));
}

TEST(CheckCommandTest, ZeroedDumpCannotBeChecked) {
  const RunResult r = Restree(
      {"check", Sample("mailinglist_nonroot-zeroed-addresses_x86-laptop.txt")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("every address is 0"));
}

// A real dump with `from` replaced by `to` (each must occur once), written
// to a temporary file; returns its path.
std::string Planted(const std::string& sample, const std::string& from,
                    const std::string& to) {
  std::string text = ReadTestFile(Sample(sample));
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/planted-", sample);
  std::ofstream(path) << text;
  return path;
}

constexpr char kCxl1[] = "qemu72-linux61-cxl1-iomem.txt";
constexpr char kCxl1Window[] = "390000000-48fffffff : CXL Window 0\n";

// A CFMWS that overlaps a PCI host bridge's window: cxl_acpi's
// expand_to_fit grows the window over the bus, off the 256 MiB grid.
TEST(CheckCommandTest, PlantedMisalignedWindowOverPciBusIsAnError) {
  const std::string path = Planted(kCxl1, kCxl1Window,
                                   "390000000-497ffffff : CXL Window 0\n"
                                   "  488000000-497ffffff : PCI Bus 0000:0e\n");
  const RunResult r = Restree({"check", path});
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         path,
                         ":44: cxl: 390000000-497ffffff \"CXL Window 0\" is "
                         "not 256M aligned and holds 488000000-497ffffff "
                         "\"PCI Bus 0000:0e\": cxl_acpi only publishes "
                         "256M-aligned CFMWS ranges")));
  EXPECT_THAT(r.out, HasSubstr("(see line 45)\n"));
  EXPECT_THAT(r.out, HasSubstr(": 1 problem\n"));
  const RunResult j = Restree({"check", "--json", path});
  absl::StatusOr<JsonValue> v = ParseJson(j.out);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["findings"][0]["rule"].text, "cxl-window-over-pci-bus");
  EXPECT_EQ((*v)["findings"][0]["severity"].text, "error");
  EXPECT_EQ((*v)["findings"][0]["line"].text, "44");
}

// hmem holding part of a CXL window beside a region: a warning, exit 0.
TEST(CheckCommandTest, PlantedHmemBesideRegionIsAWarning) {
  const std::string path =
      Planted(kCxl1, kCxl1Window,
              "390000000-48fffffff : CXL Window 0\n"
              "  390000000-40fffffff : region0\n"
              "    390000000-40fffffff : dax0.0\n"
              "      390000000-40fffffff : System RAM (kmem)\n"
              "  410000000-48fffffff : Soft Reserved\n"
              "    410000000-48fffffff : dax1.0\n"
              "      410000000-48fffffff : System RAM (kmem)\n");
  const RunResult r = Restree({"check", path});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         path,
                         ":48: warning: cxl: 410000000-48fffffff \"Soft "
                         "Reserved\" in 390000000-48fffffff \"CXL Window 0\" "
                         "holds 410000000-48fffffff \"dax1.0\" and "
                         "410000000-48fffffff \"System RAM (kmem)\" beside "
                         "390000000-40fffffff \"region0\" in the same window: "
                         "dax_hmem took part of the CXL window over (since "
                         "6.12 hmem leaves a range in a CXL window to CXL")));
  EXPECT_THAT(r.out, HasSubstr("(CONFIG_CXL_REGION=n) shows this shape "
                               "legitimately (see line 45)\n"));
  EXPECT_THAT(r.out, HasSubstr(": ok: 52 resources; no errors, 1 warning\n"));
  const RunResult j = Restree({"check", "--json", path});
  absl::StatusOr<JsonValue> v = ParseJson(j.out);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE((*v)["ok"].boolean);
  EXPECT_EQ((*v)["warnings"].text, "1");
  EXPECT_EQ((*v)["findings"][0]["severity"].text, "warning");
  EXPECT_EQ((*v)["findings"][0]["rule"].text, "hmem-beside-region");
  EXPECT_EQ((*v)["findings"][0]["other_line"].text, "45");
}

// kmem left under the window by a region teardown.
TEST(CheckCommandTest, PlantedStrandedKmemIsAWarning) {
  const std::string path =
      Planted(kCxl1, kCxl1Window,
              "390000000-48fffffff : CXL Window 0\n"
              "  390000000-3afffffff : dax0.0\n"
              "    390000000-3afffffff : System RAM (kmem)\n");
  const RunResult r = Restree({"check", path});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         path,
                         ":45: warning: cxl: 390000000-3afffffff "
                         "\"dax0.0\" with 390000000-3afffffff \"System RAM "
                         "(kmem)\" is directly under 390000000-48fffffff "
                         "\"CXL Window 0\", no region between: a region "
                         "teardown left them there")));
  EXPECT_THAT(r.out, HasSubstr("(see line 44)\n"));
  // A busy dax (device_dax) there is not stranded kmem.
  const std::string busy = Planted(kCxl1, kCxl1Window,
                                   "390000000-48fffffff : CXL Window 0\n"
                                   "  390000000-3afffffff : dax0.0\n");
  EXPECT_THAT(Restree({"check", busy}).out,
              ::testing::Not(HasSubstr("warning")));
}

// The kmem capture with its dax0.0 line taken out: System RAM (kmem) right
// under Persistent Memory (legacy), which kmem never does.
TEST(CheckCommandTest, PlantedKmemWithoutDaxIsAnError) {
  const std::string path = Planted(
      "qemu72-linux61-legacy-pmem-kmem.txt",
      "  148000000-15fffffff : dax0.0\n    148000000-15fffffff : System RAM "
      "(kmem)\n",
      "  148000000-15fffffff : System RAM (kmem)\n");
  const RunResult r = Restree({"check", path});
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         path,
                         ":32: memory-hotplug: 148000000-15fffffff "
                         "\"System RAM (kmem)\" is directly under "
                         "140000000-15fffffff \"Persistent Memory "
                         "(legacy)\": no driver chain of debian-6.1 "
                         "puts System RAM (kmem) there (it goes under: "
                         "daxX.Y) (see line 30)\n")));
  EXPECT_THAT(r.out, HasSubstr("driver chains of debian-6.1 (inferred); no "
                               "profile fits\n"));
}

// A CXL pmem region as 6.1 leaves it: Window > Persistent Memory (the
// nvdimm bridge's node, same range) > region0 > namespace / dax.
TEST(CheckCommandTest, PlantedPmemRegionChainPasses) {
  const std::string path = Planted(kCxl1, kCxl1Window,
                                   "390000000-48fffffff : CXL Window 0\n"
                                   "  390000000-3afffffff : Persistent Memory\n"
                                   "    390000000-3afffffff : region0\n"
                                   "      390000000-3909fffff : namespace0.0\n"
                                   "      390a00000-3afffffff : dax0.0\n");
  for (const char* profile : {"debian-6.1", "linux-6.12", "linux-7.0"}) {
    const RunResult r = Restree({"check", "--profile", profile, path});
    EXPECT_EQ(r.rc, 0) << profile << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr("; fits debian-6.1, linux-6.12, linux-7.x\n"));
  }
  EXPECT_THAT(Restree({"check", "--profile", "linux-7.0", path}).out,
              HasSubstr("driver chains of linux-7.x; fits"));
}

// The mail excerpt (Window > Soft Reserved > region0) is not a 6.1 shape;
// the inferred profile is 6.12, and --profile debian-6.1 names the line.
TEST(CheckCommandTest, ProfileSelectsTheChains) {
  const std::string lkml = Sample(
      "lkml-2025-07_zhijian-rfc_cxl-window-softreserved-region-dax-kmem."
      "excerpt.txt");
  const RunResult inferred = Restree({"check", "--lenient", lkml});
  EXPECT_EQ(inferred.rc, 0) << inferred.out;
  EXPECT_THAT(inferred.out, HasSubstr("driver chains of linux-6.12 "
                                      "(inferred); fits linux-6.12, "
                                      "linux-7.x\n"));
  const RunResult r61 =
      Restree({"check", "--lenient", "--profile", "debian-6.1", lkml});
  EXPECT_EQ(r61.rc, 1);
  EXPECT_THAT(r61.out, HasSubstr(absl::StrCat(
                           lkml,
                           ":3: cxl: c070000000-fcffffffff \"region0\" "
                           "is directly under c070000000-fcffffffff "
                           "\"Soft Reserved\": no driver chain of "
                           "debian-6.1 puts regionK there")));
  const RunResult j =
      Restree({"check", "--json", "--lenient", "--profile", "linux-7.0", lkml});
  absl::StatusOr<JsonValue> v = ParseJson(j.out);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["profile"].text, "linux-7.x");
  EXPECT_FALSE((*v)["profile_inferred"].boolean);
  ASSERT_EQ((*v)["fitting_profiles"].items.size(), 2u);
  EXPECT_EQ((*v)["fitting_profiles"][0].text, "linux-6.12");
  const RunResult bad = Restree({"check", "--profile", "linux-5.4", lkml});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown --profile \"linux-5.4\" (known: "
                                 "debian-6.1, "));
}

TEST(DemoCommandTest, BuildsTheCxlChain) {
  const RunResult r = Restree({"demo"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("1000000000-1fffffffff : CXL Window 0\n"
                        "  1000000000-10ffffffff : System RAM\n"
                        "  1200000000-13ffffffff : region0\n"
                        "    1200000000-13ffffffff : dax0.0\n"
                        "      1200000000-13ffffffff : System RAM (kmem)\n"));
  // The demo's output is itself a valid dump.
  IomemParseOptions o;
  absl::StatusOr<ParsedIomem> p = ParseIomem(r.out, o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Restree({"demo", "--depth", "0"}).rc, 2);
}

// `demo --json` is the printed dump as JSON, in show's shape.
TEST(DemoCommandTest, JsonDescribesThePrintedDump) {
  const RunResult r = Restree({"demo", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  absl::StatusOr<JsonValue> j = ParseJson(r.out);
  ASSERT_TRUE(j.ok()) << j.status() << r.out;
  EXPECT_EQ((*j)["schema"].text, "restree.demo/1");
  const std::string text = Restree({"demo"}).out;
  const JsonValue& res = (*j)["resources"];
  ASSERT_EQ(res.items.size(),
            static_cast<size_t>(std::count(text.begin(), text.end(), '\n')));
  bool found = false;
  for (const JsonValue& e : res.items) {
    if (e["name"].text != "region0") continue;
    found = true;
    EXPECT_EQ(e["start"].text, "0x1200000000");
    EXPECT_EQ(e["size"].text, "8589934592");
    EXPECT_EQ(e["depth"].text, "1");
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(Restree({"demo", "--json", "--explain"}).rc, 2);
}

// ---------------------------------------------------------------------------
// which, --version, short options

TEST(WhichCommandTest, DeepestResourceUnderItsAncestors) {
  const std::string cxl = Sample(kCxl1);
  RunResult r = Restree({"which", "fe810084", cxl});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrCat("0xfe810084 in ", cxl,
                                ":\n"
                                "fe800000-fe9fffff     2M  PCI Bus 0000:0c  "
                                "[line 26]\n"
                                "  fe800000-fe9fffff     2M  PCI Bus 0000:0d  "
                                "[line 27]\n"
                                "    fe810000-fe810fff     4K  0000:0d:00.0  "
                                "[line 30]\n"
                                "      fe810080-fe810087     8B  "
                                "0000:0d:00.0  [line 31]\n"));
  // In no resource: exit 1, as grep.
  r = Restree({"which", "0x50000000000", cxl});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.out,
            absl::StrCat("0x50000000000 is in no resource of ", cxl, "\n"));
  r = Restree({"which", "0xzz", cxl});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, StartsWith("restree which: ADDR '0xzz' is not a hex "
                                "address"));
  EXPECT_EQ(Restree({"which"}).rc, 2);
  r = Restree({"which", "0x1000",
               Sample("mailinglist_nonroot-zeroed-"
                      "addresses_x86-laptop.txt")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("every address is 0"));
}

// With the CEDT: the window, the host bridge and the interleave target, as
// cedt --hpa finds them.
TEST(WhichCommandTest, WithTheCedtNamesTheCxlTarget) {
  const std::string cxl = Sample(kCxl1);
  const std::string cedt = "cfmws/testdata/qemu72-cxl1.CEDT.bin";
  RunResult r = Restree({"which", "0x390000100", cxl, "--cedt", cedt});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("390000000-48fffffff     4G  CXL Window 0  "
                               "[line 44]\n"));
  EXPECT_THAT(r.out, HasSubstr("position 0 -> host bridge UID 0xC (CHBS, "
                               "subtable 0), offset 0x100 in its share\n"));
  r = Restree({"which", "-j", "0x390000100", cxl, "--cedt", cedt});
  ASSERT_EQ(r.rc, 0) << r.err;
  absl::StatusOr<JsonValue> j = ParseJson(r.out);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["schema"].text, "restree.which/1");
  EXPECT_EQ((*j)["address"].text, "0x390000100");
  ASSERT_EQ((*j)["resources"].items.size(), 1u);
  EXPECT_EQ((*j)["resources"][0]["name"].text, "CXL Window 0");
  EXPECT_EQ((*j)["resources"][0]["line"].text, "44");
  EXPECT_EQ((*j)["cedt"]["windows"][0]["target_uid"].text, "12");
  EXPECT_EQ((*j)["cedt"]["windows"][0]["target_offset"].text, "256");
  EXPECT_EQ(Restree({"which", "1", cxl, "--cedt", "/nonexistent"}).rc, 2);
  // iasl's disassembly instead of the binary table: the same hint as cedt's.
  r = Restree({"which", "0x390000100", cxl, "--cedt",
               "cfmws/testdata/qemu72-cxl1.CEDT.dsl"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("qemu72-cxl1.CEDT.dsl: this is text, not the "
                               "binary CEDT (iasl or acpidump output?)"));
  EXPECT_THAT(r.err, HasSubstr("`acpidump -n CEDT -b`"));
}

TEST(CliTest, VersionAndShortJson) {
  for (const char* v : {"--version", "-V"}) {
    const RunResult r = Restree({v});
    EXPECT_EQ(r.rc, 0) << v;
    EXPECT_EQ(r.out, absl::StrCat("restree ", cli::kVersion, "\n")) << v;
  }
  const std::string cxl = Sample(kCxl1);
  EXPECT_EQ(Restree({"show", "-j", cxl}).out,
            Restree({"show", "--json", cxl}).out);
  EXPECT_EQ(Restree({"check", "-j", cxl}).out,
            Restree({"check", "--json", cxl}).out);
  EXPECT_EQ(Restree({"demo", "-j"}).out, Restree({"demo", "--json"}).out);
  // -j only where --json is an option.
  const RunResult r = Restree({"apply", "-x"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown option '-x'"));
}

// Bytes from the input never reach a terminal raw: control characters and
// malformed UTF-8 are escaped in messages, and in the output when it is a
// terminal; diff's own colours still pass.
TEST(CliTest, InputBytesNeverReachATerminalRaw) {
  const std::string evil = TempFile("evil.txt",
                                    "00000000-00000fff : \x1b]0;owned\x07name\n"
                                    "00001000-00001fff : caf\xc3\xa9 \x9b"
                                    "2J\n");
  std::ostringstream out, err;
  ASSERT_EQ(cli::Main({"show", evil}, out, err, /*out_is_terminal=*/true), 0)
      << err.str();
  EXPECT_THAT(out.str(), HasSubstr("  \\x1b]0;owned\\x07name\n"));
  EXPECT_THAT(out.str(), HasSubstr("  caf\xc3\xa9 \\x9b2J\n"));
  for (char c : out.str()) {
    EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int{c};
  }
  // Not a terminal: the bytes as they are (for pipes and files).
  EXPECT_THAT(Restree({"show", evil}).out, HasSubstr("\x1b]0;owned\x07name"));
  // Messages are escaped wherever they go.
  const RunResult r = Restree({"which", "\x1b[2J", evil});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err,
            "restree which: ADDR '\\x1b[2J' is not a hex address "
            "(e.g. 0x390000000 or 390000000, as /proc/iomem prints "
            "it)\n");
  std::ostringstream cout, cerr;
  const std::string a = Sample("qemu72-linux61-nocxl-iomem.txt");
  const std::string b = Sample("qemu72-linux61-nocxl-iomem-after-hotplug.txt");
  EXPECT_EQ(cli::Main({"diff", "--color", "always", a, b}, cout, cerr,
                      /*out_is_terminal=*/true),
            1);
  EXPECT_THAT(cout.str(), HasSubstr("\033[32m+ 100000000-10fffffff"));
}

}  // namespace
}  // namespace restree
