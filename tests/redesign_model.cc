// The redesign operations on KernelModel's linked lists, transcribed from
// the specification in resource_tree.h. Each operation works on vectors of
// children: read the lists into vectors, check, then write the lists back
// with Relink()/Replace(). Slower than splicing lists in place, but each
// step can be read against the specification's sentence.

#include "tests/redesign_model.h"

#include <algorithm>
#include <utility>

#include "absl/numeric/int128.h"

namespace restree {
namespace model {
namespace {

using u128 = absl::uint128;

Result Fail(KernelOutcome o, int err, Res* conflict = nullptr) {
  Result r;
  r.outcome = o;
  r.err = err;
  r.conflict = conflict;
  return r;
}

Result Ok(Res* node = nullptr) {
  Result r;
  r.node = node;
  return r;
}

CountResult Counted(Result r, size_t count = 0) {
  CountResult c;
  c.result = r;
  c.count = r.outcome == KernelOutcome::kOk ? count : 0;
  return c;
}

Range RangeOf(const Res* r) { return Range(r->start, r->end); }

bool Inside(const Res* r, const Range& outer) {
  return outer.first() <= r->start && r->end <= outer.last();
}

bool Overlaps(const Res* r, const Range& other) {
  return r->start <= other.last() && other.first() <= r->end;
}

std::vector<Res*> Kids(const Res* p) {
  std::vector<Res*> out;
  for (Res* c = p->child; c; c = c->sibling) out.push_back(c);
  return out;
}

// Makes `kids` (in address order) the whole child list of `p`.
void Relink(Res* p, const std::vector<Res*>& kids) {
  p->child = kids.empty() ? nullptr : kids.front();
  for (size_t i = 0; i < kids.size(); ++i) {
    kids[i]->parent = p;
    kids[i]->sibling = i + 1 < kids.size() ? kids[i + 1] : nullptr;
  }
}

// Replaces `old`, in its parent's child list, by `by` (in address order;
// possibly empty). `old` is left unlinked.
void Replace(Res* old, const std::vector<Res*>& by) {
  Res* p = old->parent;
  std::vector<Res*> kids;
  for (Res* c : Kids(p)) {
    if (c == old) {
      kids.insert(kids.end(), by.begin(), by.end());
    } else {
      kids.push_back(c);
    }
  }
  Relink(p, kids);
  old->parent = nullptr;
  old->sibling = nullptr;
}

// Sorts nodes by start address (they are disjoint).
void SortByStart(std::vector<Res*>* v) {
  std::sort(v->begin(), v->end(),
            [](const Res* a, const Res* b) { return a->start < b->start; });
}

bool IsProperAncestor(const Res* a, const Res* d) {
  for (const Res* p = d->parent; p; p = p->parent) {
    if (p == a) return true;
  }
  return false;
}

}  // namespace

RedesignModel::RedesignModel(const ResourceSpec& root, KernelProfile profile)
    : kernel_(root, std::move(profile)) {}

std::vector<std::string> RedesignModel::CheckInvariants() const {
  std::vector<std::string> out = kernel_.CheckInvariants();
  for (const auto& [node, size] : chunk_size_) {
    if (kernel_.live_.count(const_cast<Res*>(node)) == 0) {
      out.push_back("chunk size recorded for a freed node");
    }
  }
  return out;
}

// `p` itself if it is a chunk, else its nearest chunk ancestor, else null.
// Choice: when chunks nest (possible only after the fence was off), the
// nearest one is "the chunk" a new node would land in.
Res* RedesignModel::EnclosingChunk(Res* p) const {
  for (; p; p = p->parent) {
    if (IsChunk(p)) return p;
  }
  return nullptr;
}

uint64_t RedesignModel::ChunkSizeOf(const Res* window) const {
  auto it = chunk_size_.find(window);
  return it == chunk_size_.end() ? 0 : it->second;
}

void RedesignModel::ForgetFreed() {
  for (auto it = chunk_size_.begin(); it != chunk_size_.end();) {
    if (kernel_.live_.count(const_cast<Res*>(it->first)) == 0) {
      it = chunk_size_.erase(it);
    } else {
      ++it;
    }
  }
}

void RedesignModel::FreeOne(Res* r) {
  chunk_size_.erase(r);
  kernel_.FreeRes(r);
}

// -----------------------------------------------------------------------------
// The fence over kernel-compatible operations.

Result RedesignModel::Fence(Result r) {
  if (!chunk_fence_ || r.outcome != KernelOutcome::kOk || r.node == nullptr) {
    return r;
  }
  Res* n = r.node;
  // Choice: landing inside a chunk is checked before adopting one (a node
  // inside a chunk can only adopt nodes inside that chunk), and among
  // adopted chunks the lowest is named.
  Res* chunk = EnclosingChunk(n->parent);
  if (chunk == nullptr) {
    for (Res* c = n->child; c; c = c->sibling) {
      if (IsChunk(c)) {
        chunk = c;
        break;
      }
    }
  }
  if (chunk == nullptr) return r;
  // remove_resource() puts an inserted node's children back exactly where
  // insert_resource() took them from; for a leaf it just unlinks it.
  const Result undo = kernel_.RemoveResource(n);
  (void)undo;
  return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, chunk);
}

Result RedesignModel::Request(Res* parent, const ResourceSpec& spec) {
  return Fence(kernel_.RequestResource(parent, spec));
}

Result RedesignModel::Insert(Res* parent, const ResourceSpec& spec) {
  return Fence(kernel_.InsertResource(parent, spec));
}

Result RedesignModel::InsertExpandToFit(Res* root, const ResourceSpec& spec) {
  return Fence(kernel_.InsertResourceExpandToFit(root, spec));
}

Result RedesignModel::Allocate(Res* root, const ResourceSpec& spec,
                               uint64_t size, const AllocConstraint& c) {
  return Fence(kernel_.AllocateResource(root, spec, size, c));
}

Result RedesignModel::RequestRegion(Res* parent, uint64_t start, uint64_t n,
                                    const std::string& name, uint64_t flags) {
  return Fence(kernel_.RequestRegion(parent, start, n, name, flags));
}

// Choice: the kernel's search runs to its result first; if that result is a
// node inside a chunk (the request_region mode descends from the root into
// non-busy chunks), the call fails with EBUSY naming the chunk rather than
// trying further candidates or reporting ERANGE.
Result RedesignModel::GetFreeMemRegion(Res* base, uint64_t size, uint64_t align,
                                       const std::string& name, uint32_t desc,
                                       bool descending, bool request_region) {
  return Fence(kernel_.GetFreeMemRegion(base, size, align, name, desc,
                                        descending, request_region));
}

Result RedesignModel::AllocFreeMemRegion(Res* base, uint64_t size,
                                         uint64_t align,
                                         const std::string& name) {
  return GetFreeMemRegion(base, size, align, name, iores_desc::kNone,
                          /*descending=*/false, /*request_region=*/false);
}

Result RedesignModel::RequestFreeMemRegion(Res* base, uint64_t size,
                                           const std::string& name) {
  return GetFreeMemRegion(base, size, profile().gfr_default_align, name,
                          iores_desc::kDevicePrivateMemory,
                          /*descending=*/true, /*request_region=*/true);
}

Result RedesignModel::Remove(Res* old) {
  const Result r = kernel_.RemoveResource(old);
  ForgetFreed();
  return r;
}

Result RedesignModel::Release(Res* old) {
  const Result r = kernel_.ReleaseResource(old);
  ForgetFreed();
  return r;
}

Result RedesignModel::ReleaseChildren(Res* res) {
  const Result r = kernel_.ReleaseChildResources(res);
  ForgetFreed();
  return r;
}

Result RedesignModel::Adjust(Res* res, uint64_t start, uint64_t size) {
  return kernel_.AdjustResource(res, start, size);
}

Result RedesignModel::Reallocate(Res* old, uint64_t size,
                                 const AllocConstraint& c) {
  return kernel_.ReallocateResource(old, size, c);
}

Result RedesignModel::ReleaseRegion(Res* parent, uint64_t start, uint64_t n) {
  const Result r = kernel_.ReleaseRegion(parent, start, n);
  ForgetFreed();
  return r;
}

Result RedesignModel::ReleaseMemRegionAdjustable(uint64_t start,
                                                 uint64_t size) {
  const Result r = kernel_.ReleaseMemRegionAdjustable(start, size);
  ForgetFreed();
  return r;
}

Result RedesignModel::MergeSystemRam(Res* res) {
  const Result r = kernel_.MergeSystemRamResource(res);
  ForgetFreed();
  return r;
}

Result RedesignModel::SetFlags(Res* res, uint64_t flags) {
  Result r = kernel_.SetFlags(res, flags);
  r.node = nullptr;
  return r;
}

// -----------------------------------------------------------------------------
// Reparent

Result RedesignModel::Reparent(Res* id, Res* new_parent) {
  if (id->parent == nullptr)
    return Fail(KernelOutcome::kError, kerrno::kEINVAL);
  if (new_parent == id->parent) return Ok();
  if (new_parent == id) {
    return Fail(KernelOutcome::kError, kerrno::kEINVAL, new_parent);
  }
  const Range r = RangeOf(id);
  if (!(new_parent->start <= r.first() && r.last() <= new_parent->end)) {
    return Fail(KernelOutcome::kError, kerrno::kEINVAL, new_parent);
  }
  if (IsProperAncestor(new_parent, id)) {
    // The nodes strictly between, bottom-up; the last one is the highest.
    std::vector<Res*> between;
    for (Res* a = id->parent; a != new_parent; a = a->parent) {
      between.push_back(a);
    }
    for (auto it = between.rbegin(); it != between.rend(); ++it) {
      if (RangeOf(*it) != r) {
        return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, *it);
      }
    }
    Res* highest = between.back();
    Res* old_parent = id->parent;  // `id` is its only child (same range)
    const std::vector<Res*> id_kids = Kids(id);
    Replace(highest, {id});       // id takes the highest node's place
    Relink(id, {highest});        // the chain hangs below id, intact
    Relink(old_parent, id_kids);  // id's children go to its old parent
    return Ok();
  }
  if (IsProperAncestor(id, new_parent)) {
    // Every node from id down to new_parent contains new_parent's range and
    // lies inside id's, so all have id's range; checked anyway, as the
    // specification states the error.
    std::vector<Res*> between;
    for (Res* a = new_parent->parent; a != id; a = a->parent) {
      between.push_back(a);
    }
    for (auto it = between.rbegin(); it != between.rend(); ++it) {
      if (RangeOf(*it) != r) {
        return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, *it);
      }
    }
    const std::vector<Res*> id_kids = Kids(id);  // the one chain child
    const std::vector<Res*> np_kids = Kids(new_parent);
    Replace(id, id_kids);      // id leaves the chain
    Relink(new_parent, {id});  // and becomes new_parent's only child,
    Relink(id, np_kids);       // adopting its former children
    return Ok();
  }
  // Unreachable: a node containing id's range is id, an ancestor or an
  // equal-range descendant, since ranges are laminar.
  return Fail(KernelOutcome::kError, kerrno::kEINVAL, new_parent);
}

