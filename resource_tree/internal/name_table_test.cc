#include "resource_tree/internal/name_table.h"

#include <cstring>
#include <memory>
#include <string>
#include <thread>
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

// Two writers fill disjoint verbatim entries and text at once, as the parts
// of a parse do; the table then serves them by id, next to interned names.
TEST(NameTable, VerbatimNamesWrittenOnTwoThreads) {
  NameTable t;
  const uint32_t ram = t.Intern("System RAM");
  constexpr uint32_t kEntries = 20000;
  constexpr size_t kHalfBytes = 400000;
  NameTable::VerbatimSpace space =
      t.ReserveVerbatim(kEntries + 100, 2 * kHalfBytes);
  auto name_of = [](uint32_t k) {
    return k % 3 == 0 ? std::string("System RAM") : "dax" + std::to_string(k);
  };
  auto fill = [&](uint32_t from, uint32_t to, uint32_t at) {
    for (uint32_t k = from; k < to; ++k) {
      const std::string n = name_of(k);
      std::memcpy(space.text + at, n.data(), n.size());
      space.entries[k] = {at, static_cast<uint32_t>(n.size())};
      at += static_cast<uint32_t>(n.size());
    }
  };
  std::thread other(fill, kEntries / 2, kEntries,
                    static_cast<uint32_t>(kHalfBytes));
  fill(0, kEntries / 2, 0);
  other.join();
  t.TrimVerbatim(kEntries);
  for (uint32_t k = 0; k < kEntries; ++k) {
    ASSERT_TRUE(t.Valid(NameTable::VerbatimId(k))) << k;
    ASSERT_EQ(t.Get(NameTable::VerbatimId(k)), name_of(k)) << k;
  }
  EXPECT_FALSE(t.Valid(NameTable::VerbatimId(kEntries)));
  // Equal text, different ids: verbatim names are not deduplicated, and
  // interning does not look at them.
  EXPECT_NE(NameTable::VerbatimId(0), ram);
  EXPECT_EQ(t.Get(NameTable::VerbatimId(0)), t.Get(ram));
  const uint32_t next = t.size();
  EXPECT_EQ(t.Intern("dax1"), next);
  EXPECT_EQ(t.Intern("System RAM"), ram);
}

TEST(NameTable, CopyOwnsItsVerbatimText) {
  auto original = std::make_unique<NameTable>();
  original->Intern("kept");
  // Reserved far more than used: the copy keeps only the bytes in use.
  NameTable::VerbatimSpace space = original->ReserveVerbatim(8, 1 << 20);
  const std::string names[] = {"", "PCI Bus 0000:00", "", "region0",
                               std::string(70000, 'L')};
  uint32_t at = 1000;  // entries need not start at 0 or be contiguous
  for (uint32_t k = 0; k < 5; ++k) {
    std::memcpy(space.text + at, names[k].data(), names[k].size());
    space.entries[k] = {at, static_cast<uint32_t>(names[k].size())};
    at += static_cast<uint32_t>(names[k].size()) + 7;
  }
  original->TrimVerbatim(5);
  NameTable copy = *original;
  NameTable assigned;
  assigned = *original;
  original.reset();
  for (NameTable* t : {&copy, &assigned}) {
    for (uint32_t k = 0; k < 5; ++k) {
      EXPECT_EQ(t->Get(NameTable::VerbatimId(k)), names[k]) << k;
    }
    EXPECT_FALSE(t->Valid(NameTable::VerbatimId(5)));
    EXPECT_EQ(t->Intern("kept"), 1u);
  }
}

TEST(NameTable, ValidKnowsBothKinds) {
  NameTable t;
  EXPECT_TRUE(t.Valid(0));
  EXPECT_FALSE(t.Valid(1));
  EXPECT_FALSE(t.Valid(NameTable::VerbatimId(0)));
  t.Ref(t.Intern("a"));
  EXPECT_TRUE(t.Valid(1));
  t.Unref(1);
  EXPECT_FALSE(t.Valid(1));
}

TEST(NameTable, LastUnrefFreesTheNameAndItsIdIsReused) {
  NameTable t;
  const uint32_t a = t.Intern("region0");
  t.Ref(a);
  t.Ref(a);
  t.Unref(a);
  EXPECT_TRUE(t.Valid(a));
  EXPECT_EQ(t.RefCount(a), 1u);
  t.Unref(a);
  EXPECT_FALSE(t.Valid(a));
  EXPECT_EQ(t.live_names(), 1u);  // the empty name
  const uint32_t b = t.Intern("region1");
  EXPECT_EQ(b, a);
  EXPECT_EQ(t.Get(b), "region1");
  // The freed name is gone from the hash table: interning it again gives a
  // new id with the new text.
  t.Ref(b);
  const uint32_t c = t.Intern("region0");
  EXPECT_NE(c, b);
  EXPECT_EQ(t.Get(c), "region0");
}

// Deleting from the open-addressing table must keep every other name
// findable (backward-shift deletion moves entries of a probe run).
TEST(NameTable, RemovalKeepsTheOthersFindable) {
  NameTable t;
  std::vector<uint32_t> ids;
  for (int i = 0; i < 2000; ++i) {
    ids.push_back(t.Intern("name" + std::to_string(i)));
    t.Ref(ids.back());
  }
  for (int i = 0; i < 2000; i += 3) t.Unref(ids[i]);
  for (int i = 0; i < 2000; ++i) {
    const std::string n = "name" + std::to_string(i);
    if (i % 3 == 0) {
      EXPECT_FALSE(t.Valid(ids[i])) << i;
    } else {
      EXPECT_EQ(t.Intern(n), ids[i]) << i;
      EXPECT_EQ(t.Get(ids[i]), n);
    }
  }
}

// Churn through distinct names (region0, region1, ...) with one holder at a
// time: ids, slots and text storage stay flat.
TEST(NameTable, ChurnOfDistinctNamesKeepsMemoryFlat) {
  NameTable t;
  uint32_t held = t.Intern("region0");
  t.Ref(held);
  size_t bytes_at_1000 = 0;
  for (int i = 1; i < 100000; ++i) {
    const uint32_t next = t.Intern("region" + std::to_string(i));
    t.Ref(next);
    t.Unref(held);
    held = next;
    if (i == 1000) bytes_at_1000 = t.text_bytes();
  }
  EXPECT_EQ(t.live_names(), 2u);
  EXPECT_LE(t.size(), 3u);
  // Names grow from 8 to 11 characters: one more 8-byte class at most.
  EXPECT_LE(t.text_bytes(), bytes_at_1000 + 16);
}

}  // namespace
}  // namespace internal
}  // namespace restree
