#include "hotplug/parse.h"

#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hotplug/format.h"
#include "hotplug/internal/text.h"
#include "resource_tree/flags.h"
#include "tests/status_matchers.h"

namespace restree {
namespace hotplug {
namespace {

using ::restree::test_support::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint64_t kK = 1024;
constexpr uint64_t kM = kK * 1024;
constexpr uint64_t kG = kM * 1024;

// The body of the only event of a one-line script; fails the test if the
// script does not parse or has another number of events.
EventBody One(absl::string_view line) {
  absl::StatusOr<Script> s = ParseScript(line, "t.events");
  EXPECT_TRUE(s.ok()) << line << "\n" << s.status();
  if (!s.ok()) return ConfigEvent{};
  EXPECT_EQ(s->events.size(), 1u) << line;
  if (s->events.size() != 1) return ConfigEvent{};
  return s->events[0].body;
}

template <typename T>
T OneAs(absl::string_view line) {
  EventBody body = One(line);
  EXPECT_TRUE(std::holds_alternative<T>(body)) << line;
  if (!std::holds_alternative<T>(body)) return T{};
  return std::get<T>(body);
}

// The error message of a script that must fail.
std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<Script> s = ParseScript(text, "t.events");
  EXPECT_FALSE(s.ok()) << text;
  if (s.ok()) return "(parsed)";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(s.status().message());
}

// ---------------------------------------------------------------------------
// Every event kind with every key.

TEST(ParseTest, Config) {
  ConfigEvent e =
      OneAs<ConfigEvent>("config profile=debian-6.1 block-size=128M");
  EXPECT_EQ(e.profile, "debian-6.1");
  EXPECT_EQ(e.block_size, 128 * kM);
  e = OneAs<ConfigEvent>("config block-size=0x8000000");
  EXPECT_EQ(e.profile, std::nullopt);
  EXPECT_EQ(e.block_size, 128 * kM);
  e = OneAs<ConfigEvent>("config profile=linux-7.0");
  EXPECT_EQ(e.profile, "linux-7.0");
  EXPECT_EQ(e.block_size, std::nullopt);
}

TEST(ParseTest, ConfigBuildKeysAndAliases) {
  ConfigEvent e = OneAs<ConfigEvent>(
      "config profile=7.x cxl-region=n cxl=builtin dax-hmem=modules "
      "hmem-sr-reinsert=y");
  EXPECT_EQ(e.profile, "7.x");  // the script's spelling; apply resolves it
  EXPECT_EQ(e.cxl_region, false);
  EXPECT_EQ(e.cxl, BuildMode::kBuiltin);
  EXPECT_EQ(e.dax_hmem, BuildMode::kModule);
  EXPECT_EQ(e.hmem_sr_reinsert, true);
  e = OneAs<ConfigEvent>("config cxl-region=y");
  EXPECT_EQ(e.cxl_region, true);
  EXPECT_EQ(e.profile, std::nullopt);
  EXPECT_EQ(e.cxl, std::nullopt);
  for (const char* alias : {"6.1", "6.12", "7.0", "7.1", "7.x", "linux-7.1"}) {
    EXPECT_EQ(
        OneAs<ConfigEvent>(absl::StrCat("config profile=", alias)).profile,
        alias);
  }
  EXPECT_EQ(FormatEventBody(One("config dax-hmem=builtin cxl-region=n")),
            "config cxl-region=n dax-hmem=builtin");
}

TEST(ParseTest, RegionAssembleAndHmemProbe) {
  RegionAssemble a = OneAs<RegionAssemble>(
      "region assemble window=2 0x850000000-0x284fffffff");
  EXPECT_EQ(a.window, 2u);
  EXPECT_EQ(a.range, Range(0x850000000, 0x284fffffff));
  EXPECT_EQ(a.mode, RegionMode::kRam);
  EXPECT_FALSE(a.failed);
  a = OneAs<RegionAssemble>(
      "region assemble 0x1000-0x1fff failed mode=pmem window=0");
  EXPECT_EQ(a.mode, RegionMode::kPmem);
  EXPECT_TRUE(a.failed);
  EXPECT_EQ(FormatEventBody(a),
            "region assemble window=0 0x1000-0x1fff mode=pmem failed");
  EXPECT_EQ(OneAs<HmemProbe>("hmem probe").node, std::nullopt);
  EXPECT_EQ(OneAs<HmemProbe>("hmem probe node=2").node, 2u);
  EXPECT_TRUE(OneAs<WindowExpand>("window expand 0 to=0x0-0xfffffff "
                                  "grow-ancestors")
                  .grow_ancestors);
  // The machine's private roots need no `root add`.
  for (const char* root :
       {"CXL mem", "HMEM devices", "Soft Reserved", "DAX Regions"}) {
    EXPECT_EQ(
        OneAs<Assert>(absl::StrCat("assert count x 0 root=\"", root, "\""))
            .root,
        root);
  }
}

TEST(ParseTest, WindowAddAllKeys) {
  WindowAdd e = OneAs<WindowAdd>(
      "window add 3 base=0x1000000000 size=64G ways=2 gran=4K "
      "targets=12,0xd restrict=ram,type3,fixed");
  EXPECT_EQ(e.index, 3u);
  EXPECT_EQ(e.base, 0x1000000000u);
  EXPECT_EQ(e.size, 64 * kG);
  EXPECT_EQ(e.ways, 2u);
  EXPECT_EQ(e.granularity, 4 * kK);
  EXPECT_THAT(e.targets, ElementsAre(12u, 13u));
  EXPECT_EQ(e.restrictions,
            restriction::kRam | restriction::kType3 | restriction::kFixed);
}

TEST(ParseTest, WindowAddDefaults) {
  // Keys in any order; the defaults documented in docs/events.md.
  WindowAdd e = OneAs<WindowAdd>("window add 0 size=256M base=0x390000000");
  EXPECT_EQ(e.index, 0u);
  EXPECT_EQ(e.base, 0x390000000u);
  EXPECT_EQ(e.size, 256 * kM);
  EXPECT_EQ(e.ways, 1u);
  EXPECT_EQ(e.granularity, 256u);
  EXPECT_TRUE(e.targets.empty());
  EXPECT_EQ(e.restrictions,
            restriction::kType3 | restriction::kRam | restriction::kPmem);
}

TEST(ParseTest, WindowExpandAndSoftres) {
  WindowExpand w =
      OneAs<WindowExpand>("window expand 0 to=0x1000000000-0x2fffffffff");
  EXPECT_EQ(w.index, 0u);
  EXPECT_EQ(w.to, Range(0x1000000000, 0x2fffffffff));
  SoftresAdd s = OneAs<SoftresAdd>("softres add 0x1000000000-0x1fffffffff");
  EXPECT_EQ(s.range, Range(0x1000000000, 0x1fffffffff));
}

TEST(ParseTest, RegionCreateAndDestroy) {
  RegionCreate r = OneAs<RegionCreate>(
      "region create window=1 size=8G mode=ram ways=2 gran=512");
  EXPECT_EQ(r.window, 1u);
  EXPECT_EQ(r.size, 8 * kG);
  EXPECT_EQ(r.mode, RegionMode::kRam);
  EXPECT_EQ(r.ways, 2u);
  EXPECT_EQ(r.granularity, 512u);
  r = OneAs<RegionCreate>("region create window=0 size=256M mode=pmem");
  EXPECT_EQ(r.mode, RegionMode::kPmem);
  EXPECT_EQ(r.ways, std::nullopt);
  EXPECT_EQ(r.granularity, std::nullopt);
  EXPECT_EQ(OneAs<RegionDestroy>("region destroy region12").region, 12u);
}

TEST(ParseTest, NamespaceAndDax) {
  NamespaceCreate n = OneAs<NamespaceCreate>(
      "namespace create region=region1 mode=devdax align=1G size=512M");
  EXPECT_EQ(n.region, 1u);
  EXPECT_EQ(n.mode, NamespaceMode::kDevdax);
  EXPECT_EQ(n.align, kG);
  EXPECT_EQ(n.size, 512 * kM);
  n = OneAs<NamespaceCreate>("namespace create region=region0 mode=fsdax");
  EXPECT_EQ(n.mode, NamespaceMode::kFsdax);
  EXPECT_EQ(n.align, 2 * kM);
  EXPECT_EQ(n.size, std::nullopt);
  EXPECT_EQ(
      OneAs<NamespaceCreate>("namespace create region=region0 mode=raw").mode,
      NamespaceMode::kRaw);
  EXPECT_EQ(OneAs<DaxCreate>("dax create region=region7").region, 7u);
}

TEST(ParseTest, Kmem) {
  KmemOnline k = OneAs<KmemOnline>("kmem online dax1.2 node=3 zone=movable");
  EXPECT_EQ(k.dax, (DaxRef{1, 2}));
  EXPECT_EQ(k.node, 3u);
  EXPECT_EQ(k.zone, Zone::kMovable);
  k = OneAs<KmemOnline>("kmem online dax0.0");
  EXPECT_EQ(k.node, std::nullopt);
  EXPECT_EQ(k.zone, std::nullopt);
  EXPECT_EQ(OneAs<KmemOnline>("kmem online dax0.0 zone=normal").zone,
            Zone::kNormal);
  EXPECT_EQ(OneAs<KmemOffline>("kmem offline dax10.0").dax, (DaxRef{10, 0}));
  EXPECT_EQ(OneAs<NamespaceDestroy>("namespace destroy namespace3.1").ns,
            (DaxRef{3, 1}));
}

TEST(ParseTest, Memory) {
  MemoryAdd a = OneAs<MemoryAdd>("memory add 0x2000000000 size=4G node=1");
  EXPECT_EQ(a.addr, 0x2000000000u);
  EXPECT_EQ(a.size, 4 * kG);
  EXPECT_EQ(a.node, 1u);
  EXPECT_EQ(OneAs<MemoryAdd>("memory add 0x0 size=1G").node, std::nullopt);
  MemoryOnline on =
      OneAs<MemoryOnline>("memory online 0x2000000000 size=4G zone=movable");
  EXPECT_EQ(on.addr, 0x2000000000u);
  EXPECT_EQ(on.zone, Zone::kMovable);
  EXPECT_EQ(OneAs<MemoryOnline>("memory online 0x0 size=1").zone, std::nullopt);
  EXPECT_EQ(OneAs<MemoryOffline>("memory offline 0x2000000000 size=4G"),
            (MemoryOffline{0x2000000000, 4 * kG}));
  EXPECT_EQ(OneAs<MemoryRemove>("memory remove 0x2000000000 size=4G"),
            (MemoryRemove{0x2000000000, 4 * kG}));
}

TEST(ParseTest, Chunks) {
  ChunksReserve r = OneAs<ChunksReserve>("chunks reserve window=0 size=1G");
  EXPECT_EQ(r.window, 0u);
  EXPECT_EQ(r.size, kG);
  EXPECT_EQ(OneAs<ChunksReserve>("chunks reserve window=2").size, std::nullopt);
  EXPECT_TRUE(
      OneAs<ChunksReleaseUnused>("chunks release-unused window=0 shrink")
          .shrink);
  ChunksReleaseUnused u =
      OneAs<ChunksReleaseUnused>("chunks release-unused window=4");
  EXPECT_EQ(u.window, 4u);
  EXPECT_FALSE(u.shrink);
}

TEST(ParseTest, ReparentWithQuotedNamesAndRanges) {
  Reparent r = OneAs<Reparent>(
      "reparent \"System RAM\"@0x100000000-0x17fffffff under "
      "\"CXL Window 0\"");
  EXPECT_EQ(r.root, "iomem");
  EXPECT_EQ(r.resource.name, "System RAM");
  EXPECT_EQ(r.resource.range, Range(0x100000000, 0x17fffffff));
  EXPECT_EQ(r.new_parent.name, "CXL Window 0");
  EXPECT_EQ(r.new_parent.range, std::nullopt);
  r = OneAs<Reparent>("reparent dax0.0 under region0 root=ioport");
  EXPECT_EQ(r.root, "ioport");
  EXPECT_EQ(r.resource, (ResourceRef{"dax0.0", std::nullopt}));
  EXPECT_EQ(r.new_parent, (ResourceRef{"region0", std::nullopt}));
  // Escapes inside quotes; '@' and '#' inside quotes are part of the name.
  r = OneAs<Reparent>(
      "reparent \"a\\\"b\\\\c\\x41@#\" under \"x y\"@0x0-0xf  # comment");
  EXPECT_EQ(r.resource.name, "a\"b\\cA@#");
  EXPECT_EQ(r.resource.range, std::nullopt);
  EXPECT_EQ(r.new_parent, (ResourceRef{"x y", Range(0, 0xf)}));
}

TEST(ParseTest, ExpectError) {
  absl::StatusOr<Script> s = ParseScript(
      "expect error EBUSY\nregion destroy region0\n"
      "expect error ENOSPC\nmemory remove 0x0 size=1G\n",
      "t.events");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->events.size(), 4u);
  EXPECT_EQ(std::get<ExpectError>(s->events[0].body).errno_value, 16);
  EXPECT_EQ(std::get<ExpectError>(s->events[2].body).errno_value, 28);
  for (absl::string_view name :
       {"EBUSY", "EINVAL", "ENXIO", "ERANGE", "E2BIG", "EEXIST", "ENOMEM",
        "ENODEV", "ENOENT", "ENOSPC", "EPERM", "EOPNOTSUPP"}) {
    absl::StatusOr<Script> t = ParseScript(
        absl::StrCat("expect error ", name, "\nregion destroy region0\n"), "t");
    ASSERT_TRUE(t.ok()) << name << " " << t.status();
    EXPECT_EQ(ErrnoNameOf(std::get<ExpectError>(t->events[0].body).errno_value),
              name);
  }
}

TEST(ParseTest, Asserts) {
  Assert a = OneAs<Assert>("assert parent dax0.0 region0");
  EXPECT_EQ(a.root, "iomem");
  EXPECT_EQ(
      std::get<AssertParent>(a.what),
      (AssertParent{{"dax0.0", std::nullopt}, {"region0", std::nullopt}}));
  a = OneAs<Assert>("assert range region0 0x1050000000-0x114fffffff");
  EXPECT_EQ(std::get<AssertRange>(a.what),
            (AssertRange{{"region0", std::nullopt},
                         Range(0x1050000000, 0x114fffffff)}));
  a = OneAs<Assert>("assert name 0x1050000000 \"System RAM (kmem)\"");
  EXPECT_EQ(std::get<AssertName>(a.what),
            (AssertName{0x1050000000, "System RAM (kmem)"}));
  a = OneAs<Assert>("assert count \"System RAM (kmem)\" 2 root=ioport");
  EXPECT_EQ(a.root, "ioport");
  EXPECT_EQ(std::get<AssertCount>(a.what),
            (AssertCount{"System RAM (kmem)", 2}));
  a = OneAs<Assert>("assert absent region0@0x1000-0x1fff");
  EXPECT_EQ(std::get<AssertAbsent>(a.what),
            (AssertAbsent{{"region0", Range(0x1000, 0x1fff)}}));
  // An empty name must be written "".
  a = OneAs<Assert>("assert count \"\" 0");
  EXPECT_EQ(std::get<AssertCount>(a.what), (AssertCount{"", 0}));
}

TEST(ParseTest, RawInsertAndRequest) {
  InsertOp i = OneAs<InsertOp>(
      "insert root=iomem parent=\"PCI Bus 0000:00\" 0xfe000000-0xfeffffff "
      "name=\"x y\" flags=0x200 desc=0");
  EXPECT_EQ(i.root, "iomem");
  EXPECT_EQ(i.parent, (ResourceRef{"PCI Bus 0000:00", std::nullopt}));
  EXPECT_EQ(i.range, Range(0xfe000000, 0xfeffffff));
  EXPECT_EQ(i.name, "x y");
  EXPECT_EQ(i.flags, iores::kMem);
  EXPECT_EQ(i.desc, 0u);
  RequestOp r = OneAs<RequestOp>(
      "request 0x1000-0x1fff name=A flags=MEM|BUSY desc=SOFT_RESERVED "
      "parent=B@0x0-0xffff");
  EXPECT_EQ(r.root, "iomem");
  EXPECT_EQ(r.parent, (ResourceRef{"B", Range(0, 0xffff)}));
  EXPECT_EQ(r.range, Range(0x1000, 0x1fff));
  EXPECT_EQ(r.flags, iores::kMem | iores::kBusy);
  EXPECT_EQ(r.desc, iores_desc::kSoftReserved);
  r = OneAs<RequestOp>("request 0x0-0x0 name=z");
  EXPECT_EQ(r.parent, std::nullopt);
  EXPECT_EQ(r.flags, 0u);
  EXPECT_EQ(r.desc, 0u);
}

TEST(ParseTest, RawRegionOps) {
  RequestRegionOp q = OneAs<RequestRegionOp>(
      "request-region root=iomem parent=\"CXL Window 0\" 0x1000000000 "
      "size=256M name=dax0.0 flags=0x80000000");
  EXPECT_EQ(q.parent, (ResourceRef{"CXL Window 0", std::nullopt}));
  EXPECT_EQ(q.start, 0x1000000000u);
  EXPECT_EQ(q.size, 256 * kM);
  EXPECT_EQ(q.name, "dax0.0");
  EXPECT_EQ(q.flags, iores::kBusy);
  ReleaseRegionOp rel =
      OneAs<ReleaseRegionOp>("release-region 0x1000000000 size=0");
  EXPECT_EQ(rel.root, "iomem");
  EXPECT_EQ(rel.parent, std::nullopt);
  EXPECT_EQ(rel.start, 0x1000000000u);
  EXPECT_EQ(rel.size, 0u);
  RegionIntersectsOp ri = OneAs<RegionIntersectsOp>(
      "region-intersects 0x1000 size=4K flags=MEM|SYSRAM desc=CXL "
      "expect=REGION_MIXED");
  EXPECT_EQ(ri.start, 0x1000u);
  EXPECT_EQ(ri.size, 4 * kK);
  EXPECT_EQ(ri.flags, iores::kSystemRam);
  EXPECT_EQ(ri.desc, iores_desc::kCxl);
  EXPECT_EQ(ri.expect, RegionIntersection::kMixed);
  ri = OneAs<RegionIntersectsOp>("region-intersects 0x0 size=1 flags=0");
  EXPECT_EQ(ri.desc, 0u);
  EXPECT_EQ(ri.expect, std::nullopt);
}

TEST(ParseTest, RawRemoveAdjustAllocate) {
  EXPECT_EQ(OneAs<RemoveOp>("remove \"Soft Reserved\"@0x0-0xfff"),
            (RemoveOp{"iomem", {"Soft Reserved", Range(0, 0xfff)}}));
  EXPECT_EQ(OneAs<ReleaseOp>("release root=ioport dma1"),
            (ReleaseOp{"ioport", {"dma1", std::nullopt}}));
  AdjustOp a = OneAs<AdjustOp>("adjust \"CXL Window 0\" 0x1000000000 size=2G");
  EXPECT_EQ(a.resource.name, "CXL Window 0");
  EXPECT_EQ(a.start, 0x1000000000u);
  EXPECT_EQ(a.size, 2 * kG);
  AllocateOp al = OneAs<AllocateOp>(
      "allocate parent=win size=1M name=bar flags=MEM desc=7 min=0x1000 "
      "max=0xffffffff align=1M");
  EXPECT_EQ(al.parent, (ResourceRef{"win", std::nullopt}));
  EXPECT_EQ(al.size, kM);
  EXPECT_EQ(al.name, "bar");
  EXPECT_EQ(al.flags, iores::kMem);
  EXPECT_EQ(al.desc, 7u);
  EXPECT_EQ(al.min, 0x1000u);
  EXPECT_EQ(al.max, 0xffffffffu);
  EXPECT_EQ(al.align, kM);
  al = OneAs<AllocateOp>("allocate size=4K name=x");
  EXPECT_EQ(al.min, 0u);
  EXPECT_EQ(al.max, ~uint64_t{0});
  EXPECT_EQ(al.align, 1u);
}

TEST(ParseTest, PrivateRoots) {
  absl::StatusOr<Script> s = ParseScript(
      "root add \"CXL mem\"\n"
      "root add cxl2 0x0-0xffff flags=IO\n"
      "insert root=\"CXL mem\" 0x1000000000-0x1fffffffff name=\"CXL Window "
      "0\"\n"
      "assert absent x root=cxl2\n",
      "t.events");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->events.size(), 4u);
  EXPECT_EQ(std::get<RootAdd>(s->events[0].body),
            (RootAdd{"CXL mem", Range::Full(), iores::kMem}));
  EXPECT_EQ(std::get<RootAdd>(s->events[1].body),
            (RootAdd{"cxl2", Range(0, 0xffff), iores::kIo}));
  EXPECT_EQ(std::get<InsertOp>(s->events[2].body).root, "CXL mem");
  EXPECT_EQ(std::get<Assert>(s->events[3].body).root, "cxl2");
}

