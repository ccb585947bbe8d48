// File: show.h
// -----------------------------------------------------------------------------
//
// What `restree show` prints, as library functions: selecting resources
// (filters by subtree, by name, by depth) and rendering them as a readable
// tree with sizes, in the kernel's exact format, or as JSON (docs/json.md).
//
// The summary at the top of the readable tree and of the JSON is the whole
// dump's: `dump.summary` when the parser kept it (IomemParseOptions::
// summarize; the caller must not have changed the tree since), else
// Summarize(dump.tree, SummaryDetail::kCounts).
//
// Thread-safety: pure functions.

#ifndef RESTREE_IOMEM_PARSER_SHOW_H_
#define RESTREE_IOMEM_PARSER_SHOW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "iomem_parser/name_regex.h"
#include "iomem_parser/parser.h"
#include "resource_tree/resource_tree.h"

namespace restree {

struct ShowFilter {
  // Only the subtrees of resources with exactly this name ("" = all).
  std::string under;
  // Only resources with a match of this regex in their name (plus, as
  // context, their ancestors).
  std::optional<NameRegex> name;
  // Only resources at a depth below this (0 = top level only); -1 = all.
  int max_depth = -1;
};

struct ShownNode {
  ResourceId id;
  int depth = 0;         // true depth (children of the root: 0)
  bool context = false;  // an ancestor shown only to place a match
};

// The selected resources, in pre-order. O(n log n).
std::vector<ShownNode> SelectNodes(const ResourceTree& tree,
                                   const ShowFilter& filter);

// The readable tree: a summary line, then per resource its range, size
// (lsmem style) and name, indented by true depth. For a zeroed dump only
// names and structure are shown. Indentation stops growing at
// kShowMaxIndent levels; a deeper resource is indented as that level and
// starts with "[depth N] ", so the output stays linear in the input however
// deep a dump nests by address containment below the kernel's cap.
inline constexpr int kShowMaxIndent = 16;
std::string RenderShow(const ParsedIomem& dump,
                       const std::vector<ShownNode>& nodes,
                       absl::string_view source);

// The kernel's exact format for the selected lines (for the whole tree this
// is the input, byte for byte).
std::string RenderShowRaw(const ParsedIomem& dump,
                          const std::vector<ShownNode>& nodes);

// JSON (schema "restree.show/1" in docs/json.md). Commands that print a
// tree in the same shape pass their own `schema` ("restree.demo/1").
std::string RenderShowJson(const ParsedIomem& dump,
                           const std::vector<ShownNode>& nodes,
                           absl::string_view source,
                           absl::string_view schema = "restree.show/1");

// The same three outputs streamed: `sink` receives the text in order, in
// pieces of about kShowChunkBytes, so memory stays bounded by the tree and
// one piece however large the output. O(n) in the nodes shown.
using TextSink = absl::FunctionRef<void(absl::string_view)>;
inline constexpr size_t kShowChunkBytes = size_t{1} << 20;
void StreamShow(const ParsedIomem& dump, const std::vector<ShownNode>& nodes,
                absl::string_view source, TextSink sink);
void StreamShowRaw(const ParsedIomem& dump, const std::vector<ShownNode>& nodes,
                   TextSink sink);
void StreamShowJson(const ParsedIomem& dump,
                    const std::vector<ShownNode>& nodes,
                    absl::string_view source, TextSink sink,
                    absl::string_view schema = "restree.show/1");
// The same for every resource of the dump, without a list of them (the
// same output as with SelectNodes(dump.tree, {})).
void StreamShow(const ParsedIomem& dump, absl::string_view source,
                TextSink sink);
void StreamShowRaw(const ParsedIomem& dump, TextSink sink);
void StreamShowJson(const ParsedIomem& dump, absl::string_view source,
                    TextSink sink, absl::string_view schema = "restree.show/1");

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_SHOW_H_
