// File: range.h
// -----------------------------------------------------------------------------
//
// `Range` is an inclusive interval of 64-bit physical (or port) addresses,
// `[first, last]`, exactly like the kernel's `struct resource` `start`/`end`
// pair and like the two numbers of a `/proc/iomem` line. Inclusive bounds let a
// range end at 2^64-1 (the iomem root is `[0, 0xffffffffffffffff]`), which a
// half-open `[begin, end)` pair of `uint64_t` cannot represent.
//
// A `Range` may be *inverted* (`first > last`): the kernel computes
// `end = start + size - 1` with wrap-around, and restree's kernel-compatible
// operations accept such ranges as input so that they can fail the way the
// kernel fails. `valid()` tells the two apart; nothing in a `ResourceTree` is
// ever inverted.
//
// No arithmetic here overflows: `size()` is 128-bit, and the constructors from
// a start and a size either wrap explicitly (`FromStartSizeWrapping`, the
// kernel's arithmetic) or check (`FromStartSize`).
//
// Thread-safety: a value type; safe to share between threads.

#ifndef RESTREE_RESOURCE_TREE_RANGE_H_
#define RESTREE_RESOURCE_TREE_RANGE_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"

namespace restree {

inline constexpr uint64_t kMaxAddress = ~uint64_t{0};

class Range {
 public:
  // `[0, 0]`.
  constexpr Range() = default;
  constexpr Range(uint64_t first, uint64_t last) : first_(first), last_(last) {}

  // The whole 64-bit space, `[0, 2^64-1]`.
  static constexpr Range Full() { return Range(0, kMaxAddress); }

  // The kernel's `end = start + size - 1`, computed modulo 2^64: `size == 0`
  // or a size reaching past 2^64 gives an inverted (or wrapped) range.
  static constexpr Range FromStartSizeWrapping(uint64_t start, uint64_t size) {
    return Range(start, start + size - 1);
  }

  // Checked construction: `kInvalidArgument` if `size == 0`, `kOutOfRange` if
  // the range would end past 2^64-1.
  [[nodiscard]] static absl::StatusOr<Range> FromStartSize(uint64_t start,
                                                           uint64_t size);

  constexpr uint64_t first() const { return first_; }
  constexpr uint64_t last() const { return last_; }

  // True unless inverted (`first > last`).
  constexpr bool valid() const { return first_ <= last_; }

  // Number of addresses, 1 .. 2^64. Precondition: `valid()`.
  absl::uint128 size() const {
    return absl::uint128(last_) - absl::uint128(first_) + 1;
  }

  // The kernel's `resource_size()`: `last - first + 1` modulo 2^64 (0 for the
  // full range).
  constexpr uint64_t size_wrapping() const { return last_ - first_ + 1; }

  constexpr bool Contains(uint64_t addr) const {
    return first_ <= addr && addr <= last_;
  }
  // True iff `other` lies inside this range (the kernel's containment test
  // without its type and UNSET checks).
  constexpr bool Contains(const Range& other) const {
    return first_ <= other.first_ && other.last_ <= last_;
  }
  // The kernel's `resource_overlaps()`: `a.first <= b.last && a.last >=
  // b.first`. Defined for inverted ranges too, with the kernel's arithmetic.
  constexpr bool Overlaps(const Range& other) const {
    return first_ <= other.last_ && last_ >= other.first_;
  }
  // The kernel's `resource_intersection()`: nullopt when not overlapping.
  std::optional<Range> Intersection(const Range& other) const;
  // The kernel's `resource_union()`: the smallest range holding both;
  // nullopt when not overlapping (adjacent ranges do not overlap).
  std::optional<Range> Union(const Range& other) const;

  // "[0x1000-0x1fff]".
  std::string ToString() const;

  friend constexpr bool operator==(const Range& a, const Range& b) {
    return a.first_ == b.first_ && a.last_ == b.last_;
  }
  friend constexpr bool operator!=(const Range& a, const Range& b) {
    return !(a == b);
  }
  // Orders by `first`, then by `last`.
  friend constexpr bool operator<(const Range& a, const Range& b) {
    return a.first_ != b.first_ ? a.first_ < b.first_ : a.last_ < b.last_;
  }
  friend std::ostream& operator<<(std::ostream& os, const Range& r) {
    return os << r.ToString();
  }
  template <typename H>
  friend H AbslHashValue(H h, const Range& r) {
    return H::combine(std::move(h), r.first_, r.last_);
  }

 private:
  uint64_t first_ = 0;
  uint64_t last_ = 0;
};

// The kernel's `ALIGN(x, a)`: `(x + a - 1) & ~(a - 1)` modulo 2^64. Exact for
// powers of two; for other `a` it is the kernel's mask arithmetic (not a
// rounding), and `KernelAlign(x, 0) == 0`. Callers check for wrap-around
// (`KernelAlign(x, a) < x`) as the kernel does.
constexpr uint64_t KernelAlign(uint64_t x, uint64_t a) {
  return (x + (a - 1)) & ~(a - 1);
}

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_RANGE_H_
