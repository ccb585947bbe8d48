#include "resource_tree/internal/name_table.h"

#include <cstring>

namespace restree {
namespace internal {

size_t NameTable::NameHash::operator()(absl::string_view s) const {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  uint64_t h = s.size() * kMul;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  if (i < s.size()) {
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  return static_cast<size_t>(h ^ (h >> 32));
}

NameTable::NameTable() { Intern(""); }

NameTable::NameTable(const NameTable& other) : strings_(other.strings_) {
  Rebuild();
}

NameTable& NameTable::operator=(const NameTable& other) {
  if (this != &other) {
    strings_ = other.strings_;
    Rebuild();
  }
  return *this;
}

void NameTable::Rebuild() {
  index_.clear();
  index_.reserve(strings_.size());
  for (uint32_t i = 0; i < strings_.size(); ++i) {
    index_.emplace(absl::string_view(strings_[i]), i);
  }
}

uint32_t NameTable::Intern(absl::string_view name) {
  auto it = index_.find(name);
  if (it != index_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(name);
  index_.emplace(absl::string_view(strings_.back()), id);
  return id;
}

}  // namespace internal
}  // namespace restree
