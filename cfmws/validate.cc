#include "cfmws/validate.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cfmws/interleave.h"

namespace restree {
namespace cedt {

absl::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "?";
}

std::string FormatFinding(const Cedt& t, const Finding& f) {
  std::string where = "table";
  if (f.subtable >= 0 && static_cast<size_t>(f.subtable) < t.subtables.size()) {
    where = absl::StrFormat("subtable %d (%s)", f.subtable,
                            TypeName(TypeOf(t.subtables[f.subtable])));
  }
  return absl::StrFormat("%s: %s offset 0x%x: [%s] %s",
                         SeverityName(f.severity), where, f.offset, f.code,
                         f.message);
}

int CountErrors(const std::vector<Finding>& findings) {
  return static_cast<int>(std::count_if(
      findings.begin(), findings.end(),
      [](const Finding& f) { return f.severity == Severity::kError; }));
}

namespace {

class Validator {
 public:
  explicit Validator(const Cedt& t)
      : t_(t), offsets_(SubtableOffsets(t)), cxims_(t) {}

  std::vector<Finding> Run() {
    Table();
    chbs_uids_ = FirstChbsByUid(t_);
    for (size_t i = 0; i < t_.subtables.size(); ++i) {
      const Subtable& s = t_.subtables[i];
      if (const Chbs* c = std::get_if<Chbs>(&s)) CheckChbs(i, *c);
      if (const Cfmws* c = std::get_if<Cfmws>(&s)) CheckCfmws(i, *c);
      if (const Cxims* c = std::get_if<Cxims>(&s)) CheckCxims(i, *c);
      if (const Rdpas* r = std::get_if<Rdpas>(&s)) CheckRdpas(i, *r);
      if (const Csds* c = std::get_if<Csds>(&s)) Trailing(i, c->trailing);
      if (const UnknownSubtable* u = std::get_if<UnknownSubtable>(&s)) {
        Add(Severity::kWarning, "subtable-unknown-type", i, offsets_[i],
            absl::StrFormat("unknown subtable type %d (%d bytes) skipped",
                            u->type, RecordLength(s)));
      }
    }
    Overlaps();
    std::stable_sort(out_.begin(), out_.end(),
                     [](const Finding& a, const Finding& b) {
                       return a.subtable < b.subtable;
                     });
    return std::move(out_);
  }

 private:
  void Add(Severity sev, absl::string_view code, int subtable, uint64_t offset,
           std::string message) {
    out_.push_back(
        Finding{sev, std::string(code), subtable, offset, std::move(message)});
  }
  void Add(Severity sev, absl::string_view code, size_t subtable,
           uint64_t offset, std::string message) {
    Add(sev, code, static_cast<int>(subtable), offset, std::move(message));
  }

  void Table() {
    absl::StatusOr<std::vector<uint8_t>> bytes = EncodeCedt(t_, kKeepStored);
    if (bytes.ok()) {
      uint8_t sum = 0;
      for (uint8_t b : *bytes) sum = static_cast<uint8_t>(sum + b);
      if (sum != 0) {
        Add(Severity::kError, "table-checksum", -1, 9,
            absl::StrFormat("Checksum 0x%02X is wrong: the table sums to "
                            "0x%02X, expected 0x%02X",
                            t_.header.checksum, sum, ComputeChecksum(*bytes)));
      }
    }
    if (t_.header.revision != 1 && t_.header.revision != 2) {
      Add(Severity::kWarning, "table-revision", -1, 8,
          absl::StrFormat("Revision %d is neither 1 (CXL 2.0) nor 2 (CXL 3.x)",
                          t_.header.revision));
    }
    if (t_.ignored_trailing_bytes != 0) {
      Add(Severity::kWarning, "table-trailing-bytes", -1, t_.header.length,
          absl::StrFormat("%d bytes follow the table's Length (%d) in the "
                          "input and were ignored",
                          t_.ignored_trailing_bytes, t_.header.length));
    }
  }

  void Trailing(size_t i, const std::vector<uint8_t>& trailing) {
    if (trailing.empty()) return;
    const size_t len = RecordLength(t_.subtables[i]);
    Add(Severity::kWarning, "record-trailing-bytes", i,
        offsets_[i] + len - trailing.size(),
        absl::StrFormat("record length %d has %d bytes past the %s layout", len,
                        trailing.size(), TypeName(TypeOf(t_.subtables[i]))));
  }

