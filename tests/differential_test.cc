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
#include "tests/op_gen.h"
#include "tests/tree_ops.h"

namespace restree {
namespace ops {

void showValue(const Op& op, std::ostream& os) { os << ToString(op); }

}  // namespace ops
namespace {

using ops::Op;
using ops::OpKind;

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
    if (*rc::gen::inRange(0, 2) == 0) w.profile.gfr_default_align = testing::kGrid;
    if (*rc::gen::inRange(0, 2) == 0) w.profile.physmem_end = 0x3fff;
    return w;
  });
}

std::vector<std::string> Describe(const std::vector<InvariantViolation>& v) {
  std::vector<std::string> out;
  for (const InvariantViolation& x : v) out.push_back(x.message);
  return out;
}

void RunSequence(const World& w, const std::vector<testing::PlacedOp>& raw) {
  ResourceTree tree(w.root, w.profile);
  model::KernelModel model(w.root, w.profile);
  std::string trace = absl::StrCat("profile ", w.profile.name, " root ",
                                   w.root.range.ToString(), "\n");
  for (size_t step = 0; step < raw.size(); ++step) {
    const int n = static_cast<int>(tree.size()) - 1;
    const Op op = testing::Place(tree, ops::Normalize(raw[step].first, n),
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
  const std::vector<testing::PlacedOp> seq =
      *rc::gen::container<std::vector<testing::PlacedOp>>(
          testing::GenPlacedOp(top));
  RunSequence(w, seq);
}

}  // namespace
}  // namespace restree