// ---------------------------------------------------------------------------
// Numbers.

TEST(ParseTest, SizeAndAddressEdges) {
  EXPECT_EQ(OneAs<MemoryAdd>("memory add 0x0 size=0"), (MemoryAdd{0, 0, {}}));
  EXPECT_EQ(OneAs<MemoryAdd>("memory add 0xffffffffffffffff "
                             "size=18446744073709551615")
                .size,
            ~uint64_t{0});
  EXPECT_EQ(OneAs<MemoryAdd>("memory add 0xFFFFFFFFFFFFFFFF "
                             "size=0xffffffffffffffff")
                .addr,
            ~uint64_t{0});
  // Leading zeros, as /proc/iomem prints them.
  EXPECT_EQ(
      OneAs<MemoryAdd>("memory add 0x00000000000000000001000 size=1k").addr,
      0x1000u);
  EXPECT_EQ(OneAs<MemoryAdd>("memory add 0x0 size=16777215T").size,
            16777215 * kG * 1024);
  EXPECT_EQ(OneAs<MemoryAdd>("memory add 0x0 size=0x10M").size, 16 * kM);
  EXPECT_EQ(OneAs<SoftresAdd>("softres add 0x0-0xffffffffffffffff").range,
            Range::Full());
  EXPECT_EQ(OneAs<SoftresAdd>("softres add 0x5-0x5").range, Range(5, 5));

  EXPECT_EQ(ErrorOf("memory add 0x0 size=18446744073709551616"),
            "t.events:1:21: size '18446744073709551616' for size does not "
            "fit in 64 bits");
  EXPECT_EQ(ErrorOf("memory add 0x0 size=16777216T"),
            "t.events:1:21: size '16777216T' for size does not fit in 64 "
            "bits");
  EXPECT_EQ(ErrorOf("memory add 0x10000000000000000 size=1"),
            "t.events:1:12: address '0x10000000000000000' does not fit in 64 "
            "bits");
  EXPECT_EQ(ErrorOf("softres add 0x0-0x10000000000000000"),
            "t.events:1:17: address '0x10000000000000000' does not fit in 64 "
            "bits");
  EXPECT_EQ(ErrorOf("softres add 0x2000-0x1fff"),
            "t.events:1:13: range '0x2000-0x1fff' starts after it ends");
  EXPECT_EQ(ErrorOf("window add 4294967296 base=0x0 size=1G"),
            "t.events:1:12: the window number '4294967296' does not fit in 32 "
            "bits");
  EXPECT_EQ(ErrorOf("memory add 4096 size=1G"),
            "t.events:1:12: expected a hex address (0x...) for the address, "
            "got '4096'");
  EXPECT_EQ(ErrorOf("memory add 0x size=1G"),
            "t.events:1:12: expected a hex address (0x...) for the address, "
            "got '0x'");
  EXPECT_EQ(ErrorOf("memory add 0x0 size=4Q"),
            "t.events:1:21: expected a size for size (e.g. 4096, 0x1000, 4K, "
            "256M), got '4Q'");
  EXPECT_EQ(ErrorOf("memory add 0x0 size=-1"),
            "t.events:1:21: expected a size for size (e.g. 4096, 0x1000, 4K, "
            "256M), got '-1'");
  EXPECT_EQ(ErrorOf("kmem online dax0.0 node=-1"),
            "t.events:1:25: expected a decimal number for node, got '-1'");
  EXPECT_EQ(ErrorOf("window add 0 base=0x0 size=1G targets=1,,2"),
            "t.events:1:41: empty item in the list for targets");
  EXPECT_EQ(ErrorOf("window add 0 base=0x0 size=1G targets=1,x"),
            "t.events:1:41: expected a number (decimal or 0x-hex) for a "
            "target, got 'x'");
}

