#include "tests/tree_ops.h"

#include <algorithm>
#include <functional>
#include <ostream>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "resource_tree/flags.h"

namespace restree {
namespace ops {
namespace {

constexpr uint64_t kG = test_support::kGrid;

uint64_t SatSub(uint64_t x, uint64_t d) { return x < d ? 0 : x - d; }
uint64_t SatAdd(uint64_t x, uint64_t d) {
  return x > kMaxAddress - d ? kMaxAddress : x + d;
}

// The `raw`-th node (cyclically, in pre-order) for which `pred` holds, as a
// pre-order index; `fallback` if none does. Steers ops to the few nodes
// where they can succeed (chunks, children of chunk-reserved windows).
template <typename Pred>
int PickWhere(const View& v, int raw, int fallback, Pred pred) {
  std::vector<int> fit;
  for (int i = 0; i < v.n(); ++i) {
    if (pred(v.At(i))) fit.push_back(i);
  }
  if (fit.empty()) return fallback;
  return fit[static_cast<size_t>(raw < 0 ? 0 : raw) % fit.size()];
}

uint64_t AlignUp16k(const AlignRequest& req) {
  return (req.avail.first() + 0x3fff) & ~uint64_t{0x3fff};
}

std::string QuoteName(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Results

std::string OpResult::ToString() const {
  std::string out = std::string(KernelOutcomeName(outcome));
  if (err != 0) absl::StrAppend(&out, " ", ErrnoName(err));
  if (conflict != kNoNode) absl::StrAppend(&out, " conflict=", conflict);
  if (node != kNoNode) absl::StrAppend(&out, " node=", node);
  if (count != 0) absl::StrAppend(&out, " count=", count);
  absl::StrAppend(&out, " ", RegionIntersectionName(intersects));
  for (const WalkRecord& w : walk) {
    absl::StrAppendFormat(
        &out, " [%#x-%#x flags=%#x desc=%d node=%d parent=%d]", w.range.first(),
        w.range.last(), w.flags, w.desc, w.node, w.parent);
  }
  return out;
}

ResourceId TreeRun::At(int ref) const {
  if (ref < 0) return t.root();
  if (!pre_.has_value()) pre_ = t.PreorderIds();
  return ref >= static_cast<int>(pre_->size()) ? t.root() : (*pre_)[ref];
}

int TreeRun::Index(ResourceId id) const {
  if (!id.valid()) return kNoNode;
  if (id == t.root()) return -1;
  if (!index_.has_value()) {
    index_.emplace();
    int k = 0;
    t.ForEachPreorder([&](ResourceId x, int) { (*index_)[x] = k++; });
  }
  auto it = index_->find(id);
  return it == index_->end() ? kNoNode : it->second;
}

OpResult TreeRun::Out(const absl::Status& s, ResourceId node,
                      size_t count) const {
  OpResult r;
  if (!s.ok()) {
    const KernelError e = GetKernelError(s);
    r.outcome = e.outcome;
    r.err = e.errno_value;
    r.conflict = Index(e.conflict);
    return r;
  }
  r.node = Index(node);
  r.count = count;
  return r;
}

template <typename M>
int ResRun<M>::Index(const model::Res* p) const {
  if (p == nullptr) return kNoNode;
  if (p->parent == nullptr) return -1;
  const std::vector<model::Res*> now = m.Preorder();
  for (size_t i = 0; i < now.size(); ++i) {
    if (now[i] == p) return static_cast<int>(i);
  }
  return kNoNode;
}

template <typename M>
OpResult ResRun<M>::Out(const model::Result& res, size_t count) const {
  OpResult r;
  r.outcome = res.outcome;
  r.err = res.err;
  r.conflict = Index(res.conflict);
  if (res.outcome == KernelOutcome::kOk) {
    r.node = Index(res.node);
    r.count = count;
  }
  return r;
}

template class ResRun<model::KernelModel>;
template class ResRun<model::RedesignModel>;

// ---------------------------------------------------------------------------
// View

View::View(const ResourceTree& t) : t_(t), n_(static_cast<int>(t.size()) - 1) {}

const std::vector<ResourceId>& View::pre() const {
  if (!pre_.has_value()) pre_ = t_.PreorderIds();
  return *pre_;
}

int View::Parent(int raw) const {
  const int span = n() + 1;
  int r = raw % span;
  if (r < 0) r += span;
  return r == n() ? -1 : r;
}

int View::Target(int raw) const {
  if (n() == 0) return -1;
  int r = raw % n();
  if (r < 0) r += n();
  return r;
}

ResourceId View::At(int ref) const {
  return ref < 0 || ref >= n() ? t_.root() : pre()[ref];
}

int View::Index(ResourceId id) const {
  if (!id.valid()) return kNoNode;
  if (id == t_.root()) return -1;
  for (int i = 0; i < n(); ++i) {
    if (pre()[i] == id) return i;
  }
  return kNoNode;
}

ResourceId View::Anchor(const Raw& raw, int own) const {
  if (raw.ref2 < 0) return At(own);
  return n() == 0 ? t_.root() : pre()[raw.ref2 % n()];
}

Range View::Place(const Raw& raw, int own, uint64_t len) const {
  const uint64_t a = raw.start;
  if (raw.mode == 0) return Range(a, a + len - 1);
  const ResourceId anchor = Anchor(raw, own);
  const Range r = t_.RangeOf(anchor);
  const uint64_t span = r.last() - r.first();  // size - 1
  switch (raw.mode) {
    case 1: {  // inside the anchor
      const uint64_t start =
          span == kMaxAddress ? a : r.first() + a % (span + 1);
      uint64_t end = start + (len == 0 ? 0 : len - 1);
      if (end < start || end > r.last()) end = r.last();
      return Range(start, end);
    }
    case 2:  // exactly the anchor
      return r;
    case 3:  // around the anchor, past one or both edges
      return Range(SatSub(r.first(), (a % 4) * kG),
                   SatAdd(r.last(), (len / kG % 4) * kG));
    case 4: {  // the anchor shifted up or down: straddles one of its edges
      const uint64_t d = (a % 8 + 1) * kG / 2;
      if (len % 2 == 0) return Range(SatAdd(r.first(), d), SatAdd(r.last(), d));
      return Range(SatSub(r.first(), d), SatSub(r.last(), d));
    }
    case 5: {  // the hull of the anchor's children (else the anchor)
      const std::vector<ResourceId> kids = t_.Children(anchor);
      if (kids.empty()) return r;
      return Range(t_.RangeOf(kids.front()).first(),
                   t_.RangeOf(kids.back()).last());
    }
    default: {  // from the anchor to a later sibling's end: runs of chunks
      ResourceId last = anchor;
      for (uint64_t k = a % 4; k > 0 && anchor != t_.root(); --k) {
        const ResourceId next = t_.NextSibling(last);
        if (!next.valid()) break;
        last = next;
      }
      return Range(r.first(), t_.RangeOf(last).last());
    }
  }
}

// ---------------------------------------------------------------------------
// Generators

rc::Gen<uint64_t> GenAddr(uint64_t top) {
  return rc::gen::weightedOneOf<uint64_t>({
      {8, rc::gen::map(rc::gen::inRange<uint64_t>(0, 64),
                       [](uint64_t k) { return k * kG; })},
      {1, rc::gen::map(rc::gen::inRange<uint64_t>(0, 8),
                       [top](uint64_t k) { return top - k * kG - (kG - 1); })},
      {1, rc::gen::inRange<uint64_t>(0, 0x4000)},
  });
}

rc::Gen<uint64_t> GenLen() {
  return rc::gen::weightedOneOf<uint64_t>({
      {10, rc::gen::map(rc::gen::inRange<uint64_t>(1, 17),
                        [](uint64_t k) { return k * kG; })},
      {1,
       rc::gen::elementOf(std::vector<uint64_t>{0, 1, kG + 1, ~uint64_t{0}})},
  });
}

rc::Gen<int> GenRef() { return rc::gen::inRange(0, 1000); }

namespace {

// The fields every kernel call draws from; `modes` to place it by;
// `any_anchor`: the anchor is any node (by the op's raw reference) rather
// than the op's own node, in that many of four cases.
rc::Gen<Raw> GenFields(uint64_t top, std::vector<int> modes, int any_anchor) {
  return rc::gen::exec([top, modes, any_anchor] {
    Raw r;
    r.ref = *GenRef();
    r.start = *GenAddr(top);
    const uint64_t len = *GenLen();
    r.end = *rc::gen::weightedOneOf<uint64_t>(
        {{12, rc::gen::just(r.start + len - 1)}, {1, GenAddr(top)}});
    r.size = len;
    r.min = *rc::gen::weightedOneOf<uint64_t>(
        {{2, rc::gen::just<uint64_t>(0)}, {1, GenAddr(top)}});
    r.max = *rc::gen::weightedOneOf<uint64_t>(
        {{2, rc::gen::just(~uint64_t{0})}, {1, GenAddr(top)}});
    r.align = *rc::gen::elementOf(
        std::vector<uint64_t>{1, kG, 2 * kG, 4 * kG, 0x1000, 3 * kG, 0});
    r.alignf = *rc::gen::weightedElement<AlignFn>(
        {{4, AlignFn::kNone}, {1, AlignFn::kUp16k}});
    r.flags = *rc::gen::elementOf(std::vector<uint64_t>{
        iores::kMem, iores::kMem | iores::kBusy,
        iores::kSystemRam | iores::kBusy, iores::kSystemRam,
        iores::kMem | iores::kBusy | iores::kMuxed, iores::kMem | iores::kUnset,
        iores::kIo | iores::kBusy, 0});
    r.desc = *rc::gen::elementOf(
        std::vector<uint32_t>{0, 0, iores_desc::kReserved, iores_desc::kCxl});
    r.name = *rc::gen::elementOf(
        std::vector<const char*>{"A", "B", "System RAM", "CXL Window 0"});
    r.mode = *rc::gen::elementOf(modes);
    if (any_anchor > 0 && *rc::gen::inRange(0, 4) < any_anchor) {
      r.ref2 = r.ref;
    }
    return r;
  });
}

// Now and then any 64-bit value: request_region's `int flags` conversion
// and set_flags must hold for bits no driver uses.
rc::Gen<uint64_t> SometimesAnyFlags(rc::Gen<uint64_t> usual) {
  return rc::gen::weightedOneOf<uint64_t>(
      {{5, usual}, {1, rc::gen::arbitrary<uint64_t>()}});
}

rc::Gen<Raw> WithPicks(rc::Gen<Raw> g, std::vector<rc::Gen<uint32_t>> picks) {
  return rc::gen::exec([g, picks] {
    Raw r = *g;
    for (size_t i = 0; i < picks.size() && i < 4; ++i) r.pick[i] = *picks[i];
    return r;
  });
}

// One of `choices`, each as often as its weight (rc::gen::weightedOneOf
// for a list built at run time).
template <typename T>
rc::Gen<T> WeightedOneOf(std::vector<std::pair<size_t, rc::Gen<T>>> choices) {
  size_t total = 0;
  for (const auto& c : choices) total += c.first;
  return rc::gen::exec([choices, total] {
    size_t x = *rc::gen::inRange<size_t>(0, total);
    for (const auto& [w, g] : choices) {
      if (x < w) return *g;
      x -= w;
    }
    return *choices.back().second;
  });
}

rc::Gen<uint32_t> Weights(std::vector<std::pair<size_t, uint32_t>> w) {
  std::vector<std::pair<size_t, rc::Gen<uint32_t>>> choices;
  for (const auto& [weight, v] : w) {
    choices.emplace_back(weight, rc::gen::just(v));
  }
  return WeightedOneOf(std::move(choices));
}

}  // namespace

rc::Gen<Raw> GenKernelRaw(uint64_t top) { return GenFields(top, {0, 1, 2}, 0); }
rc::Gen<Raw> GenLookupRaw(uint64_t top) { return GenFields(top, {0, 1, 2}, 4); }

rc::Gen<Raw> RequestResource::Gen(uint64_t top, bool kernel_only) {
  // Exactly on the parent would always conflict: inside it instead.
  if (kernel_only) return GenFields(top, {0, 1, 1}, 0);
  return GenFields(top, {0, 1, 1, 2, 3, 4}, 1);
}

rc::Gen<Raw> RequestRegion::Gen(uint64_t top, bool) {
  return rc::gen::exec([top] {
    Raw r = *GenKernelRaw(top);
    r.flags = *SometimesAnyFlags(rc::gen::elementOf(std::vector<uint64_t>{
        0, iores::kMuxed, iores::kExclusive,
        iores::kSystemRam | iores::kSysramDriverManaged}));
    return r;
  });
}

rc::Gen<Raw> SetFlags::Gen(uint64_t top, bool) {
  return rc::gen::exec([top] {
    Raw r = *GenKernelRaw(top);
    r.flags = *SometimesAnyFlags(rc::gen::just(r.flags));
    return r;
  });
}

rc::Gen<Raw> InsertOver::Gen(uint64_t top, bool kernel_only) {
  if (kernel_only) return GenKernelRaw(top);
  return rc::gen::exec([top] {
    Raw r = *GenFields(top, {0, 1, 2, 3, 4, 4, 4}, 2);
    r.flags =
        *rc::gen::elementOf(std::vector<uint64_t>{iores::kMem, iores::kMem, 0});
    r.desc = *rc::gen::elementOf(std::vector<uint32_t>{iores_desc::kCxl, 0});
    r.name = *rc::gen::weightedElement<const char*>(
        {{3, "CXL Window 0"}, {1, "Soft Reserved"}, {1, "A"}});
    r.pick[0] = *Weights({{4, 1}, {1, 0}, {2, 2}});  // the split policy
    r.pick[1] = *Weights({{1, 1}, {1, 0}});          // under the root
    return r;
  });
}

rc::Gen<Raw> Grow::Gen(uint64_t top, bool kernel_only) {
  // Around the target (3), so that it often has room to grow, or exactly
  // on it (2).
  if (kernel_only) return GenFields(top, {0, 3, 2}, 0);
  return WithPicks(GenFields(top, {0, 2, 3, 3, 3, 4}, 1),
                   {Weights({{1, 0}, {1, 1}})});
}

rc::Gen<Raw> Reparent::Gen(uint64_t, bool) {
  return rc::gen::exec([] {
    Raw r;
    r.ref = *GenRef();
    r.mode = *rc::gen::inRange(0, 7);
    r.ref2 = *GenRef();
    return r;
  });
}

rc::Gen<Raw> Shrink::Gen(uint64_t top, bool) {
  return GenFields(top, {1, 2, 5, 5}, 1);
}

rc::Gen<Raw> ReserveChunks::Gen(uint64_t, bool) {
  return rc::gen::exec([] {
    Raw r;
    r.ref = *GenRef();
    r.pick[0] = *Weights({{12, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}});
    r.pick[1] = *Weights({{6, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}});
    r.pick[2] = *Weights({{4, 0}, {2, 1}, {2, 2}, {1, 3}});
    r.pick[3] = *Weights({{6, 0}, {1, 1}, {1, 2}, {2, 3}});
    return r;
  });
}

rc::Gen<Raw> ClaimChunks::Gen(uint64_t top, bool) {
  return rc::gen::exec([top] {
    Raw r = *GenFields(top, {2, 2, 6, 6, 6, 1, 3}, 0);
    r.ref2 = *GenRef();
    r.pick[0] = *Weights({{5, 1}, {1, 0}});  // the window: the anchor's parent
    r.pick[1] = *Weights({{4, 1}, {1, 0}});  // the anchor: a chunk
    r.pick[2] = *rc::gen::inRange<uint32_t>(0, 2);
    r.pick[3] = *rc::gen::inRange<uint32_t>(0, 2);
    return r;
  });
}

rc::Gen<Raw> ReturnToChunks::Gen(uint64_t, bool) {
  return rc::gen::exec([] {
    Raw r;
    r.ref = *GenRef();
    r.pick[0] = *Weights({{3, 1}, {1, 0}});  // a child of a chunked window
    return r;
  });
}

// ---------------------------------------------------------------------------
// Make(): raw choices against the tree.

RequestResource RequestResource::Make(const Raw& raw, const View& v) {
  RequestResource o;
  o.parent = v.Parent(raw.ref);
  const Range r = v.Place(raw, o.parent, raw.end - raw.start + 1);
  o.start = r.first();
  o.end = r.last();
  o.flags = raw.flags;
  o.desc = raw.desc;
  o.name = raw.name;
  return o;
}

InsertResource InsertResource::Make(const Raw& raw, const View& v) {
  const RequestResource q = RequestResource::Make(raw, v);
  InsertResource o;
  o.parent = q.parent;
  o.start = q.start;
  o.end = q.end;
  o.flags = q.flags;
  o.desc = q.desc;
  o.name = q.name;
  return o;
}

InsertResourceExpandToFit InsertResourceExpandToFit::Make(const Raw& raw,
                                                          const View& v) {
  const RequestResource q = RequestResource::Make(raw, v);
  InsertResourceExpandToFit o;
  o.parent = q.parent;
  o.start = q.start;
  o.end = q.end;
  o.flags = q.flags;
  o.desc = q.desc;
  o.name = q.name;
  return o;
}

RemoveResource RemoveResource::Make(const Raw& raw, const View& v) {
  RemoveResource o;
  o.target = v.Target(raw.ref);
  return o;
}

ReleaseResource ReleaseResource::Make(const Raw& raw, const View& v) {
  ReleaseResource o;
  o.target = v.Target(raw.ref);
  return o;
}

ReleaseChildResources ReleaseChildResources::Make(const Raw& raw,
                                                  const View& v) {
  ReleaseChildResources o;
  o.target = v.Target(raw.ref);
  return o;
}

AdjustResource AdjustResource::Make(const Raw& raw, const View& v) {
  AdjustResource o;
  o.target = v.Target(raw.ref);
  const Range r = v.Place(raw, o.target, raw.size);
  o.start = r.first();
  o.size = r.size_wrapping();
  if (raw.mode == 2) o.size += kG;  // one step past the node
  return o;
}

AllocConstraint MakeConstraint(uint64_t min, uint64_t max, uint64_t align,
                               AlignFn alignf) {
  AllocConstraint c;
  c.min = min;
  c.max = max;
  c.align = align;
  if (alignf == AlignFn::kUp16k) c.alignf = AlignUp16k;
  return c;
}

AllocateResource AllocateResource::Make(const Raw& raw, const View& v) {
  AllocateResource o;
  o.parent = v.Parent(raw.ref);
  o.size = raw.size;
  o.min = raw.min;
  o.max = raw.max;
  if (raw.mode == 2) {  // the node's own range
    const Range r = v.tree().RangeOf(v.Anchor(raw, o.parent));
    o.min = r.first();
    o.max = r.last();
  }
  o.align = raw.align;
  o.alignf = raw.alignf;
  o.flags = raw.flags;
  o.desc = raw.desc;
  o.name = raw.name;
  return o;
}

ReallocateResource ReallocateResource::Make(const Raw& raw, const View& v) {
  ReallocateResource o;
  o.target = v.Target(raw.ref);
  o.size = raw.size;
  o.min = raw.min;
  o.max = raw.max;
  if (raw.mode == 2) {
    const Range r = v.tree().RangeOf(v.Anchor(raw, o.target));
    o.min = r.first();
    o.max = r.last();
  }
  o.align = raw.align;
  o.alignf = raw.alignf;
  return o;
}

RequestRegion RequestRegion::Make(const Raw& raw, const View& v) {
  RequestRegion o;
  o.parent = v.Parent(raw.ref);
  const Range r = v.Place(raw, o.parent, raw.size);
  o.start = r.first();
  o.size = r.size_wrapping();
  o.flags = raw.flags;
  o.name = raw.name;
  return o;
}

ReleaseRegion ReleaseRegion::Make(const Raw& raw, const View& v) {
  ReleaseRegion o;
  o.parent = v.Parent(raw.ref);
  const Range r = v.Place(raw, o.parent, raw.size);
  o.start = r.first();
  o.size = r.size_wrapping();
  return o;
}

ReleaseMemRegionAdjustable ReleaseMemRegionAdjustable::Make(const Raw& raw,
                                                            const View& v) {
  ReleaseMemRegionAdjustable o;
  const Range r = v.Place(raw, -1, raw.size);
  o.start = r.first();
  o.size = r.size_wrapping();
  return o;
}

MergeSystemRamResource MergeSystemRamResource::Make(const Raw& raw,
                                                    const View& v) {
  MergeSystemRamResource o;
  o.target = v.Target(raw.ref);
  return o;
}

RegionIntersects RegionIntersects::Make(const Raw& raw, const View& v) {
  RegionIntersects o;
  const Range r = v.Place(raw, -1, raw.size);
  o.start = r.first();
  o.size = r.size_wrapping();
  o.flags = raw.flags;
  o.desc = raw.desc;
  return o;
}

WalkIomemResDesc WalkIomemResDesc::Make(const Raw& raw, const View& v) {
  WalkIomemResDesc o;
  const Range r = v.Place(raw, -1, raw.end - raw.start + 1);
  o.start = r.first();
  o.end = r.last();
  o.flags = raw.flags;
  o.desc = raw.desc;
  return o;
}

AllocFreeMemRegion AllocFreeMemRegion::Make(const Raw& raw, const View& v) {
  AllocFreeMemRegion o;
  o.parent = v.Parent(raw.ref);
  o.size = raw.size;
  o.align = raw.align;
  o.name = raw.name;
  return o;
}

RequestFreeMemRegion RequestFreeMemRegion::Make(const Raw& raw, const View& v) {
  RequestFreeMemRegion o;
  o.parent = v.Parent(raw.ref);
  o.size = raw.size;
  o.name = raw.name;
  return o;
}

LookupResource LookupResource::Make(const Raw& raw, const View& v) {
  LookupResource o;
  o.parent = v.Parent(raw.ref);
  o.start = v.Place(raw, o.parent, raw.size).first();
  return o;
}

SetFlags SetFlags::Make(const Raw& raw, const View& v) {
  SetFlags o;
  o.target = v.Target(raw.ref);
  o.flags = raw.flags;
  return o;
}

InsertOver InsertOver::Make(const Raw& raw, const View& v) {
  InsertOver o;
  o.parent = raw.pick[1] % 2 == 1 ? -1 : v.Parent(raw.ref);
  const Range r = v.Place(raw, o.parent, raw.end - raw.start + 1);
  o.start = r.first();
  o.end = r.last();
  o.flags = raw.flags;
  o.desc = raw.desc;
  o.name = raw.name;
  switch (raw.pick[0] % 3) {
    case 1:
      o.splittable = SplitPolicy().splittable;
      break;
    case 2:
      o.splittable = SplitPolicy().splittable;
      for (const char* s : {"A", "CXL Window 0", "CXL chunk"}) {
        o.splittable.push_back(s);
      }
      break;
    default:
      break;
  }
  return o;
}

Grow Grow::Make(const Raw& raw, const View& v) {
  Grow o;
  o.target = v.Target(raw.ref);
  const Range r = v.Place(raw, o.target, raw.size);
  o.start = r.first();
  o.size = r.size_wrapping();
  o.grow_ancestors = raw.pick[0] % 2 == 1;
  return o;
}

Reparent Reparent::Make(const Raw& raw, const View& v) {
  Reparent o;
  o.target = v.Target(raw.ref);
  const int how = raw.mode % 7;  // 0 any node, 1..3 an ancestor that many
                                 // levels up, 4..6 a first-child descendant
                                 // that many levels down
  if (how == 0) {
    o.new_parent = v.Parent(raw.ref2);
    return o;
  }
  const ResourceTree& t = v.tree();
  ResourceId np = v.At(o.target);
  for (int k = 0; k < (how - 1) % 3 + 1; ++k) {
    const ResourceId next = how <= 3 ? t.ParentOf(np) : t.FirstChild(np);
    if (!next.valid()) break;
    np = next;
  }
  o.new_parent = v.Index(np);
  return o;
}

Shrink Shrink::Make(const Raw& raw, const View& v) {
  Shrink o;
  o.target = v.Target(raw.ref);
  const Range r = v.Place(raw, o.target, raw.size);
  o.start = r.first();
  o.size = r.size_wrapping();
  return o;
}

ReserveChunks ReserveChunks::Make(const Raw& raw, const View& v) {
  constexpr uint64_t k256M = uint64_t{256} << 20;
  constexpr uint64_t kBlocks[] = {0x1000, 0x400, 0x800, 0};
  constexpr uint32_t kWays[] = {1, 2, 3, 12, 5, 0};
  constexpr uint64_t kMax[] = {64, 0, 2, 8};
  ReserveChunks o;
  o.window = v.Target(raw.ref);
  o.memory_block_size = kBlocks[raw.pick[2] % 4];
  o.ways = kWays[raw.pick[1] % 6];
  const uint64_t sizes[] = {
      o.memory_block_size, k256M * (o.ways == 0 ? 1 : o.ways), k256M, 0x300, 0};
  o.chunk_size = sizes[raw.pick[0] % 5];
  o.max_new_chunks = kMax[raw.pick[3] % 4];
  return o;
}

ClaimChunks ClaimChunks::Make(const Raw& raw, const View& v) {
  const ResourceTree& t = v.tree();
  ClaimChunks o;
  o.window = v.Target(raw.ref);
  Raw place = raw;
  if (raw.pick[1] % 5 != 0 && place.ref2 >= 0) {  // the anchor: a chunk
    place.ref2 = PickWhere(v, place.ref2, place.ref2,
                           [&](ResourceId id) { return t.IsChunk(id); });
  }
  if (raw.pick[0] % 6 != 0) {  // the window: the anchor's parent
    const ResourceId w = t.ParentOf(v.Anchor(place, -1));
    o.window = w.valid() ? v.Index(w) : -1;
  }
  const Range r = v.Place(place, o.window, raw.size);
  o.start = r.first();
  o.end = r.last();
  o.flags =
      raw.pick[2] % 2 == 0 ? iores::kMem : iores::kSystemRam | iores::kBusy;
  o.desc = iores_desc::kCxl;
  o.name = raw.pick[3] % 2 == 0 ? "region0" : "System RAM";
  return o;
}

ReturnToChunks ReturnToChunks::Make(const Raw& raw, const View& v) {
  const ResourceTree& t = v.tree();
  ReturnToChunks o;
  const int folded = v.Target(raw.ref);
  o.target =
      raw.pick[0] % 4 == 0
          ? folded
          : PickWhere(v, raw.ref, folded, [&](ResourceId id) {
              return !t.IsChunk(id) && t.ChunkSizeOf(t.ParentOf(id)) != 0;
            });
  const ResourceId id = v.At(o.target);
  const ResourceId w = t.ParentOf(id);
  const uint64_t size = w.valid() ? t.ChunkSizeOf(w) : 0;
  if (size != 0 && t.RangeOf(id).size() / size > kMaxGeneratedChunks) {
    o.target = -1;
  }
  return o;
}

ReleaseUnusedChunks ReleaseUnusedChunks::Make(const Raw& raw, const View& v) {
  ReleaseUnusedChunks o;
  o.window = v.Target(raw.ref);
  o.shrink = raw.pick[0] % 2 == 1;
  return o;
}

SetChunkFence SetChunkFence::Make(const Raw& raw, const View&) {
  SetChunkFence o;
  o.on = raw.pick[0] % 2 == 1;
  return o;
}

// ---------------------------------------------------------------------------
// Applies that need more than one call.

OpResult Grow::RunAsKernel(TreeRun& r) const {
  ResourceTree& t = r.t;
  const ResourceId id = r.At(target);
  const Range nr = NewRange();
  if (id != t.root() && nr.valid()) {
    const size_t kids = t.Children(id).size();
    ResourceTree::Transaction tx(&t);
    if (t.Grow(id, nr).ok() && t.Children(id).size() == kids) {
      tx.Commit();
      return r.Out(absl::OkStatus());
    }
  }
  return r.Out(t.Adjust(id, start, size));
}

OpResult WalkIomemResDesc::Run(TreeRun& r) const {
  absl::StatusOr<std::vector<WalkMatch>> w = r.t.Walk(desc, flags, start, end);
  if (!w.ok()) return r.Out(w.status());
  OpResult o;
  for (const WalkMatch& m : *w) {
    WalkRecord rec;
    rec.range = m.range;
    rec.flags = m.flags;
    rec.desc = m.desc;
    rec.node = r.Index(m.node);
    rec.parent = r.Index(m.parent);
    o.walk.push_back(rec);
  }
  return o;
}

template <typename R>
OpResult WalkIomemResDesc::RunOn(const R& r,
                                 const model::KernelModel& m) const {
  KernelOutcome outcome;
  const std::vector<model::WalkHit> hits =
      m.WalkIomemResDesc(desc, flags, start, end, &outcome);
  if (outcome != KernelOutcome::kOk) {
    model::Result res;
    res.outcome = outcome;
    res.err = kerrno::kEINVAL;
    return r.Out(res);
  }
  OpResult o;
  for (const model::WalkHit& h : hits) {
    WalkRecord rec;
    rec.range = Range(h.start, h.end);
    rec.flags = h.flags;
    rec.desc = h.desc;
    rec.node = r.Index(h.node);
    rec.parent = r.Index(h.parent);
    o.walk.push_back(rec);
  }
  return o;
}

// ---------------------------------------------------------------------------
// The C adapter's calls.

ka_op KernelCall(int kind, int ref) {
  ka_op k{};
  k.kind = kind;
  k.ref = ref;
  k.max = kMaxAddress;
  k.align = 1;
  k.name = "";
  return k;
}

namespace {
template <typename T>
void SpecCall(int kind, const T& o, ka_op* k) {
  *k = KernelCall(kind, o.parent);
  k->start = o.start;
  k->end = o.end;
  k->flags = o.flags;
  k->desc = o.desc;
  k->name = o.name.c_str();
}
}  // namespace

bool RequestResource::ToKernel(ka_op* k) const {
  SpecCall(KA_REQUEST_RESOURCE, *this, k);
  return true;
}
bool InsertResource::ToKernel(ka_op* k) const {
  SpecCall(KA_INSERT_RESOURCE, *this, k);
  return true;
}
bool InsertResourceExpandToFit::ToKernel(ka_op* k) const {
  SpecCall(KA_INSERT_RESOURCE_EXPAND_TO_FIT, *this, k);
  return true;
}
bool InsertOver::ToKernel(ka_op* k) const {
  SpecCall(KA_INSERT_RESOURCE, *this, k);
  return InKernel();
}
bool RemoveResource::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_REMOVE_RESOURCE, target);
  return true;
}
bool ReleaseResource::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_RELEASE_RESOURCE, target);
  return true;
}
bool ReleaseChildResources::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_RELEASE_CHILD_RESOURCES, target);
  return true;
}
bool AdjustResource::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_ADJUST_RESOURCE, target);
  k->start = start;
  k->size = size;
  return true;
}
bool Grow::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_ADJUST_RESOURCE, target);
  k->start = start;
  k->size = size;
  return InKernel();
}
bool AllocateResource::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_ALLOCATE_RESOURCE, parent);
  k->size = size;
  k->min = min;
  k->max = max;
  k->align = align;
  k->alignf_up16k = alignf == AlignFn::kUp16k;
  k->flags = flags;
  k->desc = desc;
  k->name = name.c_str();
  return true;
}
bool ReallocateResource::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_REALLOCATE_RESOURCE, target);
  k->size = size;
  k->min = min;
  k->max = max;
  k->align = align;
  k->alignf_up16k = alignf == AlignFn::kUp16k;
  return true;
}
bool RequestRegion::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_REQUEST_REGION, parent);
  k->start = start;
  k->size = size;
  k->flags = flags;
  k->name = name.c_str();
  return true;
}
bool ReleaseRegion::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_RELEASE_REGION, parent);
  k->start = start;
  k->size = size;
  return true;
}
bool ReleaseMemRegionAdjustable::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_RELEASE_MEM_REGION_ADJUSTABLE, -1);
  k->start = start;
  k->size = size;
  return true;
}
bool MergeSystemRamResource::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_MERGE_SYSTEM_RAM_RESOURCE, target);
  return true;
}
bool RegionIntersects::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_REGION_INTERSECTS, -1);
  k->start = start;
  k->size = size;
  k->flags = flags;
  k->desc = desc;
  return true;
}
bool WalkIomemResDesc::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_WALK_IOMEM_RES_DESC, -1);
  k->start = start;
  k->end = end;
  k->flags = flags;
  k->desc = desc;
  return true;
}
bool AllocFreeMemRegion::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_ALLOC_FREE_MEM_REGION, parent);
  k->size = size;
  k->align = align;
  k->name = name.c_str();
  return true;
}
bool RequestFreeMemRegion::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_REQUEST_FREE_MEM_REGION, parent);
  k->size = size;
  k->name = name.c_str();
  return true;
}
bool LookupResource::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_LOOKUP_RESOURCE, parent);
  k->start = start;
  return true;
}
bool SetFlags::ToKernel(ka_op* k) const {
  *k = KernelCall(KA_SET_FLAGS, target);
  k->flags = flags;
  return true;
}

