// File: pool.h
// -----------------------------------------------------------------------------
//
// `appliance::Pool`: a memory appliance lending memory to several hosts, run
// tick by tick on one `hotplug::Machine` per host (docs/pool.md).
//
// Pooled mode. The appliance's capacity is cut into chunks; a grant gives
// whole chunks to one host. On the host a grant is a CXL ram region of the
// grant's size in the host's window (Realize::kRegion; Realize::kChunks
// reserves the window as chunks first, and the region claims them), its
// dax device, and kmem onlining it on the host's node in the host's zone:
// three hotplug events, run from the host's queue at `rate` events per
// tick. A revoke gives back whole grants, newest first: kmem offline (every
// block offlined and removed) and region destroy, two events per grant.
// Realize::kDcd (Dynamic Capacity, the unmerged DCD series): each host has
// one DC region over the whole appliance; a grant is one event adding a
// tag group of extents (one per run of consecutive chunks, at the chunks'
// offsets), then per extent a dax device and its kmem online (1 + 2E
// events); a revoke is per extent kmem offline and dax destroy, then one
// extent release (2E + 1). A
// normal-zone block holds unmovable pages with the host's `unmovable`
// probability (drawn when it is onlined, from the scenario's seed), and a
// grant with such a block cannot be offlined: a revoke that cannot be met
// without one fails with EBUSY and changes nothing.
//
// Shared mode. Every host maps the whole appliance at setup (a region of
// the capacity and its dax device, device-DAX: shared memory is not System
// RAM). Allocations take chunks from the shared capacity without hotplug
// events; who tracks them decides the messages: the appliance (request and
// reply, 2 per allocation, and it publishes the free capacity) or the hosts
// (the allocating host tells each peer and waits for its ack, 2(N-1)).
//
// Demand. A host's demand (bytes) is set by scenario events; its policy
// asks for memory when short (reactive) or keeps `headroom` free
// (proactive), gives back surplus above `release`, and warns below
// `watermark`. A tick in which demand exceeds what the host can use is a
// near-out-of-memory tick.
//
// Invariants (CheckInvariants(), after every request and hotplug event when
// PoolOptions::check_every_event): no chunk has two owners; owned + free
// chunks = capacity; a host's grants are exactly its regions in the
// window, each of its grant's size; every host's Machine::CheckInvariants()
// (the structural and `restree check` rules) holds; shared-mode views equal
// the appliance's allocation map.
//
// Thread-safety: thread-compatible.

#ifndef RESTREE_APPLIANCE_POOL_H_
#define RESTREE_APPLIANCE_POOL_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "appliance/scenario.h"
#include "hotplug/machine.h"
#include "resource_tree/range.h"

namespace restree {
namespace appliance {

struct PoolOptions {
  // Run CheckInvariants() after every request and hotplug event (O(hosts'
  // trees + chunks) each); off: only at the end of Run().
  bool check_every_event = true;
  // Keep the per-event log (Pool::log()).
  bool keep_log = true;
};

struct LogEntry {
  enum class Kind {
    kRequest,  // a grant/revoke/alloc/free asked for (scenario or policy)
    kHotplug,  // a hotplug event ran on a host's machine
    kDone,     // a grant is online / a revoke finished
    kFailed,   // a request or hotplug event failed (errno set)
    kWarning,  // a capacity warning
    kOom,      // a near-out-of-memory interval began
  };
  uint64_t tick = 0;
  std::string host;  // "" for the appliance
  Kind kind = Kind::kRequest;
  int errno_value = 0;
  std::string text;
};

absl::string_view LogKindName(LogEntry::Kind kind);

// A host's usable memory and demand from `tick` on (a step function: one
// sample per change).
struct Sample {
  uint64_t tick = 0;
  uint64_t usable = 0;  // local RAM + online pooled / allocated shared
  uint64_t demand = 0;
  uint64_t granted = 0;  // chunks the appliance has given it, in bytes
};

struct Interval {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

struct HostStats {
  uint64_t local = 0;    // boot RAM (online blocks at setup)
  uint64_t granted = 0;  // bytes of appliance chunks it holds now
  uint64_t peak_granted = 0;
  uint64_t online = 0;  // pooled: granted and online now
  uint64_t demand = 0;  // now
  uint64_t grants_done = 0, grants_failed = 0;
  uint64_t revokes_done = 0, revokes_failed = 0;
  // Of revokes_done, those that gave back less than asked (revoke=partial).
  uint64_t revokes_partial = 0;
  uint64_t warnings = 0;
  uint64_t hotplug_events = 0;
  // Completed grants: hotplug events the host ran (its own and those
  // queued ahead of it) and ticks from request to online.
  uint64_t latency_events_sum = 0, latency_events_max = 0;
  uint64_t latency_ticks_sum = 0, latency_ticks_max = 0;
  // Shared mode.
  uint64_t allocs = 0, frees = 0, allocs_failed = 0;
  uint64_t messages = 0;
  std::vector<Interval> oom;  // near-OOM intervals, in order
};

class Pool {
 public:
  // Builds each host's machine (its base dump or generated tree, the
  // window, chunk reservation, the shared mapping) and the appliance.
  // Errors (kInvalidArgument "FILE:LINE:COLUMN: message", at the host's
  // line): a base dump that does not parse, a window the machine refuses,
  // a shared mapping that cannot be created (a profile without CXL ram
  // regions, say).
  [[nodiscard]] static absl::StatusOr<Pool> Create(
      const Scenario& scenario, const PoolOptions& options = PoolOptions());

