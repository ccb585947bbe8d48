// RedesignModel on its own: small trees, each operation's success cases and
// each of its error paths, with the expected trees worked out by hand from
// the specification in resource_tree.h ("Redesign operations"). The
// differential test then holds ResourceTree to this model, so the model must
// first be shown right here.
//
// Trees are written compactly: `name[first-last]` (hex, no 0x) and the
// children in parentheses, e.g. "W[0-fff](C[0-3ff] R[400-7ff])".

#include "tests/redesign_model.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace model {
namespace {

constexpr uint64_t kMem = iores::kMem;
constexpr uint64_t kRam = iores::kSystemRam | iores::kBusy;
const std::vector<std::string> kDefaultSplittable = {"System RAM", "Reserved",
                                                     "Soft Reserved"};

// The children of `p`, compactly (see the file comment). Iterative.
std::string Shape(const Res* p) {
  std::string out;
  struct Frame {
    const Res* node;
    bool open;
  };
  std::vector<Frame> pending;
  for (const Res* c = p->child; c; c = c->sibling) pending.push_back({c, true});
  std::vector<Frame> rev(pending.rbegin(), pending.rend());
  pending = rev;
  bool first_in_list = true;
  while (!pending.empty()) {
    const Frame f = pending.back();
    pending.pop_back();
    if (!f.open) {
      out += ")";
      first_in_list = false;
      continue;
    }
    if (!first_in_list) out += " ";
    absl::StrAppendFormat(&out, "%s[%x-%x]", f.node->name, f.node->start,
                          f.node->end);
    first_in_list = false;
    if (f.node->child) {
      out += "(";
      first_in_list = true;
      pending.push_back({f.node, false});
      std::vector<const Res*> kids;
      for (const Res* c = f.node->child; c; c = c->sibling) kids.push_back(c);
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
        pending.push_back({*it, true});
      }
    }
  }
  return out;
}

class RedesignModelTest : public ::testing::Test {
 protected:
  RedesignModelTest()
      : m_(ResourceSpec{Range(0, 0xffff), "PCI mem", kMem, 0},
           KernelProfile::Debian61()) {}

  std::string Shape() { return model::Shape(m_.root()); }

  Res* Req(Res* parent, uint64_t first, uint64_t last, const char* name,
           uint64_t flags = kMem) {
    const Result r = m_.Request(parent, {Range(first, last), name, flags, 0});
    EXPECT_EQ(r.outcome, KernelOutcome::kOk) << name;
    return r.node;
  }
  Res* Ins(Res* parent, uint64_t first, uint64_t last, const char* name,
           uint64_t flags = kMem) {
    const Result r = m_.Insert(parent, {Range(first, last), name, flags, 0});
    EXPECT_EQ(r.outcome, KernelOutcome::kOk) << name;
    return r.node;
  }
  // A window [1000-3fff] with child X [1800-27ff] and chunks of 0x1000:
  // chunks [1000-17ff] [2800-2fff] [3000-3fff].
  Res* ChunkedWindow() {
    Res* w = Req(m_.root(), 0x1000, 0x3fff, "W");
    Req(w, 0x1800, 0x27ff, "X");
    ChunkGeometry g;
    g.chunk_size = 0x1000;
    g.memory_block_size = 0x1000;
    const CountResult c = m_.ReserveChunks(w, g);
    EXPECT_EQ(c.result.outcome, KernelOutcome::kOk);
    EXPECT_EQ(c.count, 3u);
    return w;
  }
  void ExpectClean() { EXPECT_TRUE(m_.CheckInvariants().empty()); }

  RedesignModel m_;
};

void ExpectFail(const Result& r, KernelOutcome o, int err,
                const Res* conflict) {
  EXPECT_EQ(r.outcome, o);
  EXPECT_EQ(r.err, err);
  EXPECT_EQ(r.conflict, conflict);
}

// ---------------------------------------------------------------------------
// Reparent

