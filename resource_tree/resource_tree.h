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
//       {Range(0x0, 0xffffffff), "CXL Window 0", iores::kMem,
//       iores_desc::kCxl});
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
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "resource_tree/flags.h"
#include "resource_tree/internal/node_store.h"
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
    kInvalidRange,         // start > end
    kOutsideParent,        // a child not inside its parent
    kUnsortedSiblings,     // siblings not in increasing start order
    kOverlappingSiblings,  // consecutive siblings overlap
    kPartialOverlap,       // two nodes neither disjoint nor nested
    // The tree's own bookkeeping, one kind per check:
    kRootSlot,             // slot 0 is not a live root
    kDeadParent,           // a live node's parent slot is free
    kLiveCount,            // the live count disagrees with the slots
    kFreeList,             // a live slot on the free list
    kIndexEntry,           // child index entry missing, doubled or wrong
    kCycle,                // a node reached twice from the root
    kSlotOrder,            // slots marked as pre-order are not
    kNameRefs,             // a name's reference count != its holders
    kUnreachable,          // a live node not reachable from the root
    kPreorderNotMonotone,  // pre-order walk goes back in address
    kBadName,              // a name id outside the name table
    kMemoryHotplug,        // reference invariant 13 (domain_invariants.h)
    kCxl,                  // reference invariant 14 (domain_invariants.h)
  };
  Kind kind;
  std::vector<ResourceId> nodes;
  std::string message;
};
absl::string_view InvariantKindName(InvariantViolation::Kind kind);

// Which resources InsertOver() may cut in two at the new window's edge.
struct SplitPolicy {
  // Exact names of splittable resources (matched by text).
  std::vector<std::string> splittable = {"System RAM", "Reserved",
                                         "Soft Reserved"};
  bool Splittable(absl::string_view name) const;
};

// Options of ResourceTree::Grow().
struct GrowPolicy {
  // Let each ancestor that `new_range` does not fit in grow too, just
  // enough (to the smallest range holding both), as FreeBSD's
  // pcib_grow_window() grows bridge windows up a chain.
  bool grow_ancestors = false;
};

