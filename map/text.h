// File: text.h
// -----------------------------------------------------------------------------
//
// Escaping for the map's outputs. Resource names come from input files and
// may hold any byte; these make them safe in XML text and attributes and in
// JSON strings (and so in a <script> block). Invalid UTF-8 and control
// characters become U+FFFD. O(length); pure functions.

#ifndef RESTREE_MAP_TEXT_H_
#define RESTREE_MAP_TEXT_H_

#include <string>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace restree {
namespace map {

// `s` with each invalid UTF-8 sequence and each C0 control or DEL replaced
// by U+FFFD.
std::string SafeUtf8(absl::string_view s);

// SafeUtf8(s) with & < > " ' as entities.
std::string XmlEscape(absl::string_view s);

// SafeUtf8(s) as the inside of a JSON string; '<', '>' and '&' are escaped
// as \u003c, \u003e, \u0026 so the JSON can sit inside an HTML <script>.
std::string JsonEscape(absl::string_view s);

// A coordinate with two decimals ("12.25"); layout positions are on a
// quarter-pixel grid, so this is exact for them. Faster than StrFormat,
// which matters at 10^5 resources.
std::string Num(double v);

// An address in lower-case hex with "0x" (128-bit for a range's end + 1).
std::string Hex(absl::uint128 v);

}  // namespace map
}  // namespace restree

#endif  // RESTREE_MAP_TEXT_H_
