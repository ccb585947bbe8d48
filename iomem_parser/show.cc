#include "iomem_parser/show.h"

#include <algorithm>

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
  const IomemSummary s = Summarize(dump.tree, SummaryDetail::kCounts);
  std::string out =
      absl::StrCat(shown, shown == 1 ? " resource" : " resources");
  if (dump.zeroed) {
    absl::StrAppend(&out,
                    "; addresses hidden (the dump was read without "
                    "CAP_SYS_ADMIN)");
    return out;
  }
  absl::StrAppend(&out, "; System RAM ", HumanSize(s.system_ram));
  if (s.cxl_window_total.count != 0) {
    absl::StrAppend(&out, "; ", s.cxl_window_total.count, " CXL window",
                    s.cxl_window_total.count == 1 ? "" : "s", " (",
                    HumanSize(s.cxl_window_total.bytes), ")");
  }
  if (s.region_total.count != 0) {
    absl::StrAppend(&out, "; ", s.region_total.count,
                    s.region_total.count == 1 ? " region" : " regions");
  }
  if (s.kmem_total.count != 0) {
    absl::StrAppend(&out, "; kmem ", HumanSize(s.kmem_total.bytes));
  }
  return out;
}

// Calls fn(ShownNode) for the selection, or for every resource of the dump
// in pre-order when `nodes` is null (no list is made).
template <typename Fn>
void ForEachShown(const ParsedIomem& dump, const std::vector<ShownNode>* nodes,
                  Fn fn) {
  if (nodes != nullptr) {
    for (const ShownNode& n : *nodes) fn(n);
  } else {
    dump.tree.ForEachPreorder([&](ResourceId id, int depth) {
      fn(ShownNode{id, depth, false});
    });
  }
}

size_t ShownCount(const ParsedIomem& dump,
                  const std::vector<ShownNode>* nodes) {
  return nodes != nullptr ? nodes->size() : dump.tree.size() - 1;
}

}  // namespace

