#include "numa/parse.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "numa/node_mask.h"
#include "numa/topology.h"
#include "tests/status_matchers.h"

namespace restree {
namespace numa {
namespace {

namespace fs = std::filesystem;

using ::restree::test_support::IsOk;
using ::restree::test_support::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string ReadTestFile(const std::string& name) {
  std::ifstream in("numa/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// A SLIT with a correct checksum around `rows` (count x count bytes), or
// around `count` and raw `matrix` bytes when they are given separately.
std::vector<uint8_t> MakeSlit(uint64_t count,
                              const std::vector<uint8_t>& matrix) {
  std::vector<uint8_t> t = {'S', 'L', 'I', 'T', 0, 0, 0, 0, 1, 0};
  const std::string oem = "RESTREREST  TREE";
  t.insert(t.end(), oem.begin(), oem.end());
  t.resize(36, 0);
  for (int i = 0; i < 8; ++i)
    t.push_back(static_cast<uint8_t>(count >> (8 * i)));
  t.insert(t.end(), matrix.begin(), matrix.end());
  const uint32_t length = static_cast<uint32_t>(t.size());
  for (int i = 0; i < 4; ++i)
    t[4 + i] = static_cast<uint8_t>(length >> (8 * i));
  uint8_t sum = 0;
  for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
  t[9] = static_cast<uint8_t>(-sum);
  return t;
}

std::vector<uint8_t> Matrix(int n, int local, int remote) {
  std::vector<uint8_t> m;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      m.push_back(static_cast<uint8_t>(i == j ? local : remote));
    }
  }
  return m;
}

// ---------------------------------------------------------------------------
// numactl -H

TEST(ParseNumactlTest, SeedFormA) {
  ASSERT_OK_AND_ASSIGN(Topology t,
                       ParseNumactl(ReadTestFile("seed_a.numactl"), "a"));
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  ASSERT_EQ(t.size(), 4);
  EXPECT_THAT(t.node(1).cpus, ElementsAre(4, 5, 6, 7));
  EXPECT_THAT(t.node(2).cpus, IsEmpty());
  EXPECT_EQ(t.node(0).memory_bytes, uint64_t{15973} << 20);
  EXPECT_EQ(t.MemoryNodes().ToString(), "0-3");
  EXPECT_EQ(t.Distance(0, 2), 20);
  EXPECT_EQ(t.Distance(3, 1), 20);
  EXPECT_EQ(t.Distance(2, 3), 30);
  // numactl cannot tell how memory was onlined.
  EXPECT_EQ(t.node(2).source, MemorySource::kBoot);
}

TEST(ParseNumactlTest, SparseNodesAndMemorylessNodes) {
  const std::string text =
      "available: 2 nodes (0,4)\n"
      "node 0 cpus: 0 1\n"
      "node 0 size: 1024 MB\n"
      "node 0 free: 512 MB\n"
      "node 4 cpus: 2 3\r\n"
      "node 4 size: 0 MB\n"
      "node 4 free: 0 MB\n"
      "\n"
      "node distances:\n"
      "node   0   4 \n"
      "  0:  10  21 \n"
      "  4:  21  10 \n";
  ASSERT_OK_AND_ASSIGN(Topology t, ParseNumactl(text, "f"));
  EXPECT_EQ(t.AllNodes().ToString(), "0,4");
  EXPECT_EQ(t.MemoryNodes().ToString(), "0");
  EXPECT_EQ(t.Distance(4, 0), 21);
}

TEST(ParseNumactlTest, NoDistanceInformation) {
  const std::string text =
      "available: 1 nodes (0)\n"
      "node 0 cpus: 0\n"
      "node 0 size: <not available>\n"
      "node 0 free: <not available>\n"
      "No distance information available.\n";
  ASSERT_OK_AND_ASSIGN(Topology t, ParseNumactl(text, "f"));
  EXPECT_EQ(t.size(), 1);
  EXPECT_FALSE(t.node(0).has_memory);
}

TEST(ParseNumactlTest, ErrorsNameLineAndColumn) {
  const std::string header =
      "node 0 cpus: 0\nnode 0 size: 10 MB\nnode distances:\n";
  const struct {
    std::string text;
    std::string error;
  } kCases[] = {
      {"hello\n", "f:1:1: unrecognised line"},
      {"node x cpus: 1\n", "f:1:6: expected \"node N"},
      {"node 1024 cpus:\n", "f:1:6:"},
      {"node 0 cpus: 1 0\n", "f:1:16: CPU ids must ascend"},
      {"node 0 cpus: 99999\n", "f:1:14: '99999' is not a CPU id"},
      {"node 0 size: 10 GB\n", "f:1:13: expected \"X MB\""},
      {"node 0 colour: red\n", "f:1:8: unknown field 'colour:'"},
      {"available: 3 nodes (0-1)\n", "f:1:12: says 3 nodes but lists 2"},
      {header + "node 0 1\n  0: 10 20\n  1: 20\n",
       "f:6:8: row has 1 distances, the header 2"},
      {header + "node 0\n  0: 300\n", "f:5:6: '300' is not a distance"},
      {header + "node 0\n  1: 10\n", "f:5:3: node 1 is not in the header"},
      {header + "node 1 0\n", "f:4:8: node ids must ascend"},
      {header + "node 0 1\n  0: 10 20\n", "f:4:1: no distance row for node 1"},
      {header, "distance header missing"},
      {header + "node 1\n  1: 10\n", "f:1:1: node 0 is not in the distance"},
      {"node 0 cpus: 0\nnode 1 cpus: 0\n", "CPU 0 is listed for nodes 0 and 1"},
      {"", "f: no nodes"},
      {"No distance information available.\nnode 0 cpus: 0\n",
       "f:2:1: text after"},
  };
  for (const auto& c : kCases) {
    absl::StatusOr<Topology> t = ParseNumactl(c.text, "f");
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_THAT(t.status().message(), HasSubstr(c.error)) << c.text;
  }
}

// ---------------------------------------------------------------------------
// ACPI SLIT

TEST(DecodeSlitTest, SeedFormB) {
  ASSERT_OK_AND_ASSIGN(Topology t,
                       DecodeSlit(Bytes(ReadTestFile("seed_b.slit")), "s"));
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  EXPECT_EQ(t.AllNodes().ToString(), "0-3");
  EXPECT_EQ(t.MemoryNodes().ToString(), "0-3");
  EXPECT_EQ(t.CpuNodes().ToString(), "");
  EXPECT_EQ(t.Distance(0, 1), 16);
  EXPECT_EQ(t.Distance(2, 3), 64);
  EXPECT_EQ(t.Distance(3, 0), 48);
}

TEST(DecodeSlitTest, TablesLinuxIgnoresAreKeptAsWhatIf) {
  // slit_valid() fails on a self distance other than 10 and on a remote
  // distance of 10 or less; such a table is a what-if, kept as given, with
  // its deviations listed.
  std::vector<uint8_t> m = Matrix(2, 10, 20);
  m[0] = 16;  // [0][0]
  m[2] = 10;  // [1][0]
  ASSERT_OK_AND_ASSIGN(Topology t, DecodeSlit(MakeSlit(2, m), "s"));
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  EXPECT_EQ(t.Distance(0, 0), 16);
  EXPECT_EQ(t.Distance(1, 0), 10);
  const std::vector<Topology::DistanceDeviation> dev =
      t.KernelDistanceDeviations();
  ASSERT_EQ(dev.size(), 2u);
  EXPECT_EQ(dev[0].from, 0);
  EXPECT_EQ(dev[0].to, 0);
  EXPECT_EQ(dev[0].distance, 16);
  EXPECT_EQ(dev[1].from, 1);
  EXPECT_EQ(dev[1].to, 0);
  EXPECT_EQ(dev[1].distance, 10);
  // What Linux uses instead: every default.
  t.UseKernelDefaultDistancesIfRejected();
  EXPECT_EQ(t.Distance(0, 0), 10);
  EXPECT_EQ(t.Distance(1, 0), 20);
  EXPECT_EQ(t.Distance(0, 1), 20);
  EXPECT_THAT(t.KernelDistanceDeviations(), IsEmpty());
}

TEST(DecodeSlitTest, ValidTablesAreLeftAlone) {
  std::vector<uint8_t> m = Matrix(2, 10, 11);
  ASSERT_OK_AND_ASSIGN(Topology t, DecodeSlit(MakeSlit(2, m), "s"));
  EXPECT_THAT(t.KernelDistanceDeviations(), IsEmpty());
  t.UseKernelDefaultDistancesIfRejected();
  EXPECT_EQ(t.Distance(0, 1), 11);
}

TEST(DecodeSlitTest, MoreThan255LocalitiesAreNodes) {
  // PXMs map to nodes up to MAX_PXM_DOMAINS, which equals MAX_NUMNODES
  // (1024) when that exceeds 256: a 300-locality table is usable.
  ASSERT_OK_AND_ASSIGN(Topology t,
                       DecodeSlit(MakeSlit(300, Matrix(300, 10, 20)), "s"));
  EXPECT_EQ(t.size(), 300);
  EXPECT_EQ(t.Distance(299, 0), 20);
  // 0xff ("no connection" in ACPI) is just distance 255 to the kernel.
  std::vector<uint8_t> m = Matrix(2, 10, 255);
  ASSERT_OK_AND_ASSIGN(Topology u, DecodeSlit(MakeSlit(2, m), "s"));
  EXPECT_EQ(u.Distance(0, 1), 255);
}

TEST(DecodeSlitTest, ErrorsNameTheByteOffset) {
  std::vector<uint8_t> good = MakeSlit(2, Matrix(2, 10, 20));
  struct Case {
    std::vector<uint8_t> bytes;
    std::string error;
    absl::StatusCode code;
  };
  std::vector<Case> cases;
  cases.push_back({std::vector<uint8_t>(good.begin(), good.begin() + 20),
                   "s: byte 20: the table is 20 bytes",
                   absl::StatusCode::kOutOfRange});
  {
    std::vector<uint8_t> b = good;
    b[0] = 'X';
    cases.push_back(
        {b, "s: byte 0: signature", absl::StatusCode::kInvalidArgument});
  }
  {
    std::vector<uint8_t> b = good;
    b.push_back(0);
    cases.push_back({b, "s: byte 4: header length 48 but 49 bytes",
                     absl::StatusCode::kOutOfRange});
  }
  {
    std::vector<uint8_t> b = good;
    b[45] = 21;  // breaks the checksum only
    cases.push_back({b, "s: byte 9: checksum mismatch",
                     absl::StatusCode::kInvalidArgument});
  }
  cases.push_back({MakeSlit(0, {}), "s: byte 36: zero localities",
                   absl::StatusCode::kInvalidArgument});
  cases.push_back({MakeSlit(1025, {}), "s: byte 36: 1025 localities",
                   absl::StatusCode::kOutOfRange});
  cases.push_back({MakeSlit(uint64_t{1} << 40, {}),
                   "localities: proximity domains beyond 1024",
                   absl::StatusCode::kOutOfRange});
  cases.push_back(
      {MakeSlit(3, Matrix(2, 10, 20)),
       "s: byte 48: 3 localities need 53 bytes but the table has 48",
       absl::StatusCode::kOutOfRange});
  cases.push_back({std::vector<uint8_t>(36, 0), "signature",
                   absl::StatusCode::kInvalidArgument});
  for (const Case& c : cases) {
    absl::StatusOr<Topology> t = DecodeSlit(c.bytes, "s");
    EXPECT_THAT(t, StatusIs(c.code)) << c.error;
    EXPECT_THAT(t.status().message(), HasSubstr(c.error));
  }
}

// ---------------------------------------------------------------------------
// Node attributes

TEST(ApplyNodeAttributesTest, SeedAttributes) {
  ASSERT_OK_AND_ASSIGN(Topology t,
                       ParseNumactl(ReadTestFile("seed_a.numactl"), "a"));
  ASSERT_OK(ApplyNodeAttributes(ReadTestFile("seed.attrs"), "attrs", &t));
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  EXPECT_EQ(t.node(2).source, MemorySource::kDaxKmem);
  EXPECT_EQ(t.node(1).socket, 1);
  ASSERT_TRUE(t.node(3).perf.has_value());
  EXPECT_EQ(t.node(3).perf->read_bandwidth, 10000u);
  EXPECT_EQ(t.node(3).perf->access_class, 1);
  EXPECT_EQ(t.node(2).initiators, NodeMask::Of({0}));
  ASSERT_EQ(t.node(2).ranges.size(), 1u);
  EXPECT_EQ(t.node(2).ranges[0].range, Range(0x1000000000, 0x11ffffffff));
  EXPECT_EQ(t.node(2).ranges[0].zone, Zone::kMovable);
  EXPECT_TRUE(t.demotion_enabled());
}

TEST(ApplyNodeAttributesTest, MemoryCpusAndOverrides) {
  ASSERT_OK_AND_ASSIGN(Topology t, Topology::Create({0, 1}));
  ASSERT_OK(ApplyNodeAttributes(
      "node 0 cpus=0-3,8 memory=16G\n"
      "node 1 memory=0x40000000 adistance=1000  # a comment\n"
      "node 1 read_latency=1 write_latency=2 read_bandwidth=3 "
      "write_bandwidth=4\n"
      "node 1 access=0 write_bandwidth=5\n"
      "auto_online_blocks online_kernel\n",
      "f", &t));
  EXPECT_EQ(t.auto_online(), OnlinePolicy::kOnlineKernel);
  EXPECT_THAT(t.node(0).cpus, ElementsAre(0, 1, 2, 3, 8));
  EXPECT_EQ(t.node(0).memory_bytes, uint64_t{16} << 30);
  EXPECT_TRUE(t.node(1).has_memory);
  EXPECT_EQ(t.node(1).adistance_override, 1000);
  ASSERT_TRUE(t.node(1).perf.has_value());
  EXPECT_EQ(t.node(1).perf->access_class, 0);
  EXPECT_EQ(t.node(1).perf->read_bandwidth, 3u);
  EXPECT_EQ(t.node(1).perf->write_bandwidth, 5u);
}

TEST(ApplyNodeAttributesTest, ErrorsLeaveTheTopologyUnchanged) {
  const struct {
    std::string text;
    std::string error;
  } kCases[] = {
      {"frobnicate 1\n", "f:1:1: unknown statement 'frobnicate'"},
      {"node 9 memory=1G\n", "f:1:6: node 9 is not in the distance input"},
      {"node x\n", "f:1:6: 'x' is not a node id"},
      {"node 0 colour=red\n", "f:1:8: unknown node key 'colour'"},
      {"node 0 memory\n", "f:1:8: expected key=value"},
      {"node 0 memory=lots\n", "f:1:15: memory: 'lots' is not a number"},
      {"node 0 socket=-1\n", "f:1:15: socket wants an integer"},
      {"node 0 read_latency=5\n", "f:1:1: give all four"},
      {"node 0 access=1\n", "access= without performance values"},
      {"node 0 read_latency=99999999999\n", "read_latency wants an integer"},
      {"node 0 cpus=0\nnode 1 cpus=0\n",
       "f:2:13: CPU 0 already belongs to node 0"},
      {"node 0 source=firmware\n", "source must be boot or kmem"},
      {"node 0 initiators=5\n", "initiator node 5 does not exist"},
      {"node 0 memory=1G memory=2G\n", "'memory' given twice"},
      {"range 0x1000-0x1fff node=0\n", "a range needs node= and zone="},
      {"range 0x1000 node=0 zone=normal\n", "f:1:7: expected FIRST-LAST"},
      {"range 0x1000-0x1fff node=0 zone=dma\n", "zone must be normal"},
      {"range 0x2000-0x1fff node=0 zone=normal\n", "inverted"},
      {"range 0x1000-0x1fff node=0 zone=normal\n"
       "range 0x1800-0x2fff node=1 zone=normal\n",
       "f:2:7: range [0x1800-0x2fff] of node 1 overlaps"},
      {"range 0x1000-0x1fff node=7 zone=normal\n", "no node 7"},
      {"demotion_enabled maybe\n", "expected \"demotion_enabled true|false\""},
      {"auto_online_blocks online_sometimes\n",
       "f:1:1: expected \"auto_online_blocks offline|online|"},
      {"node 0 memory=0\nrange 0x0-0xfff node=0 zone=normal\nnode 0 memory=0\n",
       ""},
  };
  for (const auto& c : kCases) {
    ASSERT_OK_AND_ASSIGN(Topology t, Topology::Create({0, 1}));
    const Topology before = t;
    absl::Status s = ApplyNodeAttributes(c.text, "f", &t);
    if (c.error.empty()) {
      // A node with ranges keeps N_MEMORY whatever memory= says.
      EXPECT_THAT(s, IsOk());
      EXPECT_TRUE(t.node(0).has_memory);
      continue;
    }
    EXPECT_FALSE(s.ok()) << c.text;
    EXPECT_THAT(s.message(), HasSubstr(c.error)) << c.text;
    EXPECT_EQ(t.node(0).cpus, before.node(0).cpus);
    EXPECT_EQ(t.node(0).ranges.size(), 0u);
    EXPECT_EQ(t.node(0).has_memory, before.node(0).has_memory);
    EXPECT_FALSE(t.node(0).perf.has_value());
  }
}

// ---------------------------------------------------------------------------
// sysfs

TEST(ReadSysrootTest, SeedTree) {
  ASSERT_OK_AND_ASSIGN(SysrootDump dump,
                       ReadSysroot("numa/testdata/sysroot_seed"));
  const Topology& t = dump.topology;
  EXPECT_THAT(t.CheckInvariants(), IsEmpty());
  EXPECT_EQ(t.AllNodes().ToString(), "0-3");
  EXPECT_EQ(t.Distance(1, 3), 32);
  EXPECT_THAT(t.node(1).cpus, ElementsAre(4, 5, 6, 7));
  EXPECT_EQ(t.node(0).socket, 0);
  EXPECT_EQ(t.node(1).socket, 1);
  EXPECT_FALSE(t.node(2).socket.has_value());
  EXPECT_EQ(t.node(2).memory_bytes, uint64_t{8388608} << 10);
  EXPECT_EQ(t.MemoryNodes().ToString(), "0-3");
  ASSERT_TRUE(t.node(2).perf.has_value());
  EXPECT_EQ(t.node(2).perf->read_latency, 250u);
  EXPECT_EQ(t.node(2).perf->access_class, 1);
  EXPECT_EQ(t.node(3).initiators, NodeMask::Of({1}));
  EXPECT_EQ(t.node(2).source, MemorySource::kDaxKmem);
  EXPECT_EQ(t.node(0).source, MemorySource::kBoot);
  // Blocks 32-33 (128 MiB each) merge; the offline block 1025 is skipped.
  ASSERT_EQ(t.node(0).ranges.size(), 1u);
  EXPECT_EQ(t.node(0).ranges[0].range, Range(0x100000000, 0x10fffffff));
  ASSERT_EQ(t.node(2).ranges.size(), 1u);
  EXPECT_EQ(t.node(2).ranges[0].zone, Zone::kMovable);
  ASSERT_EQ(t.node(3).ranges.size(), 1u);
  EXPECT_EQ(t.node(3).ranges[0].range, Range(0x2000000000, 0x2007ffffff));
  EXPECT_TRUE(t.demotion_enabled());
  EXPECT_EQ(t.auto_online(), OnlinePolicy::kOnlineMovable);
  ASSERT_EQ(dump.kernel_tiers.size(), 2u);
  EXPECT_EQ(dump.kernel_tiers.at(45), NodeMask::Of({2, 3}));
}

class ReadSysrootErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = fs::path(tmp != nullptr ? tmp : "/tmp") / "sysroot";
    fs::remove_all(root_);
    fs::copy("numa/testdata/sysroot_seed", root_, fs::copy_options::recursive);
  }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream out(root_ / rel, std::ios::trunc);
    out << text;
  }
  std::string Error() {
    absl::StatusOr<SysrootDump> d = ReadSysroot(root_.string());
    EXPECT_FALSE(d.ok());
    return std::string(d.status().message());
  }
  fs::path root_;
};

