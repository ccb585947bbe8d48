#include "numa/topology.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace restree {
namespace numa {
namespace {

using ::restree::test_support::IsOk;
using ::restree::test_support::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(TopologyTest, CreateUsesKernelDefaultDistances) {
  ASSERT_OK_AND_ASSIGN(Topology t, Topology::Create({3, 0, 7}));
  EXPECT_EQ(t.size(), 3);
  EXPECT_EQ(t.nodes()[0].id, 0);
  EXPECT_EQ(t.nodes()[2].id, 7);
  EXPECT_EQ(t.Distance(3, 3), 10);
  EXPECT_EQ(t.Distance(0, 7), 20);
  EXPECT_FALSE(t.HasNode(1));
  EXPECT_FALSE(t.HasNode(-1));
  EXPECT_FALSE(t.HasNode(5000));
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
}

TEST(TopologyTest, CreateRejectsBadIds) {
  EXPECT_THAT(Topology::Create({}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Topology::Create({1, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Topology::Create({1024}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Topology::Create({-1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TopologyTest, SetDistanceValidates) {
  ASSERT_OK_AND_ASSIGN(Topology t, Topology::Create({0, 1}));
  EXPECT_THAT(t.SetDistance(0, 1, 21), IsOk());
  EXPECT_EQ(t.Distance(0, 1), 21);
  EXPECT_EQ(t.Distance(1, 0), 20);  // asymmetric matrices are allowed
  EXPECT_THAT(t.KernelDistanceDeviations(), IsEmpty());
  // A what-if entry Linux would refuse is kept, and listed.
  EXPECT_THAT(t.SetDistance(0, 0, 11), IsOk());
  EXPECT_EQ(t.Distance(0, 0), 11);
  ASSERT_EQ(t.KernelDistanceDeviations().size(), 1u);
  EXPECT_EQ(t.KernelDistanceDeviations()[0].distance, 11);
  EXPECT_THAT(t.SetDistance(0, 1, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t.SetDistance(0, 1, 256),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t.SetDistance(0, 2, 20), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
}

TEST(TopologyTest, RangesStaySortedAndDisjoint) {
  ASSERT_OK_AND_ASSIGN(Topology t, Topology::Create({0, 1}));
  ASSERT_OK(t.AddRange(1, {Range(0x3000, 0x3fff), Zone::kMovable}));
  ASSERT_OK(t.AddRange(1, {Range(0x1000, 0x1fff), Zone::kNormal}));
  ASSERT_OK(t.AddRange(0, {Range(0x2000, 0x2fff), Zone::kNormal}));
  EXPECT_TRUE(t.node(1).has_memory);
  EXPECT_EQ(t.node(1).ranges[0].range, Range(0x1000, 0x1fff));
  EXPECT_EQ(t.node(1).ranges[1].zone, Zone::kMovable);
  EXPECT_EQ(t.MemoryNodes().ToString(), "0-1");
  absl::Status s = t.AddRange(0, {Range(0x2800, 0x37ff), Zone::kNormal});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(s.message(), HasSubstr("of node 1"));
  EXPECT_THAT(t.AddRange(0, {Range(0x5000, 0x4fff), Zone::kNormal}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(t.AddRange(9, {Range(0x9000, 0x9fff), Zone::kNormal}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
}

TEST(TopologyTest, CheckerReportsDirectEdits) {
  ASSERT_OK_AND_ASSIGN(Topology t, Topology::Create({0, 1}));
  t.mutable_node(0).cpus = {0, 1};
  t.mutable_node(1).cpus = {1};
  EXPECT_THAT(t.CheckInvariants(), Not(IsEmpty()));
  t.mutable_node(1).cpus = {3, 2};
  EXPECT_THAT(t.CheckInvariants(), Not(IsEmpty()));
  t.mutable_node(1).cpus = {2};
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  t.mutable_node(1).memory_bytes = 4096;  // memory without N_MEMORY
  EXPECT_THAT(t.CheckInvariants(), Not(IsEmpty()));
  t.mutable_node(1).has_memory = true;
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  // A range added behind AddRange()'s back is missing from the index.
  t.mutable_node(0).ranges.push_back({Range(0, 0xfff), Zone::kNormal});
  t.mutable_node(0).has_memory = true;
  EXPECT_THAT(t.CheckInvariants(), Not(IsEmpty()));
  t.mutable_node(0).ranges.clear();
  t.mutable_node(1).initiators.Set(5);  // not a node
  EXPECT_THAT(t.CheckInvariants(), Not(IsEmpty()));
  t.mutable_node(1).initiators = NodeMask();
  t.mutable_node(1).perf = AccessPerf{};
  t.mutable_node(1).perf->access_class = 2;
  EXPECT_THAT(t.CheckInvariants(), Not(IsEmpty()));
}

}  // namespace
}  // namespace numa
}  // namespace restree
