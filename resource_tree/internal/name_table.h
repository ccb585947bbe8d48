// File: internal/name_table.h
// -----------------------------------------------------------------------------
//
// Interned resource names: each distinct string is stored once and named by a
// dense 32-bit id. Strings are never freed, so an `absl::string_view` returned
// by `Get()` stays valid for the table's lifetime (and a copy of the table has
// its own storage). Id 0 is the empty string.
//
// Complexity: `Intern()` is O(length) expected; `Get()` O(1).
// Thread-safety: thread-compatible.

#ifndef RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_
#define RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_

#include <cstdint>
#include <deque>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace restree {
namespace internal {

class NameTable {
 public:
  NameTable();
  NameTable(const NameTable& other);
  NameTable& operator=(const NameTable& other);
  NameTable(NameTable&&) = default;
  NameTable& operator=(NameTable&&) = default;

  // The id of `name`, adding it if new.
  uint32_t Intern(absl::string_view name);
  // Precondition: id < size().
  absl::string_view Get(uint32_t id) const { return strings_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(strings_.size()); }

 private:
  void Rebuild();

  // Names are short; a word-at-a-time multiply hash is several times
  // cheaper than the generic one and good enough for a hash table.
  struct NameHash {
    size_t operator()(absl::string_view s) const;
  };

  // A deque never relocates its elements, so the views in `index_` (and the
  // ones handed out) stay valid as strings are added.
  std::deque<std::string> strings_;
  absl::flat_hash_map<absl::string_view, uint32_t, NameHash> index_;
};

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_
