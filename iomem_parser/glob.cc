#include "iomem_parser/glob.h"

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace restree {

absl::StatusOr<Glob> Glob::Compile(absl::string_view pattern) {
  Glob g;
  g.pattern_ = std::string(pattern);
  const size_t n = pattern.size();
  auto byte = [&](size_t i) { return static_cast<unsigned char>(pattern[i]); };
  for (size_t i = 0; i < n;) {
    Token t;
    const char c = pattern[i];
    if (c == '*') {
      t.star = true;
      ++i;
      // Runs of stars match like one.
      if (!g.tokens_.empty() && g.tokens_.back().star) continue;
    } else if (c == '?') {
      t.set.set();
      ++i;
    } else if (c == '\\') {
      if (i + 1 == n) {
        return absl::InvalidArgumentError(
            absl::StrCat("column ", i + 1, ": '\\' at the end of the pattern"));
      }
      t.set.set(byte(i + 1));
      i += 2;
    } else if (c == '[') {
      const size_t open = i++;
      bool negate = false;
      if (i < n && (pattern[i] == '!' || pattern[i] == '^')) {
        negate = true;
        ++i;
      }
      bool first = true;
      for (;;) {
        if (i >= n) {
          return absl::InvalidArgumentError(
              absl::StrCat("column ", open + 1, ": '[' without a closing ']'"));
        }
        if (pattern[i] == ']' && !first) {
          ++i;
          break;
        }
        first = false;
        unsigned lo = byte(i);
        if (pattern[i] == '\\' && i + 1 < n) lo = byte(++i);
        ++i;
        unsigned hi = lo;
        if (i + 1 < n && pattern[i] == '-' && pattern[i + 1] != ']') {
          hi = byte(i + 1);
          i += 2;
          if (pattern[i - 1] == '\\' && i < n) hi = byte(i++);
        }
        for (unsigned b = lo; b <= hi; ++b) t.set.set(b);
      }
      if (negate) t.set.flip();
    } else {
      t.set.set(byte(i));
      ++i;
    }
    g.tokens_.push_back(t);
  }
  return g;
}

bool Glob::Matches(absl::string_view name) const {
  // Greedy left to right; on a mismatch, let the last `*` seen swallow one
  // more byte and resume after it. Earlier stars never need revisiting: the
  // last one can absorb anything they could have.
  const size_t m = tokens_.size();
  size_t p = 0, s = 0;
  size_t star_p = m, star_s = 0;  // star_p == m: no star seen yet
  while (s < name.size()) {
    if (p < m && tokens_[p].star) {
      star_p = p++;
      star_s = s;
    } else if (p < m && tokens_[p].set.test(static_cast<unsigned char>(name[s]))) {
      ++p;
      ++s;
    } else if (star_p != m) {
      p = star_p + 1;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (p < m && tokens_[p].star) ++p;
  return p == m;
}

}  // namespace restree
