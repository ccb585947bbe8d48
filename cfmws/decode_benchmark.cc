// Decode throughput: bytes of CEDT decoded per second, for tables of n
// windows (each 2-way, with its two CHBS), and the cost of validating them.
//   bazel run -c opt //cfmws:decode_benchmark

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "cfmws/cedt.h"
#include "cfmws/description.h"
#include "cfmws/validate.h"

namespace restree {
namespace cedt {
namespace {

std::vector<uint8_t> Table(int windows) {
  std::string d;
  for (int i = 0; i < windows; ++i) {
    d += absl::StrFormat("chbs uid=%d version=1 base=0x%x length=0x10000\n",
                         2 * i, 0x10000 * (2 * i + 1));
    d += absl::StrFormat("chbs uid=%d version=1 base=0x%x length=0x10000\n",
                         2 * i + 1, 0x10000 * (2 * i + 2));
    d += absl::StrFormat(
        "cfmws base=0x%x size=4G ways=2 granularity=4K "
        "restrictions=hostonly|volatile targets=%d,%d\n",
        (uint64_t{1} << 40) + uint64_t(i) * (uint64_t{4} << 30), 2 * i,
        2 * i + 1);
  }
  absl::StatusOr<Cedt> t = ParseDescription(d);
  absl::StatusOr<std::vector<uint8_t>> b = EncodeCedt(*t);
  return *b;
}

void BM_Decode(benchmark::State& state) {
  const std::vector<uint8_t> bytes = Table(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<Cedt> t = DecodeCedt(bytes);
    benchmark::DoNotOptimize(t);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
}
BENCHMARK(BM_Decode)->Arg(1)->Arg(64)->Arg(1024);

void BM_DecodeAndValidate(benchmark::State& state) {
  const std::vector<uint8_t> bytes = Table(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<Cedt> t = DecodeCedt(bytes);
    std::vector<Finding> f = ValidateCedt(*t);
    benchmark::DoNotOptimize(f);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
}
BENCHMARK(BM_DecodeAndValidate)->Arg(1)->Arg(64)->Arg(1024);

}  // namespace
}  // namespace cedt
}  // namespace restree
