#include "cfmws/cedt.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "cfmws/internal/byte_reader.h"

namespace restree {
namespace cedt {

using internal::ByteReader;

std::optional<uint32_t> EniwToWays(uint32_t eniw) {
  if (eniw <= 4) return uint32_t{1} << eniw;
  if (eniw >= 8 && eniw <= 10) return uint32_t{3} << (eniw - 8);
  return std::nullopt;
}

std::optional<uint8_t> WaysToEniw(uint32_t ways) {
  for (uint8_t e = 0; e <= 10; ++e) {
    std::optional<uint32_t> w = EniwToWays(e);
    if (w.has_value() && *w == ways) return e;
  }
  return std::nullopt;
}

std::optional<uint32_t> HbigToGranularity(uint32_t hbig) {
  if (hbig > 6) return std::nullopt;
  return uint32_t{256} << hbig;
}

std::optional<uint32_t> GranularityToHbig(uint32_t bytes) {
  for (uint32_t h = 0; h <= 6; ++h) {
    if ((uint32_t{256} << h) == bytes) return h;
  }
  return std::nullopt;
}

int XorMapsNeeded(uint32_t ways) {
  uint32_t p = ways % 3 == 0 ? ways / 3 : ways;
  int n = 0;
  while (p > 1) {
    p >>= 1;
    ++n;
  }
  return n;
}

namespace {

struct TypeVisitor {
  uint8_t operator()(const Chbs&) const { return kTypeChbs; }
  uint8_t operator()(const Cfmws&) const { return kTypeCfmws; }
  uint8_t operator()(const Cxims&) const { return kTypeCxims; }
  uint8_t operator()(const Rdpas&) const { return kTypeRdpas; }
  uint8_t operator()(const Csds&) const { return kTypeCsds; }
  uint8_t operator()(const UnknownSubtable& u) const { return u.type; }
};

struct LengthVisitor {
  size_t operator()(const Chbs& c) const {
    return kChbsSize + c.trailing.size();
  }
  size_t operator()(const Cfmws& c) const {
    return kCfmwsFixedSize + 4 * c.targets.size() + c.trailing.size();
  }
  size_t operator()(const Cxims& c) const {
    return kCximsFixedSize + 8 * c.xormaps.size() + c.trailing.size();
  }
  size_t operator()(const Rdpas& r) const {
    return (r.layout == RdpasLayout::kCxl32 ? kRdpasSize : kRdpasLegacySize) +
           r.trailing.size();
  }
  size_t operator()(const Csds& c) const {
    return kCsdsSize + c.trailing.size();
  }
  size_t operator()(const UnknownSubtable& u) const {
    return kSubtableHeaderSize + u.body.size();
  }
};

}  // namespace

uint8_t TypeOf(const Subtable& s) { return std::visit(TypeVisitor{}, s); }

std::string TypeName(uint8_t type) {
  switch (type) {
    case kTypeChbs:
      return "CHBS";
    case kTypeCfmws:
      return "CFMWS";
    case kTypeCxims:
      return "CXIMS";
    case kTypeRdpas:
      return "RDPAS";
    case kTypeCsds:
      return "CSDS";
    default:
      return absl::StrCat("type ", static_cast<int>(type));
  }
}

absl::flat_hash_map<uint32_t, size_t> FirstChbsByUid(const Cedt& t) {
  absl::flat_hash_map<uint32_t, size_t> out;
  for (size_t i = 0; i < t.subtables.size(); ++i) {
    if (const Chbs* c = std::get_if<Chbs>(&t.subtables[i])) {
      out.emplace(c->uid, i);  // keeps the first
    }
  }
  return out;
}

size_t RecordLength(const Subtable& s) {
  return std::visit(LengthVisitor{}, s);
}

std::vector<uint64_t> SubtableOffsets(const Cedt& t) {
  std::vector<uint64_t> out;
  out.reserve(t.subtables.size());
  uint64_t off = kHeaderSize;
  for (const Subtable& s : t.subtables) {
    out.push_back(off);
    off += RecordLength(s);
  }
  return out;
}

std::string EscapeChars(absl::Span<const char> chars) {
  std::string out;
  for (char c : chars) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    }
  }
  return out;
}

