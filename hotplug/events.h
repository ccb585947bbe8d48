// File: events.h
// -----------------------------------------------------------------------------
//
// The data model of the hotplug event language (docs/events.md): one struct
// per event kind, held in the `EventBody` variant, and a `Script` of events
// with their source locations. `ParseScript()` (hotplug/parse.h) builds a
// `Script` from text; `FormatEvent()` (hotplug/format.h) prints an event back
// in canonical syntax; the applier (hotplug/apply.h) runs them.
//
// The structs describe what the script *says*, checked for syntax only: a
// `RegionCreate` with `size=0` or a `WindowAdd` with `ways=5` parses, and it
// is the applier's job to fail it the way the kernel's drivers would.
// Optional keys the script left out are `std::nullopt` where the applier
// chooses the value (from the window, the dax device, the kernel's policy);
// keys with a fixed default carry that default.
//
// Every struct is a plain value with `operator==`; equality ignores nothing
// (the source location lives in `Event`, outside the body).
//
// Thread-safety: value types; safe to share between threads.

#ifndef RESTREE_HOTPLUG_EVENTS_H_
#define RESTREE_HOTPLUG_EVENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "resource_tree/flags.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace hotplug {

// Where an event starts: the 1-based line and the 1-based byte column of its
// first token.
struct SourceLocation {
  int line = 0;
  int column = 0;
  friend bool operator==(const SourceLocation&,
                         const SourceLocation&) = default;
};

// The root a raw operation, `reparent` or `assert` works on: "iomem" (the
// kernel's iomem_resource, "PCI mem"), "ioport" (ioport_resource, "PCI IO"),
// or the name of a private root declared earlier by `root add` (cxl_acpi's
// "CXL mem", for example).
inline constexpr absl::string_view kIomemRoot = "iomem";
inline constexpr absl::string_view kIoportRoot = "ioport";
// The private roots the machine itself keeps (hotplug/machine.h,
// Machine::PrivateRoot), usable with root= without `root add` (which
// shadows them): cxl_acpi's "CXL mem", dax_hmem's "HMEM devices", 7.x's
// soft_reserve_resource ("Soft Reserved") and 7.1's "DAX Regions".
inline constexpr absl::string_view kMachineRoots[] = {
    "CXL mem", "HMEM devices", "Soft Reserved", "DAX Regions"};

// A resource named in a script: `NAME` (exactly one resource of the root has
// this name) or `NAME@START-END` (the one with this name and range).
struct ResourceRef {
  std::string name;
  std::optional<Range> range;
  friend bool operator==(const ResourceRef&, const ResourceRef&) = default;
};

// "daxX.Y".
struct DaxRef {
  uint32_t region = 0;
  uint32_t id = 0;
  friend bool operator==(const DaxRef&, const DaxRef&) = default;
};

// kDc: a dynamic capacity region (the unmerged DCD series, `config dcd=y`).
enum class RegionMode : int { kRam, kPmem, kDc };
enum class NamespaceMode : int { kDevdax, kFsdax, kRaw };
enum class Zone : int { kMovable, kNormal };

// CFMWS Window Restrictions bits (the ACPI values; cfmws/cedt.h names them
// too): `restrict=` takes their names.
namespace restriction {
inline constexpr uint16_t kType2 = 1 << 0;  // device coherent
inline constexpr uint16_t kType3 = 1 << 1;  // host-only coherent
inline constexpr uint16_t kRam = 1 << 2;    // volatile
inline constexpr uint16_t kPmem = 1 << 3;   // persistent
inline constexpr uint16_t kFixed = 1 << 4;  // fixed device configuration
inline constexpr uint16_t kBi = 1 << 5;     // back-invalidate
inline constexpr uint16_t kDefault = kType3 | kRam | kPmem;
}  // namespace restriction

// ---------------------------------------------------------------------------
// Machine and CXL events.

// How a driver is built: into the kernel or as a module (decides load
// order, docs/events.md "Build configuration").
enum class BuildMode : int { kBuiltin, kModule };

