// File: render.h
// -----------------------------------------------------------------------------
//
// Text renderings of a ResourceTree.
//
// `RenderProcIomem()` prints the tree exactly as the kernel's /proc/iomem (or
// /proc/ioports) does (`r_show()` in kernel/resource.c): one line per node in
// pre-order, the root not printed, each line
//
//   "%*s%0*llx-%0*llx : %s\n"  with  depth*2 spaces, width, start, width, end
//
// where width is 4 if the root ends below 0x10000 and 8 otherwise (a minimum:
// larger addresses print more digits), and depth is the number of ancestors
// below the root, capped at MAX_IORES_LEVEL (5, or 8 in 7.0). An unprivileged
// reader sees every address as 0.
//
// `RenderDump()` is restree's own canonical dump, uncapped and with flags and
// desc, used by tests to compare two trees (it is not a kernel format).
//
// Complexity: O(n log n) for n nodes; the output is built in one string.
// Thread-safety: reads the tree only.

#ifndef RESTREE_RESOURCE_TREE_RENDER_H_
#define RESTREE_RESOURCE_TREE_RENDER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "resource_tree/resource_tree.h"

namespace restree {

struct ProcRenderOptions {
  // MAX_IORES_LEVEL; unset: the tree's profile (5, or 8 for linux-7.0).
  std::optional<int> max_depth;
  // What a reader without CAP_SYS_ADMIN sees: both numbers 0.
  bool zero_addresses = false;
};

std::string RenderProcIomem(const ResourceTree& tree,
                            const ProcRenderOptions& options = {});

// Appends `v` as lowercase hex, zero-padded to at least `width` digits.
void AppendHexPadded(std::string* out, uint64_t v, int width);

// The same line written at `p`, which has room for ProcLineSize(depth,
// name) bytes (an upper bound); returns the end of the line. For writers
// that fill their own buffer.
size_t ProcLineSize(int depth, absl::string_view name);
char* WriteProcLine(char* p, int depth, int width, uint64_t first,
                    uint64_t last, absl::string_view name);

// Appends one /proc/iomem line: `2*depth` spaces, `first` and `last` as
// lowercase hex zero-padded to `width` digits, " : ", `name`, "\n".
void AppendProcLine(std::string* out, int depth, int width, uint64_t first,
                    uint64_t last, absl::string_view name);

// One line per node (root included, depth 0), uncapped indentation:
//   "<indent>first-last : name flags=0x... desc=N\n" (16-digit hex).
std::string RenderDump(const ResourceTree& tree);

// Appends one RenderDump() line (for dumps of trees held elsewhere, such as
// the real kernel's in tests/kernel_in_the_loop.cc).
void AppendDumpLine(std::string* out, int depth, uint64_t first, uint64_t last,
                    absl::string_view name, uint64_t flags, uint32_t desc);

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_RENDER_H_