  // Runs every tick to the end (ApplianceSpec::ticks, or until every event
  // is in and every queue is empty). kInternal if an invariant breaks
  // (a restree bug), naming the tick and the violation.
  [[nodiscard]] absl::Status Run();
  // One tick: the scenario's events of this tick, the hosts' policies,
  // each host's queue, the near-OOM accounting. False when the run is over.
  [[nodiscard]] absl::StatusOr<bool> Step();

  // A request at the current tick, as a scenario event would make it (for
  // tests). Grant and revoke are queued on the host; alloc, free and
  // demand take effect at once.
  [[nodiscard]] absl::Status Submit(EventKind kind, size_t host, uint64_t size);

  // Every invariant above, as messages ("" none).
  std::vector<std::string> CheckInvariants() const;

  const Scenario& scenario() const { return sc_; }
  uint64_t tick() const { return tick_; }
  size_t host_count() const { return hosts_.size(); }
  const std::string& host_name(size_t h) const { return hosts_[h].spec.name; }
  const hotplug::Machine& machine(size_t h) const { return hosts_[h].machine; }
  const HostStats& stats(size_t h) const { return hosts_[h].stats; }
  const std::vector<Sample>& samples(size_t h) const {
    return hosts_[h].samples;
  }
  // The owner (host index) of each appliance chunk; -1 free.
  const std::vector<int32_t>& chunk_owner() const { return owner_; }
  uint64_t free_bytes() const { return free_.size() * sc_.appliance.chunk; }
  uint64_t appliance_warnings() const { return appliance_warnings_; }
  // Shared mode: the free capacity the appliance publishes, and what host
  // `h` believes each host holds (bytes, by host index).
  uint64_t published_free() const { return published_free_; }
  const std::vector<uint64_t>& view(size_t h) const { return hosts_[h].view; }
  const std::vector<LogEntry>& log() const { return log_; }
  bool finished() const { return finished_; }
  // True while some host has hotplug work queued.
  bool Busy() const;

