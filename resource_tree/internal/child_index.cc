#include "resource_tree/internal/child_index.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace restree {
namespace internal {
namespace {

std::string KeyString(const ChildKey& k) {
  return absl::StrFormat("(parent %d, start %#x)", k.parent, k.start);
}

}  // namespace

ChildIndex::ChildIndex(std::vector<Shard> shards)
    : shards_(std::move(shards)) {
  if (shards_.empty()) shards_.resize(1);
  shards_[0].bound = ChildKey{0, 0, 0};
  last_ = static_cast<uint32_t>(shards_.size() - 1);
}

size_t ChildIndex::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) n += s.set.size();
  return n;
}

std::string ChildIndex::CheckShards() const {
  const ChildKeyLess less;
  if (shards_[0].bound.parent != 0 || shards_[0].bound.start != 0) {
    return absl::StrFormat("the first shard's bound is %s, not the least key",
                           KeyString(shards_[0].bound));
  }
  for (size_t s = 0; s < shards_.size(); ++s) {
    const Shard& sh = shards_[s];
    const bool has_next = s + 1 < shards_.size();
    if (has_next && !less(sh.bound, shards_[s + 1].bound)) {
      return absl::StrFormat("shard %d's bound %s is not below shard %d's %s",
                             s, KeyString(sh.bound), s + 1,
                             KeyString(shards_[s + 1].bound));
    }
    if (sh.set.empty()) continue;
    if (less(*sh.set.begin(), sh.bound)) {
      return absl::StrFormat("shard %d holds %s, below its bound %s", s,
                             KeyString(*sh.set.begin()), KeyString(sh.bound));
    }
    if (has_next && !less(*sh.set.rbegin(), shards_[s + 1].bound)) {
      return absl::StrFormat(
          "shard %d holds %s, at or above the next shard's bound %s", s,
          KeyString(*sh.set.rbegin()), KeyString(shards_[s + 1].bound));
    }
  }
  return std::string();
}

}  // namespace internal
}  // namespace restree
