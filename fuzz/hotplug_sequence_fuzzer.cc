// Fuzzes hotplug sequences on hotplug::Machine (the applier behind
// `restree apply`). The bytes are a record format, not text
// (FuzzedDataProvider):
//   byte 0:      the base (0: empty, 1: the Linux 6.1 QEMU boot dump below,
//                2: an empty machine with a 4 GiB CXL window reserved as
//                256 MiB chunks) and the profile (bit 2: linux-6.12; bit 3,
//                over bit 2: linux-7.1 with the DCD series, where events
//                with bit 1 of their `extra` byte set become DC ones: region
//                create mode dc, dax create with a size or dax destroy,
//                extent add and release);
//   then events: one byte picks the kind (window add/expand, softres,
//                region create/destroy, namespace, dax, kmem on/off, memory
//                add/online/offline/remove, chunks reserve/release,
//                reparent), the following bytes its arguments, on grids
//                that make ranges collide (256 MiB for CXL, 128 MiB blocks).
// After every event: an event that failed changed nothing (every node with
// its id and generation, depth, range, name, flags and desc, and the driver
// state: windows, regions, namespaces, dax devices, memory blocks, memregion
// ids); after an event that succeeded the tree's structural invariants hold,
// and so do the memory-hotplug/CXL domain rules (Machine::CheckInvariants)
// until a `reparent` has run (reparenting exists to change nesting the
// drivers would not make) or a `softres add` has followed another event
// (e820 inserts Soft Reserved at boot, before any driver; later is a
// what-if whose nesting no kernel makes). Invariants are not re-checked after a
// failed event: its state was just shown equal to one already checked.
//
// Speed (docs/fuzzing.md, "Speed of the sequence targets"): a snapshot of
// the tree is taken only when the state changed, a failed event is compared
// with it node by node through ids (no walk), and the bases are built once
// per process and copied. Inputs are at most 241 bytes
// (hotplug_sequence_fuzzer.options): the base byte and 5 bytes for each of
// at most 48 events, read from the end.
//
//   bazel build --config=fuzz //fuzz:hotplug_sequence_fuzzer
//   bazel-bin/fuzz/hotplug_sequence_fuzzer -max_total_time=600 /tmp/hp_corpus
//       fuzz/corpus/hotplug_sequence_fuzzer

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzzer/FuzzedDataProvider.h"
#include "hotplug/machine.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace {

using hotplug::Machine;

constexpr size_t kMaxEvents = 48;
constexpr uint64_t k256M = uint64_t{256} << 20;
constexpr uint64_t k128M = uint64_t{128} << 20;
constexpr uint64_t kCxlBase = 0x1000000000;

// Debian 6.1 under QEMU 7.2
// (iomem_parser/testdata/qemu72-linux61-nocxl-iomem.txt).
constexpr char kQemuBoot[] = R"(00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000a0000-000bffff : PCI Bus 0000:00
000c0000-000c9bff : Video ROM
000ca000-000ca5ff : Adapter ROM
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-7ffdefff : System RAM
  01000000-01e01d31 : Kernel code
  02000000-028eafff : Kernel rodata
  02a00000-02c4897f : Kernel data
  03310000-043fffff : Kernel bss
7ffdf000-7fffffff : Reserved
80000000-afffffff : PCI Bus 0000:00
b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]
  b0000000-bfffffff : Reserved
    b0000000-bfffffff : pnp 00:05
c0000000-febfffff : PCI Bus 0000:00
  fd000000-fdffffff : 0000:00:01.0
  febf0000-febf0fff : 0000:00:01.0
  febf1000-febf1fff : 0000:00:1f.2
fec00000-fec003ff : IOAPIC 0
fed00000-fed003ff : HPET 0
  fed00000-fed003ff : PNP0103:00
fed1c000-fed1ffff : Reserved
fee00000-fee00fff : Local APIC
fffc0000-ffffffff : Reserved
380000000-b7fffffff : PCI Bus 0000:00
fd00000000-ffffffffff : Reserved
)";

[[noreturn]] void Fail(const std::string& trace, const std::string& what) {
  std::fprintf(stderr, "%s%s\n", trace.c_str(), what.c_str());
  std::abort();
}

