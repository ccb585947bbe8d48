// File: byte_size.h
// -----------------------------------------------------------------------------
//
// Byte counts as people type and read them: the one parser behind every
// size or address a user gives restree (CLI options, NUMA topology files,
// CEDT descriptions), and the lsmem(1)-style form `restree show` prints.
//
//   ParseByteSize("256M")   -> 268435456
//   ParseByteSize("0x1000") -> 4096
//   HumanSize(3 << 29)      -> "1.5G"
//
// Thread-safety: pure functions.

#ifndef RESTREE_BASE_BYTE_SIZE_H_
#define RESTREE_BASE_BYTE_SIZE_H_

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace restree {

// Parses decimal ("4096") or 0x-hex ("0x1000"), either optionally followed
// by K, M, G, T or P in either case (binary multiples: 4K = 4096), and a
// decimal number also by E (2^60). After a hex number a final E is the
// digit: "0x1e" is 30, not 2^60.
// Surrounding ASCII whitespace is ignored; signs, other suffixes and empty
// text are not numbers. Errors begin with "`what`: " when `what` is given:
//   kInvalidArgument  "'TEXT' is not a number (e.g. 4096, 0x1000, 4K, 256M)"
//   kOutOfRange       "'TEXT' does not fit in 64 bits"
// O(length).
[[nodiscard]] absl::StatusOr<uint64_t> ParseByteSize(
    absl::string_view text, absl::string_view what = "");

// A size as people read it, like lsmem(1): binary multiples with a
// one-letter unit, an integer when exact, else one decimal ("4K", "128M",
// "1.5G", "512B", "16E" for 2^64).
std::string HumanSize(absl::uint128 bytes);

}  // namespace restree

#endif  // RESTREE_BASE_BYTE_SIZE_H_
