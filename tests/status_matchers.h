// File: status_matchers.h
// -----------------------------------------------------------------------------
//
// gtest matchers for absl::Status / StatusOr, named like upstream Abseil's
// absl/status/status_matchers.h (absent from Debian's 20220623):
//
//   EXPECT_THAT(tree.Remove(id), IsOk());
//   EXPECT_THAT(tree.Request(p, spec),
//   StatusIs(absl::StatusCode::kAlreadyExists));
//   ASSERT_OK_AND_ASSIGN(ResourceId id, tree.Request(p, spec));

#ifndef RESTREE_TESTS_STATUS_MATCHERS_H_
#define RESTREE_TESTS_STATUS_MATCHERS_H_

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace restree {
namespace test_support {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status: " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code,
          "has code " + ::testing::PrintToString(absl::StatusCode(code))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s;
  return s.code() == code;
}

}  // namespace test_support
}  // namespace restree

#define RESTREE_TESTING_CONCAT_INNER_(a, b) a##b
#define RESTREE_TESTING_CONCAT_(a, b) RESTREE_TESTING_CONCAT_INNER_(a, b)

#define ASSERT_OK_AND_ASSIGN(lhs, expr)                          \
  auto RESTREE_TESTING_CONCAT_(statusor_, __LINE__) = (expr);    \
  ASSERT_TRUE(RESTREE_TESTING_CONCAT_(statusor_, __LINE__).ok()) \
      << RESTREE_TESTING_CONCAT_(statusor_, __LINE__).status();  \
  lhs = *std::move(RESTREE_TESTING_CONCAT_(statusor_, __LINE__))

#define ASSERT_OK(expr)                         \
  do {                                          \
    const absl::Status restree_s_ = (expr);     \
    ASSERT_TRUE(restree_s_.ok()) << restree_s_; \
  } while (0)

#endif  // RESTREE_TESTS_STATUS_MATCHERS_H_
