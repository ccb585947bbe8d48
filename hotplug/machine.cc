#include "hotplug/machine.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "iomem_parser/parser.h"
#include "resource_tree/domain_invariants.h"
#include "resource_tree/flags.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/render.h"
#include "resource_tree/tree_builder.h"

namespace restree {
namespace hotplug {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t k256M = 256 * kMiB;
constexpr uint64_t k2M = 2 * kMiB;
constexpr uint64_t k4K = 4096;
constexpr uint64_t k8K = 8192;
constexpr uint64_t k1G = uint64_t{1} << 30;
// EOPNOTSUPP (resource_tree/kernel_status.h names only the errnos
// kernel/resource.c returns).
constexpr int kEOPNOTSUPP = 95;
// MAX_STRUCT_PAGE_SIZE (drivers/nvdimm/nd.h).
constexpr uint64_t kStructPageSize = 64;

absl::Status Err(int errno_value, absl::string_view message,
                 ResourceId conflict = ResourceId()) {
  return MakeKernelStatus(KernelOutcome::kError, errno_value, conflict,
                          message);
}

// `st` (a failed tree operation) reported with `errno_value` instead.
absl::Status As(int errno_value, const absl::Status& st,
                absl::string_view what) {
  return Err(errno_value, absl::StrCat(what, ": ", st.message()),
             GetKernelError(st).conflict);
}

uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }
uint64_t AlignDown(uint64_t x, uint64_t a) { return x / a * a; }
bool IsPow2(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

bool ValidWays(uint32_t w) {
  return w == 1 || w == 2 || w == 3 || w == 4 || w == 6 || w == 8 || w == 12 ||
         w == 16;
}
bool ValidGranularity(uint64_t g) {
  return IsPow2(g) && g >= 256 && g <= 16384;
}

// 6.1 profiles (Debian's and vanilla) versus 6.12 and later.
bool Is61(const KernelProfile& p) { return absl::EndsWith(p.name, "-6.1"); }

// soft_reserve_resource (bc62f5b308cb, v7.0) and "DAX Regions"
// (34f80bb969cc, v7.1).
bool HasSoftReserveTree(const KernelProfile& p) {
  return p.hmem == KernelProfile::HmemModel::k70 ||
         p.hmem == KernelProfile::HmemModel::k71;
}
bool HasDaxRegionsTree(const KernelProfile& p) {
  return p.hmem == KernelProfile::HmemModel::k71;
}

// walk_iomem_res_desc(desc, MEM, 0, -1) on `t`: the ranges of the MEM nodes
// with `desc`, in pre-order, each clipped to start after the previous one
// (find_next_iomem_res() continues at the end of what it returned).
std::vector<Range> WalkDesc(const ResourceTree& t, uint32_t desc) {
  std::vector<Range> out;
  uint64_t cursor = 0;
  bool done = false;
  t.ForEachPreorder([&](ResourceId id, int) {
    if (done || (t.FlagsOf(id) & iores::kMem) == 0 || t.DescOf(id) != desc) {
      return;
    }
    const Range r = t.RangeOf(id);
    if (r.last() < cursor) return;
    out.push_back(Range(std::max(r.first(), cursor), r.last()));
    if (r.last() == kMaxAddress) {
      done = true;
    } else {
      cursor = r.last() + 1;
    }
  });
  return out;
}

std::string Hex(uint64_t x) { return absl::StrFormat("%#x", x); }
std::string Show(const Range& r) {
  return absl::StrFormat("[mem %#010x-%#010x]", r.first(), r.last());
}

// `[addr, addr + size - 1]` or nullopt when it wraps or is empty.
std::optional<Range> RangeOf(uint64_t addr, uint64_t size) {
  if (size == 0 || addr + (size - 1) < addr) return std::nullopt;
  return Range(addr, addr + (size - 1));
}

uint64_t SizeOf(const Range& r) { return r.last() - r.first() + 1; }

bool ParseIndexAfter(absl::string_view name, absl::string_view prefix,
                     uint32_t* out) {
  if (!absl::ConsumePrefix(&name, prefix) || name.empty()) return false;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(name, out);
}

}  // namespace

std::string Machine::RegionName(uint32_t k) {
  return absl::StrCat("region", k);
}

Machine::Machine(const MachineOptions& options)
    : Machine(options, ResourceTree::Iomem(options.profile)) {}

Machine::Machine(const MachineOptions& options, ResourceTree tree)
    : options_(options), tree_(std::move(tree)) {}

Machine::State::Mark Machine::State::Marks() const {
  return Mark{memregion_ids.Mark(), windows.Mark(), regions.Mark(),
              namespaces.Mark(),    daxes.Mark(),   blocks.Mark(),
              hmems.Mark()};
}

void Machine::State::RollbackTo(const Mark& m) {
  memregion_ids.RollbackTo(m.memregion_ids);
  windows.RollbackTo(m.windows);
  regions.RollbackTo(m.regions);
  namespaces.RollbackTo(m.namespaces);
  daxes.RollbackTo(m.daxes);
  blocks.RollbackTo(m.blocks);
  hmems.RollbackTo(m.hmems);
}

void Machine::State::ClearJournals() {
  memregion_ids.ClearJournal();
  windows.ClearJournal();
  regions.ClearJournal();
  namespaces.ClearJournal();
  daxes.ClearJournal();
  blocks.ClearJournal();
  hmems.ClearJournal();
}

template <typename Fn>
absl::Status Machine::Atomically(Fn fn) {
  const State::Mark mark = s_.Marks();
  ResourceTree::Transaction tx(&tree_);
  std::array<std::optional<ResourceTree::Transaction>, State::kTrees> ptx;
  const std::array<ResourceTree*, State::kTrees> trees = s_.Trees();
  for (size_t i = 0; i < trees.size(); ++i) ptx[i].emplace(trees[i]);
  ++s_.depth;
  absl::Status st = fn(s_);
  --s_.depth;
  if (st.ok()) {
    for (auto& t : ptx) t->Commit();
    tx.Commit();
  } else {
    s_.RollbackTo(mark);  // the transactions roll the trees back
  }
  if (s_.depth == 0) s_.ClearJournals();
  return st;
}

// ---------------------------------------------------------------------------
// Loading a dump.

void Machine::InferredFlags(absl::string_view name, uint64_t start,
                            bool has_kmem_child, uint64_t parent_flags,
                            uint32_t parent_desc, uint64_t* flags,
                            uint32_t* desc) {
  using namespace iores;  // NOLINT
  // What __request_region() gives a child of the parent (P2).
  const uint64_t requested =
      ResourceType(parent_flags) | ResourceExtType(parent_flags) | kBusy;
  *desc = iores_desc::kNone;
  if (name == "System RAM") {  // e820 RAM or ACPI hot-added memory
    *flags = kSystemRam | kBusy;
    *desc = parent_desc;
  } else if (IsDriverManagedRamName(name)) {  // add_memory_driver_managed
    *flags = kSystemRam | kBusy | kSysramDriverManaged;
    *desc = parent_desc;
  } else if (name == "Kernel code" || name == "Kernel rodata" ||
             name == "Kernel data" || name == "Kernel bss") {
    *flags = kSystemRam | kBusy;
  } else if (name == "Reserved") {
    // e820: do_mark_busy() is true below 1 MiB only for E820_TYPE_RESERVED.
    *flags = kMem | (start < kMiB ? kBusy : 0);
    *desc = iores_desc::kReserved;
  } else if (name == "ACPI Tables") {
    *flags = kMem | kBusy;
    *desc = iores_desc::kAcpiTables;
  } else if (name == "ACPI Non-volatile Storage") {
    *flags = kMem | kBusy;
    *desc = iores_desc::kAcpiNvStorage;
  } else if (name == "Persistent Memory (legacy)") {
    *flags = kMem;
    *desc = iores_desc::kPersistentMemoryLegacy;
  } else if (name == "Persistent Memory") {
    *flags = kMem;
    *desc = iores_desc::kPersistentMemory;
  } else if (name == "Soft Reserved" || absl::StartsWith(name, "hmem.")) {
    *flags = kMem;
    *desc = iores_desc::kSoftReserved;
  } else if (IsCxlWindowName(name)) {
    *flags = kMem;
    *desc = iores_desc::kCxl;
  } else if (IsRegionName(name)) {
    *flags = kMem;
  } else if (IsDaxName(name)) {
    // kmem overwrites its node's flags with SYSTEM_RAM; device_dax's is busy.
    *flags = has_kmem_child ? kSystemRam : requested;
    *desc = parent_desc;
  } else if (absl::StartsWith(name, "namespace")) {
    *flags = requested;
    *desc = parent_desc;
  } else {
    *flags = kMem;  // unknown producers: a plain, non-busy MEM resource
  }
}

absl::StatusOr<Machine> Machine::FromIomem(absl::string_view text,
                                           const MachineOptions& options) {
  if (!IsPow2(options.block_size)) {
    return Err(kerrno::kEINVAL, "memory block size must be a power of two");
  }
  absl::StatusOr<ParsedIomem> parsed = ParseIomem(text);
  if (!parsed.ok()) {
    return Err(kerrno::kEINVAL, parsed.status().message());
  }
  if (parsed->zeroed) {
    return Err(kerrno::kEINVAL,
               "the dump has no addresses (read without CAP_SYS_ADMIN)");
  }
  const ResourceTree& src = parsed->tree;
  const ResourceView root = src.View(src.root());
  std::set<ResourceId> kmem_parents;
  src.ForEachPreorder([&](ResourceId id, int) {
    if (IsDriverManagedRamName(src.NameOf(id))) {
      kmem_parents.insert(src.ParentOf(id));
    }
  });
  TreeBuilder b({root.range, root.name, iores::kMem, 0}, options.profile);
  b.Reserve(src.size());
  struct Level {
    ResourceId id;
    uint64_t flags;
    uint32_t desc;
  };
  std::vector<Level> at_depth;
  absl::Status failed;
  src.ForEachPreorder([&](ResourceId id, int depth) {
    if (!failed.ok()) return;
    const ResourceView v = src.View(id);
    const size_t d = static_cast<size_t>(depth);
    const Level parent =
        d == 0 ? Level{b.root(), iores::kMem, 0} : at_depth[d - 1];
    uint64_t flags = 0;
    uint32_t desc = 0;
    InferredFlags(v.name, v.range.first(), kmem_parents.count(id) != 0,
                  parent.flags, parent.desc, &flags, &desc);
    absl::StatusOr<ResourceId> nid =
        b.Append(parent.id, {v.range, v.name, flags, desc});
    if (!nid.ok()) {
      failed = Err(kerrno::kEINVAL, nid.status().message());
      return;
    }
    at_depth.resize(d + 1);
    at_depth[d] = Level{*nid, flags, desc};
  });
  RESTREE_RETURN_IF_ERROR(failed);
  Machine m(options, std::move(b).Finish());
  RESTREE_RETURN_IF_ERROR(m.Adopt());
  return m;
}

uint32_t Machine::MemregionAlloc(State& s) {
  uint32_t id = 0;
  while (s.memregion_ids.count(id) != 0) ++id;
  s.memregion_ids.insert(id);
  return id;
}

absl::Status Machine::Adopt() {
  State& s = s_;
  // Ids the dump's names show in use.
  tree_.ForEachPreorder([&](ResourceId id, int) {
    const absl::string_view name = tree_.NameOf(id);
    uint32_t k = 0;
    if (ParseIndexAfter(name, "region", &k) ||
        ParseIndexAfter(name, "hmem.", &k)) {
      s.memregion_ids.insert(k);
    }
  });
  const std::vector<ResourceId> top = tree_.Children(tree_.root());
  // nd_e820: one IO region per legacy pmem range, with its raw namespace.
  for (ResourceId id : top) {
    if (tree_.NameOf(id) != "Persistent Memory (legacy)") continue;
    Region r;
    r.id = MemregionAlloc(s);
    r.cxl = false;
    r.mode = RegionMode::kPmem;
    r.range = tree_.RangeOf(id);
    r.res = id;
    const std::string ns = absl::StrCat("namespace", r.id, ".0");
    for (ResourceId c : tree_.Children(id)) {
      if (tree_.NameOf(c) == ns && tree_.RangeOf(c) == r.range) {
        Namespace n;
        n.name = ns;
        n.region = r.id;
        n.mode = NamespaceMode::kRaw;
        n.range = r.range;
        n.busy = r.range;
        s.namespaces[ns] = n;
        r.ns = ns;
      }
    }
    s.regions[r.id] = r;
  }
  // cxl_acpi: windows already published.
  for (ResourceId id : top) {
    uint32_t n = 0;
    if (!ParseIndexAfter(tree_.NameOf(id), "CXL Window ", &n)) continue;
    if (s.windows.count(n) != 0) {
      return Err(kerrno::kEINVAL,
                 absl::StrCat("the dump has two CXL Window ", n));
    }
    Window w;
    w.index = n;
    w.cfmws = tree_.RangeOf(id);
    w.res = id;
    w.cached_region_id = MemregionAlloc(s);
    absl::StatusOr<ResourceId> p = s.cxl_private.Insert(
        s.cxl_private.root(), {w.cfmws, tree_.NameOf(id), iores::kMem, 0});
    if (!p.ok()) return Err(kerrno::kEINVAL, p.status().message());
    s.windows[n] = w;
  }
  // Boot memory blocks.
  const uint64_t bs = options_.block_size;
  tree_.ForEachPreorder([&](ResourceId id, int) {
    const uint64_t f = tree_.FlagsOf(id);
    constexpr uint64_t kRamBusy = iores::kSystemRam | iores::kBusy;
    if ((f & kRamBusy) != kRamBusy) return;
    const Range r = tree_.RangeOf(id);
    const bool kmem = IsDriverManagedRamName(tree_.NameOf(id));
    for (uint64_t blk = r.first() / bs; blk <= r.last() / bs; ++blk) {
      Block b;
      b.online = true;
      b.zone = Zone::kNormal;
      b.owner = kmem ? BlockOwner::kStranded : BlockOwner::kBoot;
      if (s.blocks.count(blk) == 0) s.blocks[blk] = b;
      if (blk == r.last() / bs) break;
    }
  });
  // dax_hmem: a "daxX.0" directly under "Soft Reserved" is the dev_dax of
  // hmem device X (alloc_dax_region(pdev->id), the id from memregion_alloc)
  // over the whole range: device_dax-bound (busy, 6.1) or, with "System RAM
  // (kmem)" under it, kmem-bound (6.12's IORESOURCE_DAX_KMEM default, or
  // onlined by hand). 6.1 puts "hmem.X" above the Soft Reserved node.
  std::vector<ResourceId> hmem_daxes;
  tree_.ForEachPreorder([&](ResourceId id, int) {
    uint32_t x = 0;
    const absl::string_view name = tree_.NameOf(id);
    if (!absl::EndsWith(name, ".0") ||
        !ParseIndexAfter(name.substr(0, name.size() - 2), "dax", &x)) {
      return;
    }
    const ResourceId sr = tree_.ParentOf(id);
    if (sr == tree_.root() || tree_.NameOf(sr) != "Soft Reserved") return;
    hmem_daxes.push_back(id);
  });
  for (ResourceId id : hmem_daxes) {
    const std::string name(tree_.NameOf(id));
    uint32_t x = 0;
    ParseIndexAfter(absl::string_view(name).substr(0, name.size() - 2), "dax",
                    &x);
    if (s.daxes.count(name) != 0 || s.hmems.count(x) != 0) continue;
    const ResourceId sr = tree_.ParentOf(id);
    HmemDevice h;
    h.id = x;
    h.range = tree_.RangeOf(sr);
    h.dax = name;
    const ResourceId above = tree_.ParentOf(sr);
    if (above != tree_.root() &&
        tree_.NameOf(above) == absl::StrCat("hmem.", x)) {
      h.iomem_res = above;
    }
    s.memregion_ids.insert(x);
    // hmem_init() recorded the range as active.
    ResourceTree& active = s.hmem_active;
    active
        .RequestRegion(
            active.root(), h.range.first(), SizeOf(h.range),
            h.iomem_res.valid() ? absl::StrCat("hmem.", x) : std::string(),
            0)
        .status()
        .IgnoreError();  // a range recorded twice stays recorded once
    Dax d;
    d.name = name;
    d.region = x;
    d.range = h.range;
    const std::vector<ResourceId> kids = tree_.Children(id);
    if (kids.size() == 1 && tree_.NameOf(kids[0]) == "System RAM (kmem)") {
      d.driver = DaxDriver::kKmem;
      d.zone = Zone::kMovable;
      d.kmem_range = tree_.RangeOf(id);
      d.kmem_res = id;
      // kmem bound it at boot, the blocks as mhp_default_online_type says
      // (6.12's softres-hmem capture: offline until daxctl onlines them).
      const std::optional<Zone> zone = AutoOnlineZone();
      for (uint64_t blk = d.kmem_range.first() / bs;; ++blk) {
        Block b;
        b.online = zone.has_value();
        b.zone = zone.value_or(Zone::kMovable);
        b.owner = BlockOwner::kKmem;
        s.blocks[blk] = b;
        if (blk == d.kmem_range.last() / bs) break;
      }
    } else {
      d.driver = DaxDriver::kDeviceDax;
      d.range = tree_.RangeOf(id);
    }
    s.daxes[name] = d;
    s.hmems[x] = h;
  }
  s.ClearJournals();  // the adopted state is the starting point
  return absl::OkStatus();
}

absl::Status Machine::CheckBlockRange(uint64_t addr, uint64_t size) const {
  const uint64_t bs = options_.block_size;
  if (!RangeOf(addr, size) || addr % bs != 0 || size % bs != 0) {
    return Err(kerrno::kEINVAL,
               absl::StrFormat("Block size [%#x] unaligned hotplug range: "
                               "start %#x, size %#x",
                               bs, addr, size));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// CXL windows.

absl::Status Machine::AddWindow(uint32_t n, uint64_t base, uint64_t size,
                                uint32_t ways, uint64_t granularity, int node) {
  const std::optional<Range> r = RangeOf(base, size);
  const std::string name = absl::StrCat("CXL Window ", n);
  if (!r || base % k256M != 0 || size % k256M != 0 || !ValidWays(ways) ||
      !ValidGranularity(granularity)) {
    return Err(kerrno::kEINVAL,
               absl::StrFormat("CFMWS range %#x-%#x not registered (base and "
                               "size must be 256M aligned, ways %u and "
                               "granularity %u valid)",
                               base, base + size - 1, ways, granularity));
  }
  if (s_.windows.count(n) != 0) {
    return Err(kerrno::kEEXIST, absl::StrCat(name, " exists"));
  }
  return Atomically([&](State& s) -> absl::Status {
    ResourceTree& priv = s.cxl_private;
    absl::StatusOr<ResourceId> pid =
        priv.Insert(priv.root(), {*r, name, iores::kMem, 0});
    if (!pid.ok()) {
      return As(kerrno::kEBUSY, pid.status(),
                absl::StrCat(name, " partly overlaps an earlier CFMWS"));
    }
    if (priv.HasChildren(*pid)) {
      return Err(kerrno::kEBUSY,
                 absl::StrCat(name,
                              " covers an earlier CFMWS (batch "
                              "publication order is not modelled)"));
    }
    Window w;
    w.index = n;
    w.cfmws = *r;
    w.ways = ways;
    w.granularity = granularity;
    w.node = node;
    if (priv.ParentOf(*pid) == priv.root()) {
      absl::StatusOr<ResourceId> twin = tree_.InsertExpandToFit(
          tree_.root(), {*r, name, iores::kMem, iores_desc::kCxl});
      if (!twin.ok()) return twin.status();
      // Expanded to fit over another window's twin (one that grew over a
      // resource straddling its edge): windows never nest.
      for (ResourceId c : tree_.Children(*twin)) {
        if (absl::StartsWith(tree_.NameOf(c), "CXL Window ")) {
          return Err(kerrno::kEBUSY,
                     absl::StrCat(name, " would take ", tree_.NameOf(c), " ",
                                  Show(tree_.RangeOf(c)),
                                  " under it: windows never nest"));
        }
      }
      w.res = *twin;
    } else {
      // Nested in an earlier window: not published; the decoder pairs with
      // the outer window's twin.
      ResourceId outer = *pid;
      while (priv.ParentOf(outer) != priv.root()) outer = priv.ParentOf(outer);
      const Range outer_range = priv.RangeOf(outer);
      for (const auto& [k, other] : s.windows) {
        if (other.published && other.cfmws == outer_range) w.res = other.res;
      }
      w.published = false;
    }
    w.cached_region_id = MemregionAlloc(s);
    s.windows[n] = w;
    return absl::OkStatus();
  });
}

absl::Status Machine::ExpandWindow(uint32_t n, const Range& to,
                                   bool grow_ancestors) {
  auto it = s_.windows.find(n);
  if (it == s_.windows.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no CXL Window ", n));
  }
  const Window w = it->second;
  if (!w.published) {
    return Err(kerrno::kEINVAL,
               absl::StrCat("CXL Window ", n, " is not published"));
  }
  const Range cur = tree_.RangeOf(w.res);
  if (!to.valid() || to.first() % k256M != 0 ||
      (to.last() - to.first() + 1) % k256M != 0 || !to.Contains(cur)) {
    return Err(kerrno::kEINVAL, absl::StrCat(Show(to),
                                             " is not a 256M aligned range "
                                             "containing ",
                                             Show(cur)));
  }
  return Atomically([&](State& s) -> absl::Status {
    GrowPolicy policy;
    policy.grow_ancestors = grow_ancestors;
    RESTREE_RETURN_IF_ERROR(tree_.Grow(w.res, to, policy));
    // cxl_acpi never nests one window in another: refuse a growth that
    // adopts one (Grow would make it a child).
    for (ResourceId c : tree_.Children(w.res)) {
      if (absl::StartsWith(tree_.NameOf(c), "CXL Window ")) {
        return Err(kerrno::kEBUSY,
                   absl::StrCat("CXL Window ", n, " would take ",
                                tree_.NameOf(c), " ", Show(tree_.RangeOf(c)),
                                " under it: windows never nest"));
      }
    }
    ResourceTree& priv = s.cxl_private;
    const ResourceId pid = priv.LookupResource(priv.root(), w.cfmws.first());
    if (pid.valid()) RESTREE_RETURN_IF_ERROR(priv.Grow(pid, to));
    s.windows[n].cfmws = to;
    return absl::OkStatus();
  });
}

absl::StatusOr<ResourceId> Machine::AddSoftReserved(const Range& range) {
  if (!range.valid()) {
    return Err(kerrno::kEINVAL, absl::StrCat("inverted range ", Show(range)));
  }
  const ResourceSpec spec{range, "Soft Reserved", iores::kMem,
                          iores_desc::kSoftReserved};
  // e820 inserts Soft Reserved at boot, before any driver claims memory:
  // a range a busy resource already holds is not something Linux makes.
  {
    std::string busy;
    tree_.ForEachPreorder([&](ResourceId id, int) {
      if (busy.empty() && (tree_.FlagsOf(id) & iores::kBusy) != 0 &&
          tree_.RangeOf(id).Overlaps(range)) {
        busy = absl::StrCat(tree_.NameOf(id), " ", Show(tree_.RangeOf(id)));
      }
    });
    if (!busy.empty()) {
      return Err(
          kerrno::kEBUSY,
          absl::StrCat("Soft Reserved ", Show(range), " over busy ", busy,
                       ": e820 inserts it at boot, before drivers"));
    }
  }
  ResourceId out;
  const absl::Status done = Atomically([&](State& s) -> absl::Status {
    // 7.x: e820__reserve_resources_late() sets desc-8 entries aside in
    // soft_reserve_resource (bc62f5b308cb).
    ResourceTree& t =
        HasSoftReserveTree(options_.profile) ? s.soft_reserve : tree_;
    RESTREE_ASSIGN_OR_RETURN(out, t.InsertExpandToFit(t.root(), spec));
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  return out;
}

// ---------------------------------------------------------------------------
// CXL regions.

absl::StatusOr<uint32_t> Machine::CreateRegion(
    uint32_t window, uint64_t size, RegionMode mode,
    std::optional<uint32_t> ways_in, std::optional<uint64_t> gran_in) {
  auto it = s_.windows.find(window);
  if (it == s_.windows.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no CXL Window ", window));
  }
  const Window w = it->second;
  if (!options_.cxl_region) {
    // core.h: SET_CXL_REGION_ATTR() is empty without CONFIG_CXL_REGION.
    return Err(kerrno::kENOENT,
               "CONFIG_CXL_REGION=n: root decoders have no create_*_region "
               "attribute");
  }
  if (mode == RegionMode::kRam && Is61(options_.profile)) {
    return Err(kerrno::kENOENT,
               "6.1 root decoders have no create_ram_region attribute");
  }
  if (mode == RegionMode::kDc &&
      (!options_.dcd || !HasDaxRegionsTree(options_.profile))) {
    return Err(kerrno::kENOENT,
               "no create_dc_region attribute: the DCD series is modelled on "
               "linux-7.1 with `config dcd=y`");
  }
  const uint32_t ways = ways_in.value_or(w.ways);
  const uint64_t gran = gran_in.value_or(w.granularity);
  if (ways != 0 &&
      (!ValidWays(ways) || ways % w.ways != 0 || !IsPow2(ways / w.ways))) {
    return Err(kerrno::kEINVAL,
               absl::StrFormat("invalid interleave ways %u for a %u-way "
                               "window",
                               ways, w.ways));
  }
  if (gran != 0 && !ValidGranularity(gran)) {
    return Err(kerrno::kEINVAL,
               absl::StrFormat("invalid interleave granularity %u", gran));
  }
  if (ways == 0 || gran == 0) {
    return Err(kerrno::kENXIO, "interleave ways or granularity not set");
  }
  if (size == 0 || size % (k256M * ways) != 0) {
    return Err(
        kerrno::kEINVAL,
        absl::StrFormat("size %#x is not a multiple of 256M x %u", size, ways));
  }
  uint32_t k = 0;
  const absl::Status done = Atomically([&](State& s) -> absl::Status {
    Window& ws = s.windows[window];
    k = ws.cached_region_id;
    const std::string name = RegionName(k);
    ResourceId res;
    if (tree_.ChunkSizeOf(w.res) != 0) {
      // Redesign: claim the first run of chunks at get_free_mem_region's
      // candidate addresses.
      const Range win = tree_.RangeOf(w.res);
      const KernelProfile& p = options_.profile;
      const uint64_t cand =
          AlignUp(p.gfr_ascending_skips_zero ? std::max(win.first(), k256M)
                                             : win.first(),
                  k256M);
      const uint64_t step = p.gfr_step_is_align ? k256M : size;
      // The first candidate whose range is a run of free chunks, found in
      // one pass over the window's children.
      const std::optional<uint64_t> at =
          tree_.FirstClaimableRun(w.res, size, cand, step);
      if (at.has_value()) {
        RESTREE_ASSIGN_OR_RETURN(
            res, tree_.ClaimChunks(w.res, {Range(*at, *at + size - 1), name,
                                           iores::kMem, 0}));
      }
      if (!res.valid()) {
        return Err(kerrno::kERANGE,
                   absl::StrCat("no run of free chunks for ", Hex(size),
                                " bytes in CXL Window ", window));
      }
    } else {
      RESTREE_ASSIGN_OR_RETURN(
          res, tree_.AllocFreeMemRegion(w.res, size, k256M, name));
    }
    Region r;
    r.id = k;
    r.cxl = true;
    r.window = window;
    r.mode = mode;
    r.range = tree_.RangeOf(res);
    r.ways = ways;
    r.granularity = gran;
    r.node = w.node;
    r.res = res;
    if (mode == RegionMode::kPmem) {
      r.dpa = NextPmemDpa(s, window);
      absl::StatusOr<ResourceId> pm =
          tree_.Insert(tree_.root(), {r.range, "Persistent Memory", iores::kMem,
                                      iores_desc::kPersistentMemory});
      if (!pm.ok()) {
        return As(kerrno::kEBUSY, pm.status(),
                  "cxl_pmem_region_probe: insert Persistent Memory");
      }
      r.pmem_res = *pm;
    }
    if (mode == RegionMode::kDc) {
      // cxl_dax_region_probe(): a sparse dax_region, no device yet.
      absl::StatusOr<ResourceId> dr = s.dax_regions.Request(
          s.dax_regions.root(),
          {r.range, absl::StrCat("dax_region", k), iores::kMem, 0});
      if (!dr.ok()) {
        return As(kerrno::kENOMEM, dr.status(),
                  "alloc_dax_region: dax_region resource conflict");
      }
    }
    ws.cached_region_id = MemregionAlloc(s);
    ws.regions.push_back(k);
    s.regions[k] = r;
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  return k;
}

absl::Status Machine::DestroyRegion(uint32_t region) {
  auto it = s_.regions.find(region);
  if (it == s_.regions.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no region", region));
  }
  if (!it->second.cxl) {
    return Err(kerrno::kEINVAL,
               absl::StrCat("region", region, " is an nvdimm region"));
  }
  return Atomically([&](State& s) -> absl::Status {
    const Region r = s.regions.at(region);
    if (r.mode == RegionMode::kDc) {
      // Its dax devices go (kmem strands online memory, as below), then
      // the dax_region with its extents.
      std::vector<Dax> dc;
      for (const auto& [name, d] : s.daxes.map()) {
        if (d.dc && d.region == region) dc.push_back(d);
      }
      for (const Dax& d : dc) RESTREE_RETURN_IF_ERROR(DropDax(s, d));
      RESTREE_ASSIGN_OR_RETURN(const ResourceId dr, DcDaxRegion(s, region));
      RESTREE_RETURN_IF_ERROR(s.dax_regions.Release(dr));
    }
    if (r.dax) {
      const Dax d = s.daxes[*r.dax];
      RESTREE_RETURN_IF_ERROR(DropDax(s, d));
      // dax_region_unregister(): release_resource() from "DAX Regions".
      ResourceTree& dr = s.dax_regions;
      for (ResourceId c : dr.Children(dr.root())) {
        if (dr.NameOf(c) == absl::StrCat("dax_region", region)) {
          RESTREE_RETURN_IF_ERROR(dr.Release(c));
          break;
        }
      }
    }
    if (r.ns) RESTREE_RETURN_IF_ERROR(TeardownNamespace(s, *r.ns, true));
    if (r.pmem_res.valid()) RESTREE_RETURN_IF_ERROR(tree_.Remove(r.pmem_res));
    const ResourceId parent = tree_.ParentOf(r.res);
    if (tree_.ChunkSizeOf(parent) != 0 && !tree_.HasChildren(r.res)) {
      RESTREE_RETURN_IF_ERROR(tree_.ReturnToChunks(r.res).status());
    } else {
      RESTREE_RETURN_IF_ERROR(tree_.Remove(r.res));
    }
    // cxl_region_release(): a lower id replaces the decoder's cached one.
    Window& w = s.windows[r.window];
    if (region < w.cached_region_id) {
      s.memregion_ids.erase(w.cached_region_id);
      w.cached_region_id = region;
    } else {
      s.memregion_ids.erase(region);
    }
    w.regions.erase(std::remove(w.regions.begin(), w.regions.end(), region),
                    w.regions.end());
    s.regions.erase(region);
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------
// Device-DAX and kmem.

absl::Status Machine::UnbindDeviceDax(State&, const Dax& d) {
  absl::Status st =
      tree_.ReleaseRegion(tree_.root(), d.range.first(), SizeOf(d.range));
  if (!st.ok()) return As(kerrno::kEINVAL, st, "device_dax unbind");
  return absl::OkStatus();
}

absl::Status Machine::BindDeviceDax(const Dax& d) {
  absl::StatusOr<ResourceId> id = tree_.RequestRegion(
      tree_.root(), d.range.first(), SizeOf(d.range), d.name, 0);
  if (!id.ok()) {
    return As(kerrno::kEBUSY, id.status(),
              absl::StrCat(d.name, ": could not reserve range"));
  }
  return absl::OkStatus();
}

absl::Status Machine::RemoveKmem(State& s, const Dax& d, bool* stranded) {
  const uint64_t bs = options_.block_size;
  const Range kr = d.kmem_range;
  bool online = false;
  for (uint64_t b = kr.first() / bs; b <= kr.last() / bs; ++b) {
    auto bit = s.blocks.find(b);
    if (bit != s.blocks.end() && bit->second.online) online = true;
  }
  if (online) {
    // remove_memory() fails with EBUSY; kmem keeps both nodes for good.
    for (uint64_t b = kr.first() / bs; b <= kr.last() / bs; ++b) {
      if (s.blocks.count(b) != 0) s.blocks[b].owner = BlockOwner::kStranded;
    }
    *stranded = true;
    return absl::OkStatus();
  }
  absl::StatusOr<ResourceId> rm =
      tree_.ReleaseMemRegionAdjustable(kr.first(), SizeOf(kr));
  if (!rm.ok()) return As(kerrno::kEBUSY, rm.status(), "remove_memory");
  RESTREE_RETURN_IF_ERROR(tree_.Remove(d.kmem_res));
  for (uint64_t b = kr.first() / bs; b <= kr.last() / bs; ++b) {
    s.blocks.erase(b);
  }
  *stranded = false;
  return absl::OkStatus();
}

absl::Status Machine::DropDax(State& s, const Dax& d) {
  if (d.driver == DaxDriver::kKmem) {
    bool stranded = false;
    RESTREE_RETURN_IF_ERROR(RemoveKmem(s, d, &stranded));
  } else {
    RESTREE_RETURN_IF_ERROR(UnbindDeviceDax(s, d));
  }
  s.daxes.erase(d.name);
  return absl::OkStatus();
}

absl::Status Machine::TeardownNamespace(State& s, const std::string& name,
                                        bool strand_ok) {
  const Namespace n = s.namespaces[name];
  if (n.dax) {
    const Dax d = s.daxes[*n.dax];
    if (d.driver == DaxDriver::kKmem && !strand_ok) {
      return Err(kerrno::kEBUSY,
                 absl::StrCat(name, ": ", d.name, " is online as kmem"));
    }
    RESTREE_RETURN_IF_ERROR(DropDax(s, d));
  }
  absl::Status st =
      tree_.ReleaseRegion(tree_.root(), n.busy.first(), SizeOf(n.busy));
  if (!st.ok()) return As(kerrno::kEINVAL, st, "namespace disable");
  s.regions[n.region].ns.reset();
  s.namespaces.erase(name);
  return absl::OkStatus();
}

uint64_t Machine::NextPmemDpa(const State& s, uint32_t window) {
  uint64_t next = 0;
  for (uint32_t k : s.windows.at(window).regions) {
    const Region& r = s.regions.at(k);
    if (r.mode == RegionMode::kPmem) {
      next = std::max(next, r.dpa + SizeOf(r.range) / r.ways);
    }
  }
  return next;
}

std::optional<Range> Machine::LabelSpan(const Region& r) {
  if (!r.cxl || r.mode != RegionMode::kPmem) return std::nullopt;
  return Range(r.dpa, r.dpa + SizeOf(r.range) / r.ways - 1);
}

absl::StatusOr<std::string> Machine::CreateNamespace(uint32_t region,
                                                     NamespaceMode mode,
                                                     uint64_t align) {
  auto it = s_.regions.find(region);
  if (it == s_.regions.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no region", region));
  }
  const Region r = it->second;
  if (r.mode != RegionMode::kPmem) {
    return Err(kerrno::kEINVAL,
               absl::StrCat("region", region, " is not a pmem region"));
  }
  const uint64_t start = r.range.first();
  const uint64_t size = SizeOf(r.range);
  const std::string name = absl::StrCat("namespace", region, ".0");
  Namespace ns;
  ns.name = name;
  ns.region = region;
  ns.mode = mode;
  ns.range = r.range;
  ns.busy = r.range;
  Range data;
  if (mode != NamespaceMode::kRaw) {
    // nd_pfn_init() (§3.4).
    if (align != k4K && align != k2M && align != k1G) {
      return Err(kerrno::kEINVAL,
                 absl::StrCat("unsupported align ", Hex(align)));
    }
    const uint64_t a = std::max(align, k2M);
    if (start % k2M != 0) {
      return Err(kerrno::kEINVAL, absl::StrCat(name, ": start ", Hex(start),
                                               " is not 2M aligned"));
    }
    const uint64_t end = r.range.last() + 1;  // regions end below 2^64 - 1
    const uint64_t end_trunc = end - AlignDown(end, a);
    if (size <= k8K) {
      return Err(kerrno::kENXIO, absl::StrCat(name, " is too small"));
    }
    const uint64_t npfns = (size - k8K) / k4K;
    const uint64_t dataoff =
        AlignUp(start + k8K + kStructPageSize * npfns, a) - start;
    const uint64_t bound = Is61(options_.profile) ? size : size - end_trunc;
    if (dataoff >= bound) {
      return Err(kerrno::kENXIO,
                 absl::StrFormat("%s: dataoff %#x does not fit in %#x bytes",
                                 name, dataoff, size));
    }
    if (start + dataoff > end - 1 - end_trunc) {
      return Err(kerrno::kENOMEM,
                 absl::StrCat(name, ": no data left after alignment"));
    }
    data = Range(start + dataoff, end - 1 - end_trunc);
    ns.align = a;
    if (mode == NamespaceMode::kDevdax) {
      ns.busy = Range(start, start + dataoff - 1);
    }
  }
  if (r.ns) {
    const Namespace& old = s_.namespaces.at(*r.ns);
    if (old.dax && s_.daxes.at(*old.dax).driver == DaxDriver::kKmem) {
      return Err(kerrno::kEBUSY,
                 absl::StrCat(*r.ns, ": ", *old.dax, " is online as kmem"));
    }
  }
  const std::optional<Range> dpa = LabelSpan(r);
  if (dpa && !r.ns) {
    // nd_label_reserve_dpa(): every label in the label area reserves its
    // DPA, whether or not it belongs to this region; a label of an earlier
    // region over this one's DPA leaves it no space (and no namespace seed).
    const std::map<uint64_t, uint64_t>& labels = s_.windows.at(r.window).labels;
    for (const auto& [first, last] : labels) {
      if (Range(first, last).Overlaps(*dpa)) {
        return Err(kerrno::kENOSPC,
                   absl::StrFormat("region%u: a namespace label of an earlier "
                                   "region holds DPA %#x-%#x of its memdevs "
                                   "(available_size 0)",
                                   region, first, last));
      }
    }
  }
  const absl::Status done = Atomically([&](State& s) -> absl::Status {
    if (s.regions[region].ns) {
      const std::string old = *s.regions[region].ns;
      RESTREE_RETURN_IF_ERROR(TeardownNamespace(s, old, false));
    }
    absl::StatusOr<ResourceId> busy = tree_.RequestRegion(
        tree_.root(), ns.busy.first(), SizeOf(ns.busy), name, 0);
    if (!busy.ok()) {
      return As(kerrno::kEBUSY, busy.status(),
                absl::StrCat(name, ": could not reserve metadata"));
    }
    Namespace made = ns;
    if (mode == NamespaceMode::kDevdax) {
      Dax d;
      d.name = absl::StrCat("dax", region, ".0");
      d.region = region;
      d.range = data;
      d.driver = DaxDriver::kDeviceDax;
      d.node = s.regions[region].node;
      RESTREE_RETURN_IF_ERROR(BindDeviceDax(d));
      made.dax = d.name;
      s.daxes[d.name] = d;
    }
    s.namespaces[name] = made;
    s.regions[region].ns = name;
    if (dpa) s.windows[r.window].labels[dpa->first()] = dpa->last();
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  return name;
}

absl::Status Machine::DestroyNamespace(absl::string_view name) {
  const std::string key(name);
  if (s_.namespaces.count(key) == 0) {
    return Err(kerrno::kENOENT, absl::StrCat("no ", name));
  }
  return Atomically([&](State& s) -> absl::Status {
    const Region r = s.regions.at(s.namespaces.at(key).region);
    RESTREE_RETURN_IF_ERROR(TeardownNamespace(s, key, false));
    // ndctl destroy-namespace deletes the label.
    if (const std::optional<Range> dpa = LabelSpan(r)) {
      s.windows[r.window].labels.erase(dpa->first());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> Machine::CreateDax(uint32_t region,
                                               std::optional<uint64_t> size) {
  auto it = s_.regions.find(region);
  if (it == s_.regions.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no region", region));
  }
  const Region& r = it->second;
  if (r.cxl && r.mode == RegionMode::kDc) return CreateDcDax(region, size);
  if (!r.cxl || r.mode != RegionMode::kRam) {
    return Err(kerrno::kEINVAL,
               absl::StrCat("region", region, " is not a CXL ram region"));
  }
  if (size) {
    return Err(kerrno::kEINVAL,
               absl::StrCat("region", region,
                            " is a ram region: its dax device spans it (no "
                            "size)"));
  }
  if (r.dax) {
    return Err(kerrno::kEEXIST,
               absl::StrCat("region", region, " has ", *r.dax));
  }
  Dax d;
  d.name = absl::StrCat("dax", region, ".0");
  d.region = region;
  d.range = r.range;
  d.node = r.node;
  const absl::Status done = Atomically([&](State& s) -> absl::Status {
    if (HasDaxRegionsTree(options_.profile)) {
      // alloc_dax_region() requests the range from "DAX Regions".
      absl::StatusOr<ResourceId> dr = s.dax_regions.Request(
          s.dax_regions.root(),
          {r.range, absl::StrCat("dax_region", region), iores::kMem, 0});
      if (!dr.ok()) {
        return As(kerrno::kENOMEM, dr.status(),
                  "alloc_dax_region: dax_region resource conflict");
      }
    }
    RESTREE_RETURN_IF_ERROR(BindDeviceDax(d));
    s.daxes[d.name] = d;
    s.regions[region].dax = d.name;
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  return d.name;
}

absl::Status Machine::KmemOnline(absl::string_view dax, std::optional<int> node,
                                 Zone zone) {
  auto it = s_.daxes.find(std::string(dax));
  if (it == s_.daxes.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no ", dax));
  }
  const Dax d = it->second;
  // daxctl: "dax0.0 was already in system-ram mode", then it onlines the
  // offline blocks (the QEMU oracle's 6.12 softres-hmem capture, where
  // dax_hmem's device is kmem-bound from boot with its blocks offline).
  if (d.driver == DaxDriver::kKmem) {
    return Atomically([&](State& s) -> absl::Status {
      const uint64_t bs = options_.block_size;
      for (uint64_t b = d.kmem_range.first() / bs;
           b <= d.kmem_range.last() / bs; ++b) {
        Block& blk = s.blocks[b];
        if (!blk.online) {
          blk.online = true;
          blk.zone = zone;
        }
      }
      return absl::OkStatus();
    });
  }
  const int nid = node.value_or(d.node);
  if (nid < 0) {
    return Err(kerrno::kEINVAL, "rejecting DAX region with invalid node");
  }
  return Atomically([&](State& s) -> absl::Status {
    RESTREE_RETURN_IF_ERROR(UnbindDeviceDax(s, d));
    return KmemBind(s, d, nid, zone);
  });
}

std::optional<Machine::Zone> Machine::AutoOnlineZone() const {
  const bool by_default = options_.profile.hotplug_auto_online;
  switch (options_.auto_online.value_or(
      by_default ? MachineOptions::AutoOnline::kOnline
                 : MachineOptions::AutoOnline::kOffline)) {
    case MachineOptions::AutoOnline::kOffline:
      return std::nullopt;
    case MachineOptions::AutoOnline::kOnline:
    case MachineOptions::AutoOnline::kOnlineKernel:
      return Zone::kNormal;
    case MachineOptions::AutoOnline::kOnlineMovable:
      return Zone::kMovable;
  }
  return std::nullopt;
}

absl::Status Machine::KmemBind(State& s, const Dax& d, int nid,
                               std::optional<Zone> zone) {
  // dax_kmem_range(): start rounded up, end+1 rounded down, to the block.
  const uint64_t bs = options_.block_size;
  const absl::uint128 end = absl::uint128(d.range.last()) + 1;
  const absl::uint128 first =
      (absl::uint128(d.range.first()) + bs - 1) / bs * bs;
  const absl::uint128 end_aligned = end / bs * bs;
  if (first >= end_aligned) {
    return Err(kerrno::kEINVAL, absl::StrCat(d.name, ": ", Show(d.range),
                                             " too small after alignment"));
  }
  const Range kr(absl::Uint128Low64(first),
                 absl::Uint128Low64(end_aligned - 1));
  if (kr.last() > options_.profile.physmem_end) {
    return Err(kerrno::kE2BIG,
               absl::StrCat(Show(kr), " is beyond PHYSMEM_END"));
  }
  for (uint64_t b = kr.first() / bs; b <= kr.last() / bs; ++b) {
    if (s.blocks.count(b) != 0) {
      return Err(kerrno::kEEXIST, absl::StrCat("memory block ", b, " exists"));
    }
  }
  absl::StatusOr<ResourceId> res =
      tree_.RequestRegion(tree_.root(), kr.first(), SizeOf(kr), d.name, 0);
  if (!res.ok()) {
    return As(kerrno::kEBUSY, res.status(),
              absl::StrCat(d.name, ": mapping0: could not reserve region"));
  }
  RESTREE_RETURN_IF_ERROR(tree_.SetFlags(*res, iores::kSystemRam));
  absl::StatusOr<ResourceId> ram = tree_.RequestRegion(
      tree_.root(), kr.first(), SizeOf(kr), "System RAM (kmem)",
      iores::kSystemRam | iores::kSysramDriverManaged);
  if (!ram.ok()) {
    return As(kerrno::kEEXIST, ram.status(), "add_memory_driver_managed");
  }
  Dax nd = d;
  nd.driver = DaxDriver::kKmem;
  nd.node = nid;
  nd.zone = zone.value_or(Zone::kMovable);
  nd.kmem_range = kr;
  nd.kmem_res = *res;
  s.daxes[d.name] = nd;
  for (uint64_t b = kr.first() / bs; b <= kr.last() / bs; ++b) {
    s.blocks[b] = Block{zone.has_value(), nid, zone.value_or(Zone::kMovable),
                        BlockOwner::kKmem};
  }
  return absl::OkStatus();
}

absl::Status Machine::KmemOffline(absl::string_view dax, bool offline_blocks) {
  auto it = s_.daxes.find(std::string(dax));
  if (it == s_.daxes.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no ", dax));
  }
  if (it->second.driver != DaxDriver::kKmem) {
    return Err(kerrno::kEINVAL, absl::StrCat(dax, " is not bound to kmem"));
  }
  const Dax d = it->second;
  const uint64_t bs = options_.block_size;
  const Range kr = d.kmem_range;
  // One atomic step, the offlining included (a nested Atomically).
  return Atomically([&](State& s) -> absl::Status {
    if (offline_blocks) {
      RESTREE_RETURN_IF_ERROR(MemoryOffline(kr.first(), SizeOf(kr)));
    }
    for (uint64_t b = kr.first() / bs; b <= kr.last() / bs; ++b) {
      if (s.blocks.at(b).online) {
        return Err(kerrno::kEBUSY,
                   absl::StrFormat("removing memory fails, because memory "
                                   "[%#x-%#x] is onlined",
                                   b * bs, b * bs + bs - 1));
      }
    }
    bool stranded = false;
    RESTREE_RETURN_IF_ERROR(RemoveKmem(s, d, &stranded));
    Dax nd = d;
    nd.driver = DaxDriver::kDeviceDax;
    nd.kmem_range = Range();
    nd.kmem_res = ResourceId();
    RESTREE_RETURN_IF_ERROR(BindDeviceDax(nd));
    s.daxes[nd.name] = nd;
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------
// Dynamic capacity (the DCD series).

absl::StatusOr<ResourceId> Machine::DcDaxRegion(const State& s,
                                                uint32_t region) {
  const ResourceTree& dr = s.dax_regions;
  const std::string name = absl::StrCat("dax_region", region);
  for (ResourceId c : dr.Children(dr.root())) {
    if (dr.NameOf(c) == name) return c;
  }
  return Err(kerrno::kENOENT,
             absl::StrCat("region", region, " has no dax_region"));
}

absl::StatusOr<const Machine::Region*> Machine::DcRegion(
    uint32_t region) const {
  auto it = s_.regions.find(region);
  if (it == s_.regions.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no region", region));
  }
  if (!it->second.cxl || it->second.mode != RegionMode::kDc) {
    return Err(kerrno::kEINVAL,
               absl::StrCat("region", region, " is not a DC region"));
  }
  return &it->second;
}

absl::StatusOr<std::string> Machine::CreateDcDax(uint32_t region,
                                                 std::optional<uint64_t> size) {
  if (!size || *size == 0 || *size % k2M != 0) {
    return Err(kerrno::kEINVAL,
               absl::StrCat("region", region,
                            ": a DC region's dax device needs a size, a "
                            "non-zero multiple of 2M"));
  }
  const uint64_t want = *size;
  // The lowest free device number of the region.
  uint32_t n = 0;
  while (s_.daxes.count(absl::StrCat("dax", region, ".", n)) != 0) ++n;
  Dax d;
  d.name = absl::StrCat("dax", region, ".", n);
  d.region = region;
  d.node = s_.regions.at(region).node;
  d.dc = true;
  const absl::Status done = Atomically([&](State& s) -> absl::Status {
    RESTREE_ASSIGN_OR_RETURN(const ResourceId dr, DcDaxRegion(s, region));
    ResourceTree& t = s.dax_regions;
    for (ResourceId ext : t.Children(dr)) {
      // The lowest gap of `want` bytes among the extent's children, taken
      // with the flags __request_region gives a child of the extent.
      absl::StatusOr<ResourceId> got =
          t.Allocate(ext, {Range(), d.name, iores::kMem | iores::kBusy, 0},
                     want, AllocConstraint());
      if (!got.ok()) continue;  // no room in this extent (changed nothing)
      d.range = t.RangeOf(*got);
      RESTREE_RETURN_IF_ERROR(BindDeviceDax(d));
      s.daxes[d.name] = d;
      return absl::OkStatus();
    }
    return Err(kerrno::kENOSPC,
               absl::StrCat("region", region, ": no extent has ", Hex(want),
                            " free bytes"));
  });
  if (!done.ok()) return done;
  return d.name;
}

absl::Status Machine::DestroyDax(absl::string_view dax) {
  auto it = s_.daxes.find(std::string(dax));
  if (it == s_.daxes.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no ", dax));
  }
  const Dax d = it->second;
  if (!d.dc) {
    return Err(kerrno::kEINVAL,
               absl::StrCat(dax, " is not a DC region's dax device"));
  }
  if (d.driver == DaxDriver::kKmem) {
    return Err(kerrno::kEBUSY, absl::StrCat(dax, " is bound to kmem"));
  }
  return Atomically([&](State& s) -> absl::Status {
    RESTREE_RETURN_IF_ERROR(UnbindDeviceDax(s, d));
    RESTREE_ASSIGN_OR_RETURN(const ResourceId dr, DcDaxRegion(s, d.region));
    ResourceTree& t = s.dax_regions;
    for (ResourceId ext : t.Children(dr)) {
      if (!t.RangeOf(ext).Contains(d.range)) continue;
      absl::Status st = t.ReleaseRegion(ext, d.range.first(), SizeOf(d.range));
      if (!st.ok()) return As(kerrno::kEINVAL, st, "trim_dev_dax_range");
      s.daxes.erase(d.name);
      return absl::OkStatus();
    }
    return Err(kerrno::kEINVAL,
               absl::StrCat(dax, ": no extent holds ", Show(d.range)));
  });
}

absl::Status Machine::AddExtents(uint32_t region, absl::string_view tag,
                                 const std::vector<Range>& offsets) {
  RESTREE_ASSIGN_OR_RETURN(const Region* r, DcRegion(region));
  if (offsets.empty()) {
    return Err(kerrno::kEINVAL, "an Add Capacity event without extents");
  }
  const std::string key(tag);
  if (r->extents.count(key) != 0) {
    return Err(kerrno::kEEXIST,
               absl::StrCat("region", region, " has tag ", tag, " already"));
  }
  const uint64_t span = r->range.last() - r->range.first();
  std::vector<Range> ranges;
  for (const Range& o : offsets) {
    if (o.last() > span) {
      return Err(kerrno::kEINVAL,
                 absl::StrCat("extent at offset ", Show(o), " is beyond region",
                              region, "'s ", Hex(span + 1), " bytes"));
    }
    ranges.emplace_back(r->range.first() + o.first(),
                        r->range.first() + o.last());
  }
  return Atomically([&](State& s) -> absl::Status {
    RESTREE_ASSIGN_OR_RETURN(const ResourceId dr, DcDaxRegion(s, region));
    for (const Range& e : ranges) {
      absl::StatusOr<ResourceId> got =
          s.dax_regions.RequestRegion(dr, e.first(), SizeOf(e), "extent", 0);
      if (!got.ok()) {
        return As(kerrno::kENOSPC, got.status(),
                  absl::StrCat("Failed to add extent ", Show(e)));
      }
    }
    Region nr = s.regions.at(region);
    nr.extents[key] = ranges;
    s.regions[region] = nr;
    return absl::OkStatus();
  });
}

absl::Status Machine::ReleaseExtents(uint32_t region, absl::string_view tag) {
  RESTREE_ASSIGN_OR_RETURN(const Region* r, DcRegion(region));
  auto g = r->extents.find(std::string(tag));
  if (g == r->extents.end()) {
    return Err(kerrno::kENOENT,
               absl::StrCat("region", region, " has no tag ", tag));
  }
  const std::vector<Range> group = g->second;
  return Atomically([&](State& s) -> absl::Status {
    RESTREE_ASSIGN_OR_RETURN(const ResourceId dr, DcDaxRegion(s, region));
    ResourceTree& t = s.dax_regions;
    std::vector<ResourceId> nodes;
    for (ResourceId ext : t.Children(dr)) {
      if (std::find(group.begin(), group.end(), t.RangeOf(ext)) ==
          group.end()) {
        continue;
      }
      if (t.HasChildren(ext)) {
        return Err(kerrno::kEBUSY, absl::StrCat("extent ", Show(t.RangeOf(ext)),
                                                " is in use by a dax device"));
      }
      nodes.push_back(ext);
    }
    for (ResourceId ext : nodes) {
      const Range er = t.RangeOf(ext);
      absl::Status st = t.ReleaseRegion(dr, er.first(), SizeOf(er));
      if (!st.ok()) return As(kerrno::kEINVAL, st, "release extent");
    }
    Region nr = s.regions.at(region);
    nr.extents.erase(std::string(tag));
    s.regions[region] = nr;
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------
// ACPI memory hotplug.

absl::Status Machine::MemoryAdd(uint64_t addr, uint64_t size, int node) {
  if (size == 0) return Err(kerrno::kEINVAL, "size 0");
  const std::optional<Range> r = RangeOf(addr, size);
  if (!r || r->last() > options_.profile.physmem_end) {
    return Err(kerrno::kE2BIG,
               absl::StrFormat("memory range %#x+%#x is outside the "
                               "pluggable range",
                               addr, size));
  }
  return Atomically([&](State& s) -> absl::Status {
    absl::StatusOr<ResourceId> id = tree_.RequestRegion(
        tree_.root(), addr, size, "System RAM", iores::kSystemRam);
    if (!id.ok()) {
      return As(kerrno::kEEXIST, id.status(),
                absl::StrCat("register_memory_resource ", Show(*r)));
    }
    RESTREE_RETURN_IF_ERROR(CheckBlockRange(addr, size));
    if (node < 0) return Err(kerrno::kEINVAL, "invalid node");
    const uint64_t bs = options_.block_size;
    const std::optional<Zone> zone = AutoOnlineZone();
    for (uint64_t b = addr / bs; b <= r->last() / bs; ++b) {
      if (s.blocks.count(b) != 0) {
        return Err(kerrno::kEEXIST,
                   absl::StrCat("memory block ", b, " exists"));
      }
      s.blocks[b] = Block{zone.has_value(), node, zone.value_or(Zone::kMovable),
                          BlockOwner::kAcpi};
    }
    return absl::OkStatus();
  });
}

absl::Status Machine::MemoryOnline(uint64_t addr, uint64_t size, Zone zone) {
  RESTREE_RETURN_IF_ERROR(CheckBlockRange(addr, size));
  const uint64_t bs = options_.block_size;
  const uint64_t last = addr + (size - 1);
  for (uint64_t b = addr / bs; b <= last / bs; ++b) {
    if (s_.blocks.count(b) == 0) {
      return Err(kerrno::kENOENT, absl::StrCat("no memory block ", b));
    }
  }
  return Atomically([&](State& s) -> absl::Status {
    for (uint64_t b = addr / bs; b <= last / bs; ++b) {
      Block& blk = s.blocks[b];
      if (!blk.online) {
        blk.online = true;
        blk.zone = zone;
      }
    }
    return absl::OkStatus();
  });
}

absl::Status Machine::MemoryOffline(uint64_t addr, uint64_t size) {
  RESTREE_RETURN_IF_ERROR(CheckBlockRange(addr, size));
  const uint64_t bs = options_.block_size;
  const uint64_t last = addr + (size - 1);
  for (uint64_t b = addr / bs; b <= last / bs; ++b) {
    if (s_.blocks.count(b) == 0) {
      return Err(kerrno::kENOENT, absl::StrCat("no memory block ", b));
    }
  }
  for (uint64_t b = addr / bs; b <= last / bs; ++b) {
    if (!s_.blocks.at(b).online) continue;
    // offline_pages(): the whole block must be System RAM.
    absl::StatusOr<std::vector<WalkMatch>> ram =
        tree_.WalkSystemRam(b * bs, b * bs + bs - 1);
    absl::uint128 covered = 0;
    if (ram.ok()) {
      for (const WalkMatch& m : *ram) covered += m.range.size();
    }
    if (covered != bs) {
      return Err(kerrno::kEINVAL,
                 absl::StrFormat("offlining [%#x-%#x] failed due to memory "
                                 "holes",
                                 b * bs, b * bs + bs - 1));
    }
  }
  return Atomically([&](State& s) -> absl::Status {
    for (uint64_t b = addr / bs; b <= last / bs; ++b) {
      s.blocks[b].online = false;
    }
    return absl::OkStatus();
  });
}

absl::Status Machine::MemoryRemove(uint64_t addr, uint64_t size) {
  RESTREE_RETURN_IF_ERROR(CheckBlockRange(addr, size));
  const uint64_t bs = options_.block_size;
  const uint64_t last = addr + (size - 1);
  for (uint64_t b = addr / bs; b <= last / bs; ++b) {
    auto it = s_.blocks.find(b);
    if (it == s_.blocks.end()) {
      return Err(kerrno::kENOENT, absl::StrCat("no memory block ", b));
    }
    if (it->second.owner == BlockOwner::kKmem ||
        it->second.owner == BlockOwner::kStranded) {
      return Err(kerrno::kEBUSY,
                 absl::StrCat("memory block ", b, " belongs to kmem"));
    }
  }
  for (uint64_t b = addr / bs; b <= last / bs; ++b) {
    if (s_.blocks.at(b).online) {
      return Err(kerrno::kEBUSY,
                 absl::StrFormat("removing memory fails, because memory "
                                 "[%#x-%#x] is onlined",
                                 b * bs, b * bs + bs - 1));
    }
  }
  return Atomically([&](State& s) -> absl::Status {
    absl::StatusOr<ResourceId> rm =
        tree_.ReleaseMemRegionAdjustable(addr, size);
    if (!rm.ok()) {
      const KernelError e = GetKernelError(rm.status());
      return As(e.outcome == KernelOutcome::kWarned ? kerrno::kEBUSY
                                                    : kerrno::kEINVAL,
                rm.status(), "release_mem_region_adjustable");
    }
    for (uint64_t b = addr / bs; b <= last / bs; ++b) s.blocks.erase(b);
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------
// Redesign operations.

absl::StatusOr<size_t> Machine::ChunksReserve(uint32_t window,
                                              std::optional<uint64_t> size) {
  auto it = s_.windows.find(window);
  if (it == s_.windows.end() || !it->second.published) {
    return Err(kerrno::kENOENT, absl::StrCat("no CXL Window ", window));
  }
  const Window& w = it->second;
  ChunkGeometry g;
  g.ways = w.ways;
  g.chunk_size = size.value_or(k256M * w.ways);
  g.memory_block_size = options_.block_size;
  const ResourceId res = w.res;
  size_t n = 0;
  const absl::Status done = Atomically([&](State&) -> absl::Status {
    RESTREE_ASSIGN_OR_RETURN(n, tree_.ReserveChunks(res, g));
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  return n;
}

absl::StatusOr<size_t> Machine::ChunksReleaseUnused(uint32_t window,
                                                    bool shrink) {
  auto it = s_.windows.find(window);
  if (it == s_.windows.end() || !it->second.published) {
    return Err(kerrno::kENOENT, absl::StrCat("no CXL Window ", window));
  }
  const ResourceId res = it->second.res;
  size_t n = 0;
  const absl::Status done = Atomically([&](State&) -> absl::Status {
    RESTREE_ASSIGN_OR_RETURN(n, tree_.ReleaseUnusedChunks(res, shrink));
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  return n;
}

absl::Status Machine::Reparent(absl::string_view resource,
                               absl::string_view new_parent) {
  RESTREE_ASSIGN_OR_RETURN(const ResourceId a, Find(resource));
  RESTREE_ASSIGN_OR_RETURN(const ResourceId b, Find(new_parent));
  return Reparent(a, b);
}

absl::Status Machine::Reparent(ResourceId a, ResourceId b) {
  const std::string new_parent(tree_.NameOf(b));
  if (a == b) {
    return Err(kerrno::kEINVAL,
               absl::StrCat(new_parent, " cannot be its own parent"), a);
  }
  // A busy resource takes no children (__request_region never nests under
  // one), and its driver releases it with __release_region, which would
  // drop them: a driver's region or device would vanish under it.
  if ((tree_.FlagsOf(b) & iores::kBusy) != 0) {
    return Err(kerrno::kEBUSY,
               absl::StrCat(new_parent,
                            " is busy: a busy resource takes no "
                            "children"),
               b);
  }
  return Atomically([&](State&) { return tree_.Reparent(a, b); });
}

absl::Status Machine::RawIomem(
    absl::FunctionRef<absl::Status(ResourceTree&)> fn) {
  return Atomically([&](State&) { return fn(tree_); });
}

// ---------------------------------------------------------------------------
// Soft Reserved, dax_hmem, CXL auto-assembly (§6, §2.4).

absl::StatusOr<std::vector<std::string>> Machine::HmemProbe(int node) {
  using HmemModel = KernelProfile::HmemModel;
  const HmemModel model = options_.profile.hmem;
  if (node < 0) {
    return Err(kerrno::kEINVAL, "rejecting DAX region with invalid node");
  }
  std::vector<std::string> notes;
  const absl::Status done = Atomically([&](State& s) -> absl::Status {
    // hmem_init(): every Soft Reserved range is recorded once in
    // hmem_active ("HMEM devices"); a range recorded before is not new.
    const ResourceTree& from =
        HasSoftReserveTree(options_.profile) ? s.soft_reserve : tree_;
    std::vector<Range> fresh;
    for (const Range& r : WalkDesc(from, iores_desc::kSoftReserved)) {
      ResourceTree& active = s.hmem_active;
      if (!active.RequestRegion(active.root(), r.first(), SizeOf(r), "", 0)
               .ok()) {
        continue;  // "hmem range ... already active"
      }
      fresh.push_back(r);
    }
    if (fresh.empty()) notes.push_back("no new Soft Reserved range");
    for (const Range& r : fresh) {
      const std::string where = Show(r);
      if (model == HmemModel::k612 || model == HmemModel::k70) {
        if (options_.cxl_region &&
            tree_.RegionIntersects(r.first(), SizeOf(r), iores::kMem,
                                   iores_desc::kCxl) !=
                RegionIntersection::kDisjoint) {
          notes.push_back(absl::StrCat(where, ": deferring range to CXL"));
          continue;
        }
      } else if (model == HmemModel::k71 && options_.cxl_region &&
                 tree_.RegionIntersects(r.first(), SizeOf(r), iores::kMem,
                                        iores_desc::kCxl) !=
                     RegionIntersection::kDisjoint) {
        // process_defer_work() after CXL's first probe:
        // cxl_region_contains_resource() - a committed region holding it.
        bool claimed = false;
        for (const auto& [k, reg] : s.regions) {
          if (reg.cxl && reg.committed && reg.range.Contains(r)) {
            claimed = true;
          }
        }
        if (claimed) {
          notes.push_back(absl::StrCat(where, ": CXL claims it, dropped"));
          continue;
        }
      }
      RESTREE_RETURN_IF_ERROR(RegisterHmem(s, r, node, &notes));
    }
    return absl::OkStatus();
  });
  if (!done.ok()) return done;
  return notes;
}

absl::Status Machine::RegisterHmem(State& s, const Range& r, int node,
                                   std::vector<std::string>* notes) {
  using HmemModel = KernelProfile::HmemModel;
  const HmemModel model = options_.profile.hmem;
  const std::string where = Show(r);
  // The range must be wholly Soft Reserved (region_intersects(), or 7.x's
  // region_intersects_soft_reserve() on the private tree).
  const ResourceTree& cover =
      HasSoftReserveTree(options_.profile) ? s.soft_reserve : tree_;
  if (cover.RegionIntersects(r.first(), SizeOf(r), iores::kMem,
                             iores_desc::kSoftReserved) !=
      RegionIntersection::kIntersects) {
    notes->push_back(absl::StrCat(where, ": not wholly Soft Reserved"));
    return absl::OkStatus();
  }
  HmemDevice h;
  h.id = MemregionAlloc(s);
  h.range = r;
  h.node = node;
  const std::string hname = absl::StrCat("hmem.", h.id);
  if (model == HmemModel::k61) {
    // 6.1 records the range in hmem_active under the device's name.
    const ResourceId a =
        s.hmem_active.LookupResource(s.hmem_active.root(), r.first());
    if (a.valid()) RESTREE_RETURN_IF_ERROR(s.hmem_active.Rename(a, hname));
    // platform_device_add() claims the device's resource in iomem.
    absl::StatusOr<ResourceId> id = tree_.Insert(
        tree_.root(), {r, hname, iores::kMem, iores_desc::kSoftReserved});
    if (!id.ok()) {
      // "device add failed": the id is freed, no device.
      s.memregion_ids.erase(h.id);
      notes->push_back(absl::StrCat(where, ": ", hname, " add failed"));
      return absl::OkStatus();
    }
    h.iomem_res = *id;
  }
  if (options_.hmem_sr_reinsert && HasSoftReserveTree(options_.profile)) {
    absl::StatusOr<ResourceId> id = tree_.Insert(
        tree_.root(),
        {r, "Soft Reserved", iores::kMem, iores_desc::kSoftReserved});
    if (id.ok()) h.sr_res = *id;
  }
  if (HasDaxRegionsTree(options_.profile)) {
    absl::StatusOr<ResourceId> dr =
        s.dax_regions.Request(s.dax_regions.root(), {r, hname, iores::kMem, 0});
    if (!dr.ok()) {
      // alloc_dax_region() fails: "probe with driver hmem failed with
      // error -12"; the device and its id stay.
      notes->push_back(absl::StrCat(where, ": ", hname,
                                    ": dax_region resource conflict (ENOMEM)"));
      s.hmems[h.id] = h;
      return absl::OkStatus();
    }
  }
  Dax d;
  d.name = absl::StrCat("dax", h.id, ".0");
  d.region = h.id;
  d.range = r;
  d.node = node;
  if (model == HmemModel::k61) {
    // No kmem typing in 6.1: device_dax binds.
    RESTREE_RETURN_IF_ERROR(BindDeviceDax(d));
    s.daxes[d.name] = d;
  } else {
    // IORESOURCE_DAX_KMEM: kmem is the default driver.
    RESTREE_RETURN_IF_ERROR(KmemBind(s, d, node, AutoOnlineZone()));
  }
  h.dax = d.name;
  s.hmems[h.id] = h;
  notes->push_back(absl::StrCat(where, ": ", hname, ", ", d.name));
  return absl::OkStatus();
}

absl::Status Machine::BindCxlDax(State& s, uint32_t region, std::string* note) {
  const Region r = s.regions.at(region);
  {
    // cxl_region_probe() (6.12; assumed unchanged in 7.x): busy System RAM
    // in the range, no dax region.
    bool ram = false;
    tree_.ForEachPreorder([&](ResourceId id, int) {
      constexpr uint64_t kRamBusy = iores::kSystemRam | iores::kBusy;
      if ((tree_.FlagsOf(id) & kRamBusy) == kRamBusy &&
          tree_.RangeOf(id).Overlaps(r.range)) {
        ram = true;
      }
    });
    if (ram) {
      *note = "System RAM in the range: no dax region";
      return absl::OkStatus();
    }
  }
  if (HasDaxRegionsTree(options_.profile)) {
    absl::StatusOr<ResourceId> dr = s.dax_regions.Request(
        s.dax_regions.root(),
        {r.range, absl::StrCat("dax_region", region), iores::kMem, 0});
    if (!dr.ok()) {
      *note = "dax_region resource conflict (ENOMEM): no dax";
      return absl::OkStatus();
    }
  }
  Dax d;
  d.name = absl::StrCat("dax", region, ".0");
  d.region = region;
  d.range = r.range;
  d.node = r.node;
  RESTREE_RETURN_IF_ERROR(KmemBind(s, d, r.node, AutoOnlineZone()));
  s.regions[region].dax = d.name;
  *note = d.name;
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> Machine::AssembleRegion(uint32_t window,
                                                 const Range& range,
                                                 RegionMode mode, bool failed) {
  if (!options_.profile.cxl_auto_regions) {
    return Err(kEOPNOTSUPP,
               absl::StrCat(options_.profile.name,
                            " does not assemble regions from committed "
                            "decoders (no construct_region)"));
  }
  if (!options_.cxl_region) {
    return Err(kEOPNOTSUPP, "CONFIG_CXL_REGION=n: no region driver");
  }
  auto it = s_.windows.find(window);
  if (it == s_.windows.end()) {
    return Err(kerrno::kENOENT, absl::StrCat("no CXL Window ", window));
  }
  const Window w = it->second;
  if (!range.valid()) {
    return Err(kerrno::kEINVAL, absl::StrCat("inverted range ", Show(range)));
  }
  if (!w.cfmws.Contains(range)) {
    return Err(kerrno::kENXIO,
               absl::StrCat(Show(range), " is not inside CXL Window ", window,
                            " ", Show(w.cfmws), ": no root decoder"));
  }
  uint32_t k = 0;
  const absl::Status done = Atomically([&](State& s) -> absl::Status {
    Window& ws = s.windows[window];
    k = ws.cached_region_id;
    absl::StatusOr<ResourceId> res = tree_.Insert(
        w.res, {range, RegionName(k), iores::kMem, iores_desc::kNone});
    if (!res.ok()) {
      return As(kerrno::kEBUSY, res.status(),
                absl::StrCat("region", k, ": cannot insert resource"));
    }
    Region r;
    r.id = k;
    r.cxl = true;
    r.window = window;
    r.mode = mode;
    r.range = range;
    r.ways = w.ways;
    r.granularity = w.granularity;
    r.node = w.node;
    r.res = *res;
    r.assembled = true;
    r.committed = !failed;
    if (mode == RegionMode::kPmem) r.dpa = NextPmemDpa(s, window);
    ws.cached_region_id = MemregionAlloc(s);
    ws.regions.push_back(k);
    s.regions[k] = r;
    if (failed) return absl::OkStatus();
    if (mode == RegionMode::kPmem) {
      absl::StatusOr<ResourceId> pm =
          tree_.Insert(tree_.root(), {range, "Persistent Memory", iores::kMem,
                                      iores_desc::kPersistentMemory});
      if (!pm.ok()) {
        return As(kerrno::kEBUSY, pm.status(),
                  "cxl_pmem_region_probe: insert Persistent Memory");
      }
      s.regions[k].pmem_res = *pm;
      return absl::OkStatus();
    }
    std::string note;
    return BindCxlDax(s, k, &note);
  });
  if (!done.ok()) return done;
  return k;
}

const ResourceTree* Machine::PrivateRoot(absl::string_view name) const {
  if (name == "CXL mem") return &s_.cxl_private;
  if (name == "HMEM devices") return &s_.hmem_active;
  if (name == "Soft Reserved" && HasSoftReserveTree(options_.profile)) {
    return &s_.soft_reserve;
  }
  if (name == "DAX Regions" && HasDaxRegionsTree(options_.profile)) {
    return &s_.dax_regions;
  }
  return nullptr;
}

absl::Status Machine::RawPrivate(
    absl::string_view root, absl::FunctionRef<absl::Status(ResourceTree&)> fn) {
  if (PrivateRoot(root) == nullptr) {
    return Err(kerrno::kENOENT, absl::StrCat(options_.profile.name,
                                             " has no root \"", root, "\""));
  }
  return Atomically([&](State& s) {
    ResourceTree& t = root == "CXL mem"         ? s.cxl_private
                      : root == "HMEM devices"  ? s.hmem_active
                      : root == "Soft Reserved" ? s.soft_reserve
                                                : s.dax_regions;
    return fn(t);
  });
}

// ---------------------------------------------------------------------------
// Queries.

std::vector<ResourceId> Machine::FindAll(absl::string_view name) const {
  std::vector<ResourceId> out;
  tree_.ForEachPreorder([&](ResourceId id, int) {
    if (tree_.NameOf(id) == name) out.push_back(id);
  });
  return out;
}

absl::StatusOr<ResourceId> Machine::Lookup(const ResourceTree& t,
                                           absl::string_view name,
                                           std::optional<Range> range,
                                           std::optional<uint64_t> start) {
  std::vector<ResourceId> hits;
  auto match = [&](ResourceId id) {
    if (t.NameOf(id) != name) return;
    const Range r = t.RangeOf(id);
    if (range && r != *range) return;
    if (start && r.first() != *start) return;
    hits.push_back(id);
  };
  match(t.root());
  t.ForEachPreorder([&](ResourceId id, int) { match(id); });
  std::string shown = absl::StrCat("\"", name, "\"");
  if (range) absl::StrAppend(&shown, "@", Show(*range));
  if (start) absl::StrAppend(&shown, "@", Hex(*start));
  if (hits.empty()) {
    return MakeKernelStatus(absl::StatusCode::kNotFound, KernelOutcome::kError,
                            kerrno::kENOENT, ResourceId(),
                            absl::StrCat("no resource ", shown));
  }
  // Pre-order lists a same-range chain outermost first.
  for (ResourceId id : hits) {
    if (t.RangeOf(id) != t.RangeOf(hits[0])) {
      std::string list;
      for (ResourceId h : hits) {
        absl::StrAppend(&list, list.empty() ? "" : ", ", Show(t.RangeOf(h)));
      }
      return MakeKernelStatus(absl::StatusCode::kFailedPrecondition,
                              KernelOutcome::kError, kerrno::kEINVAL,
                              ResourceId(),
                              absl::StrCat(shown, " is ambiguous: ", list,
                                           "; say which with NAME@START-END"));
    }
  }
  return hits[0];
}

absl::StatusOr<ResourceId> Machine::Find(absl::string_view ref) const {
  absl::StatusOr<ResourceId> whole = Lookup(tree_, ref);
  if (whole.ok() || whole.status().code() != absl::StatusCode::kNotFound) {
    return whole;
  }
  const size_t at = ref.rfind('@');
  if (at == absl::string_view::npos) return whole;
  absl::string_view hex = ref.substr(at + 1);
  absl::ConsumePrefix(&hex, "0x");
  uint64_t start = 0;
  if (hex.empty() || !absl::SimpleHexAtoi(hex, &start)) return whole;
  return Lookup(tree_, ref.substr(0, at), std::nullopt, start);
}

std::string Machine::Render() const { return RenderProcIomem(tree_); }
std::string Machine::Dump() const { return RenderDump(tree_); }

std::vector<InvariantViolation> Machine::CheckInvariants() const {
  std::vector<InvariantViolation> out = tree_.CheckInvariants();
  DomainRules rules;
  rules.memory_block_size = options_.block_size;
  // The nestings the selected kernel's drivers make (restree check's
  // table), not those of any kernel.
  rules.profiles = ChainProfilesOf(options_.profile).value_or(kChainsAny);
  for (InvariantViolation& v : CheckDomainInvariants(tree_, rules)) {
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace hotplug
}  // namespace restree
