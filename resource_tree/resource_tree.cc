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
  return MakeKernelStatus(
      absl::StatusCode::kNotFound, KernelOutcome::kContractViolation,
      kerrno::kEINVAL, ResourceId(),
      absl::StrCat(op, ": unknown or freed resource id ",
                   absl::StrFormat("%d", id.value()),
                   " (the kernel would use freed memory)"));
}

std::string ResourceTree::DescribeRange(const Range& r, uint64_t flags,
                                        absl::string_view name) {
  const char* type = ResourceType(flags) == iores::kIo ? "io" : "mem";
  return absl::StrFormat("[%s 0x%08x-0x%08x] \"%s\"", type, r.first(),
                         r.last(), name);
}

std::string ResourceTree::Describe(uint32_t i) const {
  const Node& n = N(i);
  return DescribeRange(NodeRange(i), n.flags, store_.names().Get(n.name));
}

// -----------------------------------------------------------------------------
// Invariants.

// The passes of CheckInvariants(), in order, sharing what each finds: the
// bookkeeping pass counts the live nodes, the index pass groups the child
// index by parent, and the walk from the root uses both.
class ResourceTree::InvariantChecker {
 public:
  explicit InvariantChecker(const ResourceTree& tree)
      : tree_(tree), store_(tree.store_), slots_(store_.slot_count()) {}

  std::vector<InvariantViolation> Run() && {
    if (!CheckBookkeeping()) return std::move(out_);
    CheckChildIndex();
    WalkFromRoot();
    CheckLaminar();
    return std::move(out_);
  }

 private:
  using Kind = InvariantViolation::Kind;

  void Report(Kind kind, const std::vector<uint32_t>& nodes,
              std::string message) {
    InvariantViolation v;
    v.kind = kind;
    for (uint32_t n : nodes) {
      v.nodes.push_back(n < slots_ ? tree_.MakeId(n) : ResourceId());
    }
    v.message = std::move(message);
    out_.push_back(std::move(v));
  }
  bool Live(uint32_t i) const { return store_.IsLive(i); }
  const Node& N(uint32_t i) const { return tree_.N(i); }
  std::string Describe(uint32_t i) const { return tree_.Describe(i); }

  // The root, the live count, the free list, the names. False if the root
  // slot is not a live root: nothing else can be checked then.
  bool CheckBookkeeping();
  // Every index entry names a live child whose parent and start it records;
  // each non-root live node appears exactly once. Keeps each parent's run
  // of entries for the walk.
  void CheckChildIndex();
  // Per level: containment, order, disjointness. Reachability from the root
  // through the index, in pre-order, with start monotone.
  void WalkFromRoot();
  // The walk's checks of `p`, visited next in pre-order.
  void CheckVisit(uint32_t p);
  // The walk's checks of `p`'s children; pushes those not seen before onto
  // `stack`, lowest address on top, and returns how many.
  size_t CheckChildren(uint32_t p, std::vector<bool>* seen,
                       std::vector<uint32_t>* stack);
  // Laminar family, checked globally without trusting the links.
  void CheckLaminar();

  const ResourceTree& tree_;
  const internal::NodeStore& store_;
  const size_t slots_;
  std::vector<InvariantViolation> out_;
  size_t live_nodes_ = 0;
  // The index is ordered by (parent, start), so each parent's entries are
  // one run: kid_list_[kid_span_[p].first .. kid_span_[p].second) is what
  // ChildBegin(p) iterates, kept for the walk (no lookup per node).
  std::vector<uint32_t> kid_list_;
  std::vector<std::pair<uint32_t, uint32_t>> kid_span_;
  // The walk's state: while the tree says its slots are in pre-order
  // (ForEachPreorder() then walks them in slot order), the walk must visit
  // slot 1, 2, 3, ...; and the last node visited.
  bool preorder_slots_ = false;
  uint32_t expected_slot_ = 1;
  bool have_prev_ = false;
  uint64_t prev_start_ = 0;
  uint32_t prev_node_ = kNoIndex;
};

