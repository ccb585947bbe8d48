#include "appliance/scenario.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/byte_size.h"
#include "base/status_macros.h"
#include "resource_tree/kernel_profile.h"

namespace restree {
namespace appliance {

std::string Location::ToString() const {
  return absl::StrCat(file, ":", line, ":", column);
}

absl::string_view ModeName(Mode mode) {
  return mode == Mode::kPooled ? "pooled" : "shared";
}

absl::string_view RealizeName(Realize r) {
  switch (r) {
    case Realize::kRegion:
      return "region";
    case Realize::kChunks:
      return "chunks";
    case Realize::kDcd:
      return "dcd";
  }
  return "?";
}

absl::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kGrant:
      return "grant";
    case EventKind::kRevoke:
      return "revoke";
    case EventKind::kAlloc:
      return "alloc";
    case EventKind::kFree:
      return "free";
    case EventKind::kDemand:
      return "demand";
  }
  return "?";
}

namespace {

constexpr uint64_t k256M = uint64_t{256} << 20;
// Bounds that keep a scenario's run finite and small: ticks, one ramp's
// length, and demand events in all.
constexpr uint64_t kMaxTick = 10'000'000;
constexpr uint64_t kMaxRamp = 1'000'000;
constexpr size_t kMaxEvents = 10'000'000;
constexpr size_t kMaxHosts = 1024;

// `text` for a message: printable ASCII as is, other bytes as \xHH, cut
// after 40 bytes.
std::string Q(absl::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < 40; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    }
  }
  if (text.size() > 40) out += "...";
  return out + "'";
}

struct Token {
  std::string key;    // before the first '=', or the whole word
  std::string value;  // after it
  bool has_value = false;
  int column = 0;  // of the token
  int value_column = 0;
};

class LineParser {
 public:
  LineParser(absl::string_view file, int line) : file_(file), line_(line) {}

  absl::Status Err(int column, absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ":", line_, ":", column, ": ", message));
  }
  Location At(int column) const {
    return Location{std::string(file_), line_, column};
  }

  // Splits `line` into tokens: blanks separate, '#' outside quotes starts a
  // comment, "..." quotes (with \" and \\) inside a value.
  absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view line) const {
    std::vector<Token> out;
    size_t i = 0;
    while (i < line.size()) {
      const unsigned char c = static_cast<unsigned char>(line[i]);
      if (c == ' ' || c == '\t') {
        ++i;
        continue;
      }
      if (c == '#') break;
      Token t;
      t.column = static_cast<int>(i) + 1;
      std::string* cur = &t.key;
      bool in_quotes = false;
      while (i < line.size()) {
        const unsigned char b = static_cast<unsigned char>(line[i]);
        const int col = static_cast<int>(i) + 1;
        if (!in_quotes && (b == ' ' || b == '\t' || b == '#')) break;
        if (b < 0x20 && b != '\t') {
          return Err(col, absl::StrFormat("control character \\x%02x", b));
        }
        if (b == 0x7f) return Err(col, "control character \\x7f");
        if (b >= 0x80 && !in_quotes) {
          return Err(col, "non-ASCII byte outside quotes");
        }
        if (b == '"') {
          in_quotes = !in_quotes;
          ++i;
          continue;
        }
        if (in_quotes && b == '\\' && i + 1 < line.size() &&
            (line[i + 1] == '"' || line[i + 1] == '\\')) {
          cur->push_back(line[i + 1]);
          i += 2;
          continue;
        }
        if (!in_quotes && b == '=' && !t.has_value) {
          t.has_value = true;
          t.value_column = col + 1;
          cur = &t.value;
          ++i;
          continue;
        }
        cur->push_back(static_cast<char>(b));
        ++i;
      }
      if (in_quotes) return Err(t.column, "unterminated quote");
      out.push_back(std::move(t));
    }
    return out;
  }

 private:
  absl::string_view file_;
  int line_;
};

// Key=value options of one line, each used at most once.
class Keys {
 public:
  Keys(const LineParser& lp, std::vector<Token> tokens, size_t first)
      : lp_(lp) {
    for (size_t i = first; i < tokens.size(); ++i) {
      tokens_.push_back(std::move(tokens[i]));
    }
  }

