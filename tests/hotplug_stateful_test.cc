// A RapidCheck stateful test of the hotplug applier (issue 17): random valid
// and invalid sequences of hotplug::Event structs (window add/expand, softres
// add, region create/destroy in ram and pmem mode, namespace create, dax
// create, kmem online/offline, memory add/online/offline/remove, chunks
// reserve/release-unused, reparent, a raw request-region) are applied with
// ApplyScript on an empty Linux 6.12 machine, one event at a time (each step
// runs the events accepted so far plus the new one). After every event:
//
//   * a failed event changed nothing: the dump with flags and desc, every
//     node's id with its generation, and the driver state (every field of
//     windows, regions, namespaces, dax devices, memory blocks, memregion
//     ids) equal those of the run without it; the event is then dropped;
//   * after a successful event the tree's structural invariants hold, and
//     the memory-hotplug/CXL domain rules (Machine::CheckInvariants) hold
//     while the model below still follows the sequence;
//   * an independent ownership model agrees with the tree: the model is
//     written from the event semantics of docs/events.md, not by calling
//     the Machine. It maps each 256 MiB unit of a CXL area and each 128 MiB
//     block of a memory area to its owner (nobody, "CXL Window N" free
//     space, a chunk of window N, regionK, daxK.0, kmem's "System RAM
//     (kmem)" under daxK.0, hot-added "System RAM" online or offline) and
//     is compared unit by unit with the deepest node the tree has there
//     (ResourceTree::Lookup) and with the memory blocks' online state.
//
// What the model takes from the machine: only the placement of a new region
// (its K and range: placement is the allocator's business, tested in
// machine_test); the model checks that the range is free space of the right
// window (chunks in a chunked window) of the requested size.
//
// What the model leaves out (after one of these succeeds it stops following
// the sequence; the atomicity and structural checks go on): Soft Reserved
// ranges, pmem namespaces (their metadata and data split a unit), window
// expansion over anything but free address space (adoption), a window added
// over a non-window resource, reparent, raw kernel operations; and memory
// hotplug events on the CXL area (its kmem blocks stay online, so a region
// destroyed under kmem always strands it). Errnos are not modelled:
// machine_test checks them path by path.
//
// Runs: 60 sequences of up to 40 events by default (RESTREE_RC_RUNS=N for
// more; RC_PARAMS="reproduce=..." replays a failure).

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "hotplug/apply.h"
#include "hotplug/events.h"
#include "hotplug/format.h"
#include "hotplug/machine.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace hotplug {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kUnit = 256 * kMiB;   // CXL area unit
constexpr uint64_t kBlock = 128 * kMiB;  // memory block (6.12 default here)
constexpr uint64_t kCxlBase = 0x1000000000;
constexpr int kCxlUnits = 64;  // windows start in the first 32
constexpr uint64_t kMemBase = 0x100000000;
constexpr int kMemUnits = 20;  // events start in the first 16

// ---------------------------------------------------------------------------
// The events, from small numbers (so RapidCheck shrinks them well).

using Step = std::array<uint32_t, 4>;  // kind, then three arguments

enum StepKind : uint32_t {
  kWindowAdd,
  kWindowExpand,
  kSoftresAdd,
  kRegionCreate,
  kRegionDestroy,
  kNamespaceCreate,
  kNamespaceDestroy,
  kDaxCreate,
  kKmemOnline,
  kKmemOffline,
  kMemoryAdd,
  kMemoryOnline,
  kMemoryOffline,
  kMemoryRemove,
  kChunksReserve,
  kChunksRelease,
  kReparent,
  kRawRequestRegion,
  kStepKinds
};

Range Units(uint64_t base, uint64_t unit, uint32_t first, uint32_t count) {
  return Range(base + first * unit, base + (first + count) * unit - 1);
}

