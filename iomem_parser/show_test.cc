// show's JSON: the "resources" array is written by a specialised loop
// (show.cc); these tests hold its bytes to what the generic pretty
// JsonWriter writes for the same fields, on names that need escapes, a
// range whose size is 2^64, zeroed dumps and filtered selections.

#include "iomem_parser/show.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json_writer.h"
#include "gtest/gtest.h"
#include "iomem_parser/internal/json_fields.h"
#include "iomem_parser/parser.h"
#include "resource_tree/range.h"

namespace restree {
namespace {

// The "resources" array as JsonWriter writes it, elements at depth 2 (the
// document object, the array): the reference for the specialised writer.
std::string ReferenceResources(const ParsedIomem& dump,
                               const std::vector<ShownNode>& nodes) {
  JsonWriter w;
  w.BeginObject();
  w.Key("resources").BeginArray();
  std::vector<std::pair<ShownNode, size_t>> open;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ShownNode& n = nodes[i];
    const ResourceView v = dump.tree.View(n.id);
    while (!open.empty() && open.back().first.depth >= n.depth) open.pop_back();
    w.BeginObject();
    w.Key("index").Uint(i);
    if (!open.empty() && open.back().first.id == v.parent) {
      w.Key("parent").Uint(open.back().second);
    } else {
      w.Key("parent").Null();
    }
    open.push_back({n, i});
    w.Key("depth").Int(n.depth);
    w.Key("line").Int(dump.LineOf(n.id));
    internal::WriteRangeFields(w, v.range, dump.zeroed);
    w.Key("name").String(v.name);
    if (n.context) w.Key("context").Bool(true);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  std::string doc = std::move(w).Finish();
  // From the array's opening bracket to its closing one.
  const size_t begin = doc.find('[');
  const size_t end = doc.rfind(']');
  return doc.substr(begin, end + 1 - begin);
}

std::string ShownResources(const ParsedIomem& dump,
                           const std::vector<ShownNode>& nodes) {
  const std::string doc = RenderShowJson(dump, nodes, "t");
  const size_t begin = doc.find("\"resources\": [") + 13;
  const size_t end = doc.rfind(']');
  return doc.substr(begin, end + 1 - begin);
}

ParsedIomem Parse(const std::string& text) {
  absl::StatusOr<ParsedIomem> dump = ParseIomem(text);
  EXPECT_TRUE(dump.ok()) << dump.status();
  return *std::move(dump);
}

// Names with every kind of byte JSON must escape or check: quotes,
// backslashes, tabs and other controls, valid and invalid UTF-8; and a
// resource over the whole address space, whose size is 2^64.
constexpr char kOddDump[] =
    "00000000-ffffffffffffffff : whole \"space\"\n"
    "  00001000-0009ffff : back\\slash\ttab\x01"
    "ctl\x7f"
    "del\n"
    "    00002000-00002fff : caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n"
    "    00003000-00003fff : bad \xff\xc3 utf8 \xed\xa0\x80\n"
    "  100000000-1ffffffff : System RAM\n"
    "    100000000-10fffffff : Kernel code\n";

TEST(ShowJson, ResourcesAreWhatTheGenericWriterWrites) {
  const ParsedIomem dump = Parse(kOddDump);
  const std::vector<ShownNode> all = SelectNodes(dump.tree, ShowFilter{});
  ASSERT_EQ(all.size(), 6u);
  const std::string shown = ShownResources(dump, all);
  EXPECT_EQ(shown, ReferenceResources(dump, all));
  EXPECT_NE(shown.find("\"size\": 18446744073709551616"), std::string::npos);
  EXPECT_NE(shown.find("back\\\\slash\\ttab\\u0001ctl\\u007fdel"),
            std::string::npos);
  // The whole-dump stream (no node list) writes the same bytes.
  std::string streamed;
  StreamShowJson(dump, "t", [&](absl::string_view piece) {
    streamed.append(piece.data(), piece.size());
  });
  EXPECT_EQ(streamed, RenderShowJson(dump, all, "t"));
}

// Names of 1 to 40 bytes with one byte JSON escapes or checks at each place
// (the writer checks names 8 bytes at a time, in words that overlap), and the
// same names plain.
TEST(ShowJson, NamesOfEveryLengthWithAnOddByteAnywhere) {
  std::string text;
  uint64_t at = 0x1000;
  size_t lines = 0;
  auto add = [&](const std::string& name) {
    absl::StrAppend(&text, absl::Hex(at, absl::kZeroPad8), "-",
                    absl::Hex(at + 0xfff, absl::kZeroPad8), " : ", name, "\n");
    at += 0x1000;
    ++lines;
  };
  const std::string odd[] = {"\"",   "\\",   "\x01",     "\x1f",
                             "\x7f", "\x80", "\xc3\xa9", "\xff"};
  for (size_t len = 1; len <= 40; ++len) {
    add(std::string(len, 'a' + static_cast<char>(len % 26)));
    for (size_t k = 0; k < len; ++k) {
      const std::string& o = odd[(len + k) % std::size(odd)];
      add(std::string(k, 'x') + o + std::string(len - 1 - k, 'y'));
    }
  }
  const ParsedIomem dump = Parse(text);
  const std::vector<ShownNode> all = SelectNodes(dump.tree, ShowFilter{});
  ASSERT_EQ(all.size(), lines);
  const std::string shown = ShownResources(dump, all);
  EXPECT_EQ(shown, ReferenceResources(dump, all));
  EXPECT_NE(shown.find("\"xxxxxxxxxxxxxxx\\\\yy\""), std::string::npos);
}

// Numbers of every length: sizes 10^k - 1 and 10^k (1 to 20 decimal
// digits) at addresses of 1 to 16 hex digits.
TEST(ShowJson, NumbersOfEveryLength) {
  std::string text;
  uint64_t at = 0;
  uint64_t p = 1;
  for (int k = 0; k <= 18; ++k, p *= 10) {
    for (uint64_t size : {p == 1 ? uint64_t{1} : p - 1, p}) {
      absl::StrAppend(&text, absl::Hex(at, absl::kZeroPad8), "-",
                      absl::Hex(at + size - 1, absl::kZeroPad8), " : n", k,
                      "\n");
      at += size;
    }
    at = std::max(at, uint64_t{1} << (2 * k + 8));
  }
  const uint64_t big = uint64_t{10000000000000000000u};  // 10^19, 20 digits
  absl::StrAppend(&text, absl::Hex(~uint64_t{0} - big + 1), "-",
                  absl::Hex(~uint64_t{0}), " : big\n");
  const ParsedIomem dump = Parse(text);
  const std::vector<ShownNode> all = SelectNodes(dump.tree, ShowFilter{});
  ASSERT_EQ(all.size(), 39u);
  const std::string shown = ShownResources(dump, all);
  EXPECT_EQ(shown, ReferenceResources(dump, all));
  EXPECT_NE(shown.find("\"size\": 10000000000000000000,"), std::string::npos);
  EXPECT_NE(shown.find("\"size\": 999999999999999999,"), std::string::npos);
  EXPECT_NE(shown.find("\"end\": \"0xffffffffffffffff\""), std::string::npos);
}

TEST(ShowJson, FilteredSelectionsWithContextAndNoneAtAll) {
  const ParsedIomem dump = Parse(kOddDump);
  ShowFilter by_name;
  by_name.name = *NameRegex::Compile("Kernel");
  const std::vector<ShownNode> matched = SelectNodes(dump.tree, by_name);
  ASSERT_EQ(matched.size(), 3u);  // the match and its two context ancestors
  EXPECT_TRUE(matched[0].context);
  EXPECT_EQ(ShownResources(dump, matched), ReferenceResources(dump, matched));
  ShowFilter shallow;
  shallow.max_depth = 0;
  const std::vector<ShownNode> top = SelectNodes(dump.tree, shallow);
  EXPECT_EQ(ShownResources(dump, top), ReferenceResources(dump, top));
  ShowFilter none;
  none.under = "no such resource";
  const std::vector<ShownNode> empty = SelectNodes(dump.tree, none);
  ASSERT_TRUE(empty.empty());
  EXPECT_EQ(ShownResources(dump, empty), "[]");
}

TEST(ShowJson, ZeroedDumpsHaveNullRanges) {
  const ParsedIomem dump = Parse(
      "00000000-00000000 : System RAM\n"
      "  00000000-00000000 : Kernel code\n"
      "00000000-00000000 : PCI Bus 0000:00\n");
  ASSERT_TRUE(dump.zeroed);
  const std::vector<ShownNode> all = SelectNodes(dump.tree, ShowFilter{});
  const std::string shown = ShownResources(dump, all);
  EXPECT_EQ(shown, ReferenceResources(dump, all));
  EXPECT_NE(shown.find("\"start\": null,\n      \"end\": null,\n      "
                       "\"size\": null"),
            std::string::npos);
}

// A long dump crosses the writer's buffer many times; a whole dump this
// long is written on two threads in blocks of pre-order positions, which
// cut through nested resources (25 blocks of 2^12: the helper's two
// buffers are each used six times): the bytes are still the one-thread
// loop's (the node-list path) and the generic writer's.
TEST(ShowJson, LongNestedDumpsAreTheSameOnOneOrTwoThreads) {
  std::string text;
  auto line = [&](int depth, uint64_t first, uint64_t last,
                  absl::string_view name) {
    absl::StrAppend(&text, std::string(2 * depth, ' '),
                    absl::Hex(first, absl::kZeroPad8), "-",
                    absl::Hex(last, absl::kZeroPad8), " : ", name, "\n");
  };
  int lines = 0;
  for (uint64_t w = 0; lines < 100000; ++w) {
    const uint64_t base = w << 24;
    line(0, base, base + 0xffffff, "CXL Window");
    line(1, base, base + 0x7fffff, "region");
    line(2, base, base + 0x3fffff, "dax");
    line(3, base, base + 0x1fffff, "System RAM (kmem)");
    line(1, base + 0x800000, base + 0xffffff, "Reserved");
    lines += 5;
  }
  const ParsedIomem dump = Parse(text);
  const std::vector<ShownNode> all = SelectNodes(dump.tree, ShowFilter{});
  ASSERT_EQ(all.size(), 100000u);
  const std::string listed = RenderShowJson(dump, all, "t");
  const size_t begin = listed.find("\"resources\": [") + 13;
  EXPECT_EQ(listed.substr(begin, listed.rfind(']') + 1 - begin),
            ReferenceResources(dump, all));
  std::string streamed;
  size_t pieces = 0;
  StreamShowJson(dump, "t", [&](absl::string_view piece) {
    streamed.append(piece.data(), piece.size());
    ++pieces;
  });
  EXPECT_GT(pieces, 4u);
  EXPECT_EQ(streamed, listed);
  // A slow reader: the helper thread, blocks ahead, must wait for a buffer.
  std::string slowly;
  StreamShowJson(dump, "t", [&](absl::string_view piece) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    slowly.append(piece.data(), piece.size());
  });
  EXPECT_EQ(slowly, listed);
}

}  // namespace
}  // namespace restree
