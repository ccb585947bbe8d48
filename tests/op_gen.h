// File: op_gen.h
// -----------------------------------------------------------------------------
//
// RapidCheck generators of kernel resource-tree operations (tests/tree_ops.h)
// for the differential tests, the kernel-in-the-loop test and their fuzzers:
// addresses on a 256-byte grid so that ranges collide, edges near 2^64-1,
// every operation kind, flags and names a real tree has. `Place()` moves a
// generated op's addresses into the range of the node it refers to, so that
// most requests fit their parent and most hot-removes hit busy RAM.

#ifndef RESTREE_TESTS_OP_GEN_H_
#define RESTREE_TESTS_OP_GEN_H_

#include <cstdint>
#include <utility>

#include "rapidcheck.h"
#include "resource_tree/resource_tree.h"
#include "tests/tree_ops.h"

namespace restree {
namespace testing {

// An operation for a tree whose root ends at `top`.
rc::Gen<ops::Op> GenOp(uint64_t top);

// A generated op and how to place it (0: as generated; 1: inside the node
// it refers to; 2: exactly on a node's range).
using PlacedOp = std::pair<ops::Op, int>;
rc::Gen<PlacedOp> GenPlacedOp(uint64_t top);

// The op to run on `tree` (already normalized against it): for modes 1 and
// 2, addresses moved into the range of the node the op refers to, or, for
// ops that look something up, of the node `raw_ref` picks.
ops::Op Place(const ResourceTree& tree, ops::Op op, int mode, int raw_ref);

}  // namespace testing
}  // namespace restree

#endif  // RESTREE_TESTS_OP_GEN_H_
