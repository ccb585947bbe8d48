// The `restree` command-line tool: see tools/cli.h and docs/cli.md.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "tools/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const int rc = restree::cli::Main(args, std::cout, std::cerr,
                                    isatty(STDOUT_FILENO) == 1);
  std::cout.flush();
  return rc;
}
