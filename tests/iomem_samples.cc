#include "tests/iomem_samples.h"

#include <fstream>
#include <iterator>

namespace restree {
namespace test_support {

const std::vector<std::string>& IomemSampleNames() {
  static const auto* names = new std::vector<std::string>{
      "firecracker-vm-x86_64-6.18.txt",
      "github-3itch-icekit_intel-laptop.txt",
      "github-cyanide17-vangen_qemu-x86-q35.txt",
      "github-jds2001-coreos-sosreport-master1_hyperv-vm.txt",
      "github-joannahuadu-radiation-error-emulator_nvidia-jetson-orin-arm64."
      "txt",
      "github-note_intel-wolfpass-2socket-server.txt",
      "github-yexuanyang-flip_simulation_qemu-arm64-virt.txt",
      "lkml-2025-07_zhijian-rfc_cxl-window-softreserved-region-dax-kmem."
      "excerpt.txt",
      "mailinglist_nonroot-zeroed-addresses_x86-laptop.txt",
      "qemu72-linux61-cxl1-iomem.txt",
      "qemu72-linux61-legacy-pmem-iomem.txt",
      "qemu72-linux61-legacy-pmem-kmem.txt",
      "qemu72-linux61-nocxl-iomem-after-hotplug.txt",
      "qemu72-linux61-nocxl-iomem-after-hotplug2.txt",
      "qemu72-linux61-nocxl-iomem-after-unplug.txt",
      "qemu72-linux61-nocxl-iomem.txt",
  };
  return *names;
}

std::vector<std::string> KernelIomemSampleNames() {
  std::vector<std::string> out;
  for (const std::string& n : IomemSampleNames()) {
    if (!IsExcerptSample(n)) out.push_back(n);
  }
  return out;
}

bool IsExcerptSample(const std::string& name) {
  return name.find(".excerpt.") != std::string::npos;
}

bool IsZeroedSample(const std::string& name) {
  return name.find("zeroed") != std::string::npos;
}

std::string IomemSamplePath(const std::string& name) {
  return "iomem_parser/testdata/" + name;
}

std::string ReadTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

}  // namespace test_support
}  // namespace restree
