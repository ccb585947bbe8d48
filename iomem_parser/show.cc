#include "iomem_parser/show.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/byte_size.h"
#include "base/json_writer.h"
#include "iomem_parser/diff.h"
#include "iomem_parser/internal/json_fields.h"
#include "resource_tree/render.h"

namespace restree {
namespace {

std::string SummaryLine(const ParsedIomem& dump, size_t shown) {
  const IomemSummary s = Summarize(dump.tree);
  std::string out = absl::StrCat(shown, shown == 1 ? " resource" : " resources");
  if (dump.zeroed) {
    absl::StrAppend(&out, "; addresses hidden (the dump was read without "
                          "CAP_SYS_ADMIN)");
    return out;
  }
  absl::StrAppend(&out, "; System RAM ", HumanSize(s.system_ram));
  if (!s.cxl_windows.empty()) {
    absl::uint128 total = 0;
    for (const Range& r : s.cxl_windows) total += r.size();
    absl::StrAppend(&out, "; ", s.cxl_windows.size(), " CXL window",
                    s.cxl_windows.size() == 1 ? "" : "s", " (",
                    HumanSize(total), ")");
  }
  if (!s.regions.empty()) {
    absl::StrAppend(&out, "; ", s.regions.size(),
                    s.regions.size() == 1 ? " region" : " regions");
  }
  if (!s.kmem.empty()) {
    absl::uint128 total = 0;
    for (const Range& r : s.kmem) total += r.size();
    absl::StrAppend(&out, "; kmem ", HumanSize(total));
  }
  return out;
}

}  // namespace

std::vector<ShownNode> SelectNodes(const ResourceTree& tree,
                                   const ShowFilter& filter) {
  std::vector<ShownNode> all;
  tree.ForEachPreorder(
      [&](ResourceId id, int depth) { all.push_back({id, depth, false}); });
  std::vector<bool> keep(all.size(), filter.under.empty());
  if (!filter.under.empty()) {
    // Inside a subtree while the depth stays below its root's.
    int inside = -1;
    for (size_t i = 0; i < all.size(); ++i) {
      if (inside >= 0 && all[i].depth <= inside) inside = -1;
      if (inside < 0 && tree.NameOf(all[i].id) == filter.under) {
        inside = all[i].depth;
      }
      keep[i] = inside >= 0;
    }
  }
  if (filter.max_depth >= 0) {
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].depth >= filter.max_depth) keep[i] = false;
    }
  }
  std::vector<bool> context(all.size(), false);
  if (filter.name.has_value()) {
    // Matches, plus their ancestors as context: walk with a stack of the
    // positions of the open ancestors.
    std::vector<size_t> path;
    std::vector<bool> match(all.size(), false);
    for (size_t i = 0; i < all.size(); ++i) {
      path.resize(static_cast<size_t>(all[i].depth));
      if (keep[i]) {
        if (filter.name->Search(tree.NameOf(all[i].id))) {
          match[i] = true;
          // Innermost first: an ancestor already marked has all of its own
          // ancestors marked, so each node is marked at most once.
          for (auto a = path.rbegin(); a != path.rend(); ++a) {
            if (match[*a] || context[*a]) break;
            context[*a] = true;
          }
        }
      }
      path.push_back(i);
    }
    for (size_t i = 0; i < all.size(); ++i) keep[i] = match[i] || context[i];
  }
  std::vector<ShownNode> out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!keep[i]) continue;
    all[i].context = context[i];
    out.push_back(all[i]);
  }
  return out;
}

std::string RenderShow(const ParsedIomem& dump,
                       const std::vector<ShownNode>& nodes,
                       absl::string_view source) {
  std::string out = absl::StrCat(source, ": ", SummaryLine(dump, nodes.size()),
                                 "\n");
  const int w = dump.width;
  for (const ShownNode& n : nodes) {
    out.append(static_cast<size_t>(std::min(n.depth, kShowMaxIndent)) * 2,
               ' ');
    if (n.depth > kShowMaxIndent) absl::StrAppend(&out, "[depth ", n.depth, "] ");
    if (dump.zeroed) {
      absl::StrAppend(&out, dump.tree.NameOf(n.id), "\n");
      continue;
    }
    const Range r = dump.tree.RangeOf(n.id);
    absl::StrAppendFormat(&out, "%0*x-%0*x %6s  %s%s\n", w, r.first(), w,
                          r.last(), HumanSize(r.size()), dump.tree.NameOf(n.id),
                          n.context ? "  (context)" : "");
  }
  return out;
}

std::string RenderShowRaw(const ParsedIomem& dump,
                          const std::vector<ShownNode>& nodes) {
  std::string out;
  for (const ShownNode& n : nodes) {
    const Range r = dump.tree.RangeOf(n.id);
    AppendProcLine(&out, std::min(n.depth, dump.max_depth), dump.width,
                   dump.zeroed ? 0 : r.first(), dump.zeroed ? 0 : r.last(),
                   dump.tree.NameOf(n.id));
  }
  return out;
}

std::string RenderShowJson(const ParsedIomem& dump,
                           const std::vector<ShownNode>& nodes,
                           absl::string_view source,
                           absl::string_view schema) {
  absl::flat_hash_map<ResourceId, size_t> index;
  for (size_t i = 0; i < nodes.size(); ++i) index[nodes[i].id] = i;
  const IomemSummary s = Summarize(dump.tree);
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String(schema);
  w.Key("source").String(source);
  w.Key("zeroed").Bool(dump.zeroed);
  w.Key("width").Int(dump.width);
  w.Key("max_depth").Int(dump.max_depth);
  w.Key("summary").BeginObject();
  internal::WriteSystemRam(w, s.system_ram, dump.zeroed);
  w.Key("cxl_windows").Uint(s.cxl_windows.size());
  w.Key("regions").Uint(s.regions.size());
  w.Key("dax").Uint(s.dax.size());
  w.Key("kmem").Uint(s.kmem.size());
  w.EndObject();
  w.Key("resources").BeginArray();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const ShownNode& n = nodes[i];
    const ResourceView v = dump.tree.View(n.id);
    w.BeginObject();
    w.Key("index").Uint(i);
    auto p = index.find(v.parent);
    if (p == index.end()) {
      w.Key("parent").Null();
    } else {
      w.Key("parent").Uint(p->second);
    }
    w.Key("depth").Int(n.depth);
    w.Key("line").Int(dump.LineOf(n.id));
    internal::WriteRangeFields(w, v.range, dump.zeroed);
    w.Key("name").String(v.name);
    if (n.context) w.Key("context").Bool(true);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::move(w).Finish();
}

}  // namespace restree
