// Fuzzes restree numa's readers and everything downstream of them.
//
// The first byte picks the input kind, the rest is the input:
//   'N' + text         ParseNumactl()
//   'S' + bytes        DecodeSlit()
//   'T' + bytes        DecodeSlit() after fixing the length field and the
//                      checksum, so that mutations reach the matrix checks
//   'A' + text "\n---\n" text
//                      ParseNumactl() on the first part, then
//                      ApplyNodeAttributes() with the second
// Anything that parses is tiered; the topology and the tiering must pass
// their checkers, and every renderer must run. A failed check aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "numa/parse.h"
#include "numa/render.h"
#include "numa/tiering.h"
#include "numa/topology.h"

namespace {

using restree::numa::Topology;

void Check(const std::vector<std::string>& violations, const char* what) {
  if (!violations.empty()) {
    std::fprintf(stderr, "%s: %s\n", what, violations.front().c_str());
    std::abort();
  }
}

void Exercise(const Topology& t) {
  Check(t.CheckInvariants(), "topology");
  absl::StatusOr<restree::numa::Tiering> r = restree::numa::ComputeTiering(t);
  if (!r.ok()) {
    // Only absurd performance data may fail (abstract distance overflow).
    if (r.status().code() != absl::StatusCode::kOutOfRange) {
      std::fprintf(stderr, "tiering: %s\n",
                   std::string(r.status().message()).c_str());
      std::abort();
    }
    return;
  }
  Check(restree::numa::CheckTiering(t, *r), "tiering");
  const std::vector<std::string> notes;
  (void)restree::numa::RenderText(t, *r, notes);
  (void)restree::numa::RenderJson(t, *r, notes);
  (void)restree::numa::RenderDot(t, *r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  const char mode = static_cast<char>(data[0]);
  const absl::string_view rest(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  if (mode == 'N') {
    absl::StatusOr<Topology> t = restree::numa::ParseNumactl(rest, "fuzz");
    if (t.ok()) Exercise(*t);
  } else if (mode == 'S') {
    const std::vector<uint8_t> bytes(data + 1, data + size);
    absl::StatusOr<Topology> t = restree::numa::DecodeSlit(bytes, "fuzz");
    if (t.ok()) Exercise(*t);
  } else if (mode == 'T') {
    std::vector<uint8_t> bytes(data + 1, data + size);
    if (bytes.size() >= 36) {
      const auto length = static_cast<uint32_t>(bytes.size());
      for (int i = 0; i < 4; ++i) {
        bytes[4 + i] = static_cast<uint8_t>(length >> (8 * i));
      }
      bytes[9] = 0;
      uint8_t sum = 0;
      for (uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
      bytes[9] = static_cast<uint8_t>(-sum);
    }
    absl::StatusOr<Topology> t = restree::numa::DecodeSlit(bytes, "fuzz");
    if (t.ok()) Exercise(*t);
  } else if (mode == 'A') {
    const size_t split = rest.find("\n---\n");
    if (split == absl::string_view::npos) return 0;
    absl::StatusOr<Topology> t =
        restree::numa::ParseNumactl(rest.substr(0, split), "fuzz");
    if (!t.ok()) return 0;
    const Topology before = *t;
    if (restree::numa::ApplyNodeAttributes(rest.substr(split + 5), "fuzz", &*t)
            .ok()) {
      Exercise(*t);
    } else if (t->nodes().size() != before.nodes().size() ||
               t->MemoryNodes() != before.MemoryNodes() ||
               t->CpuNodes() != before.CpuNodes()) {
      std::fprintf(stderr,
                   "a failed ApplyNodeAttributes changed the topology\n");
      std::abort();
    }
  }
  return 0;
}