// ---------------------------------------------------------------------------
// Comments, blank lines, locations.

TEST(ParseTest, CommentsBlankLinesAndLocations) {
  absl::StatusOr<Script> s = ParseScript(
      "# a whole-line comment\n"
      "\n"
      "   \t \n"
      "  window add 0 base=0x1000000000 size=64G   # trailing comment\r\n"
      "\tregion create window=0 size=8G mode=ram#no space needed\n"
      "assert name 0x1000 \"# not a comment\"\n"
      "#\n"
      "dax create region=region0",  // no final newline
      "cxl.events");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->file_name, "cxl.events");
  ASSERT_EQ(s->events.size(), 4u);
  EXPECT_EQ(s->events[0].location, (SourceLocation{4, 3}));
  EXPECT_EQ(s->events[1].location, (SourceLocation{5, 2}));
  EXPECT_EQ(s->events[2].location, (SourceLocation{6, 1}));
  EXPECT_EQ(s->events[3].location, (SourceLocation{8, 1}));
  EXPECT_EQ(std::get<RegionCreate>(s->events[1].body).mode, RegionMode::kRam);
  EXPECT_EQ(std::get<AssertName>(std::get<Assert>(s->events[2].body).what).name,
            "# not a comment");
}

TEST(ParseTest, EmptyScripts) {
  for (absl::string_view text :
       {"", "\n", "# only\n\n  # comments\n", "\r\n"}) {
    absl::StatusOr<Script> s = ParseScript(text, "e");
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_TRUE(s->events.empty());
  }
}

