#include "resource_tree/internal/name_table.h"

#include <cstring>

#include "base/status_macros.h"

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

NameTable::NameTable(const NameTable& other) : NameTable() { *this = other; }

NameTable& NameTable::operator=(const NameTable& other) {
  if (this == &other) return *this;
  // Same ids, same slots; only the views must point into our own blocks.
  slots_ = other.slots_;
  views_.clear();
  views_.reserve(other.views_.size());
  blocks_.clear();
  block_free_ = nullptr;
  block_left_ = 0;
  free_text_.clear();
  text_bytes_ = 0;
  for (absl::string_view v : other.views_) views_.push_back(Store(v));
  refs_ = other.refs_;
  free_ids_ = other.free_ids_;
  // Verbatim entries keep their ids; their text is copied without the
  // reserved space around it.
  size_t bytes = 0;
  for (size_t k = 0; k < other.verbatim_size_; ++k) {
    bytes += other.verbatim_[k].size;
  }
  verbatim_text_ = decltype(verbatim_text_)();
  verbatim_text_.resize(bytes);
  verbatim_ = decltype(verbatim_)();
  verbatim_.resize(other.verbatim_size_);
  verbatim_size_ = other.verbatim_size_;
  uint32_t at = 0;
  for (size_t k = 0; k < verbatim_size_; ++k) {
    const absl::string_view text =
        other.Get(VerbatimId(static_cast<uint32_t>(k)));
    if (!text.empty())
      std::memcpy(verbatim_text_.data() + at, text.data(), text.size());
    verbatim_[k] = VerbatimName{at, static_cast<uint32_t>(text.size())};
    at += static_cast<uint32_t>(text.size());
  }
  return *this;
}

NameTable::VerbatimSpace NameTable::ReserveVerbatim(size_t entries,
                                                    size_t bytes) {
  RESTREE_CHECK(verbatim_size_ == 0, "ReserveVerbatim() twice");
  RESTREE_CHECK(bytes <= kMaxVerbatimBytes && entries <= kVerbatimBit,
                "too many verbatim names");
  // resize() default-initialises: nothing is written (HugePageAllocator).
  verbatim_.resize(entries);
  verbatim_text_.resize(bytes);
  return VerbatimSpace{verbatim_.data(), verbatim_text_.data()};
}

void NameTable::TrimVerbatim(size_t n) {
  RESTREE_CHECK(n <= verbatim_.size(), "TrimVerbatim() past the reserve");
  verbatim_.resize(n);
  verbatim_size_ = n;
}

absl::string_view NameTable::Store(absl::string_view name) {
  if (name.empty()) return absl::string_view();
  // Every name takes a whole size class, so a freed stretch fits any name
  // of its class.
  const size_t cls = (name.size() + 7) / 8;
  const size_t bytes = cls * 8;
  if (cls < free_text_.size() && !free_text_[cls].empty()) {
    char* p = free_text_[cls].back();
    free_text_[cls].pop_back();
    std::memcpy(p, name.data(), name.size());
    return absl::string_view(p, name.size());
  }
  text_bytes_ += bytes;
  if (bytes > block_left_) {
    const size_t n = bytes > kBlockBytes / 4 ? bytes : kBlockBytes;
    blocks_.push_back(std::unique_ptr<char[]>(new char[n]));
    if (n != kBlockBytes) {
      // A long name gets a block of its own; the current block stays open.
      std::memcpy(blocks_.back().get(), name.data(), name.size());
      absl::string_view v(blocks_.back().get(), name.size());
      if (block_free_ != nullptr)
        std::swap(blocks_.back(), blocks_[blocks_.size() - 2]);
      return v;
    }
    block_free_ = blocks_.back().get();
    block_left_ = n;
  }
  std::memcpy(block_free_, name.data(), name.size());
  absl::string_view v(block_free_, name.size());
  block_free_ += bytes;
  block_left_ -= bytes;
  return v;
}

uint32_t NameTable::HashOf(absl::string_view name) { return HashName(name); }

void NameTable::Unref(uint32_t id) {
  if (id == 0 || (id & kVerbatimBit) != 0) return;
  RESTREE_CHECK(refs_[id] != 0, "NameTable::Unref() of an unheld name");
  if (--refs_[id] == 0) Remove(id);
}

void NameTable::Remove(uint32_t id) {
  const absl::string_view name = views_[id];
  const size_t mask = slots_.size() - 1;
  size_t i = HashName(name) & mask;
  while (static_cast<uint32_t>(slots_[i]) != id + 1) i = (i + 1) & mask;
  // Backward-shift deletion: move each later entry of the probe run into
  // the hole when its home slot does not lie (cyclically) after the hole.
  for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    const uint64_t s = slots_[j];
    if (s == 0) break;
    const size_t home = static_cast<uint32_t>(s >> 32) & mask;
    const bool stays =
        i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = s;
    i = j;
  }
  slots_[i] = 0;
  if (!name.empty()) {
    const size_t cls = (name.size() + 7) / 8;
    if (free_text_.size() <= cls) free_text_.resize(cls + 1);
    free_text_[cls].push_back(const_cast<char*>(name.data()));
  }
  views_[id] = absl::string_view();
  free_ids_.push_back(id);
}

uint32_t NameTable::Intern(absl::string_view name) {
  const uint32_t h = HashName(name);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) return Add(name, h, i);
    if (static_cast<uint32_t>(s >> 32) == h) {
      const uint32_t id = static_cast<uint32_t>(s) - 1;
      if (views_[id] == name) return id;
    }
  }
}

uint32_t NameTable::Add(absl::string_view name, uint32_t h, size_t slot) {
  uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
    views_[id] = Store(name);
  } else {
    id = static_cast<uint32_t>(views_.size());
    RESTREE_CHECK(id < kVerbatimBit, "too many interned names");
    views_.push_back(Store(name));
    refs_.push_back(0);
  }
  slots_[slot] = (static_cast<uint64_t>(h) << 32) | (uint64_t{id} + 1);
  if (live_names() * 2 > slots_.size()) Grow();
  return id;
}

void NameTable::Grow() {
  Slots old(slots_.size() * 2, 0);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (uint64_t s : old) {
    if (s == 0) continue;
    size_t i = static_cast<uint32_t>(s >> 32) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace internal
}  // namespace restree
