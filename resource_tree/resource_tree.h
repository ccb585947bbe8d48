// File: resource_tree.h
// -----------------------------------------------------------------------------
//
// `ResourceTree` models one of the kernel's resource trees (`iomem_resource`,
// shown in /proc/iomem, or `ioport_resource`): a root range and a tree of
// named, flagged sub-ranges in which siblings are sorted and disjoint and every
// child lies inside its parent. Its kernel-compatible operations reproduce
// `kernel/resource.c` operation by operation (see docs/kernel-semantics.md):
// the same result, the same errno, the same conflicting resource and the same
// tree afterwards. The kernel version is selected with a `KernelProfile`.
//
// What differs from the kernel is the representation, not the semantics:
//
//   * Nodes are owned by the tree. Callers hold `ResourceId`s, which stay
//     valid across unrelated mutations and become detectably stale when their
//     node is freed (see resource_id.h).
//   * Names given to operations are interned: a million "System RAM" nodes
//     share one string. A tree bulk-loaded by TreeBuilder's parts (a large
//     /proc/iomem parse) keeps each node's name verbatim instead, which is
//     cheaper to load. Either way two names compare equal iff their text is
//     equal (the kernel compares pointers; restree's callers are assumed to
//     intern as the kernel's users do). Strings live as long as the tree.
//   * Children are indexed by start address in a B-tree, so finding a
//     position among n siblings is O(log n) where the kernel walks a list.
//   * A tree made by TreeBuilder builds that index on first use, not when it
//     is made: its nodes are stored in pre-order, which is all that
//     `ForEachPreorder()`, `PreorderIds()`, `View()` and the other per-node
//     accessors need. So reading a parsed dump (showing, rendering, diffing
//     it) never pays for the index. The first call that needs it (child and
//     sibling navigation, lookups, the kernel queries, `CheckInvariants()`,
//     any mutation) builds it, once, in O(n log n); see "Complexity" below.
//   * Operations are atomic: a failing operation leaves the tree exactly as
//     it was. Where the kernel itself would corrupt its tree, loop forever or
//     crash on a caller's mistake, restree refuses with
//     `KernelOutcome::kContractViolation` and changes nothing.
//
// Every failing operation returns a status carrying a `KernelError` (see
// kernel_status.h): the kernel outcome, errno and conflicting resource. A
// stale or foreign id gives kNotFound (outcome kContractViolation: the kernel
// would use freed memory).
//
// Complexity: d is the depth of the tree at the affected address, n the
// number of nodes, k the number of nodes an operation moves or frees. Unless a
// method says otherwise, it costs O(d log n + k log n), plus, the first time
// a method that uses the child index is called on a tree from TreeBuilder,
// O(n log n) to build the index.
//
// Invalidation: `ResourceId`s of nodes that an operation frees become stale;
// all others stay valid. `ResourceView`s and `absl::string_view`s of names
// stay valid as long as the tree (names are never freed).
//
// Thread-safety: thread-compatible. Const methods may run concurrently with
// each other (the first of them to need the child index builds it under a
// lock while the others wait); any mutation needs exclusive access.
//
// Example:
//   ResourceTree tree = ResourceTree::Iomem();
//   ResourceId ram = *tree.Request(tree.root(),
//       {Range(0x100000, 0x7fffffff), "System RAM",
//        iores::kSystemRam | iores::kBusy});
//   absl::StatusOr<ResourceId> win = tree.InsertExpandToFit(tree.root(),
//       {Range(0x0, 0xffffffff), "CXL Window 0", iores::kMem, iores_desc::kCxl});
//   // "System RAM" is now a child of "CXL Window 0".

#ifndef RESTREE_RESOURCE_TREE_RESOURCE_TREE_H_
#define RESTREE_RESOURCE_TREE_RESOURCE_TREE_H_

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "resource_tree/flags.h"
#include "resource_tree/internal/huge_page_allocator.h"
#include "resource_tree/internal/name_table.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_id.h"

