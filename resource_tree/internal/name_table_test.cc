#include "resource_tree/internal/name_table.h"

#include <memory>
#include <set>
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


// Two writers on two threads intern overlapping name sets, each name many
// times and in a different order: every string gets one id, which both
// writers (and the table afterwards) agree on.
TEST(NameTableWriters, ConcurrentWritersAgreeOnEveryId) {
  constexpr int kNames = 20000;
  std::vector<std::string> names;
  for (int i = 0; i < kNames; ++i) names.push_back("name " + std::to_string(i));
  NameTable t;
  const uint32_t before = t.Intern("before");
  t.BeginWriters(kNames + 10, 2);
  NameTable::Writer w0(&t), w1(&t);
  std::vector<uint32_t> ids0(kNames), ids1(kNames);
  auto run = [&](NameTable::Writer* w, std::vector<uint32_t>* ids, bool up) {
    for (int round = 0; round < 3; ++round) {
      for (int k = 0; k < kNames; ++k) {
        const int i = up ? k : kNames - 1 - k;
        const uint32_t id = w->Intern(names[i], NameTable::Hash(names[i]));
        if (round > 0 && (*ids)[i] != id) (*ids)[i] = NameTable::kFull;
        if (round == 0) (*ids)[i] = id;
      }
    }
  };
  std::thread other([&] { run(&w1, &ids1, false); });
  run(&w0, &ids0, true);
  other.join();
  NameTable::Writer* writers[] = {&w0, &w1};
  t.EndWriters(writers);
  EXPECT_EQ(ids0, ids1);
  std::set<uint32_t> distinct(ids0.begin(), ids0.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kNames));
  EXPECT_EQ(distinct.count(NameTable::kFull), 0u);
  EXPECT_EQ(distinct.count(before), 0u);
  for (int i = 0; i < kNames; ++i) {
    ASSERT_EQ(t.Get(ids0[i]), names[i]) << i;
    ASSERT_EQ(t.Intern(names[i]), ids0[i]) << i;
  }
  // Ids set aside and not used are gaps holding "".
  EXPECT_GE(t.size(), 2u + kNames);
  size_t gaps = 0;
  for (uint32_t id = 0; id < t.size(); ++id) gaps += t.Get(id).empty();
  EXPECT_EQ(gaps, t.size() - 1 - 1 - kNames + 1);
  // The table works as usual afterwards.
  const uint32_t fresh = t.Intern("after");
  EXPECT_EQ(t.Get(fresh), "after");
  EXPECT_EQ(t.Intern("before"), before);
  EXPECT_EQ(t.Intern(""), 0u);
}

// BeginWriters() fixes the room; a new name past it is refused (and not
// added), while names already there are still found.
TEST(NameTableWriters, FullTableRefusesNewNamesOnly) {
  NameTable t;
  // Room for 8 names and a writer's run of unused ids (256): 264 names, so
  // 528 slots, rounded up to 1024, hold 512 names.
  t.BeginWriters(8, 1);
  NameTable::Writer w(&t);
  std::vector<uint32_t> ids;
  uint32_t refused = 0;
  for (int i = 0; i < 600; ++i) {
    const std::string n = "n" + std::to_string(i);
    const uint32_t id = w.Intern(n, NameTable::Hash(n));
    if (id == NameTable::kFull) {
      ++refused;
    } else {
      ids.push_back(id);
    }
  }
  EXPECT_EQ(ids.size(), 511u);  // "" holds id 0
  EXPECT_EQ(refused, 89u);
  EXPECT_EQ(w.Intern("n0", NameTable::Hash("n0")), ids[0]);
  NameTable::Writer* writers[] = {&w};
  t.EndWriters(writers);
  EXPECT_EQ(t.size(), 512u);
  EXPECT_EQ(t.Get(ids[510]), "n510");
  // Outside writers the table grows again.
  EXPECT_EQ(t.Get(t.Intern("n599")), "n599");
}

// A copy made after writers ran owns its strings (the writers' blocks have
// moved into the table they wrote to).
TEST(NameTableWriters, CopyAfterWritersOwnsItsStrings) {
  auto t = std::make_unique<NameTable>();
  t->BeginWriters(100, 1);
  uint32_t id;
  {
    NameTable::Writer w(t.get());
    std::string name = "System RAM";
    id = w.Intern(name, NameTable::Hash(name));
    name.assign(name.size(), 'x');  // the table keeps its own copy
    NameTable::Writer* writers[] = {&w};
    t->EndWriters(writers);
  }
  EXPECT_EQ(t->Get(id), "System RAM");
  NameTable copy = *t;
  t.reset();
  EXPECT_EQ(copy.Get(id), "System RAM");
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
