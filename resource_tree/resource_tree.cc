// Storage, navigation and invariant checking of ResourceTree. The
// kernel-compatible operations are in kernel_ops.cc.

#include "resource_tree/resource_tree.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace restree {

absl::string_view RegionIntersectionName(RegionIntersection r) {
  switch (r) {
    case RegionIntersection::kIntersects:
      return "REGION_INTERSECTS";
    case RegionIntersection::kDisjoint:
      return "REGION_DISJOINT";
    case RegionIntersection::kMixed:
      return "REGION_MIXED";
  }
  return "?";
}

absl::string_view InvariantKindName(InvariantViolation::Kind kind) {
  switch (kind) {
    case InvariantViolation::Kind::kInvalidRange:
      return "invalid-range";
    case InvariantViolation::Kind::kOutsideParent:
      return "outside-parent";
    case InvariantViolation::Kind::kUnsortedSiblings:
      return "unsorted-siblings";
    case InvariantViolation::Kind::kOverlappingSiblings:
      return "overlapping-siblings";
    case InvariantViolation::Kind::kPartialOverlap:
      return "partial-overlap";
    case InvariantViolation::Kind::kRootSlot:
      return "root-slot";
    case InvariantViolation::Kind::kDeadParent:
      return "dead-parent";
    case InvariantViolation::Kind::kLiveCount:
      return "live-count";
    case InvariantViolation::Kind::kFreeList:
      return "free-list";
    case InvariantViolation::Kind::kIndexEntry:
      return "index-entry";
    case InvariantViolation::Kind::kCycle:
      return "cycle";
    case InvariantViolation::Kind::kSlotOrder:
      return "slot-order";
    case InvariantViolation::Kind::kNameRefs:
      return "name-refs";
    case InvariantViolation::Kind::kUnreachable:
      return "unreachable";
    case InvariantViolation::Kind::kPreorderNotMonotone:
      return "preorder-not-monotone";
    case InvariantViolation::Kind::kBadName:
      return "bad-name";
    case InvariantViolation::Kind::kMemoryHotplug:
      return "memory-hotplug";
    case InvariantViolation::Kind::kCxl:
      return "cxl";
  }
  return "?";
}

ResourceTree ResourceTree::Iomem(KernelProfile profile) {
  return ResourceTree({Range::Full(), "PCI mem", iores::kMem, 0},
                      std::move(profile));
}

ResourceTree ResourceTree::Ioport(uint64_t io_space_limit,
                                  KernelProfile profile) {
  return ResourceTree({Range(0, io_space_limit), "PCI IO", iores::kIo, 0},
                      std::move(profile));
}

ResourceTree::ResourceTree(const ResourceSpec& root, KernelProfile profile)
    : profile_(std::move(profile)),
      store_(root.range, root.name, root.flags, root.desc) {}

ResourceTree ResourceTree::FromStore(internal::NodeStore store,
                                     KernelProfile profile) {
  ResourceTree t({Range(0, 0), "", 0, 0}, std::move(profile));
  t.store_ = std::move(store);
  return t;
}

// -----------------------------------------------------------------------------
// Slots and the child index.

uint32_t ResourceTree::IndexOf(ResourceId id) const {
  if (!id.valid() || id.index_ >= store_.slot_count()) return kNoIndex;
  if (store_.node(id.index_).generation != id.generation_) return kNoIndex;
  return id.index_;
}

bool ResourceTree::Contains(ResourceId id) const {
  return IndexOf(id) != kNoIndex;
}

ResourceTree::ChildIter ResourceTree::ChildBegin(uint32_t parent) const {
  return Index().lower_bound(ChildKey{parent, 0, 0});
}

ResourceTree::ChildIter ResourceTree::ChildEnd(uint32_t parent) const {
  return Index().lower_bound(ChildKey{parent + 1, 0, 0});
}

