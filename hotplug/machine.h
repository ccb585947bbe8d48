// File: machine.h
// -----------------------------------------------------------------------------
//
// `hotplug::Machine`: the applier core of the hotplug event language
// (docs/events.md). A machine is an iomem `ResourceTree` plus the driver
// state the tree alone does not show (CXL windows and their root decoders'
// cached region ids, the global memregion id allocator, CXL and nvdimm
// regions, namespaces, dax devices, memory blocks). Each method is one event
// and reproduces, node for node, what the Linux drivers of the selected
// kernel profile do to /proc/iomem (docs/driver-chains.md is the
// specification; section numbers below refer to it). Debian 6.1 is the
// default and primary profile; 6.12 differences are modelled where the
// fact sheet gives them (region placement step, RAM regions, namespace
// ENXIO bound, region auto-assembly), and Soft Reserved / dax_hmem per
// KernelProfile::HmemModel (6.1, 6.12, 7.0's soft_reserve_resource, 7.1's
// "DAX Regions" and hmem/CXL ownership), with the build options of
// MachineOptions.
//
// Errors: every failing method returns a status with a `KernelError`
// payload (resource_tree/kernel_status.h) carrying the kernel's errno, and
// leaves the machine exactly as it was: the tree part runs inside a
// `ResourceTree::Transaction` and the driver state is replaced only after
// the transaction commits. Errnos the kernel does not define for a model
// situation are documented at the method (ENOENT is used throughout for
// "no such device/object", as an open() of a missing sysfs file gives).
//
// Names: resources are looked up by `Find()`, see there for the rule.
//
// Thread-safety: thread-compatible. A Machine owns its tree; it is movable
// (not while a method runs).

#ifndef RESTREE_HOTPLUG_MACHINE_H_
#define RESTREE_HOTPLUG_MACHINE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hotplug/internal/journal.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_id.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace hotplug {

struct MachineOptions {
  KernelProfile profile = KernelProfile::Debian61();
  // memory_block_size_bytes() (§7.1): 128 MiB when boot RAM ends below
  // 64 GiB on x86-64, as in every QEMU capture. A power of two.
  uint64_t block_size = uint64_t{128} << 20;
  // mhp_default_online_type: what the kernel does with the memory blocks it
  // adds by itself, ACPI / pc-dimm hot-add (MemoryAdd) and a dax device
  // kmem binds without daxctl (dax_hmem's kmem-typed devices, a CXL ram
  // region's dax on 6.12+): leave them offline, or online them in the
  // kernel's default zone (kOnline: ZONE_NORMAL, this model's
  // zone_for_pfn_range), in ZONE_NORMAL or in ZONE_MOVABLE. Empty: the
  // profile's build default (KernelProfile::hotplug_auto_online: offline,
  // or kOnline for Debian's 6.12). Does not affect iomem.
  enum class AutoOnline { kOffline, kOnline, kOnlineKernel, kOnlineMovable };
  std::optional<AutoOnline> auto_online;
  // Build configuration (docs/events.md, "Build configuration").
  // CONFIG_CXL_REGION: off, there is no region driver (no create_*_region,
  // no assembly) and dax_hmem does not defer ranges to CXL.
  bool cxl_region = true;
  // The unmerged "dax/hmem: Reintroduce Soft Reserved ranges back into the
  // iomem tree" (lore 20260322195343.206900-10): on HmemModel::k70/k71 hmem
  // inserts "Soft Reserved" into iomem for each range it claims. Reported
  // behaviour only; off by default (not in v7.1).
  bool hmem_sr_reinsert = false;
  // The unmerged Dynamic Capacity Device series ("DCD: Add support for
  // Dynamic Capacity Devices", v10, May 2026, posted against 7.1): DC
  // regions (RegionMode::kDc), extents (AddExtents/ReleaseExtents) and dax
  // devices carved from them (CreateDax with a size, DestroyDax). Only on
  // HmemModel::k71 profiles, whose dax regions live in "DAX Regions"; off by
  // default (not in v7.1).
  bool dcd = false;
};

class Machine {
 public:
  // kDc: a dynamic capacity region (MachineOptions::dcd).
  enum class RegionMode { kRam, kPmem, kDc };
  enum class NamespaceMode { kRaw, kFsdax, kDevdax };
  enum class DaxDriver { kDeviceDax, kKmem };
  enum class Zone { kNormal, kMovable };
  // Who added a memory block, hence who may remove it.
  enum class BlockOwner {
    kBoot,      // present in the base dump
    kAcpi,      // MemoryAdd (ACPI memory device / pc-dimm)
    kKmem,      // KmemOnline of a dax device
    kStranded,  // kmem memory left behind by a region teardown (§2.5, §4.4)
  };

