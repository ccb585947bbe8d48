// The kernel-compatible operations of ResourceTree. Each function names the
// kernel/resource.c function it reproduces; docs/kernel-semantics.md explains
// the semantics and the places where restree refuses an input the kernel
// does not guard against. Every mutation first decides, without touching the
// tree, whether it will succeed, and only then changes it: that is what makes
// a failing operation leave no trace.

#include <algorithm>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace {

// The kernel's __request_region() takes `int flags` and computes
// `IORESOURCE_BUSY | flags`. IORESOURCE_BUSY (0x80000000) is an unsigned int,
// so the int converts to unsigned int: bits above 31 are lost and bit 31 does
// NOT sign-extend into the unsigned long. (Found by //fuzz:kernel_loop_fuzzer.)
uint64_t KernelIntFlags(uint64_t flags) { return static_cast<uint32_t>(flags); }

}  // namespace

// -----------------------------------------------------------------------------
// request_resource_conflict()

absl::StatusOr<ResourceId> ResourceTree::Request(ResourceId parent,
                                                 const ResourceSpec& spec) {
  const uint32_t p = IndexOf(parent);
  if (p == kNoIndex) return Stale(parent, "request_resource");
  const Range& r = spec.range;
  const uint32_t conflict = PlacementConflict(p, r);
  if (conflict != kNoIndex) {
    return MakeKernelStatus(
        KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(conflict),
        absl::StrCat("request_resource ",
                     DescribeRange(r, spec.flags, spec.name),
                     conflict == p ? ": does not fit in its parent "
                                   : ": conflicts with ",
                     Describe(conflict)));
  }
  if (const uint32_t chunk = FenceConflict(p); chunk != kNoIndex) {
    return FenceStatus("request_resource", r, spec.name, chunk);
  }
  return MakeId(AddNode(r, spec.name, spec.flags, spec.desc, p));
}

// -----------------------------------------------------------------------------
// __insert_resource(), insert_resource_expand_to_fit()

ResourceTree::InsertPlan ResourceTree::PlanInsert(uint32_t parent,
                                                  const Range& r) const {
  InsertPlan plan;
  uint32_t first = kNoIndex;
  for (;;) {
    first = PlacementConflict(parent, r);
    if (first == parent) {
      plan.conflict = parent;
      return plan;
    }
    if (first == kNoIndex) {
      plan.parent = parent;
      return plan;
    }
    const Range f = NodeRange(first);
    // Descend only into a node that strictly contains the new range.
    if (f.first() > r.first() || f.last() < r.last() || f == r) break;
    parent = first;
  }
  // Adopt `first` and the siblings after it that start inside the range;
  // each must lie completely inside it.
  size_t count = 0;
  for (auto it = Index().find(ChildKey{parent, first, N(first).first});
       it != Index().end() && it->parent == parent && it->start <= r.last();
       ++it) {
    const Node& n = N(it->child);
    if (n.first < r.first() || n.last > r.last()) {
      plan.conflict = it->child;
      return plan;
    }
    ++count;
  }
  plan.parent = parent;
  plan.first = first;
  plan.count = count;
  return plan;
}

uint32_t ResourceTree::CommitInsert(const InsertPlan& plan, const Range& r,
                                    absl::string_view name, uint64_t flags,
                                    uint32_t desc) {
  std::vector<uint32_t> adopted;
  adopted.reserve(plan.count);
  if (plan.first != kNoIndex) {
    auto it =
        Index().find(ChildKey{plan.parent, plan.first, N(plan.first).first});
    for (size_t k = 0; k < plan.count; ++k, ++it) adopted.push_back(it->child);
  }
  const uint32_t i =
      store_.Allocate(r, store_.Intern(name), flags, desc, plan.parent);
  // Move the adopted run first: the new node may start where one of them
  // does, and the index allows one child per start.
  for (uint32_t c : adopted) store_.SetParent(c, i);
  store_.Link(i);
  return i;
}

absl::StatusOr<ResourceId> ResourceTree::Insert(ResourceId parent,
                                                const ResourceSpec& spec) {
  const uint32_t p = IndexOf(parent);
  if (p == kNoIndex) return Stale(parent, "insert_resource");
  const InsertPlan plan = PlanInsert(p, spec.range);
  if (plan.conflict != kNoIndex) {
    return MakeKernelStatus(
        KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(plan.conflict),
        absl::StrCat("insert_resource ",
                     DescribeRange(spec.range, spec.flags, spec.name),
                     plan.conflict == p ? ": does not fit in its parent "
                                        : ": partially overlaps ",
                     Describe(plan.conflict)));
  }
  if (const uint32_t chunk = FenceConflict(plan.parent, plan.first, plan.count);
      chunk != kNoIndex) {
    return FenceStatus("insert_resource", spec.range, spec.name, chunk);
  }
  return MakeId(
      CommitInsert(plan, spec.range, spec.name, spec.flags, spec.desc));
}

