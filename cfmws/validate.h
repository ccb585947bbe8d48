// File: validate.h
// -----------------------------------------------------------------------------
//
// Validation of a decoded CEDT: every problem found, each with a severity, a
// stable code, the subtable index and the table byte offset of the field at
// fault. The codes and what Linux does about each are listed in
// docs/cedt.md ("Validation findings").
//
//   kError    the spec is violated and Linux (6.x cxl_acpi) drops or
//             misuses something because of it, or the table is corrupt
//             (bad checksum);
//   kWarning  legal for Linux but against the spec or suspicious (size not
//             a multiple of ways x 256 MiB, reserved bits, unknown types);
//   kInfo     worth knowing (an unused CXIMS, XOR on a 1-way window).
//
// Thread-safety: a pure function of its argument.

#ifndef RESTREE_CFMWS_VALIDATE_H_
#define RESTREE_CFMWS_VALIDATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cfmws/cedt.h"

namespace restree {
namespace cedt {

enum class Severity : int { kError = 0, kWarning = 1, kInfo = 2 };
absl::string_view SeverityName(Severity s);  // "error", "warning", "info"

struct Finding {
  Severity severity = Severity::kError;
  std::string code;     // e.g. "cfmws-eniw"; stable, documented
  int subtable = -1;    // subtable index; -1 for the table as a whole
  uint64_t offset = 0;  // table byte offset of the field at fault
  std::string message;  // one line, names the values involved
};

// "error: subtable 4 (CFMWS) offset 0xbc: [cfmws-eniw] message".
std::string FormatFinding(const Cedt& t, const Finding& f);

// Every finding, in table order (table-level findings first). O(s^2) for s
// subtables in the worst case (overlap and UID checks compare pairs);
// O(s log s) plus the number of findings for tables without overlaps.
std::vector<Finding> ValidateCedt(const Cedt& t);

// Number of findings with severity kError.
int CountErrors(const std::vector<Finding>& findings);

}  // namespace cedt
}  // namespace restree

#endif  // RESTREE_CFMWS_VALIDATE_H_