  struct Window {
    uint32_t index = 0;  // "CXL Window N"
    Range cfmws;         // the CFMWS range (the decoder's hpa_range)
    uint32_t ways = 1;
    uint64_t granularity = 256;
    int node = 0;
    uint32_t cached_region_id = 0;  // the root decoder's next region id
    bool published = true;          // false: nested in another window (§1.2)
    ResourceId res;                 // the public twin (or the outer twin)
    std::vector<uint32_t> regions;
    // The namespace labels in the label areas (LSA) of the window's pmem
    // memdevs: first -> last device physical address of each, per device.
    // restree does not model memdevs one by one: a window's memdevs share
    // one DPA layout (every region interleaves them alike). A label
    // outlives its region (cxl destroy-region leaves the LSA alone) and
    // goes with `namespace destroy`.
    std::map<uint64_t, uint64_t> labels;
  };
  struct Region {
    uint32_t id = 0;      // "regionK": memregion id
    bool cxl = true;      // false: nvdimm region (legacy e820 pmem)
    uint32_t window = 0;  // CXL only
    RegionMode mode = RegionMode::kPmem;
    Range range;
    uint32_t ways = 1;
    uint64_t granularity = 256;
    int node = 0;
    ResourceId res;       // "regionK" (CXL) / "Persistent Memory (legacy)"
    ResourceId pmem_res;  // CXL pmem: "Persistent Memory" (§3.1)
    std::optional<std::string> ns;   // its namespace, if any
    std::optional<std::string> dax;  // ram region: its daxK.0
    // CXL pmem: the first DPA of its share on each memdev (cxl_dpa_alloc:
    // after the highest pmem allocation still held in the window).
    uint64_t dpa = 0;
    bool assembled = false;  // from committed decoders (AssembleRegion)
    bool committed = true;   // false: assembly failed (never committed)
    // DC: the extents the device has added, by tag group (absolute ranges,
    // in the order given). They are the "extent" children of the region's
    // dax_region ("dax_regionK" in "DAX Regions").
    std::map<std::string, std::vector<Range>> extents;
  };
  // A dax_hmem device "hmem.N" (§6.2-§6.4).
  struct HmemDevice {
    uint32_t id = 0;  // N: a memregion id
    Range range;
    int node = 0;
    std::optional<std::string> dax;  // "daxN.0" unless its probe failed
    ResourceId iomem_res;            // 6.1: its "hmem.N" iomem node
    ResourceId sr_res;  // hmem_sr_reinsert: the "Soft Reserved" it put back
  };
  struct Namespace {
    std::string name;  // "namespaceX.Y"
    uint32_t region = 0;
    NamespaceMode mode = NamespaceMode::kRaw;
    Range range;                     // the whole namespace
    uint64_t align = 0;              // devdax/fsdax: the pfn align used
    Range busy;                      // the busy "namespaceX.Y" node's range
    std::optional<std::string> dax;  // devdax: "daxX.Y"
  };
  struct Dax {
    std::string name;  // "daxX.Y"
    uint32_t region = 0;
    Range range;  // the dev_dax range
    DaxDriver driver = DaxDriver::kDeviceDax;
    int node = 0;  // dev_dax->target_node
    Zone zone = Zone::kMovable;
    Range kmem_range;     // kmem: the block-aligned range added
    ResourceId kmem_res;  // kmem: its "daxX.Y" node (SYSTEM_RAM)
    bool dc = false;      // carved from a DC region's extent (CreateDax)
  };
  struct Block {
    bool online = true;
    int node = 0;
    Zone zone = Zone::kMovable;
    BlockOwner owner = BlockOwner::kBoot;
  };

  // An empty iomem tree ("PCI mem", [0, 2^64-1]).
  explicit Machine(const MachineOptions& options = MachineOptions());

