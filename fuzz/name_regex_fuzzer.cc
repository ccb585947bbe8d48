// Fuzzes `restree show --name`'s regex engine: the input up to the first NUL
// is the pattern, the rest the name. Whatever the bytes, Compile() must
// return (a pattern or an error naming a column within the pattern) and
// Search() must finish in O(|name| * states) without recursing; libFuzzer's
// -timeout and -rss_limit_mb catch the rest.
//
//   bazel build --config=fuzz //fuzz:name_regex_fuzzer
//   bazel-bin/fuzz/name_regex_fuzzer -max_total_time=600 /tmp/re_corpus
//       fuzz/corpus/name_regex_fuzzer

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "iomem_parser/name_regex.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using restree::NameRegex;
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const absl::string_view pattern = in.substr(0, nul);
  const absl::string_view name =
      nul == absl::string_view::npos ? absl::string_view() : in.substr(nul + 1);
  absl::StatusOr<NameRegex> re = NameRegex::Compile(pattern);
  if (!re.ok()) {
    // "column N: ..." with 1 <= N <= |pattern| + 1.
    absl::string_view msg = re.status().message();
    size_t col = 0;
    const bool prefixed = absl::ConsumePrefix(&msg, "column ");
    const size_t colon = msg.find(':');
    if (!prefixed || colon == absl::string_view::npos ||
        !absl::SimpleAtoi(msg.substr(0, colon), &col) || col < 1 ||
        col > pattern.size() + 1) {
      std::fprintf(stderr, "bad error for a %zu-byte pattern: %s\n",
                   pattern.size(), std::string(re.status().message()).c_str());
      std::abort();
    }
    return 0;
  }
  // The empty string is in every name, so a pattern that matches "" must
  // match any name too (a cheap semantic check on arbitrary patterns).
  const bool empty = re->Search("");
  const bool found = re->Search(name);
  if (empty && !found &&
      pattern.find_first_of("^$") == absl::string_view::npos) {
    std::fprintf(stderr, "matches \"\" but not a longer name\n");
    std::abort();
  }
  return 0;
}
