#include "hotplug/parse.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/byte_size.h"
#include "base/status_macros.h"
#include "hotplug/internal/text.h"
#include "resource_tree/flags.h"
#include "resource_tree/kernel_profile.h"

namespace restree {
namespace hotplug {
namespace {

using internal::EscapeForMessage;

constexpr size_t kNpos = absl::string_view::npos;

// ---------------------------------------------------------------------------
// Errors.

// The place errors name: the file and the current line.
struct Where {
  absl::string_view file;
  int line = 0;
};

absl::Status Err(const Where& w, int column, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(w.file, ":", w.line, ":", column, ": ", message));
}

// 'TEXT' for a message, escaped and cut.
std::string Q(absl::string_view text) {
  return absl::StrCat("'", EscapeForMessage(text), "'");
}

// ---------------------------------------------------------------------------
// Lexing one line.

struct Token {
  std::string text;  // quotes removed, escapes decoded
  int column = 0;    // 1-based byte column of its first byte
  bool quoted = false;
  // Index in `text` (and offset in the raw line from the token's start) of
  // the first unquoted '=' and of the last unquoted '@'.
  size_t eq = kNpos;
  size_t eq_raw = 0;
  size_t at = kNpos;
  size_t at_raw = 0;
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Rejects NUL, control characters other than tab, DEL and bytes that are
// not well-formed UTF-8.
absl::Status CheckBytes(const Where& w, absl::string_view line) {
  size_t i = 0;
  while (i < line.size()) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    const int col = static_cast<int>(i) + 1;
    if (c == 0) {
      return Err(w, col, "NUL byte \\x00: this is not a text script");
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return Err(w, col,
                 absl::StrCat("control character ",
                              EscapeForMessage(line.substr(i, 1)),
                              " (only spaces and tabs separate tokens)"));
    }
    if (c >= 0x80) {
      const size_t n = internal::Utf8SequenceLength(line, i);
      if (n == 0) {
        return Err(w, col,
                   absl::StrCat("byte ", EscapeForMessage(line.substr(i, 1)),
                                " is not UTF-8 (write it as \\xHH inside "
                                "quotes)"));
      }
      i += n;
    } else {
      ++i;
    }
  }
  return absl::OkStatus();
}

// Splits a line (already byte-checked) into tokens, stopping at an unquoted
// '#'.
absl::StatusOr<std::vector<Token>> Lex(const Where& w, absl::string_view line) {
  std::vector<Token> tokens;
  const size_t n = line.size();
  size_t i = 0;
  while (true) {
    while (i < n && IsBlank(line[i])) ++i;
    if (i >= n || line[i] == '#') break;
    Token t;
    const size_t start = i;
    t.column = static_cast<int>(i) + 1;
    bool comment = false;
    while (i < n && !IsBlank(line[i])) {
      const char c = line[i];
      if (c == '#') {
        comment = true;
        break;
      }
      if (c != '"') {
        if (c == '=' && t.eq == kNpos) {
          t.eq = t.text.size();
          t.eq_raw = i - start;
        }
        if (c == '@') {
          t.at = t.text.size();
          t.at_raw = i - start;
        }
        t.text.push_back(c);
        ++i;
        continue;
      }
      // A quoted part.
      t.quoted = true;
      const size_t open = i++;
      while (true) {
        if (i >= n) {
          return Err(w, static_cast<int>(open) + 1,
                     "unterminated quoted string (no closing \")");
        }
        const char q = line[i];
        if (q == '"') {
          ++i;
          break;
        }
        if (q != '\\') {
          t.text.push_back(q);
          ++i;
          continue;
        }
        const int esc_col = static_cast<int>(i) + 1;
        if (i + 1 >= n) {
          return Err(w, static_cast<int>(open) + 1,
                     "unterminated quoted string (no closing \")");
        }
        const char e = line[i + 1];
        if (e == '\\' || e == '"') {
          t.text.push_back(e);
          i += 2;
        } else if (e == 'x') {
          const int hi = i + 2 < n ? HexValue(line[i + 2]) : -1;
          const int lo = i + 3 < n ? HexValue(line[i + 3]) : -1;
          if (hi < 0 || lo < 0) {
            return Err(w, esc_col, "\\x needs two hex digits (\\xHH)");
          }
          if (hi == 0 && lo == 0) {
            return Err(w, esc_col, "\\x00: a name cannot hold a NUL byte");
          }
          t.text.push_back(static_cast<char>(hi * 16 + lo));
          i += 4;
        } else {
          size_t len = 1;
          if (static_cast<unsigned char>(e) >= 0x80) {
            len = internal::Utf8SequenceLength(line, i + 1);
            if (len == 0) len = 1;
          }
          return Err(w, esc_col,
                     absl::StrCat("unknown escape '\\",
                                  EscapeForMessage(line.substr(i + 1, len)),
                                  "' (use \\\\, \\\" or \\xHH)"));
        }
      }
    }
    tokens.push_back(std::move(t));
    if (comment) break;
  }
  return tokens;
}

// ---------------------------------------------------------------------------
// Values: a positional token or the part of a key=value token after '='.

struct Value {
  absl::string_view text;
  int column = 0;
  bool quoted = false;
  size_t at = kNpos;  // last unquoted '@' in `text`
  int at_column = 0;
};

Value PositionalValue(const Token& t) {
  return Value{t.text, t.column, t.quoted, t.at,
               t.column + static_cast<int>(t.at_raw)};
}

Value KeyValue(const Token& t) {
  Value v;
  v.text = absl::string_view(t.text).substr(t.eq + 1);
  v.column = t.column + static_cast<int>(t.eq_raw) + 1;
  v.quoted = t.quoted;
  if (t.at != kNpos && t.at > t.eq) {
    v.at = t.at - t.eq - 1;
    v.at_column = t.column + static_cast<int>(t.at_raw);
  }
  return v;
}

bool IsKeyword(const Token& t, absl::string_view word) {
  return !t.quoted && t.eq == kNpos && t.text == word;
}

// An unsigned number: decimal, or 0x-hex when `allow_hex`, at most `bits`
// bits wide.
absl::StatusOr<uint64_t> ParseUint(const Where& w, const Value& v,
                                   absl::string_view what, int bits,
                                   bool allow_hex) {
  absl::string_view t = v.text;
  const bool hex = allow_hex && absl::StartsWithIgnoreCase(t, "0x");
  const absl::string_view digits = hex ? t.substr(2) : t;
  const bool ok =
      !digits.empty() && digits.find_first_not_of(hex ? "0123456789abcdefABCDEF"
                                                      : "0123456789") == kNpos;
  if (!ok) {
    return Err(w, v.column,
               absl::StrCat("expected ",
                            allow_hex ? "a number (decimal or 0x-hex)"
                                      : "a decimal number",
                            " for ", what, ", got ", Q(t)));
  }
  uint64_t value = 0;
  const bool fits =
      hex ? absl::SimpleHexAtoi(t, &value) : absl::SimpleAtoi(t, &value);
  if (!fits || (bits < 64 && (value >> bits) != 0)) {
    return Err(
        w, v.column,
        absl::StrCat(what, " ", Q(t), " does not fit in ", bits, " bits"));
  }
  return value;
}

absl::StatusOr<uint32_t> ParseU32(const Where& w, const Value& v,
                                  absl::string_view what) {
  RESTREE_ASSIGN_OR_RETURN(uint64_t x, ParseUint(w, v, what, 32, false));
  return static_cast<uint32_t>(x);
}

// A hex address, 0x required.
absl::StatusOr<uint64_t> ParseAddrText(const Where& w, absl::string_view t,
                                       int column, absl::string_view what) {
  const bool ok =
      absl::StartsWithIgnoreCase(t, "0x") && t.size() > 2 &&
      t.substr(2).find_first_not_of("0123456789abcdefABCDEF") == kNpos;
  if (!ok) {
    return Err(w, column,
               absl::StrCat("expected a hex address (0x...) for ", what,
                            ", got ", Q(t)));
  }
  uint64_t value = 0;
  if (!absl::SimpleHexAtoi(t, &value)) {
    return Err(w, column,
               absl::StrCat("address ", Q(t), " does not fit in 64 bits"));
  }
  return value;
}

absl::StatusOr<uint64_t> ParseAddr(const Where& w, const Value& v,
                                   absl::string_view what) {
  return ParseAddrText(w, v.text, v.column, what);
}

// START-END, both hex, inclusive, START <= END.
absl::StatusOr<Range> ParseRangeText(const Where& w, absl::string_view t,
                                     int column, absl::string_view what) {
  const size_t dash = t.find('-');
  if (dash == kNpos) {
    return Err(w, column,
               absl::StrCat("expected a range START-END in hex (e.g. "
                            "0x1000-0x1fff) for ",
                            what, ", got ", Q(t)));
  }
  RESTREE_ASSIGN_OR_RETURN(uint64_t first,
                           ParseAddrText(w, t.substr(0, dash), column,
                                         absl::StrCat("the start of ", what)));
  RESTREE_ASSIGN_OR_RETURN(
      uint64_t last,
      ParseAddrText(w, t.substr(dash + 1), column + static_cast<int>(dash) + 1,
                    absl::StrCat("the end of ", what)));
  if (first > last) {
    return Err(w, column,
               absl::StrCat("range ", Q(t), " starts after it ends"));
  }
  return Range(first, last);
}

absl::StatusOr<Range> ParseRange(const Where& w, const Value& v,
                                 absl::string_view what) {
  return ParseRangeText(w, v.text, v.column, what);
}

// A size: base/byte_size.h (decimal or 0x-hex, K/M/G/T suffixes).
absl::StatusOr<uint64_t> ParseSize(const Where& w, const Value& v,
                                   absl::string_view what) {
  absl::StatusOr<uint64_t> size = ParseByteSize(v.text);
  if (size.ok() && !v.text.empty() &&
      !absl::ascii_isspace(static_cast<unsigned char>(v.text.front())) &&
      !absl::ascii_isspace(static_cast<unsigned char>(v.text.back()))) {
    return *size;
  }
  if (size.status().code() == absl::StatusCode::kOutOfRange) {
    return Err(w, v.column,
               absl::StrCat("size ", Q(v.text), " for ", what,
                            " does not fit in 64 bits"));
  }
  return Err(w, v.column,
             absl::StrCat("expected a size for ", what,
                          " (e.g. 4096, 0x1000, 4K, 256M), got ", Q(v.text)));
}

absl::StatusOr<uint64_t> ParseFlagsValue(const Where& w, const Value& v) {
  uint64_t flags = 0;
  if (v.text.empty() ||
      absl::ascii_isspace(static_cast<unsigned char>(v.text.front())) ||
      !ParseFlags(v.text, &flags)) {
    return Err(w, v.column,
               absl::StrCat("bad flags ", Q(v.text),
                            " (a number, or names joined by | such as "
                            "MEM|BUSY)"));
  }
  return flags;
}

absl::StatusOr<uint32_t> ParseDescValue(const Where& w, const Value& v) {
  for (uint32_t d = 0; d < 64; ++d) {
    const std::string name = DescToString(d);
    if (!absl::ascii_isdigit(static_cast<unsigned char>(name[0])) &&
        name == v.text) {
      return d;
    }
  }
  if (!v.text.empty() &&
      absl::ascii_isdigit(static_cast<unsigned char>(v.text[0]))) {
    RESTREE_ASSIGN_OR_RETURN(uint64_t d, ParseUint(w, v, "desc", 32, true));
    return static_cast<uint32_t>(d);
  }
  return Err(w, v.column,
             absl::StrCat("bad desc ", Q(v.text),
                          " (a number, or a name such as NONE, "
                          "SOFT_RESERVED, CXL)"));
}

// A name: any text; empty only when written as "".
absl::StatusOr<std::string> ParseName(const Where& w, const Value& v,
                                      absl::string_view what) {
  if (v.text.empty() && !v.quoted) {
    return Err(w, v.column,
               absl::StrCat("empty ", what, " (write \"\" for an empty name)"));
  }
  return std::string(v.text);
}

// RESOURCE: NAME or NAME@START-END.
absl::StatusOr<ResourceRef> ParseResourceRef(const Where& w, const Value& v,
                                             absl::string_view what) {
  ResourceRef ref;
  absl::string_view name = v.text;
  if (v.at != kNpos) {
    name = v.text.substr(0, v.at);
    RESTREE_ASSIGN_OR_RETURN(
        ref.range, ParseRangeText(w, v.text.substr(v.at + 1), v.at_column + 1,
                                  absl::StrCat("the range of ", what)));
  }
  if (name.empty() && (!v.quoted || v.at != kNpos)) {
    return Err(w, v.column, absl::StrCat("empty resource name for ", what));
  }
  ref.name = std::string(name);
  return ref;
}

// "regionK" / "daxX.Y".
absl::StatusOr<uint32_t> ParseRegionName(const Where& w, const Value& v) {
  if (v.quoted || !absl::StartsWith(v.text, "region") || v.text.size() == 6) {
    return Err(w, v.column,
               absl::StrCat("expected a region name such as region0, got ",
                            Q(v.text)));
  }
  Value digits = v;
  digits.text = v.text.substr(6);
  digits.column = v.column + 6;
  return ParseU32(w, digits, "the region number");
}

// "<prefix>X.Y": a dax device (daxX.Y) or a namespace (namespaceX.Y).
absl::StatusOr<DaxRef> ParseDeviceName(const Where& w, const Value& v,
                                       absl::string_view prefix,
                                       absl::string_view what) {
  const size_t dot = v.text.find('.');
  if (v.quoted || !absl::StartsWith(v.text, prefix) || dot == kNpos ||
      dot == prefix.size() || dot + 1 == v.text.size()) {
    return Err(w, v.column,
               absl::StrCat("expected a ", what, " name such as ", prefix,
                            "0.0, got ", Q(v.text)));
  }
  Value region = v, id = v;
  region.text = v.text.substr(prefix.size(), dot - prefix.size());
  region.column = v.column + static_cast<int>(prefix.size());
  id.text = v.text.substr(dot + 1);
  id.column = v.column + static_cast<int>(dot) + 1;
  DaxRef ref;
  RESTREE_ASSIGN_OR_RETURN(
      ref.region,
      ParseU32(w, region, absl::StrCat("the ", prefix, " region number")));
  RESTREE_ASSIGN_OR_RETURN(
      ref.id, ParseU32(w, id, absl::StrCat("the ", what, " number")));
  return ref;
}

absl::StatusOr<DaxRef> ParseDaxName(const Where& w, const Value& v) {
  return ParseDeviceName(w, v, "dax", "dax device");
}

absl::StatusOr<Zone> ParseZone(const Where& w, const Value& v) {
  if (v.text == "movable") return Zone::kMovable;
  if (v.text == "normal") return Zone::kNormal;
  return Err(w, v.column,
             absl::StrCat("unknown zone ", Q(v.text),
                          " (expected movable or normal)"));
}

// A comma-separated list of non-empty items.
absl::StatusOr<std::vector<std::pair<absl::string_view, int>>> SplitList(
    const Where& w, const Value& v, absl::string_view what) {
  std::vector<std::pair<absl::string_view, int>> items;
  size_t offset = 0;
  for (absl::string_view item : absl::StrSplit(v.text, ',')) {
    const int col = v.column + static_cast<int>(offset);
    if (item.empty()) {
      return Err(w, col, absl::StrCat("empty item in the list for ", what));
    }
    items.emplace_back(item, col);
    offset += item.size() + 1;
  }
  return items;
}

absl::StatusOr<std::vector<uint32_t>> ParseTargets(const Where& w,
                                                   const Value& v) {
  RESTREE_ASSIGN_OR_RETURN(auto items, SplitList(w, v, "targets"));
  std::vector<uint32_t> targets;
  for (const auto& [text, col] : items) {
    Value item = v;
    item.text = text;
    item.column = col;
    RESTREE_ASSIGN_OR_RETURN(uint64_t t, ParseUint(w, item, "a target", 32,
                                                   /*allow_hex=*/true));
    targets.push_back(static_cast<uint32_t>(t));
  }
  return targets;
}

absl::StatusOr<uint16_t> ParseRestrictions(const Where& w, const Value& v) {
  RESTREE_ASSIGN_OR_RETURN(auto items, SplitList(w, v, "restrict"));
  static constexpr std::pair<absl::string_view, uint16_t> kNames[] = {
      {"type2", restriction::kType2}, {"type3", restriction::kType3},
      {"ram", restriction::kRam},     {"pmem", restriction::kPmem},
      {"fixed", restriction::kFixed}, {"bi", restriction::kBi},
  };
  uint16_t bits = 0;
  for (const auto& [text, col] : items) {
    bool found = false;
    for (const auto& [name, bit] : kNames) {
      if (text == name) {
        bits |= bit;
        found = true;
      }
    }
    if (!found) {
      return Err(w, col,
                 absl::StrCat("unknown restriction ", Q(text),
                              " (expected type2, type3, ram, pmem, fixed or "
                              "bi)"));
    }
  }
  return bits;
}

// ---------------------------------------------------------------------------
// The arguments of one event after its keyword(s).

class Args {
 public:
  // Positional tokens in order; key=value tokens by key. Rejects unknown and
  // duplicated keys.
  static absl::StatusOr<Args> Split(
      const Where& w, absl::string_view event, int event_column,
      const std::vector<Token>& tokens, size_t first,
      std::initializer_list<absl::string_view> keys) {
    Args args(w, event, event_column);
    for (size_t i = first; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      if (t.eq == kNpos) {
        args.positional_.push_back(&t);
        continue;
      }
      const absl::string_view key = absl::string_view(t.text).substr(0, t.eq);
      bool known = false;
      for (absl::string_view k : keys) known = known || k == key;
      if (!known) {
        std::string expected =
            keys.size() == 0
                ? "it takes no keys"
                : absl::StrCat("keys: ", absl::StrJoin(keys, ", "));
        return Err(w, t.column,
                   absl::StrCat("unknown key ", Q(key), " for '", event, "' (",
                                expected, ")"));
      }
      for (const auto& [k, other] : args.keyed_) {
        if (k == key) {
          return Err(w, t.column,
                     absl::StrCat("duplicate key ", Q(key), " (also at column ",
                                  other->column, ")"));
        }
      }
      args.keyed_.emplace_back(key, &t);
    }
    return args;
  }