uint8_t ComputeChecksum(absl::Span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i != 9) sum = static_cast<uint8_t>(sum + bytes[i]);
  }
  return static_cast<uint8_t>(0x100 - sum);
}

// ---------------------------------------------------------------------------
// Decoding

namespace {

// Errors inside one record: "subtable I (TYPE, offset 0xO): message".
class RecordContext {
 public:
  RecordContext(size_t index, uint8_t type, size_t offset)
      : index_(index), type_(type), offset_(offset) {}

  absl::Status Error(absl::StatusCode code, absl::string_view message) const {
    return absl::Status(
        code, absl::StrFormat("subtable %d (%s at offset 0x%x): %s", index_,
                              TypeName(type_), offset_, message));
  }
  // A record shorter than what its type needs at table offset `at`.
  absl::Status Short(size_t record_length, absl::string_view what,
                     size_t needed) const {
    return Error(absl::StatusCode::kOutOfRange,
                 absl::StrFormat("record length %d is too short for %s "
                                 "(needs %d bytes)",
                                 record_length, what, needed));
  }

 private:
  size_t index_;
  uint8_t type_;
  size_t offset_;
};

// Every Read below is inside a record whose length was checked against the
// fixed part first; a failing read still returns an error rather than
// trusting that check.
#define CEDT_READ(reader, call, ctx)                                    \
  do {                                                                  \
    if (!(reader).call) {                                               \
      return (ctx).Error(absl::StatusCode::kOutOfRange,                 \
                         absl::StrFormat("read past the record end at " \
                                         "offset 0x%x",                 \
                                         (reader).offset()));           \
    }                                                                   \
  } while (0)

absl::StatusOr<Subtable> DecodeChbs(ByteReader r, uint8_t hdr_reserved,
                                    const RecordContext& ctx) {
  if (r.size() < kChbsSize) return ctx.Short(r.size(), "a CHBS", kChbsSize);
  Chbs c;
  c.header_reserved = hdr_reserved;
  CEDT_READ(r, Skip(kSubtableHeaderSize), ctx);
  CEDT_READ(r, ReadU32(&c.uid), ctx);
  CEDT_READ(r, ReadU32(&c.cxl_version), ctx);
  CEDT_READ(r, ReadU32(&c.reserved), ctx);
  CEDT_READ(r, ReadU64(&c.base), ctx);
  CEDT_READ(r, ReadU64(&c.length), ctx);
  r.ReadRest(&c.trailing);
  return Subtable(std::move(c));
}

absl::StatusOr<Subtable> DecodeCfmws(ByteReader r, uint8_t hdr_reserved,
                                     const RecordContext& ctx) {
  if (r.size() < kCfmwsFixedSize) {
    return ctx.Short(r.size(), "a CFMWS", kCfmwsFixedSize);
  }
  Cfmws c;
  c.header_reserved = hdr_reserved;
  CEDT_READ(r, Skip(kSubtableHeaderSize), ctx);
  CEDT_READ(r, ReadU32(&c.reserved1), ctx);
  CEDT_READ(r, ReadU64(&c.base_hpa), ctx);
  CEDT_READ(r, ReadU64(&c.window_size), ctx);
  CEDT_READ(r, ReadU8(&c.eniw), ctx);
  CEDT_READ(r, ReadU8(&c.arithmetic), ctx);
  CEDT_READ(r, ReadU16(&c.reserved2), ctx);
  CEDT_READ(r, ReadU32(&c.hbig), ctx);
  CEDT_READ(r, ReadU16(&c.restrictions), ctx);
  CEDT_READ(r, ReadU16(&c.qtg_id), ctx);
  size_t count = r.remaining() / 4;
  if (std::optional<uint32_t> ways = EniwToWays(c.eniw)) {
    if (r.remaining() / 4 < *ways) {
      return ctx.Error(
          absl::StatusCode::kOutOfRange,
          absl::StrFormat("record length %d cannot hold the %d interleave "
                          "targets that Interleave Members %d announces "
                          "(needs %d bytes)",
                          r.size(), *ways, c.eniw,
                          kCfmwsFixedSize + 4 * size_t{*ways}));
    }
    count = *ways;
  }
  c.targets.resize(count);
  for (uint32_t& t : c.targets) CEDT_READ(r, ReadU32(&t), ctx);
  r.ReadRest(&c.trailing);
  return Subtable(std::move(c));
}

absl::StatusOr<Subtable> DecodeCxims(ByteReader r, uint8_t hdr_reserved,
                                     const RecordContext& ctx) {
  if (r.size() < kCximsFixedSize) {
    return ctx.Short(r.size(), "a CXIMS", kCximsFixedSize);
  }
  Cxims c;
  c.header_reserved = hdr_reserved;
  uint8_t count = 0;
  CEDT_READ(r, Skip(kSubtableHeaderSize), ctx);
  CEDT_READ(r, ReadU16(&c.reserved1), ctx);
  CEDT_READ(r, ReadU8(&c.hbig), ctx);
  CEDT_READ(r, ReadU8(&count), ctx);
  if (r.remaining() / 8 < count) {
    return ctx.Error(
        absl::StatusCode::kOutOfRange,
        absl::StrFormat("record length %d cannot hold the %d XOR maps that "
                        "Xormap List Count announces (needs %d bytes)",
                        r.size(), count, kCximsFixedSize + 8 * size_t{count}));
  }
  c.xormaps.resize(count);
  for (uint64_t& m : c.xormaps) CEDT_READ(r, ReadU64(&m), ctx);
  r.ReadRest(&c.trailing);
  return Subtable(std::move(c));
}

absl::StatusOr<Subtable> DecodeRdpas(ByteReader r, uint8_t hdr_reserved,
                                     const RecordContext& ctx) {
  if (r.size() < kRdpasLegacySize) {
    return ctx.Short(r.size(), "an RDPAS", kRdpasLegacySize);
  }
  Rdpas d;
  d.header_reserved = hdr_reserved;
  CEDT_READ(r, Skip(kSubtableHeaderSize), ctx);
  CEDT_READ(r, ReadU16(&d.segment), ctx);
  CEDT_READ(r, ReadU16(&d.bdf), ctx);
  if (r.size() >= kRdpasSize) {
    d.layout = RdpasLayout::kCxl32;
    CEDT_READ(r, ReadU64(&d.address), ctx);
    CEDT_READ(r, ReadU8(&d.protocol), ctx);
    CEDT_READ(r, ReadBytes(3, d.reserved.data()), ctx);
  } else {
    d.layout = RdpasLayout::kAcpicaLegacy;
    CEDT_READ(r, ReadU8(&d.protocol), ctx);
    CEDT_READ(r, ReadU64(&d.address), ctx);
  }
  r.ReadRest(&d.trailing);
  return Subtable(std::move(d));
}

absl::StatusOr<Subtable> DecodeCsds(ByteReader r, uint8_t hdr_reserved,
                                    const RecordContext& ctx) {
  if (r.size() < kCsdsSize) return ctx.Short(r.size(), "a CSDS", kCsdsSize);
  Csds c;
  c.header_reserved = hdr_reserved;
  CEDT_READ(r, Skip(kSubtableHeaderSize), ctx);
  CEDT_READ(r, ReadU16(&c.capabilities), ctx);
  CEDT_READ(r, ReadU16(&c.reserved), ctx);
  r.ReadRest(&c.trailing);
  return Subtable(std::move(c));
}

#undef CEDT_READ

template <size_t N>
bool ReadChars(ByteReader& r, std::array<char, N>* out) {
  uint8_t buf[N];
  if (!r.ReadBytes(N, buf)) return false;
  std::memcpy(out->data(), buf, N);
  return true;
}

}  // namespace

