// Tests of ResourceTree's own API: ids and their lifetime, navigation,
// errors and their payloads, copies, the invariant checkers (fed corrupted
// trees), rendering, and the value types. The kernel semantics of each
// operation are tested in tests/kernel_semantics_test.cc and
// tests/differential_test.cc.

#include "resource_tree/resource_tree.h"

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/internal/huge_page_allocator.h"
#include "resource_tree/render.h"
#include "resource_tree/tree_builder.h"
#include "tests/status_matchers.h"

namespace restree {

// Reaches into a tree to corrupt it, so that the checker can be shown to
// catch each kind of damage.
class ResourceTreeTestPeer {
 public:
  static void SetRange(ResourceTree& t, ResourceId id, uint64_t first,
                       uint64_t last) {
    auto& n = t.store_.nodes_[t.IndexOf(id)];
    n.first = first;
    n.last = last;
  }
  // Changes a node's start without rekeying its index entry.
  static void SetFirstOnly(ResourceTree& t, ResourceId id, uint64_t first) {
    t.store_.nodes_[t.IndexOf(id)].first = first;
  }
  static void DropIndexEntry(ResourceTree& t, ResourceId id) {
    t.store_.RawUnlink(t.IndexOf(id));
  }
  static void SetParentOnly(ResourceTree& t, ResourceId id, ResourceId p) {
    t.store_.nodes_[t.IndexOf(id)].parent = t.IndexOf(p);
  }
  static void SetNameId(ResourceTree& t, ResourceId id, uint32_t name) {
    t.store_.nodes_[t.IndexOf(id)].name = name;
  }
  static size_t NodeBytes() { return sizeof(internal::Node); }
  static void AddLiveCount(ResourceTree& t, int delta) {
    t.store_.live_count_ += delta;
  }
  static void PushFreeSlot(ResourceTree& t, ResourceId id) {
    t.store_.free_slots_.push_back(t.IndexOf(id));
  }
  static void KillParentSlot(ResourceTree& t, ResourceId id) {
    // Make the node's parent slot look free without touching the index.
    t.store_.nodes_[t.store_.nodes_[t.IndexOf(id)].parent].generation += 1;
  }
  static void RefName(ResourceTree& t, ResourceId id) {
    t.store_.names_.Ref(t.store_.nodes_[t.IndexOf(id)].name);
  }
  static size_t LiveNames(const ResourceTree& t) {
    return t.store_.names().live_names();
  }
};

namespace {

using ::restree::test_support::IsOk;
using ::restree::test_support::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kRamFlags = iores::kSystemRam | iores::kBusy;

std::vector<std::string> Names(const ResourceTree& t,
                               const std::vector<ResourceId>& ids) {
  std::vector<std::string> out;
  for (ResourceId id : ids) out.emplace_back(t.NameOf(id));
  return out;
}

std::vector<InvariantViolation::Kind> Kinds(
    const std::vector<InvariantViolation>& v) {
  std::vector<InvariantViolation::Kind> out;
  for (const auto& x : v) out.push_back(x.kind);
  return out;
}

TEST(RangeTest, InclusiveBoundsReachTheTop) {
  EXPECT_EQ(Range::Full().size(), absl::uint128(1) << 64);
  EXPECT_EQ(Range::Full().size_wrapping(), 0u);
  EXPECT_EQ(Range(5, 5).size(), 1);
  ASSERT_OK_AND_ASSIGN(Range top, Range::FromStartSize(kMaxAddress, 1));
  EXPECT_EQ(top, Range(kMaxAddress, kMaxAddress));
  EXPECT_THAT(Range::FromStartSize(kMaxAddress, 2),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(Range::FromStartSize(0x1000, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(Range::FromStartSizeWrapping(0x1000, 0).valid());
  EXPECT_EQ(Range::FromStartSizeWrapping(0, 0), Range::Full());
}

TEST(RangeTest, OverlapAndIntersectionFollowTheKernel) {
  EXPECT_TRUE(Range(0, 10).Overlaps(Range(10, 20)));
  EXPECT_FALSE(Range(0, 9).Overlaps(Range(10, 20)));  // adjacent only
  EXPECT_EQ(Range(0, 15).Intersection(Range(10, 20)), Range(10, 15));
  EXPECT_EQ(Range(0, 9).Intersection(Range(10, 20)), std::nullopt);
  EXPECT_EQ(Range(0, 15).Union(Range(10, 20)), Range(0, 20));
  EXPECT_EQ(Range(0, 9).Union(Range(10, 20)), std::nullopt);  // adjacent
  EXPECT_TRUE(Range(0, 20).Contains(Range(10, 20)));
  EXPECT_FALSE(Range(0, 19).Contains(Range(10, 20)));
  EXPECT_EQ(Range(0x1000, 0x1fff).ToString(), "[0x1000-0x1fff]");
}

TEST(RangeTest, KernelAlignIsMaskArithmetic) {
  EXPECT_EQ(KernelAlign(0x1001, 0x1000), 0x2000u);
  EXPECT_EQ(KernelAlign(0x1000, 0x1000), 0x1000u);
  EXPECT_EQ(KernelAlign(0x1234, 0), 0u);  // the kernel's ALIGN(x, 0)
  EXPECT_EQ(KernelAlign(kMaxAddress, 0x1000), 0u);  // wraps; callers check
  // Not a power of two: (x + 2) & ~2, not a rounding.
  EXPECT_EQ(KernelAlign(5, 3), (5u + 2u) & ~2u);
}

TEST(FlagsTest, NamesRoundTrip) {
  const uint64_t f = kRamFlags | iores::kSysramDriverManaged;
  EXPECT_EQ(FlagsToString(f), "MEM|SYSRAM|SYSRAM_DRIVER_MANAGED|BUSY");
  uint64_t back = 0;
  ASSERT_TRUE(ParseFlags(FlagsToString(f), &back));
  EXPECT_EQ(back, f);
  EXPECT_EQ(FlagsToString(0), "0");
  EXPECT_EQ(FlagsToString(iores::kMem | 0x40), "MEM|0x40");
  ASSERT_TRUE(ParseFlags("0x80000200", &back));
  EXPECT_EQ(back, iores::kMem | iores::kBusy);
  EXPECT_FALSE(ParseFlags("MEM|NOPE", &back));
  EXPECT_FALSE(ParseFlags("", &back));
  EXPECT_EQ(DescToString(iores_desc::kCxl), "CXL");
  EXPECT_EQ(DescToString(42), "42");
}

TEST(KernelProfileTest, ProfilesByName) {
  for (const KernelProfile& p : KernelProfile::All()) {
    ASSERT_TRUE(KernelProfile::ByName(p.name).has_value()) << p.name;
    EXPECT_EQ(KernelProfile::ByName(p.name)->name, p.name);
  }
  EXPECT_FALSE(KernelProfile::ByName("linux-2.4").has_value());
  EXPECT_EQ(KernelProfile::Linux70().proc_max_depth, 8);
  EXPECT_FALSE(KernelProfile::Vanilla61().region_intersects_descendants);
}

TEST(ResourceTreeTest, RootsAreTheKernels) {
  ResourceTree mem = ResourceTree::Iomem();
  EXPECT_EQ(mem.RangeOf(mem.root()), Range::Full());
  EXPECT_EQ(mem.NameOf(mem.root()), "PCI mem");
  EXPECT_EQ(mem.FlagsOf(mem.root()), iores::kMem);
  EXPECT_EQ(mem.size(), 1u);
  ResourceTree io = ResourceTree::Ioport();
  EXPECT_EQ(io.RangeOf(io.root()), Range(0, 0xffff));
  EXPECT_EQ(io.FlagsOf(io.root()), iores::kIo);
}

TEST(ResourceTreeTest, IdsSurviveUnrelatedMutationsAndMoves) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId a,
                       t.Request(t.root(), {Range(0x1000, 0x1fff), "A"}));
  ASSERT_OK_AND_ASSIGN(ResourceId b,
                       t.Request(t.root(), {Range(0x3000, 0x3fff), "B"}));
  // Insert above both, then remove it again: A and B move twice.
  ASSERT_OK_AND_ASSIGN(ResourceId bus,
                       t.Insert(t.root(), {Range(0x0, 0xffff), "Bus"}));
  EXPECT_EQ(t.ParentOf(a), bus);
  ASSERT_THAT(t.Adjust(b, 0x4000, 0x1000), IsOk());
  ASSERT_THAT(t.Remove(bus), IsOk());
  EXPECT_TRUE(t.Contains(a));
  EXPECT_TRUE(t.Contains(b));
  EXPECT_FALSE(t.Contains(bus));
  EXPECT_EQ(t.ParentOf(a), t.root());
  EXPECT_EQ(t.RangeOf(b), Range(0x4000, 0x4fff));
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
}

TEST(ResourceTreeTest, StaleIdsAreRefusedNotAliased) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId a,
                       t.Request(t.root(), {Range(0x1000, 0x1fff), "A"}));
  ASSERT_THAT(t.Release(a), IsOk());
  // The slot is reused by the next node; the old id must not name it.
  ASSERT_OK_AND_ASSIGN(ResourceId b,
                       t.Request(t.root(), {Range(0x1000, 0x1fff), "B"}));
  EXPECT_NE(a, b);
  EXPECT_FALSE(t.Contains(a));
  EXPECT_THAT(t.Get(a), StatusIs(absl::StatusCode::kNotFound));
  const absl::Status s = t.Remove(a);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(GetKernelError(s).outcome, KernelOutcome::kContractViolation);
  EXPECT_TRUE(t.Contains(b));
  EXPECT_FALSE(t.Contains(ResourceId()));
  EXPECT_EQ(ResourceId::FromValue(b.value()), b);
}

TEST(ResourceTreeTest, Navigation) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId ram,
                       t.Request(t.root(), {Range(0x100000, 0x7fffffff),
                                            "System RAM", kRamFlags}));
  ASSERT_OK_AND_ASSIGN(ResourceId code,
                       t.Request(ram, {Range(0x1000000, 0x1dfffff),
                                       "Kernel code", iores::kMem}));
  ASSERT_OK_AND_ASSIGN(ResourceId data,
                       t.Request(ram, {Range(0x2000000, 0x22fffff),
                                       "Kernel data", iores::kMem}));
  ASSERT_OK_AND_ASSIGN(ResourceId pci,
                       t.Request(t.root(), {Range(0x80000000, 0xfebfffff),
                                            "PCI Bus 0000:00", iores::kMem}));
  EXPECT_EQ(t.FirstChild(t.root()), ram);
  EXPECT_EQ(t.LastChild(t.root()), pci);
  EXPECT_EQ(t.NextSibling(ram), pci);
  EXPECT_EQ(t.PrevSibling(pci), ram);
  EXPECT_FALSE(t.NextSibling(pci).valid());
  EXPECT_FALSE(t.PrevSibling(ram).valid());
  EXPECT_THAT(Names(t, t.Children(ram)),
              ElementsAre("Kernel code", "Kernel data"));
  EXPECT_THAT(Names(t, t.PreorderIds()),
              ElementsAre("System RAM", "Kernel code", "Kernel data",
                          "PCI Bus 0000:00"));
  EXPECT_EQ(t.Depth(code), 1);
  EXPECT_EQ(t.Depth(pci), 0);
  EXPECT_FALSE(t.ParentOf(t.root()).valid());
  // Lookup: the deepest node holding the address.
  EXPECT_EQ(t.Lookup(0x1000000), code);
  EXPECT_EQ(t.Lookup(0x1e00000), ram);
  EXPECT_EQ(t.Lookup(0x22fffff), data);
  EXPECT_EQ(t.Lookup(0x50), t.root());
  EXPECT_EQ(t.Lookup(kMaxAddress), t.root());
  EXPECT_EQ(t.LookupResource(t.root(), 0x80000000), pci);
  EXPECT_FALSE(t.LookupResource(t.root(), 0x1000000).valid());
  ASSERT_OK_AND_ASSIGN(ResourceView v, t.Get(data));
  EXPECT_EQ(v.parent, ram);
  EXPECT_EQ(v.range, Range(0x2000000, 0x22fffff));
}