  // The value of `key`, if given.
  std::optional<Value> Get(absl::string_view key) const {
    for (const auto& [k, t] : keyed_) {
      if (k == key) return KeyValue(*t);
    }
    return std::nullopt;
  }
  absl::StatusOr<Value> Require(absl::string_view key,
                                absl::string_view example) const {
    std::optional<Value> v = Get(key);
    if (!v.has_value()) {
      return Err(w_, event_column_,
                 absl::StrCat("'", event_, "' needs ", key, "=", example));
    }
    return *v;
  }

  // The i-th positional token; `what` names it when it is missing.
  absl::StatusOr<Value> Positional(size_t i, absl::string_view what) const {
    if (i >= positional_.size()) {
      return Err(w_, event_column_,
                 absl::StrCat("'", event_, "' needs ", what));
    }
    return PositionalValue(*positional_[i]);
  }
  // Whether the i-th positional token is the bare word `word`.
  bool PositionalIs(size_t i, absl::string_view word) const {
    return i < positional_.size() && IsKeyword(*positional_[i], word);
  }
  size_t positional_count() const { return positional_.size(); }

  // Fails on positional tokens beyond the first `n`.
  absl::Status NoMoreThan(size_t n) const {
    if (positional_.size() <= n) return absl::OkStatus();
    const Token& t = *positional_[n];
    return Err(w_, t.column,
               absl::StrCat("unexpected ", Q(t.text), " after '", event_, "'"));
  }

