#include "appliance/pool.h"

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "appliance/scenario.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/render.h"
#include "tests/status_matchers.h"

namespace restree {
namespace appliance {
namespace {

using ::restree::test_support::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kG = uint64_t{1} << 30;

Scenario Parse(const std::string& text,
               const std::map<std::string, std::string>& files = {}) {
  FileReader read =
      [files](const std::string& f) -> absl::StatusOr<std::string> {
    auto it = files.find(f);
    if (it == files.end()) return absl::NotFoundError(f);
    return it->second;
  };
  absl::StatusOr<Scenario> sc = ParseScenario(text, "s.pool", read);
  EXPECT_THAT(sc, IsOk());
  return sc.ok() ? *std::move(sc) : Scenario();
}

Pool Build(const std::string& text) {
  absl::StatusOr<Pool> p = Pool::Create(Parse(text));
  EXPECT_THAT(p, IsOk());
  return *std::move(p);
}

Pool RunText(const std::string& text) {
  Pool p = Build(text);
  EXPECT_THAT(p.Run(), IsOk());
  return p;
}

// Steps until the tick about to run is `tick`.
void StepTo(Pool& p, uint64_t tick) {
  while (p.tick() < tick) {
    absl::StatusOr<bool> more = p.Step();
    ASSERT_THAT(more, IsOk());
    ASSERT_TRUE(*more);
  }
}

std::string ParentName(const hotplug::Machine& m, absl::string_view name) {
  absl::StatusOr<ResourceId> id = m.Find(name);
  if (!id.ok()) return "(absent)";
  return std::string(m.tree().NameOf(m.tree().ParentOf(*id)));
}

std::vector<std::string> Failures(const Pool& p) {
  std::vector<std::string> out;
  for (const LogEntry& e : p.log()) {
    if (e.kind == LogEntry::Kind::kFailed) {
      out.push_back(
          absl::StrCat("t=", e.tick, " ", e.host, " ", e.errno_value));
    }
  }
  return out;
}

TEST(PoolTest, GrantIsRegionDaxKmemOnTheHost) {
  Pool p = RunText(
      "appliance capacity=8G chunk=1G\n"
      "host a ram=4G node=3\n"
      "host b ram=4G\n"
      "at 0 grant host=a size=2G\n");
  const hotplug::Machine& a = p.machine(0);
  EXPECT_EQ(ParentName(a, "region0"), "CXL Window 0");
  EXPECT_EQ(ParentName(a, "dax0.0"), "region0");
  EXPECT_EQ(ParentName(a, "System RAM (kmem)"), "dax0.0");
  EXPECT_EQ(a.tree().RangeOf(*a.Find("region0")).size(), 2 * kG);
  // The window sits above the host's tree at 1 TiB and spans the capacity.
  const Range w = a.tree().RangeOf(*a.Find("CXL Window 0"));
  EXPECT_EQ(w.first(), uint64_t{1} << 40);
  EXPECT_EQ(w.size(), 8 * kG);
  // Its 16 blocks are online on node 3, movable.
  int onlined = 0;
  for (const auto& [b, block] : a.blocks()) {
    if (block.owner != hotplug::Machine::BlockOwner::kKmem) continue;
    ++onlined;
    EXPECT_EQ(block.node, 3);
    EXPECT_EQ(block.zone, hotplug::Machine::Zone::kMovable);
  }
  EXPECT_EQ(onlined, 16);
  // Host b saw nothing.
  EXPECT_EQ(ParentName(p.machine(1), "region0"), "(absent)");
  // The appliance: chunks 0 and 1 belong to a.
  EXPECT_THAT(std::vector<int32_t>(p.chunk_owner().begin(),
                                   p.chunk_owner().begin() + 3),
              ElementsAre(0, 0, -1));
  EXPECT_EQ(p.free_bytes(), 6 * kG);
  const HostStats& s = p.stats(0);
  EXPECT_EQ(s.local, 4 * kG);
  EXPECT_EQ(s.granted, 2 * kG);
  EXPECT_EQ(s.online, 2 * kG);
  EXPECT_EQ(s.grants_done, 1u);
  EXPECT_EQ(s.hotplug_events, 3u);
  // rate=1: three events on ticks 0, 1, 2.
  EXPECT_EQ(s.latency_events_max, 3u);
  EXPECT_EQ(s.latency_ticks_max, 2u);
  EXPECT_THAT(p.CheckInvariants(), IsEmpty());
}

TEST(PoolTest, RevokeRestoresTheHostAndTheAppliance) {
  const std::string head =
      "appliance capacity=8G chunk=1G\nhost a ram=4G rate=2\n";
  const Pool fresh = Build(head);
  Pool p = RunText(head +
                   "at 0 grant host=a size=2G\n"
                   "at 0 grant host=a size=1G\n"
                   "at 9 revoke host=a size=3G\n");
  EXPECT_EQ(p.machine(0).Render(), fresh.machine(0).Render());
  EXPECT_THAT(p.machine(0).regions(), IsEmpty());
  EXPECT_EQ(p.free_bytes(), 8 * kG);
  EXPECT_EQ(p.stats(0).granted, 0u);
  EXPECT_EQ(p.stats(0).online, 0u);
  EXPECT_EQ(p.stats(0).revokes_done, 1u);
  EXPECT_EQ(p.stats(0).hotplug_events, 6u + 4u);
  EXPECT_EQ(p.stats(0).peak_granted, 3 * kG);
}

TEST(PoolTest, RevokeTakesWholeGrantsNewestFirst) {
  Pool p = Build(
      "appliance capacity=8G chunk=1G\nhost a ram=4G rate=10\n"
      "at 0 grant host=a size=1G\n"     // region0
      "at 0 grant host=a size=2G\n"     // region1
      "at 0 grant host=a size=1G\n"     // region2
      "at 1 revoke host=a size=2G\n"    // region2 and region0
      "at 2 revoke host=a size=1G\n"    // region1 is 2G: EINVAL
      "at 3 revoke host=a size=2G\n");  // region1
  auto regions = [&p] {
    std::vector<uint32_t> out;
    for (const auto& [k, r] : p.machine(0).regions()) out.push_back(k);
    return out;
  };
  StepTo(p, 1);
  EXPECT_THAT(regions(), ElementsAre(0, 1, 2));
  StepTo(p, 2);
  // Newest first: region2 (1G) fits, region1 (2G) does not, region0 does.
  EXPECT_THAT(regions(), ElementsAre(1));
  EXPECT_EQ(p.stats(0).granted, 2 * kG);
  StepTo(p, 3);
  EXPECT_THAT(Failures(p), ElementsAre("t=2 a 22"));  // EINVAL
  EXPECT_THAT(regions(), ElementsAre(1));
  ASSERT_THAT(p.Run(), IsOk());
  EXPECT_THAT(regions(), IsEmpty());
  EXPECT_EQ(p.stats(0).revokes_done, 2u);
  EXPECT_EQ(p.stats(0).revokes_failed, 1u);
  EXPECT_EQ(p.free_bytes(), 8 * kG);
}

TEST(PoolTest, PartialRevokeGivesBackWhatItCan) {
  Pool p = RunText(
      "appliance capacity=8G chunk=1G\n"
      "host a rate=10 revoke=partial\n"
      "host b rate=10\n"
      "at 0 grant host=a size=1G\n"
      "at 0 grant host=a size=2G\n"
      "at 0 grant host=b size=1G\n"
      "at 2 revoke host=a size=4G\n"    // 3G online: partial
      "at 2 revoke host=b size=4G\n");  // 1G online: EINVAL, unchanged
  EXPECT_EQ(p.stats(0).revokes_done, 1u);
  EXPECT_EQ(p.stats(0).revokes_partial, 1u);
  EXPECT_EQ(p.stats(0).revokes_failed, 0u);
  EXPECT_EQ(p.stats(0).granted, 0u);
  EXPECT_THAT(p.machine(0).regions(), IsEmpty());
  EXPECT_EQ(p.stats(1).revokes_failed, 1u);
  EXPECT_EQ(p.stats(1).granted, kG);
  EXPECT_THAT(Failures(p), ElementsAre("t=2 b 22"));
  bool logged = false;
  for (const LogEntry& e : p.log()) {
    logged = logged || (e.host == "a" && e.kind == LogEntry::Kind::kDone &&
                        absl::StrContains(e.text,
                                          "revoke 4G (s.pool:7): "
                                          "partial, 3G in 2 grant(s)"));
  }
  EXPECT_TRUE(logged);
  // Nothing offlineable at all: a partial revoke still fails, unchanged.
  Pool q = RunText(
      "appliance capacity=8G chunk=1G\n"
      "host a zone=normal unmovable=100% rate=10 revoke=partial\n"
      "at 0 grant host=a size=2G\n"
      "at 2 revoke host=a size=2G\n");
  EXPECT_EQ(q.stats(0).revokes_failed, 1u);
  EXPECT_EQ(q.stats(0).revokes_partial, 0u);
  EXPECT_EQ(q.stats(0).granted, 2 * kG);
}

TEST(PoolTest, GrantBeyondCapacityIsRefusedAndChangesNothing) {
  Pool p = RunText(
      "appliance capacity=8G chunk=1G\nhost a\nhost b\n"
      "at 0 grant host=a size=6G\n"
      "at 0 grant host=b size=4G\n");
  EXPECT_THAT(Failures(p), ElementsAre("t=0 b 28"));  // ENOSPC
  EXPECT_THAT(p.machine(1).regions(), IsEmpty());
  EXPECT_EQ(p.stats(1).grants_failed, 1u);
  EXPECT_EQ(p.stats(1).granted, 0u);
  EXPECT_EQ(p.free_bytes(), 2 * kG);
}

TEST(PoolTest, UnmovablePagesMakeARevokeFailWithEbusyAndChangeNothing) {
  Pool p = Build(
      "appliance capacity=8G chunk=1G\n"
      "host a zone=normal unmovable=100% rate=3\n"
      "host b rate=3\n"
      "at 0 grant host=a size=2G\n"
      "at 0 grant host=b size=2G\n"
      "at 5 revoke host=a size=2G\n"
      "at 5 revoke host=b size=2G\n");
  StepTo(p, 5);
  const std::string a_before = p.machine(0).Render();
  const std::vector<int32_t> owner_before = p.chunk_owner();
  ASSERT_THAT(p.Step(), IsOk());
  // a: every block of its grant holds unmovable pages.
  EXPECT_EQ(p.machine(0).Render(), a_before);
  EXPECT_EQ(p.stats(0).revokes_failed, 1u);
  EXPECT_EQ(p.stats(0).granted, 2 * kG);
  EXPECT_EQ(p.stats(0).online, 2 * kG);
  EXPECT_THAT(Failures(p), ElementsAre("t=5 a 16"));  // EBUSY
  // Host b (movable) gave its grant back in the same tick.
  EXPECT_EQ(p.stats(1).revokes_done, 1u);
  EXPECT_THAT(p.machine(1).regions(), IsEmpty());
  for (size_t c = 0; c < owner_before.size(); ++c) {
    EXPECT_EQ(p.chunk_owner()[c], owner_before[c] == 1 ? -1 : owner_before[c])
        << c;
  }
  // The kmem blocks of a are in ZONE_NORMAL.
  for (const auto& [b, block] : p.machine(0).blocks()) {
    if (block.owner == hotplug::Machine::BlockOwner::kKmem) {
      EXPECT_EQ(block.zone, hotplug::Machine::Zone::kNormal);
    }
  }
}

TEST(PoolTest, AFailedGrantIsUndoneOnTheHost) {
  // debian-6.1 has no create_ram_region: the region create fails, the
  // chunks go back.
  const std::string head =
      "appliance capacity=8G chunk=1G profile=debian-6.1\nhost a\n";
  const Pool fresh = Build(head);
  Pool p = RunText(head + "at 0 grant host=a size=2G\n");
  EXPECT_THAT(Failures(p), ElementsAre("t=0 a 2"));  // ENOENT
  EXPECT_EQ(p.machine(0).Render(), fresh.machine(0).Render());
  EXPECT_EQ(p.free_bytes(), 8 * kG);
  EXPECT_EQ(p.stats(0).grants_failed, 1u);
  EXPECT_EQ(p.stats(0).hotplug_events, 1u);
}

TEST(PoolTest, AGrantLargerThanTheHostsWindowFailsWithErange) {
  Pool p = RunText(
      "appliance capacity=8G chunk=1G\nhost a window-size=2G rate=3\n"
      "at 0 grant host=a size=2G\n"
      "at 1 grant host=a size=1G\n");
  EXPECT_THAT(Failures(p), ElementsAre("t=1 a 34"));  // ERANGE
  EXPECT_EQ(p.stats(0).granted, 2 * kG);
  EXPECT_EQ(p.free_bytes(), 6 * kG);
  EXPECT_EQ(
      p.machine(0).tree().RangeOf(*p.machine(0).Find("CXL Window 0")).size(),
      2 * kG);
}

TEST(PoolTest, ChunkedWindowsClaimAndReturnChunks) {
  const std::string head =
      "appliance capacity=4G chunk=1G realize=chunks\nhost a rate=5\n";
  Pool p = Build(head +
                 "at 0 grant host=a size=2G\n"
                 "at 3 revoke host=a size=2G\n");
  EXPECT_EQ(p.machine(0).FindAll("CXL chunk").size(), 4u);
  StepTo(p, 1);
  EXPECT_EQ(p.machine(0).FindAll("CXL chunk").size(), 2u);
  EXPECT_EQ(ParentName(p.machine(0), "region0"), "CXL Window 0");
  ASSERT_THAT(p.Run(), IsOk());
  EXPECT_EQ(p.machine(0).FindAll("CXL chunk").size(), 4u);
}

TEST(PoolTest, DcdGrantsAreExtentGroupsInOneDcRegion) {
  // a takes chunks 0-1, b chunk 2, a chunks 3-4; after b gives chunk 2
  // back, a's grant of two chunks is two extents (chunks 2 and 5).
  Pool p = Build(
      "appliance capacity=8G chunk=1G realize=dcd\n"
      "host a rate=9\n"
      "host b rate=9\n"
      "at 0 grant host=a size=2G\n"
      "at 1 grant host=b size=1G\n"
      "at 2 grant host=a size=2G\n"
      "at 3 revoke host=b size=1G\n"
      "at 5 grant host=a size=2G\n"
      "at 9 revoke host=a size=2G\n");
  EXPECT_EQ(p.scenario().appliance.profile, "linux-7.1");
  // Every host has its DC region over the whole appliance from the start.
  const hotplug::Machine& a = p.machine(0);
  ASSERT_EQ(a.regions().size(), 1u);
  EXPECT_EQ(a.regions().at(0).mode, hotplug::Machine::RegionMode::kDc);
  EXPECT_EQ(a.regions().at(0).range.size(), 8 * kG);
  StepTo(p, 6);
  // Grant 4 (a's third): chunks 2 and 5, two extents, two dax devices.
  const std::map<std::string, std::vector<Range>>& groups =
      a.regions().at(0).extents;
  ASSERT_EQ(groups.count("grant4"), 1u);
  const uint64_t base = a.regions().at(0).range.first();
  EXPECT_THAT(groups.at("grant4"),
              ElementsAre(Range(base + 2 * kG, base + 3 * kG - 1),
                          Range(base + 5 * kG, base + 6 * kG - 1)));
  EXPECT_EQ(a.daxes().size(), 4u);  // 1 + 1 + 2 extents, one dax each
  EXPECT_EQ(ParentName(a, "dax0.3"), "region0");
  // No extent line in /proc/iomem: they live in the dax region.
  EXPECT_THAT(a.Render(), ::testing::Not(HasSubstr("extent")));
  EXPECT_THAT(RenderDump(*a.PrivateRoot("DAX Regions")), HasSubstr("extent"));
  // 1 + 2E events per grant: 3 + 3 + 5 on a so far.
  EXPECT_EQ(p.stats(0).hotplug_events, 11u);
  ASSERT_THAT(p.Run(), IsOk());
  // The revoke at 9 took the newest grant: 2 kmem offline + 2 dax destroy
  // + 1 extent release.
  EXPECT_EQ(p.stats(0).hotplug_events, 16u);
  EXPECT_EQ(p.machine(0).regions().at(0).extents.count("grant4"), 0u);
  EXPECT_EQ(p.stats(0).online, 4 * kG);
  EXPECT_EQ(p.stats(1).hotplug_events, 3u + 3u);
  EXPECT_THAT(p.machine(1).regions().at(0).extents, IsEmpty());
  EXPECT_THAT(p.CheckInvariants(), IsEmpty());
}

// One host whose demand jumps from 2G to 6G at tick 10 (4G local RAM).
constexpr char kJump[] =
    "appliance capacity=16G chunk=1G\n"
    "host a ram=4G %s\n"
    "at 0 demand host=a size=2G\n"
    "at 10 demand host=a size=6G\n";

TEST(PoolTest, ReactiveHostsRunShortUntilTheGrantIsOnline) {
  Pool p = RunText(absl::StrFormat(kJump, "policy=reactive watermark=1G"));
  const HostStats& s = p.stats(0);
  ASSERT_EQ(s.oom.size(), 1u);
  EXPECT_EQ(s.oom[0].first, 10u);  // region create, dax create: still short
  EXPECT_EQ(s.oom[0].last, 11u);   // kmem online at 12
  EXPECT_EQ(s.granted, 2 * kG);
  EXPECT_EQ(s.warnings, 1u);  // edge-triggered: once at tick 10
}

TEST(PoolTest, ProactiveHeadroomGetsMemoryInBeforeItIsNeeded) {
  Pool p = RunText(absl::StrFormat(kJump, "policy=proactive headroom=4G"));
  const HostStats& s = p.stats(0);
  EXPECT_THAT(s.oom, IsEmpty());
  EXPECT_EQ(s.granted, 6 * kG);  // 6G demand + 4G headroom - 4G local
  EXPECT_EQ(s.grants_done, 2u);
}

TEST(PoolTest, ReleaseGivesSurplusBack) {
  Pool p = RunText(
      "appliance capacity=16G chunk=1G\n"
      "host a ram=4G rate=3 policy=reactive release=2G\n"
      "at 0 demand host=a size=10G\n"
      "at 5 demand host=a size=3G\n");
  EXPECT_EQ(p.stats(0).revokes_done, 1u);
  EXPECT_EQ(p.stats(0).granted, 0u);
  EXPECT_EQ(p.free_bytes(), 16 * kG);
}

TEST(PoolTest, SharedModeMapsTheWholeApplianceOnEveryHost) {
  for (const char* tracking : {"appliance", "hosts"}) {
    Pool p = RunText(absl::StrCat(
        "appliance capacity=8G chunk=1G mode=shared tracking=", tracking,
        "\nhost a\nhost b\nhost c\nhost d\n"
        "at 0 alloc host=a size=3G\n"
        "at 1 alloc host=b size=4G\n"
        "at 2 alloc host=c size=2G\n"  // 1G left: ENOSPC
        "at 3 free host=a size=1G\n"));
    const uint64_t per = std::string(tracking) == "appliance" ? 2 : 6;
    EXPECT_EQ(p.stats(0).messages, 2 * per) << tracking;
    EXPECT_EQ(p.stats(2).messages, per) << tracking;
    EXPECT_EQ(p.stats(2).allocs_failed, 1u);
    EXPECT_EQ(p.published_free(), 2 * kG);
    for (size_t h = 0; h < 4; ++h) {
      EXPECT_THAT(p.view(h), ElementsAre(2 * kG, 4 * kG, 0, 0));
      const hotplug::Machine& m = p.machine(h);
      ASSERT_EQ(m.regions().size(), 1u);
      EXPECT_EQ(m.regions().begin()->second.range.size(), 8 * kG);
      EXPECT_EQ(ParentName(m, "dax0.0"), "region0");
      EXPECT_THAT(m.FindAll("System RAM (kmem)"), IsEmpty());
    }
    EXPECT_THAT(p.CheckInvariants(), IsEmpty());
  }
}

TEST(PoolTest, SetupErrorsNameTheHostLine) {
  absl::StatusOr<Pool> p = Pool::Create(
      Parse("appliance capacity=8G mode=shared profile=6.1\nhost a\n"));
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(),
              HasSubstr("s.pool:2:1: host a: region create (the shared "
                        "mapping): 6.1 root decoders have no "
                        "create_ram_region"));
  p = Pool::Create(Parse("appliance capacity=8G\nhost a window-base=0x1000\n"));
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(),
              HasSubstr("s.pool:2:1: host a: window add 0 base=0x1000 "
                        "size=8G"));
}

TEST(PoolTest, BaseDumpsAreTheHostsTrees) {
  const std::map<std::string, std::string> files = {
      {"h.iomem",
       "00001000-0009ffff : System RAM\n"
       "00100000-3fffffff : System RAM\n"
       "20000000000-2000fffffff : Reserved\n"}};
  absl::StatusOr<Pool> p = Pool::Create(
      Parse("appliance capacity=4G\nhost a base=h.iomem\n", files));
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->stats(0).local, 1 * kG);
  // The window goes above the highest resource, 1 GiB aligned.
  const hotplug::Machine& m = p->machine(0);
  EXPECT_EQ(m.tree().RangeOf(*m.Find("CXL Window 0")).first(),
            uint64_t{0x20040000000});
  absl::StatusOr<Pool> bad = Pool::Create(
      Parse("appliance capacity=4G\nhost a base=x\n", {{"x", "zzz\n"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("s.pool:2:1: host a: base x: "));
}

TEST(PoolTest, SubmitChecksItsArguments) {
  Pool p = Build("appliance capacity=4G\nhost a\n");
  EXPECT_EQ(p.Submit(EventKind::kGrant, 1, kG).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.Submit(EventKind::kGrant, 0, kG / 2).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.Submit(EventKind::kAlloc, 0, kG).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.Submit(EventKind::kGrant, 0, kG), IsOk());
}

TEST(PoolTest, TheRunEndsWhenQueuesDrainOrAtTicks) {
  Pool p = RunText(
      "appliance capacity=4G\nhost a\nat 3 grant host=a "
      "size=1G\n");
  EXPECT_EQ(p.tick(), 7u);  // events on 3, 4, 5; an idle tick 6 ends it
  Pool q = RunText("appliance capacity=4G ticks=20\nhost a\n");
  EXPECT_EQ(q.tick(), 21u);
}

}  // namespace
}  // namespace appliance
}  // namespace restree