namespace restree {

// A resource to create: the fields a kernel caller fills in a `struct
// resource` before handing it to request/insert.
struct ResourceSpec {
  Range range;
  absl::string_view name;
  uint64_t flags = 0;
  uint32_t desc = iores_desc::kNone;
};

// A snapshot of one node. `name` points into the tree's name table.
struct ResourceView {
  ResourceId id;
  Range range;
  absl::string_view name;
  uint64_t flags = 0;
  uint32_t desc = 0;
  ResourceId parent;  // invalid for the root
};

// The argument an alignment callback receives: the kernel's `resource_alignf`
// (`alignf(data, avail, size, align)` in 6.1; 7.0 adds `full_avail`).
struct AlignRequest {
  Range avail;       // the free gap, its start already ALIGN()ed
  Range full_avail;  // the free gap clipped to [min, max], before ALIGN()
  uint64_t flags = 0;
  uint64_t size = 0;
  uint64_t align = 0;
};

// `struct resource_constraint`: where allocate_resource() may place a range.
struct AllocConstraint {
  uint64_t min = 0;
  uint64_t max = kMaxAddress;
  // The kernel's ALIGN() is applied with this value: 0 aligns every start to
  // 0 (so only a gap starting at 0 can be used), as in the kernel.
  uint64_t align = 1;
  // Optional; returns the start to try. Absent: the aligned gap start.
  std::function<uint64_t(const AlignRequest&)> alignf;
};

// REGION_INTERSECTS / REGION_DISJOINT / REGION_MIXED (include/linux/mm.h).
enum class RegionIntersection : int {
  kIntersects = 0,
  kDisjoint = 1,
  kMixed = 2,
};
absl::string_view RegionIntersectionName(RegionIntersection r);

// One callback of walk_iomem_res_desc(): the matching resource clipped to the
// walked range, with its flags, desc and parent (what the kernel copies out).
struct WalkMatch {
  Range range;
  uint64_t flags = 0;
  uint32_t desc = 0;
  ResourceId node;
  ResourceId parent;
};

// The GFR_* flags of get_free_mem_region().
struct FreeRegionMode {
  bool descending = false;      // GFR_DESCENDING
  bool request_region = false;  // GFR_REQUEST_REGION
};

// One broken invariant, with every node involved.
struct InvariantViolation {
  enum class Kind {
    kInvalidRange,        // start > end
    kOutsideParent,       // a child not inside its parent
    kUnsortedSiblings,    // siblings not in increasing start order
    kOverlappingSiblings, // consecutive siblings overlap
    kPartialOverlap,      // two nodes neither disjoint nor nested
    kBrokenLink,          // index and parent links disagree
    kUnreachable,         // a live node not reachable from the root
    kPreorderNotMonotone, // pre-order walk goes back in address
    kBadName,             // a name id outside the name table
    kMemoryHotplug,       // reference invariant 13 (domain_invariants.h)
    kCxl,                 // reference invariant 14 (domain_invariants.h)
  };
  Kind kind;
  std::vector<ResourceId> nodes;
  std::string message;
};
absl::string_view InvariantKindName(InvariantViolation::Kind kind);

class ResourceTree {
 public:
  // The kernel's iomem_resource: "PCI mem", [0, 2^64-1], IORESOURCE_MEM.
  static ResourceTree Iomem(KernelProfile profile = KernelProfile::Debian61());
  // The kernel's ioport_resource: "PCI IO", [0, IO_SPACE_LIMIT],
  // IORESOURCE_IO (x86: 0xffff).
  static ResourceTree Ioport(uint64_t io_space_limit = 0xffff,
                             KernelProfile profile = KernelProfile::Debian61());
  // A tree whose root is `root`. Precondition: `root.range.valid()`.
  explicit ResourceTree(const ResourceSpec& root,
                        KernelProfile profile = KernelProfile::Debian61());

