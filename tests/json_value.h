// File: json_value.h
// -----------------------------------------------------------------------------
//
// A strict JSON reader for tests (RFC 8259 syntax; numbers kept as text),
// so that tests can check `--json` outputs by their content rather than by
// comparing bytes. Iterative: nesting depth is limited only by memory.

#ifndef RESTREE_TESTS_JSON_VALUE_H_
#define RESTREE_TESTS_JSON_VALUE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace restree {
namespace test_support {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;              // number text, or the decoded string
  std::vector<JsonValue> items;  // array
  std::vector<std::pair<std::string, JsonValue>> fields;  // object, in order

  JsonValue() = default;
  JsonValue(const JsonValue&) = default;  // recursive: for small values
  JsonValue(JsonValue&&) = default;
  JsonValue& operator=(const JsonValue&) = default;
  JsonValue& operator=(JsonValue&&) = default;
  // Iterative, like the parser: a deeply nested document is freed without
  // recursing.
  ~JsonValue();

  // The field `key` of an object; a null value if absent.
  const JsonValue& operator[](absl::string_view key) const;
  const JsonValue& operator[](size_t i) const { return items.at(i); }
  bool is_null() const { return type == Type::kNull; }
};

// Parses a whole document (surrounding whitespace allowed). Errors give the
// byte offset.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text);

}  // namespace test_support
}  // namespace restree

#endif  // RESTREE_TESTS_JSON_VALUE_H_