  // A machine booted into the /proc/iomem dump `text` (strict parse; a
  // dump without addresses is EINVAL). The dump has no flags or desc, so
  // each node gets the flags and desc its producer gives it, by name
  // (InferredFlags()); then the driver state is adopted from the tree:
  //   * every "regionK", "hmem.N" name reserves memregion id K / N;
  //   * each top-level "Persistent Memory (legacy)" (address order) is an
  //     nvdimm IO region taking the lowest free memregion id, and a child
  //     "namespaceK.0" covering it is its raw namespace;
  //   * each top-level "CXL Window N" is window N (ways 1, granularity 256:
  //     unknown from the dump), its root decoder caching the lowest free id;
  //   * each memory block touched by a busy "System RAM" node is present
  //     and online (node 0), owner kBoot;
  //   * each "daxX.0" directly under "Soft Reserved" is dax_hmem's device
  //     X (hmem id X, node 0) over the Soft Reserved range, device_dax-bound,
  //     or kmem-bound (its blocks online, movable, owner kKmem) when
  //     "System RAM (kmem)" is under it; a "hmem.X" above is its 6.1 node.
  // Other dax devices, namespaces other than raw, and CXL regions in the
  // dump are not adopted (their names still reserve ids).
  static absl::StatusOr<Machine> FromIomem(
      absl::string_view text, const MachineOptions& options = MachineOptions());

  // The flags and desc restree gives a parsed node named `name` at `start`
  // under a parent with `parent_flags`/`parent_desc` (what its kernel
  // producer sets: e820 types, request_region inheritance, kmem's overwrite).
  static void InferredFlags(absl::string_view name, uint64_t start,
                            bool has_kmem_child, uint64_t parent_flags,
                            uint32_t parent_desc, uint64_t* flags,
                            uint32_t* desc);

  // --- CXL (§1, §2) -------------------------------------------------------

  // cxl_acpi for one CFMWS. Verify (§1.1): base and size 256 MiB aligned,
  // size > 0, ways in {1,2,3,4,6,8,12,16}, granularity a power of two in
  // 256..16K, else EINVAL (the kernel skips the window, using no id).
  // Window `n` already present: EEXIST. The private "CXL mem" tree takes
  // the range with insert_resource: a partial overlap with an earlier
  // window is EBUSY (6.1 aborts the whole probe there; one window at a time
  // cannot express that); a range inside an earlier window is kept
  // unpublished (its decoder pairs with the outer window's twin); a range
  // covering an earlier window is EBUSY (simplification: batch publication
  // order is not modelled). A top-level window is published: "CXL Window
  // n", MEM, desc CXL, via insert_resource_expand_to_fit on iomem (it may
  // grow and adopt, §1.3). The root decoder caches the lowest free
  // memregion id. `node` is the window's NUMA node (SRAT/fake node).
  absl::Status AddWindow(uint32_t n, uint64_t base, uint64_t size,
                         uint32_t ways = 1, uint64_t granularity = 256,
                         int node = 0);

  // Redesign: grow window `n`'s twin in place to `to` (ResourceTree::Grow;
  // it adopts siblings `to` covers; with `grow_ancestors` the resources
  // holding the window grow too, just enough). ENOENT: no window n; EINVAL:
  // `to` not 256 MiB aligned or not containing the window; Grow's errors
  // otherwise (EBUSY: a partly covered sibling, or, without
  // `grow_ancestors`, a parent `to` does not fit in).
  absl::Status ExpandWindow(uint32_t n, const Range& to,
                            bool grow_ancestors = false);

  // e820 "Soft Reserved" (§6.1): MEM, desc 8, not busy, by
  // insert_resource_expand_to_fit on iomem; on HmemModel::k70 and k71
  // (bc62f5b308cb) on the private soft_reserve_resource tree instead
  // (PrivateRoot("Soft Reserved")), so /proc/iomem does not show it. The id
  // is in the tree the range went to. EINVAL: an inverted range.
  absl::StatusOr<ResourceId> AddSoftReserved(const Range& range);

