#include "numa/node_mask.h"

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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(NodeMaskTest, SetClearCount) {
  NodeMask m;
  EXPECT_TRUE(m.Empty());
  EXPECT_EQ(m.First(), kNoNode);
  m.Set(5);
  m.Set(1023);
  m.Set(0);
  EXPECT_EQ(m.Count(), 3);
  EXPECT_EQ(m.First(), 0);
  EXPECT_THAT(m.ToVector(), ElementsAre(0, 5, 1023));
  m.Clear(0);
  EXPECT_EQ(m.First(), 5);
  EXPECT_FALSE(m.Test(0));
}

TEST(NodeMaskTest, SetOperations) {
  const NodeMask a = NodeMask::Of({0, 1, 2});
  const NodeMask b = NodeMask::Of({2, 3});
  EXPECT_EQ((a | b), NodeMask::Of({0, 1, 2, 3}));
  EXPECT_EQ((a & b), NodeMask::Of({2}));
  NodeMask c = a;
  c.AndNot(b);
  EXPECT_EQ(c, NodeMask::Of({0, 1}));
}

TEST(NodeMaskTest, FormatsLikeTheKernel) {
  // bitmap_list_string(): every run of two or more is "a-b".
  const struct {
    std::vector<int> ids;
    std::string text;
  } kCases[] = {
      {{}, ""},
      {{0}, "0"},
      {{0, 1}, "0-1"},
      {{0, 1, 2, 5}, "0-2,5"},
      {{1, 3, 4, 1023}, "1,3-4,1023"},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(FormatIdList(c.ids), c.text);
    EXPECT_EQ(NodeMask::Of(c.ids).ToString(), c.text);
    absl::StatusOr<NodeMask> parsed = ParseNodeList(c.text + "\n", "f");
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(*parsed, NodeMask::Of(c.ids)) << c.text;
  }
}

TEST(NodeMaskTest, ParseErrorsNameTheColumn) {
  absl::StatusOr<NodeMask> r = ParseNodeList("0-3,x", "has_memory");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r.status().message(), HasSubstr("has_memory:5:"));
  r = ParseNodeList("3-1", "f");
  EXPECT_THAT(r.status().message(), HasSubstr("f:1: range end below"));
  r = ParseNodeList("0,1024", "f");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(r.status().message(), HasSubstr("f:3:"));
  r = ParseNodeList("99999999999999999999", "f");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kOutOfRange));
  r = ParseNodeList("0-2,1", "f");
  EXPECT_THAT(r.status().message(), HasSubstr("listed twice"));
  r = ParseNodeList("1,", "f");
  EXPECT_THAT(r.status().message(), HasSubstr("f:3: expected a decimal"));
  r = ParseNodeList("1;2", "f");
  EXPECT_THAT(r.status().message(), HasSubstr("f:2: expected ','"));
}

TEST(NodeMaskTest, IdListsAllowLargerIds) {
  absl::StatusOr<std::vector<int>> r = ParseIdList(" 0-2,4095\n", 8191, "f");
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(*r, ElementsAre(0, 1, 2, 4095));
  EXPECT_THAT(ParseIdList("", 10, "f").value(), IsEmpty());
}

}  // namespace
}  // namespace numa
}  // namespace restree
