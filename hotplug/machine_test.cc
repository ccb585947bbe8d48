// hotplug::Machine against the real Debian 6.1 captures (byte for byte) and
// the worked examples of docs/driver-chains.md; every error path leaves the
// machine unchanged.

#include "hotplug/machine.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/flags.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/render.h"
#include "tests/iomem_samples.h"
#include "tests/status_matchers.h"

namespace restree {
namespace hotplug {
namespace {

using ::restree::test_support::GetStatus;
using ::restree::test_support::IomemSamplePath;
using ::restree::test_support::IsOk;
using ::restree::test_support::ReadTestFile;
using Mode = Machine::RegionMode;
using NsMode = Machine::NamespaceMode;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

std::string Sample(const std::string& name) {
  const std::string text = ReadTestFile(IomemSamplePath(name));
  EXPECT_FALSE(text.empty()) << name;
  return text;
}
std::string LegacyPmemBase() {
  const std::string text = ReadTestFile(
      "iomem_parser/testdata/qemu72-linux61-legacy-pmem-iomem.txt");
  EXPECT_FALSE(text.empty());
  return text;
}

Machine Load(const std::string& text, MachineOptions options = {}) {
  absl::StatusOr<Machine> m = Machine::FromIomem(text, options);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

int Errno(const absl::Status& s) { return GetKernelError(s).errno_value; }

// Everything a failing method must leave alone: the tree (with flags and
// desc) and the driver state.
std::string Everything(const Machine& m) {
  std::string out = m.Dump();
  for (uint32_t id : m.memregion_ids()) absl::StrAppend(&out, "id ", id, "\n");
  for (const auto& [n, w] : m.windows()) {
    absl::StrAppend(&out, "window ", n, " cache ", w.cached_region_id,
                    " regions ", w.regions.size(), "\n");
  }
  for (const auto& [k, r] : m.regions()) {
    absl::StrAppend(&out, "region ", k, " ns ", r.ns.value_or("-"), " dax ",
                    r.dax.value_or("-"), "\n");
    for (const auto& [tag, extents] : r.extents) {
      absl::StrAppend(&out, "  tag ", tag, ":", extents.size(), "\n");
    }
  }
  for (const auto& [name, ns] : m.namespaces()) {
    absl::StrAppend(&out, name, " mode ", static_cast<int>(ns.mode), "\n");
  }
  for (const auto& [name, d] : m.daxes()) {
    absl::StrAppend(&out, name, " driver ", static_cast<int>(d.driver), "\n");
  }
  for (const auto& [b, blk] : m.blocks()) {
    absl::StrAppend(&out, "block ", b, blk.online ? " on " : " off ",
                    static_cast<int>(blk.owner), "\n");
  }
  for (const auto& [n, h] : m.hmem_devices()) {
    absl::StrAppend(&out, "hmem.", n, " ", h.range.ToString(), " ",
                    h.dax.value_or("-"), "\n");
  }
  for (const char* root :
       {"CXL mem", "HMEM devices", "Soft Reserved", "DAX Regions"}) {
    if (const ResourceTree* t = m.PrivateRoot(root)) {
      absl::StrAppend(&out, root, ":\n", RenderDump(*t));
    }
  }
  return out;
}

#define EXPECT_CONSISTENT(m)                                            \
  do {                                                                  \
    const auto v_ = (m).CheckInvariants();                              \
    EXPECT_TRUE(v_.empty())                                             \
        << v_.size()                                                    \
        << " violations, first: " << (v_.empty() ? "" : v_[0].message); \
  } while (0)

// `expr` fails with `err` and changes nothing.
#define EXPECT_FAILS_CLEANLY(m, expr, err)                \
  do {                                                    \
    const std::string before_ = Everything(m);            \
    const absl::Status st_ = GetStatus(expr);             \
    EXPECT_FALSE(st_.ok()) << #expr;                      \
    EXPECT_EQ(Errno(st_), (err)) << #expr << ": " << st_; \
    EXPECT_EQ(Everything(m), before_) << #expr;           \
    EXPECT_CONSISTENT(m);                                 \
  } while (0)

#define ASSERT_STEP(m, expr)              \
  do {                                    \
    ASSERT_THAT((expr), IsOk()) << #expr; \
    EXPECT_CONSISTENT(m);                 \
  } while (0)

ResourceView Node(const Machine& m, const std::string& ref) {
  absl::StatusOr<ResourceId> id = m.Find(ref);
  EXPECT_TRUE(id.ok()) << ref << ": " << id.status();
  return id.ok() ? m.tree().View(*id) : ResourceView();
}

// ---------------------------------------------------------------------------
// (1) The pc-dimm sequence of the nocxl captures.

constexpr uint64_t kDimm1 = 0x100000000;  // 256 MiB, from the first diff
constexpr uint64_t kDimm2 = 0x110000000;  // 512 MiB, from the second diff

TEST(PcDimm, ReplaysTheNocxlCapturesByteForByte) {
  Machine m = Load(Sample("qemu72-linux61-nocxl-iomem.txt"));
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-nocxl-iomem.txt"));
  EXPECT_CONSISTENT(m);

  ASSERT_STEP(m, m.MemoryAdd(kDimm1, 256 * kMiB));
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-nocxl-iomem-after-hotplug.txt"));
  const ResourceView dimm1 = Node(m, "System RAM@100000000");
  EXPECT_EQ(dimm1.flags, 0x81000200u);
  EXPECT_EQ(dimm1.desc, 0u);
  EXPECT_EQ(dimm1.parent, m.tree().root());
  for (uint64_t b : {32, 33}) {  // 0x100000000 / 128 MiB
    ASSERT_EQ(m.blocks().count(b), 1u);
    // Offline: Debian's 6.1 does not auto-online (tests/oracle/
    // nocxl-pcdimm-6.1/01.state).
    EXPECT_FALSE(m.blocks().at(b).online);
    EXPECT_EQ(m.blocks().at(b).owner, Machine::BlockOwner::kAcpi);
  }

  ASSERT_STEP(m, m.MemoryAdd(kDimm2, 512 * kMiB));
  EXPECT_EQ(m.Render(),
            Sample("qemu72-linux61-nocxl-iomem-after-hotplug2.txt"));

  // device_del: the blocks go offline, then __remove_memory.
  ASSERT_STEP(m, m.MemoryOffline(kDimm1, 256 * kMiB));
  EXPECT_EQ(m.Render(),
            Sample("qemu72-linux61-nocxl-iomem-after-hotplug2.txt"));
  ASSERT_STEP(m, m.MemoryRemove(kDimm1, 256 * kMiB));
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-nocxl-iomem-after-unplug.txt"));
  EXPECT_EQ(m.blocks().count(32), 0u);
  EXPECT_EQ(m.blocks().count(34), 1u);
}

TEST(PcDimm, AddedMemoryGoesUnderANonBusyContainer) {
  Machine m;
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_STEP(m, m.MemoryAdd(0x1000000000, kGiB, 1));
  const ResourceView ram = Node(m, "System RAM");
  EXPECT_EQ(ram.parent, *m.Find("CXL Window 0"));
  EXPECT_EQ(ram.desc, iores_desc::kCxl);  // P2: desc of the parent
  EXPECT_EQ(m.blocks().at(0x1000000000 / (128 * kMiB)).node, 1);
}

TEST(PcDimm, OfflineRequiresWholeBlocksOfSystemRam) {
  Machine m = Load(Sample("qemu72-linux61-nocxl-iomem.txt"));
  // Block 0 holds "Reserved" and the PCI hole: memory holes.
  EXPECT_FAILS_CLEANLY(m, m.MemoryOffline(0, 128 * kMiB), kerrno::kEINVAL);
  // Block 1 is all boot System RAM: it can go offline and be removed; the
  // boot node is split around it.
  ASSERT_STEP(m, m.MemoryOffline(128 * kMiB, 128 * kMiB));
  ASSERT_STEP(m, m.MemoryRemove(128 * kMiB, 128 * kMiB));
  EXPECT_THAT(m.Render(),
              ::testing::HasSubstr("00100000-07ffffff : System RAM\n"
                                   "  01000000-01e01d31 : Kernel code\n"));
  EXPECT_THAT(m.Render(),
              ::testing::HasSubstr("10000000-7ffdefff : System RAM\n"));
}

// ---------------------------------------------------------------------------
// (2) Legacy pmem: raw namespace -> devdax -> kmem.

constexpr char kDevdaxTree[] =
    "140000000-15fffffff : Persistent Memory (legacy)\n"
    "  140000000-1409fffff : namespace0.0\n"
    "  140a00000-15fffffff : dax0.0\n";

TEST(LegacyPmem, ReplaysTheKmemCaptureByteForByte) {
  Machine m = Load(LegacyPmemBase());
  EXPECT_EQ(m.Render(), LegacyPmemBase());
  // Adoption: nd region0 with its raw namespace0.0.
  ASSERT_EQ(m.regions().count(0), 1u);
  EXPECT_FALSE(m.regions().at(0).cxl);
  EXPECT_EQ(m.regions().at(0).ns, "namespace0.0");
  EXPECT_EQ(m.namespaces().at("namespace0.0").mode, NsMode::kRaw);

  // ndctl create-namespace -f -e namespace0.0 -m devdax -a 2M: the raw
  // namespace's busy node goes, the devdax layout comes.
  absl::StatusOr<std::string> ns =
      m.CreateNamespace(0, NsMode::kDevdax, 2 * kMiB);
  ASSERT_THAT(ns, IsOk());
  EXPECT_EQ(*ns, "namespace0.0");
  EXPECT_CONSISTENT(m);
  EXPECT_THAT(m.Render(), ::testing::HasSubstr(kDevdaxTree));
  const Machine::Dax& dax = m.daxes().at("dax0.0");
  EXPECT_EQ(dax.range, Range(0x140a00000, 0x15fffffff));
  EXPECT_EQ(dax.range.size(), absl::uint128(526385152));  // samples/README
  EXPECT_EQ(Node(m, "namespace0.0").flags, iores::kMem | iores::kBusy);
  EXPECT_EQ(Node(m, "namespace0.0").desc, iores_desc::kPersistentMemoryLegacy);
  EXPECT_EQ(Node(m, "dax0.0").flags, iores::kMem | iores::kBusy);

  ASSERT_STEP(m, m.KmemOnline("dax0.0", 0));
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-legacy-pmem-kmem.txt"));
  const ResourceView kdax = Node(m, "dax0.0");
  EXPECT_EQ(kdax.flags, iores::kSystemRam);  // BUSY cleared by kmem
  EXPECT_EQ(kdax.desc, iores_desc::kPersistentMemoryLegacy);
  const ResourceView kram = Node(m, "System RAM (kmem)");
  EXPECT_EQ(kram.flags, 0x83000200u);
  EXPECT_EQ(kram.desc, iores_desc::kPersistentMemoryLegacy);
  EXPECT_EQ(kram.parent, kdax.id);
  // Memory blocks 41-43, online.
  for (uint64_t b : {41, 42, 43}) {
    ASSERT_EQ(m.blocks().count(b), 1u) << b;
    EXPECT_TRUE(m.blocks().at(b).online);
    EXPECT_EQ(m.blocks().at(b).owner, Machine::BlockOwner::kKmem);
  }
  EXPECT_EQ(m.blocks().count(40), 0u);

  // And back: offline, remove_memory, device_dax again.
  ASSERT_STEP(m, m.KmemOffline("dax0.0"));
  EXPECT_THAT(m.Render(), ::testing::HasSubstr(kDevdaxTree));
  EXPECT_EQ(m.blocks().count(41), 0u);
  ASSERT_STEP(m, m.KmemOnline("dax0.0"));
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-legacy-pmem-kmem.txt"));
}

TEST(LegacyPmem, DestroyNamespaceThenRawAgain) {
  Machine m = Load(LegacyPmemBase());
  ASSERT_STEP(m, m.DestroyNamespace("namespace0.0"));
  EXPECT_THAT(
      m.Render(),
      ::testing::HasSubstr("140000000-15fffffff : Persistent Memory (legacy)\n"
                           "160000000-17fffffff : System RAM\n"));
  ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kRaw).status());
  EXPECT_EQ(m.Render(), LegacyPmemBase());
  ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kFsdax).status());
  EXPECT_EQ(m.Render(), LegacyPmemBase());  // fsdax claims it all too
}

