// Table-driven tests of the kernel semantics restree models: each scenario is
// a trace (docs/kernel-in-the-loop.md format) with the result every line must
// give and the /proc/iomem text at the end. Every scenario runs on both
// ResourceTree and KernelModel. The expectations were worked out by hand from
// ../shared/reference/linux-resource-semantics.md §2 and the kernel source;
// the comment on each line says why.
//
// Result notation: "<outcome> [ERRNO] [with=K] [node=K]" where K is a
// pre-order index after the operation (-1 = the root); for region_intersects
// the REGION_* name; for walks "walk" followed by "[first-last @node]" per
// callback.

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"
#include "tests/resource_kunit_vectors.h"
#include "tests/tree_ops.h"

namespace restree {
namespace {

struct Step {
  const char* op;
  const char* want;
};

struct Scenario {
  const char* name;
  KernelProfile profile;
  ResourceSpec root;
  std::vector<Step> steps;
  const char* proc;  // /proc/iomem at the end (profile depth cap)
};

void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

const ResourceSpec kIomem = {Range::Full(), "PCI mem", iores::kMem, 0};
const ResourceSpec kIoport = {Range(0, 0xffff), "PCI IO", iores::kIo, 0};

std::string Summary(const ops::Op& op, const ops::OpResult& r) {
  if (std::holds_alternative<ops::RegionIntersects>(op)) {
    return std::string(RegionIntersectionName(r.intersects));
  }
  if (std::holds_alternative<ops::WalkIomemResDesc>(op) &&
      r.outcome == KernelOutcome::kOk) {
    std::string s = "walk";
    for (const ops::WalkRecord& w : r.walk) {
      absl::StrAppendFormat(&s, " [%#x-%#x @%d]", w.range.first(),
                            w.range.last(), w.node);
    }
    return s;
  }
  std::string s(KernelOutcomeName(r.outcome));
  if (r.err != 0) absl::StrAppend(&s, " ", ErrnoName(r.err));
  if (r.conflict != ops::kNoNode) absl::StrAppend(&s, " with=", r.conflict);
  if (r.node != ops::kNoNode) absl::StrAppend(&s, " node=", r.node);
  return s;
}

std::vector<Scenario> Scenarios() {
  const KernelProfile d61 = KernelProfile::Debian61();
  // PHYSMEM_END is a runtime value; at 2^64-1 get_free_mem_region() may
  // reach the last byte of the address space.
  KernelProfile d61_full = d61;
  d61_full.physmem_end = ~uint64_t{0};
  return {
      {"RequestLooksAtOneLevelAndNamesLowestConflict",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000 end=0x1fff flags=MEM desc=0 name="A")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x3000 end=0x3fff flags=MEM desc=0 name="B")op",
            "ok node=1"},
           // Overlaps A and B: the lowest overlapping child is named.
           {R"op(request_resource parent=iomem start=0x1800 end=0x37ff flags=MEM desc=0 name="C")op",
            "conflict EBUSY with=0"},
           {R"op(request_resource parent=iomem start=0x2000 end=0x2fff flags=MEM desc=0 name="D")op",
            "ok node=1"},
           // A range identical to its parent's is a valid child.
           {R"op(request_resource parent=iomem:0 start=0x1000 end=0x1fff flags=MEM desc=0 name="E")op",
            "ok node=1"},
           // Not inside the parent: the parent itself is the conflict.
           {R"op(request_resource parent=iomem:0 start=0x800 end=0x10ff flags=MEM desc=0 name="F")op",
            "conflict EBUSY with=0"},
           // Inverted range: the root is the conflict.
           {R"op(request_resource parent=iomem start=0x5000 end=0x4fff flags=MEM desc=0 name="G")op",
            "conflict EBUSY with=-1"},
           // No descent: D is free space below iomem but not below B's level.
           {R"op(request_resource parent=iomem start=0x3800 end=0x38ff flags=MEM desc=0 name="H")op",
            "conflict EBUSY with=3"},
       },
       "00001000-00001fff : A\n"
       "  00001000-00001fff : E\n"
       "00002000-00002fff : D\n"
       "00003000-00003fff : B\n"},

      {"InsertDescendsAdoptsAndGoesAboveIdenticalRange",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000 end=0x1fff flags=MEM desc=0 name="RAM1")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x2000 end=0x2fff flags=MEM desc=0 name="RAM2")op",
            "ok node=1"},
           {R"op(request_resource parent=iomem start=0x10000 end=0x1ffff flags=MEM desc=0 name="Win")op",
            "ok node=2"},
           // Covers RAM1 and RAM2 entirely: adopts both, in order.
           {R"op(insert_resource parent=iomem start=0x0 end=0x2fff flags=MEM desc=0 name="Bus")op",
            "ok node=0"},
           // Win strictly contains it: descends one level and lands below Win.
           {R"op(insert_resource parent=iomem start=0x10000 end=0x17fff flags=MEM desc=0 name="Half")op",
            "ok node=4"},
           // Identical to Win: goes above it, taking Win (and Half) along.
           {R"op(insert_resource parent=iomem start=0x10000 end=0x1ffff flags=MEM desc=0 name="Twin")op",
            "ok node=3"},
           // Descends into Bus, then partially overlaps RAM1: RAM1 is named.
           {R"op(insert_resource parent=iomem start=0x1800 end=0x27ff flags=MEM desc=0 name="Straddle")op",
            "conflict EBUSY with=1"},
           // Does not fit the parent named: the parent is the conflict.
           {R"op(insert_resource parent=iomem:1 start=0x0 end=0x1fff flags=MEM desc=0 name="Big")op",
            "conflict EBUSY with=1"},
       },
       "00000000-00002fff : Bus\n"
       "  00001000-00001fff : RAM1\n"
       "  00002000-00002fff : RAM2\n"
       "00010000-0001ffff : Twin\n"
       "  00010000-0001ffff : Win\n"
       "    00010000-00017fff : Half\n"},

      {"ExpandToFitSwallowsSystemRam",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x100000 end=0x17ffff flags=0x81000200 desc=0 name="System RAM")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x180000 end=0x1bffff flags=0x80000200 desc=7 name="Reserved")op",
            "ok node=1"},
           // Starts inside System RAM: grows to its start, then adopts both.
           {R"op(insert_resource_expand_to_fit parent=iomem start=0x140000 end=0x1fffff flags=MEM desc=9 name="CXL Window 0")op",
            "ok node=0"},
       },
       "00100000-001fffff : CXL Window 0\n"
       "  00100000-0017ffff : System RAM\n"
       "  00180000-001bffff : Reserved\n"},

      {"ExpandToFitAtTheRootEdgeIsNotInserted",
       d61,
       kIoport,
       {
           {R"op(request_resource parent=ioport start=0xff80 end=0xffff flags=IO desc=0 name="top")op",
            "ok node=0"},
           // Reaches past 0xffff: the kernel returns without inserting.
           {R"op(insert_resource_expand_to_fit parent=ioport start=0xff00 end=0x100ff flags=IO desc=0 name="big")op",
            "not-inserted with=-1"},
           // Grows over "top" and then fits.
           {R"op(insert_resource_expand_to_fit parent=ioport start=0xff00 end=0xffbf flags=IO desc=0 name="fits")op",
            "ok node=0"},
       },
       "ff00-ffff : fits\n"
       "  ff80-ffff : top\n"},

      {"RemoveHoistsChildrenReleaseTakesSubtree",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000 end=0x1fff flags=MEM desc=0 name="RAM1")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x2000 end=0x2fff flags=MEM desc=0 name="RAM2")op",
            "ok node=1"},
           {R"op(insert_resource parent=iomem start=0x0 end=0x2fff flags=MEM desc=0 name="Bus")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x8000 end=0x8fff flags=MEM desc=0 name="Dev")op",
            "ok node=3"},
           {R"op(request_resource parent=iomem:3 start=0x8000 end=0x80ff flags=MEM desc=0 name="Reg")op",
            "ok node=4"},
           // Bus goes; RAM1 and RAM2 take its place, in order.
           {R"op(remove_resource target=iomem:0)op", "ok"},
           // Dev goes with Reg.
           {R"op(release_resource target=iomem:2)op", "ok"},
           // The root has no parent: the kernel would dereference NULL.
           {R"op(remove_resource target=iomem)op", "contract-violation EINVAL"},
       },
       "00001000-00001fff : RAM1\n"
       "00002000-00002fff : RAM2\n"},

      {"AdjustMustFitParentSiblingsAndChildren",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000 end=0x1fff flags=MEM desc=0 name="A")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x3000 end=0x3fff flags=MEM desc=0 name="B")op",
            "ok node=1"},
           {R"op(request_resource parent=iomem:0 start=0x1400 end=0x14ff flags=MEM desc=0 name="C")op",
            "ok node=1"},
           // Grows up to, not into, B.
           {R"op(adjust_resource target=iomem:0 start=0x1000 size=0x2000)op",
            "ok"},
           {R"op(adjust_resource target=iomem:0 start=0x1000 size=0x2001)op",
            "error EBUSY"},
           // Would uncover its child C.
           {R"op(adjust_resource target=iomem:0 start=0x1500 size=0x100)op",
            "error EBUSY"},
           // B cannot start inside A.
           {R"op(adjust_resource target=iomem:2 start=0x2f00 size=0x1100)op",
            "error EBUSY"},
           // C cannot leave A.
           {R"op(adjust_resource target=iomem:1 start=0x800 size=0x100)op",
            "error EBUSY"},
           // size 0: end < start, which the kernel would store (P1).
           {R"op(adjust_resource target=iomem:1 start=0x1000 size=0x0)op",
            "contract-violation EINVAL"},
           {R"op(adjust_resource target=iomem:1 start=0x1000 size=0x100)op",
            "ok"},
       },
       "00001000-00002fff : A\n"
       "  00001000-000010ff : C\n"
       "00003000-00003fff : B\n"},

      {"AllocateFirstFitWithConstraints",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x0 end=0xfff flags=MEM desc=0 name="low")op",
            "ok node=0"},
           // ALIGN(x, 0) == 0: only a gap starting at 0 could work (P3).
           {R"op(allocate_resource parent=iomem size=0x1000 min=0x0 max=0xffffffffffffffff align=0x0 alignf=none flags=MEM desc=0 name="a0")op",
            "error EBUSY"},
           {R"op(allocate_resource parent=iomem size=0x1000 min=0x0 max=0xffffffffffffffff align=0x1 alignf=none flags=MEM desc=0 name="a1")op",
            "ok node=1"},
           // First gap [0x2000,...) aligned up to 0x4000.
           {R"op(allocate_resource parent=iomem size=0x1000 min=0x0 max=0xffffffffffffffff align=0x4000 alignf=none flags=MEM desc=0 name="a2")op",
            "ok node=2"},
           // Only [0x5000, 0x5fff] is allowed and free.
           {R"op(allocate_resource parent=iomem size=0x1000 min=0x5000 max=0x5fff align=0x1000 alignf=none flags=MEM desc=0 name="a3")op",
            "ok node=3"},
           {R"op(allocate_resource parent=iomem size=0x1000 min=0x5000 max=0x5fff align=0x1000 alignf=none flags=MEM desc=0 name="a4")op",
            "error EBUSY"},
           // The callback rounds the gap start 0x2000 up to 16 KiB: 0x4000 is
           // taken, so the next gap [0x6000,...) gives 0x8000.
           {R"op(allocate_resource parent=iomem size=0x1000 min=0x0 max=0xffffffffffffffff align=0x1 alignf=up16k flags=MEM desc=0 name="a5")op",
            "ok node=4"},
       },
       "00000000-00000fff : low\n"
       "00001000-00001fff : a1\n"
       "00004000-00004fff : a2\n"
       "00005000-00005fff : a3\n"
       "00008000-00008fff : a5\n"},

      {"ReallocateGrowsShrinksOrMoves",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000 end=0x1fff flags=MEM desc=0 name="A")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x4000 end=0x4fff flags=MEM desc=0 name="B")op",
            "ok node=1"},
           // The search treats A's own range as free: first fit at 0x0 holds
           // A, so A grows in place to [0x0, 0x2fff].
           {R"op(reallocate_resource target=iomem:0 size=0x3000 min=0x0 max=0xffffffffffffffff align=0x1 alignf=none)op",
            "ok"},
           // Shrinks in place: the first fit [0x0, 0xfff] lies inside A.
           {R"op(reallocate_resource target=iomem:0 size=0x1000 min=0x0 max=0xffffffffffffffff align=0x1 alignf=none)op",
            "ok"},
           {R"op(request_resource parent=iomem:0 start=0x0 end=0xff flags=MEM desc=0 name="child")op",
            "ok node=1"},
           // A has a child and the new place [0x5000,...) does not contain it.
           {R"op(reallocate_resource target=iomem:0 size=0x1000 min=0x5000 max=0xffffffffffffffff align=0x1 alignf=none)op",
            "error EBUSY"},
           // B has none: it moves.
           {R"op(reallocate_resource target=iomem:2 size=0x1000 min=0x8000 max=0xffffffffffffffff align=0x1 alignf=none)op",
            "ok"},
       },
       "00000000-00000fff : A\n"
       "  00000000-000000ff : child\n"
       "00008000-00008fff : B\n"},

      {"RequestRegionNestsUnderNonBusyOnly",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x10000 end=0x1ffff flags=MEM desc=9 name="Win")op",
            "ok node=0"},
           // Descends into the non-busy window; inherits MEM and desc 9.
           {R"op(request_region parent=iomem start=0x10000 size=0x1000 flags=0 name="r1")op",
            "ok node=1"},
           // r1 is busy: no nesting below it.
           {R"op(request_region parent=iomem start=0x10800 size=0x100 flags=0 name="r2")op",
            "conflict EBUSY with=1"},
           // Descends into Win, where it does not fit: Win is the conflict.
           {R"op(request_region parent=iomem start=0x10000 size=0x20000 flags=0 name="big")op",
            "conflict EBUSY with=0"},
           {R"op(request_region parent=iomem start=0x11000 size=0x100 flags=MUXED name="m1")op",
            "ok node=2"},
           {R"op(request_region parent=iomem start=0x11000 size=0x100 flags=MUXED name="m2")op",
            "would-sleep EBUSY with=2"},
           {R"op(release_region parent=iomem start=0x10000 size=0x1000)op",
            "ok"},
           {R"op(release_region parent=iomem start=0x10000 size=0x1000)op",
            "not-found"},
           // Win is not busy, so release_region looks inside it, finds no
           // busy node of that range, and warns.
           {R"op(release_region parent=iomem start=0x10000 size=0x10000)op",
            "not-found"},
       },
       "00010000-0001ffff : Win\n"
       "  00011000-000110ff : m1\n"},

      {"HotRemoveTrimsAndSplitsBusyRam",
       d61,
       kIomem,
       {
           {R"op(request_region parent=iomem start=0x100000000 size=0x30000000 flags=SYSRAM name="System RAM")op",
            "ok node=0"},
           // Interior: split into [0x100000000, 0x10fffffff] and a new
           // [0x120000000, 0x12fffffff].
           {R"op(release_mem_region_adjustable start=0x110000000 size=0x10000000)op",
            "ok node=1"},
           {R"op(release_mem_region_adjustable start=0x100000000 size=0x8000000)op",
            "ok"},
           {R"op(release_mem_region_adjustable start=0x128000000 size=0x8000000)op",
            "ok"},
           // Exact: the node goes.
           {R"op(release_mem_region_adjustable start=0x120000000 size=0x8000000)op",
            "ok"},
           {R"op(release_mem_region_adjustable start=0x200000000 size=0x1000)op",
            "not-found"},
           {R"op(release_mem_region_adjustable start=0x200000000 size=0x0)op",
            "contract-violation EINVAL"},
       },
       "108000000-10fffffff : System RAM\n"},

      {"HotRemoveSplitWithChildAboveWarnsIn61",
       d61,
       kIomem,
       {
           {R"op(request_region parent=iomem start=0x100000000 size=0x30000000 flags=SYSRAM name="System RAM")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem:0 start=0x128000000 end=0x128000fff flags=MEM desc=0 name="child")op",
            "ok node=1"},
           // 6.1 keeps all children in the lower part, so this WARNs.
           {R"op(release_mem_region_adjustable start=0x110000000 size=0x10000000)op",
            "warned"},
       },
       "100000000-12fffffff : System RAM\n"
       "  128000000-128000fff : child\n"},

      {"HotRemoveSplitReparentsChildrenIn70",
       KernelProfile::Linux70(),
       kIomem,
       {
           {R"op(request_region parent=iomem start=0x100000000 size=0x30000000 flags=SYSRAM name="System RAM")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem:0 start=0x128000000 end=0x128000fff flags=MEM desc=0 name="child")op",
            "ok node=1"},
           {R"op(release_mem_region_adjustable start=0x110000000 size=0x10000000)op",
            "ok node=1"},
       },
       "100000000-10fffffff : System RAM\n"
       "120000000-12fffffff : System RAM\n"
       "  128000000-128000fff : child\n"},

      {"MergeNeedsEqualFlagsOnBothSides",
       d61,
       kIomem,
       {
           {R"op(request_region parent=iomem start=0x100000000 size=0x1000 flags=SYSRAM name="System RAM")op",
            "ok node=0"},
           {R"op(request_region parent=iomem start=0x100001000 size=0x1000 flags=SYSRAM name="System RAM")op",
            "ok node=1"},
           // Marks the upper one MERGEABLE; the lower one is not yet, so the
           // flags differ and nothing merges (P5).
           {R"op(merge_system_ram_resource target=iomem:1)op", "ok node=1"},
           {R"op(merge_system_ram_resource target=iomem:0)op", "ok node=0"},
           {R"op(request_resource parent=iomem start=0x200000000 end=0x200000fff flags=MEM desc=0 name="plain")op",
            "ok node=1"},
           {R"op(merge_system_ram_resource target=iomem:1)op", "warned"},
       },
       "100000000-100001fff : System RAM\n"
       "200000000-200000fff : plain\n"},

      // Neighbours with equal flags and names but different desc stay apart
      // (found by tools/mutants.py: kernel_ops.cc:595 survived with the
      // desc comparison dropped).
      {"MergeNeedsEqualDesc",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x100000000 end=0x100000fff flags=0x81000200 desc=0 name="System RAM")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x100001000 end=0x100001fff flags=0x81000200 desc=7 name="System RAM")op",
            "ok node=1"},
           {R"op(merge_system_ram_resource target=iomem:1)op", "ok node=1"},
           {R"op(merge_system_ram_resource target=iomem:0)op", "ok node=0"},
       },
       "100000000-100000fff : System RAM\n"
       "100001000-100001fff : System RAM\n"},

      // Descending candidates at a child's edges (found by tools/mutants.py:
      // kernel_ops.cc:641 survived with `>` made `>=` and `last` made
      // `last + 1`). "edge" is one byte at the first candidate's last byte:
      // that candidate overlaps it. For "b", "a" starts one byte after the
      // candidate's last byte: it does not overlap.
      {"FreeRegionDescendingAtAChildsEdges",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000000000 end=0x1fffffffff flags=MEM desc=9 name="CXL Window 0")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem:0 start=0x1fffffffff end=0x1fffffffff flags=0x80000200 desc=0 name="edge")op",
            "ok node=1"},
           {R"op(request_free_mem_region parent=iomem:0 size=0x1000 name="a")op",
            "ok node=1"},
           {R"op(request_free_mem_region parent=iomem:0 size=0x1000 name="b")op",
            "ok node=1"},
       },
       "1000000000-1fffffffff : CXL Window 0\n"
       "  1fe8000000-1fefffffff : b\n"
       "  1ff0000000-1ff7ffffff : a\n"
       "  1fffffffff-1fffffffff : edge\n"},

      // Ascending, the jump past a taken candidate can land exactly on
      // 2^64-1: that candidate is still tried (and here is free).
      {"FreeRegionAscendingJumpsToTheLastByte",
       d61_full,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000 end=0xffffffffffffffff flags=MEM desc=0 name="W")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem:0 start=0x1000 end=0xfffffffffffffffe flags=MEM desc=0 name="low")op",
            "ok node=1"},
           {R"op(alloc_free_mem_region parent=iomem:0 size=0x1 align=0x1 name="top")op",
            "ok node=2"},
       },
       "00001000-ffffffffffffffff : W\n"
       "  00001000-fffffffffffffffe : low\n"
       "  ffffffffffffffff-ffffffffffffffff : top\n"},

      {"FreeRegionStepsBySizeIn61",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000000000 end=0x1fffffffff flags=MEM desc=9 name="CXL Window 0")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem:0 start=0x1000000000 end=0x10ffffffff flags=0x81000200 desc=0 name="System RAM")op",
            "ok node=1"},
           // 8G at 256M alignment: 0x1000000000 is taken; the next candidate
           // is one *size* (8G) up.
           {R"op(alloc_free_mem_region parent=iomem:0 size=0x200000000 align=0x10000000 name="region0")op",
            "ok node=2"},
           // From base 0, 6.1 never starts: addr 0 fails addr > addr - size.
           {R"op(alloc_free_mem_region parent=iomem size=0x1000 align=0x1000 name="x")op",
            "error ERANGE"},
           // Descending from PHYSMEM_END (2^46-1) in 128M steps.
           {R"op(request_free_mem_region parent=iomem size=0x1000 name="hmm-dev")op",
            "ok node=3"},
       },
       "1000000000-1fffffffff : CXL Window 0\n"
       "  1000000000-10ffffffff : System RAM\n"
       "  1200000000-13ffffffff : region0\n"
       "3ffff8000000-3fffffffffff : hmm-dev\n"},

      {"FreeRegionStepsByAlignIn612",
       KernelProfile::Linux612(),
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000000000 end=0x1fffffffff flags=MEM desc=9 name="CXL Window 0")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem:0 start=0x1000000000 end=0x10ffffffff flags=0x81000200 desc=0 name="System RAM")op",
            "ok node=1"},
           // Steps of 256M: the first free candidate follows System RAM.
           {R"op(alloc_free_mem_region parent=iomem:0 size=0x200000000 align=0x10000000 name="region0")op",
            "ok node=2"},
           // 6.12 starts at ALIGN(max(0, align)): address 0x1000 is offered.
           {R"op(alloc_free_mem_region parent=iomem size=0x1000 align=0x1000 name="x")op",
            "ok node=0"},
       },
       "00001000-00001fff : x\n"
       "1000000000-1fffffffff : CXL Window 0\n"
       "  1000000000-10ffffffff : System RAM\n"
       "  1100000000-12ffffffff : region0\n"},

      {"FreeRegionReachesTheWrappingCandidateBeforeRunningOut",
       KernelProfile::Linux612(),
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1100 end=0xffffffffffffffff flags=MEM desc=0 name="CXL Window 0")op",
            "ok node=0"},
           // Size 2^64-1 in steps of 1 from address 1: the candidate at 1
           // ends at 2^64-1 and overlaps the window; the one at 2 wraps past
           // 2^64-1, which the kernel does not guard against. Skipping
           // straight past the window would run off the top and answer
           // ERANGE instead.
           {R"op(alloc_free_mem_region parent=iomem size=0xffffffffffffffff align=0x1 name="x")op",
            "contract-violation EINVAL"},
       },
       "00001100-ffffffffffffffff : CXL Window 0\n"},

      {"RegionIntersectsSeesKmemUnderCxlWindow",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x100000000 end=0x48fffffff flags=0x81000200 desc=0 name="System RAM")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem start=0x490000000 end=0x50fffffff flags=MEM desc=9 name="CXL Window 0")op",
            "ok node=1"},
           {R"op(insert_resource parent=iomem:1 start=0x490000000 end=0x50fffffff flags=MEM desc=0 name="region0")op",
            "ok node=2"},
           {R"op(request_region parent=iomem start=0x490000000 size=0x80000000 flags=0 name="dax0.0")op",
            "ok node=3"},
           {R"op(set_flags target=iomem:3 flags=0x1000200)op", "ok"},
           // kmem, block-aligned and shorter than the dax device.
           {R"op(request_region parent=iomem start=0x490000000 size=0x70000000 flags=0x3000000 name="System RAM (kmem)")op",
            "ok node=4"},
           // dax0.0 (SYSTEM_RAM) below the window covers the query.
           {R"op(region_intersects start=0x490000000 size=0x1000 flags=0x1000200 desc=0)op",
            "REGION_INTERSECTS"},
           // Busy RAM: only kmem matches; it ends at 0x4ffffffff, so the
           // rest of the window is "other".
           {R"op(region_intersects start=0x4fffff000 size=0x2000 flags=0x81000200 desc=0)op",
            "REGION_MIXED"},
           // Across the top-level System RAM and into kmem.
           {R"op(region_intersects start=0x48ffff000 size=0x2000 flags=0x81000200 desc=0)op",
            "REGION_INTERSECTS"},
           {R"op(region_intersects start=0x600000000 size=0x1000 flags=0x1000200 desc=0)op",
            "REGION_DISJOINT"},
           // Walks report a match once; its descendants are not visited.
           {R"op(walk_iomem_res_desc start=0x0 end=0xffffffffff flags=0x81000200 desc=0)op",
            "walk [0x100000000-0x48fffffff @0] [0x490000000-0x4ffffffff @4]"},
           {R"op(walk_iomem_res_desc start=0x0 end=0xffffffffff flags=MEM desc=9)op",
            "walk [0x490000000-0x50fffffff @1]"},
           // A walk of start >= end makes no callback.
           {R"op(walk_iomem_res_desc start=0x100000000 end=0x100000000 flags=MEM desc=0)op",
            "walk"},
       },
       "100000000-48fffffff : System RAM\n"
       "490000000-50fffffff : CXL Window 0\n"
       "  490000000-50fffffff : region0\n"
       "    490000000-50fffffff : dax0.0\n"
       "      490000000-4ffffffff : System RAM (kmem)\n"},

      // A matching descendant that starts one byte after the query does not
      // cover it: the byte before it is "other".
      {"RegionIntersectsOneByteGapBeforeAMatchingDescendant",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x10000 end=0x1ffff flags=MEM desc=9 name="CXL Window 0")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem:0 start=0x10001 end=0x1ffff flags=0x81000200 desc=0 name="System RAM")op",
            "ok node=1"},
           {R"op(region_intersects start=0x10000 size=0x1000 flags=0x81000200 desc=0)op",
            "REGION_MIXED"},
           {R"op(region_intersects start=0x10001 size=0x1000 flags=0x81000200 desc=0)op",
            "REGION_INTERSECTS"},
       },
       "00010000-0001ffff : CXL Window 0\n"
       "  00010001-0001ffff : System RAM\n"},

      {"RegionIntersectsIgnoresDescendantsInVanilla61",
       KernelProfile::Vanilla61(),
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x490000000 end=0x50fffffff flags=MEM desc=9 name="CXL Window 0")op",
            "ok node=0"},
           {R"op(request_region parent=iomem start=0x490000000 size=0x80000000 flags=SYSRAM name="System RAM (kmem)")op",
            "ok node=1"},
           // The bug b4afe4183ec7 fixed: the window does not match, so the
           // kmem RAM below it is not seen.
           {R"op(region_intersects start=0x490000000 size=0x1000 flags=0x1000200 desc=0)op",
            "REGION_DISJOINT"},
       },
       "490000000-50fffffff : CXL Window 0\n"
       "  490000000-50fffffff : System RAM (kmem)\n"},

      {"RangesEndingAtTheTopOfTheAddressSpace",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0xfffffffffffff000 end=0xffffffffffffffff flags=0x80000200 desc=0 name="top")op",
            "ok node=0"},
           {R"op(insert_resource parent=iomem start=0xffffffffff000000 end=0xffffffffffffffff flags=MEM desc=0 name="above")op",
            "ok node=0"},
           {R"op(adjust_resource target=iomem:1 start=0xffffffffffffe000 size=0x2000)op",
            "ok"},
           // Wraps: end < start.
           {R"op(adjust_resource target=iomem:1 start=0xffffffffffffe000 size=0x3000)op",
            "contract-violation EINVAL"},
           // The match ends at 2^64-1: the kernel's next start wraps to 0.
           {R"op(walk_iomem_res_desc start=0x0 end=0xffffffffffffffff flags=0x80000200 desc=0)op",
            "contract-violation EINVAL"},
           {R"op(walk_iomem_res_desc start=0x0 end=0xfffffffffffffffe flags=0x80000200 desc=0)op",
            "walk [0xffffffffffffe000-0xfffffffffffffffe @1]"},
           {R"op(release_mem_region_adjustable start=0xffffffffffffe000 size=0x2000)op",
            "ok"},
           {R"op(request_region parent=iomem start=0xffffffffffffff00 size=0x100 flags=0 name="last")op",
            "ok node=1"},
       },
       "ffffffffff000000-ffffffffffffffff : above\n"
       "  ffffffffffffff00-ffffffffffffffff : last\n"},

      {"LookupResourceScansDirectChildrenOnly",
       d61,
       kIomem,
       {
           {R"op(request_resource parent=iomem start=0x1000 end=0x1fff flags=MEM desc=0 name="A")op",
            "ok node=0"},
           {R"op(request_resource parent=iomem:0 start=0x1800 end=0x18ff flags=MEM desc=0 name="B")op",
            "ok node=1"},
           {R"op(lookup_resource parent=iomem start=0x1000)op", "ok node=0"},
           {R"op(lookup_resource parent=iomem start=0x1800)op", "ok"},
           {R"op(lookup_resource parent=iomem:0 start=0x1800)op", "ok node=1"},
       },
       "00001000-00001fff : A\n"
       "  00001800-000018ff : B\n"},
  };
}