  // Movable and copyable (a copy is a deep, independent tree with the same
  // ids, handy for snapshots in tests). A moved-from tree may only be
  // destroyed or assigned to.
  ResourceTree(ResourceTree&&) = default;
  ResourceTree& operator=(ResourceTree&&) = default;
  ResourceTree(const ResourceTree& other);
  ResourceTree& operator=(const ResourceTree& other);

  // ---------------------------------------------------------------------------
  // Navigation. All O(1) unless noted; an invalid or stale id is a
  // precondition violation for methods without a Status (check `Contains()`).

  ResourceId root() const { return MakeId(kRootIndex); }
  const KernelProfile& profile() const { return profile_; }
  // Number of nodes, the root included.
  size_t size() const { return live_count_; }

  // True iff `id` names a node of this tree that has not been freed.
  bool Contains(ResourceId id) const;
  // A snapshot of `id`. `kNotFound` for a stale id.
  [[nodiscard]] absl::StatusOr<ResourceView> Get(ResourceId id) const;
  // As Get(), for an id known to be live.
  ResourceView View(ResourceId id) const;
  Range RangeOf(ResourceId id) const;
  absl::string_view NameOf(ResourceId id) const;
  uint64_t FlagsOf(ResourceId id) const;
  uint32_t DescOf(ResourceId id) const;
  // Invalid for the root.
  ResourceId ParentOf(ResourceId id) const;

  // Children, lowest address first: O(log n) each.
  ResourceId FirstChild(ResourceId id) const;
  ResourceId LastChild(ResourceId id) const;
  ResourceId NextSibling(ResourceId id) const;
  ResourceId PrevSibling(ResourceId id) const;
  bool HasChildren(ResourceId id) const { return FirstChild(id).valid(); }
  // O(c log n) for c children.
  std::vector<ResourceId> Children(ResourceId id) const;
  // Number of ancestors below the root (children of the root have depth 0);
  // O(d).
  int Depth(ResourceId id) const;

  // Calls `fn(id, depth)` for every node but the root, in the kernel's
  // pre-order (parents before children, siblings by address): /proc/iomem
  // order. Depth is uncapped. Iterative; O(n) on a tree from TreeBuilder not
  // mutated since, else O(n log n). Never builds the child index. `fn` must
  // not mutate the tree.
  void ForEachPreorder(absl::FunctionRef<void(ResourceId, int)> fn) const;
  // The ids in pre-order (root excluded).
  std::vector<ResourceId> PreorderIds() const;

  // The deepest node containing `addr` (the root if no other does).
  ResourceId Lookup(uint64_t addr) const;
  // The kernel's lookup_resource(): the child of `parent` starting exactly at
  // `start`; invalid if none.
  ResourceId LookupResource(ResourceId parent, uint64_t start) const;

  // ---------------------------------------------------------------------------
  // Kernel-compatible mutations (kernel/resource.c). Each returns what the
  // kernel returns (as a Status with a KernelError payload on failure) and
  // leaves the tree unchanged on failure.

  // request_resource_conflict(parent, new): links `spec` as a child of
  // `parent` if it fits inside `parent` and overlaps no child. Looks at one
  // level only. Conflict: `parent` for an inverted range or one outside it,
  // else the lowest-addressed overlapping child (kConflict, EBUSY).
  [[nodiscard]] absl::StatusOr<ResourceId> Request(ResourceId parent,
                                                   const ResourceSpec& spec);

  // insert_resource_conflict(parent, new): descends to the deepest node that
  // strictly contains `spec`, then adopts every child there that `spec`
  // covers (a node with an identical range ends up *below* the new one).
  // Conflict (EBUSY): `parent` if `spec` does not fit it, else the first
  // partially overlapping node.
  [[nodiscard]] absl::StatusOr<ResourceId> Insert(ResourceId parent,
                                                  const ResourceSpec& spec);

