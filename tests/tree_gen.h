// File: tree_gen.h
// -----------------------------------------------------------------------------
//
// RapidCheck generators of valid resource trees and of mutations, for
// property tests (render/parse round trips, diff/apply).

#ifndef RESTREE_TESTS_TREE_GEN_H_
#define RESTREE_TESTS_TREE_GEN_H_

#include "rapidcheck.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace test_support {

// A random valid tree: an iomem root (or, one time in five, an x86 ioport
// root), up to ~120 nodes at any depth, identical-range nesting, ranges up
// to the top of the address space, names with spaces, colons, dashes and
// parentheses (never a newline or NUL).
rc::Gen<ResourceTree> GenTree();

// Applies up to `max_steps` random mutations to `tree` through the
// kernel-compatible API (request, insert over, remove, release, adjust,
// hot-remove, rename, flags); failures are skipped. Must run inside a
// RapidCheck property or generator.
void MutateTree(ResourceTree& tree, int max_steps);

}  // namespace test_support
}  // namespace restree

#endif  // RESTREE_TESTS_TREE_GEN_H_