Event ToEvent(const Step& s) {
  const uint32_t a = s[1], b = s[2], c = s[3];
  Event e;
  switch (s[0] % kStepKinds) {
    case kWindowAdd: {
      WindowAdd w;
      w.index = a % 4;
      w.base = kCxlBase + (b % 32) * kUnit;
      w.size = (1 + c % 8) * kUnit;
      e.body = w;
      break;
    }
    case kWindowExpand:
      e.body = WindowExpand{a % 4, Units(kCxlBase, kUnit, b % 32, 1 + c % 16)};
      break;
    case kSoftresAdd:
      e.body = SoftresAdd{Units(kCxlBase, kUnit, b % 32, 1 + c % 8)};
      break;
    case kRegionCreate: {
      RegionCreate r;
      r.window = a % 4;
      r.size = (b % 5) * kUnit;  // 0: EINVAL
      r.mode = (c & 1) != 0 ? RegionMode::kPmem : RegionMode::kRam;
      e.body = r;
      break;
    }
    case kRegionDestroy:
      e.body = RegionDestroy{a % 6};
      break;
    case kNamespaceCreate: {
      NamespaceCreate n;
      n.region = a % 6;
      n.mode = NamespaceMode::kDevdax;
      e.body = n;
      break;
    }
    case kNamespaceDestroy:
      e.body = NamespaceDestroy{DaxRef{a % 6, b % 2}};
      break;
    case kDaxCreate:
      e.body = DaxCreate{a % 6, std::nullopt};
      break;
    case kKmemOnline: {
      KmemOnline k;
      k.dax = DaxRef{a % 6, b % 4 == 0 ? 1u : 0u};  // daxK.1 never exists
      e.body = k;
      break;
    }
    case kKmemOffline:
      e.body = KmemOffline{DaxRef{a % 6, 0}};
      break;
    case kMemoryAdd:
      e.body = MemoryAdd{kMemBase + (a % 16) * kBlock, (b % 4) * kBlock,
                         std::nullopt};
      break;
    case kMemoryOnline:
      e.body = MemoryOnline{kMemBase + (a % 16) * kBlock, (b % 4) * kBlock,
                            std::nullopt};
      break;
    case kMemoryOffline:
      e.body = MemoryOffline{kMemBase + (a % 16) * kBlock, (b % 4) * kBlock};
      break;
    case kMemoryRemove:
      e.body = MemoryRemove{kMemBase + (a % 16) * kBlock, (b % 4) * kBlock};
      break;
    case kChunksReserve: {
      ChunksReserve r;
      r.window = a % 4;
      if (b % 3 == 1) r.size = kBlock;      // the memory-block size: valid
      if (b % 3 == 2) r.size = 3 * kBlock;  // neither: EINVAL
      e.body = r;
      break;
    }
    case kChunksRelease:
      e.body = ChunksReleaseUnused{a % 4, (b & 1) != 0};
      break;
    case kReparent: {
      static const char* const kNames[] = {
          "CXL Window 0", "CXL Window 1", "region0", "region1",
          "dax0.0",       "System RAM",   "PCI mem"};
      Reparent r;
      r.resource.name = kNames[a % 7];
      r.new_parent.name = kNames[b % 7];
      e.body = r;
      break;
    }
    default: {
      RequestRegionOp r;
      r.start = kCxlBase + (a % 40) * kUnit;
      r.size = kUnit;
      r.name = "raw";
      e.body = r;
      break;
    }
  }
  return e;
}

rc::Gen<Step> GenStep() {
  return rc::gen::apply(
      [](uint32_t kind, uint32_t a, uint32_t b, uint32_t c) {
        return Step{kind, a, b, c};
      },
      // Mostly the modelled events; the others now and then.
      rc::gen::weightedElement<uint32_t>({{6, kWindowAdd},
                                          {1, kWindowExpand},
                                          {1, kSoftresAdd},
                                          {8, kRegionCreate},
                                          {3, kRegionDestroy},
                                          {1, kNamespaceCreate},
                                          {1, kNamespaceDestroy},
                                          {4, kDaxCreate},
                                          {4, kKmemOnline},
                                          {3, kKmemOffline},
                                          {4, kMemoryAdd},
                                          {2, kMemoryOnline},
                                          {3, kMemoryOffline},
                                          {3, kMemoryRemove},
                                          {4, kChunksReserve},
                                          {2, kChunksRelease},
                                          {1, kReparent},
                                          {1, kRawRequestRegion}}),
      rc::gen::inRange<uint32_t>(0, 64), rc::gen::inRange<uint32_t>(0, 64),
      rc::gen::inRange<uint32_t>(0, 64));
}

