#include "cfmws/description.h"

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/byte_size.h"
#include "base/status_macros.h"

namespace restree {
namespace cedt {
namespace {

// ---------------------------------------------------------------------------
// Values

// A number as ParseByteSize() reads it, at most `max`.
absl::StatusOr<uint64_t> ParseNumber(absl::string_view v, uint64_t max) {
  RESTREE_ASSIGN_OR_RETURN(const uint64_t n, ParseByteSize(v));
  if (n > max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("'%s' does not fit (maximum 0x%x)", v, max));
  }
  return n;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::vector<uint8_t>> ParseHexBytes(absl::string_view v) {
  if (v.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", v, "' is not an even number of hex digits"));
  }
  std::vector<uint8_t> out;
  out.reserve(v.size() / 2);
  for (size_t i = 0; i < v.size(); i += 2) {
    const int hi = HexDigit(v[i]);
    const int lo = HexDigit(v[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", v, "' is not hex bytes"));
    }
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

std::string HexBytes(const std::vector<uint8_t>& b) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

std::string QuoteChars(absl::Span<const char> chars) {
  return absl::StrCat("\"", EscapeChars(chars), "\"");
}

// ---------------------------------------------------------------------------
// Lines

// Splits a line into tokens; a token may contain "quoted" parts with \xNN,
// \\ and \" escapes (the quotes are removed, the escapes resolved).
absl::StatusOr<std::vector<std::string>> Tokenize(absl::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string tok;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      if (line[i] != '"') {
        tok.push_back(line[i++]);
        continue;
      }
      ++i;  // opening quote
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          tok.push_back(c);
          continue;
        }
        if (i >= line.size()) break;
        const char e = line[i++];
        if (e == 'x') {
          if (i + 2 > line.size() || HexDigit(line[i]) < 0 ||
              HexDigit(line[i + 1]) < 0) {
            return absl::InvalidArgumentError("bad \\x escape in a string");
          }
          tok.push_back(static_cast<char>(HexDigit(line[i]) * 16 +
                                          HexDigit(line[i + 1])));
          i += 2;
        } else if (e == '\\' || e == '"') {
          tok.push_back(e);
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat("unknown escape \\", std::string(1, e)));
        }
      }
      if (!closed) return absl::InvalidArgumentError("unterminated string");
    }
    out.push_back(std::move(tok));
  }
  return out;
}

class Fields {
 public:
  static absl::StatusOr<Fields> Parse(const std::vector<std::string>& tokens) {
    Fields f;
    for (size_t i = 1; i < tokens.size(); ++i) {
      const size_t eq = tokens[i].find('=');
      if (eq == std::string::npos || eq == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", tokens[i], "' is not key=value"));
      }
      std::string key = tokens[i].substr(0, eq);
      if (!f.values_.emplace(key, tokens[i].substr(eq + 1)).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("key '", key, "' given twice"));
      }
    }
    return f;
  }

  bool Has(const std::string& key) const { return values_.count(key) > 0; }

  // Reads `key` into `*out` (unchanged when absent).
  template <typename T>
  absl::Status Num(const std::string& key, T* out) {
    auto it = values_.find(key);
    if (it == values_.end()) return absl::OkStatus();
    absl::StatusOr<uint64_t> v = ParseNumber(
        it->second, static_cast<uint64_t>(std::numeric_limits<T>::max()));
    if (!v.ok()) return Wrap(key, v.status());
    *out = static_cast<T>(*v);
    values_.erase(it);
    return absl::OkStatus();
  }

  template <typename T>
  absl::Status List(const std::string& key, std::vector<T>* out) {
    auto it = values_.find(key);
    if (it == values_.end()) return absl::OkStatus();
    out->clear();
    if (!it->second.empty()) {
      for (absl::string_view part : absl::StrSplit(it->second, ',')) {
        absl::StatusOr<uint64_t> v = ParseNumber(
            part, static_cast<uint64_t>(std::numeric_limits<T>::max()));
        if (!v.ok()) return Wrap(key, v.status());
        out->push_back(static_cast<T>(*v));
        if (out->size() > 0xffff) {
          return Wrap(key, absl::InvalidArgumentError("too many entries"));
        }
      }
    }
    values_.erase(it);
    return absl::OkStatus();
  }

