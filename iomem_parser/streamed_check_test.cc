// CleanResourcesWithoutTree() against the tree: on the real samples and on
// dumps made to trip each kind of rule, whole and cut into parts, its
// answer is what IsKernelExactDump() and CheckDomainEach() of the parsed
// tree say together.

#include "iomem_parser/streamed_check.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "iomem_parser/internal/parse_paths.h"
#include "iomem_parser/parser.h"
#include "resource_tree/domain_invariants.h"
#include "tests/iomem_samples.h"

namespace restree {
namespace {

DomainRules CheckRules() {
  DomainRules r;
  r.check_flags = false;
  r.memory_block_size = uint64_t{128} << 20;
  return r;
}

const std::vector<std::vector<ChainProfiles>>& ProfileSets() {
  static const auto* const kSets = new std::vector<std::vector<ChainProfiles>>{
      {kChains61, kChains612, kChains7}, {kChains61}, {kChains612}, {kChains7}};
  return *kSets;
}

// What the tree says: the resource count of a kernel-exact dump without a
// finding in any profile set of `each`.
std::optional<size_t> FromTree(const std::string& text,
                               const std::vector<ChainProfiles>& each) {
  if (!internal::IsKernelExactDump(text, IomemParseOptions())) {
    return std::nullopt;
  }
  absl::StatusOr<ParsedIomem> p = ParseIomem(text);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return std::nullopt;
  for (const std::vector<DomainFinding>& f :
       CheckDomainEach(p->tree, CheckRules(), each)) {
    if (!f.empty()) return std::nullopt;
  }
  return p->tree.size() - 1;
}

// The streamed answer, whole and cut into up to three parts (on threads
// and not), must be the tree's. Returns the tree's.
std::optional<size_t> Agree(const std::string& text) {
  std::optional<size_t> first;
  for (size_t k = 0; k < ProfileSets().size(); ++k) {
    const std::vector<ChainProfiles>& each = ProfileSets()[k];
    const std::optional<size_t> want = FromTree(text, each);
    if (k == 0) first = want;
    EXPECT_EQ(CleanResourcesWithoutTree(text, IomemParseOptions(), CheckRules(),
                                        each),
              want)
        << "profile set " << k << "\n"
        << text.substr(0, 2000);
    for (bool threads : {false, true}) {
      internal::FastPathOptions cut;
      cut.max_parts = 3;
      cut.min_part_bytes = 1;
      cut.threads = threads;
      EXPECT_EQ(CleanResourcesWithoutTree(text, IomemParseOptions(),
                                          CheckRules(), each, cut),
                want)
          << "profile set " << k << ", cut, threads " << threads << "\n"
          << text.substr(0, 2000);
    }
  }
  return first;
}

TEST(CleanResourcesWithoutTree, SamplesAgreeWithTheTree) {
  size_t clean = 0, not_clean = 0;
  for (const std::string& name : test_support::KernelIomemSampleNames()) {
    SCOPED_TRACE(name);
    const std::string text =
        test_support::ReadTestFile(test_support::IomemSamplePath(name));
    ASSERT_FALSE(text.empty());
    ++(Agree(text).has_value() ? clean : not_clean);
  }
  // Both answers occur among the samples.
  EXPECT_GT(clean, 0u);
  EXPECT_GT(not_clean, 0u);
}

TEST(CleanResourcesWithoutTree, EachKindOfFindingIsSeen) {
  const std::string base =
      "00000000-00000fff : Reserved\n"
      "100000000-1ffffffff : System RAM\n";
  // A clean CXL chain: counted.
  const std::string chain =
      "200000000-2ffffffff : CXL Window 0\n"
      "  200000000-2ffffffff : region0\n"
      "    200000000-2ffffffff : dax0.0\n"
      "      200000000-2ffffffff : System RAM (kmem)\n";
  EXPECT_EQ(Agree(base + chain), 6u);
  std::string after;
  for (int w = 1; w <= 40; ++w) {
    const uint64_t b = uint64_t{0x1000000000} * static_cast<uint64_t>(w);
    absl::StrAppend(&after, absl::Hex(b), "-", absl::Hex(b + 0xfffffff),
                    " : CXL Window ", w, "\n");
  }
  EXPECT_EQ(Agree(base + chain + after), 6u + 40u);
  // A region not 256M aligned; kmem off its dax's range and off the memory
  // block; kmem at the top level, in no chain; hmem beside a region, the
  // region after it (recorded when the window's subtree ends).
  for (const std::string& bad : {
           std::string("200000000-2ffffffff : CXL Window 0\n"
                       "  200000000-207ffffff : region0\n"),
           std::string("200000000-2ffffffff : CXL Window 0\n"
                       "  200000000-2ffffffff : region0\n"
                       "    200000000-2ffffffff : dax0.0\n"
                       "      200000000-207ffffff : System RAM (kmem)\n"),
           std::string("200000000-2ffffffff : CXL Window 0\n"
                       "  200000000-2ffffffff : region0\n"
                       "    200000000-2ffffffff : dax0.0\n"
                       "      200000000-2003fffff : System RAM (kmem)\n"),
           std::string("200000000-2ffffffff : System RAM (kmem)\n"),
           std::string("200000000-3ffffffff : CXL Window 0\n"
                       "  200000000-2ffffffff : Soft Reserved\n"
                       "    200000000-2ffffffff : dax1.0\n"
                       "  300000000-3ffffffff : region0\n"),
       }) {
    // Alone, and before many clean windows (in another part when cut).
    EXPECT_EQ(Agree(base + bad), std::nullopt) << bad;
    EXPECT_EQ(Agree(base + bad + after), std::nullopt) << bad;
  }
}

TEST(CleanResourcesWithoutTree, NeedsTheKernelsFormatAndNoFlagRules) {
  const std::string clean = "100000000-1ffffffff : System RAM\n";
  EXPECT_EQ(CleanResourcesWithoutTree(clean, IomemParseOptions(), CheckRules(),
                                      {kChains61}),
            1u);
  DomainRules flags = CheckRules();
  flags.check_flags = true;
  EXPECT_EQ(
      CleanResourcesWithoutTree(clean, IomemParseOptions(), flags, {kChains61}),
      std::nullopt);
  // Not the kernel's format (an end narrower than its start), and not a
  // valid tree (siblings out of order): the tree is needed for the report.
  EXPECT_EQ(
      CleanResourcesWithoutTree("00001000-1fff : a\n", IomemParseOptions(),
                                CheckRules(), {kChains61}),
      std::nullopt);
  EXPECT_EQ(
      CleanResourcesWithoutTree("00002000-00002fff : a\n"
                                "00001000-00001fff : b\n",
                                IomemParseOptions(), CheckRules(), {kChains61}),
      std::nullopt);
}

}  // namespace
}  // namespace restree
