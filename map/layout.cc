#include "map/layout.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/byte_size.h"

namespace restree {
namespace map {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "PREFIXX.Y" with decimal X and Y.
bool IsDotted(absl::string_view n, absl::string_view prefix) {
  if (!absl::ConsumePrefix(&n, prefix)) return false;
  const size_t dot = n.find('.');
  return dot != absl::string_view::npos && AllDigits(n.substr(0, dot)) &&
         AllDigits(n.substr(dot + 1));
}

bool IsHex(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "DDDD:BB:DD.F" (a PCI function's address).
bool IsPciAddress(absl::string_view n) {
  if (n.size() != 12 || n[4] != ':' || n[7] != ':' || n[10] != '.') {
    return false;
  }
  return IsHex(n.substr(0, 4)) && IsHex(n.substr(5, 2)) &&
         IsHex(n.substr(8, 2)) && IsHex(n.substr(11, 1));
}

}  // namespace

MapKind KindOf(absl::string_view n) {
  if (n == "System RAM") return MapKind::kSystemRam;
  if (absl::StartsWith(n, "System RAM (") && absl::EndsWith(n, ")")) {
    return MapKind::kKmem;
  }
  if (n == "Soft Reserved") return MapKind::kSoftReserved;
  if (n == "Reserved" || n == "reserved" || n == "RAM buffer") {
    return MapKind::kReserved;
  }
  if (absl::StartsWith(n, "ACPI")) return MapKind::kAcpi;
  if (absl::StartsWith(n, "PCI Bus") || absl::StartsWith(n, "PCI MMCONFIG") ||
      absl::StartsWith(n, "PCI ECAM")) {
    return MapKind::kPciBus;
  }
  if (IsPciAddress(n)) return MapKind::kPciDevice;
  {
    absl::string_view rest = n;
    if (absl::ConsumePrefix(&rest, "CXL Window ") && AllDigits(rest)) {
      return MapKind::kCxlWindow;
    }
    rest = n;
    if (absl::ConsumePrefix(&rest, "region") && AllDigits(rest)) {
      return MapKind::kRegion;
    }
  }
  if (IsDotted(n, "dax")) return MapKind::kDax;
  if (n == "Persistent Memory" || n == "Persistent Memory (legacy)" ||
      IsDotted(n, "namespace")) {
    return MapKind::kPmem;
  }
  if (n == ResourceTree::kChunkName) return MapKind::kCxlChunk;
  return MapKind::kOther;
}

namespace {

struct KindInfo {
  absl::string_view label;
  absl::string_view id;
  absl::string_view colour;
};

// Indexed by MapKind. Colours: distinct hues, light enough for black text.
constexpr KindInfo kKinds[kMapKindCount] = {
    {"System RAM", "ram", "#7fc97f"},
    {"System RAM (kmem)", "kmem", "#1b9e77"},
    {"Reserved", "reserved", "#bdbdbd"},
    {"Soft Reserved", "soft-reserved", "#fdc086"},
    {"ACPI", "acpi", "#ffff99"},
    {"PCI bus", "pci-bus", "#80b1d3"},
    {"PCI device", "pci-device", "#bebada"},
    {"CXL Window", "cxl-window", "#fb8072"},
    {"CXL region", "region", "#e7298a"},
    {"dax device", "dax", "#f781bf"},
    {"Persistent Memory", "pmem", "#bf5b17"},
    {"CXL chunk", "chunk", "#fccde5"},
    {"other", "other", "#d9d9d9"},
};

}  // namespace

absl::string_view KindLabel(MapKind kind) {
  return kKinds[static_cast<int>(kind)].label;
}
absl::string_view KindId(MapKind kind) {
  return kKinds[static_cast<int>(kind)].id;
}
absl::string_view KindColour(MapKind kind) {
  return kKinds[static_cast<int>(kind)].colour;
}

double IntervalWeight(absl::uint128 size) {
  if (size <= 1024) return 1.0;
  const double log2 = std::log2(static_cast<double>(size));
  return 1.0 + std::max(0.0, log2 - 10.0) / 2.0;
}

std::string FittingLabel(const MapItem& item, double width_px, double font_px,
                         bool with_size) {
  const double room = width_px - 4.0;  // 2 px padding each side
  auto fits = [&](const std::string& s) {
    return static_cast<double>(s.size()) * font_px * kCharWidthEm <= room;
  };
  if (with_size) {
    std::string full =
        absl::StrCat(item.name, " ", HumanSize(item.range.size()));
    if (fits(full)) return full;
  }
  if (fits(item.name)) return item.name;
  return "";
}

namespace {

// Appends `tree`'s resources in pre-order as panel `panel`, rows from
// `first_row`.
void AddItems(const ResourceTree& tree, int panel, int first_row,
              MapLayout* layout) {
  std::vector<int32_t> last_at_depth;
  layout->items.reserve(layout->items.size() + tree.size());
  tree.ForEachPreorder([&](ResourceId id, int depth0) {
    const size_t d = static_cast<size_t>(depth0);
    MapItem item;
    item.id = id;
    item.range = tree.RangeOf(id);
    item.name = std::string(tree.NameOf(id));
    item.kind = KindOf(item.name);
    item.depth = depth0 + 1;
    item.parent = d == 0 ? -1 : last_at_depth[d - 1];
    item.row = first_row + depth0;
    item.panel = panel;
    if (last_at_depth.size() <= d) last_at_depth.resize(d + 1, -1);
    last_at_depth[d] = static_cast<int32_t>(layout->items.size());
    layout->kinds_present[static_cast<int>(item.kind)] = true;
    layout->max_depth = std::max(layout->max_depth, item.depth);
    layout->rows = std::max(layout->rows, item.row + 1);
    layout->items.push_back(std::move(item));
  });
}

// The axis from every item's boundaries, and every item's position.
void PlaceOnAxis(bool zeroed, const MapLayoutOptions& options,
                 MapLayout* layout) {
  // Boundaries: every start and every end+1.
  std::vector<absl::uint128> bounds;
  bounds.reserve(2 * layout->items.size());
  for (const MapItem& item : layout->items) {
    bounds.push_back(item.range.first());
    bounds.push_back(absl::uint128(item.range.last()) + 1);
  }
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());

  // What the top-level resources cover (of every panel), merged into
  // disjoint spans in address order.
  std::vector<std::pair<absl::uint128, absl::uint128>> covered;
  for (const MapItem& item : layout->items) {
    if (item.depth == 1) {
      covered.emplace_back(item.range.first(),
                           absl::uint128(item.range.last()) + 1);
    }
  }
  std::sort(covered.begin(), covered.end());
  std::vector<std::pair<absl::uint128, absl::uint128>> spans;
  for (const auto& c : covered) {
    if (!spans.empty() && c.first <= spans.back().second) {
      spans.back().second = std::max(spans.back().second, c.second);
    } else {
      spans.push_back(c);
    }
  }
  // Intervals, each marked a gap unless a span covers it.
  std::vector<double> weights;
  size_t t = 0;
  double total = 0;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    AxisInterval iv;
    iv.first = bounds[i];
    iv.end = bounds[i + 1];
    while (t < spans.size() && spans[t].second <= iv.first) ++t;
    iv.gap = !(t < spans.size() && spans[t].first <= iv.first);
    const double w = iv.gap   ? options.gap_weight
                     : zeroed ? 2.0
                              : IntervalWeight(iv.end - iv.first);
    weights.push_back(w);
    total += w;
    layout->axis.push_back(iv);
  }
  double scale = options.min_px_per_weight;
  if (total > 0 && total * scale < options.min_width) {
    scale = options.min_width / total;
  }
  // Positions on a quarter-pixel grid: exact in binary and in "%.2f", so a
  // renderer's x + width is exactly the next x.
  double x = 0;
  for (size_t i = 0; i < layout->axis.size(); ++i) {
    layout->axis[i].x0 = x;
    x += std::max(0.25, std::round(weights[i] * scale * 4) / 4);
    layout->axis[i].x1 = x;
  }
  layout->width = layout->axis.empty() ? options.min_width : x;

  // x of a boundary: the x0 of the interval starting there, or the end.
  auto x_of = [&](absl::uint128 b) {
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), b);
    const size_t k = static_cast<size_t>(it - bounds.begin());
    return k < layout->axis.size() ? layout->axis[k].x0 : layout->width;
  };
  for (MapItem& item : layout->items) {
    item.x0 = x_of(item.range.first());
    item.x1 = x_of(absl::uint128(item.range.last()) + 1);
    item.y0 = item.row * options.band_height;
    item.y1 = item.y0 + options.band_height;
  }
}