// ---------------------------------------------------------------------------
// Text: every struct's Fields() print and parse.

namespace {

void AppendValue(int ref, FieldKind, absl::string_view root, std::string* out) {
  if (ref < 0) {
    absl::StrAppend(out, root);
  } else {
    absl::StrAppend(out, root, ":", ref);
  }
}
void AppendValue(uint64_t v, FieldKind kind, absl::string_view,
                 std::string* out) {
  if (kind == FieldKind::kDec) {
    absl::StrAppend(out, v);
  } else {
    absl::StrAppendFormat(out, "%#x", v);
  }
}
void AppendValue(uint32_t v, FieldKind kind, absl::string_view root,
                 std::string* out) {
  AppendValue(uint64_t{v}, kind, root, out);
}
void AppendValue(bool v, FieldKind, absl::string_view, std::string* out) {
  out->push_back(v ? '1' : '0');
}
void AppendValue(AlignFn v, FieldKind, absl::string_view, std::string* out) {
  absl::StrAppend(out, v == AlignFn::kUp16k ? "up16k" : "none");
}
void AppendValue(const std::string& v, FieldKind, absl::string_view,
                 std::string* out) {
  absl::StrAppend(out, QuoteName(v));
}
void AppendValue(const std::vector<std::string>& v, FieldKind,
                 absl::string_view, std::string* out) {
  absl::StrAppend(out, QuoteName(absl::StrJoin(v, ",")));
}

template <typename T>
void Print(const T& op, absl::string_view root, std::string* out) {
  out->append(T::kName);
  static const T kDefault;
  std::apply(
      [&](const auto&... f) {
        (
            [&] {
              const auto& v = op.*(f.member);
              if ((f.opt & kOmitDefault) && v == kDefault.*(f.member)) return;
              absl::StrAppend(out, " ", f.key, "=");
              AppendValue(v, f.kind, root, out);
            }(),
            ...);
      },
      T::Fields());
}

// One key=value of a trace line; `*_at` point into the line, for columns.
struct Token {
  absl::string_view key;
  absl::string_view value_at;
  std::string value;
};

using ErrFn = std::function<absl::Status(absl::string_view, absl::string_view)>;

absl::Status ParseValue(int* out, FieldKind, const Token& t, const ErrFn& err) {
  absl::string_view v = t.value;
  const size_t colon = v.find(':');
  absl::string_view root = v.substr(0, colon);
  if (root != "iomem" && root != "ioport") {
    return err(t.value_at, absl::StrCat("bad node reference '", v, "'"));
  }
  *out = -1;
  if (colon != absl::string_view::npos) {
    int k = 0;
    if (!absl::SimpleAtoi(v.substr(colon + 1), &k) || k < 0) {
      return err(t.value_at, absl::StrCat("bad node index in '", v, "'"));
    }
    *out = k;
  }
  return absl::OkStatus();
}
absl::Status ParseValue(uint64_t* out, FieldKind kind, const Token& t,
                        const ErrFn& err) {
  absl::string_view v = t.value;
  if (kind == FieldKind::kFlags) {
    if (!ParseFlags(v, out)) {
      return err(t.value_at, absl::StrCat("bad flags '", v, "'"));
    }
    return absl::OkStatus();
  }
  if (kind == FieldKind::kDec) {
    if (!absl::SimpleAtoi(v, out)) {
      return err(t.value_at, absl::StrCat("bad ", t.key, " '", v, "'"));
    }
    return absl::OkStatus();
  }
  const bool ok = absl::StartsWithIgnoreCase(v, "0x")
                      ? absl::SimpleHexAtoi(v, out)
                      : absl::SimpleAtoi(v, out);
  if (!ok) return err(t.value_at, absl::StrCat("bad number '", v, "'"));
  return absl::OkStatus();
}
absl::Status ParseValue(uint32_t* out, FieldKind kind, const Token& t,
                        const ErrFn& err) {
  bool ok = false;
  if (kind == FieldKind::kDec) {
    ok = absl::SimpleAtoi(t.value, out);
  } else {
    uint64_t v = 0;
    ok = ParseValue(&v, kind, t, err).ok() && v <= UINT32_MAX;
    *out = static_cast<uint32_t>(v);
  }
  if (!ok)
    return err(t.value_at, absl::StrCat("bad ", t.key, " '", t.value, "'"));
  return absl::OkStatus();
}
absl::Status ParseValue(bool* out, FieldKind, const Token& t,
                        const ErrFn& err) {
  if (t.value == "0" || t.value == "1") {
    *out = t.value == "1";
    return absl::OkStatus();
  }
  return err(t.value_at,
             absl::StrCat("bad ", t.key, " '", t.value, "' (0 or 1)"));
}
absl::Status ParseValue(AlignFn* out, FieldKind, const Token& t,
                        const ErrFn& err) {
  if (t.value == "none") {
    *out = AlignFn::kNone;
  } else if (t.value == "up16k") {
    *out = AlignFn::kUp16k;
  } else {
    return err(t.value_at, absl::StrCat("unknown alignf '", t.value, "'"));
  }
  return absl::OkStatus();
}
absl::Status ParseValue(std::string* out, FieldKind, const Token& t,
                        const ErrFn&) {
  *out = t.value;
  return absl::OkStatus();
}
absl::Status ParseValue(std::vector<std::string>* out, FieldKind,
                        const Token& t, const ErrFn&) {
  out->clear();
  if (!t.value.empty()) *out = absl::StrSplit(t.value, ',');
  return absl::OkStatus();
}

// Every key some operation has.
template <size_t... I>
void AddKeys(absl::flat_hash_set<std::string>* s, std::index_sequence<I...>) {
  (std::apply([&](const auto&... f) { (s->insert(f.key), ...); },
              std::variant_alternative_t<I, Op>::Fields()),
   ...);
}

const absl::flat_hash_set<std::string>& AllKeys() {
  static const auto* keys = [] {
    auto* s = new absl::flat_hash_set<std::string>();
    AddKeys(s, std::make_index_sequence<kNumKinds>());
    return s;
  }();
  return *keys;
}

template <typename T>
absl::StatusOr<Op> ParseAs(absl::string_view verb,
                           const std::vector<Token>& tokens,
                           absl::string_view whole, const ErrFn& err) {
  T op;
  uint64_t seen = 0;
  for (const Token& t : tokens) {
    bool found = false;
    absl::Status status;
    size_t i = 0;
    std::apply(
        [&](const auto&... f) {
          (
              [&] {
                if (!found && t.key == f.key) {
                  found = true;
                  status = ParseValue(&(op.*(f.member)), f.kind, t, err);
                  seen |= uint64_t{1} << i;
                }
                ++i;
              }(),
              ...);
        },
        T::Fields());
    if (!found) {
      if (AllKeys().contains(t.key)) {
        return err(t.key,
                   absl::StrCat("'", t.key, "' does not apply to ", verb));
      }
      return err(t.key, absl::StrCat("unknown key '", t.key, "'"));
    }
    if (!status.ok()) return status;
  }
  size_t i = 0;
  bool missing = false;
  std::apply(
      [&](const auto&... f) {
        (
            [&] {
              if ((f.opt & kOptional) == 0 &&
                  (seen & (uint64_t{1} << i)) == 0) {
                missing = true;
              }
              ++i;
            }(),
            ...);
      },
      T::Fields());
  if (missing) {
    return err(whole.substr(whole.size()),
               absl::StrCat(verb, " is missing an argument"));
  }
  return Op(std::move(op));
}

template <size_t... I>
absl::StatusOr<Op> ParseVerb(absl::string_view verb,
                             const std::vector<Token>& tokens,
                             absl::string_view whole, const ErrFn& err,
                             std::index_sequence<I...>) {
  absl::StatusOr<Op> out =
      err(verb, absl::StrCat("unknown operation '", verb, "'"));
  bool done = false;
  (
      [&] {
        using T = std::variant_alternative_t<I, Op>;
        if (!done && verb == T::kName) {
          done = true;
          out = ParseAs<T>(verb, tokens, whole, err);
        }
      }(),
      ...);
  return out;
}

template <size_t I>
Op MakeOne(const Raw& raw, const View& v) {
  return std::variant_alternative_t<I, Op>::Make(raw, v);
}

template <size_t... I>
Op MakeAt(int kind, const Raw& raw, const View& v, std::index_sequence<I...>) {
  using Fn = Op (*)(const Raw&, const View&);
  static constexpr Fn kMakers[] = {&MakeOne<I>...};
  return kMakers[kind](raw, v);
}

template <size_t... I>
std::vector<std::pair<size_t, rc::Gen<RawOp>>> Choices(
    uint64_t top, bool kernel_only, const std::vector<int>& kinds,
    std::index_sequence<I...>) {
  std::vector<std::pair<size_t, rc::Gen<RawOp>>> out;
  (
      [&] {
        using T = std::variant_alternative_t<I, Op>;
        if (std::find(kinds.begin(), kinds.end(), static_cast<int>(I)) ==
            kinds.end()) {
          return;
        }
        out.emplace_back(
            T::kWeight,
            rc::gen::map(T::Gen(top, kernel_only), [kernel_only](Raw r) {
              // Chunks come from ReserveChunks
              // where the fence is on.
              if (!kernel_only) {
                r.flags &= ~iores::kRestreeChunk;
              }
              RawOp o;
              o.kind = static_cast<int>(I);
              o.raw = std::move(r);
              return o;
            }));
      }(),
      ...);
  return out;
}

// ---- fuzzer bytes

constexpr uint64_t kFuzzFlags[] = {
    iores::kMem,
    iores::kMem | iores::kBusy,
    iores::kSystemRam | iores::kBusy,
    iores::kSystemRam,
    iores::kMem | iores::kBusy | iores::kMuxed,
    iores::kMuxed,
    iores::kMem | iores::kUnset,
    iores::kIo | iores::kBusy,
    iores::kSystemRam | iores::kSysramDriverManaged,
    0,
};
constexpr const char* kFuzzNames[] = {"A", "B", "System RAM", "CXL Window 0"};

uint64_t FuzzAddr(FuzzedDataProvider& in, uint64_t top) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return in.ConsumeIntegral<uint8_t>() * kG;
    case 1:
      return top - in.ConsumeIntegral<uint8_t>() * kG;
    case 2:
      return in.ConsumeIntegral<uint16_t>();
    default:
      return in.ConsumeIntegral<uint64_t>();
  }
}