// ---------------------------------------------------------------------------
// The ownership model.

struct Owner {
  enum Kind { kNobody, kWindow, kChunk, kRegion, kDax, kKmem, kRam };
  Kind kind = kNobody;
  uint32_t id = 0;  // window N or region K
  friend bool operator==(const Owner& a, const Owner& b) {
    return a.kind == b.kind && a.id == b.id;
  }
};

std::string Show(const Owner& o) {
  switch (o.kind) {
    case Owner::kNobody:
      return "nobody";
    case Owner::kWindow:
      return absl::StrCat("CXL Window ", o.id, " (free)");
    case Owner::kChunk:
      return absl::StrCat("a chunk of CXL Window ", o.id);
    case Owner::kRegion:
      return absl::StrCat("region", o.id);
    case Owner::kDax:
      return absl::StrCat("dax", o.id, ".0");
    case Owner::kKmem:
      return absl::StrCat("System RAM (kmem) of dax", o.id, ".0");
    case Owner::kRam:
      return "System RAM";
  }
  return "?";
}

class OwnershipModel {
 public:
  // False once an event the model leaves out has succeeded.
  bool following() const { return following_; }
  const std::string& stopped_at() const { return stopped_at_; }

  // Follows the successful `e`; `before`/`after` are the machine around it
  // (used only for a new region's K and range). Returns a disagreement, or
  // "" if none.
  std::string Apply(const Event& e, const Machine& before,
                    const Machine& after) {
    if (!following_) return "";
    current_ = &e;
    return std::visit([&](const auto& body) { return On(body, before, after); },
                      e.body);
  }

  // The tree's leaf owner of every unit and the blocks' online state
  // against the model; "" if they agree.
  std::string Compare(const Machine& m) const {
    const ResourceTree& t = m.tree();
    for (int u = 0; u < kCxlUnits; ++u) {
      const Range r = Units(kCxlBase, kUnit, u, 1);
      if (std::string d = CompareUnit(t, r, cxl_[u]); !d.empty()) return d;
    }
    for (int u = 0; u < kMemUnits; ++u) {
      const Range r = Units(kMemBase, kBlock, u, 1);
      if (std::string d = CompareUnit(t, r, mem_[u]); !d.empty()) return d;
      const uint64_t block = r.first() / kBlock;
      auto it = m.blocks().find(block);
      if (mem_[u].kind == Owner::kRam) {
        if (it == m.blocks().end() || it->second.online != online_[u]) {
          return absl::StrCat("memory block ", block, ": the model has it ",
                              online_[u] ? "online" : "offline",
                              ", the machine ",
                              it == m.blocks().end()
                                  ? "does not have it"
                                  : (it->second.online ? "online" : "offline"));
        }
      } else if (it != m.blocks().end()) {
        return absl::StrCat("memory block ", block,
                            " is present but the model has no memory there");
      }
    }
    return "";
  }

 private:
  struct Win {
    int first = 0, last = 0;            // the CFMWS range (units)
    int twin_first = 0, twin_last = 0;  // its iomem node (published only)
    bool published = true;
    uint32_t top = 0;  // the published window whose node it uses
    bool chunked = false;
  };
  struct Reg {
    uint32_t top = 0;
    int first = 0, last = 0;
  };

  std::string Stop(absl::string_view why) {
    following_ = false;
    stopped_at_ = std::string(why);
    return "";
  }

