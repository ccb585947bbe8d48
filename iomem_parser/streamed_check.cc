#include "iomem_parser/streamed_check.h"

#include <memory>

#include "resource_tree/range.h"

namespace restree {
namespace {

// The lines IsKernelExactDump() accepts go to the driver chains of every
// profile set: one DomainStreamCheck per part of the text, with the line
// count.
class StreamedDomainCheck final : public internal::KernelExactLines {
 public:
  StreamedDomainCheck(const DomainRules& rules,
                      const std::vector<ChainProfiles>& each)
      : rules_(rules), each_(each) {}

  void Begin(const Range& root_range, absl::string_view root_name,
             size_t parts) override {
    parts_.clear();
    parts_.resize(parts);
    for (Part& p : parts_) {
      p.check = std::make_unique<DomainStreamCheck>(root_range, root_name,
                                                    rules_, each_);
    }
  }
  void Line(size_t part, size_t level, const Range& range,
            absl::string_view name) override {
    Part& p = parts_[part];
    p.check->Visit(static_cast<int>(level), range, name);
    ++p.lines;
  }
  // After the dump was accepted: whether any rule found anything.
  bool AnyFinding() {
    bool any = false;
    for (Part& p : parts_) any |= p.check->Finish();
    return any;
  }
  size_t lines() const {
    size_t n = 0;
    for (const Part& p : parts_) n += p.lines;
    return n;
  }

 private:
  // One per part, each written by its own thread: a cache line apart.
  struct alignas(64) Part {
    std::unique_ptr<DomainStreamCheck> check;
    size_t lines = 0;
  };
  const DomainRules& rules_;
  const std::vector<ChainProfiles>& each_;
  std::vector<Part> parts_;
};

}  // namespace

std::optional<size_t> CleanResourcesWithoutTree(
    absl::string_view text, const IomemParseOptions& options,
    const DomainRules& rules, const std::vector<ChainProfiles>& each,
    const internal::FastPathOptions& fast) {
  StreamedDomainCheck streamed(rules, each);
  if (rules.check_flags ||
      !internal::IsKernelExactDump(text, options, fast, &streamed) ||
      streamed.AnyFinding()) {
    return std::nullopt;
  }
  return streamed.lines();
}

}  // namespace restree
