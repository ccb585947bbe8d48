#include "resource_tree/domain_invariants.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace restree {
namespace {

constexpr uint64_t k256M = uint64_t{256} << 20;

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Show(const ResourceTree& t, ResourceId id) {
  const Range r = t.RangeOf(id);
  return absl::StrFormat("%x-%x \"%s\"", r.first(), r.last(), t.NameOf(id));
}

}  // namespace

bool IsCxlWindowName(absl::string_view n) {
  return absl::ConsumePrefix(&n, "CXL Window ") && AllDigits(n);
}

bool IsRegionName(absl::string_view n) {
  return absl::ConsumePrefix(&n, "region") && AllDigits(n);
}

bool IsDaxName(absl::string_view n) {
  if (!absl::ConsumePrefix(&n, "dax")) return false;
  const size_t dot = n.find('.');
  return dot != absl::string_view::npos && AllDigits(n.substr(0, dot)) &&
         AllDigits(n.substr(dot + 1));
}

bool IsDriverManagedRamName(absl::string_view n) {
  return absl::StartsWith(n, "System RAM (") && absl::EndsWith(n, ")");
}

bool IsSystemRamName(absl::string_view n) {
  return n == "System RAM" || IsDriverManagedRamName(n);
}

std::vector<InvariantViolation> CheckDomainInvariants(
    const ResourceTree& tree, const DomainRules& rules) {
  using Kind = InvariantViolation::Kind;
  std::vector<InvariantViolation> out;
  auto report = [&](Kind kind, std::vector<ResourceId> nodes,
                    std::string message) {
    out.push_back(InvariantViolation{kind, std::move(nodes), std::move(message)});
  };
  // window_at[d]: the nearest "CXL Window N" at or above the node last seen
  // at depth d (invalid if none), so that each region finds its window in
  // O(1) instead of walking its ancestors.
  const ResourceId root = tree.root();
  const ResourceId root_window =
      IsCxlWindowName(tree.NameOf(root)) ? root : ResourceId();
  std::vector<ResourceId> window_at;
  tree.ForEachPreorder([&](ResourceId id, int depth) {
    const ResourceView v = tree.View(id);
    const size_t d = static_cast<size_t>(depth);
    const ResourceId window = d == 0 ? root_window : window_at[d - 1];
    window_at.resize(d + 1);
    window_at[d] = IsCxlWindowName(v.name) ? id : window;
    // 13: driver-managed System RAM, as add_memory_driver_managed() makes it.
    if (IsDriverManagedRamName(v.name)) {
      constexpr uint64_t kNeed = iores::kSystemRam | iores::kBusy |
                                 iores::kSysramDriverManaged;
      if (rules.check_flags && (v.flags & kNeed) != kNeed) {
        report(Kind::kMemoryHotplug, {id},
               absl::StrFormat("%s is driver-managed RAM without "
                               "SYSTEM_RAM|BUSY|SYSRAM_DRIVER_MANAGED (flags "
                               "%s)",
                               Show(tree, id), FlagsToString(v.flags)));
      }
      const uint64_t b = rules.memory_block_size;
      if (b != 0 && (v.range.first() % b != 0 ||
                     (v.range.last() - v.range.first() + 1) % b != 0)) {
        report(Kind::kMemoryHotplug, {id},
               absl::StrFormat("%s is not aligned to the %#x-byte memory "
                               "block",
                               Show(tree, id), b));
      }
    }
    // 14: CXL windows and the regions in them.
    if (IsCxlWindowName(v.name)) {
      if (rules.check_flags && (ResourceType(v.flags) != iores::kMem ||
                                v.desc != iores_desc::kCxl)) {
        report(Kind::kCxl, {id},
               absl::StrFormat("%s is not a MEM resource with desc CXL "
                               "(flags %s, desc %s)",
                               Show(tree, id), FlagsToString(v.flags),
                               DescToString(v.desc)));
      }
    }
    if (IsRegionName(v.name)) {
      if (window.valid()) {  // the nearest window above it
        // Between a region and its window the kernel's drivers put only
        // cxl_pmem's "Persistent Memory" on the region's exact range
        // (inserted after it, so above it) and "Soft Reserved" (e820, or
        // hmem's re-insertion); anything else breaks the rule.
        bool direct = true;
        for (ResourceId a = v.parent; a.valid() && a != window;
             a = tree.ParentOf(a)) {
          const absl::string_view n = tree.NameOf(a);
          const bool pmem =
              n == "Persistent Memory" && tree.RangeOf(a) == v.range;
          if (!pmem && n != "Soft Reserved") direct = false;
        }
        if (!direct) {
          report(Kind::kCxl, {id, window},
                 absl::StrFormat("%s is below %s but not its direct child",
                                 Show(tree, id), Show(tree, window)));
        }
        if (v.range.first() % k256M != 0 ||
            (v.range.last() - v.range.first() + 1) % k256M != 0) {
          report(Kind::kCxl, {id},
                 absl::StrFormat("%s is not 256 MiB aligned and sized",
                                 Show(tree, id)));
        }
      }
    }
  });
  return out;
}

}  // namespace restree