// ---------------------------------------------------------------------------
// Errors: each with its exact file:line:column message.

struct ErrorCase {
  const char* text;
  const char* message;
};

TEST(ParseTest, SyntaxErrors) {
  const ErrorCase kCases[] = {
      {"frobnicate 1",
       "t.events:1:1: unknown event 'frobnicate' (expected config, root, "
       "window, softres, region, hmem, namespace, dax, extent, kmem, memory, "
       "chunks, reparent, expect, assert, insert, request, request-region, "
       "release-region, remove, release, adjust, allocate or "
       "region-intersects)"},
      {"\n  window shrink 0",
       "t.events:2:10: unknown action 'shrink' for 'window' (expected add or "
       "expand)"},
      {"region",
       "t.events:1:1: 'region' needs an action (create, assemble or destroy)"},
      {"window add 0 base=0x0", "t.events:1:1: 'window add' needs size=SIZE"},
      {"window add base=0x0 size=1G",
       "t.events:1:1: 'window add' needs a window number"},
      {"window add 0 base=0x0 size=1G size=2G",
       "t.events:1:31: duplicate key 'size' (also at column 23)"},
      {"window add 0 base=0x0 size=1G colour=blue",
       "t.events:1:31: unknown key 'colour' for 'window add' (keys: base, "
       "size, ways, gran, targets, restrict)"},
      {"window add 0 base=0x0 size=1G extra",
       "t.events:1:31: unexpected 'extra' after 'window add'"},
      {"window add 0 base=0x0 size=1G restrict=ram,cheese",
       "t.events:1:44: unknown restriction 'cheese' (expected type2, type3, "
       "ram, pmem, fixed or bi)"},
      {"softres add 0x1000 0x2000",
       "t.events:1:20: unexpected '0x2000' after 'softres add'"},
      {"softres add 0x1000",
       "t.events:1:13: expected a range START-END in hex (e.g. "
       "0x1000-0x1fff) for the range, got '0x1000'"},
      {"softres add 0x1000-2000",
       "t.events:1:20: expected a hex address (0x...) for the end of the "
       "range, got '2000'"},
      {"region create window=0 size=1G mode=volatile",
       "t.events:1:37: unknown region mode 'volatile' (expected ram, pmem "
       "or dc)"},
      {"extent add region=region0 tag=g extents=0:1G,4G",
       "t.events:1:46: extent '4G' is not OFFSET:SIZE (a region offset and a "
       "length)"},
      {"extent add region=region0 tag=g extents=0:1G,,",
       "t.events:1:46: empty item in the list for extents"},
      {"extent release region=region0",
       "t.events:1:1: 'extent release' needs tag=NAME"},
      {"region destroy r0",
       "t.events:1:16: expected a region name such as region0, got 'r0'"},
      {"region destroy regionX",
       "t.events:1:22: expected a decimal number for the region number, got "
       "'X'"},
      {"namespace create region=region0 mode=sector",
       "t.events:1:38: unknown namespace mode 'sector' (expected devdax, "
       "fsdax or raw)"},
      {"kmem online dax0",
       "t.events:1:13: expected a dax device name such as dax0.0, got "
       "'dax0'"},
      {"kmem online dax0.0 zone=dma",
       "t.events:1:25: unknown zone 'dma' (expected movable or normal)"},
      {"chunks release-unused window=0 shrunk",
       "t.events:1:32: unexpected 'shrunk' after 'chunks release-unused'"},
      {"chunks release-unused window=0 shrink shrink",
       "t.events:1:39: unexpected 'shrink' after 'chunks release-unused'"},
      {"config",
       "t.events:1:1: 'config' needs at least one key (profile, block-size, "
       "cxl-region, cxl, dax-hmem, hmem-sr-reinsert, dcd, "
       "memhp-default-state)"},
      {"config profile=debian-5",
       "t.events:1:16: unknown profile 'debian-5' (expected debian-6.1, "
       "linux-6.1, linux-6.12, linux-7.0, linux-7.1, 6.1, 6.12, 7.0, 7.1, "
       "7.x)"},
      {"config cxl-region=yes",
       "t.events:1:19: cxl-region takes y or n, not 'yes'"},
      {"config cxl=\"builtin\"",
       "t.events:1:12: cxl takes builtin or modules, not 'builtin'"},
      {"config dax-hmem=module",
       "t.events:1:17: dax-hmem takes builtin or modules, not 'module'"},
      {"config memhp-default-state=online_normal",
       "t.events:1:28: memhp-default-state takes offline, online, "
       "online_kernel or online_movable, not 'online_normal'"},
      {"hmem probe 1", "t.events:1:12: unexpected '1' after 'hmem probe'"},
      {"namespace destroy dax0.0",
       "t.events:1:19: expected a namespace name such as namespace0.0, got "
       "'dax0.0'"},
      {"namespace destroy namespace0.x",
       "t.events:1:30: expected a decimal number for the namespace number, got "
       "'x'"},
      {"namespace delete namespace0.0",
       "t.events:1:11: unknown action 'delete' for 'namespace' (expected "
       "create or destroy)"},
      {"hmem probe node=-1",
       "t.events:1:17: expected a decimal number for node, got '-1'"},
      {"hmem", "t.events:1:1: 'hmem' needs an action (probe)"},
      {"region assemble window=0",
       "t.events:1:1: 'region assemble' needs the decoders' range START-END"},
      {"region assemble 0x0-0xfff",
       "t.events:1:1: 'region assemble' needs window=N"},
      {"region assemble window=0 0x0-0xfff mode=volatile",
       "t.events:1:41: unknown region mode 'volatile' (expected ram or "
       "pmem)"},
      {"region assemble window=0 0x0-0xfff broken",
       "t.events:1:36: unexpected 'broken' after 'region assemble'"},
      {"window expand 0 to=0x0-0xfff grow",
       "t.events:1:30: unexpected 'grow' after 'window expand'"},
      {"reparent a b c", "t.events:1:12: expected 'under', got 'b'"},
      {"reparent a", "t.events:1:1: 'reparent' needs RESOURCE under RESOURCE"},
      {"reparent a under",
       "t.events:1:1: 'reparent' needs a new parent after 'under'"},
      {"reparent a@0x10-0x1 under b",
       "t.events:1:12: range '0x10-0x1' starts after it ends"},
      {"reparent @0x0-0x1 under b",
       "t.events:1:10: empty resource name for the resource"},
      {"expect error EWHATEVER\nregion destroy region0",
       "t.events:1:14: unknown errno name 'EWHATEVER' (expected one of "
       "EPERM, ENOENT, EIO, ENXIO, E2BIG, EAGAIN, ENOMEM, EFAULT, EBUSY, "
       "EEXIST, ENODEV, EINVAL, ENOSPC, ERANGE, EOPNOTSUPP, ETIMEDOUT, "
       "ENOTSUPP)"},
      {"expect error 16\nregion destroy region0",
       "t.events:1:14: unknown errno name '16' (expected one of EPERM, "
       "ENOENT, EIO, ENXIO, E2BIG, EAGAIN, ENOMEM, EFAULT, EBUSY, EEXIST, "
       "ENODEV, EINVAL, ENOSPC, ERANGE, EOPNOTSUPP, ETIMEDOUT, ENOTSUPP)"},
      {"expect warning EBUSY",
       "t.events:1:8: unknown action 'warning' for 'expect' (expected "
       "error)"},
      {"region destroy region0\n  expect error EBUSY\n# nothing after\n",
       "t.events:2:3: 'expect error' is the last event: there is no next "
       "event to fail"},
      {"expect error EBUSY\nassert absent region0",
       "t.events:2:1: 'assert' cannot fail, so the 'expect error' on line 1 "
       "has nothing to apply to"},
      {"expect error EBUSY\nexpect error EINVAL\nregion destroy region0",
       "t.events:2:1: 'expect' cannot fail, so the 'expect error' on line 1 "
       "has nothing to apply to"},
      {"assert size region0 1G",
       "t.events:1:8: unknown action 'size' for 'assert' (expected parent, "
       "range, name, count or absent)"},
      {"assert count x two",
       "t.events:1:16: expected a decimal number for the count, got 'two'"},
      {"assert name 0x1000 name=x",
       "t.events:1:20: unknown key 'name' for 'assert name' (keys: root)"},
      {"assert absent x root=nowhere",
       "t.events:1:22: unknown root 'nowhere' (iomem, ioport, a machine root "
       "such as \"CXL mem\", or a root declared earlier with 'root add')"},
      {"insert 0x0-0xfff root=\"my mem\" name=x\nroot add \"my mem\"",
       "t.events:1:23: unknown root 'my mem' (iomem, ioport, a machine root "
       "such as \"CXL mem\", or a root declared earlier with 'root add')"},
      {"root add x\nroot add x", "t.events:2:10: root 'x' already exists"},
      {"root add iomem", "t.events:1:10: root 'iomem' already exists"},
      {"insert 0x0-0xfff", "t.events:1:1: 'insert' needs name=NAME"},
      {"insert 0x0-0xfff name=",
       "t.events:1:23: empty name (write \"\" for an empty name)"},
      {"insert 0x0-0xfff name=x flags=MEM|FAST",
       "t.events:1:31: bad flags 'MEM|FAST' (a number, or names joined by | "
       "such as MEM|BUSY)"},
      {"request 0x0-0xfff name=x desc=LOUD",
       "t.events:1:31: bad desc 'LOUD' (a number, or a name such as NONE, "
       "SOFT_RESERVED, CXL)"},
      {"request 0x0-0xfff name=x desc=4294967296",
       "t.events:1:31: desc '4294967296' does not fit in 32 bits"},
      {"request-region 0x1000 name=x",
       "t.events:1:1: 'request-region' needs size=SIZE"},
      {"adjust x size=1", "t.events:1:1: 'adjust' needs RESOURCE START"},
      {"region-intersects 0x0 size=1",
       "t.events:1:1: 'region-intersects' needs flags=FLAGS"},
      {"region-intersects 0x0 size=1 flags=0 root=iomem",
       "t.events:1:38: unknown key 'root' for 'region-intersects' (keys: "
       "size, flags, desc, expect)"},
      {"region-intersects 0x0 size=1 flags=0 expect=yes",
       "t.events:1:45: unknown answer 'yes' (expected REGION_INTERSECTS, "
       "REGION_DISJOINT or REGION_MIXED)"},
      {"softres add 0x0-0x1 # ok\nsoftres add 0x0-0x1 garbage",
       "t.events:2:21: unexpected 'garbage' after 'softres add'"},
      {"\"window\" add 0 base=0x0 size=1",
       "t.events:1:1: unknown event 'window' (expected config, root, window, "
       "softres, region, hmem, namespace, dax, extent, kmem, memory, chunks, "
       "reparent, expect, assert, insert, request, request-region, "
       "release-region, "
       "remove, release, adjust, allocate or region-intersects)"},
      {"assert count \"System RAM 2",
       "t.events:1:14: unterminated quoted "
       "string (no closing \")"},
      {"assert count \"a\\",
       "t.events:1:14: unterminated quoted string (no "
       "closing \")"},
      {"assert count \"a\\n\" 1",
       "t.events:1:16: unknown escape '\\n' (use \\\\, \\\" or \\xHH)"},
      {"assert count \"a\\x4\" 1",
       "t.events:1:16: \\x needs two hex digits (\\xHH)"},
      {"assert count \"a\\x00\" 1",
       "t.events:1:16: \\x00: a name cannot hold a NUL byte"},
  };
  for (const ErrorCase& c : kCases) {
    EXPECT_EQ(ErrorOf(c.text), c.message) << c.text;
  }
}

