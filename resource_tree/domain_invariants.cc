#include "resource_tree/domain_invariants.h"

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "base/byte_size.h"

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

bool IsDottedName(absl::string_view n, absl::string_view prefix) {
  if (!absl::ConsumePrefix(&n, prefix)) return false;
  const size_t dot = n.find('.');
  return dot != absl::string_view::npos && AllDigits(n.substr(0, dot)) &&
         AllDigits(n.substr(dot + 1));
}

bool IsHmemName(absl::string_view n) {
  return absl::ConsumePrefix(&n, "hmem.") && AllDigits(n);
}

bool Aligned256M(const Range& r) {
  return r.first() % k256M == 0 && (r.last() - r.first() + 1) % k256M == 0;
}

using K = NodeKind;
constexpr ChainProfiles kAll = kChainsAny;
constexpr ChainProfiles k612Up = kChains612 | kChains7;

// The nestings each driver chain produces. Section numbers are those of
// docs/driver-chains.md; tags say how sure each entry is: [src] read in
// the Debian 6.1.192 / 6.12.117 sources, [cap] seen in a QEMU capture of
// Debian 6.1, [der] derived from the code (P1-P3: the resource primitives
// of §0), [rep] reported on the mailing lists only, [restree] restree's
// own redesign operations. The hotplug applier (hotplug/machine.cc)
// implements the same chains; hotplug/applier_trees_check_test.cc holds
// every tree it makes to this table.
const std::vector<ChainNesting>& Table() {
  static const std::vector<ChainNesting>* const kTable = new std::vector<
      ChainNesting>{
      // --- CXL Window N: cxl_acpi publishes each top-level CFMWS with
      // insert_resource_expand_to_fit(&iomem_resource) (§1.1 [src]).
      {K::kRoot, K::kCxlWindow, kAll, false,
       "cxl_acpi add_cxl_resources: expand_to_fit at top level (§1.1 "
       "[src])"},
      {K::kOther, K::kCxlWindow, kAll, false,
       "cxl_acpi: expand_to_fit lands under the deepest firmware node "
       "holding the CFMWS, e.g. e820 Reserved (§1.3 [der])"},
      {K::kPciBus, K::kCxlWindow, kAll, false,
       "cxl_acpi: a CFMWS inside a PCI host-bridge window nests there "
       "(§1.3 [der]; warned as cxl-window-pci-overlap)"},
      {K::kSoftReserved, K::kCxlWindow, kAll, false,
       "e820 Soft Reserved inserted before cxl_acpi and larger than the "
       "window (§1.3 [der]); 7.1 hmem re-inserts Soft Reserved over a "
       "window whose region assembly failed (REF §4.4 [rep])"},
      {K::kCxlPmem, K::kCxlWindow, kAll, true,
       "cxl_pmem inserts Persistent Memory over a region that fills its "
       "window: P1 makes it the window's parent (§3.1 [der])"},
      {K::kHmem, K::kCxlWindow, kChains61, false,
       "6.1 with cxl_acpi built in (module_init) before dax_hmem "
       "(late_initcall) inserts hmem.N on the window's range (§6.2, P1 "
       "[der])"},
      // --- CXL chunk: restree's redesign (ResourceTree::ReserveChunks).
      {K::kCxlWindow, K::kCxlChunk, kAll, false,
       "restree ReserveChunks: chunks are children of their window "
       "(resource_tree.h [restree])"},
      // --- regionK: a CXL region's HPA (§2).
      {K::kCxlWindow, K::kRegion, kAll, false,
       "cxl region alloc_hpa: alloc_free_mem_region(window) makes a "
       "direct child (§2.3 [src]); 6.12 construct_region "
       "insert_resource(window) (§2.4 [src])"},
      {K::kCxlPmem, K::kRegion, kAll, true,
       "cxl_pmem_region_probe inserts Persistent Memory on the region's "
       "range into iomem after the region: it adopts the region (§3.1 "
       "[src], P1)"},
      {K::kSoftReserved, K::kRegion, k612Up, false,
       "6.12 construct_region inside a larger Soft Reserved descends into "
       "it (§2.4, P1 [der]); Window > Soft Reserved > region0 on one "
       "range reported on linux-cxl 2025-07 (samples: lkml-2025-07 "
       "[rep])"},
      // --- Persistent Memory (desc 4): cxl_pmem, NFIT, e820 type 7.
      {K::kRoot, K::kCxlPmem, kAll, false,
       "NFIT acpi_nfit_insert_resource, e820 type 7, cxl_pmem over a "
       "region filling its window: insert_resource at top level (§3.1, "
       "§3.2 [src])"},
      {K::kOther, K::kCxlPmem, kAll, false,
       "insert_resource under the deepest node containing it (P1 [der])"},
      {K::kCxlWindow, K::kCxlPmem, kAll, false,
       "cxl_pmem over a region smaller than its window (§3.1 [der])"},
      {K::kSoftReserved, K::kCxlPmem, kAll, false,
       "cxl_pmem over a 6.12 auto region inside Soft Reserved (§2.4, "
       "§3.1 [der]); on every kernel, over a region filling a window that "
       "sits inside a larger Soft Reserved: P1 puts it above the window, "
       "under Soft Reserved (§1.3, §3.1 [der]; hotplug_sequence_fuzzer)"},
      // --- Soft Reserved (desc 8).
      {K::kRoot, K::kSoftReserved, kAll, false,
       "e820__reserve_resources_late: expand_to_fit (§6.1 [src]); 7.1 "
       "hmem insert_resource (§6.4 [rep])"},
      {K::kOther, K::kSoftReserved, kAll, false,
       "e820 expand_to_fit under a containing firmware node (P3 [der])"},
      {K::kCxlWindow, K::kSoftReserved, kAll, false,
       "a window published after Soft Reserved adopts it (§1.3 [der]); "
       "7.1 hmem re-inserts it inside the window with "
       "CONFIG_CXL_REGION=n (REF §4.4 [rep])"},
      {K::kHmem, K::kSoftReserved, kChains61, false,
       "6.1 hmem_register_device: platform_device_add inserts hmem.N "
       "over the Soft Reserved range, above it (§6.2 [src], P1)"},
      {K::kRegion, K::kSoftReserved, k612Up, false,
       "6.12 construct_region over an equal Soft Reserved adopts it "
       "(§6.3 [der]); 7.x with CXL built as modules: Window > region3 > "
       "Soft Reserved (issue 17 [rep])"},
      // --- hmem.N: an iomem node in 6.1 only (6.12 hmem devices carry
      // platform data, §6.3 [src]).
      {K::kRoot, K::kHmem, kChains61, false,
       "6.1 dax_hmem platform_device_add: insert_resource (§6.2 [src])"},
      {K::kOther, K::kHmem, kChains61, false,
       "6.1 dax_hmem under a containing firmware node (P1 [der])"},
      {K::kCxlWindow, K::kHmem, kChains61, false,
       "6.1 dax_hmem (no CXL deferral in 6.1) inside a window published "
       "earlier (§6.2 [src+der])"},
      {K::kSoftReserved, K::kHmem, kChains61, false,
       "6.1 HMAT target range smaller than its Soft Reserved range "
       "(hmat_register_target_devices, §6.2 [der])"},
      // --- namespaceX.Y: pmem/dax_pmem devm_request_mem_region (P2)
      // under the deepest non-busy node.
      {K::kRegion, K::kNamespace, kAll, false,
       "CXL pmem namespace: the request goes through Persistent Memory "
       "into regionK (§3.3 [der], P2)"},
      {K::kCxlPmem, K::kNamespace, kAll, false,
       "NFIT / e820 type 7 pmem namespace (§3.3 [src])"},
      {K::kLegacyPmem, K::kNamespace, kAll, false,
       "legacy e820 pmem namespace (§3.3 [src][cap legacy-pmem])"},
      {K::kRoot, K::kNamespace, kAll, false,
       "virtio_pmem makes its nd region without an iomem node, so the "
       "namespace's request lands at top level (drivers/nvdimm/"
       "virtio_pmem.c [src], P2)"},
      {K::kOther, K::kNamespace, kAll, false,
       "of_pmem: the region is the DT platform device's resource, in iomem "
       "under the device's name (drivers/nvdimm/of_pmem.c [src], P2)"},
      // --- daxX.Y: device_dax (busy) or kmem (SYSTEM_RAM) request (P2).
      {K::kRegion, K::kDax, kAll, false,
       "dax_pmem on a CXL pmem namespace; 6.12 dax_cxl on a ram region "
       "(§4.1-§4.3 [src], P2)"},
      {K::kCxlPmem, K::kDax, kAll, false,
       "dax_pmem devdax on an NFIT / e820 type 7 namespace (§3.3 [der])"},
      {K::kLegacyPmem, K::kDax, kAll, false,
       "dax_pmem devdax on legacy pmem (§3.3, §4.3 [cap legacy-pmem-kmem])"},
      {K::kSoftReserved, K::kDax, kAll, false,
       "dax_hmem: the request goes into Soft Reserved (6.1 through hmem.N "
       "§6.2, 6.12 §6.3 [src]; 7.1 re-inserted Soft Reserved [rep])"},
      {K::kHmem, K::kDax, kChains61, false,
       "6.1 dax_hmem on an HMAT target range smaller than its Soft Reserved: "
       "the request goes into hmem.N (§6.2 [der])"},
      {K::kCxlWindow, K::kDax, kAll, false,
       "left under the window by a region teardown while kmem held the "
       "memory online (§2.5, §4.4 [der]; warned as stranded-kmem); 7.x "
       "hmem without Soft Reserved in iomem, probed before the window was "
       "published (§6.4 [der])"},
      {K::kRoot, K::kDax, kAll, false,
       "dax_pmem on a virtio_pmem namespace ([der]); 7.0 keeps Soft "
       "Reserved out of iomem: hmem's daxN.0 at top level (commit "
       "bc62f5b308cb, §6.4 [rep])"},
      {K::kOther, K::kDax, kAll, false,
       "dax_pmem on an of_pmem namespace ([der])"},
      // --- System RAM (kmem): dev_dax_kmem_probe requests daxX.Y, then
      // add_memory_driver_managed puts it under that node.
      {K::kDax, K::kKmemRam, kAll, false,
       "kmem: add_memory_driver_managed under its daxX.Y (§4.3 [src]"
       "[cap legacy-pmem-kmem])"},
  };
  return *kTable;
}

