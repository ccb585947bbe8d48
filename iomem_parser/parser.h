// File: parser.h
// -----------------------------------------------------------------------------
//
// Parses /proc/iomem and /proc/ioports text into a ResourceTree.
//
// The kernel prints each resource as
//
//   "%*s%0*llx-%0*llx : %s\n"   (2*depth spaces, start, end, name)
//
// in pre-order, with the hex width 4 for a root ending below 0x10000 (x86
// ioports) and 8 otherwise (a minimum: larger numbers print more digits, and
// start and end may differ in width), and the depth capped at
// MAX_IORES_LEVEL (5, or 8 since 7.0). The parser:
//
//   * splits each line on the first " : ", so names may contain spaces,
//     colons, dashes and parentheses (and " : " itself);
//   * takes parentage from indentation, and for lines at the depth cap from
//     address containment (the kernel prints every deeper level at the cap);
//     a line whose indentation contradicts containment is an error naming
//     both lines;
//   * recognises an unprivileged reader's dump (every address 0): the tree
//     keeps names, order and parentage above the cap, with *synthetic*
//     addresses (see `ParsedIomem::zeroed`) that only encode the structure;
//   * in strict mode (the default) rejects anything a kernel would not print,
//     with "file:line:column: message"; in lenient mode accepts real-world
//     noise (CRLF, blank lines, trailing whitespace, mail quoting, odd
//     indentation steps, uppercase or over-padded hex, a missing final
//     newline, non-resource lines) and lists every repair.
//
// Bounded: one pass, no recursion, memory linear in the input; input of any
// size, depth or content never crashes or hangs the parser.
//
// Round trip: for every kernel-produced dump,
// RenderProcIomem(tree, {.max_depth = cap, .zero_addresses = zeroed}) gives
// back the input byte for byte.
//
// Thread-safety: a pure function.

#ifndef RESTREE_IOMEM_PARSER_PARSER_H_
#define RESTREE_IOMEM_PARSER_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "iomem_parser/summary.h"
#include "resource_tree/resource_tree.h"

namespace restree {

enum class IomemRoot {
  kAuto,     // ioports if the hex width is 4, else iomem
  kIomem,    // "PCI mem" [0, 2^64-1], IORESOURCE_MEM
  kIoports,  // "PCI IO" [0, 0xffff] (x86), IORESOURCE_IO
};

struct IomemParseOptions {
  // Name used in error messages ("iomem.txt:12:9: ...").
  std::string filename = "<input>";
  bool lenient = false;
  // MAX_IORES_LEVEL of the kernel that printed the file: 5, 8, or 0 to infer
  // it (8 if any line is deeper than 5, else 5; both read a valid file the
  // same way then).
  int max_depth = 0;
  IomemRoot root = IomemRoot::kAuto;
  // When set, a line whose indentation contradicts its addresses does not
  // fail the parse: it is dropped (its indented children are re-checked
  // against the dropped line's parent) and the problem is recorded in
  // `ParsedIomem::structure_problems`. Used by `restree check`.
  bool collect_structure_problems = false;
  // The text is a read-only mapping of a file (cli::MapInput): the parser
  // may drop the pages it has read (madvise MADV_DONTNEED), so that the
  // input and the tree are not both resident at the end of a large parse.
  // A page touched again is read back from the file. Never set it for text
  // in ordinary memory: its pages would read back as zeros.
  bool text_is_file_mapping = false;
  // Also fill `ParsedIomem::summary`: Summarize(tree, SummaryDetail::kCounts)
  // of the tree as parsed. A dump in the kernel's exact format is counted
  // line by line as it is read, on the parse's own threads (where a later
  // walk of the tree would read all of it again); any other, by that walk.
  bool summarize = false;
};

// One change lenient mode made to the input.
struct IomemRepair {
  int line = 0;
  int column = 0;
  std::string what;
};

// A line whose place in the tree contradicts its addresses.
struct IomemStructureProblem {
  int line = 0;
  int other_line = 0;   // the parent or sibling it contradicts (0 = the root)
  std::string message;  // "file:line:col: ..." naming both lines
};

// The nodes made from a file's lines, in file order, each with its 1-based
// line. A file in the kernel's exact format, one node per line, is held as
// that fact alone (O(1) memory, nothing written per line); other files list
// their pairs. A value type; thread-compatible.
class IomemNodeLines {
 public:
  // n nodes, the k-th (1-based, in pre-order) of a tree made by TreeBuilder
  // from line k.
  static IomemNodeLines OnePerLine(size_t n);

  // Adds the next node and its line. Ids must increase (TreeBuilder hands
  // them out in order); lines too. O(1) amortised (O(n) once if the map was
  // one per line).
  void Add(ResourceId id, int line);

  size_t size() const { return one_per_line_ ? n_ : nodes_.size(); }
  // Precondition: k < size().
  ResourceId node(size_t k) const;
  int line(size_t k) const;
  // The position of `id`, or -1. O(log n); O(1) one per line.
  ptrdiff_t Find(ResourceId id) const;
  // The line of `id`, or 0 if it is not here (the root, unknown ids).
  int LineOf(ResourceId id) const {
    const ptrdiff_t k = Find(id);
    return k < 0 ? 0 : line(static_cast<size_t>(k));
  }

 private:
  bool one_per_line_ = false;
  size_t n_ = 0;
  std::vector<ResourceId> nodes_;
  std::vector<int> lines_;
};

struct ParsedIomem {
  ResourceTree tree = ResourceTree::Iomem();
  // The file came from a reader without CAP_SYS_ADMIN: every address was 0.
  // The tree's ranges are then synthetic (nested in pre-order) and carry no
  // address information; commands that need addresses must refuse.
  bool zeroed = false;
  // The hex width of the file (4 or 8) and the depth cap used.
  int width = 8;
  int max_depth = 5;
  // The nodes in file order (pre-order for a valid file) and the 1-based
  // line each came from.
  IomemNodeLines node_lines;
  // The line of `id`, or 0 for the root and unknown ids. O(log n).
  int LineOf(ResourceId id) const { return node_lines.LineOf(id); }
  // With IomemParseOptions::summarize only: the counts of the tree as
  // parsed (Summarize(tree, SummaryDetail::kCounts)). Not kept up to date:
  // it describes the file, and goes stale if `tree` is changed.
  std::optional<IomemSummary> summary;
  // Lenient mode only.
  std::vector<IomemRepair> repairs;
  // collect_structure_problems only.
  std::vector<IomemStructureProblem> structure_problems;
};

// Parses `text`. Errors are kInvalidArgument with "file:line:column: message".
[[nodiscard]] absl::StatusOr<ParsedIomem> ParseIomem(
    absl::string_view text, const IomemParseOptions& options = {});

}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_PARSER_H_
