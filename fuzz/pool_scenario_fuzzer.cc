// Fuzzes `restree pool`: bytes as a pool scenario (docs/pool.md). Whatever
// the bytes, ParseScenario() returns a scenario or an error starting
// "fuzz.pool:LINE:COLUMN: " with LINE within the input and COLUMN >= 1 (no
// files can be read: base= and trace are errors). A small scenario (at most
// 4 hosts, 64 chunks, 500 events, tick 300) is then built and run with the
// invariants checked after every request and hotplug event: setup may fail
// only with an InvalidArgument naming a line of the input, the run never
// breaks an invariant, and the reports render.
//
//   bazel build --config=fuzz //fuzz:pool_scenario_fuzzer
//   bazel-bin/fuzz/pool_scenario_fuzzer -dict=fuzz/pool_scenario_fuzzer.dict
//       -max_total_time=600 /tmp/pool_corpus fuzz/corpus/pool_scenario_fuzzer

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "appliance/pool.h"
#include "appliance/report.h"
#include "appliance/scenario.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s\n", what, detail.c_str());
  std::abort();
}

// "fuzz.pool:LINE:COLUMN: ..." with LINE in 1..lines and COLUMN >= 1.
void CheckPlace(absl::string_view msg, size_t lines) {
  const std::string whole(msg);
  if (!absl::ConsumePrefix(&msg, "fuzz.pool:")) Fail("no file", whole);
  std::vector<absl::string_view> p =
      absl::StrSplit(msg, absl::MaxSplits(':', 2));
  size_t line = 0, col = 0;
  if (p.size() < 3 || !absl::SimpleAtoi(p[0], &line) ||
      !absl::SimpleAtoi(p[1], &col) || line < 1 || line > lines || col < 1 ||
      !absl::StartsWith(p[2], " ")) {
    Fail("bad place", whole);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace restree::appliance;  // NOLINT: a fuzz entry point
  if (size > 4096) return 0;
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t lines = std::count(in.begin(), in.end(), '\n') + 1;
  absl::StatusOr<Scenario> sc = ParseScenario(in, "fuzz.pool");
  if (!sc.ok()) {
    if (sc.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail("parse code", sc.status().ToString());
    }
    CheckPlace(sc.status().message(), lines);
    return 0;
  }
  const ApplianceSpec& a = sc->appliance;
  if (sc->hosts.size() > 4 || a.capacity / a.chunk > 64 ||
      sc->events.size() > 500 ||
      (!sc->events.empty() && sc->events.back().tick > 300) ||
      a.ticks.value_or(0) > 300) {
    return 0;
  }
  for (const HostSpec& h : sc->hosts) {
    if (h.ram > (uint64_t{64} << 30)) return 0;  // keep trees small
  }
  absl::StatusOr<Pool> pool = Pool::Create(*sc);
  if (!pool.ok()) {
    if (pool.status().code() != absl::StatusCode::kInvalidArgument) {
      Fail("setup code", pool.status().ToString());
    }
    CheckPlace(pool.status().message(), lines);
    return 0;
  }
  if (absl::Status s = pool->Run(); !s.ok()) Fail("run", s.ToString());
  if (!pool->CheckInvariants().empty()) Fail("invariants", "after Run");
  (void)RenderSummary(*pool);
  (void)RenderJson(*pool, "fuzz.pool");
  (void)RenderPlot(*pool, "fuzz");
  return 0;
}