  // insert_resource_expand_to_fit(root, new): Insert(), growing the range to
  // the union with each conflicting node until it fits. Fails with
  // kNotInserted if growth reaches past `root`'s range (the kernel silently
  // leaves the resource out). `expanded_over`, if given, receives the
  // conflicts it grew over, in order (the kernel logs "Expanded resource %s
  // due to conflict with %s" for each).
  [[nodiscard]] absl::StatusOr<ResourceId> InsertExpandToFit(
      ResourceId root, const ResourceSpec& spec,
      std::vector<ResourceId>* expanded_over = nullptr);

  // remove_resource(old): unlinks `id` and moves its children, in order, into
  // its place. Frees `id`. The root cannot be removed (kContractViolation:
  // the kernel dereferences NULL).
  [[nodiscard]] absl::Status Remove(ResourceId id);

  // release_resource(old): unlinks `id` with its whole subtree; frees them.
  [[nodiscard]] absl::Status Release(ResourceId id);

  // release_child_resources(r): frees every descendant of `id` (the kernel
  // detaches them; restree has no detached nodes).
  [[nodiscard]] absl::Status ReleaseChildren(ResourceId id);

  // adjust_resource(res, start, size): moves/resizes `id` in place to
  // `[start, start + size - 1]`. It must stay inside its parent, clear of its
  // siblings, and cover all its children, else EBUSY (kError). A size that
  // makes end < start is kContractViolation (the kernel accepts it and
  // corrupts its tree).
  [[nodiscard]] absl::Status Adjust(ResourceId id, uint64_t start,
                                    uint64_t size);

  // allocate_resource(root, new, size, min, max, align, alignf, data) for a
  // new resource: the first gap among `root`'s children, in address order,
  // that can hold `size` bytes within the constraint; the new node carries
  // `spec`'s name, flags and desc (`spec.range` is ignored). EBUSY if none.
  // O(log n + g) for g gaps examined.
  [[nodiscard]] absl::StatusOr<ResourceId> Allocate(
      ResourceId root, const ResourceSpec& spec, uint64_t size,
      const AllocConstraint& constraint);

  // allocate_resource() on an already allocated resource, i.e.
  // reallocate_resource(parent(id), id, size, constraint): finds space
  // treating `id`'s own range as free; grows or shrinks in place, or moves
  // `id` if it has no children, else EBUSY. O(c log n) for c siblings.
  [[nodiscard]] absl::Status Reallocate(ResourceId id, uint64_t size,
                                        const AllocConstraint& constraint);

  // __request_region(parent, start, n, name, flags): creates a BUSY node
  // `[start, start + n - 1]` with flags `type(p) | ext_type(p) | BUSY |
  // flags` and desc `desc(p)` of its final parent p, where `flags` is an
  // `int` in the kernel: only its low 32 bits count, and bit 31 is not
  // sign-extended (docs/kernel-semantics.md). Descends into
  // non-busy conflicting nodes. Never adopts. A busy conflict fails (EBUSY,
  // kConflict), or kWouldSleep when both carry IORESOURCE_MUXED. The kernel
  // returns NULL on failure; restree also names the conflict.
  [[nodiscard]] absl::StatusOr<ResourceId> RequestRegion(ResourceId parent,
                                                         uint64_t start,
                                                         uint64_t n,
                                                         absl::string_view name,
                                                         uint64_t flags);

  // __release_region(parent, start, n): descends through non-busy nodes
  // containing the range to a busy node; frees it (with its subtree) only if
  // its range is exactly `[start, start + n - 1]`. Otherwise kNotFound (the
  // kernel warns "Trying to free nonexistent resource").
  [[nodiscard]] absl::Status ReleaseRegion(ResourceId parent, uint64_t start,
                                           uint64_t n);