std::vector<ShownNode> SelectNodes(const ResourceTree& tree,
                                   const ShowFilter& filter) {
  std::vector<ShownNode> all;
  all.reserve(tree.size());
  tree.ForEachPreorder([&](ResourceId id, int depth) {
    all.push_back({id, depth, false});
  });
  if (filter.under.empty() && !filter.name.has_value() &&
      filter.max_depth < 0) {
    return all;
  }
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

namespace {

void ShowImpl(const ParsedIomem& dump, const std::vector<ShownNode>* nodes,
              absl::string_view source, TextSink sink) {
  std::string out = absl::StrCat(
      source, ": ", SummaryLine(dump, ShownCount(dump, nodes)), "\n");
  const int w = dump.width;
  ForEachShown(dump, nodes, [&](const ShownNode& n) {
    out.append(static_cast<size_t>(std::min(n.depth, kShowMaxIndent)) * 2, ' ');
    if (n.depth > kShowMaxIndent)
      absl::StrAppend(&out, "[depth ", n.depth, "] ");
    if (dump.zeroed) {
      absl::StrAppend(&out, dump.tree.NameOf(n.id), "\n");
    } else {
      const Range r = dump.tree.RangeOf(n.id);
      AppendHexPadded(&out, r.first(), w);
      out.push_back('-');
      AppendHexPadded(&out, r.last(), w);
      absl::StrAppendFormat(&out, " %6s  ", HumanSize(r.size()));
      const absl::string_view name = dump.tree.NameOf(n.id);
      out.append(name.data(), name.size());
      if (n.context) out.append("  (context)");
      out.push_back('\n');
    }
    if (out.size() >= kShowChunkBytes) {
      sink(out);
      out.clear();
    }
  });
  sink(out);
}

void ShowRawImpl(const ParsedIomem& dump, const std::vector<ShownNode>* nodes,
                 TextSink sink) {
  // Lines are written straight into one buffer, sent on when it is full.
  std::vector<char> buf(kShowChunkBytes);
  size_t used = 0;
  ForEachShown(dump, nodes, [&](const ShownNode& n) {
    const absl::string_view name = dump.tree.NameOf(n.id);
    const int depth = std::min(n.depth, dump.max_depth);
    const size_t need = ProcLineSize(depth, name);
    if (buf.size() - used < need) {
      sink(absl::string_view(buf.data(), used));
      used = 0;
      if (buf.size() < need) buf.resize(need);
    }
    const Range r = dump.tree.RangeOf(n.id);
    char* end = WriteProcLine(buf.data() + used, depth, dump.width,
                              dump.zeroed ? 0 : r.first(),
                              dump.zeroed ? 0 : r.last(), name);
    used = static_cast<size_t>(end - buf.data());
  });
  sink(absl::string_view(buf.data(), used));
}

void ShowJsonImpl(const ParsedIomem& dump, const std::vector<ShownNode>* nodes,
                  absl::string_view source, TextSink sink,
                  absl::string_view schema) {
  const IomemSummary s = Summarize(dump.tree, SummaryDetail::kCounts);
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String(schema);
  w.Key("source").String(source);
  w.Key("zeroed").Bool(dump.zeroed);
  w.Key("width").Int(dump.width);
  w.Key("max_depth").Int(dump.max_depth);
  w.Key("summary").BeginObject();
  internal::WriteSystemRam(w, s.system_ram, dump.zeroed);
  w.Key("cxl_windows").Uint(s.cxl_window_total.count);
  w.Key("regions").Uint(s.region_total.count);
  w.Key("dax").Uint(s.dax_total.count);
  w.Key("kmem").Uint(s.kmem_total.count);
  w.EndObject();
  w.Key("resources").BeginArray();
  // The shown nodes still open at this point of the pre-order walk: a shown
  // parent is the innermost of them, once the deeper ones are closed.
  struct Open {
    ResourceId id;
    size_t index;
    int depth;
  };
  std::vector<Open> open;
  size_t i = 0;
  ForEachShown(dump, nodes, [&](const ShownNode& n) {
    const ResourceView v = dump.tree.View(n.id);
    while (!open.empty() && open.back().depth >= n.depth) open.pop_back();
    w.BeginObject();
    w.Key("index").Uint(i);
    if (!open.empty() && open.back().id == v.parent) {
      w.Key("parent").Uint(open.back().index);
    } else {
      w.Key("parent").Null();
    }
    open.push_back({n.id, i, n.depth});
    w.Key("depth").Int(n.depth);
    w.Key("line").Int(dump.LineOf(n.id));
    internal::WriteRangeFields(w, v.range, dump.zeroed);
    w.Key("name").String(v.name);
    if (n.context) w.Key("context").Bool(true);
    w.EndObject();
    if (w.buffered() >= kShowChunkBytes) w.Drain(sink);
    ++i;
  });
  w.EndArray();
  w.EndObject();
  sink(std::move(w).Finish());
}

}  // namespace

void StreamShow(const ParsedIomem& dump, const std::vector<ShownNode>& nodes,
                absl::string_view source, TextSink sink) {
  ShowImpl(dump, &nodes, source, sink);
}
void StreamShow(const ParsedIomem& dump, absl::string_view source,
                TextSink sink) {
  ShowImpl(dump, nullptr, source, sink);
}
void StreamShowRaw(const ParsedIomem& dump, const std::vector<ShownNode>& nodes,
                   TextSink sink) {
  ShowRawImpl(dump, &nodes, sink);
}
void StreamShowRaw(const ParsedIomem& dump, TextSink sink) {
  ShowRawImpl(dump, nullptr, sink);
}
void StreamShowJson(const ParsedIomem& dump,
                    const std::vector<ShownNode>& nodes,
                    absl::string_view source, TextSink sink,
                    absl::string_view schema) {
  ShowJsonImpl(dump, &nodes, source, sink, schema);
}
void StreamShowJson(const ParsedIomem& dump, absl::string_view source,
                    TextSink sink, absl::string_view schema) {
  ShowJsonImpl(dump, nullptr, source, sink, schema);
}

namespace {

std::string Collect(absl::FunctionRef<void(TextSink)> render) {
  std::string out;
  render(
      [&](absl::string_view piece) { out.append(piece.data(), piece.size()); });
  return out;
}

}  // namespace

std::string RenderShow(const ParsedIomem& dump,
                       const std::vector<ShownNode>& nodes,
                       absl::string_view source) {
  return Collect([&](TextSink sink) { StreamShow(dump, nodes, source, sink); });
}

std::string RenderShowRaw(const ParsedIomem& dump,
                          const std::vector<ShownNode>& nodes) {
  return Collect([&](TextSink sink) { StreamShowRaw(dump, nodes, sink); });
}

std::string RenderShowJson(const ParsedIomem& dump,
                           const std::vector<ShownNode>& nodes,
                           absl::string_view source, absl::string_view schema) {
  return Collect([&](TextSink sink) {
    StreamShowJson(dump, nodes, source, sink, schema);
  });
}

}  // namespace restree