  // dax_hmem over the Soft Reserved ranges (§6.2-§6.4), by profile:
  //   hmem_init: each desc-8 MEM range (iomem walk; 7.x: the private
  //   soft_reserve tree) is recorded once in the private "HMEM devices"
  //   tree; a range recorded before is not looked at again.
  //   Then per new range, in address order:
  //   k61:  full Soft Reserved coverage in iomem is required; memregion id
  //         N; "hmem.N" (MEM, desc 8) by insert_resource on iomem (P1: above
  //         an equal "Soft Reserved"); dev_dax "daxN.0" over the range,
  //         bound to device_dax (busy "daxN.0").
  //   k612, k70: with cxl_region, a range intersecting a desc-CXL resource
  //         is skipped for good ("deferring range to CXL"); full coverage
  //         (k70: in the private tree) is required; memregion id N; device
  //         hmem.N (no iomem node); "daxN.0" bound to kmem (as KmemOnline on
  //         `node`, zone movable).
  //   k71:  with cxl_region, a range intersecting a CXL window is resolved
  //         as after CXL's initial probe: dropped if a committed CXL region
  //         contains it, else registered; registering: coverage in the
  //         private tree; id N; with hmem_sr_reinsert "Soft Reserved" by
  //         insert_resource on iomem; the dax_region is requested from the
  //         private "DAX Regions" root (a conflict fails hmem.N's probe with
  //         ENOMEM: the device and its id stay, no dax); "daxN.0" on kmem.
  // Returns one note per range ("hmem.0: dax0.0", "deferred to CXL", ...).
  // Errors: a kmem or device_dax bind that fails fails the whole event with
  // its errno (KmemOnline's), changing nothing (the kernel would leave the
  // device unbound).
  absl::StatusOr<std::vector<std::string>> HmemProbe(int node = 0);

  // CXL region auto-assembly from decoders firmware committed
  // (construct_region, 6.12+, §2.4): "regionK" (MEM, desc 0) with the
  // decoders' range, by insert_resource under window `n`'s twin (P1: it
  // becomes the parent of an equal "Soft Reserved"); K is the decoder's
  // cached id (refilled as CreateRegion does). Unless `failed` (the region
  // never commits: no device below it), the region probes: pmem inserts
  // "Persistent Memory" as CreateRegion; ram: 6.12/7.0 skip the dax region
  // when busy System RAM overlaps the range; 7.1 requests the dax_region
  // from "DAX Regions" (a conflict leaves the region without dax, as the
  // kernel's ENOMEM probe failure does); else dax_cxl's "daxK.0" is bound
  // to kmem on the window's node. Errors: EOPNOTSUPP on 6.1 (no
  // construct_region) or without cxl_region; ENOENT no window n; EINVAL an
  // inverted range; ENXIO the range is not inside window n's CFMWS range
  // (no root decoder matches); EBUSY the insert conflicts (the kernel only
  // warns and keeps an unlinked region: simplification); kmem's errors.
  absl::StatusOr<uint32_t> AssembleRegion(uint32_t window, const Range& range,
                                          RegionMode mode, bool failed);

  // create_{pmem,ram}_region on window `n`'s root decoder, then size/commit/
  // probe (§2.2-§2.3, §3.1). Returns K of "regionK" (the decoder's cached
  // id; the cache is refilled with the lowest free memregion id). Checks in
  // the kernel's order: ENOENT no window; ENOENT without cxl_region (no
  // create_*_region attribute); ENOENT mode ram on 6.1 (no
  // create_ram_region attribute); EINVAL ways not a multiple of the
  // window's ways with a power-of-two quotient, or granularity invalid or
  // different from an interleaved window's; ENXIO ways or granularity 0
  // ("not set"); EINVAL size not a non-zero multiple of 256 MiB x ways;
  // ERANGE no room (alloc_free_mem_region with 256 MiB alignment and the
  // profile's step rule). The node "regionK" (MEM, desc 0) is a direct
  // child of the window. pmem: "Persistent Memory" (MEM, desc 4) is
  // inserted into iomem (P1) and nd region K is created (no iomem node).
  // Defaults for ways/granularity: the window's. A chunked window (redesign)
  // places the region on the first run of chunks at the same candidate
  // addresses and claims them. On failure no id is used (in the kernel the
  // region device would remain without HPA).
  // kDc (MachineOptions::dcd on a k71 profile, else ENOENT: no
  // create_dc_region attribute): placed as a ram region, then its sparse
  // dax_region "dax_regionK" is requested from "DAX Regions" (ENOMEM on a
  // conflict) with no extent and no dax device.
  absl::StatusOr<uint32_t> CreateRegion(
      uint32_t window, uint64_t size, RegionMode mode,
      std::optional<uint32_t> ways = std::nullopt,
      std::optional<uint64_t> granularity = std::nullopt);

