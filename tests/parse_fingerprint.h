// File: parse_fingerprint.h
// -----------------------------------------------------------------------------
//
// Everything a ParsedIomem says, as one canonical text, so tests and fuzzers
// can compare two parses (the fast path against the general parser) with one
// string comparison and print the difference.

#ifndef RESTREE_TESTS_PARSE_FINGERPRINT_H_
#define RESTREE_TESTS_PARSE_FINGERPRINT_H_

#include <string>

#include "iomem_parser/parser.h"

namespace restree {
namespace test_support {

// The tree (RenderDump: every node uncapped, with flags and desc), its
// profile, zeroed/width/max_depth, the node ids and lines in file order, the
// summary if the parser kept one, the repairs and the structure problems.
std::string ParseFingerprint(const ParsedIomem& p);

}  // namespace test_support
}  // namespace restree

#endif  // RESTREE_TESTS_PARSE_FINGERPRINT_H_
