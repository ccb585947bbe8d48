#include "tests/tree_gen.h"

#include <string>
#include <utility>
#include <vector>

#include "resource_tree/tree_builder.h"

namespace restree {
namespace test_support {
namespace {

// v folded into [0, span_m1] (span_m1 may be 2^64-1).
uint64_t Fold(uint64_t v, uint64_t span_m1) {
  return span_m1 == kMaxAddress ? v : v % (span_m1 + 1);
}

const std::vector<std::string>& Names() {
  static const auto* names = new std::vector<std::string>{"System RAM",
                                                          "PCI Bus 0000:00",
                                                          "a : b",
                                                          "x-y (z)",
                                                          "",
                                                          "  sp ",
                                                          "CXL Window 0",
                                                          "region0",
                                                          "dax0.0",
                                                          "System RAM (kmem)"};
  return *names;
}

}  // namespace

rc::Gen<ResourceTree> GenTree() {
  return rc::gen::exec([] {
    const bool io = *rc::gen::inRange(0, 5) == 0;
    TreeBuilder b(io ? ResourceSpec{Range(0, 0xffff), "PCI IO", iores::kIo}
                     : ResourceSpec{Range::Full(), "PCI mem", iores::kMem});
    // An explicit stack of open nodes; each step adds a child to the top
    // node (somewhere after its previous child) or closes it.
    std::vector<ResourceId> open = {b.root()};
    const int steps = *rc::gen::inRange(0, 120);
    for (int i = 0; i < steps; ++i) {
      const ResourceId top = open.back();
      const Range pr = b.RangeOf(top);
      const ResourceId last = b.LastChildOf(top);
      if ((last.valid() && b.RangeOf(last).last() == pr.last()) ||
          *rc::gen::inRange(0, 4) == 0) {
        if (open.size() > 1) open.pop_back();
        continue;
      }
      const uint64_t from =
          last.valid() ? b.RangeOf(last).last() + 1 : pr.first();
      const uint64_t room = pr.last() - from;
      const uint64_t skip =
          *rc::gen::inRange(0, 4) == 0
              ? 0
              : Fold(*rc::gen::inRange<uint64_t>(0, 0x10000), room);
      const uint64_t start = from + skip;
      const uint64_t left = pr.last() - start;
      const uint64_t len_m1 =
          *rc::gen::inRange(0, 3) == 0
              ? left
              : Fold(*rc::gen::inRange<uint64_t>(0, 0x100000), left);
      const std::string& name = *rc::gen::elementOf(Names());
      absl::StatusOr<ResourceId> id =
          b.Append(top, {Range(start, start + len_m1), name});
      RC_ASSERT(id.ok());
      if (*rc::gen::inRange(0, 3) != 0) open.push_back(*id);
    }
    return std::move(b).Finish();
  });
}

void MutateTree(ResourceTree& t, int max_steps) {
  const int steps = *rc::gen::inRange(0, max_steps + 1);
  for (int s = 0; s < steps; ++s) {
    const std::vector<ResourceId> pre = t.PreorderIds();
    const ResourceId node =
        pre.empty() ? t.root() : pre[*rc::gen::inRange<size_t>(0, pre.size())];
    const Range r = t.RangeOf(node);
    const uint64_t span = r.last() - r.first();
    const uint64_t a =
        r.first() + Fold(*rc::gen::inRange<uint64_t>(0, 0x10000), span);
    const uint64_t len =
        1 + Fold(*rc::gen::inRange<uint64_t>(0, 0x4000), r.last() - a);
    const std::string& name = *rc::gen::elementOf(Names());
    absl::Status ignored;
    // The root is the kernel's own; only resources below it change.
    const bool below_root = node != t.root();
    switch (*rc::gen::inRange(0, 9)) {
      case 0:
        ignored = t.Request(node, {Range(a, a + len - 1), name}).status();
        break;
      case 1:
        ignored = t.Insert(t.root(), {r, name}).status();
        break;
      case 2:
        if (below_root) ignored = t.Remove(node);
        break;
      case 3:
        if (below_root) ignored = t.Release(node);
        break;
      case 4:
        if (below_root) ignored = t.Adjust(node, r.first(), len);
        break;
      case 5:
        if (below_root) {
          ignored = t.SetFlags(node, iores::kMem | iores::kBusy);
          ignored = t.ReleaseMemRegionAdjustable(a, len).status();
        }
        break;
      case 6:
        if (below_root) ignored = t.Rename(node, name);
        break;
      case 7:
        if (below_root) {
          ignored = t.SetFlags(node, *rc::gen::elementOf(std::vector<uint64_t>{
                                         iores::kMem, iores::kSystemRam}));
        }
        break;
      default:
        ignored = t.InsertExpandToFit(t.root(), {Range(a, a + len - 1), name})
                      .status();
        break;
    }
    RC_ASSERT(t.CheckInvariants().empty());
  }
}

}  // namespace test_support
}  // namespace restree
