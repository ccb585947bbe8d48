// File: internal/name_table.h
// -----------------------------------------------------------------------------
//
// Interned resource names: each distinct string is stored once and named by a
// dense 32-bit id. Strings are never freed, so an `absl::string_view` returned
// by `Get()` stays valid for the table's lifetime (and a copy of the table has
// its own storage). Id 0 is the empty string.
//
// The table is built for bulk parsing (a 10^6-line /proc/iomem interns 10^6
// names, a third of them distinct): an open-addressing array of 8-byte slots,
// each holding a name's 32-bit hash and its id, so probing and growing never
// touch the strings themselves; the strings sit back to back in large blocks.
//
// Complexity: `Intern()` is O(length) expected; `Get()` O(1). Memory: the
// strings, 16 bytes per name for the views, and 16 to 32 bytes per name of
// slots (the load factor stays between 1/4 and 1/2).
// Thread-safety: thread-compatible.

#ifndef RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_
#define RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "resource_tree/internal/huge_page_allocator.h"

namespace restree {
namespace internal {

class NameTable {
 public:
  // Where the strings live. A borrowing table keeps views of the strings it
  // is given (which must outlive it) instead of copies: a bulk loader's
  // scratch table over its input text. Copies of any table own their
  // strings.
  enum class Storage { kOwn, kBorrow };

  explicit NameTable(Storage storage = Storage::kOwn);
  NameTable(const NameTable& other);
  NameTable& operator=(const NameTable& other);
  NameTable(NameTable&&) = default;
  NameTable& operator=(NameTable&&) = default;

  // The id of `name`, adding it if new.
  uint32_t Intern(absl::string_view name) { return Intern(name, Hash(name)); }
  // As Intern(), with `hash == Hash(name)` computed earlier.
  uint32_t Intern(absl::string_view name, uint32_t hash);
  // The table's hash of `name`: O(length), a pure function.
  static uint32_t Hash(absl::string_view name);
  // Starts loading the slot where a name with `hash` would be found. A bulk
  // loader that calls this some names ahead of Intern() hides the cache
  // misses of a large table (a third of a 10^6-line parse without it).
  void Prefetch(uint32_t hash) const;
  // Makes room for `n` names in all without growing again.
  void Reserve(size_t n);
  // Interns every name of `other`; `(*ids)[k]` becomes this table's id of
  // `other.Get(k)`. Prefetches ahead: O(other's total length), with the
  // cache misses of a large table overlapped.
  void InternAll(const NameTable& other, std::vector<uint32_t>* ids);
  // Precondition: id < size().
  absl::string_view Get(uint32_t id) const { return views_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(views_.size()); }

 private:
  // Places `name` (not present) with hash `h` and returns its id.
  uint32_t Add(absl::string_view name, uint32_t h, size_t slot);
  // Doubles the slot array.
  void Grow();
  // Moves to a slot array of `slots` (a power of two, more than twice the
  // names), re-placing every id by its stored hash.
  void Rehash(size_t slots);
  // A copy of `name` in the table's own storage.
  absl::string_view Store(absl::string_view name);

  // 0 = empty; else (hash << 32) | (id + 1). Size is a power of two.
  using Slots = std::vector<uint64_t, HugePageAllocator<uint64_t>>;
  Slots slots_;
  std::vector<absl::string_view> views_;  // by id, into blocks_
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* block_free_ = nullptr;  // the unused tail of blocks_.back()
  size_t block_left_ = 0;
  bool borrow_ = false;
};

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_