TEST(ParseTest, FileNameInErrors) {
  absl::StatusOr<Script> s = ParseScript("\n\nbogus\n", "dir/x.events");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(s.status().message()),
              ::testing::StartsWith("dir/x.events:3:1: unknown event 'bogus'"));
  s = ParseScript("bogus", "");
  EXPECT_THAT(std::string(s.status().message()),
              ::testing::StartsWith("<script>:1:1: unknown event"));
}

TEST(ParseTest, BinaryBytesAreEscapedNeverEchoed) {
  using std::string_literals::operator""s;
  EXPECT_EQ(ErrorOf("softres add 0x0-0x1\nregion\0destroy"s),
            "t.events:2:7: NUL byte \\x00: this is not a text script");
  EXPECT_EQ(ErrorOf("region destroy\x01 region0"),
            "t.events:1:15: control character \\x01 (only spaces and tabs "
            "separate tokens)");
  EXPECT_EQ(ErrorOf("assert count \"caf\xc3\" 1"),
            "t.events:1:18: byte \\xc3 is not UTF-8 (write it as \\xHH "
            "inside quotes)");
  EXPECT_EQ(ErrorOf("\xff\xfe"),
            "t.events:1:1: byte \\xff is not UTF-8 (write it as \\xHH inside "
            "quotes)");
  EXPECT_EQ(ErrorOf("a\rb"),
            "t.events:1:2: control character \\x0d (only spaces and tabs "
            "separate tokens)");
  // Well-formed UTF-8 is fine in names and echoed as is.
  EXPECT_EQ(
      std::get<AssertCount>(OneAs<Assert>("assert count \"café\" 1").what).name,
      "café");
  EXPECT_EQ(ErrorOf("wíndow add"),
            "t.events:1:1: unknown event 'wíndow' (expected config, root, "
            "window, softres, region, hmem, namespace, dax, extent, kmem, "
            "memory, chunks, reparent, expect, assert, insert, request, "
            "request-region, "
            "release-region, remove, release, adjust, allocate or "
            "region-intersects)");
  // Bytes decoded from \xHH are escaped again when a message shows them.
  EXPECT_EQ(ErrorOf("config profile=\"\\x01\\xff\""),
            "t.events:1:16: unknown profile '\\x01\\xff' (expected "
            "debian-6.1, linux-6.1, linux-6.12, linux-7.0, linux-7.1, 6.1, "
            "6.12, 7.0, 7.1, 7.x)");
  // Names may hold any byte but NUL, through escapes.
  EXPECT_EQ(
      std::get<AssertCount>(OneAs<Assert>("assert count \"\\x01\\xff\" 1").what)
          .name,
      "\x01\xff");
}