 private:
  // kRegion: its region (or, kDcd, its extents) exists on the host.
  enum class GrantState { kQueued, kRegion, kDax, kOnline, kRevoking, kOff };
  struct Grant {
    uint64_t id = 0;
    uint64_t size = 0;
    std::vector<uint32_t> chunks;
    GrantState state = GrantState::kQueued;
    uint32_t region = 0;
    // Its dax devices, in order: one (in its region), or with kDcd one per
    // extent; and kDcd's extents (region offsets, one per run of chunks).
    std::vector<std::string> daxes;
    std::vector<Range> extents;
    uint64_t requested = 0;      // tick
    uint64_t events_before = 0;  // host's hotplug_events at the request
    bool policy = false;
  };
  enum class Op {
    kRegionCreate,
    kDaxCreate,
    kKmemOnline,
    kKmemOffline,
    kRegionDestroy,
    kRevoke,
    kExtentAdd,      // kDcd
    kDaxDestroy,     // kDcd
    kExtentRelease,  // kDcd
  };
  struct Task {
    Op op = Op::kRevoke;
    uint64_t grant = 0;  // all but kRevoke
    uint64_t size = 0;   // kRevoke
    bool policy = false;
    std::string origin;  // kRevoke: " (FILE:LINE)" or " (policy)"
    uint32_t part = 0;   // kDcd: the extent a dax/kmem task works on
  };
  struct Host {
    HostSpec spec;
    hotplug::Machine machine;
    std::deque<Task> queue;
    std::map<uint64_t, Grant> grants;  // by id: oldest first
    std::set<uint64_t> pinned;         // blocks with unmovable pages
    std::vector<uint32_t> shared;      // shared mode: its chunks, in order
    uint32_t dc_region = 0;            // kDcd: its DC region
    std::vector<uint64_t> view;        // shared mode: bytes per host
    HostStats stats;
    std::vector<Sample> samples;
    uint64_t pending_grant = 0;   // bytes queued or being onlined
    uint64_t pending_revoke = 0;  // bytes asked back, not yet decided
    bool warned = false;          // below the watermark
    bool denied = false;          // a policy grant was refused this episode
    size_t denied_free = 0;       // free chunks when it was refused
    uint64_t revoke_backoff = 0;  // no policy revoke before this tick
    bool in_oom = false;
    explicit Host(hotplug::Machine m) : machine(std::move(m)) {}
  };

  Pool(Scenario sc, const PoolOptions& options)
      : sc_(std::move(sc)), options_(options) {}

  void Log(size_t host, LogEntry::Kind kind, std::string text, int err = 0);
  // With check_every_event: the appliance's books and host h's invariants;
  // the first violation is kept in violation_.
  void Verify(size_t h, absl::string_view after);
  std::vector<std::string> CheckAppliance() const;
  std::vector<std::string> CheckHost(size_t h) const;
  void RequestGrant(size_t h, uint64_t size, bool policy);
  void RequestRevoke(size_t h, uint64_t size, bool policy);
  void SharedAlloc(size_t h, uint64_t size, bool policy);
  void SharedFree(size_t h, uint64_t size, bool policy);
  uint64_t SharedMessages() const;
  void PublishShared(size_t h);
  void RunPolicy(size_t h);
  void RunQueue(size_t h);
  void RunTask(size_t h, const Task& t);
  // The last step of a revoke (region destroy, extent release) succeeded:
  // the grant's chunks go back to the appliance and the grant goes.
  void GiveBack(size_t h, uint64_t id, const std::string& what);
  void DecideRevoke(size_t h, const Task& t);
  void FailGrant(size_t h, uint64_t id, const std::string& what,
                 const absl::Status& s);
  bool HasPinnedBlock(const Host& host, const Grant& g) const;
  std::vector<uint32_t> TakeChunks(size_t h, uint64_t n);
  void ReleaseChunks(size_t h, const std::vector<uint32_t>& chunks);
  void RecordSample(size_t h);
  uint64_t Usable(const Host& host) const;
  // Pooled: local + grants not being revoked - revokes asked for.
  uint64_t Supply(const Host& host) const;

  Scenario sc_;
  PoolOptions options_;
  std::vector<Host> hosts_;
  std::vector<int32_t> owner_;
  std::set<uint32_t> free_;
  uint64_t next_grant_ = 1;
  uint64_t tick_ = 0;
  size_t next_event_ = 0;
  uint64_t rng_ = 0;
  uint64_t published_free_ = 0;
  uint64_t appliance_warnings_ = 0;
  bool appliance_warned_ = false;
  bool finished_ = false;
  bool activity_ = false;   // something happened this tick
  std::string origin_;      // " (FILE:LINE)" of the event being submitted
  absl::Status violation_;  // the first invariant violation
  std::vector<LogEntry> log_;
};

}  // namespace appliance
}  // namespace restree

#endif  // RESTREE_APPLIANCE_POOL_H_
