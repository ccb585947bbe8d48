#include "tests/kernel_in_the_loop.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/render.h"
#include "tests/kernel_shim/kernel_adapter.h"

namespace restree {
namespace kil {
namespace {

static_assert(static_cast<int>(KernelOutcome::kContractViolation) ==
                  KA_CONTRACT_VIOLATION,
              "outcomes out of step");
static_assert(static_cast<int>(KernelOutcome::kNotInserted) == KA_NOT_INSERTED,
              "");
static_assert(ops::kNoNode == KA_NO_NODE, "");

const ResourceSpec kIomem = {Range::Full(), "PCI mem", iores::kMem, 0};

constexpr uint64_t kMaxKernelCandidates = 1000000;

bool booted = false;

ops::OpResult FromKernel(const ka_result& k) {
  ops::OpResult r;
  r.outcome = static_cast<KernelOutcome>(k.outcome);
  r.err = k.err;
  r.conflict = k.conflict;
  r.node = k.node;
  r.count = static_cast<size_t>(k.count);
  r.intersects = static_cast<RegionIntersection>(k.intersects);
  for (int i = 0; i < k.walk_n; ++i) {
    ops::WalkRecord w;
    w.range = Range(k.walk[i].start, k.walk[i].end);
    w.flags = k.walk[i].flags;
    w.desc = static_cast<uint32_t>(k.walk[i].desc);
    w.node = KA_UNKNOWN_NODE;  // the kernel hands out a copy
    w.parent = k.walk[i].parent;
    r.walk.push_back(w);
  }
  return r;
}

// Equal, except where the kernel does not say (a conflict behind a NULL, the
// node behind a walk callback's copy).
bool SameAsKernel(const ops::OpResult& m, const ops::OpResult& k) {
  if (m.outcome != k.outcome || m.err != k.err || m.node != k.node ||
      m.count != k.count || m.intersects != k.intersects ||
      m.walk.size() != k.walk.size()) {
    return false;
  }
  if (k.conflict != KA_UNKNOWN_NODE && m.conflict != k.conflict) return false;
  for (size_t i = 0; i < m.walk.size(); ++i) {
    const ops::WalkRecord& a = m.walk[i];
    const ops::WalkRecord& b = k.walk[i];
    if (a.range != b.range || a.flags != b.flags || a.desc != b.desc ||
        a.parent != b.parent) {
      return false;
    }
  }
  return true;
}

std::string ProcText(bool capable) {
  char* t = ka_proc_iomem(capable ? 1 : 0);
  std::string out = t != nullptr ? t : "";
  std::free(t);
  return out;
}

}  // namespace

bool KernelAvailable() { return ka_available() != 0; }

rc::Gen<ops::RawOp> GenRedesignRawOp() {
  std::vector<int> kinds;
  for (int k = 0; k < ops::kNumKinds; ++k) {
    if (k != ops::KindOf<ops::SetChunkFence>()) kinds.push_back(k);
  }
  return rc::gen::resize(100, ops::GenRawOp(kMaxAddress, kinds));
}

std::string CompiledKernelDescription() {
  return absl::StrCat(ka_kernel_release(), " (", ka_kernel_origin(), ")");
}

KernelProfile CompiledKernelProfile() {
  ka_behaviours b;
  ka_kernel_behaviours(&b);
  KernelProfile p = KernelProfile::Debian61();
  p.name = absl::StrCat("compiled-", ka_kernel_release());
  p.proc_max_depth = b.max_iores_level;
  p.region_intersects_descendants = b.region_intersects_descendants != 0;
  p.gfr_step_is_align = b.gfr_step_is_align != 0;
  p.gfr_ascending_skips_zero = b.gfr_ascending_skips_zero != 0;
  p.split_reparents_children = b.split_reparents_children != 0;
  return p;
}

KernelLoop::KernelLoop(uint64_t physmem_end, LoopMode mode)
    : mode_(mode),
      profile_([&] {
        KernelProfile p = CompiledKernelProfile();
        p.physmem_end = physmem_end;
        return p;
      }()),
      model_(kIomem, profile_),
      tree_(kIomem, profile_) {
  // The kernel has no chunks (see Lockstep), and the C redesign interface
  // no fence.
  tree_.set_chunk_fence(false);
  if (mode_ == LoopMode::kRedesign) {
    redesign_ = std::make_unique<model::RedesignModel>(kIomem, profile_);
    redesign_->set_chunk_fence(false);
  }
  if (!booted) {
    ka_init();
    booted = true;
  }
  ka_reset(physmem_end);
}

KernelLoop::~KernelLoop() { ka_reset((uint64_t{1} << 46) - 1); }

int KernelLoop::size() const { return static_cast<int>(tree_.size()) - 1; }

std::string KernelLoop::KernelDump() const {
  std::string out;
  const int n = ka_count();
  for (int i = -1; i < n; ++i) {
    struct ka_node k;
    ka_get_node(i, &k);
    AppendDumpLine(&out, k.depth + 1, k.start, k.end, k.name, k.flags,
                   static_cast<uint32_t>(k.desc));
  }
  return out;
}

std::string KernelLoop::ModelDump() const {
  return redesign_ ? redesign_->Dump() : model_.Dump();
}

std::string KernelLoop::ModelProc(bool capable) const {
  return redesign_ ? redesign_->RenderProc(profile_.proc_max_depth, !capable)
                   : model_.RenderProc(profile_.proc_max_depth, !capable);
}

std::string KernelLoop::ChunkSizeProblem() const {
  if (!redesign_) return "";
  const std::vector<ResourceId> ids = tree_.PreorderIds();
  const std::vector<model::Res*> res = redesign_->Preorder();
  for (int i = -1; i < static_cast<int>(ids.size()); ++i) {
    const uint64_t t = tree_.ChunkSizeOf(i < 0 ? tree_.root() : ids[i]);
    const uint64_t m =
        redesign_->ChunkSizeOf(i < 0 ? redesign_->root() : res[i]);
    const uint64_t k = ka_chunk_size(i);
    if (t != m || k != m) {
      return absl::StrFormat(
          "chunk sizes differ at node %d: resource_chunk_size() %#x, "
          "RedesignModel %#x, ResourceTree %#x",
          i, k, m, t);
    }
  }
  return "";
}

StepReport KernelLoop::Step(const ops::Op& op) {
  StepReport s;
  s.op = op;
  ka_op k{};
  std::vector<const char*> names;  // k's split names
  const bool redesign = mode_ == LoopMode::kRedesign;
  if (redesign ? !ops::ToRedesignKernel(op, &k, &names)
               : !ops::ToKernel(op, &k)) {
    s.skipped = true;
    s.not_in_kernel = true;
    return s;
  }
  // A free-region search the kernel would step through more than a
  // million candidates for would take it minutes: ask the model (dry run)
  // first and keep those away from every implementation.
  const auto* alloc = std::get_if<ops::AllocFreeMemRegion>(&op);
  const auto* request = std::get_if<ops::RequestFreeMemRegion>(&op);
  if (alloc != nullptr || request != nullptr) {
    model::KernelModel& m =
        redesign ? redesign_->kernel_for_dry_runs() : model_;
    const std::vector<model::Res*> pre = m.Preorder();
    const int ref = alloc != nullptr ? alloc->parent : request->parent;
    model::Res* base =
        ref < 0 || ref >= static_cast<int>(pre.size()) ? m.root() : pre[ref];
    m.GetFreeMemRegion(
        base, alloc != nullptr ? alloc->size : request->size,
        alloc != nullptr ? alloc->align : profile_.gfr_default_align,
        alloc != nullptr ? alloc->name : request->name, 0,
        /*descending=*/alloc == nullptr, /*request_region=*/alloc == nullptr,
        /*dry_run=*/true);
    if (m.last_gfr_candidates() > kMaxKernelCandidates) {
      s.skipped = true;
      return s;
    }
  }
  // The model next: inputs it refuses would make the kernel hang or corrupt
  // its tree.
  s.model = redesign ? ops::Apply(*redesign_, op) : *ops::Apply(model_, op);
  if (s.model.outcome == KernelOutcome::kContractViolation) {
    s.skipped = true;
    return s;
  }
  static ka_result kr;  // large (the walk buffer); one at a time
  ka_apply(&k, &kr);
  s.kernel = FromKernel(kr);
  s.tree = redesign ? ops::Apply(tree_, op) : ops::ApplyAsKernel(tree_, op);

  const char* kname = redesign ? "resource.c + C redesign" : "kernel";
  const char* mname = redesign ? "RedesignModel" : "KernelModel";
  if (kr.bug) {
    s.mismatch = "the kernel hit BUG()";
  } else if (kr.broken[0] != '\0') {
    s.mismatch =
        absl::StrCat("the C redesign left the tree inconsistent: ", kr.broken);
  } else if (!SameAsKernel(s.model, s.kernel)) {
    s.mismatch =
        absl::StrCat(kname, " and ", mname, " disagree: ", kname, " ",
                     s.kernel.ToString(), ", model ", s.model.ToString());
  } else if (s.tree != s.model) {
    s.mismatch =
        absl::StrCat("ResourceTree and ", mname, " disagree: tree ",
                     s.tree.ToString(), ", model ", s.model.ToString());
  }
  if (!s.mismatch.empty()) return s;
  const std::string kd = KernelDump();
  const std::string md = ModelDump();
  const std::string td = RenderDump(tree_);
  if (kd != md) {
    s.mismatch =
        absl::StrCat("trees differ\n", kname, ":\n", kd, mname, ":\n", md);
  } else if (td != md) {
    s.mismatch =
        absl::StrCat("trees differ\nResourceTree:\n", td, mname, ":\n", md);
  } else if (std::string c = ChunkSizeProblem(); !c.empty()) {
    s.mismatch = std::move(c);
  } else {
    for (bool capable : {true, false}) {
      const std::string kp = ProcText(capable);
      ProcRenderOptions o;
      o.zero_addresses = !capable;
      const std::string tp = RenderProcIomem(tree_, o);
      const std::string mp = ModelProc(capable);
      if (kp != tp || kp != mp) {
        s.mismatch = absl::StrCat(
            "/proc/iomem differs", capable ? "" : " (unprivileged)",
            "\nkernel r_show:\n", kp,
            kp != tp ? "ResourceTree:\n" : absl::StrCat(mname, ":\n"),
            kp != tp ? tp : mp);
        break;
      }
    }
  }
  return s;
}

constexpr absl::string_view kDirective = "# physmem_end=";
constexpr absl::string_view kLoopDirective = "# loop=";

std::string TraceHeader(uint64_t physmem_end, LoopMode mode) {
  return absl::StrFormat("%s%#x\n%s", kDirective, physmem_end,
                         mode == LoopMode::kRedesign
                             ? absl::StrCat(kLoopDirective, "redesign\n")
                             : "");
}

void Tally::Count(const StepReport& r) {
  if (r.not_in_kernel) {
    ++not_in_kernel_;
    ++outcomes_[absl::StrCat(ops::Name(r.op), " (not in the kernel)")];
  } else if (r.skipped) {
    ++skipped_;
    ++outcomes_[absl::StrCat(ops::Name(r.op), " (skipped)")];
  } else {
    ++ops_;
    ++outcomes_[absl::StrCat(ops::Name(r.op), " ",
                             KernelOutcomeName(r.kernel.outcome))];
  }
}

std::string Tally::Summary(absl::string_view title) const {
  std::string out = absl::StrFormat(
      "%s: %u sequences, %u operations run on the kernel, %u skipped (the "
      "model refused them), %u skipped (not in the kernel)\n",
      title, sequences_, ops_, skipped_, not_in_kernel_);
  for (const auto& [k, n] : outcomes_) {
    absl::StrAppendFormat(&out, "  %-50s %u\n", k, n);
  }
  return out;
}

void FuzzSequence(FuzzedDataProvider& in, LoopMode mode, ops::OpSet set) {
  if (!KernelAvailable()) {
    std::fprintf(stderr, "no kernel source compiled in: %s\n",
                 CompiledKernelDescription().c_str());
    std::abort();
  }
  const uint64_t physmem_end =
      in.ConsumeBool() ? 0x3fffffff : (uint64_t{1} << 46) - 1;
  KernelLoop loop(physmem_end, mode);
  std::string trace = TraceHeader(physmem_end, mode);
  for (int step = 0; step < 128 && in.remaining_bytes() > 0; ++step) {
    const ops::Op op =
        ops::Make(ops::DecodeRawOp(in, kMaxAddress, set), loop.tree());
    absl::StrAppend(&trace, ops::ToString(op), "\n");
    const StepReport r = loop.Step(op);
    if (!r.mismatch.empty()) {
      std::fprintf(stderr, "%s%s\n", trace.c_str(), r.mismatch.c_str());
      std::abort();
    }
  }
}

absl::StatusOr<ReplaySummary> Replay(
    absl::string_view text, absl::string_view filename,
    const std::function<void(int line, const StepReport&)>& on_step) {
  uint64_t physmem_end = (uint64_t{1} << 46) - 1;
  LoopMode mode = LoopMode::kKernel;
  struct Line {
    int number;
    ops::Op op;
  };
  std::vector<Line> lines;
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++number;
    if (absl::EndsWith(raw, "\r")) raw.remove_suffix(1);
    const absl::string_view line = absl::StripAsciiWhitespace(raw);
    auto where = [&](absl::string_view msg) {
      return absl::InvalidArgumentError(
          absl::StrCat(filename, ":", number, ": ", msg));
    };
    if (absl::StartsWith(line, kDirective)) {
      if (!lines.empty()) {
        return where("physmem_end must come before the first operation");
      }
      const absl::string_view v = line.substr(kDirective.size());
      const bool ok = absl::StartsWithIgnoreCase(v, "0x")
                          ? absl::SimpleHexAtoi(v.substr(2), &physmem_end)
                          : absl::SimpleAtoi(v, &physmem_end);
      if (!ok) return where(absl::StrCat("bad physmem_end '", v, "'"));
      continue;
    }
    if (absl::StartsWith(line, kLoopDirective)) {
      if (!lines.empty()) {
        return where("loop= must come before the first operation");
      }
      const absl::string_view v = line.substr(kLoopDirective.size());
      if (v == "redesign") {
        mode = LoopMode::kRedesign;
      } else if (v == "kernel") {
        mode = LoopMode::kKernel;
      } else {
        return where(absl::StrCat("bad loop '", v, "' (kernel or redesign)"));
      }
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    // The untrimmed line, so that ParseOp's "column N: ..." counts columns of
    // the file's line.
    absl::StatusOr<ops::Op> op =
        ops::ParseOp(absl::StripTrailingAsciiWhitespace(raw));
    if (!op.ok()) {
      absl::string_view msg = op.status().message();
      const bool has_column = absl::ConsumePrefix(&msg, "column ");
      return absl::InvalidArgumentError(
          absl::StrCat(filename, ":", number, has_column ? ":" : ": ", msg));
    }
    lines.push_back({number, *std::move(op)});
  }

  ReplaySummary sum;
  sum.mode = mode;
  KernelLoop loop(physmem_end, mode);
  for (const Line& l : lines) {
    // -1 (the root) is accepted for a target too: the model reports the
    // contract violation and the step is skipped.
    for (int ref : ops::Refs(l.op)) {
      if (ref < -1 || ref >= loop.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(filename, ":", l.number, ": node ", ref,
                         " does not exist (the tree has ", loop.size(),
                         " nodes below the root)"));
      }
    }
    StepReport r = loop.Step(l.op);
    ++sum.ops;
    if (r.skipped) ++sum.skipped;
    if (r.not_in_kernel) ++sum.not_in_kernel;
    if (on_step) on_step(l.number, r);
    if (!r.mismatch.empty()) {
      sum.mismatch_line = l.number;
      sum.mismatch = std::move(r);
      break;
    }
  }
  sum.proc_iomem = ProcText(/*capable=*/true);
  return sum;
}

}  // namespace kil
}  // namespace restree
