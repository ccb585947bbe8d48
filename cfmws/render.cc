#include "cfmws/render.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/byte_size.h"
#include "base/json_writer.h"
#include "resource_tree/render.h"

namespace restree {
namespace cedt {

std::string RestrictionNames(uint16_t r) {
  static const std::pair<uint16_t, const char*> kNames[] = {
      {restriction::kDevMem, "DEVMEM"},
      {restriction::kHostOnlyMem, "HOSTONLYMEM"},
      {restriction::kVolatile, "VOLATILE"},
      {restriction::kPmem, "PMEM"},
      {restriction::kFixed, "FIXED"},
      {restriction::kBackInvalidate, "BI"}};
  std::vector<std::string> parts;
  for (const auto& [bit, name] : kNames) {
    if (r & bit) parts.push_back(name);
  }
  if (r & ~restriction::kDefined) {
    parts.push_back(absl::StrFormat("0x%x", r & ~restriction::kDefined));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, "|");
}

namespace {

std::string HexValue(uint64_t v, uint64_t bytes) {
  return absl::StrFormat("%0*X", static_cast<int>(2 * bytes), v);
}

std::string Quoted(absl::Span<const char> chars) {
  std::string s = "\"";
  for (char c : chars) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      s.push_back(c);
    } else {
      absl::StrAppendFormat(&s, "\\x%02X", u);
    }
  }
  return s + "\"";
}

std::string SpacedHex(const std::vector<uint8_t>& b) {
  std::vector<std::string> parts;
  for (uint8_t x : b) parts.push_back(absl::StrFormat("%02X", x));
  return absl::StrJoin(parts, " ");
}

std::string TypeDescription(uint8_t type) {
  switch (type) {
    case kTypeChbs:
      return "CXL Host Bridge Structure";
    case kTypeCfmws:
      return "CXL Fixed Memory Window Structure";
    case kTypeCxims:
      return "CXL XOR Interleave Math Structure";
    case kTypeRdpas:
      return "RCEC Downstream Port Association Structure";
    case kTypeCsds:
      return "CXL System Description Structure";
    default:
      return "Unknown Subtable Type";
  }
}

class Lister {
 public:
  Lister(std::vector<FieldLine>* out, int subtable, uint64_t offset)
      : out_(out), subtable_(subtable), at_(offset) {}

  void Num(absl::string_view name, uint64_t v, uint64_t bytes,
           std::string note = "") {
    out_->push_back({at_, bytes, std::string(name), HexValue(v, bytes),
                     std::move(note), subtable_});
    at_ += bytes;
  }
  void Str(absl::string_view name, absl::Span<const char> chars,
           std::string note = "") {
    out_->push_back({at_, chars.size(), std::string(name), Quoted(chars),
                     std::move(note), subtable_});
    at_ += chars.size();
  }
  void Bytes(absl::string_view name, const std::vector<uint8_t>& b) {
    if (b.empty()) return;
    out_->push_back(
        {at_, b.size(), std::string(name), SpacedHex(b), "", subtable_});
    at_ += b.size();
  }

 private:
  std::vector<FieldLine>* out_;
  int subtable_;
  uint64_t at_;
};

struct ListVisitor {
  Lister& l;

