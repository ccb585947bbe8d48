#include "tests/fuzz_ops.h"

#include "resource_tree/flags.h"

namespace restree {
namespace testing {
namespace {

constexpr uint64_t kFlags[] = {
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
constexpr const char* kNames[] = {"A", "B", "System RAM", "CXL Window 0"};

uint64_t Addr(FuzzedDataProvider& in, uint64_t top) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return in.ConsumeIntegral<uint8_t>() * kGrid;
    case 1:
      return top - in.ConsumeIntegral<uint8_t>() * kGrid;
    case 2:
      return in.ConsumeIntegral<uint16_t>();
    default:
      return in.ConsumeIntegral<uint64_t>();
  }
}

uint64_t Len(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0:
      return (in.ConsumeIntegral<uint8_t>() % 32 + 1) * kGrid;
    case 1:
      return in.ConsumeIntegral<uint16_t>();
    default:
      return in.ConsumeIntegral<uint64_t>();
  }
}

}  // namespace

ops::Op ConsumeOp(FuzzedDataProvider& in, uint64_t top) {
  ops::Op op;
  op.kind = static_cast<ops::OpKind>(
      in.ConsumeIntegralInRange<int>(0, ops::kNumOpKinds - 1));
  op.ref = in.ConsumeIntegral<uint16_t>();
  op.start = Addr(in, top);
  op.size = Len(in);
  op.end = in.ConsumeBool() ? op.start + op.size - 1 : Addr(in, top);
  op.min = in.ConsumeBool() ? 0 : Addr(in, top);
  op.max = in.ConsumeBool() ? ~uint64_t{0} : Addr(in, top);
  op.align = in.ConsumeBool() ? uint64_t{1} << in.ConsumeIntegralInRange(0, 16)
                              : in.ConsumeIntegral<uint16_t>();
  op.alignf = in.ConsumeBool() ? ops::AlignFn::kUp16k : ops::AlignFn::kNone;
  op.flags = in.ConsumeBool()
                 ? kFlags[in.ConsumeIntegralInRange<size_t>(
                       0, sizeof(kFlags) / sizeof(kFlags[0]) - 1)]
                 : in.ConsumeIntegral<uint64_t>();
  op.desc = in.ConsumeIntegralInRange<uint32_t>(0, 10);
  op.name = kNames[in.ConsumeIntegralInRange<size_t>(0, 3)];
  return op;
}

}  // namespace testing
}  // namespace restree