 private:
  Args(const Where& w, absl::string_view event, int event_column)
      : w_(w), event_(event), event_column_(event_column) {}

  Where w_;
  absl::string_view event_;
  int event_column_;
  std::vector<const Token*> positional_;
  std::vector<std::pair<absl::string_view, const Token*>> keyed_;
};

// ---------------------------------------------------------------------------
// Events.

// What the parser remembers between lines.
struct ScriptState {
  absl::flat_hash_set<std::string> roots;
};

std::string KnownProfiles() {
  return absl::StrJoin(KernelProfile::Names(), ", ");
}

bool IsMachineRoot(absl::string_view root) {
  for (absl::string_view r : kMachineRoots) {
    if (r == root) return true;
  }
  return false;
}

absl::StatusOr<std::string> ParseRoot(const Where& w, const Args& args,
                                      const ScriptState& state) {
  std::optional<Value> v = args.Get("root");
  if (!v.has_value()) return std::string(kIomemRoot);
  RESTREE_ASSIGN_OR_RETURN(std::string root, ParseName(w, *v, "root"));
  if (root == kIomemRoot || root == kIoportRoot || state.roots.contains(root) ||
      IsMachineRoot(root)) {
    return root;
  }
  return Err(
      w, v->column,
      absl::StrCat("unknown root ", Q(root),
                   " (iomem, ioport, a machine root such as \"CXL "
                   "mem\", or a root declared earlier with 'root add')"));
}

absl::StatusOr<std::optional<ResourceRef>> ParseParent(const Where& w,
                                                       const Args& args) {
  std::optional<Value> v = args.Get("parent");
  if (!v.has_value()) return std::optional<ResourceRef>();
  RESTREE_ASSIGN_OR_RETURN(ResourceRef ref, ParseResourceRef(w, *v, "parent"));
  return std::optional<ResourceRef>(std::move(ref));
}

// Parses one event from its tokens (at least one).
class EventParser {
 public:
  EventParser(const Where& w, const std::vector<Token>& tokens,
              ScriptState* state)
      : w_(w), tokens_(tokens), state_(state), col_(tokens[0].column) {}