InvariantViolation::Kind ViolationKind(NodeKind k) {
  switch (k) {
    case K::kCxlWindow:
    case K::kCxlChunk:
    case K::kRegion:
    case K::kCxlPmem:
      return InvariantViolation::Kind::kCxl;
    default:
      return InvariantViolation::Kind::kMemoryHotplug;
  }
}

// "CXL Window N, Persistent Memory (same range)": where `child` may go.
std::string AllowedParents(NodeKind child, ChainProfiles profiles) {
  std::vector<std::string> names;
  for (const ChainNesting& n : Table()) {
    if (n.child != child || (n.profiles & profiles) == 0) continue;
    std::string s(NodeKindName(n.parent));
    if (n.same_range) absl::StrAppend(&s, " (same range)");
    names.push_back(std::move(s));
  }
  return names.empty() ? "nowhere" : absl::StrJoin(names, ", ");
}

}  // namespace

bool IsCxlWindowName(absl::string_view n) {
  return absl::ConsumePrefix(&n, "CXL Window ") && AllDigits(n);
}

bool IsRegionName(absl::string_view n) {
  return absl::ConsumePrefix(&n, "region") && AllDigits(n);
}

bool IsDaxName(absl::string_view n) { return IsDottedName(n, "dax"); }

bool IsDriverManagedRamName(absl::string_view n) {
  return absl::StartsWith(n, "System RAM (") && absl::EndsWith(n, ")");
}

