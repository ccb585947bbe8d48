#include "cfmws/interleave.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace restree {
namespace cedt {

CximsIndex::CximsIndex(const Cedt& t) {
  for (int h = 0; h < kHbigs; ++h) {
    last_[h] = -1;
    fewest_index_[h] = -1;
    fewest_maps_[h] = 0;
  }
  for (size_t i = 0; i < t.subtables.size(); ++i) {
    const Cxims* x = std::get_if<Cxims>(&t.subtables[i]);
    if (x == nullptr) continue;
    if (x->hbig >= kHbigs) {
      if (first_invalid_ < 0) {
        first_invalid_ = static_cast<int>(i);
        invalid_hbig_ = x->hbig;
      }
      continue;
    }
    last_[x->hbig] = static_cast<int>(i);
    if (fewest_index_[x->hbig] < 0 ||
        x->xormaps.size() < fewest_maps_[x->hbig]) {
      fewest_index_[x->hbig] = static_cast<int>(i);
      fewest_maps_[x->hbig] = x->xormaps.size();
    }
  }
}

absl::StatusOr<size_t> CximsIndex::Resolve(uint32_t granularity,
                                           int needed) const {
  if (first_invalid_ >= 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "CXIMS (subtable %d) has an invalid Interleave Granularity %d, so "
        "Linux's CXIMS parse fails for every XOR window",
        first_invalid_, invalid_hbig_));
  }
  std::optional<uint32_t> hbig = GranularityToHbig(granularity);
  if (!hbig.has_value() || last_[*hbig] < 0) {
    return absl::NotFoundError(absl::StrFormat(
        "XOR arithmetic needs a CXIMS for granularity %d; none found (Linux: "
        "\"No CXIMS for HBIG\")",
        granularity));
  }
  if (fewest_maps_[*hbig] < static_cast<size_t>(needed)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "CXIMS (subtable %d) has %d XOR maps; this window needs %d",
        fewest_index_[*hbig], fewest_maps_[*hbig], needed));
  }
  return static_cast<size_t>(last_[*hbig]);
}

absl::StatusOr<WindowGeometry> GeometryOf(const Cedt& t, size_t index) {
  return GeometryOf(t, index, CximsIndex(t));
}

absl::StatusOr<WindowGeometry> GeometryOf(const Cedt& t, size_t index,
                                          const CximsIndex& cxims) {
  absl::StatusOr<InterleaveMap> m = InterleaveMapOf(t, index, cxims);
  if (!m.ok()) return m.status();
  return m->geometry();
}

absl::StatusOr<InterleaveMap> InterleaveMapOf(const Cedt& t, size_t index,
                                              const CximsIndex& cxims) {
  if (index >= t.subtables.size() ||
      !std::holds_alternative<Cfmws>(t.subtables[index])) {
    return absl::InvalidArgumentError(
        absl::StrFormat("subtable %d is not a CFMWS", index));
  }
  const Cfmws& c = std::get<Cfmws>(t.subtables[index]);
  auto bad = [&](absl::StatusCode code, absl::string_view m) {
    return absl::Status(code,
                        absl::StrFormat("CFMWS (subtable %d): %s", index, m));
  };
  if (c.arithmetic != kArithmeticModulo && c.arithmetic != kArithmeticXor) {
    return bad(absl::StatusCode::kInvalidArgument,
               absl::StrFormat("Interleave Arithmetic %d is neither 0 "
                               "(modulo) nor 1 (XOR)",
                               c.arithmetic));
  }
  std::optional<uint32_t> ways = c.ways();
  if (!ways.has_value()) {
    return bad(
        absl::StatusCode::kInvalidArgument,
        absl::StrFormat("Interleave Members %d is not a valid ENIW", c.eniw));
  }
  std::optional<uint32_t> gran = c.granularity();
  if (!gran.has_value()) {
    return bad(absl::StatusCode::kInvalidArgument,
               absl::StrFormat("Granularity %d is not a valid HBIG", c.hbig));
  }
  WindowGeometry g;
  g.base = c.base_hpa;
  g.size = c.window_size;
  g.ways = *ways;
  g.granularity = *gran;
  g.arithmetic =
      c.arithmetic == kArithmeticXor ? Arithmetic::kXor : Arithmetic::kModulo;
  g.targets = c.targets;
  const int needed = XorMapsNeeded(g.ways);
  if (g.arithmetic == Arithmetic::kXor && needed > 0) {
    absl::StatusOr<size_t> x = cxims.Resolve(g.granularity, needed);
    if (!x.ok()) return bad(x.status().code(), x.status().message());
    const Cxims& m = std::get<Cxims>(t.subtables[*x]);
    g.xormaps.assign(m.xormaps.begin(), m.xormaps.begin() + needed);
  }
  absl::StatusOr<InterleaveMap> m = InterleaveMap::Create(std::move(g));
  if (!m.ok()) return bad(m.status().code(), m.status().message());
  return m;
}

