// The differential test of the redesign operations: random sequences of
// Reparent, InsertOver, Grow, Shrink, the chunk operations and fence toggles,
// mixed with kernel-compatible operations, run on ResourceTree and on the
// reference RedesignModel (tests/redesign_model.h). After every step:
//
//   * the same outcome, errno, conflict (pre-order index), created node
//     (pre-order index) and count;
//   * the same tree: RenderDump() against the model's dump, and /proc/iomem
//     with and without addresses; the same chunk size for every node and
//     the same fence setting;
//   * both invariant checkers clean;
//   * the same nodes created and freed (pre-order indexes after and before
//     the step): ids, not just shapes, follow the specification (the lower
//     part of a split keeps its id, Reparent moves nodes without re-creating
//     them, ...);
//   * a failed step changed nothing: rendering, every node's id (in
//     pre-order) and every chunk size are as before;
//   * ownership (see OwnershipProblem()).
//
// A second property holds the fence to its promise: with it on, random
// kernel-compatible allocations in a tree with reserved chunks never put a
// node inside a chunk and never move a chunk.
//
// The operations are the shared vocabulary of tests/tree_ops.h (one struct
// per operation in a std::variant): each generates its raw choices, is made
// against the current tree (node references by pre-order index, ranges
// placed relative to nodes so that they collide), runs on either
// implementation, and prints itself as one trace line.
//
// Runs: 1,000 sequences per property (//tests:rc_gtest_main_1000);
// RESTREE_RC_RUNS=N for more, RC_PARAMS="seed=..." or "reproduce=..." to
// replay.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tests/lockstep.h"
#include "tests/redesign_model.h"
#include "tests/tree_ops.h"

namespace restree {
namespace redesign_test {

using model::RedesignModel;
using model::Res;

constexpr uint64_t kG = test_support::kGrid;

using ops::Op;
using ops::OpResult;

std::string RangeText(const Range& r) {
  return absl::StrFormat("[%#x-%#x]", r.first(), r.last());
}
using ops::ToString;

// ---------------------------------------------------------------------------
// The two implementations in lock step.

void CountOutcome(const Op& op, const OpResult& o);  // for RESTREE_STATS

// Snapshot of a ResourceTree for the after-step checks.
struct TreeSnapshot {
  std::string dump;
  std::vector<ResourceId> preorder;
  absl::flat_hash_map<ResourceId, Range> ranges;
  std::vector<uint64_t> chunk_sizes;  // by pre-order index
  std::vector<ResourceId> owners;     // deepest node at each probe address
  std::string lookup_problem;         // where Lookup() disagrees, if it does

  // `probes` sorted. Each probe's owner is the node whose range holds it and
  // none of whose children's do: one pass over the nodes, O(n log P + P)
  // (a Lookup() per probe costs O(P depth log n), too slow for deep
  // chains); Lookup() is checked against it at a few probes.
  TreeSnapshot(const ResourceTree& t, const std::vector<uint64_t>& probes)
      : dump(RenderDump(t)), preorder(t.PreorderIds()) {
    for (ResourceId id : preorder) {
      ranges[id] = t.RangeOf(id);
      chunk_sizes.push_back(t.ChunkSizeOf(id));
    }
    owners.assign(probes.size(), t.root());  // as Lookup() outside the root
    auto at = [&](uint64_t a) {
      return static_cast<size_t>(
          std::lower_bound(probes.begin(), probes.end(), a) - probes.begin());
    };
    auto own = [&](ResourceId id) {
      const Range r = t.RangeOf(id);
      size_t i = at(r.first());
      for (ResourceId c : t.Children(id)) {
        const Range cr = t.RangeOf(c);
        for (; i < probes.size() && probes[i] < cr.first(); ++i) owners[i] = id;
        i = cr.last() == kMaxAddress ? probes.size() : at(cr.last() + 1);
      }
      for (; i < probes.size() && probes[i] <= r.last(); ++i) owners[i] = id;
    };
    own(t.root());
    for (ResourceId id : preorder) own(id);
    for (size_t i = 0; i < probes.size(); i += 61) {
      if (t.Lookup(probes[i]) != owners[i]) {
        lookup_problem = absl::StrFormat(
            "Lookup(%#x) is not the deepest node there", probes[i]);
      }
    }
  }
};

class Twins {
 public:
  explicit Twins(const test_support::World& w)
      : world_(w), tree_(w.root, w.profile), model_(w.root, w.profile) {
    // Probe addresses: every 64 bytes of the low 16 KiB (where generated
    // ranges live) and of the top 4 KiB of the root.
    const Range root = w.root.range;
    for (uint64_t a = root.first(); a <= root.last() && a < 0x4000; a += 0x40) {
      probes_.push_back(a);
      probes_.push_back(a + 0x3f);
    }
    if (root.last() >= 0x5000) {
      for (uint64_t k = 0; k < 64; ++k)
        probes_.push_back(root.last() - k * 0x40);
    }
    std::sort(probes_.begin(), probes_.end());
    probes_.erase(std::unique(probes_.begin(), probes_.end()), probes_.end());
  }