class KernelSemanticsTest : public ::testing::TestWithParam<Scenario> {};

// The kernel's view of each implementation (grow as adjust_resource).
std::optional<ops::OpResult> RunOp(ResourceTree& t, const ops::Op& op) {
  return ops::ApplyAsKernel(t, op);
}
std::optional<ops::OpResult> RunOp(model::KernelModel& m, const ops::Op& op) {
  return ops::Apply(m, op);
}

template <typename Impl>
void RunScenario(const Scenario& sc, Impl& impl,
                 const std::function<std::string()>& proc,
                 const std::function<size_t()>& count, const char* which) {
  for (size_t i = 0; i < sc.steps.size(); ++i) {
    absl::StatusOr<ops::Op> op = ops::ParseOp(sc.steps[i].op);
    ASSERT_TRUE(op.ok()) << op.status() << " in " << sc.steps[i].op;
    for (int ref : ops::Refs(*op)) {
      ASSERT_LT(ref, static_cast<int>(count()))
          << "reference out of range: " << sc.steps[i].op;
    }
    const std::optional<ops::OpResult> r = RunOp(impl, *op);
    ASSERT_TRUE(r.has_value()) << "not a kernel operation: " << sc.steps[i].op;
    EXPECT_EQ(Summary(*op, *r), sc.steps[i].want)
        << which << ", step " << i << ": " << sc.steps[i].op;
  }
  EXPECT_EQ(proc(), sc.proc) << which;
}

