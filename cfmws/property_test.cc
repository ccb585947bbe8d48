// RapidCheck properties of the CEDT codec, the description format and the
// interleave arithmetic. RESTREE_RC_RUNS=N sets the runs per property.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cfmws/cedt.h"
#include "cfmws/description.h"
#include "cfmws/interleave.h"
#include "cfmws/validate.h"
#include "gtest/gtest.h"
#include "rapidcheck.h"
#include "rapidcheck/gtest.h"

namespace restree {
namespace cedt {
namespace {

constexpr uint64_t k256M = uint64_t{256} << 20;
const uint32_t kWays[] = {1, 2, 4, 8, 16, 3, 6, 12};

template <size_t N>
std::array<char, N> GenChars() {
  std::array<char, N> a;
  for (char& c : a) c = *rc::gen::arbitrary<char>();
  return a;
}

std::vector<uint8_t> GenBytes(int max) {
  const int n = *rc::gen::inRange(0, max + 1);
  return *rc::gen::container<std::vector<uint8_t>>(
      static_cast<size_t>(n), rc::gen::arbitrary<uint8_t>());
}

Subtable GenSubtable() {
  switch (*rc::gen::inRange(0, 6)) {
    case 0: {
      Chbs c;
      c.header_reserved = *rc::gen::arbitrary<uint8_t>();
      c.uid = *rc::gen::arbitrary<uint32_t>();
      c.cxl_version = *rc::gen::inRange<uint32_t>(0, 3);
      c.reserved = *rc::gen::arbitrary<uint32_t>();
      c.base = *rc::gen::arbitrary<uint64_t>();
      c.length = *rc::gen::arbitrary<uint64_t>();
      c.trailing = GenBytes(6);
      return c;
    }
    case 1: {
      Cfmws c;
      c.header_reserved = *rc::gen::arbitrary<uint8_t>();
      c.reserved1 = *rc::gen::arbitrary<uint32_t>();
      c.base_hpa = *rc::gen::arbitrary<uint64_t>();
      c.window_size = *rc::gen::arbitrary<uint64_t>();
      c.eniw = *rc::gen::arbitrary<uint8_t>();
      c.arithmetic = *rc::gen::arbitrary<uint8_t>();
      c.reserved2 = *rc::gen::arbitrary<uint16_t>();
      c.hbig = *rc::gen::arbitrary<uint32_t>();
      c.restrictions = *rc::gen::arbitrary<uint16_t>();
      c.qtg_id = *rc::gen::arbitrary<uint16_t>();
      const std::optional<uint32_t> ways = c.ways();
      const size_t n = ways.has_value()
                           ? *ways
                           : static_cast<size_t>(*rc::gen::inRange(0, 5));
      c.targets = *rc::gen::container<std::vector<uint32_t>>(
          n, rc::gen::arbitrary<uint32_t>());
      c.trailing = GenBytes(ways.has_value() ? 6 : 3);
      return c;
    }
    case 2: {
      Cxims c;
      c.header_reserved = *rc::gen::arbitrary<uint8_t>();
      c.reserved1 = *rc::gen::arbitrary<uint16_t>();
      c.hbig = *rc::gen::arbitrary<uint8_t>();
      c.xormaps = *rc::gen::container<std::vector<uint64_t>>(
          static_cast<size_t>(*rc::gen::inRange(0, 6)),
          rc::gen::arbitrary<uint64_t>());
      c.trailing = GenBytes(9);
      return c;
    }
    case 3: {
      Rdpas d;
      d.header_reserved = *rc::gen::arbitrary<uint8_t>();
      d.layout = *rc::gen::arbitrary<bool>() ? RdpasLayout::kCxl32
                                             : RdpasLayout::kAcpicaLegacy;
      d.segment = *rc::gen::arbitrary<uint16_t>();
      d.bdf = *rc::gen::arbitrary<uint16_t>();
      d.address = *rc::gen::arbitrary<uint64_t>();
      d.protocol = *rc::gen::arbitrary<uint8_t>();
      if (d.layout == RdpasLayout::kCxl32) {
        for (uint8_t& r : d.reserved) r = *rc::gen::arbitrary<uint8_t>();
      }
      d.trailing = GenBytes(d.layout == RdpasLayout::kCxl32 ? 5 : 2);
      return d;
    }
    case 4: {
      Csds c;
      c.header_reserved = *rc::gen::arbitrary<uint8_t>();
      c.capabilities = *rc::gen::arbitrary<uint16_t>();
      c.reserved = *rc::gen::arbitrary<uint16_t>();
      c.trailing = GenBytes(5);
      return c;
    }
    default: {
      UnknownSubtable u;
      u.type = *rc::gen::inRange<uint8_t>(5, 255);
      u.header_reserved = *rc::gen::arbitrary<uint8_t>();
      u.body = GenBytes(12);
      return u;
    }
  }
}

Cedt GenCedt() {
  Cedt t;
  t.header.revision = *rc::gen::arbitrary<uint8_t>();
  t.header.oem_id = GenChars<6>();
  t.header.oem_table_id = GenChars<8>();
  t.header.oem_revision = *rc::gen::arbitrary<uint32_t>();
  t.header.creator_id = GenChars<4>();
  t.header.creator_revision = *rc::gen::arbitrary<uint32_t>();
  const int n = *rc::gen::inRange(0, 9);
  for (int i = 0; i < n; ++i) t.subtables.push_back(GenSubtable());
  return t;
}

// decode(encode(t)) == t; the encoder fills in Length and Checksum.
RC_GTEST_PROP(CedtPropertyTest, DecodeEncodeRoundTrip, ()) {
  Cedt t = GenCedt();
  absl::StatusOr<std::vector<uint8_t>> bytes = EncodeCedt(t);
  RC_ASSERT(bytes.ok());
  absl::StatusOr<Cedt> d = DecodeCedt(*bytes);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->header.length == bytes->size());
  uint8_t sum = 0;
  for (uint8_t b : *bytes) sum = static_cast<uint8_t>(sum + b);
  RC_ASSERT(sum == 0);
  t.header.length = d->header.length;
  t.header.checksum = d->header.checksum;
  RC_ASSERT(*d == t);
  // A well-formed encoding never draws a checksum finding.
  for (const Finding& f : ValidateCedt(*d))
    RC_ASSERT(f.code != "table-checksum");
}

// Any bytes the decoder accepts re-encode to exactly themselves.
RC_GTEST_PROP(CedtPropertyTest, AcceptedBytesReencodeExactly, ()) {
  Cedt t = GenCedt();
  absl::StatusOr<std::vector<uint8_t>> bytes = EncodeCedt(t);
  RC_ASSERT(bytes.ok());
  // Corrupt a few bytes of the body (the header must stay "CEDT").
  std::vector<uint8_t> b = *bytes;
  const int flips = *rc::gen::inRange(0, 4);
  for (int i = 0; i < flips && b.size() > 8; ++i) {
    const size_t at = *rc::gen::inRange<size_t>(4, b.size());
    b[at] = *rc::gen::arbitrary<uint8_t>();
  }
  absl::StatusOr<Cedt> d = DecodeCedt(b);
  if (!d.ok()) return;
  absl::StatusOr<std::vector<uint8_t>> again = EncodeCedt(*d, kKeepStored);
  RC_ASSERT(again.ok());
  RC_ASSERT(std::equal(again->begin(), again->end(), b.begin()));
  RC_ASSERT(again->size() + d->ignored_trailing_bytes == b.size());
}

// ParseDescription(FormatDescription(t)) == t (with Length and Checksum 0).
RC_GTEST_PROP(CedtPropertyTest, DescriptionRoundTrip, ()) {
  Cedt t = GenCedt();
  const std::string text = FormatDescription(t);
  absl::StatusOr<Cedt> p = ParseDescription(text);
  if (!p.ok()) RC_FAIL(absl::StrCat(p.status().message(), "\n", text));
  t.header.length = 0;
  t.header.checksum = 0;
  RC_ASSERT(*p == t);
}

WindowGeometry GenGeometry() {
  WindowGeometry g;
  g.ways = *rc::gen::elementOf(
      std::vector<uint32_t>(std::begin(kWays), std::end(kWays)));
  const int hbig = *rc::gen::inRange(0, 7);
  g.granularity = 256u << hbig;
  const int gs = 8 + hbig;
  g.base = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 24) * k256M;
  // Any multiple of 256 MiB, not only of ways x 256 MiB.
  g.size = *rc::gen::inRange<uint64_t>(1, 65) * k256M;
  for (uint32_t i = 0; i < g.ways; ++i) g.targets.push_back(0x1000 + i);
  if (*rc::gen::arbitrary<bool>()) {
    g.arithmetic = Arithmetic::kXor;
    const int n = XorMapsNeeded(g.ways);
    // Well formed: map i's lowest bit is gs + i, and its other bits lie
    // above every position bit (up to bit 51, the CXL HPA width).
    const uint64_t high_mask =
        ((uint64_t{1} << 52) - 1) & ~((uint64_t{1} << (gs + n)) - 1);
    for (int i = 0; i < n; ++i) {
      const uint64_t extra = *rc::gen::arbitrary<uint64_t>();
      g.xormaps.push_back((uint64_t{1} << (gs + i)) | (extra & high_mask));
    }
  }
  return g;
}

// Address -> (position, offset) -> address is the identity on the window.
RC_GTEST_PROP(InterleavePropertyTest, AddressRoundTrip, ()) {
  const WindowGeometry g = GenGeometry();
  RC_ASSERT(XorMapProblems(g).empty());
  absl::StatusOr<InterleaveMap> m = InterleaveMap::Create(g);
  RC_ASSERT(m.ok());
  for (int k = 0; k < 16; ++k) {
    const uint64_t a = g.base + *rc::gen::inRange<uint64_t>(0, g.size);
    absl::StatusOr<TargetAddress> t = m->ToTarget(a);
    RC_ASSERT(t.ok());
    RC_ASSERT(t->position < g.ways);
    RC_ASSERT(t->target_uid == g.targets[t->position]);
    RC_ASSERT(t->target_offset < m->TargetCapacity(t->position));
    absl::StatusOr<uint64_t> back = m->ToHpa(t->position, t->target_offset);
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == a);
  }
}

