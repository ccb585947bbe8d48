#include "hotplug/internal/text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace restree {
namespace hotplug {
namespace internal {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xc0) == 0x80; }

// Appends s[i] and the bytes of its sequence, or `\xHH`; returns the number
// of input bytes consumed.
size_t AppendEscaped(absl::string_view s, size_t i, bool in_quotes,
                     std::string* out) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c >= 0x80) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n != 0) {
      out->append(s.data() + i, n);
      return n;
    }
  } else if (c >= 0x20 && c != 0x7f) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"' && in_quotes) {
      out->append("\\\"");
    } else {
      out->push_back(static_cast<char>(c));
    }
    return 1;
  }
  absl::StrAppendFormat(out, "\\x%02x", c);
  return 1;
}

}  // namespace

size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const unsigned char b0 = static_cast<unsigned char>(s[i]);
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;
    if (b0 == 0xed) hi = 0x9f;  // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;
    if (b0 == 0xf4) hi = 0x8f;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  const unsigned char b1 = static_cast<unsigned char>(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (!IsContinuation(static_cast<unsigned char>(s[i + k]))) return 0;
  }
  return n;
}

std::string EscapeForMessage(absl::string_view s, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < s.size() && i < max_bytes) {
    i += AppendEscaped(s, i, /*in_quotes=*/false, &out);
  }
  if (i < s.size()) out.append("...");
  return out;
}

bool IsBareName(absl::string_view name) {
  if (name.empty()) return false;
  for (char ch : name) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (absl::ascii_isalnum(c)) continue;
    switch (c) {
      case '_':
      case '.':
      case ':':
      case '+':
      case '-':
      case '/':
      case ',':
      case '(':
      case ')':
        continue;
      default:
        return false;
    }
  }
  return true;
}

std::string QuoteName(absl::string_view name) {
  if (IsBareName(name)) return std::string(name);
  std::string out = "\"";
  size_t i = 0;
  while (i < name.size()) i += AppendEscaped(name, i, /*in_quotes=*/true, &out);
  out.push_back('"');
  return out;
}

}  // namespace internal
}  // namespace hotplug
}  // namespace restree
