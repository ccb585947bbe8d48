// dax_hmem against real kernels: the QEMU oracle's boot captures of a Soft
// Reserved range (tests/oracle/softres-*/boot.iomem, Debian's 6.1.192 and
// 6.12.117 kernels; copied here as data because //tests:oracle_captures is
// private to //tests). Each capture, with the lines the Soft Reserved / hmem
// / cxl_acpi chains produced taken out, is the base; the chains replayed on
// it in boot order must give the capture back byte for byte.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "hotplug/apply.h"
#include "hotplug/parse.h"

namespace restree {
namespace hotplug {
namespace {

// tests/oracle/softres-hmem-6.1/boot.iomem
constexpr char kSoftresHmem61[] = R"iomem(00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000a0000-000bffff : PCI Bus 0000:00
000c0000-000c9bff : Video ROM
000ca000-000ca5ff : Adapter ROM
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-7ffdefff : System RAM
  01000000-01e01d31 : Kernel code
  02000000-028eafff : Kernel rodata
  02a00000-02c4897f : Kernel data
  03310000-043fffff : Kernel bss
7ffdf000-7fffffff : Reserved
80000000-afffffff : PCI Bus 0000:00
b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]
  b0000000-bfffffff : Reserved
    b0000000-bfffffff : pnp 00:06
c0000000-febfffff : PCI Bus 0000:00
  fd000000-fdffffff : 0000:00:01.0
  febf0000-febf0fff : 0000:00:01.0
  febf1000-febf1fff : 0000:00:1f.2
fec00000-fec003ff : IOAPIC 0
fed00000-fed003ff : HPET 0
  fed00000-fed003ff : PNP0103:00
fed1c000-fed1ffff : Reserved
fee00000-fee00fff : Local APIC
fffc0000-ffffffff : Reserved
100000000-13fffffff : System RAM
140000000-15fffffff : hmem.0
  140000000-15fffffff : Soft Reserved
    140000000-15fffffff : dax0.0
160000000-17fffffff : System RAM
3c0000000-bbfffffff : PCI Bus 0000:00
fd00000000-ffffffffff : Reserved
)iomem";

// tests/oracle/softres-hmem-6.12/boot.iomem
constexpr char kSoftresHmem612[] = R"iomem(00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000a0000-000bffff : PCI Bus 0000:00
000c0000-000c9bff : Video ROM
000ca000-000ca5ff : Adapter ROM
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-7ffdefff : System RAM
  01000000-01ffffff : Kernel code
  02000000-02b70fff : Kernel rodata
  02c00000-02e70f7f : Kernel data
  03736000-03bfffff : Kernel bss
7ffdf000-7fffffff : Reserved
80000000-afffffff : PCI Bus 0000:00
b0000000-bfffffff : PCI ECAM 0000 [bus 00-ff]
  b0000000-bfffffff : Reserved
    b0000000-bfffffff : pnp 00:06
c0000000-febfffff : PCI Bus 0000:00
  fd000000-fdffffff : 0000:00:01.0
  febf0000-febf0fff : 0000:00:01.0
  febf1000-febf1fff : 0000:00:1f.2
fec00000-fec003ff : IOAPIC 0
fed00000-fed003ff : HPET 0
  fed00000-fed003ff : PNP0103:00
fed1c000-fed1ffff : Reserved
fffc0000-ffffffff : Reserved
100000000-13fffffff : System RAM
140000000-15fffffff : Soft Reserved
  140000000-15fffffff : dax0.0
    140000000-15fffffff : System RAM (kmem)
160000000-17fffffff : System RAM
3c0000000-bbfffffff : PCI Bus 0000:00
fd00000000-ffffffffff : Reserved
)iomem";

// tests/oracle/softres-in-window-6.1/boot.iomem
constexpr char kSoftresInWindow61[] = R"iomem(00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000a0000-000bffff : PCI Bus 0000:00
000c0000-000c9bff : Video ROM
000ca000-000ca5ff : Adapter ROM
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-7ffdefff : System RAM
  01000000-01e01d31 : Kernel code
  02000000-028eafff : Kernel rodata
  02a00000-02c4897f : Kernel data
  03310000-043fffff : Kernel bss
