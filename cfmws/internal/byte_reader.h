// File: byte_reader.h
// -----------------------------------------------------------------------------
//
// `ByteReader` is the one bounds-checked cursor through which the CEDT decoder
// reads bytes. It follows the shape of woff2's `Buffer` (src/buffer.h): a
// position inside a fixed span and little-endian reads that either succeed
// and advance, or fail and leave the cursor where it was. The bounds test is
// written `n > size - pos` so it cannot overflow (`pos <= size` always holds).
//
// This is a leaf primitive, so it uses bool + out-parameter, as
// `absl::SimpleAtoi` does: every `Read*` returns false when fewer than the
// needed bytes remain, and `*out` is unspecified then. Callers turn a false
// into an `absl::Status` that names the subtable and offset.
//
// `Sub(n)` returns a reader over the next `n` bytes (and skips them here), so
// a record is decoded by a reader that cannot see past the record's end.
// `base_offset()` is the offset of the reader's first byte in the whole
// table, so positions in error messages are table offsets.
//
// Complexity: every operation is O(1) except `ReadBytes` (O(n)).
// Thread-safety: a reader is a small value over borrowed bytes; distinct
// readers may be used concurrently. The bytes must outlive the reader.

#ifndef RESTREE_CFMWS_INTERNAL_BYTE_READER_H_
#define RESTREE_CFMWS_INTERNAL_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace restree {
namespace internal {

class ByteReader {
 public:
  // Reads `data`, whose first byte is at `base_offset` in the whole table.
  // An empty reader.
  ByteReader() = default;
  explicit ByteReader(absl::Span<const uint8_t> data, size_t base_offset = 0)
      : data_(data), base_offset_(base_offset) {}

  size_t size() const { return data_.size(); }
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  // Table offset of the next byte to be read.
  size_t offset() const { return base_offset_ + pos_; }
  size_t base_offset() const { return base_offset_; }

  [[nodiscard]] bool ReadU8(uint8_t* out) { return ReadLe(1, out); }
  [[nodiscard]] bool ReadU16(uint16_t* out) { return ReadLe(2, out); }
  [[nodiscard]] bool ReadU32(uint32_t* out) { return ReadLe(4, out); }
  [[nodiscard]] bool ReadU64(uint64_t* out) { return ReadLe(8, out); }

  // Copies `n` bytes into `out[0..n)`.
  [[nodiscard]] bool ReadBytes(size_t n, uint8_t* out);
  // Appends the rest of the span to `*out` (never fails).
  void ReadRest(std::vector<uint8_t>* out);
  [[nodiscard]] bool Skip(size_t n);
  // A reader over the next `n` bytes; this reader skips them. False if fewer
  // than `n` remain.
  [[nodiscard]] bool Sub(size_t n, ByteReader* out);

 private:
  template <typename T>
  bool ReadLe(size_t n, T* out) {
    if (n > data_.size() - pos_) return false;
    T v = 0;
    for (size_t i = 0; i < n; ++i) {
      v |= static_cast<T>(static_cast<T>(data_[pos_ + i]) << (8 * i));
    }
    *out = v;
    pos_ += n;
    return true;
  }

  absl::Span<const uint8_t> data_;
  size_t base_offset_ = 0;
  size_t pos_ = 0;
};

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_CFMWS_INTERNAL_BYTE_READER_H_