  const ResourceTree& tree() const { return tree_; }
  int size() const { return static_cast<int>(tree_.size()) - 1; }

  // Runs `op` (concretized) on both; "" if every check passes, else what
  // failed.
  std::string Step(const Op& op);

 private:
  // The ownership property. For a probe address a, owner(a) is
  // ResourceTree::Lookup(a), the deepest node containing a. A step may
  // change owner(a) only where it touched the tree: for a successful step,
  // a may change only if it lies in
  //   (1) the range of a node the step created (a new window or region, the
  //       upper part of a split, a new chunk), or
  //   (2) the range of a node the step freed, or
  //   (3) the old or the new range of a node whose range the step changed
  //       (adjust, grow, shrink, a split's lower part, a window shrunk to
  //       its children), or
  //   (4) for Reparent, the range of the moved node: reordering a chain of
  //       equal ranges changes which of them is deepest there;
  // and a failed step changes no owner at all. Moving a subtree under
  // another parent never changes an owner inside it, so no other case is
  // exempt: an operation that moved, lost, re-created or re-nested a node
  // outside the places (1)-(4) fails this check.
  std::string OwnershipProblem(const Op& op, const TreeSnapshot& before,
                               const TreeSnapshot& after, bool ok) const;

  test_support::World world_;
  ResourceTree tree_;
  RedesignModel model_;
  std::vector<uint64_t> probes_;
};

std::string Twins::OwnershipProblem(const Op& op, const TreeSnapshot& before,
                                    const TreeSnapshot& after, bool ok) const {
  std::vector<Range> exempt;
  if (ok) {
    for (const auto& [id, r] : after.ranges) {
      auto it = before.ranges.find(id);
      if (it == before.ranges.end()) {
        exempt.push_back(r);  // (1)
      } else if (it->second != r) {
        exempt.push_back(r);  // (3)
        exempt.push_back(it->second);
      }
    }
    for (const auto& [id, r] : before.ranges) {
      if (!after.ranges.contains(id)) exempt.push_back(r);  // (2)
    }
    // RESTREE_SELFTEST_NO_REPARENT_EXEMPTION=1 drops (4), to see the
    // check fail (it must, on chain moves).
    const auto* rp = std::getenv("RESTREE_SELFTEST_NO_REPARENT_EXEMPTION")
                         ? nullptr
                         : std::get_if<ops::Reparent>(&op);
    if (rp != nullptr) {  // (4)
      const std::vector<ResourceId> pre = tree_.PreorderIds();
      const ResourceId id =
          rp->target >= 0 && rp->target < static_cast<int>(pre.size())
              ? pre[rp->target]
              : tree_.root();
      if (id != tree_.root()) exempt.push_back(tree_.RangeOf(id));
    }
  }
  for (size_t i = 0; i < probes_.size(); ++i) {
    if (before.owners[i] == after.owners[i]) continue;
    const uint64_t a = probes_[i];
    const bool excused =
        std::any_of(exempt.begin(), exempt.end(),
                    [a](const Range& r) { return r.Contains(a); });
    if (!excused) {
      auto describe = [](const TreeSnapshot& snap, ResourceId id) {
        auto it = snap.ranges.find(id);
        return it == snap.ranges.end() ? std::string("the root")
                                       : RangeText(it->second);
      };
      return absl::StrFormat(
          "owner of %#x changed outside what the step touched: %s -> %s", a,
          describe(before, before.owners[i]), describe(after, after.owners[i]));
    }
  }
  return "";
}

std::string Twins::Step(const Op& op) {
  const TreeSnapshot before(tree_, probes_);
  const std::vector<Res*> model_before = model_.Preorder();

  const OpResult rt = ops::Apply(tree_, op);
  const OpResult rm = ops::Apply(model_, op);
  CountOutcome(op, rm);
  if (rt != rm) {
    return absl::StrCat("results differ:\n  tree:  ", rt.ToString(),
                        "\n  model: ", rm.ToString(), "\nbefore:\n",
                        before.dump);
  }
  const TreeSnapshot after(tree_, probes_);
  if (!after.lookup_problem.empty()) {
    return absl::StrCat(after.lookup_problem, "\n", after.dump);
  }
  // Broken invariants first: they explain any difference that follows.
  std::vector<std::string> tree_bad;
  for (const InvariantViolation& v : tree_.CheckInvariants()) {
    tree_bad.push_back(v.message);
  }
  const std::vector<std::string> model_bad = model_.CheckInvariants();
  if (!tree_bad.empty() || !model_bad.empty()) {
    return absl::StrCat(
        "invariants broken: tree [", absl::StrJoin(tree_bad, "; "), "] model [",
        absl::StrJoin(model_bad, "; "), "]\nafter:\n", after.dump, "model:\n",
        model_.Dump(), "before:\n", before.dump);
  }
  const std::string model_dump = model_.Dump();
  if (after.dump != model_dump) {
    return absl::StrCat("trees differ after ", rt.ToString(), "\ntree:\n",
                        after.dump, "model:\n", model_dump, "before:\n",
                        before.dump);
  }
  const int cap = world_.profile.proc_max_depth;
  for (bool zeroed : {false, true}) {
    ProcRenderOptions proc;
    proc.zero_addresses = zeroed;
    const std::string tp = RenderProcIomem(tree_, proc);
    const std::string mp = model_.RenderProc(cap, zeroed);
    if (tp != mp) {
      return absl::StrCat("/proc/iomem differs", zeroed ? " (zeroed)" : "",
                          "\ntree:\n", tp, "model:\n", mp);
    }
  }
  if (tree_.chunk_fence() != model_.chunk_fence()) return "fence differs";
  const std::vector<Res*> model_after = model_.Preorder();
  for (size_t i = 0; i < model_after.size(); ++i) {
    const uint64_t tc = after.chunk_sizes[i];
    const uint64_t mc = model_.ChunkSizeOf(model_after[i]);
    if (tc != mc) {
      return absl::StrFormat("chunk size of #%d: tree %#x, model %#x\n%s", i,
                             tc, mc, after.dump);
    }
    if (tree_.IsChunk(after.preorder[i]) !=
        RedesignModel::IsChunk(model_after[i])) {
      return absl::StrFormat("IsChunk(#%d) differs", i);
    }
  }
  if (rt.Failed()) {
    if (after.dump != before.dump) {
      return absl::StrCat("a failed step changed the tree\nbefore:\n",
                          before.dump, "after:\n", after.dump);
    }
    if (after.preorder != before.preorder) {
      return "a failed step changed node ids";
    }
    if (after.chunk_sizes != before.chunk_sizes) {
      return "a failed step changed chunk sizes";
    }
  }
  // The same nodes created (indexes after) and freed (indexes before).
  auto created_freed = [](const auto& pre_before, const auto& pre_after) {
    using T = typename std::decay_t<decltype(pre_before)>::value_type;
    const absl::flat_hash_set<T> b(pre_before.begin(), pre_before.end());
    const absl::flat_hash_set<T> a(pre_after.begin(), pre_after.end());
    std::vector<int> created;
    std::vector<int> freed;
    for (size_t i = 0; i < pre_after.size(); ++i) {
      if (!b.contains(pre_after[i])) created.push_back(static_cast<int>(i));
    }
    for (size_t i = 0; i < pre_before.size(); ++i) {
      if (!a.contains(pre_before[i])) freed.push_back(static_cast<int>(i));
    }
    return std::make_pair(created, freed);
  };
  const auto tree_cf = created_freed(before.preorder, after.preorder);
  const auto model_cf = created_freed(model_before, model_after);
  if (tree_cf != model_cf) {
    return absl::StrCat("different nodes created/freed: tree created [",
                        absl::StrJoin(tree_cf.first, ","), "] freed [",
                        absl::StrJoin(tree_cf.second, ","),
                        "], model created [",
                        absl::StrJoin(model_cf.first, ","), "] freed [",
                        absl::StrJoin(model_cf.second, ","), "]\nbefore:\n",
                        before.dump, "after:\n", after.dump);
  }
  const std::string owners = OwnershipProblem(op, before, after, !rt.Failed());
  if (!owners.empty()) {
    return absl::StrCat(owners, "\nbefore:\n", before.dump, "after:\n",
                        after.dump);
  }
  return "";
}

// ---------------------------------------------------------------------------
// Properties

rc::Gen<test_support::World> GenWorld() {
  return rc::gen::exec([] {
    // Mostly the 16 KiB root, where every range collides.
    const int root_kind =
        *rc::gen::weightedElement<int>({{6, 2}, {2, 0}, {1, 1}});
    const size_t profile =
        *rc::gen::inRange<size_t>(0, KernelProfile::All().size());
    return test_support::MakeWorld(
        root_kind, profile,
        /*small_gfr_align=*/*rc::gen::arbitrary<bool>(),
        /*low_physmem=*/*rc::gen::arbitrary<bool>());
  });
}

RC_GTEST_PROP(RedesignDifferentialTest, ResourceTreeMatchesRedesignModel, ()) {
  const test_support::World w = *GenWorld();
  const uint64_t top = w.root.range.last();
  const std::vector<ops::RawOp> seq =
      *rc::gen::container<std::vector<ops::RawOp>>(
          ops::GenRawOp(top, ops::OpSet::kAll));
  Twins twins(w);
  std::string trace = absl::StrCat("profile ", w.profile.name, " root ",
                                   w.root.range.ToString(), "\n");
  for (const ops::RawOp& raw : seq) {
    const Op op = ops::Make(raw, twins.tree());
    absl::StrAppend(&trace, ToString(op), "\n");
    // A crash cannot be shrunk; RESTREE_TRACE=1 shows where it happened.
    if (std::getenv("RESTREE_TRACE") != nullptr) {
      std::fprintf(stderr, "%s\n", ToString(op).c_str());
    }
    const std::string problem = twins.Step(op);
    if (!problem.empty()) RC_FAIL(absl::StrCat(trace, problem));
  }
}

// ---------------------------------------------------------------------------
// Fixed sequences: cases worth keeping whatever the generator does, and the
// counterexamples this test found in ResourceTree, fixed since (chunks with
// children claimed or released; the fence looking only at the parent).

ops::RequestResource Req(int parent, uint64_t first, uint64_t last,
                         const char* name) {
  ops::RequestResource o;
  o.parent = parent;
  o.start = first;
  o.end = last;
  o.flags = iores::kMem;
  o.name = name;
  return o;
}

ops::ReserveChunks Reserve(int window, uint64_t chunk_size) {
  ops::ReserveChunks o;
  o.window = window;
  o.chunk_size = chunk_size;
  o.memory_block_size = chunk_size;
  o.max_new_chunks = ChunkGeometry().max_new_chunks;
  return o;
}

ops::SetChunkFence Fence(bool on) {
  ops::SetChunkFence o;
  o.on = on;
  return o;
}

ops::ClaimChunks Claim(int window, uint64_t first, uint64_t last) {
  ops::ClaimChunks o;
  o.window = window;
  o.start = first;
  o.end = last;
  o.flags = iores::kMem;
  o.name = "region0";
  return o;
}

ops::Reparent Move(int target, int new_parent) {
  ops::Reparent o;
  o.target = target;
  o.new_parent = new_parent;
  return o;
}

// Runs `ops` (already concrete) in the 16 KiB iomem world; "" if every step
// agrees, else the trace and the problem.
std::string RunScenario(const std::vector<Op>& ops,
                        const test_support::World& world =
                            test_support::MakeWorld(2, 0, false, false)) {
  Twins twins(world);
  std::string trace;
  for (const Op& op : ops) {
    absl::StrAppend(&trace, ToString(op), "\n");
    const std::string problem = twins.Step(op);
    if (!problem.empty()) return absl::StrCat(trace, problem);
  }
  return "";
}

// A claimed chunk's children go to the new region.
TEST(RedesignScenarioTest, ClaimChunksOverChunkWithChildren) {
  EXPECT_EQ(RunScenario({Req(-1, 0, 0xfff, "CXL Window 0"), Reserve(0, 0x400),
                         Fence(false), Req(1, 0x100, 0x1ff, "A"), Fence(true),
                         Claim(0, 0, 0x7ff)}),
            "");
}

TEST(RedesignScenarioTest, ReparentUpAndDownAChain) {
  EXPECT_EQ(RunScenario({Req(-1, 0, 0xfff, "A"), Req(0, 0x100, 0x1ff, "B"),
                         Req(1, 0x100, 0x1ff, "C"), Req(2, 0x100, 0x17f, "k"),
                         Move(2, 0), Move(0, 2)}),
            "");
}

// ResourceTree::Reparent(id, id) once crashed (an empty vector's back());
// fixed in 409692f.
TEST(RedesignScenarioTest, ReparentOntoItself) {
  EXPECT_EQ(RunScenario({Req(-1, 0, 0xff, "A"), Move(0, 0)}), "");
}

// Found here: claim_chunks freed the chunks but not their children, which
// keep the freed slot as parent: unreachable, CheckInvariants() says
// "dead parent slot". (When the new region reuses that slot, as with the
// first chunk in ClaimChunksOverChunkWithChildren, they look adopted.)
TEST(RedesignScenarioTest, ClaimChunksOverLastChunkWithChildren) {
  EXPECT_EQ(RunScenario({Req(-1, 0, 0xfff, "CXL Window 0"), Reserve(0, 0x400),
                         Fence(false), Req(2, 0x500, 0x5ff, "A"), Fence(true),
                         Claim(0, 0, 0x7ff)}),
            "");
}

// Found here: with the fence on, request_region landed below A, which lies in
// a chunk (Reparent put A there); the specification says no new node goes
// "inside a chunk". The model refuses (EBUSY, the chunk).
TEST(RedesignScenarioTest, FenceSeesChunksAboveTheParent) {
  ops::RequestRegion region;
  region.parent = -1;
  region.start = 0;
  region.size = 0x100;
  region.name = "R";
  EXPECT_EQ(RunScenario({Req(-1, 0, 0xff, "A"), Reserve(0, 0x1000), Move(0, 1),
                         region}),
            "");
}

// Found here: release_unused_chunks freed the chunks but left their
// children with a freed parent (unreachable; CheckInvariants() says "dead
// parent slot"). The model frees only the chunks, their children taking
// their place.
TEST(RedesignScenarioTest, ReleaseUnusedChunksKeepsTheirChildren) {
  ops::ReleaseUnusedChunks release;
  release.window = 0;
  EXPECT_EQ(RunScenario({Req(-1, 0, 0xff, "CXL Window 0"), Fence(false),
                         Reserve(0, 0x1000), Req(1, 0, 0xff, "A"), release}),
            "");
}

// Found here: set_flags put restree's chunk bit on the root, and the fence's
// refusal of the next insert described the chunk's parent, which the root
// does not have (a crash in ResourceTree::FenceStatus). Both refuse with
// EBUSY naming the root.
TEST(RedesignScenarioTest, FenceOnARootMarkedAsAChunk) {
  ops::SetFlags mark;
  mark.target = -1;
  mark.flags = iores::kMem | iores::kRestreeChunk;
  ops::InsertResource insert;
  insert.parent = -1;
  insert.start = 0;
  insert.end = 0xfff;
  insert.flags = iores::kMem;
  insert.name = "A";
  EXPECT_EQ(RunScenario({mark, insert, Req(-1, 0x1000, 0x1fff, "B")}), "");
  ResourceTree t(test_support::MakeWorld(2, 0, false, false).root);
  ASSERT_EQ(ops::Apply(t, mark).outcome, KernelOutcome::kOk);
  const OpResult r = ops::Apply(t, insert);
  EXPECT_EQ(r.err, kerrno::kEBUSY);
  EXPECT_EQ(r.conflict, -1);
}

// Runs trace lines (docs/kernel-in-the-loop.md format) as a scenario.
std::string RunTrace(const std::vector<std::string>& lines,
                     const test_support::World& world) {
  std::vector<Op> all;
  for (const std::string& line : lines) {
    absl::StatusOr<Op> op = ops::ParseOp(line);
    if (!op.ok()) return std::string(op.status().message());
    all.push_back(*std::move(op));
  }
  return RunScenario(all, world);
}

// Found by redesign_ops_fuzzer (2026-12-02), not fixed: a window whose raw
// flags carry restree's chunk bit (kRestreeChunk) is a chunk to the fence.
// get_free_mem_region below it: ResourceTree refuses with EBUSY naming the
// window (the fence, checked first), RedesignModel with ERANGE (the search,
// checked first). The specification does not say which comes first, nor
// whether a caller may set the chunk bit at all (SetFlags, Request); the
// generators and the fuzzer leave that bit out until it does.
TEST(RedesignScenarioTest, DISABLED_FreeRegionBelowAFlagMarkedChunk) {
  auto World = [] {
    const std::vector<KernelProfile> all = KernelProfile::All();
    size_t i = 0;
    while (i + 1 < all.size() && all[i].name != "linux-7.0") ++i;
    return test_support::MakeWorld(2, i, /*small_gfr_align=*/true,
                                   /*low_physmem=*/true);
  };
  EXPECT_EQ(
      RunTrace(
          {
              R"(request_resource parent=iomem start=0 end=0x3fff flags=0xe0e0dbdbdbdbdbdb desc=10 name="CXL Window 0")",
              R"(request_free_mem_region parent=iomem:0 size=0x900 name="A")",
          },
          World()),
      "");
}

// The scenarios read as trace lines too: the shared vocabulary prints the
// redesign operations and parses them back to the same operation.
TEST(RedesignScenarioTest, RedesignOpsRoundTripThroughTraceText) {
  ops::InsertOver over;
  over.parent = -1;
  over.start = 0x100;
  over.end = 0x4ff;
  over.flags = iores::kMem;
  over.desc = iores_desc::kCxl;
  over.name = "CXL Window 0";
  over.splittable = {"System RAM", "Soft Reserved"};
  ops::Grow grow;
  grow.target = 3;
  grow.start = 0x100;
  grow.size = 0x800;
  grow.grow_ancestors = true;
  ops::ReleaseUnusedChunks release;
  release.window = 2;
  release.shrink = true;
  const std::vector<Op> all = {Req(-1, 0, 0xfff, "A"),
                               Reserve(0, 0x400),
                               Fence(false),
                               Claim(0, 0, 0x7ff),
                               Move(2, 0),
                               over,
                               grow,
                               release};
  const std::vector<std::string> want = {
      R"(request_resource parent=iomem start=0 end=0xfff flags=0x200 desc=0 name="A")",
      "reserve_chunks window=iomem:0 chunk_size=0x400 ways=1 "
      "memory_block_size=0x400 max_new_chunks=16777216",
      "set_chunk_fence on=0",
      R"(claim_chunks window=iomem:0 start=0 end=0x7ff flags=0x200 desc=9 name="region0")",
      "reparent target=iomem:2 new_parent=iomem:0",
      R"(insert_over parent=iomem start=0x100 end=0x4ff flags=0x200 desc=9 name="CXL Window 0" splittable="System RAM,Soft Reserved")",
      "grow target=iomem:3 start=0x100 size=0x800 grow_ancestors=1",
      "release_unused_chunks window=iomem:2 shrink=1",
  };
  ASSERT_EQ(all.size(), want.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(ToString(all[i]), want[i]);
    const absl::StatusOr<Op> back = ops::ParseOp(want[i]);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(ToString(*back), want[i]);
    EXPECT_EQ(back->index(), all[i].index());
  }
  // Without a policy, insert_over is the kernel's insert_resource and prints
  // as before the redesign operations joined the vocabulary.
  over.splittable.clear();
  EXPECT_EQ(
      ToString(over),
      R"(insert_over parent=iomem start=0x100 end=0x4ff flags=0x200 desc=9 name="CXL Window 0")");
  EXPECT_TRUE(ops::InKernel(over));
  EXPECT_FALSE(ops::InKernel(grow));
  EXPECT_FALSE(ops::InKernel(release));
}

// RESTREE_STATS=1: how often each operation succeeded and failed, by
// outcome, so that a generator change that starves an operation shows.
class Stats : public ::testing::Environment {
 public:
  static void Count(const Op& op, const OpResult& o) {
    if (std::getenv("RESTREE_STATS") == nullptr) return;
    std::string key(ops::Name(op));
    absl::StrAppend(&key, " ", KernelOutcomeName(o.outcome),
                    o.err ? absl::StrCat(" ", ErrnoName(o.err)) : "");
    ++counts()[key];
  }
  void TearDown() override {
    if (std::getenv("RESTREE_STATS") == nullptr) return;
    std::vector<std::pair<std::string, int>> sorted(counts().begin(),
                                                    counts().end());
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [key, n] : sorted) {
      std::fprintf(stderr, "%8d  %s\n", n, key.c_str());
    }
  }

