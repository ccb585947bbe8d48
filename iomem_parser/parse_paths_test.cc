// Holds ParseIomem()'s kernel-format fast path to its general parser
// (internal/parse_paths.h): whenever the fast path returns a parse, the
// general parser must return the same one; and the fast path must actually
// take the kernel's own dumps, or the speed it exists for is gone.

#include "iomem_parser/internal/parse_paths.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "iomem_parser/parser.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"
#include "resource_tree/render.h"
#include "tests/iomem_samples.h"
#include "tests/parse_fingerprint.h"
#include "tests/tree_gen.h"

namespace restree {
namespace {

using internal::ParseIomemFast;
using internal::ParseIomemGeneral;
using test_support::ParseFingerprint;

std::string ReadSample(const std::string& name) {
  return test_support::ReadTestFile(test_support::IomemSamplePath(name));
}

// Privileged kernel dumps (the zeroed one goes to the general parser).
std::vector<std::string> PrivilegedSamples() {
  std::vector<std::string> out;
  for (const std::string& n : test_support::KernelIomemSampleNames()) {
    if (!test_support::IsZeroedSample(n)) out.push_back(n);
  }
  return out;
}

// Runs both paths, the fast one whole and cut into 2 parts (parsed on their
// own threads) and 3 (filled one after the other); fails the test if a fast
// parse differs from the general parser's, or if the cut changes whether the
// fast path takes the input. With IomemParseOptions::summarize the
// fingerprints include the summary, counted line by line on the fast path's
// parts and by a walk of the general parser's tree. Returns whether the fast
// path took the input.
bool FastPathAgrees(const std::string& text, const IomemParseOptions& o) {
  const absl::StatusOr<ParsedIomem> general = ParseIomemGeneral(text, o);
  std::optional<bool> took;
  for (int parts : {1, 2, 3}) {
    internal::FastPathOptions cut;
    cut.max_parts = parts;
    cut.min_part_bytes = 1;
    cut.threads = parts != 3;
    const std::optional<ParsedIomem> fast = ParseIomemFast(text, o, cut);
    // The same verdict without building the tree.
    EXPECT_EQ(internal::IsKernelExactDump(text, o, cut), fast.has_value())
        << parts << " parts\n"
        << text;
    if (took.has_value()) {
      EXPECT_EQ(fast.has_value(), *took) << parts << " parts\n" << text;
    }
    took = fast.has_value();
    if (!fast.has_value()) continue;
    EXPECT_TRUE(general.ok()) << "fast path (" << parts
                              << " parts) accepted what the general parser "
                                 "rejects: "
                              << general.status() << "\n"
                              << text;
    EXPECT_EQ(fast->summary.has_value(), o.summarize);
    if (general.ok()) {
      EXPECT_EQ(ParseFingerprint(*fast), ParseFingerprint(*general))
          << parts << " parts\n"
          << text;
    }
  }
  return *took;
}

// The fast path sizes its name tables for one distinct name per ~128 bytes
// of text: a dump with a new name on every line (40,000 lines of ~24 bytes,
// against a first guess of ~8,000 names) must still be taken, the tables
// growing past the guess.
TEST(ParsePaths, DumpWithANewNameOnEveryLineTakesTheFastPath) {
  std::string text;
  for (uint64_t i = 0; i < 20000; ++i) {
    const uint64_t a = 0x100000 * (i + 1);
    text += absl::StrFormat("%08x-%08x : r%d\n", a, a + 0xfffff, i);
    text += absl::StrFormat("  %08x-%08x : c%d\n", a, a + 0xfff, i);
  }
  EXPECT_TRUE(FastPathAgrees(text, IomemParseOptions()));
}

TEST(ParsePaths, KernelDumpsTakeTheFastPath) {
  for (const std::string& name : PrivilegedSamples()) {
    const std::string text = ReadSample(name);
    for (int max_depth : {0, 5, 8}) {
      for (bool summarize : {false, true}) {
        IomemParseOptions o;
        o.max_depth = max_depth;
        o.summarize = summarize;
        EXPECT_TRUE(FastPathAgrees(text, o)) << name << " cap " << max_depth;
      }
    }
  }
}

TEST(ParsePaths, OtherModesUseTheGeneralParser) {
  const std::string text = ReadSample(PrivilegedSamples()[0]);
  IomemParseOptions lenient;
  lenient.lenient = true;
  EXPECT_FALSE(ParseIomemFast(text, lenient).has_value());
  EXPECT_FALSE(
      ParseIomemFast(
          ReadSample("mailinglist_nonroot-zeroed-addresses_x86-laptop.txt"), {})
          .has_value());
  EXPECT_FALSE(ParseIomemFast("", {}).has_value());
}

// `restree check` collects structure problems: a kernel dump still takes
// the fast path (and has none); a dump with a problem goes to the general
// parser, which collects it.
TEST(ParsePaths, ProblemCollectingModeTakesTheFastPathForGoodDumps) {
  IomemParseOptions collect;
  collect.collect_structure_problems = true;
  for (const std::string& name : PrivilegedSamples()) {
    EXPECT_TRUE(FastPathAgrees(ReadSample(name), collect)) << name;
  }
  const std::string bad =
      "00000000-00000fff : Reserved\n"
      "00001000-00001fff : A\n"
      "  00000000-00000fff : outside its parent\n";
  EXPECT_FALSE(FastPathAgrees(bad, collect));
  absl::StatusOr<ParsedIomem> p = ParseIomem(bad, collect);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->structure_problems.size(), 1u);
  EXPECT_EQ(p->structure_problems[0].line, 3);
}

TEST(ParsePaths, LineDeeperThanFiveRestartsWithCapEight) {
  std::string text;
  for (int d = 0; d <= 6; ++d) {
    text += std::string(2 * d, ' ') + "10000000-1fffffff : level\n";
  }
  IomemParseOptions inferred;
  std::optional<ParsedIomem> p = ParseIomemFast(text, inferred);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->max_depth, 8);
  EXPECT_EQ(p->tree.profile().name, "linux-7.0");
  EXPECT_TRUE(FastPathAgrees(text, inferred));
  // A file said to come from a cap-5 kernel is wrong; the general parser
  // says so.
  IomemParseOptions five;
  five.max_depth = 5;
  EXPECT_FALSE(ParseIomemFast(text, five).has_value());
  EXPECT_FALSE(ParseIomem(text, five).ok());
}

