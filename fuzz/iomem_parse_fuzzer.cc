// Fuzzes the /proc/iomem parser with its options, then checks what it
// accepted: the kernel-format fast path, when it takes the input, agrees
// with the general parser exactly; the tree passes CheckInvariants();
// rendering it and parsing the rendering strictly gives the same tree back
// (the round trip); and the tree diffs empty against itself. The checks
// without a tree (show --raw's echo, check's clean count) agree with the
// fast path and its tree.
//
//   bazel build --config=fuzz //fuzz:iomem_parse_fuzzer
//   bazel-bin/fuzz/iomem_parse_fuzzer -dict=fuzz/iomem_parse_fuzzer.dict
//       -max_total_time=600 /tmp/iomem_corpus fuzz/corpus/iomem_parse_fuzzer

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fuzzer/FuzzedDataProvider.h"
#include "iomem_parser/diff.h"
#include "iomem_parser/internal/parse_paths.h"
#include "iomem_parser/parser.h"
#include "iomem_parser/streamed_check.h"
#include "resource_tree/domain_invariants.h"
#include "resource_tree/render.h"
#include "tests/parse_fingerprint.h"

namespace {

// Depth, range and name of every node below the root (the root itself
// depends only on the parse options).
std::string Shape(const restree::ResourceTree& t) {
  std::string out;
  t.ForEachPreorder([&](restree::ResourceId id, int depth) {
    const restree::Range r = t.RangeOf(id);
    out += std::to_string(depth) + " " + r.ToString() + " " +
           std::string(t.NameOf(id)) + "\n";
  });
  return out;
}

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace restree;
  if (size > (1 << 20)) return 0;
  FuzzedDataProvider in(data, size);
  IomemParseOptions o;
  o.lenient = in.ConsumeBool();
  o.collect_structure_problems = in.ConsumeBool();
  o.max_depth = in.PickValueInArray({0, 5, 8});
  o.root = in.PickValueInArray(
      {IomemRoot::kAuto, IomemRoot::kIomem, IomemRoot::kIoports});
  const std::string text = in.ConsumeRemainingBytesAsString();
  // Half the inputs are also counted (the fingerprints then hold the fast
  // path's line-by-line summary against a walk of the general parser's
  // tree); from the length, so the corpus keeps its meaning, and apart
  // from the choice of threads below (length mod 8), so both mix.
  o.summarize = text.size() / 8 % 2 == 1;
  // The fast path whole or cut into parts (the count from the length, so
  // the corpus keeps its meaning), parsed on their own threads for one
  // input in eight: a thread start per part costs more than most inputs'
  // parse.
  internal::FastPathOptions cut;
  cut.max_parts = 1 + static_cast<int>(text.size() % 3);
  cut.min_part_bytes = 1;
  cut.threads = text.size() % 8 == 0;
  const std::optional<ParsedIomem> fast =
      internal::ParseIomemFast(text, o, cut);
  // The check without a tree (show --raw's echo of a whole dump) takes
  // exactly what the fast path takes.
  if (internal::IsKernelExactDump(text, o, cut) != fast.has_value()) {
    Fail("IsKernelExactDump and the fast path disagree", text);
  }
  // `restree check` without a tree: a clean count exactly when the fast
  // path's tree has no driver-chain finding in any profile.
  {
    DomainRules rules;
    rules.check_flags = false;
    rules.memory_block_size = uint64_t{128} << 20;
    const std::vector<ChainProfiles> each = {kChains61, kChains612, kChains7};
    std::optional<size_t> want;
    if (fast.has_value()) {
      want = fast->tree.size() - 1;
      for (const std::vector<DomainFinding>& f :
           CheckDomainEach(fast->tree, rules, each)) {
        if (!f.empty()) want.reset();
      }
    }
    if (CleanResourcesWithoutTree(text, o, rules, each, cut) != want) {
      Fail("the check without a tree and the tree's driver chains disagree",
           text);
    }
  }
  absl::StatusOr<ParsedIomem> p = internal::ParseIomemGeneral(text, o);
  if (fast.has_value()) {
    if (!p.ok()) {
      Fail("the fast path accepted what the general parser rejects",
           std::string(p.status().message()) + "\n" + text);
    }
    const std::string f = test_support::ParseFingerprint(*fast);
    const std::string g = test_support::ParseFingerprint(*p);
    if (f != g) Fail("the parser's two paths disagree", f + "---\n" + g);
  }
  if (!p.ok()) return 0;
  if (!p->tree.CheckInvariants().empty()) Fail("invariants broken", text);
  ProcRenderOptions r;
  r.max_depth = p->max_depth;
  r.zero_addresses = p->zeroed;
  const std::string rendered = RenderProcIomem(p->tree, r);
  if (!o.lenient && p->structure_problems.empty() &&
      o.root == IomemRoot::kAuto && rendered != text) {
    Fail("strict parse does not render back to its input", text);
  }
  IomemParseOptions again;
  again.max_depth = p->max_depth;
  again.root = ResourceType(p->tree.FlagsOf(p->tree.root())) == iores::kIo
                   ? IomemRoot::kIoports
                   : IomemRoot::kIomem;
  absl::StatusOr<ParsedIomem> q = ParseIomem(rendered, again);
  if (!q.ok()) {
    Fail("the rendering of an accepted dump does not parse",
         std::string(q.status().message()) + "\n" + rendered);
  }
  // A rendering whose every address is 0 reads back as an unprivileged dump
  // (the format cannot tell the two apart), so only address-bearing trees
  // must survive the round trip unchanged.
  if (!p->zeroed && !q->zeroed && Shape(q->tree) != Shape(p->tree)) {
    Fail("render/parse round trip changed the tree",
         rendered + "--- parsed:\n" + Shape(p->tree) + "--- reparsed:\n" +
             Shape(q->tree));
  }
  DiffOptions d;
  d.zeroed = p->zeroed;
  if (!DiffTrees(p->tree, p->tree, d).empty()) Fail("self-diff", text);
  return 0;
}
