#include "resource_tree/internal/name_table.h"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace restree {
namespace internal {
namespace {

constexpr size_t kInitialSlots = 64;
constexpr size_t kBlockBytes = 64 * 1024;

uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
uint32_t Load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// Names are short; a word-at-a-time multiply hash is several times cheaper
// than a general-purpose one and spreads /proc/iomem names well. Every read
// is a fixed-size load (the tail overlaps the last full word), so nothing
// calls memcpy.
inline __attribute__((always_inline)) uint32_t HashName(absl::string_view s) {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  const char* const p = s.data();
  const size_t n = s.size();
  uint64_t h = (n + 1) * kMul;
  auto mix = [&](uint64_t w) {
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) mix(Load64(p + i));
    mix(Load64(p + n - 8));
  } else if (n >= 4) {
    mix((uint64_t{Load32(p)} << 32) | Load32(p + n - 4));
  } else if (n > 0) {
    mix((uint64_t{static_cast<unsigned char>(p[0])} << 16) |
        (uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
        static_cast<unsigned char>(p[n - 1]));
  }
  h *= kMul;
  return static_cast<uint32_t>(h >> 32);
}

}  // namespace

NameTable::NameTable() : slots_(kInitialSlots, 0) { Intern(""); }

NameTable::NameTable(const NameTable& other) : NameTable() {
  *this = other;
}

uint32_t NameTable::Hash(absl::string_view name) { return HashName(name); }

NameTable& NameTable::operator=(const NameTable& other) {
  if (this == &other) return *this;
  // Same ids, same slots; only the views must point into our own blocks.
  slots_ = other.slots_;
  views_.clear();
  views_.reserve(other.views_.size());
  storage_ = Storage();
  for (uint32_t id = 0; id < other.size(); ++id) {
    views_.push_back(storage_.Store(other.Get(id)));
  }
  return *this;
}

NameTable::View NameTable::Storage::Store(absl::string_view name) {
  if (name.empty()) return View{nullptr, 0};
  if (name.size() > left_) {
    const size_t n = name.size() > kBlockBytes / 4 ? name.size() : kBlockBytes;
    blocks_.push_back(std::unique_ptr<char[]>(new char[n]));
    if (n != kBlockBytes) {
      // A long name gets a block of its own; the current block stays open.
      std::memcpy(blocks_.back().get(), name.data(), name.size());
      return View{blocks_.back().get(), name.size()};
    }
    free_ = blocks_.back().get();
    left_ = n;
  }
  std::memcpy(free_, name.data(), name.size());
  const View v{free_, name.size()};
  free_ += name.size();
  left_ -= name.size();
  return v;
}

void NameTable::Storage::Adopt(Storage* other) {
  // Our current block (free_) stays the one Store() fills.
  for (auto& b : other->blocks_) blocks_.push_back(std::move(b));
  other->blocks_.clear();
  other->free_ = nullptr;
  other->left_ = 0;
}

uint32_t NameTable::Intern(absl::string_view name, uint32_t h) {
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) return Add(name, h, i);
    if (static_cast<uint32_t>(s >> 32) == h) {
      const uint32_t id = static_cast<uint32_t>(s) - 1;
      if (Get(id) == name) return id;
    }
  }
}

uint32_t NameTable::Add(absl::string_view name, uint32_t h, size_t slot) {
  const uint32_t id = static_cast<uint32_t>(views_.size());
  views_.push_back(storage_.Store(name));
  slots_[slot] = (static_cast<uint64_t>(h) << 32) | (uint64_t{id} + 1);
  if (views_.size() * 2 > slots_.size()) Grow();
  return id;
}

void NameTable::Reserve(size_t n) {
  if (n > views_.capacity()) views_.reserve(n);
  size_t slots = slots_.size();
  while (n * 2 > slots) slots *= 2;
  if (slots != slots_.size()) Rehash(slots);
}

void NameTable::Grow() { Rehash(slots_.size() * 2); }

void NameTable::Rehash(size_t slots) {
  Slots old(slots, 0);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (uint64_t s : old) {
    if (s == 0) continue;
    size_t i = static_cast<uint32_t>(s >> 32) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

// -----------------------------------------------------------------------------
// Concurrent writers.
//
// A slot goes from 0 to its final value once, by compare-and-swap; a writer
// writes a new name's view (at an id only it may use) before publishing the
// slot with release order, and readers load slots with acquire order, so a
// view is complete before any reader can find its id. Ids are set aside in
// runs of kIdRun from one shared counter, so writers rarely touch the same
// cache line.

namespace {

constexpr uint32_t kIdRun = 256;

}  // namespace

void NameTable::BeginWriters(size_t n, size_t writers) {
  // Each writer may hold up to a run of ids it has not used yet.
  Reserve(n + writers * kIdRun);
  // The slot array no longer grows: at most half of it may be used.
  limit_ = static_cast<uint32_t>(
      std::min<size_t>(slots_.size() / 2, size_t{kFull} - 1));
  next_id_ = size();
  lone_writer_ = writers <= 1;
  views_.resize(limit_);  // not written: View is trivial (see the allocator)
}

void NameTable::EndWriters(absl::Span<Writer* const> writers) {
  const uint32_t end =
      std::min(std::atomic_ref<uint32_t>(next_id_).load(), limit_);
  for (Writer* w : writers) {
    // The ids a writer set aside and did not use are gaps.
    for (uint32_t id = w->next_; id < w->end_; ++id) views_[id] = View{nullptr, 0};
    w->next_ = w->end_ = 0;
    storage_.Adopt(&w->storage_);
  }
  views_.resize(end);
  limit_ = 0;
}

bool NameTable::Writer::TakeIds() {
  const uint32_t first =
      std::atomic_ref<uint32_t>(table_->next_id_).fetch_add(
          kIdRun, std::memory_order_relaxed);
  if (first >= table_->limit_) return false;
  next_ = first;
  end_ = std::min(first + kIdRun, table_->limit_);
  return true;
}

uint32_t NameTable::Writer::Intern(absl::string_view name, uint32_t h) {
  for (size_t i = h & mask_;; i = (i + 1) & mask_) {
    std::atomic_ref<uint64_t> slot(slots_[i]);
    uint64_t s = slot.load(std::memory_order_acquire);
    if (s == 0) {
      if (next_ == end_ && !TakeIds()) return kFull;
      const uint32_t id = next_;
      table_->views_[id] = storage_.Store(name);
      const uint64_t mine = (static_cast<uint64_t>(h) << 32) | (uint64_t{id} + 1);
      // A lone writer has no one to race: a plain (release) store.
      if (table_->lone_writer_) {
        slot.store(mine, std::memory_order_release);
        ++next_;
        return id;
      }
      if (slot.compare_exchange_strong(s, mine, std::memory_order_release,
                                       std::memory_order_acquire)) {
        ++next_;
        return id;
      }
      // Another writer took the slot first (`s` is now its value): the id
      // stays this writer's for its next new name; the string copy is lost.
    }
    if (static_cast<uint32_t>(s >> 32) == h) {
      const uint32_t id = static_cast<uint32_t>(s) - 1;
      if (table_->Get(id) == name) return id;
    }
  }
}

}  // namespace internal
}  // namespace restree
