// The redesign operations of ResourceTree (resource_tree.h, "Redesign
// operations"; docs/design.md): what kernel/resource.c lacks for CXL memory
// that comes and goes. Each operation first decides, without touching the
// tree, whether it will succeed and then makes its changes inside a
// Transaction, so that a failure at any step (and any future step that can
// fail midway) leaves the tree exactly as it was.

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace {

constexpr uint64_t kCfmwsUnit = uint64_t{256} << 20;  // 256 MiB
constexpr uint64_t kChunkFlags = iores::kMem | iores::kRestreeChunk;

bool IsCxlWays(uint32_t ways) {
  switch (ways) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 6:
    case 8:
    case 12:
    case 16:
      return true;
    default:
      return false;
  }
}

// The slot of `addr` in a window starting at `base` divided into slots of
// `size` bytes.
uint64_t SlotOf(uint64_t base, uint64_t addr, uint64_t size) {
  return (addr - base) / size;
}

// The last address of slot `k`, clipped to `limit`.
uint64_t SlotLast(uint64_t base, uint64_t k, uint64_t size, uint64_t limit) {
  const absl::uint128 last =
      absl::uint128(base) + (absl::uint128(k) + 1) * size - 1;
  return last > limit ? limit : static_cast<uint64_t>(last);
}

}  // namespace

bool SplitPolicy::Splittable(absl::string_view name) const {
  return std::find(splittable.begin(), splittable.end(), name) !=
         splittable.end();
}

// -----------------------------------------------------------------------------
// Transactions

ResourceTree::Transaction::Transaction(ResourceTree* tree)
    : tree_(tree), mark_(tree->store_.Begin()) {}

ResourceTree::Transaction::~Transaction() {
  if (open_) Rollback();
}

void ResourceTree::Transaction::Commit() {
  RESTREE_CHECK(open_, "Transaction::Commit() after it ended");
  tree_->store_.Commit(mark_);
  open_ = false;
}

void ResourceTree::Transaction::Rollback() {
  RESTREE_CHECK(open_, "Transaction::Rollback() after it ended");
  tree_->store_.Rollback(mark_);
  open_ = false;
}

size_t ResourceTree::Transaction::steps() const {
  return tree_->store_.journal_size() - mark_;
}

// -----------------------------------------------------------------------------
// The allocation fence

uint32_t ResourceTree::FenceConflict(uint32_t parent, uint32_t first,
                                     size_t count) const {
  if (!chunk_fence_) return kNoIndex;
  // Inside a chunk at any depth (a node under a chunk exists only if the
  // fence was off when it came): the nearest such chunk.
  for (uint32_t a = parent; a != kNoIndex; a = N(a).parent) {
    if (IsChunkIndex(a)) return a;
  }
  if (first == kNoIndex) return kNoIndex;
  auto it = Index().find(ChildKey{parent, first, N(first).first});
  for (size_t k = 0; k < count; ++k, ++it) {
    if (IsChunkIndex(it->child)) return it->child;
  }
  return kNoIndex;
}

absl::Status ResourceTree::FenceStatus(absl::string_view op, const Range& r,
                                       absl::string_view name,
                                       uint32_t chunk) const {
  // A chunk has a parent, except a root that SetFlags() marked as one.
  const uint32_t window = N(chunk).parent;
  return MakeKernelStatus(
      KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(chunk),
      absl::StrCat(op, " ", DescribeRange(r, iores::kMem, name),
                   ": would take reserved chunk ", Describe(chunk),
                   window == kNoIndex ? "" : " of ",
                   window == kNoIndex ? "" : Describe(window),
                   " (the chunk fence; only ClaimChunks() uses chunks)"));
}

bool ResourceTree::IsChunk(ResourceId id) const {
  const uint32_t i = IndexOf(id);
  return i != kNoIndex && IsChunkIndex(i);
}

uint64_t ResourceTree::ChunkSizeOf(ResourceId window) const {
  const uint32_t i = IndexOf(window);
  return i == kNoIndex ? 0 : store_.chunk_size(i);
}