// The driver state a failing event must leave as it was.
std::string DriverState(const Machine& m) {
  std::string s;
  for (const auto& [n, w] : m.windows()) {
    absl::StrAppend(&s, "w", n, ":", w.cached_region_id, ":", w.regions.size(),
                    ";");
  }
  for (const auto& [k, r] : m.regions()) {
    absl::StrAppend(&s, "r", k, ":", r.range.ToString(), ":",
                    r.ns.value_or("-"), ":", r.dax.value_or("-"), ";");
    for (const auto& [tag, extents] : r.extents) {
      absl::StrAppend(&s, "e", tag, ":", extents.size(), ";");
    }
  }
  if (const ResourceTree* dr = m.PrivateRoot("DAX Regions")) {
    absl::StrAppend(&s, RenderDump(*dr));
  }
  for (const auto& [name, ns] : m.namespaces()) {
    absl::StrAppend(&s, name, ":", ns.busy.ToString(), ";");
  }
  for (const auto& [name, d] : m.daxes()) {
    absl::StrAppend(&s, name, ":", static_cast<int>(d.driver), ":",
                    d.kmem_range.ToString(), ";");
  }
  for (const auto& [b, blk] : m.blocks()) {
    absl::StrAppend(&s, "b", b, ":", blk.online, ":",
                    static_cast<int>(blk.owner), ";");
  }
  for (uint32_t id : m.memregion_ids()) absl::StrAppend(&s, "id", id, ";");
  return s;
}

// Everything a failing event must leave as it was: every node (its id with
// the generation, parent, range, name, flags, desc) and the driver state.
// Taking one walks the tree (the child index: costly under the sanitizers);
// Unchanged() compares by id, O(1) per node, without walking.
struct Snapshot {
  std::vector<ResourceView> nodes;  // the root first
  std::string driver;
};

Snapshot Take(const Machine& m) {
  const ResourceTree& t = m.tree();
  Snapshot s;
  s.nodes.reserve(t.size());
  s.nodes.push_back(t.View(t.root()));
  t.ForEachPreorder([&](ResourceId id, int) { s.nodes.push_back(t.View(id)); });
  s.driver = DriverState(m);
  return s;
}

bool SameNode(const ResourceView& a, const ResourceView& b) {
  return a.id == b.id && a.range == b.range && a.name == b.name &&
         a.flags == b.flags && a.desc == b.desc && a.parent == b.parent;
}

// The same ids are live (a tree has exactly size() live nodes, so none was
// added) with the same contents and parents, which fixes the whole tree.
bool Unchanged(const Machine& m, const Snapshot& s) {
  const ResourceTree& t = m.tree();
  if (t.size() != s.nodes.size()) return false;
  for (const ResourceView& v : s.nodes) {
    if (!t.Contains(v.id) || !SameNode(t.View(v.id), v)) return false;
  }
  return DriverState(m) == s.driver;
}

// The name of the k-th element of a map, or a name that does not exist.
template <typename Map>
std::string Pick(const Map& map, size_t k) {
  if (map.empty()) return "dax9.9";
  auto it = map.begin();
  std::advance(it, k % map.size());
  return it->first;
}

// The name of a node other than the root, from a snapshot of the tree.
std::string RandomNodeName(const Snapshot& s, size_t k) {
  if (s.nodes.size() < 2) return "none";
  return std::string(s.nodes[1 + k % (s.nodes.size() - 1)].name);
}

