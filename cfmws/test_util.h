// File: test_util.h
// -----------------------------------------------------------------------------
//
// Test helpers for cfmws/: reading the sample tables under cfmws/testdata/
// (copied from shared/samples/cedt/) and building tables from descriptions.
// testonly.

#ifndef RESTREE_CFMWS_TEST_UTIL_H_
#define RESTREE_CFMWS_TEST_UTIL_H_

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cfmws/cedt.h"
#include "cfmws/description.h"
#include "gtest/gtest.h"

namespace restree {
namespace cedt {
namespace test_support {

// The bytes of cfmws/testdata/`name`; fails the test if unreadable.
inline std::vector<uint8_t> ReadTestdata(absl::string_view name) {
  const std::string path = std::string("cfmws/testdata/") + std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

inline std::string ReadTestdataText(absl::string_view name) {
  std::vector<uint8_t> b = ReadTestdata(name);
  return std::string(b.begin(), b.end());
}

// Parses `description` (see description.h); fails the test on error.
inline Cedt FromDescription(absl::string_view description) {
  absl::StatusOr<Cedt> t = ParseDescription(description);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Cedt{};
}

// Encodes with computed length and checksum; fails the test on error.
inline std::vector<uint8_t> Encode(const Cedt& t) {
  absl::StatusOr<std::vector<uint8_t>> b = EncodeCedt(t);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : std::vector<uint8_t>{};
}

}  // namespace test_support
}  // namespace cedt
}  // namespace restree

#endif  // RESTREE_CFMWS_TEST_UTIL_H_
