// The stateful differential test of issue 2: random sequences of every
// kernel-compatible operation run on ResourceTree and on KernelModel. After
// each step both must report the same outcome, errno, conflict and new node;
// both trees must render identically (full dump and /proc/iomem); both must
// pass their invariant checks; and a failed operation must have changed
// nothing. RapidCheck shrinks a failure to a short sequence of trace lines.
//
// Runs: 1,000 sequences per property by default (//tests:rc_gtest_main_1000);
// RESTREE_RC_RUNS=N for more, RC_PARAMS="reproduce=..." to replay.

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"
#include "tests/tree_ops.h"

namespace restree {
namespace ops {

void showValue(const Op& op, std::ostream& os) { os << ToString(op); }

}  // namespace ops
namespace {

using ops::Op;
using ops::OpKind;

constexpr uint64_t kG = 0x100;  // the address grid

struct World {
  ResourceSpec root;
  KernelProfile profile;
  std::string label;
};

rc::Gen<World> GenWorld() {
  return rc::gen::exec([] {
    World w;
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        w.root = {Range::Full(), "PCI mem", iores::kMem, 0};
        w.label = "iomem";
        break;
      case 1:
        w.root = {Range(0, 0xffff), "PCI IO", iores::kIo, 0};
        w.label = "ioport";
        break;
      default:
        w.root = {Range(0, 0x3fff), "PCI mem", iores::kMem, 0};
        w.label = "iomem";
        break;
    }
    std::vector<KernelProfile> all = KernelProfile::All();
    w.profile = all[*rc::gen::inRange<size_t>(0, all.size())];
    // Small sections and a low PHYSMEM_END make get_free_mem_region() search
    // inside the generated address space instead of far above it.
    if (*rc::gen::inRange(0, 2) == 0) w.profile.gfr_default_align = kG;
    if (*rc::gen::inRange(0, 2) == 0) w.profile.physmem_end = 0x3fff;
    return w;
  });
}

rc::Gen<uint64_t> GenAddr(uint64_t top) {
  return rc::gen::weightedOneOf<uint64_t>({
      {8, rc::gen::map(rc::gen::inRange<uint64_t>(0, 64),
                       [](uint64_t k) { return k * kG; })},
      {1, rc::gen::map(rc::gen::inRange<uint64_t>(0, 8),
                       [top](uint64_t k) { return top - k * kG - (kG - 1); })},
      {1, rc::gen::map(rc::gen::inRange<uint64_t>(0, 0x4000),
                       [](uint64_t a) { return a; })},
  });
}

rc::Gen<uint64_t> GenLen() {
  return rc::gen::weightedOneOf<uint64_t>({
      {10, rc::gen::map(rc::gen::inRange<uint64_t>(1, 17),
                        [](uint64_t k) { return k * kG; })},
      {1, rc::gen::elementOf(std::vector<uint64_t>{0, 1, kG + 1, ~uint64_t{0}})},
  });
}

rc::Gen<Op> GenOp(uint64_t top) {
  return rc::gen::exec([top] {
    Op op;
    op.kind = *rc::gen::weightedElement<OpKind>({
        {6, OpKind::kRequestResource},
        {6, OpKind::kInsertResource},
        {3, OpKind::kInsertResourceExpandToFit},
        {2, OpKind::kRemoveResource},
        {2, OpKind::kReleaseResource},
        {1, OpKind::kReleaseChildResources},
        {3, OpKind::kAdjustResource},
        {3, OpKind::kAllocateResource},
        {2, OpKind::kReallocateResource},
        {5, OpKind::kRequestRegion},
        {2, OpKind::kReleaseRegion},
        {3, OpKind::kReleaseMemRegionAdjustable},
        {2, OpKind::kMergeSystemRamResource},
        {3, OpKind::kRegionIntersects},
        {3, OpKind::kWalkIomemResDesc},
        {2, OpKind::kAllocFreeMemRegion},
        {2, OpKind::kRequestFreeMemRegion},
        {1, OpKind::kLookupResource},
        {1, OpKind::kSetFlags},
    });
    op.ref = *rc::gen::inRange(0, 1000);
    op.start = *GenAddr(top);
    const uint64_t len = *GenLen();
    op.end = *rc::gen::weightedOneOf<uint64_t>(
        {{12, rc::gen::just(op.start + len - 1)}, {1, GenAddr(top)}});
    op.size = len;
    op.min = *rc::gen::weightedOneOf<uint64_t>(
        {{2, rc::gen::just<uint64_t>(0)}, {1, GenAddr(top)}});
    op.max = *rc::gen::weightedOneOf<uint64_t>(
        {{2, rc::gen::just(~uint64_t{0})}, {1, GenAddr(top)}});
    op.align = *rc::gen::elementOf(
        std::vector<uint64_t>{1, kG, 2 * kG, 4 * kG, 0x1000, 3 * kG, 0});
    op.alignf = *rc::gen::weightedElement<ops::AlignFn>(
        {{4, ops::AlignFn::kNone}, {1, ops::AlignFn::kUp16k}});
    op.flags = *rc::gen::elementOf(std::vector<uint64_t>{
        iores::kMem, iores::kMem | iores::kBusy,
        iores::kSystemRam | iores::kBusy, iores::kSystemRam,
        iores::kMem | iores::kBusy | iores::kMuxed, iores::kMem | iores::kUnset,
        iores::kIo | iores::kBusy, 0});
    if (op.kind == OpKind::kRequestRegion) {
      op.flags = *rc::gen::elementOf(std::vector<uint64_t>{
          0, iores::kMuxed, iores::kExclusive,
          iores::kSystemRam | iores::kSysramDriverManaged});
    }
    op.desc = *rc::gen::elementOf(std::vector<uint32_t>{
        0, 0, iores_desc::kReserved, iores_desc::kCxl});
    op.name = *rc::gen::elementOf(std::vector<std::string>{
        "A", "B", "System RAM", "CXL Window 0"});
    return op;
  });
}

std::vector<std::string> Describe(const std::vector<InvariantViolation>& v) {
  std::vector<std::string> out;
  for (const InvariantViolation& x : v) out.push_back(x.message);
  return out;
}

// A generated op and how to place it: 0 keeps its absolute addresses; 1 and
// 2 move them into the range of the node it references (or, for ops without
// a node, of the node `ref` picks), so that most requests land inside their
// parent and most hot-removes and queries hit something.
using Placed = std::pair<Op, int>;

Op Place(const ResourceTree& tree, Op op, int mode, int raw_ref) {
  if (mode == 0) return op;
  const std::vector<ResourceId> pre = tree.PreorderIds();
  // The node whose range to use: the op's own parent/target for ops that
  // create or change something there, any node for ops that look one up.
  ResourceId node = tree.root();
  const bool lookup_kind = op.kind == OpKind::kReleaseRegion ||
                           op.kind == OpKind::kReleaseMemRegionAdjustable ||
                           op.kind == OpKind::kRegionIntersects ||
                           op.kind == OpKind::kLookupResource ||
                           op.kind == OpKind::kWalkIomemResDesc;
  if (lookup_kind) {
    if (!pre.empty()) node = pre[static_cast<size_t>(raw_ref) % pre.size()];
  } else if (op.ref >= 0 && op.ref < static_cast<int>(pre.size())) {
    node = pre[op.ref];
  }
  const Range r = tree.RangeOf(node);
  const uint64_t span = r.last() - r.first();  // size - 1
  const uint64_t len = op.size == 0 ? 1 : op.size;
  auto inside = [&](uint64_t v) {
    return span == kMaxAddress ? v : r.first() + v % (span + 1);
  };
  auto clip_end = [&](uint64_t start, uint64_t n) {
    const uint64_t e = start + (n - 1);
    return (e < start || e > r.last()) ? r.last() : e;
  };
  switch (op.kind) {
    case OpKind::kRequestResource:
    case OpKind::kInsertResource:
    case OpKind::kInsertResourceExpandToFit:
    case OpKind::kWalkIomemResDesc:
      if (mode == 2 && op.kind != OpKind::kRequestResource) {
        op.start = r.first();
        op.end = r.last();
      } else {
        op.start = inside(op.start);
        op.end = clip_end(op.start, op.end - op.start + 1);
      }
      break;
    case OpKind::kRequestRegion:
    case OpKind::kReleaseRegion:
    case OpKind::kReleaseMemRegionAdjustable:
    case OpKind::kRegionIntersects:
    case OpKind::kLookupResource:
    case OpKind::kAdjustResource:
      if (mode == 2) {
        op.start = r.first();
        op.size = r.size_wrapping();
        if (op.kind == OpKind::kAdjustResource) op.size += kG;
      } else {
        op.start = inside(op.start);
        op.size = clip_end(op.start, len) - op.start + 1;
      }
      break;
    case OpKind::kAllocateResource:
    case OpKind::kReallocateResource:
      if (mode == 2) {
        op.min = r.first();
        op.max = r.last();
      }
      break;
    default:
      break;
  }
  return op;
}

void RunSequence(const World& w, const std::vector<Placed>& raw) {
  ResourceTree tree(w.root, w.profile);
  model::KernelModel model(w.root, w.profile);
  std::string trace = absl::StrCat("profile ", w.profile.name, " root ",
                                   w.root.range.ToString(), "\n");
  for (size_t step = 0; step < raw.size(); ++step) {
    const int n = static_cast<int>(tree.size()) - 1;
    const Op op = Place(tree, ops::Normalize(raw[step].first, n),
                        raw[step].second, raw[step].first.ref);
    absl::StrAppend(&trace, ops::ToString(op, w.label), "\n");
    const std::string before = RenderDump(tree);
    RC_ASSERT(before == model.Dump());

    const ops::OpResult rt = ops::Apply(tree, op);
    const ops::OpResult rm = ops::Apply(model, op);
    if (rt != rm) {
      RC_FAIL(absl::StrCat(trace, "results differ:\n  tree:  ", rt.ToString(),
                           "\n  model: ", rm.ToString(), "\nbefore:\n",
                           before));
    }
    const std::string after = RenderDump(tree);
    if (after != model.Dump()) {
      RC_FAIL(absl::StrCat(trace, "trees differ after ", rt.ToString(),
                           "\ntree:\n", after, "model:\n", model.Dump(),
                           "before:\n", before));
    }
    ProcRenderOptions proc;
    RC_ASSERT(RenderProcIomem(tree, proc) ==
              model.RenderProc(w.profile.proc_max_depth, false));
    proc.zero_addresses = true;
    RC_ASSERT(RenderProcIomem(tree, proc) ==
              model.RenderProc(w.profile.proc_max_depth, true));
    const auto tree_bad = Describe(tree.CheckInvariants());
    const auto model_bad = model.CheckInvariants();
    if (!tree_bad.empty() || !model_bad.empty()) {
      RC_FAIL(absl::StrCat(trace, "invariants broken: tree [",
                           absl::StrJoin(tree_bad, "; "), "] model [",
                           absl::StrJoin(model_bad, "; "), "]\n", after));
    }
    if (rt.Failed() || ops::IsQuery(op.kind)) {
      if (after != before) {
        RC_FAIL(absl::StrCat(trace, "a failed op or query changed the tree\n",
                             "before:\n", before, "after:\n", after));
      }
    }
  }
}

RC_GTEST_PROP(DifferentialTest, ResourceTreeMatchesKernelModel, ()) {
  const World w = *GenWorld();
  const uint64_t top = w.root.range.last();
  const std::vector<Placed> seq = *rc::gen::container<std::vector<Placed>>(
      rc::gen::pair(GenOp(top), rc::gen::inRange(0, 3)));
  RunSequence(w, seq);
}

}  // namespace
}  // namespace restree