absl::StatusOr<ResourceId> ResourceTree::InsertExpandToFit(
    ResourceId root, const ResourceSpec& spec,
    std::vector<ResourceId>* expanded_over) {
  const uint32_t p = IndexOf(root);
  if (p == kNoIndex) return Stale(root, "insert_resource_expand_to_fit");
  Range r = spec.range;
  std::vector<ResourceId> over;
  // Each round grows r over a node it partially overlapped, which it then
  // contains for good, so there are at most size() rounds.
  for (;;) {
    const InsertPlan plan = PlanInsert(p, r);
    if (plan.conflict == kNoIndex) {
      if (const uint32_t chunk =
              FenceConflict(plan.parent, plan.first, plan.count);
          chunk != kNoIndex) {
        return FenceStatus("insert_resource_expand_to_fit", r, spec.name,
                           chunk);
      }
      const uint32_t i =
          CommitInsert(plan, r, spec.name, spec.flags, spec.desc);
      if (expanded_over != nullptr) *expanded_over = std::move(over);
      return MakeId(i);
    }
    if (plan.conflict == p) {
      return MakeKernelStatus(
          KernelOutcome::kNotInserted, 0, MakeId(p),
          absl::StrCat("insert_resource_expand_to_fit ",
                       DescribeRange(spec.range, spec.flags, spec.name),
                       over.empty()
                           ? ""
                           : absl::StrCat(" (expanded to ", r.ToString(), ")"),
                       ": does not fit in ", Describe(p),
                       "; the kernel silently does not insert it"));
    }
    // A conflict overlaps `r`: the union exists.
    r = *r.Union(NodeRange(plan.conflict));
    over.push_back(MakeId(plan.conflict));
  }
}

// -----------------------------------------------------------------------------
// remove_resource(), release_resource(), release_child_resources()

absl::Status ResourceTree::Remove(ResourceId id) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "remove_resource");
  if (i == kRootIndex) {
    return MakeKernelStatus(KernelOutcome::kContractViolation, kerrno::kEINVAL,
                            ResourceId(),
                            "remove_resource of the root: the kernel "
                            "dereferences its NULL parent");
  }
  const uint32_t parent = N(i).parent;
  std::vector<uint32_t> kids;
  AppendChildIndices(i, &kids);
  // Unlink first: a child may start where `i` starts.
  store_.Unlink(i);
  for (uint32_t c : kids) store_.SetParent(c, parent);
  store_.Free(i);
  return absl::OkStatus();
}

absl::Status ResourceTree::Release(ResourceId id) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "release_resource");
  if (i == kRootIndex) {
    return MakeKernelStatus(KernelOutcome::kContractViolation, kerrno::kEINVAL,
                            ResourceId(),
                            "release_resource of the root: the kernel "
                            "dereferences its NULL parent");
  }
  FreeSubtree(i);
  return absl::OkStatus();
}

absl::Status ResourceTree::ReleaseChildren(ResourceId id) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "release_child_resources");
  std::vector<uint32_t> kids;
  AppendChildIndices(i, &kids);
  for (uint32_t c : kids) FreeSubtree(c);
  return absl::OkStatus();
}

// -----------------------------------------------------------------------------
// __adjust_resource()

bool ResourceTree::CanAdjust(uint32_t i, uint64_t first, uint64_t last) const {
  const Node& n = N(i);
  if (n.parent != kNoIndex) {
    const Node& p = N(n.parent);
    if (first < p.first || last > p.last) return false;
    const uint32_t next = NextSiblingIndex(i);
    if (next != kNoIndex && N(next).first <= last) return false;
    const uint32_t prev = PrevSiblingIndex(i);
    if (prev != kNoIndex && first <= N(prev).last) return false;
  }
  // Children are sorted and disjoint: the first has the lowest start, the
  // last the highest end.
  const uint32_t fc = FirstChildIndex(i);
  if (fc != kNoIndex) {
    if (N(fc).first < first) return false;
    auto last_it = std::prev(ChildEnd(i));
    if (N(last_it->child).last > last) return false;
  }
  return true;
}

