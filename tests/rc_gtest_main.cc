// gtest main for RapidCheck property tests. RapidCheck reads its settings
// from RC_PARAMS when the first property runs; this main sets its number of
// runs before that happens:
//
//   RESTREE_RC_RUNS=N   runs per property (default: RESTREE_RC_DEFAULT_RUNS,
//                       a per-target define, else 100)
//   RC_PARAMS=...       RapidCheck's own settings; a max_success given there
//                       wins, and "reproduce=..." replays a shrunk failure.
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

#ifndef RESTREE_RC_DEFAULT_RUNS
#define RESTREE_RC_DEFAULT_RUNS 100
#endif

int main(int argc, char** argv) {
  std::string params;
  if (const char* p = std::getenv("RC_PARAMS")) params = p;
  if (params.find("max_success") == std::string::npos) {
    std::string runs = std::to_string(RESTREE_RC_DEFAULT_RUNS);
    if (const char* r = std::getenv("RESTREE_RC_RUNS")) runs = r;
    params += " max_success=" + runs;
    setenv("RC_PARAMS", params.c_str(), 1);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
