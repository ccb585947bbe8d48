#include "numa/node_mask.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace restree {
namespace numa {

NodeMask NodeMask::Of(const std::vector<int>& nodes) {
  NodeMask m;
  for (int n : nodes) m.Set(n);
  return m;
}

int NodeMask::First() const {
  const size_t i = bits_._Find_first();
  return i < bits_.size() ? static_cast<int>(i) : kNoNode;
}

std::vector<int> NodeMask::ToVector() const {
  std::vector<int> out;
  for (size_t i = bits_._Find_first(); i < bits_.size();
       i = bits_._Find_next(i)) {
    out.push_back(static_cast<int>(i));
  }
  return out;
}

std::string NodeMask::ToString() const { return FormatIdList(ToVector()); }

std::string FormatIdList(const std::vector<int>& ids) {
  std::string out;
  size_t i = 0;
  while (i < ids.size()) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    absl::StrAppend(&out, ids[i]);
    if (j > i) absl::StrAppend(&out, "-", ids[j]);
    i = j + 1;
  }
  return out;
}

absl::StatusOr<std::vector<int>> ParseIdList(absl::string_view text, int max_id,
                                             absl::string_view what) {
  // Columns are 1-based positions in `text` as given (before stripping).
  size_t pos = 0;
  while (pos < text.size() &&
         absl::ascii_isspace(static_cast<unsigned char>(text[pos]))) {
    ++pos;
  }
  size_t end = text.size();
  while (end > pos &&
         absl::ascii_isspace(static_cast<unsigned char>(text[end - 1]))) {
    --end;
  }
  std::vector<int> out;
  if (pos == end) return out;
  struct Run {
    int lo;
    int hi;
    size_t at;
  };
  std::vector<Run> runs;
  auto error = [&](size_t at, absl::string_view msg) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ":", at + 1, ": ", msg));
  };
  // Reads a decimal id at `pos`; at most 7 digits so the value cannot
  // overflow before the range check.
  auto read_number = [&](int* value) -> absl::Status {
    const size_t start = pos;
    long long v = 0;
    while (pos < end &&
           absl::ascii_isdigit(static_cast<unsigned char>(text[pos]))) {
      if (pos - start >= 7) {
        return absl::OutOfRangeError(absl::StrCat(
            what, ":", start + 1, ": id too large (maximum ", max_id, ")"));
      }
      v = v * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) return error(start, "expected a decimal number");
    if (v > max_id) {
      return absl::OutOfRangeError(absl::StrCat(
          what, ":", start + 1, ": id ", v, " exceeds the maximum ", max_id));
    }
    *value = static_cast<int>(v);
    return absl::OkStatus();
  };
  while (true) {
    int lo = 0;
    const size_t lo_at = pos;
    if (absl::Status s = read_number(&lo); !s.ok()) return s;
    int hi = lo;
    if (pos < end && text[pos] == '-') {
      ++pos;
      if (absl::Status s = read_number(&hi); !s.ok()) return s;
      if (hi < lo) return error(lo_at, "range end below its start");
    }
    runs.push_back({lo, hi, lo_at});
    if (pos == end) break;
    if (text[pos] != ',') return error(pos, "expected ',' or '-'");
    ++pos;
  }
  std::sort(runs.begin(), runs.end(),
            [](const Run& a, const Run& b) { return a.lo < b.lo; });
  for (size_t i = 1; i < runs.size(); ++i) {
    if (runs[i].lo <= runs[i - 1].hi) {
      return error(runs[i].at,
                   absl::StrCat("id ", runs[i].lo, " listed twice"));
    }
  }
  for (const Run& r : runs) {
    for (int i = r.lo; i <= r.hi; ++i) out.push_back(i);
  }
  return out;
}

absl::StatusOr<NodeMask> ParseNodeList(absl::string_view text,
                                       absl::string_view what) {
  absl::StatusOr<std::vector<int>> ids =
      ParseIdList(text, kMaxNumNodes - 1, what);
  if (!ids.ok()) return ids.status();
  return NodeMask::Of(*ids);
}

}  // namespace numa
}  // namespace restree