MapLayout Empty(bool zeroed, const MapLayoutOptions& options) {
  MapLayout layout;
  layout.zeroed = zeroed;
  layout.band_height = options.band_height;
  layout.kinds_present.assign(kMapKindCount, false);
  return layout;
}

}  // namespace

MapLayout LayOut(const ResourceTree& tree, bool zeroed,
                 const MapLayoutOptions& options) {
  MapLayout layout = Empty(zeroed, options);
  AddItems(tree, 0, 0, &layout);
  PlaceOnAxis(zeroed, options, &layout);
  return layout;
}

MapLayout LayOutDiff(const ResourceTree& before, const ResourceTree& after,
                     const IomemDiff& diff, bool zeroed,
                     const MapLayoutOptions& options) {
  MapLayout layout = Empty(zeroed, options);
  layout.diff = true;
  AddItems(before, 0, 0, &layout);
  layout.after_index = layout.items.size();
  layout.after_row = layout.rows + 1;  // one empty row between
  AddItems(after, 1, layout.after_row, &layout);
  layout.rows = std::max(layout.rows, layout.after_row);
  std::map<uint64_t, size_t> old_index, new_index;
  for (size_t i = 0; i < layout.items.size(); ++i) {
    (i < layout.after_index ? old_index
                            : new_index)[layout.items[i].id.value()] = i;
  }
  for (const DiffEntry& e : diff.entries) {
    if (e.old_node.valid()) {
      auto it = old_index.find(e.old_node.value());
      if (it != old_index.end()) layout.items[it->second].change |= e.changes;
    }
    if (e.new_node.valid()) {
      auto it = new_index.find(e.new_node.value());
      if (it != new_index.end()) layout.items[it->second].change |= e.changes;
    }
  }
  PlaceOnAxis(zeroed, options, &layout);
  return layout;
}