// One-line edits of the kernel's dumps: every class of mistake the strict
// parser reports, applied to every line. The fast path must give up on
// every one the general parser rejects and agree on the rest.
TEST(ParsePaths, EditedDumpsAgree) {
  using Edit = std::string (*)(const std::string& line);
  const Edit kEdits[] = {
      [](const std::string& l) {  // uppercase hex
        std::string s = l;
        for (char& c : s) {
          if (c >= 'a' && c <= 'f') {
            c = static_cast<char>(c - 32);
            break;
          }
          if (c == ' ' && &c != &s[0] && s[&c - &s[0] - 1] != ' ') break;
        }
        return s;
      },
      [](const std::string& l) { return " " + l; },      // odd indent
      [](const std::string& l) { return "  " + l; },     // one level deeper
      [](const std::string& l) { return l.substr(2); },  // one level up
      [](const std::string& l) { return l + "\r"; },     // CRLF
      [](const std::string& l) { return l + " "; },      // trailing space
      [](const std::string& l) { return l + std::string(1, '\0'); },
      [](const std::string& l) {  // over-padded start
        const size_t i = l.find_first_not_of(' ');
        return l.substr(0, i) + "0" + l.substr(i);
      },
      [](const std::string& l) {  // short end
        const size_t i = l.find(" : ");
        return l.substr(0, i - 1) + l.substr(i);
      },
      [](const std::string& l) { return l.substr(0, l.find(" : ")) + " :"; },
      [](const std::string& l) {  // inverted
        const size_t dash = l.find('-');
        const size_t sep = l.find(" : ");
        const size_t i = l.find_first_not_of(' ');
        return l.substr(0, i) + l.substr(dash + 1, sep - dash - 1) + "-" +
               l.substr(i, dash - i) + l.substr(sep);
      },
      [](const std::string& l) { return std::string(); },  // empty line
      [](const std::string& l) { return l + "\n" + l; },   // duplicate
  };
  int taken = 0, total = 0;
  for (const std::string& name : PrivilegedSamples()) {
    const std::vector<std::string> lines =
        absl::StrSplit(ReadSample(name), '\n');
    // lines.back() is the empty string after the final newline.
    for (size_t i = 0; i + 1 < lines.size() && i < 80; ++i) {
      for (Edit edit : kEdits) {
        std::string text;
        for (size_t j = 0; j + 1 < lines.size(); ++j) {
          text += (j == i ? edit(lines[j]) : lines[j]) + "\n";
        }
        ++total;
        if (FastPathAgrees(text, {})) ++taken;
        IomemParseOptions collect;
        collect.collect_structure_problems = true;
        collect.summarize = true;
        FastPathAgrees(text, collect);
        if (HasFailure()) return;
      }
    }
    // And the file without its final newline.
    std::string text = ReadSample(name);
    text.pop_back();
    EXPECT_FALSE(FastPathAgrees(text, {}));
  }
  // Some edits keep a valid file (a deeper line that nests by containment,
  // a trailing space in a name); most do not.
  EXPECT_GT(taken, 0);
  EXPECT_LT(taken, total / 2);
}

// Random valid trees, rendered at either cap: the fast path takes them and
// agrees. Then random byte edits of the rendering: it agrees or gives up.
RC_GTEST_PROP(ParsePathsProperty, RenderedTreesAndTheirEditsAgree, ()) {
  const ResourceTree t = *restree::test_support::GenTree();
  const int cap = *rc::gen::element(5, 8);
  ProcRenderOptions ro;
  ro.max_depth = cap;
  std::string text = RenderProcIomem(t, ro);
  IomemParseOptions o;
  o.max_depth = *rc::gen::element(0, cap);
  o.root = *rc::gen::element(IomemRoot::kAuto, IomemRoot::kIomem,
                             IomemRoot::kIoports);
  o.summarize = *rc::gen::arbitrary<bool>();
  const bool zero_first = text.compare(0, 9, "0000-0000") == 0 ||
                          text.compare(0, 17, "00000000-00000000") == 0;
  const bool took = FastPathAgrees(text, o);
  if (o.root == IomemRoot::kAuto && !text.empty() && !zero_first) {
    RC_ASSERT(took);
  }
  const int edits = *rc::gen::inRange(1, 4);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const size_t at = *rc::gen::inRange<size_t>(0, text.size());
    const char c =
        *rc::gen::elementOf(std::string("0123456789abcdefA -:\n\r\t"));
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        text[at] = c;
        break;
      case 1:
        text.insert(at, 1, c);
        break;
      default:
        text.erase(at, 1);
        break;
    }
  }
  FastPathAgrees(text, o);
  o.collect_structure_problems = true;
  FastPathAgrees(text, o);
  RC_ASSERT(!::testing::Test::HasFailure());
}

}  // namespace
}  // namespace restree
