// File: json_writer.h
// -----------------------------------------------------------------------------
//
// A minimal streaming JSON writer for restree's `--json` outputs: objects,
// arrays, strings (escaped per RFC 8259), integers and booleans, printed with
// two-space indentation. 64-bit addresses are written as "0x..." strings by
// `Hex()` because JSON readers commonly hold numbers as doubles (exact only
// below 2^53).
//
// Misuse (a value where a key is due, unbalanced End*) is a programming
// error and aborts through RESTREE_CHECK.
//
// Thread-safety: thread-compatible; one writer per output.

#ifndef RESTREE_CFMWS_INTERNAL_JSON_WRITER_H_
#define RESTREE_CFMWS_INTERNAL_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace restree {
namespace internal {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The next value's key; only inside an object.
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // "0x1f" (lowercase hex) as a string.
  JsonWriter& Hex(uint64_t v);

  // The document, newline-terminated. Precondition: every Begin is ended.
  std::string Finish();

 private:
  struct Level {
    bool object;
    bool empty;
  };
  void BeforeValue();
  void Newline();
  void Raw(absl::string_view s) { out_.append(s.data(), s.size()); }

  std::string out_;
  std::vector<Level> stack_;
  bool key_pending_ = false;
};

// `s` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view s);

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_CFMWS_INTERNAL_JSON_WRITER_H_