  void operator()(const Chbs& c) {
    l.Num("Associated host bridge", c.uid, 4);
    std::string v = c.cxl_version == kChbsVersionCxl11   ? "[CXL 1.1]"
                    : c.cxl_version == kChbsVersionCxl20 ? "[CXL 2.0]"
                                                         : "[unknown]";
    l.Num("Specification version", c.cxl_version, 4, v);
    l.Num("Reserved", c.reserved, 4);
    l.Num("Register base", c.base, 8);
    l.Num("Register length", c.length, 8,
          absl::StrCat("[", ::restree::HumanSize(c.length), "]"));
    l.Bytes("Trailing bytes", c.trailing);
  }
  void operator()(const Cfmws& c) {
    l.Num("Reserved", c.reserved1, 4);
    l.Num("Window base address", c.base_hpa, 8);
    l.Num("Window size", c.window_size, 8,
          absl::StrCat("[", ::restree::HumanSize(c.window_size), "]"));
    std::optional<uint32_t> w = c.ways();
    l.Num("Interleave Members", c.eniw, 1,
          w.has_value() ? absl::StrFormat("[%d way%s]", *w, *w == 1 ? "" : "s")
                        : "[invalid]");
    l.Num("Interleave Arithmetic", c.arithmetic, 1,
          c.arithmetic == kArithmeticModulo ? "[modulo]"
          : c.arithmetic == kArithmeticXor  ? "[modulo + XOR]"
                                            : "[invalid]");
    l.Num("Reserved", c.reserved2, 2);
    std::optional<uint32_t> g = c.granularity();
    l.Num("Granularity", c.hbig, 4,
          g.has_value() ? absl::StrCat("[", ::restree::HumanSize(*g), "]")
                        : "[invalid]");
    l.Num("Restrictions", c.restrictions, 2,
          absl::StrCat("[", RestrictionNames(c.restrictions), "]"));
    l.Num("QtgId", c.qtg_id, 2);
    for (size_t i = 0; i < c.targets.size(); ++i) {
      l.Num(i == 0 ? "First Target" : "Next Target", c.targets[i], 4);
    }
    l.Bytes("Trailing bytes", c.trailing);
  }
  void operator()(const Cxims& c) {
    l.Num("Reserved", c.reserved1, 2);
    std::optional<uint32_t> g = HbigToGranularity(c.hbig);
    l.Num("Interleave Granularity", c.hbig, 1,
          g.has_value() ? absl::StrCat("[", ::restree::HumanSize(*g), "]")
                        : "[invalid]");
    l.Num("Xormap List Count", c.xormaps.size(), 1);
    for (size_t i = 0; i < c.xormaps.size(); ++i) {
      l.Num(i == 0 ? "First Xormap" : "Next Xormap", c.xormaps[i], 8);
    }
    l.Bytes("Trailing bytes", c.trailing);
  }
  void operator()(const Rdpas& d) {
    l.Num("PCI Segment", d.segment, 2);
    l.Num("PCI BDF", d.bdf, 2,
          absl::StrFormat("[%02x:%02x.%x]", d.bdf >> 8, (d.bdf >> 3) & 0x1f,
                          d.bdf & 7));
    const std::string proto = d.protocol == 0   ? "[CXL.io]"
                              : d.protocol == 1 ? "[CXL.cachemem]"
                                                : "[invalid]";
    if (d.layout == RdpasLayout::kCxl32) {
      l.Num("RCRB Base Address", d.address, 8);
      l.Num("Protocol", d.protocol, 1, proto);
      l.Num("Reserved",
            uint64_t{d.reserved[0]} | uint64_t{d.reserved[1]} << 8 |
                uint64_t{d.reserved[2]} << 16,
            3);
    } else {
      l.Num("Protocol", d.protocol, 1, proto);
      l.Num("RCRB Base Address", d.address, 8, "[ACPICA legacy layout]");
    }
    l.Bytes("Trailing bytes", d.trailing);
  }
  void operator()(const Csds& c) {
    l.Num("Capabilities", c.capabilities, 2);
    l.Num("Reserved", c.reserved, 2);
    l.Bytes("Trailing bytes", c.trailing);
  }
  void operator()(const UnknownSubtable& u) { l.Bytes("Raw data", u.body); }
};

}  // namespace

std::vector<FieldLine> ListFields(const Cedt& t) {
  std::vector<FieldLine> out;
  const TableHeader& h = t.header;
  Lister l(&out, -1, 0);
  l.Str("Signature", absl::MakeConstSpan(h.signature),
        "[CXL Early Discovery Table]");
  l.Num("Table Length", h.length, 4);
  l.Num("Revision", h.revision, 1);
  l.Num("Checksum", h.checksum, 1);
  l.Str("Oem ID", absl::MakeConstSpan(h.oem_id));
  l.Str("Oem Table ID", absl::MakeConstSpan(h.oem_table_id));
  l.Num("Oem Revision", h.oem_revision, 4);
  l.Str("Asl Compiler ID", absl::MakeConstSpan(h.creator_id));
  l.Num("Asl Compiler Revision", h.creator_revision, 4);
  const std::vector<uint64_t> offsets = SubtableOffsets(t);
  for (size_t i = 0; i < t.subtables.size(); ++i) {
    const Subtable& s = t.subtables[i];
    const uint8_t type = TypeOf(s);
    Lister sl(&out, static_cast<int>(i), offsets[i]);
    sl.Num("Subtable Type", type, 1,
           absl::StrCat("[", TypeDescription(type), "]"));
    uint8_t reserved = 0;
    std::visit([&](const auto& x) { reserved = x.header_reserved; }, s);
    sl.Num("Reserved", reserved, 1);
    sl.Num("Length", RecordLength(s), 2);
    std::visit(ListVisitor{sl}, s);
  }
  return out;
}

