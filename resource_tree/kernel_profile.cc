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
  p.hmem = HmemModel::k612;
  p.cxl_auto_regions = true;
  p.hotplug_auto_online = true;  // Debian's build of 6.12
  return p;
}

KernelProfile KernelProfile::Linux70() {
  KernelProfile p = Linux612();
  p.name = "linux-7.0";
  p.proc_max_depth = 8;
  p.split_reparents_children = true;
  p.hotplug_auto_online = false;  // the Kconfig default
  p.hmem = HmemModel::k70;
  return p;
}

KernelProfile KernelProfile::Linux71() {
  KernelProfile p = Linux70();
  p.name = "linux-7.1";
  p.hmem = HmemModel::k71;
  return p;
}

std::vector<KernelProfile> KernelProfile::All() {
  return {Debian61(), Vanilla61(), Linux612(), Linux70()};
}

namespace {

struct Alias {
  const char* alias;
  const char* name;
};
constexpr Alias kAliases[] = {
    {"6.1", "debian-6.1"}, {"6.12", "linux-6.12"}, {"7.0", "linux-7.0"},
    {"7.1", "linux-7.1"},  {"7.x", "linux-7.1"},
};

}  // namespace

std::optional<KernelProfile> KernelProfile::ByName(absl::string_view name) {
  for (const Alias& a : kAliases) {
    if (name == a.alias) {
      name = a.name;
      break;
    }
  }
  for (KernelProfile& p : All()) {
    if (p.name == name) return p;
  }
  if (name == "linux-7.1") return Linux71();
  return std::nullopt;
}

std::vector<std::string> KernelProfile::Names() {
  std::vector<std::string> out;
  for (const KernelProfile& p : All()) out.push_back(p.name);
  out.push_back(Linux71().name);
  for (const Alias& a : kAliases) out.push_back(a.alias);
  return out;
}

}  // namespace restree