// -----------------------------------------------------------------------------
// InsertOver

namespace {

// The chain of nodes cut at address `cut` (the first address of the upper
// part), starting at `top`, which must straddle it: top, then its child that
// straddles `cut`, and so on down.
std::vector<Res*> CutChain(Res* top, uint64_t cut) {
  std::vector<Res*> chain;
  for (Res* x = top; x;) {
    chain.push_back(x);
    Res* next = nullptr;
    for (Res* c = x->child; c; c = c->sibling) {
      if (c->start < cut && cut <= c->end) next = c;
    }
    x = next;
  }
  return chain;
}

}  // namespace

Result RedesignModel::InsertOver(Res* parent, const ResourceSpec& spec,
                                 const std::vector<std::string>& splittable) {
  const Range r = spec.range;
  if (!r.valid() || r.first() < parent->start || r.last() > parent->end) {
    return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, parent);
  }
  // Descend as insert_resource() does: into the lowest overlapping child
  // while it strictly contains the new range.
  Res* p = parent;
  while (true) {
    Res* first = nullptr;
    for (Res* c = p->child; c && first == nullptr; c = c->sibling) {
      if (Overlaps(c, r)) first = c;
    }
    if (first == nullptr) break;
    const bool contains = first->start <= r.first() && r.last() <= first->end;
    if (!contains || RangeOf(first) == r) break;
    p = first;
  }
  // p's children that overlap: at most one straddles the lower edge (the
  // first), one the upper edge (the last); one child straddling both would
  // strictly contain the range and we would have descended into it.
  std::vector<Res*> overlapping;
  for (Res* c = p->child; c; c = c->sibling) {
    if (Overlaps(c, r)) overlapping.push_back(c);
  }
  Res* lo = nullptr;
  Res* hi = nullptr;
  if (!overlapping.empty() && overlapping.front()->start < r.first()) {
    lo = overlapping.front();
  }
  if (!overlapping.empty() && overlapping.back()->end > r.last()) {
    hi = overlapping.back();
  }
  std::vector<Res*> middle;
  for (Res* c : overlapping) {
    if (c != lo && c != hi) middle.push_back(c);
  }
  const std::vector<Res*> lo_chain =
      lo ? CutChain(lo, r.first()) : std::vector<Res*>();
  const std::vector<Res*> hi_chain =
      hi ? CutChain(hi, r.last() + 1) : std::vector<Res*>();
  // Choice (the specification orders the split checks but not the fence
  // against them): first the node the new one would land in; then each
  // node to be cut, lower edge top-down, then upper edge top-down, where a
  // chunk fails the fence and any other node the policy; last the chunks
  // the new node would adopt whole, by address.
  auto can_split = [&](const Res* x) {
    return std::find(splittable.begin(), splittable.end(), x->name) !=
           splittable.end();
  };
  if (chunk_fence_) {
    if (Res* c = EnclosingChunk(p)) {
      return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, c);
    }
  }
  for (const std::vector<Res*>* chain :
       std::vector<const std::vector<Res*>*>{&lo_chain, &hi_chain}) {
    for (Res* x : *chain) {
      if ((chunk_fence_ && IsChunk(x)) || !can_split(x)) {
        return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, x);
      }
    }
  }
  if (chunk_fence_) {
    for (Res* x : middle) {
      if (IsChunk(x)) return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, x);
    }
  }

  // Commit. Every new node first: the window, then the upper parts.
  Res* n = kernel_.NewRes(r.first(), r.last(), std::string(spec.name),
                          spec.flags, spec.desc);
  // Splits `chain` at `cut`; returns the upper part of its top node.
  auto split = [&](const std::vector<Res*>& chain, uint64_t cut) -> Res* {
    std::vector<Res*> upper;
    for (Res* x : chain) {
      upper.push_back(kernel_.NewRes(cut, x->end, x->name, x->flags, x->desc));
    }
    for (size_t k = 0; k < chain.size(); ++k) {
      Res* x = chain[k];
      Res* below_next = k + 1 < chain.size() ? chain[k + 1] : nullptr;
      std::vector<Res*> low_kids;
      std::vector<Res*> high_kids;
      if (below_next) high_kids.push_back(upper[k + 1]);
      for (Res* c : Kids(x)) {
        if (c == below_next || c->end < cut) {
          low_kids.push_back(c);
        } else {
          high_kids.push_back(c);  // wholly at or above the cut
        }
      }
      x->end = cut - 1;
      Relink(x, low_kids);
      Relink(upper[k], high_kids);
    }
    return upper.front();
  };
  Res* lo_upper = lo ? split(lo_chain, r.first()) : nullptr;
  Res* hi_upper = hi ? split(hi_chain, r.last() + 1) : nullptr;
  // The new node's children: the inside parts, by address.
  std::vector<Res*> n_kids;
  if (lo_upper) n_kids.push_back(lo_upper);
  n_kids.insert(n_kids.end(), middle.begin(), middle.end());
  if (hi) n_kids.push_back(hi);  // hi is now its own lower part
  // p's children: the overlapping run becomes [lo] n [hi's upper part].
  std::vector<Res*> p_kids;
  bool placed = false;
  auto place_n = [&] {
    p_kids.push_back(n);
    if (hi_upper) p_kids.push_back(hi_upper);
    placed = true;
  };
  for (Res* c : Kids(p)) {
    if (std::find(overlapping.begin(), overlapping.end(), c) !=
        overlapping.end()) {
      if (c == lo) p_kids.push_back(lo);  // its lower part stays
      continue;                           // the rest move into n
    }
    if (!placed && c->start > r.last()) place_n();
    p_kids.push_back(c);
  }
  if (!placed) place_n();
  Relink(n, n_kids);
  Relink(p, p_kids);
  return Ok(n);
}

