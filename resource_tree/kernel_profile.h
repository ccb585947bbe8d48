// File: kernel_profile.h
// -----------------------------------------------------------------------------
//
// `KernelProfile` names the kernel version whose `kernel/resource.c` a tree
// imitates where versions differ, and the driver-chain facts of that version
// that the hotplug applier (hotplug/machine.h) follows where drivers differ
// (docs/driver-chains.md). The default, `Debian61()`, is Debian 12's
// 6.1.192 kernel. It and `Linux612()` are the profiles of the two kernels
// `tests/` compiles and runs in user space (Debian's 6.1.192 and 6.12.117),
// so their kernel/resource.c behaviour is checked against real kernel code.
// The other profiles follow the sources listed in docs/kernel-semantics.md
// and are checked only against restree's own reference model.
//
// Thread-safety: a value type.

#ifndef RESTREE_RESOURCE_TREE_KERNEL_PROFILE_H_
#define RESTREE_RESOURCE_TREE_KERNEL_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace restree {

struct KernelProfile {
  // "debian-6.1", "linux-6.1", "linux-6.12", "linux-7.0", "linux-7.1".
  std::string name;

  // MAX_IORES_LEVEL: /proc/iomem indentation stops at this depth (5 for
  // decades, 8 in 7.0).
  int proc_max_depth = 5;

  // region_intersects() looks at matching *descendants* of a non-matching
  // top-level resource (b4afe4183ec7, v6.12; backported to 6.1.y, so on in
  // Debian 6.1.192). Off: only top-level resources count.
  bool region_intersects_descendants = true;

  // get_free_mem_region() steps by `align` instead of by the aligned `size`
  // ("kernel/resource: Increment by align value in get_free_mem_region()",
  // v6.7, backported to 6.6.y but not to 6.1.y).
  bool gfr_step_is_align = false;

  // Ascending get_free_mem_region() starts at ALIGN(max(base.start, align))
  // instead of ALIGN(base.start), so address 0 is never offered and the
  // iomem root works as a base ("resource: make alloc_free_mem_region()
  // works for iomem_resource", v6.12).
  bool gfr_ascending_skips_zero = false;

  // release_mem_region_adjustable() splitting a busy resource moves the
  // children above the removed range to the new upper part (7.0). Off: all
  // children must stay in the lower part or the kernel WARNs.
  bool split_reparents_children = false;

  // The upper bound for get_free_mem_region(): PHYSMEM_END (6.1.192, a
  // runtime value with KASLR; 2^46-1 for 4-level paging) or
  // DIRECT_MAP_PHYSMEM_END (7.0).
  uint64_t physmem_end = (uint64_t{1} << 46) - 1;

  // GFR_DEFAULT_ALIGN = 1 << PA_SECTION_SHIFT (x86-64: 128 MiB), used by
  // request_free_mem_region().
  uint64_t gfr_default_align = uint64_t{1} << 27;

  // --- Driver-chain facts (docs/driver-chains.md §6) -----------------------

  // Soft Reserved and dax_hmem generation:
  //   k61:  device.c inserts an "hmem.N" resource into iomem (platform
  //         device resource) above "Soft Reserved"; dax_hmem binds
  //         device_dax (no kmem typing); no CXL check.
  //   k612: hmem.N is a device only (no iomem node); dax_hmem's dax device
  //         is kmem-typed; with CONFIG_CXL_REGION a range that intersects a
  //         CXL window is skipped ("deferring range to CXL").
  //   k70:  as k612, but e820 "Soft Reserved" goes to the private
  //         soft_reserve_resource tree, not iomem (bc62f5b308cb, v7.0).
  //   k71:  as k70, plus the private "DAX Regions" root every dax_region
  //         is requested from (34f80bb969cc) and hmem/CXL ownership decided
  //         after CXL probing: CXL keeps ranges its committed regions
  //         contain (e4de6b910bf3, 8e65f99b525b; all v7.1).
  enum class HmemModel { k61, k612, k70, k71 };
  HmemModel hmem = HmemModel::k61;
  // CXL auto-assembly of regions from committed decoders (construct_region,
  // absent from 6.1) and create_ram_region.
  bool cxl_auto_regions = false;
  // The build's mhp_default_online_type, what the kernel does with memory
  // blocks it hot-adds by itself: false, leave them offline (the Kconfig
  // default; Debian 6.1: CONFIG_MEMORY_HOTPLUG_DEFAULT_ONLINE unset);
  // true, online them in the default zone (Debian 6.12.117's
  // CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO=y, from the
  // linux-config-6.12 package).
  bool hotplug_auto_online = false;

  // Debian 12's 6.1.192-2 (linux-source-6.1): the default, tested against
  // the real kernel code.
  static KernelProfile Debian61();
  // Vanilla 6.1 before the stable backports: region_intersects() is not
  // descendant-aware.
  static KernelProfile Vanilla61();
  // Linux 6.12: descendant-aware region_intersects(), get_free_mem_region()
  // stepping by align and skipping address 0 when ascending. Its resource
  // fields are those of Debian's 6.12.117, tested against its code.
  static KernelProfile Linux612();
  // Linux 7.0: as 6.12, plus MAX_IORES_LEVEL 8 and hot-remove splits that
  // re-parent children; Soft Reserved in its own tree (HmemModel::k70).
  static KernelProfile Linux70();
  // Linux 7.1: kernel/resource.c as 7.0; the hmem/CXL coordination of
  // HmemModel::k71. Not in All(): its resource semantics are 7.0's, and
  // All() is what the resource-level tests and fuzzers iterate.
  static KernelProfile Linux71();

  // The profiles with distinct kernel/resource.c behaviour, default first:
  // debian-6.1, linux-6.1, linux-6.12, linux-7.0.
  static std::vector<KernelProfile> All();
  // By name or alias; nullopt if unknown. Names: those of All() and
  // "linux-7.1". Aliases: "6.1" (debian-6.1), "6.12" (linux-6.12), "7.0"
  // (linux-7.0), "7.1" and "7.x" (linux-7.1, the newest modelled). The
  // result's `name` is always the canonical name.
  static std::optional<KernelProfile> ByName(absl::string_view name);
  // Every name and alias ByName() accepts, canonical names first.
  static std::vector<std::string> Names();
};

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_KERNEL_PROFILE_H_