TEST(LegacyPmem, KmemBlocksStayWhenOnlineAndRemoveWhenOffline) {
  Machine m = Load(LegacyPmemBase());
  ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kDevdax).status());
  ASSERT_STEP(m, m.KmemOnline("dax0.0"));
  // remove_memory with online blocks: EBUSY; both nodes stay.
  EXPECT_FAILS_CLEANLY(m, m.KmemOffline("dax0.0", /*offline_blocks=*/false),
                       kerrno::kEBUSY);
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-legacy-pmem-kmem.txt"));
  // Offlined by hand first, then the same call works.
  ASSERT_STEP(m, m.MemoryOffline(0x148000000, 3 * 128 * kMiB));
  ASSERT_STEP(m, m.KmemOffline("dax0.0", false));
  EXPECT_THAT(m.Render(), ::testing::HasSubstr(kDevdaxTree));
}

// ---------------------------------------------------------------------------
// (3) CXL: the cxl1 capture's window, and region placement.

std::string Cxl1WithoutWindow() {
  return absl::StrReplaceAll(Sample("qemu72-linux61-cxl1-iomem.txt"),
                             {{"390000000-48fffffff : CXL Window 0\n", ""}});
}

TEST(Cxl, AddWindowReproducesTheCxl1Capture) {
  Machine m = Load(Cxl1WithoutWindow());
  ASSERT_NE(m.Render(), Sample("qemu72-linux61-cxl1-iomem.txt"));
  ASSERT_STEP(m, m.AddWindow(0, 0x390000000, 4 * kGiB, 1, 256));
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-cxl1-iomem.txt"));
  const ResourceView w = Node(m, "CXL Window 0");
  EXPECT_EQ(w.flags, iores::kMem);
  EXPECT_EQ(w.desc, iores_desc::kCxl);
  EXPECT_EQ(m.windows().at(0).cached_region_id, 0u);
  // The capture itself, loaded with its window, is adopted the same way.
  Machine full = Load(Sample("qemu72-linux61-cxl1-iomem.txt"));
  EXPECT_EQ(full.windows().at(0).cfmws, Range(0x390000000, 0x48fffffff));
  EXPECT_EQ(full.Dump(), m.Dump());
}

struct Placement {
  KernelProfile profile;
  Mode mode;
  uint64_t second_start;  // the 512 MiB region after a 256 MiB one
};

class CxlPlacement : public ::testing::TestWithParam<Placement> {};

TEST_P(CxlPlacement, FollowsTheWorkedExample) {
  const Placement& p = GetParam();
  MachineOptions o;
  o.profile = p.profile;
  Machine m = Load(Cxl1WithoutWindow(), o);
  ASSERT_STEP(m, m.AddWindow(0, 0x390000000, 4 * kGiB));
  absl::StatusOr<uint32_t> r0 = m.CreateRegion(0, 256 * kMiB, p.mode);
  ASSERT_THAT(r0, IsOk());
  EXPECT_EQ(*r0, 0u);
  EXPECT_CONSISTENT(m);
  absl::StatusOr<uint32_t> r1 = m.CreateRegion(0, 512 * kMiB, p.mode);
  ASSERT_THAT(r1, IsOk());
  EXPECT_EQ(*r1, 1u);
  EXPECT_CONSISTENT(m);
  EXPECT_EQ(m.regions().at(0).range, Range(0x390000000, 0x39fffffff));
  EXPECT_EQ(m.regions().at(1).range,
            Range(p.second_start, p.second_start + 512 * kMiB - 1));
  const ResourceView window = Node(m, "CXL Window 0");
  const ResourceView region1 = Node(m, "region1");
  EXPECT_EQ(region1.flags, iores::kMem);
  EXPECT_EQ(region1.desc, 0u);
  if (p.mode == Mode::kPmem) {
    // Window > Persistent Memory > regionK (§3.1).
    const ResourceView pm =
        Node(m, absl::StrCat("Persistent Memory@", absl::Hex(p.second_start)));
    EXPECT_EQ(pm.parent, window.id);
    EXPECT_EQ(pm.desc, iores_desc::kPersistentMemory);
    EXPECT_EQ(region1.parent, pm.id);
  } else {
    EXPECT_EQ(region1.parent, window.id);
  }
  // §2.2 ids: delete region0 -> the decoder caches 0 again (2 is freed).
  EXPECT_EQ(m.windows().at(0).cached_region_id, 2u);
  ASSERT_STEP(m, m.DestroyRegion(0));
  EXPECT_EQ(m.windows().at(0).cached_region_id, 0u);
  EXPECT_EQ(m.memregion_ids(), (std::set<uint32_t>{0, 1}));
  EXPECT_EQ(m.FindAll("Persistent Memory").size(),
            p.mode == Mode::kPmem ? 1u : 0u);
  absl::StatusOr<uint32_t> again = m.CreateRegion(0, 256 * kMiB, p.mode);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(m.regions().at(0).range.first(), 0x390000000u);
  // Destroying everything gives the capture back.
  ASSERT_STEP(m, m.DestroyRegion(0));
  ASSERT_STEP(m, m.DestroyRegion(1));
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-cxl1-iomem.txt"));
}

INSTANTIATE_TEST_SUITE_P(Profiles, CxlPlacement,
                         ::testing::Values(Placement{KernelProfile::Debian61(),
                                                     Mode::kPmem, 0x3b0000000},
                                           Placement{KernelProfile::Linux612(),
                                                     Mode::kPmem, 0x3a0000000},
                                           Placement{KernelProfile::Linux612(),
                                                     Mode::kRam, 0x3a0000000}));