ResourceTree::ChildIter ResourceTree::ChildAtOrBefore(uint32_t parent,
                                                      uint64_t addr) const {
  auto it = Index().upper_bound(ChildKey{parent, 0, addr});
  if (it == Index().begin()) return ChildEnd(parent);
  --it;
  if (it->parent != parent) return ChildEnd(parent);
  return it;
}

void ResourceTree::AppendChildIndices(uint32_t parent,
                                      std::vector<uint32_t>* out) const {
  for (auto it = ChildBegin(parent);
       it != Index().end() && it->parent == parent; ++it) {
    out->push_back(it->child);
  }
}

ResourceTree::ChildIter ResourceTree::FirstChildReaching(uint32_t parent,
                                                         uint64_t addr) const {
  auto it = ChildAtOrBefore(parent, addr);
  if (it == Index().end() || it->parent != parent) return ChildBegin(parent);
  if (N(it->child).last < addr) return std::next(it);
  return it;
}

uint32_t ResourceTree::PlacementConflict(uint32_t parent,
                                         const Range& r) const {
  if (!r.valid() || !NodeRange(parent).Contains(r)) return parent;
  return LowestOverlappingChild(parent, r);
}

uint32_t ResourceTree::LowestOverlappingChild(uint32_t parent,
                                              const Range& r) const {
  // Siblings are sorted and disjoint, so the lowest child reaching r.first is
  // either the last one starting at or before it, or the next one.
  auto it = Index().upper_bound(ChildKey{parent, 0, r.first()});
  if (it != Index().begin()) {
    auto prev = std::prev(it);
    if (prev->parent == parent && N(prev->child).last >= r.first()) {
      return prev->child;
    }
  }
  if (it != Index().end() && it->parent == parent && it->start <= r.last()) {
    return it->child;
  }
  return kNoIndex;
}

uint32_t ResourceTree::FirstChildIndex(uint32_t parent) const {
  auto it = ChildBegin(parent);
  if (it == Index().end() || it->parent != parent) return kNoIndex;
  return it->child;
}

uint32_t ResourceTree::NextSiblingIndex(uint32_t i) const {
  const Node& n = N(i);
  if (n.parent == kNoIndex) return kNoIndex;
  auto it = Index().upper_bound(ChildKey{n.parent, 0, n.first});
  if (it == Index().end() || it->parent != n.parent) return kNoIndex;
  return it->child;
}

uint32_t ResourceTree::PrevSiblingIndex(uint32_t i) const {
  const Node& n = N(i);
  if (n.parent == kNoIndex) return kNoIndex;
  auto it = Index().lower_bound(ChildKey{n.parent, 0, n.first});
  if (it == Index().begin()) return kNoIndex;
  --it;
  if (it->parent != n.parent) return kNoIndex;
  return it->child;
}

uint32_t ResourceTree::LastChildIndex(uint32_t parent) const {
  auto end = ChildEnd(parent);
  if (end == Index().begin()) return kNoIndex;
  auto it = std::prev(end);
  return it->parent == parent ? it->child : kNoIndex;
}

uint32_t ResourceTree::AddNode(const Range& r, absl::string_view name,
                               uint64_t flags, uint32_t desc, uint32_t parent) {
  const uint32_t i =
      store_.Allocate(r, store_.Intern(name), flags, desc, parent);
  store_.Link(i);
  return i;
}

void ResourceTree::FreeSubtree(uint32_t i) {
  std::vector<uint32_t> doomed = {i};
  for (size_t k = 0; k < doomed.size(); ++k) {
    AppendChildIndices(doomed[k], &doomed);
  }
  for (uint32_t d : doomed) store_.Unlink(d);
  // Free in reverse, so the slots go back to the free list in the order a
  // rollback expects (any order would keep the tree valid).
  for (auto it = doomed.rbegin(); it != doomed.rend(); ++it) store_.Free(*it);
}

// -----------------------------------------------------------------------------
// Navigation.

absl::StatusOr<ResourceView> ResourceTree::Get(ResourceId id) const {
  if (!Contains(id)) return Stale(id, "get");
  return View(id);
}

