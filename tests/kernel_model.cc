// The reference model: the kernel's linked-list algorithms, transcribed from
// the reference semantics with no cleverness. Compare with ResourceTree
// (resource_tree/kernel_ops.cc), which reaches the same results through a
// B-tree index and arithmetic shortcuts.

#include "tests/kernel_model.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace restree {
namespace model {
namespace {

uint64_t Type(const Res* r) { return r->flags & iores::kTypeBits; }
uint64_t ExtType(const Res* r) { return r->flags & iores::kExtTypeBits; }

// resource_contains(): same type, neither UNSET, r1 covers r2.
bool ResContains(const Res* r1, const Res* r2) {
  if (Type(r1) != Type(r2)) return false;
  if ((r1->flags & iores::kUnset) || (r2->flags & iores::kUnset)) return false;
  return r1->start <= r2->start && r1->end >= r2->end;
}

bool ResOverlaps(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2) {
  return s1 <= e2 && e1 >= s2;
}

bool Match(const Res* p, uint64_t flags, uint32_t desc) {
  return (p->flags & flags) == flags &&
         (desc == iores_desc::kNone || desc == p->desc);
}

uint64_t Align(uint64_t x, uint64_t a) { return (x + (a - 1)) & ~(a - 1); }

// The kernel's pre-order successor (6.1: no subtree bound).
Res* NextRes(Res* p) {
  if (p->child) return p->child;
  while (!p->sibling && p->parent) p = p->parent;
  return p->sibling;
}

Res* NextResSkipChildren(Res* p) {
  while (!p->sibling && p->parent) p = p->parent;
  return p->sibling;
}

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

}  // namespace

KernelModel::KernelModel(const ResourceSpec& root, KernelProfile profile)
    : profile_(std::move(profile)) {
  root_ = NewRes(root.range.first(), root.range.last(), std::string(root.name),
                 root.flags, root.desc);
}

KernelModel::~KernelModel() {
  for (Res* r : live_) delete r;
}

Res* KernelModel::NewRes(uint64_t start, uint64_t end, const std::string& name,
                         uint64_t flags, uint32_t desc) {
  Res* r = new Res;
  r->start = start;
  r->end = end;
  r->name = name;
  r->flags = flags;
  r->desc = desc;
  live_.insert(r);
  return r;
}

void KernelModel::FreeRes(Res* r) {
  live_.erase(r);
  delete r;
}

void KernelModel::FreeTree(Res* r) {
  std::vector<Res*> pending = {r};
  while (!pending.empty()) {
    Res* x = pending.back();
    pending.pop_back();
    for (Res* c = x->child; c; c = c->sibling) pending.push_back(c);
    FreeRes(x);
  }
}

std::vector<Res*> KernelModel::Preorder() const {
  std::vector<Res*> out;
  for (Res* p = root_->child; p; p = NextRes(p)) out.push_back(p);
  return out;
}

// ----------------------------------------------------------------------------
// __request_resource / __release_resource

Res* KernelModel::RequestCore(Res* root, Res* n) {
  if (n->end < n->start || n->start < root->start || n->end > root->end) {
    return root;
  }
  Res** link = &root->child;
  while (true) {
    Res* here = *link;
    if (here == nullptr || here->start > n->end) {
      n->sibling = here;
      *link = n;
      n->parent = root;
      return nullptr;
    }
    if (here->end >= n->start) return here;
    link = &here->sibling;
  }
}

int KernelModel::ReleaseCore(Res* old, bool release_child) {
  for (Res** link = &old->parent->child; *link; link = &(*link)->sibling) {
    if (*link != old) continue;
    if (release_child || old->child == nullptr) {
      *link = old->sibling;
    } else {
      Res* last = old->child;
      for (Res* c = old->child; c; c = c->sibling) {
        c->parent = old->parent;
        last = c;
      }
      *link = old->child;
      last->sibling = old->sibling;
    }
    old->parent = nullptr;
    return 0;
  }
  return -kerrno::kEINVAL;
}

Result KernelModel::RequestResource(Res* parent, const ResourceSpec& spec) {
  Res* n = NewRes(spec.range.first(), spec.range.last(), std::string(spec.name),
                  spec.flags, spec.desc);
  Res* conflict = RequestCore(parent, n);
  if (conflict) {
    FreeRes(n);
    return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, conflict);
  }
  return Ok(n);
}