  absl::Status Bytes(const std::string& key, std::vector<uint8_t>* out) {
    auto it = values_.find(key);
    if (it == values_.end()) return absl::OkStatus();
    absl::StatusOr<std::vector<uint8_t>> b = ParseHexBytes(it->second);
    if (!b.ok()) return Wrap(key, b.status());
    *out = *std::move(b);
    values_.erase(it);
    return absl::OkStatus();
  }

  template <size_t N>
  absl::Status Chars(const std::string& key, std::array<char, N>* out) {
    auto it = values_.find(key);
    if (it == values_.end()) return absl::OkStatus();
    if (it->second.size() > N) {
      return Wrap(key,
                  absl::InvalidArgumentError(absl::StrFormat(
                      "'%s' is longer than %d characters", it->second, N)));
    }
    out->fill(' ');
    for (size_t i = 0; i < it->second.size(); ++i) (*out)[i] = it->second[i];
    values_.erase(it);
    return absl::OkStatus();
  }

  // A value that is either one of `names` (giving its index) or a number.
  absl::Status Named(const std::string& key,
                     const std::vector<std::string>& names, uint8_t* out) {
    auto it = values_.find(key);
    if (it == values_.end()) return absl::OkStatus();
    for (size_t i = 0; i < names.size(); ++i) {
      if (absl::EqualsIgnoreCase(it->second, names[i])) {
        *out = static_cast<uint8_t>(i);
        values_.erase(it);
        return absl::OkStatus();
      }
    }
    return Num(key, out);
  }

  absl::Status Take(const std::string& key, std::string* out) {
    auto it = values_.find(key);
    if (it == values_.end()) return absl::OkStatus();
    *out = it->second;
    values_.erase(it);
    return absl::OkStatus();
  }

  // kInvalidArgument naming the first key nobody read.
  absl::Status Done(absl::string_view record) const {
    if (values_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat(record, ": unknown key '", values_.begin()->first, "'"));
  }

 private:
  static absl::Status Wrap(const std::string& key, const absl::Status& s) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": ", s.message()));
  }
  std::map<std::string, std::string> values_;
};

absl::Status ParseRestrictions(Fields& f, uint16_t* out) {
  std::string v;
  RESTREE_RETURN_IF_ERROR(f.Take("restrictions", &v));
  if (v.empty()) return absl::OkStatus();
  static const std::pair<const char*, uint16_t> kNames[] = {
      {"devmem", restriction::kDevMem},
      {"hostonly", restriction::kHostOnlyMem},
      {"volatile", restriction::kVolatile},
      {"pmem", restriction::kPmem},
      {"fixed", restriction::kFixed},
      {"bi", restriction::kBackInvalidate}};
  uint16_t r = 0;
  for (absl::string_view part : absl::StrSplit(v, '|')) {
    bool named = false;
    for (const auto& [name, bit] : kNames) {
      if (absl::EqualsIgnoreCase(part, name)) {
        r |= bit;
        named = true;
      }
    }
    if (named) continue;
    absl::StatusOr<uint64_t> n = ParseNumber(part, 0xffff);
    if (!n.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("restrictions: ", n.status().message(),
                       " (or devmem|hostonly|volatile|pmem|fixed|bi)"));
    }
    r |= static_cast<uint16_t>(*n);
  }
  *out = r;
  return absl::OkStatus();
}