bool IsSystemRamName(absl::string_view n) {
  return n == "System RAM" || IsDriverManagedRamName(n);
}

NodeKind KindOfName(absl::string_view n) {
  if (n.empty()) return K::kOther;
  // The first byte picks the candidates (they differ in it), so a name is
  // compared with at most two patterns.
  switch (n[0]) {
    case 'C':
      if (IsCxlWindowName(n)) return K::kCxlWindow;
      if (n == ResourceTree::kChunkName) return K::kCxlChunk;
      return K::kOther;
    case 'r':
      return IsRegionName(n) ? K::kRegion : K::kOther;
    case 'P':
      if (n == "Persistent Memory") return K::kCxlPmem;
      if (n == "Persistent Memory (legacy)") return K::kLegacyPmem;
      if (absl::StartsWith(n, "PCI Bus ")) return K::kPciBus;
      return K::kOther;
    case 'S':
      if (n == "Soft Reserved") return K::kSoftReserved;
      if (n == "System RAM (kmem)") return K::kKmemRam;
      return K::kOther;
    case 'h':
      return IsHmemName(n) ? K::kHmem : K::kOther;
    case 'n':
      return IsDottedName(n, "namespace") ? K::kNamespace : K::kOther;
    case 'd':
      return IsDaxName(n) ? K::kDax : K::kOther;
    default:
      return K::kOther;
  }
}

absl::string_view NodeKindName(NodeKind kind) {
  switch (kind) {
    case K::kOther:
      return "another resource";
    case K::kRoot:
      return "the root";
    case K::kCxlWindow:
      return "CXL Window N";
    case K::kCxlChunk:
      return "CXL chunk";
    case K::kRegion:
      return "regionK";
    case K::kCxlPmem:
      return "Persistent Memory";
    case K::kLegacyPmem:
      return "Persistent Memory (legacy)";
    case K::kSoftReserved:
      return "Soft Reserved";
    case K::kHmem:
      return "hmem.N";
    case K::kNamespace:
      return "namespaceX.Y";
    case K::kDax:
      return "daxX.Y";
    case K::kKmemRam:
      return "System RAM (kmem)";
    case K::kPciBus:
      return "PCI Bus";
  }
  return "?";
}

