// File: name_regex.h
// -----------------------------------------------------------------------------
//
// Regular expressions for `restree show --name`, matched in time linear in
// the name and without recursion, whatever the pattern or the input. (The
// std::regex this replaces recursed once per byte: "(a|b)*c" against a 1 MiB
// name overflowed the stack.)
//
// Syntax, a subset of ECMAScript/POSIX ERE with the same meaning:
//   c          a byte; `\` before any of  \ . [ ] ( ) { } * + ? | ^ $ /  and
//              before any other non-alphanumeric byte makes it literal
//   .          any byte
//   [abc] [a-z] [^a-z]  a set of bytes (`\` escapes inside a set, `\]` is
//              a literal `]`; `\d \w \s` may be used inside; `[]` matches
//              nothing and `[^]` any byte)
//   \d \w \s \D \W \S   digits, word bytes [A-Za-z0-9_], whitespace, and not
//   \t \n \r   tab, newline, carriage return
//   x* x+ x?   repetition (greediness does not matter: only whether a match
//              exists is reported)
//   x{m} x{m,} x{m,n}   counted repetition, m <= n <= 255
//   x|y  (x)  (?:x)     alternation and grouping
//   ^ $        the start and the end of the name
// Matching is on bytes (names need not be UTF-8) and case-sensitive.
// Search() is ECMAScript's regex_search: a match anywhere in the name.
//
// Costs: Compile() is O(|pattern|) time and space after counted repetitions
// are expanded; the compiled program is capped at kMaxStates states.
// Search() is O(|name| * states) time and O(states) space.
//
// Thread-safety: a compiled NameRegex is immutable; Search() is thread-safe.

#ifndef RESTREE_IOMEM_PARSER_NAME_REGEX_H_
#define RESTREE_IOMEM_PARSER_NAME_REGEX_H_

#include <bitset>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace restree {

class NameRegex {
 public:
  static constexpr size_t kMaxPatternBytes = 4096;
  static constexpr size_t kMaxStates = 20000;

  // InvalidArgument "column N: <problem>" (1-based) for a malformed or
  // too large pattern.
  [[nodiscard]] static absl::StatusOr<NameRegex> Compile(
      absl::string_view pattern);

  // True iff some part of `name` (possibly empty) matches.
  bool Search(absl::string_view name) const;

 private:
  enum class Kind : uint8_t { kByte, kSplit, kBegin, kEnd, kMatch };
  struct State {
    Kind kind = Kind::kMatch;
    int32_t out = -1;   // next state
    int32_t out1 = -1;  // kSplit: the other next state
    int32_t set = -1;   // kByte: index into sets_
  };

  std::vector<State> states_;
  std::vector<std::bitset<256>> sets_;
  int32_t start_ = -1;
};

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_NAME_REGEX_H_
