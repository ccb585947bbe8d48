// File: internal/text.h
// -----------------------------------------------------------------------------
//
// Byte-level helpers shared by the event parser and printer: UTF-8
// validation, escaping input for error messages (raw bytes are never
// echoed), and quoting names so that the parser reads them back.
//
// Thread-safety: pure functions.

#ifndef RESTREE_HOTPLUG_INTERNAL_TEXT_H_
#define RESTREE_HOTPLUG_INTERNAL_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace restree {
namespace hotplug {
namespace internal {

// The length (2..4) of the well-formed UTF-8 multi-byte sequence starting at
// `s[i]` (a byte >= 0x80), or 0 if there is none (overlong forms, surrogates
// and code points above U+10FFFF are not well formed). Precondition:
// `i < s.size()`.
size_t Utf8SequenceLength(absl::string_view s, size_t i);

// `s` for a message: printable ASCII and well-formed UTF-8 as is, `\` as
// `\\`, every other byte as `\xHH`; cut after `max_bytes` input bytes with
// "..." appended.
std::string EscapeForMessage(absl::string_view s, size_t max_bytes = 64);

// True if `name` can be written without quotes: non-empty and only ASCII
// letters, digits and `_ . : + - / , ( )`.
bool IsBareName(absl::string_view name);

// `name` as the parser reads it back: bare when IsBareName(), else in
// double quotes with `"` and `\` escaped, control bytes, DEL and bytes that
// are not well-formed UTF-8 as `\xHH`.
std::string QuoteName(absl::string_view name);

}  // namespace internal
}  // namespace hotplug
}  // namespace restree

#endif  // RESTREE_HOTPLUG_INTERNAL_TEXT_H_
