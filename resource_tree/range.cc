#include "resource_tree/range.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace restree {

absl::StatusOr<Range> Range::FromStartSize(uint64_t start, uint64_t size) {
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("range at %#x has size 0", start));
  }
  if (size - 1 > kMaxAddress - start) {
    return absl::OutOfRangeError(absl::StrFormat(
        "range at %#x of size %#x ends past 2^64-1", start, size));
  }
  return Range(start, start + (size - 1));
}

std::optional<Range> Range::Intersection(const Range& other) const {
  if (!Overlaps(other)) return std::nullopt;
  return Range(std::max(first_, other.first_), std::min(last_, other.last_));
}

std::optional<Range> Range::Union(const Range& other) const {
  if (!Overlaps(other)) return std::nullopt;
  return Range(std::min(first_, other.first_), std::max(last_, other.last_));
}

std::string Range::ToString() const {
  return absl::StrFormat("[%#x-%#x]", first_, last_);
}

}  // namespace restree