uint64_t FuzzLen(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0:
      return (in.ConsumeIntegral<uint8_t>() % 32 + 1) * kG;
    case 1:
      return in.ConsumeIntegral<uint16_t>();
    default:
      return in.ConsumeIntegral<uint64_t>();
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// The API

absl::string_view Name(const Op& op) {
  return std::visit([](const auto& o) -> absl::string_view { return o.kName; },
                    op);
}

std::string ToString(const Op& op, absl::string_view root) {
  std::string out;
  std::visit([&](const auto& o) { Print(o, root, &out); }, op);
  return out;
}

absl::StatusOr<Op> ParseOp(absl::string_view line) {
  const absl::string_view whole = line;
  const ErrFn err = [&](absl::string_view at, absl::string_view msg) {
    const size_t col = at.data() - whole.data() + 1;
    return absl::InvalidArgumentError(
        absl::StrFormat("column %d: %s", col, msg));
  };
  line = absl::StripLeadingAsciiWhitespace(line);
  if (absl::StartsWith(line, "> ")) line.remove_prefix(2);
  line = absl::StripLeadingAsciiWhitespace(line);
  const size_t sp = line.find(' ');
  const absl::string_view verb = line.substr(0, sp);
  std::vector<Token> tokens;
  absl::string_view rest =
      sp == absl::string_view::npos ? absl::string_view() : line.substr(sp);
  while (true) {
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (rest.empty()) break;
    const size_t eq = rest.find('=');
    if (eq == absl::string_view::npos) return err(rest, "expected key=value");
    Token t;
    t.key = rest.substr(0, eq);
    t.value_at = rest.substr(eq + 1);
    if (!t.value_at.empty() && t.value_at[0] == '"') {
      size_t i = 1;
      bool closed = false;
      for (; i < t.value_at.size(); ++i) {
        if (t.value_at[i] == '\\' && i + 1 < t.value_at.size()) {
          t.value.push_back(t.value_at[++i]);
        } else if (t.value_at[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          t.value.push_back(t.value_at[i]);
        }
      }
      if (!closed) return err(t.value_at, "unterminated string");
      rest = t.value_at.substr(i);
    } else {
      const size_t end = t.value_at.find(' ');
      t.value = std::string(t.value_at.substr(0, end));
      rest = end == absl::string_view::npos ? absl::string_view()
                                            : t.value_at.substr(end);
    }
    tokens.push_back(std::move(t));
  }
  return ParseVerb(verb, tokens, whole, err,
                   std::make_index_sequence<kNumKinds>());
}

std::vector<int> Refs(const Op& op) {
  std::vector<int> out;
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        std::apply(
            [&](const auto&... f) {
              (
                  [&] {
                    if constexpr (std::is_same_v<
                                      std::decay_t<decltype(o.*(f.member))>,
                                      int>) {
                      out.push_back(o.*(f.member));
                    }
                  }(),
                  ...);
            },
            T::Fields());
      },
      op);
  return out;
}

