// `restree numa` run in-process through the CLI framework.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli.h"

namespace restree {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct Result {
  int rc;
  std::string out;
  std::string err;
};

Result Numa(std::vector<std::string> args) {
  args.insert(args.begin(), "numa");
  std::ostringstream out;
  std::ostringstream err;
  const int rc = cli::Main(args, out, err, false);
  return {rc, out.str(), err.str()};
}

const std::string kData = "numa/testdata/";

TEST(CmdNumaTest, SeedFromNumactlAndAttributes) {
  const Result r = Numa(
      {"--numactl", kData + "seed_a.numactl", "--perf", kData + "seed.attrs"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.err, IsEmpty());
  // CXL: 576 * (250 + 250) / (100 + 100) = 1440; 1440 * 80000 / 20000 =
  // 5760; 5760 >> 7 = 45.
  EXPECT_THAT(r.out, HasSubstr("memory_tier4  512-639   0-1   2-3\n"));
  EXPECT_THAT(r.out, HasSubstr("memory_tier45 5760-5887 2-3   -\n"));
  // Demotion 0 -> 2 and 1 -> 3; promotion 2 -> 0 and 3 -> 1.
  EXPECT_THAT(r.out, HasSubstr("  0    2    2         2-3\n"));
  EXPECT_THAT(r.out, HasSubstr("  1    3    3         2-3\n"));
  EXPECT_THAT(r.out, HasSubstr("  2    0    0          distance\n"));
  EXPECT_THAT(r.out, HasSubstr("  3    1    1          distance\n"));
  // Form A: node 0 falls back to its CXL node (20, no CPUs) before node 1
  // (20 + 1 for its CPUs).
  EXPECT_THAT(r.out, HasSubstr("node 0: 0 2 1 3\n"));
  EXPECT_THAT(r.out, HasSubstr("[kmem-zone-normal] node 3:"));
  EXPECT_THAT(r.out, HasSubstr("[no-gigantic-pages] node 2:"));
  EXPECT_THAT(r.out, HasSubstr("[demotion-ignores-cpuset]"));
}

TEST(CmdNumaTest, SysrootJson) {
  const Result r = Numa({"--sysroot", kData + "sysroot_seed", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"demotion\":{\"next\":2,\"preferred\":[2]"));
  EXPECT_THAT(r.out, HasSubstr("\"promotion\":{\"next\":1,\"candidates\":[1],"
                               "\"rule\":\"distance\"}"));
  EXPECT_THAT(r.out, HasSubstr("\"top_tier_adistance\": 639"));
  // The sysroot's memory_tiering/ agrees with the model: no difference.
  EXPECT_THAT(r.out, Not(HasSubstr("kernel-tiers-differ")));
  EXPECT_EQ(r.out.back(), '\n');
}

TEST(CmdNumaTest, WithoutAttributesCpuLessNodesAreDram) {
  // Without source=kmem or performance, numactl's CPU-less nodes are tiered
  // as DRAM (576): one tier, and the output says why.
  const Result r = Numa({"--numactl", kData + "seed_b.numactl"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("memory_tier4 512-639   0-3   -\n"));
  EXPECT_THAT(r.out, HasSubstr("[assumed-dram] node 2"));
}

TEST(CmdNumaTest, WhatIfDistancesAreTieredAsGivenWithAWarning) {
  // Node 0's distance to itself is 16: Linux would refuse the table, restree
  // tiers it as given and says what Linux would do.
  const Result r = Numa({"--numactl", kData + "whatif_local16.numactl"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  0    16 16 32 48\n"));
  EXPECT_THAT(r.out, HasSubstr("[what-if-distances] what-if distance table, "
                               "tiered as given: 0->0 = 16 (not 10)"));
  EXPECT_THAT(r.out, HasSubstr("slit_valid() and is ignored whole"));
  // Node 2 is nearer node 0 (32) than node 3 (48).
  EXPECT_THAT(r.out, HasSubstr("node 0: 0 1 2 3\n"));

  // --as-linux: the kernel's defaults, no what-if warning.
  const Result l =
      Numa({"--numactl", kData + "whatif_local16.numactl", "--as-linux"});
  ASSERT_EQ(l.rc, 0) << l.err;
  EXPECT_THAT(l.out, HasSubstr("  0    10 20 20 20\n"));
  EXPECT_THAT(l.out, Not(HasSubstr("what-if-distances")));
  // A table Linux accepts is not touched by --as-linux.
  const Result v = Numa({"--numactl", kData + "seed_b.numactl", "--as-linux"});
  ASSERT_EQ(v.rc, 0) << v.err;
  EXPECT_THAT(v.out, HasSubstr("  0    10 16 32 48\n"));
}

TEST(CmdNumaTest, KernelTierDifferencesAreReported) {
  // The same sysroot, but its kernel shows the CXL nodes in memory_tier22
  // (what dax/kmem's default gives when no performance data reached it).
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::filesystem::path root =
      std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "sysroot_tiers";
  std::filesystem::remove_all(root);
  std::filesystem::copy(kData + "sysroot_seed", root,
                        std::filesystem::copy_options::recursive);
  const std::filesystem::path tiers =
      root / "sys/devices/virtual/memory_tiering";
  std::filesystem::rename(tiers / "memory_tier45", tiers / "memory_tier22");
  const Result r = Numa({"--sysroot", root.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("[kernel-tiers-differ] the kernel shows memory_tier22 "
                        "= 2-3; restree computes no such tier\n"));
  EXPECT_THAT(r.out, HasSubstr("[kernel-tiers-differ] restree computes "
                               "memory_tier45 = 2-3; the kernel shows no such "
                               "tier\n"));
}

TEST(CmdNumaTest, SlitWithDot) {
  const Result r = Numa({"--slit", kData + "seed_b.slit", "--perf",
                         kData + "seed.attrs", "--dot"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("digraph numa {"));
  EXPECT_THAT(r.out, HasSubstr("n0 -> n2 [color=blue, label=\"demote\"];"));
  EXPECT_THAT(r.out, HasSubstr("n3 -> n1 [color=red, label=\"promote\"];"));
  EXPECT_THAT(r.out, HasSubstr("subgraph cluster_memory_tier45"));
}

TEST(CmdNumaTest, UsageAndInputErrors) {
  const struct {
    std::vector<std::string> args;
    std::string error;
  } kCases[] = {
      {{"--numactl", "a", "--slit", "b"},
       "restree numa: give at most one of --sysroot, --numactl, --slit\n"},
      {{"--bogus"}, "restree numa: unknown option '--bogus'\n"},
      {{"--numactl"}, "restree numa: option '--numactl' needs a value\n"},
      {{"--numactl", "x", "extra"},
       "restree numa: unexpected argument 'extra'\n"},
      {{"--numactl", kData + "seed_a.numactl", "--json", "--dot"},
       "--json and --dot exclude each other"},
      {{"--numactl", kData + "missing"}, "missing: cannot open"},
      {{"--slit", kData + "seed_a.numactl"}, "byte 0: signature"},
      {{"--numactl", kData + "seed_b.slit"}, "seed_b.slit:1:1: unrecognised"},
      {{"--sysroot", kData + "missing"}, "not a directory"},
      {{"--numactl", "numa/testdata"}, "numa/testdata: is a directory"},
      {{"--slit", "/dev/zero"}, "/dev/zero: larger than 16777216 bytes"},
      {{"--numactl", kData + "seed_a.numactl", "--perf",
        kData + "seed_a.numactl"},
       "seed_a.numactl:1:1: unknown statement 'available:'"},
  };
  for (const auto& c : kCases) {
    const Result r = Numa(c.args);
    EXPECT_EQ(r.rc, 2) << c.error;
    EXPECT_THAT(r.out, IsEmpty()) << c.error;
    EXPECT_THAT(r.err, HasSubstr(c.error));
    // One line on stderr.
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_THAT(r.err, ::testing::StartsWith("restree numa: "));
  }
}

// No input reads the live machine, as restree show reads /proc/iomem:
// the same answer as --sysroot / (whatever this machine's /sys holds).
TEST(CmdNumaTest, NoInputReadsTheLiveMachine) {
  const Result live = Numa({});
  const Result root = Numa({"--sysroot", "/"});
  EXPECT_EQ(live.rc, root.rc);
  EXPECT_EQ(live.out, root.out);
  EXPECT_EQ(live.err, root.err);
  EXPECT_THAT(live.err, Not(HasSubstr("give")));
}

// More nodes than MAX_NUMNODES: the message names the limit.
TEST(CmdNumaTest, TooManyNodesNamesTheLimit) {
  std::string text = "available: 1025 nodes (0-1024)\n";
  for (int i = 0; i < 1025; ++i) {
    absl::StrAppend(&text, "node ", i, " cpus:\nnode ", i, " size: 0 MB\nnode ",
                    i, " free: 0 MB\n");
  }
  const std::string path = ::testing::TempDir() + "/n1025.numactl";
  std::ofstream(path) << text;
  const Result r = Numa({"--numactl", path});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr(":1:12: 1025 nodes: more than the kernel's "
                               "MAX_NUMNODES of 1024"));
}

TEST(CmdNumaTest, Help) {
  const Result r = Numa({"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, HasSubstr("usage: restree numa"));
}

}  // namespace
}  // namespace restree
