// File: glob.h
// -----------------------------------------------------------------------------
//
// Shell-style name patterns for `restree show --name`: `*` (any run of
// bytes, also empty), `?` (one byte), `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]`
// (one byte in, or not in, the set; a `]` first in the set is literal), and
// `\x` (x literally). A pattern matches a whole name; `*CXL*` finds names
// containing "CXL". Bytes, not characters: names need not be UTF-8.
//
// Unlike std::regex, matching never recurses and is bounded: O(|name| *
// |pattern|) time in the worst case (O(|name| + |pattern|) without `*`),
// O(1) extra space. Compile() is O(|pattern|).
//
// Thread-safety: a compiled Glob is immutable; Matches() is thread-safe.

#ifndef RESTREE_IOMEM_PARSER_GLOB_H_
#define RESTREE_IOMEM_PARSER_GLOB_H_

#include <bitset>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace restree {

class Glob {
 public:
  // InvalidArgument naming the 1-based column for an unterminated `[` or a
  // trailing `\`.
  [[nodiscard]] static absl::StatusOr<Glob> Compile(absl::string_view pattern);

  // True iff the whole of `name` matches.
  bool Matches(absl::string_view name) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Token {
    bool star = false;
    std::bitset<256> set;  // the bytes one position accepts (unless star)
  };
  std::string pattern_;
  std::vector<Token> tokens_;
};

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_GLOB_H_