  absl::StatusOr<EventBody> Parse() {
    const Token& verb = tokens_[0];
    if (verb.quoted || verb.eq != kNpos) return UnknownEvent();
    const absl::string_view v = verb.text;
    event_ = std::string(v);
    if (v == "config") return Config();
    if (v == "reparent") return ReparentEvent();
    if (v == "insert" || v == "request") return InsertOrRequest(v);
    if (v == "request-region") return RequestRegion();
    if (v == "release-region") return ReleaseRegion();
    if (v == "remove" || v == "release") return RemoveOrRelease(v);
    if (v == "adjust") return Adjust();
    if (v == "allocate") return Allocate();
    if (v == "region-intersects") return RegionIntersects();
    // Two-word events.
    static constexpr std::pair<absl::string_view, absl::string_view>
        kActions[] = {
            {"root", "add"},
            {"window", "add or expand"},
            {"softres", "add"},
            {"region", "create, assemble or destroy"},
            {"hmem", "probe"},
            {"namespace", "create or destroy"},
            {"dax", "create or destroy"},
            {"extent", "add or release"},
            {"kmem", "online or offline"},
            {"memory", "add, online, offline or remove"},
            {"chunks", "reserve or release-unused"},
            {"expect", "error"},
            {"assert", "parent, range, name, count or absent"},
        };
    for (const auto& [word, actions] : kActions) {
      if (v != word) continue;
      if (tokens_.size() < 2) {
        return Err(
            w_, col_,
            absl::StrCat("'", word, "' needs an action (", actions, ")"));
      }
      const Token& a = tokens_[1];
      const std::string action = a.quoted || a.eq != kNpos ? "" : a.text;
      event_ = absl::StrCat(word, " ", action);
      absl::StatusOr<EventBody> body = TwoWord(word, action);
      if (body.ok() || body.status().code() != absl::StatusCode::kNotFound) {
        return body;
      }
      return Err(w_, a.column,
                 absl::StrCat("unknown action ", Q(a.text), " for '", word,
                              "' (expected ", actions, ")"));
    }
    return UnknownEvent();
  }

 private:
  absl::Status UnknownEvent() {
    return Err(w_, col_,
               absl::StrCat(
                   "unknown event ", Q(tokens_[0].text),
                   " (expected config, root, window, softres, region, hmem, "
                   "namespace, dax, extent, kmem, memory, chunks, reparent, "
                   "expect, "
                   "assert, insert, request, request-region, release-region, "
                   "remove, release, adjust, allocate or region-intersects)"));
  }

  absl::StatusOr<Args> Split(size_t first,
                             std::initializer_list<absl::string_view> keys) {
    return Args::Split(w_, event_, col_, tokens_, first, keys);
  }

  // kNotFound for an unknown action (the caller reports it).
  absl::StatusOr<EventBody> TwoWord(absl::string_view word,
                                    absl::string_view action) {
    if (word == "root" && action == "add") return RootAddEvent();
    if (word == "window" && action == "add") return WindowAddEvent();
    if (word == "window" && action == "expand") return WindowExpandEvent();
    if (word == "softres" && action == "add") return SoftresAddEvent();
    if (word == "region" && action == "create") return RegionCreateEvent();
    if (word == "region" && action == "destroy") return RegionDestroyEvent();
    if (word == "region" && action == "assemble") return RegionAssembleEvent();
    if (word == "hmem" && action == "probe") return HmemProbeEvent();
    if (word == "namespace" && action == "create") return NamespaceEvent();
    if (word == "namespace" && action == "destroy") {
      return NamespaceDestroyEvent();
    }
    if (word == "dax" && action == "create") return DaxCreateEvent();
    if (word == "dax" && action == "destroy") return DaxDestroyEvent();
    if (word == "extent" && action == "add") return ExtentAddEvent();
    if (word == "extent" && action == "release") return ExtentReleaseEvent();
    if (word == "kmem" && action == "online") return KmemOnlineEvent();
    if (word == "kmem" && action == "offline") return KmemOfflineEvent();
    if (word == "memory") {
      if (action == "add") return MemoryAddEvent();
      if (action == "online") return MemoryOnlineEvent();
      if (action == "offline" || action == "remove") {
        return MemoryOfflineOrRemove(action);
      }
    }
    if (word == "chunks" && action == "reserve") return ChunksReserveEvent();
    if (word == "chunks" && action == "release-unused") {
      return ChunksReleaseEvent();
    }
    if (word == "expect" && action == "error") return ExpectEvent();
    if (word == "assert") {
      if (action == "parent" || action == "range" || action == "name" ||
          action == "count" || action == "absent") {
        return AssertEvent(action);
      }
    }
    return absl::NotFoundError("");
  }

  absl::StatusOr<EventBody> Config() {
    event_ = "config";
    RESTREE_ASSIGN_OR_RETURN(
        Args args,
        Split(1, {"profile", "block-size", "cxl-region", "cxl", "dax-hmem",
                  "hmem-sr-reinsert", "dcd", "memhp-default-state"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    ConfigEvent e;
    auto yes_no = [&](absl::string_view key,
                      std::optional<bool>* out) -> absl::Status {
      std::optional<Value> v = args.Get(key);
      if (!v.has_value()) return absl::OkStatus();
      if (!v->quoted && (v->text == "y" || v->text == "n")) {
        *out = v->text == "y";
        return absl::OkStatus();
      }
      return Err(w_, v->column,
                 absl::StrCat(key, " takes y or n, not ", Q(v->text)));
    };
    auto build = [&](absl::string_view key,
                     std::optional<BuildMode>* out) -> absl::Status {
      std::optional<Value> v = args.Get(key);
      if (!v.has_value()) return absl::OkStatus();
      if (!v->quoted && v->text == "builtin") {
        *out = BuildMode::kBuiltin;
      } else if (!v->quoted && v->text == "modules") {
        *out = BuildMode::kModule;
      } else {
        return Err(
            w_, v->column,
            absl::StrCat(key, " takes builtin or modules, not ", Q(v->text)));
      }
      return absl::OkStatus();
    };
    RESTREE_RETURN_IF_ERROR(yes_no("cxl-region", &e.cxl_region));
    RESTREE_RETURN_IF_ERROR(build("cxl", &e.cxl));
    RESTREE_RETURN_IF_ERROR(build("dax-hmem", &e.dax_hmem));
    RESTREE_RETURN_IF_ERROR(yes_no("hmem-sr-reinsert", &e.hmem_sr_reinsert));
    RESTREE_RETURN_IF_ERROR(yes_no("dcd", &e.dcd));
    if (std::optional<Value> v = args.Get("memhp-default-state")) {
      static constexpr std::pair<absl::string_view, OnlineDefault> kStates[] = {
          {"offline", OnlineDefault::kOffline},
          {"online", OnlineDefault::kOnline},
          {"online_kernel", OnlineDefault::kOnlineKernel},
          {"online_movable", OnlineDefault::kOnlineMovable}};
      for (const auto& [word, state] : kStates) {
        if (!v->quoted && v->text == word) e.memhp_default_state = state;
      }
      if (!e.memhp_default_state) {
        return Err(w_, v->column,
                   absl::StrCat("memhp-default-state takes offline, online, "
                                "online_kernel or online_movable, not ",
                                Q(v->text)));
      }
    }
    if (std::optional<Value> v = args.Get("profile")) {
      if (!KernelProfile::ByName(v->text).has_value()) {
        return Err(w_, v->column,
                   absl::StrCat("unknown profile ", Q(v->text), " (expected ",
                                KnownProfiles(), ")"));
      }
      e.profile = std::string(v->text);
    }
    if (std::optional<Value> v = args.Get("block-size")) {
      RESTREE_ASSIGN_OR_RETURN(e.block_size, ParseSize(w_, *v, "block-size"));
    }
    if (e == ConfigEvent()) {
      return Err(w_, col_,
                 "'config' needs at least one key (profile, block-size, "
                 "cxl-region, cxl, dax-hmem, hmem-sr-reinsert, dcd, "
                 "memhp-default-state)");
    }
    return e;
  }

  absl::StatusOr<EventBody> RootAddEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"flags"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(2));
    RootAdd e;
    RESTREE_ASSIGN_OR_RETURN(Value name, args.Positional(0, "a root name"));
    RESTREE_ASSIGN_OR_RETURN(e.name, ParseName(w_, name, "root name"));
    if (e.name == kIomemRoot || e.name == kIoportRoot ||
        state_->roots.contains(e.name)) {
      return Err(w_, name.column,
                 absl::StrCat("root ", Q(e.name), " already exists"));
    }
    if (args.positional_count() > 1) {
      RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(1, "a range"));
      RESTREE_ASSIGN_OR_RETURN(e.range, ParseRange(w_, r, "the root's range"));
    }
    if (std::optional<Value> v = args.Get("flags")) {
      RESTREE_ASSIGN_OR_RETURN(e.flags, ParseFlagsValue(w_, *v));
    }
    state_->roots.insert(e.name);
    return e;
  }

