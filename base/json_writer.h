// File: json_writer.h
// -----------------------------------------------------------------------------
//
// A small streaming JSON writer shared by every `--json` output of restree.
// It keeps an explicit stack of open containers (no recursion), inserts
// commas and indentation, and escapes strings. Resource names are bytes, not
// necessarily UTF-8: bytes that do not form valid UTF-8 are written as
// \u00XX (their Latin-1 reading), so the output is always valid JSON.
//
//   JsonWriter w;
//   w.BeginObject().Key("start").Hex(0x1000).Key("size").Uint(4096).EndObject();
//   std::string text = std::move(w).Finish();
//
// Misuse (a value where a key is due, unbalanced containers) is a
// programming error and aborts via RESTREE_CHECK.
// Thread-compatible.

#ifndef RESTREE_BASE_JSON_WRITER_H_
#define RESTREE_BASE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"

namespace restree {

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view s);
// Appends JsonQuote(s) to `out`.
void AppendJsonQuoted(std::string* out, absl::string_view s);

class JsonWriter {
 public:
  // `pretty`: newline and two-space indentation per level.
  explicit JsonWriter(bool pretty = true) : pretty_(pretty) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);

  JsonWriter& String(absl::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  // Sizes up to 2^64 (the whole address space) are exact integers.
  JsonWriter& Uint128(absl::uint128 v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // An address as a string: "0x1000".
  JsonWriter& Hex(uint64_t v);

  // The text written since the last Drain, to be sent on in pieces (a large
  // document need not be held whole): `buffered()` is its size, `Drain`
  // passes it to `sink` and empties the buffer; the writer's state is kept.
  size_t buffered() const { return out_.size(); }
  void Drain(absl::FunctionRef<void(absl::string_view)> sink);

  // The nesting depth: how many containers are open. A caller that writes
  // elements itself indents them by 2 * depth() spaces (pretty writers).
  size_t depth() const { return stack_.size(); }
  // Tells the writer that `count` elements of the open array were sent to
  // the sink directly, after a Drain, formatted exactly as this writer
  // would have written them (separating commas and indentation included);
  // the writer goes on after them. For renderers with a specialised loop
  // for long arrays. Precondition: the innermost open container is an array
  // with nothing written into it through the writer. O(1).
  JsonWriter& ElementsWrittenElsewhere(size_t count);

  // The document (after a Drain, the rest of it), with a final newline.
  // Precondition: every container closed and exactly one value written.
  std::string Finish() &&;

 private:
  void BeforeValue();
  void Newline();

  bool pretty_;
  std::string out_;
  struct Level {
    char kind;   // '{' or '['
    bool empty;  // nothing written in it yet
  };
  std::vector<Level> stack_;
  bool key_pending_ = false;  // a key was written, its value is due
  bool done_ = false;         // the top-level value is complete
};

}  // namespace restree

#endif  // RESTREE_BASE_JSON_WRITER_H_
