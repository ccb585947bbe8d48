// Every tree the hotplug applier produces passes `restree check`'s rules:
// each tests/scenarios/*.events script and a set of machine flows (CXL pmem
// and ram regions, namespaces, dax, kmem, region teardown, Soft Reserved,
// ACPI memory, chunks) are applied on an empty machine and on real kernel
// dumps from iomem_parser/testdata, under each kernel profile; after
// every event the /proc/iomem text is parsed back and checked as `restree
// check --profile P` checks a dump (it parses, so its structure holds; the
// driver chains of P: no error), and the final tree is checked with its
// flags.
// The applier and the checker read their chains from
// resource_tree/domain_invariants.h; this holds the two to each other.

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hotplug/apply.h"
#include "hotplug/parse.h"
#include "iomem_parser/parser.h"
#include "resource_tree/domain_invariants.h"
#include "tests/iomem_samples.h"

namespace restree {
namespace hotplug {
namespace {

using ::testing::ElementsAre;

struct Base {
  std::string name;  // "empty" or the sample's file name
  std::string text;
};

// The empty machine and real kernel dumps of each kind: the QEMU boot the
// 6.1 captures start from, its CXL and legacy-pmem boots, a two-socket
// server, a 6.18 VM and an arm64 board (the other samples add nothing the
// applier treats differently, and each base costs a run of every script).
std::vector<Base> Bases() {
  std::vector<Base> out = {{"empty", ""}};
  for (const char* n :
       {"qemu72-linux61-nocxl-iomem.txt", "qemu72-linux61-cxl1-iomem.txt",
        "qemu72-linux61-legacy-pmem-kmem.txt",
        "github-note_intel-wolfpass-2socket-server.txt",
        "firecracker-vm-x86_64-6.18.txt",
        "github-yexuanyang-flip_simulation_qemu-arm64-virt.txt"}) {
    out.push_back(
        {n, test_support::ReadTestFile(test_support::IomemSamplePath(n))});
    EXPECT_FALSE(out.back().text.empty()) << n;
  }
  return out;
}

// What one script run left: findings that are errors, and the rules of
// the warnings after its last event.
struct Outcome {
  std::vector<std::string> errors;
  std::vector<std::string> last_warnings;
  size_t trees = 0;
};

// Applies `text` on `base` and checks every intermediate tree.
Outcome ApplyAndCheck(const std::string& file, const std::string& text,
                      const Base& base, const std::string& profile) {
  Outcome out;
  absl::StatusOr<Script> script = ParseScript(text, file);
  if (!script.ok()) {
    out.errors.push_back(std::string(script.status().message()));
    return out;
  }
  ApplyOptions options;
  options.base_dump = base.text;
  options.profile = profile;
  options.trace = true;
  absl::StatusOr<ApplyRun> run = ApplyScript(*script, options);
  if (!run.ok()) {
    out.errors.push_back(std::string(run.status().message()));
    return out;
  }
  const std::optional<ChainProfiles> chains =
      ChainProfilesOf(run->machine.profile());
  if (!chains.has_value()) {
    out.errors.push_back("no chain profile for " + run->machine.profile().name);
    return out;
  }
  DomainRules rules;
  rules.check_flags = false;
  rules.memory_block_size = run->machine.block_size();
  rules.profiles = *chains;
  const std::string where = absl::StrCat(" on base ", base.name, " (",
                                         run->machine.profile().name, ")");
  for (const EventResult& r : run->results) {
    IomemParseOptions po;
    po.filename = absl::StrCat(file, ":", r.location.line, " tree");
    absl::StatusOr<ParsedIomem> p = ParseIomem(r.tree_after, po);
    if (!p.ok()) {
      out.errors.push_back(std::string(p.status().message()) + where);
      continue;
    }
    // (A parsed tree holds the structural invariants: the parser builds
    // it with TreeBuilder, which refuses any line that would break one.)
    ++out.trees;
    out.last_warnings.clear();
    for (const DomainFinding& f : CheckDomain(p->tree, rules)) {
      if (f.severity == DomainFinding::Severity::kWarning) {
        out.last_warnings.push_back(f.rule);
        continue;
      }
      out.errors.push_back(absl::StrCat(file, ":", r.location.line, " ",
                                        r.event, where, ": [", f.rule, "] ",
                                        f.message, "\n", r.tree_after));
    }
  }
  // The final tree with the flags and desc the machine gave each node.
  DomainRules with_flags = rules;
  with_flags.check_flags = true;
  for (const InvariantViolation& v :
       CheckDomainInvariants(run->machine.tree(), with_flags)) {
    out.errors.push_back(absl::StrCat(file, " final tree", where, ": ",
                                      v.message, "\n", run->machine.Dump()));
  }
  return out;
}

// tests/scenarios/*.events, sorted.
std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("tests/scenarios")) {
    if (e.path().extension() == ".events") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ApplierTreesCheckTest, EveryScenarioOnRealBases) {
  const std::vector<std::string> files = ScenarioFiles();
  ASSERT_GE(files.size(), 6u);
  size_t trees = 0;
  for (const std::string& f : files) {
    const std::string text = test_support::ReadTestFile(f);
    ASSERT_FALSE(text.empty()) << f;
    for (const Base& base : Bases()) {
      const Outcome o = ApplyAndCheck(f, text, base, "");
      trees += o.trees;
      for (const std::string& e : o.errors) ADD_FAILURE() << e;
    }
  }
  EXPECT_GT(trees, 100u);
}

constexpr char kProfiles[][16] = {"debian-6.1", "linux-6.12", "linux-7.0"};

// Machine flows in the core syntax, far above every sample's map (the
// window at 63 TiB, below PHYSMEM_END).
constexpr char kPmemFlow[] = R"(
window add 0 base=0x3f0000000000 size=4G
region create window=0 size=256M mode=pmem
namespace create region=region0 mode=devdax align=2M
kmem online dax0.0
kmem offline dax0.0
region create window=0 size=512M mode=pmem
region destroy region0
region destroy region1
window add 1 base=0x3f0200000000 size=256M
region create window=1 size=256M mode=pmem
)";

constexpr char kRamFlow[] = R"(
window add 0 base=0x3f0000000000 size=4G
region create window=0 size=512M mode=ram
dax create region=region0
kmem online dax0.0 node=1
region create window=0 size=256M mode=ram
dax create region=region1
region destroy region0
)";

