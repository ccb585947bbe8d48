#include "hotplug/tiers.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hotplug/apply.h"
#include "hotplug/parse.h"
#include "numa/topology.h"
#include "tests/status_matchers.h"

namespace restree {
namespace hotplug {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A window, then boot-type DRAM on node 0 (an ACPI hot-add, which the
// machine onlines at once, as Debian's auto-online does), then a CXL ram
// region onlined by kmem on node 1, then offlined.
constexpr char kScript[] =
    "config profile=linux-6.12 block-size=128M\n"
    "window add 0 base=0x1050000000 size=4G\n"
    "memory add 0x100000000 size=1G node=0\n"
    "memory online 0x100000000 size=1G\n"
    "region create window=0 size=512M mode=ram\n"
    "dax create region=region0\n"
    "kmem online dax0.0 node=1 zone=movable\n"
    "kmem offline dax0.0\n";

std::vector<std::string> Annotations(const std::string& attrs) {
  absl::StatusOr<Script> script = ParseScript(kScript, "t.events");
  EXPECT_TRUE(script.ok()) << script.status();
  TierWatcher watcher(attrs, "attrs");
  ApplyOptions options;
  options.after_event = [&watcher](const Machine& m) {
    absl::StatusOr<std::string> s = watcher.After(m);
    return s.ok() ? *s
                  : std::string("error: ") + std::string(s.status().message());
  };
  absl::StatusOr<ApplyRun> run = ApplyScript(*script, options);
  EXPECT_TRUE(run.ok()) << run.status();
  std::vector<std::string> out;
  if (!run.ok()) return out;
  EXPECT_TRUE(run->ok);
  for (const EventResult& r : run->results) out.push_back(r.annotation);
  return out;
}

TEST(TierWatcherTest, ReportsWhenTheNodesChange) {
  const std::vector<std::string> a = Annotations("");
  ASSERT_EQ(a.size(), 7u);
  // First call: always a summary; no memory yet.
  EXPECT_THAT(a[0], HasSubstr("nodes: 0 (no memory, cpu)\n"));
  EXPECT_THAT(a[0], HasSubstr("tiers: none\n"));
  // The hot-added memory: node 0 is boot DRAM in memory_tier4 (576).
  EXPECT_THAT(a[1], HasSubstr("nodes: 0 (boot DRAM, 1G, cpu)\n"));
  EXPECT_THAT(a[1], HasSubstr("tiers: memory_tier4 (512-639) 0\n"));
  // online (already online), region, dax: no node changes.
  EXPECT_THAT(a[2], IsEmpty());
  EXPECT_THAT(a[3], IsEmpty());
  EXPECT_THAT(a[4], IsEmpty());
  // kmem on node 1: a lower tier at the kmem default (2880 -> tier 22),
  // node 0 demotes to it and the proposal promotes back.
  EXPECT_THAT(a[5], HasSubstr("0 (boot DRAM, 1G, cpu) 1 (dax/kmem, 512M)\n"));
  EXPECT_THAT(a[5], HasSubstr("memory_tier4 (512-639) 0 | memory_tier22 "
                              "(2816-2943) 1\n"));
  EXPECT_THAT(a[5], HasSubstr("demotion: 0 -> 1 (preferred 1)\n"));
  EXPECT_THAT(a[5], HasSubstr("promotion (proposal): 1 -> 0\n"));
  // Offline: node 1 stays, without memory.
  EXPECT_THAT(a[6], HasSubstr("1 (no memory)\n"));
  EXPECT_THAT(a[6], HasSubstr("demotion: none\n"));
}

TEST(TierWatcherTest, AttributesApply) {
  // Performance for node 1 close to DRAM would need a DRAM reference; an
  // error in the attribute text is reported with its place.
  const std::vector<std::string> a = Annotations("node 1 bogus=1\n");
  ASSERT_FALSE(a.empty());
  EXPECT_THAT(a[0], HasSubstr("error: attrs:1:"));
}

TEST(MachineTopologyTest, KmemOnlyNodesAreDaxKmem) {
  absl::StatusOr<Script> script = ParseScript(kScript, "t.events");
  ASSERT_TRUE(script.ok());
  // Stop before the offline.
  script->events.pop_back();
  ASSERT_OK_AND_ASSIGN(ApplyRun run, ApplyScript(*script));
  ASSERT_OK_AND_ASSIGN(numa::Topology t, MachineTopology(run.machine, "", ""));
  EXPECT_EQ(t.node(0).source, numa::MemorySource::kBoot);
  EXPECT_EQ(t.node(1).source, numa::MemorySource::kDaxKmem);
  EXPECT_EQ(t.node(1).memory_bytes, uint64_t{512} << 20);
  ASSERT_EQ(t.node(1).ranges.size(), 1u);
  EXPECT_EQ(t.node(1).ranges[0].zone, numa::Zone::kMovable);
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
}

}  // namespace
}  // namespace hotplug
}  // namespace restree
