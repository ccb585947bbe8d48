// File: cedt.h
// -----------------------------------------------------------------------------
//
// The ACPI CXL Early Discovery Table (CEDT): an in-memory model of every byte
// of the table, a decoder from the raw table (`/sys/firmware/acpi/tables/CEDT`
// or `acpidump -b` output) and an encoder back to bytes.
//
// Layouts (docs/cedt.md has the full tables and their sources):
//   header   36 bytes, the standard ACPI table header, signature "CEDT"
//   CHBS     type 0, 32 bytes: host bridge UID, CXL version, register block
//   CFMWS    type 1, 36 + 4 * ways bytes: a CXL fixed memory window
//   CXIMS    type 2, 8 + 8 * n bytes: XOR interleave maps
//   RDPAS    type 3, 20 bytes (17 in ACPICA's first layout): RCEC ports
//   CSDS     type 4, 8 bytes: system capabilities (CXL 3.1)
// Every other type is kept as raw bytes (`UnknownSubtable`).
//
// The model keeps reserved fields and any bytes a record carries beyond its
// known layout (`trailing`), so `EncodeCedt(DecodeCedt(b), kKeepStored)`
// reproduces `b` byte for byte. The model says what the table *contains*; it
// does not judge it: `DecodeCedt` fails only where the bytes cannot be read
// as a CEDT at all (see its comment), and cfmws/validate.h reports everything
// else (bad checksum, bad encodings, overlapping windows, ...).
//
// Thread-safety: value types; `DecodeCedt` and `EncodeCedt` are pure
// functions, safe to call concurrently.

#ifndef RESTREE_CFMWS_CEDT_H_
#define RESTREE_CFMWS_CEDT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace restree {
namespace cedt {

// ---------------------------------------------------------------------------
// Sizes and constants (ACPICA actbl1.h, Linux drivers/cxl/cxl.h, edk2
// Cxl30.h/Cxl31.h; see docs/cedt.md).

inline constexpr size_t kHeaderSize = 36;
inline constexpr size_t kSubtableHeaderSize = 4;
inline constexpr size_t kChbsSize = 32;
inline constexpr size_t kCfmwsFixedSize = 36;
inline constexpr size_t kCximsFixedSize = 8;
inline constexpr size_t kRdpasSize = 20;
inline constexpr size_t kRdpasLegacySize = 17;
inline constexpr size_t kCsdsSize = 8;

inline constexpr uint8_t kTypeChbs = 0;
inline constexpr uint8_t kTypeCfmws = 1;
inline constexpr uint8_t kTypeCxims = 2;
inline constexpr uint8_t kTypeRdpas = 3;
inline constexpr uint8_t kTypeCsds = 4;

// CFMWS base and size alignment, and the unit of its size rule.
inline constexpr uint64_t kWindowAlign = uint64_t{256} << 20;  // 256 MiB

// CHBS CXL version values and the register block lengths that go with them.
inline constexpr uint32_t kChbsVersionCxl11 = 0;
inline constexpr uint32_t kChbsVersionCxl20 = 1;
inline constexpr uint64_t kChbsLengthCxl11 = 0x2000;
inline constexpr uint64_t kChbsLengthCxl20 = 0x10000;

// CFMWS Interleave Arithmetic values.
inline constexpr uint8_t kArithmeticModulo = 0;
inline constexpr uint8_t kArithmeticXor = 1;

// CFMWS Restrictions bits (ACPICA names; CXL 2.0 names in docs/cedt.md).
namespace restriction {
inline constexpr uint16_t kDevMem = 1 << 0;       // Type 2, device coherent
inline constexpr uint16_t kHostOnlyMem = 1 << 1;  // Type 3, host-only coherent
inline constexpr uint16_t kVolatile = 1 << 2;
inline constexpr uint16_t kPmem = 1 << 3;
inline constexpr uint16_t kFixed = 1 << 4;  // fixed device configuration
inline constexpr uint16_t kBackInvalidate = 1 << 5;
inline constexpr uint16_t kDefined = 0x3f;
}  // namespace restriction

// ENIW (encoded interleave ways) -> ways: 0..4 -> 1,2,4,8,16; 8..10 -> 3,6,12.
std::optional<uint32_t> EniwToWays(uint32_t eniw);
// Inverse of EniwToWays.
std::optional<uint8_t> WaysToEniw(uint32_t ways);
// HBIG (encoded granularity) -> bytes: 256 << n for n = 0..6.
std::optional<uint32_t> HbigToGranularity(uint32_t hbig);
// Inverse of HbigToGranularity.
std::optional<uint32_t> GranularityToHbig(uint32_t bytes);
// XOR maps an XOR window needs (Linux cxl_parse_cxims): log2(ways) for
// 2/4/8/16 ways, log2(ways / 3) for 6/12, 0 for 1 and 3 ways.
int XorMapsNeeded(uint32_t ways);

// ---------------------------------------------------------------------------
// The model.

struct TableHeader {
  std::array<char, 4> signature = {'C', 'E', 'D', 'T'};
  uint32_t length = 0;   // as stored; EncodeCedt can recompute it
  uint8_t revision = 1;  // 1: CXL 2.0, 2: CXL 3.x
  uint8_t checksum = 0;  // as stored; EncodeCedt can recompute it
  std::array<char, 6> oem_id = {};
  std::array<char, 8> oem_table_id = {};
  uint32_t oem_revision = 0;
  std::array<char, 4> creator_id = {};
  uint32_t creator_revision = 0;
  bool operator==(const TableHeader&) const = default;
};

// Type 0, CXL Host Bridge Structure.
struct Chbs {
  uint8_t header_reserved = 0;
  uint32_t uid = 0;          // the host bridge's _UID
  uint32_t cxl_version = 0;  // 0: CXL 1.1 (RCRB), 1: CXL 2.0 (CHBCR)
  uint32_t reserved = 0;
  uint64_t base = 0;              // register block base
  uint64_t length = 0;            // register block length
  std::vector<uint8_t> trailing;  // record bytes past offset 32
  bool operator==(const Chbs&) const = default;
};

// Type 1, CXL Fixed Memory Window Structure.
struct Cfmws {
  uint8_t header_reserved = 0;
  uint32_t reserved1 = 0;
  uint64_t base_hpa = 0;
  uint64_t window_size = 0;
  uint8_t eniw = 0;        // "Interleave Members", encoded
  uint8_t arithmetic = 0;  // 0 modulo, 1 modulo + XOR
  uint16_t reserved2 = 0;
  uint32_t hbig = 0;  // "Granularity", encoded
  uint16_t restrictions = 0;
  uint16_t qtg_id = 0;
  // Host bridge UIDs in interleave position order. When ENIW decodes, exactly
  // `ways` entries; otherwise every whole 4-byte entry the record holds.
  std::vector<uint32_t> targets;
  std::vector<uint8_t> trailing;  // record bytes past the targets
  bool operator==(const Cfmws&) const = default;