// -----------------------------------------------------------------------------
// Grow / Shrink

Result RedesignModel::Grow(Res* id, const Range& new_range,
                           bool grow_ancestors) {
  if (id->parent == nullptr)
    return Fail(KernelOutcome::kError, kerrno::kEINVAL);
  if (!new_range.valid() || !Inside(id, new_range)) {
    return Fail(KernelOutcome::kError, kerrno::kEINVAL);
  }
  // Bottom-up: id's own siblings, then each ancestor in turn.
  std::vector<Res*> adopt;
  for (Res* s : Kids(id->parent)) {
    if (s == id || !Overlaps(s, new_range)) continue;
    if (!Inside(s, new_range)) {
      return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, s);
    }
    adopt.push_back(s);
  }
  std::vector<std::pair<Res*, Range>> grown;
  Range need = new_range;
  for (Res* a = id->parent;; a = a->parent) {
    if (a->start <= need.first() && need.last() <= a->end) break;
    if (!grow_ancestors || a->parent == nullptr) {
      return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, a);
    }
    const Range hull(std::min(a->start, need.first()),
                     std::max(a->end, need.last()));
    for (Res* s : Kids(a->parent)) {
      if (s != a && Overlaps(s, hull)) {
        return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, s);
      }
    }
    grown.emplace_back(a, hull);
    need = hull;
  }
  for (const auto& [a, hull] : grown) {
    a->start = hull.first();
    a->end = hull.last();
  }
  id->start = new_range.first();
  id->end = new_range.last();
  if (!adopt.empty()) {
    std::vector<Res*> parent_kids;
    for (Res* s : Kids(id->parent)) {
      if (std::find(adopt.begin(), adopt.end(), s) == adopt.end()) {
        parent_kids.push_back(s);
      }
    }
    std::vector<Res*> id_kids = Kids(id);
    id_kids.insert(id_kids.end(), adopt.begin(), adopt.end());
    SortByStart(&id_kids);
    Relink(id->parent, parent_kids);
    Relink(id, id_kids);
  }
  return Ok();
}

