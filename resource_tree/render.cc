#include "resource_tree/render.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace restree {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Lowercase hex of `v`, at least `width` digits, zero-padded (the kernel's
// "%0*llx").
void AppendHex(std::string* out, uint64_t v, int width) {
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kHexDigits[v & 0xf];
    v >>= 4;
  } while (v != 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

}  // namespace

void AppendProcLine(std::string* out, int depth, int width, uint64_t first,
                    uint64_t last, absl::string_view name) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  AppendHex(out, first, width);
  out->push_back('-');
  AppendHex(out, last, width);
  out->append(" : ");
  out->append(name.data(), name.size());
  out->push_back('\n');
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
