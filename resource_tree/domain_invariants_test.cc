#include "resource_tree/domain_invariants.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/tree_builder.h"
#include "tests/status_matchers.h"

namespace restree {
namespace {

using ::restree::test_support::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Severity = DomainFinding::Severity;

// A tree from /proc/iomem-like lines ("  START-END : name", two spaces a
// level), built with TreeBuilder; no flags, as a parsed dump.
ResourceTree Tree(absl::string_view text) {
  TreeBuilder b(ResourceSpec{Range::Full(), "PCI mem", iores::kMem});
  std::vector<ResourceId> stack = {b.root()};
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    line.remove_prefix(indent);
    const size_t depth = indent / 2 + 1;
    const std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::MaxSplits(" : ", 1));
    const std::vector<absl::string_view> ends = absl::StrSplit(parts[0], '-');
    uint64_t first = 0, last = 0;
    EXPECT_TRUE(absl::SimpleHexAtoi(ends[0], &first) &&
                absl::SimpleHexAtoi(ends[1], &last))
        << line;
    stack.resize(depth);
    absl::StatusOr<ResourceId> id =
        b.Append(stack.back(), {Range(first, last), std::string(parts[1])});
    EXPECT_TRUE(id.ok()) << line << ": " << id.status();
    stack.push_back(*id);
  }
  return std::move(b).Finish();
}

DomainRules NamesOnly(ChainProfiles profiles = kChainsAny) {
  DomainRules r;
  r.check_flags = false;
  r.profiles = profiles;
  return r;
}

std::vector<std::string> Rules(const std::vector<DomainFinding>& findings) {
  std::vector<std::string> out;
  for (const DomainFinding& f : findings) {
    out.push_back(std::string(SeverityName(f.severity)) + " " + f.rule);
  }
  return out;
}

std::vector<std::string> Messages(const std::vector<DomainFinding>& findings) {
  std::vector<std::string> out;
  for (const DomainFinding& f : findings) {
    out.push_back(std::string(SeverityName(f.severity)) + " " + f.rule + ": " +
                  f.message);
  }
  return out;
}

// CheckDomain()'s rules for `text`. Every call also holds CheckDomainEach()
// (one walk for several profile sets) to CheckDomain() per set.
std::vector<std::string> Check(absl::string_view text, ChainProfiles profiles) {
  const ResourceTree tree = Tree(text);
  const std::vector<ChainProfiles> each = {profiles, kChains61, kChains612,
                                           kChains7};
  const std::vector<std::vector<DomainFinding>> together =
      CheckDomainEach(tree, NamesOnly(), each);
  EXPECT_EQ(together.size(), each.size());
  for (size_t k = 0; k < each.size() && k < together.size(); ++k) {
    EXPECT_EQ(Messages(together[k]),
              Messages(CheckDomain(tree, NamesOnly(each[k]))))
        << "profile set " << static_cast<int>(each[k]) << "\n"
        << text;
  }
  // DomainStreamCheck on the same nodes, for each profile set, as one
  // stream and as one stream per top-level subtree (the parts of a dump
  // read without a tree), finds something exactly when that set has a
  // finding.
  const Range root_range = tree.RangeOf(tree.root());
  const absl::string_view root_name = tree.NameOf(tree.root());
  for (size_t k = 0; k < each.size() && k < together.size(); ++k) {
    DomainStreamCheck whole(root_range, root_name, NamesOnly(), {each[k]});
    std::vector<std::unique_ptr<DomainStreamCheck>> parts;
    tree.ForEachPreorder([&](ResourceId id, int depth) {
      const ResourceView v = tree.View(id);
      whole.Visit(depth, v.range, v.name);
      if (depth == 0) {
        parts.push_back(std::make_unique<DomainStreamCheck>(
            root_range, root_name, NamesOnly(), std::vector{each[k]}));
      }
      parts.back()->Visit(depth, v.range, v.name);
    });
    const bool found = !together[k].empty();
    EXPECT_EQ(whole.Finish(), found) << "profile set " << k << "\n" << text;
    bool parts_found = false;
    for (const std::unique_ptr<DomainStreamCheck>& part : parts) {
      parts_found |= part->Finish();
    }
    EXPECT_EQ(parts_found, found) << "profile set " << k << "\n" << text;
  }
  return Rules(CheckDomain(tree, NamesOnly(profiles)));
}

// ---------------------------------------------------------------------------
// Names, kinds, the table.

