// File: interleave.h
// -----------------------------------------------------------------------------
//
// Interleave arithmetic of a CXL fixed memory window: which host bridge (the
// window's interleave position and that position's target UID) serves a host
// physical address, and at which offset within that target's share of the
// window; and the inverse.
//
// For a window with base B, ways W (1, 2, 4, 8, 16, 3, 6 or 12) and
// granularity G = 2^g bytes, restree uses Linux's arithmetic (docs/cedt.md
// has the derivation and sources):
//
//   modulo (Interleave Arithmetic 0):
//     o = A - B;  chunk = o >> g
//     position = chunk mod W
//     target offset = ((chunk / W) << g) | (o mod G)
//   XOR (Interleave Arithmetic 1), with the window's CXIMS maps m_0..m_{n-1}
//   (n = log2 W, or log2(W/3) for 6 and 12 ways; none for 1 and 3 ways):
//     H = X(A), where X sets, for each non-zero map m_i in order, the bit at
//     m_i's lowest set bit to the parity of (address & m_i)
//     (Linux cxl_apply_xor_maps / cxl_xor_hpa_to_spa); then the modulo
//     decode of H.
//   inverse: the modulo inverse, then X again. X is its own inverse when the
//   maps are well formed (`XorMapProblems` is empty): each map's lowest set
//   bit is the position bit g + i and no map contains another's. X rewrites
//   absolute address bits, so it keeps addresses inside the window only
//   when the window is 256 MiB aligned, as the spec (and Linux's
//   cxl_acpi_cfmws_verify) requires; for a misaligned XOR window ToTarget
//   and ToHpa refuse addresses X would move out (kOutOfRange).
//
// Offsets are relative to the window base (Linux's region math is relative
// to the region base; the two agree whenever B is a multiple of W * G, which
// holds for every valid power-of-2 window and for 3/6/12-way windows whose
// base is a multiple of 3 * 256 MiB).
//
// Thread-safety: `InterleaveMap` and `WindowIndex` are immutable after
// construction; all methods are const and safe to call concurrently.

#ifndef RESTREE_CFMWS_INTERLEAVE_H_
#define RESTREE_CFMWS_INTERLEAVE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cfmws/cedt.h"

namespace restree {
namespace cedt {

enum class Arithmetic : uint8_t { kModulo = 0, kXor = 1 };

// What the arithmetic needs to know about one window.
struct WindowGeometry {
  uint64_t base = 0;
  uint64_t size = 0;           // > 0; base + size - 1 must not wrap
  uint32_t ways = 1;           // 1, 2, 4, 8, 16, 3, 6 or 12
  uint32_t granularity = 256;  // 256 .. 16384, a power of 2
  Arithmetic arithmetic = Arithmetic::kModulo;
  // XOR only: exactly XorMapsNeeded(ways) maps (Linux copies that many from
  // the matching CXIMS); empty for modulo.
  std::vector<uint64_t> xormaps;
  std::vector<uint32_t> targets;  // `ways` host bridge UIDs
  bool operator==(const WindowGeometry&) const = default;
};

// Which CXIMS Linux's cxl_parse_cxims would give an XOR window, computed
// once per table (O(s) for s subtables) so that each window resolves in O(1).
class CximsIndex final {
 public:
  explicit CximsIndex(const Cedt& t);

  // The subtable index of the CXIMS whose maps a window of `granularity`
  // bytes needing `needed` maps uses: the last CXIMS with that granularity.
  // kFailedPrecondition if some CXIMS has an invalid HBIG (Linux's parse of
  // every CXIMS then fails) or a matching one has fewer than `needed` maps
  // (-ENXIO); kNotFound if none matches ("No CXIMS for HBIG").
  [[nodiscard]] absl::StatusOr<size_t> Resolve(uint32_t granularity,
                                               int needed) const;

