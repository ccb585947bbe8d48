#include "tests/op_gen.h"

#include <string>
#include <vector>

namespace restree {
namespace testing {

using ops::Op;
using ops::OpKind;

namespace {

constexpr uint64_t kG = kGrid;

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

}  // namespace

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
        {3, OpKind::kInsertOver},
        {3, OpKind::kGrow},
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
    // Now and then any 64-bit value: request_region's `int flags` conversion
    // and set_flags must hold for bits no driver uses.
    if (op.kind == OpKind::kRequestRegion || op.kind == OpKind::kSetFlags) {
      op.flags = *rc::gen::weightedOneOf<uint64_t>(
          {{5, rc::gen::just(op.flags)}, {1, rc::gen::arbitrary<uint64_t>()}});
    }
    op.desc = *rc::gen::elementOf(std::vector<uint32_t>{
        0, 0, iores_desc::kReserved, iores_desc::kCxl});
    op.name = *rc::gen::elementOf(std::vector<std::string>{
        "A", "B", "System RAM", "CXL Window 0"});
    return op;
  });
}

rc::Gen<PlacedOp> GenPlacedOp(uint64_t top) {
  return rc::gen::pair(GenOp(top), rc::gen::inRange(0, 3));
}

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
    case OpKind::kGrow: {
      // Around the target, up to three grid steps further on each side
      // (mode 2: its own range), so that it often has room to grow.
      const uint64_t lo = mode == 2 ? 0 : (op.start / kG) % 4 * kG;
      const uint64_t hi = mode == 2 ? 0 : (op.size / kG) % 4 * kG;
      op.start = r.first() >= lo ? r.first() - lo : 0;
      const uint64_t end =
          r.last() <= kMaxAddress - hi ? r.last() + hi : kMaxAddress;
      op.size = end - op.start + 1;
      break;
    }
    case OpKind::kRequestResource:
    case OpKind::kInsertResource:
    case OpKind::kInsertOver:
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

}  // namespace testing
}  // namespace restree