// The rule chunk sizes follow: a multiple of 256 MiB x interleave ways,
// or exactly the memory-block size.
struct ChunkGeometry {
  uint64_t chunk_size = uint64_t{256} << 20;
  uint32_t ways = 1;  // 1, 2, 3, 4, 6, 8, 12 or 16
  uint64_t memory_block_size = uint64_t{128} << 20;
  // The most chunk nodes one call may create (bad input must not take
  // unbounded memory).
  uint64_t max_new_chunks = uint64_t{1} << 24;
};

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
  ResourceTree(const ResourceTree& other) = default;
  ResourceTree& operator=(const ResourceTree& other) = default;

  // A tree made of a store that TreeBuilder filled (its only use).
  static ResourceTree FromStore(internal::NodeStore store,
                                KernelProfile profile);

  // ---------------------------------------------------------------------------
  // Navigation. All O(1) unless noted; an invalid or stale id is a
  // precondition violation for methods without a Status (check `Contains()`).

  ResourceId root() const { return MakeId(kRootIndex); }
  const KernelProfile& profile() const { return profile_; }
  // Number of nodes, the root included.
  size_t size() const { return store_.live_count(); }

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
  // A slice of that walk, for renderers that split it between threads: on a
  // tree from TreeBuilder not mutated since, calls `fn(id, depth,
  // parent_position)` for the nodes at pre-order positions [begin, end)
  // (position 0 is the root's first child; end is clipped to size() - 1),
  // where parent_position is the pre-order position of the node's parent, or
  // -1 for children of the root, and returns true. On any other tree it
  // calls nothing and returns false. O(end - begin + the depth of the first
  // node); never builds the child index, so slices may be walked
  // concurrently. `fn` must not mutate the tree.
  bool ForEachPreorderSlice(
      size_t begin, size_t end,
      absl::FunctionRef<void(ResourceId, int, ptrdiff_t)> fn) const;
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
  // Redesign operations: what kernel/resource.c lacks for CXL memory that
  // comes and goes (docs/design.md, "Redesign operations"). Each is atomic:
  // it runs inside a Transaction, and a failure rolls back every step it took,
  // so the tree (ids and generations included) is exactly as before. Each
  // failure is a KernelError with the errno a kernel implementation would
  // return and, where one resource is in the way, that resource as the
  // conflict (its range and name are in the message). A stale id is
  // kNotFound / kContractViolation as everywhere else.
  //
  // Complexity: k is the number of nodes the operation creates, frees or
  // moves, d the depth at the affected address; each costs O(d log n +
  // k log n) unless it says otherwise, never O(n).

  // Moves `id` to be a child of `new_parent`. Because ranges are laminar, a
  // node whose range contains `id`'s range is an ancestor of `id` or a
  // descendant with exactly `id`'s range, so an existing node can only
  // change parent within a chain of nodes with `id`'s exact range (the
  // "which of two equal ranges is the parent" question: window, region and
  // Soft Reserved on one range). Cases:
  //   * `new_parent` is `id`'s parent: nothing changes, OK.
  //   * `new_parent` is a proper ancestor of `id` and every node strictly
  //     between them has `id`'s range: `id` takes the place of the highest
  //     of those nodes (whose parent is `new_parent`), that node becomes
  //     `id`'s child with the chain below it intact, and `id`'s former
  //     children go to `id`'s former parent. E.g. A > B > C > kids with
  //     B == C in range, Reparent(C, A) gives A > C > B > kids.
  //   * `new_parent` is a proper descendant of `id` and every node from
  //     `id` down to `new_parent` has `id`'s range: `id` leaves the chain
  //     (its child takes its place) and becomes the only child of
  //     `new_parent`, adopting `new_parent`'s former children. E.g.
  //     A > B > C > kids with B == C, Reparent(B, C) gives A > C > B > kids.
  // Errors: EINVAL (kError) if `id` is the root, `new_parent` is `id`
  // itself, or `new_parent` does not contain `id`'s range (conflict:
  // `new_parent`); EBUSY (kConflict) if
  // `new_parent` contains `id`'s range but a node between them does not
  // have `id`'s exact range, i.e. `id` would overlap a new sibling
  // (conflict: that node, the highest such on the path). Reparenting
  // existing resources under a *new* window is InsertOver().
  // O((c + h) log n) for h nodes on the chain and c children moved.
  [[nodiscard]] absl::Status Reparent(ResourceId id, ResourceId new_parent);

  // Inserts `spec` as insert_resource() does (descending from `parent` to
  // the deepest node that strictly contains it, adopting the children there
  // that it covers), and in addition splits each resource that straddles
  // one of its edges instead of failing:
  //   * A straddling node X (it overlaps the new range and extends past
  //     exactly one of its edges) is cut at that edge into a lower part,
  //     which keeps X's id, and an upper part, a new node with X's name,
  //     flags and desc. Of the two parts, the one inside the new range is
  //     adopted by the new node; the other stays where X was.
  //   * X's children are divided the same way: those wholly below the cut
  //     stay with the lower part, those wholly above go to the upper part,
  //     and the one child that may straddle the cut is split in turn (and
  //     so on down; iteratively, not recursively).
  //   * Every node that must be cut must be `policy.Splittable()`; the
  //     first one that is not fails the operation (EBUSY, kConflict,
  //     conflict: that node). Nodes are examined at the lower edge first,
  //     top-down, then at the upper edge, top-down.
  // With nothing to split this is exactly Insert() (same result, conflict
  // and tree). Other errors are Insert()'s: EBUSY with conflict `parent`
  // when `spec.range` is inverted or does not fit in `parent`. With the
  // chunk fence on, a new node may neither land in a chunk nor adopt or
  // split one (EBUSY, conflict: the chunk).
  [[nodiscard]] absl::StatusOr<ResourceId> InsertOver(
      ResourceId parent, const ResourceSpec& spec,
      const SplitPolicy& policy = SplitPolicy());

  // Grows `id` in place to `new_range`, which must contain its current
  // range. Siblings that `new_range` covers entirely are adopted as `id`'s
  // children (in order; `id`'s own children stay). Errors: EINVAL if `id`
  // is the root, or `new_range` is inverted or does not contain `id`'s
  // range; EBUSY (kConflict) on the lowest sibling `new_range` partially
  // overlaps; EBUSY (conflict: the parent) if `new_range` does not fit in
  // the parent and `grow_ancestors` is off. With `grow_ancestors`, each
  // ancestor that must grow grows to the smallest range holding its old
  // range and the range of the grown child, and must then overlap none of
  // its own siblings (EBUSY, conflict: the lowest it overlaps; ancestors
  // never adopt) and fit its own parent, up to the root, which never grows
  // (EBUSY, conflict: the root). Checks go bottom-up; the first failure is
  // reported. With nothing to adopt and no ancestor growing, this is
  // Adjust(id, new_range.first(), size) when that succeeds.
  [[nodiscard]] absl::Status Grow(ResourceId id, const Range& new_range,
                                  const GrowPolicy& policy = GrowPolicy());

  // Shrinks `id` in place to `new_range`, which must lie inside its current
  // range and still cover every child. Errors: EINVAL if `id` is the root or
  // `new_range` is inverted or not inside `id`'s range; EBUSY (kConflict) on
  // the lowest child `new_range` does not cover.
  [[nodiscard]] absl::Status Shrink(ResourceId id, const Range& new_range);

  // ---------------------------------------------------------------------------
  // CFMWS chunk reservation. A window's address space is divided into slots
  // of `chunk_size` bytes counted from the window's start (the last slot may
  // be shorter). A chunk is a child of the window named "CXL chunk" with
  // flags IORESOURCE_MEM | iores::kRestreeChunk (restree's own bit, not a
  // kernel flag) and desc IORES_DESC_CXL; it lies within one slot and is
  // unused by definition (a region that claims chunks replaces them). In
  // /proc/iomem form it renders as a line "CXL chunk" under the window.

  // The name every chunk node has.
  static constexpr absl::string_view kChunkName = "CXL chunk";
  // Whether `id` is a chunk node.
  bool IsChunk(ResourceId id) const;
  // The chunk size ReserveChunks() last recorded for `window`, or 0.
  uint64_t ChunkSizeOf(ResourceId window) const;

  // Covers the free space of `window` with chunks: every stretch of a slot
  // that no child of `window` overlaps becomes one chunk. Records
  // `geometry.chunk_size` as the window's chunk size (ReturnToChunks() uses
  // it). Returns the number of chunks created. Errors: EINVAL if `window` is
  // the root or a chunk, `ways` is not a CXL interleave, or `chunk_size` is
  // neither a non-zero multiple of 256 MiB x ways nor the memory-block size;
  // E2BIG if more than `max_new_chunks` chunks would be created.
  // O(c log n) for c children of `window` plus chunks created.
  [[nodiscard]] absl::StatusOr<size_t> ReserveChunks(
      ResourceId window, const ChunkGeometry& geometry);

  // A region takes the place of the chunks `spec.range` covers: the range
  // must begin at the start of a chunk of `window`, end at the end of a
  // chunk, and be covered without a gap by chunks that are consecutive
  // children of `window`. They are freed and `spec` (name, flags, desc) is
  // linked in their place as a child of `window`; what the chunks held
  // (only possible if the fence was off) becomes the region's. Errors:
  // EINVAL if
  // `spec.range` is inverted or not inside `window` (conflict: `window`);
  // EBUSY (kConflict) on the first child of `window` in the range that is
  // not a chunk; EINVAL if an edge cuts a chunk (conflict: that chunk) or a
  // part of the range is not reserved (no conflict; the message names the
  // free stretch). O(log n + k log n) for k chunks claimed.
  [[nodiscard]] absl::StatusOr<ResourceId> ClaimChunks(
      ResourceId window, const ResourceSpec& spec);

  // Where ClaimChunks() of `size` bytes would succeed first among the
  // candidates first, first + step, first + 2 step, ... (the addresses a
  // get_free_mem_region()-style search tries): the lowest candidate c such
  // that [c, c + size - 1] is covered exactly by consecutive chunks of
  // `window`, or nullopt (also for a stale id, size 0 or step 0). Reads
  // only; one pass over the window's children that stops at the answer:
  // O(c) for the c children up to the end of the run found, instead of one
  // failing ClaimChunks() per candidate.
  std::optional<uint64_t> FirstClaimableRun(ResourceId window, uint64_t size,
                                            uint64_t first,
                                            uint64_t step) const;

  // The inverse of ClaimChunks(): frees `id` (a childless child of a window
  // with a recorded chunk size) and covers its range with chunks, split at
  // the window's slot boundaries. Returns the number of chunks created.
  // Errors: EINVAL if `id` is the root or a chunk, or its parent has no
  // recorded chunk size; EBUSY (kConflict) if `id` has children (conflict:
  // the first); E2BIG if more than `max_new_chunks` chunks would be
  // created. `id` is stale afterwards.
  [[nodiscard]] absl::StatusOr<size_t> ReturnToChunks(
      ResourceId id, uint64_t max_new_chunks = ChunkGeometry().max_new_chunks);

  // Frees every chunk of `window` and returns how many (a chunk's children,
  // possible only if the fence was off, take its place). With `shrink`, the
  // window then shrinks to the smallest range holding its remaining
  // children (unchanged if none remain). Errors: EINVAL if `window` is the
  // root or a chunk. O(log n + k log n) for k chunks freed.
  [[nodiscard]] absl::StatusOr<size_t> ReleaseUnusedChunks(ResourceId window,
                                                           bool shrink);

  // The allocation fence, on by default: no kernel-compatible operation
  // (Request, Insert, InsertExpandToFit, Allocate, RequestRegion,
  // GetFreeMemRegion and their wrappers) places a new node inside a chunk
  // (at any depth) or adopts a chunk; such a call fails with EBUSY
  // (kConflict) naming the chunk (the nearest enclosing one, else the
  // lowest adopted). Only ClaimChunks() consumes chunks. Turning it off makes
  // chunks ordinary resources to those operations (the kernel's behaviour).
  void set_chunk_fence(bool on) { chunk_fence_ = on; }
  bool chunk_fence() const { return chunk_fence_; }

  // ---------------------------------------------------------------------------
  // Transactions. Every mutation below a Transaction records its inverse in
  // the tree's undo journal; Commit() keeps the changes, destruction without
  // Commit() (or Rollback()) undoes them in reverse order, restoring the
  // tree exactly: the same nodes, ids and generations, names, the same
  // rendering and the same CheckInvariants() result. Transactions nest (an
  // inner rollback undoes only the inner steps). Rollback costs O(k log n)
  // for the k primitive steps taken, never O(n); with no transaction open
  // nothing is recorded. The tree must outlive the Transaction and must not
  // be moved or copied-to while one is open.
  class Transaction {
   public:
    explicit Transaction(ResourceTree* tree);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void Commit();
    void Rollback();
    // Primitive steps recorded since this transaction began.
    size_t steps() const;

   private:
    ResourceTree* tree_;
    size_t mark_;
    bool open_ = true;
  };

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
  [[nodiscard]] absl::StatusOr<std::vector<WalkMatch>> Walk(uint32_t desc,
                                                            uint64_t flags,
                                                            uint64_t start,
                                                            uint64_t end) const;
  // walk_system_ram_res(): flags SYSTEM_RAM|BUSY, any desc.
  [[nodiscard]] absl::StatusOr<std::vector<WalkMatch>> WalkSystemRam(
      uint64_t start, uint64_t end) const;
  // walk_mem_res(): flags MEM|BUSY, any desc.
  [[nodiscard]] absl::StatusOr<std::vector<WalkMatch>> WalkMem(
      uint64_t start, uint64_t end) const;

  // "[mem 0x00001000-0x00001fff] "name"", as the kernel's %pR messages
  // describe a resource (what every error message here uses).
  static std::string DescribeRange(const Range& r, uint64_t flags,
                                   absl::string_view name);

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

  // CheckInvariants()'s two ways to check the structure: through the child
  // index (walked from the root), or, before the index exists, through the
  // parent links and the pre-order slot order.
  using ReportFn = absl::FunctionRef<void(InvariantViolation::Kind,
                                          std::vector<uint32_t>, std::string)>;
  void CheckIndexAndWalk(size_t live_nodes, const ReportFn& report) const;
  void CheckPreorderSlots(const ReportFn& report) const;

  static constexpr uint32_t kRootIndex = internal::NodeStore::kRoot;
  static constexpr uint32_t kNoIndex = internal::NodeStore::kNone;

  using Node = internal::Node;
  using ChildKey = internal::ChildKey;
  using ChildIndex = internal::ChildIndex;
  using ChildIter = ChildIndex::const_iterator;

  // The child index, built on first use (see NodeStore::index()).
  const ChildIndex& Index() const { return store_.index(); }
  const Node& N(uint32_t i) const { return store_.node(i); }

  ResourceId MakeId(uint32_t index) const {
    return ResourceId(index, store_.node(index).generation);
  }
  // The slot of a live id, or kNoIndex.
  uint32_t IndexOf(ResourceId id) const;
  Range NodeRange(uint32_t i) const { return store_.range(i); }

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
  uint32_t LastChildIndex(uint32_t parent) const;
  uint32_t NextSiblingIndex(uint32_t i) const;
  uint32_t PrevSiblingIndex(uint32_t i) const;

  // A new linked node under `parent`.
  uint32_t AddNode(const Range& r, absl::string_view name, uint64_t flags,
                   uint32_t desc, uint32_t parent);
  // Unlinks and frees i and all its descendants. Iterative.
  void FreeSubtree(uint32_t i);

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
  uint32_t CommitInsert(const InsertPlan& plan, const Range& r,
                        absl::string_view name, uint64_t flags, uint32_t desc);

  class GfrCursor;  // get_free_mem_region's walk through a window's children

  // __find_resource(): the kernel's first-fit scan.
  bool FindSpace(uint32_t root, uint32_t old, uint64_t size, uint64_t new_flags,
                 const AllocConstraint& c, Range* out) const;
  // The __adjust_resource() checks.
  bool CanAdjust(uint32_t i, uint64_t first, uint64_t last) const;

  // The allocation fence: if it is on and a new node under `parent`
  // (adopting `count` children from `first`) would land in or take a
  // chunk, the chunk; else kNoIndex.
  uint32_t FenceConflict(uint32_t parent, uint32_t first = kNoIndex,
                         size_t count = 0) const;
  absl::Status FenceStatus(absl::string_view op, const Range& r,
                           absl::string_view name, uint32_t chunk) const;
  bool IsChunkIndex(uint32_t i) const {
    return (N(i).flags & iores::kRestreeChunk) != 0;
  }
  // Redesign helpers (redesign_ops.cc).
  // Cuts x at `cut` (x.first < cut <= x.last): x keeps [x.first, cut - 1],
  // a new node [cut, x.last] with x's name, flags and desc is linked under
  // `high_parent` and takes x's children that start at or after `cut`.
  uint32_t SplitAt(uint32_t x, uint64_t cut, uint32_t high_parent);
  // The nodes to cut at `cut` below `parent`, top-down: the child of
  // `parent` that has `cut` strictly inside (first < cut <= last), then its
  // child that does, and so on.
  std::vector<uint32_t> CutChain(uint32_t parent, uint64_t cut) const;
  // Covers the parts of `span` (inside `window`, overlapping none of its
  // children) with chunks cut at the window's slot boundaries.
  void AddChunks(uint32_t window, const Range& span, uint64_t chunk_size);
  // How many chunks AddChunks() would make for `span`.
  uint64_t CountChunks(uint32_t window, const Range& span,
                       uint64_t chunk_size) const;

  absl::Status Stale(ResourceId id, absl::string_view op) const;
  std::string Describe(uint32_t i) const;

  KernelProfile profile_;
  internal::NodeStore store_;
  bool chunk_fence_ = true;
};

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_RESOURCE_TREE_H_