TEST(Cxl, RamRegionDaxAndKmemOn612) {
  MachineOptions o;
  o.profile = KernelProfile::Linux612();
  Machine m = Load(Cxl1WithoutWindow(), o);
  ASSERT_STEP(m, m.AddWindow(0, 0x390000000, 4 * kGiB, 1, 256, /*node=*/1));
  ASSERT_STEP(m, m.CreateRegion(0, kGiB, Mode::kRam).status());
  absl::StatusOr<std::string> dax = m.CreateDax(0);
  ASSERT_THAT(dax, IsOk());
  EXPECT_EQ(*dax, "dax0.0");
  EXPECT_EQ(Node(m, "dax0.0").parent, *m.Find("region0"));
  EXPECT_EQ(Node(m, "dax0.0").flags, iores::kMem | iores::kBusy);
  ASSERT_STEP(m, m.KmemOnline("dax0.0"));
  EXPECT_THAT(
      m.Render(),
      ::testing::HasSubstr("390000000-48fffffff : CXL Window 0\n"
                           "  390000000-3cfffffff : region0\n"
                           "    390000000-3cfffffff : dax0.0\n"
                           "      390000000-3cfffffff : System RAM (kmem)\n"));
  EXPECT_EQ(m.blocks().at(0x390000000 / (128 * kMiB)).node, 1);
  // delete_region with the memory online: the kmem nodes stay, hoisted
  // under the window (§2.5), and their blocks are stranded.
  ASSERT_STEP(m, m.DestroyRegion(0));
  EXPECT_THAT(m.Render(), ::testing::HasSubstr(
                              "390000000-48fffffff : CXL Window 0\n"
                              "  390000000-3cfffffff : dax0.0\n"
                              "    390000000-3cfffffff : System RAM (kmem)\n"));
  EXPECT_EQ(m.blocks().at(0x390000000 / (128 * kMiB)).owner,
            Machine::BlockOwner::kStranded);
  EXPECT_TRUE(m.daxes().empty());
  EXPECT_FAILS_CLEANLY(m, m.MemoryRemove(0x390000000, kGiB), kerrno::kEBUSY);
  // The window space they hold is not offered again.
  absl::StatusOr<uint32_t> r = m.CreateRegion(0, kGiB, Mode::kRam);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(m.regions().at(*r).range.first(), 0x3d0000000u);
}

TEST(Cxl, PmemRegionNamespaceDevdax) {
  Machine m;
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_STEP(m, m.CreateRegion(0, kGiB, Mode::kPmem).status());
  ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kDevdax).status());
  // 1 GiB: npfns 262142, memmap 0xffff80, dataoff ALIGN(+0x1001f80, 2M)
  // = 0x1200000.
  EXPECT_EQ(m.Render(),
            "1000000000-10ffffffff : CXL Window 0\n"
            "  1000000000-103fffffff : Persistent Memory\n"
            "    1000000000-103fffffff : region0\n"
            "      1000000000-10011fffff : namespace0.0\n"
            "      1001200000-103fffffff : dax0.0\n");
  ASSERT_STEP(m, m.KmemOnline("dax0.0"));
  EXPECT_EQ(m.daxes().at("dax0.0").kmem_range,
            Range(0x1008000000, 0x103fffffff));
  // Region teardown with the memory offline removes everything.
  ASSERT_STEP(m, m.MemoryOffline(0x1008000000, 0x38000000));
  ASSERT_STEP(m, m.DestroyRegion(0));
  EXPECT_EQ(m.Render(), "1000000000-10ffffffff : CXL Window 0\n");
  EXPECT_TRUE(m.blocks().empty());
  EXPECT_TRUE(m.namespaces().empty());
}

TEST(Cxl, RegionAsLargeAsTheWindowBecomesItsChildUnderPersistentMemory) {
  Machine m;
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, kGiB));
  ASSERT_STEP(m, m.CreateRegion(0, kGiB, Mode::kPmem).status());
  EXPECT_EQ(m.Render(),
            "1000000000-103fffffff : Persistent Memory\n"
            "  1000000000-103fffffff : CXL Window 0\n"
            "    1000000000-103fffffff : region0\n");
  ASSERT_STEP(m, m.DestroyRegion(0));
  EXPECT_EQ(m.Render(), "1000000000-103fffffff : CXL Window 0\n");
}

TEST(Cxl, WindowsAndNvdimmRegionsShareTheMemregionIds) {
  Machine m = Load(LegacyPmemBase());  // nd region0 holds id 0
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_STEP(m, m.AddWindow(1, 0x2000000000, 4 * kGiB));
  EXPECT_EQ(m.windows().at(0).cached_region_id, 1u);
  EXPECT_EQ(m.windows().at(1).cached_region_id, 2u);
  EXPECT_EQ(*m.CreateRegion(1, 256 * kMiB, Mode::kPmem), 2u);
  EXPECT_EQ(*m.CreateRegion(0, 256 * kMiB, Mode::kPmem), 1u);
  EXPECT_EQ(m.windows().at(0).cached_region_id, 4u);
  EXPECT_EQ(m.windows().at(1).cached_region_id, 3u);
  EXPECT_CONSISTENT(m);
}

TEST(Cxl, NestedWindowIsNotPublished) {
  Machine m;
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_STEP(m, m.AddWindow(1, 0x1040000000, kGiB));
  EXPECT_EQ(m.Render(), "1000000000-10ffffffff : CXL Window 0\n");
  EXPECT_FALSE(m.windows().at(1).published);
  // Its decoder allocates in the outer twin.
  absl::StatusOr<uint32_t> r = m.CreateRegion(1, 256 * kMiB, Mode::kPmem);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, 1u);  // window 1's decoder cached id 1
  EXPECT_EQ(m.regions().at(1).range.first(), 0x1000000000u);
}

TEST(Cxl, WindowAdoptsSoftReserved) {
  Machine m;
  ASSERT_THAT(m.AddSoftReserved(Range(0x1000000000, 0x10ffffffff)), IsOk());
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  EXPECT_EQ(m.Render(),
            "1000000000-10ffffffff : CXL Window 0\n"
            "  1000000000-10ffffffff : Soft Reserved\n");
  EXPECT_EQ(Node(m, "Soft Reserved").desc, iores_desc::kSoftReserved);
}

TEST(Cxl, ExpandWindowGrowsAndAdopts) {
  Machine m;
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_THAT(m.AddSoftReserved(Range(0x1100000000, 0x11ffffffff)), IsOk());
  ASSERT_STEP(m, m.ExpandWindow(0, Range(0x1000000000, 0x11ffffffff)));
  EXPECT_EQ(m.Render(),
            "1000000000-11ffffffff : CXL Window 0\n"
            "  1100000000-11ffffffff : Soft Reserved\n");
  EXPECT_FAILS_CLEANLY(m, m.ExpandWindow(0, Range(0x1000000000, 0x1200000fff)),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.ExpandWindow(7, Range(0x1000000000, 0x11ffffffff)),
                       kerrno::kENOENT);
}

TEST(Cxl, ChunkedWindowRegionsClaimAndReturnChunks) {
  Machine m;
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, kGiB));
  absl::StatusOr<size_t> n = m.ChunksReserve(0, std::nullopt);
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 4u);
  absl::StatusOr<uint32_t> r = m.CreateRegion(0, 512 * kMiB, Mode::kPmem);
  ASSERT_THAT(r, IsOk());
  EXPECT_CONSISTENT(m);
  EXPECT_EQ(m.Render(),
            "1000000000-103fffffff : CXL Window 0\n"
            "  1000000000-101fffffff : Persistent Memory\n"
            "    1000000000-101fffffff : region0\n"
            "  1020000000-102fffffff : CXL chunk\n"
            "  1030000000-103fffffff : CXL chunk\n");
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, kGiB, Mode::kPmem),
                       kerrno::kERANGE);
  ASSERT_STEP(m, m.DestroyRegion(0));
  EXPECT_EQ(m.FindAll("CXL chunk").size(), 4u);
  absl::StatusOr<size_t> freed = m.ChunksReleaseUnused(0, false);
  ASSERT_THAT(freed, IsOk());
  EXPECT_EQ(*freed, 4u);
  EXPECT_EQ(m.Render(), "1000000000-103fffffff : CXL Window 0\n");
}

TEST(Cxl, ReparentByName) {
  Machine m;
  ASSERT_THAT(m.AddSoftReserved(Range(0x1000000000, 0x10ffffffff)), IsOk());
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_STEP(m, m.Reparent("CXL Window 0", "Soft Reserved"));
  EXPECT_EQ(m.Render(),
            "1000000000-10ffffffff : Soft Reserved\n"
            "  1000000000-10ffffffff : CXL Window 0\n");
  EXPECT_FAILS_CLEANLY(m, m.Reparent("CXL Window 0", "CXL Window 0"),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.Reparent("CXL Window 0", "nothing"),
                       kerrno::kENOENT);
}

// Found by hotplug_sequence_fuzzer: a region reparented under its own busy
// namespace node vanished when the namespace was torn down (its release
// drops children), leaving the driver state naming a freed node.
TEST(Cxl, ReparentUnderABusyResourceIsRefused) {
  Machine m;
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_TRUE(m.CreateRegion(0, kGiB, Machine::RegionMode::kPmem).ok());
  ASSERT_TRUE(m.CreateNamespace(0, Machine::NamespaceMode::kRaw).status().ok());
  EXPECT_FAILS_CLEANLY(m, m.Reparent("region0", "namespace0.0"),
                       kerrno::kEBUSY);
  ASSERT_STEP(m, m.DestroyRegion(0));
}

// ---------------------------------------------------------------------------
// Dynamic capacity (the unmerged DCD series, MachineOptions::dcd).

