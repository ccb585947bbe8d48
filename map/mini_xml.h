// File: mini_xml.h
// -----------------------------------------------------------------------------
//
// A small XML reader for tests: checks that a document is well-formed
// (one root, tags balanced and properly nested, attributes quoted and not
// repeated, only the five predefined entities and numeric character
// references, no '<' or unescaped '&' in text or attribute values) and lists
// its elements in document order. Enough for the SVG restree writes; not a
// general XML parser (no DTDs, CDATA is not supported, comments and
// processing instructions are skipped).
//
// Iterative (an explicit stack): any nesting depth. O(length).

#ifndef RESTREE_MAP_MINI_XML_H_
#define RESTREE_MAP_MINI_XML_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace restree {
namespace test_support {

struct XmlElement {
  std::string tag;
  std::map<std::string, std::string> attrs;  // entity-decoded
  int parent = -1;                           // index, -1 for the root
  std::string text;  // decoded character data directly inside it
  std::vector<int> children;
};

// Errors name the byte offset.
absl::StatusOr<std::vector<XmlElement>> ParseXml(absl::string_view doc);

}  // namespace test_support
}  // namespace restree

#endif  // RESTREE_MAP_MINI_XML_H_