ResourceView ResourceTree::View(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "View() of a stale id");
  const Node& n = N(i);
  ResourceView v;
  v.id = id;
  v.range = Range(n.first, n.last);
  v.name = store_.names().Get(n.name);
  v.flags = n.flags;
  v.desc = n.desc;
  v.parent = n.parent == kNoIndex ? ResourceId() : MakeId(n.parent);
  return v;
}

Range ResourceTree::RangeOf(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "RangeOf() of a stale id");
  return NodeRange(i);
}

absl::string_view ResourceTree::NameOf(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "NameOf() of a stale id");
  return store_.names().Get(N(i).name);
}

uint64_t ResourceTree::FlagsOf(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "FlagsOf() of a stale id");
  return N(i).flags;
}

uint32_t ResourceTree::DescOf(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "DescOf() of a stale id");
  return N(i).desc;
}

ResourceId ResourceTree::ParentOf(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "ParentOf() of a stale id");
  const uint32_t p = N(i).parent;
  return p == kNoIndex ? ResourceId() : MakeId(p);
}

ResourceId ResourceTree::FirstChild(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "FirstChild() of a stale id");
  const uint32_t c = FirstChildIndex(i);
  return c == kNoIndex ? ResourceId() : MakeId(c);
}

ResourceId ResourceTree::LastChild(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "LastChild() of a stale id");
  auto end = ChildEnd(i);
  if (end == Index().begin()) return ResourceId();
  auto it = std::prev(end);
  return it->parent == i ? MakeId(it->child) : ResourceId();
}

ResourceId ResourceTree::NextSibling(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "NextSibling() of a stale id");
  const uint32_t s = NextSiblingIndex(i);
  return s == kNoIndex ? ResourceId() : MakeId(s);
}

ResourceId ResourceTree::PrevSibling(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "PrevSibling() of a stale id");
  const uint32_t s = PrevSiblingIndex(i);
  return s == kNoIndex ? ResourceId() : MakeId(s);
}

std::vector<ResourceId> ResourceTree::Children(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "Children() of a stale id");
  std::vector<ResourceId> out;
  for (auto it = ChildBegin(i); it != Index().end() && it->parent == i; ++it) {
    out.push_back(MakeId(it->child));
  }
  return out;
}

int ResourceTree::Depth(ResourceId id) const {
  uint32_t i = IndexOf(id);
  RESTREE_CHECK(i != kNoIndex, "Depth() of a stale id");
  int depth = -1;
  while (N(i).parent != kNoIndex) {
    i = N(i).parent;
    ++depth;
  }
  return depth;
}

void ResourceTree::ForEachPreorder(
    absl::FunctionRef<void(ResourceId, int)> fn) const {
  if (store_.preorder_slots()) {
    // Slot order is the pre-order: a node's parent is on the path of
    // ancestors of the node before it, so the path gives the depth.
    std::vector<uint32_t> path = {kRootIndex};
    for (uint32_t i = 1; i < store_.slot_count(); ++i) {
      const uint32_t p = N(i).parent;
      while (path.back() != p) {
        path.pop_back();
        RESTREE_CHECK(!path.empty(), "slots are not in pre-order");
      }
      fn(MakeId(i), static_cast<int>(path.size()) - 1);
      path.push_back(i);
    }
    return;
  }
  // One iterator per level: the next child to visit under that ancestor.
  std::vector<std::pair<uint32_t, ChildIter>> stack;
  stack.emplace_back(kRootIndex, ChildBegin(kRootIndex));
  while (!stack.empty()) {
    auto& [parent, it] = stack.back();
    if (it == Index().end() || it->parent != parent) {
      stack.pop_back();
      continue;
    }
    const uint32_t c = it->child;
    ++it;
    fn(MakeId(c), static_cast<int>(stack.size()) - 1);
    stack.emplace_back(c, ChildBegin(c));
  }
}

