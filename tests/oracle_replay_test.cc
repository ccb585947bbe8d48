// Replays the QEMU oracle's committed captures (tests/oracle/<set>/, made by
// tools/qemu_oracle.sh under real Debian kernels; docs/qemu-oracle.md)
// through `restree apply --base <set>/boot.iomem` and compares every
// intermediate /proc/iomem byte for byte: for event N of <set>/script.events,
// the script cut after that event must print exactly <set>/NN.iomem.
//
// Steps where restree does not (yet) predict the kernel are listed in
// kKnownDifferences with the reason. A listed step must still differ: when
// the applier learns it, this test fails until the entry is removed.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "hotplug/apply.h"
#include "hotplug/parse.h"
#include "tools/cli.h"

namespace restree {
namespace {

constexpr char kOracleDir[] = "tests/oracle";

// Every committed capture set. A directory under tests/oracle/ that is not
// listed here (or a listed one that is missing) fails the test.
const std::vector<std::string>& CaptureSets() {
  static const auto* sets = new std::vector<std::string>{
      // Linux 6.1 (Debian 6.1.192-3).
      "cxl-1hb-pcdimm-6.1",
      "cxl-1hb-pmem-6.1",
      "cxl-1hb-pmem-relabel-6.1",
      "cxl-2hb-interleave-6.1",
      "cxl-switch-6.1",
      "legacy-pmem-6.1",
      "nocxl-pcdimm-6.1",
      "softres-hmem-6.1",
      "softres-in-2hb-window-6.1",
      "softres-in-window-6.1",
      // Linux 6.12 (Debian 6.12.117-1~deb12u1).
      "cxl-1hb-pcdimm-6.12",
      "cxl-1hb-pmem-6.12",
      "cxl-1hb-pmem-relabel-6.12",
      "cxl-2hb-interleave-6.12",
      "cxl-switch-6.12",
      "legacy-pmem-6.12",
      "nocxl-pcdimm-6.12",
      "softres-hmem-6.12",
      "softres-in-2hb-window-6.12",
      "softres-in-window-6.12",
  };
  return *sets;
}

// "<set>:<event number>" -> why restree's prediction differs from the
// kernel's capture. Keep each reason short; docs/qemu-oracle.md has detail.
const std::map<std::string, std::string>& KnownDifferences() {
  static const auto* known = new std::map<std::string, std::string>{};
  return *known;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The script cut after each event line: the events are the lines that are
// not blank, comments, config, assert or expect (the driver's rule).
std::vector<std::string> EventPrefixes(const std::string& script) {
  std::vector<std::string> prefixes;
  std::string so_far;
  std::vector<absl::string_view> lines = absl::StrSplit(script, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (absl::string_view line : lines) {
    absl::StrAppend(&so_far, line, "\n");
    const absl::string_view body = line.substr(0, line.find('#'));
    std::vector<absl::string_view> words =
        absl::StrSplit(body, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty() || words[0] == "config" || words[0] == "assert" ||
        words[0] == "expect") {
      continue;
    }
    prefixes.push_back(so_far);
  }
  return prefixes;
}

struct Step {
  int rc;
  std::string out;
  std::string err;
};

Step ApplyPrefix(const std::string& prefix, const std::string& base,
                 const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path =
      std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name + ".events";
  std::ofstream(path, std::ios::binary) << prefix;
  std::ostringstream out, err;
  const int rc = cli::Main({"apply", path, "--base", base}, out, err, false);
  return {rc, out.str(), err.str()};
}

// The lines only in `want` (-) and only in `got` (+), in order of `want`.
std::string LineDiff(const std::string& want, const std::string& got) {
  std::vector<std::string> w = absl::StrSplit(want, '\n');
  std::vector<std::string> g = absl::StrSplit(got, '\n');
  std::multiset<std::string> ws(w.begin(), w.end()), gs(g.begin(), g.end());
  std::string d;
  for (const std::string& l : w) {
    if (gs.count(l) == 0) absl::StrAppend(&d, "  - ", l, "\n");
  }
  for (const std::string& l : g) {
    if (ws.count(l) == 0) absl::StrAppend(&d, "  + ", l, "\n");
  }
  return d.empty() ? "  (same lines, different order or nesting)\n" : d;
}

TEST(OracleReplayTest, EveryCaptureSetIsListed) {
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(kOracleDir)) {
    if (entry.is_directory()) on_disk.insert(entry.path().filename());
  }
  const std::set<std::string> listed(CaptureSets().begin(),
                                     CaptureSets().end());
  EXPECT_EQ(on_disk, listed);
}

TEST(OracleReplayTest, EveryCaptureEqualsRestreesPrediction) {
  std::set<std::string> seen;
  int compared = 0;
  for (const std::string& set : CaptureSets()) {
    const std::string dir = absl::StrCat(kOracleDir, "/", set, "/");
    const std::vector<std::string> prefixes =
        EventPrefixes(Read(dir + "script.events"));
    ASSERT_FALSE(prefixes.empty()) << set << ": the script has no event";
    for (size_t i = 0; i < prefixes.size(); ++i) {
      const int n = static_cast<int>(i) + 1;
      const std::string key = absl::StrCat(set, ":", n);
      const std::string capture = dir + absl::StrFormat("%02d.iomem", n);
      ASSERT_TRUE(std::filesystem::exists(capture))
          << set << ": no capture for event " << n;
      const Step s = ApplyPrefix(prefixes[i], dir + "boot.iomem",
                                 absl::StrCat(set, "-", n));
      const std::string want = Read(capture);
      const bool same = s.rc == 0 && s.out == want;
      ++compared;
      const auto known = KnownDifferences().find(key);
      if (known != KnownDifferences().end()) {
        seen.insert(key);
        EXPECT_FALSE(same) << key << " now matches the kernel: remove it from "
                           << "KnownDifferences (it was: " << known->second
                           << ")";
        continue;
      }
      EXPECT_EQ(s.rc, 0) << key << ": restree apply failed: " << s.err;
      EXPECT_TRUE(s.rc != 0 || same)
          << key << ": restree's tree differs from the kernel's capture "
          << capture << " (- kernel, + restree):\n"
          << LineDiff(want, s.out);
    }
  }
  for (const auto& [key, why] : KnownDifferences()) {
    EXPECT_TRUE(seen.count(key) != 0)
        << "KnownDifferences names " << key << ", which is no captured step";
  }
  EXPECT_GT(compared, 0);
}

// "N online|offline" for every memory block a `.state` file lists (the
// "# memory blocks" section: /sys/devices/system/memory/memoryN/state).
std::string KernelBlocks(const std::string& state) {
  std::string out;
  bool in = false;
  for (absl::string_view line : absl::StrSplit(state, '\n')) {
    if (absl::StartsWith(line, "#")) {
      in = absl::StartsWith(line, "# memory blocks");
      continue;
    }
    if (in && !line.empty()) absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string ModelBlocks(const hotplug::Machine& m) {
  std::string out;
  for (const auto& [n, b] : m.blocks()) {
    absl::StrAppend(&out, n, b.online ? " online\n" : " offline\n");
  }
  return out;
}

// Which memory blocks exist and which are online, after every event, as
// the guest's sysfs showed them (the `.state` files): what the kernel does
// with the blocks it adds by itself (Debian leaves them offline) and what
// daxctl and the sysfs writes change.
TEST(OracleReplayTest, EveryMemoryBlockStateEqualsTheKernels) {
  int compared = 0;
  for (const std::string& set : CaptureSets()) {
    const std::string dir = absl::StrCat(kOracleDir, "/", set, "/");
    const std::vector<std::string> prefixes =
        EventPrefixes(Read(dir + "script.events"));
    const std::string base = Read(dir + "boot.iomem");
    for (size_t i = 0; i <= prefixes.size(); ++i) {
      const std::string key = absl::StrCat(set, ":", i);
      // Step 0: the boot state (the base dump with no event).
      absl::StatusOr<hotplug::Script> script =
          hotplug::ParseScript(i == 0 ? std::string() : prefixes[i - 1], key);
      ASSERT_TRUE(script.ok()) << script.status();
      hotplug::ApplyOptions options;
      options.base_dump = base;
      if (i == 0) {
        // The profile is in the script's config line.
        absl::StatusOr<hotplug::Script> full =
            hotplug::ParseScript(prefixes[0], key);
        ASSERT_TRUE(full.ok()) << full.status();
        for (const hotplug::Event& e : full->events) {
          if (std::holds_alternative<hotplug::ConfigEvent>(e.body)) {
            script->events.push_back(e);
          }
        }
      }
      absl::StatusOr<hotplug::ApplyRun> run =
          hotplug::ApplyScript(*script, options);
      ASSERT_TRUE(run.ok()) << key << ": " << run.status();
      if (KnownDifferences().count(key) != 0) continue;
      const std::string state =
          dir + (i == 0 ? std::string("boot.state")
                        : absl::StrFormat("%02d.state", i));
      EXPECT_EQ(ModelBlocks(run->machine), KernelBlocks(Read(state)))
          << key << ": memory blocks (number state) differ from " << state;
      ++compared;
    }
  }
  EXPECT_GT(compared, 0);
}

}  // namespace
}  // namespace restree
