// `restree apply`: the committed scenario scripts (tests/scenarios/), real
// Linux 6.1 hotplug sequences replayed byte for byte against the captures
// taken after every step, and the command's errors and output forms.

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli.h"

namespace restree {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kSamples[] = "iomem_parser/testdata/";

struct CliRun {
  int rc;
  std::string out;
  std::string err;
};

CliRun Apply(std::vector<std::string> args) {
  args.insert(args.begin(), "apply");
  std::ostringstream out, err;
  const int rc = cli::Main(args, out, err, false);
  return {rc, out.str(), err.str()};
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Sample(const std::string& name) { return kSamples + name; }

std::string WriteTemp(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// --- Real kernels, byte for byte ---------------------------------------------

TEST(CmdApplyTest, PcDimmSequenceMatchesEveryLinux61Capture) {
  const std::string base = Sample("qemu72-linux61-nocxl-iomem.txt");
  const std::string add1 = "memory add 0x100000000 size=256M\n";
  const std::string add2 = "memory add 0x110000000 size=512M\n";
  const std::string unplug =
      "memory offline 0x100000000 size=256M\n"
      "memory remove 0x100000000 size=256M\n";
  CliRun r = Apply({WriteTemp("s1", add1), "--base", base});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            Read(Sample("qemu72-linux61-nocxl-iomem-after-hotplug.txt")));
  r = Apply({WriteTemp("s2", add1 + add2), "--base", base});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            Read(Sample("qemu72-linux61-nocxl-iomem-after-hotplug2.txt")));
  r = Apply({WriteTemp("s3", add1 + add2 + unplug), "--base", base});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, Read(Sample("qemu72-linux61-nocxl-iomem-after-unplug.txt")));
}

TEST(CmdApplyTest, PcDimmScenarioScript) {
  CliRun r = Apply({"tests/scenarios/pcdimm-hotplug-61.events", "--base",
                    Sample("qemu72-linux61-nocxl-iomem.txt")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, Read(Sample("qemu72-linux61-nocxl-iomem-after-unplug.txt")));
  EXPECT_THAT(r.err, HasSubstr("memory remove 0x100000000 size=256M: failed "
                               "as expected (EBUSY)"));
}

TEST(CmdApplyTest, LegacyPmemToKmemMatchesTheLinux61Capture) {
  CliRun r = Apply({"tests/scenarios/legacy-pmem-kmem-61.events", "--base",
                    Sample("qemu72-linux61-legacy-pmem-iomem.txt")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, Read(Sample("qemu72-linux61-legacy-pmem-kmem.txt")));
}

// --- Every committed scenario runs clean -------------------------------------

TEST(CmdApplyTest, EveryScenarioScriptHoldsItsAsserts) {
  for (const char* name : {"cxl-chunked-window-612", "cxl-region-errors-61",
                           "soft-reserved-reparent", "pcdimm-errors"}) {
    CliRun r = Apply({std::string("tests/scenarios/") + name + ".events"});
    EXPECT_EQ(r.rc, 0) << name << "\n" << r.err;
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("FAILED"))) << name;
  }
}