 private:
  static constexpr int kHbigs = 7;  // HBIG 0..6
  int first_invalid_ = -1;          // first CXIMS with HBIG > 6
  uint32_t invalid_hbig_ = 0;
  int last_[kHbigs];          // last CXIMS per HBIG, or -1
  int fewest_index_[kHbigs];  // the CXIMS with the fewest maps
  size_t fewest_maps_[kHbigs];
};

// The geometry of subtable `index` of `t`, as Linux's cxl_parse_cfmws reads
// it. kInvalidArgument for a subtable that is not a CFMWS or whose
// arithmetic, ENIW or HBIG does not decode, for a zero size, a window that
// wraps past 2^64, a target list of the wrong length; kNotFound for an XOR
// window (2, 4, 6, 8, 12 or 16 ways) without a CXIMS whose HBIG matches its
// granularity ("No CXIMS for HBIG"), and kFailedPrecondition when some
// CXIMS has an invalid HBIG or a matching one has too few maps. Like Linux,
// the last matching CXIMS wins. The granularity of a 1-way window is reported
// as stored (Linux advertises 256 for it; it does not change any result).
// Complexity: O(1) plus the copies.
[[nodiscard]] absl::StatusOr<WindowGeometry> GeometryOf(
    const Cedt& t, size_t index, const CximsIndex& cxims);
// As above, building the CximsIndex (O(s)).
[[nodiscard]] absl::StatusOr<WindowGeometry> GeometryOf(const Cedt& t,
                                                        size_t index);
// GeometryOf() followed by InterleaveMap::Create(), with the same errors.
class InterleaveMap;
[[nodiscard]] absl::StatusOr<InterleaveMap> InterleaveMapOf(
    const Cedt& t, size_t index, const CximsIndex& cxims);

// One interleave target's view of an address.
struct TargetAddress {
  uint32_t position = 0;       // index into the window's target list
  uint32_t target_uid = 0;     // the host bridge _UID at that position
  uint64_t target_offset = 0;  // offset within that target's share
  bool operator==(const TargetAddress&) const = default;
};

// A problem with a window's XOR maps: a map whose lowest set bit is not its
// interleave position bit g + i (the XOR then does not pick the position),
// or a map containing another map's position bit (X is then not its own
// inverse, and ToHpa(ToTarget(a)) != a). Empty when the maps are well
// formed; zero maps are allowed (Linux skips them).
struct XorMapProblem {
  size_t map_index = 0;
  std::string message;
};
std::vector<XorMapProblem> XorMapProblems(const WindowGeometry& g);

// The arithmetic of one window, with its shifts precomputed.
class InterleaveMap final {
 public:
  // kInvalidArgument for an inconsistent geometry (bad ways or granularity,
  // zero or wrapping size, wrong number of targets or maps).
  [[nodiscard]] static absl::StatusOr<InterleaveMap> Create(
      WindowGeometry geometry);

  const WindowGeometry& geometry() const { return g_; }

  // Address -> target. kOutOfRange if `hpa` is outside the window, or
  // (malformed maps or a misaligned XOR window) if X moves it outside. O(n)
  // for n XOR maps, else O(1); no allocation.
  [[nodiscard]] absl::StatusOr<TargetAddress> ToTarget(uint64_t hpa) const;

  // Target -> address. kOutOfRange if `position >= ways`, if
  // `target_offset >= TargetCapacity(position)`, or (malformed XOR maps or
  // a misaligned XOR window only) if the translated address leaves the
  // window.
  [[nodiscard]] absl::StatusOr<uint64_t> ToHpa(uint32_t position,
                                               uint64_t target_offset) const;

  // Bytes of the window that `position` serves; its target offsets are
  // exactly [0, TargetCapacity(position)). The capacities sum to the size.
  uint64_t TargetCapacity(uint32_t position) const;

  // The XOR translation X (identity for modulo windows).
  uint64_t XorTranslate(uint64_t addr) const;

 private:
  explicit InterleaveMap(WindowGeometry g);

  WindowGeometry g_;
  uint64_t last_ = 0;  // base + size - 1
  int gran_shift_ = 8;
  uint64_t gran_mask_ = 0;  // granularity - 1
};

// All decodable windows of a table, for address lookups.
class WindowIndex final {
 public:
  struct Entry {
    size_t subtable_index = 0;
    InterleaveMap map;
  };

  // Indexes every CFMWS for which GeometryOf succeeds; the others are listed
  // in `skipped` with the reason. O(w log w) for w windows.
  static WindowIndex Build(const Cedt& t);

  // Every indexed window containing `hpa`, in table order. O(log w + k)
  // for k windows that start at or below `hpa` and reach it.
  std::vector<const Entry*> Find(uint64_t hpa) const;

  const std::vector<Entry>& entries() const { return entries_; }
  struct Skipped {
    size_t subtable_index = 0;
    std::string reason;
  };
  const std::vector<Skipped>& skipped() const { return skipped_; }

 private:
  std::vector<Entry> entries_;      // table order
  std::vector<size_t> by_base_;     // entry indices sorted by base
  std::vector<uint64_t> max_last_;  // prefix max of window ends, by_base_ order
  std::vector<Skipped> skipped_;
};

}  // namespace cedt
}  // namespace restree

#endif  // RESTREE_CFMWS_INTERLEAVE_H_