Result RedesignModel::Shrink(Res* id, const Range& new_range) {
  if (id->parent == nullptr)
    return Fail(KernelOutcome::kError, kerrno::kEINVAL);
  if (!new_range.valid() || new_range.first() < id->start ||
      new_range.last() > id->end) {
    return Fail(KernelOutcome::kError, kerrno::kEINVAL);
  }
  for (Res* c = id->child; c; c = c->sibling) {
    if (!Inside(c, new_range)) {
      return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, c);
    }
  }
  id->start = new_range.first();
  id->end = new_range.last();
  return Ok();
}

// -----------------------------------------------------------------------------
// Chunks

namespace {

// The slot of `addr` in a grid of `size`-byte slots starting at `base`.
u128 SlotOf(uint64_t base, uint64_t size, uint64_t addr) {
  return u128(addr - base) / size;
}

// The free stretches of `window`: what no child overlaps, in order.
std::vector<Range> FreeStretches(const Res* window) {
  std::vector<Range> out;
  u128 cursor = window->start;  // the first address not yet accounted for
  for (const Res* c = window->child; c; c = c->sibling) {
    if (u128(c->start) > cursor) {
      out.emplace_back(static_cast<uint64_t>(cursor), c->start - 1);
    }
    cursor = u128(c->end) + 1;
  }
  if (cursor <= u128(window->end)) {
    out.emplace_back(static_cast<uint64_t>(cursor), window->end);
  }
  return out;
}

// How many chunks covering `r` the grid would make (slots `r` touches).
u128 ChunkCount(uint64_t base, uint64_t size, const Range& r) {
  return SlotOf(base, size, r.last()) - SlotOf(base, size, r.first()) + 1;
}

}  // namespace