absl::Status ResourceTree::Adjust(ResourceId id, uint64_t start,
                                  uint64_t size) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "adjust_resource");
  const Range r = Range::FromStartSizeWrapping(start, size);
  if (!r.valid()) {
    return MakeKernelStatus(
        KernelOutcome::kContractViolation, kerrno::kEINVAL, ResourceId(),
        absl::StrFormat("adjust_resource %s to start %#x size %#x: end < "
                        "start; the kernel stores the inverted range and its "
                        "tree stops being sorted",
                        Describe(i), start, size));
  }
  if (!CanAdjust(i, r.first(), r.last())) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEBUSY, ResourceId(),
        absl::StrCat("adjust_resource ", Describe(i), " to ", r.ToString(),
                     ": it would leave its parent, reach a sibling or "
                     "uncover a child"));
  }
  store_.Move(i, r.first(), r.last());
  return absl::OkStatus();
}

// -----------------------------------------------------------------------------
// __find_resource(), allocate_resource(), reallocate_resource()

bool ResourceTree::FindSpace(uint32_t root, uint32_t old, uint64_t size,
                             uint64_t new_flags, const AllocConstraint& c,
                             Range* out) const {
  const Node& rt = N(root);
  auto this_it = ChildBegin(root);
  auto at_end = [&](ChildIter it) {
    return it == Index().end() || it->parent != root;
  };
  uint64_t tmp_start = rt.first;
  // A child at the root's start: begin after it (its start - 1 would wrap).
  if (!at_end(this_it) && N(this_it->child).first == rt.first) {
    tmp_start =
        this_it->child == old ? N(old).first : N(this_it->child).last + 1;
    ++this_it;
  }
  // Without `old`, gaps that end before c.min cannot be used: start at the
  // last child starting at or before c.min. (The kernel walks them all.)
  if (old == kNoIndex && c.min > tmp_start) {
    auto p = ChildAtOrBefore(root, c.min);
    if (!at_end(p) && !at_end(this_it) && p->start >= this_it->start) {
      if (N(p->child).last == rt.last) return false;
      tmp_start = N(p->child).last + 1;
      this_it = std::next(p);
    }
  }
  const uint64_t avail_flags = new_flags & ~iores::kUnset;
  for (;;) {
    const bool have_this = !at_end(this_it);
    const uint32_t t = have_this ? this_it->child : kNoIndex;
    // Gaps start ever later: once past c.max, none can be used.
    if (tmp_start > c.max) return false;
    const uint64_t tmp_end =
        !have_this ? rt.last : (t == old ? N(t).last : N(t).first - 1);
    if (tmp_end >= tmp_start) {
      const uint64_t s = std::max(tmp_start, c.min);
      const uint64_t e = std::min(tmp_end, c.max);
      const uint64_t avail_start = KernelAlign(s, c.align);
      if (avail_start >= s) {
        uint64_t alloc_start = avail_start;
        if (c.alignf) {
          AlignRequest req;
          req.avail = Range(avail_start, e);
          req.full_avail = Range(s, e);
          req.flags = avail_flags;
          req.size = size;
          req.align = c.align;
          alloc_start = c.alignf(req);
        }
        const uint64_t alloc_end = alloc_start + size - 1;
        // 6.1 checks against the aligned gap; 7.0 against the clipped gap.
        const uint64_t lo = profile_.split_reparents_children ? s : avail_start;
        if (alloc_start <= alloc_end && lo <= alloc_start && alloc_end <= e) {
          *out = Range(alloc_start, alloc_end);
          return true;
        }
      }
    }
    if (!have_this || N(t).last == rt.last) return false;
    if (t != old) tmp_start = N(t).last + 1;
    ++this_it;
  }
}

absl::StatusOr<ResourceId> ResourceTree::Allocate(
    ResourceId root, const ResourceSpec& spec, uint64_t size,
    const AllocConstraint& constraint) {
  const uint32_t p = IndexOf(root);
  if (p == kNoIndex) return Stale(root, "allocate_resource");
  Range r;
  if (!FindSpace(p, kNoIndex, size, spec.flags, constraint, &r) ||
      PlacementConflict(p, r) != kNoIndex) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEBUSY, ResourceId(),
        absl::StrFormat("allocate_resource \"%s\" size %#x in %s within "
                        "[%#x-%#x] align %#x: no free space",
                        spec.name, size, Describe(p), constraint.min,
                        constraint.max, constraint.align));
  }
  if (const uint32_t chunk = FenceConflict(p); chunk != kNoIndex) {
    return FenceStatus("allocate_resource", r, spec.name, chunk);
  }
  return MakeId(AddNode(r, spec.name, spec.flags, spec.desc, p));
}