  void CheckChbs(size_t i, const Chbs& c) {
    const uint64_t o = offsets_[i];
    Trailing(i, c.trailing);
    auto first = chbs_uids_.find(c.uid);
    if (first != chbs_uids_.end() && first->second != i) {
      Add(Severity::kError, "chbs-duplicate-uid", i, o + 4,
          absl::StrFormat("host bridge UID 0x%X is also named by subtable %d",
                          c.uid, first->second));
    }
    if (c.cxl_version != kChbsVersionCxl11 &&
        c.cxl_version != kChbsVersionCxl20) {
      Add(Severity::kWarning, "chbs-version", i, o + 8,
          absl::StrFormat("Specification version %d is neither 0 (CXL 1.1) "
                          "nor 1 (CXL 2.0)",
                          c.cxl_version));
    } else {
      const uint64_t want = c.cxl_version == kChbsVersionCxl11
                                ? kChbsLengthCxl11
                                : kChbsLengthCxl20;
      if (c.length != want) {
        Add(Severity::kError, "chbs-register-length", i, o + 24,
            absl::StrFormat("Register length 0x%X does not match "
                            "Specification version %d (expected 0x%X); Linux "
                            "ignores this CHBS",
                            c.length, c.cxl_version, want));
      }
      if (first_version_ < 0) {
        first_version_ = static_cast<int64_t>(c.cxl_version);
      } else if (static_cast<uint32_t>(first_version_) != c.cxl_version &&
                 !mixed_reported_) {
        mixed_reported_ = true;
        Add(Severity::kWarning, "chbs-mixed-versions", i, o + 8,
            "CXL 1.1 and CXL 2.0 host bridges are mixed; Linux calls this an "
            "unsupported platform configuration");
      }
    }
    if (c.base == 0) {
      Add(Severity::kError, "chbs-base-zero", i, o + 16,
          "Register base is 0; Linux ignores this CHBS");
    }
  }

  void CheckCfmws(size_t i, const Cfmws& c) {
    const uint64_t o = offsets_[i];
    Trailing(i, c.trailing);
    bool range_ok = true;
    if (c.arithmetic != kArithmeticModulo && c.arithmetic != kArithmeticXor) {
      Add(Severity::kError, "cfmws-arithmetic", i, o + 25,
          absl::StrFormat("Interleave Arithmetic %d is neither 0 (modulo) nor "
                          "1 (XOR); Linux skips this window",
                          c.arithmetic));
    }
    if (c.base_hpa % kWindowAlign != 0) {
      Add(Severity::kError, "cfmws-base-align", i, o + 8,
          absl::StrFormat("Window base address 0x%X is not 256M aligned; "
                          "Linux skips this window",
                          c.base_hpa));
    }
    if (c.window_size == 0) {
      range_ok = false;
      Add(Severity::kError, "cfmws-size-zero", i, o + 16,
          "Window size is 0; Linux cannot insert it");
    } else if (c.window_size % kWindowAlign != 0) {
      Add(Severity::kError, "cfmws-size-align", i, o + 16,
          absl::StrFormat("Window size 0x%X is not a multiple of 256M; "
                          "Linux skips this window",
                          c.window_size));
    }
    if (c.window_size != 0 && c.window_size - 1 > ~uint64_t{0} - c.base_hpa) {
      range_ok = false;
      Add(Severity::kError, "cfmws-wraps", i, o + 16,
          absl::StrFormat("window [0x%X, +0x%X] runs past 2^64", c.base_hpa,
                          c.window_size));
    }
    std::optional<uint32_t> ways = c.ways();
    if (!ways.has_value()) {
      Add(Severity::kError, "cfmws-eniw", i, o + 24,
          absl::StrFormat("Interleave Members %d is not a valid encoding "
                          "(0-4 for 1-16 ways, 8-10 for 3, 6, 12); Linux "
                          "skips this window",
                          c.eniw));
    }
    std::optional<uint32_t> gran = c.granularity();
    if (!gran.has_value()) {
      Add(Severity::kError, "cfmws-hbig", i, o + 28,
          absl::StrFormat("Granularity %d is not a valid encoding (0-6 for "
                          "256 to 16K bytes); Linux skips this window",
                          c.hbig));
    }
    if (ways.has_value() && c.window_size != 0 &&
        c.window_size % kWindowAlign == 0 &&
        c.window_size % (uint64_t{*ways} * kWindowAlign) != 0) {
      Add(Severity::kWarning, "cfmws-size-ways", i, o + 16,
          absl::StrFormat("Window size 0x%X is not a multiple of %d ways x "
                          "256M, as the CXL spec requires (Linux does not "
                          "check; x86 firmware may trim a base-0 window "
                          "around the low memory hole)",
                          c.window_size, *ways));
    }
    if (ways.has_value() && *ways % 3 == 0 &&
        c.base_hpa % (3 * kWindowAlign) != 0) {
      Add(Severity::kInfo, "cfmws-mod3-base", i, o + 8,
          absl::StrFormat("%d-way window base 0x%X is not a multiple of "
                          "3 x 256M: restree's window-relative modulo "
                          "arithmetic may differ from the platform's",
                          *ways, c.base_hpa));
    }
    Targets(i, c);
    Restrictions(i, c);
    Xor(i, c, ways);
    if (range_ok) {
      windows_.push_back({c.base_hpa, c.base_hpa + (c.window_size - 1), i});
    }
  }