TEST(DomainInvariantsTest, RecognisesNodesByName) {
  EXPECT_TRUE(IsCxlWindowName("CXL Window 12"));
  EXPECT_FALSE(IsCxlWindowName("CXL Window "));
  EXPECT_FALSE(IsCxlWindowName("CXL Window 1 chunk 0"));
  EXPECT_TRUE(IsRegionName("region0"));
  EXPECT_FALSE(IsRegionName("region"));
  EXPECT_FALSE(IsRegionName("regionX"));
  EXPECT_TRUE(IsDaxName("dax0.0"));
  EXPECT_FALSE(IsDaxName("dax0."));
  EXPECT_FALSE(IsDaxName("dax.0"));
  EXPECT_TRUE(IsSystemRamName("System RAM"));
  EXPECT_TRUE(IsSystemRamName("System RAM (kmem)"));
  EXPECT_FALSE(IsDriverManagedRamName("System RAM"));
  EXPECT_FALSE(IsSystemRamName("System RAM (kmem"));
  EXPECT_EQ(KindOfName("CXL chunk"), NodeKind::kCxlChunk);
  EXPECT_EQ(KindOfName("hmem.3"), NodeKind::kHmem);
  EXPECT_EQ(KindOfName("hmem.x"), NodeKind::kOther);
  EXPECT_EQ(KindOfName("namespace0.0"), NodeKind::kNamespace);
  EXPECT_EQ(KindOfName("Persistent Memory"), NodeKind::kCxlPmem);
  EXPECT_EQ(KindOfName("Persistent Memory (legacy)"), NodeKind::kLegacyPmem);
  EXPECT_EQ(KindOfName("PCI Bus 0000:00"), NodeKind::kPciBus);
  EXPECT_EQ(KindOfName("System RAM (virtio_mem)"), NodeKind::kOther);
}

TEST(DriverChainTableTest, EveryEntryNamesItsChainAndProfiles) {
  for (const ChainNesting& n : DriverChainNestings()) {
    const std::string chain = n.chain;
    EXPECT_THAT(chain, ::testing::ContainsRegex("\\[(src|der|rep|cap|restree)"))
        << NodeKindName(n.parent) << " > " << NodeKindName(n.child);
    EXPECT_NE(n.profiles & kChainsAny, 0) << chain;
    EXPECT_TRUE(IsChainChild(n.child));
    EXPECT_EQ(FindChainNesting(n.parent, n.child, true, n.profiles) != nullptr,
              true);
  }
  // What no chain makes: a kernel node's parent is never a busy leaf.
  EXPECT_EQ(
      FindChainNesting(NodeKind::kKmemRam, NodeKind::kDax, true, kChainsAny),
      nullptr);
  // cxl_pmem's Persistent Memory is above a region only on its own range.
  EXPECT_NE(
      FindChainNesting(NodeKind::kCxlPmem, NodeKind::kRegion, true, kChains61),
      nullptr);
  EXPECT_EQ(
      FindChainNesting(NodeKind::kCxlPmem, NodeKind::kRegion, false, kChains61),
      nullptr);
  EXPECT_FALSE(IsChainChild(NodeKind::kOther));
  EXPECT_FALSE(IsChainChild(NodeKind::kPciBus));
}

TEST(DriverChainTableTest, KernelProfilesMapToChainProfiles) {
  for (const KernelProfile& p : KernelProfile::All()) {
    EXPECT_TRUE(ChainProfilesOf(p).has_value()) << p.name;
  }
  EXPECT_EQ(ChainProfilesOf(KernelProfile::Debian61()), kChains61);
  EXPECT_EQ(ChainProfilesOf(KernelProfile::Vanilla61()), kChains61);
  EXPECT_EQ(ChainProfilesOf(KernelProfile::Linux612()), kChains612);
  EXPECT_EQ(ChainProfilesOf(KernelProfile::Linux70()), kChains7);
  KernelProfile odd;
  odd.name = "linux-5.10";
  EXPECT_FALSE(ChainProfilesOf(odd).has_value());
  EXPECT_EQ(ChainProfilesName(kChains61 | kChains7), "debian-6.1, linux-7.x");
}

// ---------------------------------------------------------------------------
// Flags and alignment (invariants 13 and 14), on trees with flags.