TEST_F(RedesignModelTest, ReparentUpTheChainSwapsEqualRanges) {
  Res* a = Req(m_.root(), 0, 0xfff, "A");
  Res* b = Req(a, 0x100, 0x1ff, "B");
  Res* c = Req(b, 0x100, 0x1ff, "C");
  Req(c, 0x100, 0x17f, "k1");
  Req(c, 0x180, 0x1ff, "k2");
  const Result r = m_.Reparent(c, a);
  EXPECT_EQ(r.outcome, KernelOutcome::kOk);
  EXPECT_EQ(Shape(),
            "A[0-fff](C[100-1ff](B[100-1ff](k1[100-17f] k2[180-1ff])))");
  EXPECT_EQ(c->parent, a);
  EXPECT_EQ(b->parent, c);
  ExpectClean();
}

TEST_F(RedesignModelTest, ReparentUpALongerChainKeepsItIntact) {
  Res* a = Req(m_.root(), 0, 0xfff, "A");
  Res* b1 = Req(a, 0x200, 0x2ff, "B1");
  Req(a, 0x400, 0x4ff, "S");  // a sibling of the chain's top stays put
  Res* b2 = Req(b1, 0x200, 0x2ff, "B2");
  Res* c = Req(b2, 0x200, 0x2ff, "C");
  Req(c, 0x280, 0x2ff, "k");
  ASSERT_EQ(m_.Reparent(c, a).outcome, KernelOutcome::kOk);
  EXPECT_EQ(Shape(),
            "A[0-fff](C[200-2ff](B1[200-2ff](B2[200-2ff](k[280-2ff]))) "
            "S[400-4ff])");
  ExpectClean();
}

TEST_F(RedesignModelTest, ReparentDownTheChain) {
  Res* a = Req(m_.root(), 0, 0xfff, "A");
  Res* b = Req(a, 0x100, 0x1ff, "B");
  Res* c = Req(b, 0x100, 0x1ff, "C");
  Req(c, 0x100, 0x17f, "k1");
  ASSERT_EQ(m_.Reparent(b, c).outcome, KernelOutcome::kOk);
  EXPECT_EQ(Shape(), "A[0-fff](C[100-1ff](B[100-1ff](k1[100-17f])))");
  ExpectClean();
}

TEST_F(RedesignModelTest, ReparentDownTwoLevels) {
  Res* a = Req(m_.root(), 0x100, 0x1ff, "A");
  Res* b = Req(a, 0x100, 0x1ff, "B");
  Res* c = Req(b, 0x100, 0x1ff, "C");
  Req(c, 0x100, 0x10f, "k");
  ASSERT_EQ(m_.Reparent(a, c).outcome, KernelOutcome::kOk);
  EXPECT_EQ(Shape(), "B[100-1ff](C[100-1ff](A[100-1ff](k[100-10f])))");
  ExpectClean();
}

TEST_F(RedesignModelTest, ReparentToCurrentParentChangesNothing) {
  Res* a = Req(m_.root(), 0, 0xfff, "A");
  Res* b = Req(a, 0x100, 0x1ff, "B");
  const std::string before = Shape();
  EXPECT_EQ(m_.Reparent(b, a).outcome, KernelOutcome::kOk);
  EXPECT_EQ(Shape(), before);
}

TEST_F(RedesignModelTest, ReparentErrors) {
  Res* a = Req(m_.root(), 0, 0xfff, "A");
  Res* b = Req(a, 0, 0x7ff, "B");
  Res* c = Req(b, 0x100, 0x1ff, "C");
  Res* d = Req(m_.root(), 0x1000, 0x1fff, "D");
  const std::string before = Shape();
  // The root cannot move.
  ExpectFail(m_.Reparent(m_.root(), a), KernelOutcome::kError, kerrno::kEINVAL,
             nullptr);
  // D does not contain C's range.
  ExpectFail(m_.Reparent(c, d), KernelOutcome::kError, kerrno::kEINVAL, d);
  // A contains C, but B between them has another range.
  ExpectFail(m_.Reparent(c, a), KernelOutcome::kConflict, kerrno::kEBUSY, b);
  // The root contains C; of A and B (both wider) A is the highest.
  ExpectFail(m_.Reparent(c, m_.root()), KernelOutcome::kConflict,
             kerrno::kEBUSY, a);
  // Onto itself.
  ExpectFail(m_.Reparent(c, c), KernelOutcome::kError, kerrno::kEINVAL, c);
  EXPECT_EQ(Shape(), before);
}

// ---------------------------------------------------------------------------
// InsertOver