std::vector<XorMapProblem> XorMapProblems(const WindowGeometry& g) {
  std::vector<XorMapProblem> out;
  if (g.arithmetic != Arithmetic::kXor) return out;
  const int gs = std::countr_zero(g.granularity);
  for (size_t i = 0; i < g.xormaps.size(); ++i) {
    const uint64_t m = g.xormaps[i];
    if (m == 0) continue;  // Linux skips it: the position bit stays as is
    const int low = std::countr_zero(m);
    const int want = gs + static_cast<int>(i);
    if (low != want) {
      out.push_back({i, absl::StrFormat(
                            "XOR map %d (0x%x) has lowest set bit %d, not the "
                            "interleave position bit %d: the XOR does not "
                            "select the interleave position",
                            i, m, low, want)});
    }
    for (size_t j = 0; j < g.xormaps.size(); ++j) {
      const uint64_t o = g.xormaps[j];
      if (j == i || o == 0) continue;
      const int other_low = std::countr_zero(o);
      if ((m >> other_low) & 1) {
        out.push_back({i, absl::StrFormat(
                              "XOR map %d (0x%x) contains bit %d, the bit XOR "
                              "map %d sets: the translation is not its own "
                              "inverse, so Linux's HPA<->SPA translation "
                              "(one function for both ways) is wrong",
                              i, m, other_low, j)});
      }
    }
  }
  return out;
}

InterleaveMap::InterleaveMap(WindowGeometry g) : g_(std::move(g)) {
  last_ = g_.base + (g_.size - 1);
  gran_shift_ = std::countr_zero(g_.granularity);
  gran_mask_ = uint64_t{g_.granularity} - 1;
}

absl::StatusOr<InterleaveMap> InterleaveMap::Create(WindowGeometry g) {
  if (!WaysToEniw(g.ways).has_value()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d interleave ways is not 1, 2, 4, 8, 16, 3, 6 or 12", g.ways));
  }
  if (!GranularityToHbig(g.granularity).has_value()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "granularity %d is not a power of 2 from 256 to 16384", g.granularity));
  }
  if (g.size == 0) {
    return absl::InvalidArgumentError("window size is 0");
  }
  if (g.size - 1 > ~uint64_t{0} - g.base) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "window [0x%x, +0x%x] wraps past 2^64", g.base, g.size));
  }
  if (g.targets.size() != g.ways) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d targets for %d interleave ways", g.targets.size(), g.ways));
  }
  const size_t needed =
      g.arithmetic == Arithmetic::kXor ? XorMapsNeeded(g.ways) : 0;
  if (g.xormaps.size() != needed) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d XOR maps given; this window needs %d", g.xormaps.size(), needed));
  }
  return InterleaveMap(std::move(g));
}

uint64_t InterleaveMap::XorTranslate(uint64_t addr) const {
  for (uint64_t m : g_.xormaps) {
    if (m == 0) continue;
    const int pos = std::countr_zero(m);
    const uint64_t bit = static_cast<uint64_t>(std::popcount(addr & m) & 1);
    addr = (addr & ~(uint64_t{1} << pos)) | (bit << pos);
  }
  return addr;
}

absl::StatusOr<TargetAddress> InterleaveMap::ToTarget(uint64_t hpa) const {
  if (hpa < g_.base || hpa > last_) {
    return absl::OutOfRangeError(absl::StrFormat(
        "0x%x is outside the window [0x%x-0x%x]", hpa, g_.base, last_));
  }
  const uint64_t h = XorTranslate(hpa);
  if (h < g_.base || h > last_) {
    return absl::OutOfRangeError(absl::StrFormat(
        "the XOR maps move 0x%x to 0x%x, outside the window", hpa, h));
  }
  const uint64_t o = h - g_.base;
  const uint64_t chunk = o >> gran_shift_;
  TargetAddress t;
  t.position = static_cast<uint32_t>(chunk % g_.ways);
  t.target_uid = g_.targets[t.position];
  t.target_offset = ((chunk / g_.ways) << gran_shift_) | (o & gran_mask_);
  return t;
}