bool IsQuery(const Op& op) {
  return std::visit(
      [](const auto& o) { return std::decay_t<decltype(o)>::kQuery; }, op);
}

bool InKernel(const Op& op) {
  return std::visit([](const auto& o) { return o.InKernel(); }, op);
}

OpResult Apply(ResourceTree& tree, const Op& op) {
  TreeRun r(tree);
  return std::visit([&](const auto& o) { return o.Run(r); }, op);
}

OpResult ApplyAsKernel(ResourceTree& tree, const Op& op) {
  TreeRun r(tree);
  return std::visit([&](const auto& o) { return o.RunAsKernel(r); }, op);
}

std::optional<OpResult> Apply(model::KernelModel& m, const Op& op) {
  return std::visit(
      [&](const auto& o) -> std::optional<OpResult> {
        using T = std::decay_t<decltype(o)>;
        if constexpr (T::kKernel) {
          if (!o.InKernel()) return std::nullopt;
          ModelRun r(m);
          return o.Run(r);
        } else {
          return std::nullopt;
        }
      },
      op);
}

OpResult Apply(model::RedesignModel& m, const Op& op) {
  RedesignRun r(m);
  return std::visit([&](const auto& o) { return o.Run(r); }, op);
}

bool ToRedesignKernel(const Op& op, ka_op* k, std::vector<const char*>* names) {
  if (const auto* o = std::get_if<InsertOver>(&op)) {
    SpecCall(KA_INSERT_OVER, *o, k);
    names->clear();
    for (const std::string& n : o->splittable) names->push_back(n.c_str());
    k->split_names = names->data();
    k->n_split_names = static_cast<int>(names->size());
    return true;
  }
  if (const auto* o = std::get_if<Grow>(&op)) {
    *k = KernelCall(KA_GROW, o->target);
    k->start = o->NewRange().first();
    k->end = o->NewRange().last();
    k->flag = o->grow_ancestors ? 1 : 0;
    return true;
  }
  if (const auto* o = std::get_if<Shrink>(&op)) {
    *k = KernelCall(KA_SHRINK, o->target);
    k->start = o->NewRange().first();
    k->end = o->NewRange().last();
    return true;
  }
  if (const auto* o = std::get_if<Reparent>(&op)) {
    *k = KernelCall(KA_REPARENT, o->target);
    k->ref2 = o->new_parent;
    return true;
  }
  if (const auto* o = std::get_if<ReserveChunks>(&op)) {
    *k = KernelCall(KA_RESERVE_CHUNKS, o->window);
    k->chunk_size = o->chunk_size;
    k->ways = o->ways;
    k->memory_block_size = o->memory_block_size;
    k->max_new_chunks = o->max_new_chunks;
    return true;
  }
  if (const auto* o = std::get_if<ClaimChunks>(&op)) {
    *k = KernelCall(KA_CLAIM_CHUNKS, o->window);
    k->start = o->start;
    k->end = o->end;
    k->flags = o->flags;
    k->desc = o->desc;
    k->name = o->name.c_str();
    return true;
  }
  if (const auto* o = std::get_if<ReturnToChunks>(&op)) {
    *k = KernelCall(KA_RETURN_TO_CHUNKS, o->target);
    return true;
  }
  if (const auto* o = std::get_if<ReleaseUnusedChunks>(&op)) {
    *k = KernelCall(KA_RELEASE_UNUSED_CHUNKS, o->window);
    k->flag = o->shrink ? 1 : 0;
    return true;
  }
  return ToKernel(op, k);
}