constexpr char kSoftReservedFlow[] = R"(
softres add 0x3f0000000000-0x3f00ffffffff
window add 0 base=0x3f0000000000 size=4G
softres add 0x3f0200000000-0x3f03ffffffff
window add 1 base=0x3f0200000000 size=4G
memory add 0x3f0400000000 size=256M
memory offline 0x3f0400000000 size=256M
memory remove 0x3f0400000000 size=256M
)";

constexpr char kChunkFlow[] = R"(
window add 0 base=0x3f0000000000 size=4G
chunks reserve window=0 size=256M
region create window=0 size=768M mode=pmem
region destroy region0
chunks release-unused window=0 shrink
)";

TEST(ApplierTreesCheckTest, MachineFlowsOnRealBasesAndEveryProfile) {
  size_t trees = 0;
  for (const char* profile : kProfiles) {
    for (const auto& [name, flow] :
         {std::pair<const char*, const char*>{"pmem", kPmemFlow},
          {"ram", kRamFlow},
          {"softres", kSoftReservedFlow},
          {"chunks", kChunkFlow}}) {
      for (const Base& base : Bases()) {
        const Outcome o =
            ApplyAndCheck(absl::StrCat(name, ".events"), flow, base, profile);
        trees += o.trees;
        for (const std::string& e : o.errors) ADD_FAILURE() << e;
      }
    }
  }
  EXPECT_GT(trees, 400u);
}

// The flows reach the shapes the rules are about: a region torn down with
// its kmem memory online leaves dax and kmem under the window (warned as
// stranded), and nothing else is warned about on the way there.
TEST(ApplierTreesCheckTest, RegionTeardownWithKmemOnlineIsWarnedAbout) {
  const Outcome o =
      ApplyAndCheck("ram.events", kRamFlow, Base{"empty", ""}, "linux-6.12");
  EXPECT_THAT(o.errors, ::testing::IsEmpty());
  EXPECT_EQ(o.trees, 7u);
  EXPECT_THAT(o.last_warnings, ElementsAre("stranded-kmem"));
  const Outcome pmem =
      ApplyAndCheck("pmem.events", kPmemFlow, Base{"empty", ""}, "debian-6.1");
  EXPECT_EQ(pmem.trees, 10u);
  EXPECT_THAT(pmem.last_warnings, ::testing::IsEmpty());
}

}  // namespace
}  // namespace hotplug
}  // namespace restree