  // Every token is key=value with a key in `known`, none twice.
  absl::Status Check(std::initializer_list<absl::string_view> known) {
    std::map<std::string, int> seen;
    for (const Token& t : tokens_) {
      if (!t.has_value) {
        return lp_.Err(t.column,
                       absl::StrCat("expected KEY=VALUE, found ", Q(t.key)));
      }
      if (std::find(known.begin(), known.end(), t.key) == known.end()) {
        std::string list;
        for (absl::string_view k : known) {
          absl::StrAppend(&list, list.empty() ? "" : " ", k);
        }
        return lp_.Err(t.column, absl::StrCat("unknown key ", Q(t.key),
                                              " (known: ", list, ")"));
      }
      if (seen.count(t.key)) {
        return lp_.Err(t.column, absl::StrCat("key ", t.key, " given twice"));
      }
      seen[t.key] = t.column;
      if (t.value.empty()) {
        return lp_.Err(t.value_column, absl::StrCat(t.key, "= needs a value"));
      }
    }
    return absl::OkStatus();
  }

  const Token* Find(absl::string_view key) const {
    for (const Token& t : tokens_) {
      if (t.key == key) return &t;
    }
    return nullptr;
  }

  absl::Status Size(absl::string_view key, uint64_t* out) const {
    const Token* t = Find(key);
    if (t == nullptr) return absl::OkStatus();
    absl::StatusOr<uint64_t> v = ParseByteSize(t->value);
    if (!v.ok()) {
      return lp_.Err(t->value_column,
                     absl::StrCat(key, "=: ", v.status().message()));
    }
    *out = *v;
    return absl::OkStatus();
  }
  absl::Status Number(absl::string_view key, uint64_t max,
                      uint64_t* out) const {
    const Token* t = Find(key);
    if (t == nullptr) return absl::OkStatus();
    uint64_t v = 0;
    if (!absl::SimpleAtoi(t->value, &v) || t->value[0] == '+' || v > max) {
      return lp_.Err(t->value_column,
                     absl::StrCat(key, "= takes a decimal number up to ", max,
                                  ", found ", Q(t->value)));
    }
    *out = v;
    return absl::OkStatus();
  }
  // One of `words`; its index in *out.
  absl::Status Word(absl::string_view key,
                    std::initializer_list<absl::string_view> words,
                    int* out) const {
    const Token* t = Find(key);
    if (t == nullptr) return absl::OkStatus();
    int i = 0;
    std::string list;
    for (absl::string_view w : words) {
      if (t->value == w) {
        *out = i;
        return absl::OkStatus();
      }
      absl::StrAppend(&list, i == 0 ? "" : "|", w);
      ++i;
    }
    return lp_.Err(t->value_column, absl::StrCat(key, "= takes ", list,
                                                 ", found ", Q(t->value)));
  }
  int ColumnOf(absl::string_view key, int fallback) const {
    const Token* t = Find(key);
    return t == nullptr ? fallback : t->value_column;
  }

 private:
  const LineParser& lp_;
  std::vector<Token> tokens_;
};

bool ValidHostName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

class ScenarioParser {
 public:
  ScenarioParser(absl::string_view file, const FileReader& read)
      : file_(file), read_(read) {}

