#include "base/byte_size.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace restree {
namespace {

// The unit letters, 2^10 apart; HumanSize() prints 'B' for bytes.
constexpr absl::string_view kUnits = "BKMGTPE";

}  // namespace

absl::StatusOr<uint64_t> ParseByteSize(absl::string_view text,
                                       absl::string_view what) {
  const std::string where = what.empty() ? "" : absl::StrCat(what, ": ");
  absl::string_view t = absl::StripAsciiWhitespace(text);
  const bool hex = absl::StartsWithIgnoreCase(t, "0x");
  unsigned shift = 0;
  if (!t.empty()) {
    const char last = absl::ascii_toupper(static_cast<unsigned char>(t.back()));
    const size_t unit = kUnits.find(last);
    // After a hex number, a final E is a digit ("0x1e" is 30).
    if (unit != absl::string_view::npos && unit > 0 && !(hex && last == 'E')) {
      shift = 10 * static_cast<unsigned>(unit);
      t.remove_suffix(1);
    }
  }
  uint64_t v = 0;
  bool ok;
  bool overflow = false;
  if (hex) {
    const absl::string_view digits = t.substr(2);
    ok =
        !digits.empty() && digits.find_first_not_of("0123456789abcdefABCDEF") ==
                               absl::string_view::npos;
    overflow = ok && !absl::SimpleHexAtoi(t, &v);
  } else {
    ok = !t.empty() &&
         t.find_first_not_of("0123456789") == absl::string_view::npos;
    overflow = ok && !absl::SimpleAtoi(t, &v);
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "'", text, "' is not a number (e.g. 4096, 0x1000, 4K, 256M)"));
  }
  if (overflow || (shift != 0 && (v >> (64 - shift)) != 0)) {
    return absl::OutOfRangeError(
        absl::StrCat(where, "'", text, "' does not fit in 64 bits"));
  }
  return v << shift;
}

std::string HumanSize(absl::uint128 bytes) {
  int unit = 0;
  absl::uint128 whole = bytes;
  while (whole >= 1024 && unit < 6) {
    whole >>= 10;
    ++unit;
  }
  const absl::uint128 scale = absl::uint128(1) << (10 * unit);
  const absl::uint128 rem = bytes - whole * scale;
  if (rem == 0 || unit == 0) {
    return absl::StrFormat("%d%c", whole, kUnits[unit]);
  }
  // One decimal, rounded half up; 9.96K rounds to 10.0 -> "10K".
  absl::uint128 tenths = (rem * 10 + scale / 2) / scale;
  absl::uint128 w = whole;
  if (tenths == 10) {
    ++w;
    tenths = 0;
  }
  if (tenths == 0) return absl::StrFormat("%d%c", w, kUnits[unit]);
  return absl::StrFormat("%d.%d%c", w, tenths, kUnits[unit]);
}

}  // namespace restree