7ffdf000-7fffffff : Reserved
80000000-afffffff : PCI Bus 0000:00
  80000000-80000fff : 0000:00:01.0
  80001000-80001fff : 0000:00:1f.2
b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]
  b0000000-bfffffff : Reserved
    b0000000-bfffffff : pnp 00:06
c0000000-fdffffff : PCI Bus 0000:00
  fd000000-fdffffff : 0000:00:01.0
fe000000-fe1fffff : PCI Bus 0000:0c
  fe000000-fe1fffff : PCI Bus 0000:0d
fe200000-fe7fffff : PCI Bus 0000:00
fe800000-fe9fffff : PCI Bus 0000:0c
  fe800000-fe9fffff : PCI Bus 0000:0d
    fe800000-fe80ffff : 0000:0d:00.0
      fe800000-fe80ffff : endpoint2
    fe810000-fe810fff : 0000:0d:00.0
      fe810080-fe810087 : 0000:0d:00.0
      fe810088-fe8108a7 : 0000:0d:00.0
      fe8108a8-fe8108af : 0000:0d:00.0
    fe811000-fe811fff : 0000:0d:00.0
fea00000-fea0ffff : PCI Bus 0000:00
fea10000-fea1ffff : PCI Bus 0000:0c
  fea10000-fea1ffff : 0000:0c:00.0
fec00000-fec003ff : IOAPIC 0
fed00000-fed003ff : HPET 0
  fed00000-fed003ff : PNP0103:00
fed1c000-fed1ffff : Reserved
fee00000-fee00fff : Local APIC
fffc0000-ffffffff : Reserved
390000000-48fffffff : CXL Window 0
  390000000-39fffffff : hmem.0
    390000000-39fffffff : Soft Reserved
      390000000-39fffffff : dax0.0
4c0000000-cbfffffff : PCI Bus 0000:00
fd00000000-ffffffffff : Reserved
)iomem";

// tests/oracle/softres-in-window-6.12/boot.iomem
constexpr char kSoftresInWindow612[] = R"iomem(00000000-00000fff : Reserved
00001000-0009fbff : System RAM
0009fc00-0009ffff : Reserved
000a0000-000bffff : PCI Bus 0000:00
000c0000-000c9bff : Video ROM
000ca000-000ca5ff : Adapter ROM
000f0000-000fffff : Reserved
  000f0000-000fffff : System ROM
00100000-7ffdefff : System RAM
  01000000-01ffffff : Kernel code
  02000000-02b70fff : Kernel rodata
  02c00000-02e70f7f : Kernel data
  03736000-03bfffff : Kernel bss
7ffdf000-7fffffff : Reserved
80000000-afffffff : PCI Bus 0000:00
  80000000-80000fff : 0000:00:01.0
  80001000-80001fff : 0000:00:1f.2
b0000000-bfffffff : PCI ECAM 0000 [bus 00-ff]
  b0000000-bfffffff : Reserved
    b0000000-bfffffff : pnp 00:06
c0000000-fdffffff : PCI Bus 0000:00
  fd000000-fdffffff : 0000:00:01.0
fe000000-fe1fffff : PCI Bus 0000:0c
  fe000000-fe1fffff : PCI Bus 0000:0d
fe200000-fe7fffff : PCI Bus 0000:00
fe800000-fe9fffff : PCI Bus 0000:0c
  fe800000-fe9fffff : PCI Bus 0000:0d
    fe800000-fe80ffff : 0000:0d:00.0
      fe801080-fe8010d7 : 0000:0d:00.0
      fe801110-fe80113f : endpoint2
    fe810000-fe810fff : 0000:0d:00.0
      fe810080-fe810087 : 0000:0d:00.0
      fe810088-fe8108a7 : 0000:0d:00.0
      fe8108a8-fe8108af : 0000:0d:00.0
    fe811000-fe811fff : 0000:0d:00.0