  // release_mem_region_adjustable(start, size), memory hot-remove: from the
  // root, descends through non-busy IORESOURCE_MEM nodes to the busy node
  // containing the range; frees it on an exact match, else trims it or
  // splits it in two (the upper part is a new node with the same name,
  // flags and desc). kNotFound if no busy node contains the range; kWarned
  // if trimming would leave children outside (the kernel WARNs). A size of 0
  // or a wrapping range is kContractViolation. On success returns the upper
  // part of a split, else the invalid id.
  [[nodiscard]] absl::StatusOr<ResourceId> ReleaseMemRegionAdjustable(
      uint64_t start, uint64_t size);

  // merge_system_ram_resource(res): marks `id` IORESOURCE_SYSRAM_MERGEABLE
  // and merges it with its next, then its previous sibling when flags, name
  // and desc are equal, the ranges adjacent and neither has children.
  // Returns the node that now holds `id`'s range (`id` itself, or its
  // previous sibling, in which case `id` is freed). kWarned if `id` is not
  // SYSTEM_RAM|BUSY.
  [[nodiscard]] absl::StatusOr<ResourceId> MergeSystemRam(ResourceId id);

  // get_free_mem_region(NULL, base, size, align, name, desc, mode): tries
  // addresses from the bottom (or top) of `base` in steps (see
  // KernelProfile), takes the first `[addr, addr + ALIGN(size, align) - 1]`
  // that no child of `base` overlaps, and either inserts a MEM node there
  // under `base` or (request_region) requests a busy region from the root.
  // kError ERANGE if none. O(log n + k) for k children of `base` passed:
  // the search jumps over each taken stretch instead of stepping through
  // it, and walks the index instead of searching it again per candidate.
  // kContractViolation where the kernel would loop forever (a step of
  // 0 over an occupied address).
  [[nodiscard]] absl::StatusOr<ResourceId> GetFreeMemRegion(
      ResourceId base, uint64_t size, uint64_t align, absl::string_view name,
      uint32_t desc, FreeRegionMode mode);
  // alloc_free_mem_region(base, size, align, name): ascending, insert mode,
  // desc NONE. What CXL uses to place a region in its window.
  [[nodiscard]] absl::StatusOr<ResourceId> AllocFreeMemRegion(
      ResourceId base, uint64_t size, uint64_t align, absl::string_view name);
  // request_free_mem_region(base, size, name): descending, request mode,
  // align GFR_DEFAULT_ALIGN, desc DEVICE_PRIVATE_MEMORY.
  [[nodiscard]] absl::StatusOr<ResourceId> RequestFreeMemRegion(
      ResourceId base, uint64_t size, absl::string_view name);

  // Field updates a driver makes directly on its own `struct resource` (dax
  // kmem sets `flags = IORESOURCE_SYSTEM_RAM` on its region, for example).
  // They cannot break the tree's structure. kNotFound for a stale id.
  [[nodiscard]] absl::Status SetFlags(ResourceId id, uint64_t flags);
  [[nodiscard]] absl::Status SetDesc(ResourceId id, uint32_t desc);
  [[nodiscard]] absl::Status Rename(ResourceId id, absl::string_view name);

  // ---------------------------------------------------------------------------
  // Kernel-compatible queries.

  // region_intersects(start, size, flags, desc) over the root's children
  // (descendant-aware per the profile). O(d log n + m) for m nodes
  // overlapping the range.
  RegionIntersection RegionIntersects(uint64_t start, uint64_t size,
                                      uint64_t flags, uint32_t desc) const;

  // walk_iomem_res_desc(desc, flags, start, end, ...): every callback the
  // kernel would make, in order (a matching node's descendants are never
  // reported separately). Empty when the kernel returns -EINVAL without a
  // callback (no match, or start >= end). kContractViolation when a match
  // ends at 2^64-1 (the kernel then loops forever).
  [[nodiscard]] absl::StatusOr<std::vector<WalkMatch>> Walk(
      uint32_t desc, uint64_t flags, uint64_t start, uint64_t end) const;
  // walk_system_ram_res(): flags SYSTEM_RAM|BUSY, any desc.
  [[nodiscard]] absl::StatusOr<std::vector<WalkMatch>> WalkSystemRam(
      uint64_t start, uint64_t end) const;
  // walk_mem_res(): flags MEM|BUSY, any desc.
  [[nodiscard]] absl::StatusOr<std::vector<WalkMatch>> WalkMem(
      uint64_t start, uint64_t end) const;

