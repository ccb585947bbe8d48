// File: parse.h
// -----------------------------------------------------------------------------
//
// The parser of the hotplug event language (docs/events.md is the
// reference): text in, a `Script` of typed events out, or the first syntax
// error with its place.
//
//   absl::StatusOr<Script> s = ParseScript(
//       "window add 0 base=0x1000000000 size=64G\n"
//       "region create window=0 size=8G mode=ram   # region0\n",
//       "cxl.events");
//
// Line-oriented: one event per line, `#` starts a comment (outside quotes),
// blank lines are ignored, a final line may lack its newline, and one
// trailing CR per line is dropped (CRLF files). Tokens are separated by
// spaces or tabs; `"..."` quotes a name (escapes `\\`, `\"`, `\xHH`).
//
// Thread-safety: pure functions.

#ifndef RESTREE_HOTPLUG_PARSE_H_
#define RESTREE_HOTPLUG_PARSE_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hotplug/events.h"

namespace restree {
namespace hotplug {

// Bounds that keep hostile input from using unbounded memory. The defaults
// are what `ParseScript(text, file_name)` uses; tests and fuzzers lower them.
struct ParseLimits {
  size_t max_line_bytes = 4096;         // without the newline
  size_t max_events = 1000000;          // lines that hold an event
  size_t max_script_bytes = 64u << 20;  // the whole text
};

// Parses a whole script. On success every line was valid and `Script`
// holds one `Event` per non-blank, non-comment line, with the 1-based line
// and byte column of its first token, and `file_name`.
//
// On any syntax error, returns `kInvalidArgument` with the message
// `FILE:LINE:COLUMN: what` (FILE is `file_name`, or "<script>" when empty;
// LINE and COLUMN are 1-based, COLUMN counts bytes and points at the
// offending token, or at the event's first token when something is
// missing). Input bytes are never echoed raw: control characters, NUL and
// bytes that are not UTF-8 appear as `\xHH`. A syntax error anywhere means
// no script. Besides syntax, the parser checks what needs no tree: `config
// profile=` names a known kernel profile, `root=` names `iomem`, `ioport`
// or a root declared by an earlier `root add`, and `expect error` is
// followed by an event that can fail.
//
// O(length of text); never recurses; memory O(length + events).
[[nodiscard]] absl::StatusOr<Script> ParseScript(absl::string_view text,
                                                 absl::string_view file_name);
[[nodiscard]] absl::StatusOr<Script> ParseScript(absl::string_view text,
                                                 absl::string_view file_name,
                                                 const ParseLimits& limits);

}  // namespace hotplug
}  // namespace restree

#endif  // RESTREE_HOTPLUG_PARSE_H_
