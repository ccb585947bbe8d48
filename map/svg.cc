#include "map/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/byte_size.h"
#include "iomem_parser/diff.h"
#include "map/text.h"

namespace restree {
namespace map {
namespace {

// Hover text: "name [0x..-0x..] size, depth d" (and a diff's changes).
std::string Tooltip(const MapLayout& layout, const MapItem& item) {
  std::string tip =
      layout.zeroed ? absl::StrCat(item.name, ", depth ", item.depth)
                    : absl::StrFormat("%s [%#x-%#x] %s, depth %d", item.name,
                                      item.range.first(), item.range.last(),
                                      HumanSize(item.range.size()), item.depth);
  if (item.change != 0) {
    absl::StrAppend(&tip, "; ", absl::StrJoin(ChangeNames(item.change), ", "));
  }
  return tip;
}

// The diff marks: a pattern per change (so they read in greyscale too) and
// the stroke colour; removed is also dashed.
constexpr const char* kChanges[] = {"removed", "added", "reparented", "resized",
                                    "flags"};

std::string PatternDefs() {
  std::string out = "<defs>\n";
  for (const char* c : kChanges) {
    const absl::string_view colour = ChangeColour(c);
    const absl::string_view name = c;
    std::string path;
    if (name == "removed") {
      path = "M0 0 L8 8 M8 0 L0 8";  // cross-hatch
    } else if (name == "added") {
      path = "M0 8 L8 0";  // diagonal
    } else if (name == "reparented") {
      path = "M0 4 L8 4";  // horizontal
    } else if (name == "resized") {
      path = "M4 0 L4 8";  // vertical
    } else {
      path = "M2 2 L3 3 M6 6 L7 7";  // dots
    }
    absl::StrAppend(
        &out, "<pattern id=\"chg-", c,
        "\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\">"
        "<path d=\"",
        path, "\" stroke=\"", colour, "\" stroke-width=\"1.5\"/></pattern>\n");
  }
  out += "</defs>\n";
  return out;
}

}  // namespace

std::string RenderSvg(const MapLayout& layout, const SvgOptions& options) {
  const double bands_h = layout.rows * layout.band_height;
  const double axis_top = kHeaderPx + bands_h;
  const double axis_h = 110.0;
  const double legend_top = axis_top + axis_h;
  int kinds = 0;
  for (bool present : layout.kinds_present) kinds += present ? 1 : 0;
  if (layout.diff) kinds += std::size(kChanges) + 1;
  const double legend_h = 20.0 * (kinds + 3);
  const double width = layout.width + 2 * kMarginPx;
  const double height = legend_top + legend_h;
  const double font = options.font_px;

  std::string out;
  out.reserve(256 + layout.items.size() * 300);
  absl::StrAppend(
      &out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"",
      Num(width), "\" height=\"", Num(height), "\" viewBox=\"0 0 ", Num(width),
      " ", Num(height), "\" font-family=\"sans-serif\" font-size=\"", Num(font),
      "\">\n");
  const std::string title = XmlEscape(options.title);
  absl::StrAppend(&out, "<title>restree map", title.empty() ? "" : ": ", title,
                  "</title>\n");
  absl::StrAppend(&out, "<rect width=\"", Num(width), "\" height=\"",
                  Num(height), "\" fill=\"#ffffff\"/>\n");
  absl::StrAppend(&out, "<text x=\"", Num(kMarginPx),
                  "\" y=\"20\" font-size=\"15\" font-weight=\"bold\">",
                  "Physical address map", title.empty() ? "" : ": ", title,
                  "</text>\n");
  if (layout.diff) {
    absl::StrAppend(&out, "<text x=\"", Num(kMarginPx), "\" y=\"36\">",
                    "Before (top rows) and after (bottom rows) on one axis; ",
                    "changes are marked by colour and pattern", "</text>\n");
    out += PatternDefs();
  } else {
    absl::StrAppend(&out, "<text x=\"", Num(kMarginPx), "\" y=\"36\">",
                    layout.items.size(), " resources, ", layout.max_depth,
                    layout.max_depth == 1 ? " level" : " levels",
                    "; address increases to the right, nesting downwards",
                    "</text>\n");
  }

  // The bands.
  absl::StrAppend(&out, "<g id=\"resources\" transform=\"translate(",
                  Num(kMarginPx), ",", Num(kHeaderPx), ")\">\n");
  for (size_t i = 0; i < layout.items.size(); ++i) {
    const MapItem& item = layout.items[i];
    const absl::string_view primary = PrimaryChange(item.change);
    absl::StrAppend(&out, "<g class=\"res k-", KindId(item.kind));
    for (const std::string& c : ChangeNames(item.change)) {
      absl::StrAppend(&out, " chg-", c);
    }
    absl::StrAppend(&out, "\" data-index=\"", i, "\" data-parent=\"",
                    item.parent, "\" data-depth=\"", item.depth, "\"");
    if (layout.diff) {
      absl::StrAppend(&out, " data-panel=\"",
                      item.panel == 0 ? "before" : "after", "\"");
    }
    if (!layout.zeroed) {
      absl::StrAppend(&out, " data-first=\"", Hex(item.range.first()),
                      "\" data-last=\"", Hex(item.range.last()), "\"");
    }
    const double w = item.x1 - item.x0;
    absl::StrAppend(&out, "><title>", XmlEscape(Tooltip(layout, item)),
                    "</title><rect x=\"", Num(item.x0), "\" y=\"", Num(item.y0),
                    "\" width=\"", Num(w), "\" height=\"",
                    Num(item.y1 - item.y0), "\" fill=\"", KindColour(item.kind),
                    "\" stroke=\"#333333\" stroke-width=\"0.5\"/>");
    if (!primary.empty()) {
      absl::StrAppend(
          &out, "<rect class=\"mark\" x=\"", Num(item.x0 + 1), "\" y=\"",
          Num(item.y0 + 1), "\" width=\"", Num(std::max(w - 2, 0.25)),
          "\" height=\"", Num(item.y1 - item.y0 - 2), "\" fill=\"url(#chg-",
          primary, ")\" stroke=\"", ChangeColour(primary),
          "\" stroke-width=\"2\"",
          primary == "removed" ? " stroke-dasharray=\"4 2\"" : "", "/>");
    }
    const std::string label = FittingLabel(item, w, font, !layout.zeroed);
    if (!label.empty()) {
      absl::StrAppend(&out, "<text x=\"", Num(item.x0 + 2), "\" y=\"",
                      Num(item.y0 + layout.band_height / 2 + font * 0.35),
                      "\" font-size=\"", Num(font), "\">", XmlEscape(label),
                      "</text>");
    }
    out += "</g>\n";
  }
  out += "</g>\n";

  // The axis: a break mark and size per gap; the address after each gap.
  absl::StrAppend(&out, "<g id=\"axis\" transform=\"translate(", Num(kMarginPx),
                  ",", Num(axis_top), ")\" font-size=\"9\">\n");
  absl::StrAppend(&out, "<line x1=\"0\" y1=\"2\" x2=\"", Num(layout.width),
                  "\" y2=\"2\" stroke=\"#000000\"/>\n");
  for (size_t i = 0; i < layout.axis.size(); ++i) {
    const AxisInterval& iv = layout.axis[i];
    const double cx = (iv.x0 + iv.x1) / 2;
    if (iv.gap) {
      // Two slanted strokes across the bands and the axis line.
      absl::StrAppend(
          &out, "<g class=\"gap\"><title>empty gap",
          layout.zeroed ? ""
                        : absl::StrCat(" of ", HumanSize(iv.end - iv.first)),
          "</title><rect x=\"", Num(iv.x0), "\" y=\"", Num(-bands_h),
          "\" width=\"", Num(iv.x1 - iv.x0), "\" height=\"", Num(bands_h + 4),
          "\" fill=\"#f4f4f4\"/><path d=\"M", Num(cx - 3), " 8 L", Num(cx),
          " -4 M", Num(cx), " 8 L", Num(cx + 3), " -4\" stroke=\"#000000\" ",
          "fill=\"none\"/>");
      if (!layout.zeroed) {
        absl::StrAppend(&out, "<text transform=\"translate(", Num(cx - 3),
                        ",12) rotate(90)\">gap ", HumanSize(iv.end - iv.first),
                        "</text>");
      }
      out += "</g>\n";
    } else if (!layout.zeroed && (i == 0 || layout.axis[i - 1].gap)) {
      absl::StrAppend(&out, "<text class=\"addr\" transform=\"translate(",
                      Num(iv.x0 + 3), ",12) rotate(90)\">", Hex(iv.first),
                      "</text>\n");
    }
  }
  if (!layout.zeroed && !layout.axis.empty()) {
    absl::StrAppend(&out, "<text class=\"addr\" transform=\"translate(",
                    Num(layout.width - 9), ",12) rotate(90)\">",
                    Hex(layout.axis.back().end - 1), "</text>\n");
  }
  out += "</g>\n";

  // A diff: which rows are which, over the gaps' shading.
  if (layout.diff) {
    const double y = kHeaderPx + (layout.after_row - 0.5) * layout.band_height;
    absl::StrAppend(&out, "<g id=\"panels\"><rect x=\"", Num(kMarginPx),
                    "\" y=\"", Num(y - 8),
                    "\" width=\"150\" height=\"16\" "
                    "fill=\"#ffffff\"/><text x=\"",
                    Num(kMarginPx + 2), "\" y=\"", Num(y + 4),
                    "\" font-weight=\"bold\">"
                    "\u25b2 before, \u25bc after</text></g>\n");
  }

  // The legend.
  absl::StrAppend(&out, "<g id=\"legend\" transform=\"translate(",
                  Num(kMarginPx), ",", Num(legend_top), ")\">\n");
  double y = 0;
  absl::StrAppend(
      &out, "<text class=\"axis-note\" x=\"0\" y=\"", Num(y + 12), "\">",
      "The axis is compressed: widths grow with the logarithm of each span's ",
      "size (not to scale); empty gaps are cut, marked with a break and ",
      "their size.</text>\n");
  y += 20;
  if (layout.zeroed) {
    absl::StrAppend(
        &out, "<text class=\"zeroed-note\" x=\"0\" y=\"", Num(y + 12),
        "\" fill=\"#b00000\">This dump has no addresses (every address was 0: "
        "it was read without CAP_SYS_ADMIN); the map shows its structure "
        "only. Read /proc/iomem as root for addresses and sizes.</text>\n");
    y += 20;
  }
  if (layout.diff) {
    for (const char* c : kChanges) {
      absl::StrAppend(
          &out, "<g class=\"legend-item chg-", c, "\"><rect x=\"0\" y=\"",
          Num(y + 2), "\" width=\"14\" height=\"14\" fill=\"url(#chg-", c,
          ")\" stroke=\"", ChangeColour(c),
          "\" stroke-width=\"2\"/><text x=\"20\" y=\"", Num(y + 13), "\">",
          c == absl::string_view("flags") ? "flags changed" : c,
          "</text></g>\n");
      y += 20;
    }
    y += 20;
  }
  for (int k = 0; k < kMapKindCount; ++k) {
    if (!layout.kinds_present[static_cast<size_t>(k)]) continue;
    const MapKind kind = static_cast<MapKind>(k);
    absl::StrAppend(
        &out, "<g class=\"legend-item k-", KindId(kind),
        "\"><rect x=\"0\" y=\"", Num(y + 2),
        "\" width=\"14\" height=\"14\" fill=\"", KindColour(kind),
        "\" stroke=\"#333333\" stroke-width=\"0.5\"/><text x=\"20\" "
        "y=\"",
        Num(y + 13), "\">", XmlEscape(KindLabel(kind)), "</text></g>\n");
    y += 20;
  }
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace map
}  // namespace restree