  void Targets(size_t i, const Cfmws& c) {
    const uint64_t o = offsets_[i];
    absl::flat_hash_map<uint32_t, size_t> seen;
    for (size_t k = 0; k < c.targets.size(); ++k) {
      const uint32_t uid = c.targets[k];
      const uint64_t at = o + kCfmwsFixedSize + 4 * k;
      if (!chbs_uids_.contains(uid)) {
        Add(Severity::kError, "cfmws-unknown-target", i, at,
            absl::StrFormat("target %d names host bridge UID 0x%X, which no "
                            "CHBS describes",
                            k, uid));
      }
      auto [it, inserted] = seen.emplace(uid, k);
      if (!inserted) {
        Add(Severity::kWarning, "cfmws-duplicate-target", i, at,
            absl::StrFormat("target %d repeats host bridge UID 0x%X of "
                            "target %d",
                            k, uid, it->second));
      }
    }
  }

  void Restrictions(size_t i, const Cfmws& c) {
    const uint64_t at = offsets_[i] + 32;
    const uint16_t r = c.restrictions;
    if ((r & ~restriction::kDefined) != 0) {
      Add(Severity::kWarning, "cfmws-restrictions-reserved", i, at,
          absl::StrFormat("Restrictions 0x%04X sets reserved bits 0x%04X", r,
                          r & ~restriction::kDefined));
    }
    if ((r & (restriction::kDevMem | restriction::kHostOnlyMem)) == 0) {
      Add(Severity::kWarning, "cfmws-restrictions-no-device-type", i, at,
          absl::StrFormat("Restrictions 0x%04X allow neither device-coherent "
                          "(Type 2) nor host-only (Type 3) memory: no device "
                          "can use this window",
                          r));
    }
    if ((r & (restriction::kVolatile | restriction::kPmem)) == 0) {
      Add(Severity::kWarning, "cfmws-restrictions-no-memory-type", i, at,
          absl::StrFormat("Restrictions 0x%04X allow neither volatile nor "
                          "persistent memory: no region can use this window",
                          r));
    }
  }

  void Xor(size_t i, const Cfmws& c, std::optional<uint32_t> ways) {
    if (c.arithmetic != kArithmeticXor || !ways.has_value()) return;
    const uint64_t at = offsets_[i] + 25;
    const int needed = XorMapsNeeded(*ways);
    if (needed == 0) {
      Add(Severity::kInfo, "cfmws-xor-unused", i, at,
          absl::StrFormat("XOR arithmetic on a %d-way window uses no XOR "
                          "maps: it decodes as modulo",
                          *ways));
      return;
    }
    std::optional<uint32_t> gran = c.granularity();
    if (!gran.has_value()) return;  // cfmws-hbig already reported
    absl::StatusOr<size_t> x = cxims_.Resolve(*gran, needed);
    if (!x.ok()) {
      const bool missing = x.status().code() == absl::StatusCode::kNotFound;
      Add(Severity::kError, missing ? "cfmws-xor-no-cxims" : "cfmws-xor-cxims",
          i, at,
          absl::StrCat(x.status().message(),
                       "; Linux fails this window's "
                       "root decoder"));
      return;
    }
    used_cxims_.insert(*x);
    const Cxims& m = std::get<Cxims>(t_.subtables[*x]);
    WindowGeometry g;
    g.ways = *ways;
    g.granularity = *gran;
    g.arithmetic = Arithmetic::kXor;
    g.xormaps.assign(m.xormaps.begin(), m.xormaps.begin() + needed);
    for (size_t k = 0; k < g.xormaps.size(); ++k) {
      if (g.xormaps[k] == 0) {
        Add(Severity::kWarning, "cfmws-xor-zero-map", i,
            offsets_[*x] + kCximsFixedSize + 8 * k,
            absl::StrFormat("XOR map %d of CXIMS (subtable %d) is 0: position "
                            "bit %d is taken from the address unchanged",
                            k, *x, std::countr_zero(*gran) + k));
      }
    }
    for (const XorMapProblem& p : XorMapProblems(g)) {
      Add(Severity::kError, "cfmws-xor-map", i,
          offsets_[*x] + kCximsFixedSize + 8 * p.map_index,
          absl::StrFormat("CXIMS (subtable %d): %s", *x, p.message));
    }
  }