  absl::StatusOr<EventBody> WindowAddEvent() {
    RESTREE_ASSIGN_OR_RETURN(
        Args args,
        Split(2, {"base", "size", "ways", "gran", "targets", "restrict"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    WindowAdd e;
    RESTREE_ASSIGN_OR_RETURN(Value n, args.Positional(0, "a window number"));
    RESTREE_ASSIGN_OR_RETURN(e.index, ParseU32(w_, n, "the window number"));
    RESTREE_ASSIGN_OR_RETURN(Value base, args.Require("base", "ADDR"));
    RESTREE_ASSIGN_OR_RETURN(e.base, ParseAddr(w_, base, "base"));
    RESTREE_ASSIGN_OR_RETURN(Value size, args.Require("size", "SIZE"));
    RESTREE_ASSIGN_OR_RETURN(e.size, ParseSize(w_, size, "size"));
    if (std::optional<Value> v = args.Get("ways")) {
      RESTREE_ASSIGN_OR_RETURN(e.ways, ParseU32(w_, *v, "ways"));
    }
    if (std::optional<Value> v = args.Get("gran")) {
      RESTREE_ASSIGN_OR_RETURN(e.granularity, ParseSize(w_, *v, "gran"));
    }
    if (std::optional<Value> v = args.Get("targets")) {
      RESTREE_ASSIGN_OR_RETURN(e.targets, ParseTargets(w_, *v));
    }
    if (std::optional<Value> v = args.Get("restrict")) {
      RESTREE_ASSIGN_OR_RETURN(e.restrictions, ParseRestrictions(w_, *v));
    }
    return e;
  }

  absl::StatusOr<EventBody> WindowExpandEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"to"}));
    WindowExpand e;
    if (args.PositionalIs(1, "grow-ancestors")) {
      e.grow_ancestors = true;
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(2));
    } else {
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    }
    RESTREE_ASSIGN_OR_RETURN(Value n, args.Positional(0, "a window number"));
    RESTREE_ASSIGN_OR_RETURN(e.index, ParseU32(w_, n, "the window number"));
    RESTREE_ASSIGN_OR_RETURN(Value to, args.Require("to", "START-END"));
    RESTREE_ASSIGN_OR_RETURN(e.to, ParseRange(w_, to, "to"));
    return e;
  }