  // delete_region (§2.5): tears down the region's devices (device_dax
  // releases its busy node; kmem removes its memory if every block is
  // offline, else its "daxX.Y" and "System RAM (kmem)" nodes stay for good
  // with their blocks, owner kStranded; namespaces release their busy
  // nodes), removes "Persistent Memory" and "regionK" with remove_resource
  // (children move up), and releases the id by the decoder cache rule
  // (§2.2). In a chunked window a childless region goes back to chunks.
  // ENOENT: no CXL region K (nvdimm regions cannot be deleted: EINVAL).
  // delete_region itself never fails with EBUSY; the EBUSY paths of a
  // region (free_hpa on an active region) are not reachable through this
  // API.
  absl::Status DestroyRegion(uint32_t region);

  // --- nvdimm namespaces, device-DAX, kmem (§3.3-§4.4) ----------------------

  // Creates the namespace of nd region K, covering the whole region (one
  // namespace per region is modelled: Y = 0). If the region already has a
  // namespace it is reconfigured, as `ndctl create-namespace -f -e
  // namespaceK.0` does: its dax device must not be kmem-bound (EBUSY), its
  // driver unbinds (busy nodes released), then the new mode binds.
  //   raw, fsdax: busy "namespaceK.0" over the whole namespace.
  //   devdax: the §3.4 layout (align = max(align, 2 MiB); 4K/2M/1G only,
  //   else EINVAL; start 2 MiB aligned else EINVAL; dataoff >= size (6.12:
  //   >= size - end_trunc) ENXIO): busy "namespaceK.0" over [start,
  //   start+dataoff), dev_dax "daxK.0" over the data range bound to
  //   device_dax (busy "daxK.0").
  // A CXL pmem namespace writes its label into the window's label area
  // (Window::labels) over the region's DPA span; a new namespace on a
  // region whose DPA an earlier region's label still covers is ENOSPC (the
  // label outlived `cxl destroy-region`: tests/oracle/cxl-1hb-pmem-*).
  // Returns the namespace name. ENOENT: no region K; EINVAL: a CXL ram
  // region.
  absl::StatusOr<std::string> CreateNamespace(uint32_t region,
                                              NamespaceMode mode,
                                              uint64_t align = uint64_t{2}
                                                               << 20);

  // Disables and deletes namespace `name` (its dax device must not be
  // kmem-bound: EBUSY); its busy nodes are released and a CXL pmem
  // namespace's label is deleted. ENOENT: no such namespace.
  absl::Status DestroyNamespace(absl::string_view name);

  // The dax region of CXL ram region K (6.12 dax_cxl, §4.1): dev_dax
  // "daxK.0" over the whole region, bound to device_dax (busy "daxK.0").
  // (6.12 binds dax_cxl devices to kmem by default; KmemOnline() then gives
  // that tree.) ENOENT no region; EINVAL not a CXL ram or DC region, or a
  // size given for a ram region; EEXIST it has its dax device already.
  // DC region K (the DCD series' sparse dax region): `size` bytes (a
  // non-zero multiple of 2 MiB, the region's dax alignment, else EINVAL)
  // from the first extent, in address order, with a free run that long, at
  // its lowest free address: dev_dax "daxK.N" (N the lowest free device
  // number) is requested from the extent (its child in "DAX Regions") and
  // bound to device_dax (busy "daxK.N" in iomem). ENOSPC: no extent has
  // room (the series can also spread one device over several extents;
  // restree's devices have one range). O(extents + devices) of the region.
  absl::StatusOr<std::string> CreateDax(
      uint32_t region, std::optional<uint64_t> size = std::nullopt);
  // daxctl destroy-device of a DC region's dax device: device_dax releases
  // its busy node, the device's range goes back to its extent. ENOENT no
  // such dax; EINVAL not a DC region's device; EBUSY bound to kmem.
  absl::Status DestroyDax(absl::string_view dax);

  // --- Dynamic capacity (MachineOptions::dcd) --------------------------------

  // Add Capacity: the device adds tag group `tag` to DC region K, extents at
  // region offsets `offsets` (first and last byte of each, relative to the
  // region's start). dax_cxl requests each, in order, as "extent"
  // (__request_region: MEM, busy) under the region's dax_region: all of the
  // group or none. ENOENT
  // no region K; EINVAL not a DC region, an extent beyond the region, or no
  // extent; EEXIST the region has this tag; ENOSPC an extent overlaps one
  // already there (the series' __request_region failure).
  absl::Status AddExtents(uint32_t region, absl::string_view tag,
                          const std::vector<Range>& offsets);
  // Release Capacity of tag group `tag`: every extent of the group goes, or
  // none: EBUSY when a dax device still uses one of them (the series
  // refuses and the device retries). ENOENT no region K or no such tag;
  // EINVAL not a DC region.
  absl::Status ReleaseExtents(uint32_t region, absl::string_view tag);

