#include "appliance/pool.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "hotplug/format.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/range.h"

namespace restree {
namespace appliance {
namespace {

constexpr uint64_t kTiB = uint64_t{1} << 40;
constexpr uint64_t kGiB = uint64_t{1} << 30;
// ENOSPC (Linux): the appliance has no free chunks for the request.
constexpr int kENOSPC = 28;
// A policy does not retry a failed revoke for this many ticks.
constexpr uint64_t kRevokeBackoff = 10;
// Without `ticks=`, a run stops at the latest this long after its last
// scenario event (a policy that never settles).
constexpr uint64_t kDrainLimit = 100'000;

using hotplug::Machine;

absl::Status AtErr(const Location& where, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(where.ToString(), ": ", message));
}

// A plain x86 layout with `ram` bytes of System RAM: low memory, then the
// rest above 4 GiB when it does not fit below 2 GiB.
std::string GeneratedDump(uint64_t ram) {
  std::string out =
      "00000000-00000fff : Reserved\n"
      "00001000-0009ffff : System RAM\n"
      "000a0000-000fffff : Reserved\n";
  const uint64_t low_end = uint64_t{2} << 30;
  if (ram <= low_end) {
    absl::StrAppendFormat(&out, "00100000-%08x : System RAM\n", ram - 1);
  } else {
    absl::StrAppendFormat(&out, "00100000-%08x : System RAM\n", low_end - 1);
    absl::StrAppendFormat(&out, "%x-%x : System RAM\n", uint64_t{4} << 30,
                          (uint64_t{4} << 30) + (ram - low_end) - 1);
  }
  return out;
}

uint64_t NextRandom(uint64_t* state) {
  *state += 0x9E3779B97F4A7C15ull;
  uint64_t z = *state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int ErrnoOf(const absl::Status& s) {
  const KernelError e = GetKernelError(s);
  return e.errno_value == 0 ? kerrno::kEINVAL : e.errno_value;
}

}  // namespace

absl::string_view LogKindName(LogEntry::Kind kind) {
  switch (kind) {
    case LogEntry::Kind::kRequest:
      return "request";
    case LogEntry::Kind::kHotplug:
      return "hotplug";
    case LogEntry::Kind::kDone:
      return "done";
    case LogEntry::Kind::kFailed:
      return "failed";
    case LogEntry::Kind::kWarning:
      return "warning";
    case LogEntry::Kind::kOom:
      return "near-oom";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// Setup.

absl::StatusOr<Pool> Pool::Create(const Scenario& scenario,
                                  const PoolOptions& options) {
  Pool p(scenario, options);
  const ApplianceSpec& a = p.sc_.appliance;
  const std::optional<KernelProfile> profile = KernelProfile::ByName(a.profile);
  if (!profile) {
    return AtErr(a.where, absl::StrCat("unknown kernel profile ", a.profile));
  }
  if (a.chunk == 0 || a.capacity % a.chunk != 0 || a.capacity == 0) {
    return AtErr(a.where, "capacity must be a non-zero multiple of chunk");
  }
  hotplug::MachineOptions mo;
  mo.profile = *profile;
  mo.block_size = a.block_size;
  mo.dcd = a.realize == Realize::kDcd;
  const uint64_t chunks = a.capacity / a.chunk;
  p.owner_.assign(chunks, -1);
  for (uint64_t i = 0; i < chunks; ++i) {
    p.free_.insert(p.free_.end(), static_cast<uint32_t>(i));
  }
  p.rng_ = a.seed;
  p.published_free_ = a.capacity;
  for (const HostSpec& spec : p.sc_.hosts) {
    const std::string text =
        spec.base_path.empty() ? GeneratedDump(spec.ram) : spec.base_text;
    const std::string what =
        spec.base_path.empty() ? "generated tree" : "base " + spec.base_path;
    absl::StatusOr<Machine> m = Machine::FromIomem(text, mo);
    if (!m.ok()) {
      return AtErr(spec.where, absl::StrCat("host ", spec.name, ": ", what,
                                            ": ", m.status().message()));
    }
    uint64_t base = kTiB;
    if (spec.window_base) {
      base = *spec.window_base;
    } else {
      const ResourceId last = m->tree().LastChild(m->tree().root());
      if (last.valid()) {
        const uint64_t end = m->tree().RangeOf(last).last();
        if (end >= base && end < UINT64_MAX - kGiB) {
          base = (end / kGiB + 1) * kGiB;
        }
      }
    }
    const uint64_t wsize = spec.window_size.value_or(a.capacity);
    if (base > UINT64_MAX - wsize + 1) {
      return AtErr(spec.where,
                   absl::StrCat("host ", spec.name, ": the window at ",
                                absl::Hex(base), " does not fit below 2^64"));
    }
    auto fail = [&](absl::string_view step, const absl::Status& s) {
      return AtErr(spec.where, absl::StrCat("host ", spec.name, ": ", step,
                                            ": ", s.message()));
    };
    if (absl::Status s =
            m->AddWindow(spec.window, base, wsize, 1, 256, spec.node);
        !s.ok()) {
      return fail(absl::StrFormat("window add %u base=%#x size=%s", spec.window,
                                  base, hotplug::FormatSize(wsize)),
                  s);
    }
    if (a.mode == Mode::kPooled && a.realize == Realize::kChunks) {
      if (absl::StatusOr<size_t> n = m->ChunksReserve(spec.window, a.chunk);
          !n.ok()) {
        return fail("chunks reserve", n.status());
      }
    }
    uint32_t dc_region = 0;
    if (a.mode == Mode::kPooled && a.realize == Realize::kDcd) {
      absl::StatusOr<uint32_t> k =
          m->CreateRegion(spec.window, a.capacity, Machine::RegionMode::kDc);
      if (!k.ok()) return fail("region create mode=dc", k.status());
      dc_region = *k;
    }
    if (a.mode == Mode::kShared) {
      absl::StatusOr<uint32_t> k =
          m->CreateRegion(spec.window, a.capacity, Machine::RegionMode::kRam);
      if (!k.ok())
        return fail("region create (the shared mapping)", k.status());
      absl::StatusOr<std::string> dax = m->CreateDax(*k);
      if (!dax.ok())
        return fail("dax create (the shared mapping)", dax.status());
    }
    Host host(*std::move(m));
    host.spec = spec;
    host.dc_region = dc_region;
    uint64_t online = 0;
    for (const auto& [b, block] : host.machine.blocks()) {
      if (block.online) ++online;
    }
    host.stats.local = online * a.block_size;
    p.hosts_.push_back(std::move(host));
  }
  for (Host& h : p.hosts_) h.view.assign(p.hosts_.size(), 0);
  for (size_t h = 0; h < p.hosts_.size(); ++h) p.RecordSample(h);
  if (std::vector<std::string> v = p.CheckInvariants(); !v.empty()) {
    return absl::InternalError(absl::StrCat("after setup: ", v[0]));
  }
  return p;
}

// ---------------------------------------------------------------------------
// Bookkeeping.

void Pool::Log(size_t host, LogEntry::Kind kind, std::string text, int err) {
  activity_ = true;
  if (!options_.keep_log) return;
  LogEntry e;
  e.tick = tick_;
  e.host = host < hosts_.size() ? hosts_[host].spec.name : "";
  e.kind = kind;
  e.errno_value = err;
  e.text = std::move(text);
  log_.push_back(std::move(e));
}

void Pool::Verify(size_t h, absl::string_view after) {
  if (!options_.check_every_event || !violation_.ok()) return;
  std::vector<std::string> v = CheckAppliance();
  if (v.empty() && h < hosts_.size()) v = CheckHost(h);
  if (!v.empty()) {
    violation_ = absl::InternalError(
        absl::StrCat("tick ", tick_, ", after ", after, ": ", v[0]));
  }
}

uint64_t Pool::Usable(const Host& host) const {
  if (sc_.appliance.mode == Mode::kShared) {
    return host.stats.local + host.shared.size() * sc_.appliance.chunk;
  }
  return host.stats.local + host.stats.online;
}

uint64_t Pool::Supply(const Host& host) const {
  if (sc_.appliance.mode == Mode::kShared) return Usable(host);
  uint64_t s = host.stats.local;
  for (const auto& [id, g] : host.grants) {
    if (g.state != GrantState::kRevoking && g.state != GrantState::kOff) {
      s += g.size;
    }
  }
  return s > host.pending_revoke ? s - host.pending_revoke : 0;
}

void Pool::RecordSample(size_t h) {
  Host& host = hosts_[h];
  appliance::Sample s;
  s.tick = tick_;
  s.usable = Usable(host);
  s.demand = host.stats.demand;
  s.granted = host.stats.granted;
  if (!host.samples.empty()) {
    const appliance::Sample& l = host.samples.back();
    if (l.usable == s.usable && l.demand == s.demand &&
        l.granted == s.granted) {
      return;
    }
    if (l.tick == s.tick) {
      host.samples.back() = s;
      return;
    }
  }
  host.samples.push_back(s);
}

std::vector<uint32_t> Pool::TakeChunks(size_t h, uint64_t n) {
  std::vector<uint32_t> out;
  out.reserve(n);
  while (out.size() < n) {
    const uint32_t c = *free_.begin();
    free_.erase(free_.begin());
    owner_[c] = static_cast<int32_t>(h);
    out.push_back(c);
  }
  Host& host = hosts_[h];
  host.stats.granted += n * sc_.appliance.chunk;
  host.stats.peak_granted =
      std::max(host.stats.peak_granted, host.stats.granted);
  return out;
}

void Pool::ReleaseChunks(size_t h, const std::vector<uint32_t>& chunks) {
  for (uint32_t c : chunks) {
    owner_[c] = -1;
    free_.insert(c);
  }
  hosts_[h].stats.granted -= chunks.size() * sc_.appliance.chunk;
}

// ---------------------------------------------------------------------------
// Requests.

absl::Status Pool::Submit(EventKind kind, size_t host, uint64_t size) {
  if (host >= hosts_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("no host ", host));
  }
  const bool pooled = sc_.appliance.mode == Mode::kPooled;
  const uint64_t chunk = sc_.appliance.chunk;
  if (kind != EventKind::kDemand && (size == 0 || size % chunk != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("size ", size,
                     " is not a non-zero multiple of the "
                     "chunk size"));
  }
  switch (kind) {
    case EventKind::kGrant:
    case EventKind::kRevoke:
      if (!pooled) {
        return absl::InvalidArgumentError("grant/revoke need mode=pooled");
      }
      if (kind == EventKind::kGrant) {
        RequestGrant(host, size, false);
      } else {
        RequestRevoke(host, size, false);
      }
      break;
    case EventKind::kAlloc:
    case EventKind::kFree:
      if (pooled) {
        return absl::InvalidArgumentError("alloc/free need mode=shared");
      }
      if (kind == EventKind::kAlloc) {
        SharedAlloc(host, size, false);
      } else {
        SharedFree(host, size, false);
      }
      break;
    case EventKind::kDemand:
      if (hosts_[host].stats.demand != size) activity_ = true;
      hosts_[host].stats.demand = size;
      break;
  }
  return violation_;
}

void Pool::RequestGrant(size_t h, uint64_t size, bool policy) {
  Host& host = hosts_[h];
  const uint64_t chunk = sc_.appliance.chunk;
  uint64_t n = size / chunk;
  const std::string who = policy ? " (policy)" : origin_;
  if (free_.size() < n) {
    if (!policy || free_.empty()) {
      ++host.stats.grants_failed;
      if (policy) {
        host.denied = true;
        host.denied_free = free_.size();
      }
      Log(h, LogEntry::Kind::kFailed,
          absl::StrCat("grant ", hotplug::FormatSize(size), who,
                       ": the appliance has ",
                       hotplug::FormatSize(free_.size() * chunk), " free"),
          kENOSPC);
      return;
    }
    n = free_.size();  // a policy takes what there is
  }
  const uint64_t id = next_grant_++;
  Grant& g = host.grants[id];
  g.id = id;
  g.size = n * chunk;
  g.chunks = TakeChunks(h, n);
  g.requested = tick_;
  g.events_before = host.stats.hotplug_events;
  g.policy = policy;
  host.pending_grant += g.size;
  if (sc_.appliance.realize == Realize::kDcd) {
    // One extent per run of consecutive chunks (TakeChunks gives them in
    // increasing order), at the chunks' offsets in the appliance.
    for (size_t i = 0; i < g.chunks.size(); ++i) {
      const uint64_t off = uint64_t{g.chunks[i]} * chunk;
      if (i > 0 && g.chunks[i] == g.chunks[i - 1] + 1) {
        g.extents.back() = Range(g.extents.back().first(), off + chunk - 1);
      } else {
        g.extents.emplace_back(off, off + chunk - 1);
      }
    }
    host.queue.push_back(Task{Op::kExtentAdd, id, 0, policy, ""});
    for (uint32_t part = 0; part < g.extents.size(); ++part) {
      host.queue.push_back(Task{Op::kDaxCreate, id, 0, policy, "", part});
      host.queue.push_back(Task{Op::kKmemOnline, id, 0, policy, "", part});
    }
  } else {
    for (Op op : {Op::kRegionCreate, Op::kDaxCreate, Op::kKmemOnline}) {
      host.queue.push_back(Task{op, id, 0, policy, ""});
    }
  }
  Log(h, LogEntry::Kind::kRequest,
      absl::StrCat("grant ", hotplug::FormatSize(g.size), who, ": grant ", id,
                   ", chunks ", g.chunks.front(),
                   n > 1 ? absl::StrCat("..") : "",
                   n > 1 ? absl::StrCat(g.chunks.back()) : "",
                   n * chunk < size ? " (partial)" : ""));
  Verify(h, "a grant");
}

void Pool::RequestRevoke(size_t h, uint64_t size, bool policy) {
  Host& host = hosts_[h];
  host.pending_revoke += size;
  const std::string who = policy ? " (policy)" : origin_;
  host.queue.push_back(Task{Op::kRevoke, 0, size, policy, who});
  Log(h, LogEntry::Kind::kRequest,
      absl::StrCat("revoke ", hotplug::FormatSize(size), who));
}

uint64_t Pool::SharedMessages() const {
  const uint64_t n = hosts_.size();
  return sc_.appliance.tracking == Tracking::kAppliance ? 2 : 2 * (n - 1);
}

void Pool::PublishShared(size_t h) {
  // Appliance tracking: the appliance updates its map and the published
  // view every host reads. Host tracking: the allocating host updates its
  // replica and each peer's (the messages counted by the caller).
  const uint64_t held = hosts_[h].shared.size() * sc_.appliance.chunk;
  for (Host& o : hosts_) o.view[h] = held;
  published_free_ = free_.size() * sc_.appliance.chunk;
}

void Pool::SharedAlloc(size_t h, uint64_t size, bool policy) {
  Host& host = hosts_[h];
  const uint64_t chunk = sc_.appliance.chunk;
  uint64_t n = size / chunk;
  const std::string who = policy ? " (policy)" : origin_;
  host.stats.messages += SharedMessages();
  if (free_.size() < n) {
    if (!policy || free_.empty()) {
      ++host.stats.allocs_failed;
      if (policy) {
        host.denied = true;
        host.denied_free = free_.size();
      }
      Log(h, LogEntry::Kind::kFailed,
          absl::StrCat("alloc ", hotplug::FormatSize(size), who, ": ",
                       hotplug::FormatSize(free_.size() * chunk), " free"),
          kENOSPC);
      return;
    }
    n = free_.size();
  }
  std::vector<uint32_t> got = TakeChunks(h, n);
  host.shared.insert(host.shared.end(), got.begin(), got.end());
  ++host.stats.allocs;
  PublishShared(h);
  Log(h, LogEntry::Kind::kRequest,
      absl::StrCat("alloc ", hotplug::FormatSize(n * chunk), who, ": chunks ",
                   got.front(), n > 1 ? absl::StrCat("..", got.back()) : "",
                   ", ", SharedMessages(), " messages"));
  Verify(h, "an alloc");
}

void Pool::SharedFree(size_t h, uint64_t size, bool policy) {
  Host& host = hosts_[h];
  const uint64_t chunk = sc_.appliance.chunk;
  const uint64_t n = size / chunk;
  const std::string who = policy ? " (policy)" : origin_;
  if (host.shared.size() < n) {
    Log(h, LogEntry::Kind::kFailed,
        absl::StrCat("free ", hotplug::FormatSize(size), who,
                     ": the host holds ",
                     hotplug::FormatSize(host.shared.size() * chunk)),
        kerrno::kEINVAL);
    return;
  }
  host.stats.messages += SharedMessages();
  std::vector<uint32_t> back(host.shared.end() - n, host.shared.end());
  host.shared.resize(host.shared.size() - n);
  ReleaseChunks(h, back);
  ++host.stats.frees;
  PublishShared(h);
  Log(h, LogEntry::Kind::kRequest,
      absl::StrCat("free ", hotplug::FormatSize(size), who, ", ",
                   SharedMessages(), " messages"));
  Verify(h, "a free");
}

// ---------------------------------------------------------------------------
// Policies.

void Pool::RunPolicy(size_t h) {
  Host& host = hosts_[h];
  const HostSpec& spec = host.spec;
  const uint64_t chunk = sc_.appliance.chunk;
  const bool pooled = sc_.appliance.mode == Mode::kPooled;
  if (spec.policy != appliance::Policy::kNone) {
    const uint64_t demand = host.stats.demand;
    const uint64_t target =
        demand +
        (spec.policy == appliance::Policy::kProactive ? spec.headroom : 0);
    const uint64_t supply = Supply(host);
    if (host.denied && free_.size() > host.denied_free) host.denied = false;
    if (target > supply) {
      if (!host.denied) {
        const uint64_t need = (target - supply + chunk - 1) / chunk * chunk;
        if (pooled) {
          RequestGrant(h, need, true);
        } else {
          SharedAlloc(h, need, true);
        }
      }
    } else {
      host.denied = false;
      const uint64_t excess = supply - target;
      if (spec.release != 0 && excess >= spec.release) {
        if (!pooled) {
          const uint64_t held = host.shared.size() * chunk;
          const uint64_t give = std::min(excess, held) / chunk * chunk;
          if (give != 0) SharedFree(h, give, true);
        } else if (host.pending_revoke == 0 && tick_ >= host.revoke_backoff) {
          // Whole online grants, newest first, that fit in the excess.
          uint64_t total = 0;
          bool busy = false;
          for (auto it = host.grants.rbegin(); it != host.grants.rend(); ++it) {
            if (it->second.state == GrantState::kRevoking) busy = true;
            if (it->second.state == GrantState::kOnline &&
                total + it->second.size <= excess) {
              total += it->second.size;
            }
          }
          if (total != 0 && !busy) RequestRevoke(h, total, true);
        }
      }
    }
  }
  if (spec.watermark != 0) {
    const uint64_t usable = Usable(host);
    const bool low = usable < host.stats.demand ||
                     usable - host.stats.demand < spec.watermark;
    if (low && !host.warned) {
      ++host.stats.warnings;
      const uint64_t free_mem =
          usable > host.stats.demand ? usable - host.stats.demand : 0;
      Log(h, LogEntry::Kind::kWarning,
          absl::StrCat("free memory ", hotplug::FormatSize(free_mem),
                       " is below the "
                       "watermark ",
                       hotplug::FormatSize(spec.watermark)));
    }
    host.warned = low;
  }
}

// ---------------------------------------------------------------------------
// Hotplug tasks.

bool Pool::HasPinnedBlock(const Host& host, const Grant& g) const {
  if (host.pinned.empty()) return false;
  const uint64_t bs = sc_.appliance.block_size;
  for (const std::string& dax : g.daxes) {
    auto it = host.machine.daxes().find(dax);
    if (it == host.machine.daxes().end()) continue;
    const Range r = it->second.kmem_range;
    auto p = host.pinned.lower_bound(r.first() / bs);
    if (p != host.pinned.end() && *p <= r.last() / bs) return true;
  }
  return false;
}

void Pool::DecideRevoke(size_t h, const Task& t) {
  Host& host = hosts_[h];
  host.pending_revoke -= t.size;
  uint64_t remaining = t.size;
  bool busy = false;
  std::vector<uint64_t> chosen;
  std::string busy_what;
  for (auto it = host.grants.rbegin();
       it != host.grants.rend() && remaining != 0; ++it) {
    const Grant& g = it->second;
    if (g.state != GrantState::kOnline || g.size > remaining) continue;
    if (HasPinnedBlock(host, g)) {
      if (!busy) {
        busy_what =
            absl::StrCat("grant ", g.id, " (", absl::StrJoin(g.daxes, ", "),
                         ") has memory blocks with unmovable pages");
      }
      busy = true;
      continue;
    }
    chosen.push_back(g.id);
    remaining -= g.size;
  }
  const std::string& who = t.origin;
  const bool partial =
      remaining != 0 && host.spec.partial_revoke && !chosen.empty();
  if (remaining != 0 && !partial) {
    ++host.stats.revokes_failed;
    if (t.policy) host.revoke_backoff = tick_ + kRevokeBackoff;
    Log(h, LogEntry::Kind::kFailed,
        absl::StrCat("revoke ", hotplug::FormatSize(t.size), who, ": ",
                     busy ? busy_what
                          : "no newest-first set of whole online grants "
                            "makes this size"),
        busy ? kerrno::kEBUSY : kerrno::kEINVAL);
    return;
  }
  // Offline and destroy each chosen grant next, oldest of them last.
  std::vector<Task> next;
  for (uint64_t id : chosen) {
    Grant& g = host.grants.at(id);
    g.state = GrantState::kRevoking;
    if (sc_.appliance.realize == Realize::kDcd) {
      for (uint32_t part = 0; part < g.daxes.size(); ++part) {
        next.push_back(Task{Op::kKmemOffline, id, 0, t.policy, "", part});
        next.push_back(Task{Op::kDaxDestroy, id, 0, t.policy, "", part});
      }
      next.push_back(Task{Op::kExtentRelease, id, 0, t.policy, ""});
    } else {
      next.push_back(Task{Op::kKmemOffline, id, 0, t.policy, ""});
      next.push_back(Task{Op::kRegionDestroy, id, 0, t.policy, ""});
    }
  }
  host.queue.insert(host.queue.begin(), next.begin(), next.end());
  ++host.stats.revokes_done;
  if (partial) {
    // A host agent that reports what it could give back (revoke=partial).
    ++host.stats.revokes_partial;
    if (t.policy) host.revoke_backoff = tick_ + kRevokeBackoff;
    Log(h, LogEntry::Kind::kDone,
        absl::StrCat("revoke ", hotplug::FormatSize(t.size), who, ": partial, ",
                     hotplug::FormatSize(t.size - remaining), " in ",
                     chosen.size(), " grant(s) to offline and remove; ",
                     busy ? busy_what
                          : "no newest-first set of whole online grants "
                            "makes the rest"));
    return;
  }
  Log(h, LogEntry::Kind::kDone,
      absl::StrCat("revoke ", hotplug::FormatSize(t.size), who, ": ",
                   chosen.size(), " grant(s) to offline and remove"));
}

void Pool::FailGrant(size_t h, uint64_t id, const std::string& what,
                     const absl::Status& s) {
  Host& host = hosts_[h];
  Grant& g = host.grants.at(id);
  // Undo what the grant made on the host: the region (with its dax device,
  // which region destroy tears down), so the host is as before the grant.
  std::string undo;
  if (sc_.appliance.realize == Realize::kDcd &&
      (g.state == GrantState::kRegion || g.state == GrantState::kDax)) {
    // Its dax devices (offlined first where kmem has them), then its
    // extents.
    absl::Status d;
    for (auto it = g.daxes.rbegin(); it != g.daxes.rend() && d.ok(); ++it) {
      if (host.machine.daxes().at(*it).driver == Machine::DaxDriver::kKmem) {
        d = host.machine.KmemOffline(*it, true);
      }
      if (d.ok()) d = host.machine.DestroyDax(*it);
    }
    if (d.ok()) {
      d = host.machine.ReleaseExtents(host.dc_region,
                                      absl::StrCat("grant", id));
    }
    if (!d.ok()) {
      violation_.Update(absl::InternalError(absl::StrCat(
          "host ", host.spec.name, ": undoing grant ", id, ": ", d.message())));
    }
    undo = absl::StrCat("; its ", g.daxes.size(), " dax devices destroyed, ",
                        "extents released");
  } else if (g.state == GrantState::kRegion || g.state == GrantState::kDax) {
    if (absl::Status d = host.machine.DestroyRegion(g.region); !d.ok()) {
      violation_.Update(absl::InternalError(
          absl::StrCat("host ", host.spec.name, ": undoing grant ", id,
                       ": region destroy: ", d.message())));
    }
    undo = absl::StrCat("; region", g.region, " destroyed");
  }
  ReleaseChunks(h, g.chunks);
  host.pending_grant -= g.size;
  ++host.stats.grants_failed;
  std::erase_if(host.queue, [id](const Task& t) { return t.grant == id; });
  Log(h, LogEntry::Kind::kFailed,
      absl::StrCat(what, ": ", s.message(), undo, "; grant ", id,
                   " refused, its chunks go back"),
      ErrnoOf(s));
  host.grants.erase(id);
}

void Pool::GiveBack(size_t h, uint64_t id, const std::string& what) {
  Host& host = hosts_[h];
  const Grant& g = host.grants.at(id);
  ReleaseChunks(h, g.chunks);
  Log(h, LogEntry::Kind::kHotplug,
      absl::StrCat(what, ": grant ", g.id, "'s ", g.chunks.size(),
                   " chunks back to the appliance"));
  host.grants.erase(id);
}

void Pool::RunTask(size_t h, const Task& t) {
  Host& host = hosts_[h];
  const ApplianceSpec& a = sc_.appliance;
  Grant& g = host.grants.at(t.grant);
  ++host.stats.hotplug_events;
  activity_ = true;
  std::string what;
  switch (t.op) {
    case Op::kRegionCreate: {
      what = absl::StrCat("region create window=", host.spec.window,
                          " size=", hotplug::FormatSize(g.size), " mode=ram");
      absl::StatusOr<uint32_t> k = host.machine.CreateRegion(
          host.spec.window, g.size, Machine::RegionMode::kRam);
      if (!k.ok()) return FailGrant(h, g.id, what, k.status());
      g.region = *k;
      g.state = GrantState::kRegion;
      Log(h, LogEntry::Kind::kHotplug,
          absl::StrCat(what, ": region", *k, " (grant ", g.id, ")"));
      break;
    }
    case Op::kExtentAdd: {
      // The device adds the grant's chunks as one tag group.
      const std::string tag = absl::StrCat("grant", g.id);
      what = absl::StrCat("extent add region=region", host.dc_region,
                          " tag=", tag, " extents=");
      for (size_t i = 0; i < g.extents.size(); ++i) {
        absl::StrAppend(
            &what, i == 0 ? "" : ",", hotplug::FormatSize(g.extents[i].first()),
            ":", hotplug::FormatSize(absl::Uint128Low64(g.extents[i].size())));
      }
      if (absl::Status s =
              host.machine.AddExtents(host.dc_region, tag, g.extents);
          !s.ok()) {
        return FailGrant(h, g.id, what, s);
      }
      g.state = GrantState::kRegion;
      Log(h, LogEntry::Kind::kHotplug,
          absl::StrCat(what, ": ", g.extents.size(), " extents (grant ", g.id,
                       ")"));
      break;
    }
    case Op::kDaxCreate: {
      const bool dcd = a.realize == Realize::kDcd;
      const uint32_t k = dcd ? host.dc_region : g.region;
      std::optional<uint64_t> size;
      if (dcd) size = absl::Uint128Low64(g.extents[t.part].size());
      what = absl::StrCat(
          "dax create region=region", k,
          size ? absl::StrCat(" size=", hotplug::FormatSize(*size)) : "");
      absl::StatusOr<std::string> dax = host.machine.CreateDax(k, size);
      if (!dax.ok()) return FailGrant(h, g.id, what, dax.status());
      g.daxes.push_back(*dax);
      g.state = GrantState::kDax;
      Log(h, LogEntry::Kind::kHotplug, absl::StrCat(what, ": ", *dax));
      break;
    }
    case Op::kKmemOnline: {
      const Machine::Zone zone = host.spec.zone == ZonePolicy::kNormal
                                     ? Machine::Zone::kNormal
                                     : Machine::Zone::kMovable;
      const std::string& dax = g.daxes[t.part];
      what = absl::StrCat(
          "kmem online ", dax, " node=", host.spec.node,
          " zone=", zone == Machine::Zone::kNormal ? "normal" : "movable");
      if (absl::Status s = host.machine.KmemOnline(dax, host.spec.node, zone);
          !s.ok()) {
        return FailGrant(h, g.id, what, s);
      }
      if (t.part + 1 < g.extents.size()) {
        Log(h, LogEntry::Kind::kHotplug, what);  // kDcd: more extents to go
        break;
      }
      g.state = GrantState::kOnline;
      host.stats.online += g.size;
      host.pending_grant -= g.size;
      ++host.stats.grants_done;
      // Kernel allocations land in the normal zone while it is online:
      // each block keeps unmovable pages with the host's probability.
      uint64_t pinned = 0;
      if (host.spec.zone == ZonePolicy::kNormal && host.spec.unmovable_pct) {
        for (const std::string& d : g.daxes) {
          const Range r = host.machine.daxes().at(d).kmem_range;
          for (uint64_t b = r.first() / a.block_size;
               b <= r.last() / a.block_size; ++b) {
            if (NextRandom(&rng_) % 100 < host.spec.unmovable_pct) {
              host.pinned.insert(b);
              ++pinned;
            }
          }
        }
      }
      const uint64_t ev = host.stats.hotplug_events - g.events_before;
      const uint64_t ticks = tick_ - g.requested;
      host.stats.latency_events_sum += ev;
      host.stats.latency_events_max =
          std::max(host.stats.latency_events_max, ev);
      host.stats.latency_ticks_sum += ticks;
      host.stats.latency_ticks_max =
          std::max(host.stats.latency_ticks_max, ticks);
      Log(h, LogEntry::Kind::kHotplug, what);
      Log(h, LogEntry::Kind::kDone,
          absl::StrCat("grant ", g.id, " online: ", hotplug::FormatSize(g.size),
                       " after ", ev, " events, ", ticks, " ticks",
                       pinned ? absl::StrCat(" (", pinned,
                                             " blocks got unmovable pages)")
                              : ""));
      break;
    }
    case Op::kKmemOffline: {
      const std::string& dax = g.daxes[t.part];
      what = absl::StrCat("kmem offline ", dax);
      if (absl::Status s = host.machine.KmemOffline(dax, true); !s.ok()) {
        violation_.Update(absl::InternalError(
            absl::StrCat("host ", host.spec.name, ": ", what,
                         " of a grant checked "
                         "offlineable: ",
                         s.message())));
        return;
      }
      if (g.state != GrantState::kOff) host.stats.online -= g.size;
      g.state = GrantState::kOff;
      Log(h, LogEntry::Kind::kHotplug, what);
      break;
    }
    case Op::kDaxDestroy: {
      what = absl::StrCat("dax destroy ", g.daxes[t.part]);
      if (absl::Status s = host.machine.DestroyDax(g.daxes[t.part]); !s.ok()) {
        violation_.Update(absl::InternalError(absl::StrCat(
            "host ", host.spec.name, ": ", what, ": ", s.message())));
        return;
      }
      Log(h, LogEntry::Kind::kHotplug, what);
      break;
    }
    case Op::kExtentRelease: {
      what = absl::StrCat("extent release region=region", host.dc_region,
                          " tag=grant", g.id);
      if (absl::Status s = host.machine.ReleaseExtents(
              host.dc_region, absl::StrCat("grant", g.id));
          !s.ok()) {
        violation_.Update(absl::InternalError(absl::StrCat(
            "host ", host.spec.name, ": ", what, ": ", s.message())));
        return;
      }
      GiveBack(h, t.grant, what);
      break;
    }
    case Op::kRegionDestroy: {
      what = absl::StrCat("region destroy region", g.region);
      if (absl::Status s = host.machine.DestroyRegion(g.region); !s.ok()) {
        violation_.Update(absl::InternalError(absl::StrCat(
            "host ", host.spec.name, ": ", what, ": ", s.message())));
        return;
      }
      GiveBack(h, t.grant, what);
      break;
    }
    case Op::kRevoke:
      break;
  }
}

void Pool::RunQueue(size_t h) {
  Host& host = hosts_[h];
  uint32_t budget = host.spec.rate;
  while (budget > 0 && !host.queue.empty() && violation_.ok()) {
    const Task t = host.queue.front();
    host.queue.pop_front();
    if (t.op == Op::kRevoke) {
      DecideRevoke(h, t);
      Verify(h, "a revoke decision");
      continue;
    }
    RunTask(h, t);
    --budget;
    Verify(h, "a hotplug event");
  }
}

// ---------------------------------------------------------------------------
// Ticks.

absl::StatusOr<bool> Pool::Step() {
  if (finished_) return false;
  activity_ = false;
  const std::vector<ScenarioEvent>& events = sc_.events;
  while (next_event_ < events.size() && events[next_event_].tick <= tick_) {
    const ScenarioEvent& e = events[next_event_++];
    origin_ = absl::StrCat(" (", e.where.file, ":", e.where.line, ")");
    absl::Status s = Submit(e.kind, e.host, e.size);
    origin_.clear();
    if (!s.ok()) return s;
  }
  for (size_t h = 0; h < hosts_.size(); ++h) RunPolicy(h);
  for (size_t h = 0; h < hosts_.size(); ++h) RunQueue(h);
  if (!violation_.ok()) return violation_;
  const uint64_t free_bytes = free_.size() * sc_.appliance.chunk;
  const bool low = free_bytes < sc_.appliance.warn_free;
  if (low && !appliance_warned_) {
    ++appliance_warnings_;
    Log(hosts_.size(), LogEntry::Kind::kWarning,
        absl::StrCat(
            "appliance free capacity ", hotplug::FormatSize(free_bytes),
            " is below warn=", hotplug::FormatSize(sc_.appliance.warn_free)));
  }
  appliance_warned_ = low;
  bool queued = false;
  for (size_t h = 0; h < hosts_.size(); ++h) {
    Host& host = hosts_[h];
    queued = queued || !host.queue.empty();
    if (host.stats.demand > Usable(host)) {
      if (!host.in_oom) {
        host.stats.oom.push_back(Interval{tick_, tick_});
        Log(h, LogEntry::Kind::kOom,
            absl::StrCat("demand ", hotplug::FormatSize(host.stats.demand),
                         " exceeds ", hotplug::FormatSize(Usable(host)),
                         " usable"));
      }
      host.stats.oom.back().last = tick_;
      host.in_oom = true;
    } else {
      host.in_oom = false;
    }
    RecordSample(h);
  }
  const uint64_t last_event = events.empty() ? 0 : events.back().tick;
  if (sc_.appliance.ticks) {
    finished_ = tick_ >= *sc_.appliance.ticks;
  } else {
    finished_ = (next_event_ == events.size() && !queued && !activity_) ||
                tick_ >= last_event + kDrainLimit;
  }
  ++tick_;
  return !finished_;
}

bool Pool::Busy() const {
  for (const Host& h : hosts_) {
    if (!h.queue.empty()) return true;
  }
  return false;
}

absl::Status Pool::Run() {
  while (true) {
    absl::StatusOr<bool> more = Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  if (std::vector<std::string> v = CheckInvariants(); !v.empty()) {
    return absl::InternalError(absl::StrCat("at the end: ", v[0]));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Invariants.

std::vector<std::string> Pool::CheckAppliance() const {
  std::vector<std::string> out;
  const uint64_t chunk = sc_.appliance.chunk;
  const size_t n = owner_.size();
  std::vector<uint64_t> held(hosts_.size(), 0);
  size_t owned = 0;
  for (size_t c = 0; c < n; ++c) {
    if (owner_[c] < 0) continue;
    if (static_cast<size_t>(owner_[c]) >= hosts_.size()) {
      out.push_back(absl::StrCat("chunk ", c, " has owner ", owner_[c]));
      continue;
    }
    ++owned;
    ++held[owner_[c]];
  }
  if (owned + free_.size() != n) {
    out.push_back(absl::StrCat(owned, " owned + ", free_.size(),
                               " free chunks != capacity ", n));
  }
  for (uint32_t c : free_) {
    if (c >= n || owner_[c] != -1) {
      out.push_back(absl::StrCat("free chunk ", c, " has an owner"));
      break;
    }
  }
  // Every chunk a host's grants (or shared allocations) list is owned by
  // that host and listed once: no chunk is mapped by two hosts.
  std::vector<bool> seen(n, false);
  for (size_t h = 0; h < hosts_.size(); ++h) {
    const Host& host = hosts_[h];
    uint64_t listed = 0;
    auto visit = [&](uint32_t c, absl::string_view where) {
      ++listed;
      if (c >= n || owner_[c] != static_cast<int32_t>(h)) {
        out.push_back(absl::StrCat("host ", host.spec.name, " maps chunk ", c,
                                   " (", where, ") that the appliance gave ",
                                   c < n ? owner_[c] : -2));
      } else if (seen[c]) {
        out.push_back(absl::StrCat("chunk ", c, " is mapped twice"));
      }
      if (c < n) seen[c] = true;
    };
    for (const auto& [id, g] : host.grants) {
      for (uint32_t c : g.chunks) visit(c, absl::StrCat("grant ", id));
    }
    for (uint32_t c : host.shared) visit(c, "shared allocation");
    if (listed != held[h] || host.stats.granted != held[h] * chunk) {
      out.push_back(absl::StrCat("host ", host.spec.name, " lists ", listed,
                                 " chunks, counts ", host.stats.granted,
                                 " bytes, the appliance gave it ", held[h]));
    }
  }
  if (sc_.appliance.mode == Mode::kShared) {
    if (published_free_ != free_.size() * chunk) {
      out.push_back(absl::StrCat("published free ", published_free_,
                                 " != ", free_.size() * chunk));
    }
    for (const Host& host : hosts_) {
      for (size_t o = 0; o < hosts_.size(); ++o) {
        if (host.view[o] != held[o] * chunk) {
          out.push_back(absl::StrCat(
              "host ", host.spec.name, "'s view of ", hosts_[o].spec.name, ": ",
              host.view[o], " bytes, the appliance: ", held[o] * chunk));
        }
      }
    }
  }
  return out;
}

std::vector<std::string> Pool::CheckHost(size_t h) const {
  std::vector<std::string> out;
  const Host& host = hosts_[h];
  for (const InvariantViolation& v : host.machine.CheckInvariants()) {
    out.push_back(absl::StrCat("host ", host.spec.name, ": ", v.message));
  }
  const auto w = host.machine.windows().find(host.spec.window);
  if (w == host.machine.windows().end()) {
    out.push_back(absl::StrCat("host ", host.spec.name, ": no window"));
    return out;
  }
  std::map<uint32_t, uint64_t> want;  // region -> size
  if (sc_.appliance.mode == Mode::kShared) {
    if (w->second.regions.size() != 1) {
      out.push_back(absl::StrCat("host ", host.spec.name, ": ",
                                 w->second.regions.size(),
                                 " regions in the window, want the shared "
                                 "mapping only"));
    }
    return out;
  }
  if (sc_.appliance.realize == Realize::kDcd) {
    // One DC region; its tag groups are the grants that reached extent
    // add, each with the grant's extents.
    if (w->second.regions.size() != 1 ||
        w->second.regions[0] != host.dc_region) {
      out.push_back(absl::StrCat("host ", host.spec.name, ": ",
                                 w->second.regions.size(),
                                 " regions in the window, want its DC region "
                                 "only"));
      return out;
    }
    std::map<std::string, std::vector<Range>> groups;
    for (const auto& [id, g] : host.grants) {
      if (g.state == GrantState::kQueued) continue;
      std::vector<Range> abs;
      const uint64_t base =
          host.machine.regions().at(host.dc_region).range.first();
      for (const Range& e : g.extents) {
        abs.emplace_back(base + e.first(), base + e.last());
      }
      groups[absl::StrCat("grant", id)] = abs;
    }
    if (host.machine.regions().at(host.dc_region).extents != groups) {
      out.push_back(absl::StrCat("host ", host.spec.name,
                                 ": the DC region's tag groups are not ",
                                 groups.size(), " grants' extents"));
    }
    return out;
  }
  for (const auto& [id, g] : host.grants) {
    if (g.state != GrantState::kQueued) want[g.region] = g.size;
  }
  std::map<uint32_t, uint64_t> have;
  for (uint32_t k : w->second.regions) {
    have[k] = absl::Uint128Low64(host.machine.regions().at(k).range.size());
  }
  if (have != want) {
    out.push_back(absl::StrCat("host ", host.spec.name, ": ", have.size(),
                               " regions in its window, ", want.size(),
                               " grants with a region (or sizes differ)"));
  }
  return out;
}

std::vector<std::string> Pool::CheckInvariants() const {
  std::vector<std::string> out = CheckAppliance();
  for (size_t h = 0; h < hosts_.size(); ++h) {
    for (std::string& s : CheckHost(h)) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace appliance
}  // namespace restree