absl::StatusOr<Subtable> ParseRecord(absl::string_view kind, Fields& f) {
  if (kind == "chbs") {
    Chbs c;
    RESTREE_RETURN_IF_ERROR(f.Num("hdr-reserved", &c.header_reserved));
    RESTREE_RETURN_IF_ERROR(f.Num("uid", &c.uid));
    RESTREE_RETURN_IF_ERROR(f.Num("version", &c.cxl_version));
    RESTREE_RETURN_IF_ERROR(f.Num("reserved", &c.reserved));
    RESTREE_RETURN_IF_ERROR(f.Num("base", &c.base));
    RESTREE_RETURN_IF_ERROR(f.Num("length", &c.length));
    RESTREE_RETURN_IF_ERROR(f.Bytes("trailing", &c.trailing));
    RESTREE_RETURN_IF_ERROR(f.Done(kind));
    return Subtable(std::move(c));
  }
  if (kind == "cfmws") {
    Cfmws c;
    RESTREE_RETURN_IF_ERROR(f.Num("hdr-reserved", &c.header_reserved));
    RESTREE_RETURN_IF_ERROR(f.Num("reserved1", &c.reserved1));
    RESTREE_RETURN_IF_ERROR(f.Num("base", &c.base_hpa));
    RESTREE_RETURN_IF_ERROR(f.Num("size", &c.window_size));
    if (f.Has("ways") && f.Has("eniw")) {
      return absl::InvalidArgumentError("cfmws: give ways= or eniw=, not both");
    }
    if (f.Has("ways")) {
      uint32_t ways = 0;
      RESTREE_RETURN_IF_ERROR(f.Num("ways", &ways));
      std::optional<uint8_t> e = WaysToEniw(ways);
      if (!e.has_value()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "ways: %d is not 1, 2, 4, 8, 16, 3, 6 or 12 (use eniw= for a "
            "raw encoding)",
            ways));
      }
      c.eniw = *e;
    }
    RESTREE_RETURN_IF_ERROR(f.Num("eniw", &c.eniw));
    RESTREE_RETURN_IF_ERROR(
        f.Named("arithmetic", {"modulo", "xor"}, &c.arithmetic));
    RESTREE_RETURN_IF_ERROR(f.Num("reserved2", &c.reserved2));
    if (f.Has("granularity") && f.Has("hbig")) {
      return absl::InvalidArgumentError(
          "cfmws: give granularity= or hbig=, not both");
    }
    if (f.Has("granularity")) {
      uint32_t g = 0;
      RESTREE_RETURN_IF_ERROR(f.Num("granularity", &g));
      std::optional<uint32_t> h = GranularityToHbig(g);
      if (!h.has_value()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "granularity: %d is not 256, 512, 1K, 2K, 4K, 8K or 16K (use "
            "hbig= for a raw encoding)",
            g));
      }
      c.hbig = *h;
    }
    RESTREE_RETURN_IF_ERROR(f.Num("hbig", &c.hbig));
    RESTREE_RETURN_IF_ERROR(ParseRestrictions(f, &c.restrictions));
    RESTREE_RETURN_IF_ERROR(f.Num("qtg", &c.qtg_id));
    RESTREE_RETURN_IF_ERROR(f.List("targets", &c.targets));
    RESTREE_RETURN_IF_ERROR(f.Bytes("trailing", &c.trailing));
    RESTREE_RETURN_IF_ERROR(f.Done(kind));
    if (std::optional<uint32_t> w = c.ways();
        w.has_value() && c.targets.size() != *w) {
      return absl::InvalidArgumentError(
          absl::StrFormat("cfmws: %d ways need %d targets, %d given", *w, *w,
                          c.targets.size()));
    }
    if (!c.ways().has_value() && c.trailing.size() >= 4) {
      return absl::InvalidArgumentError(
          "cfmws: with an invalid eniw, trailing= must be under 4 bytes "
          "(more would decode as targets)");
    }
    return Subtable(std::move(c));
  }
  if (kind == "cxims") {
    Cxims c;
    RESTREE_RETURN_IF_ERROR(f.Num("hdr-reserved", &c.header_reserved));
    RESTREE_RETURN_IF_ERROR(f.Num("reserved1", &c.reserved1));
    if (f.Has("granularity") && f.Has("hbig")) {
      return absl::InvalidArgumentError(
          "cxims: give granularity= or hbig=, not both");
    }
    if (f.Has("granularity")) {
      uint32_t g = 0;
      RESTREE_RETURN_IF_ERROR(f.Num("granularity", &g));
      std::optional<uint32_t> h = GranularityToHbig(g);
      if (!h.has_value()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "granularity: %d is not 256 .. 16K (use hbig= for a raw "
            "encoding)",
            g));
      }
      c.hbig = static_cast<uint8_t>(*h);
    }
    RESTREE_RETURN_IF_ERROR(f.Num("hbig", &c.hbig));
    RESTREE_RETURN_IF_ERROR(f.List("xormaps", &c.xormaps));
    RESTREE_RETURN_IF_ERROR(f.Bytes("trailing", &c.trailing));
    RESTREE_RETURN_IF_ERROR(f.Done(kind));
    if (c.xormaps.size() > 255) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "cxims: %d XOR maps; the count is one byte (at most 255)",
          c.xormaps.size()));
    }
    return Subtable(std::move(c));
  }
  if (kind == "rdpas") {
    Rdpas d;
    std::string layout;
    RESTREE_RETURN_IF_ERROR(f.Take("layout", &layout));
    if (layout == "legacy") {
      d.layout = RdpasLayout::kAcpicaLegacy;
    } else if (!layout.empty() && layout != "cxl32") {
      return absl::InvalidArgumentError(
          "layout: expected cxl32 (20 bytes) or legacy (17 bytes)");
    }
    RESTREE_RETURN_IF_ERROR(f.Num("hdr-reserved", &d.header_reserved));
    RESTREE_RETURN_IF_ERROR(f.Num("segment", &d.segment));
    RESTREE_RETURN_IF_ERROR(f.Num("bdf", &d.bdf));
    RESTREE_RETURN_IF_ERROR(f.Num("address", &d.address));
    RESTREE_RETURN_IF_ERROR(
        f.Named("protocol", {"io", "cachemem"}, &d.protocol));
    std::vector<uint8_t> reserved;
    RESTREE_RETURN_IF_ERROR(f.Bytes("reserved", &reserved));
    if (!reserved.empty()) {
      if (reserved.size() != 3 || d.layout != RdpasLayout::kCxl32) {
        return absl::InvalidArgumentError(
            "reserved: 3 hex bytes, cxl32 layout only");
      }
      for (size_t i = 0; i < 3; ++i) d.reserved[i] = reserved[i];
    }
    RESTREE_RETURN_IF_ERROR(f.Bytes("trailing", &d.trailing));
    RESTREE_RETURN_IF_ERROR(f.Done(kind));
    if (d.layout == RdpasLayout::kAcpicaLegacy && d.trailing.size() >= 3) {
      return absl::InvalidArgumentError(
          "rdpas: a legacy record with 3 or more trailing bytes would "
          "decode as the 20-byte layout");
    }
    return Subtable(std::move(d));
  }
  if (kind == "csds") {
    Csds c;
    RESTREE_RETURN_IF_ERROR(f.Num("hdr-reserved", &c.header_reserved));
    RESTREE_RETURN_IF_ERROR(f.Num("capabilities", &c.capabilities));
    RESTREE_RETURN_IF_ERROR(f.Num("reserved", &c.reserved));
    RESTREE_RETURN_IF_ERROR(f.Bytes("trailing", &c.trailing));
    RESTREE_RETURN_IF_ERROR(f.Done(kind));
    return Subtable(std::move(c));
  }
  if (kind == "raw") {
    UnknownSubtable u;
    if (!f.Has("type")) return absl::InvalidArgumentError("raw: type= needed");
    RESTREE_RETURN_IF_ERROR(f.Num("type", &u.type));
    RESTREE_RETURN_IF_ERROR(f.Num("hdr-reserved", &u.header_reserved));
    RESTREE_RETURN_IF_ERROR(f.Bytes("body", &u.body));
    RESTREE_RETURN_IF_ERROR(f.Done(kind));
    if (u.type <= kTypeCsds) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "raw: type %d is a known type; use its own record", u.type));
    }
    return Subtable(std::move(u));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown record '", kind,
      "' (expected cedt, chbs, cfmws, cxims, rdpas, csds or raw)"));
}

