// Every scenario script in tests/scenarios/ (the //tests:scenarios
// filegroup) runs clean through ApplyScript: each event succeeds or fails
// with the errno its `expect error` names, and every assert holds. Together
// the scripts must exercise every redesign operation and every errno the
// applier reports; the Soft Reserved nesting scripts must end in the chains
// reported on the mailing list, and the LKML one must print the reported
// excerpt.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hotplug/apply.h"
#include "hotplug/events.h"
#include "hotplug/parse.h"
#include "resource_tree/kernel_status.h"

namespace restree {
namespace hotplug {
namespace {

constexpr char kScenarios[] = "tests/scenarios";
constexpr char kSamples[] = "iomem_parser/testdata/";

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The scripts that replay a real machine run on its boot dump.
const std::map<std::string, std::string>& Bases() {
  static const auto* bases = new std::map<std::string, std::string>{
      {"pcdimm-hotplug-61.events", "qemu72-linux61-nocxl-iomem.txt"},
      {"legacy-pmem-kmem-61.events", "qemu72-linux61-legacy-pmem-iomem.txt"},
  };
  return *bases;
}

struct Scenario {
  std::string name;  // file name
  Script script;
  ApplyRun run;
};

// Parses and applies every script once (the tests below share the runs).
const std::vector<Scenario>& All() {
  static const auto* all = [] {
    auto* out = new std::vector<Scenario>();
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(kScenarios)) {
      const std::string name = entry.path().filename().string();
      if (absl::EndsWith(name, ".events")) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string path = std::string(kScenarios) + "/" + name;
      absl::StatusOr<Script> script = ParseScript(Read(path), path);
      EXPECT_TRUE(script.ok()) << script.status();
      if (!script.ok()) continue;
      ApplyOptions options;
      auto base = Bases().find(name);
      if (base != Bases().end()) {
        options.base_dump = Read(kSamples + base->second);
      }
      absl::StatusOr<ApplyRun> run = ApplyScript(*script, options);
      EXPECT_TRUE(run.ok()) << name << ": " << run.status();
      if (!run.ok()) continue;
      out->push_back(Scenario{name, *std::move(script), *std::move(run)});
    }
    return out;
  }();
  return *all;
}

const Scenario* Find(absl::string_view name) {
  for (const Scenario& s : All()) {
    if (s.name == name) return &s;
  }
  ADD_FAILURE() << "no scenario " << name;
  return nullptr;
}

TEST(ScenariosTest, EveryScriptRunsCleanWithItsAsserts) {
  ASSERT_GE(All().size(), 12u);
  for (const Scenario& s : All()) {
    EXPECT_TRUE(s.run.ok) << s.name;
    EXPECT_EQ(
        s.run.results.size(),
        s.script.events.size() -
            std::count_if(s.script.events.begin(), s.script.events.end(),
                          [](const Event& e) {
                            return std::holds_alternative<ConfigEvent>(e.body);
                          }))
        << s.name << ": not every event ran";
    for (const EventResult& r : s.run.results) {
      EXPECT_TRUE(r.outcome == EventResult::Outcome::kOk ||
                  r.outcome == EventResult::Outcome::kFailedAsExpected)
          << s.name << ":" << r.location.line << ": " << r.event << ": "
          << OutcomeName(r.outcome) << ": " << r.message;
    }
  }
}

// Every errno the applier reports (hotplug/machine.cc, hotplug/apply.cc;
// docs/events.md lists the path of each) is expected by some script, and
// the event that follows really failed with it.
TEST(ScenariosTest, EveryErrnoOfTheApplierIsExercised) {
  std::set<std::string> seen;
  for (const Scenario& s : All()) {
    for (const EventResult& r : s.run.results) {
      if (r.outcome == EventResult::Outcome::kFailedAsExpected) {
        seen.insert(std::string(ErrnoNameOf(r.errno_value)));
      }
    }
  }
  for (const char* e : {"E2BIG", "EBUSY", "EEXIST", "EINVAL", "ENOENT",
                        "ENOMEM", "ENOSPC", "ENXIO", "ERANGE", "EOPNOTSUPP"}) {
    EXPECT_TRUE(seen.count(e)) << e << " is not exercised by any scenario";
  }
}

// The redesign operations: reparent, window expand (with and without
// growing ancestors), chunks reserve, a region claiming chunks and giving
// them back on destroy, release-unused with and without shrink.
TEST(ScenariosTest, EveryRedesignOperationIsExercised) {
  bool reparent = false, expand = false, expand_up = false, reserve = false,
       release = false, release_shrink = false, claim = false,
       give_back = false;
  for (const Scenario& s : All()) {
    bool chunked = false;
    for (const Event& e : s.script.events) {
      if (std::holds_alternative<Reparent>(e.body)) reparent = true;
      if (const auto* w = std::get_if<WindowExpand>(&e.body)) {
        (w->grow_ancestors ? expand_up : expand) = true;
      }
      if (std::holds_alternative<ChunksReserve>(e.body)) {
        reserve = chunked = true;
      }
      if (const auto* c = std::get_if<ChunksReleaseUnused>(&e.body)) {
        (c->shrink ? release_shrink : release) = true;
      }
      if (chunked && std::holds_alternative<RegionCreate>(e.body)) {
        claim = true;
      }
      if (chunked && std::holds_alternative<RegionDestroy>(e.body)) {
        give_back = true;
      }
    }
  }
  EXPECT_TRUE(reparent);
  EXPECT_TRUE(expand);
  EXPECT_TRUE(expand_up);
  EXPECT_TRUE(reserve);
  EXPECT_TRUE(claim);
  EXPECT_TRUE(give_back);
  EXPECT_TRUE(release);
  EXPECT_TRUE(release_shrink);
}

// The names from `leaf` up to the top level, outermost first.
std::vector<std::string> ChainTo(const ResourceTree& t,
                                 absl::string_view leaf) {
  std::vector<std::string> chain;
  ResourceId at;
  t.ForEachPreorder([&](ResourceId id, int) {
    if (!at.valid() && t.NameOf(id) == leaf) at = id;
  });
  for (; at.valid() && at != t.root(); at = t.ParentOf(at)) {
    chain.insert(chain.begin(), std::string(t.NameOf(at)));
  }
  return chain;
}

// The four nestings reported for one Soft Reserved CXL range (issue 17),
// each from the profile and configuration that produce it.
TEST(ScenariosTest, SoftReservedNestingsAreTheReportedOnes) {
  const std::map<std::string, std::vector<std::string>> want = {
      {"softres-hmem-nesting-normal-7x.events",
       {"CXL Window 0", "region0", "dax0.0", "System RAM (kmem)"}},
      {"softres-hmem-nesting-cxl-region-off-612.events",
       {"CXL Window 0", "Soft Reserved", "dax0.0", "System RAM (kmem)"}},
      {"softres-hmem-nesting-assembly-failed-7x.events",
       {"Soft Reserved", "CXL Window 0", "region0", "dax6.0",
        "System RAM (kmem)"}},
      {"softres-hmem-nesting-cxl-modules-612.events",
       {"CXL Window 2", "region3", "Soft Reserved", "dax0.0",
        "System RAM (kmem)"}},
  };
  for (const auto& [name, chain] : want) {
    const Scenario* s = Find(name);
    if (s == nullptr) continue;
    EXPECT_THAT(ChainTo(s->run.machine.tree(), "System RAM (kmem)"),
                ::testing::ElementsAreArray(chain))
        << name;
  }
}

TEST(ScenariosTest, LkmlReportPrintsAsTheExcerpt) {
  const Scenario* s = Find("softres-lkml-2025-07-window-sr-region.events");
  ASSERT_NE(s, nullptr);
  // The mail quote indents each nested line one space more than
  // /proc/iomem; undo that, then the texts must be equal.
  std::string excerpt;
  for (absl::string_view line : absl::StrSplit(
           Read(std::string(kSamples) +
                "lkml-2025-07_zhijian-rfc_cxl-window-softreserved-region-"
                "dax-kmem.excerpt.txt"),
           '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, " ")) line.remove_prefix(1);
    absl::StrAppend(&excerpt, line, "\n");
  }
  EXPECT_EQ(s->run.machine.Render(), excerpt);
}

}  // namespace
}  // namespace hotplug
}  // namespace restree
