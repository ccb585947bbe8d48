#include "base/json_writer.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace restree {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8Length(absl::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

// The length of the prefix of `s` from `i` that JSON takes as it is:
// printable ASCII other than quotes and backslashes.
size_t PlainPrefix(absl::string_view s, size_t i) {
  size_t end = i;
  while (end < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[end]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') break;
    ++end;
  }
  return end - i;
}

bool IsPlainAscii(absl::string_view s) { return PlainPrefix(s, 0) == s.size(); }

}  // namespace

void AppendJsonQuoted(std::string* out_ptr, absl::string_view s) {
  std::string& out = *out_ptr;
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    // The common case, printable ASCII without quotes or backslashes, in
    // one append.
    const size_t plain = i + PlainPrefix(s, i);
    if (plain > i) {
      out.append(s.data() + i, plain - i);
      i = plain;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\t') {
      out += "\\t";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
      ++i;
    } else {
      const size_t n = Utf8Length(s, i);
      if (n == 0) {
        absl::StrAppendFormat(&out, "\\u%04x", c);
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
    }
  }
  out.push_back('"');
}

std::string JsonQuote(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonQuoted(&out, s);
  return out;
}

// A newline and the indentation, for one append at the usual depths.
constexpr char kIndent[] =
    "\n                                                                ";

void JsonWriter::Newline() {
  if (!pretty_) return;
  const size_t n = 1 + stack_.size() * 2;
  if (n < sizeof(kIndent)) {
    out_.append(kIndent, n);
  } else {
    out_.push_back('\n');
    out_.append(n - 1, ' ');
  }
}

void JsonWriter::BeforeValue() {
  RESTREE_CHECK(!done_, "JsonWriter: a second top-level value");
  if (stack_.empty()) return;
  if (stack_.back().kind == '{') {
    RESTREE_CHECK(key_pending_, "JsonWriter: a value in an object needs a key");
    key_pending_ = false;
    return;
  }
  if (!stack_.back().empty) out_.push_back(',');
  stack_.back().empty = false;
  Newline();
}

JsonWriter& JsonWriter::Key(absl::string_view key) {
  RESTREE_CHECK(!stack_.empty() && stack_.back().kind == '{' && !key_pending_,
                "JsonWriter: a key outside an object");
  const bool comma = !stack_.back().empty;
  stack_.back().empty = false;
  const size_t indent = pretty_ ? 1 + stack_.size() * 2 : 0;
  if (indent < sizeof(kIndent) && IsPlainAscii(key)) {
    // The usual key, written in place: [,]\n<indent>"key":<space>
    const size_t old_size = out_.size();
    out_.resize(old_size + (comma ? 1 : 0) + indent + key.size() +
                (pretty_ ? 4 : 3));
    char* p = &out_[old_size];
    if (comma) *p++ = ',';
    std::memcpy(p, kIndent, indent);
    p += indent;
    *p++ = '"';
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    *p++ = '"';
    *p++ = ':';
    if (pretty_) *p = ' ';
  } else {
    if (comma) out_.push_back(',');
    Newline();
    AppendJsonQuoted(&out_, key);
    out_ += pretty_ ? ": " : ":";
  }
  key_pending_ = true;
  return *this;
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  stack_.push_back({'{', true});
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  stack_.push_back({'[', true});
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  RESTREE_CHECK(!stack_.empty() && stack_.back().kind == '{' && !key_pending_,
                "JsonWriter: unbalanced EndObject");
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) Newline();
  out_.push_back('}');
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  RESTREE_CHECK(!stack_.empty() && stack_.back().kind == '[',
                "JsonWriter: unbalanced EndArray");
  const bool empty = stack_.back().empty;
  stack_.pop_back();
  if (!empty) Newline();
  out_.push_back(']');
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view s) {
  BeforeValue();
  AppendJsonQuoted(&out_, s);
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  absl::StrAppend(&out_, v);
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  absl::StrAppend(&out_, v);
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::Uint128(absl::uint128 v) {
  BeforeValue();
  if (absl::Uint128High64(v) == 0) {
    absl::StrAppend(&out_, absl::Uint128Low64(v));
  } else {
    char buf[40];
    char* p = buf + sizeof(buf);
    do {
      *--p = static_cast<char>('0' + static_cast<int>(v % 10));
      v /= 10;
    } while (v != 0);
    out_.append(p, static_cast<size_t>(buf + sizeof(buf) - p));
  }
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  out_ += v ? "true" : "false";
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::Hex(uint64_t v) {
  BeforeValue();
  char buf[20];
  char* end = buf + sizeof(buf);
  char* p = end;
  *--p = '"';
  do {
    *--p = "0123456789abcdef"[v & 0xf];
    v >>= 4;
  } while (v != 0);
  *--p = 'x';
  *--p = '0';
  *--p = '"';
  out_.append(p, static_cast<size_t>(end - p));
  if (stack_.empty()) done_ = true;
  return *this;
}

JsonWriter& JsonWriter::ElementsWrittenElsewhere(size_t count) {
  RESTREE_CHECK(!stack_.empty() && stack_.back().kind == '[' &&
                    stack_.back().empty && out_.empty(),
                "JsonWriter: elements written elsewhere need a fresh array, "
                "drained");
  if (count != 0) stack_.back().empty = false;
  return *this;
}

void JsonWriter::Drain(absl::FunctionRef<void(absl::string_view)> sink) {
  if (out_.empty()) return;
  sink(out_);
  out_.clear();
}

std::string JsonWriter::Finish() && {
  RESTREE_CHECK(done_ && stack_.empty(), "JsonWriter: unfinished document");
  out_.push_back('\n');
  return std::move(out_);
}

}  // namespace restree