  // daxctl reconfigure-device -m system-ram (§4.3): device_dax unbinds
  // (its busy node is released), kmem requests the block-aligned part of
  // the range as "daxX.Y" and overwrites its flags with SYSTEM_RAM (BUSY
  // cleared, desc kept), then add_memory_driver_managed adds "System RAM
  // (kmem)" (0x83000200, desc inherited) under it; its blocks are onlined
  // into `zone` on the dax's node (`node` overrides dev_dax->target_node).
  // A dax already kmem-bound keeps its tree; its offline blocks are onlined
  // into `zone` (daxctl: "already in system-ram mode", then it onlines the
  // blocks, success). Errors: ENOENT no such dax; EINVAL node < 0,
  // or nothing left after block alignment; E2BIG beyond PHYSMEM_END;
  // EBUSY the request conflicts. Unlike the kernel (which leaves the dax
  // device unbound when kmem's probe fails) a failure changes nothing.
  absl::Status KmemOnline(absl::string_view dax,
                          std::optional<int> node = std::nullopt,
                          Zone zone = Zone::kMovable);

  // daxctl reconfigure-device -m devdax (§4.4): with `offline_blocks`, every
  // online block of the kmem range is offlined first (offline_pages' hole
  // check: EINVAL); then remove_memory: a block still online is EBUSY (the
  // kernel then keeps both nodes for good and unbinds anyway; the tree is
  // the same either way, the model keeps kmem bound so it can be retried).
  // On success "System RAM (kmem)" goes with release_mem_region_adjustable,
  // "daxX.Y" with remove_resource, and device_dax binds again (busy "daxX.Y"
  // over the dax range). ENOENT no such dax; EINVAL not kmem-bound.
  absl::Status KmemOffline(absl::string_view dax, bool offline_blocks = true);

  // --- ACPI memory devices / pc-dimm (§5) -----------------------------------

  // __add_memory(node, addr, size) for one _CRS range: E2BIG outside
  // [0, PHYSMEM_END]; EEXIST the busy "System RAM" request conflicts (the
  // ACPI driver itself treats EEXIST as success) or a block is already
  // present; EINVAL size 0, range not block aligned, node < 0. Adds busy
  // "System RAM" (0x81000200, desc of the parent) and its blocks (online
  // or not as MachineOptions::auto_online says).
  absl::Status MemoryAdd(uint64_t addr, uint64_t size, int node = 0);
  // Online / offline every block of the range that is not already in that
  // state (no iomem change, §5.2). EINVAL misaligned range or size 0;
  // ENOENT a block is not present; EINVAL (offline) a block not fully
  // covered by busy System RAM ("memory holes").
  absl::Status MemoryOnline(uint64_t addr, uint64_t size,
                            Zone zone = Zone::kMovable);
  absl::Status MemoryOffline(uint64_t addr, uint64_t size);
  // __remove_memory (§5.3): EINVAL misaligned (the kernel BUGs); ENOENT a
  // block not present; EBUSY a block owned by kmem (remove it with
  // KmemOffline) or still online; then release_mem_region_adjustable: a
  // range not inside one busy node is EINVAL here (the kernel silently
  // leaves the tree alone), a split that would strand children is EBUSY.
  absl::Status MemoryRemove(uint64_t addr, uint64_t size);

  // --- Redesign operations
  // ----------------------------------------------------

  // ReserveChunks on window n's twin; `size` defaults to 256 MiB x ways.
  absl::StatusOr<size_t> ChunksReserve(uint32_t window,
                                       std::optional<uint64_t> size);
  absl::StatusOr<size_t> ChunksReleaseUnused(uint32_t window, bool shrink);
  // ResourceTree::Reparent of `resource` under `new_parent` on iomem; a
  // busy new parent is EBUSY (its driver would release it and drop the
  // child); `resource` == `new_parent` is EINVAL.
  absl::Status Reparent(ResourceId resource, ResourceId new_parent);
  // The same with Find(resource) and Find(new_parent).
  absl::Status Reparent(absl::string_view resource,
                        absl::string_view new_parent);