TEST_P(KernelSemanticsTest, ResourceTree) {
  const Scenario& sc = GetParam();
  ResourceTree tree(sc.root, sc.profile);
  RunScenario(
      sc, tree, [&] { return RenderProcIomem(tree); },
      [&] { return tree.size() - 1; }, "ResourceTree");
  EXPECT_TRUE(tree.CheckInvariants().empty());
}

TEST_P(KernelSemanticsTest, KernelModel) {
  const Scenario& sc = GetParam();
  model::KernelModel m(sc.root, sc.profile);
  RunScenario(
      sc, m, [&] { return m.RenderProc(sc.profile.proc_max_depth, false); },
      [&] { return m.Preorder().size(); }, "KernelModel");
  EXPECT_TRUE(m.CheckInvariants().empty());
}

// __request_region() takes `int flags` and computes IORESOURCE_BUSY | flags
// with IORESOURCE_BUSY an unsigned int: bits above 31 are dropped and bit 31
// is not sign-extended. restree once sign-extended; //fuzz:kernel_loop_fuzzer
// found it against the real kernel with this value.
constexpr uint64_t kCallerFlags = 0xfffffffe9c1f24e8;
constexpr uint64_t kStoredFlags = 0x9c1f24e8 | iores::kBusy | iores::kMem;