std::optional<ChainProfiles> ChainProfilesOf(const KernelProfile& profile) {
  absl::string_view v = profile.name;
  if (!absl::ConsumePrefix(&v, "debian-")) absl::ConsumePrefix(&v, "linux-");
  if (v == "6.1") return kChains61;
  if (v == "6.12") return kChains612;
  if (absl::StartsWith(v, "7.")) return kChains7;
  return std::nullopt;
}

std::string ChainProfilesName(ChainProfiles profiles) {
  if (profiles == kChainsAny) return "any profile";
  std::vector<absl::string_view> names;
  if (profiles & kChains61) names.push_back("debian-6.1");
  if (profiles & kChains612) names.push_back("linux-6.12");
  if (profiles & kChains7) names.push_back("linux-7.x");
  return absl::StrJoin(names, ", ");
}

const std::vector<ChainNesting>& DriverChainNestings() { return Table(); }

const ChainNesting* FindChainNesting(NodeKind parent, NodeKind child,
                                     bool same_range, ChainProfiles profiles) {
  for (const ChainNesting& n : Table()) {
    if (n.parent == parent && n.child == child &&
        (n.profiles & profiles) != 0 && (same_range || !n.same_range)) {
      return &n;
    }
  }
  return nullptr;
}

bool IsChainChild(NodeKind kind) {
  for (const ChainNesting& n : Table()) {
    if (n.child == kind) return true;
  }
  return false;
}

namespace {

// The table as masks: the profiles in which some chain puts `child`
// directly under `parent`, on any range or only on its parent's range.
struct NestingMasks {
  static constexpr size_t kKinds = static_cast<size_t>(NodeKind::kPciBus) + 1;
  ChainProfiles any_range[kKinds][kKinds] = {};
  ChainProfiles same_range[kKinds][kKinds] = {};
  bool chain_child[kKinds] = {};
};

const NestingMasks& Masks() {
  static const NestingMasks* masks = [] {
    auto* m = new NestingMasks;
    for (const ChainNesting& n : Table()) {
      const size_t p = static_cast<size_t>(n.parent);
      const size_t c = static_cast<size_t>(n.child);
      m->same_range[p][c] |= n.profiles;
      if (!n.same_range) m->any_range[p][c] |= n.profiles;
      m->chain_child[c] = true;
    }
    return m;
  }();
  return *masks;
}

// FindChainNesting(parent, child, same_range, profiles) != nullptr, by
// table lookup (the walk asks it once per node and profile set).
bool HasChainNesting(NodeKind parent, NodeKind child, bool same_range,
                     ChainProfiles profiles) {
  const NestingMasks& m = Masks();
  const size_t p = static_cast<size_t>(parent);
  const size_t c = static_cast<size_t>(child);
  return ((same_range ? m.same_range[p][c] : m.any_range[p][c]) & profiles) !=
         0;
}

}  // namespace

absl::string_view SeverityName(DomainFinding::Severity severity) {
  return severity == DomainFinding::Severity::kError ? "error" : "warning";
}

namespace {

using Severity = DomainFinding::Severity;
using ViolationKindT = InvariantViolation::Kind;

// A finding of every profile set, not of one.
constexpr size_t kEverySet = ~size_t{0};

std::string ShowRange(const Range& r, absl::string_view name) {
  return absl::StrFormat("%x-%x \"%s\"", r.first(), r.last(), name);
}

// How the walk refers to nodes. A tree's nodes are its ids.
class TreeNodes {
 public:
  using Ref = ResourceId;
  explicit TreeNodes(const ResourceTree& tree) : tree_(tree) {}
  std::string Show(Ref id) const {
    return ShowRange(tree_.RangeOf(id), tree_.NameOf(id));
  }
  static Ref Key(Ref id) { return id; }

 private:
  const ResourceTree& tree_;
};

// A streamed node: its position in the stream (1 for the root, 0 for no
// node). Kept small: the walk copies references into every frame.
struct StreamRef {
  uint64_t position = 0;
  bool valid() const { return position != 0; }
  friend bool operator==(const StreamRef& a, const StreamRef& b) {
    return a.position == b.position;
  }
};

class StreamNodes {
 public:
  using Ref = StreamRef;
  // Streams are only asked whether there is a finding (AnyFinding), so
  // messages name nodes by position.
  std::string Show(const Ref& r) const {
    return absl::StrCat("node ", r.position, " of the stream");
  }
  static uint64_t Key(const Ref& r) { return r.position; }
};

// The findings of each profile set, with their messages.
class CollectFindings {
 public:
  explicit CollectFindings(size_t sets) : outs_(sets) {}
  template <typename Message>
  void Report(size_t set, Severity severity, ViolationKindT kind,
              const char* rule, std::initializer_list<ResourceId> nodes,
              const Message& message) {
    if (set != kEverySet) {
      outs_[set].push_back(
          DomainFinding{severity, kind, rule, nodes, message()});
      return;
    }
    const std::string text = message();
    for (std::vector<DomainFinding>& out : outs_) {
      out.push_back(DomainFinding{severity, kind, rule, nodes, text});
    }
  }
  std::vector<std::vector<DomainFinding>> Take() && { return std::move(outs_); }