// -----------------------------------------------------------------------------
// Reparent

absl::Status ResourceTree::Reparent(ResourceId id, ResourceId new_parent) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "reparent");
  const uint32_t q = IndexOf(new_parent);
  if (q == kNoIndex) return Stale(new_parent, "reparent");
  if (i == kRootIndex) {
    return MakeKernelStatus(KernelOutcome::kError, kerrno::kEINVAL,
                            ResourceId(), "reparent: the root has no parent");
  }
  const uint32_t p = N(i).parent;
  if (q == p) return absl::OkStatus();
  if (q == i) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, MakeId(q),
        absl::StrCat("reparent ", Describe(i), " under itself"));
  }
  const Range r = NodeRange(i);
  if (!NodeRange(q).Contains(r)) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, MakeId(q),
        absl::StrCat("reparent ", Describe(i), " under ", Describe(q),
                     ": the new parent does not contain it"));
  }
  // Nodes strictly between i and q, from i's parent up, if q is an
  // ancestor.
  std::vector<uint32_t> up;
  uint32_t x = p;
  while (x != kNoIndex && x != q) {
    up.push_back(x);
    x = N(x).parent;
  }
  Transaction tx(this);
  if (x == q) {
    // The highest node between them that is larger than i is in the way.
    for (auto it = up.rbegin(); it != up.rend(); ++it) {
      if (NodeRange(*it) != r) {
        return MakeKernelStatus(
            KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(*it),
            absl::StrCat("reparent ", Describe(i), " under ", Describe(q),
                         ": it would overlap its new sibling ", Describe(*it)));
      }
    }
    // i leaves its place (its children go to its parent), and the chain's
    // top moves below it.
    const uint32_t top = up.back();
    std::vector<uint32_t> kids;
    AppendChildIndices(i, &kids);
    store_.Unlink(i);
    for (uint32_t k : kids) store_.SetParent(k, p);
    store_.SetParent(top, i);
    store_.Attach(i, q);
    tx.Commit();
    return absl::OkStatus();
  }
  // Otherwise q contains i's range without being its ancestor: by
  // laminarity it is a descendant with i's exact range, as is every node
  // between them (the check guards a tree that is not laminar).
  std::vector<uint32_t> down;  // q, its parent, ..., i's child
  for (x = q; x != kNoIndex && x != i; x = N(x).parent) down.push_back(x);
  if (x != i || NodeRange(q) != r) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, MakeId(q),
        absl::StrCat("reparent ", Describe(i), " under ", Describe(q),
                     ": the new parent is neither an ancestor nor an "
                     "equal-range descendant"));
  }
  // i's only child takes its place; i goes below q and adopts q's children.
  const uint32_t c = down.back();
  std::vector<uint32_t> qkids;
  AppendChildIndices(q, &qkids);
  store_.Unlink(i);
  store_.SetParent(c, p);
  for (uint32_t k : qkids) store_.SetParent(k, i);
  store_.Attach(i, q);
  tx.Commit();
  return absl::OkStatus();
}

// -----------------------------------------------------------------------------
// InsertOver

std::vector<uint32_t> ResourceTree::CutChain(uint32_t parent,
                                             uint64_t cut) const {
  std::vector<uint32_t> chain;
  for (;;) {
    auto it = ChildAtOrBefore(parent, cut - 1);
    if (it == Index().end() || it->parent != parent) break;
    const Node& n = N(it->child);
    if (!(n.first < cut && cut <= n.last)) break;
    chain.push_back(it->child);
    parent = it->child;
  }
  return chain;
}

uint32_t ResourceTree::SplitAt(uint32_t x, uint64_t cut, uint32_t high_parent) {
  const Node n = N(x);
  std::vector<uint32_t> moving;
  for (auto it = Index().lower_bound(ChildKey{x, 0, cut});
       it != Index().end() && it->parent == x; ++it) {
    moving.push_back(it->child);
  }
  const uint32_t high =
      store_.Allocate(Range(cut, n.last), n.name, n.flags, n.desc, high_parent);
  for (uint32_t k : moving) store_.SetParent(k, high);
  store_.Move(x, n.first, cut - 1);
  store_.Link(high);
  return high;
}

