#include "appliance/scenario.h"

#include <map>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace restree {
namespace appliance {
namespace {

using ::restree::test_support::IsOk;
using ::testing::StartsWith;

constexpr uint64_t kG = uint64_t{1} << 30;

// The error message of parsing `text` as "s.pool" ("" if it parses).
std::string ErrorOf(const std::string& text, const FileReader& read = nullptr) {
  absl::StatusOr<Scenario> sc = ParseScenario(text, "s.pool", read);
  if (sc.ok()) return "";
  EXPECT_EQ(sc.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(sc.status().message());
}

TEST(ScenarioTest, ParsesEveryStatement) {
  const std::map<std::string, std::string> files = {
      {"d.trace", "# tick size\n3 1G\n7 2G\r\n"}};
  FileReader read = [&](const std::string& f) -> absl::StatusOr<std::string> {
    auto it = files.find(f);
    if (it == files.end()) return absl::NotFoundError(f + ": no such file");
    return it->second;
  };
  absl::StatusOr<Scenario> sc = ParseScenario(
      "appliance capacity=16G chunk=1G mode=pooled realize=chunks warn=2G "
      "seed=9 profile=7.1 ticks=50  # comment\n"
      "\n"
      "host a ram=8G window=3 window-base=0x20000000000 node=2 zone=normal "
      "unmovable=25% rate=4 policy=proactive headroom=2G watermark=1G "
      "release=4G\n"
      "host b\n"
      "at 5 grant host=a size=2G\n"
      "at 1 revoke host=a size=1G\n"
      "at 2 demand host=b size=300M\n"
      "ramp host=b from=10 to=12 start=1G end=3G\n"
      "trace host=a file=d.trace\n",
      "s.pool", read);
  ASSERT_THAT(sc, IsOk());
  EXPECT_EQ(sc->appliance.capacity, 16 * kG);
  EXPECT_EQ(sc->appliance.realize, Realize::kChunks);
  EXPECT_EQ(sc->appliance.warn_free, 2 * kG);
  EXPECT_EQ(sc->appliance.seed, 9u);
  EXPECT_EQ(sc->appliance.profile, "linux-7.1");  // the canonical name
  EXPECT_EQ(sc->appliance.ticks, 50u);
  ASSERT_EQ(sc->hosts.size(), 2u);
  const HostSpec& a = sc->hosts[0];
  EXPECT_EQ(a.window, 3u);
  EXPECT_EQ(a.window_base, uint64_t{0x20000000000});
  EXPECT_EQ(a.node, 2);
  EXPECT_EQ(a.zone, ZonePolicy::kNormal);
  EXPECT_EQ(a.unmovable_pct, 25u);
  EXPECT_EQ(a.rate, 4u);
  EXPECT_EQ(a.policy, Policy::kProactive);
  EXPECT_EQ(a.headroom, 2 * kG);
  EXPECT_EQ(a.release, 4 * kG);
  EXPECT_EQ(sc->hosts[1].ram, 4 * kG);  // the default
  EXPECT_EQ(sc->hosts[1].where.line, 4);
  // Sorted by tick, file order within a tick.
  std::vector<std::pair<uint64_t, EventKind>> got;
  for (const ScenarioEvent& e : sc->events) got.push_back({e.tick, e.kind});
  EXPECT_EQ(got, (std::vector<std::pair<uint64_t, EventKind>>{
                     {1, EventKind::kRevoke},
                     {2, EventKind::kDemand},
                     {3, EventKind::kDemand},
                     {5, EventKind::kGrant},
                     {7, EventKind::kDemand},
                     {10, EventKind::kDemand},
                     {11, EventKind::kDemand},
                     {12, EventKind::kDemand}}));
  // The ramp is linear; the trace's events name the trace file.
  EXPECT_EQ(sc->events[5].size, 1 * kG);
  EXPECT_EQ(sc->events[6].size, 2 * kG);
  EXPECT_EQ(sc->events[7].size, 3 * kG);
  EXPECT_EQ(sc->events[4].where.ToString(), "d.trace:3:1");
  EXPECT_EQ(sc->events[4].size, 2 * kG);
}

TEST(ScenarioTest, RampJitterIsDeterministicAndBounded) {
  const std::string text =
      "appliance capacity=4G seed=3\nhost a\n"
      "ramp host=a from=0 to=99 start=4G end=4G jitter=1G\n";
  absl::StatusOr<Scenario> x = ParseScenario(text, "s");
  absl::StatusOr<Scenario> y = ParseScenario(text, "s");
  ASSERT_THAT(x, IsOk());
  ASSERT_THAT(y, IsOk());
  ASSERT_EQ(x->events.size(), 100u);
  bool varies = false;
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(x->events[i].size, y->events[i].size);
    EXPECT_GE(x->events[i].size, 3 * kG);
    EXPECT_LE(x->events[i].size, 5 * kG);
    varies = varies || x->events[i].size != 4 * kG;
  }
  EXPECT_TRUE(varies);
}

TEST(ScenarioTest, ErrorsNameFileLineColumn) {
  const std::string app = "appliance capacity=8G\n";
  EXPECT_EQ(ErrorOf(""), "s.pool:1:1: no `appliance` line in the scenario");
  EXPECT_EQ(ErrorOf(app), "s.pool:2:1: no `host` line in the scenario");
  EXPECT_EQ(ErrorOf("host a\n"),
            "s.pool:1:1: the `appliance` line must come first");
  EXPECT_EQ(ErrorOf(app + app + "host a\n"),
            "s.pool:2:1: a second `appliance` line (one appliance per "
            "scenario)");
  EXPECT_EQ(ErrorOf("appliance capacity=8G chunk=100M\nhost a\n"),
            "s.pool:1:29: chunk must be a non-zero multiple of 256M (a CXL "
            "region's granule) and of the memory block size");
  EXPECT_EQ(ErrorOf("appliance capacity=9G chunk=2G\nhost a\n"),
            "s.pool:1:20: capacity must be a non-zero multiple of the chunk "
            "size");
  EXPECT_EQ(ErrorOf("appliance capacity=8G mode=pool\nhost a\n"),
            "s.pool:1:28: mode= takes pooled|shared, found 'pool'");
  EXPECT_EQ(ErrorOf("appliance capacity=8G tracking=hosts\nhost a\n"),
            "s.pool:1:32: tracking= is for mode=shared");
  EXPECT_EQ(ErrorOf("appliance capacity=8G profile=5.4\nhost a\n"),
            "s.pool:1:31: unknown kernel profile '5.4'");
  EXPECT_EQ(ErrorOf("appliance capacity=8G mode=shared\nhost a "
                    "revoke=partial\n"),
            "s.pool:2:15: revoke= is for mode=pooled");
  EXPECT_EQ(
      ErrorOf("appliance capacity=8G realize=dcd profile=6.12\nhost a\n"),
      "s.pool:1:43: realize=dcd needs profile=linux-7.1: the DCD series is "
      "modelled on 7.1");
  EXPECT_EQ(ErrorOf("appliance capacity=8G colour=red\nhost a\n"),
            "s.pool:1:23: unknown key 'colour' (known: capacity chunk mode "
            "tracking realize warn profile block-size seed ticks)");
  EXPECT_EQ(ErrorOf("appliance capacity=8G capacity=8G\nhost a\n"),
            "s.pool:1:23: key capacity given twice");
  EXPECT_EQ(ErrorOf("appliance capacity=lots\nhost a\n"),
            "s.pool:1:20: capacity=: 'lots' is not a number (e.g. 4096, "
            "0x1000, 4K, 256M)");
  EXPECT_EQ(ErrorOf(app + "host a\nhost a\n"),
            "s.pool:3:6: host a defined twice (first at s.pool:2:1)");
  EXPECT_EQ(ErrorOf(app + "host a/b\n"),
            "s.pool:2:6: host name 'a/b': letters, digits, _ - . (at most "
            "64)");
  EXPECT_EQ(ErrorOf(app + "host a zone=movable unmovable=5%\n"),
            "s.pool:2:31: unmovable= needs zone=normal (ZONE_MOVABLE holds "
            "only movable pages)");
  EXPECT_EQ(ErrorOf(app + "host a zone=normal unmovable=101\n"),
            "s.pool:2:30: unmovable= takes a percentage 0..100, found '101'");
  EXPECT_EQ(ErrorOf(app + "host a window-size=16G\n"),
            "s.pool:2:20: window-size must be a non-zero multiple of the "
            "chunk size, at most the capacity");
  EXPECT_EQ(ErrorOf("appliance capacity=8G mode=shared\n"
                    "host a window-size=4G\n"),
            "s.pool:2:20: window-size= is for mode=pooled (a shared host "
            "maps the whole appliance)");
  EXPECT_EQ(ErrorOf(app + "host a rate=0\n"),
            "s.pool:2:13: rate= must be at least 1 (events per tick)");
  EXPECT_EQ(ErrorOf(app + "host a ram=100M\n"),
            "s.pool:2:12: ram must be a multiple of the memory block size "
            "from 256M to 64T");
  EXPECT_EQ(ErrorOf(app + "host a base=x\n"),
            "s.pool:2:13: base= files cannot be read here");
  EXPECT_EQ(ErrorOf(app + "host a\nat 1 grant host=b size=1G\n"),
            "s.pool:3:17: no host 'b' (hosts are defined before they are "
            "used)");
  EXPECT_EQ(ErrorOf(app + "host a\nat 1 grant host=a size=1536M\n"),
            "s.pool:3:24: size must be a non-zero multiple of the chunk size "
            "(1G)");
  EXPECT_EQ(ErrorOf(app + "host a\nat 1 alloc host=a size=1G\n"),
            "s.pool:3:6: alloc is a shared-mode event (pooled mode: grant, "
            "revoke)");
  EXPECT_EQ(ErrorOf("appliance capacity=8G mode=shared\nhost a\n"
                    "at 1 revoke host=a size=1G\n"),
            "s.pool:3:6: revoke is a pooled-mode event (shared mode: alloc, "
            "free)");
  EXPECT_EQ(ErrorOf(app + "host a\nat soon grant host=a size=1G\n"),
            "s.pool:3:4: TICK is a decimal number up to 10000000, found "
            "'soon'");
  EXPECT_EQ(ErrorOf(app + "host a\nat 1 grant host=a\n"),
            "s.pool:3:6: grant needs size=SIZE");
  EXPECT_EQ(ErrorOf(app + "host a\nramp host=a from=5 to=4 start=0 end=1G\n"),
            "s.pool:3:23: to= is before from=");
  EXPECT_EQ(ErrorOf(app + "host a\nexplode\n"),
            "s.pool:3:1: unknown statement 'explode' (appliance, host, at, "
            "ramp, trace)");
  EXPECT_EQ(ErrorOf(app + "host a\nat 1 grant host=\"a size=1G\n"),
            "s.pool:3:12: unterminated quote");
  EXPECT_EQ(ErrorOf(app + "host a\tnode=\x01\n"),
            "s.pool:2:13: control character \\x01");
  EXPECT_EQ(ErrorOf(app + "host \xc3\xa9\n"),
            "s.pool:2:6: non-ASCII byte outside quotes");
}

TEST(ScenarioTest, TraceErrorsNameTheTraceFile) {
  FileReader read = [](const std::string& f) -> absl::StatusOr<std::string> {
    if (f == "bad.trace") return std::string("1 1G\n2 lots\n");
    if (f == "back.trace") return std::string("5 1G\n2 1G\n");
    return absl::NotFoundError(f + ": cannot open");
  };
  const std::string head = "appliance capacity=8G\nhost a\n";
  EXPECT_EQ(ErrorOf(head + "trace host=a file=bad.trace\n", read),
            "bad.trace:2:3: 'lots' is not a number (e.g. 4096, 0x1000, 4K, "
            "256M)");
  EXPECT_EQ(ErrorOf(head + "trace host=a file=back.trace\n", read),
            "back.trace:2:1: tick 2 after tick 5 (a trace is in time order)");
  EXPECT_THAT(ErrorOf(head + "trace host=a file=none\n", read),
              StartsWith("s.pool:3:19: none: cannot open"));
}

}  // namespace
}  // namespace appliance
}  // namespace restree
