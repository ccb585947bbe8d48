#include "resource_tree/kernel_profile.h"

namespace restree {

KernelProfile KernelProfile::Debian61() {
  KernelProfile p;
  p.name = "debian-6.1";
  return p;
}

KernelProfile KernelProfile::Vanilla61() {
  KernelProfile p = Debian61();
  p.name = "linux-6.1";
  p.region_intersects_descendants = false;
  return p;
}

KernelProfile KernelProfile::Linux612() {
  KernelProfile p = Debian61();
  p.name = "linux-6.12";
  p.gfr_step_is_align = true;
  p.gfr_ascending_skips_zero = true;
  return p;
}

KernelProfile KernelProfile::Linux70() {
  KernelProfile p = Linux612();
  p.name = "linux-7.0";
  p.proc_max_depth = 8;
  p.split_reparents_children = true;
  return p;
}

std::vector<KernelProfile> KernelProfile::All() {
  return {Debian61(), Vanilla61(), Linux612(), Linux70()};
}

std::optional<KernelProfile> KernelProfile::ByName(absl::string_view name) {
  for (KernelProfile& p : All()) {
    if (p.name == name) return p;
  }
  return std::nullopt;
}

}  // namespace restree
