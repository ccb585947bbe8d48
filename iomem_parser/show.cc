#include "iomem_parser/show.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/byte_size.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "iomem_parser/internal/json_fields.h"
#include "iomem_parser/summary.h"
#include "resource_tree/render.h"

namespace restree {
namespace {

// The counts above the resources: the parser's, when it kept them.
IomemSummary Counts(const ParsedIomem& dump) {
  return dump.summary.has_value()
             ? *dump.summary
             : Summarize(dump.tree, SummaryDetail::kCounts);
}

std::string SummaryLine(const ParsedIomem& dump, size_t shown) {
  const IomemSummary s = Counts(dump);
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

// The decimal digits of v at p; returns the end.
inline char* WriteDecimal(char* p, uint64_t v) {
  static constexpr char kPairs[] =
      "0001020304050607080910111213141516171819202122232425262728293031323334"
      "3536373839404142434445464748495051525354555657585960616263646566676869"
      "707172737475767778798081828384858687888990919293949596979899";
  static constexpr uint64_t kPow10[20] = {1,
                                          10,
                                          100,
                                          1000,
                                          10000,
                                          100000,
                                          1000000,
                                          10000000,
                                          100000000,
                                          1000000000,
                                          10000000000,
                                          100000000000,
                                          1000000000000,
                                          10000000000000,
                                          100000000000000,
                                          1000000000000000,
                                          10000000000000000,
                                          100000000000000000,
                                          1000000000000000000,
                                          10000000000000000000u};
  // floor(log10(v)) from the bit width (1233 / 4096 is just under
  // log10(2)), corrected by one comparison (v | 1: 0 has one digit): no
  // division per digit.
  const int bits = 64 - __builtin_clzll(v | 1);
  const int guess = (bits * 1233) >> 12;
  const int digits = guess + 1 - ((v | 1) < kPow10[guess] ? 1 : 0);
  char* q = p + digits;
  while (v >= 100) {
    const size_t r = static_cast<size_t>(v % 100);
    v /= 100;
    q -= 2;
    q[0] = kPairs[2 * r];
    q[1] = kPairs[2 * r + 1];
  }
  if (v >= 10) {
    q[-2] = kPairs[2 * v];
    q[-1] = kPairs[2 * v + 1];
  } else {
    q[-1] = static_cast<char>('0' + v);
  }
  return p + digits;
}

// "000102...feff": the two hex digits of each byte.
constexpr struct HexPairs {
  char v[512];
  constexpr HexPairs() : v() {
    for (int b = 0; b < 256; ++b) {
      v[2 * b] = "0123456789abcdef"[b >> 4];
      v[2 * b + 1] = "0123456789abcdef"[b & 0xf];
    }
  }
  constexpr const char& operator[](size_t i) const { return v[i]; }
} kHexPairs;

// Writes the "resources" elements, formatted exactly as JsonWriter (pretty)
// writes the elements of an array at nesting depth 2 (the document object,
// the array), straight into one buffer that is sent on when full: the array
// is most of the output of a large dump, and the generic writer's per-key
// bookkeeping was most of its time. show_test holds the bytes to what
// JsonWriter writes.
class ResourceElementWriter {
 public:
  // Sends the text to `sink` in pieces of about kShowChunkBytes.
  explicit ResourceElementWriter(TextSink sink)
      : sink_(sink), buf_(kShowChunkBytes) {}
  // Keeps all of the text until Take().
  ResourceElementWriter() : buf_(kShowChunkBytes) {}

  void Element(bool first, uint64_t index, const uint64_t* parent, int depth,
               int line, const Range* range, absl::string_view name,
               bool context) {
    // The fixed text is under 400 bytes; a name takes at most 6 per byte.
    Reserve(400 + 6 * name.size());
    if (!first) *p_++ = ',';
    Lit("\n    {\n      \"index\": ");
    p_ = WriteDecimal(p_, index);
    Lit(",\n      \"parent\": ");
    if (parent != nullptr) {
      p_ = WriteDecimal(p_, *parent);
    } else {
      Lit("null");
    }
    Lit(",\n      \"depth\": ");
    Int(depth);
    Lit(",\n      \"line\": ");
    Int(line);
    if (range == nullptr) {
      Lit(",\n      \"start\": null,\n      \"end\": null,\n      \"size\": "
          "null");
    } else {
      Lit(",\n      \"start\": ");
      Hex(range->first());
      Lit(",\n      \"end\": ");
      Hex(range->last());
      Lit(",\n      \"size\": ");
      const absl::uint128 size = range->size();
      if (absl::Uint128High64(size) == 0) {
        p_ = WriteDecimal(p_, absl::Uint128Low64(size));
      } else {
        Lit("18446744073709551616");  // 2^64, the whole address space
      }
    }
    Lit(",\n      \"name\": ");
    Quoted(name);
    if (context) Lit(",\n      \"context\": true");
    Lit("\n    }");
  }

  // The sinking writer: sends what is buffered.
  void Flush() {
    const size_t used = static_cast<size_t>(p_ - buf_.data());
    if (used != 0) (*sink_)(absl::string_view(buf_.data(), used));
    p_ = buf_.data();
  }
  // The keeping writer: the text so far, valid until the next Element();
  // the writer starts again empty (its buffer is kept).
  absl::string_view Take() {
    const size_t used = static_cast<size_t>(p_ - buf_.data());
    p_ = buf_.data();
    return absl::string_view(buf_.data(), used);
  }

 private:
  void Reserve(size_t need) {
    const size_t used = static_cast<size_t>(p_ - buf_.data());
    if (buf_.size() - used >= need) return;
    if (sink_.has_value()) {
      Flush();
      if (buf_.size() < need) buf_.resize(need);
    } else {
      buf_.resize(std::max(2 * buf_.size(), used + need));
    }
    p_ = buf_.data() + (sink_.has_value() ? 0 : used);
  }
  // A literal, its length known at compile time.
  template <size_t N>
  void Lit(const char (&text)[N]) {
    std::memcpy(p_, text, N - 1);
    p_ += N - 1;
  }
  void Int(int v) {
    if (v < 0) *p_++ = '-';
    p_ = WriteDecimal(
        p_, v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
  }
  void Hex(uint64_t v) {
    const int digits = v == 0 ? 1 : (64 - __builtin_clzll(v) + 3) / 4;
    *p_++ = '"';
    *p_++ = '0';
    *p_++ = 'x';
    // Two digits a byte from the end, then the odd one.
    int k = digits;
    for (; k >= 2; k -= 2, v >>= 8) {
      std::memcpy(p_ + k - 2, &kHexPairs[2 * (v & 0xff)], 2);
    }
    if (k == 1) p_[0] = "0123456789abcdef"[v & 0xf];
    p_ += digits;
    *p_++ = '"';
  }
  // Copied between quotes, checked for bytes to escape in the same pass;
  // escaped instead if it has any.
  void Quoted(absl::string_view s) {
    if (CopyIfPlain(s.data(), s.size(), p_ + 1)) {
      *p_ = '"';
      p_ += 1 + s.size();
      *p_++ = '"';
      return;
    }
    scratch_.clear();
    AppendJsonQuoted(&scratch_, s);
    std::memcpy(p_, scratch_.data(), scratch_.size());
    p_ += scratch_.size();
  }

  // Copies the n bytes at `from` to `to` (which has room for them) and
  // returns whether they are all printable ASCII other than '"' and '\\'
  // (JSON takes such text as it is). Eight bytes at a time, in words that
  // may overlap: every word read is inside the name, and is checked from
  // the name itself (not from the copy, which the CPU may not have stored).
  static bool CopyIfPlain(const char* from, size_t n, char* to) {
    uint64_t bad = 0;
    if (n >= 8) {
      for (size_t i = 0; i + 8 < n; i += 8) bad |= CopyWord(from + i, to + i);
      bad |= CopyWord(from + n - 8, to + n - 8);
    } else if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, from, 4);
      std::memcpy(&hi, from + n - 4, 4);
      std::memcpy(to, &lo, 4);
      std::memcpy(to + n - 4, &hi, 4);
      bad = BadBytes(lo | uint64_t{hi} << 32);
    } else if (n > 0) {
      // One to three bytes, in a word filled out with 'a'.
      uint64_t w = 0x6161616161000000;
      for (size_t i = 0; i < n; ++i) {
        to[i] = from[i];
        w |= uint64_t{static_cast<unsigned char>(from[i])} << (8 * i);
      }
      if (n < 3) w |= uint64_t{0x61} << 16;
      if (n < 2) w |= uint64_t{0x61} << 8;
      bad = BadBytes(w);
    }
    return bad == 0;
  }
  static uint64_t CopyWord(const char* from, char* to) {
    uint64_t w;
    std::memcpy(&w, from, 8);
    std::memcpy(to, &w, 8);
    return BadBytes(w);
  }
  // Non-zero iff a byte of `w` is below 0x20, 0x7f or above, '"' or '\\'.
  // (v - 0x01..) & ~v & 0x80.. is non-zero exactly when a byte of v is 0;
  // with 0x20.. it finds a byte below 0x20 (bytes of 0x80 up are caught by
  // their top bit).
  static uint64_t BadBytes(uint64_t w) {
    constexpr uint64_t kOnes = 0x0101010101010101;
    constexpr uint64_t kHigh = 0x8080808080808080;
    auto zero_byte = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    return ((w - 0x20 * kOnes) & ~w & kHigh) | (w & kHigh) |
           zero_byte(w ^ (0x7f * kOnes)) | zero_byte(w ^ ('"' * kOnes)) |
           zero_byte(w ^ ('\\' * kOnes));
  }

  std::optional<TextSink> sink_;
  std::vector<char> buf_;
  char* p_ = buf_.data();
  std::string scratch_;
};

// Whole dumps of at least this many resources are written on two threads.
constexpr size_t kParallelShowNodes = size_t{1} << 15;

// The whole dump of a tree from TreeBuilder, on two threads: the nodes in
// blocks of kBlock pre-order positions; this thread writes and sends the
// even blocks, one helper thread writes the odd ones, each into one of two
// buffers (so it may run a block ahead), which this thread sends in turn.
// The same bytes as the one-thread loop below; memory grows by the two
// buffers (a block's text each) and one chunk. Returns false, writing
// nothing, for a tree that cannot be sliced.
bool WriteAllResourceElementsInParallel(const ParsedIomem& dump,
                                        TextSink sink) {
  if (!dump.tree.ForEachPreorderSlice(0, 0,
                                      [](ResourceId, int, ptrdiff_t) {})) {
    return false;
  }
  // About 0.9 MB of text a block: a buffer stays in cache between uses
  // (2^12 measured 10 % faster end to end than 2^14).
  constexpr size_t kBlock = size_t{1} << 12;
  const size_t n = dump.tree.size() - 1;
  auto block = [&](size_t b, ResourceElementWriter& out) {
    size_t position = b * kBlock;
    const bool sliced = dump.tree.ForEachPreorderSlice(
        b * kBlock, (b + 1) * kBlock,
        [&](ResourceId id, int depth, ptrdiff_t parent_position) {
          const ResourceView v = dump.tree.View(id);
          const uint64_t parent = static_cast<uint64_t>(parent_position);
          out.Element(position == 0, position,
                      parent_position >= 0 ? &parent : nullptr, depth,
                      dump.LineOf(id), dump.zeroed ? nullptr : &v.range, v.name,
                      false);
          ++position;
        });
    RESTREE_CHECK(sliced, "show: the tree stopped being sliceable");
  };
  const size_t blocks = (n + kBlock - 1) / kBlock;
  // Odd block 2k + 1 goes to slot k % 2; `full` while its text waits.
  struct Slot {
    ResourceElementWriter text;
    bool full = false;
  };
  Slot slots[2];
  std::mutex mu;
  std::condition_variable changed;
  bool stop = false;
  std::thread helper([&] {
    for (size_t b = 1; b < blocks; b += 2) {
      Slot& slot = slots[(b / 2) % 2];
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return stop || !slot.full; });
        if (stop) return;
      }
      block(b, slot.text);
      {
        std::lock_guard<std::mutex> lock(mu);
        slot.full = true;
      }
      changed.notify_all();
    }
  });
  // However this thread leaves (an exception from the sink included), the
  // helper is stopped and joined first.
  absl::Cleanup stop_helper = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    changed.notify_all();
    helper.join();
  };
  ResourceElementWriter mine(sink);
  for (size_t b = 0; b < blocks; b += 2) {
    block(b, mine);
    mine.Flush();
    if (b + 1 == blocks) break;
    Slot& theirs = slots[(b / 2) % 2];
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return theirs.full; });
    }
    const absl::string_view text = theirs.text.Take();
    if (!text.empty()) sink(text);
    {
      std::lock_guard<std::mutex> lock(mu);
      theirs.full = false;
    }
    changed.notify_all();
  }
  return true;
}

size_t WriteResourceElements(const ParsedIomem& dump,
                             const std::vector<ShownNode>* nodes,
                             TextSink sink) {
  if (nodes == nullptr && dump.tree.size() - 1 >= kParallelShowNodes &&
      WriteAllResourceElementsInParallel(dump, sink)) {
    return dump.tree.size() - 1;
  }
  ResourceElementWriter out(sink);
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
  const IomemSummary s = Counts(dump);
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
  RESTREE_CHECK(w.depth() == 2, "show: the resources array moved");
  const size_t count = WriteResourceElements(dump, nodes, sink);
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
