// File: kernel_in_the_loop.h
// -----------------------------------------------------------------------------
//
// The C++ side of the kernel-in-the-loop harness: runs tests/tree_ops.h
// operations on a real kernel's kernel/resource.c (through
// tests/kernel_shim/kernel_adapter.h) and compares what it does with
// KernelModel and ResourceTree. In redesign mode the kernel side also has a
// C implementation of the redesign operations
// (tests/kernel_shim/resource_redesign.h), and the three are resource.c plus
// that C code, RedesignModel (KernelModel plus the reference redesign) and
// ResourceTree. Used by the kernel-in-the-loop tests, their fuzzers and the
// replay tool; see docs/kernel-in-the-loop.md.
//
// The kernel has global state: one KernelLoop per process at a time.

#ifndef RESTREE_TESTS_KERNEL_IN_THE_LOOP_H_
#define RESTREE_TESTS_KERNEL_IN_THE_LOOP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"
#include "tests/redesign_model.h"
#include "tests/tree_ops.h"

namespace restree {
namespace kil {

// The profile matching the kernel source that was compiled in: Debian61 with
// the behaviours detected in its text (docs/kernel-in-the-loop.md).
KernelProfile CompiledKernelProfile();
// "6.1.192 (Debian linux-source-6.1 6.1.192-2)".
std::string CompiledKernelDescription();
// False if no kernel source was available at build time.
bool KernelAvailable();

// What the three implementations are.
enum class LoopMode {
  // The real resource.c, KernelModel and ResourceTree (as ApplyAsKernel());
  // operations the kernel does not have are skipped.
  kKernel,
  // resource.c plus the linked-in C redesign implementation, RedesignModel
  // and ResourceTree (as Apply()), all three with no chunk fence (the C
  // interface has none): every operation except SetChunkFence, which is
  // skipped. Also compared: every node's chunk size.
  kRedesign,
};

// The raw operations the redesign-mode sequences are made of: every kind but
// SetChunkFence, chosen by the structs' kWeight at RapidCheck's full size
// (ops::GenRawOp() picks kinds with a size-scaled index, so at small sizes
// the kinds late in ops::Op, the chunk operations, would hardly appear).
rc::Gen<ops::RawOp> GenRedesignRawOp();

// What happened to one operation on the three implementations.
struct StepReport {
  ops::Op op;
  ops::OpResult model;
  ops::OpResult kernel;
  ops::OpResult tree;
  bool skipped = false;        // not run anywhere: the model refused it (the
                               // kernel would hang or corrupt its tree), or
                               // not_in_kernel
  bool not_in_kernel = false;  // the kernel does not have it (!InKernel;
                               // in redesign mode: SetChunkFence)
  std::string mismatch;        // empty if all three agree
};

// Three trees in lock step: the kernel's iomem_resource, a KernelModel (in
// redesign mode a RedesignModel) and a ResourceTree, all starting empty.
class KernelLoop {
 public:
  // `physmem_end`: PHYSMEM_END for get_free_mem_region().
  explicit KernelLoop(uint64_t physmem_end = (uint64_t{1} << 46) - 1,
                      LoopMode mode = LoopMode::kKernel);
  ~KernelLoop();
  KernelLoop(const KernelLoop&) = delete;
  KernelLoop& operator=(const KernelLoop&) = delete;

  // Runs `op` (made against tree()) on all three (ResourceTree as
  // ops::ApplyAsKernel(), in redesign mode ops::Apply()) and compares the
  // results, the trees (full dumps) and /proc/iomem (the kernel's r_show,
  // privileged and not, against both renderers), in redesign mode also the
  // chunk sizes and the C tree's links. An operation the kernel side does
  // not have is skipped.
  StepReport Step(const ops::Op& op);
  LoopMode mode() const { return mode_; }

  int size() const;  // nodes below the root
  const ResourceTree& tree() const { return tree_; }
  // The kernel's tree in RenderDump()'s format.
  std::string KernelDump() const;
  // The first chunk-size disagreement, or "".
  std::string ChunkSizeProblem() const;

 private:
  std::string ModelDump() const;
  std::string ModelProc(bool capable) const;

  LoopMode mode_;
  KernelProfile profile_;
  model::KernelModel model_;                        // kKernel
  std::unique_ptr<model::RedesignModel> redesign_;  // kRedesign
  ResourceTree tree_;
};

// The header of a trace for a KernelLoop(physmem_end, mode), which Replay()
// reads back: "# physmem_end=0x3fffffff\n", and in redesign mode
// "# loop=redesign\n".
std::string TraceHeader(uint64_t physmem_end,
                        LoopMode mode = LoopMode::kKernel);

// What a test's random sequences did, for its closing summary.
class Tally {
 public:
  // One step: not in the kernel, skipped (the model refused it), or run
  // (counted by operation and the kernel's outcome).
  void Count(const StepReport& r);
  void EndSequence() { ++sequences_; }
  // "TITLE: S sequences, N operations run on the kernel, K skipped (the
  // model refused them), M skipped (not in the kernel)", then one line per
  // operation and outcome.
  std::string Summary(absl::string_view title) const;

 private:
  uint64_t sequences_ = 0, ops_ = 0, skipped_ = 0, not_in_kernel_ = 0;
  std::map<std::string, uint64_t> outcomes_;  // "op outcome" -> count
};

// One input of the kernel-in-the-loop fuzzers (kernel_loop_fuzzer,
// kernel_redesign_fuzzer): PHYSMEM_END (its first byte) and up to 128
// operations decoded from `in` (ops::DecodeRawOp of `set`), stepped in a
// KernelLoop of `mode`. A disagreement prints the trace (what `bazel run
// //tests:kil` replays) and the mismatch, and aborts; so does a build
// without a kernel source.
void FuzzSequence(FuzzedDataProvider& in, LoopMode mode, ops::OpSet set);

// What Replay() did.
struct ReplaySummary {
  int ops = 0;             // operations run (skipped ones included)
  int skipped = 0;         // of which skipped (see StepReport::skipped)
  int not_in_kernel = 0;   // of the skipped, those the kernel does not have
  int mismatch_line = 0;   // 1-based line of the first disagreement, or 0
  StepReport mismatch;     // its report, when mismatch_line != 0
  std::string proc_iomem;  // the kernel's /proc/iomem (privileged) at the end
  LoopMode mode = LoopMode::kKernel;  // what the trace asked for
};

// Replays a trace (docs/kernel-in-the-loop.md): one tests/tree_ops.h
// operation per line (those the kernel does not have are skipped and
// counted), blank lines and `#` comments ignored, and optional directives
// before the first operation: `# physmem_end=N` (decimal or 0x hex) and
// `# loop=redesign` (LoopMode::kRedesign; the default is `# loop=kernel`).
// Stops at the first disagreement. Every line is parsed before anything runs; a
// malformed line, a misplaced directive or a node reference the tree does not
// have (references are not folded into range, unlike in generated sequences)
// is an InvalidArgument error naming `filename:line[:column]`. `on_step`, if
// set, sees every step with its line. Runs in O(ops * tree size) plus the
// kernel's own costs; uses the process's one kernel (see above).
[[nodiscard]] absl::StatusOr<ReplaySummary> Replay(
    absl::string_view text, absl::string_view filename,
    const std::function<void(int line, const StepReport&)>& on_step = {});

}  // namespace kil
}  // namespace restree

#endif  // RESTREE_TESTS_KERNEL_IN_THE_LOOP_H_
