// JsonWriter and JsonQuote: the layout every `--json` output
// shares, escaping of names that are bytes rather than UTF-8, and misuse.

#include "base/json_writer.h"

#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "absl/numeric/int128.h"
#include "gtest/gtest.h"
#include "tests/json_value.h"

namespace restree {
namespace {

using test_support::JsonValue;
using test_support::ParseJson;

TEST(JsonWriter, PrettyLayoutIndentsTwoSpacesAndKeepsEmptyContainersShut) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").BeginArray().Uint(1).String("x").Null().EndArray();
  w.Key("e").BeginObject().EndObject();
  w.Key("b").Bool(true);
  w.EndObject();
  EXPECT_EQ(std::move(w).Finish(),
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    \"x\",\n"
            "    null\n"
            "  ],\n"
            "  \"e\": {},\n"
            "  \"b\": true\n"
            "}\n");
}

TEST(JsonWriter, CompactLayoutHasNoWhitespace) {
  JsonWriter w(/*pretty=*/false);
  w.BeginArray().Int(-5).Hex(0x1f).BeginArray().EndArray().EndArray();
  EXPECT_EQ(std::move(w).Finish(), "[-5,\"0x1f\",[]]\n");
}

TEST(JsonWriter, NumbersAreExactUpTo2To64) {
  JsonWriter w(false);
  w.BeginArray()
      .Uint(UINT64_MAX)
      .Uint128(absl::uint128(1) << 64)
      .Int(INT64_MIN)
      .Hex(UINT64_MAX)
      .EndArray();
  EXPECT_EQ(std::move(w).Finish(),
            "[18446744073709551615,18446744073709551616,"
            "-9223372036854775808,\"0xffffffffffffffff\"]\n");
  JsonWriter big(false);
  big.Uint128(~absl::uint128(0));
  EXPECT_EQ(std::move(big).Finish(),
            "340282366920938463463374607431768211455\n");
}

// Keys and indentation take a fast path for plain keys at usual depths;
// other keys, and depths past it, take the general one: the layout is the
// same. Drained pieces add up to the document.
TEST(JsonWriter, DeepNestingOddKeysAndDrainedPiecesKeepTheLayout) {
  JsonWriter w;
  std::string drained;
  auto sink = [&](absl::string_view piece) {
    drained.append(piece.data(), piece.size());
  };
  std::string expected;
  const int kDepth = 40;  // past the 64-space indentation constant
  for (int i = 0; i < kDepth; ++i) {
    w.BeginObject().Key(i % 2 == 0 ? "k" : "q\"uo\te");
    if (i % 7 == 0) w.Drain(sink);
  }
  w.Null();
  for (int i = 0; i < kDepth; ++i) w.EndObject();
  EXPECT_GT(w.buffered(), 0u);
  drained += std::move(w).Finish();
  for (int i = 0; i < kDepth; ++i) {
    expected += "{\n" + std::string(2 * (i + 1), ' ') +
                (i % 2 == 0 ? "\"k\": " : "\"q\\\"uo\\te\": ");
  }
  expected += "null";
  for (int i = kDepth - 1; i >= 0; --i) {
    expected += "\n" + std::string(2 * i, ' ') + "}";
  }
  expected += "\n";
  EXPECT_EQ(drained, expected);
}

TEST(JsonQuote, EscapesControlsQuotesAndBackslashes) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t\r\x01\x7f"),
            R"("a\"b\\c\n\t\r\u0001\u007f")");
}

TEST(JsonQuote, KeepsValidUtf8AndEscapesEveryOtherByteAsLatin1) {
  EXPECT_EQ(JsonQuote("caf\xc3\xa9 \xf0\x9f\x92\xbe"),
            "\"caf\xc3\xa9 \xf0\x9f\x92\xbe\"");
  EXPECT_EQ(JsonQuote("\xff"), R"("\u00ff")");
  EXPECT_EQ(JsonQuote("\xc0\xaf"), R"("\u00c0\u00af")");            // overlong
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // surrogate
  EXPECT_EQ(JsonQuote("\xe2\x82"), R"("\u00e2\u0082")");            // truncated
  EXPECT_EQ(JsonQuote("\xf4\x90\x80\x80"),  // > U+10FFFF
            R"("\u00f4\u0090\u0080\u0080")");
}

// Whatever bytes a resource name holds, the document parses and the string
// decodes to the name read as UTF-8 where valid and Latin-1 elsewhere.
TEST(JsonQuote, AnyBytesGiveValidJson) {
  std::mt19937 rng(20261121);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 24, '\0');
    for (char& c : s) {
      // Mostly the interesting bytes: ASCII, continuation, lead bytes.
      static constexpr unsigned char kPool[] = {'a',  '"',  '\\', 0x00, 0x1f,
                                                0x7f, 0x80, 0xbf, 0xc2, 0xc3,
                                                0xe2, 0xed, 0xf0, 0xf4, 0xff};
      c = static_cast<char>(rng() % 3 == 0 ? rng() % 256
                                           : kPool[rng() % sizeof(kPool)]);
    }
    const std::string doc = JsonQuote(s);
    absl::StatusOr<JsonValue> v = ParseJson(doc);
    ASSERT_TRUE(v.ok()) << v.status() << " for " << doc;
    ASSERT_EQ(v->type, JsonValue::Type::kString);
    // Escaping adds and never drops: the decoded text is at least as long.
    EXPECT_GE(v->text.size(), s.size()) << doc;
  }
}

// A renderer may write a long array's elements itself (after a Drain) and
// tell the writer how many: the writer then closes the array as it would
// have, on its own line, or shut when there were none.
TEST(JsonWriter, ElementsWrittenElsewhereCloseTheArrayAsUsual) {
  for (size_t count : {size_t{0}, size_t{2}}) {
    JsonWriter w;
    std::string doc;
    auto sink = [&](absl::string_view piece) {
      doc.append(piece.data(), piece.size());
    };
    w.BeginObject().Key("a").BeginArray();
    w.Drain(sink);
    EXPECT_EQ(w.depth(), 2u);
    if (count != 0) doc += "\n    1,\n    2";
    w.ElementsWrittenElsewhere(count).EndArray();
    w.Key("b").Null().EndObject();
    doc += std::move(w).Finish();
    EXPECT_EQ(doc, count == 0 ? "{\n  \"a\": [],\n  \"b\": null\n}\n"
                              : "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": "
                                "null\n}\n");
  }
}

TEST(JsonWriterDeathTest, MisuseAborts) {
  EXPECT_DEATH(
      {
        JsonWriter w;
        w.BeginObject().Uint(1);
      },
      "needs a key");
  EXPECT_DEATH(
      {
        JsonWriter w;
        w.BeginArray().EndObject();
      },
      "unbalanced EndObject");
  EXPECT_DEATH(
      {
        JsonWriter w;
        w.BeginArray().Uint(1).ElementsWrittenElsewhere(1);
      },
      "need a fresh array");
}

}  // namespace
}  // namespace restree