absl::StatusOr<ResourceId> ResourceTree::InsertOver(ResourceId parent,
                                                    const ResourceSpec& spec,
                                                    const SplitPolicy& policy) {
  uint32_t p = IndexOf(parent);
  if (p == kNoIndex) return Stale(parent, "insert_over");
  const Range& r = spec.range;
  // Descend as insert_resource() does, to the deepest node that strictly
  // contains r.
  for (;;) {
    const uint32_t first = PlacementConflict(p, r);
    if (first == p) {
      return MakeKernelStatus(
          KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(p),
          absl::StrCat("insert_over ", DescribeRange(r, spec.flags, spec.name),
                       ": does not fit in ", Describe(p)));
    }
    if (first == kNoIndex) break;
    const Range f = NodeRange(first);
    if (f.first() > r.first() || f.last() < r.last() || f == r) break;
    p = first;
  }
  auto refuse = [&](uint32_t x, absl::string_view why) {
    return MakeKernelStatus(
        KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(x),
        absl::StrCat("insert_over ", DescribeRange(r, spec.flags, spec.name),
                     ": ", why, " ", Describe(x)));
  };
  if (const uint32_t chunk = FenceConflict(p); chunk != kNoIndex) {
    return FenceStatus("insert_over", r, spec.name, chunk);
  }
  // Everything to cut, lower edge first, each chain top-down. Cutting at
  // the lower edge never changes what straddles the upper one.
  const std::vector<uint32_t> low = r.first() == N(p).first
                                        ? std::vector<uint32_t>()
                                        : CutChain(p, r.first());
  const std::vector<uint32_t> high = r.last() == N(p).last
                                         ? std::vector<uint32_t>()
                                         : CutChain(p, r.last() + 1);
  for (const std::vector<uint32_t>* chain : {&low, &high}) {
    for (uint32_t x : *chain) {
      if (chunk_fence_ && IsChunkIndex(x)) {
        return FenceStatus("insert_over", r, spec.name, x);
      }
      if (!policy.Splittable(store_.name(x))) {
        return refuse(x, "would cut the unsplittable");
      }
    }
  }
  Transaction tx(this);
  // Lower edge: each cut node's upper part goes under the previous one's.
  uint32_t above = p;
  for (uint32_t x : low) above = SplitAt(x, r.first(), above);
  // Upper edge: the lower parts stay inside r; the upper parts hang where
  // the cut nodes were.
  above = p;
  for (uint32_t x : high) above = SplitAt(x, r.last() + 1, above);
  const InsertPlan plan = PlanInsert(p, r);
  RESTREE_CHECK(plan.conflict == kNoIndex && plan.parent == p,
                "insert_over: a straddler survived the cuts");
  const uint32_t fence = FenceConflict(plan.parent, plan.first, plan.count);
  if (fence != kNoIndex) {
    tx.Rollback();
    return FenceStatus("insert_over", r, spec.name, fence);
  }
  const uint32_t i = CommitInsert(plan, r, spec.name, spec.flags, spec.desc);
  tx.Commit();
  return MakeId(i);
}

// -----------------------------------------------------------------------------
// Grow, Shrink

