// File: kernel_profile.h
// -----------------------------------------------------------------------------
//
// `KernelProfile` names the kernel version whose `kernel/resource.c` a tree
// imitates where versions differ. The default, `Debian61()`, is Debian 12's
// 6.1.192 kernel: the one `tests/` compiles and runs in user space, so every
// behaviour of that profile is checked against real kernel code. The other
// profiles follow the sources listed in docs/kernel-semantics.md and are
// checked only against restree's own reference model.
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
  // "debian-6.1", "linux-6.12", "linux-7.0".
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

  // Debian 12's 6.1.192-2 (linux-source-6.1): the default, tested against
  // the real kernel code.
  static KernelProfile Debian61();
  // Vanilla 6.1 before the stable backports: region_intersects() is not
  // descendant-aware.
  static KernelProfile Vanilla61();
  // Linux 6.12: descendant-aware region_intersects(), get_free_mem_region()
  // stepping by align and skipping address 0 when ascending.
  static KernelProfile Linux612();
  // Linux 7.0: as 6.12, plus MAX_IORES_LEVEL 8 and hot-remove splits that
  // re-parent children.
  static KernelProfile Linux70();

  // All of the above, default first.
  static std::vector<KernelProfile> All();
  // By `name`; nullopt if unknown.
  static std::optional<KernelProfile> ByName(absl::string_view name);
};

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_KERNEL_PROFILE_H_
