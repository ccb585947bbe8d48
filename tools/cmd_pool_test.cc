// `restree pool`: the article's two modes (appliance/testdata/*.pool) end to
// end, the JSON and SVG outputs, and the command's errors.

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/json_value.h"
#include "tools/cli.h"

namespace restree {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct CliRun {
  int rc;
  std::string out;
  std::string err;
};

CliRun Pool(std::vector<std::string> args) {
  args.insert(args.begin(), "pool");
  std::ostringstream out, err;
  const int rc = cli::Main(args, out, err, false);
  return {rc, out.str(), err.str()};
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

constexpr char kPooled[] = "appliance/testdata/pooled.pool";
constexpr char kShared[] = "appliance/testdata/shared.pool";
constexpr char kDcd[] = "appliance/testdata/dcd.pool";

TEST(CmdPoolTest, DcdStory) {
  const CliRun r = Pool({kDcd});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, HasSubstr("realize=dcd, linux-7.1;"));
  // a's third grant after b's revoke: chunks 4-5 and 8-9, two extents.
  EXPECT_THAT(r.out, HasSubstr("a: hotplug: extent add region=region0 "
                               "tag=grant4 extents=4G:2G,8G:2G: 2 extents "
                               "(grant 4)\n"));
  EXPECT_THAT(r.out, HasSubstr("a: done: grant 4 online: 4G after 5 events"));
  EXPECT_THAT(r.out, HasSubstr("a: hotplug: extent release region=region0 "
                               "tag=grant4: grant 4's 4 chunks back to the "
                               "appliance\n"));
  // No extent in a host's /proc/iomem: one region, its dax devices below.
  EXPECT_THAT(r.out, Not(HasSubstr(": extent\n")));
  EXPECT_THAT(r.out, HasSubstr("  10000000000-103ffffffff : region0\n"
                               "    10000000000-100ffffffff : dax0.0\n"));
}

TEST(CmdPoolTest, PooledStory) {
  const CliRun r = Pool({kPooled});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // web is reactive with one hotplug event per tick: short for two ticks
  // while its grant goes region create, dax create, kmem online.
  EXPECT_THAT(r.out, HasSubstr("t=10 web: near-oom: demand 20G exceeds 8G "
                               "usable\n"));
  EXPECT_THAT(r.out, HasSubstr("t=12 web: done: grant 7 online: 12G after 3 "
                               "events, 2 ticks\n"));
  // batch onlined into ZONE_NORMAL: the first revoke meets unmovable pages.
  EXPECT_THAT(r.out, HasSubstr("t=20 batch: failed: revoke 8G "
                               "(appliance/testdata/pooled.pool:20): grant 4 "
                               "(dax2.0) has memory blocks with unmovable "
                               "pages (EBUSY)\n"));
  EXPECT_THAT(r.out, HasSubstr("t=25 batch: hotplug: kmem offline dax3.0\n"));
  EXPECT_THAT(r.out,
              HasSubstr("web       8G        0   12G      8G      4G       1 "
                        "      0        1       0         1       5       "
                        "3.0/3          2.0/2          2     10-11\n"));
  // Each host's final tree; batch's is the QEMU boot's plus its grants.
  EXPECT_THAT(r.out, HasSubstr("# host batch: /proc/iomem\n00000000-00000fff "
                               ": Reserved\n00001000-0009fbff : System RAM\n"));
  // The tiering of each host's final memory: the appliance's node is
  // dax/kmem, below DRAM, and batch's ZONE_NORMAL onlining is flagged.
  EXPECT_THAT(r.out, HasSubstr("# host batch: NUMA nodes and memory tiers\n"
                               "  nodes: 0 (boot DRAM, 2G, cpu) 2 (dax/kmem, "
                               "12G)\n"));
  EXPECT_THAT(r.out, HasSubstr("  warning [kmem-zone-normal]: node 2: 12 GiB "
                               "of hot-plugged (dax/kmem) memory is in "
                               "ZONE_NORMAL"));
  EXPECT_THAT(r.out, HasSubstr("10000000000-10fffffffff : CXL Window 0\n"
                               "  10000000000-100ffffffff : region0\n"
                               "    10000000000-100ffffffff : dax0.0\n"
                               "      10000000000-100ffffffff : System RAM "
                               "(kmem)\n"));
}

TEST(CmdPoolTest, SharedStoryCountsMessagesPerTrackingScheme) {
  CliRun r = Pool({kShared, "--no-iomem"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("t=0 c: request: alloc 8G "
                               "(appliance/testdata/shared.pool:9): chunks "
                               "0..7, 2 messages\n"));
  EXPECT_THAT(r.out, HasSubstr("t=14 appliance: warning: appliance free "
                               "capacity 3G is below warn=4G\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("/proc/iomem")));
  std::string text = Read(kShared);
  text.replace(text.find("tracking=appliance"), 18, "tracking=hosts");
  r = Pool({WriteTemp("hosts.pool", text), "--no-log", "--no-iomem"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("# log")));
  // Four hosts: a claim to each of 3 peers and 3 acks.
  EXPECT_THAT(r.out, HasSubstr("tracking=hosts"));
  EXPECT_THAT(r.out, HasSubstr("      6.0  "));
  EXPECT_THAT(r.out, Not(HasSubstr("      2.0  ")));
}

TEST(CmdPoolTest, JsonAndPlot) {
  const std::string svg = TempDir() + "/pooled.svg";
  const CliRun r = Pool({kPooled, "--json", "--plot", svg});
  ASSERT_EQ(r.rc, 0) << r.err;
  absl::StatusOr<test_support::JsonValue> j = test_support::ParseJson(r.out);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["schema"].text, "restree.pool/1");
  EXPECT_EQ((*j)["appliance"]["mode"].text, "pooled");
  EXPECT_EQ((*j)["appliance"]["capacity"].text, "68719476736");
  const test_support::JsonValue& web = (*j)["hosts"][1];
  EXPECT_EQ(web["name"].text, "web");
  EXPECT_EQ(web["near_oom"][0]["first"].text, "10");
  EXPECT_EQ(web["near_oom"][0]["last"].text, "11");
  EXPECT_EQ((*j)["hosts"][2]["revokes_failed"].text, "1");
  EXPECT_THAT((*j)["hosts"][0]["iomem"].text, HasSubstr("CXL Window 0"));
  EXPECT_THAT((*j)["hosts"][0]["tiers"].text, HasSubstr("1 (dax/kmem, 16G)"));
  bool ebusy = false;
  for (const test_support::JsonValue& e : (*j)["log"].items) {
    ebusy = ebusy || e["errno"].text == "EBUSY";
  }
  EXPECT_TRUE(ebusy);
  const std::string plot = Read(svg);
  EXPECT_THAT(plot, StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(plot, HasSubstr(">batch</text>"));
  EXPECT_THAT(plot, HasSubstr(">t=0</text>"));
  EXPECT_THAT(plot, HasSubstr(">t=62</text>"));
  EXPECT_THAT(plot, HasSubstr("<title>near-OOM t=10-11</title>"));
  EXPECT_THAT(plot, HasSubstr("<title>t=20 revoke 8G"));  // the failure
  EXPECT_THAT(plot, HasSubstr("<title>t=10 free memory 0 is below"));
}

TEST(CmdPoolTest, CheckingAtTheEndOnlyGivesTheSameRun) {
  const CliRun every = Pool({kPooled});
  const CliRun end = Pool({kPooled, "--check", "end"});
  ASSERT_EQ(every.rc, 0) << every.err;
  ASSERT_EQ(end.rc, 0) << end.err;
  EXPECT_EQ(end.out, every.out);
}

TEST(CmdPoolTest, Errors) {
  CliRun r = Pool({});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err,
            "restree pool: takes one scenario file (or - for "
            "standard input)\n");
  r = Pool({kPooled, "--check", "sometimes"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, "restree pool: --check takes every or end\n");
  r = Pool({TempDir() + "/absent.pool"});
  EXPECT_EQ(r.rc, 2);
  const std::string bad = WriteTemp(
      "bad.pool", "appliance capacity=8G\nhost a\nat 1 grant host=a size=3\n");
  r = Pool({bad});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.err, bad +
                       ":3:24: size must be a non-zero multiple of the "
                       "chunk size (1G)\n");
  // base= is relative to the scenario's directory.
  WriteTemp("h.iomem", "00100000-3fffffff : System RAM\n");
  r = Pool(
      {WriteTemp("rel.pool", "appliance capacity=8G\nhost a base=h.iomem\n"),
       "--no-log"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\na        1G        0"));
  const std::string missing = WriteTemp(
      "missing.pool", "appliance capacity=8G\nhost a base=nope.iomem\n");
  r = Pool({missing});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, StartsWith(missing + ":2:13: "));
  r = Pool({kPooled, "--plot", TempDir() + "/no/such/dir/x.svg"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot write the plot"));
}

}  // namespace
}  // namespace restree