absl::StatusOr<Cedt> DecodeCedt(absl::string_view bytes) {
  return DecodeCedt(absl::Span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

// Whether `bytes` look like text (an `iasl -d` disassembly, acpidump's hex
// dump, which starts "CEDT @ 0x...") rather than a binary table: only
// printable characters and white space in the first 512 bytes. A binary
// CEDT never is: its Length (bytes 4-7, little-endian, at most 64 KiB for
// any real table) has a NUL in its high bytes.
bool LooksLikeText(absl::Span<const uint8_t> bytes) {
  // Shorter than a header: "fewer than the header" says enough.
  if (bytes.size() < kHeaderSize) return false;
  const absl::Span<const uint8_t> head = bytes.subspan(0, 512);
  return std::all_of(head.begin(), head.end(), [](uint8_t c) {
    return absl::ascii_isprint(c) || absl::ascii_isspace(c);
  });
}

absl::StatusOr<Cedt> DecodeCedt(absl::Span<const uint8_t> bytes) {
  if (LooksLikeText(bytes)) {
    return absl::InvalidArgumentError(
        "this is text, not the binary CEDT (iasl or acpidump output?): give "
        "the binary table, /sys/firmware/acpi/tables/CEDT, or one written by "
        "`acpidump -n CEDT -b` or `acpixtract -s CEDT acpidump.out`");
  }
  if (bytes.size() < kHeaderSize) {
    return absl::OutOfRangeError(absl::StrFormat(
        "table header: %d bytes given, fewer than the %d-byte ACPI table "
        "header",
        bytes.size(), kHeaderSize));
  }
  Cedt t;
  ByteReader h(bytes.subspan(0, kHeaderSize));
  TableHeader& hd = t.header;
  // The header fits (checked above), so these reads cannot fail; they are
  // checked anyway, as every read is.
  if (!ReadChars(h, &hd.signature) || !h.ReadU32(&hd.length) ||
      !h.ReadU8(&hd.revision) || !h.ReadU8(&hd.checksum) ||
      !ReadChars(h, &hd.oem_id) || !ReadChars(h, &hd.oem_table_id) ||
      !h.ReadU32(&hd.oem_revision) || !ReadChars(h, &hd.creator_id) ||
      !h.ReadU32(&hd.creator_revision)) {
    return absl::InternalError("table header: read failed inside 36 bytes");
  }
  if (std::memcmp(hd.signature.data(), "CEDT", 4) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "table header at offset 0x0: signature \"%s\" is not \"CEDT\"",
        EscapeChars(absl::MakeConstSpan(hd.signature))));
  }
  if (hd.length < kHeaderSize) {
    return absl::OutOfRangeError(absl::StrFormat(
        "table header at offset 0x4: Table Length %d is shorter than the "
        "%d-byte header",
        hd.length, kHeaderSize));
  }
  if (hd.length > bytes.size()) {
    return absl::OutOfRangeError(absl::StrFormat(
        "table header at offset 0x4: Table Length %d points past the %d "
        "bytes given (truncated table?)",
        hd.length, bytes.size()));
  }
  t.ignored_trailing_bytes = bytes.size() - hd.length;

  ByteReader body(bytes.subspan(kHeaderSize, hd.length - kHeaderSize),
                  kHeaderSize);
  size_t index = 0;
  while (body.remaining() > 0) {
    const size_t offset = body.offset();
    uint8_t type = 0;
    uint8_t reserved = 0;
    uint16_t length = 0;
    ByteReader peek = body;
    if (!peek.ReadU8(&type) || !peek.ReadU8(&reserved) ||
        !peek.ReadU16(&length)) {
      return absl::OutOfRangeError(absl::StrFormat(
          "subtable %d at offset 0x%x: only %d bytes remain before the table "
          "end (0x%x), fewer than a 4-byte subtable header",
          index, offset, body.remaining(), hd.length));
    }
    RecordContext ctx(index, type, offset);
    if (length == 0) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       "record length is 0 (a zero-length record would never "
                       "advance)");
    }
    if (length < kSubtableHeaderSize) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrFormat("record length %d is shorter than the "
                                       "4-byte subtable header",
                                       length));
    }
    ByteReader rec;
    if (!body.Sub(length, &rec)) {
      return ctx.Error(
          absl::StatusCode::kOutOfRange,
          absl::StrFormat("record length %d reaches offset 0x%x, past the "
                          "table end (0x%x)",
                          length, offset + length, hd.length));
    }
    absl::StatusOr<Subtable> s;
    switch (type) {
      case kTypeChbs:
        s = DecodeChbs(rec, reserved, ctx);
        break;
      case kTypeCfmws:
        s = DecodeCfmws(rec, reserved, ctx);
        break;
      case kTypeCxims:
        s = DecodeCxims(rec, reserved, ctx);
        break;
      case kTypeRdpas:
        s = DecodeRdpas(rec, reserved, ctx);
        break;
      case kTypeCsds:
        s = DecodeCsds(rec, reserved, ctx);
        break;
      default: {
        UnknownSubtable u;
        u.type = type;
        u.header_reserved = reserved;
        if (!rec.Skip(kSubtableHeaderSize)) {
          return ctx.Error(absl::StatusCode::kOutOfRange,
                           "record shorter than its header");
        }
        rec.ReadRest(&u.body);
        s = Subtable(std::move(u));
        break;
      }
    }
    if (!s.ok()) return s.status();
    t.subtables.push_back(*std::move(s));
    ++index;
  }
  return t;
}