// What the kernel does with memory blocks it hot-adds by itself (ACPI /
// pc-dimm add, kmem binding a device at boot): `memhp_default_state=` on
// its command line, CONFIG_MHP_DEFAULT_ONLINE_TYPE_* (6.14+) or
// CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE (before).
enum class OnlineDefault : int {
  kOffline,
  kOnline,
  kOnlineKernel,
  kOnlineMovable
};

// `config [profile=NAME] [block-size=SIZE] [cxl-region=y|n]
// [cxl=builtin|modules] [dax-hmem=builtin|modules] [hmem-sr-reinsert=y|n]
// [dcd=y|n] [memhp-default-state=offline|online|online_kernel|online_movable]`
// (at least one key). Absent keys keep the machine's defaults.
struct ConfigEvent {
  std::optional<std::string> profile;  // a KernelProfile name or alias
  std::optional<uint64_t> block_size;  // memory block size
  std::optional<bool> cxl_region;      // CONFIG_CXL_REGION
  std::optional<BuildMode> cxl;        // CONFIG_CXL_ACPI (and the CXL core)
  std::optional<BuildMode> dax_hmem;   // CONFIG_DEV_DAX_HMEM
  // The unmerged "dax/hmem: Reintroduce Soft Reserved ranges back into the
  // iomem tree" (v8 9/9): 7.x profiles only.
  std::optional<bool> hmem_sr_reinsert;
  // The unmerged Dynamic Capacity Device series (v10, May 2026): linux-7.1.
  std::optional<bool> dcd;
  std::optional<OnlineDefault> memhp_default_state;
  friend bool operator==(const ConfigEvent&, const ConfigEvent&) = default;
};

// `root add NAME [START-END] [flags=FLAGS]`: declares a private root.
struct RootAdd {
  std::string name;
  Range range = Range::Full();
  uint64_t flags = iores::kMem;
  friend bool operator==(const RootAdd&, const RootAdd&) = default;
};

// `window add N base=ADDR size=SIZE [ways=W] [gran=G] [targets=LIST]
// [restrict=LIST]`: "CXL Window N".
struct WindowAdd {
  uint32_t index = 0;
  uint64_t base = 0;
  uint64_t size = 0;
  uint32_t ways = 1;
  uint64_t granularity = 256;
  std::vector<uint32_t> targets;  // empty: not given
  uint16_t restrictions = restriction::kDefault;
  friend bool operator==(const WindowAdd&, const WindowAdd&) = default;
};

// `window expand N to=START-END [grow-ancestors]`.
struct WindowExpand {
  uint32_t index = 0;
  Range to;
  // `grow-ancestors`: containing resources grow too, just enough
  // (ResourceTree::Grow's GrowPolicy::grow_ancestors).
  bool grow_ancestors = false;
  friend bool operator==(const WindowExpand&, const WindowExpand&) = default;
};

// `softres add START-END`: a "Soft Reserved" range (EFI_MEMORY_SP).
struct SoftresAdd {
  Range range;
  friend bool operator==(const SoftresAdd&, const SoftresAdd&) = default;
};

// `region create window=N size=SIZE mode=ram|pmem [ways=W] [gran=G]`: the
// next regionK. Absent ways/gran: the window's.
struct RegionCreate {
  uint32_t window = 0;
  uint64_t size = 0;
  RegionMode mode = RegionMode::kRam;
  std::optional<uint32_t> ways;
  std::optional<uint64_t> granularity;
  friend bool operator==(const RegionCreate&, const RegionCreate&) = default;
};

// `region assemble window=N START-END [mode=ram|pmem] [failed]`: CXL
// auto-assembly of a region that firmware committed in the decoders
// (construct_region); `failed`: the resource was inserted but assembly did
// not complete (the region never commits).
struct RegionAssemble {
  uint32_t window = 0;
  Range range;
  RegionMode mode = RegionMode::kRam;
  bool failed = false;
  friend bool operator==(const RegionAssemble&,
                         const RegionAssemble&) = default;
};

// `hmem probe [node=N]`: dax_hmem claims the Soft Reserved ranges (what the
// profile's hmem_init and the dax_hmem platform probe do). Absent node: 0.
struct HmemProbe {
  std::optional<uint32_t> node;
  friend bool operator==(const HmemProbe&, const HmemProbe&) = default;
};