// Base `kind` (0 empty, 1 the QEMU boot dump, 2 the chunked CXL window) for
// profile `p` (0 debian-6.1, 1 linux-6.12, 2 linux-7.1 with the DCD series),
// built on first use and copied for every
// input after that: a copy is the same state (tree slots, free list,
// journals) as the build it copies, and parsing the boot dump or reserving
// the 16 chunks per input cost ~5% of the fuzzer's time.
const Machine& Base(int kind, int p) {
  static Machine* built[3][3] = {};
  Machine*& m = built[kind][p];
  if (m != nullptr) return *m;
  hotplug::MachineOptions mo;
  if (p == 1) mo.profile = *KernelProfile::ByName("linux-6.12");
  if (p == 2) {
    mo.profile = *KernelProfile::ByName("linux-7.1");
    mo.dcd = true;
  }
  const std::string where =
      absl::StrCat("base ", kind, " profile ", mo.profile.name, ": ");
  absl::StatusOr<Machine> start = kind == 1
                                      ? Machine::FromIomem(kQemuBoot, mo)
                                      : absl::StatusOr<Machine>(Machine(mo));
  if (!start.ok()) Fail(where, std::string(start.status().message()));
  if (kind == 2 && (!start->AddWindow(0, kCxlBase, 16 * k256M).ok() ||
                    !start->ChunksReserve(0, k256M).ok())) {
    Fail(where, "the chunked base failed");
  }
  m = new Machine(*std::move(start));  // lives as long as the process
  return *m;
}

}  // namespace
}  // namespace restree

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace restree;
  FuzzedDataProvider in(data, size);
  const uint8_t head = in.ConsumeIntegral<uint8_t>();
  const int profile = (head & 8) != 0 ? 2 : (head & 4) != 0 ? 1 : 0;
  const bool dcd = profile == 2;
  static constexpr const char* kProfiles[] = {"debian-6.1", "linux-6.12",
                                              "linux-7.1 dcd"};
  std::string trace =
      absl::StrCat("base ", head % 3, " profile ", kProfiles[profile], "\n");
  Machine m = Base(head % 3, profile);
  bool reparented = false;  // or otherwise off the drivers' chains
  bool after_boot = false;  // an event other than `softres add` succeeded
  Snapshot before;          // Take(m) when `before_valid`
  bool before_valid = false;
  for (size_t step = 0; step < kMaxEvents && in.remaining_bytes() > 0; ++step) {
    if (!before_valid) {
      before = Take(m);
      before_valid = true;
    }
    const int kind = in.ConsumeIntegralInRange<int>(0, 15);
    const uint32_t n = in.ConsumeIntegralInRange<uint32_t>(0, 3);
    const uint64_t a = in.ConsumeIntegralInRange<uint64_t>(0, 63);
    const uint64_t b = in.ConsumeIntegralInRange<uint64_t>(1, 16);
    const uint8_t extra = in.ConsumeIntegral<uint8_t>();
    absl::Status s;
    std::string what;
    switch (kind) {
      case 0:
        what = absl::StrCat("window add ", n, " base+", a, "*256M size ", b,
                            "*256M ways ", 1 << (extra % 3));
        s = m.AddWindow(n, kCxlBase + a * k256M, b * k256M, 1u << (extra % 3));
        break;
      case 1:
        what = absl::StrCat("window expand ", n, " to base+", a, "*256M +", b,
                            "*256M");
        s = m.ExpandWindow(
            n, Range(kCxlBase + a * k256M, kCxlBase + (a + b) * k256M * 2 - 1));
        break;
      case 2:
        what = absl::StrCat("softres add base+", a, "*256M size ", b, "*256M");
        s = m.AddSoftReserved(
                 Range(kCxlBase + a * k256M, kCxlBase + (a + b) * k256M - 1))
                .status();
        reparented = reparented || (s.ok() && after_boot);
        break;
      case 3: {
        const auto mode = dcd && (extra & 2) != 0 ? Machine::RegionMode::kDc
                          : (extra & 1) != 0      ? Machine::RegionMode::kRam
                                                  : Machine::RegionMode::kPmem;
        what = absl::StrCat("region create window ", n, " size ", b % 8,
                            "*256M mode ", static_cast<int>(mode));
        s = m.CreateRegion(n, (b % 8) * k256M, mode).status();
        break;
      }
      case 4:
        what = absl::StrCat("region destroy ", a % 8);
        s = m.DestroyRegion(static_cast<uint32_t>(a % 8));
        break;
      case 5: {
        if ((extra & 16) != 0) {  // ndctl destroy-namespace: the label goes
          what = absl::StrCat("namespace destroy namespace", a % 8, ".0");
          s = m.DestroyNamespace(absl::StrCat("namespace", a % 8, ".0"));
          break;
        }
        const auto mode = static_cast<Machine::NamespaceMode>(extra % 3);
        const uint64_t align = (extra & 8) != 0 ? uint64_t{2} << 20 : 4096;
        what = absl::StrCat("namespace create region ", a % 8, " mode ",
                            extra % 3, " align ", align);
        s = m.CreateNamespace(static_cast<uint32_t>(a % 8), mode, align)
                .status();
        break;
      }
      case 6:
        if (dcd && (extra & 2) != 0 && (extra & 4) != 0) {
          const std::string d = Pick(m.daxes(), a);
          what = absl::StrCat("dax destroy ", d);
          s = m.DestroyDax(d);
          break;
        }
        if (dcd && (extra & 2) != 0) {
          what =
              absl::StrCat("dax create region ", a % 8, " size ", b, "*128M");
          s = m.CreateDax(static_cast<uint32_t>(a % 8), b * k128M).status();
          break;
        }
        what = absl::StrCat("dax create region ", a % 8);
        s = m.CreateDax(static_cast<uint32_t>(a % 8)).status();
        break;
      case 7: {
        const std::string d = Pick(m.daxes(), a);
        what = absl::StrCat("kmem online ", d);
        s = m.KmemOnline(d, static_cast<int>(extra % 3) - 1,
                         (extra & 4) != 0 ? Machine::Zone::kNormal
                                          : Machine::Zone::kMovable);
        break;
      }
      case 8: {
        const std::string d = Pick(m.daxes(), a);
        what = absl::StrCat("kmem offline ", d);
        s = m.KmemOffline(d, (extra & 1) == 0);
        break;
      }
      case 9:
        what = absl::StrCat("memory add 4G+", a, "*128M size ", b % 5, "*128M");
        s = m.MemoryAdd(0x100000000 + a * k128M, (b % 5) * k128M);
        break;
      case 10:
        what =
            absl::StrCat("memory online 4G+", a, "*128M size ", b % 5, "*128M");
        s = m.MemoryOnline(0x100000000 + a * k128M, (b % 5) * k128M);
        break;
      case 11:
        what = absl::StrCat("memory offline 4G+", a, "*128M size ", b % 5,
                            "*128M");
        s = m.MemoryOffline(0x100000000 + a * k128M, (b % 5) * k128M);
        break;
      case 12:
        what =
            absl::StrCat("memory remove 4G+", a, "*128M size ", b % 5, "*128M");
        s = m.MemoryRemove(0x100000000 + a * k128M, (b % 5) * k128M);
        break;
      case 13:
        if (dcd && (extra & 2) != 0) {
          // One or two extents of the grid, tag t0..t3.
          std::vector<Range> ext = {
              Range((a % 8) * k256M, (a % 8) * k256M + b * k128M - 1)};
          if ((extra & 4) != 0) {
            ext.emplace_back((a % 8 + b) * k256M, (a % 8 + b + 1) * k256M - 1);
          }
          const std::string tag = absl::StrCat("t", (extra >> 4) % 4);
          what = absl::StrCat("extent add region ", n, " tag ", tag, " at ",
                              a % 8, "*256M size ", b, "*128M",
                              ext.size() == 2 ? " and one more" : "");
          s = m.AddExtents(n, tag, ext);
          break;
        }
        what = absl::StrCat("chunks reserve window ", n);
        s = m.ChunksReserve(n, (extra & 1) != 0
                                   ? std::optional<uint64_t>(b * k256M)
                                   : std::nullopt)
                .status();
        break;
      case 14:
        if (dcd && (extra & 2) != 0) {
          const std::string tag = absl::StrCat("t", (extra >> 4) % 4);
          what = absl::StrCat("extent release region ", n, " tag ", tag);
          s = m.ReleaseExtents(n, tag);
          break;
        }
        what = absl::StrCat("chunks release-unused window ", n,
                            (extra & 1) != 0 ? " shrink" : "");
        s = m.ChunksReleaseUnused(n, (extra & 1) != 0).status();
        break;
      default: {
        const std::string x = RandomNodeName(before, a);
        const std::string y = RandomNodeName(before, extra);
        what = absl::StrCat("reparent \"", x, "\" under \"", y, "\"");
        s = m.Reparent(x, y);
        reparented = reparented || s.ok();
        break;
      }
    }
    trace += what + (s.ok() ? ": ok\n" : absl::StrCat(": ", s.message(), "\n"));
    if (!s.ok()) {
      if (!Unchanged(m, before)) {
        Fail(trace, "a failed event changed the machine\n" + m.Dump());
      }
      continue;  // the state is the one checked before
    }
    before_valid = false;
    if (kind != 2) after_boot = true;
    const std::vector<InvariantViolation> broken =
        reparented ? m.tree().CheckInvariants() : m.CheckInvariants();
    if (!broken.empty()) {
      Fail(trace, absl::StrCat("invariant broken: ", broken[0].message, "\n",
                               m.Render()));
    }
  }
  return 0;
}
