// The test JSON reader: values, errors with byte offsets, and deep nesting
// parsed and freed without recursion.

#include "tests/json_value.h"

#include <string>

#include "gtest/gtest.h"

namespace restree {
namespace test_support {
namespace {

TEST(JsonValue, ReadsValuesInOrder) {
  absl::StatusOr<JsonValue> v =
      ParseJson(R"( {"a": [1, "x\u00e9", null, true], "b": {}} )");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["a"][0].text, "1");
  EXPECT_EQ((*v)["a"][1].text, "x\xc3\xa9");
  EXPECT_TRUE((*v)["a"][2].is_null());
  EXPECT_TRUE((*v)["a"][3].boolean);
  EXPECT_EQ((*v)["b"].type, JsonValue::Type::kObject);
  EXPECT_TRUE((*v)["missing"].is_null());
}

TEST(JsonValue, ErrorsGiveTheByteOffset) {
  absl::StatusOr<JsonValue> v = ParseJson("[1,]");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(std::string(v.status().message()).find("3"), std::string::npos)
      << v.status();
}

TEST(JsonValue, AMillionLevelsParseAndFreeWithoutRecursion) {
  constexpr int kDepth = 1000000;
  const std::string doc = std::string(kDepth, '[') + std::string(kDepth, ']');
  {
    absl::StatusOr<JsonValue> v = ParseJson(doc);
    ASSERT_TRUE(v.ok()) << v.status();
    const JsonValue* p = &*v;
    int depth = 0;
    while (!p->items.empty()) {
      p = &p->items[0];
      ++depth;
    }
    EXPECT_EQ(depth, kDepth - 1);
  }  // destroyed here: a recursive destructor overflowed the stack
}

}  // namespace
}  // namespace test_support
}  // namespace restree