std::vector<Res*> RedesignModel::MakeChunks(const Res* window,
                                            uint64_t chunk_size,
                                            const Range& r) {
  std::vector<Res*> out;
  const u128 base = window->start;
  const u128 first = SlotOf(window->start, chunk_size, r.first());
  const u128 last = SlotOf(window->start, chunk_size, r.last());
  for (u128 k = first; k <= last; ++k) {
    const u128 slot_first = base + k * chunk_size;
    const u128 slot_last = slot_first + chunk_size - 1;
    const uint64_t s =
        static_cast<uint64_t>(std::max(slot_first, u128(r.first())));
    const uint64_t e =
        static_cast<uint64_t>(std::min(slot_last, u128(r.last())));
    out.push_back(kernel_.NewRes(s, e, kChunkName,
                                 iores::kMem | iores::kRestreeChunk,
                                 iores_desc::kCxl));
  }
  return out;
}

CountResult RedesignModel::ReserveChunks(Res* window, const ChunkGeometry& g) {
  if (window->parent == nullptr || IsChunk(window)) {
    return Counted(Fail(KernelOutcome::kError, kerrno::kEINVAL));
  }
  const std::vector<uint32_t> ways = {1, 2, 3, 4, 6, 8, 12, 16};
  if (std::find(ways.begin(), ways.end(), g.ways) == ways.end()) {
    return Counted(Fail(KernelOutcome::kError, kerrno::kEINVAL));
  }
  // Choice: a chunk size of 0 is refused even when the memory-block size is
  // 0 too (a slot must hold at least one byte).
  const u128 unit = u128(uint64_t{256} << 20) * g.ways;
  const bool ok = g.chunk_size != 0 && (u128(g.chunk_size) % unit == 0 ||
                                        g.chunk_size == g.memory_block_size);
  if (!ok) return Counted(Fail(KernelOutcome::kError, kerrno::kEINVAL));
  const std::vector<Range> free = FreeStretches(window);
  u128 count = 0;
  for (const Range& f : free)
    count += ChunkCount(window->start, g.chunk_size, f);
  if (count > g.max_new_chunks) {
    return Counted(Fail(KernelOutcome::kError, kerrno::kE2BIG));
  }
  std::vector<Res*> kids = Kids(window);
  for (const Range& f : free) {
    const std::vector<Res*> chunks = MakeChunks(window, g.chunk_size, f);
    kids.insert(kids.end(), chunks.begin(), chunks.end());
  }
  SortByStart(&kids);
  Relink(window, kids);
  chunk_size_[window] = g.chunk_size;
  return Counted(Ok(), static_cast<size_t>(count));
}