absl::Status ResourceTree::Grow(ResourceId id, const Range& new_range,
                                const GrowPolicy& policy) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "grow");
  const Range old = NodeRange(i);
  if (i == kRootIndex || !new_range.valid() || !new_range.Contains(old)) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, ResourceId(),
        absl::StrCat("grow ", Describe(i), " to ", new_range.ToString(),
                     i == kRootIndex ? ": the root cannot grow"
                                     : ": the new range does not contain the "
                                       "old one"));
  }
  if (new_range == old) return absl::OkStatus();
  const uint32_t p = N(i).parent;
  // Siblings in the new range are adopted; one it cuts fails the growth.
  std::vector<uint32_t> adopt;
  for (auto it = FirstChildReaching(p, new_range.first());
       it != Index().end() && it->parent == p && it->start <= new_range.last();
       ++it) {
    const uint32_t s = it->child;
    if (s == i) continue;
    if (!new_range.Contains(NodeRange(s))) {
      return MakeKernelStatus(
          KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(s),
          absl::StrCat("grow ", Describe(i), " to ", new_range.ToString(),
                       ": partially overlaps its sibling ", Describe(s)));
    }
    adopt.push_back(s);
  }
  // Ancestors that must grow, bottom-up, with their new ranges.
  std::vector<std::pair<uint32_t, Range>> grown;
  Range need = new_range;
  for (uint32_t a = p; !NodeRange(a).Contains(need); a = N(a).parent) {
    if (!policy.grow_ancestors || a == kRootIndex) {
      return MakeKernelStatus(
          KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(a),
          absl::StrCat("grow ", Describe(i), " to ", new_range.ToString(),
                       ": does not fit in ", Describe(a),
                       a == kRootIndex ? " (the root never grows)"
                                       : " (ancestors may not grow)"));
    }
    const Range ar = NodeRange(a);
    need = Range(std::min(ar.first(), need.first()),
                 std::max(ar.last(), need.last()));
    const uint32_t s = LowestOverlappingChild(N(a).parent, need);
    // The lowest child overlapping `need` other than `a` itself: a sibling
    // below `a` is found first; otherwise look past `a`.
    uint32_t in_way = s;
    if (s == a) {
      const uint32_t next = NextSiblingIndex(a);
      in_way =
          next != kNoIndex && N(next).first <= need.last() ? next : kNoIndex;
    }
    if (in_way != kNoIndex) {
      return MakeKernelStatus(
          KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(in_way),
          absl::StrCat("grow ", Describe(i), " to ", new_range.ToString(),
                       ": ancestor ", Describe(a), " would grow to ",
                       need.ToString(), " and overlap its sibling ",
                       Describe(in_way)));
    }
    grown.emplace_back(a, need);
  }
  Transaction tx(this);
  for (const auto& [a, ar] : grown) store_.Move(a, ar.first(), ar.last());
  for (uint32_t s : adopt) store_.SetParent(s, i);
  store_.Move(i, new_range.first(), new_range.last());
  tx.Commit();
  return absl::OkStatus();
}

absl::Status ResourceTree::Shrink(ResourceId id, const Range& new_range) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "shrink");
  const Range old = NodeRange(i);
  if (i == kRootIndex || !new_range.valid() || !old.Contains(new_range)) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, ResourceId(),
        absl::StrCat("shrink ", Describe(i), " to ", new_range.ToString(),
                     i == kRootIndex ? ": the root cannot shrink"
                                     : ": the new range is not inside the "
                                       "old one"));
  }
  // The lowest child left uncovered: the first child if it starts too low,
  // else the first that ends too high.
  uint32_t out = FirstChildIndex(i);
  if (out != kNoIndex && N(out).first >= new_range.first()) {
    out = kNoIndex;
    if (new_range.last() != kMaxAddress) {
      auto it = FirstChildReaching(i, new_range.last() + 1);
      if (it != Index().end() && it->parent == i) out = it->child;
    }
  }
  if (out != kNoIndex) {
    return MakeKernelStatus(
        KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(out),
        absl::StrCat("shrink ", Describe(i), " to ", new_range.ToString(),
                     ": would uncover its child ", Describe(out)));
  }
  Transaction tx(this);
  store_.Move(i, new_range.first(), new_range.last());
  tx.Commit();
  return absl::OkStatus();
}

// -----------------------------------------------------------------------------
// Chunks

namespace {

constexpr uint64_t kSaturated = ~uint64_t{0};

// a + b, or kSaturated if that does not fit (2^64 one-byte chunks of a
// window covering everything must not wrap to 0 and pass the limit).
uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > kSaturated - b ? kSaturated : a + b;
}