TEST(ResourceTreeTest, NamesAreInterned) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId a, t.Request(t.root(), {Range(0x0, 0xfff),
                                                          "System RAM"}));
  ASSERT_OK_AND_ASSIGN(
      ResourceId b, t.Request(t.root(), {Range(0x2000, 0x2fff), "System RAM"}));
  EXPECT_EQ(t.NameOf(a).data(), t.NameOf(b).data());
  ASSERT_THAT(t.Rename(b, "Reserved"), IsOk());
  EXPECT_EQ(t.NameOf(b), "Reserved");
  EXPECT_EQ(t.NameOf(a), "System RAM");
}

TEST(ResourceTreeTest, ConflictPayloadNamesTheNode) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId ram,
                       t.Request(t.root(), {Range(0x1000, 0x1fff), "System RAM",
                                            kRamFlags}));
  const std::string before = RenderDump(t);
  absl::StatusOr<ResourceId> r =
      t.Request(t.root(), {Range(0x1800, 0x27ff), "dev", iores::kMem});
  ASSERT_THAT(r, StatusIs(absl::StatusCode::kAlreadyExists));
  const KernelError e = GetKernelError(r.status());
  EXPECT_EQ(e.outcome, KernelOutcome::kConflict);
  EXPECT_EQ(e.errno_value, kerrno::kEBUSY);
  EXPECT_EQ(e.conflict, ram);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("[mem 0x00001800-0x000027ff] \"dev\": conflicts with "
                        "[mem 0x00001000-0x00001fff] \"System RAM\""));
  EXPECT_EQ(RenderDump(t), before);
}