// ----------------------------------------------------------------------------
// __insert_resource (links on success)

Res* KernelModel::InsertCore(Res* parent, Res* n) {
  Res* first;
  while (true) {
    first = RequestCore(parent, n);
    if (first == nullptr) return nullptr;
    if (first == parent || first == n) return first;
    const bool covers_new = first->start <= n->start && first->end >= n->end;
    const bool identical = first->start == n->start && first->end == n->end;
    if (!covers_new || identical) break;
    parent = first;  // strictly contains: go one level down
  }
  Res* last = first;
  while (true) {
    if (last->start < n->start || last->end > n->end) return last;
    if (last->sibling == nullptr || last->sibling->start > n->end) break;
    last = last->sibling;
  }
  n->parent = parent;
  n->sibling = last->sibling;
  n->child = first;
  last->sibling = nullptr;
  for (Res* c = first; c; c = c->sibling) c->parent = n;
  if (parent->child == first) {
    parent->child = n;
  } else {
    Res* before = parent->child;
    while (before->sibling != first) before = before->sibling;
    before->sibling = n;
  }
  return nullptr;
}

Result KernelModel::InsertResource(Res* parent, const ResourceSpec& spec) {
  Res* n = NewRes(spec.range.first(), spec.range.last(), std::string(spec.name),
                  spec.flags, spec.desc);
  Res* conflict = InsertCore(parent, n);
  if (conflict) {
    FreeRes(n);
    return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, conflict);
  }
  return Ok(n);
}

Result KernelModel::InsertResourceExpandToFit(Res* root,
                                              const ResourceSpec& spec) {
  Res* n = NewRes(spec.range.first(), spec.range.last(), std::string(spec.name),
                  spec.flags, spec.desc);
  while (true) {
    Res* conflict = InsertCore(root, n);
    if (conflict == nullptr) return Ok(n);
    if (conflict == root) {
      FreeRes(n);
      return Fail(KernelOutcome::kNotInserted, 0, root);
    }
    if (conflict->start < n->start) n->start = conflict->start;
    if (conflict->end > n->end) n->end = conflict->end;
  }
}

// ----------------------------------------------------------------------------
// remove / release

Result KernelModel::RemoveResource(Res* old) {
  if (old->parent == nullptr) {
    return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
  }
  if (ReleaseCore(old, false) != 0) {
    return Fail(KernelOutcome::kError, kerrno::kEINVAL);
  }
  FreeRes(old);
  return Ok();
}

Result KernelModel::ReleaseResource(Res* old) {
  if (old->parent == nullptr) {
    return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
  }
  if (ReleaseCore(old, true) != 0) {
    return Fail(KernelOutcome::kError, kerrno::kEINVAL);
  }
  FreeTree(old);
  return Ok();
}

Result KernelModel::ReleaseChildResources(Res* r) {
  Res* c = r->child;
  r->child = nullptr;
  while (c) {
    Res* next = c->sibling;
    FreeTree(c);
    c = next;
  }
  return Ok();
}

// ----------------------------------------------------------------------------
// adjust

int KernelModel::AdjustCore(Res* res, uint64_t start, uint64_t size) {
  const uint64_t end = start + size - 1;
  Res* parent = res->parent;
  if (parent) {
    if (start < parent->start || end > parent->end) return -kerrno::kEBUSY;
    if (res->sibling && res->sibling->start <= end) return -kerrno::kEBUSY;
    if (parent->child != res) {
      Res* prev = parent->child;
      while (prev->sibling != res) prev = prev->sibling;
      if (start <= prev->end) return -kerrno::kEBUSY;
    }
  }
  for (Res* c = res->child; c; c = c->sibling) {
    if (c->start < start || c->end > end) return -kerrno::kEBUSY;
  }
  res->start = start;
  res->end = end;
  return 0;
}