TEST_F(RedesignModelTest, InsertOverWithNothingToSplitIsInsert) {
  RedesignModel other(ResourceSpec{Range(0, 0xffff), "PCI mem", kMem, 0},
                      KernelProfile::Debian61());
  for (RedesignModel* m : {&m_, &other}) {
    Res* a = m->Request(m->root(), {Range(0, 0xfff), "A", kMem, 0}).node;
    m->Request(a, {Range(0x100, 0x1ff), "x", kMem, 0});
    m->Request(a, {Range(0x300, 0x3ff), "y", kMem, 0});
  }
  const ResourceSpec w{Range(0x100, 0x3ff), "W", kMem, iores_desc::kCxl};
  const Result r1 = m_.InsertOver(m_.root(), w, kDefaultSplittable);
  const Result r2 = other.Insert(other.root(), w);
  ASSERT_EQ(r1.outcome, KernelOutcome::kOk);
  ASSERT_EQ(r2.outcome, KernelOutcome::kOk);
  EXPECT_EQ(m_.Dump(), other.Dump());
  EXPECT_EQ(Shape(), "A[0-fff](W[100-3ff](x[100-1ff] y[300-3ff]))");
}

TEST_F(RedesignModelTest, InsertOverSplitsAtTheLowerEdgeDownTheChain) {
  Res* ram = Req(m_.root(), 0, 0xfff, "System RAM", kRam);
  Res* rsv = Req(ram, 0x600, 0x9ff, "Reserved");
  Req(ram, 0x100, 0x1ff, "low");
  Req(ram, 0xa00, 0xaff, "high");
  Req(rsv, 0x600, 0x6ff, "r-low");
  Req(rsv, 0x900, 0x9ff, "r-high");
  const Result r = m_.InsertOver(
      m_.root(), {Range(0x800, 0x17ff), "W", kMem, iores_desc::kCxl},
      kDefaultSplittable);
  ASSERT_EQ(r.outcome, KernelOutcome::kOk);
  EXPECT_EQ(
      Shape(),
      "System RAM[0-7ff](low[100-1ff] Reserved[600-7ff](r-low[600-6ff])) "
      "W[800-17ff](System RAM[800-fff](Reserved[800-9ff](r-high[900-9ff]) "
      "high[a00-aff]))");
  // The lower parts keep their nodes; the upper parts copy name and flags.
  EXPECT_EQ(ram->end, 0x7ffu);
  EXPECT_EQ(rsv->end, 0x7ffu);
  EXPECT_EQ(r.node->child->flags, kRam);
  EXPECT_EQ(r.node->child->child->name, "Reserved");
  ExpectClean();
}

TEST_F(RedesignModelTest, InsertOverSplitsBothEdgesAndAdoptsBetween) {
  Req(m_.root(), 0, 0xfff, "System RAM", kRam);
  Req(m_.root(), 0x1000, 0x10ff, "mid");
  Res* hi = Req(m_.root(), 0x1800, 0x2fff, "Soft Reserved");
  Req(hi, 0x1800, 0x18ff, "h-low");
  Req(hi, 0x2000, 0x20ff, "h-high");
  const Result r = m_.InsertOver(
      m_.root(), {Range(0x800, 0x1fff), "W", kMem, 0}, kDefaultSplittable);
  ASSERT_EQ(r.outcome, KernelOutcome::kOk);
  EXPECT_EQ(Shape(),
            "System RAM[0-7ff] W[800-1fff](System RAM[800-fff] mid[1000-10ff] "
            "Soft Reserved[1800-1fff](h-low[1800-18ff])) "
            "Soft Reserved[2000-2fff](h-high[2000-20ff])");
  EXPECT_EQ(hi->end, 0x1fffu);  // the inside (lower) part kept the node
  ExpectClean();
}

TEST_F(RedesignModelTest, InsertOverDescendsLikeInsert) {
  Res* a = Req(m_.root(), 0, 0xffff, "A");
  Req(a, 0x1000, 0x1fff, "System RAM", kRam);
  ASSERT_EQ(m_.InsertOver(m_.root(), {Range(0x1800, 0x27ff), "W", kMem, 0},
                          kDefaultSplittable)
                .outcome,
            KernelOutcome::kOk);
  EXPECT_EQ(Shape(),
            "A[0-ffff](System RAM[1000-17ff] W[1800-27ff](System "
            "RAM[1800-1fff]))");
}