 private:
  std::vector<std::vector<DomainFinding>> outs_;
};

// Whether anything was found, no messages made.
class AnyFinding {
 public:
  template <typename Ref, typename Message>
  void Report(size_t, Severity, ViolationKindT, const char*,
              std::initializer_list<Ref>, const Message&) {
    found_ = true;
  }
  bool found() const { return found_; }

 private:
  bool found_ = false;
};

// The domain rules and driver chains over nodes given in pre-order (one
// implementation for trees and streams): Visit() each node, then Finish().
template <typename Nodes, typename Out>
class DomainWalk {
 public:
  using Ref = typename Nodes::Ref;

  DomainWalk(const Nodes& nodes, const DomainRules& rules,
             const std::vector<ChainProfiles>& each, Ref root,
             const Range& root_range, absl::string_view root_name, Out& out)
      : nodes_(nodes), rules_(rules), each_(each), out_(out) {
    root_.id = root;
    root_.kind = K::kRoot;
    root_.range = root_range;
    if (IsCxlWindowName(root_name)) root_.window = root;
  }

  // The next node in pre-order, `depth` levels below the root (0 for a
  // child of the root).
  void Visit(Ref id, int depth, const Range& range, absl::string_view name,
             uint64_t flags, uint32_t desc);
  // The rules that need whole windows.
  void Finish();

 private:
  // What a node passes down to its subtree. at_[d] is the node last seen
  // at depth d, so a node's parent is at_[d - 1] (the root frame for
  // d == 0): O(1) per node instead of walking its ancestors.
  struct Frame {
    Ref id;
    NodeKind kind = K::kOther;
    Range range;
    Ref window;  // the nearest "CXL Window N" at or above
    Ref region;  // the nearest "regionK" at or above, below window
    // The outermost Soft Reserved / hmem.N at or above, below the nearest
    // window or region.
    Ref soft_reserved;
    NodeKind soft_reserved_kind = K::kOther;  // of `soft_reserved`
    bool pci_reported = false;  // a window: its PCI bus finding is out
    int hmem_candidate = -1;    // a dax: its index in `candidates_`
    NodeKind parent_kind = K::kOther;
    int window_depth = -1;  // `window`'s depth (-1: the root, or none)
    // A window: the first region in its subtree so far, and whether an
    // hmem candidate lies in it.
    Ref first_region;
    bool has_candidate = false;
  };
  // hmem-beside-region: dax under Soft Reserved / hmem.N directly in a
  // window, reported at the end if the window holds a region too.
  struct Candidate {
    Ref soft_reserved, window, dax, kmem;
    bool is_soft_reserved;  // not hmem.N
  };

  std::string Show(const Ref& r) const { return nodes_.Show(r); }
  Frame& FrameAt(int depth) {
    return depth < 0 ? root_ : at_[static_cast<size_t>(depth)];
  }
  // A node's subtree is complete: a window with hmem candidates records
  // its first region.
  void Close(const Frame& f) {
    if (f.has_candidate && f.first_region.valid()) {
      window_regions_.emplace_back(f.id, f.first_region);
    }
  }