  static int UnitOf(uint64_t addr, uint64_t base, uint64_t unit) {
    return static_cast<int>((addr - base) / unit);
  }

  std::string CompareUnit(const ResourceTree& t, const Range& r,
                          const Owner& want) const {
    const ResourceId id = t.Lookup(r.first());
    const ResourceView v = t.View(id);
    const std::string where =
        absl::StrCat(r.ToString(), ": the model says ", Show(want),
                     ", the tree has \"", v.name, "\" ", v.range.ToString());
    if (want.kind == Owner::kNobody) {
      return id == t.root() ? "" : where;
    }
    if (want.kind == Owner::kChunk) {
      // Chunks may be a memory block long (chunks reserve size=128M): each
      // half of the unit is a chunk of the window.
      for (uint64_t at : {r.first(), r.first() + kBlock}) {
        const ResourceView c = t.View(t.Lookup(at));
        if (c.name != "CXL chunk" || !c.parent.valid() ||
            t.NameOf(c.parent) != absl::StrCat("CXL Window ", want.id)) {
          return where;
        }
      }
      return "";
    }
    if (!v.range.Contains(r)) return where;
    const std::string parent =
        v.parent.valid() ? std::string(t.NameOf(v.parent)) : "";
    bool ok = false;
    switch (want.kind) {
      case Owner::kNobody:
        break;
      case Owner::kWindow:
        ok = v.name == absl::StrCat("CXL Window ", want.id);
        break;
      case Owner::kChunk:  // above
        break;
      case Owner::kRegion:
        ok = v.name == absl::StrCat("region", want.id);
        break;
      case Owner::kDax:
        ok = v.name == absl::StrCat("dax", want.id, ".0");
        break;
      case Owner::kKmem:
        ok = v.name == "System RAM (kmem)" &&
             parent == absl::StrCat("dax", want.id, ".0");
        break;
      case Owner::kRam:
        ok = v.name == "System RAM";
        break;
    }
    return ok ? "" : where;
  }

  // --- Per event (successful ones only).

  std::string On(const WindowAdd& w, const Machine&, const Machine&) {
    const int f = UnitOf(w.base, kCxlBase, kUnit);
    const int l = f + static_cast<int>(w.size / kUnit) - 1;
    // cxl_acpi: a CFMWS inside an earlier one is not published; its decoder
    // uses the outer window's node.
    for (const auto& [n, o] : windows_) {
      if (o.first <= f && l <= o.last) {
        Win in;
        in.first = f;
        in.last = l;
        in.published = false;
        in.top = o.top;
        windows_[w.index] = in;
        return "";
      }
    }
    for (int u = f; u <= l; ++u) {
      if (cxl_[u].kind != Owner::kNobody) {
        // Another CFMWS here is EBUSY; anything else is outside the model.
        for (const auto& [n, o] : windows_) {
          if (o.first <= u && u <= o.last) {
            return absl::StrCat("window add ", w.index,
                                " succeeded over window ", n);
          }
        }
        return Stop("window add over a non-window resource");
      }
    }
    Win in;
    in.first = in.twin_first = f;
    in.last = in.twin_last = l;
    in.top = w.index;
    windows_[w.index] = in;
    for (int u = f; u <= l; ++u) cxl_[u] = {Owner::kWindow, w.index};
    return "";
  }

  std::string On(const WindowExpand& x, const Machine&, const Machine&) {
    Win& w = windows_.at(x.index);
    const int f = UnitOf(x.to.first(), kCxlBase, kUnit);
    const int l = UnitOf(x.to.last(), kCxlBase, kUnit);
    for (int u = f; u <= l; ++u) {
      if (u >= w.twin_first && u <= w.twin_last) continue;
      if (cxl_[u].kind != Owner::kNobody) return Stop("window expand adopting");
    }
    for (int u = f; u <= l; ++u) {
      if (u < w.twin_first || u > w.twin_last) {
        cxl_[u] = {Owner::kWindow, x.index};
      }
    }
    w.first = w.twin_first = f;
    w.last = w.twin_last = l;
    return "";
  }