// `region destroy regionK`.
struct RegionDestroy {
  uint32_t region = 0;
  friend bool operator==(const RegionDestroy&, const RegionDestroy&) = default;
};

// `namespace create region=regionK mode=devdax|fsdax|raw [align=SIZE]
// [size=SIZE]`. Absent size: the whole region.
struct NamespaceCreate {
  uint32_t region = 0;
  NamespaceMode mode = NamespaceMode::kDevdax;
  uint64_t align = uint64_t{2} << 20;
  std::optional<uint64_t> size;
  friend bool operator==(const NamespaceCreate&,
                         const NamespaceCreate&) = default;
};

// `namespace destroy namespaceX.Y` (ndctl destroy-namespace -f): the
// namespace goes and its label is deleted from the memdevs' label area.
struct NamespaceDestroy {
  DaxRef ns;  // X.Y of "namespaceX.Y"
  friend bool operator==(const NamespaceDestroy&,
                         const NamespaceDestroy&) = default;
};

// `dax create region=regionK`: daxK.0 on a ram region.
// `dax create region=regionK [size=SIZE]`: size only for a DC region.
struct DaxCreate {
  uint32_t region = 0;
  std::optional<uint64_t> size;
  friend bool operator==(const DaxCreate&, const DaxCreate&) = default;
};

// `dax destroy daxX.Y` (a DC region's device).
struct DaxDestroy {
  DaxRef dax;
  friend bool operator==(const DaxDestroy&, const DaxDestroy&) = default;
};

// One extent of an Add Capacity event: region offset and length.
struct Extent {
  uint64_t offset = 0;
  uint64_t size = 0;
  friend bool operator==(const Extent&, const Extent&) = default;
};

// `extent add region=regionK tag=NAME extents=OFF:SIZE[,OFF:SIZE...]`: the
// device adds a tag group of extents to DC region K.
struct ExtentAdd {
  uint32_t region = 0;
  std::string tag;
  std::vector<Extent> extents;  // in the order given, at least one
  friend bool operator==(const ExtentAdd&, const ExtentAdd&) = default;
};

// `extent release region=regionK tag=NAME`: Release Capacity of a group.
struct ExtentRelease {
  uint32_t region = 0;
  std::string tag;
  friend bool operator==(const ExtentRelease&, const ExtentRelease&) = default;
};

// `kmem online daxX.Y [node=N] [zone=movable|normal]`. Absent node: the
// device's target node; absent zone: the kernel's online policy.
struct KmemOnline {
  DaxRef dax;
  std::optional<uint32_t> node;
  std::optional<Zone> zone;
  friend bool operator==(const KmemOnline&, const KmemOnline&) = default;
};

// `kmem offline daxX.Y`.
struct KmemOffline {
  DaxRef dax;
  friend bool operator==(const KmemOffline&, const KmemOffline&) = default;
};

// `memory add ADDR size=SIZE [node=N]`: ACPI / pc-dimm hot-add.
struct MemoryAdd {
  uint64_t addr = 0;
  uint64_t size = 0;
  std::optional<uint32_t> node;
  friend bool operator==(const MemoryAdd&, const MemoryAdd&) = default;
};

// `memory online ADDR size=SIZE [zone=movable|normal]`.
struct MemoryOnline {
  uint64_t addr = 0;
  uint64_t size = 0;
  std::optional<Zone> zone;
  friend bool operator==(const MemoryOnline&, const MemoryOnline&) = default;
};

// `memory offline ADDR size=SIZE`.
struct MemoryOffline {
  uint64_t addr = 0;
  uint64_t size = 0;
  friend bool operator==(const MemoryOffline&, const MemoryOffline&) = default;
};

// `memory remove ADDR size=SIZE`.
struct MemoryRemove {
  uint64_t addr = 0;
  uint64_t size = 0;
  friend bool operator==(const MemoryRemove&, const MemoryRemove&) = default;
};