  absl::StatusOr<Scenario> Parse(absl::string_view text) {
    int line_no = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      LineParser lp(file_, line_no);
      RESTREE_ASSIGN_OR_RETURN(std::vector<Token> tokens, lp.Tokenize(line));
      if (tokens.empty()) continue;
      RESTREE_RETURN_IF_ERROR(Line(lp, std::move(tokens)));
    }
    if (!have_appliance_) {
      return absl::InvalidArgumentError(absl::StrCat(
          file_, ":", line_no, ":1: no `appliance` line in the scenario"));
    }
    if (sc_.hosts.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          file_, ":", line_no, ":1: no `host` line in the scenario"));
    }
    std::stable_sort(sc_.events.begin(), sc_.events.end(),
                     [](const ScenarioEvent& a, const ScenarioEvent& b) {
                       return a.tick < b.tick;
                     });
    return std::move(sc_);
  }

 private:
  absl::Status Line(const LineParser& lp, std::vector<Token> tokens) {
    const Token first = tokens[0];
    if (first.has_value) {
      return lp.Err(first.column, absl::StrCat("expected a statement "
                                               "(appliance, host, at, ramp, "
                                               "trace), found ",
                                               Q(first.key + "=")));
    }
    if (first.key == "appliance") {
      return ApplianceLine(lp, Keys(lp, std::move(tokens), 1), first.column);
    }
    if (!have_appliance_) {
      return lp.Err(first.column, "the `appliance` line must come first");
    }
    if (first.key == "host") return HostLine(lp, std::move(tokens));
    if (first.key == "at") return AtLine(lp, std::move(tokens));
    if (first.key == "ramp") {
      return RampLine(lp, Keys(lp, std::move(tokens), 1), first.column);
    }
    if (first.key == "trace") {
      return TraceLine(lp, Keys(lp, std::move(tokens), 1), first.column);
    }
    return lp.Err(first.column,
                  absl::StrCat("unknown statement ", Q(first.key),
                               " (appliance, host, at, ramp, trace)"));
  }

  absl::Status ApplianceLine(const LineParser& lp, Keys keys, int column) {
    if (have_appliance_) {
      return lp.Err(column,
                    "a second `appliance` line (one appliance per "
                    "scenario)");
    }
    have_appliance_ = true;
    ApplianceSpec& a = sc_.appliance;
    a.where = lp.At(column);
    RESTREE_RETURN_IF_ERROR(
        keys.Check({"capacity", "chunk", "mode", "tracking", "realize", "warn",
                    "profile", "block-size", "seed", "ticks"}));
    if (keys.Find("capacity") == nullptr) {
      return lp.Err(column, "appliance needs capacity=SIZE");
    }
    RESTREE_RETURN_IF_ERROR(keys.Size("capacity", &a.capacity));
    RESTREE_RETURN_IF_ERROR(keys.Size("chunk", &a.chunk));
    RESTREE_RETURN_IF_ERROR(keys.Size("warn", &a.warn_free));
    RESTREE_RETURN_IF_ERROR(keys.Size("block-size", &a.block_size));
    RESTREE_RETURN_IF_ERROR(keys.Number("seed", UINT64_MAX, &a.seed));
    int mode = 0, tracking = 0, realize = 0;
    RESTREE_RETURN_IF_ERROR(keys.Word("mode", {"pooled", "shared"}, &mode));
    RESTREE_RETURN_IF_ERROR(
        keys.Word("tracking", {"appliance", "hosts"}, &tracking));
    RESTREE_RETURN_IF_ERROR(
        keys.Word("realize", {"region", "chunks", "dcd"}, &realize));
    a.mode = static_cast<Mode>(mode);
    a.tracking = static_cast<Tracking>(tracking);
    a.realize = static_cast<Realize>(realize);
    if (keys.Find("ticks") != nullptr) {
      uint64_t t = 0;
      RESTREE_RETURN_IF_ERROR(keys.Number("ticks", kMaxTick, &t));
      a.ticks = t;
    }
    if (const Token* p = keys.Find("profile")) {
      std::optional<KernelProfile> prof = KernelProfile::ByName(p->value);
      if (!prof) {
        return lp.Err(p->value_column,
                      absl::StrCat("unknown kernel profile ", Q(p->value)));
      }
      a.profile = prof->name;
      if (a.realize == Realize::kDcd &&
          prof->hmem != KernelProfile::HmemModel::k71) {
        return lp.Err(p->value_column,
                      "realize=dcd needs profile=linux-7.1: the DCD series "
                      "is modelled on 7.1");
      }
    } else if (a.realize == Realize::kDcd) {
      a.profile = "linux-7.1";
    }
    const uint64_t bs = a.block_size;
    if (bs < 4096 || (bs & (bs - 1)) != 0) {
      return lp.Err(keys.ColumnOf("block-size", column),
                    "block-size must be a power of two of at least 4K");
    }
    if (a.chunk == 0 || a.chunk % k256M != 0 || a.chunk % bs != 0) {
      return lp.Err(keys.ColumnOf("chunk", column),
                    "chunk must be a non-zero multiple of 256M (a CXL "
                    "region's granule) and of the memory block size");
    }
    if (a.capacity == 0 || a.capacity % a.chunk != 0) {
      return lp.Err(keys.ColumnOf("capacity", column),
                    "capacity must be a non-zero multiple of the chunk "
                    "size");
    }
    if (a.capacity / a.chunk > (uint64_t{1} << 24)) {
      return lp.Err(keys.ColumnOf("capacity", column), "more than 2^24 chunks");
    }
    if (a.mode == Mode::kPooled && keys.Find("tracking") != nullptr) {
      return lp.Err(keys.ColumnOf("tracking", column),
                    "tracking= is for mode=shared");
    }
    if (a.mode == Mode::kShared && keys.Find("realize") != nullptr) {
      return lp.Err(keys.ColumnOf("realize", column),
                    "realize= is for mode=pooled");
    }
    return absl::OkStatus();
  }

  absl::Status HostLine(const LineParser& lp, std::vector<Token> tokens) {
    const int column = tokens[0].column;
    if (tokens.size() < 2 || tokens[1].has_value) {
      return lp.Err(tokens.size() < 2 ? column : tokens[1].column,
                    "host needs a NAME first");
    }
    HostSpec h;
    h.where = lp.At(column);
    h.name = tokens[1].key;
    if (!ValidHostName(h.name)) {
      return lp.Err(tokens[1].column,
                    absl::StrCat("host name ", Q(h.name),
                                 ": letters, digits, _ - . (at most 64)"));
    }
    for (const HostSpec& o : sc_.hosts) {
      if (o.name == h.name) {
        return lp.Err(tokens[1].column,
                      absl::StrCat("host ", h.name, " defined twice (first at ",
                                   o.where.ToString(), ")"));
      }
    }
    if (sc_.hosts.size() >= kMaxHosts) {
      return lp.Err(column, absl::StrCat("more than ", kMaxHosts, " hosts"));
    }
    Keys keys(lp, std::move(tokens), 2);
    RESTREE_RETURN_IF_ERROR(
        keys.Check({"base", "ram", "window", "window-base", "window-size",
                    "node", "zone", "unmovable", "rate", "policy", "headroom",
                    "watermark", "release", "revoke"}));
    if (keys.Find("base") != nullptr && keys.Find("ram") != nullptr) {
      return lp.Err(keys.ColumnOf("ram", column),
                    "base= and ram= exclude each other");
    }
    if (const Token* b = keys.Find("base")) {
      if (!read_) {
        return lp.Err(b->value_column, "base= files cannot be read here");
      }
      absl::StatusOr<std::string> text = read_(b->value);
      if (!text.ok()) {
        return lp.Err(b->value_column, text.status().message());
      }
      h.base_path = b->value;
      h.base_text = *std::move(text);
    }
    RESTREE_RETURN_IF_ERROR(keys.Size("ram", &h.ram));
    if (h.base_path.empty() &&
        (h.ram < k256M || h.ram % sc_.appliance.block_size != 0 ||
         h.ram > (uint64_t{1} << 46))) {
      return lp.Err(keys.ColumnOf("ram", column),
                    "ram must be a multiple of the memory block size from "
                    "256M to 64T");
    }
    uint64_t v = 0;
    RESTREE_RETURN_IF_ERROR(keys.Number("window", UINT32_MAX, &v));
    h.window = static_cast<uint32_t>(v);
    if (keys.Find("window-base") != nullptr) {
      uint64_t base = 0;
      RESTREE_RETURN_IF_ERROR(keys.Size("window-base", &base));
      h.window_base = base;
    }
    if (keys.Find("window-size") != nullptr) {
      uint64_t size = 0;
      RESTREE_RETURN_IF_ERROR(keys.Size("window-size", &size));
      if (sc_.appliance.mode == Mode::kShared) {
        return lp.Err(keys.ColumnOf("window-size", column),
                      "window-size= is for mode=pooled (a shared host maps "
                      "the whole appliance)");
      }
      if (size == 0 || size % sc_.appliance.chunk != 0 ||
          size > sc_.appliance.capacity) {
        return lp.Err(keys.ColumnOf("window-size", column),
                      "window-size must be a non-zero multiple of the chunk "
                      "size, at most the capacity");
      }
      h.window_size = size;
    }
    v = static_cast<uint64_t>(h.node);
    RESTREE_RETURN_IF_ERROR(keys.Number("node", 1023, &v));
    h.node = static_cast<int>(v);
    int zone = 0, policy = 0, revoke = 0;
    RESTREE_RETURN_IF_ERROR(keys.Word("zone", {"movable", "normal"}, &zone));
    h.zone = static_cast<ZonePolicy>(zone);
    RESTREE_RETURN_IF_ERROR(keys.Word("revoke", {"all", "partial"}, &revoke));
    h.partial_revoke = revoke == 1;
    if (h.partial_revoke && sc_.appliance.mode == Mode::kShared) {
      return lp.Err(keys.ColumnOf("revoke", column),
                    "revoke= is for mode=pooled");
    }
    if (const Token* u = keys.Find("unmovable")) {
      absl::string_view s = u->value;
      if (!s.empty() && s.back() == '%') s.remove_suffix(1);
      uint32_t pct = 0;
      if (!absl::SimpleAtoi(s, &pct) || pct > 100 || s.empty() || s[0] == '+') {
        return lp.Err(u->value_column,
                      absl::StrCat("unmovable= takes a percentage 0..100, "
                                   "found ",
                                   Q(u->value)));
      }
      h.unmovable_pct = pct;
    }
    v = h.rate;
    RESTREE_RETURN_IF_ERROR(keys.Number("rate", 1'000'000, &v));
    if (v == 0) {
      return lp.Err(keys.ColumnOf("rate", column),
                    "rate= must be at least 1 (events per tick)");
    }
    h.rate = static_cast<uint32_t>(v);
    RESTREE_RETURN_IF_ERROR(
        keys.Word("policy", {"none", "reactive", "proactive"}, &policy));
    h.policy = static_cast<Policy>(policy);
    RESTREE_RETURN_IF_ERROR(keys.Size("headroom", &h.headroom));
    RESTREE_RETURN_IF_ERROR(keys.Size("watermark", &h.watermark));
    RESTREE_RETURN_IF_ERROR(keys.Size("release", &h.release));
    if (h.policy == Policy::kReactive && h.headroom != 0) {
      return lp.Err(keys.ColumnOf("headroom", column),
                    "headroom= is for policy=proactive (reactive requests "
                    "only what is short)");
    }
    if (h.unmovable_pct != 0 && h.zone == ZonePolicy::kMovable) {
      return lp.Err(keys.ColumnOf("unmovable", column),
                    "unmovable= needs zone=normal (ZONE_MOVABLE holds only "
                    "movable pages)");
    }
    sc_.hosts.push_back(std::move(h));
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> HostRef(const LineParser& lp, const Keys& keys,
                                 int column) const {
    const Token* t = keys.Find("host");
    if (t == nullptr) return lp.Err(column, "needs host=NAME");
    for (size_t i = 0; i < sc_.hosts.size(); ++i) {
      if (sc_.hosts[i].name == t->value) return i;
    }
    return lp.Err(t->value_column,
                  absl::StrCat("no host ", Q(t->value),
                               " (hosts are defined before they are used)"));
  }

  absl::Status AtLine(const LineParser& lp, std::vector<Token> tokens) {
    const int column = tokens[0].column;
    if (tokens.size() < 3 || tokens[1].has_value || tokens[2].has_value) {
      return lp.Err(column, "expected `at TICK EVENT host=NAME size=SIZE`");
    }
    uint64_t tick = 0;
    if (!absl::SimpleAtoi(tokens[1].key, &tick) || tokens[1].key[0] == '+' ||
        tick > kMaxTick) {
      return lp.Err(tokens[1].column,
                    absl::StrCat("TICK is a decimal number up to ", kMaxTick,
                                 ", found ", Q(tokens[1].key)));
    }
    const Token ev = tokens[2];
    static constexpr std::pair<absl::string_view, EventKind> kKinds[] = {
        {"grant", EventKind::kGrant},
        {"revoke", EventKind::kRevoke},
        {"alloc", EventKind::kAlloc},
        {"free", EventKind::kFree},
        {"demand", EventKind::kDemand}};
    std::optional<EventKind> kind;
    for (const auto& [name, k] : kKinds) {
      if (ev.key == name) kind = k;
    }
    if (!kind) {
      return lp.Err(ev.column,
                    absl::StrCat("unknown event ", Q(ev.key),
                                 " (grant, revoke, alloc, free, demand)"));
    }
    const bool pooled = sc_.appliance.mode == Mode::kPooled;
    if ((*kind == EventKind::kGrant || *kind == EventKind::kRevoke) &&
        !pooled) {
      return lp.Err(ev.column, absl::StrCat(ev.key,
                                            " is a pooled-mode event "
                                            "(shared mode: alloc, "
                                            "free)"));
    }
    if ((*kind == EventKind::kAlloc || *kind == EventKind::kFree) && pooled) {
      return lp.Err(ev.column, absl::StrCat(ev.key,
                                            " is a shared-mode event "
                                            "(pooled mode: grant, "
                                            "revoke)"));
    }
    Keys keys(lp, std::move(tokens), 3);
    RESTREE_RETURN_IF_ERROR(keys.Check({"host", "size"}));
    RESTREE_ASSIGN_OR_RETURN(size_t host, HostRef(lp, keys, ev.column));
    if (keys.Find("size") == nullptr) {
      return lp.Err(ev.column, absl::StrCat(ev.key, " needs size=SIZE"));
    }
    ScenarioEvent e;
    e.where = lp.At(column);
    e.tick = tick;
    e.kind = *kind;
    e.host = host;
    RESTREE_RETURN_IF_ERROR(keys.Size("size", &e.size));
    if (*kind != EventKind::kDemand &&
        (e.size == 0 || e.size % sc_.appliance.chunk != 0)) {
      return lp.Err(keys.ColumnOf("size", column),
                    absl::StrCat("size must be a non-zero multiple of the "
                                 "chunk size (",
                                 HumanSize(sc_.appliance.chunk), ")"));
    }
    return AddEvent(lp, column, std::move(e));
  }

  absl::Status AddEvent(const LineParser& lp, int column, ScenarioEvent e) {
    if (sc_.events.size() >= kMaxEvents) {
      return lp.Err(column, absl::StrCat("more than ", kMaxEvents, " events"));
    }
    sc_.events.push_back(std::move(e));
    return absl::OkStatus();
  }

  absl::Status RampLine(const LineParser& lp, Keys keys, int column) {
    RESTREE_RETURN_IF_ERROR(
        keys.Check({"host", "from", "to", "start", "end", "jitter"}));
    RESTREE_ASSIGN_OR_RETURN(size_t host, HostRef(lp, keys, column));
    for (absl::string_view k : {"from", "to", "start", "end"}) {
      if (keys.Find(k) == nullptr) {
        return lp.Err(column, absl::StrCat("ramp needs ", k, "="));
      }
    }
    uint64_t from = 0, to = 0, start = 0, end = 0, jitter = 0;
    RESTREE_RETURN_IF_ERROR(keys.Number("from", kMaxTick, &from));
    RESTREE_RETURN_IF_ERROR(keys.Number("to", kMaxTick, &to));
    RESTREE_RETURN_IF_ERROR(keys.Size("start", &start));
    RESTREE_RETURN_IF_ERROR(keys.Size("end", &end));
    RESTREE_RETURN_IF_ERROR(keys.Size("jitter", &jitter));
    if (to < from) {
      return lp.Err(keys.ColumnOf("to", column), "to= is before from=");
    }
    if (to - from > kMaxRamp) {
      return lp.Err(keys.ColumnOf("to", column),
                    absl::StrCat("a ramp spans at most ", kMaxRamp, " ticks"));
    }
    if (start > (uint64_t{1} << 60) || end > (uint64_t{1} << 60) ||
        jitter > (uint64_t{1} << 60)) {
      return lp.Err(column, "ramp sizes are at most 1E");
    }
    // A linear ramp plus a deterministic jitter in [-jitter, +jitter] (a
    // splitmix64 stream seeded by the appliance's seed and the line).
    uint64_t state = sc_.appliance.seed * 0x9E3779B97F4A7C15ull +
                     static_cast<uint64_t>(lp.At(column).line);
    for (uint64_t t = from; t <= to; ++t) {
      const long double f =
          to == from ? 1.0L : static_cast<long double>(t - from) / (to - from);
      long double v = start + (static_cast<long double>(end) - start) * f;
      if (jitter != 0) {
        state += 0x9E3779B97F4A7C15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        v += static_cast<long double>(z % (2 * jitter + 1)) -
             static_cast<long double>(jitter);
      }
      ScenarioEvent e;
      e.where = lp.At(column);
      e.tick = t;
      e.kind = EventKind::kDemand;
      e.host = host;
      // Whole MiB: demand is not tracked finer.
      e.size = v <= 0 ? 0 : static_cast<uint64_t>(v) >> 20 << 20;
      RESTREE_RETURN_IF_ERROR(AddEvent(lp, column, std::move(e)));
    }
    return absl::OkStatus();
  }

  absl::Status TraceLine(const LineParser& lp, Keys keys, int column) {
    RESTREE_RETURN_IF_ERROR(keys.Check({"host", "file"}));
    RESTREE_ASSIGN_OR_RETURN(size_t host, HostRef(lp, keys, column));
    const Token* f = keys.Find("file");
    if (f == nullptr) return lp.Err(column, "trace needs file=PATH");
    if (!read_)
      return lp.Err(f->value_column, "trace files cannot be read here");
    absl::StatusOr<std::string> text = read_(f->value);
    if (!text.ok()) return lp.Err(f->value_column, text.status().message());
    // Lines "TICK SIZE", '#' comments; errors name the trace file.
    int n = 0;
    uint64_t last = 0;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      LineParser tp(f->value, n);
      RESTREE_ASSIGN_OR_RETURN(std::vector<Token> t, tp.Tokenize(line));
      if (t.empty()) continue;
      if (t.size() != 2 || t[0].has_value || t[1].has_value) {
        return tp.Err(t[0].column, "expected `TICK SIZE`");
      }
      uint64_t tick = 0;
      if (!absl::SimpleAtoi(t[0].key, &tick) || t[0].key[0] == '+' ||
          tick > kMaxTick) {
        return tp.Err(t[0].column,
                      absl::StrCat("TICK is a decimal number up to ", kMaxTick,
                                   ", found ", Q(t[0].key)));
      }
      if (tick < last) {
        return tp.Err(t[0].column,
                      absl::StrCat("tick ", tick, " after tick ", last,
                                   " (a trace is in time order)"));
      }
      last = tick;
      absl::StatusOr<uint64_t> size = ParseByteSize(t[1].key);
      if (!size.ok()) return tp.Err(t[1].column, size.status().message());
      ScenarioEvent e;
      e.where = tp.At(t[0].column);
      e.tick = tick;
      e.kind = EventKind::kDemand;
      e.host = host;
      e.size = *size;
      RESTREE_RETURN_IF_ERROR(AddEvent(tp, t[0].column, std::move(e)));
    }
    return absl::OkStatus();
  }

  absl::string_view file_;
  const FileReader& read_;
  Scenario sc_;
  bool have_appliance_ = false;
};

}  // namespace

absl::StatusOr<Scenario> ParseScenario(absl::string_view text,
                                       absl::string_view file,
                                       const FileReader& read) {
  ScenarioParser p(file.empty() ? "<scenario>" : file, read);
  return p.Parse(text);
}

}  // namespace appliance
}  // namespace restree
