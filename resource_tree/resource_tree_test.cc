// Tests of ResourceTree's own API: ids and their lifetime, navigation,
// errors and their payloads, copies, the invariant checker (fed corrupted
// trees), and the child index a tree from TreeBuilder builds on first use.
// The kernel semantics of each operation are tested in
// tests/kernel_semantics_test.cc and tests/differential_test.cc; the value
// types, rendering and TreeBuilder's parts in their own *_test.cc files.

#include "resource_tree/resource_tree.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/render.h"
#include "resource_tree/test_util.h"
#include "resource_tree/tree_builder.h"
#include "tests/status_matchers.h"

namespace restree {

// Reaches into a tree to corrupt it, so that the checker can be shown to
// catch each kind of damage.
class ResourceTreeTestPeer {
 public:
  static bool IndexBuilt(const ResourceTree& t) {
    return t.store_.index_built();
  }
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

using ::restree::test_support::BuildByRequests;
using ::restree::test_support::BuildSequentially;
using ::restree::test_support::IsOk;
using ::restree::test_support::NestedLines;
using ::restree::test_support::PreorderLine;
using ::restree::test_support::StatusIs;
using ::testing::Contains;
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
  ASSERT_OK_AND_ASSIGN(ResourceId a,
                       t.Request(t.root(), {Range(0x0, 0xfff), "System RAM"}));
  ASSERT_OK_AND_ASSIGN(
      ResourceId b, t.Request(t.root(), {Range(0x2000, 0x2fff), "System RAM"}));
  EXPECT_EQ(t.NameOf(a).data(), t.NameOf(b).data());
  ASSERT_THAT(t.Rename(b, "Reserved"), IsOk());
  EXPECT_EQ(t.NameOf(b), "Reserved");
  EXPECT_EQ(t.NameOf(a), "System RAM");
}

TEST(ResourceTreeTest, ConflictPayloadNamesTheNode) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(
      ResourceId ram,
      t.Request(t.root(), {Range(0x1000, 0x1fff), "System RAM", kRamFlags}));
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
  EXPECT_THAT(t.Adjust(a, 0x1000, 0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(t.ReleaseRegion(t.root(), 0x1000, 0x1000),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(t.AllocFreeMemRegion(a, 0x10000, 0x1000, "big"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(
      GetKernelError(t.AllocFreeMemRegion(a, 0x10000, 0x1000, "big").status())
          .errno_value,
      kerrno::kERANGE);
  ASSERT_OK_AND_ASSIGN(ResourceId m, t.RequestRegion(t.root(), 0x3000, 0x10,
                                                     "m", iores::kMuxed));
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
      ASSERT_OK(
          t.Request(down, {Range(s, s + 0xfff), "c", iores::kMem}).status());
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
    for (const Range& r :
         {Range(0x100000, 0x100fff), Range(0x180000, 0x180fff),
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
  ASSERT_THAT(
      copy.Request(copy.root(), {Range(0x1000, 0x1fff), "new name"}).status(),
      IsOk());
  EXPECT_TRUE(t.Contains(a));
  EXPECT_EQ(t.NameOf(a), "A");
  EXPECT_EQ(RenderProcIomem(copy), "00001000-00001fff : new name\n");
  EXPECT_EQ(RenderProcIomem(t), "00001000-00001fff : A\n");
}

// SetDesc(), the direct `res->desc = ...` write of a driver on its own
// resource: visible at once, undone by a rolled-back transaction, refused
// on a stale id.
TEST(ResourceTreeTest, SetDescWritesTheNodesDesc) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK_AND_ASSIGN(
      ResourceId r,
      t.Request(t.root(), {Range(0x1000, 0x1fff), "region0", iores::kMem}));
  ASSERT_THAT(t.SetDesc(r, iores_desc::kCxl), IsOk());
  EXPECT_EQ(t.DescOf(r), iores_desc::kCxl);
  EXPECT_EQ(t.FlagsOf(r), iores::kMem);
  {
    ResourceTree::Transaction tx(&t);
    ASSERT_THAT(t.SetDesc(r, iores_desc::kNone), IsOk());
    EXPECT_EQ(t.DescOf(r), iores_desc::kNone);
  }  // not committed: rolled back
  EXPECT_EQ(t.DescOf(r), iores_desc::kCxl);
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  ASSERT_THAT(t.Release(r), IsOk());
  EXPECT_THAT(t.SetDesc(r, iores_desc::kCxl),
              StatusIs(absl::StatusCode::kNotFound));
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
    ASSERT_OK_AND_ASSIGN(a_,
                         t_.Request(t_.root(), {Range(0x1000, 0x1fff), "A"}));
    ASSERT_OK_AND_ASSIGN(b_,
                         t_.Request(t_.root(), {Range(0x3000, 0x3fff), "B"}));
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
  ASSERT_THAT(Kinds(v),
              ::testing::Contains(InvariantViolation::Kind::kInvalidRange));
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
  EXPECT_THAT(
      Kinds(t_.CheckInvariants()),
      ::testing::Contains(InvariantViolation::Kind::kPreorderNotMonotone));
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
  ASSERT_THAT(
      copy.Request(copy.root(),
                   {Range(kNodes * 0x1000, kNodes * 0x1000), "one more"}),
      IsOk());
  EXPECT_EQ(t.size(), kNodes + 1);
  EXPECT_EQ(copy.size(), kNodes + 2);
  EXPECT_THAT(copy.CheckInvariants(), ::testing::IsEmpty());
  EXPECT_EQ(
      RenderProcIomem(t) + absl::StrFormat("%08x-%08x : one more\n",
                                           kNodes * 0x1000, kNodes * 0x1000),
      RenderProcIomem(copy));
}

// ---------------------------------------------------------------------------
// The child index of a tree from TreeBuilder, built on first use.

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

// ---------------------------------------------------------------------------
// The checker on a tree whose child index is not built yet (a tree from
// TreeBuilder, as every parsed dump is): it checks the structure through
// the parent links and the slot order, without building the index, and
// finds the same damage the index walk finds.

using PreorderKind = InvariantViolation::Kind;
using Peer = ResourceTreeTestPeer;

std::vector<PreorderKind> PreorderKinds(
    const std::vector<InvariantViolation>& v) {
  std::vector<PreorderKind> out;
  for (const InvariantViolation& x : v) out.push_back(x.kind);
  return out;
}

// A window with two regions, the first holding a dax device:
//   slot 1 window [0x1000, 0x8fff]
//   slot 2   region0 [0x1000, 0x2fff]
//   slot 3     dax0.0 [0x1000, 0x1fff]
//   slot 4   region1 [0x4000, 0x5fff]
//   slot 5 Reserved [0x9000, 0x9fff]
struct Built {
  ResourceTree tree = ResourceTree::Iomem();
  ResourceId window, region0, dax, region1, reserved;
};

Built Build() {
  TreeBuilder b({Range(0, 0xffff), "PCI mem", iores::kMem});
  Built out;
  out.window = *b.Append(b.root(), {Range(0x1000, 0x8fff), "window"});
  out.region0 = *b.Append(out.window, {Range(0x1000, 0x2fff), "region0"});
  out.dax = *b.Append(out.region0, {Range(0x1000, 0x1fff), "dax0.0"});
  out.region1 = *b.Append(out.window, {Range(0x4000, 0x5fff), "region1"});
  out.reserved = *b.Append(b.root(), {Range(0x9000, 0x9fff), "Reserved"});
  out.tree = std::move(b).Finish();
  return out;
}

TEST(PreorderChecker, AGoodTreeIsCheckedWithoutBuildingTheIndex) {
  Built b = Build();
  ASSERT_FALSE(Peer::IndexBuilt(b.tree));
  EXPECT_THAT(b.tree.CheckInvariants(), IsEmpty());
  EXPECT_FALSE(Peer::IndexBuilt(b.tree));
}

// Each damage, on the tree as built and on a copy whose index is built:
// both checkers report it.
TEST(PreorderChecker, FindsWhatTheIndexWalkFinds) {
  struct Damage {
    const char* what;
    void (*apply)(Built&);
    PreorderKind kind;
  };
  const Damage kDamage[] = {
      {"a child outside its parent",
       [](Built& b) { Peer::SetRange(b.tree, b.dax, 0x1000, 0x3fff); },
       PreorderKind::kOutsideParent},
      {"overlapping siblings",
       [](Built& b) { Peer::SetRange(b.tree, b.region1, 0x2000, 0x5fff); },
       PreorderKind::kOverlappingSiblings},
  };
  for (const Damage& d : kDamage) {
    Built unbuilt = Build();
    d.apply(unbuilt);
    EXPECT_THAT(PreorderKinds(unbuilt.tree.CheckInvariants()), Contains(d.kind))
        << d.what;
    EXPECT_FALSE(Peer::IndexBuilt(unbuilt.tree));

    Built indexed = Build();
    ASSERT_TRUE(indexed.tree.Lookup(0x1000).valid());  // builds the index
    ASSERT_TRUE(Peer::IndexBuilt(indexed.tree));
    d.apply(indexed);
    EXPECT_THAT(PreorderKinds(indexed.tree.CheckInvariants()), Contains(d.kind))
        << d.what;
  }
}

// Slots that are not a pre-order walk: a node whose parent is not on the
// open path (here a later slot), and siblings out of address order.
TEST(PreorderChecker, SlotsOutOfPreorderAreReported) {
  Built b = Build();
  Peer::SetParentOnly(b.tree, b.region0, b.reserved);
  std::vector<InvariantViolation> v = b.tree.CheckInvariants();
  ASSERT_THAT(PreorderKinds(v), Contains(PreorderKind::kSlotOrder));
  EXPECT_THAT(v[0].message, ::testing::HasSubstr("is not open"));

  Built swapped = Build();
  Peer::SetRange(swapped.tree, swapped.region1, 0x0800, 0x0fff);
  Peer::SetRange(swapped.tree, swapped.window, 0x0800, 0x8fff);
  v = swapped.tree.CheckInvariants();
  ASSERT_THAT(PreorderKinds(v), Contains(PreorderKind::kSlotOrder));
  EXPECT_THAT(v[0].message,
              ::testing::HasSubstr("starts before its previous sibling"));
}

}  // namespace
}  // namespace restree
