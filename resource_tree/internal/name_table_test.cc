#include "resource_tree/internal/name_table.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace restree {
namespace internal {
namespace {

TEST(NameTable, EmptyNameIsIdZero) {
  NameTable t;
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Intern(""), 0u);
  EXPECT_EQ(t.Get(0), "");
}

TEST(NameTable, IdsAreDenseStableAndDeduplicated) {
  NameTable t;
  std::vector<std::string> names;
  // Enough names to grow the slot array many times, some of them long enough
  // for a block of their own, some with NUL bytes, some sharing a prefix.
  for (int i = 0; i < 50000; ++i) {
    std::string n = "name " + std::to_string(i);
    if (i % 97 == 0) n += std::string(20000 + i % 7, 'x');
    if (i % 13 == 0) n += std::string(1, '\0') + "tail";
    names.push_back(n);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_EQ(t.Intern(names[i]), i + 1) << i;
  }
  EXPECT_EQ(t.size(), names.size() + 1);
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_EQ(t.Intern(names[i]), i + 1) << i;
    ASSERT_EQ(t.Get(static_cast<uint32_t>(i + 1)), names[i]) << i;
  }
  // A name that differs only after a NUL is a different name.
  EXPECT_EQ(t.Intern(std::string("name 0\0tailz", 12)), names.size() + 1);
}

TEST(NameTable, ViewsSurviveGrowth) {
  NameTable t;
  const absl::string_view first = t.Get(t.Intern("System RAM"));
  const char* data = first.data();
  for (int i = 0; i < 100000; ++i) t.Intern(std::to_string(i));
  EXPECT_EQ(t.Get(1).data(), data);
  EXPECT_EQ(t.Get(1), "System RAM");
}

TEST(NameTable, CopyOwnsItsStrings) {
  auto original = std::make_unique<NameTable>();
  for (int i = 0; i < 1000; ++i) original->Intern("dax" + std::to_string(i));
  original->Intern(std::string(70000, 'L'));
  NameTable copy = *original;
  NameTable assigned;
  assigned.Intern("overwritten");
  assigned = copy;
  original.reset();
  for (NameTable* t : {&copy, &assigned}) {
    EXPECT_EQ(t->size(), 1002u);
    EXPECT_EQ(t->Get(7), "dax6");
    EXPECT_EQ(t->Get(1001), std::string(70000, 'L'));
    EXPECT_EQ(t->Intern("dax999"), 1000u);
    EXPECT_EQ(t->Intern("new"), 1002u);
  }
}


TEST(NameTable, BorrowingTableKeepsViewsOfItsInput) {
  const std::string text = "System RAM|dax0.0|System RAM";
  NameTable t(NameTable::Storage::kBorrow);
  const uint32_t ram = t.Intern(absl::string_view(text).substr(0, 10));
  const uint32_t dax = t.Intern(absl::string_view(text).substr(11, 6));
  EXPECT_EQ(t.Intern(absl::string_view(text).substr(18)), ram);
  EXPECT_EQ(t.Get(ram).data(), text.data());
  EXPECT_EQ(t.Get(dax).data(), text.data() + 11);
  // A copy owns its strings.
  NameTable copy = t;
  EXPECT_EQ(copy.Get(ram), "System RAM");
  EXPECT_NE(copy.Get(ram).data(), text.data());
}

TEST(NameTable, InternAllMapsEveryIdAndKeepsOrder) {
  NameTable target;
  target.Intern("shared");
  target.Intern("only in target");
  NameTable source(NameTable::Storage::kBorrow);
  std::vector<std::string> names = {"fresh 1", "shared", "fresh 2"};
  for (int i = 0; i < 5000; ++i) names.push_back("n" + std::to_string(i));
  for (const std::string& n : names) source.Intern(n);
  std::vector<uint32_t> ids;
  target.InternAll(source, &ids);
  ASSERT_EQ(ids.size(), source.size());
  EXPECT_EQ(ids[0], 0u);                      // ""
  EXPECT_EQ(ids[1], 3u);                      // "fresh 1", the next new id
  EXPECT_EQ(ids[2], 1u);                      // "shared", already there
  EXPECT_EQ(ids[3], 4u);                      // "fresh 2"
  for (uint32_t k = 0; k < source.size(); ++k) {
    ASSERT_EQ(target.Get(ids[k]), source.Get(k)) << k;
  }
  EXPECT_EQ(target.size(), 3u + names.size() - 1);
}

TEST(NameTable, ReserveKeepsIdsAndLookups) {
  NameTable t;
  t.Intern("a");
  t.Reserve(100000);
  EXPECT_EQ(t.Intern("a"), 1u);
  for (int i = 0; i < 100000; ++i) t.Intern(std::to_string(i));
  EXPECT_EQ(t.Intern("a"), 1u);
  EXPECT_EQ(t.Get(2), "0");
}

}  // namespace
}  // namespace internal
}  // namespace restree
