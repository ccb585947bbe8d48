#include "map/text.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace restree {
namespace map {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t ValidSequence(absl::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

}  // namespace

std::string SafeUtf8(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = ValidSequence(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (n == 1 && (c < 0x20 || c == 0x7F)) {
      out += kReplacement;
    } else {
      out.append(s.data() + i, n);
    }
    i += n;
  }
  return out;
}

std::string XmlEscape(absl::string_view s) {
  const std::string safe = SafeUtf8(s);
  std::string out;
  out.reserve(safe.size());
  for (char c : safe) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string JsonEscape(absl::string_view s) {
  const std::string safe = SafeUtf8(s);
  std::string out;
  out.reserve(safe.size());
  for (char c : safe) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  const double r = std::round(v * 100);
  if (!(std::fabs(r) < 9e15)) return absl::StrFormat("%.2f", v);
  const int64_t c = static_cast<int64_t>(r);
  const uint64_t a = static_cast<uint64_t>(c < 0 ? -c : c);
  std::string out = c < 0 ? "-" : "";
  absl::StrAppend(&out, a / 100, ".");
  out += static_cast<char>('0' + (a % 100) / 10);
  out += static_cast<char>('0' + a % 10);
  return out;
}

std::string Hex(absl::uint128 v) {
  if (absl::Uint128High64(v) != 0) {
    return absl::StrFormat("0x%x%016x", absl::Uint128High64(v),
                           absl::Uint128Low64(v));
  }
  return absl::StrFormat("0x%x", absl::Uint128Low64(v));
}

}  // namespace map
}  // namespace restree