Result KernelModel::AdjustResource(Res* res, uint64_t start, uint64_t size) {
  if (start + size - 1 < start) {
    return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
  }
  const int err = AdjustCore(res, start, size);
  if (err) return Fail(KernelOutcome::kError, -err);
  return Ok();
}

// ----------------------------------------------------------------------------
// __find_resource / allocate / reallocate

int KernelModel::FindResource(Res* root, Res* old, Res* out, uint64_t size,
                              const AllocConstraint& c) const {
  Res* here = root->child;
  uint64_t gap_start = root->start;
  uint64_t gap_end = 0;
  if (here && here->start == root->start) {
    gap_start = here == old ? old->start : here->end + 1;
    here = here->sibling;
  }
  while (true) {
    if (here) {
      gap_end = here == old ? here->end : here->start - 1;
    } else {
      gap_end = root->end;
    }
    if (gap_end >= gap_start) {
      // resource_clip() writes back into the gap.
      if (gap_start < c.min) gap_start = c.min;
      if (gap_end > c.max) gap_end = c.max;
      const uint64_t avail_start = Align(gap_start, c.align);
      if (avail_start >= gap_start) {
        uint64_t alloc_start = avail_start;
        if (c.alignf) {
          AlignRequest req;
          req.avail = Range(avail_start, gap_end);
          req.full_avail = Range(gap_start, gap_end);
          req.flags = out->flags & ~iores::kUnset;
          req.size = size;
          req.align = c.align;
          alloc_start = c.alignf(req);
        }
        const uint64_t alloc_end = alloc_start + size - 1;
        const uint64_t lo =
            profile_.split_reparents_children ? gap_start : avail_start;
        if (alloc_start <= alloc_end && lo <= alloc_start &&
            alloc_end <= gap_end) {
          out->start = alloc_start;
          out->end = alloc_end;
          return 0;
        }
      }
    }
    if (here == nullptr || here->end == root->end) break;
    if (here != old) gap_start = here->end + 1;
    here = here->sibling;
  }
  return -kerrno::kEBUSY;
}

Result KernelModel::AllocateResource(Res* root, const ResourceSpec& spec,
                                     uint64_t size, const AllocConstraint& c) {
  Res* n = NewRes(0, 0, std::string(spec.name), spec.flags, spec.desc);
  int err = FindResource(root, nullptr, n, size, c);
  if (err == 0 && RequestCore(root, n) != nullptr) err = -kerrno::kEBUSY;
  if (err) {
    FreeRes(n);
    return Fail(KernelOutcome::kError, -err);
  }
  return Ok(n);
}

Result KernelModel::ReallocateResource(Res* old, uint64_t size,
                                       const AllocConstraint& c) {
  Res* root = old->parent;
  if (root == nullptr) {
    return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
  }
  Res fresh = *old;
  if (FindResource(root, old, &fresh, size, c) != 0) {
    return Fail(KernelOutcome::kError, kerrno::kEBUSY);
  }
  if (ResContains(&fresh, old)) {
    old->start = fresh.start;
    old->end = fresh.end;
    return Ok();
  }
  if (old->child) return Fail(KernelOutcome::kError, kerrno::kEBUSY);
  if (ResContains(old, &fresh)) {
    old->start = fresh.start;
    old->end = fresh.end;
    return Ok();
  }
  ReleaseCore(old, true);
  old->start = fresh.start;
  old->end = fresh.end;
  old->sibling = nullptr;
  if (RequestCore(root, old) != nullptr) {
    // The kernel's BUG_ON(conflict). The space came from the gaps, so this
    // cannot happen; if it does, the model is wrong.
    std::fprintf(stderr, "KernelModel: reallocate found taken space\n");
    std::abort();
  }
  return Ok();
}

// ----------------------------------------------------------------------------
// __request_region / __release_region