absl::Status ResourceTree::Reallocate(ResourceId id, uint64_t size,
                                      const AllocConstraint& constraint) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "reallocate_resource");
  const uint32_t root = N(i).parent;
  if (root == kNoIndex) {
    return MakeKernelStatus(KernelOutcome::kContractViolation, kerrno::kEINVAL,
                            ResourceId(),
                            "reallocate_resource of the root: it has no "
                            "parent to allocate from");
  }
  Range r;
  if (!FindSpace(root, i, size, N(i).flags, constraint, &r)) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEBUSY, ResourceId(),
        absl::StrFormat("reallocate_resource %s to size %#x: no free space",
                        Describe(i), size));
  }
  const Range old = NodeRange(i);
  // resource_contains() is false for UNSET resources.
  const bool unset = (N(i).flags & iores::kUnset) != 0;
  if (!unset && r.Contains(old)) {
    store_.Move(i, r.first(), r.last());
    return absl::OkStatus();
  }
  if (FirstChildIndex(i) != kNoIndex) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEBUSY, ResourceId(),
        absl::StrCat("reallocate_resource ", Describe(i), " to ", r.ToString(),
                     ": it has children and cannot move"));
  }
  if (!unset && old.Contains(r)) {
    store_.Move(i, r.first(), r.last());
    return absl::OkStatus();
  }
  // Release and request at the new place. The space came from the gaps
  // around `i`, so nothing else can be there.
  store_.Unlink(i);
  const bool fits = PlacementConflict(root, r) == kNoIndex;
  RESTREE_CHECK(fits, "reallocate_resource found space that is taken");
  store_.Link(i);
  store_.Move(i, r.first(), r.last());
  return absl::OkStatus();
}

// -----------------------------------------------------------------------------
// __request_region(), __release_region()

absl::StatusOr<ResourceId> ResourceTree::RequestRegion(ResourceId parent,
                                                       uint64_t start,
                                                       uint64_t n,
                                                       absl::string_view name,
                                                       uint64_t flags) {
  uint32_t p = IndexOf(parent);
  if (p == kNoIndex) return Stale(parent, "__request_region");
  flags = KernelIntFlags(flags);
  const Range r = Range::FromStartSizeWrapping(start, n);
  for (;;) {
    const Node& pn = N(p);
    const uint64_t res_flags = ResourceType(pn.flags) |
                               ResourceExtType(pn.flags) | iores::kBusy | flags;
    const uint32_t res_desc = pn.desc;
    const uint32_t conflict = PlacementConflict(p, r);
    if (conflict == kNoIndex) {
      if (const uint32_t chunk = FenceConflict(p); chunk != kNoIndex) {
        return FenceStatus("__request_region", r, name, chunk);
      }
      return MakeId(AddNode(r, name, res_flags, res_desc, p));
    }
    const uint64_t cflags = N(conflict).flags;
    if (conflict != p && (cflags & iores::kBusy) == 0) {
      p = conflict;
      continue;
    }
    if ((cflags & flags & iores::kMuxed) != 0) {
      return MakeKernelStatus(
          KernelOutcome::kWouldSleep, kerrno::kEBUSY, MakeId(conflict),
          absl::StrCat("__request_region ", DescribeRange(r, res_flags, name),
                       ": muxed region ", Describe(conflict),
                       " is busy; the kernel sleeps until it is released"));
    }
    return MakeKernelStatus(
        KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(conflict),
        absl::StrCat("__request_region ", DescribeRange(r, res_flags, name),
                     conflict == p ? ": does not fit in " : ": conflicts with ",
                     Describe(conflict)));
  }
}

absl::Status ResourceTree::ReleaseRegion(ResourceId parent, uint64_t start,
                                         uint64_t n) {
  uint32_t p = IndexOf(parent);
  if (p == kNoIndex) return Stale(parent, "__release_region");
  const Range r = Range::FromStartSizeWrapping(start, n);
  auto nonexistent = [&] {
    return MakeKernelStatus(
        KernelOutcome::kNotFound, 0, ResourceId(),
        absl::StrFormat("__release_region: Trying to free nonexistent "
                        "resource <0x%016x-0x%016x>",
                        r.first(), r.last()));
  };
  // An inverted range is never exactly a node's range: the kernel walks down
  // and warns.
  if (!r.valid()) return nonexistent();
  for (;;) {
    auto it = ChildAtOrBefore(p, r.first());
    if (it == Index().end() || it->parent != p ||
        N(it->child).last < r.last()) {
      return nonexistent();
    }
    const uint32_t c = it->child;
    if ((N(c).flags & iores::kBusy) == 0) {
      p = c;
      continue;
    }
    if (NodeRange(c) != r) return nonexistent();
    FreeSubtree(c);
    return absl::OkStatus();
  }
}

