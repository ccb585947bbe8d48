#include "resource_tree/render.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"

namespace restree {
namespace {

// The number of hex digits of `v` (1 for 0).
int HexDigitCount(uint64_t v) {
  return v == 0 ? 1 : (64 - __builtin_clzll(v) + 3) / 4;
}

// The 8 hex digits of `x`, most significant first, as the bytes of a
// little-endian word: the nibbles spread one per byte, put in string order,
// then each made an ASCII digit or letter, all eight at once.
uint64_t Hex8(uint32_t x) {
  uint64_t y = x;
  y = (y | (y << 16)) & 0x0000ffff0000ffffULL;
  y = (y | (y << 8)) & 0x00ff00ff00ff00ffULL;
  y = (y | (y << 4)) & 0x0f0f0f0f0f0f0f0fULL;
  y = __builtin_bswap64(y);
  // 1 in each byte whose nibble is 10 or more (a letter).
  const uint64_t letter =
      ((y + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
  return y + 0x3030303030303030ULL + letter * ('a' - '0' - 10);
}

// Writes the `digits` (1 to 16) lowest hex digits of `v`, zero-padded, at
// `p`; returns the end.
char* WriteHex(char* p, uint64_t v, int digits) {
  char buf[16];
  const uint64_t high = Hex8(static_cast<uint32_t>(v >> 32));
  const uint64_t low = Hex8(static_cast<uint32_t>(v));
  std::memcpy(buf, &high, 8);
  std::memcpy(buf + 8, &low, 8);
  std::memcpy(p, buf + 16 - digits, static_cast<size_t>(digits));
  return p + digits;
}

}  // namespace

void AppendHexPadded(std::string* out, uint64_t v, int width) {
  const int digits = std::max(width, HexDigitCount(v));
  const size_t old_size = out->size();
  out->resize(old_size + static_cast<size_t>(digits));
  WriteHex(&(*out)[old_size], v, digits);
}

size_t ProcLineSize(int depth, absl::string_view name) {
  return static_cast<size_t>(depth) * 2 + 16 + 1 + 16 + 3 + name.size() + 1;
}

char* WriteProcLine(char* p, int depth, int width, uint64_t first,
                    uint64_t last, absl::string_view name) {
  // The kernel's "%*s%0*llx-%0*llx : %s\n".
  const size_t indent = static_cast<size_t>(depth) * 2;
  std::memset(p, ' ', indent);
  p = WriteHex(p + indent, first, std::max(width, HexDigitCount(first)));
  *p++ = '-';
  p = WriteHex(p, last, std::max(width, HexDigitCount(last)));
  std::memcpy(p, " : ", 3);
  p += 3;
  if (!name.empty()) std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = '\n';
  return p;
}

void AppendProcLine(std::string* out, int depth, int width, uint64_t first,
                    uint64_t last, absl::string_view name) {
  const size_t old_size = out->size();
  out->resize(old_size + ProcLineSize(depth, name));
  char* end = WriteProcLine(&(*out)[old_size], depth, width, first, last, name);
  out->resize(static_cast<size_t>(end - out->data()));
}

std::string RenderProcIomem(const ResourceTree& tree,
                            const ProcRenderOptions& options) {
  const int max_depth =
      options.max_depth.value_or(tree.profile().proc_max_depth);
  const int width = tree.RangeOf(tree.root()).last() < 0x10000 ? 4 : 8;
  std::string out;
  out.reserve(tree.size() * 40);
  tree.ForEachPreorder([&](ResourceId id, int depth) {
    const Range r = tree.RangeOf(id);
    const bool zero = options.zero_addresses;
    AppendProcLine(&out, std::min(depth, max_depth), width,
                   zero ? 0 : r.first(), zero ? 0 : r.last(), tree.NameOf(id));
  });
  return out;
}

void AppendDumpLine(std::string* out, int depth, uint64_t first, uint64_t last,
                    absl::string_view name, uint64_t flags, uint32_t desc) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  absl::StrAppendFormat(out, "%016x-%016x : %s flags=%#x desc=%d\n", first,
                        last, name, flags, desc);
}

std::string RenderDump(const ResourceTree& tree) {
  std::string out;
  auto line = [&](ResourceId id, int depth) {
    const ResourceView v = tree.View(id);
    AppendDumpLine(&out, depth, v.range.first(), v.range.last(), v.name,
                   v.flags, v.desc);
  };
  line(tree.root(), 0);
  tree.ForEachPreorder([&](ResourceId id, int depth) { line(id, depth + 1); });
  return out;
}

}  // namespace restree
