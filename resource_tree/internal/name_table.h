// File: internal/name_table.h
// -----------------------------------------------------------------------------
//
// Resource names, each named by a 32-bit id. Two kinds of entries:
//
//   * Interned names, from `Intern()`: each distinct string is stored once
//     under a dense id (id 0 is the empty string). Built for operations that
//     name one resource at a time: an open-addressing array of 8-byte slots,
//     each holding a name's 32-bit hash and its id, so probing and growing
//     never touch the strings themselves; the strings sit back to back in
//     large blocks.
//   * Verbatim names, for bulk loading: entry k is stored as given, with no
//     hashing and no deduplication, under `VerbatimId(k)`. A 10^6-line
//     /proc/iomem parse stores its names this way, on several threads at
//     once (see `ReserveVerbatim()`), which costs a copy of the bytes instead
//     of a hash table lookup per line.
//
// So equal ids mean equal text, but equal text may have several ids (a
// verbatim name and an interned one, or two verbatim ones): compare names by
// text.
//
// Interned names are reference-counted by their holders (`Ref()`,
// `Unref()`): when the last holder lets go, the name leaves the table, its
// id is reused by the next new name and its bytes by the next name of the
// same size class, so churn through distinct names (region0, region1, ...)
// keeps the table's memory flat. Id 0 (the empty name) is never freed.
// Verbatim entries are not counted: they are written once by a bulk load
// and live as long as the table.
//
// An `absl::string_view` returned by `Get()` stays valid until its name is
// freed (for verbatim names: for the table's lifetime); a copy of the table
// has its own storage.
//
// Complexity: `Intern()` is O(length) expected; `Get()` O(1); copying O(total
// length). Memory: per interned name, its string, a 16-byte view and 16 to 32
// bytes of slots (the load factor stays between 1/4 and 1/2); per verbatim
// entry, its string and 8 bytes.
// Thread-safety: thread-compatible; distinct verbatim entries may be written
// concurrently through the pointers `ReserveVerbatim()` returns.

#ifndef RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_
#define RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "resource_tree/internal/huge_page_allocator.h"

namespace restree {
namespace internal {

class NameTable {
 public:
  // A verbatim entry: `size` bytes at `offset` in the table's verbatim text.
  struct VerbatimName {
    uint32_t offset;
    uint32_t size;
  };
  // Where a bulk loader writes verbatim names: `entries[k]` describes entry
  // k, whose bytes it copies to `text + entries[k].offset`.
  struct VerbatimSpace {
    VerbatimName* entries;
    char* text;
  };
  // The largest number of bytes of verbatim text (offsets are 32-bit).
  static constexpr size_t kMaxVerbatimBytes = 0xffffffffu;

  NameTable();
  NameTable(const NameTable& other);
  NameTable& operator=(const NameTable& other);
  NameTable(NameTable&&) = default;
  NameTable& operator=(NameTable&&) = default;

  // The id of `name` among the interned names, adding it if new. A new
  // name has no holders: the caller takes a reference with Ref() before it
  // next calls Unref() on anything.
  // Precondition: fewer than 2^31 interned names.
  uint32_t Intern(absl::string_view name);
  // Takes / drops one reference to `id`; no-op for id 0 and verbatim ids.
  // Unref() of the last reference frees the name. O(1) expected.
  void Ref(uint32_t id) {
    if (id != 0 && (id & kVerbatimBit) == 0) ++refs_[id];
  }
  void Unref(uint32_t id);
  // The number of references to an interned id (0 for id 0 and verbatim
  // ids, which are not counted).
  uint32_t RefCount(uint32_t id) const {
    return id != 0 && (id & kVerbatimBit) == 0 && id < refs_.size() ? refs_[id]
                                                                    : 0;
  }

  // The id of verbatim entry k.
  static uint32_t VerbatimId(uint32_t k) { return kVerbatimBit | k; }
  // Makes room for `entries` verbatim entries and `bytes` bytes of their
  // text, and returns where to write them. Neither is written here (a loader
  // on several threads faults in the pages it fills), so every entry in
  // [0, n) must be written before `TrimVerbatim(n)` makes them part of the
  // table. Precondition: no verbatim entries yet, `bytes <=
  // kMaxVerbatimBytes`. Invalidates earlier VerbatimSpaces.
  VerbatimSpace ReserveVerbatim(size_t entries, size_t bytes);
  // Keeps verbatim entries [0, n), which must all have been written.
  void TrimVerbatim(size_t n);

  // The text of `id`. Precondition: Valid(id).
  absl::string_view Get(uint32_t id) const {
    if ((id & kVerbatimBit) == 0) return views_[id];
    const VerbatimName& v = verbatim_[id & ~kVerbatimBit];
    return absl::string_view(verbatim_text_.data() + v.offset, v.size);
  }
  // True iff `id` names an entry of this table (a live interned name, or a
  // verbatim entry).
  bool Valid(uint32_t id) const {
    return (id & kVerbatimBit) == 0
               ? id < views_.size() && (id == 0 || refs_[id] != 0)
               : (id & ~kVerbatimBit) < verbatim_size_;
  }
  // The number of interned ids in use or free for reuse (ids are below it).
  uint32_t size() const { return static_cast<uint32_t>(views_.size()); }
  // The number of interned names with holders, the empty name included.
  size_t live_names() const { return views_.size() - free_ids_.size(); }
  // Bytes of storage held for interned names' text (for memory tests).
  size_t text_bytes() const { return text_bytes_; }

 private:
  static constexpr uint32_t kVerbatimBit = 0x80000000u;

  // Places `name` (not present) with hash `h` and returns its id.
  uint32_t Add(absl::string_view name, uint32_t h, size_t slot);
  // Doubles the slot array, re-placing every id by its stored hash.
  void Grow();
  // A copy of `name` in the table's own storage (a freed stretch of its
  // size class if there is one).
  absl::string_view Store(absl::string_view name);
  // Removes interned `id` (no holders left) from the slots; frees its id
  // and bytes for reuse.
  void Remove(uint32_t id);
  static uint32_t HashOf(absl::string_view name);

  // 0 = empty; else (hash << 32) | (id + 1). Size is a power of two.
  using Slots = std::vector<uint64_t, HugePageAllocator<uint64_t>>;
  Slots slots_;
  std::vector<absl::string_view> views_;  // by id, into blocks_
  std::vector<uint32_t> refs_;            // by id
  std::vector<uint32_t> free_ids_;        // ids of removed names
  // Freed name storage by size class (the size rounded up to 8 bytes).
  std::vector<std::vector<char*>> free_text_;
  size_t text_bytes_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* block_free_ = nullptr;  // the unused tail of blocks_.back()
  size_t block_left_ = 0;

  // Verbatim entries [0, verbatim_size_) are part of the table; the rest of
  // the arrays is reserved space.
  std::vector<VerbatimName, HugePageAllocator<VerbatimName>> verbatim_;
  std::vector<char, HugePageAllocator<char>> verbatim_text_;
  size_t verbatim_size_ = 0;
};

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_