  void CheckCxims(size_t i, const Cxims& c) {
    const uint64_t o = offsets_[i];
    Trailing(i, c.trailing);
    if (!HbigToGranularity(c.hbig).has_value()) {
      Add(Severity::kError, "cxims-hbig", i, o + 6,
          absl::StrFormat("Interleave Granularity %d is not a valid encoding "
                          "(0-6); Linux's CXIMS parse fails, and with it "
                          "every XOR window",
                          c.hbig));
    } else {
      auto [it, inserted] = cxims_by_hbig_.emplace(c.hbig, i);
      if (!inserted) {
        Add(Severity::kWarning, "cxims-duplicate-hbig", i, o + 6,
            absl::StrFormat("another CXIMS (subtable %d) has the same "
                            "Interleave Granularity %d; Linux uses the last",
                            it->second, c.hbig));
      }
    }
    if (c.xormaps.empty()) {
      Add(Severity::kWarning, "cxims-no-maps", i, o + 7,
          "Xormap List Count is 0");
    }
    cxims_list_.push_back(i);
  }

  void CheckRdpas(size_t i, const Rdpas& r) {
    const uint64_t o = offsets_[i];
    Trailing(i, r.trailing);
    if (r.layout == RdpasLayout::kAcpicaLegacy) {
      Add(Severity::kWarning, "rdpas-legacy-layout", i, o + 2,
          absl::StrFormat("record length %d: decoded with ACPICA's first "
                          "17-byte layout (Protocol at +8, address at +9); "
                          "CXL 3.2 defines 20 bytes",
                          RecordLength(t_.subtables[i])));
    }
    if (r.protocol > 1) {
      Add(Severity::kWarning, "rdpas-protocol", i,
          o + (r.layout == RdpasLayout::kCxl32 ? 16 : 8),
          absl::StrFormat("Protocol %d is neither 0 (CXL.io) nor 1 "
                          "(CXL.cachemem)",
                          r.protocol));
    }
  }

  // Overlapping windows, by a sweep in base order: each window is compared
  // with the farthest-reaching window that starts at or before it.
  void Overlaps() {
    std::stable_sort(
        windows_.begin(), windows_.end(), [](const Window& a, const Window& b) {
          return a.first != b.first ? a.first < b.first : a.last > b.last;
        });
    const Window* reach = nullptr;
    for (const Window& w : windows_) {
      if (reach != nullptr && w.first <= reach->last) {
        const size_t later = std::max(w.index, reach->index);
        std::string what;
        if (w.first == reach->first && w.last == reach->last) {
          what = absl::StrFormat(
              "window [0x%X-0x%X] has the same range as CFMWS (subtable %d); "
              "Linux nests the earlier one under subtable %d's window and "
              "publishes only that one",
              w.first, w.last, reach->index, later);
        } else if (w.last <= reach->last) {
          what = absl::StrFormat(
              "window [0x%X-0x%X] lies inside CFMWS (subtable %d) "
              "[0x%X-0x%X]; Linux nests it in its private tree and never "
              "publishes it",
              w.first, w.last, reach->index, reach->first, reach->last);
        } else {
          what = absl::StrFormat(
              "window [0x%X-0x%X] partially overlaps CFMWS (subtable %d) "
              "[0x%X-0x%X]; Linux fails to insert the later one (subtable "
              "%d) and skips it",
              w.first, w.last, reach->index, reach->first, reach->last, later);
        }
        Add(Severity::kError, "cfmws-overlap", w.index, offsets_[w.index] + 8,
            std::move(what));
      }
      if (reach == nullptr || w.last > reach->last) reach = &w;
    }
    for (size_t i : cxims_list_) {
      if (!used_cxims_.contains(i)) {
        Add(Severity::kInfo, "cxims-unused", i, offsets_[i],
            "no XOR window uses this CXIMS");
      }
    }
  }

  struct Window {
    uint64_t first;
    uint64_t last;
    size_t index;
  };

  const Cedt& t_;
  std::vector<uint64_t> offsets_;
  CximsIndex cxims_;
  absl::flat_hash_map<uint32_t, size_t> chbs_uids_;
  absl::flat_hash_map<uint8_t, size_t> cxims_by_hbig_;
  absl::flat_hash_set<size_t> used_cxims_;
  std::vector<size_t> cxims_list_;
  std::vector<Window> windows_;
  int64_t first_version_ = -1;
  bool mixed_reported_ = false;
  std::vector<Finding> out_;
};

}  // namespace

std::vector<Finding> ValidateCedt(const Cedt& t) { return Validator(t).Run(); }

}  // namespace cedt
}  // namespace restree