  const Nodes& nodes_;
  const DomainRules& rules_;
  const std::vector<ChainProfiles>& each_;
  Out& out_;
  Frame root_;
  std::vector<Frame> at_;
  size_t height_ = 0;  // at_[0, height_) is the path to the last node
  std::vector<Candidate> candidates_;
  // (window, its first region) of the windows with candidates.
  std::vector<std::pair<Ref, Ref>> window_regions_;
};

template <typename Nodes, typename Out>
void DomainWalk<Nodes, Out>::Visit(Ref id, int depth, const Range& range,
                                   absl::string_view name, uint64_t flags,
                                   uint32_t desc) {
  using Kind = ViolationKindT;
  const size_t d = static_cast<size_t>(depth);
  // Grown, never shrunk: at_[d] is overwritten below, and frames deeper
  // than d are not read before they are written again.
  if (at_.size() <= d) at_.resize(d + 1);
  // The subtrees of the nodes at depth d and below are complete.
  for (size_t k = d; k < height_; ++k) Close(at_[k]);
  height_ = d + 1;
  const Frame& parent = d == 0 ? root_ : at_[d - 1];
  // Written in place: every field is set below.
  Frame& f = at_[d];
  f.pci_reported = false;
  f.hmem_candidate = -1;
  f.first_region = Ref();
  f.has_candidate = false;
  f.id = id;
  f.range = range;
  f.kind = KindOfName(name);
  f.parent_kind = parent.kind;
  if (f.kind == K::kRegion && !parent.window.valid()) f.kind = K::kOther;
  f.window = f.kind == K::kCxlWindow ? id : parent.window;
  f.window_depth =
      f.kind == K::kCxlWindow ? static_cast<int>(d) : parent.window_depth;
  f.region = f.kind == K::kCxlWindow ? Ref()
             : f.kind == K::kRegion  ? id
                                     : parent.region;
  if (f.kind == K::kCxlWindow || f.kind == K::kRegion) {
    f.soft_reserved = Ref();
    f.soft_reserved_kind = K::kOther;
  } else if ((f.kind == K::kSoftReserved || f.kind == K::kHmem) &&
             !parent.soft_reserved.valid()) {
    f.soft_reserved = id;
    f.soft_reserved_kind = f.kind;
  } else {
    f.soft_reserved = parent.soft_reserved;
    f.soft_reserved_kind = parent.soft_reserved_kind;
  }

  // 13: driver-managed System RAM, as add_memory_driver_managed() makes
  // it.
  if (IsDriverManagedRamName(name)) {
    constexpr uint64_t kNeed =
        iores::kSystemRam | iores::kBusy | iores::kSysramDriverManaged;
    if (rules_.check_flags && (flags & kNeed) != kNeed) {
      out_.Report(kEverySet, Severity::kError, Kind::kMemoryHotplug,
                  "kmem-flags", {id}, [&] {
                    return absl::StrFormat(
                        "%s is driver-managed RAM without "
                        "SYSTEM_RAM|BUSY|SYSRAM_DRIVER_MANAGED (flags %s)",
                        Show(id), FlagsToString(flags));
                  });
    }
    const uint64_t b = rules_.memory_block_size;
    if (b != 0 && (range.first() % b != 0 ||
                   (range.last() - range.first() + 1) % b != 0)) {
      out_.Report(kEverySet, Severity::kError, Kind::kMemoryHotplug,
                  "kmem-block-alignment", {id}, [&] {
                    return absl::StrFormat(
                        "%s is not aligned to the %s memory block", Show(id),
                        HumanSize(b));
                  });
    }
  }
  // kmem requests the block-aligned part of the dax range as daxX.Y and
  // adds "System RAM (kmem)" on exactly that range (§4.3, 6.1 and 6.12;
  // 7.x may add one node per block: not checked there).
  if (f.kind == K::kKmemRam && parent.kind == K::kDax &&
      range != parent.range) {
    for (size_t k = 0; k < each_.size(); ++k) {
      if ((each_[k] & kChains7) != 0) continue;  // 7.x: not checked
      out_.Report(k, Severity::kError, Kind::kMemoryHotplug, "kmem-range",
                  {id, parent.id}, [&] {
                    return absl::StrFormat(
                        "%s does not cover its %s exactly: kmem adds System "
                        "RAM (kmem) on the range it requested as the dax "
                        "node",
                        Show(id), Show(parent.id));
                  });
    }
  }
  // 14: CXL windows.
  if (f.kind == K::kCxlWindow && rules_.check_flags &&
      (ResourceType(flags) != iores::kMem || desc != iores_desc::kCxl)) {
    out_.Report(kEverySet, Severity::kError, Kind::kCxl, "cxl-window-flags",
                {id}, [&] {
                  return absl::StrFormat(
                      "%s is not a MEM resource with desc CXL (flags %s, "
                      "desc %s)",
                      Show(id), FlagsToString(flags), DescToString(desc));
                });
  }
  // The driver chains: is this node where some chain puts it?
  if (f.kind == K::kSoftReserved && parent.kind == K::kSoftReserved) {
    // No kernel makes this: e820__update_table() merges overlapping
    // firmware entries before e820__reserve_resources_late() inserts them
    // (arch/x86/kernel/e820.c [src]), and hmem re-inserts each range it
    // owns once. A warning, not an error, while restree's own `softres
    // add` still accepts overlapping ranges (reported to the applier).
    out_.Report(kEverySet, Severity::kWarning, Kind::kMemoryHotplug,
                "soft-reserved-overlap", {id, parent.id}, [&] {
                  return absl::StrFormat(
                      "%s is inside %s: firmware's e820 map is sanitized "
                      "(overlapping entries merged), so no kernel nests Soft "
                      "Reserved ranges; an edited dump or a model made this",
                      Show(id), Show(parent.id));
                });
  } else if (Masks().chain_child[static_cast<size_t>(f.kind)]) {
    for (size_t k = 0; k < each_.size(); ++k) {
      if (HasChainNesting(parent.kind, f.kind, range == parent.range,
                          each_[k])) {
        continue;
      }
      out_.Report(
          k, Severity::kError, ViolationKind(f.kind), "nesting",
          {id, parent.id}, [&] {
            return absl::StrFormat(
                "%s is directly under %s: no driver chain of %s puts %s "
                "there (it goes under: %s)",
                Show(id),
                parent.kind == K::kRoot ? std::string("the root")
                                        : Show(parent.id),
                ChainProfilesName(each_[k]), NodeKindName(f.kind),
                AllowedParents(f.kind, each_[k]));
          });
    }
  }
  // 14: regions in a window.
  if (f.kind == K::kRegion) {
    if (!Aligned256M(range)) {
      out_.Report(kEverySet, Severity::kError, Kind::kCxl, "region-alignment",
                  {id}, [&] {
                    return absl::StrFormat("%s is not 256M aligned and sized",
                                           Show(id));
                  });
    }
    Frame& window = FrameAt(f.window_depth);
    if (!window.first_region.valid()) window.first_region = id;
  }
  // A window over PCI buses: cxl_acpi publishes only 256 MiB-aligned
  // CFMWS ranges (§1.1), so a misaligned window grew with expand_to_fit
  // over a node it partly overlapped (§1.3) - here a PCI host bridge's
  // window: the CFMWS overlaps PCI MMIO.
  if (f.kind == K::kPciBus && parent.kind == K::kCxlWindow &&
      !parent.pci_reported) {
    at_[d - 1].pci_reported = true;
    if (!Aligned256M(parent.range)) {
      out_.Report(
          kEverySet, Severity::kError, Kind::kCxl, "cxl-window-over-pci-bus",
          {parent.id, id}, [&] {
            return absl::StrFormat(
                "%s is not 256M aligned and holds %s: cxl_acpi only "
                "publishes 256M-aligned CFMWS ranges, so the window grew "
                "(insert_resource_expand_to_fit) over a PCI host-bridge "
                "window; the firmware's CFMWS overlaps PCI MMIO",
                Show(parent.id), Show(id));
          });
    } else {
      out_.Report(kEverySet, Severity::kWarning, Kind::kCxl,
                  "cxl-window-pci-overlap", {parent.id, id}, [&] {
                    return absl::StrFormat(
                        "%s holds %s: the firmware's CFMWS covers a PCI "
                        "host-bridge window",
                        Show(parent.id), Show(id));
                  });
    }
  }
  if (f.kind == K::kCxlWindow && parent.kind == K::kPciBus) {
    out_.Report(kEverySet, Severity::kWarning, Kind::kCxl,
                "cxl-window-pci-overlap", {id, parent.id}, [&] {
                  return absl::StrFormat(
                      "%s is inside %s: the firmware's CFMWS lies in a PCI "
                      "host-bridge window",
                      Show(id), Show(parent.id));
                });
  }
  if (f.kind == K::kDax && parent.kind == K::kSoftReserved &&
      f.soft_reserved.valid() && f.window.valid() && !f.region.valid()) {
    f.hmem_candidate = static_cast<int>(candidates_.size());
    candidates_.push_back({f.soft_reserved, f.window, id, Ref(),
                           f.soft_reserved_kind == K::kSoftReserved});
    FrameAt(f.window_depth).has_candidate = true;
  }
  // kmem memory directly under a window: its region was torn down while
  // the memory was online (§2.5, §4.4).
  if (f.kind == K::kKmemRam && parent.kind == K::kDax &&
      parent.parent_kind == K::kCxlWindow) {
    out_.Report(
        kEverySet, Severity::kWarning, Kind::kCxl, "stranded-kmem",
        {parent.id, parent.window}, [&] {
          return absl::StrFormat(
              "%s with %s is directly under %s, no region between: a region "
              "teardown left them there while kmem kept the memory online "
              "(remove_memory failed; the nodes stay until reboot). On 7.x "
              "hmem's dax lands there too when hmem claimed the range before "
              "the CXL drivers loaded",
              Show(parent.id), Show(id), Show(parent.window));
        });
  }
  if (f.kind == K::kKmemRam && parent.hmem_candidate >= 0) {
    candidates_[static_cast<size_t>(parent.hmem_candidate)].kmem = id;
  }
}

template <typename Nodes, typename Out>
void DomainWalk<Nodes, Out>::Finish() {
  // Soft Reserved with dax, and kmem, beside a region in the same window:
  // hmem owns part of a CXL window. From 6.12 dax_hmem defers a range in a
  // CXL window to CXL (§6.3), so this follows a region teardown or a failed
  // assembly. 6.1's dax_hmem has no such deferral: its hmem.N over Soft
  // Reserved in a window is what that kernel does (captured in
  // tests/oracle/softres-in-window-6.1), not reported.
  for (size_t k = 0; k < height_; ++k) Close(at_[k]);
  height_ = 0;
  Close(root_);
  if (candidates_.empty()) return;
  absl::flat_hash_map<decltype(Nodes::Key(Ref())), Ref> region_in_window;
  for (const auto& [window, region] : window_regions_) {
    region_in_window.try_emplace(Nodes::Key(window), region);
  }
  Ref last;
  for (const Candidate& c : candidates_) {
    if (c.soft_reserved == last) continue;  // one finding per Soft Reserved
    if (!c.is_soft_reserved) continue;
    const auto it = region_in_window.find(Nodes::Key(c.window));
    if (it == region_in_window.end()) continue;
    last = c.soft_reserved;
    out_.Report(
        kEverySet, Severity::kWarning, ViolationKindT::kCxl,
        "hmem-beside-region", {c.soft_reserved, it->second}, [&] {
          return absl::StrFormat(
              "%s in %s holds %s%s beside %s in the same window: dax_hmem "
              "took part of the CXL window over (since 6.12 hmem leaves a "
              "range in a CXL window to CXL, so a region teardown or a "
              "failed assembly gave it to hmem). A kernel built without CXL "
              "regions (CONFIG_CXL_REGION=n) shows this shape legitimately",
              Show(c.soft_reserved), Show(c.window), Show(c.dax),
              c.kmem.valid() ? absl::StrCat(" and ", Show(c.kmem)) : "",
              Show(it->second));
        });
  }
}

}  // namespace