Result RedesignModel::ClaimChunks(Res* window, const ResourceSpec& spec) {
  const Range r = spec.range;
  if (!r.valid() || r.first() < window->start || r.last() > window->end) {
    return Fail(KernelOutcome::kError, kerrno::kEINVAL, window);
  }
  // Choice: "in the range" means overlapping it, and the first problem met
  // walking the range from its start is reported: a free stretch before the
  // next child (EINVAL, no conflict), a child that is not a chunk (EBUSY),
  // a chunk an edge cuts (EINVAL, that chunk), in that order for each child.
  std::vector<Res*> in;
  for (Res* c = window->child; c; c = c->sibling) {
    if (Overlaps(c, r)) in.push_back(c);
  }
  u128 cursor = r.first();  // the first address not yet covered
  for (Res* c : in) {
    if (u128(c->start) > cursor) {
      return Fail(KernelOutcome::kError, kerrno::kEINVAL);
    }
    if (!IsChunk(c)) return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, c);
    if (!Inside(c, r)) return Fail(KernelOutcome::kError, kerrno::kEINVAL, c);
    cursor = u128(c->end) + 1;
  }
  if (cursor <= u128(r.last()))
    return Fail(KernelOutcome::kError, kerrno::kEINVAL);

  Res* n = kernel_.NewRes(r.first(), r.last(), std::string(spec.name),
                          spec.flags, spec.desc);
  // Choice: a claimed chunk that has children (only possible after the
  // fence was off) is freed alone; its children become the region's.
  std::vector<Res*> n_kids;
  for (Res* c : in) {
    const std::vector<Res*> ck = Kids(c);
    n_kids.insert(n_kids.end(), ck.begin(), ck.end());
  }
  std::vector<Res*> w_kids;
  for (Res* c : Kids(window)) {
    if (c == in.front()) w_kids.push_back(n);
    if (std::find(in.begin(), in.end(), c) == in.end()) w_kids.push_back(c);
  }
  Relink(window, w_kids);
  Relink(n, n_kids);
  for (Res* c : in) {
    c->child = nullptr;
    FreeOne(c);
  }
  return Ok(n);
}