  std::string On(const RegionCreate& rc, const Machine& before,
                 const Machine& after) {
    uint32_t k = 0;
    bool found = false;
    for (const auto& [id, r] : after.regions()) {
      if (before.regions().count(id) == 0) {
        k = id;
        found = true;
      }
    }
    if (!found) return "region create succeeded but no new region";
    const Range range = after.regions().at(k).range;
    const uint32_t top = windows_.at(rc.window).top;
    const bool chunked = windows_.at(top).chunked;
    if ((range.first() - kCxlBase) % kUnit != 0 ||
        range.last() - range.first() + 1 != rc.size) {
      return absl::StrCat("region", k, " has range ", range.ToString(),
                          ", not ", rc.size, " bytes on the unit grid");
    }
    const int f = UnitOf(range.first(), kCxlBase, kUnit);
    const int l = UnitOf(range.last(), kCxlBase, kUnit);
    const Owner free{chunked ? Owner::kChunk : Owner::kWindow, top};
    for (int u = f; u <= l; ++u) {
      if (!(cxl_[u] == free)) {
        return absl::StrCat("region", k, " was placed on ",
                            Units(kCxlBase, kUnit, u, 1).ToString(),
                            " owned by ", Show(cxl_[u]), ", not ", Show(free));
      }
    }
    for (int u = f; u <= l; ++u) cxl_[u] = {Owner::kRegion, k};
    regions_[k] = Reg{top, f, l};
    return "";
  }

  std::string On(const RegionDestroy& d, const Machine&, const Machine&) {
    auto it = regions_.find(d.region);
    if (it == regions_.end()) return "destroyed a region the model lacks";
    const Reg r = it->second;
    regions_.erase(it);
    // kmem with online blocks stays for good (stranded); everything else of
    // the region goes, and its space returns to the window (to chunks in a
    // chunked window).
    for (int u = r.first; u <= r.last; ++u) {
      if (cxl_[u].kind == Owner::kKmem) return "";
    }
    const Owner free{
        windows_.at(r.top).chunked ? Owner::kChunk : Owner::kWindow, r.top};
    for (int u = r.first; u <= r.last; ++u) cxl_[u] = free;
    return "";
  }

  std::string Replace(Owner from, Owner to) {
    bool any = false;
    for (Owner& o : cxl_) {
      if (o == from) {
        o = to;
        any = true;
      }
    }
    return any ? "" : absl::StrCat("nothing was ", Show(from));
  }
  std::string On(const DaxCreate& d, const Machine&, const Machine&) {
    return Replace({Owner::kRegion, d.region}, {Owner::kDax, d.region});
  }
  std::string On(const KmemOnline& k, const Machine&, const Machine&) {
    return Replace({Owner::kDax, k.dax.region}, {Owner::kKmem, k.dax.region});
  }
  std::string On(const KmemOffline& k, const Machine&, const Machine&) {
    return Replace({Owner::kKmem, k.dax.region}, {Owner::kDax, k.dax.region});
  }

  template <typename MemoryEvent>
  std::pair<int, int> Blocks(const MemoryEvent& m) {
    const int f = UnitOf(m.addr, kMemBase, kBlock);
    return {f, f + static_cast<int>(m.size / kBlock) - 1};
  }
  std::string On(const MemoryAdd& m, const Machine&, const Machine&) {
    const auto [f, l] = Blocks(m);
    for (int u = f; u <= l; ++u) {
      if (mem_[u].kind != Owner::kNobody) return "memory add over memory";
      mem_[u] = {Owner::kRam, 0};
      online_[u] =
          true;  // linux-6.12: Debian's build onlines (hotplug_auto_online)
    }
    return "";
  }
  std::string SetOnline(int f, int l, bool on) {
    for (int u = f; u <= l; ++u) {
      if (mem_[u].kind != Owner::kRam) return "onlining absent memory";
      online_[u] = on;
    }
    return "";
  }
  std::string On(const MemoryOnline& m, const Machine&, const Machine&) {
    const auto [f, l] = Blocks(m);
    return SetOnline(f, l, true);
  }
  std::string On(const MemoryOffline& m, const Machine&, const Machine&) {
    const auto [f, l] = Blocks(m);
    return SetOnline(f, l, false);
  }
  std::string On(const MemoryRemove& m, const Machine&, const Machine&) {
    const auto [f, l] = Blocks(m);
    for (int u = f; u <= l; ++u) {
      if (mem_[u].kind != Owner::kRam || online_[u]) {
        return "removed memory that was absent or online";
      }
      mem_[u] = Owner{};
    }
    return "";
  }