// -----------------------------------------------------------------------------
// release_mem_region_adjustable()

absl::StatusOr<ResourceId> ResourceTree::ReleaseMemRegionAdjustable(
    uint64_t start, uint64_t size) {
  const Range r = Range::FromStartSizeWrapping(start, size);
  if (size == 0 || !r.valid()) {
    return MakeKernelStatus(
        KernelOutcome::kContractViolation, kerrno::kEINVAL, ResourceId(),
        absl::StrFormat("release_mem_region_adjustable start %#x size %#x: "
                        "the range is empty or wraps; memory hot-remove "
                        "never passes one",
                        start, size));
  }
  if (!NodeRange(kRootIndex).Contains(r)) {
    return MakeKernelStatus(
        KernelOutcome::kWarned, 0, ResourceId(),
        absl::StrCat("release_mem_region_adjustable ", r.ToString(),
                     ": outside the root (WARN_ON_ONCE)"));
  }
  auto not_found = [&] {
    return MakeKernelStatus(
        KernelOutcome::kNotFound, 0, ResourceId(),
        absl::StrCat("release_mem_region_adjustable ", r.ToString(),
                     ": no busy memory resource contains it"));
  };
  uint32_t p = kRootIndex;
  uint32_t c;
  for (;;) {
    auto it = ChildAtOrBefore(p, r.first());
    if (it == Index().end() || it->parent != p) return not_found();
    c = it->child;
    // The kernel stops at the first child starting at or after `end`.
    if (N(c).first >= r.last() || N(c).last < r.last()) {
      return not_found();
    }
    if ((N(c).flags & iores::kMem) == 0) return not_found();
    if ((N(c).flags & iores::kBusy) != 0) break;
    p = c;
  }
  const Range cr = NodeRange(c);
  auto warn = [&](absl::string_view what) {
    return MakeKernelStatus(
        KernelOutcome::kWarned, 0, ResourceId(),
        absl::StrCat("release_mem_region_adjustable ", r.ToString(), " from ",
                     Describe(c), ": ", what, " (WARN_ON_ONCE)"));
  };
  if (cr == r) {
    FreeSubtree(c);
    return ResourceId();
  }
  if (cr.first() == r.first()) {
    if (!CanAdjust(c, r.last() + 1, cr.last())) {
      return warn("children would be left outside the remaining part");
    }
    store_.Move(c, r.last() + 1, cr.last());
    return ResourceId();
  }
  if (cr.last() == r.last()) {
    if (!CanAdjust(c, cr.first(), r.first() - 1)) {
      return warn("children would be left outside the remaining part");
    }
    store_.Move(c, cr.first(), r.first() - 1);
    return ResourceId();
  }
  // Split into [cr.first, start-1] (the original node) and [end+1, cr.last]
  // (a new node). Children that stay must fit the lower part.
  std::vector<uint32_t> move_up;
  bool fits = true;
  for (auto it = ChildBegin(c); it != Index().end() && it->parent == c; ++it) {
    const Node& k = N(it->child);
    if (profile_.split_reparents_children && k.first > r.last()) {
      move_up.push_back(it->child);
    } else if (k.last >= r.first()) {
      fits = false;
    }
  }
  if (!fits) {
    return warn(profile_.split_reparents_children
                    ? "a child overlaps the removed range (7.0 also loses the "
                      "children it already moved; restree keeps the tree)"
                    : "children above the cut would be orphaned");
  }
  const uint32_t high = store_.Allocate(Range(r.last() + 1, cr.last()),
                                        N(c).name, N(c).flags, N(c).desc, p);
  store_.Move(c, cr.first(), r.first() - 1);
  store_.Link(high);
  for (uint32_t k : move_up) store_.SetParent(k, high);
  return MakeId(high);
}

// -----------------------------------------------------------------------------
// merge_system_ram_resource()