  // A raw kernel operation written in a script (insert, request,
  // request-region, ...): `fn` runs on the iomem tree as one atomic step
  // (its failure changes nothing); the driver state is not told about it.
  absl::Status RawIomem(absl::FunctionRef<absl::Status(ResourceTree&)> fn);
  // The same on a private root of the machine (PrivateRoot()); ENOENT if the
  // profile has no such root.
  absl::Status RawPrivate(absl::string_view root,
                          absl::FunctionRef<absl::Status(ResourceTree&)> fn);

  // The machine's private roots by kernel name: "CXL mem" (cxl_acpi),
  // "HMEM devices" (dax_hmem's hmem_active), "Soft Reserved"
  // (soft_reserve_resource, HmemModel::k70/k71 only) and "DAX Regions"
  // (k71 only). Nodes of "DAX Regions" are named after the device owning
  // the dax_region ("hmem.N", "dax_regionK"); the kernel leaves them
  // unnamed. A DC region's dax_region holds its "extent" nodes, and each
  // extent the ranges of the dax devices carved from it ("daxK.N"). nullptr for
  // another name or a root the profile lacks. Valid until the next mutating
  // call.
  const ResourceTree* PrivateRoot(absl::string_view name) const;

  // --- Queries
  // ------------------------------------------------------------------

  // The lookup rule of every resource name restree takes (Find(), the
  // event language's references): the nodes of `t` (its root included)
  // named exactly `name`, only those whose range is `range` when given, or
  // that start at `start` when given. One match, or several with one range
  // (a same-range chain: the later insert_resource is the parent), gives
  // the outermost. Matches with different ranges: kFailedPrecondition,
  // EINVAL, listing them. None: kNotFound, ENOENT. O(n) for n nodes.
  static absl::StatusOr<ResourceId> Lookup(
      const ResourceTree& t, absl::string_view name,
      std::optional<Range> range = std::nullopt,
      std::optional<uint64_t> start = std::nullopt);
  // Lookup() on iomem: `ref` is a node's exact name ("System RAM (kmem)"),
  // or NAME@START with START in hex (with or without 0x) to pick among
  // nodes of the same name; the whole text is tried as a name first.
  absl::StatusOr<ResourceId> Find(absl::string_view ref) const;
  // Every node named exactly `name`, in /proc/iomem order.
  std::vector<ResourceId> FindAll(absl::string_view name) const;

  // /proc/iomem text (RenderProcIomem) and restree's dump with flags/desc.
  std::string Render() const;
  std::string Dump() const;
  // Structural invariants plus the memory-hotplug/CXL domain rules.
  std::vector<InvariantViolation> CheckInvariants() const;

  const ResourceTree& tree() const { return tree_; }
  const KernelProfile& profile() const { return options_.profile; }
  uint64_t block_size() const { return options_.block_size; }
  const std::map<uint32_t, Window>& windows() const { return s_.windows.map(); }
  const std::map<uint32_t, Region>& regions() const { return s_.regions.map(); }
  const std::map<std::string, Namespace>& namespaces() const {
    return s_.namespaces.map();
  }
  const std::map<std::string, Dax>& daxes() const { return s_.daxes.map(); }
  // Present memory blocks by block number (address / block_size).
  const std::map<uint64_t, Block>& blocks() const { return s_.blocks.map(); }
  const std::map<uint32_t, HmemDevice>& hmem_devices() const {
    return s_.hmems.map();
  }
  const std::set<uint32_t>& memregion_ids() const {
    return s_.memregion_ids.set();
  }

  static std::string RegionName(uint32_t k);

 private:
  // All driver state. Every field is journaled so that a failing method
  // can be undone in O(k) for the k things it wrote (Atomically): the
  // containers are Journaled{Map,Set} (no write escapes their journal),
  // and each ResourceTree is listed in Trees() so that Atomically opens a
  // Transaction on it. A new field must be one of these two kinds.
  struct State {
    internal::JournaledSet<uint32_t> memregion_ids;  // the memregion IDA
    internal::JournaledMap<uint32_t, Window> windows;
    internal::JournaledMap<uint32_t, Region> regions;
    internal::JournaledMap<std::string, Namespace> namespaces;
    internal::JournaledMap<std::string, Dax> daxes;
    internal::JournaledMap<uint64_t, Block> blocks;
    // cxl_acpi's private "CXL mem" tree (never in iomem).
    ResourceTree cxl_private =
        ResourceTree(ResourceSpec{Range::Full(), "CXL mem", 0x200, 0});
    // Soft Reserved and dax_hmem (§6): soft_reserve_resource (HmemModel
    // k70/k71), dax_hmem's hmem_active ("HMEM devices"), "DAX Regions" (k71)
    // and the hmem devices.
    ResourceTree soft_reserve =
        ResourceTree(ResourceSpec{Range::Full(), "Soft Reserved", 0x200, 8});
    ResourceTree hmem_active =
        ResourceTree(ResourceSpec{Range::Full(), "HMEM devices", 0x200, 0});
    ResourceTree dax_regions =
        ResourceTree(ResourceSpec{Range::Full(), "DAX Regions", 0x200, 0});
    internal::JournaledMap<uint32_t, HmemDevice> hmems;

