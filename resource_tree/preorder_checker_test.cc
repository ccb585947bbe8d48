// CheckInvariants() on a tree whose child index is not built yet (a tree
// from TreeBuilder, as every parsed dump is): it checks the structure
// through the parent links and the slot order, without building the index,
// and finds the same damage the index walk finds.

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/resource_tree.h"
#include "resource_tree/tree_builder.h"

namespace restree {

// Reaches into a tree to corrupt it and to see whether its index exists.
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
  static void SetParentOnly(ResourceTree& t, ResourceId id, ResourceId p) {
    t.store_.nodes_[t.IndexOf(id)].parent = t.IndexOf(p);
  }
};

namespace {

using Kind = InvariantViolation::Kind;
using Peer = ResourceTreeTestPeer;
using ::testing::Contains;
using ::testing::IsEmpty;

std::vector<Kind> Kinds(const std::vector<InvariantViolation>& v) {
  std::vector<Kind> out;
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
    Kind kind;
  };
  const Damage kDamage[] = {
      {"a child outside its parent",
       [](Built& b) { Peer::SetRange(b.tree, b.dax, 0x1000, 0x3fff); },
       Kind::kOutsideParent},
      {"overlapping siblings",
       [](Built& b) { Peer::SetRange(b.tree, b.region1, 0x2000, 0x5fff); },
       Kind::kOverlappingSiblings},
  };
  for (const Damage& d : kDamage) {
    Built unbuilt = Build();
    d.apply(unbuilt);
    EXPECT_THAT(Kinds(unbuilt.tree.CheckInvariants()), Contains(d.kind))
        << d.what;
    EXPECT_FALSE(Peer::IndexBuilt(unbuilt.tree));

    Built indexed = Build();
    ASSERT_TRUE(indexed.tree.Lookup(0x1000).valid());  // builds the index
    ASSERT_TRUE(Peer::IndexBuilt(indexed.tree));
    d.apply(indexed);
    EXPECT_THAT(Kinds(indexed.tree.CheckInvariants()), Contains(d.kind))
        << d.what;
  }
}

// Slots that are not a pre-order walk: a node whose parent is not on the
// open path (here a later slot), and siblings out of address order.
TEST(PreorderChecker, SlotsOutOfPreorderAreReported) {
  Built b = Build();
  Peer::SetParentOnly(b.tree, b.region0, b.reserved);
  std::vector<InvariantViolation> v = b.tree.CheckInvariants();
  ASSERT_THAT(Kinds(v), Contains(Kind::kSlotOrder));
  EXPECT_THAT(v[0].message, ::testing::HasSubstr("is not open"));

  Built swapped = Build();
  Peer::SetRange(swapped.tree, swapped.region1, 0x0800, 0x0fff);
  Peer::SetRange(swapped.tree, swapped.window, 0x0800, 0x8fff);
  v = swapped.tree.CheckInvariants();
  ASSERT_THAT(Kinds(v), Contains(Kind::kSlotOrder));
  EXPECT_THAT(v[0].message,
              ::testing::HasSubstr("starts before its previous sibling"));
}

}  // namespace
}  // namespace restree
