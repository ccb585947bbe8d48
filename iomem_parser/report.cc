#include "iomem_parser/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/byte_size.h"
#include "base/json_writer.h"
#include "iomem_parser/internal/json_fields.h"
#include "resource_tree/domain_invariants.h"

namespace restree {
namespace {

constexpr absl::string_view kRed = "\033[31m";
constexpr absl::string_view kGreen = "\033[32m";
constexpr absl::string_view kYellow = "\033[33m";
constexpr absl::string_view kReset = "\033[0m";

// A range as the dump prints it: hex padded to the dump's width (8 for
// iomem, 4 for x86 ioports).
std::string RangeText(const Range& r, int width) {
  return absl::StrFormat("%0*x-%0*x", width, r.first(), width, r.last());
}

// Ranges listed one by one in a summary line; a longer list (a synthetic
// or very large machine) is counted instead, so the line stays short.
constexpr size_t kMaxListedRanges = 8;

std::string Ranges(const std::vector<Range>& v, int width) {
  if (v.size() > kMaxListedRanges) {
    absl::uint128 total = 0;
    for (const Range& r : v) total += r.size();
    return absl::StrCat(v.size(), " (", HumanSize(total), " in all, ",
                        RangeText(v.front(), width), " to ",
                        RangeText(v.back(), width), ")");
  }
  std::vector<std::string> parts;
  for (const Range& r : v) {
    parts.push_back(
        absl::StrCat(RangeText(r, width), " (", HumanSize(r.size()), ")"));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

std::string SignedSize(absl::uint128 before, absl::uint128 after) {
  if (after == before) return "unchanged";
  if (after > before) return absl::StrCat("+", HumanSize(after - before));
  return absl::StrCat("-", HumanSize(before - after));
}

std::string ParentName(const ResourceTree& t, ResourceId id) {
  if (!id.valid() || !t.Contains(id)) return "?";
  const ResourceId p = t.ParentOf(id);
  if (!p.valid() || p == t.root()) return "the root";
  return absl::StrCat("\"", t.NameOf(p), "\"");
}

void WriteResource(JsonWriter& w, const ParsedIomem& dump, ResourceId id) {
  const ResourceView v = dump.tree.View(id);
  w.BeginObject();
  internal::WriteRangeFields(w, v.range, dump.zeroed);
  w.Key("name").String(v.name);
  w.Key("line").Int(dump.LineOf(id));
  if (v.parent.valid() && v.parent != dump.tree.root()) {
    w.Key("parent").String(dump.tree.NameOf(v.parent));
    w.Key("parent_line").Int(dump.LineOf(v.parent));
  } else {
    w.Key("parent").Null();
  }
  w.EndObject();
}

void WriteSummary(JsonWriter& w, const IomemSummary& s, bool zeroed) {
  auto ranges = [&](const char* key, const std::vector<Range>& v) {
    w.Key(key).BeginArray();
    for (const Range& r : v) {
      w.BeginObject();
      internal::WriteRangeFields(w, r, zeroed);
      w.EndObject();
    }
    w.EndArray();
  };
  w.BeginObject();
  internal::WriteSystemRam(w, s.system_ram, zeroed);
  ranges("cxl_windows", s.cxl_windows);
  ranges("regions", s.regions);
  ranges("dax", s.dax);
  ranges("kmem", s.kmem);
  w.EndObject();
}

}  // namespace

std::string RenderDiff(const IomemDiff& diff, const DiffSide& old_side,
                       const DiffSide& new_side, bool color) {
  const ParsedIomem& a = *old_side.dump;
  const ParsedIomem& b = *new_side.dump;
  std::string out = absl::StrCat("--- old: ", old_side.source,
                                 "\n+++ new: ", new_side.source, "\n");
  if (diff.zeroed) {
    absl::StrAppend(&out,
                    "(a dump without addresses: resources are paired "
                    "by name and ancestry; sizes unknown)\n");
  } else {
    absl::StrAppend(&out, "System RAM: ", HumanSize(diff.before.system_ram),
                    " -> ", HumanSize(diff.after.system_ram), " (",
                    SignedSize(diff.before.system_ram, diff.after.system_ram),
                    ")\n");
    absl::StrAppend(&out,
                    "CXL windows: ", Ranges(diff.before.cxl_windows, a.width),
                    " -> ", Ranges(diff.after.cxl_windows, b.width), "\n");
    absl::StrAppend(&out, "regions: ", Ranges(diff.before.regions, a.width),
                    " -> ", Ranges(diff.after.regions, b.width), "\n");
    absl::StrAppend(&out, "dax: ", Ranges(diff.before.dax, a.width), " -> ",
                    Ranges(diff.after.dax, b.width), "\n");
    absl::StrAppend(&out, "kmem: ", Ranges(diff.before.kmem, a.width), " -> ",
                    Ranges(diff.after.kmem, b.width), "\n");
  }
  // The count of changed resources, and of each kind.
  size_t added = 0, removed = 0;
  for (const DiffEntry& e : diff.entries) {
    added += (e.changes & DiffEntry::kAdded) != 0 ? 1 : 0;
    removed += (e.changes & DiffEntry::kRemoved) != 0 ? 1 : 0;
  }
  const size_t changed = diff.entries.size() - added - removed;
  absl::StrAppend(
      &out, diff.entries.size(),
      diff.entries.size() == 1 ? " resource changed" : " resources changed");
  if (!diff.entries.empty()) {
    absl::StrAppend(&out, ": ", removed, " removed, ", added, " added, ",
                    changed, " resized, moved or with new flags");
  }
  absl::StrAppend(&out, "\n");
  for (const DiffEntry& e : diff.entries) {
    absl::string_view paint;
    std::string line;
    const bool removed_entry = (e.changes & DiffEntry::kRemoved) != 0;
    const std::string where =
        diff.zeroed
            ? ""
            : RangeText(e.range, removed_entry ? a.width : b.width) + "  ";
    // Where an added or removed resource is (or was): its parent.
    auto in = [](const ResourceTree& t, ResourceId id) -> std::string {
      const std::string p = ParentName(t, id);
      return p == "the root" ? "" : absl::StrCat("  in ", p);
    };
    if (e.changes & DiffEntry::kAdded) {
      paint = kGreen;
      line = absl::StrCat("+ ", where, e.name, in(b.tree, e.new_node),
                          "  [new:", b.LineOf(e.new_node), "]");
    } else if (removed_entry) {
      paint = kRed;
      line = absl::StrCat("- ", where, e.name, in(a.tree, e.old_node),
                          "  [old:", a.LineOf(e.old_node), "]");
    } else {
      paint = kYellow;
      std::vector<std::string> what;
      const Range old_range = a.tree.RangeOf(e.old_node);
      if (e.changes & DiffEntry::kResized) {
        what.push_back(
            absl::StrCat("resized from ", RangeText(old_range, a.width)));
      }
      if (e.changes & DiffEntry::kReparented) {
        what.push_back(
            absl::StrCat("moved from under ", ParentName(a.tree, e.old_node),
                         " to under ", ParentName(b.tree, e.new_node)));
      }
      if (e.changes & DiffEntry::kFlagsChanged) {
        what.push_back(absl::StrCat("flags ",
                                    FlagsToString(a.tree.FlagsOf(e.old_node)),
                                    " -> ", FlagsToString(e.flags)));
      }
      line = absl::StrCat("~ ", where, e.name, ": ", absl::StrJoin(what, "; "),
                          "  [old:", a.LineOf(e.old_node),
                          " -> new:", b.LineOf(e.new_node), "]");
    }
    if (color) {
      absl::StrAppend(&out, paint, line, kReset, "\n");
    } else {
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

std::string RenderDiffJson(const IomemDiff& diff, const DiffSide& old_side,
                           const DiffSide& new_side) {
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String("restree.diff/1");
  w.Key("old").String(old_side.source);
  w.Key("new").String(new_side.source);
  w.Key("zeroed").Bool(diff.zeroed);
  w.Key("same").Bool(diff.empty());
  w.Key("summary").BeginObject();
  w.Key("before");
  WriteSummary(w, diff.before, diff.zeroed);
  w.Key("after");
  WriteSummary(w, diff.after, diff.zeroed);
  w.EndObject();
  w.Key("changes").BeginArray();
  for (const DiffEntry& e : diff.entries) {
    w.BeginObject();
    w.Key("changes").BeginArray();
    for (const std::string& c : ChangeNames(e.changes)) w.String(c);
    w.EndArray();
    w.Key("old");
    if (e.old_node.valid()) {
      WriteResource(w, *old_side.dump, e.old_node);
    } else {
      w.Null();
    }
    w.Key("new");
    if (e.new_node.valid()) {
      WriteResource(w, *new_side.dump, e.new_node);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::move(w).Finish();
}

}  // namespace restree