// ---------------------------------------------------------------------------
// Limits.

TEST(ParseTest, LineLengthLimit) {
  // 4096 bytes parse (the CR of CRLF is not counted); 4097 do not.
  std::string line = "softres add 0x0-0x1 #";
  line.append(4096 - line.size(), 'x');
  ASSERT_EQ(line.size(), 4096u);
  EXPECT_TRUE(ParseScript(line + "\r\n", "t").ok());
  EXPECT_EQ(ErrorOf(absl::StrCat("\n", line, "y\n")),
            "t.events:2:4097: line is longer than 4096 bytes");
}

TEST(ParseTest, EventAndSizeLimits) {
  ParseLimits limits;
  limits.max_events = 3;
  const std::string three =
      "softres add 0x0-0x1\n# c\n\ndax create region=region0\n"
      "dax create region=region1\n";
  EXPECT_TRUE(ParseScript(three, "t", limits).ok());
  absl::StatusOr<Script> s =
      ParseScript(three + "  dax create region=region2\n", "t", limits);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "t:6:3: too many events (the limit is 3)");

  limits = ParseLimits();
  limits.max_script_bytes = 10;
  s = ParseScript("softres add 0x0-0x1\n", "t", limits);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "t:1:1: script is 20 bytes, more than the limit of 10");

  limits = ParseLimits();
  limits.max_line_bytes = 8;
  s = ParseScript("#2345678\n#23456789\n", "t", limits);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "t:2:9: line is longer than 8 bytes");

  // The documented defaults.
  EXPECT_EQ(ParseLimits().max_line_bytes, 4096u);
  EXPECT_EQ(ParseLimits().max_events, 1000000u);
  EXPECT_EQ(ParseLimits().max_script_bytes, 64u << 20);
}

