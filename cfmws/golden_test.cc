// Golden tests: restree's decode of the two sample tables agrees, field by
// field, with ACPICA's disassembly of them (`iasl -d`, version 20250404,
// saved next to each table in cfmws/testdata/*.dsl). The .dsl text is parsed
// here; nothing is copied from restree's own output.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cfmws/cedt.h"
#include "cfmws/render.h"
#include "cfmws/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace restree {
namespace cedt {
namespace {

using test_support::ReadTestdata;
using test_support::ReadTestdataText;

struct DslField {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string name;
  std::string value;  // first token of the value: hex digits or "quoted"
};

struct Dsl {
  std::vector<DslField> fields;
  std::vector<uint8_t> raw;  // the "Raw Table Data" hex dump
};

// Lines of the form "[04Ch 0076 008h]   Window base address : 000..."
// and the hex dump "    0000: 43 45 44 54 ...  // CEDT...".
Dsl ParseDsl(const std::string& text) {
  Dsl d;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "[")) {
      const size_t close = line.find(']');
      const size_t colon = line.find(" : ");
      if (close == absl::string_view::npos ||
          colon == absl::string_view::npos) {
        continue;
      }
      std::vector<std::string> pos =
          absl::StrSplit(line.substr(1, close - 1), ' ');
      if (pos.size() != 3 || pos[0].empty() || pos[2].empty() ||
          pos[0].back() != 'h' || pos[2].back() != 'h') {
        continue;
      }
      DslField f;
      EXPECT_TRUE(
          absl::SimpleHexAtoi(pos[0].substr(0, pos[0].size() - 1), &f.offset))
          << line;
      uint64_t dec = 0;
      EXPECT_TRUE(absl::SimpleAtoi(pos[1], &dec)) << line;
      EXPECT_EQ(dec, f.offset) << "hex and decimal offsets disagree: " << line;
      EXPECT_TRUE(
          absl::SimpleHexAtoi(pos[2].substr(0, pos[2].size() - 1), &f.length))
          << line;
      f.name = std::string(absl::StripAsciiWhitespace(
          line.substr(close + 1, colon - close - 1)));
      std::string v(line.substr(colon + 3));
      if (!v.empty() && v[0] == '"') {
        f.value = v.substr(0, v.find('"', 1) + 1);
      } else {
        f.value = v.substr(0, v.find(' '));
      }
      d.fields.push_back(f);
      continue;
    }
    absl::string_view t = absl::StripLeadingAsciiWhitespace(line);
    if (t.size() > 6 && t[4] == ':' && line.size() > t.size()) {
      uint32_t addr = 0;
      if (!absl::SimpleHexAtoi(t.substr(0, 4), &addr)) continue;
      absl::string_view bytes = t.substr(5);
      bytes = bytes.substr(0, bytes.find("//"));
      for (absl::string_view byte :
           absl::StrSplit(bytes, ' ', absl::SkipEmpty())) {
        uint32_t b = 0;
        EXPECT_TRUE(absl::SimpleHexAtoi(byte, &b)) << byte;
        d.raw.push_back(static_cast<uint8_t>(b));
      }
    }
  }
  return d;
}

uint64_t Hex(const std::string& v) {
  uint64_t x = 0;
  EXPECT_TRUE(absl::SimpleHexAtoi(v, &x)) << v;
  return x;
}

std::string Quote(const std::array<char, 4>& a) {
  return "\"" + std::string(a.begin(), a.end()) + "\"";
}
template <size_t N>
std::string QuoteN(const std::array<char, N>& a) {
  return "\"" + std::string(a.begin(), a.end()) + "\"";
}

// The decoded value of the `occurrence`-th field called `name` in `s`, and
// that field's offset within its record (CEDT layouts, reference §5 /
// ACPICA actbl1.h). nullopt for a name the subtable has no such field for.
struct Expected {
  uint64_t value;
  uint64_t record_offset;
};
std::optional<Expected> Lookup(const Subtable& s, const std::string& name,
                               int occurrence) {
  if (name == "Subtable Type") return Expected{TypeOf(s), 0};
  if (name == "Length") return Expected{RecordLength(s), 2};
  if (const Chbs* c = std::get_if<Chbs>(&s)) {
    if (name == "Reserved") {
      return occurrence == 0 ? Expected{c->header_reserved, 1}
                             : Expected{c->reserved, 12};
    }
    if (name == "Associated host bridge") return Expected{c->uid, 4};
    if (name == "Specification version") return Expected{c->cxl_version, 8};
    if (name == "Register base") return Expected{c->base, 16};
    if (name == "Register length") return Expected{c->length, 24};
  }
  if (const Cfmws* c = std::get_if<Cfmws>(&s)) {
    if (name == "Reserved") {
      if (occurrence == 0) return Expected{c->header_reserved, 1};
      if (occurrence == 1) return Expected{c->reserved1, 4};
      return Expected{c->reserved2, 26};
    }
    if (name == "Window base address") return Expected{c->base_hpa, 8};
    if (name == "Window size") return Expected{c->window_size, 16};
    if (name == "Interleave Members") return Expected{c->eniw, 24};
    if (name == "Interleave Arithmetic") return Expected{c->arithmetic, 25};
    if (name == "Granularity") return Expected{c->hbig, 28};
    if (name == "Restrictions") return Expected{c->restrictions, 32};
    if (name == "QtgId") return Expected{c->qtg_id, 34};
    if (name == "First Target") return Expected{c->targets.at(0), 36};
    if (name == "Next Target") {
      const size_t k = static_cast<size_t>(occurrence) + 1;
      return Expected{c->targets.at(k), 36 + 4 * k};
    }
  }
  return std::nullopt;
}

