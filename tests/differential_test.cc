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

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rapidcheck/gtest.h"
#include "resource_tree/kernel_profile.h"
#include "tests/lockstep.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

using ops::Op;

using test_support::World;

rc::Gen<World> GenWorld() {
  return rc::gen::exec([] {
    const int root_kind = *rc::gen::inRange(0, 3);
    const size_t profile =
        *rc::gen::inRange<size_t>(0, KernelProfile::All().size());
    const bool small_gfr_align = *rc::gen::inRange(0, 2) == 0;
    const bool low_physmem = *rc::gen::inRange(0, 2) == 0;
    return test_support::MakeWorld(root_kind, profile, small_gfr_align,
                                   low_physmem);
  });
}

void RunSequence(const World& w, const std::vector<ops::RawOp>& raw) {
  test_support::Lockstep twins(w);
  std::string trace = absl::StrCat("profile ", w.profile.name, " root ",
                                   w.root.range.ToString(), "\n");
  for (size_t step = 0; step < raw.size(); ++step) {
    const Op op = ops::Make(raw[step], twins.tree());
    absl::StrAppend(&trace, ops::ToString(op, w.label), "\n");
    const std::string problem = twins.Step(op);
    if (!problem.empty()) RC_FAIL(absl::StrCat(trace, problem));
  }
}

RC_GTEST_PROP(DifferentialTest, ResourceTreeMatchesKernelModel, ()) {
  const World w = *GenWorld();
  const uint64_t top = w.root.range.last();
  const std::vector<ops::RawOp> seq =
      *rc::gen::container<std::vector<ops::RawOp>>(
          ops::GenRawOp(top, ops::OpSet::kKernel));
  RunSequence(w, seq);
}

}  // namespace
}  // namespace restree