bool ToKernel(const Op& op, ka_op* k) {
  return std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (T::kKernel) {
          return o.ToKernel(k);
        } else {
          return false;
        }
      },
      op);
}

Op Make(const RawOp& raw, const ResourceTree& tree) {
  const View v(tree);
  const int kind = raw.kind < 0 || raw.kind >= kNumKinds ? 0 : raw.kind;
  return MakeAt(kind, raw.raw, v, std::make_index_sequence<kNumKinds>());
}

void showValue(const RawOp& op, std::ostream& os) {
  os << "kind " << op.kind << " (" << ToString(Make(op, ResourceTree::Iomem()))
     << " on an empty tree)";
}

rc::Gen<RawOp> GenRawOp(uint64_t top, const std::vector<int>& kinds) {
  return WeightedOneOf(Choices(top, /*kernel_only=*/false, kinds,
                               std::make_index_sequence<kNumKinds>()));
}

rc::Gen<RawOp> GenRawOp(uint64_t top, OpSet set) {
  const bool kernel_only = set == OpSet::kKernel;
  std::vector<int> kinds;
  for (int i = 0; i < (kernel_only ? kNumKernelKinds : kNumKinds); ++i) {
    kinds.push_back(i);
  }
  return WeightedOneOf(
      Choices(top, kernel_only, kinds, std::make_index_sequence<kNumKinds>()));
}