Machine DcdMachine() {
  MachineOptions o;
  o.profile = KernelProfile::Linux71();
  o.dcd = true;
  Machine m = Load(Cxl1WithoutWindow(), o);
  EXPECT_THAT(m.AddWindow(0, 0x1000000000, 16 * kGiB, 1, 256, /*node=*/1),
              IsOk());
  return m;
}

TEST(Dcd, DcRegionsNeedTheSeriesOnLinux71) {
  for (const bool dcd : {false, true}) {
    for (const KernelProfile& p :
         {KernelProfile::Linux612(), KernelProfile::Linux71()}) {
      if (dcd && p.name == KernelProfile::Linux71().name) continue;
      MachineOptions o;
      o.profile = p;
      o.dcd = dcd;
      Machine m = Load(Cxl1WithoutWindow(), o);
      ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 16 * kGiB));
      EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 8 * kGiB, Mode::kDc),
                           kerrno::kENOENT);
    }
  }
  Machine m = DcdMachine();
  absl::StatusOr<uint32_t> k = m.CreateRegion(0, 8 * kGiB, Mode::kDc);
  ASSERT_THAT(k, IsOk());
  EXPECT_CONSISTENT(m);
  // A region node like a ram region's, and a sparse dax_region without a
  // device: nothing else in iomem.
  EXPECT_THAT(m.Render(),
              ::testing::HasSubstr("1000000000-13ffffffff : CXL Window 0\n"
                                   "  1000000000-11ffffffff : region0\n"));
  EXPECT_THAT(m.Render(), ::testing::Not(::testing::HasSubstr("dax0")));
  EXPECT_TRUE(m.daxes().empty());
  EXPECT_THAT(RenderDump(*m.PrivateRoot("DAX Regions")),
              ::testing::HasSubstr(
                  "  0000001000000000-00000011ffffffff : dax_region0"));
}

TEST(Dcd, ExtentsLiveInTheDaxRegionNotInIomem) {
  Machine m = DcdMachine();
  ASSERT_STEP(m, m.CreateRegion(0, 8 * kGiB, Mode::kDc).status());
  const std::string iomem = m.Render();
  // Two extents of one tag group, out of order and not adjacent.
  ASSERT_STEP(
      m, m.AddExtents(0, "g0",
                      {Range(4 * kGiB, 5 * kGiB - 1), Range(0, kGiB - 1)}));
  EXPECT_EQ(m.Render(), iomem);
  const ResourceTree& dr = *m.PrivateRoot("DAX Regions");
  const std::string dump = RenderDump(dr);
  EXPECT_THAT(dump, ::testing::HasSubstr(
                        "    0000001000000000-000000103fffffff : extent "
                        "flags=0x80000200"));
  EXPECT_THAT(dump, ::testing::HasSubstr(
                        "    0000001100000000-000000113fffffff : extent"));
  ASSERT_EQ(m.regions().at(0).extents.at("g0").size(), 2u);
  // The group is all or none: an overlap with g0 adds nothing of g1.
  EXPECT_FAILS_CLEANLY(m,
                       m.AddExtents(0, "g1",
                                    {Range(2 * kGiB, 3 * kGiB - 1),
                                     Range(kGiB - 4096, kGiB + 4095)}),
                       kerrno::kENOSPC);
  EXPECT_FAILS_CLEANLY(m, m.AddExtents(0, "g0", {Range(6 * kGiB, 7 * kGiB)}),
                       kerrno::kEEXIST);
  EXPECT_FAILS_CLEANLY(m, m.AddExtents(0, "g2", {Range(8 * kGiB, 8 * kGiB)}),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.AddExtents(0, "g2", {}), kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.AddExtents(1, "g2", {Range(0, 0)}),
                       kerrno::kENOENT);
  EXPECT_FAILS_CLEANLY(m, m.ReleaseExtents(0, "nope"), kerrno::kENOENT);
  ASSERT_STEP(m, m.ReleaseExtents(0, "g0"));
  EXPECT_THAT(RenderDump(*m.PrivateRoot("DAX Regions")),
              ::testing::Not(::testing::HasSubstr("extent")));
  EXPECT_TRUE(m.regions().at(0).extents.empty());
}

TEST(Dcd, DaxDevicesAreCarvedFromExtentsAndPinThem) {
  Machine m = DcdMachine();
  ASSERT_STEP(m, m.CreateRegion(0, 8 * kGiB, Mode::kDc).status());
  ASSERT_STEP(m, m.AddExtents(0, "a", {Range(0, kGiB - 1)}));
  ASSERT_STEP(m, m.AddExtents(0, "b", {Range(2 * kGiB, 4 * kGiB - 1)}));
  EXPECT_FAILS_CLEANLY(m, m.CreateDax(0), kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.CreateDax(0, kMiB), kerrno::kEINVAL);
  // 1.5 GiB fits only in b; then 1 GiB in a (first in address order).
  absl::StatusOr<std::string> d0 = m.CreateDax(0, 1536 * kMiB);
  ASSERT_THAT(d0, IsOk());
  EXPECT_EQ(*d0, "dax0.0");
  EXPECT_EQ(m.daxes().at("dax0.0").range, Range(0x1080000000, 0x10dfffffff));
  absl::StatusOr<std::string> d1 = m.CreateDax(0, kGiB);
  ASSERT_THAT(d1, IsOk());
  EXPECT_EQ(m.daxes().at("dax0.1").range, Range(0x1000000000, 0x103fffffff));
  // b has 512 MiB left, a nothing: 1 GiB does not fit anywhere.
  EXPECT_FAILS_CLEANLY(m, m.CreateDax(0, kGiB), kerrno::kENOSPC);
  // device_dax holds the range in iomem; the extent holds the device.
  EXPECT_EQ(Node(m, "dax0.0").parent, *m.Find("region0"));
  EXPECT_THAT(
      RenderDump(*m.PrivateRoot("DAX Regions")),
      ::testing::HasSubstr("      0000001080000000-00000010dfffffff : dax0.0"));
  ASSERT_STEP(m, m.KmemOnline("dax0.0", 1, Machine::Zone::kMovable));
  EXPECT_THAT(
      m.Render(),
      ::testing::HasSubstr("    1080000000-10dfffffff : dax0.0\n"
                           "      1080000000-10dfffffff : System RAM (kmem)"));
  // A used extent cannot go (the device retries); neither can a kmem dax.
  EXPECT_FAILS_CLEANLY(m, m.ReleaseExtents(0, "b"), kerrno::kEBUSY);
  EXPECT_FAILS_CLEANLY(m, m.DestroyDax("dax0.0"), kerrno::kEBUSY);
  EXPECT_FAILS_CLEANLY(m, m.DestroyDax("dax9.9"), kerrno::kENOENT);
  ASSERT_STEP(m, m.KmemOffline("dax0.0"));
  ASSERT_STEP(m, m.DestroyDax("dax0.0"));
  ASSERT_STEP(m, m.ReleaseExtents(0, "b"));
  EXPECT_FAILS_CLEANLY(m, m.ReleaseExtents(0, "a"), kerrno::kEBUSY);
  // The lowest free device number is taken again.
  ASSERT_STEP(m, m.AddExtents(0, "c", {Range(6 * kGiB, 7 * kGiB - 1)}));
  absl::StatusOr<std::string> d2 = m.CreateDax(0, kGiB);
  ASSERT_THAT(d2, IsOk());
  EXPECT_EQ(*d2, "dax0.0");
  // A ram region's device takes no size; a ram region's dax cannot be
  // destroyed this way.
  ASSERT_STEP(m, m.CreateRegion(0, kGiB, Mode::kRam).status());
  EXPECT_FAILS_CLEANLY(m, m.CreateDax(1, kGiB), kerrno::kEINVAL);
  ASSERT_STEP(m, m.CreateDax(1).status());
  EXPECT_FAILS_CLEANLY(m, m.DestroyDax("dax1.0"), kerrno::kEINVAL);
  // Destroying the DC region takes its devices, extents and dax_region.
  ASSERT_STEP(m, m.DestroyRegion(0));
  EXPECT_EQ(m.daxes().count("dax0.0") + m.daxes().count("dax0.1"), 0u);
  EXPECT_THAT(RenderDump(*m.PrivateRoot("DAX Regions")),
              ::testing::Not(::testing::HasSubstr("dax_region0")));
  EXPECT_THAT(m.Render(), ::testing::Not(::testing::HasSubstr("dax0.")));
}

// Found by hotplug_sequence_fuzzer: e820 inserts Soft Reserved at boot,
// before drivers; over a busy resource it is refused.
TEST(Cxl, SoftReservedOverABusyResourceIsRefused) {
  Machine m;
  ASSERT_STEP(m, m.MemoryAdd(0x100000000, 256 * kMiB));
  absl::StatusOr<ResourceId> sr =
      m.AddSoftReserved(Range(0x100000000, 0x10fffffff));
  EXPECT_EQ(Errno(sr.status()), kerrno::kEBUSY);
  EXPECT_EQ(m.Render(), "100000000-10fffffff : System RAM\n");
}

// ---------------------------------------------------------------------------
// Find().

