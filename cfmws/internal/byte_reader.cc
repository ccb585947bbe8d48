#include "cfmws/internal/byte_reader.h"

#include <cstring>

namespace restree {
namespace internal {

bool ByteReader::ReadBytes(size_t n, uint8_t* out) {
  if (n > data_.size() - pos_) return false;
  if (n != 0) std::memcpy(out, data_.data() + pos_, n);
  pos_ += n;
  return true;
}

void ByteReader::ReadRest(std::vector<uint8_t>* out) {
  out->insert(out->end(), data_.begin() + static_cast<std::ptrdiff_t>(pos_),
              data_.end());
  pos_ = data_.size();
}

bool ByteReader::Skip(size_t n) {
  if (n > data_.size() - pos_) return false;
  pos_ += n;
  return true;
}

bool ByteReader::Sub(size_t n, ByteReader* out) {
  if (n > data_.size() - pos_) return false;
  *out = ByteReader(data_.subspan(pos_, n), base_offset_ + pos_);
  pos_ += n;
  return true;
}

}  // namespace internal
}  // namespace restree