  std::string On(const ChunksReserve& c, const Machine&, const Machine&) {
    Win& w = windows_.at(c.window);
    w.chunked = true;
    for (int u = w.twin_first; u <= w.twin_last; ++u) {
      if (cxl_[u] == Owner{Owner::kWindow, c.window}) {
        cxl_[u] = {Owner::kChunk, c.window};
      }
    }
    return "";
  }

  std::string On(const ChunksReleaseUnused& c, const Machine&, const Machine&) {
    Win& w = windows_.at(c.window);
    for (int u = w.twin_first; u <= w.twin_last; ++u) {
      if (cxl_[u] == Owner{Owner::kChunk, c.window}) {
        cxl_[u] = {Owner::kWindow, c.window};
      }
    }
    if (!c.shrink) return "";
    // The window shrinks to the smallest range holding its children (the
    // units it does not own itself); unchanged if none remain.
    int f = -1, l = -1;
    for (int u = w.twin_first; u <= w.twin_last; ++u) {
      if (!(cxl_[u] == Owner{Owner::kWindow, c.window})) {
        if (f < 0) f = u;
        l = u;
      }
    }
    if (f < 0) return "";
    for (int u = w.twin_first; u <= w.twin_last; ++u) {
      if (u < f || u > l) cxl_[u] = Owner{};
    }
    w.twin_first = f;
    w.twin_last = l;
    return "";
  }

  // Outside the model.
  template <typename Other>
  std::string On(const Other&, const Machine&, const Machine&) {
    return Stop(FormatEvent(*current_));
  }

  std::array<Owner, kCxlUnits> cxl_{};
  std::array<Owner, kMemUnits> mem_{};
  std::array<bool, kMemUnits> online_{};
  std::map<uint32_t, Win> windows_;
  std::map<uint32_t, Reg> regions_;
  bool following_ = true;
  std::string stopped_at_;
  const Event* current_ = nullptr;  // the event Apply() is following
};

// ---------------------------------------------------------------------------
// Running and comparing machines.

// Everything a failed event must leave as it was.
std::string Everything(const Machine& m) {
  std::string out = RenderDump(m.tree());
  for (ResourceId id : m.tree().PreorderIds()) {
    absl::StrAppend(&out, id.value(), " ");
  }
  for (uint32_t id : m.memregion_ids()) absl::StrAppend(&out, "\nid ", id);
  for (const auto& [n, w] : m.windows()) {
    absl::StrAppend(&out, "\nW", n, " ", w.cfmws.ToString(), " ", w.ways, " ",
                    w.granularity, " ", w.node, " ", w.cached_region_id, " ",
                    w.published, " ", w.res.value(), " [",
                    absl::StrJoin(w.regions, ","), "]");
  }
  for (const auto& [k, r] : m.regions()) {
    absl::StrAppend(&out, "\nR", k, " ", r.cxl, " ", r.window, " ",
                    static_cast<int>(r.mode), " ", r.range.ToString(), " ",
                    r.ways, " ", r.granularity, " ", r.node, " ", r.res.value(),
                    " ", r.pmem_res.value(), " ", r.ns.value_or("-"), " ",
                    r.dax.value_or("-"));
  }
  for (const auto& [name, ns] : m.namespaces()) {
    absl::StrAppend(&out, "\nN", name, " ", ns.region, " ",
                    static_cast<int>(ns.mode), " ", ns.range.ToString(), " ",
                    ns.align, " ", ns.busy.ToString(), " ",
                    ns.dax.value_or("-"));
  }
  for (const auto& [name, d] : m.daxes()) {
    absl::StrAppend(&out, "\nD", name, " ", d.region, " ", d.range.ToString(),
                    " ", static_cast<int>(d.driver), " ", d.node, " ",
                    static_cast<int>(d.zone), " ", d.kmem_range.ToString(), " ",
                    d.kmem_res.value());
  }
  for (const auto& [b, blk] : m.blocks()) {
    absl::StrAppend(&out, "\nB", b, " ", blk.online, " ", blk.node, " ",
                    static_cast<int>(blk.zone), " ",
                    static_cast<int>(blk.owner));
  }
  return out;
}

