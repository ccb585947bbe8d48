#include "resource_tree/internal/child_index.h"

#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace restree {
namespace internal {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// What the index must behave as: one ordered set of (parent, start).
using Model = std::set<std::pair<uint32_t, uint64_t>>;

std::pair<uint32_t, uint64_t> Key(const ChildKey& k) {
  return {k.parent, k.start};
}

// The keys in index order, walked forward and backward.
std::vector<std::pair<uint32_t, uint64_t>> Forward(const ChildIndex& x) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (const ChildKey& k : x) out.push_back(Key(k));
  return out;
}
std::vector<std::pair<uint32_t, uint64_t>> Backward(const ChildIndex& x) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (auto it = x.end(); it != x.begin();) out.push_back(Key(*--it));
  return out;
}

// An index cut into shards at `bounds` (the first is the least key), some
// of them left empty, and the model of the same keys.
std::pair<ChildIndex, Model> Sharded(const std::vector<ChildKey>& bounds,
                                     const std::vector<ChildKey>& keys) {
  std::vector<ChildIndex::Shard> shards(bounds.size());
  Model model;
  for (size_t s = 0; s < bounds.size(); ++s) shards[s].bound = bounds[s];
  for (const ChildKey& k : keys) {
    size_t s = bounds.size() - 1;
    while (s > 0 && ChildKeyLess()(k, bounds[s])) --s;
    shards[s].set.insert(k);
    model.insert(Key(k));
  }
  return {ChildIndex(std::move(shards)), std::move(model)};
}

TEST(ChildIndex, EmptyIndexHasOneShard) {
  ChildIndex x;
  EXPECT_EQ(x.shard_count(), 1u);
  EXPECT_TRUE(x.begin() == x.end());
  EXPECT_TRUE(x.find(ChildKey{0, 1, 0}) == x.end());
  EXPECT_TRUE(x.lower_bound(ChildKey{5, 0, 0}) == x.end());
  EXPECT_EQ(x.CheckShards(), "");
  EXPECT_EQ(ChildIndex(std::vector<ChildIndex::Shard>()).shard_count(), 1u);
}

// Random keys in six shards (two of them empty), then random lookups,
// inserts and erases, each checked against std::set: results, iteration in
// both directions across shard boundaries, and the shards' bounds.
TEST(ChildIndex, ShardedIndexBehavesAsOneOrderedSet) {
  std::mt19937_64 rng(20261121);
  const std::vector<ChildKey> bounds = {{0, 0, 0},   {0, 0, 500},
                                        {0, 0, 900}, {1, 0, 0},
                                        {40, 0, 0},  {41, 0, 0}};
  std::vector<ChildKey> keys;
  for (int i = 0; i < 3000; ++i) {
    const uint32_t p = static_cast<uint32_t>(rng() % 80);
    // Nothing in [900, ...) under the root, nor under parent 40: the
    // third and fifth shards start empty.
    const uint64_t start = rng() % (p == 0 ? 900 : 1000);
    if (p == 0 && start >= 500 && start < 900) continue;
    if (p == 40) continue;
    keys.push_back(ChildKey{p, static_cast<uint32_t>(i + 1), start});
  }
  auto [x, model] = Sharded(bounds, keys);
  ASSERT_EQ(x.shard_count(), 6u);
  ASSERT_EQ(x.CheckShards(), "");
  ASSERT_EQ(Forward(x), std::vector(model.begin(), model.end()));
  for (int step = 0; step < 20000; ++step) {
    const ChildKey k{static_cast<uint32_t>(rng() % 82), 7,
                     rng() % 1000};
    const auto mk = Key(k);
    switch (rng() % 4) {
      case 0: {  // lower_bound, upper_bound, and a step back from each
        auto lb = x.lower_bound(k);
        auto mlb = model.lower_bound(mk);
        ASSERT_EQ(lb == x.end(), mlb == model.end()) << step;
        if (mlb != model.end()) {
          ASSERT_EQ(Key(*lb), *mlb) << step;
        }
        if (mlb != model.begin()) {
          ASSERT_EQ(Key(*std::prev(lb)), *std::prev(mlb)) << step;
        }
        auto ub = x.upper_bound(k);
        auto mub = model.upper_bound(mk);
        ASSERT_EQ(ub == x.end(), mub == model.end()) << step;
        if (mub != model.end()) {
          ASSERT_EQ(Key(*ub), *mub) << step;
        }
        break;
      }
      case 1: {  // find
        auto f = x.find(k);
        ASSERT_EQ(f == x.end(), model.count(mk) == 0) << step;
        if (f != x.end()) {
          ASSERT_EQ(Key(*f), mk) << step;
        }
        break;
      }
      case 2: {  // insert
        auto [it, inserted] = x.insert(k);
        ASSERT_EQ(inserted, model.insert(mk).second) << step;
        ASSERT_EQ(Key(*it), mk) << step;
        break;
      }
      case 3: {  // erase the key at or after k, if any
        auto it = x.lower_bound(k);
        if (it == x.end()) break;
        model.erase(Key(*it));
        x.erase(it);
        break;
      }
    }
    if (step % 1000 == 0) {
      ASSERT_EQ(x.size(), model.size());
      ASSERT_EQ(Forward(x), std::vector(model.begin(), model.end())) << step;
      ASSERT_EQ(Backward(x), std::vector(model.rbegin(), model.rend()))
          << step;
      ASSERT_EQ(x.CheckShards(), "") << step;
    }
  }
  // Empty every shard but the last non-empty one: iteration skips them.
  while (x.size() > 1) x.erase(x.begin());
  EXPECT_EQ(Forward(x).size(), 1u);
  EXPECT_EQ(Backward(x).size(), 1u);
  EXPECT_TRUE(std::next(x.begin()) == x.end());
  EXPECT_TRUE(std::prev(x.end()) == x.begin());
}

TEST(ChildIndex, CheckShardsNamesTheBrokenBound) {
  // Bounds out of order.
  {
    std::vector<ChildIndex::Shard> shards(3);
    shards[1].bound = ChildKey{5, 0, 0};
    shards[2].bound = ChildKey{3, 0, 0};
    EXPECT_THAT(ChildIndex(std::move(shards)).CheckShards(),
                HasSubstr("shard 1's bound (parent 5, start 0) is not below "
                          "shard 2's (parent 3, start 0)"));
  }
  // A key below its shard's bound, and one at the next shard's bound.
  {
    std::vector<ChildIndex::Shard> shards(2);
    shards[1].bound = ChildKey{5, 0, 0};
    shards[1].set.insert(ChildKey{4, 9, 0x10});
    EXPECT_THAT(ChildIndex(std::move(shards)).CheckShards(),
                HasSubstr("shard 1 holds (parent 4, start 0x10), below its "
                          "bound (parent 5, start 0)"));
  }
  {
    std::vector<ChildIndex::Shard> shards(2);
    shards[1].bound = ChildKey{5, 0, 0};
    shards[0].set.insert(ChildKey{5, 9, 0});
    EXPECT_THAT(ChildIndex(std::move(shards)).CheckShards(),
                HasSubstr("shard 0 holds (parent 5, start 0), at or above "
                          "the next shard's bound"));
  }
}

}  // namespace
}  // namespace internal
}  // namespace restree
