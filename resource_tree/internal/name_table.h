// File: internal/name_table.h
// -----------------------------------------------------------------------------
//
// Interned resource names: each distinct string is stored once and named by a
// 32-bit id, dense unless concurrent writers left gaps (see Writer). Strings are never freed, so an `absl::string_view` returned
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
// Thread-safety: thread-compatible, except that Writers (below) intern from
// several threads at once.

#ifndef RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_
#define RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "resource_tree/internal/huge_page_allocator.h"

namespace restree {
namespace internal {

class NameTable {
 public:
  // What Writer::Intern() returns when the table is full.
  static constexpr uint32_t kFull = 0xffffffffu;

  NameTable();
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
  void Prefetch(uint32_t hash) const {
    __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  }
  // Makes room for `n` names in all without growing again.
  void Reserve(size_t n);
  // Precondition: id < size().
  absl::string_view Get(uint32_t id) const {
    return absl::string_view(views_[id].data, views_[id].size);
  }
  uint32_t size() const { return static_cast<uint32_t>(views_.size()); }

  // ---------------------------------------------------------------------------
  // Interning from several threads at once, for bulk loaders:
  //
  //   table.BeginWriters(n, 2);              // room for n names, 2 writers
  //   NameTable::Writer w(&table);           // one per thread, each used
  //   uint32_t id = w.Intern(name, hash);    // on its own thread
  //   ...                                    // (threads joined)
  //   table.EndWriters({&w, ...});           // every writer, once
  //
  // Between BeginWriters() and EndWriters() the table may be used only
  // through its Writers (and Prefetch()). Ids stay unique per string, but
  // after EndWriters() they may have gaps: ids a writer set aside and did
  // not use hold the empty string (and are never returned by Intern()).
  class Writer;
  // Fixes the table's room (it will not grow while the writers run): with
  // at most `writers` Writers, Writer::Intern() refuses a new name only once
  // the table holds `n` names or more. With one writer it skips the atomic
  // compare-and-swap.
  void BeginWriters(size_t n, size_t writers);
  // Takes the writers' strings into the table and makes it usable again.
  void EndWriters(absl::Span<Writer* const> writers);

 private:
  // A name's characters, as Get() returns them; trivial, so that the view
  // array can be sized for concurrent writers without being written.
  struct View {
    const char* data;
    size_t size;
  };
  // Strings copied into large blocks, never moved or freed.
  class Storage {
   public:
    View Store(absl::string_view name);
    // Moves `other`'s blocks into this storage.
    void Adopt(Storage* other);

   private:
    std::vector<std::unique_ptr<char[]>> blocks_;
    char* free_ = nullptr;  // the unused tail of the current block
    size_t left_ = 0;
  };

  // Places `name` (not present) with hash `h` and returns its id.
  uint32_t Add(absl::string_view name, uint32_t h, size_t slot);
  // Doubles the slot array.
  void Grow();
  // Moves to a slot array of `slots` (a power of two, more than twice the
  // names), re-placing every id by its stored hash.
  void Rehash(size_t slots);

  // 0 = empty; else (hash << 32) | (id + 1). Size is a power of two.
  using Slots = std::vector<uint64_t, HugePageAllocator<uint64_t>>;
  Slots slots_;
  std::vector<View, HugePageAllocator<View>> views_;  // by id
  Storage storage_;
  // While writers run: the next id no writer has set aside yet (atomic),
  // and the most names the slots may hold.
  uint32_t next_id_ = 0;
  uint32_t limit_ = 0;
  bool lone_writer_ = false;  // BeginWriters() was told of one writer
};

// One thread's way into a table between BeginWriters() and EndWriters().
// Thread-compatible: one Writer per thread; Writers of one table may run
// concurrently.
class NameTable::Writer {
 public:
  // Precondition: after table->BeginWriters().
  explicit Writer(NameTable* table)
      : table_(table),
        slots_(table->slots_.data()),
        mask_(table->slots_.size() - 1) {}
  Writer(Writer&&) = default;
  Writer& operator=(Writer&&) = default;

  // The id of `name` (`hash == Hash(name)`), adding it if new; kFull
  // (adding nothing) when the table is full (see BeginWriters()). O(length)
  // expected, lock-free: a name first seen by two writers at once is added
  // once.
  uint32_t Intern(absl::string_view name, uint32_t hash);
  void Prefetch(uint32_t hash) const {
    __builtin_prefetch(&slots_[hash & mask_]);
  }

 private:
  friend class NameTable;
  // Sets aside the next ids for this writer's new names; false if none are
  // left.
  bool TakeIds();

  NameTable* table_;
  uint64_t* slots_;  // the table's, fixed while writers run
  size_t mask_;
  uint32_t next_ = 0;  // this writer's ids set aside: [next_, end_)
  uint32_t end_ = 0;
  Storage storage_;
};

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_INTERNAL_NAME_TABLE_H_