TEST(ParseTest, SyntaxErrorAnywhereMeansNoScript) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "dax create region=region0\n";
  text += "dax create region=regionX\n";
  EXPECT_EQ(ErrorOf(text),
            "t.events:1001:25: expected a decimal number for the region "
            "number, got 'X'");
}

// The examples of docs/events.md parse.
TEST(ParseTest, DocExamplesParse) {
  constexpr absl::string_view kExamples[] = {
      R"ev(# An example: one CXL window, a RAM region onlined by kmem.
config    profile=debian-6.1 block-size=128M
window    add 0 base=0x1000000000 size=64G ways=2 gran=4K targets=12,13 restrict=ram
softres   add 0x1000000000-0x1fffffffff
region    create window=0 size=8G mode=ram         # region0
dax       create region=region0                    # dax0.0
kmem      online dax0.0 node=2
assert    parent dax0.0 region0
assert    count "System RAM (kmem)" 1
expect    error EBUSY                              # the next event must fail so
region    destroy region0
)ev",
      R"ev(assert parent dax0.0 region0
assert range  region0 0x1050000000-0x114fffffff
assert name   0x1050000000 "System RAM (kmem)"
assert count  "System RAM (kmem)" 2
assert absent region0
assert parent "System RAM"@0x100000000-0x17fffffff "CXL Window 0"
)ev",
      R"ev(insert root=iomem parent="PCI Bus 0000:00" 0xfe000000-0xfeffffff name="x" flags=0x200 desc=0
request-region 0x1000000000 size=256M name=dax0.0 flags=BUSY
region-intersects 0x1000000000 size=1G flags=MEM|SYSRAM desc=NONE expect=REGION_DISJOINT
root add "CXL mem"
insert root="CXL mem" 0x1000000000-0x1fffffffff name="CXL Window 0" flags=MEM
)ev",
  };
  for (absl::string_view text : kExamples) {
    absl::StatusOr<Script> s = ParseScript(text, "doc");
    EXPECT_TRUE(s.ok()) << s.status();
  }
}

// ---------------------------------------------------------------------------
// Round trip.

// Every kind, with optional keys both given and left out, and names that
// need quoting.
constexpr absl::string_view kEveryKind = R"ev(
config profile=debian-6.1 block-size=128M
config block-size=2G
config profile=linux-6.12
config profile=7.x cxl-region=n cxl=builtin dax-hmem=modules hmem-sr-reinsert=y dcd=y memhp-default-state=online_kernel
root add "CXL mem"
root add cxl2 0x0-0xffff flags=IO
window add 0 base=0x1000000000 size=64G ways=2 gran=4K targets=12,13 restrict=ram
window add 1 base=0x3000000000 size=0x10001
window expand 0 to=0x1000000000-0x2fffffffff
window expand 0 to=0x1000000000-0x2fffffffff grow-ancestors
softres add 0x1000000000-0x1fffffffff
region create window=0 size=8G mode=ram
region create window=0 size=256M mode=pmem ways=1 gran=256
region create window=0 size=64G mode=dc
region assemble window=0 0x1000000000-0x10ffffffff
region assemble window=1 0x3000000000-0x300fffffff mode=pmem failed
hmem probe
hmem probe node=3
assert count x 1 root="DAX Regions"
region destroy region0
namespace create region=region1 mode=devdax align=2M
namespace create region=region1 mode=fsdax align=1G size=128M
namespace create region=region2 mode=raw
namespace destroy namespace2.0
dax create region=region0
dax create region=region1 size=1G
dax destroy dax1.2
extent add region=region1 tag=g0 extents=0:1G,4G:256M
extent add region=region1 tag="a b" extents=0x10000:1
extent release region=region1 tag=g0
kmem online dax0.0 node=2 zone=movable
kmem online dax0.1
kmem offline dax0.0
memory add 0x2000000000 size=4G node=1
memory add 0x2000000000 size=4G
memory online 0x2000000000 size=4G zone=normal
memory online 0x2000000000 size=4G
memory offline 0x2000000000 size=4G
memory remove 0x2000000000 size=12345
chunks reserve window=0 size=1G
chunks reserve window=1
chunks release-unused window=0 shrink
chunks release-unused window=0
reparent "System RAM"@0x100000000-0x17fffffff under "CXL Window 0"
reparent dax0.0 under region0 root=cxl2
expect error EBUSY
region destroy region9
expect error ENOTSUPP
memory remove 0x0 size=0
assert parent dax0.0 region0
assert range region0 0x1050000000-0x114fffffff root="CXL mem"
assert name 0xffffffffffffffff "System RAM (kmem)"
assert count "System RAM (kmem)" 2
assert absent "a\"b\\c\x01"@0x0-0x0
insert root=iomem parent="PCI Bus 0000:00" 0xfe000000-0xfeffffff name="x" flags=0x200 desc=0
insert root="CXL mem" 0x0-0xffffffffffffffff name="" flags=MEM|BUSY|0x40 desc=CXL
request parent=a@0x0-0xf 0x0-0x7 name=b desc=99
request 0x0-0x7 name=b
request-region root=ioport parent=x 0x60 size=1 name=keyboard flags=0x80000000
request-region 0x60 size=16 name=k
release-region 0x60 size=16
release-region root=cxl2 parent="PCI Bus" 0x60 size=16
remove "Soft Reserved"
release root=ioport "Soft Reserved"@0x10-0x20
adjust region0 0x1000 size=2M
adjust root=cxl2 "x y" 0x0 size=0
allocate size=1M name=bar
allocate root=cxl2 parent=w size=1M name=bar flags=MEM desc=7 min=0x1000 max=0xffff align=4K
region-intersects 0x1000 size=4K flags=MEM|SYSRAM
region-intersects 0x1000 size=4K flags=0 desc=SOFT_RESERVED expect=REGION_DISJOINT
)ev";