bool ResourceTree::ForEachPreorderSlice(
    size_t begin, size_t end,
    absl::FunctionRef<void(ResourceId, int, ptrdiff_t)> fn) const {
  if (!store_.preorder_slots()) return false;
  // Slot i + 1 holds position i. The path of ancestors of the first node,
  // root first, gives its depth; from there as ForEachPreorder.
  const size_t slots = store_.slot_count();
  end = std::min(end, slots - 1);
  if (begin >= end) return true;
  std::vector<uint32_t> path;
  for (uint32_t a = N(static_cast<uint32_t>(begin + 1)).parent;;
       a = N(a).parent) {
    path.push_back(a);
    if (a == kRootIndex) break;
  }
  std::reverse(path.begin(), path.end());
  for (uint32_t i = static_cast<uint32_t>(begin + 1); i <= end; ++i) {
    const uint32_t p = N(i).parent;
    while (path.back() != p) {
      path.pop_back();
      RESTREE_CHECK(!path.empty(), "slots are not in pre-order");
    }
    fn(MakeId(i), static_cast<int>(path.size()) - 1,
       p == kRootIndex ? -1 : static_cast<ptrdiff_t>(p) - 1);
    path.push_back(i);
  }
  return true;
}

std::vector<ResourceId> ResourceTree::PreorderIds() const {
  std::vector<ResourceId> out;
  out.reserve(store_.live_count() - 1);
  ForEachPreorder([&](ResourceId id, int) { out.push_back(id); });
  return out;
}

ResourceId ResourceTree::Lookup(uint64_t addr) const {
  uint32_t cur = kRootIndex;
  for (;;) {
    auto it = ChildAtOrBefore(cur, addr);
    if (it == Index().end() || it->parent != cur || N(it->child).last < addr) {
      return MakeId(cur);
    }
    cur = it->child;
  }
}

ResourceId ResourceTree::LookupResource(ResourceId parent,
                                        uint64_t start) const {
  const uint32_t p = IndexOf(parent);
  if (p == kNoIndex) return ResourceId();
  auto it = Index().find(ChildKey{p, 0, start});
  return it == Index().end() ? ResourceId() : MakeId(it->child);
}

// -----------------------------------------------------------------------------
// Field updates.

absl::Status ResourceTree::SetFlags(ResourceId id, uint64_t flags) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "set flags");
  store_.SetFlags(i, flags);
  return absl::OkStatus();
}

absl::Status ResourceTree::SetDesc(ResourceId id, uint32_t desc) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "set desc");
  store_.SetDesc(i, desc);
  return absl::OkStatus();
}

absl::Status ResourceTree::Rename(ResourceId id, absl::string_view name) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "rename");
  store_.SetName(i, store_.Intern(name));
  return absl::OkStatus();
}

// -----------------------------------------------------------------------------
// Messages.

absl::Status ResourceTree::Stale(ResourceId id, absl::string_view op) const {
  return MakeKernelStatus(absl::StatusCode::kNotFound,
                          KernelOutcome::kContractViolation, kerrno::kEINVAL,
                          ResourceId(),
                          absl::StrCat(op, ": unknown or freed resource id ",
                                       absl::StrFormat("%d", id.value()),
                                       " (the kernel would use freed memory)"));
}

std::string ResourceTree::DescribeRange(const Range& r, uint64_t flags,
                                        absl::string_view name) {
  const char* type = ResourceType(flags) == iores::kIo ? "io" : "mem";
  return absl::StrFormat("[%s 0x%08x-0x%08x] \"%s\"", type, r.first(), r.last(),
                         name);
}

std::string ResourceTree::Describe(uint32_t i) const {
  const Node& n = N(i);
  return DescribeRange(NodeRange(i), n.flags, store_.names().Get(n.name));
}

// -----------------------------------------------------------------------------
// Invariants.

