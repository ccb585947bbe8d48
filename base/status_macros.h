// File: status_macros.h
// -----------------------------------------------------------------------------
//
// Propagation and assertion macros. Debian's Abseil 20220623 has no
// absl/status/status_macros.h or absl/log; these follow the shape of upstream
// ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN and tcmalloc's TC_CHECK so that
// a later Abseil upgrade can swap them mechanically.
//
//   RESTREE_RETURN_IF_ERROR(DoThing());
//   RESTREE_ASSIGN_OR_RETURN(ResourceId id, tree.Request(parent, spec));
//   RESTREE_CHECK(tree.Contains(id), "lost the root");   // always on, aborts

#ifndef RESTREE_BASE_STATUS_MACROS_H_
#define RESTREE_BASE_STATUS_MACROS_H_

#include <cstdio>
#include <cstdlib>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RESTREE_RETURN_IF_ERROR(expr)                \
  do {                                               \
    ::absl::Status restree_status_ = (expr);         \
    if (ABSL_PREDICT_FALSE(!restree_status_.ok())) { \
      return restree_status_;                        \
    }                                                \
  } while (0)

#define RESTREE_STATUS_CONCAT_INNER_(a, b) a##b
#define RESTREE_STATUS_CONCAT_(a, b) RESTREE_STATUS_CONCAT_INNER_(a, b)

#define RESTREE_ASSIGN_OR_RETURN(lhs, expr) \
  RESTREE_ASSIGN_OR_RETURN_IMPL_(           \
      RESTREE_STATUS_CONCAT_(restree_statusor_, __LINE__), lhs, expr)

#define RESTREE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) {                 \
    return std::move(statusor).status();                    \
  }                                                         \
  lhs = *std::move(statusor)

// Aborts with a message when `cond` is false, in every build mode. For
// internal consistency only: never for conditions input can trigger.
#define RESTREE_CHECK(cond, msg)                                              \
  do {                                                                        \
    if (ABSL_PREDICT_FALSE(!(cond))) {                                        \
      std::fprintf(stderr, "%s:%d: RESTREE_CHECK(%s) failed: %s\n", __FILE__, \
                   __LINE__, #cond, msg);                                     \
      std::abort();                                                           \
    }                                                                         \
  } while (0)

#endif  // RESTREE_BASE_STATUS_MACROS_H_