TEST(ParseTest, RoundTripEveryKind) {
  absl::StatusOr<Script> s = ParseScript(kEveryKind, "all.events");
  ASSERT_TRUE(s.ok()) << s.status();
  // Every alternative of EventBody appears.
  std::vector<bool> seen(std::variant_size_v<EventBody>, false);
  for (const Event& e : s->events) seen[e.body.index()] = true;
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_TRUE(seen[i]) << "no event of variant index " << i;
  }
  // Each event alone (after the roots it needs) and then the whole script.
  const std::string roots = "root add \"CXL mem\"\nroot add cxl2\n";
  for (const Event& e : s->events) {
    const std::string line = FormatEvent(e);
    const bool is_root = std::holds_alternative<RootAdd>(e.body);
    const bool is_expect = std::holds_alternative<ExpectError>(e.body);
    std::string text =
        absl::StrCat(is_root ? "" : roots, line, "\n",
                     is_expect ? "region destroy region0\n" : "");
    absl::StatusOr<Script> again = ParseScript(text, "again");
    ASSERT_TRUE(again.ok()) << line << "\n" << again.status();
    const Event& back = again->events[is_root ? 0 : 2];
    EXPECT_EQ(back.body, e.body) << line;
    EXPECT_EQ(FormatEvent(back), line);
  }
  absl::StatusOr<Script> whole = ParseScript(FormatScript(*s), "whole.events");
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->events.size(), s->events.size());
  for (size_t i = 0; i < s->events.size(); ++i) {
    EXPECT_EQ(whole->events[i].body, s->events[i].body) << i;
  }
}

TEST(ParseTest, CanonicalSpelling) {
  // Sizes take the largest exact suffix; names are quoted only when needed;
  // defaults are left out.
  EXPECT_EQ(FormatSize(0), "0");
  EXPECT_EQ(FormatSize(1023), "1023");
  EXPECT_EQ(FormatSize(3 * kK), "3K");
  EXPECT_EQ(FormatSize(kG + kM), "1025M");
  EXPECT_EQ(FormatSize(uint64_t{1} << 63), "8388608T");
  EXPECT_EQ(FormatSize(~uint64_t{0}), "18446744073709551615");
  EXPECT_EQ(FormatEventBody(One("  window   add 0 size=1024M base=0x0 ways=1")),
            "window add 0 base=0x0 size=1G");
  EXPECT_EQ(
      FormatEventBody(One("request 0x0-0xF name=\"plain\" flags=0x80000200")),
      "request 0x0-0xf name=plain flags=MEM|BUSY");
  EXPECT_EQ(FormatEventBody(One("assert count \"tab\\x09\" 1")),
            "assert count \"tab\\x09\" 1");
  EXPECT_EQ(FormatEventBody(One("remove \"a=b\"")), "remove \"a=b\"");
  EXPECT_EQ(FormatEventBody(One("remove \"a@b\"@0x0-0x1")),
            "remove \"a@b\"@0x0-0x1");
}

// Random damage to a valid script never crashes the parser: it returns
// either a script that prints back to itself or an InvalidArgument error
// that starts with file:line:column and holds no raw control byte.
TEST(ParseTest, MutatedScriptsFailCleanlyOrRoundTrip) {
  const std::string base(kEveryKind);
  std::mt19937 rng(12345);
  const char kBytes[] = {'"', '\\', '#', '=',    '@',    '-', ' ',  '\n', '\0',
                         'x', '0',  'G', '\xff', '\xc3', ',', '\t', '\r'};
  int ok = 0, failed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !text.empty(); ++k) {
      const size_t at = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text[at] = kBytes[rng() % sizeof(kBytes)];
          break;
        case 1:
          text.erase(at, 1 + rng() % 8);
          break;
        case 2:
          text.insert(at, 1, kBytes[rng() % sizeof(kBytes)]);
          break;
        default:
          text.resize(at);
          break;
      }
    }
    absl::StatusOr<Script> s = ParseScript(text, "m");
    if (s.ok()) {
      ++ok;
      absl::StatusOr<Script> again = ParseScript(FormatScript(*s), "m");
      ASSERT_TRUE(again.ok()) << again.status() << "\n" << FormatScript(*s);
      ASSERT_EQ(again->events.size(), s->events.size());
      for (size_t i = 0; i < s->events.size(); ++i) {
        ASSERT_EQ(again->events[i].body, s->events[i].body)
            << FormatEvent(s->events[i]);
      }
      continue;
    }
    ++failed;
    ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string msg(s.status().message());
    ASSERT_THAT(msg, ::testing::MatchesRegex("m:[0-9]+:[0-9]+: .*")) << msg;
    for (char c : msg) {
      ASSERT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << msg;
    }
    ASSERT_EQ(internal::EscapeForMessage(msg, msg.size()),
              absl::StrReplaceAll(msg, {{"\\", "\\\\"}}))
        << "message holds bytes that are not UTF-8: " << msg;
  }
  // Both outcomes happen (the test exercises both paths).
  EXPECT_GT(ok, 50);
  EXPECT_GT(failed, 1000);
}

}  // namespace
}  // namespace hotplug
}  // namespace restree
