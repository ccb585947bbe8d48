// Properties of appliance::Pool over random appliances, hosts and request
// sequences: no chunk is mapped by two hosts, capacity is conserved, a
// failed revoke changes nothing on any host (a partial one gives back some
// but not all of what was asked), shared-mode views agree with the
// appliance, and every host's tree passes its invariants throughout
// (realize=region, chunks and dcd).
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "appliance/pool.h"
#include "appliance/scenario.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"

namespace restree {
namespace appliance {
namespace {

constexpr uint64_t kChunk = uint64_t{256} << 20;

// A random pooled or shared scenario without events: 1-4 hosts, 2-24
// chunks of 256 MiB, random zones, unmovable shares, rates and (when
// `policies`) policies.
std::string RandomScenario(Mode mode, bool policies) {
  const int hosts = *rc::gen::inRange(1, 5);
  const int chunks = *rc::gen::inRange(2, 25);
  std::string text = absl::StrCat(
      "appliance capacity=", chunks * 256,
      "M chunk=256M mode=", mode == Mode::kPooled ? "pooled" : "shared",
      " seed=", *rc::gen::inRange(0, 1000));
  if (mode == Mode::kPooled) {
    text +=
        *rc::gen::element(" realize=region", " realize=chunks", " realize=dcd");
  } else {
    text += *rc::gen::element(" tracking=appliance", " tracking=hosts");
  }
  text += "\n";
  for (int h = 0; h < hosts; ++h) {
    absl::StrAppend(&text, "host h", h, " ram=", *rc::gen::inRange(1, 9),
                    "G rate=", *rc::gen::inRange(1, 4));
    if (*rc::gen::arbitrary<bool>()) {
      absl::StrAppend(&text, " zone=normal unmovable=",
                      *rc::gen::element(0, 5, 50, 100), "%");
    }
    if (mode == Mode::kPooled && *rc::gen::arbitrary<bool>()) {
      text += " revoke=partial";
    }
    if (policies) {
      text += *rc::gen::element(std::string(""),
                                std::string(" policy=reactive release=1G"),
                                std::string(" policy=proactive headroom=512M "
                                            "watermark=256M release=1G"));
    }
    text += "\n";
  }
  return text;
}

Pool MakePool(const std::string& text) {
  absl::StatusOr<Scenario> sc = ParseScenario(text, "p.pool");
  RC_ASSERT(sc.ok());
  absl::StatusOr<Pool> p = Pool::Create(*sc);
  if (!p.ok()) RC_FAIL(std::string(p.status().message()));
  return *std::move(p);
}

// What the appliance's chunk table says each host holds, and the checks
// that do not trust the pool's own counters.
void CheckBooks(const Pool& p) {
  const std::vector<std::string> v = p.CheckInvariants();
  if (!v.empty()) RC_FAIL(v[0]);
  std::vector<uint64_t> held(p.host_count(), 0);
  uint64_t owned = 0;
  for (int32_t o : p.chunk_owner()) {
    RC_ASSERT(o >= -1 && o < static_cast<int32_t>(p.host_count()));
    if (o >= 0) {
      held[o] += kChunk;
      ++owned;
    }
  }
  // Capacity is conserved.
  RC_ASSERT(owned * kChunk + p.free_bytes() == p.scenario().appliance.capacity);
  uint64_t regions = 0;
  for (size_t h = 0; h < p.host_count(); ++h) {
    RC_ASSERT(p.stats(h).granted == held[h]);
    // What the host maps (its regions in pooled mode; with realize=dcd the
    // extents of its one DC region) never exceeds what the appliance gave
    // it: no chunk backs two hosts.
    if (p.scenario().appliance.mode == Mode::kPooled) {
      const bool dcd = p.scenario().appliance.realize == Realize::kDcd;
      uint64_t mapped = 0;
      for (const auto& [k, r] : p.machine(h).regions()) {
        if (!dcd) mapped += absl::Uint128Low64(r.range.size());
        for (const auto& [tag, extents] : r.extents) {
          for (const Range& e : extents) {
            mapped += absl::Uint128Low64(e.size());
          }
        }
      }
      RC_ASSERT(mapped <= held[h]);
      regions += mapped;
      RC_ASSERT(p.stats(h).online <= mapped);
    } else {
      // Shared: every host's view of every host is the appliance's table.
      for (size_t o = 0; o < p.host_count(); ++o) {
        RC_ASSERT(p.view(h)[o] == held[o]);
      }
    }
  }
  RC_ASSERT(regions <= p.scenario().appliance.capacity);
  if (p.scenario().appliance.mode == Mode::kShared) {
    RC_ASSERT(p.published_free() == p.free_bytes());
  }
}

void StepOrFail(Pool& p) {
  absl::StatusOr<bool> more = p.Step();
  if (!more.ok()) RC_FAIL(std::string(more.status().message()));
}

RC_GTEST_PROP(PoolPropertyTest, PooledBooksHoldAfterEveryStep, ()) {
  Pool p = MakePool(RandomScenario(Mode::kPooled, *rc::gen::arbitrary<bool>()));
  const int ops = *rc::gen::inRange(1, 60);
  for (int i = 0; i < ops; ++i) {
    const size_t h = *rc::gen::inRange<size_t>(0, p.host_count());
    const uint64_t n = *rc::gen::inRange<uint64_t>(1, 9);
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        RC_ASSERT(p.Submit(EventKind::kGrant, h, n * kChunk).ok());
        break;
      case 1:
        RC_ASSERT(p.Submit(EventKind::kRevoke, h, n * kChunk).ok());
        break;
      case 2:
        RC_ASSERT(p.Submit(EventKind::kDemand, h,
                           *rc::gen::inRange(0, 12) * kChunk * 4)
                      .ok());
        break;
      default:
        for (int k = *rc::gen::inRange(1, 5); k > 0; --k) StepOrFail(p);
    }
    CheckBooks(p);
  }
  RC_ASSERT(p.Run().ok());
  CheckBooks(p);
}

RC_GTEST_PROP(PoolPropertyTest, AFailedRevokeChangesNothingOnAnyHost, ()) {
  Pool p = MakePool(RandomScenario(Mode::kPooled, false));
  int failed = 0;
  for (int round = *rc::gen::inRange(1, 12); round > 0; --round) {
    const size_t h = *rc::gen::inRange<size_t>(0, p.host_count());
    const uint64_t n = *rc::gen::inRange<uint64_t>(1, 5);
    if (*rc::gen::arbitrary<bool>()) {
      RC_ASSERT(p.Submit(EventKind::kGrant, h, n * kChunk).ok());
      while (p.Busy()) StepOrFail(p);
      continue;
    }
    std::vector<std::string> trees;
    for (size_t o = 0; o < p.host_count(); ++o) {
      trees.push_back(p.machine(o).Render());
    }
    const std::vector<int32_t> owner = p.chunk_owner();
    const uint64_t before = p.stats(h).revokes_failed;
    const uint64_t partial = p.stats(h).revokes_partial;
    const uint64_t online = p.stats(h).online;
    const uint64_t granted = p.stats(h).granted;
    RC_ASSERT(p.Submit(EventKind::kRevoke, h, n * kChunk).ok());
    StepOrFail(p);
    if (p.stats(h).revokes_failed == before) {
      while (p.Busy()) StepOrFail(p);
      // revoke=partial: some, not all, of what was asked came back.
      if (p.stats(h).revokes_partial != partial) {
        RC_ASSERT(p.stats(h).granted < granted);
        RC_ASSERT(granted - p.stats(h).granted < n * kChunk);
      }
      continue;
    }
    ++failed;
    RC_ASSERT(!p.Busy());
    for (size_t o = 0; o < p.host_count(); ++o) {
      RC_ASSERT(p.machine(o).Render() == trees[o]);
    }
    RC_ASSERT(p.chunk_owner() == owner);
    RC_ASSERT(p.stats(h).online == online);
    CheckBooks(p);
  }
  RC_CLASSIFY(failed > 0, "a revoke failed");
}

RC_GTEST_PROP(PoolPropertyTest, SharedViewsAgreeWithTheAppliance, ()) {
  Pool p = MakePool(RandomScenario(Mode::kShared, *rc::gen::arbitrary<bool>()));
  const uint64_t n_hosts = p.host_count();
  const uint64_t per = p.scenario().appliance.tracking == Tracking::kAppliance
                           ? 2
                           : 2 * (n_hosts - 1);
  const std::vector<std::string> trees = [&] {
    std::vector<std::string> t;
    for (size_t o = 0; o < n_hosts; ++o) t.push_back(p.machine(o).Render());
    return t;
  }();
  for (int i = *rc::gen::inRange(1, 50); i > 0; --i) {
    const size_t h = *rc::gen::inRange<size_t>(0, n_hosts);
    const uint64_t n = *rc::gen::inRange<uint64_t>(1, 6);
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        RC_ASSERT(p.Submit(EventKind::kAlloc, h, n * kChunk).ok());
        break;
      case 1:
        RC_ASSERT(p.Submit(EventKind::kFree, h, n * kChunk).ok());
        break;
      case 2:
        RC_ASSERT(p.Submit(EventKind::kDemand, h, n * kChunk * 8).ok());
        break;
      default:
        StepOrFail(p);
    }
    CheckBooks(p);
    for (size_t o = 0; o < n_hosts; ++o) {
      const HostStats& s = p.stats(o);
      // A free the host cannot make is refused before any message.
      RC_ASSERT(s.messages == per * (s.allocs + s.allocs_failed + s.frees));
      // Shared allocations never touch a host's tree.
      RC_ASSERT(p.machine(o).Render() == trees[o]);
    }
  }
}

}  // namespace
}  // namespace appliance
}  // namespace restree
