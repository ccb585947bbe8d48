// kil: replays a kernel-in-the-loop trace (what kernel_in_the_loop_test,
// kil_redesign_test and the kernel-loop fuzzers print when the three
// implementations disagree) on the compiled-in kernel's kernel/resource.c,
// KernelModel and ResourceTree; a trace with `# loop=redesign` on
// resource.c plus the linked-in C redesign implementation, RedesignModel and
// ResourceTree.
//
//   bazel run //tests:kil -- [--verbose] TRACE|-
//
// Exit status: 0 all three agree, 1 they disagree (the first disagreement is
// printed with its line), 2 bad usage or a bad trace. See
// docs/kernel-in-the-loop.md.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/kernel_in_the_loop.h"
#include "tests/kernel_shim/kernel_adapter.h"
#include "tests/tree_ops.h"

namespace {

constexpr size_t kMaxTraceBytes = size_t{64} << 20;

int Usage() {
  std::fprintf(stderr, "usage: kil [--verbose] TRACE|-\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace restree;
  bool verbose = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "kil: unknown option '%s'\n", a.c_str());
      return Usage();
    } else if (path.empty()) {
      path = a;
    } else {
      std::fprintf(stderr, "kil: more than one trace given ('%s')\n",
                   a.c_str());
      return Usage();
    }
  }
  if (path.empty()) return Usage();
  if (!kil::KernelAvailable()) {
    std::fprintf(stderr, "kil: no kernel source was compiled in: %s\n",
                 kil::CompiledKernelDescription().c_str());
    return 2;
  }

  std::string text;
  {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (path != "-") {
      file.open(path, std::ios::binary);
      if (!file) {
        std::fprintf(stderr, "kil: %s: cannot open\n", path.c_str());
        return 2;
      }
      in = &file;
    }
    char buf[1 << 16];
    while (in->read(buf, sizeof(buf)) || in->gcount() > 0) {
      text.append(buf, static_cast<size_t>(in->gcount()));
      if (text.size() > kMaxTraceBytes) {
        std::fprintf(stderr, "kil: %s: larger than %zu bytes\n", path.c_str(),
                     kMaxTraceBytes);
        return 2;
      }
    }
  }

  const std::string name = path == "-" ? "<stdin>" : path;
  absl::StatusOr<kil::ReplaySummary> sum =
      kil::Replay(text, name, [&](int line, const kil::StepReport& r) {
        if (!verbose) return;
        absl::PrintF("%s:%d: %s\n", name, line, ops::ToString(r.op));
        if (r.skipped) {
          absl::PrintF("    skipped (%s)\n",
                       r.not_in_kernel ? "the kernel does not have it"
                       : r.model.outcome == KernelOutcome::kContractViolation
                           ? "a contract violation: the kernel would corrupt "
                             "its tree or hang"
                           : "a free-region search of over 10^6 candidates");
        } else {
          absl::PrintF("    kernel %s\n    model  %s\n    tree   %s\n",
                       r.kernel.ToString(), r.model.ToString(),
                       r.tree.ToString());
        }
      });
  if (!sum.ok()) {
    std::fprintf(stderr, "kil: %s\n",
                 std::string(sum.status().message()).c_str());
    return 2;
  }
  if (sum->mismatch_line != 0) {
    absl::FPrintF(stderr, "%s:%d: %s\n%s\n", name, sum->mismatch_line,
                  ops::ToString(sum->mismatch.op), sum->mismatch.mismatch);
    return 1;
  }
  if (verbose) absl::PrintF("/proc/iomem at the end:\n%s", sum->proc_iomem);
  const bool redesign = sum->mode == kil::LoopMode::kRedesign;
  absl::PrintF(
      "%d operations (%d skipped, %d of them not in the kernel) on %s%s: "
      "%s and ResourceTree agree\n",
      sum->ops, sum->skipped, sum->not_in_kernel,
      kil::CompiledKernelDescription(),
      redesign ? absl::StrCat(" with the C redesign of ", ka_redesign_origin())
               : "",
      redesign ? "it, RedesignModel" : "kernel, KernelModel");
  return 0;
}
