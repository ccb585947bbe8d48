// File: svg.h
// -----------------------------------------------------------------------------
//
// A MapLayout as a standalone SVG 1.1 document (map/layout.h describes the
// picture). The document is flat, whatever the tree's depth: inside
// <g id="resources"> one <g class="res KIND"> per resource in pre-order, each
// holding a <title> (name, range, size, depth: a tooltip in viewers), one
// <rect> and, where it fits at the layout's character-width estimate, one
// <text> inside the rect. Data attributes carry the structure:
// data-index, data-parent (-1 at the top), data-depth, and for dumps with
// addresses data-first/data-last (hex). Below the bands: the axis (a break
// mark and size per empty gap, the start address after each gap), then the
// legend (the kinds present and a line saying the axis is compressed).
// Zeroed dumps show no address or size and say why.
//
// O(n) in the layout's size. Thread-safety: a pure function.

#ifndef RESTREE_MAP_SVG_H_
#define RESTREE_MAP_SVG_H_

#include <string>

#include "map/layout.h"

namespace restree {
namespace map {

struct SvgOptions {
  std::string title;  // e.g. the dump's file name
  double font_px = 11.0;
};

std::string RenderSvg(const MapLayout& layout, const SvgOptions& options = {});

// Geometry shared by the renderers: the left margin and the top of the
// bands, in pixels.
inline constexpr double kMarginPx = 16.0;
inline constexpr double kHeaderPx = 44.0;

}  // namespace map
}  // namespace restree

#endif  // RESTREE_MAP_SVG_H_