absl::Status ParseHeader(Fields& f, TableHeader* h) {
  RESTREE_RETURN_IF_ERROR(f.Num("revision", &h->revision));
  RESTREE_RETURN_IF_ERROR(f.Chars("oem-id", &h->oem_id));
  RESTREE_RETURN_IF_ERROR(f.Chars("oem-table-id", &h->oem_table_id));
  RESTREE_RETURN_IF_ERROR(f.Num("oem-revision", &h->oem_revision));
  RESTREE_RETURN_IF_ERROR(f.Chars("creator-id", &h->creator_id));
  RESTREE_RETURN_IF_ERROR(f.Num("creator-revision", &h->creator_revision));
  return f.Done("cedt");
}

}  // namespace

absl::StatusOr<Cedt> ParseDescription(absl::string_view text) {
  Cedt t;
  t.header.length = 0;
  t.header.checksum = 0;
  bool have_header = false;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    auto err = [&](const absl::Status& s) {
      return absl::InvalidArgumentError(
          absl::StrFormat("line %d: %s", line_no, s.message()));
    };
    if (const size_t hash = line.find('#'); hash != absl::string_view::npos) {
      // A '#' inside a quoted string is part of it.
      size_t quotes = 0;
      for (size_t i = 0; i < hash; ++i) quotes += line[i] == '"';
      if (quotes % 2 == 0) line = line.substr(0, hash);
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    absl::StatusOr<std::vector<std::string>> tokens = Tokenize(line);
    if (!tokens.ok()) return err(tokens.status());
    if (tokens->empty()) continue;
    absl::StatusOr<Fields> fields = Fields::Parse(*tokens);
    if (!fields.ok()) return err(fields.status());
    const std::string& kind = (*tokens)[0];
    if (kind == "cedt") {
      if (have_header)
        return err(absl::InvalidArgumentError("second cedt line"));
      have_header = true;
      absl::Status s = ParseHeader(*fields, &t.header);
      if (!s.ok()) return err(s);
      continue;
    }
    absl::StatusOr<Subtable> s = ParseRecord(kind, *fields);
    if (!s.ok()) return err(s.status());
    t.subtables.push_back(*std::move(s));
  }
  return t;
}