// ---------------------------------------------------------------------------
// Encoding

namespace {

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void Bytes(absl::Span<const uint8_t> b) {
    out_.insert(out_.end(), b.begin(), b.end());
  }
  template <size_t N>
  void Chars(const std::array<char, N>& a) {
    for (char c : a) out_.push_back(static_cast<uint8_t>(c));
  }
  std::vector<uint8_t>& out() { return out_; }

 private:
  void Le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i)
      out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

absl::Status EncodeError(size_t index, uint8_t type, absl::string_view msg) {
  return absl::InvalidArgumentError(
      absl::StrFormat("subtable %d (%s): %s", index, TypeName(type), msg));
}

struct EncodeVisitor {
  Writer* w;
  size_t index;

  void Header(uint8_t type, uint8_t reserved, size_t length) {
    w->U8(type);
    w->U8(reserved);
    w->U16(static_cast<uint16_t>(length));
  }

  absl::Status operator()(const Chbs& c) {
    Header(kTypeChbs, c.header_reserved, RecordLength(c));
    w->U32(c.uid);
    w->U32(c.cxl_version);
    w->U32(c.reserved);
    w->U64(c.base);
    w->U64(c.length);
    w->Bytes(c.trailing);
    return absl::OkStatus();
  }
  absl::Status operator()(const Cfmws& c) {
    if (std::optional<uint32_t> ways = c.ways()) {
      if (c.targets.size() != *ways) {
        return EncodeError(
            index, kTypeCfmws,
            absl::StrFormat("Interleave Members %d means %d targets, but %d "
                            "are given",
                            c.eniw, *ways, c.targets.size()));
      }
    } else if (c.trailing.size() >= 4) {
      return EncodeError(index, kTypeCfmws,
                         "with an invalid Interleave Members value, 4 or more "
                         "trailing bytes would decode as targets");
    }
    Header(kTypeCfmws, c.header_reserved, RecordLength(c));
    w->U32(c.reserved1);
    w->U64(c.base_hpa);
    w->U64(c.window_size);
    w->U8(c.eniw);
    w->U8(c.arithmetic);
    w->U16(c.reserved2);
    w->U32(c.hbig);
    w->U16(c.restrictions);
    w->U16(c.qtg_id);
    for (uint32_t t : c.targets) w->U32(t);
    w->Bytes(c.trailing);
    return absl::OkStatus();
  }
  absl::Status operator()(const Cxims& c) {
    if (c.xormaps.size() > 255) {
      return EncodeError(index, kTypeCxims,
                         absl::StrFormat("%d XOR maps do not fit the one-byte "
                                         "count",
                                         c.xormaps.size()));
    }
    Header(kTypeCxims, c.header_reserved, RecordLength(c));
    w->U16(c.reserved1);
    w->U8(c.hbig);
    w->U8(static_cast<uint8_t>(c.xormaps.size()));
    for (uint64_t m : c.xormaps) w->U64(m);
    w->Bytes(c.trailing);
    return absl::OkStatus();
  }
  absl::Status operator()(const Rdpas& d) {
    if (d.layout == RdpasLayout::kAcpicaLegacy && d.trailing.size() >= 3) {
      return EncodeError(index, kTypeRdpas,
                         "a legacy 17-byte RDPAS with 3 or more trailing "
                         "bytes would decode as the 20-byte layout");
    }
    Header(kTypeRdpas, d.header_reserved, RecordLength(d));
    w->U16(d.segment);
    w->U16(d.bdf);
    if (d.layout == RdpasLayout::kCxl32) {
      w->U64(d.address);
      w->U8(d.protocol);
      w->Bytes(d.reserved);
    } else {
      w->U8(d.protocol);
      w->U64(d.address);
    }
    w->Bytes(d.trailing);
    return absl::OkStatus();
  }
  absl::Status operator()(const Csds& c) {
    Header(kTypeCsds, c.header_reserved, RecordLength(c));
    w->U16(c.capabilities);
    w->U16(c.reserved);
    w->Bytes(c.trailing);
    return absl::OkStatus();
  }
  absl::Status operator()(const UnknownSubtable& u) {
    if (u.type <= kTypeCsds) {
      return EncodeError(index, u.type,
                         "an unknown subtable cannot carry a known type");
    }
    Header(u.type, u.header_reserved, RecordLength(u));
    w->Bytes(u.body);
    return absl::OkStatus();
  }
};

}  // namespace