bool ResourceTree::InvariantChecker::CheckBookkeeping() {
  if (slots_ == 0 || !Live(kRootIndex) || N(kRootIndex).parent != kNoIndex) {
    Report(Kind::kRootSlot, {kRootIndex}, "the root slot is not a live root");
    return false;
  }
  const internal::NameTable& names = store_.names();
  // Holders per interned name id, to check the reference counts.
  std::vector<uint32_t> holders(names.size(), 0);
  for (uint32_t i = 0; i < slots_; ++i) {
    if (!Live(i)) continue;
    ++live_nodes_;
    const Node& n = N(i);
    if (n.first > n.last) {
      Report(Kind::kInvalidRange, {i},
             absl::StrFormat("%s has start > end", Describe(i)));
    }
    if (!names.Valid(n.name)) {
      Report(Kind::kBadName, {i},
             absl::StrFormat("node %d has name id %#x, not in the name table",
                             i, n.name));
    } else if (n.name < holders.size()) {
      ++holders[n.name];
    }
    if (i != kRootIndex && !Live(n.parent)) {
      Report(Kind::kDeadParent, {i},
             absl::StrFormat("node %d has a dead parent slot %d", i, n.parent));
    }
  }
  // While a transaction is open, freed nodes keep their names referenced
  // (for a rollback): the counts are only exact between transactions.
  if (!store_.in_transaction()) {
    for (uint32_t id = 1; id < holders.size(); ++id) {
      if (names.RefCount(id) != holders[id]) {
        Report(Kind::kNameRefs, {},
               absl::StrFormat("name \"%s\" (id %d) has %d references but "
                               "%d nodes hold it",
                               names.RefCount(id) != 0 ? names.Get(id) : "", id,
                               names.RefCount(id), holders[id]));
      }
    }
  }
  if (live_nodes_ != store_.live_count()) {
    Report(Kind::kLiveCount, {},
           absl::StrFormat("%d live slots but the tree counts %d", live_nodes_,
                           store_.live_count()));
  }
  for (uint32_t f : store_.free_slots()) {
    if (Live(f)) {
      Report(Kind::kFreeList, {f},
             absl::StrFormat("slot %d is both live and on the free list", f));
    }
  }
  return true;
}

void ResourceTree::InvariantChecker::CheckChildIndex() {
  std::vector<uint32_t> entries(slots_, 0);
  kid_list_.reserve(tree_.Index().size());
  kid_span_.assign(slots_, {0, 0});
  for (const ChildKey& k : tree_.Index()) {
    if (k.parent < slots_) {
      auto& [begin, end] = kid_span_[k.parent];
      if (begin == end) begin = static_cast<uint32_t>(kid_list_.size());
      kid_list_.push_back(k.child);
      end = static_cast<uint32_t>(kid_list_.size());
    }
    if (!Live(k.child) || k.child == kRootIndex) {
      Report(Kind::kIndexEntry, {k.child},
             absl::StrFormat("index entry for dead or root slot %d", k.child));
      continue;
    }
    ++entries[k.child];
    const Node& n = N(k.child);
    if (n.parent != k.parent || n.first != k.start) {
      Report(Kind::kIndexEntry, {k.child, k.parent},
             absl::StrFormat("index says %s is under slot %d at %#x; the node "
                             "says slot %d at %#x",
                             Describe(k.child), k.parent, k.start, n.parent,
                             n.first));
    }
  }
  for (uint32_t i = 1; i < slots_; ++i) {
    if (Live(i) && entries[i] != 1) {
      Report(Kind::kIndexEntry, {i},
             absl::StrFormat("%s appears %d times in the child index",
                             Describe(i), entries[i]));
    }
  }
}

void ResourceTree::InvariantChecker::WalkFromRoot() {
  std::vector<bool> seen(slots_, false);
  seen[kRootIndex] = true;
  size_t reached = 1;
  std::vector<uint32_t> stack;
  stack.reserve(slots_);  // each node is pushed at most once
  stack.push_back(kRootIndex);
  preorder_slots_ = store_.preorder_slots();
  if (preorder_slots_ && !store_.free_slots().empty()) {
    Report(Kind::kSlotOrder, {store_.free_slots().front()},
           "slots are marked as in pre-order but some are free");
  }
  while (!stack.empty()) {
    const uint32_t p = stack.back();
    stack.pop_back();
    if (p != kRootIndex) CheckVisit(p);
    reached += CheckChildren(p, &seen, &stack);
  }
  if (reached != live_nodes_) {
    for (uint32_t i = 0; i < slots_; ++i) {
      if (Live(i) && !seen[i]) {
        Report(Kind::kUnreachable, {i},
               absl::StrFormat("%s is not reachable from the root",
                               Describe(i)));
      }
    }
  }
}