// (position, offset) -> address -> (position, offset) is the identity on
// every target's share, and the shares add up to the window: together with
// AddressRoundTrip, the map is a bijection between the window's bytes (and
// so its granules) and the targets' shares.
RC_GTEST_PROP(InterleavePropertyTest, TargetRoundTripAndCapacities, ()) {
  const WindowGeometry g = GenGeometry();
  absl::StatusOr<InterleaveMap> m = InterleaveMap::Create(g);
  RC_ASSERT(m.ok());
  uint64_t total = 0;
  for (uint32_t p = 0; p < g.ways; ++p) total += m->TargetCapacity(p);
  RC_ASSERT(total == g.size);
  for (int k = 0; k < 16; ++k) {
    const uint32_t p = *rc::gen::inRange<uint32_t>(0, g.ways);
    const uint64_t cap = m->TargetCapacity(p);
    RC_ASSERT(cap > 0);
    const uint64_t off = *rc::gen::inRange<uint64_t>(0, cap);
    absl::StatusOr<uint64_t> a = m->ToHpa(p, off);
    RC_ASSERT(a.ok());
    RC_ASSERT(*a >= g.base && *a - g.base < g.size);
    absl::StatusOr<TargetAddress> t = m->ToTarget(*a);
    RC_ASSERT(t.ok());
    RC_ASSERT(t->position == p);
    RC_ASSERT(t->target_offset == off);
  }
}

}  // namespace
}  // namespace cedt
}  // namespace restree
