// File: fuzz_ops.h
// -----------------------------------------------------------------------------
//
// Decodes fuzzer bytes into kernel resource-tree operations
// (tests/tree_ops.h), for the differential fuzzers: addresses on a 256-byte
// grid or near the top of the space so that ranges collide, sizes small,
// wrapping or huge, flags from the combinations a real tree has or raw.

#ifndef RESTREE_TESTS_FUZZ_OPS_H_
#define RESTREE_TESTS_FUZZ_OPS_H_

#include <cstdint>

#include "fuzzer/FuzzedDataProvider.h"
#include "tests/tree_ops.h"

namespace restree {
namespace testing {

// One operation for a tree whose root ends at `top` (not normalized).
ops::Op ConsumeOp(FuzzedDataProvider& in, uint64_t top);

}  // namespace testing
}  // namespace restree

#endif  // RESTREE_TESTS_FUZZ_OPS_H_