std::string FormatFieldLine(const FieldLine& f) {
  std::string s = absl::StrFormat("[%03Xh %04d %03Xh] %27s : %s", f.offset,
                                  f.offset, f.length, f.name, f.value);
  // iasl puts four spaces before the signature's note, one elsewhere.
  if (!f.note.empty()) {
    absl::StrAppend(&s, f.name == "Signature" ? "    " : " ", f.note);
  }
  return s;
}

std::string RenderHuman(const Cedt& t) {
  std::string out;
  int last = -1;
  for (const FieldLine& f : ListFields(t)) {
    if (f.subtable != last && !out.empty()) {
      out += "\n";
      last = f.subtable;
    }
    absl::StrAppend(&out, FormatFieldLine(f), "\n");
  }
  return out;
}

namespace {

void FindingsArray(JsonWriter& w, const std::vector<Finding>& findings) {
  w.BeginArray();
  for (const Finding& f : findings) {
    w.BeginObject();
    w.Key("severity").String(SeverityName(f.severity));
    w.Key("code").String(f.code);
    if (f.subtable >= 0) {
      w.Key("subtable").Int(f.subtable);
    } else {
      w.Key("subtable").Null();
    }
    w.Key("offset").Uint(f.offset);
    w.Key("message").String(f.message);
    w.EndObject();
  }
  w.EndArray();
}

void Trailing(JsonWriter& w, const std::vector<uint8_t>& t) {
  if (t.empty()) return;
  w.Key("trailing")
      .String(absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(t.data()), t.size())));
}

// The CFMWS Interleave Arithmetic field as restree.cedt-hpa/1 names it;
// a reserved value as "reserved-N".
std::string ArithmeticName(uint8_t a) {
  if (a == kArithmeticModulo) return "modulo";
  if (a == kArithmeticXor) return "xor";
  return absl::StrCat("reserved-", a);
}

struct JsonVisitor {
  JsonWriter& w;

  void operator()(const Chbs& c) {
    w.Key("uid").Uint(c.uid);
    w.Key("cxl_version").Uint(c.cxl_version);
    w.Key("base").Hex(c.base);
    w.Key("register_length").Uint(c.length);
    Trailing(w, c.trailing);
  }
  void operator()(const Cfmws& c) {
    w.Key("base").Hex(c.base_hpa);
    w.Key("size").Uint(c.window_size);
    w.Key("eniw").Uint(c.eniw);
    if (std::optional<uint32_t> ways = c.ways()) {
      w.Key("ways").Uint(*ways);
    } else {
      w.Key("ways").Null();
    }
    w.Key("arithmetic").String(ArithmeticName(c.arithmetic));
    w.Key("hbig").Uint(c.hbig);
    if (std::optional<uint32_t> g = c.granularity()) {
      w.Key("granularity").Uint(*g);
    } else {
      w.Key("granularity").Null();
    }
    w.Key("restrictions").Uint(c.restrictions);
    w.Key("restriction_names").String(RestrictionNames(c.restrictions));
    w.Key("qtg_id").Uint(c.qtg_id);
    w.Key("targets").BeginArray();
    for (uint32_t t : c.targets) w.Uint(t);
    w.EndArray();
    Trailing(w, c.trailing);
  }
  void operator()(const Cxims& c) {
    w.Key("hbig").Uint(c.hbig);
    if (std::optional<uint32_t> g = HbigToGranularity(c.hbig)) {
      w.Key("granularity").Uint(*g);
    } else {
      w.Key("granularity").Null();
    }
    w.Key("xormaps").BeginArray();
    for (uint64_t m : c.xormaps) w.Hex(m);
    w.EndArray();
    Trailing(w, c.trailing);
  }
  void operator()(const Rdpas& d) {
    w.Key("layout").String(d.layout == RdpasLayout::kCxl32 ? "cxl32"
                                                           : "legacy");
    w.Key("segment").Uint(d.segment);
    w.Key("bdf").Uint(d.bdf);
    w.Key("address").Hex(d.address);
    w.Key("protocol").Uint(d.protocol);
    Trailing(w, d.trailing);
  }
  void operator()(const Csds& c) {
    w.Key("capabilities").Uint(c.capabilities);
    Trailing(w, c.trailing);
  }
  void operator()(const UnknownSubtable& u) { Trailing(w, u.body); }
};

