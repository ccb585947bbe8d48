// Differential fuzzer of the redesign: bytes -> a world (root, kernel
// profile) and a sequence of mixed kernel and redesign operations (the shared
// vocabulary of tests/tree_ops.h, decoded with OpSet::kAll: Reparent,
// InsertOver with a split policy, Grow/Shrink, the chunk operations and the
// fence among the kernel calls), run on ResourceTree and on the plain
// reference RedesignModel (tests/redesign_model.h). Aborts (a libFuzzer
// crash) with the trace of the sequence when, after any step:
//   * the results differ (outcome, errno, conflict, created node, count);
//   * the trees render differently (full dump with flags and desc, and
//     /proc/iomem with and without addresses);
//   * either invariant checker complains;
//   * a failed operation was not rolled back exactly: the same ids in
//     pre-order (generations included), the same rendering and chunk sizes
//     as before it.
//
//   bazel build --config=fuzz //fuzz:redesign_ops_fuzzer
//   bazel-bin/fuzz/redesign_ops_fuzzer -max_total_time=600
//       /tmp/redesign_corpus fuzz/corpus/redesign_ops_fuzzer

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fuzzer/FuzzedDataProvider.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tests/lockstep.h"
#include "tests/redesign_model.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

constexpr size_t kMaxOps = 64;

[[noreturn]] void Fail(const std::string& trace, const std::string& what) {
  std::fprintf(stderr, "%s%s\n", trace.c_str(), what.c_str());
  std::abort();
}

// What a failed operation must leave as it was.
struct State {
  std::string dump;
  std::vector<ResourceId> ids;  // pre-order, generations included
  std::vector<uint64_t> chunk_sizes;
  bool fence = true;

  explicit State(const ResourceTree& t)
      : dump(RenderDump(t)), ids(t.PreorderIds()), fence(t.chunk_fence()) {
    for (ResourceId id : ids) chunk_sizes.push_back(t.ChunkSizeOf(id));
  }
};

std::string Problems(const ResourceTree& t, const model::RedesignModel& m) {
  std::vector<std::string> tree_bad;
  for (const InvariantViolation& v : t.CheckInvariants()) {
    tree_bad.push_back(v.message);
  }
  const std::vector<std::string> model_bad = m.CheckInvariants();
  if (tree_bad.empty() && model_bad.empty()) return "";
  return absl::StrCat("invariants broken: tree [",
                      absl::StrJoin(tree_bad, "; "), "] model [",
                      absl::StrJoin(model_bad, "; "), "]");
}

}  // namespace
}  // namespace restree

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace restree;
  FuzzedDataProvider in(data, size);
  // Mostly the 16 KiB root, where every range collides.
  const int root_kind = in.ConsumeIntegralInRange<int>(0, 3) == 0
                            ? in.ConsumeIntegralInRange<int>(0, 1)
                            : 2;
  const size_t profile =
      in.ConsumeIntegralInRange<size_t>(0, KernelProfile::All().size() - 1);
  const bool small_gfr_align = in.ConsumeBool();
  const bool low_physmem = in.ConsumeBool();
  const test_support::World w =
      test_support::MakeWorld(root_kind, profile, small_gfr_align, low_physmem);
  ResourceTree tree(w.root, w.profile);
  model::RedesignModel model(w.root, w.profile);
  const uint64_t top = w.root.range.last();
  std::string trace = absl::StrCat("profile ", w.profile.name, " root ",
                                   w.root.range.ToString(), "\n");
  State before(tree);
  for (size_t step = 0; step < kMaxOps && in.remaining_bytes() > 0; ++step) {
    const ops::Op op =
        ops::Make(ops::DecodeRawOp(in, top, ops::OpSet::kAll), tree);
    absl::StrAppend(&trace, ops::ToString(op, w.label), "\n");
    const ops::OpResult rt = ops::Apply(tree, op);
    const ops::OpResult rm = ops::Apply(model, op);
    if (rt != rm) {
      Fail(trace, absl::StrCat("results differ:\n  tree:  ", rt.ToString(),
                               "\n  model: ", rm.ToString(), "\nbefore:\n",
                               before.dump));
    }
    if (const std::string p = Problems(tree, model); !p.empty()) {
      Fail(trace, absl::StrCat(p, "\ntree:\n", RenderDump(tree), "model:\n",
                               model.Dump()));
    }
    State after(tree);
    const std::string model_dump = model.Dump();
    if (after.dump != model_dump) {
      Fail(trace, absl::StrCat("trees differ\ntree:\n", after.dump, "model:\n",
                               model_dump, "before:\n", before.dump));
    }
    for (bool zeroed : {false, true}) {
      ProcRenderOptions proc;
      proc.zero_addresses = zeroed;
      const std::string tp = RenderProcIomem(tree, proc);
      const std::string mp = model.RenderProc(w.profile.proc_max_depth, zeroed);
      if (tp != mp) {
        Fail(trace,
             absl::StrCat("/proc/iomem differs", zeroed ? " (zeroed)" : "",
                          "\ntree:\n", tp, "model:\n", mp));
      }
    }
    if (tree.chunk_fence() != model.chunk_fence()) Fail(trace, "fence differs");
    const std::vector<model::Res*> model_nodes = model.Preorder();
    for (size_t i = 0; i < model_nodes.size() && i < after.ids.size(); ++i) {
      if (after.chunk_sizes[i] != model.ChunkSizeOf(model_nodes[i])) {
        Fail(trace,
             absl::StrCat("chunk size of node ", i, " differs\n", after.dump));
      }
    }
    if (rt.Failed()) {
      if (after.dump != before.dump) {
        Fail(trace,
             absl::StrCat("a failed operation changed the tree\nbefore:\n",
                          before.dump, "after:\n", after.dump));
      }
      if (after.ids != before.ids) {
        Fail(trace, "a failed operation changed node ids or generations");
      }
      if (after.chunk_sizes != before.chunk_sizes ||
          after.fence != before.fence) {
        Fail(trace, "a failed operation changed chunk sizes or the fence");
      }
    }
    before = std::move(after);
  }
  return 0;
}