TEST(DomainInvariantsTest, KmemChainPasses) {
  ResourceTree t = ResourceTree::Iomem();
  const uint64_t g = uint64_t{1} << 30;
  ASSERT_OK_AND_ASSIGN(
      ResourceId w,
      t.Request(t.root(), {Range(16 * g, 32 * g - 1), "CXL Window 0",
                           iores::kMem, iores_desc::kCxl}));
  ASSERT_OK_AND_ASSIGN(ResourceId r,
                       t.AllocFreeMemRegion(w, 2 * g, 256 << 20, "region0"));
  const Range rr = t.RangeOf(r);
  ASSERT_OK_AND_ASSIGN(ResourceId dax, t.RequestRegion(t.root(), rr.first(),
                                                       2 * g, "dax0.0", 0));
  ASSERT_THAT(t.SetFlags(dax, iores::kSystemRam), IsOk());
  ASSERT_OK_AND_ASSIGN(
      ResourceId kmem,
      t.RequestRegion(t.root(), rr.first(), 2 * g, "System RAM (kmem)",
                      iores::kSystemRam | iores::kSysramDriverManaged));
  EXPECT_EQ(t.ParentOf(kmem), dax);
  for (ChainProfiles p : {kChains61, kChains612, kChains7, kChainsAny}) {
    DomainRules rules;
    rules.profiles = p;
    EXPECT_THAT(CheckDomain(t, rules), IsEmpty()) << int{p};
  }
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
}

TEST(DomainInvariantsTest, FindsBrokenHotplugAndCxlRules) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId w,
                       t.Request(t.root(), {Range(0x100000000, 0x1ffffffff),
                                            "CXL Window 0", iores::kMem}));
  ASSERT_OK_AND_ASSIGN(
      ResourceId mid,
      t.Request(w, {Range(0x100000000, 0x1ffffffff), "x", iores::kMem}));
  ASSERT_OK_AND_ASSIGN(ResourceId region,
                       t.Request(mid, {Range(0x100000000, 0x10fffffff),
                                       "region3", iores::kMem}));
  ASSERT_OK_AND_ASSIGN(
      ResourceId kmem,
      t.Request(t.root(), {Range(0x200000000, 0x200000fff), "System RAM (kmem)",
                           iores::kSystemRam}));
  std::vector<InvariantViolation> v = CheckDomainInvariants(t);
  // Window without desc CXL; region under "x"; kmem flags, alignment, and
  // not under a dax node.
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].kind, InvariantViolation::Kind::kCxl);
  EXPECT_THAT(v[0].nodes, ElementsAre(w));
  EXPECT_THAT(v[1].nodes, ElementsAre(region, mid));
  EXPECT_THAT(v[1].message,
              HasSubstr("no driver chain of any profile puts regionK there "
                        "(it goes under: CXL Window N, Persistent Memory "
                        "(same range), Soft Reserved)"));
  EXPECT_EQ(v[2].kind, InvariantViolation::Kind::kMemoryHotplug);
  EXPECT_THAT(v[2].nodes, ElementsAre(kmem));
  EXPECT_THAT(v[3].message, HasSubstr("memory block"));
  EXPECT_THAT(v[4].nodes, ElementsAre(kmem, t.root()));
  EXPECT_THAT(v[4].message, HasSubstr("(it goes under: daxX.Y)"));
  DomainRules names_only;
  names_only.check_flags = false;
  names_only.memory_block_size = 0;
  EXPECT_EQ(CheckDomainInvariants(t, names_only).size(), 2u);
}

// ---------------------------------------------------------------------------
// The nestings of each profile's chains, as the real dumps show them.