Result KernelModel::RequestRegion(Res* parent, uint64_t start, uint64_t n,
                                  const std::string& name, uint64_t flags) {
  // `int flags` in the kernel, OR-ed with the unsigned int IORESOURCE_BUSY:
  // the upper 32 bits are dropped, bit 31 is not sign-extended.
  const uint64_t iflags = static_cast<uint32_t>(flags);
  Res* res = NewRes(start, start + n - 1, name, 0, 0);
  while (true) {
    res->flags = Type(parent) | ExtType(parent) | iores::kBusy | iflags;
    res->desc = parent->desc;
    Res* conflict = RequestCore(parent, res);
    if (conflict == nullptr) return Ok(res);
    if (conflict != parent && !(conflict->flags & iores::kBusy)) {
      parent = conflict;
      continue;
    }
    FreeRes(res);
    if (conflict->flags & iflags & iores::kMuxed) {
      return Fail(KernelOutcome::kWouldSleep, kerrno::kEBUSY, conflict);
    }
    return Fail(KernelOutcome::kConflict, kerrno::kEBUSY, conflict);
  }
}

Result KernelModel::ReleaseRegion(Res* parent, uint64_t start, uint64_t n) {
  const uint64_t end = start + n - 1;
  Res** link = &parent->child;
  while (*link) {
    Res* res = *link;
    if (res->start <= start && res->end >= end) {
      if (!(res->flags & iores::kBusy)) {
        link = &res->child;
        continue;
      }
      if (res->start != start || res->end != end) break;
      *link = res->sibling;
      FreeTree(res);
      return Ok();
    }
    link = &res->sibling;
  }
  return Fail(KernelOutcome::kNotFound, 0);
}

// ----------------------------------------------------------------------------
// release_mem_region_adjustable

Result KernelModel::ReleaseMemRegionAdjustable(uint64_t start, uint64_t size) {
  const uint64_t end = start + size - 1;
  if (size == 0 || end < start) {
    return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
  }
  if (start < root_->start || end > root_->end) {
    return Fail(KernelOutcome::kWarned, 0);
  }
  Res** link = &root_->child;
  while (*link) {
    Res* res = *link;
    if (res->start >= end) break;
    if (res->start > start || res->end < end) {
      link = &res->sibling;
      continue;
    }
    if (!(res->flags & iores::kMem)) break;
    if (!(res->flags & iores::kBusy)) {
      link = &res->child;
      continue;
    }
    if (res->start == start && res->end == end) {
      *link = res->sibling;
      FreeTree(res);
      return Ok();
    }
    if (res->start == start) {
      if (AdjustCore(res, end + 1, res->end - end) != 0) {
        return Fail(KernelOutcome::kWarned, 0);
      }
      return Ok();
    }
    if (res->end == end) {
      if (AdjustCore(res, res->start, start - res->start) != 0) {
        return Fail(KernelOutcome::kWarned, 0);
      }
      return Ok();
    }
    // Split. The upper part is a new node after `res`.
    Res* high = NewRes(end + 1, res->end, res->name, res->flags, res->desc);
    high->parent = res->parent;
    std::vector<Res*> moved;
    if (profile_.split_reparents_children) {
      Res** cl = &res->child;
      while (*cl) {
        Res* c = *cl;
        if (c->start > end) {
          *cl = c->sibling;
          moved.push_back(c);
        } else {
          cl = &c->sibling;
        }
      }
      Res** tail = &high->child;
      for (Res* c : moved) {
        c->parent = high;
        c->sibling = nullptr;
        *tail = c;
        tail = &c->sibling;
      }
    }
    if (AdjustCore(res, res->start, start - res->start) != 0) {
      // 7.0 would lose `moved` here; restree puts them back and reports the
      // WARN without a change (documented divergence).
      if (!moved.empty()) {
        Res** tail = &res->child;
        while (*tail) tail = &(*tail)->sibling;
        for (Res* c : moved) {
          c->parent = res;
          c->sibling = nullptr;
          *tail = c;
          tail = &c->sibling;
        }
      }
      FreeRes(high);
      return Fail(KernelOutcome::kWarned, 0);
    }
    high->sibling = res->sibling;
    res->sibling = high;
    return Ok(high);
  }
  return Fail(KernelOutcome::kNotFound, 0);
}

