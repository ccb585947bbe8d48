#include "resource_tree/render.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"

namespace restree {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// The number of hex digits of `v` (1 for 0).
int HexDigitCount(uint64_t v) {
  return v == 0 ? 1 : (64 - __builtin_clzll(v) + 3) / 4;
}

// Writes the `digits` lowest hex digits of `v`, zero-padded, at `p`.
char* WriteHex(char* p, uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = kHexDigits[v & 0xf];
    v >>= 4;
  }
  return p + digits;
}

}  // namespace

void AppendHexPadded(std::string* out, uint64_t v, int width) {
  const int digits = std::max(width, HexDigitCount(v));
  const size_t old_size = out->size();
  out->resize(old_size + static_cast<size_t>(digits));
  WriteHex(&(*out)[old_size], v, digits);
}

void AppendProcLine(std::string* out, int depth, int width, uint64_t first,
                    uint64_t last, absl::string_view name) {
  // The kernel's "%*s%0*llx-%0*llx : %s\n": sized once, then written in place.
  const int first_digits = std::max(width, HexDigitCount(first));
  const int last_digits = std::max(width, HexDigitCount(last));
  const size_t indent = static_cast<size_t>(depth) * 2;
  const size_t old_size = out->size();
  out->resize(old_size + indent + static_cast<size_t>(first_digits) + 1 +
              static_cast<size_t>(last_digits) + 3 + name.size() + 1);
  char* p = &(*out)[old_size];
  std::memset(p, ' ', indent);
  p = WriteHex(p + indent, first, first_digits);
  *p++ = '-';
  p = WriteHex(p, last, last_digits);
  std::memcpy(p, " : ", 3);
  p += 3;
  if (!name.empty()) std::memcpy(p, name.data(), name.size());
  p[name.size()] = '\n';
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
  tree.ForEachPreorder(
      [&](ResourceId id, int depth) { line(id, depth + 1); });
  return out;
}

}  // namespace restree
