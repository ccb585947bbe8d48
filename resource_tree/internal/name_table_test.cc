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

}  // namespace
}  // namespace internal
}  // namespace restree