std::string Chars(absl::Span<const char> c) {
  return std::string(c.begin(), c.end());
}

}  // namespace

std::string CedtToJson(const Cedt& t, const std::vector<Finding>& findings) {
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String("restree.cedt/1");
  const TableHeader& h = t.header;
  w.Key("table").BeginObject();
  w.Key("signature").String(Chars(h.signature));
  w.Key("length").Uint(h.length);
  w.Key("revision").Uint(h.revision);
  w.Key("checksum").Uint(h.checksum);
  w.Key("oem_id").String(Chars(h.oem_id));
  w.Key("oem_table_id").String(Chars(h.oem_table_id));
  w.Key("oem_revision").Uint(h.oem_revision);
  w.Key("creator_id").String(Chars(h.creator_id));
  w.Key("creator_revision").Uint(h.creator_revision);
  w.EndObject();
  const std::vector<uint64_t> offsets = SubtableOffsets(t);
  w.Key("subtables").BeginArray();
  for (size_t i = 0; i < t.subtables.size(); ++i) {
    const Subtable& s = t.subtables[i];
    w.BeginObject();
    w.Key("index").Uint(i);
    w.Key("offset").Uint(offsets[i]);
    w.Key("type").Uint(TypeOf(s));
    w.Key("type_name").String(TypeName(TypeOf(s)));
    w.Key("length").Uint(RecordLength(s));
    std::visit(JsonVisitor{w}, s);
    w.EndObject();
  }
  w.EndArray();
  w.Key("findings");
  FindingsArray(w, findings);
  w.EndObject();
  return std::move(w).Finish();
}

std::string FindingsToJson(const std::vector<Finding>& findings) {
  int counts[3] = {0, 0, 0};
  for (const Finding& f : findings) ++counts[static_cast<int>(f.severity)];
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String("restree.cedt-validate/1");
  w.Key("findings");
  FindingsArray(w, findings);
  w.Key("errors").Int(counts[0]);
  w.Key("warnings").Int(counts[1]);
  w.Key("infos").Int(counts[2]);
  w.EndObject();
  return std::move(w).Finish();
}

std::vector<HpaMatch> MatchHpa(const Cedt& t, const WindowIndex& index,
                               uint64_t hpa) {
  const auto chbs_of = FirstChbsByUid(t);
  std::vector<HpaMatch> matches;
  for (const WindowIndex::Entry* e : index.Find(hpa)) {
    absl::StatusOr<TargetAddress> target = e->map.ToTarget(hpa);
    if (!target.ok()) continue;  // malformed XOR maps moved it out
    HpaMatch m{e->subtable_index, e->map.geometry(), *target, -1};
    if (auto c = chbs_of.find(target->target_uid); c != chbs_of.end()) {
      m.chbs_index = static_cast<int>(c->second);
    }
    matches.push_back(std::move(m));
  }
  return matches;
}

void WriteHpaWindows(JsonWriter& w, const std::vector<HpaMatch>& matches) {
  w.BeginArray();
  for (const HpaMatch& m : matches) {
    const WindowGeometry& g = m.geometry;
    w.BeginObject();
    w.Key("subtable").Uint(m.subtable_index);
    w.Key("base").Hex(g.base);
    w.Key("size").Uint(g.size);
    w.Key("ways").Uint(g.ways);
    w.Key("granularity").Uint(g.granularity);
    w.Key("arithmetic")
        .String(g.arithmetic == Arithmetic::kXor ? "xor" : "modulo");
    w.Key("position").Uint(m.target.position);
    w.Key("target_uid").Uint(m.target.target_uid);
    w.Key("target_offset").Uint(m.target.target_offset);
    if (m.chbs_index >= 0) {
      w.Key("chbs").Int(m.chbs_index);
    } else {
      w.Key("chbs").Null();
    }
    w.EndObject();
  }
  w.EndArray();
}

