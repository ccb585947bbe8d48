// TreeBuilder in parts: parts filled on threads build the tree Append()
// builds, names stored verbatim compare by text, each refusal of
// Part::Append(), and Join()'s placement and seam checks. (Trees built one
// node at a time are used throughout resource_tree_test.cc.)

#include "resource_tree/tree_builder.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "resource_tree/test_util.h"
#include "tests/status_matchers.h"

namespace restree {
namespace {

using ::restree::test_support::BuildByRequests;
using ::restree::test_support::BuildSequentially;
using ::restree::test_support::IsOk;
using ::restree::test_support::NestedLines;
using ::restree::test_support::PreorderLine;
using ::restree::test_support::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

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
// Slices of the pre-order walk of a built tree, taken anywhere (through
// nested nodes), give the walk's nodes and depths, and each node's parent
// as a pre-order position; a tree made by Request() has no such slices.
TEST(TreeBuilderPartsTest, PreorderSlicesAreTheWalkCut) {
  const std::vector<PreorderLine> lines = NestedLines(3000);
  const ResourceTree tree = BuildSequentially(lines);
  struct Visit {
    ResourceId id;
    int depth;
    ptrdiff_t parent;
    bool operator==(const Visit& o) const {
      return id == o.id && depth == o.depth && parent == o.parent;
    }
  };
  std::vector<Visit> walk;
  tree.ForEachPreorder([&](ResourceId id, int depth) {
    const ResourceId parent = tree.View(id).parent;
    ptrdiff_t position = -1;
    for (size_t k = 0; k < walk.size(); ++k) {
      if (walk[k].id == parent) position = static_cast<ptrdiff_t>(k);
    }
    walk.push_back({id, depth, position});
  });
  ASSERT_EQ(walk.size(), tree.size() - 1);
  for (size_t begin : {size_t{0}, size_t{1}, size_t{7}, size_t{1234}}) {
    for (size_t end : {begin, begin + 1, begin + 500, walk.size() + 10}) {
      std::vector<Visit> slice;
      ASSERT_TRUE(tree.ForEachPreorderSlice(
          begin, end, [&](ResourceId id, int depth, ptrdiff_t parent) {
            slice.push_back({id, depth, parent});
          }));
      const size_t last = std::min(end, walk.size());
      ASSERT_TRUE(std::equal(slice.begin(), slice.end(), walk.begin() + begin,
                             walk.begin() + std::max(begin, last)))
          << begin << ".." << end;
      EXPECT_EQ(slice.size(), last > begin ? last - begin : 0);
    }
  }
  const ResourceTree requested = BuildByRequests(lines);
  int calls = 0;
  EXPECT_FALSE(requested.ForEachPreorderSlice(
      0, 10, [&](ResourceId, int, ptrdiff_t) { ++calls; }));
  EXPECT_EQ(calls, 0);
}

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