void CheckAgainstDsl(const std::string& bin, const std::string& dsl_name) {
  const std::vector<uint8_t> bytes = ReadTestdata(bin);
  const Dsl dsl = ParseDsl(ReadTestdataText(dsl_name));
  ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(bytes));

  // The dump in the .dsl is the table we decode.
  EXPECT_EQ(dsl.raw, bytes);

  // Header fields.
  const TableHeader& h = t.header;
  std::map<std::string, std::string> header = {
      {"Signature", Quote(h.signature)},
      {"Table Length", absl::StrFormat("%08X", h.length)},
      {"Revision", absl::StrFormat("%02X", h.revision)},
      {"Checksum", absl::StrFormat("%02X", h.checksum)},
      {"Oem ID", QuoteN(h.oem_id)},
      {"Oem Table ID", QuoteN(h.oem_table_id)},
      {"Oem Revision", absl::StrFormat("%08X", h.oem_revision)},
      {"Asl Compiler ID", QuoteN(h.creator_id)},
      {"Asl Compiler Revision", absl::StrFormat("%08X", h.creator_revision)}};
  size_t i = 0;
  for (; i < dsl.fields.size() && dsl.fields[i].name != "Subtable Type"; ++i) {
    const DslField& f = dsl.fields[i];
    ASSERT_TRUE(header.count(f.name)) << f.name;
    EXPECT_EQ(header[f.name], f.value) << f.name;
  }
  EXPECT_EQ(i, header.size());

  // Subtables: a "Subtable Type" line starts each one.
  const std::vector<uint64_t> offsets = SubtableOffsets(t);
  int sub = -1;
  uint64_t start = 0;
  std::map<std::string, int> seen;
  size_t checked = 0;
  for (; i < dsl.fields.size(); ++i) {
    const DslField& f = dsl.fields[i];
    if (f.name == "Subtable Type") {
      ++sub;
      start = f.offset;
      seen.clear();
      ASSERT_LT(static_cast<size_t>(sub), t.subtables.size());
      EXPECT_EQ(offsets[sub], start) << "subtable " << sub;
    }
    const int occurrence = seen[f.name]++;
    std::optional<Expected> e = Lookup(t.subtables[sub], f.name, occurrence);
    ASSERT_TRUE(e.has_value()) << "subtable " << sub << ": " << f.name;
    EXPECT_EQ(e->value, Hex(f.value))
        << "subtable " << sub << " field " << f.name << " #" << occurrence;
    EXPECT_EQ(e->record_offset, f.offset - start)
        << "subtable " << sub << " field " << f.name;
    EXPECT_EQ(f.value.size(), 2 * f.length) << f.name;
    ++checked;
  }
  EXPECT_EQ(static_cast<size_t>(sub) + 1, t.subtables.size());
  EXPECT_GT(checked, 0u);
}

TEST(GoldenTest, QemuTableMatchesIaslDisassembly) {
  CheckAgainstDsl("qemu72-cxl1.CEDT.bin", "qemu72-cxl1.CEDT.dsl");
}

TEST(GoldenTest, AcpicaTemplateMatchesIaslDisassembly) {
  CheckAgainstDsl("acpica-template.CEDT.bin", "acpica-template.CEDT.dsl");
}

// The human view lists the same fields, names, offsets, lengths and values
// as `iasl -d`, in the same order.
TEST(GoldenTest, HumanViewUsesIaslFieldsAndValues) {
  for (const auto& [bin, dsl_name] :
       std::vector<std::pair<std::string, std::string>>{
           {"qemu72-cxl1.CEDT.bin", "qemu72-cxl1.CEDT.dsl"},
           {"acpica-template.CEDT.bin", "acpica-template.CEDT.dsl"}}) {
    ASSERT_OK_AND_ASSIGN(Cedt t, DecodeCedt(ReadTestdata(bin)));
    const Dsl dsl = ParseDsl(ReadTestdataText(dsl_name));
    const std::vector<FieldLine> lines = ListFields(t);
    ASSERT_EQ(lines.size(), dsl.fields.size()) << bin;
    for (size_t k = 0; k < lines.size(); ++k) {
      EXPECT_EQ(lines[k].offset, dsl.fields[k].offset) << bin << " " << k;
      EXPECT_EQ(lines[k].length, dsl.fields[k].length) << bin << " " << k;
      EXPECT_EQ(lines[k].name, dsl.fields[k].name) << bin << " " << k;
      EXPECT_EQ(lines[k].value, dsl.fields[k].value) << bin << " " << k;
    }
    // And the printed line starts exactly as iasl's does.
    const std::string text = ReadTestdataText(dsl_name);
    for (const FieldLine& l : lines) {
      const std::string printed = FormatFieldLine(l);
      const std::string prefix =
          printed.substr(0, printed.find(" : ") + 3) + l.value;
      EXPECT_NE(text.find(prefix), std::string::npos) << prefix;
    }
  }
}

}  // namespace
}  // namespace cedt
}  // namespace restree
