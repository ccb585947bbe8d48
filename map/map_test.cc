// The map's layout and its SVG and HTML renderings: structure checked by
// parsing the output (map/mini_xml.h), over synthetic trees and every real
// sample.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "iomem_parser/diff.h"
#include "iomem_parser/parser.h"
#include "map/html.h"
#include "map/layout.h"
#include "map/mini_xml.h"
#include "map/svg.h"
#include "map/text.h"
#include "resource_tree/resource_tree.h"
#include "tests/iomem_samples.h"

namespace restree {
namespace map {
namespace {

using ::restree::test_support::ParseXml;
using ::restree::test_support::XmlElement;
using ::testing::HasSubstr;
using ::testing::Not;

ParsedIomem MustParse(const std::string& text, bool lenient = false) {
  IomemParseOptions options;
  options.lenient = lenient;
  absl::StatusOr<ParsedIomem> p = ParseIomem(text, options);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *std::move(p) : ParsedIomem{};
}

double Attr(const XmlElement& e, const std::string& name) {
  double v = 0;
  const auto it = e.attrs.find(name);
  EXPECT_TRUE(it != e.attrs.end()) << e.tag << " lacks " << name;
  if (it != e.attrs.end()) {
    EXPECT_TRUE(absl::SimpleAtod(it->second, &v));
  }
  return v;
}

uint64_t HexAttr(const XmlElement& e, const std::string& name) {
  uint64_t v = 0;
  const auto it = e.attrs.find(name);
  EXPECT_TRUE(it != e.attrs.end()) << name;
  if (it != e.attrs.end()) {
    EXPECT_TRUE(absl::StartsWith(it->second, "0x"));
    EXPECT_TRUE(absl::SimpleHexAtoi(it->second.substr(2), &v)) << it->second;
  }
  return v;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// One resource as the SVG draws it.
struct Shape {
  int index = 0;
  int parent = -1;
  int depth = 0;
  double x = 0, y = 0, w = 0, h = 0;
  std::string title;
  std::string kind_class;
  bool has_addr = false;
  uint64_t first = 0, last = 0;
};

// Parses `svg`, checks what every map must satisfy, and returns the shapes
// in document order.
std::vector<Shape> CheckSvg(const std::string& svg, const ParsedIomem& dump) {
  absl::StatusOr<std::vector<XmlElement>> els = ParseXml(svg);
  EXPECT_TRUE(els.ok()) << els.status();
  if (!els.ok()) return {};
  EXPECT_EQ((*els)[0].tag, "svg");
  std::vector<Shape> shapes;
  bool axis_note = false, zeroed_note = false;
  std::vector<std::string> legend;
  for (const XmlElement& e : *els) {
    const auto cls = e.attrs.find("class");
    if (e.tag == "text" && cls != e.attrs.end() && cls->second == "axis-note") {
      axis_note = absl::StrContains(e.text, "compressed");
    }
    if (e.tag == "text" && cls != e.attrs.end() &&
        cls->second == "zeroed-note") {
      zeroed_note = absl::StrContains(e.text, "CAP_SYS_ADMIN");
    }
    if (e.tag == "g" && cls != e.attrs.end() &&
        absl::StartsWith(cls->second, "legend-item")) {
      legend.push_back(cls->second);
    }
    if (e.tag != "g" || cls == e.attrs.end() ||
        !absl::StartsWith(cls->second, "res ")) {
      continue;
    }
    Shape s;
    s.index = static_cast<int>(Attr(e, "data-index"));
    s.parent = static_cast<int>(Attr(e, "data-parent"));
    s.depth = static_cast<int>(Attr(e, "data-depth"));
    s.kind_class = cls->second.substr(4);
    s.has_addr = e.attrs.count("data-first") > 0;
    if (s.has_addr) {
      s.first = HexAttr(e, "data-first");
      s.last = HexAttr(e, "data-last");
    }
    int rects = 0, texts = 0, titles = 0;
    const XmlElement* text = nullptr;
    for (int c : e.children) {
      const XmlElement& child = (*els)[static_cast<size_t>(c)];
      if (child.tag == "rect") {
        ++rects;
        s.x = Attr(child, "x");
        s.y = Attr(child, "y");
        s.w = Attr(child, "width");
        s.h = Attr(child, "height");
      } else if (child.tag == "text") {
        ++texts;
        text = &child;
      } else if (child.tag == "title") {
        ++titles;
        s.title = child.text;
      }
    }
    EXPECT_EQ(rects, 1) << "resource " << s.index << ": one shape";
    EXPECT_EQ(titles, 1);
    EXPECT_LE(texts, 1);
    if (text != nullptr) {
      // Inside its shape at the renderers' character-width estimate.
      const double tx = Attr(*text, "x"), ty = Attr(*text, "y");
      const double font = Attr(*text, "font-size");
      const double tw =
          static_cast<double>(CodePoints(text->text)) * font * kCharWidthEm;
      EXPECT_GE(tx, s.x) << text->text;
      EXPECT_LE(tx + tw, s.x + s.w + 1e-6) << text->text;
      EXPECT_GE(ty - font, s.y - 1e-6) << text->text;
      EXPECT_LE(ty, s.y + s.h) << text->text;
    }
    shapes.push_back(std::move(s));
  }
  EXPECT_TRUE(axis_note) << "the legend says the axis is compressed";
  EXPECT_EQ(zeroed_note, dump.zeroed);
  EXPECT_FALSE(legend.empty());

  // One shape per resource, in the tree's pre-order, with its name.
  std::vector<ResourceId> ids;
  std::vector<int> depths;
  dump.tree.ForEachPreorder([&](ResourceId id, int depth) {
    ids.push_back(id);
    depths.push_back(depth + 1);
  });
  EXPECT_EQ(shapes.size(), ids.size());
  for (size_t i = 0; i < std::min(shapes.size(), ids.size()); ++i) {
    const Shape& s = shapes[i];
    EXPECT_EQ(s.index, static_cast<int>(i));
    const std::string name = SafeUtf8(dump.tree.NameOf(ids[i]));
    EXPECT_TRUE(absl::StartsWith(s.title, name)) << s.title << " vs " << name;
    EXPECT_EQ(s.kind_class,
              absl::StrCat("k-", KindId(KindOf(dump.tree.NameOf(ids[i])))));
    EXPECT_EQ(s.depth, depths[i]);
    EXPECT_EQ(s.has_addr, !dump.zeroed);
    if (s.has_addr) {
      EXPECT_EQ(s.first, dump.tree.RangeOf(ids[i]).first());
      EXPECT_EQ(s.last, dump.tree.RangeOf(ids[i]).last());
    }
    // Nesting: the parent comes first, one row up, and spans the child.
    if (s.parent < 0) {
      EXPECT_EQ(s.depth, 1);
      continue;
    }
    EXPECT_LT(s.parent, static_cast<int>(i));
    if (s.parent >= static_cast<int>(i)) continue;
    const Shape& p = shapes[static_cast<size_t>(s.parent)];
    EXPECT_EQ(p.depth + 1, s.depth);
    EXPECT_GE(s.y, p.y + p.h - 1e-6);
    EXPECT_GE(s.x, p.x - 1e-6);
    EXPECT_LE(s.x + s.w, p.x + p.w + 1e-6);
    EXPECT_GT(s.w, 0);
  }
  // x-order follows address order: whatever lies wholly below another
  // resource's start is drawn wholly left of it.
  if (!dump.zeroed) {
    std::vector<const Shape*> by_first, by_last;
    for (const Shape& s : shapes) {
      by_first.push_back(&s);
      by_last.push_back(&s);
    }
    std::sort(
        by_first.begin(), by_first.end(),
        [](const Shape* a, const Shape* b) { return a->first < b->first; });
    std::sort(by_last.begin(), by_last.end(),
              [](const Shape* a, const Shape* b) { return a->last < b->last; });
    size_t k = 0;
    double max_right = -1;
    for (const Shape* b : by_first) {
      while (k < by_last.size() && by_last[k]->last < b->first) {
        max_right = std::max(max_right, by_last[k]->x + by_last[k]->w);
        ++k;
      }
      EXPECT_LE(max_right, b->x + 1e-6) << "at " << b->title;
    }
  }
  return shapes;
}

TEST(KindOfTest, RecognisesTheKinds) {
  EXPECT_EQ(KindOf("System RAM"), MapKind::kSystemRam);
  EXPECT_EQ(KindOf("System RAM (kmem)"), MapKind::kKmem);
  EXPECT_EQ(KindOf("Reserved"), MapKind::kReserved);
  EXPECT_EQ(KindOf("Soft Reserved"), MapKind::kSoftReserved);
  EXPECT_EQ(KindOf("ACPI Non-volatile Storage"), MapKind::kAcpi);
  EXPECT_EQ(KindOf("PCI Bus 0000:00"), MapKind::kPciBus);
  EXPECT_EQ(KindOf("PCI MMCONFIG 0000 [bus 00-ff]"), MapKind::kPciBus);
  EXPECT_EQ(KindOf("0000:00:1f.2"), MapKind::kPciDevice);
  EXPECT_EQ(KindOf("0000:00:1f"), MapKind::kOther);
  EXPECT_EQ(KindOf("CXL Window 12"), MapKind::kCxlWindow);
  EXPECT_EQ(KindOf("CXL Window x"), MapKind::kOther);
  EXPECT_EQ(KindOf("region3"), MapKind::kRegion);
  EXPECT_EQ(KindOf("regions"), MapKind::kOther);
  EXPECT_EQ(KindOf("dax0.1"), MapKind::kDax);
  EXPECT_EQ(KindOf("Persistent Memory (legacy)"), MapKind::kPmem);
  EXPECT_EQ(KindOf("namespace0.0"), MapKind::kPmem);
  EXPECT_EQ(KindOf("CXL chunk"), MapKind::kCxlChunk);
  EXPECT_EQ(KindOf("Kernel code"), MapKind::kOther);
}

constexpr char kSparse[] =
    "00000000-3fffffff : System RAM\n"
    "  01000000-01ffffff : Kernel code\n"
    "10000000000-13fffffffff : CXL Window 0\n"
    "  10000000000-1001fffffff : region0\n"
    "    10000000000-1001fffffff : dax0.0\n"
    "      10000000000-1001fffffff : System RAM (kmem)\n";

TEST(LayoutTest, CompressesTheGapAndKeepsAddressOrder) {
  const ParsedIomem dump = MustParse(kSparse);
  const MapLayout layout = LayOut(dump.tree, false);
  ASSERT_EQ(layout.items.size(), 6u);
  EXPECT_EQ(layout.max_depth, 4);
  int gaps = 0;
  for (const AxisInterval& iv : layout.axis) {
    if (!iv.gap) continue;
    ++gaps;
    EXPECT_EQ(iv.first, absl::uint128(0x40000000));
    EXPECT_EQ(iv.end, absl::uint128(0x10000000000));
  }
  EXPECT_EQ(gaps, 1);
  const MapItem& ram = layout.items[0];
  const MapItem& window = layout.items[2];
  EXPECT_LT(ram.x1, window.x0);
  // The 1 TiB - 1 GiB gap is narrower than the 1 GiB of RAM before it.
  EXPECT_LT(window.x0 - ram.x1, ram.x1 - ram.x0);
  EXPECT_EQ(layout.items[5].parent, 4);
  EXPECT_EQ(layout.items[5].kind, MapKind::kKmem);
  EXPECT_DOUBLE_EQ(layout.items[5].x0, layout.items[3].x0);
  EXPECT_DOUBLE_EQ(layout.items[5].x1, layout.items[3].x1);
  EXPECT_DOUBLE_EQ(layout.items[5].y0, 3 * layout.band_height);
  EXPECT_TRUE(layout.kinds_present[static_cast<int>(MapKind::kRegion)]);
  EXPECT_FALSE(layout.kinds_present[static_cast<int>(MapKind::kPciBus)]);
}

// kSparse after a hotplug: the kmem range went offline (removed), the
// region grew, a second window arrived, Kernel code moved under a new node.
constexpr char kSparseAfter[] =
    "00000000-3fffffff : System RAM\n"
    "  00800000-02ffffff : Kernel\n"
    "    01000000-01ffffff : Kernel code\n"
    "10000000000-13fffffffff : CXL Window 0\n"
    "  10000000000-1003fffffff : region0\n"
    "    10000000000-1001fffffff : dax0.0\n"
    "20000000000-2003fffffff : CXL Window 1\n";

TEST(LayoutTest, DiffPutsBothTreesOnOneAxisAndMarksTheChanges) {
  const ParsedIomem a = MustParse(kSparse);
  const ParsedIomem b = MustParse(kSparseAfter);
  const IomemDiff d = DiffTrees(a.tree, b.tree);
  const MapLayout layout = LayOutDiff(a.tree, b.tree, d, false);
  ASSERT_TRUE(layout.diff);
  ASSERT_EQ(layout.after_index, 6u);
  ASSERT_EQ(layout.items.size(), 13u);
  EXPECT_EQ(layout.after_row, 5);  // 4 rows before, one empty
  EXPECT_EQ(layout.rows, 5 + 3);
  auto find = [&](int panel, const std::string& name) -> const MapItem& {
    for (const MapItem& it : layout.items) {
      if (it.panel == panel && it.name == name) return it;
    }
    ADD_FAILURE() << name << " not in panel " << panel;
    return layout.items[0];
  };
  // Rows: the old tree's by depth, the new tree's below the empty row.
  EXPECT_DOUBLE_EQ(find(0, "System RAM (kmem)").y0, 3 * layout.band_height);
  EXPECT_DOUBLE_EQ(find(1, "dax0.0").y0, (5 + 2) * layout.band_height);
  // Parents stay within their panel.
  EXPECT_EQ(layout.items[find(1, "Kernel code").parent].name, "Kernel");
  // One axis: an unchanged range has one x in both panels.
  EXPECT_DOUBLE_EQ(find(0, "CXL Window 0").x0, find(1, "CXL Window 0").x0);
  EXPECT_DOUBLE_EQ(find(0, "CXL Window 0").x1, find(1, "CXL Window 0").x1);
  EXPECT_DOUBLE_EQ(find(0, "dax0.0").x1, find(1, "dax0.0").x1);
  EXPECT_LT(find(0, "region0").x1, find(1, "region0").x1);  // it grew
  // The marks.
  EXPECT_EQ(find(0, "System RAM (kmem)").change, DiffEntry::kRemoved);
  EXPECT_EQ(find(1, "CXL Window 1").change, DiffEntry::kAdded);
  EXPECT_EQ(find(1, "Kernel").change, DiffEntry::kAdded);
  EXPECT_TRUE(find(1, "Kernel code").change & DiffEntry::kReparented);
  EXPECT_TRUE(find(0, "Kernel code").change & DiffEntry::kReparented);
  EXPECT_TRUE(find(1, "region0").change & DiffEntry::kResized);
  EXPECT_TRUE(find(0, "region0").change & DiffEntry::kResized);
  EXPECT_EQ(find(1, "CXL Window 0").change, 0u);
  EXPECT_EQ(PrimaryChange(DiffEntry::kResized | DiffEntry::kReparented),
            "reparented");
  // A gap only where neither tree has anything: the space between the
  // windows is covered in the new tree alone, so it is no gap there... and
  // the 1 TiB hole below window 0 is one in both.
  int gaps = 0;
  for (const AxisInterval& iv : layout.axis) {
    if (!iv.gap) continue;
    ++gaps;
    EXPECT_TRUE(iv.first == absl::uint128(0x40000000) ||
                iv.first == absl::uint128(0x14000000000))
        << static_cast<uint64_t>(iv.first);
  }
  EXPECT_EQ(gaps, 2);
}

TEST(LayoutTest, FramesShareOneAxisAndMarkWhatEachStepChanged) {
  const ParsedIomem a = MustParse(kSparse);
  const ParsedIomem b = MustParse(kSparseAfter);
  const ParsedIomem c = MustParse(kSparseAfter);  // a step that changed nothing
  const MapLayout layout = LayOutFrames({&a.tree, &b.tree, &c.tree},
                                        {"boot", "hotplug", "noop"}, false);
  ASSERT_EQ(layout.frames.size(), 3u);
  EXPECT_EQ(layout.frames[1].caption, "hotplug");
  ASSERT_EQ(layout.frames[0].items.size(), 6u);
  ASSERT_EQ(layout.frames[1].items.size(), 7u);
  EXPECT_EQ(layout.items.size(), 7u);  // the last frame's
  for (const MapFrame& f : layout.frames) {
    for (size_t i = 0; i < f.items.size(); ++i) {
      const MapItem& it = f.items[i];
      EXPECT_EQ(it.y0, (it.depth - 1) * layout.band_height);  // rows from 0
      if (it.parent < 0) continue;
      ASSERT_LT(static_cast<size_t>(it.parent), i);  // within the frame
      const MapItem& p = f.items[static_cast<size_t>(it.parent)];
      EXPECT_EQ(p.depth + 1, it.depth);
      EXPECT_LE(p.x0, it.x0);
      EXPECT_GE(p.x1, it.x1);
    }
  }
  // One axis: window 0 at one place in every frame.
  EXPECT_EQ(layout.frames[2].items[3].name, "CXL Window 0");
  EXPECT_DOUBLE_EQ(layout.frames[0].items[2].x0, layout.frames[2].items[3].x0);
  // Frame 1 carries what the step to it changed; frames 0 and 2 nothing.
  unsigned in0 = 0, in2 = 0;
  for (const MapItem& it : layout.frames[0].items) in0 |= it.change;
  for (const MapItem& it : layout.frames[2].items) in2 |= it.change;
  EXPECT_EQ(in0, 0u);
  EXPECT_EQ(in2, 0u);
  unsigned window1 = 0, region0 = 0;
  for (const MapItem& it : layout.frames[1].items) {
    if (it.name == "CXL Window 1") window1 = it.change;
    if (it.name == "region0") region0 = it.change;
  }
  EXPECT_EQ(window1, DiffEntry::kAdded);
  EXPECT_TRUE(region0 & DiffEntry::kResized);
  // The HTML page embeds every frame.
  const std::string html = RenderHtml(layout, {"seq"});
  EXPECT_THAT(html, HasSubstr("\"frames\":[{\"caption\":\"boot\""));
  EXPECT_THAT(html, HasSubstr("id=\"frame\" min=\"0\" max=\"2\""));
}

TEST(SvgTest, DiffMarksEveryChangeWithAPatternAndItsPanel) {
  const ParsedIomem a = MustParse(kSparse);
  const ParsedIomem b = MustParse(kSparseAfter);
  const MapLayout layout =
      LayOutDiff(a.tree, b.tree, DiffTrees(a.tree, b.tree), false);
  const std::string svg = RenderSvg(layout, {"a -> b"});
  absl::StatusOr<std::vector<XmlElement>> els = ParseXml(svg);
  ASSERT_TRUE(els.ok()) << els.status();
  int before = 0, after = 0, patterns = 0, marks = 0;
  std::vector<std::string> marked;
  for (const XmlElement& e : *els) {
    if (e.tag == "pattern") ++patterns;
    const auto cls = e.attrs.find("class");
    if (e.tag != "g" || cls == e.attrs.end() ||
        !absl::StartsWith(cls->second, "res ")) {
      continue;
    }
    const std::string panel = e.attrs.at("data-panel");
    (panel == "before" ? before : after)++;
    int rects = 0, mark = 0;
    for (int c : e.children) {
      const XmlElement& child = (*els)[static_cast<size_t>(c)];
      if (child.tag != "rect") continue;
      ++rects;
      const auto mc = child.attrs.find("class");
      if (mc != child.attrs.end() && mc->second == "mark") {
        ++mark;
        EXPECT_TRUE(absl::StartsWith(child.attrs.at("fill"), "url(#chg-"));
      }
    }
    const bool changed = absl::StrContains(cls->second, "chg-");
    EXPECT_EQ(mark, changed ? 1 : 0) << cls->second;
    EXPECT_EQ(rects, 1 + mark);
    marks += mark;
    if (changed) marked.push_back(absl::StrCat(panel, " ", cls->second));
  }
  EXPECT_EQ(before, 6);
  EXPECT_EQ(after, 7);
  EXPECT_EQ(patterns, 5);  // one per kind of change, for the legend too
  EXPECT_THAT(marked, ::testing::Contains("before res k-kmem chg-removed"));
  EXPECT_THAT(marked, ::testing::Contains("after res k-cxl-window chg-added"));
  EXPECT_THAT(marked, ::testing::Contains("after res k-region chg-resized"));
  EXPECT_THAT(svg, HasSubstr("\u25b2 before, \u25bc after"));
  EXPECT_THAT(svg, HasSubstr("; removed</title>"));
  EXPECT_EQ(marks, static_cast<int>(marked.size()));
}

TEST(LayoutTest, WidthGrowsWithLogSize) {
  EXPECT_DOUBLE_EQ(IntervalWeight(4096), 2.0);
  EXPECT_DOUBLE_EQ(IntervalWeight(absl::uint128(1) << 30), 11.0);
  EXPECT_DOUBLE_EQ(IntervalWeight(absl::uint128(1) << 64), 28.0);
  EXPECT_DOUBLE_EQ(IntervalWeight(1), 1.0);
}

TEST(SvgTest, SparseMapStructure) {
  const ParsedIomem dump = MustParse(kSparse);
  const std::string svg = RenderSvg(LayOut(dump.tree, false), {"sparse"});
  const std::vector<Shape> shapes = CheckSvg(svg, dump);
  EXPECT_EQ(shapes.size(), 6u);
  EXPECT_THAT(svg, HasSubstr("gap 1023G"));
  EXPECT_THAT(svg, HasSubstr(">System RAM 1G</text>"));
}

TEST(SvgTest, LabelsThatDoNotFitAreOmitted) {
  MapItem item;
  item.name = "A rather long resource name";
  item.range = Range(0, 0xfff);
  EXPECT_EQ(FittingLabel(item, 30, 11, true), "");
  EXPECT_EQ(FittingLabel(item, 200, 11, false), item.name);
  EXPECT_EQ(FittingLabel(item, 300, 11, true), item.name + " 4K");
}

TEST(SvgTest, HostileNamesAreEscaped) {
  const ParsedIomem dump = MustParse(
      "00000000-00000fff : a<b & \"c\" 'd' ]]> \xff\xfe end\n"
      "00001000-00001fff : <script>alert(1)</script>\n");
  const MapLayout layout = LayOut(dump.tree, false);
  const std::vector<Shape> shapes = CheckSvg(RenderSvg(layout), dump);
  ASSERT_EQ(shapes.size(), 2u);
  EXPECT_THAT(shapes[0].title, HasSubstr("a<b & \"c\" 'd' ]]> \xEF\xBF\xBD"));
  const std::string html = RenderHtml(layout);
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("\\u003cscript\\u003ealert(1)"));
}

TEST(SvgTest, DeepTreeWithoutRecursion) {
  // 10^5 nested resources (the kernel prints levels past the cap at the
  // cap's indentation; the parser nests them by containment): deep enough
  // that recursing per level would overflow the stack.
  std::string text;
  constexpr int kDepth = 100000;
  for (int d = 0; d < kDepth; ++d) {
    absl::StrAppendFormat(&text, "%*s%08x-%08x : level%d\n", 2 * std::min(d, 5),
                          "", d, 0x7fffffff - d, d);
  }
  const ParsedIomem dump = MustParse(text);
  const MapLayout layout = LayOut(dump.tree, false);
  ASSERT_EQ(layout.items.size(), static_cast<size_t>(kDepth));
  EXPECT_EQ(layout.max_depth, kDepth);
  for (size_t i = 1; i < layout.items.size(); ++i) {
    ASSERT_EQ(layout.items[i].parent, static_cast<int32_t>(i - 1));
    ASSERT_GT(layout.items[i].x0, layout.items[i - 1].x0);
    ASSERT_LT(layout.items[i].x1, layout.items[i - 1].x1);
  }
  absl::StatusOr<std::vector<XmlElement>> els = ParseXml(RenderSvg(layout));
  ASSERT_TRUE(els.ok()) << els.status();
  size_t shapes = 0;
  for (const XmlElement& e : *els) {
    const auto cls = e.attrs.find("class");
    shapes += e.tag == "g" && cls != e.attrs.end() &&
              absl::StartsWith(cls->second, "res ");
  }
  EXPECT_EQ(shapes, static_cast<size_t>(kDepth));
  EXPECT_THAT(RenderHtml(layout), HasSubstr("\"count\":100000"));
}

TEST(SvgTest, EveryRealSampleRenders) {
  for (const std::string& name : restree::test_support::IomemSampleNames()) {
    SCOPED_TRACE(name);
    const std::string text = restree::test_support::ReadTestFile(
        restree::test_support::IomemSamplePath(name));
    ASSERT_FALSE(text.empty());
    const ParsedIomem dump =
        MustParse(text, restree::test_support::IsExcerptSample(name));
    EXPECT_EQ(dump.zeroed, restree::test_support::IsZeroedSample(name));
    const MapLayout layout = LayOut(dump.tree, dump.zeroed);
    const std::string svg = RenderSvg(layout, {name});
    const std::vector<Shape> shapes = CheckSvg(svg, dump);
    EXPECT_FALSE(shapes.empty());
    if (dump.zeroed) {
      // Synthetic addresses are never shown.
      EXPECT_THAT(svg, Not(HasSubstr("data-first")));
      EXPECT_THAT(svg, Not(HasSubstr(" [0x")));
      EXPECT_THAT(svg, Not(HasSubstr("class=\"addr\"")));
    }
    const std::string html = RenderHtml(layout, {name});
    EXPECT_THAT(html, HasSubstr(absl::StrCat("\"count\":", shapes.size())));
    EXPECT_THAT(html, Not(HasSubstr("src=")));
    EXPECT_THAT(html, Not(HasSubstr("<link")));
    EXPECT_THAT(html, Not(HasSubstr("http://")));
    EXPECT_THAT(html, Not(HasSubstr("https://")));
  }
}

// 10^5 resources: 1000 PCI buses 4 GiB apart, each with 9 bridges of 10
// devices.
std::string HundredThousand() {
  std::string text;
  text.reserve(100000 * 40);
  for (uint64_t b = 0; b < 1000; ++b) {
    const uint64_t base = b << 32;
    absl::StrAppendFormat(&text, "%08x-%08x : PCI Bus 0000:%02x\n", base,
                          base + 0x7fffffff, b % 256);
    for (uint64_t k = 0; k < 9; ++k) {
      const uint64_t kb = base + k * 0x8000000;
      absl::StrAppendFormat(&text, "  %08x-%08x : PCI Bus 0000:%02x\n", kb,
                            kb + 0x7ffffff, k);
      for (uint64_t d = 0; d < 10; ++d) {
        const uint64_t db = kb + d * 0x100000;
        absl::StrAppendFormat(&text, "    %08x-%08x : 0000:%02x:%02x.0\n", db,
                              db + 0xfffff, k, d);
      }
    }
  }
  return text;
}

// CPU time of this thread, in ms (wall time would measure the machine's
// load as much as the code).
double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 +
         static_cast<double>(ts.tv_nsec) / 1e6;
}

TEST(MapScaleTest, HundredThousandResources) {
  const std::string text = HundredThousand();
  const double t0 = CpuMs();
  const ParsedIomem dump = MustParse(text);
  const double t1 = CpuMs();
  const MapLayout layout = LayOut(dump.tree, false);
  const double t2 = CpuMs();
  const std::string svg = RenderSvg(layout);
  const double t3 = CpuMs();
  const std::string html = RenderHtml(layout);
  const double t4 = CpuMs();
  ASSERT_EQ(layout.items.size(), 100000u);
  std::printf(
      "10^5 resources, CPU time: parse %.0f ms, layout %.0f ms, SVG %.0f ms "
      "(%zu bytes), HTML %.0f ms (%zu bytes)\n",
      t1 - t0, t2 - t1, t3 - t2, svg.size(), t4 - t3, html.size());
  int gaps = 0;
  for (const AxisInterval& iv : layout.axis) gaps += iv.gap;
  EXPECT_EQ(gaps, 999);
}

}  // namespace
}  // namespace map
}  // namespace restree