absl::StatusOr<ResourceId> ResourceTree::MergeSystemRam(ResourceId id) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "merge_system_ram_resource");
  constexpr uint64_t kNeed = iores::kSystemRam | iores::kBusy;
  if ((N(i).flags & kNeed) != kNeed) {
    return MakeKernelStatus(
        KernelOutcome::kWarned, 0, ResourceId(),
        absl::StrCat("merge_system_ram_resource ", Describe(i),
                     ": not SYSTEM_RAM|BUSY (WARN_ON_ONCE)"));
  }
  if (i == kRootIndex) {
    return MakeKernelStatus(KernelOutcome::kContractViolation, kerrno::kEINVAL,
                            ResourceId(),
                            "merge_system_ram_resource of the root: the "
                            "kernel dereferences its NULL parent");
  }
  store_.SetFlags(i, N(i).flags | iores::kSysramMergeable);
  auto mergeable = [&](uint32_t a, uint32_t b) {
    const Node& x = N(a);
    const Node& y = N(b);
    // The kernel compares name pointers; restree compares text (a name's
    // text is one load away, and equal ids are equal text).
    return x.flags == y.flags && x.last + 1 == y.first &&
           (x.name == y.name || store_.name(a) == store_.name(b)) &&
           x.desc == y.desc && FirstChildIndex(a) == kNoIndex &&
           FirstChildIndex(b) == kNoIndex;
  };
  const uint32_t next = NextSiblingIndex(i);
  if (next != kNoIndex && mergeable(i, next)) {
    const uint64_t last = N(next).last;
    store_.Unlink(next);
    store_.Free(next);
    store_.Move(i, N(i).first, last);
  }
  const uint32_t prev = PrevSiblingIndex(i);
  if (prev != kNoIndex && mergeable(prev, i)) {
    const uint64_t last = N(i).last;
    store_.Unlink(i);
    store_.Free(i);
    store_.Move(prev, N(prev).first, last);
    return MakeId(prev);
  }
  return MakeId(i);
}

// -----------------------------------------------------------------------------
// get_free_mem_region()

// The lowest child of `parent` overlapping each of a series of candidates
// that only move up (or only down): what LowestOverlappingChild() answers,
// but found by stepping through the index from where the previous
// candidate's answer was. One O(log n) search, then O(1) amortised per child
// passed, where a search per candidate would cost O(log n) for each.
// Precondition for descending: a candidate follows a taken one only from
// below that one's answer (as get_free_mem_region jumps).
class ResourceTree::GfrCursor {
 public:
  GfrCursor(const ResourceTree& tree, uint32_t parent, bool descending)
      : t_(tree), parent_(parent), descending_(descending) {}

  uint32_t Lowest(const Range& cand) {
    if (!started_) {
      at_ = descending_ ? t_.ChildAtOrBefore(parent_, cand.last())
                        : t_.FirstChildReaching(parent_, cand.first());
      started_ = true;
    }
    if (!descending_) {
      while (Valid(at_) && t_.N(at_->child).last < cand.first()) ++at_;
      return Valid(at_) && at_->start <= cand.last() ? at_->child : kNoIndex;
    }
    while (Valid(at_) && at_->start > cand.last()) at_ = Prev(at_);
    uint32_t lowest = kNoIndex;
    for (ChildIter j = at_; Valid(j) && t_.N(j->child).last >= cand.first();
         j = Prev(j)) {
      lowest = j->child;
      at_ = Prev(j);  // the next candidate lies below `lowest`
    }
    return lowest;
  }

 private:
  bool Valid(ChildIter it) const {
    return it != t_.Index().end() && it->parent == parent_;
  }
  ChildIter Prev(ChildIter it) const {
    return it == t_.Index().begin() ? t_.Index().end() : std::prev(it);
  }

  const ResourceTree& t_;
  const uint32_t parent_;
  const bool descending_;
  bool started_ = false;
  ChildIter at_;
};

