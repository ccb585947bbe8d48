#include "tests/tree_ops.h"

#include <type_traits>
#include <unordered_map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace restree {
namespace ops {
namespace {

// Which keys each operation prints and parses.
enum Key : unsigned {
  kParent = 1u << 0,
  kTarget = 1u << 1,
  kStart = 1u << 2,
  kEnd = 1u << 3,
  kSize = 1u << 4,
  kMin = 1u << 5,
  kMax = 1u << 6,
  kAlign = 1u << 7,
  kAlignf = 1u << 8,
  kFlags = 1u << 9,
  kDesc = 1u << 10,
  kName = 1u << 11,
};

struct KindInfo {
  OpKind kind;
  const char* name;
  unsigned keys;
};

constexpr KindInfo kKinds[] = {
    {OpKind::kRequestResource, "request_resource",
     kParent | kStart | kEnd | kFlags | kDesc | kName},
    {OpKind::kInsertResource, "insert_resource",
     kParent | kStart | kEnd | kFlags | kDesc | kName},
    {OpKind::kInsertResourceExpandToFit, "insert_resource_expand_to_fit",
     kParent | kStart | kEnd | kFlags | kDesc | kName},
    {OpKind::kRemoveResource, "remove_resource", kTarget},
    {OpKind::kReleaseResource, "release_resource", kTarget},
    {OpKind::kReleaseChildResources, "release_child_resources", kTarget},
    {OpKind::kAdjustResource, "adjust_resource", kTarget | kStart | kSize},
    {OpKind::kAllocateResource, "allocate_resource",
     kParent | kSize | kMin | kMax | kAlign | kAlignf | kFlags | kDesc | kName},
    {OpKind::kReallocateResource, "reallocate_resource",
     kTarget | kSize | kMin | kMax | kAlign | kAlignf},
    {OpKind::kRequestRegion, "request_region",
     kParent | kStart | kSize | kFlags | kName},
    {OpKind::kReleaseRegion, "release_region", kParent | kStart | kSize},
    {OpKind::kReleaseMemRegionAdjustable, "release_mem_region_adjustable",
     kStart | kSize},
    {OpKind::kMergeSystemRamResource, "merge_system_ram_resource", kTarget},
    {OpKind::kRegionIntersects, "region_intersects",
     kStart | kSize | kFlags | kDesc},
    {OpKind::kWalkIomemResDesc, "walk_iomem_res_desc",
     kStart | kEnd | kFlags | kDesc},
    {OpKind::kAllocFreeMemRegion, "alloc_free_mem_region",
     kParent | kSize | kAlign | kName},
    {OpKind::kRequestFreeMemRegion, "request_free_mem_region",
     kParent | kSize | kName},
    {OpKind::kLookupResource, "lookup_resource", kParent | kStart},
    {OpKind::kSetFlags, "set_flags", kTarget | kFlags},
    {OpKind::kInsertOver, "insert_over",
     kParent | kStart | kEnd | kFlags | kDesc | kName},
    {OpKind::kGrow, "grow", kTarget | kStart | kSize},
};

const KindInfo& Info(OpKind kind) { return kKinds[static_cast<int>(kind)]; }

// Grow() where it coincides with adjust_resource(): it succeeds without
// adopting a sibling. Otherwise it is rolled back (which exercises the undo
// journal) and Adjust() answers as the kernel would.
absl::Status GrowOrAdjust(ResourceTree& t, ResourceId target, const Op& op) {
  const Range nr = Range::FromStartSizeWrapping(op.start, op.size);
  if (target != t.root() && nr.valid()) {
    const size_t kids = t.Children(target).size();
    ResourceTree::Transaction tx(&t);
    if (t.Grow(target, nr).ok() && t.Children(target).size() == kids) {
      tx.Commit();
      return absl::OkStatus();
    }
  }
  return t.Adjust(target, op.start, op.size);
}

uint64_t AlignUp16k(const AlignRequest& req) {
  return (req.avail.first() + 0x3fff) & ~uint64_t{0x3fff};
}

AllocConstraint MakeConstraint(const Op& op) {
  AllocConstraint c;
  c.min = op.min;
  c.max = op.max;
  c.align = op.align;
  if (op.alignf == AlignFn::kUp16k) c.alignf = AlignUp16k;
  return c;
}

ResourceSpec Spec(const Op& op) {
  return ResourceSpec{Range(op.start, op.end), op.name, op.flags, op.desc};
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

// ---- results from a ResourceTree

OpResult FromTree(const ResourceTree& t, const absl::Status& status,
                  ResourceId node) {
  absl::flat_hash_map<ResourceId, int> index;
  int k = 0;
  t.ForEachPreorder([&](ResourceId id, int) { index[id] = k++; });
  auto idx = [&](ResourceId id) {
    if (!id.valid()) return kNoNode;
    if (id == t.root()) return -1;
    auto it = index.find(id);
    return it == index.end() ? kNoNode : it->second;
  };
  OpResult r;
  if (!status.ok()) {
    const KernelError e = GetKernelError(status);
    r.outcome = e.outcome;
    r.err = e.errno_value;
    r.conflict = idx(e.conflict);
    return r;
  }
  r.node = idx(node);
  return r;
}

template <typename T>
OpResult FromTree(const ResourceTree& t, const absl::StatusOr<T>& s) {
  if (!s.ok()) return FromTree(t, s.status(), ResourceId());
  if constexpr (std::is_same_v<T, ResourceId>) {
    return FromTree(t, absl::OkStatus(), *s);
  } else {
    return FromTree(t, absl::OkStatus(), ResourceId());
  }
}

// ---- results from the model

OpResult FromModel(const model::KernelModel& m, const model::Result& res) {
  std::unordered_map<const model::Res*, int> index;
  int k = 0;
  for (model::Res* r : m.Preorder()) index[r] = k++;
  auto idx = [&](const model::Res* p) {
    if (p == nullptr) return kNoNode;
    if (p->parent == nullptr) return -1;
    auto it = index.find(p);
    return it == index.end() ? kNoNode : it->second;
  };
  OpResult r;
  r.outcome = res.outcome;
  r.err = res.err;
  r.conflict = idx(res.conflict);
  r.node = res.outcome == KernelOutcome::kOk ? idx(res.node) : kNoNode;
  return r;
}

}  // namespace

absl::string_view OpName(OpKind kind) { return Info(kind).name; }

bool IsQuery(OpKind kind) {
  return kind == OpKind::kRegionIntersects ||
         kind == OpKind::kWalkIomemResDesc || kind == OpKind::kLookupResource;
}

Op Normalize(Op op, int n) {
  const unsigned keys = Info(op.kind).keys;
  if (keys & (kParent | kTarget)) {
    // Valid references are left alone; others are folded in. A parent may
    // be the root (-1, folded from n); a target never is.
    const int span = (keys & kTarget) ? n : n + 1;
    if (span <= 0) {
      op.ref = -1;
    } else {
      int r = op.ref % span;
      if (r < 0) r += span;
      op.ref = r == n ? -1 : r;
    }
  } else {
    op.ref = -1;
  }
  return op;
}

std::string ToString(const Op& op, absl::string_view root) {
  const KindInfo& info = Info(op.kind);
  std::string out = info.name;
  auto ref = [&] {
    return op.ref < 0 ? std::string(root) : absl::StrCat(root, ":", op.ref);
  };
  if (info.keys & kParent) absl::StrAppend(&out, " parent=", ref());
  if (info.keys & kTarget) absl::StrAppend(&out, " target=", ref());
  if (info.keys & kStart) absl::StrAppendFormat(&out, " start=%#x", op.start);
  if (info.keys & kEnd) absl::StrAppendFormat(&out, " end=%#x", op.end);
  if (info.keys & kSize) absl::StrAppendFormat(&out, " size=%#x", op.size);
  if (info.keys & kMin) absl::StrAppendFormat(&out, " min=%#x", op.min);
  if (info.keys & kMax) absl::StrAppendFormat(&out, " max=%#x", op.max);
  if (info.keys & kAlign) absl::StrAppendFormat(&out, " align=%#x", op.align);
  if (info.keys & kAlignf) {
    absl::StrAppend(&out, " alignf=",
                    op.alignf == AlignFn::kUp16k ? "up16k" : "none");
  }
  if (info.keys & kFlags) absl::StrAppendFormat(&out, " flags=%#x", op.flags);
  if (info.keys & kDesc) absl::StrAppend(&out, " desc=", op.desc);
  if (info.keys & kName) absl::StrAppend(&out, " name=", QuoteName(op.name));
  return out;
}

absl::StatusOr<Op> ParseOp(absl::string_view line) {
  const absl::string_view whole = line;
  auto err = [&](absl::string_view at, absl::string_view msg) {
    const size_t col = at.data() - whole.data() + 1;
    return absl::InvalidArgumentError(
        absl::StrFormat("column %d: %s", col, msg));
  };
  line = absl::StripLeadingAsciiWhitespace(line);
  if (absl::StartsWith(line, "> ")) line.remove_prefix(2);
  line = absl::StripLeadingAsciiWhitespace(line);
  size_t sp = line.find(' ');
  const absl::string_view verb = line.substr(0, sp);
  const KindInfo* info = nullptr;
  for (const KindInfo& k : kKinds) {
    if (verb == k.name) info = &k;
  }
  if (info == nullptr) {
    return err(verb, absl::StrCat("unknown operation '", verb, "'"));
  }
  Op op;
  op.kind = info->kind;
  unsigned seen = 0;
  absl::string_view rest =
      sp == absl::string_view::npos ? absl::string_view() : line.substr(sp);
  while (true) {
    rest = absl::StripLeadingAsciiWhitespace(rest);
    if (rest.empty()) break;
    const size_t eq = rest.find('=');
    if (eq == absl::string_view::npos) {
      return err(rest, "expected key=value");
    }
    const absl::string_view key = rest.substr(0, eq);
    absl::string_view value_at = rest.substr(eq + 1);
    std::string value;
    if (!value_at.empty() && value_at[0] == '"') {
      size_t i = 1;
      bool closed = false;
      for (; i < value_at.size(); ++i) {
        if (value_at[i] == '\\' && i + 1 < value_at.size()) {
          value.push_back(value_at[++i]);
        } else if (value_at[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value.push_back(value_at[i]);
        }
      }
      if (!closed) return err(value_at, "unterminated string");
      rest = value_at.substr(i);
    } else {
      const size_t end = value_at.find(' ');
      value = std::string(value_at.substr(0, end));
      rest = end == absl::string_view::npos ? absl::string_view()
                                            : value_at.substr(end);
    }
    auto number = [&](uint64_t* out) -> absl::Status {
      absl::string_view v = value;
      const bool ok = absl::StartsWithIgnoreCase(v, "0x")
                          ? absl::SimpleHexAtoi(v, out)
                          : absl::SimpleAtoi(v, out);
      if (!ok) return err(value_at, absl::StrCat("bad number '", v, "'"));
      return absl::OkStatus();
    };
    unsigned bit = 0;
    if (key == "parent" || key == "target") {
      bit = key == "parent" ? kParent : kTarget;
      absl::string_view v = value;
      const size_t colon = v.find(':');
      absl::string_view root = v.substr(0, colon);
      if (root != "iomem" && root != "ioport") {
        return err(value_at, absl::StrCat("bad node reference '", v, "'"));
      }
      op.ref = -1;
      if (colon != absl::string_view::npos) {
        int k = 0;
        if (!absl::SimpleAtoi(v.substr(colon + 1), &k) || k < 0) {
          return err(value_at, absl::StrCat("bad node index in '", v, "'"));
        }
        op.ref = k;
      }
    } else if (key == "start") {
      bit = kStart;
      if (absl::Status s = number(&op.start); !s.ok()) return s;
    } else if (key == "end") {
      bit = kEnd;
      if (absl::Status s = number(&op.end); !s.ok()) return s;
    } else if (key == "size") {
      bit = kSize;
      if (absl::Status s = number(&op.size); !s.ok()) return s;
    } else if (key == "min") {
      bit = kMin;
      if (absl::Status s = number(&op.min); !s.ok()) return s;
    } else if (key == "max") {
      bit = kMax;
      if (absl::Status s = number(&op.max); !s.ok()) return s;
    } else if (key == "align") {
      bit = kAlign;
      if (absl::Status s = number(&op.align); !s.ok()) return s;
    } else if (key == "alignf") {
      bit = kAlignf;
      if (value == "none") {
        op.alignf = AlignFn::kNone;
      } else if (value == "up16k") {
        op.alignf = AlignFn::kUp16k;
      } else {
        return err(value_at, absl::StrCat("unknown alignf '", value, "'"));
      }
    } else if (key == "flags") {
      bit = kFlags;
      if (!ParseFlags(value, &op.flags)) {
        return err(value_at, absl::StrCat("bad flags '", value, "'"));
      }
    } else if (key == "desc") {
      bit = kDesc;
      if (!absl::SimpleAtoi(value, &op.desc)) {
        return err(value_at, absl::StrCat("bad desc '", value, "'"));
      }
    } else if (key == "name") {
      bit = kName;
      op.name = value;
    } else {
      return err(key, absl::StrCat("unknown key '", key, "'"));
    }
    if ((info->keys & bit) == 0) {
      return err(key, absl::StrCat("'", key, "' does not apply to ", verb));
    }
    seen |= bit;
  }
  const unsigned required = info->keys & ~(kMin | kMax | kAlignf | kDesc);
  if ((seen & required) != required) {
    return err(whole.substr(whole.size()),
               absl::StrCat(verb, " is missing an argument"));
  }
  return op;
}

std::string OpResult::ToString() const {
  std::string out = std::string(KernelOutcomeName(outcome));
  if (err != 0) absl::StrAppend(&out, " ", ErrnoName(err));
  if (conflict != kNoNode) absl::StrAppend(&out, " conflict=", conflict);
  if (node != kNoNode) absl::StrAppend(&out, " node=", node);
  absl::StrAppend(&out, " ", RegionIntersectionName(intersects));
  for (const WalkRecord& w : walk) {
    absl::StrAppendFormat(&out, " [%#x-%#x flags=%#x desc=%d node=%d parent=%d]",
                          w.range.first(), w.range.last(), w.flags, w.desc,
                          w.node, w.parent);
  }
  return out;
}

OpResult Apply(ResourceTree& t, const Op& op) {
  const std::vector<ResourceId> pre = t.PreorderIds();
  auto id = [&](int ref) {
    return ref < 0 || ref >= static_cast<int>(pre.size()) ? t.root()
                                                          : pre[ref];
  };
  const ResourceId target = id(op.ref);
  switch (op.kind) {
    case OpKind::kRequestResource:
      return FromTree(t, t.Request(target, Spec(op)));
    case OpKind::kInsertResource:
      return FromTree(t, t.Insert(target, Spec(op)));
    case OpKind::kInsertResourceExpandToFit:
      return FromTree(t, t.InsertExpandToFit(target, Spec(op)));
    case OpKind::kRemoveResource:
      return FromTree(t, t.Remove(target), ResourceId());
    case OpKind::kReleaseResource:
      return FromTree(t, t.Release(target), ResourceId());
    case OpKind::kReleaseChildResources:
      return FromTree(t, t.ReleaseChildren(target), ResourceId());
    case OpKind::kAdjustResource:
      return FromTree(t, t.Adjust(target, op.start, op.size), ResourceId());
    case OpKind::kAllocateResource:
      return FromTree(
          t, t.Allocate(target, Spec(op), op.size, MakeConstraint(op)));
    case OpKind::kReallocateResource:
      return FromTree(t, t.Reallocate(target, op.size, MakeConstraint(op)),
                      ResourceId());
    case OpKind::kRequestRegion:
      return FromTree(
          t, t.RequestRegion(target, op.start, op.size, op.name, op.flags));
    case OpKind::kReleaseRegion:
      return FromTree(t, t.ReleaseRegion(target, op.start, op.size),
                      ResourceId());
    case OpKind::kReleaseMemRegionAdjustable:
      return FromTree(t, t.ReleaseMemRegionAdjustable(op.start, op.size));
    case OpKind::kMergeSystemRamResource:
      return FromTree(t, t.MergeSystemRam(target));
    case OpKind::kAllocFreeMemRegion:
      return FromTree(t,
                      t.AllocFreeMemRegion(target, op.size, op.align, op.name));
    case OpKind::kRequestFreeMemRegion:
      return FromTree(t, t.RequestFreeMemRegion(target, op.size, op.name));
    case OpKind::kSetFlags:
      return FromTree(t, t.SetFlags(target, op.flags), ResourceId());
    case OpKind::kInsertOver:
      return FromTree(t, t.InsertOver(target, Spec(op), SplitPolicy{{}}));
    case OpKind::kGrow:
      return FromTree(t, GrowOrAdjust(t, target, op), ResourceId());
    case OpKind::kRegionIntersects: {
      OpResult r;
      r.intersects = t.RegionIntersects(op.start, op.size, op.flags, op.desc);
      return r;
    }
    case OpKind::kLookupResource:
      return FromTree(t, absl::OkStatus(), t.LookupResource(target, op.start));
    case OpKind::kWalkIomemResDesc: {
      absl::StatusOr<std::vector<WalkMatch>> w =
          t.Walk(op.desc, op.flags, op.start, op.end);
      if (!w.ok()) return FromTree(t, w.status(), ResourceId());
      OpResult r;
      for (const WalkMatch& m : *w) {
        WalkRecord rec;
        rec.range = m.range;
        rec.flags = m.flags;
        rec.desc = m.desc;
        rec.node = FromTree(t, absl::OkStatus(), m.node).node;
        rec.parent = FromTree(t, absl::OkStatus(), m.parent).node;
        r.walk.push_back(rec);
      }
      return r;
    }
  }
  return OpResult();
}

OpKind KernelKind(OpKind kind) {
  switch (kind) {
    case OpKind::kInsertOver:
      return OpKind::kInsertResource;
    case OpKind::kGrow:
      return OpKind::kAdjustResource;
    default:
      return kind;
  }
}

OpResult Apply(model::KernelModel& m, const Op& op) {
  const std::vector<model::Res*> pre = m.Preorder();
  model::Res* target = op.ref < 0 || op.ref >= static_cast<int>(pre.size())
                           ? m.root()
                           : pre[op.ref];
  switch (KernelKind(op.kind)) {
    case OpKind::kRequestResource:
      return FromModel(m, m.RequestResource(target, Spec(op)));
    case OpKind::kInsertResource:
      return FromModel(m, m.InsertResource(target, Spec(op)));
    case OpKind::kInsertResourceExpandToFit:
      return FromModel(m, m.InsertResourceExpandToFit(target, Spec(op)));
    case OpKind::kRemoveResource:
      return FromModel(m, m.RemoveResource(target));
    case OpKind::kReleaseResource:
      return FromModel(m, m.ReleaseResource(target));
    case OpKind::kReleaseChildResources:
      return FromModel(m, m.ReleaseChildResources(target));
    case OpKind::kAdjustResource:
      return FromModel(m, m.AdjustResource(target, op.start, op.size));
    case OpKind::kAllocateResource:
      return FromModel(m, m.AllocateResource(target, Spec(op), op.size,
                                             MakeConstraint(op)));
    case OpKind::kReallocateResource:
      return FromModel(m,
                       m.ReallocateResource(target, op.size, MakeConstraint(op)));
    case OpKind::kRequestRegion:
      return FromModel(
          m, m.RequestRegion(target, op.start, op.size, op.name, op.flags));
    case OpKind::kReleaseRegion:
      return FromModel(m, m.ReleaseRegion(target, op.start, op.size));
    case OpKind::kReleaseMemRegionAdjustable:
      return FromModel(m, m.ReleaseMemRegionAdjustable(op.start, op.size));
    case OpKind::kMergeSystemRamResource:
      return FromModel(m, m.MergeSystemRamResource(target));
    case OpKind::kAllocFreeMemRegion:
      return FromModel(m, m.GetFreeMemRegion(target, op.size, op.align,
                                             op.name, iores_desc::kNone,
                                             /*descending=*/false,
                                             /*request_region=*/false));
    case OpKind::kRequestFreeMemRegion:
      return FromModel(
          m, m.GetFreeMemRegion(target, op.size, m.profile().gfr_default_align,
                                op.name, iores_desc::kDevicePrivateMemory,
                                /*descending=*/true, /*request_region=*/true));
    case OpKind::kSetFlags: {
      model::Result r = m.SetFlags(target, op.flags);
      r.node = nullptr;
      return FromModel(m, r);
    }
    case OpKind::kRegionIntersects: {
      OpResult r;
      r.intersects = m.RegionIntersects(op.start, op.size, op.flags, op.desc);
      return r;
    }
    case OpKind::kLookupResource: {
      model::Result r;
      r.node = m.LookupResource(target, op.start);
      return FromModel(m, r);
    }
    case OpKind::kWalkIomemResDesc: {
      KernelOutcome outcome;
      std::vector<model::WalkHit> hits =
          m.WalkIomemResDesc(op.desc, op.flags, op.start, op.end, &outcome);
      if (outcome != KernelOutcome::kOk) {
        model::Result r;
        r.outcome = outcome;
        r.err = kerrno::kEINVAL;
        return FromModel(m, r);
      }
      OpResult r;
      for (const model::WalkHit& h : hits) {
        WalkRecord rec;
        rec.range = Range(h.start, h.end);
        rec.flags = h.flags;
        rec.desc = h.desc;
        model::Result a;
        a.node = h.node;
        rec.node = FromModel(m, a).node;
        a.node = h.parent;
        rec.parent = FromModel(m, a).node;
        r.walk.push_back(rec);
      }
      return r;
    }
    case OpKind::kInsertOver:
    case OpKind::kGrow:
      break;  // mapped to their kernel kinds above
  }
  return OpResult();
}

}  // namespace ops
}  // namespace restree