TEST_F(RedesignModelTest, InsertOverErrors) {
  Res* ram = Req(m_.root(), 0, 0xfff, "System RAM", kRam);
  Res* code = Req(ram, 0x700, 0x8ff, "Kernel code");
  Res* top = Req(m_.root(), 0x1000, 0x1fff, "B");
  const std::string before = Shape();
  // Does not fit the parent / inverted: insert's conflict, the parent.
  ExpectFail(m_.InsertOver(ram, {Range(0x800, 0x10ff), "W", kMem, 0},
                           kDefaultSplittable),
             KernelOutcome::kConflict, kerrno::kEBUSY, ram);
  ExpectFail(m_.InsertOver(m_.root(), {Range(0x900, 0x800), "W", kMem, 0},
                           kDefaultSplittable),
             KernelOutcome::kConflict, kerrno::kEBUSY, m_.root());
  // "Kernel code" straddles the lower edge below splittable RAM.
  ExpectFail(m_.InsertOver(m_.root(), {Range(0x800, 0x17ff), "W", kMem, 0},
                           kDefaultSplittable),
             KernelOutcome::kConflict, kerrno::kEBUSY, code);
  // With an empty policy RAM itself is the first node that cannot be cut.
  ExpectFail(m_.InsertOver(m_.root(), {Range(0x800, 0x17ff), "W", kMem, 0}, {}),
             KernelOutcome::kConflict, kerrno::kEBUSY, ram);
  // Only the upper edge: "B" is not splittable.
  ExpectFail(m_.InsertOver(m_.root(), {Range(0x0, 0x17ff), "W", kMem, 0},
                           kDefaultSplittable),
             KernelOutcome::kConflict, kerrno::kEBUSY, top);
  EXPECT_EQ(Shape(), before);
}

TEST_F(RedesignModelTest, InsertOverAndTheFence) {
  Res* w = ChunkedWindow();
  Res* first_chunk = w->child;
  const std::string before = Shape();
  // Adopting a chunk.
  ExpectFail(m_.InsertOver(w, {Range(0x1000, 0x27ff), "R", kMem, 0},
                           kDefaultSplittable),
             KernelOutcome::kConflict, kerrno::kEBUSY, first_chunk);
  // Landing inside one.
  ExpectFail(m_.InsertOver(w, {Range(0x1100, 0x11ff), "R", kMem, 0},
                           kDefaultSplittable),
             KernelOutcome::kConflict, kerrno::kEBUSY, first_chunk);
  // Splitting one (when the policy would allow it).
  ExpectFail(m_.InsertOver(w, {Range(0x1400, 0x27ff), "R", kMem, 0},
                           {"CXL chunk", "X"}),
             KernelOutcome::kConflict, kerrno::kEBUSY, first_chunk);
  // A chunk to cut is named before a chunk to adopt whole.
  Res* c1 = first_chunk->sibling->sibling;
  ExpectFail(m_.InsertOver(w, {Range(0x1000, 0x2bff), "R", kMem, 0},
                           kDefaultSplittable),
             KernelOutcome::kConflict, kerrno::kEBUSY, c1);
  EXPECT_EQ(Shape(), before);
  m_.set_chunk_fence(false);
  ASSERT_EQ(m_.InsertOver(w, {Range(0x1400, 0x27ff), "R", kMem, 0},
                          {"CXL chunk", "X"})
                .outcome,
            KernelOutcome::kOk);
  EXPECT_EQ(Shape(),
            "W[1000-3fff](CXL chunk[1000-13ff] R[1400-27ff](CXL "
            "chunk[1400-17ff] X[1800-27ff]) CXL chunk[2800-2fff] CXL "
            "chunk[3000-3fff])");
  // The upper part of a split chunk is a chunk too (same flags).
  EXPECT_TRUE(RedesignModel::IsChunk(w->child->sibling->child));
}

// ---------------------------------------------------------------------------
// Grow / Shrink