TEST(CmdApplyTest, ChunkedWindowEndsShrunkToItsRegion) {
  CliRun r = Apply({"tests/scenarios/cxl-chunked-window-612.events"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "1080000000-108fffffff : CXL Window 0\n"
            "  1080000000-108fffffff : region1\n");
}

// --- Failures
// ------------------------------------------------------------------

TEST(CmdApplyTest, UnexpectedFailureStopsTheRunWithExit1) {
  CliRun r = Apply({WriteTemp("fail",
                              "memory add 0x100000000 size=256M\n"
                              "memory add 0x100000000 size=256M\n"
                              "memory add 0x200000000 size=256M\n")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.err, HasSubstr(":2: memory add 0x100000000 size=256M: FAILED "
                               "(EEXIST)"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr(":3:")));
  // The tree is as the first event left it.
  EXPECT_EQ(r.out, "100000000-10fffffff : System RAM\n");
}

TEST(CmdApplyTest, ExpectedErrorThatDoesNotHappenIsAFailure) {
  CliRun r = Apply({WriteTemp("noerr",
                              "expect error EBUSY\n"
                              "memory add 0x100000000 size=256M\n")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.err, HasSubstr("succeeded, but EBUSY was expected"));
}

TEST(CmdApplyTest, WrongErrnoIsAFailure) {
  CliRun r = Apply({WriteTemp("wrongerr",
                              "expect error EBUSY\n"
                              "memory add 0x100000000 size=100M\n")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.err, HasSubstr("failed with EINVAL, not EBUSY"));
}

TEST(CmdApplyTest, AssertFailureIsExit1) {
  CliRun r = Apply({WriteTemp("assert",
                              "memory add 0x100000000 size=256M\n"
                              "assert count \"System RAM\" 2\n")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_THAT(r.err, HasSubstr("ASSERT FAILED: 1 resources are named"));
}

TEST(CmdApplyTest, SyntaxErrorAppliesNothingAndNamesThePlace) {
  const std::string path = WriteTemp("syntax",
                                     "memory add 0x100000000 size=256M\n"
                                     "memory add 0x200000000 size=lots\n");
  CliRun r = Apply({path});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, StartsWith(path + ":2:"));
  EXPECT_EQ(r.out, "");
}

TEST(CmdApplyTest, ConfigAfterAnEventIsAnError) {
  const std::string path = WriteTemp("config",
                                     "memory add 0x100000000 size=256M\n"
                                     "config block-size=256M\n");
  CliRun r = Apply({path});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":2:1: config must come before"));
}

TEST(CmdApplyTest, UsageErrors) {
  EXPECT_EQ(Apply({}).rc, 2);
  EXPECT_EQ(Apply({"a", "b"}).rc, 2);
  EXPECT_EQ(Apply({"/nonexistent/script"}).rc, 2);
  CliRun r = Apply({WriteTemp("ok", "memory add 0x100000000 size=256M\n"),
                    "--render", "svg"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("--render takes iomem or json"));
  r = Apply({WriteTemp("ok2", "memory add 0x100000000 size=256M\n"),
             "--profile", "linux-9.9"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown kernel profile"));
}

// --- Output forms
// ----------------------------------------------------------------

TEST(CmdApplyTest, TraceShowsEachEventsChange) {
  CliRun r = Apply({WriteTemp("trace",
                              "memory add 0x100000000 size=256M\n"
                              "memory add 0x200000000 size=256M\n"),
                    "--trace"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr(":1: memory add 0x100000000 size=256M: ok\n"
                               "--- old: before\n"));
  EXPECT_THAT(r.err, HasSubstr("+ 100000000-10fffffff  System RAM  [new:1]"));
  EXPECT_THAT(r.err, HasSubstr("System RAM: 256M -> 512M (+256M)"));
  EXPECT_THAT(r.err, HasSubstr("+ 200000000-20fffffff  System RAM  [new:2]"));
}

TEST(CmdApplyTest, MapWritesOneFramePerEvent) {
  const std::string script =
      WriteTemp("seq",
                "window add 0 base=0x1000000000 size=4G\n"
                "region create window=0 size=256M mode=pmem\n"
                "assert parent region0 \"Persistent Memory\"\n"
                "expect error ENOENT\n"
                "region destroy region7\n");
  const std::string page = WriteTemp("seq.html", "");
  CliRun r = Apply({script, "--map", page});
  ASSERT_EQ(r.rc, 0) << r.err;
  std::ifstream in(page);
  const std::string html((std::istreambuf_iterator<char>(in)), {});
  // Before, window add, region create, the failed destroy (no assert or
  // expect frame).
  EXPECT_THAT(html, HasSubstr("id=\"frame\" min=\"0\" max=\"3\""));
  EXPECT_THAT(html, HasSubstr("\"caption\":\"before the first event\""));
  EXPECT_THAT(html, HasSubstr("line 2: region create window=0 size=256M "
                              "mode=pmem: ok: region0"));
  EXPECT_THAT(html, HasSubstr("region destroy region7: failed as expected"));
  EXPECT_THAT(html, Not(HasSubstr("\"caption\":\"line 3")));
  // Only HTML.
  r = Apply({script, "--map", WriteTemp("seq.svg", "")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("--map writes an HTML page"));
}

TEST(CmdApplyTest, TiersFollowTheNodes) {
  const std::string script =
      WriteTemp("tiers",
                "memory add 0x100000000 size=1G\n"
                "window add 0 base=0x1050000000 size=4G\n"
                "region create window=0 size=512M mode=ram\n"
                "dax create region=region0\n"
                "kmem online dax0.0 node=1\n");
  CliRun r = Apply({script, "--profile", "linux-6.12", "--tiers"});
  ASSERT_EQ(r.rc, 0) << r.err;
  // The tiers go to standard error, after the event that changed them; the
  // final tree alone goes to standard output.
  EXPECT_THAT(r.err, HasSubstr("size=1G: ok\n  nodes: 0 (boot DRAM, 1G, cpu)\n"
                               "  tiers: memory_tier4 (512-639) 0\n"));
  EXPECT_THAT(r.err, HasSubstr("mode=ram: ok: region0\n"));
  EXPECT_THAT(r.err, Not(HasSubstr("region0\n  nodes")));  // no change
  EXPECT_THAT(r.err, HasSubstr("node=1: ok"));
  EXPECT_THAT(r.err, HasSubstr("  demotion: 0 -> 1 (preferred 1)\n"
                               "  promotion (proposal): 1 -> 0\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("tiers")));
  // In JSON, a `tiers` field on the events that changed the nodes.
  r = Apply({script, "--profile", "linux-6.12", "--tiers", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"tiers\": \"  nodes: 0 (boot DRAM, 1G, cpu) "
                               "1 (dax/kmem, 512M)\\n"));
  // --perf without --tiers, and an attribute error naming its place.
  r = Apply({script, "--perf", script});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("--perf needs --tiers"));
  const std::string bad = WriteTemp("bad.attrs", "node 0 colour=red\n");
  r = Apply({script, "--tiers", "--perf", bad});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("tiers: error: " + bad + ":1:"));
}

TEST(CmdApplyTest, JsonHasTheSchemaEveryEventAndTheTree) {
  CliRun r = Apply({WriteTemp("json",
                              "expect error EINVAL\n"
                              "memory add 0x100000000 size=100M\n"
                              "memory add 0x100000000 size=256M\n"),
                    "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("{\n  \"schema\": \"restree.apply/1\",\n"));
  EXPECT_THAT(r.out, HasSubstr("\"outcome\": \"failed as expected\",\n"
                               "      \"errno\": 22,\n"
                               "      \"errno_name\": \"EINVAL\""));
  EXPECT_THAT(r.out, HasSubstr("\"iomem\": \"100000000-10fffffff : System "
                               "RAM\\n\"\n}\n"));
}

}  // namespace
}  // namespace restree
