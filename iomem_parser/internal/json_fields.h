// File: json_fields.h
// -----------------------------------------------------------------------------
//
// JSON fields that `restree show`, `diff` and `check` share (docs/json.md):
// a range as "start"/"end" (hex strings) and "size" (an exact integer), and
// the System RAM total; for an unprivileged, all-zero dump each is null.

#ifndef RESTREE_IOMEM_PARSER_INTERNAL_JSON_FIELDS_H_
#define RESTREE_IOMEM_PARSER_INTERNAL_JSON_FIELDS_H_

#include "absl/numeric/int128.h"
#include "base/json_writer.h"
#include "resource_tree/range.h"

namespace restree {
namespace internal {

// "start", "end" and "size" into the open object.
inline void WriteRangeFields(JsonWriter& w, const Range& r, bool zeroed) {
  if (zeroed) {
    w.Key("start").Null().Key("end").Null().Key("size").Null();
  } else {
    w.Key("start").Hex(r.first()).Key("end").Hex(r.last());
    w.Key("size").Uint128(r.size());
  }
}

// "system_ram" into the open object.
inline void WriteSystemRam(JsonWriter& w, absl::uint128 bytes, bool zeroed) {
  w.Key("system_ram");
  if (zeroed) {
    w.Null();
  } else {
    w.Uint128(bytes);
  }
}

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_IOMEM_PARSER_INTERNAL_JSON_FIELDS_H_
