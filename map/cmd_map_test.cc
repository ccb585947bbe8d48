// `restree map` through the command framework, in-process.

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "map/mini_xml.h"
#include "tools/cli.h"

namespace restree {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Result {
  int status;
  std::string out;
  std::string err;
};

Result RunRestree(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int status = cli::Main(args, out, err, false);
  return {status, out.str(), err.str()};
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

constexpr char kSample[] =
    "iomem_parser/testdata/qemu72-linux61-cxl1-iomem.txt";

std::string TmpPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(CmdMapTest, WritesSvgByExtension) {
  const std::string path = TmpPath("m.svg");
  const Result r = RunRestree({"map", kSample, "-o", path});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string svg = ReadAll(path);
  absl::StatusOr<std::vector<test_support::XmlElement>> els =
      test_support::ParseXml(svg);
  ASSERT_TRUE(els.ok()) << els.status();
  EXPECT_EQ((*els)[0].tag, "svg");
  EXPECT_THAT(svg, HasSubstr("CXL Window 0"));
  EXPECT_THAT(svg, HasSubstr("qemu72-linux61-cxl1-iomem.txt</title>"));
}

TEST(CmdMapTest, WritesHtmlByExtensionWithTitle) {
  const std::string path = TmpPath("m.html");
  const Result r =
      RunRestree({"map", kSample, "--title", "a <b>", "-o" + path});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string html = ReadAll(path);
  EXPECT_THAT(html, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<title>restree map: a &lt;b&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("\"count\":46"));
}

TEST(CmdMapTest, DashWritesSvgToStdout) {
  const Result r = RunRestree({"map", kSample, "--output=-"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("<?xml"));
}

TEST(CmdMapTest, UsageErrors) {
  Result r = RunRestree({"map", kSample});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "restree map: -o OUT.svg or -o OUT.html is required\n");
  r = RunRestree({"map", kSample, "-o", "out.png"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot tell the format of 'out.png'"));
  r = RunRestree({"map", kSample, kSample, "-o", "x.svg"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("at most one file"));
  r = RunRestree({"map", "no/such/file", "-o", TmpPath("x.svg")});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("no/such/file"));
  r = RunRestree({"map", kSample, "-o", "/no/such/dir/x.svg"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot write '/no/such/dir/x.svg'"));
}

TEST(CmdMapTest, DiffDrawsBothDumpsWithTheChangesMarked) {
  const std::string before = TmpPath("before.txt");
  std::ofstream(before) << "00000000-3fffffff : System RAM\n"
                           "100000000-13fffffff : System RAM\n";
  const std::string after = TmpPath("after.txt");
  std::ofstream(after) << "00000000-3fffffff : System RAM\n"
                          "200000000-23fffffff : System RAM\n";
  const Result r = RunRestree({"map", "--diff", before, after, "-o", "-"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("data-panel=\"before\" data-first=\"0x100000000\""));
  EXPECT_THAT(r.out, HasSubstr("k-ram chg-removed"));
  EXPECT_THAT(r.out, HasSubstr("k-ram chg-added"));
  EXPECT_THAT(r.out, HasSubstr(before + " \u2192 " + after));
  const std::string html = TmpPath("diff.html");
  ASSERT_EQ(RunRestree({"map", "--diff", before, after, "-o", html}).status, 0);
  std::ifstream in(html);
  const std::string page((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(page, HasSubstr("\"diff\":true,\"marks\":true"));
  EXPECT_THAT(page, HasSubstr("\"afterRow\":2"));
  // Usage: two files, not one; not both from standard input.
  Result bad = RunRestree({"map", "--diff", before, "-o", "-"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("--diff takes two files"));
  bad = RunRestree({"map", "--diff", "-", "-", "-o", "-"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("only one of the two can be -"));
  bad = RunRestree({"map", "--diff", before, "no/such", "-o", "-"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("no/such"));
}

TEST(CmdMapTest, MalformedInputNamesThePlace) {
  const std::string in = TmpPath("bad.txt");
  std::ofstream(in) << "00000000-00000fff : A\nzzzz\n";
  const Result r = RunRestree({"map", in, "-o", TmpPath("bad.svg")});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.txt:2:"));
}

TEST(CmdMapTest, Help) {
  const Result r = RunRestree({"map", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.out, StartsWith("usage: restree map"));
}

}  // namespace
}  // namespace restree