void ResourceTree::CheckIndexAndWalk(size_t live_nodes,
                                     const ReportFn& report) const {
  using Kind = InvariantViolation::Kind;
  const size_t slots = store_.slot_count();
  auto live = [&](uint32_t i) { return store_.IsLive(i); };
  // The child index: every entry names a live child whose parent and start
  // it records; each non-root live node appears exactly once.
  std::vector<uint32_t> entries(slots, 0);
  // The index is ordered by (parent, start), so each parent's entries are
  // one run: kid_list[kid_span[p].first .. kid_span[p].second) is what
  // ChildBegin(p) iterates, kept for the walk below (no lookup per node).
  std::vector<uint32_t> kid_list;
  kid_list.reserve(Index().size());
  std::vector<std::pair<uint32_t, uint32_t>> kid_span(slots, {0, 0});
  for (const ChildKey& k : Index()) {
    if (k.parent < slots) {
      auto& [begin, end] = kid_span[k.parent];
      if (begin == end) begin = static_cast<uint32_t>(kid_list.size());
      kid_list.push_back(k.child);
      end = static_cast<uint32_t>(kid_list.size());
    }
    if (!live(k.child) || k.child == kRootIndex) {
      report(Kind::kIndexEntry, {k.child},
             absl::StrFormat("index entry for dead or root slot %d", k.child));
      continue;
    }
    ++entries[k.child];
    const Node& n = N(k.child);
    if (n.parent != k.parent || n.first != k.start) {
      report(Kind::kIndexEntry, {k.child, k.parent},
             absl::StrFormat("index says %s is under slot %d at %#x; the node "
                             "says slot %d at %#x",
                             Describe(k.child), k.parent, k.start, n.parent,
                             n.first));
    }
  }
  for (uint32_t i = 1; i < slots; ++i) {
    if (live(i) && entries[i] != 1) {
      report(Kind::kIndexEntry, {i},
             absl::StrFormat("%s appears %d times in the child index",
                             Describe(i), entries[i]));
    }
  }

  // Per level: containment, order, disjointness. Reachability from the root
  // through the index, in pre-order, with start monotone.
  std::vector<bool> seen(slots, false);
  seen[kRootIndex] = true;
  size_t reached = 1;
  bool have_prev = false;
  uint64_t prev_start = 0;
  uint32_t prev_node = kNoIndex;
  std::vector<uint32_t> stack;
  stack.reserve(slots);  // each node is pushed at most once
  stack.push_back(kRootIndex);
  // While the tree says its slots are in pre-order (ForEachPreorder() then
  // walks them in slot order), the walk must visit slot 1, 2, 3, ...
  uint32_t expected_slot = 1;
  const bool preorder_slots = store_.preorder_slots();
  if (preorder_slots && !store_.free_slots().empty()) {
    report(Kind::kSlotOrder, {store_.free_slots().front()},
           "slots are marked as in pre-order but some are free");
  }
  while (!stack.empty()) {
    const uint32_t p = stack.back();
    stack.pop_back();
    if (p != kRootIndex && preorder_slots && expected_slot != kNoIndex) {
      if (p != expected_slot) {
        report(Kind::kSlotOrder, {p},
               absl::StrFormat("slots are marked as in pre-order but %s, "
                               "slot %d, is visited where slot %d should be",
                               Describe(p), p, expected_slot));
        expected_slot = kNoIndex;  // one report is enough
      } else {
        ++expected_slot;
      }
    }
    if (p != kRootIndex) {
      if (have_prev && N(p).first < prev_start) {
        report(Kind::kPreorderNotMonotone, {prev_node, p},
               absl::StrFormat("pre-order visits %s after %s", Describe(p),
                               Describe(prev_node)));
      }
      have_prev = true;
      prev_start = N(p).first;
      prev_node = p;
    }
    // The children go onto the stack directly (reversed below, so the
    // lowest is visited first): no allocation per node.
    const size_t first_kid = stack.size();
    uint32_t prev_kid = kNoIndex;
    for (uint32_t k = kid_span[p].first; k < kid_span[p].second; ++k) {
      const uint32_t c = kid_list[k];
      if (!live(c)) continue;
      const Node& n = N(c);
      if (n.first < N(p).first || n.last > N(p).last) {
        report(Kind::kOutsideParent, {c, p},
               absl::StrFormat("%s is not inside its parent %s", Describe(c),
                               Describe(p)));
      }
      if (prev_kid != kNoIndex) {
        const Node& a = N(prev_kid);
        if (a.first >= n.first) {
          report(Kind::kUnsortedSiblings, {prev_kid, c},
                 absl::StrFormat("%s comes before %s", Describe(prev_kid),
                                 Describe(c)));
        } else if (a.last >= n.first) {
          report(Kind::kOverlappingSiblings, {prev_kid, c},
                 absl::StrFormat("siblings %s and %s overlap",
                                 Describe(prev_kid), Describe(c)));
        }
      }
      prev_kid = c;
      if (seen[c]) {
        report(Kind::kCycle, {c},
               absl::StrFormat("%s is reached twice (a cycle?)", Describe(c)));
        continue;
      }
      seen[c] = true;
      ++reached;
      stack.push_back(c);
    }
    std::reverse(stack.begin() + first_kid, stack.end());
  }
  if (reached != live_nodes) {
    for (uint32_t i = 0; i < slots; ++i) {
      if (live(i) && !seen[i]) {
        report(
            Kind::kUnreachable, {i},
            absl::StrFormat("%s is not reachable from the root", Describe(i)));
      }
    }
  }
}