void ResourceTree::InvariantChecker::CheckVisit(uint32_t p) {
  if (preorder_slots_ && expected_slot_ != kNoIndex) {
    if (p != expected_slot_) {
      Report(Kind::kSlotOrder, {p},
             absl::StrFormat("slots are marked as in pre-order but %s, "
                             "slot %d, is visited where slot %d should be",
                             Describe(p), p, expected_slot_));
      expected_slot_ = kNoIndex;  // one report is enough
    } else {
      ++expected_slot_;
    }
  }
  if (have_prev_ && N(p).first < prev_start_) {
    Report(Kind::kPreorderNotMonotone, {prev_node_, p},
           absl::StrFormat("pre-order visits %s after %s", Describe(p),
                           Describe(prev_node_)));
  }
  have_prev_ = true;
  prev_start_ = N(p).first;
  prev_node_ = p;
}

size_t ResourceTree::InvariantChecker::CheckChildren(
    uint32_t p, std::vector<bool>* seen, std::vector<uint32_t>* stack) {
  // The children go onto the stack directly (reversed below, so the
  // lowest is visited first): no allocation per node.
  const size_t first_kid = stack->size();
  uint32_t prev_kid = kNoIndex;
  for (uint32_t k = kid_span_[p].first; k < kid_span_[p].second; ++k) {
    const uint32_t c = kid_list_[k];
    if (!Live(c)) continue;
    const Node& n = N(c);
    if (n.first < N(p).first || n.last > N(p).last) {
      Report(Kind::kOutsideParent, {c, p},
             absl::StrFormat("%s is not inside its parent %s", Describe(c),
                             Describe(p)));
    }
    if (prev_kid != kNoIndex) {
      const Node& a = N(prev_kid);
      if (a.first >= n.first) {
        Report(Kind::kUnsortedSiblings, {prev_kid, c},
               absl::StrFormat("%s comes before %s", Describe(prev_kid),
                               Describe(c)));
      } else if (a.last >= n.first) {
        Report(Kind::kOverlappingSiblings, {prev_kid, c},
               absl::StrFormat("siblings %s and %s overlap",
                               Describe(prev_kid), Describe(c)));
      }
    }
    prev_kid = c;
    if ((*seen)[c]) {
      Report(Kind::kCycle, {c},
             absl::StrFormat("%s is reached twice (a cycle?)", Describe(c)));
      continue;
    }
    (*seen)[c] = true;
    stack->push_back(c);
  }
  std::reverse(stack->begin() + first_kid, stack->end());
  return stack->size() - first_kid;
}

// Sorted by (first ascending, last descending), every interval must nest in
// the innermost open interval that reaches it, or start after it ends.
void ResourceTree::InvariantChecker::CheckLaminar() {
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < slots_; ++i) {
    if (Live(i) && N(i).first <= N(i).last) all.push_back(i);
  }
  std::sort(all.begin(), all.end(), [&](uint32_t a, uint32_t b) {
    if (N(a).first != N(b).first) {
      return N(a).first < N(b).first;
    }
    return N(a).last > N(b).last;
  });
  std::vector<uint32_t> open;
  for (uint32_t i : all) {
    while (!open.empty() && N(open.back()).last < N(i).first) {
      open.pop_back();
    }
    if (!open.empty() && N(open.back()).last < N(i).last) {
      Report(Kind::kPartialOverlap, {open.back(), i},
             absl::StrFormat("%s and %s partially overlap",
                             Describe(open.back()), Describe(i)));
    }
    open.push_back(i);
  }
}

std::vector<InvariantViolation> ResourceTree::CheckInvariants() const {
  return InvariantChecker(*this).Run();
}

}  // namespace restree
