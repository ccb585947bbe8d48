// File: iomem_samples.h
// -----------------------------------------------------------------------------
//
// The /proc/iomem samples in iomem_parser/testdata/ (real kernels' dumps,
// one read without CAP_SYS_ADMIN, one mail excerpt that needs --lenient), for
// the tests that run over every one of them. Tests using this depend on
// //iomem_parser:samples as data and run from the workspace root (Bazel's
// default).

#ifndef RESTREE_TESTS_IOMEM_SAMPLES_H_
#define RESTREE_TESTS_IOMEM_SAMPLES_H_

#include <string>
#include <vector>

namespace restree {
namespace test_support {

// Every sample's file name, sorted.
const std::vector<std::string>& IomemSampleNames();
// The kernel's own dumps: every sample but the lenient excerpts.
std::vector<std::string> KernelIomemSampleNames();

// A mail excerpt that only --lenient reads.
bool IsExcerptSample(const std::string& name);
// A dump read without CAP_SYS_ADMIN (every address 0).
bool IsZeroedSample(const std::string& name);

// "iomem_parser/testdata/<name>".
std::string IomemSamplePath(const std::string& name);
// The whole file at `path`; "" if it cannot be read.
std::string ReadTestFile(const std::string& path);

}  // namespace test_support
}  // namespace restree

#endif  // RESTREE_TESTS_IOMEM_SAMPLES_H_
