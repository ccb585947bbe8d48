#include "resource_tree/internal/name_table.h"

namespace restree {
namespace internal {

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

bool NameTable::Find(absl::string_view name, uint32_t* id) const {
  auto it = index_.find(name);
  if (it == index_.end()) return false;
  *id = it->second;
  return true;
}

}  // namespace internal
}  // namespace restree