uint64_t InterleaveMap::TargetCapacity(uint32_t position) const {
  if (position >= g_.ways) return 0;
  const absl::uint128 round = absl::uint128(g_.granularity) * g_.ways;
  const absl::uint128 size = g_.size;
  const absl::uint128 full = size / round;
  const absl::uint128 rest = size % round;
  const absl::uint128 before = absl::uint128(position) * g_.granularity;
  absl::uint128 extra = 0;
  if (rest > before)
    extra = std::min(rest - before, absl::uint128(g_.granularity));
  return static_cast<uint64_t>(full * g_.granularity + extra);
}

absl::StatusOr<uint64_t> InterleaveMap::ToHpa(uint32_t position,
                                              uint64_t target_offset) const {
  if (position >= g_.ways) {
    return absl::OutOfRangeError(
        absl::StrFormat("position %d is not below %d ways", position, g_.ways));
  }
  if (target_offset >= TargetCapacity(position)) {
    return absl::OutOfRangeError(
        absl::StrFormat("offset 0x%x is past the 0x%x bytes position %d serves",
                        target_offset, TargetCapacity(position), position));
  }
  // chunk < size / granularity, so these products stay below 2^64.
  const uint64_t chunk = (target_offset >> gran_shift_) * g_.ways + position;
  const uint64_t o = (chunk << gran_shift_) | (target_offset & gran_mask_);
  const uint64_t hpa = XorTranslate(g_.base + o);
  if (hpa < g_.base || hpa > last_) {
    return absl::OutOfRangeError(
        absl::StrFormat("the XOR maps move 0x%x to 0x%x, outside the window",
                        g_.base + o, hpa));
  }
  return hpa;
}

WindowIndex WindowIndex::Build(const Cedt& t) {
  WindowIndex idx;
  const CximsIndex cxims(t);
  for (size_t i = 0; i < t.subtables.size(); ++i) {
    if (!std::holds_alternative<Cfmws>(t.subtables[i])) continue;
    absl::StatusOr<InterleaveMap> m = InterleaveMapOf(t, i, cxims);
    if (!m.ok()) {
      idx.skipped_.push_back({i, std::string(m.status().message())});
      continue;
    }
    idx.entries_.push_back(Entry{i, *std::move(m)});
  }
  idx.by_base_.resize(idx.entries_.size());
  for (size_t i = 0; i < idx.by_base_.size(); ++i) idx.by_base_[i] = i;
  std::stable_sort(idx.by_base_.begin(), idx.by_base_.end(),
                   [&](size_t a, size_t b) {
                     return idx.entries_[a].map.geometry().base <
                            idx.entries_[b].map.geometry().base;
                   });
  uint64_t mx = 0;
  for (size_t k : idx.by_base_) {
    const WindowGeometry& g = idx.entries_[k].map.geometry();
    mx = std::max(mx, g.base + (g.size - 1));
    idx.max_last_.push_back(mx);
  }
  return idx;
}

std::vector<const WindowIndex::Entry*> WindowIndex::Find(uint64_t hpa) const {
  std::vector<const Entry*> out;
  // First window (in base order) whose base is above hpa.
  auto it = std::upper_bound(by_base_.begin(), by_base_.end(), hpa,
                             [&](uint64_t a, size_t k) {
                               return a < entries_[k].map.geometry().base;
                             });
  for (size_t i = static_cast<size_t>(it - by_base_.begin()); i > 0; --i) {
    if (max_last_[i - 1] < hpa) break;  // nothing earlier reaches hpa
    const Entry& e = entries_[by_base_[i - 1]];
    const WindowGeometry& g = e.map.geometry();
    if (hpa <= g.base + (g.size - 1)) out.push_back(&e);
  }
  std::sort(out.begin(), out.end(), [](const Entry* a, const Entry* b) {
    return a->subtable_index < b->subtable_index;
  });
  return out;
}

}  // namespace cedt
}  // namespace restree