  std::optional<uint32_t> ways() const { return EniwToWays(eniw); }
  std::optional<uint32_t> granularity() const {
    return HbigToGranularity(hbig);
  }
};

// Type 2, CXL XOR Interleave Math Structure.
struct Cxims {
  uint8_t header_reserved = 0;
  uint16_t reserved1 = 0;
  uint8_t hbig = 0;               // the granularity whose windows use these
  std::vector<uint64_t> xormaps;  // at most 255 (the count is one byte)
  std::vector<uint8_t> trailing;
  bool operator==(const Cxims&) const = default;
};

// Type 3, RCEC Downstream Port Association Structure. The CXL 3.2 layout
// (current ACPICA and edk2) is segment @4, BDF @6, base address @8, protocol
// @16, 3 reserved bytes: 20 bytes. ACPICA's first layout put protocol @8 and
// the address @9 (17 bytes); a 17..19-byte record is decoded that way.
enum class RdpasLayout : uint8_t { kCxl32 = 0, kAcpicaLegacy = 1 };

struct Rdpas {
  uint8_t header_reserved = 0;
  RdpasLayout layout = RdpasLayout::kCxl32;
  uint16_t segment = 0;
  uint16_t bdf = 0;                      // bus 15:8, device 7:3, function 2:0
  uint64_t address = 0;                  // RCEC downstream port RCRB base
  uint8_t protocol = 0;                  // 0: CXL.io, 1: CXL.cachemem
  std::array<uint8_t, 3> reserved = {};  // kCxl32 only
  std::vector<uint8_t> trailing;
  bool operator==(const Rdpas&) const = default;
};

// Type 4, CXL System Description Structure (CXL 3.1; edk2 Cxl31.h).
struct Csds {
  uint8_t header_reserved = 0;
  uint16_t capabilities = 0;
  uint16_t reserved = 0;
  std::vector<uint8_t> trailing;
  bool operator==(const Csds&) const = default;
};

// Any other type (>= 5), skipped by the decoder with its raw bytes kept.
struct UnknownSubtable {
  uint8_t type = 5;
  uint8_t header_reserved = 0;
  std::vector<uint8_t> body;  // the record after its 4-byte header
  bool operator==(const UnknownSubtable&) const = default;
};

using Subtable = std::variant<Chbs, Cfmws, Cxims, Rdpas, Csds, UnknownSubtable>;

struct Cedt {
  TableHeader header;
  std::vector<Subtable> subtables;  // in table order
  // Bytes handed to DecodeCedt beyond the header's Length (not part of the
  // table; validation warns about them). EncodeCedt never writes them.
  uint64_t ignored_trailing_bytes = 0;
  bool operator==(const Cedt&) const = default;
};

// The subtable's type byte.
uint8_t TypeOf(const Subtable& s);
// "CHBS", "CFMWS", "CXIMS", "RDPAS", "CSDS", or "type N".
std::string TypeName(uint8_t type);
// Fixed-size ASCII fields (signature, OEM ID, ...) for messages and text:
// printable ASCII kept, '"', '\\' and every other byte as \xNN.
std::string EscapeChars(absl::Span<const char> chars);
// For each CHBS _UID, the index of the first CHBS with it (what Linux binds
// a CFMWS target to). O(subtables).
absl::flat_hash_map<uint32_t, size_t> FirstChbsByUid(const Cedt& t);
// The record length the encoder writes for `s` (header included); may exceed
// 0xffff for a model that cannot be encoded.
size_t RecordLength(const Subtable& s);
// Table offset of each subtable as the encoder lays them out (and as the
// decoder found them): 36, 36 + RecordLength(s0), ...
std::vector<uint64_t> SubtableOffsets(const Cedt& t);

// ---------------------------------------------------------------------------
// Decoding.

// Decodes a CEDT. Reads exactly `header.length` bytes; bytes beyond are
// counted in `ignored_trailing_bytes`. Never reads outside `bytes`, never
// loops on a zero length (every record advances by at least 4 bytes), and
// allocates O(bytes.size()).
//
// Errors, each naming the subtable index and table byte offset:
//   kOutOfRange       a buffer shorter than the header; a Length field
//                     smaller than the header or past the buffer; a subtable
//                     header cut by the table end; a record length past the
//                     table end; a record too short for its type's fixed
//                     part, or for the targets its ENIW or the maps its count
//                     announce.
//   kInvalidArgument  a signature other than "CEDT"; a zero record length;
//                     a record length below the 4-byte subtable header.
// A bad checksum is not an error here (see ValidateCedt).
// Complexity: O(n) for n bytes.
[[nodiscard]] absl::StatusOr<Cedt> DecodeCedt(absl::Span<const uint8_t> bytes);
[[nodiscard]] absl::StatusOr<Cedt> DecodeCedt(absl::string_view bytes);

// ---------------------------------------------------------------------------
// Encoding.

struct EncodeOptions {
  // Write the computed table length (else `header.length` as stored).
  bool compute_length = true;
  // Write the checksum that makes the table sum to 0 (else as stored).
  bool compute_checksum = true;
};
// Reproduces the stored Length and Checksum, for byte-exact round trips.
inline constexpr EncodeOptions kKeepStored = {false, false};

// Encodes `t`. kInvalidArgument, naming the subtable, when the model cannot
// be represented so that DecodeCedt gives it back: a CFMWS whose valid ENIW
// disagrees with its number of targets (or, with an invalid ENIW, whose
// trailing bytes would read as targets), more than 255 XOR maps, a record
// longer than 0xffff bytes, an RDPAS legacy layout with 3 or more trailing
// bytes, an unknown subtable with a known type, a signature other than
// "CEDT"; kOutOfRange for a table longer than 2^32 - 1 bytes.
// Complexity: O(output size).
[[nodiscard]] absl::StatusOr<std::vector<uint8_t>> EncodeCedt(
    const Cedt& t, const EncodeOptions& options = {});

// The byte that makes `bytes` (with its checksum byte at offset 9) sum to 0
// modulo 256. Precondition: bytes.size() >= 10.
uint8_t ComputeChecksum(absl::Span<const uint8_t> bytes);

}  // namespace cedt
}  // namespace restree

#endif  // RESTREE_CFMWS_CEDT_H_