std::string HpaToJson(uint64_t hpa, const std::vector<HpaMatch>& matches,
                      const std::vector<WindowIndex::Skipped>& skipped) {
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String("restree.cedt-hpa/1");
  w.Key("address").Hex(hpa);
  w.Key("windows");
  WriteHpaWindows(w, matches);
  w.Key("skipped").BeginArray();
  for (const WindowIndex::Skipped& s : skipped) {
    w.BeginObject();
    w.Key("subtable").Uint(s.subtable_index);
    w.Key("reason").String(s.reason);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::move(w).Finish();
}

std::string HpaToText(uint64_t hpa, const std::vector<HpaMatch>& matches,
                      const std::vector<WindowIndex::Skipped>& skipped) {
  std::string out;
  if (matches.empty()) {
    absl::StrAppendFormat(&out, "0x%x is in no usable CXL window\n", hpa);
  }
  for (const HpaMatch& m : matches) {
    const WindowGeometry& g = m.geometry;
    absl::StrAppendFormat(
        &out,
        "0x%x: CFMWS (subtable %d) [0x%x-0x%x], %d-way %s, granularity %d\n"
        "  position %d -> host bridge UID 0x%X%s, offset 0x%x in its share\n",
        hpa, m.subtable_index, g.base, g.base + (g.size - 1), g.ways,
        g.arithmetic == Arithmetic::kXor ? "XOR" : "modulo", g.granularity,
        m.target.position, m.target.target_uid,
        m.chbs_index >= 0
            ? absl::StrFormat(" (CHBS, subtable %d)", m.chbs_index)
            : " (no CHBS names it)",
        m.target.target_offset);
  }
  for (const WindowIndex::Skipped& s : skipped) {
    absl::StrAppendFormat(&out, "note: subtable %d not searched: %s\n",
                          s.subtable_index, s.reason);
  }
  return out;
}

std::string PlanToJson(const PlanResult& plan, const ResourceTree& tree) {
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String("restree.cedt-plan/1");
  w.Key("mode").String(plan.mode == PlanMode::kLinux ? "linux" : "chunked");
  w.Key("windows").BeginArray();
  for (const WindowPlan& p : plan.windows) {
    w.BeginObject();
    w.Key("subtable").Uint(p.subtable_index);
    w.Key("base").Hex(p.base);
    w.Key("size").Uint(p.size);
    if (p.window_id.has_value()) {
      w.Key("name").String(absl::StrCat("CXL Window ", *p.window_id));
    } else {
      w.Key("name").Null();
    }
    w.Key("fate").String(WindowFateName(p.fate));
    w.Key("reason").String(p.reason);
    if (p.range.has_value()) {
      w.Key("range").BeginArray().Hex(p.range->first()).Hex(p.range->last());
      w.EndArray();
    } else {
      w.Key("range").Null();
    }
    w.Key("expanded_over").BeginArray();
    for (const std::string& o : p.expanded_over) w.String(o);
    w.EndArray();
    if (p.trimmed_from.has_value()) {
      w.Key("trimmed_from").BeginArray();
      w.Hex(p.trimmed_from->first()).Hex(p.trimmed_from->last());
      w.EndArray();
    } else {
      w.Key("trimmed_from").Null();
    }
    w.Key("root_decoder").String(p.decoder);
    if (plan.mode == PlanMode::kChunked) {
      w.Key("chunk_size").Uint(p.chunk_size);
      w.Key("chunks_reserved").Uint(p.chunks_reserved);
      w.Key("chunks_left").BeginArray();
      for (const WindowPlan::LeftChunks& c : p.chunks_left) {
        w.BeginObject();
        w.Key("first_chunk").Uint(c.first_chunk);
        w.Key("last_chunk").Uint(c.last_chunk);
        w.Key("range").BeginArray().Hex(c.range.first()).Hex(c.range.last());
        w.EndArray();
        w.Key("why").String(c.why);
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("iomem").String(RenderProcIomem(tree));
  w.EndObject();
  return std::move(w).Finish();
}

}  // namespace cedt
}  // namespace restree
