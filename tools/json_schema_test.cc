// Every command's --json output against docs/json.md: the schema field
// names the command, every field is named in that schema's section of the
// document, addresses are 0x-hex strings and sizes integers everywhere.

#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/iomem_samples.h"
#include "tests/json_value.h"
#include "tools/cli.h"

namespace restree {
namespace {

using ::restree::test_support::JsonValue;
using ::restree::test_support::ParseJson;

struct RunResult {
  int rc;
  std::string out;
  std::string err;
};

RunResult Restree(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int rc = cli::Main(args, out, err, /*out_is_terminal=*/false);
  return {rc, out.str(), err.str()};
}

// The section of docs/json.md that defines `schema`: from its heading to
// the next one.
std::string Section(const std::string& doc, const std::string& schema) {
  const size_t at = doc.find(absl::StrCat("— `", schema, "`"));
  if (at == std::string::npos) return "";
  const size_t end = doc.find("\n## ", at);
  return doc.substr(at, end == std::string::npos ? end : end - at);
}

bool IsHexAddress(const JsonValue& v) {
  if (v.is_null()) return true;
  if (v.type != JsonValue::Type::kString) return false;
  const std::string& t = v.text;
  if (t.size() < 3 || !absl::StartsWith(t, "0x")) return false;
  for (size_t i = 2; i < t.size(); ++i) {
    if (!absl::ascii_isxdigit(t[i]) || absl::ascii_isupper(t[i])) return false;
  }
  return t.size() == 3 || t[2] != '0';  // no leading zeros
}

bool IsInteger(const JsonValue& v) {
  if (v.is_null()) return true;
  if (v.type != JsonValue::Type::kNumber || v.text.empty()) return false;
  for (char c : v.text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

const absl::flat_hash_set<std::string>& AddressKeys() {
  static const auto* k =
      new absl::flat_hash_set<std::string>{"start", "end", "base", "address"};
  return *k;
}
const absl::flat_hash_set<std::string>& AddressPairKeys() {
  static const auto* k =
      new absl::flat_hash_set<std::string>{"range", "trimmed_from"};
  return *k;
}
const absl::flat_hash_set<std::string>& SizeKeys() {
  static const auto* k = new absl::flat_hash_set<std::string>{
      "size",          "length",       "register_length", "chunk_size",
      "target_offset", "memory_bytes", "system_ram"};
  return *k;
}

// Checks every field below `v` (iteratively); `path` names the place in
// failure messages. Returns the number of fields checked.
size_t CheckFields(const JsonValue& root, const std::string& section,
                   const std::string& what) {
  struct Item {
    const JsonValue* v;
    std::string path;
  };
  std::vector<Item> stack = {{&root, ""}};
  size_t fields = 0;
  while (!stack.empty()) {
    const Item it = stack.back();
    stack.pop_back();
    for (size_t i = 0; i < it.v->items.size(); ++i) {
      stack.push_back({&it.v->items[i], absl::StrCat(it.path, "[", i, "]")});
    }
    for (const auto& [key, value] : it.v->fields) {
      ++fields;
      const std::string path = absl::StrCat(it.path, ".", key);
      EXPECT_TRUE(absl::StrContains(section, absl::StrCat("\"", key, "\"")))
          << what << ": " << path << " is not in its docs/json.md section";
      if (AddressKeys().contains(key)) {
        EXPECT_TRUE(IsHexAddress(value))
            << what << ": " << path << " = " << value.text;
      }
      if (AddressPairKeys().contains(key) && !value.is_null()) {
        EXPECT_EQ(value.items.size(), 2u) << what << ": " << path;
        for (const JsonValue& a : value.items) {
          EXPECT_TRUE(IsHexAddress(a) && !a.is_null())
              << what << ": " << path << " holds " << a.text;
        }
      }
      if (SizeKeys().contains(key)) {
        EXPECT_TRUE(IsInteger(value))
            << what << ": " << path << " = \"" << value.text << "\"";
      }
      stack.push_back({&value, path});
    }
  }
  return fields;
}

struct Case {
  std::string schema;
  std::vector<std::string> args;
  int rc;
};

std::vector<Case> Cases() {
  const std::string cxl =
      test_support::IomemSamplePath("qemu72-linux61-cxl1-iomem.txt");
  const std::string nocxl =
      test_support::IomemSamplePath("qemu72-linux61-nocxl-iomem.txt");
  const std::string zeroed = test_support::IomemSamplePath(
      "mailinglist_nonroot-zeroed-addresses_x86-laptop.txt");
  const std::string cedt = "cfmws/testdata/qemu72-cxl1.CEDT.bin";
  const std::string numa = "numa/testdata/";
  return {
      {"restree.show/1", {"show", "--json", cxl}, 0},
      {"restree.show/1", {"show", "--json", zeroed}, 0},
      {"restree.diff/1", {"diff", "--json", nocxl, cxl}, 1},
      {"restree.check/1", {"check", "--json", cxl}, 0},
      {"restree.demo/1", {"demo", "--json"}, 0},
      {"restree.apply/1",
       {"apply", "--json", "--tiers",
        "tests/scenarios/memory-hotplug-cxl-windows-612.events"},
       0},
      {"restree.cedt/1", {"cedt", "--json", cedt}, 0},
      {"restree.cedt-validate/1", {"cedt", "--validate", "--json", cedt}, 0},
      {"restree.cedt-hpa/1",
       {"cedt", "--hpa", "0x390000100", "--json", cedt},
       0},
      {"restree.cedt-plan/1", {"cedt", "--plan", "--json", cedt}, 0},
      {"restree.cedt-plan/1",
       {"cedt", "--plan", "--chunked", "--chunk-size", "1G", "--json", cedt},
       0},
      {"restree.which/1", {"which", "--json", "0xfe810084", cxl}, 0},
      {"restree.which/1",
       {"which", "--json", "0x390000100", cxl, "--cedt", cedt},
       0},
      {"restree.numa/1",
       {"numa", "--sysroot", numa + "sysroot_seed", "--json"},
       0},
      {"restree.numa/1",
       {"numa", "--numactl", numa + "seed_a.numactl", "--perf",
        numa + "seed.attrs", "--json"},
       0},
      {"restree.pool/1",
       {"pool", "--json", "appliance/testdata/pooled.pool"},
       0},
  };
}

TEST(JsonSchemaTest, EveryCommandsJsonFollowsDocsJsonMd) {
  const std::string doc = test_support::ReadTestFile("docs/json.md");
  ASSERT_FALSE(doc.empty());
  for (const Case& c : Cases()) {
    const std::string what = absl::StrJoin(c.args, " ");
    const RunResult r = Restree(c.args);
    ASSERT_EQ(r.rc, c.rc) << what << "\n" << r.err;
    absl::StatusOr<JsonValue> j = ParseJson(r.out);
    ASSERT_TRUE(j.ok()) << what << ": " << j.status();
    ASSERT_EQ(j->type, JsonValue::Type::kObject) << what;
    ASSERT_FALSE(j->fields.empty()) << what;
    EXPECT_EQ(j->fields[0].first, "schema") << what;
    EXPECT_EQ(j->fields[0].second.text, c.schema) << what;
    // restree.<command>[-mode]/N
    EXPECT_TRUE(
        absl::StartsWith(c.schema, absl::StrCat("restree.", c.args[0], "/")) ||
        absl::StartsWith(c.schema, absl::StrCat("restree.", c.args[0], "-")))
        << c.schema;
    const std::string section = Section(doc, c.schema);
    ASSERT_FALSE(section.empty())
        << "docs/json.md has no section for " << c.schema;
    EXPECT_GT(CheckFields(*j, section, what), 3u) << what;
  }
}

// Every command whose help offers --json is in the cases above, and every
// one of them takes -j for it.
TEST(JsonSchemaTest, EveryCommandWithJsonIsChecked) {
  absl::flat_hash_set<std::string> checked;
  for (const Case& c : Cases()) checked.insert(c.args[0]);
  const RunResult top = Restree({"--help"});
  ASSERT_EQ(top.rc, 0);
  size_t commands = 0;
  for (absl::string_view line : absl::StrSplit(top.out, '\n')) {
    if (!absl::StartsWith(line, "  ")) continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.empty()) continue;
    const std::string name(words[0]);
    const RunResult help = Restree({name, "--help"});
    if (help.rc != 0) continue;
    ++commands;
    if (absl::StrContains(help.out, "--json")) {
      EXPECT_TRUE(checked.contains(name)) << name << " has --json, unchecked";
    }
  }
  EXPECT_GE(commands, 8u);
}

}  // namespace
}  // namespace restree