RawOp DecodeRawOp(FuzzedDataProvider& in, uint64_t top, OpSet set) {
  RawOp o;
  Raw& r = o.raw;
  o.kind = in.ConsumeIntegralInRange<int>(
      0, (set == OpSet::kKernel ? kNumKernelKinds : kNumKinds) - 1);
  r.ref = in.ConsumeIntegral<uint16_t>();
  r.start = FuzzAddr(in, top);
  r.size = FuzzLen(in);
  r.end = in.ConsumeBool() ? r.start + r.size - 1 : FuzzAddr(in, top);
  r.min = in.ConsumeBool() ? 0 : FuzzAddr(in, top);
  r.max = in.ConsumeBool() ? ~uint64_t{0} : FuzzAddr(in, top);
  r.align = in.ConsumeBool() ? uint64_t{1} << in.ConsumeIntegralInRange(0, 16)
                             : in.ConsumeIntegral<uint16_t>();
  r.alignf = in.ConsumeBool() ? AlignFn::kUp16k : AlignFn::kNone;
  r.flags = in.ConsumeBool()
                ? kFuzzFlags[in.ConsumeIntegralInRange<size_t>(
                      0, sizeof(kFuzzFlags) / sizeof(kFuzzFlags[0]) - 1)]
                : in.ConsumeIntegral<uint64_t>();
  r.desc = in.ConsumeIntegralInRange<uint32_t>(0, 10);
  r.name = kFuzzNames[in.ConsumeIntegralInRange<size_t>(0, 3)];
  if (set == OpSet::kAll) {
    r.flags &= ~iores::kRestreeChunk;  // chunks come from ReserveChunks
    r.mode = in.ConsumeIntegralInRange<int>(0, 6);
    r.ref2 = in.ConsumeBool() ? -1 : in.ConsumeIntegral<uint16_t>();
    for (uint32_t& p : r.pick) p = in.ConsumeIntegral<uint8_t>();
  }
  return o;
}

}  // namespace ops
}  // namespace restree