TEST(ResourceTreeTest, ErrorCodesForEachOutcome) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId a,
                       t.Request(t.root(), {Range(0x1000, 0x1fff), "A"}));
  EXPECT_THAT(t.Adjust(a, 0x1000, 0), StatusIs(absl::StatusCode::
                                                   kFailedPrecondition));
  EXPECT_THAT(t.ReleaseRegion(t.root(), 0x1000, 0x1000),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(t.AllocFreeMemRegion(a, 0x10000, 0x1000, "big"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(GetKernelError(t.AllocFreeMemRegion(a, 0x10000, 0x1000, "big")
                               .status())
                .errno_value,
            kerrno::kERANGE);
  ASSERT_OK_AND_ASSIGN(ResourceId m,
                       t.RequestRegion(t.root(), 0x3000, 0x10, "m",
                                       iores::kMuxed));
  absl::StatusOr<ResourceId> sleep =
      t.RequestRegion(t.root(), 0x3000, 0x10, "m2", iores::kMuxed);
  EXPECT_THAT(sleep, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(GetKernelError(sleep.status()).conflict, m);
  EXPECT_EQ(GetKernelError(absl::OkStatus()).outcome, KernelOutcome::kOk);
  EXPECT_EQ(GetKernelError(absl::InternalError("x")).outcome,
            KernelOutcome::kError);
}

// get_free_mem_region walks a window's children once across all its
// candidates. Descending, a candidate can overlap several children and the
// jump is below the lowest of them; ascending with a large alignment, a jump
// can pass children that no candidate overlaps. Expected placements worked
// out by hand from the kernel's loop, for both stepping rules.
TEST(ResourceTreeTest, FreeRegionWalksPastManyChildren) {
  for (const KernelProfile& profile :
       {KernelProfile::Debian61(), KernelProfile::Linux612()}) {
    SCOPED_TRACE(profile.name);
    ResourceTree t = ResourceTree::Iomem(profile);
    ASSERT_OK_AND_ASSIGN(
        ResourceId down,
        t.Request(t.root(), {Range(0x0, 0xfffff), "down", iores::kMem}));
    for (uint64_t s : {0xf0000, 0xf2000, 0xf4000, 0xf9000, 0xfb000, 0xfd000}) {
      ASSERT_OK(t.Request(down, {Range(s, s + 0xfff), "c", iores::kMem})
                    .status());
    }
    // First candidate [0xf8000, 0xfffff]: its lowest overlap is 0xf9000.
    // Below it, the candidate meets 0xf2000 (and 0xf4000), then 0xf0000;
    // [0xe8000, 0xeffff] is free.
    FreeRegionMode descending;
    descending.descending = true;
    ASSERT_OK_AND_ASSIGN(ResourceId d,
                         t.GetFreeMemRegion(down, 0x8000, 0x1000, "d",
                                            iores_desc::kNone, descending));
    EXPECT_EQ(t.RangeOf(d), Range(0xe8000, 0xeffff));
    EXPECT_EQ(t.ParentOf(d), down);

    ASSERT_OK_AND_ASSIGN(
        ResourceId up,
        t.Request(t.root(), {Range(0x100000, 0x4fffff), "up", iores::kMem}));
    for (const Range& r : {Range(0x100000, 0x100fff), Range(0x180000, 0x180fff),
                           Range(0x200000, 0x2fffff), Range(0x310000, 0x310fff)}) {
      ASSERT_OK(t.Request(up, {r, "c", iores::kMem}).status());
    }
    // 1 MiB candidates: 0x100000 (taken), 0x200000 (taken; 0x180000 lies
    // between the two and is passed), 0x300000 (taken), 0x400000.
    ASSERT_OK_AND_ASSIGN(ResourceId a,
                         t.AllocFreeMemRegion(up, 0x1000, 0x100000, "a"));
    EXPECT_EQ(t.RangeOf(a), Range(0x400000, 0x4fffff));
    EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  }
}

TEST(ResourceTreeTest, ExpandToFitReportsWhatItGrewOver) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId ram,
                       t.Request(t.root(), {Range(0x100000, 0x17ffff),
                                            "System RAM", kRamFlags}));
  ASSERT_OK_AND_ASSIGN(ResourceId hole,
                       t.Request(t.root(), {Range(0x1f0000, 0x20ffff),
                                            "Reserved", iores::kMem}));
  std::vector<ResourceId> over;
  ASSERT_OK_AND_ASSIGN(
      ResourceId w,
      t.InsertExpandToFit(t.root(),
                          {Range(0x140000, 0x1fffff), "CXL Window 0",
                           iores::kMem, iores_desc::kCxl},
                          &over));
  EXPECT_THAT(over, ElementsAre(ram, hole));
  EXPECT_EQ(t.RangeOf(w), Range(0x100000, 0x20ffff));
  EXPECT_THAT(t.Children(w), ElementsAre(ram, hole));
}

TEST(ResourceTreeTest, CopiesAreIndependent) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(ResourceId a,
                       t.Request(t.root(), {Range(0x1000, 0x1fff), "A"}));
  ResourceTree copy = t;
  ASSERT_THAT(copy.Release(a), IsOk());
  ASSERT_THAT(copy.Request(copy.root(), {Range(0x1000, 0x1fff), "new name"})
                  .status(),
              IsOk());
  EXPECT_TRUE(t.Contains(a));
  EXPECT_EQ(t.NameOf(a), "A");
  EXPECT_EQ(RenderProcIomem(copy), "00001000-00001fff : new name\n");
  EXPECT_EQ(RenderProcIomem(t), "00001000-00001fff : A\n");
}