TEST(Find, ExactNamesAndNameAtStart) {
  Machine m = Load(Sample("qemu72-linux61-nocxl-iomem-after-hotplug2.txt"));
  absl::StatusOr<ResourceId> ambiguous = m.Find("System RAM");
  EXPECT_EQ(ambiguous.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Errno(ambiguous.status()), kerrno::kEINVAL);
  EXPECT_EQ(m.tree().RangeOf(*m.Find("System RAM@0x110000000")),
            Range(0x110000000, 0x12fffffff));
  EXPECT_EQ(m.tree().RangeOf(*m.Find("System RAM@110000000")),
            Range(0x110000000, 0x12fffffff));
  EXPECT_EQ(m.Find("Kernel code").status().code(), absl::StatusCode::kOk);
  EXPECT_EQ(Errno(m.Find("System RAM@123").status()), kerrno::kENOENT);
  EXPECT_EQ(Errno(m.Find("nothing").status()), kerrno::kENOENT);
  EXPECT_EQ(m.FindAll("Reserved").size(), 8u);
  EXPECT_EQ(m.tree().ParentOf(*m.Find("Reserved@b0000000")),
            *m.Find("PCI MMCONFIG 0000 [bus 00-ff]"));
  // A same-range chain of one name: the name, or NAME@START, picks the
  // outermost (the later insert_resource, P1).
  Machine c;
  absl::StatusOr<ResourceId> inner =
      c.AddSoftReserved(Range(0x1000000000, 0x10ffffffff));
  absl::StatusOr<ResourceId> outer =
      c.AddSoftReserved(Range(0x1000000000, 0x10ffffffff));
  ASSERT_THAT(outer, IsOk());
  EXPECT_EQ(c.tree().ParentOf(*inner), *outer);
  EXPECT_EQ(*c.Find("Soft Reserved"), *outer);
  EXPECT_EQ(*c.Find("Soft Reserved@1000000000"), *outer);
}

TEST(Load, InfersFlagsAndRejectsZeroedDumps) {
  Machine m = Load(Sample("qemu72-linux61-legacy-pmem-kmem.txt"));
  EXPECT_EQ(Node(m, "System RAM (kmem)").flags, 0x83000200u);
  EXPECT_EQ(Node(m, "System RAM (kmem)").desc,
            iores_desc::kPersistentMemoryLegacy);
  EXPECT_EQ(Node(m, "dax0.0").flags, iores::kSystemRam);
  EXPECT_EQ(Node(m, "Reserved@0").flags, iores::kMem | iores::kBusy);
  EXPECT_EQ(Node(m, "Reserved@fd00000000").flags, iores::kMem);
  EXPECT_EQ(m.blocks().at(41).owner, Machine::BlockOwner::kStranded);
  EXPECT_CONSISTENT(m);
  absl::StatusOr<Machine> zeroed = Machine::FromIomem(
      Sample("mailinglist_nonroot-zeroed-addresses_x86-laptop.txt"));
  EXPECT_EQ(Errno(zeroed.status()), kerrno::kEINVAL);
  EXPECT_EQ(Errno(Machine::FromIomem("garbage\n").status()), kerrno::kEINVAL);
}

// ---------------------------------------------------------------------------
// (4) Error paths: each fails with the kernel's errno and changes nothing.

TEST(Errors, MemoryHotplug) {
  Machine m = Load(Sample("qemu72-linux61-nocxl-iomem.txt"));
  ASSERT_STEP(m, m.MemoryAdd(kDimm1, 256 * kMiB));
  // Misaligned to the 128 MiB block (the request itself succeeded first and
  // is rolled back).
  EXPECT_FAILS_CLEANLY(m, m.MemoryAdd(0x200000000, 64 * kMiB), kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.MemoryAdd(0x204000000, 128 * kMiB),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.MemoryAdd(0x200000000, 0), kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.MemoryAdd(0x200000000, 128 * kMiB, -1),
                       kerrno::kEINVAL);
  // Overlapping memory: EEXIST (the conflict is named).
  EXPECT_FAILS_CLEANLY(m, m.MemoryAdd(0x40000000, 128 * kMiB), kerrno::kEEXIST);
  EXPECT_FAILS_CLEANLY(m, m.MemoryAdd(0x108000000, 256 * kMiB),
                       kerrno::kEEXIST);
  {
    const absl::Status st = m.MemoryAdd(kDimm1, 256 * kMiB);
    EXPECT_EQ(GetKernelError(st).conflict, *m.Find("System RAM@100000000"));
  }
  // Beyond PHYSMEM_END (2^46 - 1).
  EXPECT_FAILS_CLEANLY(m, m.MemoryAdd(uint64_t{1} << 46, 128 * kMiB),
                       kerrno::kE2BIG);
  EXPECT_FAILS_CLEANLY(m, m.MemoryAdd(~uint64_t{0} - 127 * kMiB, 256 * kMiB),
                       kerrno::kE2BIG);
  // Remove with online blocks: EBUSY.
  ASSERT_STEP(m, m.MemoryOnline(kDimm1, 256 * kMiB, Machine::Zone::kMovable));
  EXPECT_FAILS_CLEANLY(m, m.MemoryRemove(kDimm1, 256 * kMiB), kerrno::kEBUSY);
  ASSERT_STEP(m, m.MemoryOffline(kDimm1, 128 * kMiB));
  EXPECT_FAILS_CLEANLY(m, m.MemoryRemove(kDimm1, 256 * kMiB), kerrno::kEBUSY);
  // Misaligned / absent blocks.
  EXPECT_FAILS_CLEANLY(m, m.MemoryRemove(kDimm1, 64 * kMiB), kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.MemoryOffline(kDimm1 + kMiB, 128 * kMiB),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.MemoryRemove(0x200000000, 128 * kMiB),
                       kerrno::kENOENT);
  EXPECT_FAILS_CLEANLY(m, m.MemoryOnline(0x200000000, 128 * kMiB),
                       kerrno::kENOENT);
  EXPECT_FAILS_CLEANLY(m, m.MemoryOffline(0x200000000, 128 * kMiB),
                       kerrno::kENOENT);
  // Removing a range that crosses two nodes: release_mem_region_adjustable
  // finds no single busy node.
  ASSERT_STEP(m, m.MemoryAdd(kDimm2, 256 * kMiB));
  ASSERT_STEP(m, m.MemoryOffline(kDimm1, 512 * kMiB));
  EXPECT_FAILS_CLEANLY(m, m.MemoryRemove(kDimm1 + 128 * kMiB, 256 * kMiB),
                       kerrno::kEINVAL);
  // Online again, remove fails again.
  ASSERT_STEP(m, m.MemoryOnline(kDimm2, 128 * kMiB));
  EXPECT_FAILS_CLEANLY(m, m.MemoryRemove(kDimm2, 256 * kMiB), kerrno::kEBUSY);
}

TEST(Errors, NamespacesDaxKmem) {
  Machine m = Load(LegacyPmemBase());
  EXPECT_FAILS_CLEANLY(m, m.CreateNamespace(0, NsMode::kDevdax, 3 * kMiB),
                       kerrno::kEINVAL);
  // align 1 GiB: dataoff = 1 GiB >= the 512 MiB namespace.
  EXPECT_FAILS_CLEANLY(m, m.CreateNamespace(0, NsMode::kDevdax, kGiB),
                       kerrno::kENXIO);
  EXPECT_FAILS_CLEANLY(m, m.CreateNamespace(5, NsMode::kDevdax),
                       kerrno::kENOENT);
  EXPECT_FAILS_CLEANLY(m, m.KmemOnline("dax0.0"), kerrno::kENOENT);
  EXPECT_FAILS_CLEANLY(m, m.DestroyNamespace("namespace9.0"), kerrno::kENOENT);
  EXPECT_FAILS_CLEANLY(m, m.CreateDax(0), kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.DestroyRegion(0), kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.DestroyRegion(3), kerrno::kENOENT);
  ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kDevdax).status());
  EXPECT_FAILS_CLEANLY(m, m.KmemOnline("dax0.0", -1), kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.KmemOffline("dax0.0"), kerrno::kEINVAL);
  ASSERT_STEP(m, m.KmemOnline("dax0.0"));
  {
    // Already kmem: daxctl's "already in system-ram mode", nothing changes.
    const std::string before = m.Dump();
    EXPECT_TRUE(m.KmemOnline("dax0.0").ok());
    EXPECT_EQ(m.Dump(), before);
  }
  EXPECT_FAILS_CLEANLY(m, m.CreateNamespace(0, NsMode::kRaw), kerrno::kEBUSY);
  EXPECT_FAILS_CLEANLY(m, m.DestroyNamespace("namespace0.0"), kerrno::kEBUSY);
  EXPECT_FAILS_CLEANLY(m, m.MemoryRemove(0x148000000, 128 * kMiB),
                       kerrno::kEBUSY);
  EXPECT_FAILS_CLEANLY(m, m.KmemOffline("dax0.0", false), kerrno::kEBUSY);
  EXPECT_EQ(m.Render(), Sample("qemu72-linux61-legacy-pmem-kmem.txt"));

  // A 1 GiB memory block leaves nothing of the dax range: EINVAL.
  MachineOptions big;
  big.block_size = kGiB;
  Machine b = Load(LegacyPmemBase(), big);
  ASSERT_STEP(b, b.CreateNamespace(0, NsMode::kDevdax).status());
  EXPECT_FAILS_CLEANLY(b, b.KmemOnline("dax0.0"), kerrno::kEINVAL);
}