// "N chunks", or "at least 2^64-1 chunks" for a saturated count.
std::string ChunkCount(uint64_t n) {
  return n == kSaturated ? absl::StrCat("at least ", n, " chunks")
                         : absl::StrCat(n, " chunks");
}

// How many slots [first, last] touches (saturating, as above).
uint64_t SlotsSpanned(uint64_t base, uint64_t first, uint64_t last,
                      uint64_t chunk_size) {
  return SaturatingAdd(
      SlotOf(base, last, chunk_size) - SlotOf(base, first, chunk_size), 1);
}

}  // namespace

uint64_t ResourceTree::CountChunks(uint32_t window, const Range& span,
                                   uint64_t chunk_size) const {
  const uint64_t base = N(window).first;
  uint64_t count = 0;
  uint64_t at = span.first();  // the first address not yet looked at
  bool done = false;
  auto gap = [&](uint64_t first, uint64_t last) {
    count = SaturatingAdd(count, SlotsSpanned(base, first, last, chunk_size));
  };
  for (auto it = FirstChildReaching(window, span.first());
       !done && it != Index().end() && it->parent == window &&
       it->start <= span.last();
       ++it) {
    const Node& c = N(it->child);
    if (c.first > at) gap(at, c.first - 1);
    if (c.last >= span.last()) {
      done = true;
    } else {
      at = c.last + 1;
    }
  }
  if (!done) gap(at, span.last());
  return count;
}

void ResourceTree::AddChunks(uint32_t window, const Range& span,
                             uint64_t chunk_size) {
  const uint64_t base = N(window).first;
  std::vector<Range> gaps;
  uint64_t at = span.first();
  bool done = false;
  for (auto it = FirstChildReaching(window, span.first());
       !done && it != Index().end() && it->parent == window &&
       it->start <= span.last();
       ++it) {
    const Node& c = N(it->child);
    if (c.first > at) gaps.emplace_back(at, c.first - 1);
    if (c.last >= span.last()) {
      done = true;
    } else {
      at = c.last + 1;
    }
  }
  if (!done) gaps.emplace_back(at, span.last());
  const uint32_t name = store_.Intern(kChunkName);
  for (const Range& g : gaps) {
    uint64_t first = g.first();
    for (;;) {
      const uint64_t last =
          SlotLast(base, SlotOf(base, first, chunk_size), chunk_size, g.last());
      const uint32_t c = store_.Allocate(Range(first, last), name, kChunkFlags,
                                         iores_desc::kCxl, window);
      store_.Link(c);
      if (last == g.last()) break;
      first = last + 1;
    }
  }
}

absl::StatusOr<size_t> ResourceTree::ReserveChunks(
    ResourceId window, const ChunkGeometry& geometry) {
  const uint32_t w = IndexOf(window);
  if (w == kNoIndex) return Stale(window, "reserve_chunks");
  auto einval = [&](absl::string_view why) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, ResourceId(),
        absl::StrCat("reserve_chunks in ", Describe(w), ": ", why));
  };
  if (w == kRootIndex) return einval("the root is not a window");
  if (IsChunkIndex(w)) return einval("it is itself a chunk");
  if (!IsCxlWays(geometry.ways)) {
    return einval(absl::StrFormat(
        "%d interleave ways (CXL has 1, 2, 3, 4, 6, 8, 12 or 16)",
        geometry.ways));
  }
  const uint64_t cs = geometry.chunk_size;
  const uint64_t unit = kCfmwsUnit * geometry.ways;
  if (cs == 0 || (cs % unit != 0 && cs != geometry.memory_block_size)) {
    return einval(absl::StrFormat(
        "chunk size %#x is neither a multiple of %d ways x 256M (%#x) "
        "nor the memory-block size %#x",
        cs, geometry.ways, unit, geometry.memory_block_size));
  }
  const uint64_t n = CountChunks(w, NodeRange(w), cs);
  if (n > geometry.max_new_chunks) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kE2BIG, ResourceId(),
        absl::StrFormat("reserve_chunks in %s: %s of %#x, over the "
                        "limit of %d",
                        Describe(w), ChunkCount(n), cs,
                        geometry.max_new_chunks));
  }
  Transaction tx(this);
  AddChunks(w, NodeRange(w), cs);
  store_.SetChunkSize(w, cs);
  tx.Commit();
  return static_cast<size_t>(n);
}