// cxl_pmem's "Persistent Memory" on the region's range (6.1 and 6.12), and
// "Soft Reserved" between a region and its window (6.12+, reported): fine.
// Anything else, or Persistent Memory on another range, is not.
TEST(DriverChainsTest, RegionBelowWhatDriversInsert) {
  const std::string pmem =
      "100000000-1ffffffff : CXL Window 0\n"
      "  100000000-10fffffff : Persistent Memory\n"
      "    100000000-10fffffff : region0\n"
      "      100000000-1001fffff : namespace0.0\n"
      "      100200000-10fffffff : dax0.0\n";
  for (ChainProfiles p : {kChains61, kChains612, kChains7}) {
    EXPECT_THAT(Check(pmem, p), IsEmpty()) << int{p};
  }
  // A region filling its window: Persistent Memory above the window.
  EXPECT_THAT(Check("100000000-10fffffff : Persistent Memory\n"
                    "  100000000-10fffffff : CXL Window 0\n"
                    "    100000000-10fffffff : region0\n",
                    kChains61),
              IsEmpty());
  const std::string under_sr =
      "100000000-1ffffffff : CXL Window 0\n"
      "  100000000-1ffffffff : Soft Reserved\n"
      "    100000000-10fffffff : region0\n";
  EXPECT_THAT(Check(under_sr, kChains612), IsEmpty());
  EXPECT_THAT(Check(under_sr, kChains7), IsEmpty());
  EXPECT_THAT(Check(under_sr, kChains61), ElementsAre("error nesting"));
  EXPECT_THAT(Check("100000000-1ffffffff : CXL Window 0\n"
                    "  100000000-10fffffff : Reserved\n"
                    "    100000000-10fffffff : region0\n",
                    kChainsAny),
              ElementsAre("error nesting"));
  EXPECT_THAT(Check("100000000-1ffffffff : CXL Window 0\n"
                    "  100000000-11fffffff : Persistent Memory\n"
                    "    100000000-10fffffff : region0\n",
                    kChainsAny),
              ElementsAre("error nesting"));
  // A "regionK" outside any window is another driver's name.
  EXPECT_THAT(Check("100000000-100000fff : region0\n", kChainsAny), IsEmpty());
}

TEST(DriverChainsTest, SoftReservedAndHmemPerProfile) {
  // 6.1: hmem.N inserted over Soft Reserved (§6.2), under a window.
  const std::string hmem61 =
      "100000000-1ffffffff : CXL Window 0\n"
      "  100000000-1ffffffff : hmem.0\n"
      "    100000000-1ffffffff : Soft Reserved\n"
      "      100000000-1ffffffff : dax0.0\n"
      "        100000000-1ffffffff : System RAM (kmem)\n";
  EXPECT_THAT(Check(hmem61, kChains61), IsEmpty());
  // 6.12 hmem devices have no iomem node.
  EXPECT_THAT(Check(hmem61, kChains612),
              ElementsAre("error nesting", "error nesting"));
  // 6.12 auto region over an equal Soft Reserved (§6.3); 7.x with CXL built
  // as modules.
  const std::string auto612 =
      "100000000-1ffffffff : CXL Window 0\n"
      "  100000000-1ffffffff : region3\n"
      "    100000000-1ffffffff : Soft Reserved\n"
      "      100000000-1ffffffff : dax0.0\n"
      "        100000000-1ffffffff : System RAM (kmem)\n";
  EXPECT_THAT(Check(auto612, kChains612), IsEmpty());
  EXPECT_THAT(Check(auto612, kChains7), IsEmpty());
  EXPECT_THAT(Check(auto612, kChains61), ElementsAre("error nesting"));
  // 7.x assembly failure: Soft Reserved above the window.
  EXPECT_THAT(Check("100000000-1ffffffff : Soft Reserved\n"
                    "  100000000-1ffffffff : CXL Window 0\n"
                    "    100000000-1ffffffff : region0\n"
                    "      100000000-1ffffffff : dax6.0\n"
                    "        100000000-1ffffffff : System RAM (kmem)\n",
                    kChains7),
              IsEmpty());
  // 7.0: Soft Reserved kept out of iomem, hmem's dax at top level (and
  // on every kernel a virtio_pmem devdax namespace, which has no iomem
  // node above it).
  const std::string top_dax =
      "100000000-1ffffffff : dax1.0\n"
      "  100000000-1ffffffff : System RAM (kmem)\n";
  EXPECT_THAT(Check(top_dax, kChains7), IsEmpty());
  EXPECT_THAT(Check(top_dax, kChains61), IsEmpty());
  // Nothing puts a dax device under a busy node or a chunk.
  EXPECT_THAT(Check("100000000-1ffffffff : namespace0.0\n"
                    "  100000000-1ffffffff : dax0.0\n",
                    kChainsAny),
              ElementsAre("error nesting"));
  // Legacy pmem, as captured from Debian 6.1.
  EXPECT_THAT(Check("140000000-15fffffff : Persistent Memory (legacy)\n"
                    "  140000000-1409fffff : namespace0.0\n"
                    "  148000000-15fffffff : dax0.0\n"
                    "    148000000-15fffffff : System RAM (kmem)\n",
                    kChains61),
              IsEmpty());
  // Chunks belong to their window.
  EXPECT_THAT(Check("100000000-1ffffffff : CXL Window 0\n"
                    "  100000000-10fffffff : CXL chunk\n"
                    "  110000000-11fffffff : region0\n",
                    kChainsAny),
              IsEmpty());
  EXPECT_THAT(Check("100000000-1ffffffff : Reserved\n"
                    "  100000000-10fffffff : CXL chunk\n",
                    kChainsAny),
              ElementsAre("error nesting"));
}