// ----------------------------------------------------------------------------
// merge_system_ram_resource

Result KernelModel::MergeSystemRamResource(Res* res) {
  const uint64_t need = iores::kSystemRam | iores::kBusy;
  if ((res->flags & need) != need) return Fail(KernelOutcome::kWarned, 0);
  if (res->parent == nullptr) {
    return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
  }
  res->flags |= iores::kSysramMergeable;
  auto mergeable = [](Res* a, Res* b) {
    return a->flags == b->flags && a->end + 1 == b->start &&
           a->name == b->name && a->desc == b->desc && !a->child && !b->child;
  };
  Res* next = res->sibling;
  if (next && mergeable(res, next)) {
    res->end = next->end;
    res->sibling = next->sibling;
    FreeRes(next);
  }
  Res* prev = res->parent->child;
  while (prev && prev->sibling != res) prev = prev->sibling;
  if (prev && mergeable(prev, res)) {
    prev->end = res->end;
    prev->sibling = res->sibling;
    FreeRes(res);
    return Ok(prev);
  }
  return Ok(res);
}

// get_free_mem_region() over a taken candidate: the kernel tries addr +- k *
// step for k = 1, 2, ...; all of those that still overlap the lowest child
// overlapping the current candidate are taken too. Returns the first k-th
// candidate for which that is no longer certain: it overlaps no longer, its
// range wraps, or the loop would stop there. Found by exponential and binary
// search on k (the predicate is monotone), so a 2^40-step walk costs ~80
// probes. Returns a value for which the loop condition fails when the loop
// would stop.
uint64_t KernelModel::NextCandidate(Res* base, uint64_t addr, uint64_t size,
                                    uint64_t step, uint64_t limit,
                                    bool descending, uint64_t* steps) const {
  Res* c = nullptr;
  for (Res* p = base->child; p && c == nullptr; p = p->sibling) {
    if (ResOverlaps(p->start, p->end, addr, addr + size - 1)) c = p;
  }
  using u128 = unsigned __int128;
  const u128 top = ~uint64_t{0};
  // Candidate k, or none if it falls outside 0 .. 2^64-1.
  auto at = [&](u128 k, uint64_t* out) {
    const u128 d = k * step;
    if (descending) {
      if (d > addr) return false;
      *out = static_cast<uint64_t>(addr - d);
    } else {
      if (addr + d > top) return false;
      *out = static_cast<uint64_t>(addr + d);
    }
    return true;
  };
  auto settled = [&](u128 k) {
    uint64_t a;
    if (!at(k, &a)) return true;
    const bool more = descending ? (a > step && a >= base->start)
                                 : (a > a - step && a <= limit);
    if (!more) return true;
    const uint64_t e = a + size - 1;
    if (e < a) return true;
    return !ResOverlaps(c->start, c->end, a, e);
  };
  u128 hi = 1;
  while (!settled(hi)) hi *= 2;
  u128 lo = hi / 2;  // !settled(lo) unless lo == 0
  while (hi - lo > 1) {
    const u128 mid = lo + (hi - lo) / 2;
    if (settled(mid)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  *steps = hi > top ? ~uint64_t{0} : static_cast<uint64_t>(hi);
  uint64_t a;
  if (!at(hi, &a)) return 0;  // 0 fails the loop test in both directions
  return a;
}

// ----------------------------------------------------------------------------
// get_free_mem_region

Result KernelModel::GetFreeMemRegion(Res* base, uint64_t size, uint64_t align,
                                     const std::string& name, uint32_t desc,
                                     bool descending, bool request_region,
                                     bool dry_run) {
  last_gfr_candidates_ = 1;
  size = Align(size, align);
  const uint64_t step = profile_.gfr_step_is_align ? align : size;
  const uint64_t limit = std::min(base->end, profile_.physmem_end);
  uint64_t addr;
  if (descending) {
    // The first candidate, limit - size + 1, must not wrap below 0.
    if (size == 0 || size - 1 > limit) {
      return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
    }
    addr = limit - size + 1;
  } else {
    const uint64_t from = profile_.gfr_ascending_skips_zero
                              ? std::max(base->start, align)
                              : base->start;
    addr = Align(from, align);
  }
  // The kernel's loop. A taken candidate is followed by the next one that
  // could differ (see NextCandidate()).
  while (true) {
    const bool more = descending ? (addr > step && addr >= base->start)
                                 : (addr > addr - step && addr <= limit);
    if (!more) break;
    const uint64_t cand_end = addr + size - 1;
    if (cand_end < addr) {
      return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
    }
    bool taken = false;
    for (Res* p = base->child; p; p = p->sibling) {
      if (ResOverlaps(p->start, p->end, addr, cand_end)) taken = true;
    }
    if (taken) {
      if (step == 0) {
        return Fail(KernelOutcome::kContractViolation, kerrno::kEINVAL);
      }
      uint64_t steps = 0;
      addr = NextCandidate(base, addr, size, step, limit, descending, &steps);
      last_gfr_candidates_ = steps > ~uint64_t{0} - last_gfr_candidates_
                                 ? ~uint64_t{0}
                                 : last_gfr_candidates_ + steps;
      continue;
    }
    if (dry_run) return Ok();
    if (request_region) {
      Result r = RequestRegion(root_, addr, size, name, 0);
      if (r.outcome != KernelOutcome::kOk) break;
      r.node->desc = desc;
      return r;
    }
    Res* n = NewRes(addr, cand_end, name, iores::kMem, desc);
    if (InsertCore(base, n) != nullptr || n->child != nullptr) {
      // n->child cannot be set here: nothing in `base` overlaps.
      if (n->parent == nullptr) FreeRes(n);
      break;
    }
    return Ok(n);
  }
  return Fail(KernelOutcome::kError, kerrno::kERANGE);
}

Result KernelModel::SetFlags(Res* res, uint64_t flags) {
  res->flags = flags;
  return Ok(res);
}

// ----------------------------------------------------------------------------
// queries

RegionIntersection KernelModel::RegionIntersects(uint64_t start, uint64_t size,
                                                 uint64_t flags,
                                                 uint32_t desc) const {
  const uint64_t rs = start;
  const uint64_t re = start + size - 1;
  int type = 0;
  int other = 0;
  for (Res* p = root_->child; p; p = p->sibling) {
    if (!ResOverlaps(p->start, p->end, rs, re)) continue;
    uint64_t os = std::max(p->start, rs);
    const uint64_t oe = std::min(p->end, re);
    if (Match(p, flags, desc)) {
      ++type;
      continue;
    }
    if (!profile_.region_intersects_descendants) {
      ++other;
      continue;
    }
    bool covered = false;
    // 6.1's for_each_resource(p, dp, false) does not stop at the end of p's
    // subtree; it goes on through the rest of the tree.
    for (Res* dp = p->child; dp; dp = NextRes(dp)) {
      if (!ResOverlaps(dp->start, dp->end, rs, re)) continue;
      if (!Match(dp, flags, desc)) continue;
      ++type;
      if (dp->start > os) break;
      if (dp->end >= oe) {
        covered = true;
        break;
      }
      os = std::max(os, dp->end + 1);
    }
    if (!covered) ++other;
  }
  if (type == 0) return RegionIntersection::kDisjoint;
  if (other == 0) return RegionIntersection::kIntersects;
  return RegionIntersection::kMixed;
}

std::vector<WalkHit> KernelModel::WalkIomemResDesc(
    uint32_t desc, uint64_t flags, uint64_t start, uint64_t end,
    KernelOutcome* outcome) const {
  *outcome = KernelOutcome::kOk;
  std::vector<WalkHit> hits;
  while (start < end) {
    // find_next_iomem_res()
    bool skip_children = true;
    Res* p = root_->child;
    while (p) {
      if (p->start > end) {
        p = nullptr;
        break;
      }
      if (p->end < start) {
        p = skip_children ? NextResSkipChildren(p) : NextRes(p);
        continue;
      }
      skip_children = false;
      if (Match(p, flags, desc)) break;
      p = NextRes(p);
    }
    if (p == nullptr) break;
    WalkHit h;
    h.start = std::max(start, p->start);
    h.end = std::min(end, p->end);
    h.flags = p->flags;
    h.desc = p->desc;
    h.node = p;
    h.parent = p->parent;
    hits.push_back(h);
    if (h.end == ~uint64_t{0}) {
      *outcome = KernelOutcome::kContractViolation;
      return {};
    }
    start = h.end + 1;
  }
  return hits;
}

Res* KernelModel::LookupResource(Res* root, uint64_t start) const {
  for (Res* r = root->child; r; r = r->sibling) {
    if (r->start == start) return r;
  }
  return nullptr;
}

// ----------------------------------------------------------------------------
// text

std::string KernelModel::RenderProc(int max_depth, bool zero_addresses) const {
  const int width = root_->end < 0x10000 ? 4 : 8;
  std::string out;
  char buf[128];
  for (Res* r = root_->child; r; r = NextRes(r)) {
    int depth = 0;
    for (Res* p = r; depth < max_depth; ++depth, p = p->parent) {
      if (p->parent == root_) break;
    }
    const unsigned long long s = zero_addresses ? 0 : r->start;
    const unsigned long long e = zero_addresses ? 0 : r->end;
    std::snprintf(buf, sizeof(buf), "%*s%0*llx-%0*llx : ", depth * 2, "", width,
                  s, width, e);
    out += buf;
    out += r->name;
    out += '\n';
  }
  return out;
}

std::string KernelModel::Dump() const {
  std::string out;
  char buf[160];
  std::vector<std::pair<Res*, int>> pending = {{root_, 0}};
  while (!pending.empty()) {
    auto [r, depth] = pending.back();
    pending.pop_back();
    std::snprintf(buf, sizeof(buf), "%*s%016llx-%016llx : ", depth * 2, "",
                  static_cast<unsigned long long>(r->start),
                  static_cast<unsigned long long>(r->end));
    out += buf;
    out += r->name;
    std::snprintf(buf, sizeof(buf), " flags=%#llx desc=%u\n",
                  static_cast<unsigned long long>(r->flags), r->desc);
    out += buf;
    std::vector<Res*> kids;
    for (Res* c = r->child; c; c = c->sibling) kids.push_back(c);
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
      pending.emplace_back(*it, depth + 1);
    }
  }
  return out;
}

std::vector<std::string> KernelModel::CheckInvariants() const {
  std::vector<std::string> out;
  std::set<const Res*> seen = {root_};
  std::vector<const Res*> pending = {root_};
  char buf[200];
  while (!pending.empty()) {
    const Res* p = pending.back();
    pending.pop_back();
    if (p->start > p->end) {
      std::snprintf(buf, sizeof(buf), "%s: start > end", p->name.c_str());
      out.push_back(buf);
    }
    const Res* prev = nullptr;
    for (const Res* c = p->child; c; c = c->sibling) {
      if (!seen.insert(c).second) {
        out.push_back("node reached twice: " + c->name);
        return out;
      }
      if (c->parent != p) out.push_back("bad parent link: " + c->name);
      if (c->start < p->start || c->end > p->end) {
        out.push_back("child outside parent: " + c->name);
      }
      if (prev && prev->end >= c->start) {
        out.push_back("siblings unsorted or overlapping: " + prev->name + ", " +
                      c->name);
      }
      prev = c;
      pending.push_back(c);
    }
  }
  if (seen.size() != live_.size()) {
    std::snprintf(buf, sizeof(buf), "%zu nodes reachable, %zu allocated",
                  seen.size(), live_.size());
    out.push_back(buf);
  }
  return out;
}

}  // namespace model
}  // namespace restree