absl::StatusOr<ApplyRun> Run(const std::vector<Event>& events) {
  Script s;
  s.file_name = "stateful.events";
  s.events = events;
  ApplyOptions o;
  o.profile = "linux-6.12";
  return ApplyScript(s, o);
}

RC_GTEST_PROP(HotplugStateful, EventsKeepInvariantsAtomicityAndOwnership, ()) {
  const std::vector<Step> steps =
      *rc::gen::resize(40, rc::gen::container<std::vector<Step>>(GenStep()));
  std::vector<Event> accepted;
  absl::StatusOr<ApplyRun> prev = Run(accepted);
  RC_ASSERT(prev.ok());
  OwnershipModel model;
  std::string trace;
  for (const Step& step : steps) {
    const Event e = ToEvent(step);
    std::vector<Event> with = accepted;
    with.push_back(e);
    absl::StatusOr<ApplyRun> next = Run(with);
    RC_ASSERT(next.ok());
    RC_ASSERT(next->results.size() == with.size());
    const EventResult& last = next->results.back();
    for (size_t i = 0; i + 1 < next->results.size(); ++i) {
      if (next->results[i].outcome != EventResult::Outcome::kOk) {
        RC_FAIL(
            absl::StrCat(trace, "replaying event ", i + 1,
                         " gave another result: ", next->results[i].message));
      }
    }
    const bool ok = last.outcome == EventResult::Outcome::kOk;
    absl::StrAppend(&trace, FormatEvent(e), ok ? "" : "  # ",
                    ok ? "" : last.message, "\n");
    if (!ok) {
      const std::string before = Everything(prev->machine);
      const std::string after = Everything(next->machine);
      if (before != after) {
        RC_FAIL(absl::StrCat(trace, "the failed event changed the machine\n",
                             "before:\n", before, "\nafter:\n", after));
      }
      continue;  // dropped: the next step runs `accepted` again
    }
    const Machine& m = next->machine;
    const std::string apply_problem = model.Apply(e, prev->machine, m);
    if (!apply_problem.empty()) {
      RC_FAIL(absl::StrCat(trace, "the model disagrees: ", apply_problem, "\n",
                           m.Render()));
    }
    // The domain rules describe the drivers' nestings; the events the model
    // leaves out (reparent, raw operations, window expansion over other
    // resources, ...) exist to make others.
    const std::vector<InvariantViolation> broken =
        model.following() ? m.CheckInvariants() : m.tree().CheckInvariants();
    if (!broken.empty()) {
      RC_FAIL(absl::StrCat(trace, "invariant broken: ", broken[0].message, "\n",
                           m.Render()));
    }
    if (model.following()) {
      const std::string problem = model.Compare(m);
      if (!problem.empty()) {
        RC_FAIL(absl::StrCat(trace, "the model disagrees: ", problem, "\n",
                             m.Render()));
      }
    }
    accepted = std::move(with);
    prev = std::move(next);
  }
  RC_CLASSIFY(model.following(), "model followed to the end");
}

}  // namespace
}  // namespace hotplug
}  // namespace restree