void ResourceTree::CheckPreorderSlots(const ReportFn& report) const {
  using Kind = InvariantViolation::Kind;
  // No child index yet (a tree from TreeBuilder, never changed): the
  // structure is the parent links and the slot order, checked in one pass
  // without building the index. Slots 1, 2, ... must be a pre-order walk:
  // each node's parent is on the path of open nodes, and among its siblings
  // the slot order is the address order. Parents come before their
  // children, so every node is reachable and there is no cycle.
  const size_t slots = store_.slot_count();
  struct Open {
    uint32_t slot;
    uint32_t last_kid;  // its child seen last, or kNoIndex
  };
  std::vector<Open> path = {{kRootIndex, kNoIndex}};
  for (uint32_t i = 1; i < slots; ++i) {
    if (!store_.IsLive(i)) {
      report(Kind::kSlotOrder, {i},
             absl::StrFormat("slots are marked as in pre-order but slot %d "
                             "is free",
                             i));
      return;
    }
    const uint32_t p = N(i).parent;
    while (path.size() > 1 && path.back().slot != p) path.pop_back();
    if (path.back().slot != p) {
      report(Kind::kSlotOrder, {i},
             absl::StrFormat("slots are marked as in pre-order but %s, slot "
                             "%d, comes where its parent slot %d is not open",
                             Describe(i), i, p));
      return;  // the walk below relies on the order: one report is enough
    }
    const Node& n = N(i);
    if (n.first < N(p).first || n.last > N(p).last) {
      report(Kind::kOutsideParent, {i, p},
             absl::StrFormat("%s is not inside its parent %s", Describe(i),
                             Describe(p)));
    }
    const uint32_t prev = path.back().last_kid;
    if (prev != kNoIndex) {
      const Node& a = N(prev);
      if (a.first >= n.first) {
        report(Kind::kSlotOrder, {i},
               absl::StrFormat("slots are marked as in pre-order but %s, slot "
                               "%d, starts before its previous sibling %s",
                               Describe(i), i, Describe(prev)));
        return;
      }
      if (a.last >= n.first) {
        report(Kind::kOverlappingSiblings, {prev, i},
               absl::StrFormat("siblings %s and %s overlap", Describe(prev),
                               Describe(i)));
      }
    }
    path.back().last_kid = i;
    path.push_back({i, kNoIndex});
  }
}