TEST(RequestRegionFlags, ResourceTreeKeepsThe32BitsOfAnInt) {
  ResourceTree tree(kIomem, KernelProfile::Debian61());
  absl::StatusOr<ResourceId> id =
      tree.RequestRegion(tree.root(), 0x1000, 0x100, "r", kCallerFlags);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(tree.FlagsOf(*id), kStoredFlags);
  EXPECT_TRUE(tree.CheckInvariants().empty());
}

TEST(RequestRegionFlags, KernelModelKeepsThe32BitsOfAnInt) {
  model::KernelModel m(kIomem, KernelProfile::Debian61());
  const model::Result r =
      m.RequestRegion(m.root(), 0x1000, 0x100, "r", kCallerFlags);
  ASSERT_NE(r.node, nullptr);
  EXPECT_EQ(r.node->flags, kStoredFlags);
}

// __release_region's warning for a range it cannot find names that range,
// inclusive, as the kernel's "Trying to free nonexistent resource
// <start-end>" does. (A mutant printing end + 1 survived every other test.)
TEST(ReleaseRegionWarning, NamesTheInclusiveRange) {
  ResourceTree tree(kIomem, KernelProfile::Debian61());
  const absl::Status s = tree.ReleaseRegion(tree.root(), 0x10000, 0x1000);
  EXPECT_FALSE(s.ok());
  const std::string message(s.message());
  EXPECT_NE(message.find("Trying to free nonexistent resource "
                         "<0x0000000000010000-0x0000000000010fff>"),
            std::string::npos)
      << message;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, KernelSemanticsTest,
                         ::testing::ValuesIn(Scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& p) {
                           return p.param.name;
                         });