  // ---------------------------------------------------------------------------
  // Checking.

  // Every structural invariant of the reference semantics ("Invariants" 1-8:
  // valid ranges, containment, sorted and disjoint siblings, laminar family,
  // link consistency, reachability, pre-order monotonicity) plus the tree's
  // own bookkeeping (index, free list, name ids, slots marked as the
  // pre-order being so). Returns every violation
  // found, each with the nodes involved; empty means consistent.
  // O(n log n). Independent of the code paths it checks: the laminar check
  // is a global sweep that does not trust parent links.
  std::vector<InvariantViolation> CheckInvariants() const;

 private:
  friend class ResourceTreeTestPeer;  // corrupts trees to test the checker
  friend class TreeBuilder;           // bulk construction in pre-order

  static constexpr uint32_t kRootIndex = 0;
  static constexpr uint32_t kNoIndex = 0xffffffffu;

  // Trivially default-constructible on purpose: the node array can grow
  // without writing (TreeBuilder::Split), and `Node{}` is all zero.
  struct Node {
    uint64_t first;
    uint64_t last;
    uint64_t flags;
    uint32_t desc;
    uint32_t name;
    uint32_t parent;      // kNoIndex for the root
    uint32_t generation;  // odd while live, even while free
  };

  // One entry per non-root node, ordered by (parent, start).
  struct ChildKey {
    uint32_t parent;
    uint32_t child;
    uint64_t start;
  };
  struct ChildKeyLess {
    using is_transparent = void;
    bool operator()(const ChildKey& a, const ChildKey& b) const {
      return a.parent != b.parent ? a.parent < b.parent : a.start < b.start;
    }
  };
  using ChildIndex = absl::btree_set<ChildKey, ChildKeyLess>;
  using ChildIter = ChildIndex::const_iterator;

  // The child index is built on first use (a tree from TreeBuilder has
  // none). Every public method that reads or changes it calls EnsureIndex()
  // once, on entry: one acquire load, where a check in the helpers would
  // cost one per step of a search. The helpers then reach the index through
  // Index() and MutableIndex(), which check (in debug builds) that it was
  // built; MutableIndex() also records that the slots may no longer be in
  // pre-order.
  void EnsureIndex() const {
    if (!index_state_->built.load(std::memory_order_acquire)) BuildIndex();
  }
  const ChildIndex& Index() const {
    assert(index_state_->built.load(std::memory_order_relaxed));
    return children_;
  }
  ChildIndex& MutableIndex() {
    assert(index_state_->built.load(std::memory_order_relaxed));
    preorder_slots_ = false;
    return children_;
  }
  // Builds children_ from the parent links of slots in pre-order, under
  // index_state_'s lock unless another thread got there first. O(n log n).
  void BuildIndex() const;

  ResourceId MakeId(uint32_t index) const {
    return ResourceId(index, nodes_[index].generation);
  }
  // The slot of a live id, or kNoIndex.
  uint32_t IndexOf(ResourceId id) const;
  Range NodeRange(uint32_t i) const { return Range(nodes_[i].first, nodes_[i].last); }