TEST(Errors, Cxl) {
  Machine m = Load(Cxl1WithoutWindow());
  EXPECT_FAILS_CLEANLY(m, m.AddWindow(0, 0x390000000 + kMiB, 4 * kGiB),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.AddWindow(0, 0x390000000, 4 * kGiB + kMiB),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.AddWindow(0, 0x390000000, 4 * kGiB, 5),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.AddWindow(0, 0x390000000, 4 * kGiB, 1, 100),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 256 * kMiB, Mode::kPmem),
                       kerrno::kENOENT);
  ASSERT_STEP(m, m.AddWindow(0, 0x390000000, 4 * kGiB, 2, 4096));
  EXPECT_FAILS_CLEANLY(m, m.AddWindow(0, 0x1000000000, 4 * kGiB),
                       kerrno::kEEXIST);
  EXPECT_FAILS_CLEANLY(m, m.AddWindow(1, 0x380000000, 4 * kGiB),
                       kerrno::kEBUSY);  // partly overlaps window 0
  EXPECT_FAILS_CLEANLY(m, m.AddWindow(1, 0x380000000, 8 * kGiB),
                       kerrno::kEBUSY);  // covers window 0
  // 6.1 has no ram regions.
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 512 * kMiB, Mode::kRam),
                       kerrno::kENOENT);
  // Ways / granularity.
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 512 * kMiB, Mode::kPmem, 3),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 512 * kMiB, Mode::kPmem, 2, 300),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 512 * kMiB, Mode::kPmem, 0),
                       kerrno::kENXIO);
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 512 * kMiB, Mode::kPmem, 2, 0),
                       kerrno::kENXIO);
  // Size: a multiple of 256 MiB x 2 ways.
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 256 * kMiB, Mode::kPmem),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 0, Mode::kPmem), kerrno::kEINVAL);
  // No room: bigger than the window, then a full window.
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 8 * kGiB, Mode::kPmem),
                       kerrno::kERANGE);
  ASSERT_STEP(m, m.CreateRegion(0, 2 * kGiB, Mode::kPmem).status());
  ASSERT_STEP(m, m.CreateRegion(0, kGiB, Mode::kPmem).status());
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 2 * kGiB, Mode::kPmem),
                       kerrno::kERANGE);
  EXPECT_EQ(m.windows().at(0).cached_region_id, 2u);  // no id used
  ASSERT_STEP(m, m.CreateRegion(0, kGiB, Mode::kPmem).status());
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(0, 512 * kMiB, Mode::kPmem),
                       kerrno::kERANGE);
  EXPECT_FAILS_CLEANLY(m, m.CreateDax(1), kerrno::kEINVAL);  // pmem
  EXPECT_FAILS_CLEANLY(m, m.ChunksReserve(3, std::nullopt), kerrno::kENOENT);
  // A chunk size that is not 256 MiB x 2 ways nor the block size.
  EXPECT_FAILS_CLEANLY(m, m.ChunksReserve(0, 256 * kMiB), kerrno::kEINVAL);

  MachineOptions o;
  o.profile = KernelProfile::Linux612();
  Machine n(o);
  ASSERT_STEP(n, n.AddWindow(0, 0x1000000000, kGiB));
  ASSERT_STEP(n, n.CreateRegion(0, kGiB, Mode::kRam).status());
  ASSERT_STEP(n, n.CreateDax(0).status());
  EXPECT_FAILS_CLEANLY(n, n.CreateDax(0), kerrno::kEEXIST);
  EXPECT_FAILS_CLEANLY(n, n.CreateNamespace(0, NsMode::kDevdax),
                       kerrno::kEINVAL);
  EXPECT_FAILS_CLEANLY(n, n.AddSoftReserved(Range(5, 4)), kerrno::kEINVAL);
}

TEST(Errors, NamespaceLayoutBoundsDifferBetweenProfiles) {
  // 1.25 GiB pmem region, align 1 GiB: dataoff = 1 GiB, end_trunc 256 MiB.
  // 6.1 only checks dataoff < size, then nothing is left for the dax
  // region (ENOMEM); 6.12 checks dataoff < size - end_trunc (ENXIO).
  for (const auto& [profile, err] :
       {std::pair{KernelProfile::Debian61(), kerrno::kENOMEM},
        std::pair{KernelProfile::Linux612(), kerrno::kENXIO}}) {
    MachineOptions o;
    o.profile = profile;
    Machine m(o);
    ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
    ASSERT_STEP(m, m.CreateRegion(0, 5 * 256 * kMiB, Mode::kPmem).status());
    EXPECT_FAILS_CLEANLY(m, m.CreateNamespace(0, NsMode::kDevdax, kGiB), err);
    // With 2 MiB it fits.
    ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kDevdax).status());
  }
}

TEST(Errors, KmemBeyondPhysmemEnd) {
  // get_free_mem_region only checks that the start is below PHYSMEM_END,
  // so a region may reach past it; kmem's add_memory then fails with E2BIG.
  Machine m;
  const uint64_t base = (uint64_t{1} << 46) - kGiB;
  ASSERT_STEP(m, m.AddWindow(0, base, 2 * kGiB));
  ASSERT_STEP(m, m.CreateRegion(0, 2 * kGiB, Mode::kPmem).status());
  ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kDevdax).status());
  EXPECT_FAILS_CLEANLY(m, m.KmemOnline("dax0.0"), kerrno::kE2BIG);
  // A window starting above PHYSMEM_END offers nothing: ERANGE.
  ASSERT_STEP(m, m.AddWindow(1, uint64_t{1} << 47, kGiB));
  EXPECT_FAILS_CLEANLY(m, m.CreateRegion(1, 256 * kMiB, Mode::kPmem),
                       kerrno::kERANGE);
}

// ---------------------------------------------------------------------------
// Atomicity: a failing event leaves everything as it was, including when it
// fails after some of its steps succeeded (the journal and the tree
// transactions undo them).

// Everything(), plus every node's id with its generation and every field of
// the driver state.
std::string Deep(const Machine& m) {
  std::string out = Everything(m);
  for (ResourceId id : m.tree().PreorderIds()) {
    absl::StrAppend(&out, id.value(), " ");
  }
  for (const auto& [n, w] : m.windows()) {
    absl::StrAppend(&out, "\nW", n, " ", w.cfmws.ToString(), " ", w.ways, " ",
                    w.granularity, " ", w.node, " ", w.published, " ",
                    w.res.value(), " [", absl::StrJoin(w.regions, ","), "]");
  }
  for (const auto& [k, r] : m.regions()) {
    absl::StrAppend(&out, "\nR", k, " ", r.cxl, " ", r.window, " ",
                    static_cast<int>(r.mode), " ", r.range.ToString(), " ",
                    r.ways, " ", r.granularity, " ", r.node, " ", r.res.value(),
                    " ", r.pmem_res.value());
  }
  for (const auto& [name, ns] : m.namespaces()) {
    absl::StrAppend(&out, "\nN", name, " ", ns.region, " ", ns.range.ToString(),
                    " ", ns.align, " ", ns.busy.ToString(), " ",
                    ns.dax.value_or("-"));
  }
  for (const auto& [name, d] : m.daxes()) {
    absl::StrAppend(&out, "\nD", name, " ", d.region, " ", d.range.ToString(),
                    " ", d.node, " ", static_cast<int>(d.zone), " ",
                    d.kmem_range.ToString(), " ", d.kmem_res.value());
  }
  for (const auto& [b, blk] : m.blocks()) {
    absl::StrAppend(&out, "\nB", b, " ", blk.node, " ",
                    static_cast<int>(blk.zone));
  }
  return out;
}

// `expr` fails with `err` and leaves Deep() unchanged.
#define EXPECT_ROLLS_BACK(m, expr, err)                   \
  do {                                                    \
    const std::string before_ = Deep(m);                  \
    const absl::Status st_ = GetStatus(expr);             \
    EXPECT_FALSE(st_.ok()) << #expr;                      \
    EXPECT_EQ(Errno(st_), (err)) << #expr << ": " << st_; \
    EXPECT_EQ(Deep(m), before_) << #expr;                 \
    EXPECT_CONSISTENT(m);                                 \
  } while (0)

TEST(Atomicity, FailedWindowAddLeavesThePrivateCxlTree) {
  Machine m = Load(Cxl1WithoutWindow());
  ASSERT_STEP(m, m.AddWindow(0, 0x390000000, 4 * kGiB));
  // Inserted into "CXL mem" over window 0, then refused: EBUSY.
  EXPECT_ROLLS_BACK(m, m.AddWindow(1, 0x380000000, 8 * kGiB), kerrno::kEBUSY);
  // Had the refused range stayed in the private tree, this one would
  // partly overlap it (EBUSY).
  ASSERT_STEP(m, m.AddWindow(3, 0x540000000, 2 * kGiB));
  EXPECT_TRUE(m.windows().at(3).published);
}

