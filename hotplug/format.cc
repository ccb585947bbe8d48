#include "hotplug/format.h"

#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "hotplug/internal/text.h"
#include "resource_tree/flags.h"

namespace restree {
namespace hotplug {
namespace {

using internal::QuoteName;

std::string Hex(uint64_t v) { return absl::StrFormat("0x%x", v); }

std::string FormatRange(const Range& r) {
  return absl::StrCat(Hex(r.first()), "-", Hex(r.last()));
}

std::string FormatRef(const ResourceRef& ref) {
  std::string out = QuoteName(ref.name);
  if (ref.range.has_value())
    absl::StrAppend(&out, "@", FormatRange(*ref.range));
  return out;
}

std::string FormatDax(const DaxRef& d) {
  return absl::StrCat("dax", d.region, ".", d.id);
}

// " root=NAME" unless it is iomem.
std::string RootKey(const std::string& root) {
  if (root == kIomemRoot) return "";
  return absl::StrCat(" root=", QuoteName(root));
}

std::string ParentKey(const std::optional<ResourceRef>& parent) {
  if (!parent.has_value()) return "";
  return absl::StrCat(" parent=", FormatRef(*parent));
}

std::string FlagsKey(uint64_t flags) {
  return flags == 0 ? "" : absl::StrCat(" flags=", FlagsToString(flags));
}

std::string DescKey(uint32_t desc) {
  return desc == 0 ? "" : absl::StrCat(" desc=", DescToString(desc));
}

std::string Restrictions(uint16_t bits) {
  static constexpr std::pair<uint16_t, const char*> kNames[] = {
      {restriction::kType2, "type2"}, {restriction::kType3, "type3"},
      {restriction::kRam, "ram"},     {restriction::kPmem, "pmem"},
      {restriction::kFixed, "fixed"}, {restriction::kBi, "bi"},
  };
  std::vector<const char*> names;
  for (const auto& [bit, name] : kNames) {
    if (bits & bit) names.push_back(name);
  }
  return absl::StrJoin(names, ",");
}

struct Printer {
  std::string operator()(const ConfigEvent& e) const {
    std::string out = "config";
    if (e.profile) absl::StrAppend(&out, " profile=", QuoteName(*e.profile));
    if (e.block_size) {
      absl::StrAppend(&out, " block-size=", FormatSize(*e.block_size));
    }
    auto build = [](BuildMode m) {
      return m == BuildMode::kBuiltin ? "builtin" : "modules";
    };
    if (e.cxl_region) {
      absl::StrAppend(&out, " cxl-region=", *e.cxl_region ? "y" : "n");
    }
    if (e.cxl) absl::StrAppend(&out, " cxl=", build(*e.cxl));
    if (e.dax_hmem) absl::StrAppend(&out, " dax-hmem=", build(*e.dax_hmem));
    if (e.hmem_sr_reinsert) {
      absl::StrAppend(&out,
                      " hmem-sr-reinsert=", *e.hmem_sr_reinsert ? "y" : "n");
    }
    if (e.dcd) {
      absl::StrAppend(&out, " dcd=", *e.dcd ? "y" : "n");
    }
    if (e.memhp_default_state) {
      static constexpr const char* kStates[] = {
          "offline", "online", "online_kernel", "online_movable"};
      absl::StrAppend(&out, " memhp-default-state=",
                      kStates[static_cast<int>(*e.memhp_default_state)]);
    }
    return out;
  }
  std::string operator()(const RootAdd& e) const {
    std::string out = absl::StrCat("root add ", QuoteName(e.name));
    if (!(e.range == Range::Full())) {
      absl::StrAppend(&out, " ", FormatRange(e.range));
    }
    if (e.flags != iores::kMem) {
      absl::StrAppend(&out, " flags=", FlagsToString(e.flags));
    }
    return out;
  }
  std::string operator()(const WindowAdd& e) const {
    std::string out =
        absl::StrCat("window add ", e.index, " base=", Hex(e.base),
                     " size=", FormatSize(e.size));
    if (e.ways != 1) absl::StrAppend(&out, " ways=", e.ways);
    if (e.granularity != 256) {
      absl::StrAppend(&out, " gran=", FormatSize(e.granularity));
    }
    if (!e.targets.empty()) {
      absl::StrAppend(&out, " targets=", absl::StrJoin(e.targets, ","));
    }
    if (e.restrictions != restriction::kDefault) {
      absl::StrAppend(&out, " restrict=", Restrictions(e.restrictions));
    }
    return out;
  }
  std::string operator()(const WindowExpand& e) const {
    return absl::StrCat("window expand ", e.index, " to=", FormatRange(e.to),
                        e.grow_ancestors ? " grow-ancestors" : "");
  }
  std::string operator()(const SoftresAdd& e) const {
    return absl::StrCat("softres add ", FormatRange(e.range));
  }
  std::string operator()(const RegionCreate& e) const {
    std::string out = absl::StrCat("region create window=", e.window,
                                   " size=", FormatSize(e.size),
                                   " mode=", RegionModeName(e.mode));
    if (e.ways) absl::StrAppend(&out, " ways=", *e.ways);
    if (e.granularity) {
      absl::StrAppend(&out, " gran=", FormatSize(*e.granularity));
    }
    return out;
  }
  std::string operator()(const RegionAssemble& e) const {
    std::string out = absl::StrCat("region assemble window=", e.window, " ",
                                   FormatRange(e.range));
    if (e.mode != RegionMode::kRam) {
      absl::StrAppend(&out, " mode=", RegionModeName(e.mode));
    }
    if (e.failed) absl::StrAppend(&out, " failed");
    return out;
  }
  std::string operator()(const HmemProbe& e) const {
    std::string out = "hmem probe";
    if (e.node) absl::StrAppend(&out, " node=", *e.node);
    return out;
  }
  std::string operator()(const RegionDestroy& e) const {
    return absl::StrCat("region destroy region", e.region);
  }
  std::string operator()(const NamespaceCreate& e) const {
    std::string out = absl::StrCat("namespace create region=region", e.region,
                                   " mode=", NamespaceModeName(e.mode));
    if (e.align != (uint64_t{2} << 20)) {
      absl::StrAppend(&out, " align=", FormatSize(e.align));
    }
    if (e.size) absl::StrAppend(&out, " size=", FormatSize(*e.size));
    return out;
  }
  std::string operator()(const NamespaceDestroy& e) const {
    return absl::StrCat("namespace destroy namespace", e.ns.region, ".",
                        e.ns.id);
  }
  std::string operator()(const DaxCreate& e) const {
    std::string out = absl::StrCat("dax create region=region", e.region);
    if (e.size) absl::StrAppend(&out, " size=", FormatSize(*e.size));
    return out;
  }
  std::string operator()(const DaxDestroy& e) const {
    return absl::StrCat("dax destroy ", FormatDax(e.dax));
  }
  std::string operator()(const ExtentAdd& e) const {
    std::string out = absl::StrCat("extent add region=region", e.region,
                                   " tag=", QuoteName(e.tag), " extents=");
    for (size_t i = 0; i < e.extents.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "" : ",", FormatSize(e.extents[i].offset),
                      ":", FormatSize(e.extents[i].size));
    }
    return out;
  }
  std::string operator()(const ExtentRelease& e) const {
    return absl::StrCat("extent release region=region", e.region,
                        " tag=", QuoteName(e.tag));
  }
  std::string operator()(const KmemOnline& e) const {
    std::string out = absl::StrCat("kmem online ", FormatDax(e.dax));
    if (e.node) absl::StrAppend(&out, " node=", *e.node);
    if (e.zone) absl::StrAppend(&out, " zone=", ZoneName(*e.zone));
    return out;
  }
  std::string operator()(const KmemOffline& e) const {
    return absl::StrCat("kmem offline ", FormatDax(e.dax));
  }
  std::string operator()(const MemoryAdd& e) const {
    std::string out =
        absl::StrCat("memory add ", Hex(e.addr), " size=", FormatSize(e.size));
    if (e.node) absl::StrAppend(&out, " node=", *e.node);
    return out;
  }
  std::string operator()(const MemoryOnline& e) const {
    std::string out = absl::StrCat("memory online ", Hex(e.addr),
                                   " size=", FormatSize(e.size));
    if (e.zone) absl::StrAppend(&out, " zone=", ZoneName(*e.zone));
    return out;
  }
  std::string operator()(const MemoryOffline& e) const {
    return absl::StrCat("memory offline ", Hex(e.addr),
                        " size=", FormatSize(e.size));
  }
  std::string operator()(const MemoryRemove& e) const {
    return absl::StrCat("memory remove ", Hex(e.addr),
                        " size=", FormatSize(e.size));
  }
  std::string operator()(const ChunksReserve& e) const {
    std::string out = absl::StrCat("chunks reserve window=", e.window);
    if (e.size) absl::StrAppend(&out, " size=", FormatSize(*e.size));
    return out;
  }
  std::string operator()(const ChunksReleaseUnused& e) const {
    return absl::StrCat("chunks release-unused window=", e.window,
                        e.shrink ? " shrink" : "");
  }
  std::string operator()(const Reparent& e) const {
    return absl::StrCat("reparent ", FormatRef(e.resource), " under ",
                        FormatRef(e.new_parent), RootKey(e.root));
  }
  std::string operator()(const ExpectError& e) const {
    const absl::string_view name = ErrnoNameOf(e.errno_value);
    // Only names parse; a value without one (never from the parser) prints
    // as E<n>, which the parser rejects rather than misreads.
    return absl::StrCat("expect error ", name.empty()
                                             ? absl::StrCat("E", e.errno_value)
                                             : std::string(name));
  }
  std::string operator()(const Assert& e) const {
    std::string body = std::visit(
        [](const auto& a) -> std::string {
          using T = std::decay_t<decltype(a)>;
          if constexpr (std::is_same_v<T, AssertParent>) {
            return absl::StrCat("parent ", FormatRef(a.resource), " ",
                                FormatRef(a.parent));
          } else if constexpr (std::is_same_v<T, AssertRange>) {
            return absl::StrCat("range ", FormatRef(a.resource), " ",
                                FormatRange(a.range));
          } else if constexpr (std::is_same_v<T, AssertName>) {
            return absl::StrCat("name ", Hex(a.addr), " ", QuoteName(a.name));
          } else if constexpr (std::is_same_v<T, AssertCount>) {
            return absl::StrCat("count ", QuoteName(a.name), " ", a.count);
          } else {
            return absl::StrCat("absent ", FormatRef(a.resource));
          }
        },
        e.what);
    return absl::StrCat("assert ", body, RootKey(e.root));
  }
  std::string operator()(const InsertOp& e) const {
    return absl::StrCat("insert", RootKey(e.root), ParentKey(e.parent), " ",
                        FormatRange(e.range), " name=", QuoteName(e.name),
                        FlagsKey(e.flags), DescKey(e.desc));
  }
  std::string operator()(const RequestOp& e) const {
    return absl::StrCat("request", RootKey(e.root), ParentKey(e.parent), " ",
                        FormatRange(e.range), " name=", QuoteName(e.name),
                        FlagsKey(e.flags), DescKey(e.desc));
  }
  std::string operator()(const RequestRegionOp& e) const {
    return absl::StrCat("request-region", RootKey(e.root), ParentKey(e.parent),
                        " ", Hex(e.start), " size=", FormatSize(e.size),
                        " name=", QuoteName(e.name), FlagsKey(e.flags));
  }
  std::string operator()(const ReleaseRegionOp& e) const {
    return absl::StrCat("release-region", RootKey(e.root), ParentKey(e.parent),
                        " ", Hex(e.start), " size=", FormatSize(e.size));
  }
  std::string operator()(const RemoveOp& e) const {
    return absl::StrCat("remove", RootKey(e.root), " ", FormatRef(e.resource));
  }
  std::string operator()(const ReleaseOp& e) const {
    return absl::StrCat("release", RootKey(e.root), " ", FormatRef(e.resource));
  }
  std::string operator()(const AdjustOp& e) const {
    return absl::StrCat("adjust", RootKey(e.root), " ", FormatRef(e.resource),
                        " ", Hex(e.start), " size=", FormatSize(e.size));
  }
  std::string operator()(const AllocateOp& e) const {
    std::string out =
        absl::StrCat("allocate", RootKey(e.root), ParentKey(e.parent),
                     " size=", FormatSize(e.size), " name=", QuoteName(e.name),
                     FlagsKey(e.flags), DescKey(e.desc));
    if (e.min != 0) absl::StrAppend(&out, " min=", Hex(e.min));
    if (e.max != kMaxAddress) absl::StrAppend(&out, " max=", Hex(e.max));
    if (e.align != 1) absl::StrAppend(&out, " align=", FormatSize(e.align));
    return out;
  }
  std::string operator()(const RegionIntersectsOp& e) const {
    std::string out = absl::StrCat(
        "region-intersects ", Hex(e.start), " size=", FormatSize(e.size),
        " flags=", FlagsToString(e.flags), DescKey(e.desc));
    if (e.expect) {
      absl::StrAppend(&out, " expect=", RegionIntersectionName(*e.expect));
    }
    return out;
  }
};

}  // namespace

std::string FormatSize(uint64_t size) {
  if (size == 0) return "0";
  static constexpr std::pair<int, char> kUnits[] = {
      {40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
  for (const auto& [shift, unit] : kUnits) {
    const uint64_t mask = (uint64_t{1} << shift) - 1;
    if ((size & mask) == 0)
      return absl::StrCat(size >> shift, std::string(1, unit));
  }
  return absl::StrCat(size);
}

std::string FormatEventBody(const EventBody& body) {
  return std::visit(Printer{}, body);
}

std::string FormatEvent(const Event& event) {
  return FormatEventBody(event.body);
}

std::string FormatScript(const Script& script) {
  std::string out;
  for (const Event& e : script.events)
    absl::StrAppend(&out, FormatEvent(e), "\n");
  return out;
}

}  // namespace hotplug
}  // namespace restree