absl::StatusOr<ResourceId> ResourceTree::ClaimChunks(ResourceId window,
                                                     const ResourceSpec& spec) {
  const uint32_t w = IndexOf(window);
  if (w == kNoIndex) return Stale(window, "claim_chunks");
  const Range& r = spec.range;
  const std::string what =
      absl::StrCat("claim_chunks ", DescribeRange(r, spec.flags, spec.name),
                   " in ", Describe(w));
  if (!r.valid() || !NodeRange(w).Contains(r)) {
    return MakeKernelStatus(KernelOutcome::kError, kerrno::kEINVAL, MakeId(w),
                            absl::StrCat(what, ": not inside the window"));
  }
  auto unreserved = [&](uint64_t first, uint64_t last) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, ResourceId(),
        absl::StrFormat("%s: [%#x-%#x] is not reserved as chunks", what, first,
                        last));
  };
  std::vector<uint32_t> chunks;
  uint64_t expect = r.first();
  bool covered = false;  // expect passed r.last() (or wrapped)
  for (auto it = FirstChildReaching(w, r.first());
       it != Index().end() && it->parent == w && it->start <= r.last(); ++it) {
    const uint32_t c = it->child;
    const Node& n = N(c);
    if (n.first > expect) return unreserved(expect, n.first - 1);
    if (!IsChunkIndex(c)) {
      return MakeKernelStatus(
          KernelOutcome::kConflict, kerrno::kEBUSY, MakeId(c),
          absl::StrCat(what, ": ", Describe(c), " is in the range"));
    }
    if (n.first < r.first() || n.last > r.last()) {
      return MakeKernelStatus(
          KernelOutcome::kError, kerrno::kEINVAL, MakeId(c),
          absl::StrCat(what, ": its edge cuts ", Describe(c)));
    }
    chunks.push_back(c);
    if (n.last == r.last()) {
      covered = true;
      break;
    }
    expect = n.last + 1;
  }
  if (!covered) return unreserved(expect, r.last());
  Transaction tx(this);
  // A chunk has children only if something was placed in it while the
  // fence was off: they become the region's.
  std::vector<uint32_t> kids;
  for (uint32_t c : chunks) AppendChildIndices(c, &kids);
  for (uint32_t c : chunks) store_.Unlink(c);
  const uint32_t i =
      store_.Allocate(r, store_.Intern(spec.name), spec.flags, spec.desc, w);
  for (uint32_t k : kids) store_.SetParent(k, i);
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) store_.Free(*it);
  store_.Link(i);
  tx.Commit();
  return MakeId(i);
}

std::optional<uint64_t> ResourceTree::FirstClaimableRun(ResourceId window,
                                                        uint64_t size,
                                                        uint64_t first,
                                                        uint64_t step) const {
  const uint32_t w = IndexOf(window);
  if (w == kNoIndex || size == 0 || step == 0) return std::nullopt;
  // The chunk starts of the current run of consecutive chunks that are
  // candidates and not yet ruled out, oldest first. A candidate c is
  // found when a chunk of the run ends exactly at c + size - 1, ruled out
  // when one ends past it first (later chunks end later still).
  std::deque<uint64_t> open;
  uint64_t run_end = 0;
  bool in_run = false;
  for (auto it = ChildBegin(w); it != Index().end() && it->parent == w; ++it) {
    const uint32_t c = it->child;
    if (!IsChunkIndex(c)) {
      in_run = false;
      open.clear();
      continue;
    }
    const Range r = NodeRange(c);
    if (!in_run || run_end == ~uint64_t{0} || r.first() != run_end + 1) {
      open.clear();  // a gap, or something else, ended the run
    }
    in_run = true;
    run_end = r.last();
    const uint64_t start = r.first();
    if (start >= first && (start - first) % step == 0 &&
        size - 1 <= ~uint64_t{0} - start) {
      open.push_back(start);
    }
    while (!open.empty()) {
      const uint64_t end = open.front() + (size - 1);
      if (end == r.last()) return open.front();
      if (end > r.last()) break;  // may end in a later chunk of the run
      open.pop_front();           // ends inside this chunk: never claimable
    }
  }
  return std::nullopt;
}