std::vector<DomainFinding> CheckDomain(const ResourceTree& tree,
                                       const DomainRules& rules) {
  return std::move(CheckDomainEach(tree, rules, {rules.profiles})[0]);
}

std::vector<std::vector<DomainFinding>> CheckDomainEach(
    const ResourceTree& tree, const DomainRules& rules,
    const std::vector<ChainProfiles>& each) {
  const TreeNodes nodes(tree);
  CollectFindings out(each.size());
  DomainWalk<TreeNodes, CollectFindings> walk(nodes, rules, each, tree.root(),
                                              tree.RangeOf(tree.root()),
                                              tree.NameOf(tree.root()), out);
  tree.ForEachPreorder([&](ResourceId id, int depth) {
    const ResourceView v = tree.View(id);
    walk.Visit(id, depth, v.range, v.name, v.flags, v.desc);
  });
  walk.Finish();
  return std::move(out).Take();
}

struct DomainStreamCheck::Impl {
  Impl(const Range& root_range, absl::string_view root_name,
       const DomainRules& rules_in, std::vector<ChainProfiles> each_in)
      : rules(rules_in),
        each(std::move(each_in)),
        walk(nodes, rules, each, StreamRef{1}, root_range, root_name, out) {}

  const DomainRules rules;
  const std::vector<ChainProfiles> each;
  StreamNodes nodes;
  AnyFinding out;
  uint64_t position = 1;
  DomainWalk<StreamNodes, AnyFinding> walk;
};

DomainStreamCheck::DomainStreamCheck(const Range& root_range,
                                     absl::string_view root_name,
                                     const DomainRules& rules,
                                     std::vector<ChainProfiles> each)
    : impl_(std::make_unique<Impl>(root_range, root_name, rules,
                                   std::move(each))) {}

DomainStreamCheck::~DomainStreamCheck() = default;

void DomainStreamCheck::Visit(int depth, const Range& range,
                              absl::string_view name) {
  ++impl_->position;
  impl_->walk.Visit(StreamRef{impl_->position}, depth, range, name,
                    /*flags=*/0, /*desc=*/0);
}

bool DomainStreamCheck::Finish() {
  impl_->walk.Finish();
  return impl_->out.found();
}

std::vector<InvariantViolation> CheckDomainInvariants(
    const ResourceTree& tree, const DomainRules& rules) {
  std::vector<InvariantViolation> out;
  for (DomainFinding& f : CheckDomain(tree, rules)) {
    if (f.severity != DomainFinding::Severity::kError) continue;
    out.push_back(
        InvariantViolation{f.kind, std::move(f.nodes), std::move(f.message)});
  }
  return out;
}

}  // namespace restree
