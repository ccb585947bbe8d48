// File: plan.h
// -----------------------------------------------------------------------------
//
// Window planning: what a CEDT's fixed memory windows do to a machine's
// iomem tree.
//
// `PlanMode::kLinux` reproduces Linux's cxl_acpi (drivers/cxl/acpi.c,
// mainline 6.x; docs/cedt.md "Planning"):
//   1. each CFMWS, in table order, is checked as cxl_acpi_cfmws_verify()
//      and eig_to_granularity() do; a failing window is skipped without an
//      id. A passing one is named "CXL Window N" (N counts passing windows
//      from 0) and insert_resource()d into a private tree rooted at
//      "CXL mem" [0, 2^64-1]; a conflict there (partial overlap) skips it,
//      its id already spent. An XOR window whose CXIMS lookup fails stays in
//      the private tree (it is still published) but gets no root decoder.
//   2. add_cxl_resources(): each top-level private window, in address
//      order, gets a public twin (same name, IORESOURCE_MEM,
//      IORES_DESC_CXL) that is insert_resource_expand_to_fit()ed into
//      iomem. If the twin grew, later private windows it covers are deleted
//      ("swallowed", never published) and one it partly covers is trimmed to
//      start after it.
//   3. pair_cxl_resource(): each root decoder is paired with the twin of the
//      first top-level private window containing its CFMWS range (none for
//      a swallowed or trimmed window).
// Windows nested inside another in the private tree are never published.
//
// `PlanMode::kChunked` is restree's redesign (not in Linux; DESIGN.md §3.3):
// each window that passes the same checks is insert_resource()d (never
// expanded) as "CXL Window N" (IORESOURCE_MEM, IORES_DESC_CXL), and
// ResourceTree::ReserveChunks() covers its free space with chunks ("CXL
// chunk" nodes) in slots of `chunk_size` bytes from the window base (default
// ways x 256 MiB; the last slot may be shorter), so regions can later claim
// them (ResourceTree::ClaimChunks). The slots an existing resource in the
// window holds, wholly or in part, are reported as left to it (the free part
// of a partly held slot still becomes a chunk). A window overlapping one
// reserved before it is skipped; a window that conflicts with a resource of
// the base tree fails the whole plan.
//
// Atomicity: both modes change `*base` inside a ResourceTree::Transaction;
// on any error it is rolled back and `*base` is unchanged (same ids too).
// Complexity: O(w log n) tree operations for w windows plus O(c log n) for
// c chunks; a rollback costs as much as the steps it undoes.
// Thread-safety: `PlanWindows` mutates `*base`, which needs exclusive access.

#ifndef RESTREE_CFMWS_PLAN_H_
#define RESTREE_CFMWS_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cfmws/cedt.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace cedt {

enum class PlanMode { kLinux, kChunked };

struct PlanOptions {
  PlanMode mode = PlanMode::kLinux;
  // kChunked: bytes per chunk; 0 means ways x 256 MiB for each window. A
  // window whose ways x 256 MiB does not divide it is skipped.
  uint64_t chunk_size = 0;
  // kChunked: the plan fails (kResourceExhausted, tree unchanged) rather
  // than create more chunk nodes than this in total.
  uint64_t max_chunks = uint64_t{1} << 20;
};

// What became of one CFMWS.
enum class WindowFate {
  kPublished,    // kLinux: its twin is in iomem (possibly expanded/trimmed)
  kNotInserted,  // kLinux: expand-to-fit reached past the root; not in iomem
  kNested,       // kLinux: inside another window in the private tree
  kSwallowed,    // kLinux: deleted, covered by an earlier expanded twin
  kSkipped,      // failed Linux's checks or the private insert
  kReserved,     // kChunked: the window and its chunks are in the tree
};
absl::string_view WindowFateName(WindowFate f);

struct WindowPlan {
  size_t subtable_index = 0;
  uint64_t base = 0;  // as the CFMWS says
  uint64_t size = 0;
  std::optional<int> window_id;  // N of "CXL Window N", when one was given
  WindowFate fate = WindowFate::kSkipped;
  std::string reason;  // why skipped / nested / swallowed / not inserted
  // kPublished / kReserved: the node in the resulting tree and its range.
  ResourceId node;
  std::optional<Range> range;
  // kLinux: the conflicts the twin grew over ("System RAM [0x..-0x..]").
  std::vector<std::string> expanded_over;
  // kLinux: set when an earlier twin trimmed this private window.
  std::optional<Range> trimmed_from;
  // kLinux: the root decoder ("not registered: ...", "resource: CXL Window
  // 0", "no iomem resource: ...").
  std::string decoder;
  // kChunked.
  uint64_t chunk_size = 0;
  uint64_t chunks_reserved = 0;
  // Runs of consecutive slots held by existing resources, for the same
  // reason ("chunks 0-3 [0x..-0x..]: inside System RAM [..]").
  struct LeftChunks {
    uint64_t first_chunk = 0;
    uint64_t last_chunk = 0;
    Range range;
    std::string why;
  };
  std::vector<LeftChunks> chunks_left;
};

struct PlanResult {
  PlanMode mode = PlanMode::kLinux;
  std::vector<WindowPlan> windows;  // one per CFMWS, in table order
};

// Applies the windows of `t` to `*base` (an iomem tree; its root is the
// expand-to-fit root). Errors, `*base` unchanged:
//   kInvalidArgument    `base` is null;
//   kResourceExhausted  kChunked would create more than max_chunks chunks;
//   kAlreadyExists      kChunked: a window conflicts with an existing
//                       resource (the message names it).
[[nodiscard]] absl::StatusOr<PlanResult> PlanWindows(
    const Cedt& t, ResourceTree* base, const PlanOptions& options = {});

// Linux's per-window checks (cxl_acpi_cfmws_verify, then
// eig_to_granularity): the reason a window is skipped, or nullopt.
std::optional<std::string> LinuxVerifyFailure(const Cfmws& c);

// One line per window: "CFMWS (subtable 4) CXL Window 0 [0x..-0x..]:
// published [0x..-0x..], expanded over ..." plus indented detail lines.
std::string FormatPlan(const PlanResult& plan);

}  // namespace cedt
}  // namespace restree

#endif  // RESTREE_CFMWS_PLAN_H_