fea00000-fea0ffff : PCI Bus 0000:00
fea10000-fea1ffff : PCI Bus 0000:0c
  fea10000-fea1ffff : 0000:0c:00.0
    fea11080-fea110d7 : mem0
fec00000-fec003ff : IOAPIC 0
fed00000-fed003ff : HPET 0
  fed00000-fed003ff : PNP0103:00
fed1c000-fed1ffff : Reserved
fffc0000-ffffffff : Reserved
380001110-38000113f : port1
390000000-48fffffff : CXL Window 0
  390000000-39fffffff : Soft Reserved
4c0000000-cbfffffff : PCI Bus 0000:00
fd00000000-ffffffffff : Reserved
)iomem";

// `capture` without the lines of the chains under test.
std::string Base(absl::string_view capture) {
  std::string base;
  for (absl::string_view line : absl::StrSplit(capture, '\n')) {
    if (line.empty()) continue;
    if (absl::StrContains(line, " : hmem.") ||
        absl::StrContains(line, " : Soft Reserved") ||
        absl::StrContains(line, " : dax") ||
        absl::StrContains(line, " : System RAM (kmem)") ||
        absl::StrContains(line, " : CXL Window")) {
      continue;
    }
    absl::StrAppend(&base, line, "\n");
  }
  return base;
}

std::string Replay(absl::string_view capture, absl::string_view events) {
  absl::StatusOr<Script> script = ParseScript(events, "boot.events");
  EXPECT_TRUE(script.ok()) << script.status();
  if (!script.ok()) return "";
  ApplyOptions options;
  options.base_dump = Base(capture);
  absl::StatusOr<ApplyRun> run = ApplyScript(*script, options);
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return "";
  for (const EventResult& r : run->results) {
    EXPECT_EQ(r.outcome, EventResult::Outcome::kOk)
        << r.event << ": " << r.message;
  }
  return run->machine.Render();
}

// 6.1: hmem_init (late_initcall) inserts the platform device's resource
// "hmem.0" above Soft Reserved; dax_hmem's dax0.0 is held by device_dax.
TEST(HmemCaptureTest, Linux61HmemAboveSoftReserved) {
  EXPECT_EQ(Replay(kSoftresHmem61,
                   "config profile=debian-6.1 block-size=128M\n"
                   "softres add 0x140000000-0x15fffffff\n"
                   "hmem probe\n"),
            kSoftresHmem61);
}

// 6.12: no hmem.0 node; dax0.0 is kmem-typed and onlined at probe.
TEST(HmemCaptureTest, Linux612HmemDaxOnKmem) {
  EXPECT_EQ(Replay(kSoftresHmem612,
                   "config profile=linux-6.12 block-size=128M\n"
                   "softres add 0x140000000-0x15fffffff\n"
                   "hmem probe\n"),
            kSoftresHmem612);
}

// 6.1 with the range at the start of a CXL window: hmem claims it before
// the cxl_acpi module loads, and the window adopts hmem.0 when it comes.
TEST(HmemCaptureTest, Linux61HmemBeforeTheWindow) {
  EXPECT_EQ(Replay(kSoftresInWindow61,
                   "config profile=debian-6.1 cxl=modules block-size=128M\n"
                   "softres add 0x390000000-0x39fffffff\n"
                   "hmem probe\n"
                   "window add 0 base=0x390000000 size=4G\n"),
            kSoftresInWindow61);
}

// 6.12: cxl_acpi loads first (dax_hmem soft-depends on it) and dax_hmem
// defers the range to CXL: no hmem device, no dax, no memregion id taken.
TEST(HmemCaptureTest, Linux612HmemDefersToCxl) {
  EXPECT_EQ(Replay(kSoftresInWindow612,
                   "config profile=linux-6.12 block-size=128M\n"
                   "softres add 0x390000000-0x39fffffff\n"
                   "window add 0 base=0x390000000 size=4G\n"
                   "hmem probe\n"),
            kSoftresInWindow612);
}

}  // namespace
}  // namespace hotplug
}  // namespace restree