TEST(Atomicity, FailedMemoryAddForgetsTheBlocksItAdded) {
  Machine m;
  const uint64_t base = 0x100000000;
  ASSERT_STEP(m, m.MemoryAdd(base, 256 * kMiB));
  ASSERT_STEP(m, m.MemoryOffline(base, 256 * kMiB));
  // The node goes behind the driver's back; its blocks stay present.
  ASSERT_THAT(m.RawIomem([&](ResourceTree& t) {
    return t.Remove(*m.Find("System RAM"));
  }),
              IsOk());
  // The request succeeds and block 31 is added before block 32 is found
  // present: EEXIST, and block 31 goes again.
  EXPECT_ROLLS_BACK(m, m.MemoryAdd(base - 128 * kMiB, 256 * kMiB),
                    kerrno::kEEXIST);
  EXPECT_EQ(m.blocks().count((base - 128 * kMiB) / (128 * kMiB)), 0u);
  EXPECT_EQ(m.FindAll("System RAM").size(), 0u);
}

TEST(Atomicity, FailedKmemOfflineOnlinesItsBlocksAgain) {
  Machine m = Load(LegacyPmemBase());
  ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kDevdax).status());
  ASSERT_STEP(m, m.KmemOnline("dax0.0"));
  const Range kr = m.daxes().at("dax0.0").kmem_range;
  const Range dr = m.daxes().at("dax0.0").range;
  // The dax range's head below the first memory block is not kmem's; a
  // busy node there makes device_dax's rebind fail after the blocks were
  // offlined (a nested atomic step) and kmem was removed.
  ASSERT_LT(dr.first(), kr.first());
  ASSERT_THAT(m.RawIomem([&](ResourceTree& t) {
    return t
        .RequestRegion(t.root(), dr.first(), kr.first() - dr.first(), "pinned",
                       0)
        .status();
  }),
              IsOk());
  const std::string before = Deep(m);
  const absl::Status st = m.KmemOffline("dax0.0");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(Deep(m), before);
  for (uint64_t b = kr.first() / (128 * kMiB); b <= kr.last() / (128 * kMiB);
       ++b) {
    EXPECT_TRUE(m.blocks().at(b).online) << b;
  }
  EXPECT_EQ(m.daxes().at("dax0.0").driver, Machine::DaxDriver::kKmem);
}

TEST(Atomicity, FailedTeardownRestoresTheDaxDevice) {
  Machine m;
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_STEP(m, m.CreateRegion(0, kGiB, Mode::kPmem).status());
  ASSERT_STEP(m, m.CreateNamespace(0, NsMode::kDevdax).status());
  const Range busy = m.namespaces().at("namespace0.0").busy;
  // The namespace's busy node goes behind the driver's back, so tearing
  // the namespace down fails after its dax device was unbound and deleted.
  ASSERT_THAT(m.RawIomem([&](ResourceTree& t) {
    return t.ReleaseRegion(t.root(), busy.first(),
                           busy.last() - busy.first() + 1);
  }),
              IsOk());
  EXPECT_ROLLS_BACK(m, m.DestroyRegion(0), kerrno::kEINVAL);
  EXPECT_ROLLS_BACK(m, m.CreateNamespace(0, NsMode::kRaw), kerrno::kEINVAL);
  EXPECT_ROLLS_BACK(m, m.DestroyNamespace("namespace0.0"), kerrno::kEINVAL);
  EXPECT_EQ(m.daxes().count("dax0.0"), 1u);
  EXPECT_EQ(m.FindAll("dax0.0").size(), 1u);
  EXPECT_EQ(m.windows().at(0).cached_region_id, 1u);
}

TEST(Atomicity, EveryKindOfFailingEventChangesNothing) {
  MachineOptions o;
  o.profile = KernelProfile::Linux612();
  Machine m(o);
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_STEP(m, m.AddWindow(1, 0x2000000000, 4 * kGiB));
  ASSERT_STEP(m, m.ChunksReserve(1, std::nullopt).status());
  ASSERT_STEP(m, m.CreateRegion(0, kGiB, Mode::kRam).status());
  ASSERT_STEP(m, m.CreateDax(0).status());
  ASSERT_STEP(m, m.KmemOnline("dax0.0"));
  ASSERT_STEP(m, m.CreateRegion(1, 2 * kGiB, Mode::kPmem).status());
  ASSERT_STEP(m, m.CreateNamespace(1, NsMode::kDevdax).status());
  ASSERT_STEP(m, m.MemoryAdd(0x100000000, 512 * kMiB));
  ASSERT_STEP(m,
              m.MemoryOnline(0x100000000, 512 * kMiB, Machine::Zone::kMovable));
  ASSERT_STEP(m, m.AddSoftReserved(Range(0x3000000000, 0x30ffffffff)).status());

  EXPECT_ROLLS_BACK(m, m.AddWindow(0, 0x4000000000, kGiB), kerrno::kEEXIST);
  EXPECT_ROLLS_BACK(m, m.AddWindow(2, 0x0fc0000000, 2 * kGiB), kerrno::kEBUSY);
  // Would partly overlap window 1.
  EXPECT_ROLLS_BACK(m, m.ExpandWindow(0, Range(0x1000000000, 0x207fffffff)),
                    kerrno::kEBUSY);
  EXPECT_ROLLS_BACK(m, m.AddSoftReserved(Range(2, 1)), kerrno::kEINVAL);
  EXPECT_ROLLS_BACK(m, m.CreateRegion(0, 4 * kGiB, Mode::kPmem),
                    kerrno::kERANGE);
  EXPECT_ROLLS_BACK(m, m.CreateRegion(1, 4 * kGiB, Mode::kRam),
                    kerrno::kERANGE);
  EXPECT_ROLLS_BACK(m, m.DestroyRegion(7), kerrno::kENOENT);
  EXPECT_ROLLS_BACK(m, m.CreateNamespace(1, NsMode::kDevdax, 3 * kMiB),
                    kerrno::kEINVAL);
  EXPECT_ROLLS_BACK(m, m.DestroyNamespace("namespace5.0"), kerrno::kENOENT);
  EXPECT_ROLLS_BACK(m, m.CreateDax(0), kerrno::kEEXIST);
  EXPECT_ROLLS_BACK(m, m.KmemOffline("dax1.0"), kerrno::kEINVAL);
  EXPECT_ROLLS_BACK(m, m.KmemOffline("dax0.0", false), kerrno::kEBUSY);
  EXPECT_ROLLS_BACK(m, m.MemoryAdd(0x100000000, 128 * kMiB), kerrno::kEEXIST);
  EXPECT_ROLLS_BACK(m, m.MemoryOnline(0x200000000, 128 * kMiB),
                    kerrno::kENOENT);
  EXPECT_ROLLS_BACK(m, m.MemoryOffline(0x100000000, 64 * kMiB),
                    kerrno::kEINVAL);
  EXPECT_ROLLS_BACK(m, m.MemoryRemove(0x100000000, 512 * kMiB), kerrno::kEBUSY);
  EXPECT_ROLLS_BACK(m, m.ChunksReserve(0, 384 * kMiB), kerrno::kEINVAL);
  EXPECT_ROLLS_BACK(m, m.ChunksReleaseUnused(3, false), kerrno::kENOENT);
  EXPECT_ROLLS_BACK(m, m.Reparent("dax0.0", "CXL Window 1"), kerrno::kEINVAL);
  EXPECT_ROLLS_BACK(m, m.RawIomem([](ResourceTree& t) {
    return t.RequestRegion(t.root(), 0x100000000, 128 * kMiB, "x", 0).status();
  }),
                    kerrno::kEBUSY);
}

// --- Soft Reserved, dax_hmem, assembly (docs/driver-chains.md §6) --------

MachineOptions On(const char* profile) {
  MachineOptions o;
  o.profile = *KernelProfile::ByName(profile);
  return o;
}

// Regression: before this model, linux-7.0 put e820 Soft Reserved into
// iomem; since bc62f5b308cb (v7.0) e820__reserve_resources_late() sends it
// to soft_reserve_resource and /proc/iomem does not show it.
TEST(SoftReserved, Linux70KeepsItOutOfIomem) {
  Machine m(On("linux-7.0"));
  const std::string before = m.Render();
  ASSERT_STEP(m, m.AddSoftReserved(Range(0x1050000000, 0x108fffffff)));
  EXPECT_EQ(m.Render(), before);
  const ResourceTree* sr = m.PrivateRoot("Soft Reserved");
  ASSERT_NE(sr, nullptr);
  EXPECT_EQ(RenderProcIomem(*sr), "1050000000-108fffffff : Soft Reserved\n");
  EXPECT_EQ(m.PrivateRoot("DAX Regions"), nullptr);  // 7.1 only
  // 6.12 still inserts it into iomem, and has no such private tree.
  Machine old(On("6.12"));
  ASSERT_STEP(old, old.AddSoftReserved(Range(0x1050000000, 0x108fffffff)));
  EXPECT_EQ(old.Render(), "1050000000-108fffffff : Soft Reserved\n");
  EXPECT_EQ(old.PrivateRoot("Soft Reserved"), nullptr);
}