// `chunks reserve window=N [size=SIZE]`. Absent size: 256 MiB x ways.
struct ChunksReserve {
  uint32_t window = 0;
  std::optional<uint64_t> size;
  friend bool operator==(const ChunksReserve&, const ChunksReserve&) = default;
};

// `chunks release-unused window=N [shrink]`.
struct ChunksReleaseUnused {
  uint32_t window = 0;
  bool shrink = false;
  friend bool operator==(const ChunksReleaseUnused&,
                         const ChunksReleaseUnused&) = default;
};

// `reparent RESOURCE under RESOURCE [root=ROOT]`.
struct Reparent {
  std::string root = std::string(kIomemRoot);
  ResourceRef resource;
  ResourceRef new_parent;
  friend bool operator==(const Reparent&, const Reparent&) = default;
};

// `expect error CODE`: the next event must fail with this errno (positive,
// e.g. 16 for EBUSY).
struct ExpectError {
  int errno_value = 0;
  friend bool operator==(const ExpectError&, const ExpectError&) = default;
};

// ---------------------------------------------------------------------------
// Assertions: `assert KIND ... [root=ROOT]`.

// `assert parent RESOURCE PARENT`.
struct AssertParent {
  ResourceRef resource;
  ResourceRef parent;
  friend bool operator==(const AssertParent&, const AssertParent&) = default;
};
// `assert range RESOURCE START-END`.
struct AssertRange {
  ResourceRef resource;
  Range range;
  friend bool operator==(const AssertRange&, const AssertRange&) = default;
};
// `assert name ADDR NAME`: the deepest resource containing ADDR is named NAME.
struct AssertName {
  uint64_t addr = 0;
  std::string name;
  friend bool operator==(const AssertName&, const AssertName&) = default;
};
// `assert count NAME N`: exactly N resources are named NAME.
struct AssertCount {
  std::string name;
  uint64_t count = 0;
  friend bool operator==(const AssertCount&, const AssertCount&) = default;
};
// `assert absent RESOURCE`: no resource matches.
struct AssertAbsent {
  ResourceRef resource;
  friend bool operator==(const AssertAbsent&, const AssertAbsent&) = default;
};

struct Assert {
  std::string root = std::string(kIomemRoot);
  std::variant<AssertParent, AssertRange, AssertName, AssertCount, AssertAbsent>
      what;
  friend bool operator==(const Assert&, const Assert&) = default;
};

// ---------------------------------------------------------------------------
// Raw kernel operations (kernel/resource.c), with every argument explicit.
// `parent` absent: the root itself.

// `insert [root=ROOT] [parent=RESOURCE] START-END name=NAME [flags=FLAGS]
// [desc=DESC]`: insert_resource().
struct InsertOp {
  std::string root = std::string(kIomemRoot);
  std::optional<ResourceRef> parent;
  Range range;
  std::string name;
  uint64_t flags = 0;
  uint32_t desc = 0;
  friend bool operator==(const InsertOp&, const InsertOp&) = default;
};

// `request ...` with the keys of `insert`: request_resource().
struct RequestOp {
  std::string root = std::string(kIomemRoot);
  std::optional<ResourceRef> parent;
  Range range;
  std::string name;
  uint64_t flags = 0;
  uint32_t desc = 0;
  friend bool operator==(const RequestOp&, const RequestOp&) = default;
};

// `request-region [root=ROOT] [parent=RESOURCE] START size=SIZE name=NAME
// [flags=FLAGS]`: __request_region(parent, start, n, name, flags).
struct RequestRegionOp {
  std::string root = std::string(kIomemRoot);
  std::optional<ResourceRef> parent;
  uint64_t start = 0;
  uint64_t size = 0;
  std::string name;
  uint64_t flags = 0;
  friend bool operator==(const RequestRegionOp&,
                         const RequestRegionOp&) = default;
};

// `release-region [root=ROOT] [parent=RESOURCE] START size=SIZE`:
// __release_region().
struct ReleaseRegionOp {
  std::string root = std::string(kIomemRoot);
  std::optional<ResourceRef> parent;
  uint64_t start = 0;
  uint64_t size = 0;
  friend bool operator==(const ReleaseRegionOp&,
                         const ReleaseRegionOp&) = default;
};