TEST(DriverChainsTest, KmemCoversItsDaxNodeExceptOn7) {
  const std::string part =
      "100000000-1ffffffff : CXL Window 0\n"
      "  100000000-1ffffffff : region0\n"
      "    100000000-1ffffffff : dax0.0\n"
      "      100000000-17fffffff : System RAM (kmem)\n";
  EXPECT_THAT(Check(part, kChains61), ElementsAre("error kmem-range"));
  EXPECT_THAT(Check(part, kChains612), ElementsAre("error kmem-range"));
  EXPECT_THAT(Check(part, kChains7), IsEmpty());
  EXPECT_THAT(Check(part, kChainsAny), IsEmpty());
}

// ---------------------------------------------------------------------------
// Defects seen in the field.

TEST(FieldDefectsTest, MisalignedWindowOverPciBusIsAnError) {
  ResourceTree t = Tree(
      "100000000-1ffffffff : PCI Bus 0000:00\n"
      "2f8000000-3ffffffff : CXL Window 0\n"
      "  2f8000000-2ffffffff : PCI Bus 0000:80\n"
      "  300000000-3ffffffff : PCI Bus 0000:81\n");
  const std::vector<DomainFinding> f = CheckDomain(t, NamesOnly());
  ASSERT_THAT(Rules(f), ElementsAre("error cxl-window-over-pci-bus"));
  EXPECT_EQ(t.NameOf(f[0].nodes[0]), "CXL Window 0");
  EXPECT_EQ(t.NameOf(f[0].nodes[1]), "PCI Bus 0000:80");
  EXPECT_THAT(f[0].message, HasSubstr("is not 256M aligned and holds"));
  // Aligned, it is a warning; a window inside a PCI bus too.
  EXPECT_THAT(Check("300000000-3ffffffff : CXL Window 0\n"
                    "  300000000-30fffffff : PCI Bus 0000:81\n",
                    kChainsAny),
              ElementsAre("warning cxl-window-pci-overlap"));
  EXPECT_THAT(Check("300000000-3ffffffff : PCI Bus 0000:81\n"
                    "  300000000-30fffffff : CXL Window 0\n",
                    kChainsAny),
              ElementsAre("warning cxl-window-pci-overlap"));
  // Misaligned without PCI buses: a window that grew over firmware RAM
  // (974854ab0728), not flagged.
  EXPECT_THAT(Check("2f8000000-3ffffffff : CXL Window 0\n"
                    "  2f8000000-2ffffffff : System RAM\n",
                    kChainsAny),
              IsEmpty());
}

