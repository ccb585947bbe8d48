// In-process tests of `restree cedt` (tools/cmd_cedt.cc): exit codes,
// one-line errors, and each mode on the sample tables.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli.h"

namespace restree {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kQemu[] = "cfmws/testdata/qemu72-cxl1.CEDT.bin";
constexpr char kTemplate[] = "cfmws/testdata/acpica-template.CEDT.bin";

struct CliRun {
  int rc;
  std::string out;
  std::string err;
};

CliRun Cedt(std::vector<std::string> args) {
  args.insert(args.begin(), "cedt");
  std::ostringstream out, err;
  const int rc = cli::Main(args, out, err, false);
  return {rc, out.str(), err.str()};
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(CmdCedtTest, HumanViewOfQemuTable) {
  CliRun r = Cedt({kQemu});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("[04Ch 0076 008h]         Window base address : "
                               "0000000390000000\n"));
  EXPECT_THAT(r.out, HasSubstr("2 subtables; 0 validation errors"));
  EXPECT_EQ(r.err, "");
}

TEST(CmdCedtTest, HelpExitsZero) {
  CliRun r = Cedt({"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_THAT(r.out, StartsWith("usage: restree cedt"));
}

TEST(CmdCedtTest, UnknownOptionIsOneLineAndExit2) {
  CliRun r = Cedt({"--frobnicate", kQemu});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, StartsWith("restree cedt: "));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(CmdCedtTest, DefaultPathMissingSaysSo) {
  // /sys/firmware/acpi/tables/CEDT does not exist on the build machines.
  std::ifstream probe("/sys/firmware/acpi/tables/CEDT");
  if (probe.good()) GTEST_SKIP() << "this machine has a CEDT";
  CliRun r = Cedt({});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, StartsWith("restree cedt: /sys/firmware/acpi/tables/CEDT: "
                                "cannot open"));
  EXPECT_THAT(r.err, HasSubstr("publishes no CEDT"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(CmdCedtTest, UnreadableFileIsExit2) {
  CliRun r = Cedt({"/nonexistent/cedt.bin"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, StartsWith("restree cedt: /nonexistent/cedt.bin: "));
}

TEST(CmdCedtTest, CorruptTableIsExit2ButValidateSaysNo) {
  std::ifstream in(kQemu, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  bytes[0x46] = 0;  // CFMWS record length 0
  bytes[0x47] = 0;
  const std::string path = TempPath("corrupt.bin");
  std::ofstream(path, std::ios::binary) << bytes;
  CliRun r = Cedt({path});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("subtable 1 (CFMWS at offset 0x44)"));
  CliRun v = Cedt({path, "--validate"});
  EXPECT_EQ(v.rc, 1);
  EXPECT_THAT(v.out, StartsWith("error: [decode] subtable 1"));
}

// iasl's disassembly instead of the binary table: say what to give instead.
TEST(CmdCedtTest, IaslTextAsksForTheBinaryTable) {
  CliRun r = Cedt({"cfmws/testdata/qemu72-cxl1.CEDT.dsl"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_THAT(r.err, HasSubstr("qemu72-cxl1.CEDT.dsl: this is text, not the "
                               "binary CEDT (iasl or acpidump output?)"));
  EXPECT_THAT(r.err, HasSubstr("/sys/firmware/acpi/tables/CEDT"));
  EXPECT_THAT(r.err, HasSubstr("`acpidump -n CEDT -b`"));
  CliRun v = Cedt({"cfmws/testdata/qemu72-cxl1.CEDT.dsl", "--validate"});
  EXPECT_EQ(v.rc, 1);
  EXPECT_THAT(v.out, HasSubstr("this is text, not the binary CEDT"));
}

TEST(CmdCedtTest, ValidateExitCodes) {
  CliRun ok = Cedt({kQemu, "--validate"});
  EXPECT_EQ(ok.rc, 0);
  EXPECT_EQ(ok.out, "0 errors, 0 warnings, 0 notes\n");
  CliRun bad = Cedt({kTemplate, "--validate"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_THAT(bad.out, HasSubstr("[cfmws-overlap]"));
  EXPECT_THAT(bad.out, HasSubstr("4 errors, 0 warnings, 0 notes\n"));
  CliRun json = Cedt({kTemplate, "--validate", "--json"});
  EXPECT_EQ(json.rc, 1);
  EXPECT_THAT(json.out, HasSubstr("\"errors\": 4"));
}

TEST(CmdCedtTest, HpaFindsTheTarget) {
  CliRun r = Cedt({kQemu, "--hpa", "0x390000100"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("position 0 -> host bridge UID 0xC (CHBS, "
                               "subtable 0), offset 0x100"));
  CliRun miss = Cedt({kQemu, "--hpa", "0x1000"});
  EXPECT_EQ(miss.rc, 1);
  EXPECT_THAT(miss.out, HasSubstr("in no usable CXL window"));
  // A hex address's final e is a digit, not the 2^60 suffix.
  CliRun e = Cedt({kQemu, "--hpa", "0x39000010e"});
  EXPECT_EQ(e.rc, 0) << e.err;
  EXPECT_THAT(e.out, HasSubstr("offset 0x10e"));
  CliRun bad = Cedt({kQemu, "--hpa", "zzz"});
  EXPECT_EQ(bad.rc, 2);
  EXPECT_EQ(bad.err,
            "restree cedt: --hpa: 'zzz' is not a number (e.g. 4096, 0x1000, "
            "4K, 256M)\n");
  CliRun json = Cedt({kQemu, "--hpa", "0x390000100", "--json"});
  EXPECT_THAT(json.out, HasSubstr("\"target_uid\": 12"));
}

TEST(CmdCedtTest, PlanPrintsFatesAndIomem) {
  CliRun r = Cedt({kQemu, "--plan"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CXL Window 0 [0x390000000, size 4G]: "
                               "published"));
  EXPECT_THAT(r.out, HasSubstr("\n390000000-48fffffff : CXL Window 0\n"));
  CliRun c = Cedt({kQemu, "--plan", "--chunked", "--chunk-size", "1G"});
  EXPECT_EQ(c.rc, 0) << c.err;
  EXPECT_THAT(c.out, HasSubstr("  390000000-3cfffffff : CXL chunk\n"));
  CliRun j = Cedt({kQemu, "--plan", "--json"});
  EXPECT_THAT(j.out, HasSubstr("\"mode\": \"linux\""));
}

// The QEMU guest's real /proc/iomem without its "CXL Window 0" line is the
// tree cxl_acpi found at boot; planning that guest's CEDT onto it must give
// back the real dump, byte for byte.
TEST(CmdCedtTest, PlanOnTheGuestsOwnDumpReproducesIt) {
  std::ifstream in("iomem_parser/testdata/qemu72-linux61-cxl1-iomem.txt");
  const std::string real((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  const std::string window = "390000000-48fffffff : CXL Window 0\n";
  const size_t at = real.find(window);
  ASSERT_NE(at, std::string::npos);
  const std::string base_path = TempPath("cxl1-without-window.txt");
  {
    std::ofstream out(base_path);
    out << real.substr(0, at) << real.substr(at + window.size());
  }
  CliRun r = Cedt({kQemu, "--plan", "--base", base_path});
  ASSERT_EQ(r.rc, 0) << r.err;
  const size_t tree = r.out.find("\n00000000-00000fff : Reserved\n");
  ASSERT_NE(tree, std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(tree + 1), real);
}

TEST(CmdCedtTest, PlanOptionErrors) {
  EXPECT_EQ(Cedt({kQemu, "--chunked"}).rc, 2);
  EXPECT_EQ(Cedt({kQemu, "--plan", "--chunk-size", "1G"}).rc, 2);
  CliRun base = Cedt({kQemu, "--plan", "--base", "/nonexistent/iomem"});
  EXPECT_EQ(base.rc, 2);
  EXPECT_THAT(base.err, HasSubstr("/nonexistent/iomem: cannot open"));
  CliRun zeroed = Cedt({kQemu, "--plan", "--base",
                        "iomem_parser/testdata/"
                        "mailinglist_nonroot-zeroed-addresses_x86-laptop.txt"});
  EXPECT_EQ(zeroed.rc, 2);
  EXPECT_THAT(zeroed.err, HasSubstr("a plan needs addresses"));
  EXPECT_EQ(Cedt({kQemu, "--plan", "--validate"}).rc, 2);
  EXPECT_EQ(Cedt({kQemu, kTemplate}).rc, 2);
}

TEST(CmdCedtTest, DescribeThenEncodeGivesTheSameTable) {
  CliRun d = Cedt({kTemplate, "--describe"});
  ASSERT_EQ(d.rc, 0) << d.err;
  const std::string desc = TempPath("template.desc");
  std::ofstream(desc) << d.out;
  const std::string out = TempPath("template.bin");
  CliRun e = Cedt({"--encode", desc, "--output", out});
  ASSERT_EQ(e.rc, 0) << e.err;
  std::ifstream a(kTemplate, std::ios::binary), b(out, std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(a)), {}),
            std::string((std::istreambuf_iterator<char>(b)), {}));
}

TEST(CmdCedtTest, EncodeErrors) {
  const std::string desc = TempPath("bad.desc");
  std::ofstream(desc) << "chbs uid=1\ncfmws ways=3\n";
  CliRun e = Cedt({"--encode", desc, "--output", TempPath("x.bin")});
  EXPECT_EQ(e.rc, 2);
  EXPECT_THAT(e.err, HasSubstr("line 2: cfmws: 3 ways need 3 targets"));
  EXPECT_EQ(Cedt({"--encode", desc}).rc, 2);  // no --output
}

}  // namespace
}  // namespace restree
