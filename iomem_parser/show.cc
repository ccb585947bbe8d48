#include "iomem_parser/show.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/numbers.h"
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

// Writes the "resources" elements, formatted exactly as JsonWriter (pretty)
// would at nesting depth `depth`, straight into one buffer that is sent on
// when full: the array is most of the output of a large dump, and the
// generic writer's per-key bookkeeping was most of its time. Returns how many
// elements were written. json_writer_test and show_test hold the bytes to
// what JsonWriter writes.
class ResourceElementWriter {
 public:
  ResourceElementWriter(size_t depth, TextSink sink)
      : sink_(sink), buf_(kShowChunkBytes) {
    // "\n" and the element's indentation; a key line is 2 spaces deeper.
    const size_t indent = 2 * depth;
    open_ = "\n" + std::string(indent, ' ') + "{";
    close_ = "\n" + std::string(indent, ' ') + "}";
    key_ = "\n" + std::string(indent + 2, ' ');
  }

  void Element(bool first, uint64_t index, const uint64_t* parent, int depth,
               int line, const Range* range, absl::string_view name,
               bool context) {
    // The fixed text is under 300 bytes; a name takes at most 6 per byte.
    Reserve(320 + 10 * key_.size() + 6 * name.size());
    if (!first) *p_++ = ',';
    Put(open_);
    KeyAndUint(false, "\"index\": ", index);
    if (parent != nullptr) {
      KeyAndUint(true, "\"parent\": ", *parent);
    } else {
      KeyAndText(true, "\"parent\": ", "null");
    }
    KeyAndInt(true, "\"depth\": ", depth);
    KeyAndInt(true, "\"line\": ", line);
    if (range == nullptr) {
      KeyAndText(true, "\"start\": ", "null");
      KeyAndText(true, "\"end\": ", "null");
      KeyAndText(true, "\"size\": ", "null");
    } else {
      KeyAndHex(true, "\"start\": ", range->first());
      KeyAndHex(true, "\"end\": ", range->last());
      const absl::uint128 size = range->size();
      if (absl::Uint128High64(size) == 0) {
        KeyAndUint(true, "\"size\": ", absl::Uint128Low64(size));
      } else {
        KeyAndText(true, "\"size\": ", "18446744073709551616");  // 2^64
      }
    }
    Key(true, "\"name\": ");
    Quoted(name);
    if (context) KeyAndText(true, "\"context\": ", "true");
    Put(close_);
  }

  void Flush() {
    const size_t used = static_cast<size_t>(p_ - buf_.data());
    if (used != 0) sink_(absl::string_view(buf_.data(), used));
    p_ = buf_.data();
  }

 private:
  void Reserve(size_t need) {
    if (static_cast<size_t>(buf_.data() + buf_.size() - p_) >= need) return;
    Flush();
    if (buf_.size() < need) {
      buf_.resize(need);
      p_ = buf_.data();
    }
  }
  void Put(absl::string_view text) {
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void Key(bool comma, absl::string_view quoted_key_colon_space) {
    if (comma) *p_++ = ',';
    Put(key_);
    Put(quoted_key_colon_space);
  }
  void KeyAndText(bool comma, absl::string_view key, absl::string_view text) {
    Key(comma, key);
    Put(text);
  }
  void KeyAndUint(bool comma, absl::string_view key, uint64_t v) {
    Key(comma, key);
    p_ = absl::numbers_internal::FastIntToBuffer(v, p_);
  }
  void KeyAndInt(bool comma, absl::string_view key, int v) {
    Key(comma, key);
    p_ = absl::numbers_internal::FastIntToBuffer(v, p_);
  }
  void KeyAndHex(bool comma, absl::string_view key, uint64_t v) {
    Key(comma, key);
    const int digits = v == 0 ? 1 : (64 - __builtin_clzll(v) + 3) / 4;
    *p_++ = '"';
    *p_++ = '0';
    *p_++ = 'x';
    for (int k = digits - 1; k >= 0; --k) {
      p_[k] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    }
    p_ += digits;
    *p_++ = '"';
  }
  void Quoted(absl::string_view s) {
    bool plain = true;
    for (const char ch : s) {
      const unsigned char c = static_cast<unsigned char>(ch);
      plain &= c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    }
    if (plain) {
      *p_++ = '"';
      Put(s);
      *p_++ = '"';
      return;
    }
    scratch_.clear();
    AppendJsonQuoted(&scratch_, s);
    Put(scratch_);
  }

  TextSink sink_;
  std::vector<char> buf_;
  char* p_ = buf_.data();
  std::string open_, close_, key_, scratch_;
};

size_t WriteResourceElements(const ParsedIomem& dump,
                             const std::vector<ShownNode>* nodes, size_t depth,
                             TextSink sink) {
  ResourceElementWriter out(depth, sink);
  // The shown nodes still open at this point of the pre-order walk: a shown
  // parent is the innermost of them, once the deeper ones are closed.
  struct Open {
    ResourceId id;
    uint64_t index;
    int depth;
  };
  std::vector<Open> open;
  uint64_t i = 0;
  ForEachShown(dump, nodes, [&](const ShownNode& n) {
    const ResourceView v = dump.tree.View(n.id);
    while (!open.empty() && open.back().depth >= n.depth) open.pop_back();
    const bool has_parent = !open.empty() && open.back().id == v.parent;
    const uint64_t parent = has_parent ? open.back().index : 0;
    open.push_back({n.id, i, n.depth});
    out.Element(i == 0, i, has_parent ? &parent : nullptr, n.depth,
                dump.LineOf(n.id), dump.zeroed ? nullptr : &v.range, v.name,
                n.context);
    ++i;
  });
  out.Flush();
  return static_cast<size_t>(i);
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
  w.Drain(sink);
  const size_t count = WriteResourceElements(dump, nodes, w.depth(), sink);
  w.ElementsWrittenElsewhere(count);
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