TEST(ResourceTreeTest, NodeFitsTheMemoryBudget) {
  // 40 bytes per node plus its B-tree index entry (16 bytes) keeps a node
  // within the kernel's 64-byte struct resource; docs/performance.md has the
  // measured total.
  EXPECT_LE(ResourceTreeTestPeer::NodeBytes(), 40u);
}

// ---------------------------------------------------------------------------
// The checker, fed damage it must find.

class CheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(a_, t_.Request(t_.root(), {Range(0x1000, 0x1fff),
                                                    "A"}));
    ASSERT_OK_AND_ASSIGN(b_, t_.Request(t_.root(), {Range(0x3000, 0x3fff),
                                                    "B"}));
    ASSERT_OK_AND_ASSIGN(c_, t_.Request(a_, {Range(0x1100, 0x11ff), "C"}));
    ASSERT_THAT(t_.CheckInvariants(), IsEmpty());
  }
  ResourceTree t_ = ResourceTree::Iomem();
  ResourceId a_, b_, c_;
};

// One kind per bookkeeping check, so a test can say which one fired.
TEST_F(CheckerTest, LiveCountOffByOne) {
  ResourceTreeTestPeer::AddLiveCount(t_, 1);
  EXPECT_THAT(Kinds(t_.CheckInvariants()),
              ElementsAre(InvariantViolation::Kind::kLiveCount));
}

TEST_F(CheckerTest, LiveSlotOnTheFreeList) {
  ResourceTreeTestPeer::PushFreeSlot(t_, b_);
  EXPECT_THAT(Kinds(t_.CheckInvariants()),
              ElementsAre(InvariantViolation::Kind::kFreeList));
}

TEST_F(CheckerTest, ParentSlotFreed) {
  ResourceTreeTestPeer::KillParentSlot(t_, c_);
  EXPECT_THAT(Kinds(t_.CheckInvariants()),
              ::testing::Contains(InvariantViolation::Kind::kDeadParent));
}

TEST_F(CheckerTest, NameReferenceCountOff) {
  ResourceTreeTestPeer::RefName(t_, c_);
  const auto v = t_.CheckInvariants();
  ASSERT_THAT(Kinds(v), ElementsAre(InvariantViolation::Kind::kNameRefs));
  EXPECT_THAT(v[0].message, HasSubstr("\"C\""));
}

// Regions created and destroyed under distinct names (region0, region1, ...)
// do not accumulate names: each name is freed with its last holder.
TEST(ResourceTreeTest, NameChurnKeepsTheNameTableFlat) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(
      ResourceId w,
      t.Request(t.root(), {Range(0x100000000, 0x1ffffffff), "CXL Window 0",
                           iores::kMem, iores_desc::kCxl}));
  const size_t names_before = ResourceTreeTestPeer::LiveNames(t);
  for (int i = 0; i < 20000; ++i) {
    ASSERT_OK_AND_ASSIGN(ResourceId r,
                         t.AllocFreeMemRegion(w, 0x10000000, 0x10000000,
                                              absl::StrCat("region", i)));
    ASSERT_OK_AND_ASSIGN(ResourceId d,
                         t.RequestRegion(r, t.RangeOf(r).first(), 0x10000000,
                                         absl::StrCat("dax", i, ".0"), 0));
    ASSERT_THAT(t.Rename(d, absl::StrCat("dax", i, ".1")), IsOk());
    ASSERT_THAT(t.Release(r), IsOk());
  }
  EXPECT_EQ(ResourceTreeTestPeer::LiveNames(t), names_before);
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
}

TEST_F(CheckerTest, InvertedRange) {
  ResourceTreeTestPeer::SetRange(t_, b_, 0x3000, 0x2fff);
  const auto v = t_.CheckInvariants();
  ASSERT_THAT(Kinds(v), ::testing::Contains(
                            InvariantViolation::Kind::kInvalidRange));
  EXPECT_THAT(v[0].nodes, ElementsAre(b_));
}

TEST_F(CheckerTest, ChildOutsideParent) {
  ResourceTreeTestPeer::SetRange(t_, c_, 0x1100, 0x20ff);
  EXPECT_THAT(Kinds(t_.CheckInvariants()),
              ::testing::Contains(InvariantViolation::Kind::kOutsideParent));
}

TEST_F(CheckerTest, OverlappingSiblingsAndPartialOverlap) {
  ResourceTreeTestPeer::SetRange(t_, a_, 0x1000, 0x30ff);
  const auto kinds = Kinds(t_.CheckInvariants());
  EXPECT_THAT(kinds, ::testing::Contains(
                         InvariantViolation::Kind::kOverlappingSiblings));
  EXPECT_THAT(kinds,
              ::testing::Contains(InvariantViolation::Kind::kPartialOverlap));
}

TEST_F(CheckerTest, IndexOutOfStep) {
  ResourceTreeTestPeer::SetFirstOnly(t_, b_, 0x3100);
  EXPECT_THAT(Kinds(t_.CheckInvariants()),
              ::testing::Contains(InvariantViolation::Kind::kIndexEntry));
}

TEST_F(CheckerTest, UnreachableNode) {
  ResourceTreeTestPeer::DropIndexEntry(t_, a_);
  const auto kinds = Kinds(t_.CheckInvariants());
  EXPECT_THAT(kinds,
              ::testing::Contains(InvariantViolation::Kind::kUnreachable));
  EXPECT_THAT(kinds,
              ::testing::Contains(InvariantViolation::Kind::kIndexEntry));
}

TEST_F(CheckerTest, ParentLinkDisagreesWithIndex) {
  ResourceTreeTestPeer::SetParentOnly(t_, c_, b_);
  EXPECT_THAT(Kinds(t_.CheckInvariants()),
              ::testing::Contains(InvariantViolation::Kind::kIndexEntry));
}

