// File: layout.h
// -----------------------------------------------------------------------------
//
// The picture `restree map` draws, as data: where each resource of a
// /proc/iomem tree goes on a horizontal address axis, independent of the
// output format (map/svg.h and map/html.h render it).
//
// The axis. Physical address space is sparse (a few GiB of RAM, then CXL
// windows hundreds of GiB up), so a linear axis would hide almost every
// resource. Every start and every end+1 of a resource is a boundary; the
// axis is the sequence of intervals between consecutive boundaries, in
// address order, each drawn with a width that grows with the logarithm of its
// size (`IntervalWeight`). An interval no top-level resource covers is an
// empty gap: it is drawn narrow with a break mark and its size. So x-order
// follows address order, a resource's span contains its children's, and
// every resource is at least `min_px_per_weight` wide; lengths are not to
// scale (the legend says so).
//
// The bands. A resource at depth d (the root's children are depth 1) is a
// band in row d-1, directly under its parent's row.
//
// A diff (`LayOutDiff`) draws both trees on one axis (the union of their
// boundaries): the old tree's rows first, one empty row, then the new
// tree's rows; each item carries what the differ says changed about it
// (iomem_parser/diff.h): a removed resource in the old tree's rows, an
// added one in the new tree's, and a resized, reparented or
// flag-changed one marked in both.
//
// A zeroed (unprivileged) dump has synthetic addresses: the layout keeps
// the structure, gives every interval the same width and carries no
// address or size (`MapLayout::zeroed`).
//
// Complexity: O(n log n) time and O(n) memory for n resources; one pass in
// pre-order, no recursion (the tree may be arbitrarily deep).
// Thread-safety: pure functions.

#ifndef RESTREE_MAP_LAYOUT_H_
#define RESTREE_MAP_LAYOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "iomem_parser/diff.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace map {

// What a resource is, for its colour. Recognised by name.
enum class MapKind : uint8_t {
  kSystemRam,     // "System RAM"
  kKmem,          // "System RAM (kmem)" and other driver-managed RAM
  kReserved,      // "Reserved", "reserved", "RAM buffer"
  kSoftReserved,  // "Soft Reserved"
  kAcpi,          // "ACPI Tables", "ACPI Non-volatile Storage", ...
  kPciBus,        // "PCI Bus ...", "PCI MMCONFIG ...", "PCI ECAM ..."
  kPciDevice,     // "0000:00:1f.2" (a PCI address)
  kCxlWindow,     // "CXL Window N"
  kRegion,        // "regionN"
  kDax,           // "daxX.Y"
  kPmem,          // "Persistent Memory", "Persistent Memory (legacy)",
                  // "namespaceX.Y"
  kCxlChunk,      // "CXL chunk"
  kOther,
};
inline constexpr int kMapKindCount = static_cast<int>(MapKind::kOther) + 1;

MapKind KindOf(absl::string_view name);
// "System RAM", "PCI device", ... (the legend's text).
absl::string_view KindLabel(MapKind kind);
// A short identifier ("ram", "pci-device"), for CSS classes and JSON.
absl::string_view KindId(MapKind kind);
// The fill colour, "#rrggbb".
absl::string_view KindColour(MapKind kind);

struct MapLayoutOptions {
  // Pixels per unit of interval weight (every interval is >= 1 unit).
  double min_px_per_weight = 2.0;
  // The picture is at least this wide; wider if the intervals need it.
  double min_width = 1200.0;
  double band_height = 24.0;
  // Weight of an empty gap.
  double gap_weight = 6.0;
};

// One interval of the axis: the addresses [first, end), 128-bit so that a
// range ending at 2^64-1 has an end.
struct AxisInterval {
  absl::uint128 first = 0;
  absl::uint128 end = 0;  // exclusive
  double x0 = 0;
  double x1 = 0;
  // No top-level resource covers it: drawn as a break.
  bool gap = false;
};

struct MapItem {
  ResourceId id;
  Range range;
  std::string name;
  MapKind kind = MapKind::kOther;
  int depth = 1;        // 1 for the root's children
  int32_t parent = -1;  // index in MapLayout::items, -1 for the root
  int row = 0;          // band row: depth - 1, after the old rows in a diff
  int panel = 0;        // a diff: 0 the old tree, 1 the new tree
  unsigned change = 0;  // a diff: DiffEntry::Change bits
  double x0 = 0;
  double x1 = 0;
  double y0 = 0;
  double y1 = 0;
};

// One step of a sequence (LayOutFrames): the tree after an event.
struct MapFrame {
  std::string caption;         // e.g. "line 4: region create ...: ok"
  std::vector<MapItem> items;  // as MapLayout::items
};

struct MapLayout {
  // In pre-order (a parent before its children, siblings by address). A
  // sequence: the last frame's.
  std::vector<MapItem> items;
  // A sequence: every frame, the last equal to `items`; empty otherwise.
  std::vector<MapFrame> frames;
  // In address order; x0 of the first is 0, x1 of the last is `width`.
  std::vector<AxisInterval> axis;
  double width = 0;
  double band_height = 0;
  int max_depth = 0;  // deepest item's depth (0 for an empty tree)
  int rows = 0;       // band rows (max_depth; a diff: both trees + 1)
  // A diff: the new tree's items start at index `after_index` and row
  // `after_row`.
  bool diff = false;
  size_t after_index = 0;
  int after_row = 0;
  bool zeroed = false;
  // Which kinds occur (for the legend), indexed by MapKind.
  std::vector<bool> kinds_present;
};

// Lays out every resource of `tree` except the root.
MapLayout LayOut(const ResourceTree& tree, bool zeroed,
                 const MapLayoutOptions& options = {});

// Lays out `before` above `after`, marked with `diff` (DiffTrees(before,
// after)). O((n + m) log(n + m)).
MapLayout LayOutDiff(const ResourceTree& before, const ResourceTree& after,
                     const IomemDiff& diff, bool zeroed,
                     const MapLayoutOptions& options = {});

// Lays out a sequence of trees (a hotplug script's tree before its first
// event and after each), every frame on one axis (the union of all their
// boundaries), each resource of frame k marked with what
// DiffTrees(trees[k-1], trees[k]) says changed about it (added, resized,
// reparented, flags; a removed one is gone from frame k: the caption
// says so). `captions` has one entry per tree. O(N log N) for N resources
// over all frames.
MapLayout LayOutFrames(const std::vector<const ResourceTree*>& trees,
                       const std::vector<std::string>& captions, bool zeroed,
                       const MapLayoutOptions& options = {});

// The change a diff item is drawn with (its most telling one): "removed",
// "added", "reparented", "resized", "flags"; "" for none.
absl::string_view PrimaryChange(unsigned change);
// Its colour, "#rrggbb".
absl::string_view ChangeColour(absl::string_view primary);

// The weight of an interval of `size` bytes: 1 + max(0, log2(size) - 10) / 2
// (4 KiB: 2, 1 MiB: 6, 1 GiB: 11, 1 TiB: 16).
double IntervalWeight(absl::uint128 size);

// Average advance of a character of the labels, as a fraction of the font
// size; renderers place a label only if its text fits at this estimate.
inline constexpr double kCharWidthEm = 0.62;
// The label for `item` that fits in `width_px` at `font_px`: "name size",
// else "name", else "" (no label). `with_size` false leaves the size out.
std::string FittingLabel(const MapItem& item, double width_px, double font_px,
                         bool with_size);

}  // namespace map
}  // namespace restree

#endif  // RESTREE_MAP_LAYOUT_H_