absl::StatusOr<size_t> ResourceTree::ReturnToChunks(ResourceId id,
                                                    uint64_t max_new_chunks) {
  const uint32_t i = IndexOf(id);
  if (i == kNoIndex) return Stale(id, "return_to_chunks");
  auto einval = [&](absl::string_view why) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, ResourceId(),
        absl::StrCat("return_to_chunks ", Describe(i), ": ", why));
  };
  if (i == kRootIndex) return einval("the root has no window");
  if (IsChunkIndex(i)) return einval("it is a chunk already");
  const uint32_t w = N(i).parent;
  const uint64_t cs = store_.chunk_size(w);
  if (cs == 0) {
    return einval(absl::StrCat("its parent ", Describe(w),
                               " has no chunk size (reserve chunks first)"));
  }
  const uint32_t kid = FirstChildIndex(i);
  if (kid != kNoIndex) {
    return MakeKernelStatus(KernelOutcome::kConflict, kerrno::kEBUSY,
                            MakeId(kid),
                            absl::StrCat("return_to_chunks ", Describe(i),
                                         ": it still has ", Describe(kid)));
  }
  const Range r = NodeRange(i);
  // The range is free once i is gone: one chunk per slot it touches.
  const uint64_t n = SlotsSpanned(N(w).first, r.first(), r.last(), cs);
  const uint64_t limit = max_new_chunks;
  if (n > limit) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kE2BIG, ResourceId(),
        absl::StrFormat("return_to_chunks %s: %s of %#x, over the "
                        "limit of %d",
                        Describe(i), ChunkCount(n), cs, limit));
  }
  Transaction tx(this);
  store_.Unlink(i);
  store_.Free(i);
  AddChunks(w, r, cs);
  tx.Commit();
  return static_cast<size_t>(n);
}

absl::StatusOr<size_t> ResourceTree::ReleaseUnusedChunks(ResourceId window,
                                                         bool shrink) {
  const uint32_t w = IndexOf(window);
  if (w == kNoIndex) return Stale(window, "release_unused_chunks");
  if (w == kRootIndex || IsChunkIndex(w)) {
    return MakeKernelStatus(
        KernelOutcome::kError, kerrno::kEINVAL, ResourceId(),
        absl::StrCat("release_unused_chunks in ", Describe(w),
                     w == kRootIndex ? ": the root is not a window"
                                     : ": it is itself a chunk"));
  }
  std::vector<uint32_t> chunks;
  for (auto it = ChildBegin(w); it != Index().end() && it->parent == w; ++it) {
    if (IsChunkIndex(it->child)) chunks.push_back(it->child);
  }
  Transaction tx(this);
  for (uint32_t c : chunks) {
    // Children (placed while the fence was off) take the chunk's place, as
    // remove_resource() hoists them.
    std::vector<uint32_t> kids;
    AppendChildIndices(c, &kids);
    store_.Unlink(c);
    for (uint32_t k : kids) store_.SetParent(k, w);
  }
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) store_.Free(*it);
  if (shrink) {
    const uint32_t lo = FirstChildIndex(w);
    if (lo != kNoIndex) {
      store_.Move(w, N(lo).first, N(LastChildIndex(w)).last);
    }
  }
  tx.Commit();
  return chunks.size();
}

}  // namespace restree
