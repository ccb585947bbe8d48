#include "cfmws/plan.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cfmws/cedt.h"
#include "cfmws/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tests/status_matchers.h"

namespace restree {
namespace cedt {
namespace {

using ::restree::test_support::StatusIs;
using test_support::FromDescription;
using test_support::ReadTestdata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kW0 = 0x1000000000;  // 64 GiB
constexpr uint64_t kW1 = 0x1100000000;

constexpr char kBridges[] =
    "chbs uid=1 version=1 base=0x1000 length=0x10000\n"
    "chbs uid=2 version=1 base=0x2000 length=0x10000\n";

std::string Window(uint64_t base, uint64_t size, const char* extra = "") {
  return absl::StrFormat(
      "cfmws base=0x%x size=0x%x ways=1 granularity=256 restrictions=0x6 "
      "targets=1 %s\n",
      base, size, extra);
}

void ExpectConsistent(const ResourceTree& t) {
  const std::vector<InvariantViolation> v = t.CheckInvariants();
  EXPECT_TRUE(v.empty()) << (v.empty() ? "" : v[0].message);
}

void AddRam(ResourceTree& t, uint64_t first, uint64_t last) {
  ASSERT_TRUE(t.Request(t.root(), {Range(first, last), "System RAM",
                                   iores::kSystemRam | iores::kBusy})
                  .ok());
  ExpectConsistent(t);
}

PlanResult Plan(const Cedt& cedt, ResourceTree& tree, PlanOptions o = {}) {
  absl::StatusOr<PlanResult> p = PlanWindows(cedt, &tree, o);
  EXPECT_TRUE(p.ok()) << p.status();
  ExpectConsistent(tree);
  return p.ok() ? *p : PlanResult{};
}

TEST(LinuxPlanTest, QemuSampleOnEmptyIomem) {
  ASSERT_OK_AND_ASSIGN(Cedt t,
                       DecodeCedt(ReadTestdata("qemu72-cxl1.CEDT.bin")));
  ResourceTree tree = ResourceTree::Iomem();
  const PlanResult p = Plan(t, tree);
  EXPECT_EQ(RenderProcIomem(tree), "390000000-48fffffff : CXL Window 0\n");
  ASSERT_EQ(p.windows.size(), 1u);
  const WindowPlan& w = p.windows[0];
  EXPECT_EQ(w.subtable_index, 1u);
  EXPECT_EQ(w.window_id, 0);
  EXPECT_EQ(w.fate, WindowFate::kPublished);
  EXPECT_EQ(tree.FlagsOf(w.node), iores::kMem);
  EXPECT_EQ(tree.DescOf(w.node), iores_desc::kCxl);
  EXPECT_EQ(w.decoder, "resource CXL Window 0 [0x390000000-0x48fffffff]");
}

TEST(LinuxPlanTest, AcpicaTemplateNestsIdenticalWindows) {
  ASSERT_OK_AND_ASSIGN(Cedt t,
                       DecodeCedt(ReadTestdata("acpica-template.CEDT.bin")));
  ResourceTree tree = ResourceTree::Iomem();
  const PlanResult p = Plan(t, tree);
  // insert_resource() puts an identical range above the one already there,
  // so the last of each group of identical windows is the top-level one.
  EXPECT_EQ(RenderProcIomem(tree),
            "10000000000-1ffffffffff : CXL Window 3\n"
            "30000000000-3ffffffffff : CXL Window 5\n");
  std::vector<WindowFate> fates;
  for (const WindowPlan& w : p.windows) fates.push_back(w.fate);
  EXPECT_THAT(fates, ElementsAre(WindowFate::kNested, WindowFate::kNested,
                                 WindowFate::kNested, WindowFate::kPublished,
                                 WindowFate::kNested, WindowFate::kPublished));
  // pair_cxl_resource() gives the nested windows' decoders the outer twin.
  EXPECT_THAT(p.windows[0].decoder, HasSubstr("CXL Window 3"));
}

TEST(LinuxPlanTest, ExpandsOverPartialOverlapAndTrimsTheNextWindow) {
  // System RAM starts 1 GiB into window 0 and ends 2 GiB into window 1.
  const Cedt t = FromDescription(
      absl::StrCat(kBridges, Window(kW0, 4 * kGiB), Window(kW1, 4 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  AddRam(tree, kW0 + kGiB, kW1 + 2 * kGiB - 1);
  const PlanResult p = Plan(t, tree);
  EXPECT_EQ(RenderProcIomem(tree),
            "1000000000-117fffffff : CXL Window 0\n"
            "  1040000000-117fffffff : System RAM\n"
            "1180000000-11ffffffff : CXL Window 1\n");
  ASSERT_EQ(p.windows.size(), 2u);
  EXPECT_EQ(p.windows[0].fate, WindowFate::kPublished);
  EXPECT_THAT(p.windows[0].expanded_over,
              ElementsAre("System RAM [0x1040000000-0x117fffffff]"));
  EXPECT_EQ(p.windows[0].range, Range(kW0, kW1 + 2 * kGiB - 1));
  EXPECT_EQ(p.windows[1].fate, WindowFate::kPublished);
  EXPECT_EQ(p.windows[1].trimmed_from, Range(kW1, kW1 + 4 * kGiB - 1));
  EXPECT_THAT(p.windows[1].reason, HasSubstr("trimmed by CXL Window 0"));
  // The trimmed private window no longer contains the CFMWS range, so its
  // root decoder has no iomem resource.
  EXPECT_THAT(p.windows[1].decoder, StartsWith("no iomem resource"));
  EXPECT_THAT(p.windows[0].decoder, StartsWith("resource CXL Window 0"));
}

TEST(LinuxPlanTest, ExpandedWindowSwallowsTheNextOne) {
  const Cedt t = FromDescription(
      absl::StrCat(kBridges, Window(kW0, 4 * kGiB), Window(kW1, 4 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  AddRam(tree, kW0 + kGiB, kW1 + 8 * kGiB - 1);
  const PlanResult p = Plan(t, tree);
  EXPECT_EQ(RenderProcIomem(tree),
            "1000000000-12ffffffff : CXL Window 0\n"
            "  1040000000-12ffffffff : System RAM\n");
  EXPECT_EQ(p.windows[1].fate, WindowFate::kSwallowed);
  EXPECT_THAT(p.windows[1].reason, HasSubstr("deleted from the private tree"));
  EXPECT_THAT(p.windows[1].decoder, StartsWith("no iomem resource"));
}

TEST(LinuxPlanTest, WindowInsideExistingResourceBecomesItsChild) {
  const Cedt t = FromDescription(absl::StrCat(kBridges, Window(kW0, 4 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  ASSERT_TRUE(tree.Insert(tree.root(),
                          {Range(kW0, kW0 + 16 * kGiB - 1), "Soft Reserved",
                           iores::kMem, iores_desc::kSoftReserved})
                  .ok());
  Plan(t, tree);
  EXPECT_EQ(RenderProcIomem(tree),
            "1000000000-13ffffffff : Soft Reserved\n"
            "  1000000000-10ffffffff : CXL Window 0\n");
}

TEST(LinuxPlanTest, FailedVerificationSpendsNoIdButPrivateConflictDoes) {
  const Cedt t = FromDescription(absl::StrCat(
      kBridges,
      // 0: ENIW 5 fails cxl_acpi_cfmws_verify: no id.
      "cfmws base=0x1000000000 size=4G eniw=5 granularity=256 targets=1\n",
      // 1: CXL Window 0.
      Window(kW0, 4 * kGiB),
      // 2: partially overlaps window 0 in the private tree: id 1 is spent.
      Window(kW0 + 2 * kGiB, 4 * kGiB),
      // 3: CXL Window 2.
      Window(kW1, 4 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  const PlanResult p = Plan(t, tree);
  ASSERT_EQ(p.windows.size(), 4u);
  EXPECT_EQ(p.windows[0].fate, WindowFate::kSkipped);
  EXPECT_FALSE(p.windows[0].window_id.has_value());
  EXPECT_THAT(p.windows[0].reason,
              HasSubstr("cxl_acpi_cfmws_verify: Interleave Ways (5) invalid"));
  EXPECT_EQ(p.windows[1].window_id, 0);
  EXPECT_EQ(p.windows[2].fate, WindowFate::kSkipped);
  EXPECT_EQ(p.windows[2].window_id, 1);
  EXPECT_THAT(p.windows[2].reason, HasSubstr("conflict: CXL Window 0"));
  EXPECT_EQ(p.windows[3].window_id, 2);
  EXPECT_EQ(RenderProcIomem(tree),
            "1000000000-10ffffffff : CXL Window 0\n"
            "1100000000-11ffffffff : CXL Window 2\n");
}

TEST(LinuxPlanTest, LinuxVerifyFailures) {
  Cfmws c;
  c.window_size = 4 * kGiB;
  c.targets = {1};
  EXPECT_FALSE(LinuxVerifyFailure(c).has_value());
  c.arithmetic = 3;
  EXPECT_THAT(*LinuxVerifyFailure(c), HasSubstr("Interleave Arithmetic 3"));
  c.arithmetic = 0;
  c.base_hpa = 0x1000;
  EXPECT_THAT(*LinuxVerifyFailure(c), HasSubstr("base HPA not 256MB"));
  c.base_hpa = 0;
  c.window_size = 0x1000;
  EXPECT_THAT(*LinuxVerifyFailure(c), HasSubstr("size not 256MB"));
  c.window_size = 4 * kGiB;
  c.hbig = 9;
  EXPECT_THAT(*LinuxVerifyFailure(c), HasSubstr("eig_to_granularity"));
}

TEST(LinuxPlanTest, XorWindowWithoutCximsIsPublishedWithoutADecoder) {
  const Cedt t = FromDescription(absl::StrCat(
      kBridges,
      "cfmws base=0x1000000000 size=4G ways=2 granularity=4K arithmetic=xor "
      "restrictions=0x6 targets=1,2\n"));
  ResourceTree tree = ResourceTree::Iomem();
  const PlanResult p = Plan(t, tree);
  EXPECT_EQ(p.windows[0].fate, WindowFate::kPublished);
  EXPECT_THAT(p.windows[0].decoder, StartsWith("not registered"));
  EXPECT_THAT(p.windows[0].decoder, HasSubstr("No CXIMS for HBIG"));
}

TEST(LinuxPlanTest, ZeroSizeWindowFailsThePrivateInsert) {
  const Cedt t = FromDescription(absl::StrCat(kBridges, Window(kW0, 0)));
  ResourceTree tree = ResourceTree::Iomem();
  const PlanResult p = Plan(t, tree);
  EXPECT_EQ(p.windows[0].fate, WindowFate::kSkipped);
  EXPECT_EQ(p.windows[0].window_id, 0);
  EXPECT_EQ(tree.size(), 1u);
}

TEST(LinuxPlanTest, NullBase) {
  EXPECT_THAT(PlanWindows(Cedt{}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

std::string TwoWay(uint64_t base, uint64_t size) {
  return absl::StrFormat(
      "cfmws base=0x%x size=0x%x ways=2 granularity=4K restrictions=0x6 "
      "targets=1,2\n",
      base, size);
}

PlanOptions Chunked(uint64_t chunk = 0) {
  PlanOptions o;
  o.mode = PlanMode::kChunked;
  o.chunk_size = chunk;
  return o;
}

TEST(ChunkedPlanTest, ReservesWaysTimes256MChunks) {
  const Cedt t = FromDescription(absl::StrCat(kBridges, TwoWay(kW0, 2 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  const PlanResult p = Plan(t, tree, Chunked());
  EXPECT_EQ(RenderProcIomem(tree),
            "1000000000-107fffffff : CXL Window 0\n"
            "  1000000000-101fffffff : CXL chunk\n"
            "  1020000000-103fffffff : CXL chunk\n"
            "  1040000000-105fffffff : CXL chunk\n"
            "  1060000000-107fffffff : CXL chunk\n");
  EXPECT_EQ(p.windows[0].fate, WindowFate::kReserved);
  EXPECT_EQ(p.windows[0].chunks_reserved, 4u);
  EXPECT_EQ(p.windows[0].chunk_size, 512u << 20);
  for (ResourceId c : tree.Children(p.windows[0].node)) {
    EXPECT_TRUE(tree.IsChunk(c));
    EXPECT_EQ(tree.FlagsOf(c), iores::kMem | iores::kRestreeChunk);
    EXPECT_EQ(tree.DescOf(c), iores_desc::kCxl);
  }
  EXPECT_EQ(tree.ChunkSizeOf(p.windows[0].node), 512u << 20);
}

TEST(ChunkedPlanTest, ChunksLeaveExistingResourcesAlone) {
  const Cedt t = FromDescription(absl::StrCat(kBridges, TwoWay(kW0, 2 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  AddRam(tree, kW0, kW0 + (768u << 20) - 1);  // chunk 0 and half of chunk 1
  const PlanResult p = Plan(t, tree, Chunked());
  EXPECT_EQ(RenderProcIomem(tree),
            "1000000000-107fffffff : CXL Window 0\n"
            "  1000000000-102fffffff : System RAM\n"
            "  1030000000-103fffffff : CXL chunk\n"
            "  1040000000-105fffffff : CXL chunk\n"
            "  1060000000-107fffffff : CXL chunk\n");
  const WindowPlan& w = p.windows[0];
  // The free half of chunk 1 is a chunk of its own.
  EXPECT_EQ(w.chunks_reserved, 3u);
  ASSERT_EQ(w.chunks_left.size(), 2u);
  EXPECT_EQ(w.chunks_left[0].first_chunk, 0u);
  EXPECT_THAT(w.chunks_left[0].why, StartsWith("inside System RAM"));
  EXPECT_EQ(w.chunks_left[1].first_chunk, 1u);
  EXPECT_THAT(w.chunks_left[1].why, StartsWith("partly overlaps System RAM"));
}

TEST(ChunkedPlanTest, ConsecutiveLeftChunksAreMerged) {
  const Cedt t = FromDescription(absl::StrCat(kBridges, TwoWay(kW0, 4 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  AddRam(tree, kW0, kW0 + 3 * kGiB - 1);
  const PlanResult p = Plan(t, tree, Chunked());
  ASSERT_EQ(p.windows[0].chunks_left.size(), 1u);
  EXPECT_EQ(p.windows[0].chunks_left[0].first_chunk, 0u);
  EXPECT_EQ(p.windows[0].chunks_left[0].last_chunk, 5u);
  EXPECT_EQ(p.windows[0].chunks_left[0].range, Range(kW0, kW0 + 3 * kGiB - 1));
  EXPECT_EQ(p.windows[0].chunks_reserved, 2u);
}

TEST(ChunkedPlanTest, ChunkSizeOptionAndShortLastChunk) {
  const Cedt t =
      FromDescription(absl::StrCat(kBridges, TwoWay(kW0, 3 * (512u << 20))));
  ResourceTree tree = ResourceTree::Iomem();
  Plan(t, tree, Chunked(kGiB));
  EXPECT_EQ(RenderProcIomem(tree),
            "1000000000-105fffffff : CXL Window 0\n"
            "  1000000000-103fffffff : CXL chunk\n"
            "  1040000000-105fffffff : CXL chunk\n");
  ResourceTree other = ResourceTree::Iomem();
  const PlanResult p = Plan(t, other, Chunked(768u << 20));
  EXPECT_EQ(p.windows[0].fate, WindowFate::kSkipped);
  EXPECT_THAT(p.windows[0].reason, HasSubstr("not a multiple of 2 ways"));
  EXPECT_EQ(other.size(), 1u);
}

TEST(ChunkedPlanTest, OverlappingWindowIsSkipped) {
  const Cedt t = FromDescription(
      absl::StrCat(kBridges, TwoWay(kW0, 2 * kGiB), TwoWay(kW0, 2 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  const PlanResult p = Plan(t, tree, Chunked());
  EXPECT_EQ(p.windows[1].fate, WindowFate::kSkipped);
  EXPECT_THAT(p.windows[1].reason, HasSubstr("overlaps CXL Window 0"));
}

TEST(ChunkedPlanTest, ConflictWithTheBaseLeavesItUnchanged) {
  const Cedt t = FromDescription(
      absl::StrCat(kBridges, TwoWay(kW0, 2 * kGiB), TwoWay(kW1, 2 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  AddRam(tree, kW1 - kGiB, kW1 + kGiB - 1);  // straddles window 1's start
  const std::string before = RenderDump(tree);
  absl::StatusOr<PlanResult> p = PlanWindows(t, &tree, Chunked());
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(p.status().message(), HasSubstr("System RAM"));
  EXPECT_EQ(RenderDump(tree), before);
  ExpectConsistent(tree);
}

TEST(ChunkedPlanTest, ChunkLimitLeavesTheTreeUnchanged) {
  const Cedt t =
      FromDescription(absl::StrCat(kBridges, TwoWay(kW0, 64 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  PlanOptions o = Chunked();
  o.max_chunks = 100;  // the window needs 128
  absl::StatusOr<PlanResult> p = PlanWindows(t, &tree, o);
  EXPECT_THAT(p, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(tree.size(), 1u);
}

TEST(ChunkedPlanTest, HugeWindowIsRefusedBeforeAllocating) {
  // 2^63 bytes of 256 MiB chunks would be 2^35 nodes.
  const Cedt t = FromDescription(absl::StrCat(
      kBridges,
      "cfmws base=0x0 size=0x8000000000000000 ways=1 granularity=256 "
      "restrictions=0x6 targets=1\n"));
  ResourceTree tree = ResourceTree::Iomem();
  EXPECT_THAT(PlanWindows(t, &tree, Chunked()),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(PlanTest, FormatPlanSaysWhatEachWindowBecame) {
  const Cedt t = FromDescription(
      absl::StrCat(kBridges, Window(kW0, 4 * kGiB), Window(kW1, 4 * kGiB)));
  ResourceTree tree = ResourceTree::Iomem();
  AddRam(tree, kW0 + kGiB, kW1 + 2 * kGiB - 1);
  const std::string s = FormatPlan(Plan(t, tree));
  EXPECT_THAT(s, HasSubstr("CFMWS (subtable 2) CXL Window 0 [0x1000000000, "
                           "size 4G]: published "
                           "[0x1000000000-0x117fffffff]\n"));
  EXPECT_THAT(s, HasSubstr("  expanded over System RAM "
                           "[0x1040000000-0x117fffffff]\n"));
  EXPECT_THAT(s, HasSubstr("  trimmed from [0x1100000000-0x11ffffffff]\n"));
}

}  // namespace
}  // namespace cedt
}  // namespace restree
