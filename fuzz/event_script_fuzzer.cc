// Fuzzes the hotplug event language's parser (hotplug/parse.h). Whatever
// the bytes, ParseScript() returns: either a script, which prints back
// (FormatScript) to text that parses to the same events, or an error whose
// message starts "fuzz.events:LINE:COLUMN: " with LINE within the input's
// lines and COLUMN at least 1. Limits are lowered so that the fuzzer also
// reaches the line-length and event-count errors.
//
//   bazel build --config=fuzz //fuzz:event_script_fuzzer
//   bazel-bin/fuzz/event_script_fuzzer -dict=fuzz/event_script_fuzzer.dict
//       -max_total_time=600 /tmp/ev_corpus fuzz/corpus/event_script_fuzzer

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "hotplug/format.h"
#include "hotplug/parse.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using restree::hotplug::ParseLimits;
  using restree::hotplug::ParseScript;
  using restree::hotplug::Script;
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  ParseLimits limits;
  limits.max_line_bytes = 512;
  limits.max_events = 64;
  absl::StatusOr<Script> s = ParseScript(in, "fuzz.events", limits);
  if (!s.ok()) {
    absl::string_view msg = s.status().message();
    std::vector<absl::string_view> parts = absl::StrSplit(msg, ':');
    size_t line = 0;
    size_t col = 0;
    const size_t lines = std::count(in.begin(), in.end(), '\n') + 1;
    if (!absl::ConsumePrefix(&msg, "fuzz.events:") || parts.size() < 4 ||
        !absl::SimpleAtoi(parts[1], &line) ||
        !absl::SimpleAtoi(parts[2], &col) || line < 1 || line > lines ||
        col < 1) {
      Fail("error without a place", std::string(s.status().message()));
    }
    return 0;
  }
  const std::string text = restree::hotplug::FormatScript(*s);
  absl::StatusOr<Script> again = ParseScript(text, "fuzz.events");
  if (!again.ok()) Fail("printed script does not parse", text);
  if (again->events.size() != s->events.size()) {
    Fail("printed script has another number of events", text);
  }
  for (size_t i = 0; i < s->events.size(); ++i) {
    if (!(again->events[i].body == s->events[i].body)) {
      Fail("printed event parses differently", text);
    }
  }
  return 0;
}