CountResult RedesignModel::ReturnToChunks(Res* id) {
  if (id->parent == nullptr || IsChunk(id)) {
    return Counted(Fail(KernelOutcome::kError, kerrno::kEINVAL));
  }
  Res* window = id->parent;
  const uint64_t size = ChunkSizeOf(window);
  if (size == 0) return Counted(Fail(KernelOutcome::kError, kerrno::kEINVAL));
  if (id->child) {
    return Counted(Fail(KernelOutcome::kConflict, kerrno::kEBUSY, id->child));
  }
  const std::vector<Res*> chunks = MakeChunks(window, size, RangeOf(id));
  Replace(id, chunks);
  FreeOne(id);
  return Counted(Ok(), chunks.size());
}

CountResult RedesignModel::ReleaseUnusedChunks(Res* window, bool shrink) {
  if (window->parent == nullptr || IsChunk(window)) {
    return Counted(Fail(KernelOutcome::kError, kerrno::kEINVAL));
  }
  // Choice: "every chunk of window" is every chunk child at the call; one
  // that has children (only after the fence was off) is freed alone, its
  // children taking its place (as remove_resource() would do).
  std::vector<Res*> kept;
  std::vector<Res*> freed;
  for (Res* c : Kids(window)) {
    if (IsChunk(c)) {
      freed.push_back(c);
      const std::vector<Res*> ck = Kids(c);
      kept.insert(kept.end(), ck.begin(), ck.end());
    } else {
      kept.push_back(c);
    }
  }
  Relink(window, kept);
  for (Res* c : freed) {
    c->child = nullptr;
    c->parent = nullptr;
    FreeOne(c);
  }
  if (shrink && !kept.empty()) {
    window->start = kept.front()->start;
    window->end = kept.back()->end;
  }
  return Counted(Ok(), freed.size());
}

}  // namespace model
}  // namespace restree