// `remove [root=ROOT] RESOURCE`: remove_resource() (children hoisted).
struct RemoveOp {
  std::string root = std::string(kIomemRoot);
  ResourceRef resource;
  friend bool operator==(const RemoveOp&, const RemoveOp&) = default;
};

// `release [root=ROOT] RESOURCE`: release_resource() (whole subtree).
struct ReleaseOp {
  std::string root = std::string(kIomemRoot);
  ResourceRef resource;
  friend bool operator==(const ReleaseOp&, const ReleaseOp&) = default;
};

// `adjust [root=ROOT] RESOURCE START size=SIZE`: adjust_resource().
struct AdjustOp {
  std::string root = std::string(kIomemRoot);
  ResourceRef resource;
  uint64_t start = 0;
  uint64_t size = 0;
  friend bool operator==(const AdjustOp&, const AdjustOp&) = default;
};

// `allocate [root=ROOT] [parent=RESOURCE] size=SIZE name=NAME [flags=FLAGS]
// [desc=DESC] [min=ADDR] [max=ADDR] [align=SIZE]`: allocate_resource().
struct AllocateOp {
  std::string root = std::string(kIomemRoot);
  std::optional<ResourceRef> parent;
  uint64_t size = 0;
  std::string name;
  uint64_t flags = 0;
  uint32_t desc = 0;
  uint64_t min = 0;
  uint64_t max = kMaxAddress;
  uint64_t align = 1;
  friend bool operator==(const AllocateOp&, const AllocateOp&) = default;
};

// `region-intersects START size=SIZE flags=FLAGS [desc=DESC]
// [expect=REGION_INTERSECTS|REGION_DISJOINT|REGION_MIXED]`:
// region_intersects() on iomem. Without `expect` the answer is only reported.
struct RegionIntersectsOp {
  uint64_t start = 0;
  uint64_t size = 0;
  uint64_t flags = 0;
  uint32_t desc = 0;
  std::optional<RegionIntersection> expect;
  friend bool operator==(const RegionIntersectsOp&,
                         const RegionIntersectsOp&) = default;
};

using EventBody = std::variant<
    ConfigEvent, RootAdd, WindowAdd, WindowExpand, SoftresAdd, RegionCreate,
    RegionDestroy, NamespaceCreate, NamespaceDestroy, DaxCreate, KmemOnline,
    KmemOffline, MemoryAdd, MemoryOnline, MemoryOffline, MemoryRemove,
    ChunksReserve, ChunksReleaseUnused, Reparent, ExpectError, Assert, InsertOp,
    RequestOp, RequestRegionOp, ReleaseRegionOp, RemoveOp, ReleaseOp, AdjustOp,
    AllocateOp, RegionIntersectsOp, RegionAssemble, HmemProbe, DaxDestroy,
    ExtentAdd, ExtentRelease>;

struct Event {
  SourceLocation location;
  EventBody body;
  friend bool operator==(const Event&, const Event&) = default;
};

// A parsed script: its events in order and the file name errors and traces
// name it by.
struct Script {
  std::string file_name;
  std::vector<Event> events;
};

// ---------------------------------------------------------------------------
// Names of enumerations, as the language spells them.

absl::string_view RegionModeName(RegionMode mode);        // "ram", "pmem", "dc"
absl::string_view NamespaceModeName(NamespaceMode mode);  // "devdax", ...
absl::string_view ZoneName(Zone zone);                    // "movable", ...

// Errno names `expect error` accepts: the kernel's (EBUSY, EINVAL, ...).
// `ErrnoByName` returns nullopt for an unknown name; `ErrnoNameOf` returns
// the name, or "" for a value without one here.
std::optional<int> ErrnoByName(absl::string_view name);
absl::string_view ErrnoNameOf(int errno_value);
// All names `ErrnoByName` accepts, comma-separated (for messages and docs).
absl::string_view KnownErrnoNames();

}  // namespace hotplug
}  // namespace restree

#endif  // RESTREE_HOTPLUG_EVENTS_H_