absl::StatusOr<std::vector<uint8_t>> EncodeCedt(const Cedt& t,
                                                const EncodeOptions& options) {
  if (std::memcmp(t.header.signature.data(), "CEDT", 4) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("table header: signature \"%s\" is not \"CEDT\"",
                        EscapeChars(absl::MakeConstSpan(t.header.signature))));
  }
  uint64_t total = kHeaderSize;
  for (size_t i = 0; i < t.subtables.size(); ++i) {
    const size_t len = RecordLength(t.subtables[i]);
    if (len > 0xffff) {
      return EncodeError(
          i, TypeOf(t.subtables[i]),
          absl::StrFormat("record length %d exceeds 0xffff", len));
    }
    total += len;
  }
  if (total > 0xffffffffu) {
    return absl::OutOfRangeError(absl::StrFormat(
        "table length %d exceeds the 32-bit Length field", total));
  }
  Writer w;
  w.out().reserve(static_cast<size_t>(total));
  const TableHeader& h = t.header;
  w.Chars(h.signature);
  w.U32(options.compute_length ? static_cast<uint32_t>(total) : h.length);
  w.U8(h.revision);
  w.U8(h.checksum);
  w.Chars(h.oem_id);
  w.Chars(h.oem_table_id);
  w.U32(h.oem_revision);
  w.Chars(h.creator_id);
  w.U32(h.creator_revision);
  for (size_t i = 0; i < t.subtables.size(); ++i) {
    RESTREE_RETURN_IF_ERROR(std::visit(EncodeVisitor{&w, i}, t.subtables[i]));
  }
  std::vector<uint8_t> out = std::move(w.out());
  if (options.compute_checksum) out[9] = ComputeChecksum(out);
  return out;
}

}  // namespace cedt
}  // namespace restree
