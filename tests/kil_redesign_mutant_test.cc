// The redesign in the loop must catch a broken C implementation: linked
// here with //tests/kernel_shim:resource_redesign_mutant_c (restree's
// resource_redesign.c with one character deleted: an off-by-one at a
// parent's last byte, so a range ending there no longer fits) instead of
// restree's code, the random sequences of
// kil_redesign_test must find a disagreement, RapidCheck must shrink it, and
// the shrunk trace must replay to the same disagreement (what
// tools/kernel_in_the_loop.sh --redesign prints and replays).

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "tests/kernel_in_the_loop.h"
#include "tests/kernel_shim/kernel_adapter.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(KilRedesignMutantTest, IsOneCharacterAwayFromRestreesCode) {
  const std::string ours = Slurp("tests/kernel_shim/resource_redesign.c");
  const std::string mutant =
      Slurp("tests/kernel_shim/resource_redesign_mutant.c");
  ASSERT_FALSE(ours.empty());
  // The mutant deletes one character: after the first difference, the rest
  // of ours less that character is the rest of the mutant.
  ASSERT_EQ(ours.size(), mutant.size() + 1)
      << "the mutant's sed no longer applies (tests/kernel_shim/BUILD.bazel)";
  size_t i = 0;
  while (i < mutant.size() && ours[i] == mutant[i]) ++i;
  EXPECT_EQ(ours.substr(i + 1), mutant.substr(i))
      << "the mutant's sed changes more than one character";
}

TEST(KilRedesignMutantTest, HarnessCatchesShrinksAndReplaysIt) {
  ASSERT_TRUE(kil::KernelAvailable());
  // The last failing sequence RapidCheck ran: after shrinking, the shortest.
  std::string shortest;
  const bool passed = rc::check(
      "resource.c + mutant, RedesignModel and ResourceTree agree", [&] {
        const std::vector<ops::RawOp> seq =
            *rc::gen::container<std::vector<ops::RawOp>>(
                kil::GenRedesignRawOp());
        const uint64_t physmem_end = (uint64_t{1} << 46) - 1;
        kil::KernelLoop loop(physmem_end, kil::LoopMode::kRedesign);
        std::string trace =
            kil::TraceHeader(physmem_end, kil::LoopMode::kRedesign);
        for (const ops::RawOp& raw : seq) {
          const ops::Op op = ops::Make(raw, loop.tree());
          absl::StrAppend(&trace, ops::ToString(op), "\n");
          const kil::StepReport r = loop.Step(op);
          if (!r.mismatch.empty()) {
            shortest = trace;
            RC_FAIL(absl::StrCat("\n--- trace ---\n", trace, "--- trace ---\n",
                                 r.mismatch));
          }
        }
      });
  EXPECT_FALSE(passed) << "the harness did not catch the mutant";
  ASSERT_FALSE(shortest.empty());
  // Shrunk: a parent and an operation on a range ending at its last byte
  // are enough.
  const std::vector<std::string> lines =
      absl::StrSplit(shortest, '\n', absl::SkipEmpty());
  EXPECT_LE(lines.size(), 6u) << shortest;
  absl::StatusOr<kil::ReplaySummary> replay = kil::Replay(shortest, "shortest");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->mode, kil::LoopMode::kRedesign);
  EXPECT_NE(replay->mismatch_line, 0) << shortest;
  EXPECT_EQ(replay->mismatch_line, static_cast<int>(lines.size())) << shortest;
  std::printf("shortest trace:\n%s%s\n", shortest.c_str(),
              replay->mismatch.mismatch.c_str());
}

}  // namespace
}  // namespace restree
