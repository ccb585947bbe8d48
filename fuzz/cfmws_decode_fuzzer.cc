// libFuzzer target for the CEDT decoder and everything downstream of it:
// the bytes go straight into DecodeCedt (woff2-style), and a decodable table
// must re-encode to exactly its bytes, survive validation and rendering,
// round-trip through the description format, give self-inverse address
// translation for well-formed windows, and plan into trees that pass
// CheckInvariants(). Any broken promise aborts.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cfmws/cedt.h"
#include "cfmws/description.h"
#include "cfmws/interleave.h"
#include "cfmws/plan.h"
#include "cfmws/render.h"
#include "cfmws/validate.h"
#include "resource_tree/resource_tree.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "cfmws_decode_fuzzer: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace restree;
  using namespace restree::cedt;
  if (size > 65536) return 0;
  const absl::Span<const uint8_t> bytes(data, size);
  absl::StatusOr<Cedt> t = DecodeCedt(bytes);
  if (!t.ok()) return 0;

  absl::StatusOr<std::vector<uint8_t>> again = EncodeCedt(*t, kKeepStored);
  Check(again.ok(), "a decoded table does not re-encode");
  Check(again->size() == t->header.length &&
            std::equal(again->begin(), again->end(), data),
        "re-encoding changed the bytes");

  const std::vector<Finding> findings = ValidateCedt(*t);
  for (const Finding& f : findings) (void)FormatFinding(*t, f);
  (void)RenderHuman(*t);
  (void)CedtToJson(*t, findings);

  absl::StatusOr<Cedt> described = ParseDescription(FormatDescription(*t));
  Check(described.ok(), "the description of a decoded table does not parse");
  Cedt expect = *t;
  expect.header.length = 0;
  expect.header.checksum = 0;
  expect.ignored_trailing_bytes = 0;
  Check(*described == expect, "description round trip changed the table");

  const WindowIndex index = WindowIndex::Build(*t);
  for (const WindowIndex::Entry& e : index.entries()) {
    const WindowGeometry& g = e.map.geometry();
    // The bijection needs well-formed maps and, for XOR, a 256 MiB aligned
    // window (the XOR rewrites absolute address bits; Linux rejects
    // unaligned windows before it gets that far).
    const bool aligned =
        g.base % kWindowAlign == 0 && g.size % kWindowAlign == 0;
    const bool bijective = XorMapProblems(g).empty() &&
                           (g.arithmetic == Arithmetic::kModulo || aligned);
    for (uint64_t a : {g.base, g.base + g.size / 2, g.base + (g.size - 1)}) {
      absl::StatusOr<TargetAddress> ta = e.map.ToTarget(a);
      if (!ta.ok()) {
        Check(!bijective, "a well-formed window rejects its own address");
        continue;
      }
      absl::StatusOr<uint64_t> back =
          e.map.ToHpa(ta->position, ta->target_offset);
      if (bijective) {
        Check(back.ok() && *back == a, "address round trip failed");
      }
    }
    (void)index.Find(g.base);
  }

  ResourceTree linux_tree = ResourceTree::Iomem();
  absl::StatusOr<PlanResult> lp = PlanWindows(*t, &linux_tree);
  Check(lp.ok(), "the Linux plan failed on an empty iomem tree");
  Check(linux_tree.CheckInvariants().empty(), "Linux plan broke the tree");
  (void)FormatPlan(*lp);
  (void)PlanToJson(*lp, linux_tree);

  ResourceTree chunked_tree = ResourceTree::Iomem();
  PlanOptions o;
  o.mode = PlanMode::kChunked;
  // A small limit: windows past it take the same refusal path, and the
  // rest of the plan (add chunks, roll back on failure) the same code, at a
  // sixteenth of the tree work per input.
  o.max_chunks = 256;
  absl::StatusOr<PlanResult> cp = PlanWindows(*t, &chunked_tree, o);
  Check(chunked_tree.CheckInvariants().empty(), "chunked plan broke the tree");
  if (!cp.ok()) {
    Check(chunked_tree.size() == 1, "a failed chunked plan changed the tree");
  }
  return 0;
}
