#include "iomem_parser/diff.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "iomem_parser/parser.h"
#include "rapidcheck/gtest.h"
#include "resource_tree/render.h"
#include "tests/apply_diff.h"
#include "tests/iomem_samples.h"
#include "tests/tree_gen.h"

namespace restree {
namespace {

using ::restree::test_support::ApplyDiff;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string ReadSample(const std::string& name) {
  return test_support::ReadTestFile(test_support::IomemSamplePath(name));
}

ParsedIomem Parse(const std::string& name) {
  absl::StatusOr<ParsedIomem> p = ParseIomem(ReadSample(name));
  EXPECT_TRUE(p.ok()) << name << ": " << p.status();
  return std::move(*p);
}

// "changes old-range -> new-range name" per entry.
std::vector<std::string> Lines(const IomemDiff& d) {
  std::vector<std::string> out;
  for (const DiffEntry& e : d.entries) {
    out.push_back(absl::StrFormat("%s %x-%x %s",
                                  absl::StrJoin(ChangeNames(e.changes), "+"),
                                  e.range.first(), e.range.last(), e.name));
  }
  return out;
}

TEST(DiffTest, EveryDumpAgainstItselfIsEmpty) {
  for (const char* name : {"qemu72-linux61-cxl1-iomem.txt",
                           "github-note_intel-wolfpass-2socket-server.txt",
                           "github-joannahuadu-radiation-error-emulator_nvidia-"
                           "jetson-orin-arm64.txt"}) {
    const ParsedIomem p = Parse(name);
    EXPECT_TRUE(DiffTrees(p.tree, p.tree).empty()) << name;
  }
}

TEST(DiffTest, RealHotplugAddsThenRemovesADimm) {
  const ParsedIomem before = Parse("qemu72-linux61-nocxl-iomem.txt");
  const ParsedIomem plugged =
      Parse("qemu72-linux61-nocxl-iomem-after-hotplug.txt");
  const ParsedIomem two =
      Parse("qemu72-linux61-nocxl-iomem-after-hotplug2.txt");
  const ParsedIomem unplugged =
      Parse("qemu72-linux61-nocxl-iomem-after-unplug.txt");
  IomemDiff d = DiffTrees(before.tree, plugged.tree);
  EXPECT_THAT(Lines(d), ElementsAre("added 100000000-10fffffff System RAM"));
  EXPECT_EQ(d.after.system_ram - d.before.system_ram, absl::uint128(256) << 20);
  EXPECT_THAT(Lines(DiffTrees(plugged.tree, two.tree)),
              ElementsAre("added 110000000-12fffffff System RAM"));
  EXPECT_THAT(Lines(DiffTrees(two.tree, unplugged.tree)),
              ElementsAre("removed 100000000-10fffffff System RAM"));
}

TEST(DiffTest, CxlBootAgainstPlainBoot) {
  const ParsedIomem plain = Parse("qemu72-linux61-nocxl-iomem.txt");
  const ParsedIomem cxl = Parse("qemu72-linux61-cxl1-iomem.txt");
  const IomemDiff d = DiffTrees(plain.tree, cxl.tree);
  const std::vector<std::string> lines = Lines(d);
  // The PCI window shrank below the new bridge windows, two BARs moved into
  // the low window, the high window moved up past the new CXL window.
  EXPECT_THAT(lines,
              ::testing::Contains("resized c0000000-fdffffff PCI Bus 0000:00"));
  EXPECT_THAT(lines,
              ::testing::Contains("added 390000000-48fffffff CXL Window 0"));
  EXPECT_THAT(lines, ::testing::Contains(
                         "resized 4c0000000-cbfffffff PCI Bus 0000:00"));
  // The two BARs are placed elsewhere, overlapping nothing they had.
  EXPECT_THAT(lines,
              ::testing::Contains("removed febf0000-febf0fff 0000:00:01.0"));
  EXPECT_THAT(lines,
              ::testing::Contains("added 80000000-80000fff 0000:00:01.0"));
  EXPECT_THAT(d.after.cxl_windows,
              ElementsAre(Range(0x390000000, 0x48fffffff)));
  EXPECT_THAT(d.before.cxl_windows, IsEmpty());
  absl::StatusOr<ResourceTree> rebuilt = ApplyDiff(plain.tree, d);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(RenderDump(*rebuilt), RenderDump(cxl.tree));
}

TEST(DiffTest, SystemRamMovedUnderANewWindowIsReparented) {
  ResourceTree a = ResourceTree::Iomem();
  ASSERT_TRUE(
      a.Request(a.root(), {Range(0x100000000, 0x1ffffffff), "System RAM",
                           iores::kSystemRam | iores::kBusy})
          .ok());
  ResourceTree b = a;
  ASSERT_TRUE(b.InsertExpandToFit(
                   b.root(), {Range(0x100000000, 0x4ffffffff), "CXL Window 0",
                              iores::kMem, iores_desc::kCxl})
                  .ok());
  const IomemDiff d = DiffTrees(a, b);
  EXPECT_THAT(Lines(d),
              ElementsAre("added 100000000-4ffffffff CXL Window 0",
                          "reparented 100000000-1ffffffff System RAM"));
  EXPECT_EQ(d.entries[1].parent.kind, DiffParent::Kind::kAdded);
  EXPECT_EQ(d.entries[1].parent.added, 0u);
  EXPECT_EQ(d.before.system_ram, d.after.system_ram);
}

TEST(DiffTest, HotRemoveSplitIsResizedPlusAdded) {
  ResourceTree a = ResourceTree::Iomem();
  ASSERT_TRUE(a.RequestRegion(a.root(), 0x100000000, 0x30000000, "System RAM",
                              iores::kSysram)
                  .ok());
  ResourceTree b = a;
  ASSERT_TRUE(b.ReleaseMemRegionAdjustable(0x110000000, 0x10000000).ok());
  EXPECT_THAT(Lines(DiffTrees(a, b)),
              ElementsAre("resized 100000000-10fffffff System RAM",
                          "added 120000000-12fffffff System RAM"));
}

TEST(DiffTest, FlagsChangeInPlace) {
  ResourceTree a = ResourceTree::Iomem();
  const ResourceId dax = *a.Request(
      a.root(),
      {Range(0x100000000, 0x1ffffffff), "dax0.0", iores::kMem | iores::kBusy});
  ResourceTree b = a;
  ASSERT_TRUE(b.SetFlags(dax, iores::kSystemRam).ok());
  EXPECT_THAT(Lines(DiffTrees(a, b)),
              ElementsAre("flags 100000000-1ffffffff dax0.0"));
}

// Another name on the same range is another resource (the kernel does not
// rename in iomem): removed and added, and the child that stays is moved
// to the new one.
TEST(DiffTest, AnotherNameOnTheSameRangeIsRemovedAndAdded) {
  ResourceTree a = ResourceTree::Iomem();
  const ResourceId sr =
      *a.Request(a.root(), {Range(0x100000000, 0x1ffffffff), "Soft Reserved"});
  ASSERT_TRUE(a.Request(sr, {Range(0x100000000, 0x1ffffffff), "dax0.0"}).ok());
  ResourceTree b = a;
  ASSERT_TRUE(b.Rename(sr, "region0").ok());
  const IomemDiff d = DiffTrees(a, b);
  EXPECT_THAT(Lines(d), ElementsAre("removed 100000000-1ffffffff Soft Reserved",
                                    "added 100000000-1ffffffff region0",
                                    "reparented 100000000-1ffffffff dax0.0"));
  absl::StatusOr<ResourceTree> rebuilt = ApplyDiff(a, d);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(RenderDump(*rebuilt), RenderDump(b));
}

// Equal ranges and names nested in each other are paired by ancestry: the
// old outer "x" went away, the inner one (under "y" in both) stayed.
TEST(DiffTest, SameRangeAndNamePairsByAncestry) {
  ResourceTree a = ResourceTree::Iomem();
  const Range r(0x1000, 0x1fff);
  const ResourceId x = *a.Request(a.root(), {r, "x"});
  const ResourceId y = *a.Request(x, {r, "y"});
  ASSERT_TRUE(a.Request(y, {r, "x"}).ok());
  ResourceTree b = ResourceTree::Iomem();
  const ResourceId y2 = *b.Request(b.root(), {r, "y"});
  ASSERT_TRUE(b.Request(y2, {r, "x"}).ok());
  EXPECT_THAT(Lines(DiffTrees(a, b)),
              ElementsAre("removed 1000-1fff x", "reparented 1000-1fff y"));
}

TEST(DiffTest, ZeroedDumpsPairByAncestry) {
  const std::string text =
      ReadSample("mailinglist_nonroot-zeroed-addresses_x86-laptop.txt");
  const ParsedIomem a =
      Parse("mailinglist_nonroot-zeroed-addresses_x86-laptop.txt");
  // Drop the 10th line (a leaf), as if that device went away.
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  ASSERT_GT(lines.size(), 12u);
  const std::string dropped(lines[9]);
  lines.erase(lines.begin() + 9);
  absl::StatusOr<ParsedIomem> b = ParseIomem(absl::StrJoin(lines, "\n"));
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(b->zeroed);
  DiffOptions o;
  o.zeroed = true;
  EXPECT_TRUE(DiffTrees(a.tree, a.tree, o).empty());
  const IomemDiff d = DiffTrees(a.tree, b->tree, o);
  ASSERT_EQ(d.entries.size(), 1u) << absl::StrJoin(Lines(d), "\n");
  EXPECT_EQ(d.entries[0].changes, DiffEntry::kRemoved);
  EXPECT_EQ(d.entries[0].name, dropped.substr(dropped.find(" : ") + 3));
  EXPECT_FALSE(ApplyDiff(a.tree, d).ok());  // no addresses to rebuild from
}

TEST(DiffTest, SummaryCountsNestedRamOnce) {
  ResourceTree t = ResourceTree::Iomem();
  const ResourceId w =
      *t.Request(t.root(), {Range(0x100000000, 0x1ffffffff), "CXL Window 0"});
  const ResourceId r =
      *t.Request(w, {Range(0x100000000, 0x1ffffffff), "region0"});
  const ResourceId dax =
      *t.Request(r, {Range(0x100000000, 0x1ffffffff), "dax0.0"});
  ASSERT_TRUE(
      t.Request(dax, {Range(0x100000000, 0x1ffffffff), "System RAM (kmem)"})
          .ok());
  const ResourceId ram =
      *t.Request(t.root(), {Range(0x0, 0xfffff), "System RAM"});
  ASSERT_TRUE(t.Request(ram, {Range(0x0, 0xfff), "System RAM"}).ok());
  const IomemSummary s = Summarize(t);
  EXPECT_EQ(s.system_ram, (absl::uint128(1) << 32) + 0x100000);
  EXPECT_THAT(s.cxl_windows, ElementsAre(Range(0x100000000, 0x1ffffffff)));
  EXPECT_EQ(s.regions.size(), 1u);
  EXPECT_EQ(s.dax.size(), 1u);
  EXPECT_EQ(s.kmem.size(), 1u);
}

// A dump big enough to be summarised on two threads, cut inside a System
// RAM block whose nested RAM must not count again; the same tree once
// mutated (so walked on one thread) gives the same summary, lists in order.
TEST(DiffTest, SummaryOfABigTreeIsTheSameOnTwoThreads) {
  std::string text;
  uint64_t a = 0x100000000;
  constexpr uint64_t kStep = 0x10000000;
  auto windows = [&](int count) {
    for (int i = 0; i < count; ++i, a += kStep) {
      const uint64_t e = a + kStep - 1;
      absl::StrAppendFormat(&text, "%x-%x : CXL Window %d\n", a, e, i);
      absl::StrAppendFormat(&text, "  %x-%x : region%d\n", a, e, i);
      absl::StrAppendFormat(&text, "    %x-%x : dax%d.0\n", a, e, i);
      absl::StrAppendFormat(&text, "      %x-%x : System RAM (kmem)\n", a, e);
    }
  };
  windows(4000);
  const uint64_t ram = a;
  constexpr int kRamChildren = 20000;
  absl::StrAppendFormat(&text, "%x-%x : System RAM\n", ram,
                        ram + kRamChildren * 0x1000 - 1);
  for (int i = 0; i < kRamChildren; ++i) {
    absl::StrAppendFormat(&text, "  %x-%x : %s\n", ram + i * 0x1000,
                          ram + i * 0x1000 + 0xfff,
                          i % 2 == 0 ? "System RAM" : "dax9.9");
  }
  a = ram + kStep;
  windows(4000);
  absl::StatusOr<ParsedIomem> p = ParseIomem(text);
  ASSERT_TRUE(p.ok()) << p.status();
  const size_t n = p->tree.size() - 1;
  ASSERT_EQ(n, 4 * 8000u + 1 + kRamChildren);
  ASSERT_GE(n, size_t{1} << 15);  // Summarize's two-thread threshold
  ASSERT_TRUE(
      p->tree.ForEachPreorderSlice(0, 1, [](ResourceId, int, ptrdiff_t) {}));

  const IomemSummary s = Summarize(p->tree);
  EXPECT_EQ(s.system_ram,
            absl::uint128(8000) * kStep + uint64_t{kRamChildren} * 0x1000);
  EXPECT_EQ(s.cxl_window_total.count, 8000u);
  EXPECT_EQ(s.region_total.count, 8000u);
  EXPECT_EQ(s.dax_total.count, 8000u + kRamChildren / 2);
  EXPECT_EQ(s.kmem_total.count, 8000u);
  EXPECT_EQ(s.kmem_total.bytes, absl::uint128(8000) * kStep);

  ResourceTree one_thread = p->tree;
  ASSERT_TRUE(
      one_thread.Request(one_thread.root(), {Range(0x1000, 0x1fff), "Reserved"})
          .ok());
  ASSERT_FALSE(
      one_thread.ForEachPreorderSlice(0, 1, [](ResourceId, int, ptrdiff_t) {}));
  const IomemSummary t = Summarize(one_thread);
  EXPECT_EQ(t.system_ram, s.system_ram);
  EXPECT_EQ(t.cxl_windows, s.cxl_windows);
  EXPECT_EQ(t.regions, s.regions);
  EXPECT_EQ(t.dax, s.dax);
  EXPECT_EQ(t.kmem, s.kmem);
  const IomemSummary counts = Summarize(p->tree, SummaryDetail::kCounts);
  EXPECT_EQ(counts.dax_total.count, s.dax_total.count);
  EXPECT_EQ(counts.dax_total.bytes, s.dax_total.bytes);
  EXPECT_TRUE(counts.dax.empty());
}

RC_GTEST_PROP(DiffProperty, ApplyingTheDiffGivesTheNewTree, ()) {
  const ResourceTree a = *test_support::GenTree();
  ResourceTree b = a;
  test_support::MutateTree(b, 12);
  RC_ASSERT(DiffTrees(a, a).empty());
  RC_ASSERT(DiffTrees(b, b).empty());
  const IomemDiff d = DiffTrees(a, b);
  absl::StatusOr<ResourceTree> rebuilt = ApplyDiff(a, d);
  if (!rebuilt.ok()) RC_FAIL(std::string(rebuilt.status().message()));
  RC_ASSERT(RenderDump(*rebuilt) == RenderDump(b));
  // And backwards.
  absl::StatusOr<ResourceTree> back = ApplyDiff(b, DiffTrees(b, a));
  if (!back.ok()) {
    RC_FAIL(absl::StrCat(back.status().message(), "\nA:\n", RenderDump(a),
                         "B:\n", RenderDump(b)));
  }
  RC_ASSERT(RenderDump(*back) == RenderDump(a));
}

}  // namespace
}  // namespace restree