TEST_F(CheckerTest, BadNameId) {
  ResourceTreeTestPeer::SetNameId(t_, c_, 999);
  EXPECT_THAT(Kinds(t_.CheckInvariants()),
              ::testing::Contains(InvariantViolation::Kind::kBadName));
}

TEST_F(CheckerTest, PreorderGoingBackInAddress) {
  // C keeps its index key but claims an address below its parent's start;
  // the pre-order walk then goes from A (0x1000) to C (0x800).
  ResourceTreeTestPeer::SetRange(t_, c_, 0x800, 0x8ff);
  EXPECT_THAT(Kinds(t_.CheckInvariants()),
              ::testing::Contains(
                  InvariantViolation::Kind::kPreorderNotMonotone));
}

// ---------------------------------------------------------------------------
// Rendering.

TEST(RenderTest, WidthDepthCapAndUnprivilegedView) {
  ResourceTree t = ResourceTree::Iomem();
  ResourceId parent = t.root();
  // Seven nested levels: the cap of 5 flattens the last two.
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK_AND_ASSIGN(parent,
                         t.Request(parent, {Range(0x1000, 0x1fff),
                                            absl::StrCat("L", i)}));
  }
  ASSERT_OK(t.Request(t.root(), {Range(0x123456789, 0x12345678a), ""})
                .status());
  EXPECT_EQ(RenderProcIomem(t),
            "00001000-00001fff : L0\n"
            "  00001000-00001fff : L1\n"
            "    00001000-00001fff : L2\n"
            "      00001000-00001fff : L3\n"
            "        00001000-00001fff : L4\n"
            "          00001000-00001fff : L5\n"
            "          00001000-00001fff : L6\n"
            "123456789-12345678a : \n");
  ProcRenderOptions eight;
  eight.max_depth = 8;
  EXPECT_THAT(RenderProcIomem(t, eight),
              HasSubstr("\n            00001000-00001fff : L6\n"));
  ProcRenderOptions zero;
  zero.zero_addresses = true;
  EXPECT_THAT(RenderProcIomem(t, zero),
              HasSubstr("\n  00000000-00000000 : L1\n"));
  ResourceTree io = ResourceTree::Ioport();
  ASSERT_OK(io.Request(io.root(), {Range(0x20, 0x21), "pic1"}).status());
  EXPECT_EQ(RenderProcIomem(io), "0020-0021 : pic1\n");
}

TEST(RenderTest, DumpShowsFlagsAndDesc) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK(t.Request(t.root(), {Range(0x1000, 0x1fff), "System RAM",
                                 kRamFlags, 0})
                .status());
  EXPECT_EQ(RenderDump(t),
            "0000000000000000-ffffffffffffffff : PCI mem flags=0x200 desc=0\n"
            "  0000000000001000-0000000000001fff : System RAM "
            "flags=0x81000200 desc=0\n");
}

TEST(HugePageAllocator, LargeBlocksAreHugePageAligned) {
  internal::HugePageAllocator<uint64_t> a;
  const size_t big = (3 << 20) / sizeof(uint64_t);
  uint64_t* p = a.allocate(big);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (2 << 20), 0u);
  for (size_t i = 0; i < big; ++i) p[i] = i;
  EXPECT_EQ(p[big - 1], big - 1);
  a.deallocate(p, big);
  uint64_t* small = a.allocate(3);
  small[2] = 7;
  a.deallocate(small, 3);
}

// A tree whose node array outgrows the huge-page threshold while being
// built, copied and mutated.
TEST(ResourceTreeTest, LargeTreeBuildsCopiesAndMutates) {
  TreeBuilder b({Range::Full(), "PCI mem", iores::kMem});
  constexpr uint64_t kNodes = 200000;
  for (uint64_t i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(b.Append(b.root(), {Range(i * 0x1000, i * 0x1000 + 0xfff),
                                    i % 2 ? "System RAM" : "Reserved"})
                    .ok());
  }
  ResourceTree t = std::move(b).Finish();
  ResourceTree copy = t;
  ASSERT_THAT(copy.Request(copy.root(), {Range(kNodes * 0x1000, kNodes * 0x1000),
                                         "one more"}),
              IsOk());
  EXPECT_EQ(t.size(), kNodes + 1);
  EXPECT_EQ(copy.size(), kNodes + 2);
  EXPECT_THAT(copy.CheckInvariants(), ::testing::IsEmpty());
  EXPECT_EQ(RenderProcIomem(t) + absl::StrFormat("%08x-%08x : one more\n",
                                                  kNodes * 0x1000,
                                                  kNodes * 0x1000),
            RenderProcIomem(copy));
}


// Builds `lines` (pre-order, with depths) one node at a time.
struct PreorderLine {
  size_t depth;
  Range range;
  std::string name;
};

std::vector<PreorderLine> NestedLines(int groups) {
  std::vector<PreorderLine> out;
  for (int g = 0; g < groups; ++g) {
    const uint64_t a = uint64_t{0x100000} * g;
    out.push_back({0, Range(a, a + 0xfffff), g % 3 ? "System RAM" : "PCI Bus"});
    out.push_back({1, Range(a, a + 0xfff), "Kernel code"});
    out.push_back({1, Range(a + 0x1000, a + 0x7fff), absl::StrCat("dev", g)});
    out.push_back({2, Range(a + 0x2000, a + 0x2fff), absl::StrCat("bar", g % 7)});
  }
  return out;
}

ResourceTree BuildSequentially(const std::vector<PreorderLine>& lines) {
  TreeBuilder b({Range::Full(), "PCI mem", iores::kMem});
  std::vector<ResourceId> path = {b.root()};
  for (const PreorderLine& l : lines) {
    path.resize(l.depth + 1);
    path.push_back(*b.Append(path.back(), {l.range, l.name}));
  }
  return std::move(b).Finish();
}

// The same tree through Request(): its child index built as it grows.
ResourceTree BuildByRequests(const std::vector<PreorderLine>& lines) {
  ResourceTree t = ResourceTree::Iomem();
  std::vector<ResourceId> path = {t.root()};
  for (const PreorderLine& l : lines) {
    path.resize(l.depth + 1);
    path.push_back(*t.Request(path.back(), {l.range, l.name}));
  }
  return t;
}

