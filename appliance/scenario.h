// File: scenario.h
// -----------------------------------------------------------------------------
//
// The pool scenario language of `restree pool` (docs/pool.md): one memory
// appliance (capacity, chunk size, pooled or shared mode), the hosts that
// see it through a CFMWS window, and what happens over time (grants,
// revokes, shared allocations, memory demand). `ParseScenario()` reads the
// text; `appliance::Pool` (appliance/pool.h) runs it on one
// `hotplug::Machine` per host.
//
// The parser checks syntax and the rules that need no machine: known keys,
// sizes that are chunk multiples, chunk size a multiple of 256 MiB, host
// names defined before use, events that fit the mode. Every error is
// kInvalidArgument "FILE:LINE:COLUMN: message" (columns count bytes from 1)
// and rejects the whole scenario.
//
// Thread-safety: value types and pure functions.

#ifndef RESTREE_APPLIANCE_SCENARIO_H_
#define RESTREE_APPLIANCE_SCENARIO_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace restree {
namespace appliance {

struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  // "FILE:LINE:COLUMN".
  std::string ToString() const;
};

enum class Mode { kPooled, kShared };
// Shared mode: who keeps the allocation map.
enum class Tracking { kAppliance, kHosts };
// Pooled mode: how a grant reaches the host's tree. kRegion: a CXL ram
// region of the grant's size in the host's window (region create, dax
// create, kmem online); kChunks: the same with the window reserved as
// chunks of the appliance's chunk size (restree's redesign, `chunks
// reserve`), so a grant claims chunks; kDcd: Dynamic Capacity (the
// unmerged DCD series, linux-7.1): each host has one DC region over the
// whole appliance, and a grant is a tag group of extents at its chunks'
// offsets (extent add), a dax device per extent and kmem online of each.
enum class Realize { kRegion, kChunks, kDcd };
absl::string_view RealizeName(Realize r);  // "region", "chunks", "dcd"
enum class Policy { kNone, kReactive, kProactive };
enum class ZonePolicy { kMovable, kNormal };

struct ApplianceSpec {
  Location where;
  uint64_t capacity = 0;
  uint64_t chunk = uint64_t{1} << 30;
  Mode mode = Mode::kPooled;
  Tracking tracking = Tracking::kAppliance;
  Realize realize = Realize::kRegion;
  // Appliance capacity warning: free capacity below this (0: never).
  uint64_t warn_free = 0;
  std::string profile = "linux-6.12";
  uint64_t block_size = uint64_t{128} << 20;
  uint64_t seed = 1;
  // Last tick simulated; nullopt: until the last event, then until every
  // host's queue is empty.
  std::optional<uint64_t> ticks;
};

struct HostSpec {
  Location where;
  std::string name;
  // A base /proc/iomem dump (its path as written, and its text once read),
  // or, when `base_path` is empty, a generated tree with `ram` bytes of
  // System RAM.
  std::string base_path;
  std::string base_text;
  uint64_t ram = uint64_t{4} << 30;
  uint32_t window = 0;
  std::optional<uint64_t> window_base;  // nullopt: above the host's tree
  // Pooled: the window's size (a chunk multiple up to the capacity), the
  // most the host can map; nullopt: the capacity.
  std::optional<uint64_t> window_size;
  int node = 1;
  ZonePolicy zone = ZonePolicy::kMovable;
  // Percentage (0..100) of normal-zone memory blocks that end up holding
  // unmovable pages when onlined, hence cannot be offlined.
  uint32_t unmovable_pct = 0;
  // Pooled: a revoke that cannot be met in full gives back what it can
  // (the grants it found offlineable) instead of failing unchanged.
  bool partial_revoke = false;
  // Hotplug events the host runs per tick (>= 1).
  uint32_t rate = 1;
  Policy policy = Policy::kNone;
  uint64_t headroom = 0;   // proactive: keep this much free
  uint64_t watermark = 0;  // warn when free memory is below this (0: never)
  uint64_t release = 0;    // give back surplus above this (0: never)
};

enum class EventKind { kGrant, kRevoke, kAlloc, kFree, kDemand };

struct ScenarioEvent {
  Location where;
  uint64_t tick = 0;
  EventKind kind = EventKind::kGrant;
  size_t host = 0;  // index into Scenario::hosts
  uint64_t size = 0;
};

struct Scenario {
  ApplianceSpec appliance;
  std::vector<HostSpec> hosts;
  // Sorted by tick, stable (file order within a tick). Demand events come
  // from `at T demand`, `ramp` and `trace`.
  std::vector<ScenarioEvent> events;
};

// Reads a file named in the scenario (`base=`, `trace file=`), relative to
// the scenario's directory as the caller decides. Errors name the file.
using FileReader =
    std::function<absl::StatusOr<std::string>(const std::string& path)>;

// Parses `text` (named `file` in messages). `read` loads base dumps and
// trace files; without one, `base=` and `trace` are errors.
[[nodiscard]] absl::StatusOr<Scenario> ParseScenario(
    absl::string_view text, absl::string_view file,
    const FileReader& read = nullptr);

absl::string_view ModeName(Mode mode);
absl::string_view EventKindName(EventKind kind);

}  // namespace appliance
}  // namespace restree

#endif  // RESTREE_APPLIANCE_SCENARIO_H_