// ----------------------------------------------------------------------------
// The facts of Linux 6.12's KUnit suite for kernel/resource.c
// (tests/resource_kunit_vectors.h): Range::Union() and Range::Intersection()
// against resource_union() and resource_intersection(), and the
// region_intersects() scenario on ResourceTree and KernelModel under every
// profile. The same vectors run on the compiled kernels in kil_replay_test.

TEST(ResourceKunitTest, UnionOfEveryPairInBothOrders) {
  for (const kunit::RangeVector& v : kunit::RangeVectors()) {
    EXPECT_EQ(v.a.Union(v.b), v.union_) << v.a << " " << v.b;
    EXPECT_EQ(v.b.Union(v.a), v.union_) << v.b << " " << v.a;
  }
}

TEST(ResourceKunitTest, IntersectionOfEveryPairInBothOrders) {
  for (const kunit::RangeVector& v : kunit::RangeVectors()) {
    EXPECT_EQ(v.a.Intersection(v.b), v.intersection) << v.a << " " << v.b;
    EXPECT_EQ(v.b.Intersection(v.a), v.intersection) << v.b << " " << v.a;
  }
}

std::vector<KernelProfile> KunitProfiles() {
  std::vector<KernelProfile> all = KernelProfile::All();
  all.push_back(KernelProfile::Linux71());
  return all;
}