namespace {

struct FormatVisitor {
  std::string* out;

  void HdrReserved(uint8_t r) {
    if (r != 0) absl::StrAppendFormat(out, " hdr-reserved=0x%x", r);
  }
  void Trailing(const std::vector<uint8_t>& t) {
    if (!t.empty()) absl::StrAppend(out, " trailing=", HexBytes(t));
  }

  void operator()(const Chbs& c) {
    absl::StrAppendFormat(out, "chbs uid=0x%x version=%d", c.uid,
                          c.cxl_version);
    if (c.reserved != 0)
      absl::StrAppendFormat(out, " reserved=0x%x", c.reserved);
    absl::StrAppendFormat(out, " base=0x%x length=0x%x", c.base, c.length);
    HdrReserved(c.header_reserved);
    Trailing(c.trailing);
  }
  void operator()(const Cfmws& c) {
    absl::StrAppendFormat(out, "cfmws base=0x%x size=0x%x", c.base_hpa,
                          c.window_size);
    if (std::optional<uint32_t> w = c.ways()) {
      absl::StrAppendFormat(out, " ways=%d", *w);
    } else {
      absl::StrAppendFormat(out, " eniw=%d", c.eniw);
    }
    if (std::optional<uint32_t> g = c.granularity()) {
      absl::StrAppendFormat(out, " granularity=%d", *g);
    } else {
      absl::StrAppendFormat(out, " hbig=%d", c.hbig);
    }
    if (c.arithmetic <= kArithmeticXor) {
      absl::StrAppend(out, " arithmetic=",
                      c.arithmetic == kArithmeticXor ? "xor" : "modulo");
    } else {
      absl::StrAppendFormat(out, " arithmetic=%d", c.arithmetic);
    }
    absl::StrAppendFormat(out, " restrictions=0x%x qtg=%d", c.restrictions,
                          c.qtg_id);
    std::vector<std::string> t;
    for (uint32_t x : c.targets) t.push_back(absl::StrFormat("0x%x", x));
    absl::StrAppend(out, " targets=", absl::StrJoin(t, ","));
    if (c.reserved1 != 0)
      absl::StrAppendFormat(out, " reserved1=0x%x", c.reserved1);
    if (c.reserved2 != 0)
      absl::StrAppendFormat(out, " reserved2=0x%x", c.reserved2);
    HdrReserved(c.header_reserved);
    Trailing(c.trailing);
  }
  void operator()(const Cxims& c) {
    if (std::optional<uint32_t> g = HbigToGranularity(c.hbig)) {
      absl::StrAppendFormat(out, "cxims granularity=%d", *g);
    } else {
      absl::StrAppendFormat(out, "cxims hbig=%d", c.hbig);
    }
    std::vector<std::string> m;
    for (uint64_t x : c.xormaps) m.push_back(absl::StrFormat("0x%x", x));
    absl::StrAppend(out, " xormaps=", absl::StrJoin(m, ","));
    if (c.reserved1 != 0)
      absl::StrAppendFormat(out, " reserved1=0x%x", c.reserved1);
    HdrReserved(c.header_reserved);
    Trailing(c.trailing);
  }
  void operator()(const Rdpas& d) {
    absl::StrAppendFormat(out,
                          "rdpas segment=0x%x bdf=0x%x address=0x%x "
                          "protocol=%d",
                          d.segment, d.bdf, d.address, d.protocol);
    if (d.layout == RdpasLayout::kAcpicaLegacy) {
      absl::StrAppend(out, " layout=legacy");
    } else if (d.reserved != std::array<uint8_t, 3>{}) {
      absl::StrAppend(
          out, " reserved=", HexBytes({d.reserved.begin(), d.reserved.end()}));
    }
    HdrReserved(d.header_reserved);
    Trailing(d.trailing);
  }
  void operator()(const Csds& c) {
    absl::StrAppendFormat(out, "csds capabilities=0x%x", c.capabilities);
    if (c.reserved != 0)
      absl::StrAppendFormat(out, " reserved=0x%x", c.reserved);
    HdrReserved(c.header_reserved);
    Trailing(c.trailing);
  }
  void operator()(const UnknownSubtable& u) {
    absl::StrAppendFormat(out, "raw type=%d", u.type);
    if (!u.body.empty()) absl::StrAppend(out, " body=", HexBytes(u.body));
    HdrReserved(u.header_reserved);
  }
};

}  // namespace

std::string FormatDescription(const Cedt& t) {
  const TableHeader& h = t.header;
  std::string out = absl::StrFormat(
      "cedt revision=%d oem-id=%s oem-table-id=%s oem-revision=%d "
      "creator-id=%s creator-revision=%d\n",
      h.revision, QuoteChars(absl::MakeConstSpan(h.oem_id)),
      QuoteChars(absl::MakeConstSpan(h.oem_table_id)), h.oem_revision,
      QuoteChars(absl::MakeConstSpan(h.creator_id)), h.creator_revision);
  for (const Subtable& s : t.subtables) {
    std::visit(FormatVisitor{&out}, s);
    out += "\n";
  }
  return out;
}

}  // namespace cedt
}  // namespace restree