std::vector<InvariantViolation> ResourceTree::CheckInvariants() const {
  using Kind = InvariantViolation::Kind;
  std::vector<InvariantViolation> out;
  const size_t slots = store_.slot_count();
  auto id_of = [&](uint32_t i) { return i < slots ? MakeId(i) : ResourceId(); };
  auto report = [&](Kind kind, std::vector<uint32_t> nodes,
                    std::string message) {
    InvariantViolation v;
    v.kind = kind;
    for (uint32_t n : nodes) v.nodes.push_back(id_of(n));
    v.message = std::move(message);
    out.push_back(std::move(v));
  };
  auto live = [&](uint32_t i) { return store_.IsLive(i); };

  // Bookkeeping: the root, live count, free list, names.
  if (slots == 0 || !live(kRootIndex) || N(kRootIndex).parent != kNoIndex) {
    report(Kind::kRootSlot, {kRootIndex}, "the root slot is not a live root");
    return out;
  }
  const internal::NameTable& names = store_.names();
  // Holders per interned name id, to check the reference counts.
  std::vector<uint32_t> holders(names.size(), 0);
  size_t live_nodes = 0;
  for (uint32_t i = 0; i < slots; ++i) {
    if (!live(i)) continue;
    ++live_nodes;
    const Node& n = N(i);
    if (n.first > n.last) {
      report(Kind::kInvalidRange, {i},
             absl::StrFormat("%s has start > end", Describe(i)));
    }
    if (!names.Valid(n.name)) {
      report(Kind::kBadName, {i},
             absl::StrFormat("node %d has name id %#x, not in the name table",
                             i, n.name));
    } else if (n.name < holders.size()) {
      ++holders[n.name];
    }
    if (i != kRootIndex && !live(n.parent)) {
      report(Kind::kDeadParent, {i},
             absl::StrFormat("node %d has a dead parent slot %d", i, n.parent));
    }
  }
  // While a transaction is open, freed nodes keep their names referenced
  // (for a rollback): the counts are only exact between transactions.
  if (!store_.in_transaction()) {
    for (uint32_t id = 1; id < holders.size(); ++id) {
      if (names.RefCount(id) != holders[id]) {
        report(Kind::kNameRefs, {},
               absl::StrFormat("name \"%s\" (id %d) has %d references but "
                               "%d nodes hold it",
                               names.RefCount(id) != 0 ? names.Get(id) : "", id,
                               names.RefCount(id), holders[id]));
      }
    }
  }
  if (live_nodes != store_.live_count()) {
    report(Kind::kLiveCount, {},
           absl::StrFormat("%d live slots but the tree counts %d", live_nodes,
                           store_.live_count()));
  }
  for (uint32_t f : store_.free_slots()) {
    if (live(f)) {
      report(Kind::kFreeList, {f},
             absl::StrFormat("slot %d is both live and on the free list", f));
    }
  }

  if (!store_.index_built()) {
    CheckPreorderSlots(report);
  } else {
    CheckIndexAndWalk(live_nodes, report);
  }

  // Laminar family, checked globally without trusting the links: sorted by
  // (first ascending, last descending), every interval must nest in the
  // innermost open interval that reaches it, or start after it ends.
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < slots; ++i) {
    if (live(i) && N(i).first <= N(i).last) all.push_back(i);
  }
  auto nests_before = [&](uint32_t a, uint32_t b) {
    if (N(a).first != N(b).first) {
      return N(a).first < N(b).first;
    }
    return N(a).last > N(b).last;
  };
  // Slots in pre-order (a parsed dump) are usually sorted already.
  if (!std::is_sorted(all.begin(), all.end(), nests_before)) {
    std::sort(all.begin(), all.end(), nests_before);
  }
  std::vector<uint32_t> open;
  for (uint32_t i : all) {
    while (!open.empty() && N(open.back()).last < N(i).first) {
      open.pop_back();
    }
    if (!open.empty() && N(open.back()).last < N(i).last) {
      report(Kind::kPartialOverlap, {open.back(), i},
             absl::StrFormat("%s and %s partially overlap",
                             Describe(open.back()), Describe(i)));
    }
    open.push_back(i);
  }
  return out;
}

}  // namespace restree