absl::StatusOr<ResourceId> ResourceTree::GetFreeMemRegion(
    ResourceId base, uint64_t size, uint64_t align, absl::string_view name,
    uint32_t desc, FreeRegionMode mode) {
  const uint32_t b = IndexOf(base);
  if (b == kNoIndex) return Stale(base, "get_free_mem_region");
  const Node bn = N(b);
  size = KernelAlign(size, align);
  const uint64_t step = profile_.gfr_step_is_align ? align : size;
  const uint64_t limit = std::min(bn.last, profile_.physmem_end);
  auto contract = [&](absl::string_view what) {
    return MakeKernelStatus(
        KernelOutcome::kContractViolation, kerrno::kEINVAL, ResourceId(),
        absl::StrFormat("get_free_mem_region size %#x align %#x in %s: %s",
                        size, align, Describe(b), what));
  };
  auto erange = [&] {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kERANGE, ResourceId(),
        absl::StrFormat("get_free_mem_region \"%s\" size %#x align %#x in %s: "
                        "no free range",
                        name, size, align, Describe(b)));
  };
  uint64_t addr;
  if (mode.descending) {
    if (size == 0 || size - 1 > limit) {
      return contract("the first candidate wraps below 0");
    }
    addr = limit - size + 1;
  } else {
    addr = KernelAlign(profile_.gfr_ascending_skips_zero
                           ? std::max(bn.first, align)
                           : bn.first,
                       align);
  }
  GfrCursor overlap(*this, b, mode.descending);
  for (;;) {
    // gfr_continue()
    if (mode.descending) {
      if (!(addr > step && addr >= bn.first)) return erange();
    } else {
      if (!(addr > addr - step && addr <= limit)) return erange();
    }
    const Range cand = Range::FromStartSizeWrapping(addr, size);
    if (!cand.valid()) {
      return contract("a candidate range wraps past 2^64-1");
    }
    const uint32_t c = overlap.Lowest(cand);
    if (c != kNoIndex) {
      if (step == 0) {
        return contract(
            "the step is 0 and the candidate is taken: the "
            "kernel loops forever");
      }
      // Every candidate from here to the computed one overlaps child `c`
      // too (a lower one for ascending, the lowest for descending): jump.
      const absl::uint128 s = step;
      if (mode.descending) {
        const Node& cn = N(c);
        if (cn.first < size) return erange();
        const uint64_t target = cn.first - size;  // highest start that fits
        const absl::uint128 k = (absl::uint128(addr) - target + s - 1) / s;
        if (k * s > addr) return erange();
        addr -= static_cast<uint64_t>(k * s);
      } else {
        const absl::uint128 k = (absl::uint128(N(c).last) - addr) / s + 1;
        absl::uint128 next = absl::uint128(addr) + k * s;
        // Stop at the first candidate whose range would wrap, so that the
        // check above sees it. That candidate comes before `next`, so it is
        // tested first: the kernel reaches it even when `next` itself would
        // lie past 2^64-1.
        const absl::uint128 wrap_at = absl::uint128(kMaxAddress) - size + 2;
        if (next >= wrap_at && addr < wrap_at) {
          const absl::uint128 kw = (wrap_at - addr + s - 1) / s;
          next = absl::uint128(addr) + kw * s;
        }
        if (next > kMaxAddress) return erange();
        addr = static_cast<uint64_t>(next);
      }
      continue;
    }
    if (mode.request_region) {
      absl::StatusOr<ResourceId> id =
          RequestRegion(root(), cand.first(), size, name, 0);
      if (!id.ok()) {
        // The fence's refusal is not the kernel's failed request: say so.
        const KernelError e = GetKernelError(id.status());
        if (chunk_fence_ && IsChunk(e.conflict)) return id.status();
        return erange();
      }
      store_.SetDesc(IndexOf(*id), desc);
      return id;
    }
    // The kernel's __insert_resource() fails (and the search ends) when the
    // candidate reaches past `base`.
    if (!Range(bn.first, bn.last).Contains(cand)) return erange();
    if (const uint32_t chunk = FenceConflict(b); chunk != kNoIndex) {
      return FenceStatus("get_free_mem_region", cand, name, chunk);
    }
    return MakeId(AddNode(cand, name, iores::kMem, desc, b));
  }
}

absl::StatusOr<ResourceId> ResourceTree::AllocFreeMemRegion(
    ResourceId base, uint64_t size, uint64_t align, absl::string_view name) {
  return GetFreeMemRegion(base, size, align, name, iores_desc::kNone,
                          FreeRegionMode{});
}

absl::StatusOr<ResourceId> ResourceTree::RequestFreeMemRegion(
    ResourceId base, uint64_t size, absl::string_view name) {
  FreeRegionMode mode;
  mode.descending = true;
  mode.request_region = true;
  return GetFreeMemRegion(base, size, profile_.gfr_default_align, name,
                          iores_desc::kDevicePrivateMemory, mode);
}

// -----------------------------------------------------------------------------
// __region_intersects()

