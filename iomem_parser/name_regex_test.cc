// gcc 12 with -fsanitize=address reports a false -Wmaybe-uninitialized
// inside libstdc++'s <regex> (std::function in _State), used here only as
// the reference; the pragma must precede every include of <functional>.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "iomem_parser/name_regex.h"

#include <random>
#include <regex>
#include <string>

#include "gtest/gtest.h"

namespace restree {
namespace {

bool S(const char* pattern, const std::string& name) {
  absl::StatusOr<NameRegex> re = NameRegex::Compile(pattern);
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.status();
  return re.ok() && re->Search(name);
}

std::string CompileError(const std::string& pattern) {
  absl::StatusOr<NameRegex> re = NameRegex::Compile(pattern);
  return re.ok() ? "compiled" : std::string(re.status().message());
}

TEST(NameRegex, WhatUsersTypeForIomemNames) {
  EXPECT_TRUE(S("^endpoint", "endpoint2"));
  EXPECT_FALSE(S("^endpoint", "cxl endpoint2"));
  EXPECT_TRUE(S("CXL", "CXL Window 0"));
  EXPECT_TRUE(S("^System RAM( \\(kmem\\))?$", "System RAM (kmem)"));
  EXPECT_TRUE(S("^System RAM( \\(kmem\\))?$", "System RAM"));
  EXPECT_FALSE(S("^System RAM( \\(kmem\\))?$", "System RAM (kmem) "));
  EXPECT_TRUE(S("^region\\d+$", "region12"));
  EXPECT_FALSE(S("^region\\d+$", "region"));
  EXPECT_TRUE(S("^0000:[0-9a-f]{2}:00\\.0$", "0000:0d:00.0"));
  EXPECT_FALSE(S("^0000:[0-9a-f]{2}:00\\.0$", "0000:0d:0010"));
  EXPECT_TRUE(S("dax|kmem", "dax0.0"));
  EXPECT_TRUE(S("(?:PCI|pci) Bus", "PCI Bus 0000:00"));
  EXPECT_TRUE(S("", "anything"));
  EXPECT_TRUE(S("^$", ""));
  EXPECT_FALSE(S("[]", "x"));
  EXPECT_TRUE(S("[^]", "\xff"));  // bytes, not UTF-8
  EXPECT_TRUE(S("^a{2,3}$", "aaa"));
  EXPECT_FALSE(S("^a{2,3}$", "aaaa"));
  EXPECT_TRUE(S("^a{0}b$", "b"));
  EXPECT_TRUE(S("^(ab){2,}$", "ababab"));
  EXPECT_TRUE(S("^[\\]-]+$", "]-]"));
  EXPECT_TRUE(S("^\\W\\S\\D$", "-x_"));
}

TEST(NameRegex, BadPatternsNameTheColumn) {
  EXPECT_EQ(CompileError("(a"), "column 1: '(' without a closing ')'");
  EXPECT_EQ(CompileError("a)"), "column 2: ')' without an opening '('");
  EXPECT_EQ(CompileError("end[0-9"), "column 4: '[' without a closing ']'");
  EXPECT_EQ(CompileError("*a"), "column 1: nothing to repeat");
  EXPECT_EQ(CompileError("a|*"), "column 3: nothing to repeat");
  EXPECT_EQ(CompileError("^*"), "column 2: nothing to repeat");
  EXPECT_EQ(CompileError("a\\"), "column 2: '\\' at the end of the pattern");
  EXPECT_EQ(CompileError("\\b"), "column 1: unsupported escape '\\b'");
  EXPECT_EQ(CompileError("[z-a]"), "column 2: range out of order");
  EXPECT_EQ(CompileError("a{3,2}"), "column 2: {m,n} with n < m");
  EXPECT_EQ(CompileError("a{256}"), "column 2: a count above 255");
  EXPECT_EQ(CompileError("a{x}"),
            "column 2: '{' must start {m}, {m,} or {m,n}");
  EXPECT_EQ(CompileError("(?=a)"), "column 1: only (?: groups are supported");
  EXPECT_EQ(
      CompileError("((a{255}){255}){255}"),
      "column 10: the pattern is too large once repetitions are expanded");
  EXPECT_EQ(CompileError(std::string(5000, 'a')),
            "column 4097: patterns are limited to 4096 bytes");
}

TEST(NameRegex, LongNamesAndDeepPatternsDoNotRecurse) {
  // std::regex recursed per byte: "(a|b)*c" on this name overflowed the
  // stack (SIGSEGV).
  const std::string name(1 << 20, 'a');
  EXPECT_FALSE(S("(a|b)*c", name));
  EXPECT_TRUE(S("^(a|b)*$", name));
  // Nesting 2000 deep: the parser and the construction use explicit stacks.
  const std::string deep =
      std::string(2000, '(') + "a" + std::string(2000, ')');
  EXPECT_TRUE(S(deep.c_str(), "xa"));
}

// Differential: random patterns over a small alphabet against std::regex
// (ECMAScript), whose recursion is harmless on inputs this short.
std::string RandomPattern(std::mt19937& rng, int budget) {
  static const char* kAtoms[] = {"a",   "b", ".", "[ab]", "[^a]",
                                 "\\d", "^", "$", "1"};
  static const char* kPost[] = {"",  "",    "",      "*",   "+",
                                "?", "{2}", "{0,2}", "{1,}"};
  std::string out;
  const int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    if (budget > 0 && rng() % 4 == 0) {
      out += "(" + RandomPattern(rng, budget - 1) + ")";
    } else {
      const std::string atom = kAtoms[rng() % 9];
      out += atom;
      if (atom == "^" || atom == "$") continue;  // not repeatable
    }
    out += kPost[rng() % 9];
    if (rng() % 6 == 0) out += "|";
  }
  return out;
}

TEST(NameRegex, AgreesWithStdRegexOnShortInputs) {
  std::mt19937 rng(20261121);
  int matches = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string pattern = RandomPattern(rng, 2);
    absl::StatusOr<NameRegex> re = NameRegex::Compile(pattern);
    ASSERT_TRUE(re.ok()) << pattern << ": " << re.status();
    const std::regex ref(pattern, std::regex::ECMAScript);
    for (int k = 0; k < 8; ++k) {
      std::string name(rng() % 7, 'a');
      for (char& c : name) c = "ab1 "[rng() % 4];
      const bool want = std::regex_search(name, ref);
      matches += want;
      ASSERT_EQ(re->Search(name), want)
          << "pattern '" << pattern << "' name '" << name << "'";
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(matches, 4000);
  EXPECT_LT(matches, 28000);
}

}  // namespace
}  // namespace restree
