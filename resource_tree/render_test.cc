// /proc/iomem text (width, the depth cap of 5 or 8, the unprivileged view)
// and the debug dump.

#include "resource_tree/render.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "resource_tree/resource_tree.h"
#include "tests/status_matchers.h"

namespace restree {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kRamFlags = iores::kSystemRam | iores::kBusy;

TEST(RenderTest, WidthDepthCapAndUnprivilegedView) {
  ResourceTree t = ResourceTree::Iomem();
  ResourceId parent = t.root();
  // Seven nested levels: the cap of 5 flattens the last two.
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK_AND_ASSIGN(parent, t.Request(parent, {Range(0x1000, 0x1fff),
                                                    absl::StrCat("L", i)}));
  }
  ASSERT_OK(
      t.Request(t.root(), {Range(0x123456789, 0x12345678a), ""}).status());
  EXPECT_EQ(RenderProcIomem(t),
            "00001000-00001fff : L0\n"
            "  00001000-00001fff : L1\n"
            "    00001000-00001fff : L2\n"
            "      00001000-00001fff : L3\n"
            "        00001000-00001fff : L4\n"
            "          00001000-00001fff : L5\n"
            "          00001000-00001fff : L6\n"
            "123456789-12345678a : \n");
  ProcRenderOptions eight;
  eight.max_depth = 8;
  EXPECT_THAT(RenderProcIomem(t, eight),
              HasSubstr("\n            00001000-00001fff : L6\n"));
  ProcRenderOptions zero;
  zero.zero_addresses = true;
  EXPECT_THAT(RenderProcIomem(t, zero),
              HasSubstr("\n  00000000-00000000 : L1\n"));
  ResourceTree io = ResourceTree::Ioport();
  ASSERT_OK(io.Request(io.root(), {Range(0x20, 0x21), "pic1"}).status());
  EXPECT_EQ(RenderProcIomem(io), "0020-0021 : pic1\n");
}

TEST(RenderTest, DumpShowsFlagsAndDesc) {
  ResourceTree t = ResourceTree::Iomem();
  ASSERT_OK(
      t.Request(t.root(), {Range(0x1000, 0x1fff), "System RAM", kRamFlags, 0})
          .status());
  EXPECT_EQ(RenderDump(t),
            "0000000000000000-ffffffffffffffff : PCI mem flags=0x200 desc=0\n"
            "  0000000000001000-0000000000001fff : System RAM "
            "flags=0x81000200 desc=0\n");
}

}  // namespace
}  // namespace restree