TEST(TreeBuilderPartsTest, PartsOnThreadsBuildTheSequentialTree) {
  const std::vector<PreorderLine> lines = NestedLines(3000);
  const ResourceTree sequential = BuildSequentially(lines);
  // Three parts, cut at top-level lines, each filled on its own thread, each
  // with exactly the name bytes it needs.
  const std::vector<size_t> cut = {0, 4 * 1000, 4 * 2500, lines.size()};
  std::vector<size_t> bytes_before = {0};
  for (size_t k = 0; k < 3; ++k) {
    size_t bytes = 0;
    for (size_t i = cut[k]; i < cut[k + 1]; ++i) bytes += lines[i].name.size();
    bytes_before.push_back(bytes_before.back() + bytes);
  }
  TreeBuilder b({Range::Full(), "PCI mem", iores::kMem});
  std::vector<TreeBuilder::Part> parts =
      b.Split(3, lines.size() + 10, bytes_before.back());
  std::vector<int> failures(3, 0);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < 3; ++k) {
    threads.emplace_back([&, k] {
      TreeBuilder::Part& part = parts[k];
      part.Begin(cut[k], bytes_before[k],
                 bytes_before[k + 1] - bytes_before[k]);
      for (size_t i = cut[k]; i < cut[k + 1]; ++i) {
        const PreorderLine& l = lines[i];
        if (part.Append(l.depth, l.range, l.name) !=
            TreeBuilder::Problem::kNone) {
          ++failures[k];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(failures, ElementsAre(0, 0, 0));
  absl::StatusOr<ResourceTree> joined = std::move(b).Join(std::move(parts));
  ASSERT_THAT(joined, IsOk());
  EXPECT_THAT(joined->CheckInvariants(), IsEmpty());
  EXPECT_EQ(RenderDump(*joined), RenderDump(sequential));
  EXPECT_EQ(joined->size(), lines.size() + 1);
  for (size_t k = 1; k <= lines.size(); k += 997) {
    EXPECT_EQ(joined->NameOf(TreeBuilder::NodeId(k)), lines[k - 1].name);
    EXPECT_EQ(joined->View(TreeBuilder::NodeId(k)).range, lines[k - 1].range);
  }
}

// Parts copy names (their input may go before Join()), and keep them
// verbatim: the same text in two parts has two ids, and the tree compares
// names by text, so the kernel's merge of adjacent System RAM (which needs
// equal names) still happens.
TEST(TreeBuilderPartsTest, VerbatimNamesCompareByText) {
  TreeBuilder b({Range::Full(), "PCI mem", iores::kMem});
  std::vector<TreeBuilder::Part> parts = b.Split(2, 2, 64);
  const uint64_t ram = iores::kSystemRam | iores::kBusy;
  parts[0].Begin(0, 0, 32);
  parts[1].Begin(1, 32, 32);
  {
    const std::string second_name = "System RAM";
    ASSERT_EQ(parts[1].Append(0, Range(0x1000, 0x1fff), second_name, ram),
              TreeBuilder::Problem::kNone);
  }
  ASSERT_EQ(parts[0].Append(0, Range(0x0, 0xfff), "System RAM", ram),
            TreeBuilder::Problem::kNone);
  absl::StatusOr<ResourceTree> t = std::move(b).Join(std::move(parts));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->NameOf(TreeBuilder::NodeId(2)), "System RAM");
  // Both must be marked mergeable (the kernel compares whole flags).
  ASSERT_THAT(t->MergeSystemRam(TreeBuilder::NodeId(1)), IsOk());
  absl::StatusOr<ResourceId> merged = t->MergeSystemRam(TreeBuilder::NodeId(2));
  ASSERT_THAT(merged, IsOk());
  EXPECT_EQ(*merged, TreeBuilder::NodeId(1));
  EXPECT_EQ(t->RangeOf(*merged), Range(0x0, 0x1fff));
  EXPECT_THAT(t->CheckInvariants(), IsEmpty());
}

// (id, depth) pairs in ForEachPreorder() order.
std::vector<std::pair<uint64_t, int>> PreorderWithDepth(const ResourceTree& t) {
  std::vector<std::pair<uint64_t, int>> out;
  t.ForEachPreorder(
      [&](ResourceId id, int depth) { out.emplace_back(id.value(), depth); });
  return out;
}

// A tree from TreeBuilder has no child index until something needs it;
// several threads that need it at once get one index, and the same answers
// as a tree whose index was built by operations.
TEST(DeferredIndexTest, ConcurrentFirstQueriesAgreeWithAnOpsBuiltTree) {
  const std::vector<PreorderLine> lines = NestedLines(2000);
  const ResourceTree by_ops = BuildByRequests(lines);
  // Query q of thread k; each thread starts with a different kind.
  auto ask = [](const ResourceTree& t, size_t k, size_t q) -> uint64_t {
    const uint64_t addr = (q * 7919 + k * 104729) % (0x100000 * 2000);
    switch ((q + k) % 4) {
      case 0:
        return t.Lookup(addr).value();
      case 1:
        return t.LastChild(t.Lookup(addr)).value();
      case 2:
        return static_cast<uint64_t>(
            t.RegionIntersects(addr, 0x1000, iores::kMem, iores_desc::kNone));
      default:
        return t.PrevSibling(t.Lookup(addr)).value();
    }
  };
  for (int round = 0; round < 5; ++round) {
    const ResourceTree built = BuildSequentially(lines);
    std::vector<std::vector<uint64_t>> answers(4);
    std::vector<std::thread> threads;
    for (size_t k = 0; k < answers.size(); ++k) {
      threads.emplace_back([&, k] {
        for (size_t q = 0; q < 400; ++q) answers[k].push_back(ask(built, k, q));
      });
    }
    for (std::thread& t : threads) t.join();
    for (size_t k = 0; k < answers.size(); ++k) {
      for (size_t q = 0; q < 400; ++q) {
        ASSERT_EQ(answers[k][q], ask(by_ops, k, q))
            << "thread " << k << " query " << q;
      }
    }
    EXPECT_THAT(built.CheckInvariants(), IsEmpty());
  }
}

// Every public method that uses the child index, called first thing on a
// tree from TreeBuilder, answers as on the same tree built by operations
// (and, in debug builds, an index read before EnsureIndex() would abort).
TEST(DeferredIndexTest, EveryIndexUserWorksOnAFreshBuiltTree) {
  const std::vector<PreorderLine> lines = NestedLines(50);
  const ResourceTree by_ops = BuildByRequests(lines);
  const ResourceTree built = BuildSequentially(lines);
  // Node k of both trees is line k (the ops tree allocated slots in order).
  const ResourceId dev = TreeBuilder::NodeId(3);  // group 0's "dev0"
  const ResourceId top = TreeBuilder::NodeId(5);  // group 1's top node
  const uint64_t free_at = 0x100000 * 50;
  using Op = std::function<std::string(ResourceTree&)>;
  auto id = [](ResourceId r) { return absl::StrCat(r.value()); };
  auto status = [](const absl::Status& st) { return st.ToString(); };
  auto result = [](const absl::StatusOr<ResourceId>& r) {
    return r.ok() ? absl::StrCat(r->value()) : r.status().ToString();
  };
  const std::vector<std::pair<std::string, Op>> ops = {
      {"FirstChild", [&](ResourceTree& t) { return id(t.FirstChild(top)); }},
      {"LastChild", [&](ResourceTree& t) { return id(t.LastChild(top)); }},
      {"NextSibling", [&](ResourceTree& t) { return id(t.NextSibling(dev)); }},
      {"PrevSibling", [&](ResourceTree& t) { return id(t.PrevSibling(dev)); }},
      {"Children",
       [&](ResourceTree& t) { return absl::StrCat(t.Children(top).size()); }},
      {"Lookup", [&](ResourceTree& t) { return id(t.Lookup(0x102000)); }},
      {"LookupResource",
       [&](ResourceTree& t) { return id(t.LookupResource(top, 0x101000)); }},
      {"RegionIntersects",
       [&](ResourceTree& t) {
         return absl::StrCat(
             static_cast<int>(t.RegionIntersects(0x1000, 0x10, 0, 0)));
       }},
      {"Walk",
       [&](ResourceTree& t) {
         auto w = t.WalkMem(0, free_at);
         return w.ok() ? absl::StrCat(w->size()) : w.status().ToString();
       }},
      {"CheckInvariants",
       [&](ResourceTree& t) {
         return absl::StrCat(t.CheckInvariants().size());
       }},
      {"Request",
       [&](ResourceTree& t) {
         return result(t.Request(t.root(), {Range(0x1000, 0x1fff), "x"}));
       }},
      {"Insert",
       [&](ResourceTree& t) {
         return result(t.Insert(t.root(), {Range(0x100000, 0x2fffff), "x"}));
       }},
      {"InsertExpandToFit",
       [&](ResourceTree& t) {
         return result(
             t.InsertExpandToFit(t.root(), {Range(0x100800, 0x1fffff), "x"}));
       }},
      {"Remove", [&](ResourceTree& t) { return status(t.Remove(dev)); }},
      {"Release", [&](ResourceTree& t) { return status(t.Release(dev)); }},
      {"ReleaseChildren",
       [&](ResourceTree& t) { return status(t.ReleaseChildren(top)); }},
      {"Adjust",
       [&](ResourceTree& t) { return status(t.Adjust(dev, 0x1000, 0x8000)); }},
      {"Allocate",
       [&](ResourceTree& t) {
         return result(
             t.Allocate(t.root(), {Range(), "x"}, 0x1000, AllocConstraint{}));
       }},
      {"Reallocate",
       [&](ResourceTree& t) {
         return status(
             t.Reallocate(TreeBuilder::NodeId(2), 0x800, AllocConstraint{}));
       }},
      {"RequestRegion",
       [&](ResourceTree& t) {
         return result(t.RequestRegion(t.root(), 0x1100, 0x10, "x", 0));
       }},
      {"ReleaseRegion",
       [&](ResourceTree& t) {
         return status(t.ReleaseRegion(t.root(), 0x2000, 0x1000));
       }},
      {"ReleaseMemRegionAdjustable",
       [&](ResourceTree& t) {
         return result(t.ReleaseMemRegionAdjustable(0x2000, 0x100));
       }},
      {"MergeSystemRam",
       [&](ResourceTree& t) { return result(t.MergeSystemRam(top)); }},
      {"GetFreeMemRegion",
       [&](ResourceTree& t) {
         return result(t.AllocFreeMemRegion(top, 0x1000, 0x1000, "x"));
       }},
  };
  for (const auto& [name, op] : ops) {
    ResourceTree fresh = built;  // a copy of an unbuilt tree has no index
    ResourceTree reference = by_ops;
    EXPECT_EQ(op(fresh), op(reference)) << name;
    EXPECT_EQ(RenderDump(fresh), RenderDump(reference)) << name;
    EXPECT_THAT(fresh.CheckInvariants(), IsEmpty()) << name;
  }
}

// ForEachPreorder() walks the slots while they are the pre-order, and the
// index once a mutation may have changed that; both walks agree, and a copy
// made before the index exists builds its own.
TEST(DeferredIndexTest, BothPreorderWalksAgreeAndCopiesStandAlone) {
  const std::vector<PreorderLine> lines = NestedLines(500);
  ResourceTree t = BuildSequentially(lines);
  const ResourceTree unbuilt_copy = t;
  const std::vector<std::pair<uint64_t, int>> by_slots = PreorderWithDepth(t);
  ASSERT_EQ(by_slots.size(), lines.size());
  for (size_t k = 0; k < lines.size(); ++k) {
    ASSERT_EQ(by_slots[k].first, TreeBuilder::NodeId(k + 1).value()) << k;
    ASSERT_EQ(by_slots[k].second, static_cast<int>(lines[k].depth)) << k;
  }
  // A request that fails, then one that succeeds and is released again:
  // the same tree, now walked through the index.
  const Range gap(0x100000 * 500, 0x100000 * 500 + 0xfff);
  EXPECT_FALSE(t.Request(t.root(), {Range(0, 0xfff), "taken"}).ok());
  EXPECT_EQ(PreorderWithDepth(t), by_slots)
      << "a failed request changes nothing";
  absl::StatusOr<ResourceId> extra = t.Request(t.root(), {gap, "extra"});
  ASSERT_THAT(extra, IsOk());
  ASSERT_THAT(t.Release(*extra), IsOk());
  EXPECT_EQ(PreorderWithDepth(t), by_slots);
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  // The copy never saw the index: its own is built from its nodes.
  EXPECT_EQ(PreorderWithDepth(unbuilt_copy), by_slots);
  EXPECT_EQ(unbuilt_copy.Lookup(0x2000), TreeBuilder::NodeId(4));
  EXPECT_THAT(unbuilt_copy.CheckInvariants(), IsEmpty());
  ResourceTree mutated_copy = unbuilt_copy;
  ASSERT_THAT(mutated_copy.Request(mutated_copy.root(), {gap, "extra"}),
              IsOk());
  EXPECT_EQ(mutated_copy.size(), t.size() + 1);
  EXPECT_THAT(mutated_copy.CheckInvariants(), IsEmpty());
}

// A tree that claims slot order is the pre-order while it is not (what a
// bug in TreeBuilder would leave) is reported, not walked wrongly in silence.
TEST(DeferredIndexTest, CheckerCatchesSlotsOutOfPreorder) {
  TreeBuilder b({Range::Full(), "PCI mem", iores::kMem});
  const ResourceId first = *b.Append(b.root(), {Range(0x1000, 0x1fff), "a"});
  const ResourceId second = *b.Append(b.root(), {Range(0x2000, 0x2fff), "b"});
  ResourceTree t = std::move(b).Finish();
  ResourceTreeTestPeer::SetRange(t, first, 0x3000, 0x3fff);
  ResourceTreeTestPeer::SetRange(t, second, 0x1000, 0x1fff);
  const std::vector<InvariantViolation> v = t.CheckInvariants();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, InvariantViolation::Kind::kSlotOrder);
  EXPECT_THAT(v[0].message, HasSubstr("slots are marked as in pre-order"));
  EXPECT_THAT(v[0].nodes, ElementsAre(second));
}

TEST(TreeBuilderPartsTest, AppendRefusesWhatBreaksTheTree) {
  using P = TreeBuilder::Problem;
  TreeBuilder b({Range(0, 0xffff), "PCI IO", iores::kIo});
  std::vector<TreeBuilder::Part> parts = b.Split(1, 4, 6);
  TreeBuilder::Part& p = parts[0];
  EXPECT_EQ(p.Append(0, Range(0x10, 0x1f), "x"), P::kFull) << "before Begin()";
  EXPECT_FALSE(b.Append(b.root(), {Range(0x10, 0x1f), "y"}).ok())
      << "one node at a time after Split()";
  p.Begin(0, 0, 100);  // clipped to Split()'s 6 bytes
  EXPECT_EQ(p.Append(0, Range(0x20, 0x10), "x"), P::kInverted);
  EXPECT_EQ(p.Append(0, Range(0xfff0, 0x10000), "x"), P::kOutsideParent);
  ASSERT_EQ(p.Append(0, Range(0x10, 0x1f), "x"), P::kNone);
  EXPECT_EQ(p.height(), 2u);
  EXPECT_EQ(p.Append(0, Range(0x1f, 0x2f), "x"), P::kNotAfterSibling);
  EXPECT_EQ(p.Append(1, Range(0x10, 0x20), "x"), P::kOutsideParent);
  EXPECT_EQ(p.Append(1, Range(0x10, 0x11), "too long"), P::kFull)
      << "past the part's name bytes";
  ASSERT_EQ(p.Append(1, Range(0x10, 0x11), "x"), P::kNone);
  ASSERT_EQ(p.Append(0, Range(0x20, 0x2f), ""), P::kNone);
  EXPECT_EQ(p.height(), 2u) << "the path drops below the level appended at";
  EXPECT_EQ(p.RangeAt(1), Range(0x20, 0x2f));
  ASSERT_EQ(p.Append(0, Range(0x30, 0x3f), "yyyy"), P::kNone)
      << "exactly the last name bytes";
  EXPECT_EQ(p.Append(0, Range(0x40, 0x4f), ""), P::kFull)
      << "past Split()'s max_nodes";
  EXPECT_EQ(p.size(), 4u);
  absl::StatusOr<ResourceTree> t = std::move(b).Join(std::move(parts));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(RenderProcIomem(*t),
            "0010-001f : x\n  0010-0011 : x\n0020-002f : \n0030-003f : yyyy\n");
}

TEST(TreeBuilderPartsTest, JoinChecksWherePartsBeginAndTheirSeams) {
  auto build = [](uint64_t second_start, size_t second_begin,
                  bool fill_middle) {
    TreeBuilder b({Range::Full(), "PCI mem", iores::kMem});
    std::vector<TreeBuilder::Part> parts = b.Split(3, 8, 3);
    parts[0].Begin(0, 0, 1);
    EXPECT_EQ(parts[0].Append(0, Range(0x1000, 0x1fff), "a"),
              TreeBuilder::Problem::kNone);
    parts[1].Begin(1, 1, 1);
    if (fill_middle) {
      EXPECT_EQ(parts[1].Append(0, Range(0x2000, 0x2fff), "b"),
                TreeBuilder::Problem::kNone);
    }
    parts[2].Begin(second_begin, 2, 1);
    EXPECT_EQ(
        parts[2].Append(0, Range(second_start, second_start + 0xfff), "c"),
        TreeBuilder::Problem::kNone);
    return std::move(b).Join(std::move(parts));
  };
  // An empty part in the middle is fine.
  absl::StatusOr<ResourceTree> ok = build(0x3000, 1, false);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(RenderProcIomem(*ok),
            "00001000-00001fff : a\n00003000-00003fff : c\n");
  EXPECT_THAT(build(0x3000, 2, true), IsOk());
  // A part that did not begin where the parts before it end.
  absl::StatusOr<ResourceTree> misplaced = build(0x3000, 1, true);
  EXPECT_THAT(misplaced, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(misplaced.status().message(),
              HasSubstr("begins at node 2, not 3"));
  // A part whose first node overlaps the last top-level node before it,
  // across the empty part.
  absl::StatusOr<ResourceTree> overlap = build(0x1800, 1, false);
  EXPECT_THAT(overlap, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(overlap.status().message(),
              HasSubstr("does not start after its previous sibling"));
}

}  // namespace
}  // namespace restree