TEST(FieldDefectsTest, HmemBesideARegionIsAWarning) {
  const std::string shape =
      "100000000-2ffffffff : CXL Window 0\n"
      "  100000000-1ffffffff : region0\n"
      "    100000000-1ffffffff : dax0.0\n"
      "      100000000-1ffffffff : System RAM (kmem)\n"
      "  200000000-2ffffffff : Soft Reserved\n"
      "    200000000-2ffffffff : dax1.0\n"
      "      200000000-2ffffffff : System RAM (kmem)\n";
  ResourceTree t = Tree(shape);
  const std::vector<DomainFinding> f = CheckDomain(t, NamesOnly(kChains612));
  ASSERT_THAT(Rules(f), ElementsAre("warning hmem-beside-region"));
  EXPECT_EQ(t.NameOf(f[0].nodes[0]), "Soft Reserved");
  EXPECT_EQ(t.NameOf(f[0].nodes[1]), "region0");
  EXPECT_THAT(f[0].message, HasSubstr("holds 200000000-2ffffffff \"dax1.0\" "
                                      "and 200000000-2ffffffff \"System RAM "
                                      "(kmem)\" beside"));
  EXPECT_THAT(f[0].message, HasSubstr("CONFIG_CXL_REGION=n"));
  EXPECT_THAT(CheckDomainInvariants(t, NamesOnly(kChains612)), IsEmpty());
  EXPECT_THAT(Check(shape, kChains612),
              ElementsAre("warning hmem-beside-region"));
  // The region after the Soft Reserved range in the window: the same.
  EXPECT_THAT(Check("100000000-2ffffffff : CXL Window 0\n"
                    "  100000000-1ffffffff : Soft Reserved\n"
                    "    100000000-1ffffffff : dax1.0\n"
                    "  200000000-2ffffffff : region0\n"
                    "300000000-3ffffffff : CXL Window 1\n",
                    kChains612),
              ElementsAre("warning hmem-beside-region"));
  // 6.1's hmem.N above Soft Reserved: 6.1's dax_hmem never defers to CXL,
  // so this is what it does (a real capture: the QEMU oracle's
  // softres-in-window-6.1). Not reported.
  EXPECT_THAT(Check("100000000-2ffffffff : CXL Window 0\n"
                    "  100000000-1ffffffff : region0\n"
                    "  200000000-2ffffffff : hmem.1\n"
                    "    200000000-2ffffffff : Soft Reserved\n"
                    "      200000000-2ffffffff : dax1.0\n",
                    kChains61),
              IsEmpty());
  // Without a region in the window (CONFIG_CXL_REGION=n), or with Soft
  // Reserved under the region (6.12 auto region), or another window's
  // region: nothing.
  EXPECT_THAT(Check("100000000-2ffffffff : CXL Window 0\n"
                    "  200000000-2ffffffff : Soft Reserved\n"
                    "    200000000-2ffffffff : dax1.0\n"
                    "300000000-3ffffffff : CXL Window 1\n"
                    "  300000000-3ffffffff : region0\n",
                    kChains612),
              IsEmpty());
  EXPECT_THAT(Check("100000000-2ffffffff : CXL Window 0\n"
                    "  100000000-1ffffffff : region0\n"
                    "  200000000-2ffffffff : region1\n"
                    "    200000000-2ffffffff : Soft Reserved\n"
                    "      200000000-2ffffffff : dax1.0\n",
                    kChains612),
              IsEmpty());
}

TEST(FieldDefectsTest, StrandedKmemIsAWarning) {
  ResourceTree t = Tree(
      "100000000-1ffffffff : CXL Window 0\n"
      "  100000000-10fffffff : dax0.0\n"
      "    100000000-10fffffff : System RAM (kmem)\n");
  const std::vector<DomainFinding> f = CheckDomain(t, NamesOnly(kChains61));
  ASSERT_THAT(Rules(f), ElementsAre("warning stranded-kmem"));
  EXPECT_EQ(t.NameOf(f[0].nodes[0]), "dax0.0");
  EXPECT_EQ(t.NameOf(f[0].nodes[1]), "CXL Window 0");
  EXPECT_THAT(f[0].message, HasSubstr("region teardown"));
  EXPECT_THAT(CheckDomainInvariants(t, NamesOnly(kChains61)), IsEmpty());
  // device_dax's busy dax0.0 alone is not kmem memory.
  EXPECT_THAT(Check("100000000-1ffffffff : CXL Window 0\n"
                    "  100000000-10fffffff : dax0.0\n",
                    kChains61),
              IsEmpty());
}

// e820 merges overlapping entries, so no kernel nests Soft Reserved; a
// warning (restree's `softres add` still accepts overlapping ranges).
TEST(FieldDefectsTest, SoftReservedInsideSoftReservedIsAWarning) {
  EXPECT_THAT(Check("100000000-1ffffffff : Soft Reserved\n"
                    "  100000000-10fffffff : Soft Reserved\n",
                    kChainsAny),
              ElementsAre("warning soft-reserved-overlap"));
}

// Input depth is not stack depth: 200000 nested nodes.
TEST(DomainInvariantsTest, DeepTreeIsWalkedIteratively) {
  TreeBuilder b(ResourceSpec{Range::Full(), "PCI mem", iores::kMem});
  ResourceId p = b.root();
  for (int i = 0; i < 200000; ++i) {
    ASSERT_OK_AND_ASSIGN(
        p, b.Append(p, {Range(0x1000, 0x1fff), i % 2 ? "Soft Reserved" : "x"}));
  }
  ASSERT_THAT(b.Append(p, {Range(0x1000, 0x1fff), "dax0.0"}), IsOk());
  ResourceTree t = std::move(b).Finish();
  EXPECT_THAT(CheckDomain(t, NamesOnly()), IsEmpty());
}

}  // namespace
}  // namespace restree
