// File: internal/file_kind.h
// -----------------------------------------------------------------------------
//
// What both parse paths (internal/parse_paths.h) share: the hex digit
// table, and what a /proc/iomem or /proc/ioports file's first line and
// depth cap say about the file. Not part of the public API.

#ifndef RESTREE_IOMEM_PARSER_INTERNAL_FILE_KIND_H_
#define RESTREE_IOMEM_PARSER_INTERNAL_FILE_KIND_H_

#include <cstdint>

#include "iomem_parser/parser.h"
#include "resource_tree/flags.h"
#include "resource_tree/kernel_profile.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace internal {

// Hex digit values: 0-15 for [0-9a-f], 16-31 for [A-F] (value + 16, to
// flag uppercase), 0xff otherwise.
struct HexTable {
  uint8_t v[256];
  constexpr HexTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = 0xff;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<uint8_t>(i);
    for (int i = 0; i < 6; ++i) {
      v['a' + i] = static_cast<uint8_t>(10 + i);
      v['A' + i] = static_cast<uint8_t>(26 + i);
    }
  }
};
inline constexpr HexTable kHex;

// The hex width of a non-empty file: 8 for iomem, else from its first line
// (a kernel file's first line is its lowest address, printed at exactly the
// minimum width: 4 for x86 ioports, 8 otherwise).
inline int FileWidth(IomemRoot root, int first_digits) {
  return root == IomemRoot::kIomem || first_digits >= 8 ? 8 : 4;
}

// The root the kernel printed the file from.
inline ResourceSpec RootFor(int width, IomemRoot root) {
  if (width == 4) return {Range(0, 0xffff), "PCI IO", iores::kIo, 0};
  if (root == IomemRoot::kIoports) {
    return {Range::Full(), "PCI IO", iores::kIo, 0};
  }
  return {Range::Full(), "PCI mem", iores::kMem, 0};
}

// MAX_IORES_LEVEL 8 came with 7.0.
inline KernelProfile ProfileForCap(int cap) {
  return cap == 8 ? KernelProfile::Linux70() : KernelProfile::Debian61();
}

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_INTERNAL_FILE_KIND_H_