  // Child lookups at one level, all O(log n).
  ChildIter ChildBegin(uint32_t parent) const;
  ChildIter ChildEnd(uint32_t parent) const;
  // Last child with start <= addr, or ChildEnd(parent).
  ChildIter ChildAtOrBefore(uint32_t parent, uint64_t addr) const;
  // Appends `parent`'s children, in order, to `out`. O(c log n).
  void AppendChildIndices(uint32_t parent, std::vector<uint32_t>* out) const;
  // The first child that ends at or after `addr` (where a scan for children
  // overlapping a range starting at `addr` begins); O(log n).
  ChildIter FirstChildReaching(uint32_t parent, uint64_t addr) const;
  // The kernel's __request_resource() scan without linking: the lowest
  // child overlapping `r`, or kNoIndex. Precondition: r.valid().
  uint32_t LowestOverlappingChild(uint32_t parent, const Range& r) const;
  // The kernel's conflict for placing `r` directly under `parent`: `parent`
  // itself if `r` is inverted or not inside it, else the lowest overlapping
  // child; kNoIndex if `r` fits.
  uint32_t PlacementConflict(uint32_t parent, const Range& r) const;
  uint32_t FirstChildIndex(uint32_t parent) const;
  uint32_t NextSiblingIndex(uint32_t i) const;
  uint32_t PrevSiblingIndex(uint32_t i) const;

  uint32_t AllocateNode(const Range& r, uint32_t name, uint64_t flags,
                        uint32_t desc, uint32_t parent);
  void LinkNode(uint32_t i);    // adds the index entry for node i
  void UnlinkNode(uint32_t i);  // removes it
  void FreeNode(uint32_t i);    // slot back to the free list
  void FreeSubtree(uint32_t i); // unlink + free i and all descendants
  // Moves node i (already linked) to a new start/last, rekeying its entry.
  void MoveNode(uint32_t i, uint64_t first, uint64_t last);
  // Re-parents child c (linked under its current parent) to `parent`.
  void Reparent(uint32_t c, uint32_t parent);

  // The checks of __insert_resource(): on success `*parent` and `*first`
  // (the first adopted child, or kNoIndex for a leaf insert) and `*count`
  // (how many siblings to adopt) describe the link; on failure returns the
  // conflict index (possibly the starting parent).
  struct InsertPlan {
    uint32_t parent = kNoIndex;
    uint32_t first = kNoIndex;
    size_t count = 0;
    uint32_t conflict = kNoIndex;
  };
  InsertPlan PlanInsert(uint32_t parent, const Range& r) const;
  uint32_t CommitInsert(const InsertPlan& plan, const Range& r, uint32_t name,
                        uint64_t flags, uint32_t desc);

  class GfrCursor;  // get_free_mem_region's walk through a window's children

  // __find_resource(): the kernel's first-fit scan.
  bool FindSpace(uint32_t root, uint32_t old, uint64_t size,
                 uint64_t new_flags, const AllocConstraint& c,
                 Range* out) const;
  // The __adjust_resource() checks.
  bool CanAdjust(uint32_t i, uint64_t first, uint64_t last) const;

  absl::Status Stale(ResourceId id, absl::string_view op) const;
  // "[mem 0x00001000-0x00001fff] "name"", as the kernel's %pR messages.
  static std::string DescribeRange(const Range& r, uint64_t flags,
                                   absl::string_view name);
  std::string Describe(uint32_t i) const;

  // Whether children_ is built; TreeBuilder makes trees without it.
  struct IndexState {
    std::atomic<bool> built{true};
    std::mutex mu;  // taken to build it
  };

  KernelProfile profile_;
  std::vector<Node, internal::HugePageAllocator<Node>> nodes_;
  std::vector<uint32_t> free_slots_;
  // Read and written only through Index() and MutableIndex() (after
  // EnsureIndex()); mutable for the deferred build.
  mutable ChildIndex children_;
  std::unique_ptr<IndexState> index_state_ = std::make_unique<IndexState>();
  // True while slots [1, nodes_.size()) are exactly the nodes, in pre-order
  // (a tree from TreeBuilder until its first structural change). Always true
  // while the index is not built.
  bool preorder_slots_ = true;
  internal::NameTable names_;
  size_t live_count_ = 0;
};

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_RESOURCE_TREE_H_