class RegionIntersectsKunitTest
    : public ::testing::TestWithParam<KernelProfile> {};

// Builds the scenario's tree on both ResourceTree and KernelModel (they must
// agree on every line), then asks the queries.
TEST_P(RegionIntersectsKunitTest, TreeAndModelGiveTheKernelsAnswers) {
  const KernelProfile& profile = GetParam();
  ResourceTree tree = ResourceTree::Iomem(profile);
  model::KernelModel m({Range::Full(), "PCI mem", iores::kMem, 0}, profile);
  const bool root_base_fails = !profile.gfr_ascending_skips_zero;

  const std::vector<std::string> lines = kunit::RegionTree(root_base_fails);
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    absl::StatusOr<ops::Op> op = ops::ParseOp(lines[i]);
    ASSERT_TRUE(op.ok()) << op.status();
    const ops::OpResult t = ops::ApplyAsKernel(tree, *op);
    const std::optional<ops::OpResult> k = ops::Apply(m, *op);
    ASSERT_TRUE(k.has_value());
    EXPECT_EQ(t, *k) << "tree " << t.ToString() << ", model " << k->ToString();
    if (i == 0 && root_base_fails) {
      EXPECT_EQ(t.outcome, KernelOutcome::kError);
      EXPECT_EQ(t.err, kerrno::kERANGE);
    } else {
      ASSERT_EQ(t.outcome, KernelOutcome::kOk) << t.ToString();
    }
    if (i == (root_base_fails ? 1u : 0u)) {
      // The parent, wherever it came from, is at kBase.
      EXPECT_EQ(tree.RangeOf(tree.FirstChild(tree.root())),
                Range(kunit::kBase, kunit::kBase + 0x700000 - 1));
    }
  }
  EXPECT_TRUE(tree.CheckInvariants().empty());
  EXPECT_TRUE(m.CheckInvariants().empty());

  for (const kunit::RegionQuery& q : kunit::RegionQueries()) {
    SCOPED_TRACE(q.line);
    absl::StatusOr<ops::Op> op = ops::ParseOp(q.line);
    ASSERT_TRUE(op.ok()) << op.status();
    const RegionIntersection want = profile.region_intersects_descendants
                                        ? q.descendants
                                        : q.top_level_only;
    EXPECT_EQ(ops::ApplyAsKernel(tree, *op).intersects, want)
        << RegionIntersectionName(want);
    EXPECT_EQ(ops::Apply(m, *op)->intersects, want)
        << RegionIntersectionName(want);
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, RegionIntersectsKunitTest,
                         ::testing::ValuesIn(KunitProfiles()),
                         [](const ::testing::TestParamInfo<KernelProfile>& p) {
                           std::string n = p.param.name;
                           for (char& c : n) {
                             if (c == '-' || c == '.') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace restree