TEST_F(ReadSysrootErrorTest, BadDistanceFile) {
  Write("sys/devices/system/node/node1/distance", "16 10 4x8 32\n");
  EXPECT_THAT(Error(),
              HasSubstr("node1/distance:1:7: '4x8' is not a distance"));
}

TEST_F(ReadSysrootErrorTest, ShortDistanceFile) {
  Write("sys/devices/system/node/node3/distance", "48 32 64\n");
  EXPECT_THAT(Error(),
              HasSubstr("node3/distance:1:1: 3 distances for 4 nodes"));
}

TEST_F(ReadSysrootErrorTest, BadPerformanceValue) {
  Write("sys/devices/system/node/node2/access1/initiators/read_bandwidth",
        "fast\n");
  EXPECT_THAT(Error(), HasSubstr("read_bandwidth:1:1: expected a number"));
}

TEST_F(ReadSysrootErrorTest, BadZone) {
  Write("sys/devices/system/memory/memory512/valid_zones", "Sideways\n");
  EXPECT_THAT(Error(), HasSubstr("valid_zones:1:1: unknown zone 'Sideways'"));
}

TEST_F(ReadSysrootErrorTest, BadCpuList) {
  Write("sys/devices/system/node/node0/cpulist", "0-3,\n");
  EXPECT_THAT(Error(), HasSubstr("node0/cpulist:1:5: expected a decimal"));
}

TEST_F(ReadSysrootErrorTest, BadDemotionSwitch) {
  Write("sys/kernel/mm/numa/demotion_enabled", "yes\n");
  EXPECT_THAT(Error(),
              HasSubstr("demotion_enabled:1:1: expected true or false"));
}

TEST_F(ReadSysrootErrorTest, BadOnlinePolicy) {
  Write("sys/devices/system/memory/auto_online_blocks", "sometimes\n");
  EXPECT_THAT(Error(), HasSubstr("auto_online_blocks:1:1: expected offline"));
}

TEST_F(ReadSysrootErrorTest, BadBlockSize) {
  Write("sys/devices/system/memory/block_size_bytes", "3000\n");
  EXPECT_THAT(Error(),
              HasSubstr("block_size_bytes:1:1: expected a power-of-two"));
}

TEST_F(ReadSysrootErrorTest, MissingDistance) {
  fs::remove(root_ / "sys/devices/system/node/node2/distance");
  EXPECT_THAT(Error(), HasSubstr("node2/distance: cannot open"));
}

TEST(ReadSysrootTest, NotASysroot) {
  EXPECT_THAT(ReadSysroot("numa/testdata/nowhere"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace numa
}  // namespace restree