    static constexpr size_t kTrees = 4;
    std::array<ResourceTree*, kTrees> Trees() {
      return {&cxl_private, &soft_reserve, &hmem_active, &dax_regions};
    }

    // Journal positions of the containers (a savepoint).
    struct Mark {
      size_t memregion_ids, windows, regions, namespaces, daxes, blocks, hmems;
    };
    Mark Marks() const;
    void RollbackTo(const Mark& m);
    void ClearJournals();
    int depth = 0;  // Atomically() calls open on this state
  };

  Machine(const MachineOptions& options, ResourceTree tree);

  // Runs `fn(s_)` as one atomic step: Transactions on the iomem tree and on
  // every tree of State, and a savepoint in State's journals. If `fn` fails
  // all of it is rolled back (O(k) for the k writes `fn` made, never a copy
  // of the state), else kept. Nests: an inner failure undoes the inner
  // steps only; the journals are cleared when the outermost call ends.
  template <typename Fn>
  absl::Status Atomically(Fn fn);

  static uint32_t MemregionAlloc(State& s);
  // The first free pmem DPA on the memdevs of `window` (after the highest
  // pmem region still there).
  static uint64_t NextPmemDpa(const State& s, uint32_t window);
  // The DPA a CXL pmem region's namespace label covers on each memdev;
  // empty for other regions (legacy pmem has no label area).
  static std::optional<Range> LabelSpan(const Region& r);
  absl::Status CheckBlockRange(uint64_t addr, uint64_t size) const;
  // Releases the busy node a bound device_dax holds, or tears kmem down.
  absl::Status UnbindDeviceDax(State& s, const Dax& d);
  absl::Status RemoveKmem(State& s, const Dax& d, bool* stranded);
  // A device going with its region or namespace: kmem's memory is removed
  // (or, still online, stranded), device_dax's busy node released; then it
  // is forgotten.
  absl::Status DropDax(State& s, const Dax& d);
  absl::Status BindDeviceDax(const Dax& d);
  absl::Status TeardownNamespace(State& s, const std::string& ns,
                                 bool strand_ok);
  absl::Status Adopt();
  // kmem's probe on `d` (not bound to any driver): block-aligned request,
  // SYSTEM_RAM overwrite, "System RAM (kmem)", blocks added (§4.3), with
  // KmemOnline's errors. Records the result in s.daxes. The blocks are
  // onlined into *zone, or left offline when `zone` is empty.
  absl::Status KmemBind(State& s, const Dax& d, int nid,
                        std::optional<Zone> zone);
  // The zone MachineOptions::auto_online onlines the blocks the kernel adds
  // by itself into; empty: they stay offline.
  std::optional<Zone> AutoOnlineZone() const;

  // dax_hmem's registration of one range (HmemProbe) and dax_cxl's probe
  // of ram region `region` (AssembleRegion).
  absl::Status RegisterHmem(State& s, const Range& r, int node,
                            std::vector<std::string>* notes);
  absl::Status BindCxlDax(State& s, uint32_t region, std::string* note);
  // DC regions: "dax_regionK" in "DAX Regions" (ENOENT if missing), the
  // region itself (ENOENT / EINVAL not DC), and CreateDax's DC path.
  static absl::StatusOr<ResourceId> DcDaxRegion(const State& s,
                                                uint32_t region);
  absl::StatusOr<const Region*> DcRegion(uint32_t region) const;
  absl::StatusOr<std::string> CreateDcDax(uint32_t region,
                                          std::optional<uint64_t> size);

  MachineOptions options_;
  ResourceTree tree_;
  State s_;
};

}  // namespace hotplug
}  // namespace restree

#endif  // RESTREE_HOTPLUG_MACHINE_H_
