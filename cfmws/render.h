// File: render.h
// -----------------------------------------------------------------------------
//
// Human and JSON views of a CEDT and of what restree computes from it.
//
// The human view lists every field the way ACPICA's disassembler (`iasl -d`)
// does, with its field names, offsets and hex values:
//
//   [04Ch 0076 008h]         Window base address : 0000000390000000
//
// followed by restree's decoding in brackets where it helps ("[2 ways]",
// "[4 KiB]", "[HOSTONLYMEM|VOLATILE]"). The JSON views follow the schema in
// docs/cedt.md; 64-bit addresses and sizes are "0x..." strings, smaller
// numbers are JSON numbers.
//
// Thread-safety: pure functions.

#ifndef RESTREE_CFMWS_RENDER_H_
#define RESTREE_CFMWS_RENDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "cfmws/cedt.h"
#include "cfmws/interleave.h"
#include "cfmws/plan.h"
#include "cfmws/validate.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace cedt {

// One field as `iasl -d` prints it.
struct FieldLine {
  uint64_t offset = 0;  // table offset
  uint64_t length = 0;  // bytes
  std::string name;     // "Window base address"
  std::string value;    // "0000000390000000", "\"CEDT\""
  std::string note;     // restree's (or iasl's) bracketed decoding, or ""
  int subtable = -1;    // -1 for the table header
};

// Every field of the table in order, as ACPICA names them (CSDS, which
// ACPICA does not know, and trailing bytes use restree's names; see
// docs/cedt.md). O(table size).
std::vector<FieldLine> ListFields(const Cedt& t);

// "[04Ch 0076 008h]         Window base address : 0000000390000000 [4 GiB]"
std::string FormatFieldLine(const FieldLine& f);

// The whole table, one FieldLine per line, a blank line before each
// subtable.
std::string RenderHuman(const Cedt& t);

// {"table": {...}, "subtables": [...], "findings": [...]}.
std::string CedtToJson(const Cedt& t, const std::vector<Finding>& findings);

// {"findings": [...], "errors": N, "warnings": N, "infos": N}.
std::string FindingsToJson(const std::vector<Finding>& findings);

// One window containing an address, for --hpa.
struct HpaMatch {
  size_t subtable_index = 0;
  WindowGeometry geometry;
  TargetAddress target;
  int chbs_index = -1;  // the CHBS naming the target UID, or -1
};
// The windows of `index` (built from `t`) that decode `hpa`, each with its
// interleave target and the CHBS naming the target's host bridge. A window
// whose malformed XOR maps move `hpa` out of it is left out. O(w) for w
// windows holding `hpa`.
std::vector<HpaMatch> MatchHpa(const Cedt& t, const WindowIndex& index,
                               uint64_t hpa);
// The "windows" array of restree.cedt-hpa/1 (docs/json.md), written into
// an open object or array of `w`.
void WriteHpaWindows(JsonWriter& w, const std::vector<HpaMatch>& matches);
// restree.cedt-hpa/1: {"address": "0x..", "windows": [...], "skipped": [...]}.
std::string HpaToJson(uint64_t hpa, const std::vector<HpaMatch>& matches,
                      const std::vector<WindowIndex::Skipped>& skipped);
std::string HpaToText(uint64_t hpa, const std::vector<HpaMatch>& matches,
                      const std::vector<WindowIndex::Skipped>& skipped);

// {"mode": "linux"|"chunked", "windows": [...], "iomem": "..."}; `iomem` is
// the resulting tree as /proc/iomem text.
std::string PlanToJson(const PlanResult& plan, const ResourceTree& tree);

// (Sizes in the text views are in lsmem's units, restree::HumanSize.)
// "DEVMEM|HOSTONLYMEM|VOLATILE|PMEM|FIXED|BI" names of the set bits, with
// unnamed bits as hex; "none" for 0.
std::string RestrictionNames(uint16_t r);

}  // namespace cedt
}  // namespace restree

#endif  // RESTREE_CFMWS_RENDER_H_
