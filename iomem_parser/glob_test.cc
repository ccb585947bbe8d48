#include "iomem_parser/glob.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace restree {
namespace {

bool M(const char* pattern, const std::string& name) {
  absl::StatusOr<Glob> g = Glob::Compile(pattern);
  EXPECT_TRUE(g.ok()) << pattern << ": " << g.status();
  return g.ok() && g->Matches(name);
}

TEST(Glob, StarQuestionAndLiterals) {
  EXPECT_TRUE(M("System RAM", "System RAM"));
  EXPECT_FALSE(M("System RAM", "System RAM (kmem)"));  // whole name
  EXPECT_TRUE(M("System RAM*", "System RAM (kmem)"));
  EXPECT_TRUE(M("*CXL*", "CXL Window 0"));
  EXPECT_TRUE(M("*CXL*", "cxl: CXL"));
  EXPECT_FALSE(M("*CXL*", "cxl window"));  // case matters
  EXPECT_TRUE(M("endpoint?", "endpoint2"));
  EXPECT_FALSE(M("endpoint?", "endpoint"));
  EXPECT_TRUE(M("*", ""));
  EXPECT_TRUE(M("", ""));
  EXPECT_FALSE(M("", "x"));
  EXPECT_TRUE(M("a*b*c", "a--b--b--c"));
  EXPECT_FALSE(M("a*b*c", "a--b--b--"));
  EXPECT_TRUE(M("**a**", "a"));
}

TEST(Glob, SetsRangesNegationAndEscapes) {
  EXPECT_TRUE(M("region[0-9]", "region7"));
  EXPECT_FALSE(M("region[0-9]", "regionX"));
  EXPECT_TRUE(M("region[!0-9]", "regionX"));
  EXPECT_TRUE(M("region[^0-9]", "regionX"));
  EXPECT_TRUE(M("[]]", "]"));
  EXPECT_TRUE(M("[!]]", "x"));
  EXPECT_FALSE(M("[!]]", "]"));
  EXPECT_TRUE(M("[a-]", "-"));
  EXPECT_TRUE(M("\\*", "*"));
  EXPECT_FALSE(M("\\*", "x"));
  EXPECT_TRUE(M("[\\]]", "]"));
  EXPECT_TRUE(M("0000:0?:00.0", "0000:0d:00.0"));
  EXPECT_TRUE(M("?", "\xff"));  // bytes, not UTF-8
  EXPECT_TRUE(M("[\x80-\xff]", "\xc3"));
}

TEST(Glob, BadPatternsNameTheColumn) {
  absl::StatusOr<Glob> g = Glob::Compile("CXL [0-9");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message(), "column 5: '[' without a closing ']'");
  g = Glob::Compile("ab\\");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().message(), "column 3: '\\' at the end of the pattern");
  EXPECT_FALSE(Glob::Compile("[]").ok());  // the ']' is literal, unclosed
}

// A deliberately plain reference: dynamic programming over (pattern prefix,
// name prefix), for patterns of `*`, `?` and literals.
bool Reference(const std::string& pat, const std::string& s) {
  const size_t m = pat.size(), n = s.size();
  std::vector<std::vector<bool>> dp(m + 1, std::vector<bool>(n + 1, false));
  dp[0][0] = true;
  for (size_t i = 1; i <= m; ++i) {
    for (size_t j = 0; j <= n; ++j) {
      if (pat[i - 1] == '*') {
        dp[i][j] = dp[i - 1][j] || (j > 0 && dp[i][j - 1]);
      } else if (j > 0) {
        dp[i][j] = dp[i - 1][j - 1] && (pat[i - 1] == '?' || pat[i - 1] == s[j - 1]);
      }
    }
  }
  return dp[m][n];
}

TEST(Glob, AgreesWithTheDynamicProgrammingReference) {
  std::mt19937 rng(20261121);
  const char kPat[] = "ab*?";
  const char kName[] = "abc";
  for (int i = 0; i < 20000; ++i) {
    std::string pat(rng() % 8, 'a'), name(rng() % 10, 'a');
    for (char& c : pat) c = kPat[rng() % 4];
    for (char& c : name) c = kName[rng() % 3];
    absl::StatusOr<Glob> g = Glob::Compile(pat);
    ASSERT_TRUE(g.ok());
    ASSERT_EQ(g->Matches(name), Reference(pat, name))
        << "pattern '" << pat << "' name '" << name << "'";
  }
}

TEST(Glob, LongInputsDoNotRecurse) {
  // The std::regex this replaced recursed per byte: "(a|b)*c" on this name
  // overflowed the stack (SIGSEGV).
  const std::string name(1 << 20, 'a');
  EXPECT_TRUE(M("*a*a*a*a", name));
  EXPECT_FALSE(M("*a*a*a*b", name));
}

}  // namespace
}  // namespace restree