TEST(SoftReserved, ProfileAliases) {
  EXPECT_EQ(KernelProfile::ByName("6.12")->name, "linux-6.12");
  EXPECT_EQ(KernelProfile::ByName("7.x")->name, "linux-7.1");
  EXPECT_EQ(KernelProfile::ByName("7.0")->name, "linux-7.0");
  EXPECT_EQ(KernelProfile::ByName("6.1")->name, "debian-6.1");
  EXPECT_EQ(KernelProfile::ByName("linux-7.1")->hmem,
            KernelProfile::HmemModel::k71);
  EXPECT_FALSE(KernelProfile::ByName("7").has_value());
  // linux-7.1's kernel/resource.c is 7.0's.
  const KernelProfile a = KernelProfile::Linux70(),
                      b = KernelProfile::Linux71();
  EXPECT_EQ(a.proc_max_depth, b.proc_max_depth);
  EXPECT_EQ(a.split_reparents_children, b.split_reparents_children);
  EXPECT_EQ(a.gfr_step_is_align, b.gfr_step_is_align);
}

TEST(Hmem, Linux61IdsAreSharedWithCxlDecoders) {
  Machine m(On("debian-6.1"));
  ASSERT_STEP(m, m.AddSoftReserved(Range(0x1050000000, 0x108fffffff)));
  ASSERT_STEP(m, m.HmemProbe(1));
  ASSERT_STEP(m, m.AddWindow(0, 0x2000000000, 4 * kGiB));
  EXPECT_EQ(m.windows().at(0).cached_region_id, 1u);  // hmem.0 took 0
  ASSERT_EQ(m.hmem_devices().size(), 1u);
  EXPECT_EQ(m.hmem_devices().at(0).dax, "dax0.0");
  EXPECT_EQ(m.daxes().at("dax0.0").node, 1);
  EXPECT_EQ(Node(m, "hmem.0").desc, iores_desc::kSoftReserved);
  EXPECT_EQ(Node(m, "dax0.0").flags, iores::kMem | iores::kBusy);
  EXPECT_EQ(Node(m, "dax0.0").desc, iores_desc::kSoftReserved);
}

TEST(Hmem, Linux612DefersOnlyWithCxlRegion) {
  for (bool cxl_region : {true, false}) {
    MachineOptions o = On("6.12");
    o.cxl_region = cxl_region;
    Machine m(o);
    ASSERT_STEP(m, m.AddSoftReserved(Range(0x390000000, 0x39fffffff)));
    ASSERT_STEP(m, m.AddWindow(0, 0x390000000, 4 * kGiB));
    absl::StatusOr<std::vector<std::string>> notes = m.HmemProbe();
    ASSERT_TRUE(notes.ok()) << notes.status();
    EXPECT_EQ(m.hmem_devices().empty(), cxl_region);
    EXPECT_EQ(m.FindAll("System RAM (kmem)").size(), cxl_region ? 0u : 1u);
    ASSERT_EQ(notes->size(), 1u);
    EXPECT_EQ(absl::StrContains((*notes)[0], "deferring range to CXL"),
              cxl_region);
  }
}

// What the kernel does with the blocks it adds by itself follows
// mhp_default_online_type: offline (the kernel's default, Debian's 6.1 and
// 6.12), or online in the default (normal) zone, ZONE_NORMAL, ZONE_MOVABLE.
// daxctl's `kmem online` of a device kmem bound at boot onlines its blocks.
TEST(AutoOnline, HotAddedAndKmemTypedBlocksFollowTheDefault) {
  using A = MachineOptions::AutoOnline;
  using Z = Machine::Zone;
  const struct {
    A mode;
    bool online;
    Z zone;
  } kCases[] = {{A::kOffline, false, Z::kMovable},
                {A::kOnline, true, Z::kNormal},
                {A::kOnlineKernel, true, Z::kNormal},
                {A::kOnlineMovable, true, Z::kMovable}};
  for (const auto& c : kCases) {
    MachineOptions o = On("6.12");
    o.auto_online = c.mode;
    o.cxl_region = false;  // dax_hmem keeps the range: kmem-typed dax0.0
    Machine m(o);
    ASSERT_STEP(m, m.MemoryAdd(0x100000000, 256 * kMiB));
    ASSERT_STEP(m, m.AddSoftReserved(Range(0x390000000, 0x39fffffff)));
    ASSERT_STEP(m, m.HmemProbe().status());
    for (uint64_t b : {0x20, 0x21, 0x72, 0x73}) {  // dimm, then hmem blocks
      ASSERT_EQ(m.blocks().count(b), 1u) << b;
      EXPECT_EQ(m.blocks().at(b).online, c.online) << b;
      if (c.online) {
        EXPECT_EQ(m.blocks().at(b).zone, c.zone) << b;
      }
    }
    ASSERT_EQ(m.daxes().at("dax0.0").driver, Machine::DaxDriver::kKmem);
    const std::string tree = m.Render();
    ASSERT_STEP(m, m.KmemOnline("dax0.0", std::nullopt, Z::kMovable));
    EXPECT_EQ(m.Render(), tree);  // already kmem: the blocks only
    for (uint64_t b : {0x72, 0x73}) {
      EXPECT_TRUE(m.blocks().at(b).online);
      EXPECT_EQ(m.blocks().at(b).zone, c.online ? c.zone : Z::kMovable);
    }
  }
}

TEST(Hmem, Linux71CommittedRegionWinsFailedOneLoses) {
  for (bool failed : {false, true}) {
    Machine m(On("7.x"));
    ASSERT_STEP(m, m.AddSoftReserved(Range(0x850000000, 0x284fffffff)));
    ASSERT_STEP(m, m.AddWindow(0, 0x850000000, 0x2000000000));
    ASSERT_STEP(m, m.AssembleRegion(0, Range(0x850000000, 0x284fffffff),
                                    Mode::kRam, failed));
    ASSERT_STEP(m, m.HmemProbe());
    EXPECT_EQ(m.hmem_devices().empty(), !failed);
    EXPECT_EQ(m.regions().at(0).dax.has_value(), !failed);
    const ResourceTree* dr = m.PrivateRoot("DAX Regions");
    ASSERT_NE(dr, nullptr);
    EXPECT_EQ(RenderProcIomem(*dr),
              failed ? "850000000-284fffffff : hmem.2\n"
                     : "850000000-284fffffff : dax_region0\n");
  }
}

TEST(Hmem, SecondProbeFindsNothingNew) {
  Machine m(On("6.12"));
  ASSERT_STEP(m, m.AddSoftReserved(Range(0x140000000, 0x15fffffff)));
  ASSERT_STEP(m, m.HmemProbe());
  const std::string once = Everything(m);
  absl::StatusOr<std::vector<std::string>> again = m.HmemProbe();
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(*again, ::testing::ElementsAre("no new Soft Reserved range"));
  EXPECT_EQ(Everything(m), once);
}

TEST(Atomicity, FailedHmemProbeAndAssemblyChangeNothing) {
  Machine m(On("7.x"));
  ASSERT_STEP(m, m.AddSoftReserved(Range(0x140000000, 0x15fffffff)));
  // Beyond PHYSMEM_END: kmem refuses the second range after the first was
  // registered; the whole probe is undone, ids and private trees included.
  ASSERT_STEP(m, m.AddSoftReserved(
                     Range(uint64_t{1} << 46, (uint64_t{1} << 46) + kGiB - 1)));
  EXPECT_FAILS_CLEANLY(m, m.HmemProbe(), kerrno::kE2BIG);
  EXPECT_FAILS_CLEANLY(m, m.HmemProbe(-1), kerrno::kEINVAL);
  ASSERT_STEP(m, m.AddWindow(0, 0x1000000000, 4 * kGiB));
  ASSERT_STEP(m, m.MemoryAdd(0x1000000000, 256 * kMiB));
  EXPECT_FAILS_CLEANLY(
      m,
      m.AssembleRegion(0, Range(0x1008000000, 0x101fffffff), Mode::kRam, false),
      kerrno::kEBUSY);
  EXPECT_FAILS_CLEANLY(
      m,
      m.AssembleRegion(0, Range(0x1000000000, 0x20ffffffff), Mode::kRam, false),
      kerrno::kENXIO);
  EXPECT_FAILS_CLEANLY(
      m,
      m.AssembleRegion(1, Range(0x1000000000, 0x10ffffffff), Mode::kRam, false),
      kerrno::kENOENT);
  Machine old(On("debian-6.1"));
  ASSERT_STEP(old, old.AddWindow(0, 0x1000000000, 4 * kGiB));
  EXPECT_FAILS_CLEANLY(old,
                       old.AssembleRegion(0, Range(0x1000000000, 0x10ffffffff),
                                          Mode::kRam, false),
                       95);  // EOPNOTSUPP
}

TEST(Hmem, PrivateRootsTakeRawOperations) {
  Machine m(On("7.x"));
  ASSERT_STEP(m, m.RawPrivate("DAX Regions", [](ResourceTree& t) {
    return t.Request(t.root(), {Range(0x1000, 0x1fff), "x", iores::kMem, 0})
        .status();
  }));
  EXPECT_EQ(RenderProcIomem(*m.PrivateRoot("DAX Regions")),
            "00001000-00001fff : x\n");
  Machine old(On("6.12"));
  EXPECT_FAILS_CLEANLY(
      old,
      old.RawPrivate("DAX Regions",
                     [](ResourceTree&) { return absl::OkStatus(); }),
      kerrno::kENOENT);
}

}  // namespace
}  // namespace hotplug
}  // namespace restree
