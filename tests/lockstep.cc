#include "tests/lockstep.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "resource_tree/render.h"

namespace restree {
namespace test_support {

World MakeWorld(int root_kind, size_t profile, bool small_gfr_align,
                bool low_physmem) {
  World w;
  switch (root_kind) {
    case 1:
      w.root = {Range(0, 0xffff), "PCI IO", iores::kIo, 0};
      w.label = "ioport";
      break;
    case 2:
      w.root = {Range(0, 0x3fff), "PCI mem", iores::kMem, 0};
      w.label = "iomem";
      break;
    default:
      w.root = {Range::Full(), "PCI mem", iores::kMem, 0};
      w.label = "iomem";
      break;
  }
  const std::vector<KernelProfile> all = KernelProfile::All();
  w.profile = all[profile % all.size()];
  if (small_gfr_align) w.profile.gfr_default_align = kGrid;
  if (low_physmem) w.profile.physmem_end = 0x3fff;
  return w;
}

Lockstep::Lockstep(const World& w)
    : world_(w),
      tree_(w.root, w.profile),
      model_(w.root, w.profile),
      dump_(RenderDump(tree_)) {
  // The kernel has no chunks: a node that random flags mark with restree's
  // chunk bit is an ordinary resource to it.
  tree_.set_chunk_fence(false);
}

std::string Lockstep::Step(const ops::Op& op) {
  if (!ops::InKernel(op)) {
    ++skipped_;
    return "";
  }
  const std::string before = dump_;
  const ops::OpResult rt = ops::ApplyAsKernel(tree_, op);
  const ops::OpResult rm = *ops::Apply(model_, op);
  if (rt != rm) {
    return absl::StrCat("results differ:\n  tree:  ", rt.ToString(),
                        "\n  model: ", rm.ToString(), "\nbefore:\n", before);
  }
  dump_ = RenderDump(tree_);
  const std::string model_dump = model_.Dump();
  if (dump_ != model_dump) {
    return absl::StrCat("trees differ after ", rt.ToString(), "\ntree:\n",
                        dump_, "model:\n", model_dump, "before:\n", before);
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
  std::vector<std::string> tree_bad;
  for (const InvariantViolation& v : tree_.CheckInvariants()) {
    tree_bad.push_back(v.message);
  }
  const std::vector<std::string> model_bad = model_.CheckInvariants();
  if (!tree_bad.empty() || !model_bad.empty()) {
    return absl::StrCat("invariants broken: tree [",
                        absl::StrJoin(tree_bad, "; "), "] model [",
                        absl::StrJoin(model_bad, "; "), "]\n", dump_);
  }
  if ((rt.Failed() || ops::IsQuery(op)) && dump_ != before) {
    return absl::StrCat("a failed op or query changed the tree\nbefore:\n",
                        before, "after:\n", dump_);
  }
  return "";
}

}  // namespace test_support
}  // namespace restree