RegionIntersection ResourceTree::RegionIntersects(uint64_t start, uint64_t size,
                                                  uint64_t flags,
                                                  uint32_t desc) const {
  const Range res = Range::FromStartSizeWrapping(start, size);
  int type = 0;
  int other = 0;
  // The root's children that overlap `res` (kernel arithmetic, so an
  // inverted `res` overlaps only a child spanning both of its ends).
  std::vector<uint32_t> top;
  auto it = FirstChildReaching(kRootIndex, res.first());
  for (; it != Index().end() && it->parent == kRootIndex &&
         it->start <= res.last();
       ++it) {
    if (NodeRange(it->child).Overlaps(res)) top.push_back(it->child);
  }
  for (uint32_t p : top) {
    const Node& pn = N(p);
    if (IsTypeMatch(pn.flags, pn.desc, flags, desc)) {
      ++type;
      continue;
    }
    if (!profile_.region_intersects_descendants) {
      ++other;
      continue;
    }
    uint64_t o_first = std::max(pn.first, res.first());
    const uint64_t o_last = std::min(pn.last, res.last());
    bool covered = false;
    bool stop = false;
    // Pre-order over p's descendants that overlap `res`; a node that does
    // not overlap cannot have descendants that do.
    std::vector<std::pair<uint32_t, ChildIter>> stack;
    stack.emplace_back(p, FirstChildReaching(p, res.first()));
    while (!stack.empty() && !stop) {
      auto& [parent, cit] = stack.back();
      if (cit == Index().end() || cit->parent != parent ||
          cit->start > res.last()) {
        stack.pop_back();
        continue;
      }
      const uint32_t dp = cit->child;
      ++cit;
      const Node& dn = N(dp);
      if (!NodeRange(dp).Overlaps(res)) continue;
      if (IsTypeMatch(dn.flags, dn.desc, flags, desc)) {
        ++type;
        if (dn.first > o_first) {
          stop = true;
          break;
        }
        if (dn.last >= o_last) {
          covered = true;
          stop = true;
          break;
        }
        o_first = std::max(o_first, dn.last + 1);
      }
      stack.emplace_back(dp, FirstChildReaching(dp, res.first()));
    }
    if (!covered) ++other;
  }
  if (type == 0) return RegionIntersection::kDisjoint;
  if (other == 0) return RegionIntersection::kIntersects;
  return RegionIntersection::kMixed;
}

// -----------------------------------------------------------------------------
// find_next_iomem_res(), walk_iomem_res_desc()

absl::StatusOr<std::vector<WalkMatch>> ResourceTree::Walk(uint32_t desc,
                                                          uint64_t flags,
                                                          uint64_t start,
                                                          uint64_t end) const {
  std::vector<WalkMatch> out;
  while (start < end) {
    // The first node in pre-order that overlaps [start, end] and matches.
    uint32_t found = kNoIndex;
    std::vector<std::pair<uint32_t, ChildIter>> stack;
    stack.emplace_back(kRootIndex, FirstChildReaching(kRootIndex, start));
    while (!stack.empty() && found == kNoIndex) {
      auto& [parent, cit] = stack.back();
      if (cit == Index().end() || cit->parent != parent) {
        stack.pop_back();
        continue;
      }
      const uint32_t c = cit->child;
      ++cit;
      const Node& n = N(c);
      // Pre-order starts never decrease: past `end`, nothing follows.
      if (n.first > end) break;
      if (n.last < start) continue;
      if (IsTypeMatch(n.flags, n.desc, flags, desc)) {
        found = c;
        break;
      }
      stack.emplace_back(c, FirstChildReaching(c, start));
    }
    if (found == kNoIndex) break;
    const Node& n = N(found);
    WalkMatch m;
    m.range = Range(std::max(start, n.first), std::min(end, n.last));
    m.flags = n.flags;
    m.desc = n.desc;
    m.node = MakeId(found);
    m.parent = n.parent == kNoIndex ? ResourceId() : MakeId(n.parent);
    out.push_back(m);
    if (m.range.last() == kMaxAddress) {
      return MakeKernelStatus(
          KernelOutcome::kContractViolation, kerrno::kEINVAL, ResourceId(),
          absl::StrFormat("walk_iomem_res_desc up to %#x: match %s ends at "
                          "2^64-1, so the kernel's next start wraps to 0 and "
                          "it loops forever",
                          end, Describe(found)));
    }
    start = m.range.last() + 1;
  }
  return out;
}

absl::StatusOr<std::vector<WalkMatch>> ResourceTree::WalkSystemRam(
    uint64_t start, uint64_t end) const {
  return Walk(iores_desc::kNone, iores::kSystemRam | iores::kBusy, start, end);
}

absl::StatusOr<std::vector<WalkMatch>> ResourceTree::WalkMem(
    uint64_t start, uint64_t end) const {
  return Walk(iores_desc::kNone, iores::kMem | iores::kBusy, start, end);
}

}  // namespace restree