MapLayout LayOutFrames(const std::vector<const ResourceTree*>& trees,
                       const std::vector<std::string>& captions, bool zeroed,
                       const MapLayoutOptions& options) {
  MapLayout layout = Empty(zeroed, options);
  std::vector<size_t> base;  // the first item of each frame
  for (size_t k = 0; k < trees.size(); ++k) {
    base.push_back(layout.items.size());
    AddItems(*trees[k], static_cast<int>(k), 0, &layout);
  }
  base.push_back(layout.items.size());
  for (size_t k = 1; k < trees.size(); ++k) {
    std::map<uint64_t, size_t> index;
    for (size_t i = base[k]; i < base[k + 1]; ++i) {
      index[layout.items[i].id.value()] = i;
    }
    const IomemDiff d = DiffTrees(*trees[k - 1], *trees[k], {zeroed});
    for (const DiffEntry& e : d.entries) {
      if (!e.new_node.valid()) continue;
      auto it = index.find(e.new_node.value());
      if (it != index.end()) layout.items[it->second].change |= e.changes;
    }
  }
  PlaceOnAxis(zeroed, options, &layout);
  for (size_t k = 0; k < trees.size(); ++k) {
    MapFrame f;
    f.caption = k < captions.size() ? captions[k] : std::string();
    f.items.assign(layout.items.begin() + static_cast<ptrdiff_t>(base[k]),
                   layout.items.begin() + static_cast<ptrdiff_t>(base[k + 1]));
    for (MapItem& item : f.items) {
      if (item.parent >= 0) item.parent -= static_cast<int32_t>(base[k]);
      item.panel = 0;
    }
    layout.frames.push_back(std::move(f));
  }
  layout.items = layout.frames.empty() ? std::vector<MapItem>()
                                       : layout.frames.back().items;
  return layout;
}

absl::string_view PrimaryChange(unsigned change) {
  static constexpr std::pair<unsigned, absl::string_view> kOrder[] = {
      {DiffEntry::kRemoved, "removed"},       {DiffEntry::kAdded, "added"},
      {DiffEntry::kReparented, "reparented"}, {DiffEntry::kResized, "resized"},
      {DiffEntry::kFlagsChanged, "flags"},
  };
  for (const auto& [bit, name] : kOrder) {
    if ((change & bit) != 0) return name;
  }
  return "";
}

absl::string_view ChangeColour(absl::string_view primary) {
  if (primary == "removed") return "#d73027";
  if (primary == "added") return "#1a9850";
  if (primary == "reparented") return "#4575b4";
  if (primary == "resized") return "#f46d43";
  return "#762a83";  // flags
}

}  // namespace map
}  // namespace restree
