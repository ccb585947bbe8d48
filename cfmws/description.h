// File: description.h
// -----------------------------------------------------------------------------
//
// A small text format that describes a CEDT, for building tables (tests,
// fuzz corpora, firmware authors) with `restree cedt --encode`, and the
// printer that turns any decoded table back into it (`restree cedt
// --describe`). One record per line, `#` starts a comment, fields are
// `key=value`; docs/cedt.md ("Description format") is the reference:
//
//   cedt   revision=1 oem-id="BOCHS " oem-table-id="BXPC    " oem-revision=1
//          creator-id=BXPC creator-revision=1
//   chbs   uid=0xc version=1 base=0x380000000 length=0x10000
//   cfmws  base=0x390000000 size=4G ways=1 granularity=256 arithmetic=modulo
//          restrictions=0xf qtg=0 targets=0xc
//   cxims  granularity=4K xormaps=0x10100,0x20200
//   rdpas  segment=0 bdf=0x100 address=0xfed00000 protocol=1
//   csds   capabilities=0x1
//   raw    type=7 body=01020304
//
// (A record is one line; it is wrapped above for width.) Numbers are decimal
// or 0x-hex, sizes may end in K/M/G/T/P (binary). Invalid encodings can be
// written with the raw keys (`eniw=`, `hbig=`), and every reserved field and
// trailing byte has a key, so `ParseDescription(FormatDescription(t))`
// gives back `t` for any decodable table (with header Length and Checksum
// zeroed: the encoder computes them).
//
// Thread-safety: pure functions.

#ifndef RESTREE_CFMWS_DESCRIPTION_H_
#define RESTREE_CFMWS_DESCRIPTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cfmws/cedt.h"

namespace restree {
namespace cedt {

// Parses a description. kInvalidArgument "line N: message" for an unknown
// record or key, a malformed or out-of-range value, a CFMWS whose target
// count does not match its ways, more than 255 XOR maps, a second `cedt`
// line. Header Length and Checksum are 0 in the result. O(text size).
[[nodiscard]] absl::StatusOr<Cedt> ParseDescription(absl::string_view text);

// The description of `t`, one record per line, every field that
// ParseDescription needs to rebuild `t` (reserved fields only when non-zero).
std::string FormatDescription(const Cedt& t);

}  // namespace cedt
}  // namespace restree

#endif  // RESTREE_CFMWS_DESCRIPTION_H_
