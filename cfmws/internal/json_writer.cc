#include "cfmws/internal/json_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "resource_tree/status_macros.h"

namespace restree {
namespace internal {

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          // Non-ASCII bytes are escaped one by one (restree's strings are
          // ASCII; table bytes may not be).
          absl::StrAppendFormat(&out, "\\u%04x", u);
        } else {
          out.push_back(c);
        }
    }
  }
  out += "\"";
  return out;
}

void JsonWriter::Newline() {
  out_.push_back('\n');
  out_.append(2 * stack_.size(), ' ');
}

void JsonWriter::BeforeValue() {
  if (stack_.empty()) {
    RESTREE_CHECK(out_.empty(), "JsonWriter: a second top-level value");
    return;
  }
  Level& top = stack_.back();
  if (top.object) {
    RESTREE_CHECK(key_pending_, "JsonWriter: value without a key");
    key_pending_ = false;
    return;
  }
  if (!top.empty) out_.push_back(',');
  top.empty = false;
  Newline();
}

JsonWriter& JsonWriter::Key(absl::string_view key) {
  RESTREE_CHECK(!stack_.empty() && stack_.back().object && !key_pending_,
                "JsonWriter: key outside an object");
  Level& top = stack_.back();
  if (!top.empty) out_.push_back(',');
  top.empty = false;
  Newline();
  Raw(JsonQuote(key));
  Raw(": ");
  key_pending_ = true;
  return *this;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  stack_.push_back({true, true});
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  RESTREE_CHECK(!stack_.empty() && stack_.back().object && !key_pending_,
                "JsonWriter: unbalanced EndObject");
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) Newline();
  out_.push_back('}');
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  stack_.push_back({false, true});
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  RESTREE_CHECK(!stack_.empty() && !stack_.back().object,
                "JsonWriter: unbalanced EndArray");
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) Newline();
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view s) {
  BeforeValue();
  Raw(JsonQuote(s));
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  Raw(absl::StrCat(v));
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  Raw(absl::StrCat(v));
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  Raw(v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  Raw("null");
  return *this;
}

JsonWriter& JsonWriter::Hex(uint64_t v) {
  return String(absl::StrFormat("0x%x", v));
}

std::string JsonWriter::Finish() {
  RESTREE_CHECK(stack_.empty(), "JsonWriter: unfinished document");
  out_.push_back('\n');
  return std::move(out_);
}

}  // namespace internal
}  // namespace restree
