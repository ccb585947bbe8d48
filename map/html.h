// File: html.h
// -----------------------------------------------------------------------------
//
// A MapLayout as one self-contained HTML page (inline CSS and script; no
// network, no external fonts): the same picture as map/svg.h drawn on a
// canvas from the layout embedded as JSON (<script type="application/json"
// id="data">), so 10^5 resources stay responsive: each frame visits only the
// rows and x-ranges in view (binary search per row) and draws at most one
// rectangle per pixel column per row.
//
// Interaction: wheel or +/- zooms, drag or Shift+arrows pans, hover shows a
// tooltip (name, range, size, depth, ancestry), a click selects a subtree
// (highlighted, detailed below the map); the canvas takes focus and the
// arrow keys walk the tree (left/right: the neighbours at the same depth,
// up: parent, down: first child), Enter zooms to the selection, 0 resets;
// the selection is announced in an aria-live region.
//
// Test hook: with "?selftest" in the URL the page checks itself after
// drawing (the embedded structure: counts, parents, nesting, x-order; then,
// for every resource up to 3000, else 500 spread evenly, zooms to it,
// sends a synthetic mousemove to its centre and checks the tooltip names it;
// a click and the arrow keys) and writes the result into
// <pre id="selftest-result" data-status="pass|fail">.
//
// O(n) in the layout's size. Thread-safety: a pure function.

#ifndef RESTREE_MAP_HTML_H_
#define RESTREE_MAP_HTML_H_

#include <string>

#include "map/layout.h"

namespace restree {
namespace map {

struct HtmlOptions {
  std::string title;  // e.g. the dump's file name
};

std::string RenderHtml(const MapLayout& layout,
                       const HtmlOptions& options = {});

}  // namespace map
}  // namespace restree

#endif  // RESTREE_MAP_HTML_H_