 private:
  static absl::flat_hash_map<std::string, int>& counts() {
    static auto* m = new absl::flat_hash_map<std::string, int>();
    return *m;
  }
};
const auto* const kStats = ::testing::AddGlobalTestEnvironment(new Stats);

void CountOutcome(const Op& op, const OpResult& o) { Stats::Count(op, o); }

// The fence's promise, on ResourceTree alone: windows with reserved chunks,
// the fence on, then kernel-compatible allocations aimed anywhere (chunks
// included). No node may end up below a chunk, and every chunk keeps its
// parent (none is adopted).
RC_GTEST_PROP(RedesignDifferentialTest, FenceKeepsAllocationsOutOfChunks, ()) {
  const test_support::World w = test_support::MakeWorld(
      2, *rc::gen::inRange<size_t>(0, KernelProfile::All().size()),
      /*small_gfr_align=*/true, /*low_physmem=*/*rc::gen::arbitrary<bool>());
  ResourceTree t(w.root, w.profile);
  std::string trace;
  // Up to three windows, each with a few children, then chunks.
  const int windows = *rc::gen::inRange(1, 4);
  for (int i = 0; i < windows; ++i) {
    const uint64_t base = static_cast<uint64_t>(i) * 0x1400;
    const absl::StatusOr<ResourceId> win =
        t.Request(t.root(), {Range(base, base + 0x13ff), "CXL Window 0",
                             iores::kMem, iores_desc::kCxl});
    RC_ASSERT(win.ok());
    const int kids = *rc::gen::inRange(0, 3);
    for (int k = 0; k < kids; ++k) {
      const uint64_t s = base + *rc::gen::inRange<uint64_t>(0, 20) * kG;
      const uint64_t len = *rc::gen::inRange<uint64_t>(1, 4) * kG;
      (void)t.Request(*win, {Range(s, std::min(s + len - 1, base + 0x13ff)),
                             "region", iores::kMem, 0});
    }
    ChunkGeometry g;
    g.memory_block_size =
        *rc::gen::elementOf(std::vector<uint64_t>{0x200, 0x400, 0x800});
    g.chunk_size = g.memory_block_size;
    const absl::StatusOr<size_t> n = t.ReserveChunks(*win, g);
    RC_ASSERT(n.ok());
    absl::StrAppend(&trace, "window ", i, " chunk_size ",
                    absl::StrFormat("%#x", g.chunk_size), ": ", *n,
                    " chunks\n");
  }
  RC_ASSERT(t.chunk_fence());
  absl::flat_hash_map<ResourceId, ResourceId> chunk_parent;
  for (ResourceId id : t.PreorderIds()) {
    if (t.IsChunk(id)) chunk_parent[id] = t.ParentOf(id);
  }
  const std::vector<ops::RawOp> seq =
      *rc::gen::container<std::vector<ops::RawOp>>(
          ops::GenRawOp(0x3fff, {ops::KindOf<ops::RequestResource>(),
                                 ops::KindOf<ops::InsertResource>(),
                                 ops::KindOf<ops::InsertResourceExpandToFit>(),
                                 ops::KindOf<ops::RequestRegion>(),
                                 ops::KindOf<ops::AllocateResource>(),
                                 ops::KindOf<ops::AllocFreeMemRegion>(),
                                 ops::KindOf<ops::RequestFreeMemRegion>()}));
  for (const ops::RawOp& raw : seq) {
    const Op op = ops::Make(raw, t);
    absl::StrAppend(&trace, ToString(op), "\n");
    const OpResult o = ops::Apply(t, op);
    absl::StrAppend(&trace, "  -> ", o.ToString(), "\n");
    size_t chunks = 0;
    for (ResourceId id : t.PreorderIds()) {
      for (ResourceId p = t.ParentOf(id); p.valid(); p = t.ParentOf(p)) {
        if (t.IsChunk(p)) {
          RC_FAIL(
              absl::StrCat(trace, "a node below a chunk:\n", RenderDump(t)));
        }
      }
      if (!t.IsChunk(id)) continue;
      ++chunks;
      auto it = chunk_parent.find(id);
      if (it == chunk_parent.end() || it->second != t.ParentOf(id)) {
        RC_FAIL(
            absl::StrCat(trace, "a chunk appeared or moved:\n", RenderDump(t)));
      }
    }
    RC_ASSERT(chunks == chunk_parent.size());
  }
}

}  // namespace redesign_test
}  // namespace restree