TEST_F(RedesignModelTest, GrowAdoptsCoveredSiblings) {
  Res* p = Req(m_.root(), 0, 0xffff, "P");
  Req(p, 0x100, 0x1ff, "s1");
  Res* id = Req(p, 0x400, 0x4ff, "id");
  Req(id, 0x400, 0x40f, "k");
  Req(p, 0x600, 0x6ff, "s2");
  Req(p, 0x900, 0x9ff, "s3");
  ASSERT_EQ(m_.Grow(id, Range(0x100, 0x7ff), false).outcome,
            KernelOutcome::kOk);
  EXPECT_EQ(Shape(),
            "P[0-ffff](id[100-7ff](s1[100-1ff] k[400-40f] s2[600-6ff]) "
            "s3[900-9ff])");
  ExpectClean();
}

TEST_F(RedesignModelTest, GrowErrors) {
  Res* p = Req(m_.root(), 0, 0xfff, "P");
  Req(m_.root(), 0x1000, 0x10ff, "Q");
  Res* s1 = Req(p, 0x100, 0x1ff, "s1");
  Res* id = Req(p, 0x400, 0x4ff, "id");
  Res* s2 = Req(p, 0x600, 0x6ff, "s2");
  const std::string before = Shape();
  ExpectFail(m_.Grow(m_.root(), Range::Full(), false), KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  ExpectFail(m_.Grow(id, Range(0x4ff, 0x400), false), KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  ExpectFail(m_.Grow(id, Range(0x480, 0x5ff), false), KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  // The lowest partially overlapped sibling.
  ExpectFail(m_.Grow(id, Range(0x180, 0x67f), false), KernelOutcome::kConflict,
             kerrno::kEBUSY, s1);
  ExpectFail(m_.Grow(id, Range(0x200, 0x67f), false), KernelOutcome::kConflict,
             kerrno::kEBUSY, s2);
  // Past the parent: the parent, unless ancestors may grow.
  ExpectFail(m_.Grow(s2, Range(0x600, 0x10ff), false), KernelOutcome::kConflict,
             kerrno::kEBUSY, p);
  EXPECT_EQ(Shape(), before);
}

TEST_F(RedesignModelTest, GrowAncestors) {
  Res* a = Req(m_.root(), 0x1000, 0x1fff, "A");
  Res* b = Req(a, 0x1000, 0x17ff, "B");
  Res* id = Req(b, 0x1100, 0x11ff, "id");
  Res* q = Req(m_.root(), 0x4000, 0x4fff, "Q");
  // Past B but inside A: only B grows.
  ASSERT_EQ(m_.Grow(id, Range(0x1100, 0x1bff), true).outcome,
            KernelOutcome::kOk);
  EXPECT_EQ(Shape(), "A[1000-1fff](B[1000-1bff](id[1100-1bff])) Q[4000-4fff]");
  // Now past A too: A grows to the hull and must miss Q.
  ASSERT_EQ(m_.Grow(id, Range(0x0800, 0x2fff), true).outcome,
            KernelOutcome::kOk);
  EXPECT_EQ(Shape(), "A[800-2fff](B[800-2fff](id[800-2fff])) Q[4000-4fff]");
  ExpectFail(m_.Grow(id, Range(0x0800, 0x40ff), true), KernelOutcome::kConflict,
             kerrno::kEBUSY, q);
  // Past the root: the root never grows.
  Res* top = Req(q, 0x4000, 0x40ff, "top");
  ExpectFail(m_.Grow(top, Range(0x4000, 0x1ffff), true),
             KernelOutcome::kConflict, kerrno::kEBUSY, m_.root());
  ExpectClean();
}

TEST_F(RedesignModelTest, Shrink) {
  Res* p = Req(m_.root(), 0, 0xfff, "P");
  Res* k1 = Req(p, 0x100, 0x1ff, "k1");
  Res* k2 = Req(p, 0x400, 0x4ff, "k2");
  ExpectFail(m_.Shrink(m_.root(), Range(0, 0xff)), KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  ExpectFail(m_.Shrink(p, Range(0x200, 0x100)), KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  ExpectFail(m_.Shrink(p, Range(0x100, 0x10ff)), KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  ExpectFail(m_.Shrink(p, Range(0x180, 0x3ff)), KernelOutcome::kConflict,
             kerrno::kEBUSY, k1);
  ExpectFail(m_.Shrink(p, Range(0x100, 0x47f)), KernelOutcome::kConflict,
             kerrno::kEBUSY, k2);
  ASSERT_EQ(m_.Shrink(p, Range(0x100, 0x4ff)).outcome, KernelOutcome::kOk);
  EXPECT_EQ(Shape(), "P[100-4ff](k1[100-1ff] k2[400-4ff])");
}

// ---------------------------------------------------------------------------
// Chunks

TEST_F(RedesignModelTest, ReserveChunksCoversFreeStretchesPerSlot) {
  Res* w = ChunkedWindow();
  EXPECT_EQ(Shape(),
            "W[1000-3fff](CXL chunk[1000-17ff] X[1800-27ff] CXL "
            "chunk[2800-2fff] CXL chunk[3000-3fff])");
  EXPECT_EQ(m_.ChunkSizeOf(w), 0x1000u);
  const Res* c = w->child;
  EXPECT_EQ(c->flags, iores::kMem | iores::kRestreeChunk);
  EXPECT_EQ(c->desc, iores_desc::kCxl);
  ExpectClean();
}

TEST_F(RedesignModelTest, ReserveChunksSlotsCountFromTheWindowStart) {
  Res* w = Req(m_.root(), 0x1100, 0x33ff, "W");
  ChunkGeometry g;
  g.chunk_size = 0x1000;
  g.memory_block_size = 0x1000;
  const CountResult c = m_.ReserveChunks(w, g);
  EXPECT_EQ(c.count, 3u);
  EXPECT_EQ(Shape(),
            "W[1100-33ff](CXL chunk[1100-20ff] CXL chunk[2100-30ff] CXL "
            "chunk[3100-33ff])");
}

TEST_F(RedesignModelTest, ReserveChunksErrors) {
  Res* w = Req(m_.root(), 0x1000, 0x3fff, "W");
  ChunkGeometry g;
  g.chunk_size = 0x1000;
  g.memory_block_size = 0x1000;
  ExpectFail(m_.ReserveChunks(m_.root(), g).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  ChunkGeometry bad = g;
  bad.ways = 5;
  ExpectFail(m_.ReserveChunks(w, bad).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  bad = g;
  bad.chunk_size = 0x800;  // neither the block size nor 256 MiB x ways
  ExpectFail(m_.ReserveChunks(w, bad).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  bad = g;
  bad.chunk_size = uint64_t{256} << 20;  // 256 MiB, but 3 ways need 768
  bad.ways = 3;
  ExpectFail(m_.ReserveChunks(w, bad).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  bad = g;
  bad.chunk_size = 0;
  bad.memory_block_size = 0;
  ExpectFail(m_.ReserveChunks(w, bad).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  bad = g;
  bad.max_new_chunks = 2;
  ExpectFail(m_.ReserveChunks(w, bad).result, KernelOutcome::kError,
             kerrno::kE2BIG, nullptr);
  EXPECT_EQ(Shape(), "W[1000-3fff]");
  EXPECT_EQ(m_.ChunkSizeOf(w), 0u);
  // A valid 256 MiB x 3 multiple: one slot covers the whole window.
  ChunkGeometry big = g;
  big.chunk_size = uint64_t{768} << 20;
  big.ways = 3;
  EXPECT_EQ(m_.ReserveChunks(w, big).count, 1u);
  ExpectFail(m_.ReserveChunks(w->child, g).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
}

TEST_F(RedesignModelTest, ClaimChunksReplacesConsecutiveChunks) {
  Res* w = ChunkedWindow();
  const Result r =
      m_.ClaimChunks(w, {Range(0x2800, 0x3fff), "region0", kRam, 0});
  ASSERT_EQ(r.outcome, KernelOutcome::kOk);
  EXPECT_EQ(Shape(),
            "W[1000-3fff](CXL chunk[1000-17ff] X[1800-27ff] "
            "region0[2800-3fff])");
  EXPECT_EQ(r.node->flags, kRam);
  ExpectClean();
}

TEST_F(RedesignModelTest, ClaimChunksErrors) {
  Res* w = ChunkedWindow();
  Res* c0 = w->child;
  Res* x = c0->sibling;
  Res* c1 = x->sibling;
  ExpectFail(m_.ClaimChunks(w, {Range(0x2800, 0x47ff), "R", kMem, 0}),
             KernelOutcome::kError, kerrno::kEINVAL, w);
  ExpectFail(m_.ClaimChunks(w, {Range(0x2800, 0x27ff), "R", kMem, 0}),
             KernelOutcome::kError, kerrno::kEINVAL, w);
  ExpectFail(m_.ClaimChunks(w, {Range(0x1000, 0x2fff), "R", kMem, 0}),
             KernelOutcome::kConflict, kerrno::kEBUSY, x);
  // The first problem from the range's start: the chunk cut at the lower
  // edge comes before X.
  ExpectFail(m_.ClaimChunks(w, {Range(0x1400, 0x2fff), "R", kMem, 0}),
             KernelOutcome::kError, kerrno::kEINVAL, c0);
  ExpectFail(m_.ClaimChunks(w, {Range(0x2c00, 0x3fff), "R", kMem, 0}),
             KernelOutcome::kError, kerrno::kEINVAL, c1);
  ExpectFail(m_.ClaimChunks(w, {Range(0x1000, 0x13ff), "R", kMem, 0}),
             KernelOutcome::kError, kerrno::kEINVAL, c0);
  // A freed chunk leaves a stretch that is not reserved.
  ASSERT_EQ(m_.Release(c1).outcome, KernelOutcome::kOk);
  const std::string gap = Shape();
  ExpectFail(m_.ClaimChunks(w, {Range(0x2800, 0x3fff), "R", kMem, 0}),
             KernelOutcome::kError, kerrno::kEINVAL, nullptr);
  EXPECT_EQ(Shape(), gap);
  // The free stretch comes before X, so it is what is reported.
  ASSERT_EQ(m_.Release(c0).outcome, KernelOutcome::kOk);
  ExpectFail(m_.ClaimChunks(w, {Range(0x1000, 0x27ff), "R", kMem, 0}),
             KernelOutcome::kError, kerrno::kEINVAL, nullptr);
  EXPECT_EQ(Shape(), "W[1000-3fff](X[1800-27ff] CXL chunk[3000-3fff])");
}

TEST_F(RedesignModelTest, ReturnToChunksSplitsAtSlots) {
  Res* w = ChunkedWindow();
  Res* x = w->child->sibling;
  const CountResult c = m_.ReturnToChunks(x);
  ASSERT_EQ(c.result.outcome, KernelOutcome::kOk);
  EXPECT_EQ(c.count, 2u);
  EXPECT_EQ(Shape(),
            "W[1000-3fff](CXL chunk[1000-17ff] CXL chunk[1800-1fff] CXL "
            "chunk[2000-27ff] CXL chunk[2800-2fff] CXL chunk[3000-3fff])");
  ExpectClean();
}

TEST_F(RedesignModelTest, ReturnToChunksErrors) {
  Res* w = ChunkedWindow();
  Res* x = w->child->sibling;
  Res* k = Req(x, 0x1900, 0x19ff, "k");
  Res* other = Req(m_.root(), 0x8000, 0x8fff, "O");
  const std::string before = Shape();
  ExpectFail(m_.ReturnToChunks(m_.root()).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  ExpectFail(m_.ReturnToChunks(w->child).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);
  ExpectFail(m_.ReturnToChunks(other).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);  // the root has no chunk size
  ExpectFail(m_.ReturnToChunks(k).result, KernelOutcome::kError,
             kerrno::kEINVAL, nullptr);  // X has no chunk size
  ExpectFail(m_.ReturnToChunks(x).result, KernelOutcome::kConflict,
             kerrno::kEBUSY, k);
  EXPECT_EQ(Shape(), before);
}

TEST_F(RedesignModelTest, ReleaseUnusedChunks) {
  Res* w = ChunkedWindow();
  const CountResult c = m_.ReleaseUnusedChunks(w, /*shrink=*/false);
  EXPECT_EQ(c.count, 3u);
  EXPECT_EQ(Shape(), "W[1000-3fff](X[1800-27ff])");
  ASSERT_EQ(m_.ReserveChunks(w,
                             [] {
                               ChunkGeometry g;
                               g.chunk_size = 0x1000;
                               g.memory_block_size = 0x1000;
                               return g;
                             }())
                .count,
            3u);
  EXPECT_EQ(m_.ReleaseUnusedChunks(w, /*shrink=*/true).count, 3u);
  EXPECT_EQ(Shape(), "W[1800-27ff](X[1800-27ff])");
  // Nothing left to shrink to: unchanged.
  Res* v = Req(m_.root(), 0x8000, 0x8fff, "V");
  EXPECT_EQ(m_.ReleaseUnusedChunks(v, true).count, 0u);
  EXPECT_EQ(v->start, 0x8000u);
  ExpectFail(m_.ReleaseUnusedChunks(m_.root(), false).result,
             KernelOutcome::kError, kerrno::kEINVAL, nullptr);
}

TEST_F(RedesignModelTest, ChunkSizeIsForgottenWithItsWindow) {
  Res* w = ChunkedWindow();
  ASSERT_EQ(m_.Release(w).outcome, KernelOutcome::kOk);
  EXPECT_TRUE(m_.CheckInvariants().empty());
}

// ---------------------------------------------------------------------------
// The fence over kernel-compatible operations

TEST_F(RedesignModelTest, FenceRefusesPlacementsInsideChunks) {
  Res* w = ChunkedWindow();
  Res* c0 = w->child;
  Res* c1 = c0->sibling->sibling;
  const std::string before = Shape();
  ExpectFail(m_.Request(c0, {Range(0x1000, 0x10ff), "R", kMem, 0}),
             KernelOutcome::kConflict, kerrno::kEBUSY, c0);
  // Insert descends into the chunk that strictly contains the range ...
  ExpectFail(m_.Insert(w, {Range(0x1000, 0x10ff), "R", kMem, 0}),
             KernelOutcome::kConflict, kerrno::kEBUSY, c0);
  // ... or adopts one it covers.
  ExpectFail(m_.Insert(w, {Range(0x2800, 0x3fff), "R", kMem, 0}),
             KernelOutcome::kConflict, kerrno::kEBUSY, c1);
  ExpectFail(
      m_.InsertExpandToFit(m_.root(), {Range(0x2900, 0x29ff), "R", kMem, 0}),
      KernelOutcome::kConflict, kerrno::kEBUSY, c1);
  // request_region descends into non-busy nodes, chunks among them.
  ExpectFail(m_.RequestRegion(m_.root(), 0x1000, 0x100, "R", 0),
             KernelOutcome::kConflict, kerrno::kEBUSY, c0);
  AllocConstraint any;
  ExpectFail(m_.Allocate(c0, {Range(), "R", kMem, 0}, 0x100, any),
             KernelOutcome::kConflict, kerrno::kEBUSY, c0);
  ExpectFail(m_.AllocFreeMemRegion(c0, 0x100, 0x100, "R"),
             KernelOutcome::kConflict, kerrno::kEBUSY, c0);
  EXPECT_EQ(Shape(), before);
  // Beside chunks is fine.
  EXPECT_EQ(m_.RequestRegion(m_.root(), 0x1800, 0x100, "R", 0).outcome,
            KernelOutcome::kOk);
  // Off: chunks are ordinary resources.
  m_.set_chunk_fence(false);
  EXPECT_EQ(m_.Request(c0, {Range(0x1000, 0x10ff), "R", kMem, 0}).outcome,
            KernelOutcome::kOk);
  ExpectClean();
}

TEST_F(RedesignModelTest, FenceSeesChunksAboveTheParent) {
  Res* w = ChunkedWindow();
  Res* c0 = w->child;
  m_.set_chunk_fence(false);
  Res* inner = Req(c0, 0x1000, 0x13ff, "inner");
  m_.set_chunk_fence(true);
  // Into `inner`, which lies in chunk c0: refused, naming c0.
  ExpectFail(m_.Request(inner, {Range(0x1000, 0x10ff), "R", kMem, 0}),
             KernelOutcome::kConflict, kerrno::kEBUSY, c0);
  ExpectFail(m_.RequestRegion(m_.root(), 0x1000, 0x100, "R", 0),
             KernelOutcome::kConflict, kerrno::kEBUSY, c0);
  ExpectClean();
}

}  // namespace
}  // namespace model
}  // namespace restree