  absl::StatusOr<EventBody> SoftresAddEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    SoftresAdd e;
    RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(0, "a range START-END"));
    RESTREE_ASSIGN_OR_RETURN(e.range, ParseRange(w_, r, "the range"));
    return e;
  }

  absl::StatusOr<EventBody> RegionCreateEvent() {
    RESTREE_ASSIGN_OR_RETURN(
        Args args, Split(2, {"window", "size", "mode", "ways", "gran"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    RegionCreate e;
    RESTREE_ASSIGN_OR_RETURN(Value win, args.Require("window", "N"));
    RESTREE_ASSIGN_OR_RETURN(e.window, ParseU32(w_, win, "window"));
    RESTREE_ASSIGN_OR_RETURN(Value size, args.Require("size", "SIZE"));
    RESTREE_ASSIGN_OR_RETURN(e.size, ParseSize(w_, size, "size"));
    RESTREE_ASSIGN_OR_RETURN(Value mode, args.Require("mode", "ram|pmem|dc"));
    if (mode.text == "ram") {
      e.mode = RegionMode::kRam;
    } else if (mode.text == "pmem") {
      e.mode = RegionMode::kPmem;
    } else if (mode.text == "dc") {
      e.mode = RegionMode::kDc;
    } else {
      return Err(w_, mode.column,
                 absl::StrCat("unknown region mode ", Q(mode.text),
                              " (expected ram, pmem or dc)"));
    }
    if (std::optional<Value> v = args.Get("ways")) {
      RESTREE_ASSIGN_OR_RETURN(e.ways, ParseU32(w_, *v, "ways"));
    }
    if (std::optional<Value> v = args.Get("gran")) {
      RESTREE_ASSIGN_OR_RETURN(e.granularity, ParseSize(w_, *v, "gran"));
    }
    return e;
  }

  absl::StatusOr<EventBody> RegionAssembleEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"window", "mode"}));
    RegionAssemble e;
    RESTREE_ASSIGN_OR_RETURN(Value win, args.Require("window", "N"));
    RESTREE_ASSIGN_OR_RETURN(e.window, ParseU32(w_, win, "window"));
    RESTREE_ASSIGN_OR_RETURN(
        Value r, args.Positional(0, "the decoders' range START-END"));
    RESTREE_ASSIGN_OR_RETURN(e.range, ParseRange(w_, r, "the region's range"));
    if (std::optional<Value> mode = args.Get("mode")) {
      if (mode->text == "ram") {
        e.mode = RegionMode::kRam;
      } else if (mode->text == "pmem") {
        e.mode = RegionMode::kPmem;
      } else {
        return Err(w_, mode->column,
                   absl::StrCat("unknown region mode ", Q(mode->text),
                                " (expected ram or pmem)"));
      }
    }
    if (args.PositionalIs(1, "failed")) {
      e.failed = true;
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(2));
    } else {
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    }
    return e;
  }

  absl::StatusOr<EventBody> HmemProbeEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"node"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    HmemProbe e;
    if (std::optional<Value> v = args.Get("node")) {
      RESTREE_ASSIGN_OR_RETURN(e.node, ParseU32(w_, *v, "node"));
    }
    return e;
  }

  absl::StatusOr<EventBody> RegionDestroyEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(0, "a region (regionK)"));
    RegionDestroy e;
    RESTREE_ASSIGN_OR_RETURN(e.region, ParseRegionName(w_, r));
    return e;
  }

  absl::StatusOr<EventBody> NamespaceEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args,
                             Split(2, {"region", "mode", "align", "size"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    NamespaceCreate e;
    RESTREE_ASSIGN_OR_RETURN(Value r, args.Require("region", "regionK"));
    RESTREE_ASSIGN_OR_RETURN(e.region, ParseRegionName(w_, r));
    RESTREE_ASSIGN_OR_RETURN(Value mode,
                             args.Require("mode", "devdax|fsdax|raw"));
    if (mode.text == "devdax") {
      e.mode = NamespaceMode::kDevdax;
    } else if (mode.text == "fsdax") {
      e.mode = NamespaceMode::kFsdax;
    } else if (mode.text == "raw") {
      e.mode = NamespaceMode::kRaw;
    } else {
      return Err(w_, mode.column,
                 absl::StrCat("unknown namespace mode ", Q(mode.text),
                              " (expected devdax, fsdax or raw)"));
    }
    if (std::optional<Value> v = args.Get("align")) {
      RESTREE_ASSIGN_OR_RETURN(e.align, ParseSize(w_, *v, "align"));
    }
    if (std::optional<Value> v = args.Get("size")) {
      RESTREE_ASSIGN_OR_RETURN(e.size, ParseSize(w_, *v, "size"));
    }
    return e;
  }

  // The one positional device name (PREFIXX.Y) of an event that takes
  // nothing else: namespace destroy, dax destroy, kmem offline.
  absl::StatusOr<DaxRef> OnlyDevice(absl::string_view prefix,
                                    absl::string_view what) {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    RESTREE_ASSIGN_OR_RETURN(
        Value v,
        args.Positional(0, absl::StrCat("a ", what, " (", prefix, "X.Y)")));
    return ParseDeviceName(w_, v, prefix, what);
  }

  absl::StatusOr<EventBody> NamespaceDestroyEvent() {
    NamespaceDestroy e;
    RESTREE_ASSIGN_OR_RETURN(e.ns, OnlyDevice("namespace", "namespace"));
    return e;
  }

  absl::StatusOr<EventBody> DaxCreateEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"region", "size"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    DaxCreate e;
    RESTREE_ASSIGN_OR_RETURN(Value r, args.Require("region", "regionK"));
    RESTREE_ASSIGN_OR_RETURN(e.region, ParseRegionName(w_, r));
    if (std::optional<Value> v = args.Get("size")) {
      RESTREE_ASSIGN_OR_RETURN(e.size, ParseSize(w_, *v, "size"));
    }
    return e;
  }

  absl::StatusOr<EventBody> DaxDestroyEvent() {
    DaxDestroy e;
    RESTREE_ASSIGN_OR_RETURN(e.dax, OnlyDevice("dax", "dax device"));
    return e;
  }

  // region=regionK tag=NAME, the keys both extent events share.
  absl::Status RegionTag(const Args& args, uint32_t* region, std::string* tag) {
    RESTREE_ASSIGN_OR_RETURN(Value r, args.Require("region", "regionK"));
    RESTREE_ASSIGN_OR_RETURN(*region, ParseRegionName(w_, r));
    RESTREE_ASSIGN_OR_RETURN(Value t, args.Require("tag", "NAME"));
    RESTREE_ASSIGN_OR_RETURN(*tag, ParseName(w_, t, "tag"));
    return absl::OkStatus();
  }

  absl::StatusOr<EventBody> ExtentAddEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"region", "tag", "extents"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    ExtentAdd e;
    RESTREE_RETURN_IF_ERROR(RegionTag(args, &e.region, &e.tag));
    RESTREE_ASSIGN_OR_RETURN(Value list,
                             args.Require("extents", "OFF:SIZE[,OFF:SIZE...]"));
    RESTREE_ASSIGN_OR_RETURN(auto items, SplitList(w_, list, "extents"));
    for (const auto& [text, col] : items) {
      const size_t colon = text.find(':');
      if (colon == absl::string_view::npos) {
        return Err(w_, col,
                   absl::StrCat("extent ", Q(text),
                                " is not OFFSET:SIZE (a region offset and a "
                                "length)"));
      }
      Value off = list;
      off.text = text.substr(0, colon);
      off.column = col;
      Value len = list;
      len.text = text.substr(colon + 1);
      len.column = col + static_cast<int>(colon) + 1;
      Extent x;
      RESTREE_ASSIGN_OR_RETURN(x.offset,
                               ParseSize(w_, off, "an extent's offset"));
      RESTREE_ASSIGN_OR_RETURN(x.size, ParseSize(w_, len, "an extent's size"));
      e.extents.push_back(x);
    }
    return e;
  }

  absl::StatusOr<EventBody> ExtentReleaseEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"region", "tag"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    ExtentRelease e;
    RESTREE_RETURN_IF_ERROR(RegionTag(args, &e.region, &e.tag));
    return e;
  }

  absl::StatusOr<EventBody> KmemOnlineEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"node", "zone"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    KmemOnline e;
    RESTREE_ASSIGN_OR_RETURN(Value d,
                             args.Positional(0, "a dax device (daxX.Y)"));
    RESTREE_ASSIGN_OR_RETURN(e.dax, ParseDaxName(w_, d));
    if (std::optional<Value> v = args.Get("node")) {
      RESTREE_ASSIGN_OR_RETURN(e.node, ParseU32(w_, *v, "node"));
    }
    if (std::optional<Value> v = args.Get("zone")) {
      RESTREE_ASSIGN_OR_RETURN(e.zone, ParseZone(w_, *v));
    }
    return e;
  }

  absl::StatusOr<EventBody> KmemOfflineEvent() {
    KmemOffline e;
    RESTREE_ASSIGN_OR_RETURN(e.dax, OnlyDevice("dax", "dax device"));
    return e;
  }

  // ADDR size=SIZE, the shape of every `memory` event.
  absl::Status AddrSize(const Args& args, uint64_t* addr, uint64_t* size) {
    RESTREE_ASSIGN_OR_RETURN(Value a, args.Positional(0, "an address (0x...)"));
    RESTREE_ASSIGN_OR_RETURN(*addr, ParseAddr(w_, a, "the address"));
    RESTREE_ASSIGN_OR_RETURN(Value s, args.Require("size", "SIZE"));
    RESTREE_ASSIGN_OR_RETURN(*size, ParseSize(w_, s, "size"));
    return absl::OkStatus();
  }

  absl::StatusOr<EventBody> MemoryAddEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"size", "node"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    MemoryAdd e;
    RESTREE_RETURN_IF_ERROR(AddrSize(args, &e.addr, &e.size));
    if (std::optional<Value> v = args.Get("node")) {
      RESTREE_ASSIGN_OR_RETURN(e.node, ParseU32(w_, *v, "node"));
    }
    return e;
  }

  absl::StatusOr<EventBody> MemoryOnlineEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"size", "zone"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    MemoryOnline e;
    RESTREE_RETURN_IF_ERROR(AddrSize(args, &e.addr, &e.size));
    if (std::optional<Value> v = args.Get("zone")) {
      RESTREE_ASSIGN_OR_RETURN(e.zone, ParseZone(w_, *v));
    }
    return e;
  }

  absl::StatusOr<EventBody> MemoryOfflineOrRemove(absl::string_view action) {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"size"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    uint64_t addr = 0, size = 0;
    RESTREE_RETURN_IF_ERROR(AddrSize(args, &addr, &size));
    if (action == "offline") return MemoryOffline{addr, size};
    return MemoryRemove{addr, size};
  }

  absl::StatusOr<EventBody> ChunksReserveEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"window", "size"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    ChunksReserve e;
    RESTREE_ASSIGN_OR_RETURN(Value win, args.Require("window", "N"));
    RESTREE_ASSIGN_OR_RETURN(e.window, ParseU32(w_, win, "window"));
    if (std::optional<Value> v = args.Get("size")) {
      RESTREE_ASSIGN_OR_RETURN(e.size, ParseSize(w_, *v, "size"));
    }
    return e;
  }

  absl::StatusOr<EventBody> ChunksReleaseEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"window"}));
    ChunksReleaseUnused e;
    RESTREE_ASSIGN_OR_RETURN(Value win, args.Require("window", "N"));
    RESTREE_ASSIGN_OR_RETURN(e.window, ParseU32(w_, win, "window"));
    if (args.PositionalIs(0, "shrink")) {
      e.shrink = true;
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    } else {
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    }
    return e;
  }

  absl::StatusOr<EventBody> ReparentEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(1, {"root"}));
    Reparent e;
    RESTREE_ASSIGN_OR_RETURN(e.root, ParseRoot(w_, args, *state_));
    RESTREE_ASSIGN_OR_RETURN(Value r,
                             args.Positional(0, "RESOURCE under RESOURCE"));
    RESTREE_ASSIGN_OR_RETURN(e.resource,
                             ParseResourceRef(w_, r, "the resource"));
    if (!args.PositionalIs(1, "under")) {
      if (args.positional_count() < 2) {
        return Err(w_, col_, "'reparent' needs RESOURCE under RESOURCE");
      }
      RESTREE_ASSIGN_OR_RETURN(Value u, args.Positional(1, "under"));
      return Err(w_, u.column,
                 absl::StrCat("expected 'under', got ", Q(u.text)));
    }
    RESTREE_ASSIGN_OR_RETURN(Value p,
                             args.Positional(2, "a new parent after 'under'"));
    RESTREE_ASSIGN_OR_RETURN(e.new_parent,
                             ParseResourceRef(w_, p, "the new parent"));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(3));
    return e;
  }

  absl::StatusOr<EventBody> ExpectEvent() {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    RESTREE_ASSIGN_OR_RETURN(Value code,
                             args.Positional(0, "an errno name such as EBUSY"));
    std::optional<int> value =
        code.quoted ? std::nullopt : ErrnoByName(code.text);
    if (!value.has_value()) {
      return Err(w_, code.column,
                 absl::StrCat("unknown errno name ", Q(code.text),
                              " (expected one of ", KnownErrnoNames(), ")"));
    }
    return ExpectError{*value};
  }

  absl::StatusOr<EventBody> AssertEvent(absl::string_view kind) {
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(2, {"root"}));
    Assert e;
    RESTREE_ASSIGN_OR_RETURN(e.root, ParseRoot(w_, args, *state_));
    if (kind == "parent") {
      AssertParent a;
      RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(0, "RESOURCE PARENT"));
      RESTREE_ASSIGN_OR_RETURN(a.resource,
                               ParseResourceRef(w_, r, "the resource"));
      RESTREE_ASSIGN_OR_RETURN(Value p, args.Positional(1, "RESOURCE PARENT"));
      RESTREE_ASSIGN_OR_RETURN(a.parent, ParseResourceRef(w_, p, "the parent"));
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(2));
      e.what = std::move(a);
    } else if (kind == "range") {
      AssertRange a;
      RESTREE_ASSIGN_OR_RETURN(Value r,
                               args.Positional(0, "RESOURCE START-END"));
      RESTREE_ASSIGN_OR_RETURN(a.resource,
                               ParseResourceRef(w_, r, "the resource"));
      RESTREE_ASSIGN_OR_RETURN(Value g,
                               args.Positional(1, "RESOURCE START-END"));
      RESTREE_ASSIGN_OR_RETURN(a.range, ParseRange(w_, g, "the range"));
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(2));
      e.what = std::move(a);
    } else if (kind == "name") {
      AssertName a;
      RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(0, "ADDR NAME"));
      RESTREE_ASSIGN_OR_RETURN(a.addr, ParseAddr(w_, r, "the address"));
      RESTREE_ASSIGN_OR_RETURN(Value n, args.Positional(1, "ADDR NAME"));
      RESTREE_ASSIGN_OR_RETURN(a.name, ParseName(w_, n, "name"));
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(2));
      e.what = std::move(a);
    } else if (kind == "count") {
      AssertCount a;
      RESTREE_ASSIGN_OR_RETURN(Value n, args.Positional(0, "NAME COUNT"));
      RESTREE_ASSIGN_OR_RETURN(a.name, ParseName(w_, n, "name"));
      RESTREE_ASSIGN_OR_RETURN(Value c, args.Positional(1, "NAME COUNT"));
      RESTREE_ASSIGN_OR_RETURN(a.count,
                               ParseUint(w_, c, "the count", 64, false));
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(2));
      e.what = std::move(a);
    } else {
      AssertAbsent a;
      RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(0, "RESOURCE"));
      RESTREE_ASSIGN_OR_RETURN(a.resource,
                               ParseResourceRef(w_, r, "the resource"));
      RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
      e.what = std::move(a);
    }
    return e;
  }

  // --- Raw kernel operations.

  absl::StatusOr<EventBody> InsertOrRequest(absl::string_view verb) {
    event_ = std::string(verb);
    RESTREE_ASSIGN_OR_RETURN(
        Args args, Split(1, {"root", "parent", "name", "flags", "desc"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    InsertOp e;
    RESTREE_ASSIGN_OR_RETURN(e.root, ParseRoot(w_, args, *state_));
    RESTREE_ASSIGN_OR_RETURN(e.parent, ParseParent(w_, args));
    RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(0, "a range START-END"));
    RESTREE_ASSIGN_OR_RETURN(e.range, ParseRange(w_, r, "the range"));
    RESTREE_ASSIGN_OR_RETURN(Value n, args.Require("name", "NAME"));
    RESTREE_ASSIGN_OR_RETURN(e.name, ParseName(w_, n, "name"));
    if (std::optional<Value> v = args.Get("flags")) {
      RESTREE_ASSIGN_OR_RETURN(e.flags, ParseFlagsValue(w_, *v));
    }
    if (std::optional<Value> v = args.Get("desc")) {
      RESTREE_ASSIGN_OR_RETURN(e.desc, ParseDescValue(w_, *v));
    }
    if (verb == "insert") return e;
    return RequestOp{std::move(e.root), std::move(e.parent),
                     e.range,           std::move(e.name),
                     e.flags,           e.desc};
  }

  absl::StatusOr<EventBody> RequestRegion() {
    event_ = "request-region";
    RESTREE_ASSIGN_OR_RETURN(
        Args args, Split(1, {"root", "parent", "size", "name", "flags"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    RequestRegionOp e;
    RESTREE_ASSIGN_OR_RETURN(e.root, ParseRoot(w_, args, *state_));
    RESTREE_ASSIGN_OR_RETURN(e.parent, ParseParent(w_, args));
    RESTREE_RETURN_IF_ERROR(AddrSize(args, &e.start, &e.size));
    RESTREE_ASSIGN_OR_RETURN(Value n, args.Require("name", "NAME"));
    RESTREE_ASSIGN_OR_RETURN(e.name, ParseName(w_, n, "name"));
    if (std::optional<Value> v = args.Get("flags")) {
      RESTREE_ASSIGN_OR_RETURN(e.flags, ParseFlagsValue(w_, *v));
    }
    return e;
  }

  absl::StatusOr<EventBody> ReleaseRegion() {
    event_ = "release-region";
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(1, {"root", "parent", "size"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    ReleaseRegionOp e;
    RESTREE_ASSIGN_OR_RETURN(e.root, ParseRoot(w_, args, *state_));
    RESTREE_ASSIGN_OR_RETURN(e.parent, ParseParent(w_, args));
    RESTREE_RETURN_IF_ERROR(AddrSize(args, &e.start, &e.size));
    return e;
  }

  absl::StatusOr<EventBody> RemoveOrRelease(absl::string_view verb) {
    event_ = std::string(verb);
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(1, {"root"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    RemoveOp e;
    RESTREE_ASSIGN_OR_RETURN(e.root, ParseRoot(w_, args, *state_));
    RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(0, "a RESOURCE"));
    RESTREE_ASSIGN_OR_RETURN(e.resource,
                             ParseResourceRef(w_, r, "the resource"));
    if (verb == "remove") return e;
    return ReleaseOp{std::move(e.root), std::move(e.resource)};
  }

  absl::StatusOr<EventBody> Adjust() {
    event_ = "adjust";
    RESTREE_ASSIGN_OR_RETURN(Args args, Split(1, {"root", "size"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(2));
    AdjustOp e;
    RESTREE_ASSIGN_OR_RETURN(e.root, ParseRoot(w_, args, *state_));
    RESTREE_ASSIGN_OR_RETURN(Value r, args.Positional(0, "RESOURCE START"));
    RESTREE_ASSIGN_OR_RETURN(e.resource,
                             ParseResourceRef(w_, r, "the resource"));
    RESTREE_ASSIGN_OR_RETURN(Value s, args.Positional(1, "RESOURCE START"));
    RESTREE_ASSIGN_OR_RETURN(e.start, ParseAddr(w_, s, "the new start"));
    RESTREE_ASSIGN_OR_RETURN(Value z, args.Require("size", "SIZE"));
    RESTREE_ASSIGN_OR_RETURN(e.size, ParseSize(w_, z, "size"));
    return e;
  }

  absl::StatusOr<EventBody> Allocate() {
    event_ = "allocate";
    RESTREE_ASSIGN_OR_RETURN(
        Args args, Split(1, {"root", "parent", "size", "name", "flags", "desc",
                             "min", "max", "align"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(0));
    AllocateOp e;
    RESTREE_ASSIGN_OR_RETURN(e.root, ParseRoot(w_, args, *state_));
    RESTREE_ASSIGN_OR_RETURN(e.parent, ParseParent(w_, args));
    RESTREE_ASSIGN_OR_RETURN(Value z, args.Require("size", "SIZE"));
    RESTREE_ASSIGN_OR_RETURN(e.size, ParseSize(w_, z, "size"));
    RESTREE_ASSIGN_OR_RETURN(Value n, args.Require("name", "NAME"));
    RESTREE_ASSIGN_OR_RETURN(e.name, ParseName(w_, n, "name"));
    if (std::optional<Value> v = args.Get("flags")) {
      RESTREE_ASSIGN_OR_RETURN(e.flags, ParseFlagsValue(w_, *v));
    }
    if (std::optional<Value> v = args.Get("desc")) {
      RESTREE_ASSIGN_OR_RETURN(e.desc, ParseDescValue(w_, *v));
    }
    if (std::optional<Value> v = args.Get("min")) {
      RESTREE_ASSIGN_OR_RETURN(e.min, ParseAddr(w_, *v, "min"));
    }
    if (std::optional<Value> v = args.Get("max")) {
      RESTREE_ASSIGN_OR_RETURN(e.max, ParseAddr(w_, *v, "max"));
    }
    if (std::optional<Value> v = args.Get("align")) {
      RESTREE_ASSIGN_OR_RETURN(e.align, ParseSize(w_, *v, "align"));
    }
    return e;
  }

  absl::StatusOr<EventBody> RegionIntersects() {
    event_ = "region-intersects";
    RESTREE_ASSIGN_OR_RETURN(Args args,
                             Split(1, {"size", "flags", "desc", "expect"}));
    RESTREE_RETURN_IF_ERROR(args.NoMoreThan(1));
    RegionIntersectsOp e;
    RESTREE_RETURN_IF_ERROR(AddrSize(args, &e.start, &e.size));
    RESTREE_ASSIGN_OR_RETURN(Value f, args.Require("flags", "FLAGS"));
    RESTREE_ASSIGN_OR_RETURN(e.flags, ParseFlagsValue(w_, f));
    if (std::optional<Value> v = args.Get("desc")) {
      RESTREE_ASSIGN_OR_RETURN(e.desc, ParseDescValue(w_, *v));
    }
    if (std::optional<Value> v = args.Get("expect")) {
      for (RegionIntersection r :
           {RegionIntersection::kIntersects, RegionIntersection::kDisjoint,
            RegionIntersection::kMixed}) {
        if (v->text == RegionIntersectionName(r)) e.expect = r;
      }
      if (!e.expect.has_value()) {
        return Err(w_, v->column,
                   absl::StrCat("unknown answer ", Q(v->text),
                                " (expected REGION_INTERSECTS, "
                                "REGION_DISJOINT or REGION_MIXED)"));
      }
    }
    return e;
  }

  Where w_;
  const std::vector<Token>& tokens_;
  ScriptState* state_;
  int col_;
  std::string event_;
};

// Events `expect error` cannot apply to: they never fail with an errno.
bool CannotFail(const EventBody& body) {
  return std::holds_alternative<ExpectError>(body) ||
         std::holds_alternative<Assert>(body) ||
         std::holds_alternative<RootAdd>(body);
}

absl::string_view KindWord(const EventBody& body) {
  if (std::holds_alternative<ExpectError>(body)) return "expect";
  if (std::holds_alternative<Assert>(body)) return "assert";
  return "root add";
}

}  // namespace

absl::StatusOr<Script> ParseScript(absl::string_view text,
                                   absl::string_view file_name) {
  return ParseScript(text, file_name, ParseLimits());
}

absl::StatusOr<Script> ParseScript(absl::string_view text,
                                   absl::string_view file_name,
                                   const ParseLimits& limits) {
  const std::string file =
      file_name.empty() ? std::string("<script>") : std::string(file_name);
  Where w{file, 0};
  if (text.size() > limits.max_script_bytes) {
    w.line = 1;
    return Err(w, 1,
               absl::StrCat("script is ", text.size(),
                            " bytes, more than the limit of ",
                            limits.max_script_bytes));
  }
  Script script;
  script.file_name = std::string(file_name);
  ScriptState state;
  // The location of an `expect error` waiting for its event; line 0: none.
  // (Not a std::optional: gcc -O2 calls its payload maybe-uninitialized.)
  SourceLocation pending_expect;
  size_t pos = 0;
  while (pos < text.size()) {
    ++w.line;
    size_t end = text.find('\n', pos);
    if (end == kNpos) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > limits.max_line_bytes) {
      return Err(w, static_cast<int>(limits.max_line_bytes) + 1,
                 absl::StrCat("line is longer than ", limits.max_line_bytes,
                              " bytes"));
    }
    RESTREE_RETURN_IF_ERROR(CheckBytes(w, line));
    RESTREE_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(w, line));
    if (tokens.empty()) continue;
    if (script.events.size() >= limits.max_events) {
      return Err(w, tokens[0].column,
                 absl::StrCat("too many events (the limit is ",
                              limits.max_events, ")"));
    }
    EventParser parser(w, tokens, &state);
    RESTREE_ASSIGN_OR_RETURN(EventBody body, parser.Parse());
    if (pending_expect.line != 0 && CannotFail(body)) {
      return Err(w, tokens[0].column,
                 absl::StrCat("'", KindWord(body),
                              "' cannot fail, so the 'expect error' on line ",
                              pending_expect.line, " has nothing to apply to"));
    }
    const SourceLocation location{w.line, tokens[0].column};
    if (std::holds_alternative<ExpectError>(body)) {
      pending_expect = location;
    } else {
      pending_expect = SourceLocation{};
    }
    script.events.push_back(Event{location, std::move(body)});
  }
  if (pending_expect.line != 0) {
    w.line = pending_expect.line;
    return Err(w, pending_expect.column,
               "'expect error' is the last event: there is no next event to "
               "fail");
  }
  return script;
}

}  // namespace hotplug
}  // namespace restree
