// File: tree_ops.h
// -----------------------------------------------------------------------------
//
// One vocabulary of resource-tree operations for every test, fuzzer and
// harness: the kernel/resource.c functions and restree's redesign
// operations, one struct per operation in a std::variant (as tcmalloc's
// fuzzers do). Each struct holds everything about its operation:
//
//   kName, Fields()   its trace name and its fields, as (key, member, kind)
//                     entries that both print and parse the trace text;
//   Make(raw, view)   the operation built from raw choices (`Raw`, from
//                     RapidCheck or from fuzzer bytes) against the current
//                     tree: node references folded into range, ranges placed
//                     relative to nodes so that they collide;
//   Gen(top, kernel)  the RapidCheck generator of its raw choices (the
//                     default, GenKernelRaw(), suits most kernel calls);
//   Run(TreeRun&)     its apply on ResourceTree;
//   Run(RedesignRun&) its apply on the reference RedesignModel;
//   Run(ModelRun&), ToKernel(ka_op*)
//                     its apply on KernelModel and its call of the real
//                     kernel's resource.c (tests/kernel_shim/), for the
//                     operations the kernel has (kKernel; InKernel() when
//                     that depends on the arguments). The kernel harnesses
//                     (KernelLoop, Lockstep) skip the others and count them.
//
// Adding an operation: one struct here (its Make(), and its ToKernel() if
// the kernel has it, are defined in tree_ops.cc), its name in the `Op`
// variant, and, if the kernel has it, a KA_ kind and its case in the C
// adapter (tests/kernel_shim/kernel_adapter.{h,c}).
//
// Nodes are named by their index in the pre-order walk (the order of
// /proc/iomem lines), never by pointer or id: `-1` is the root, `k >= 0` the
// k-th node below it.
//
// The text form is the trace format of docs/kernel-in-the-loop.md, one op per
// line, e.g.
//   request_resource parent=iomem:3 start=0x1000 end=0x1fff flags=0x200 desc=0
//   name="A"
// ToString() and ParseOp() are inverses.
//
// Not thread-safe (nothing here is shared; each call works on its
// arguments). Every Apply() is O(n) in the tree's size on top of the
// operation's own cost (node references are resolved by pre-order index).

#ifndef RESTREE_TESTS_TREE_OPS_H_
#define RESTREE_TESTS_TREE_OPS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fuzzer/FuzzedDataProvider.h"
#include "rapidcheck.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/range.h"
#include "resource_tree/resource_tree.h"
#include "tests/kernel_model.h"
#include "tests/kernel_shim/kernel_adapter.h"
#include "tests/redesign_model.h"

namespace restree {
namespace test_support {
// The address grid generated and fuzzed addresses sit on, so that ranges
// collide.
inline constexpr uint64_t kGrid = 0x100;
}  // namespace test_support

namespace ops {

inline constexpr int kNoNode = -2;  // "no node" in an OpResult

// ---------------------------------------------------------------------------
// Results, in implementation-independent terms.

struct WalkRecord {
  Range range;
  uint64_t flags = 0;
  uint32_t desc = 0;
  int node = kNoNode;
  int parent = kNoNode;
  friend bool operator==(const WalkRecord& a, const WalkRecord& b) {
    return a.range == b.range && a.flags == b.flags && a.desc == b.desc &&
           a.node == b.node && a.parent == b.parent;
  }
};

struct OpResult {
  KernelOutcome outcome = KernelOutcome::kOk;
  int err = 0;
  int conflict = kNoNode;  // pre-order index after the op (-1 root)
  int node = kNoNode;      // created / surviving / looked-up node
  size_t count = 0;        // chunk operations: what they counted
  RegionIntersection intersects = RegionIntersection::kDisjoint;
  std::vector<WalkRecord> walk;

  friend bool operator==(const OpResult& a, const OpResult& b) {
    return a.outcome == b.outcome && a.err == b.err &&
           a.conflict == b.conflict && a.node == b.node && a.count == b.count &&
           a.intersects == b.intersects && a.walk == b.walk;
  }
  friend bool operator!=(const OpResult& a, const OpResult& b) {
    return !(a == b);
  }
  std::string ToString() const;
  // True if the operation changed nothing by contract (a failure).
  bool Failed() const { return outcome != KernelOutcome::kOk; }
};

// ---------------------------------------------------------------------------
// Running an operation on one implementation: node references resolved
// against the tree before the op, results translated after it.

class TreeRun {
 public:
  explicit TreeRun(ResourceTree& tree) : t(tree) {}
  ResourceTree& t;
  // The node `ref` names in the tree as it was when At() was first called
  // (call it before changing the tree).
  ResourceId At(int ref) const;
  // Pre-order index of `id` in the tree as it was when Index() was first
  // called (call it after the change).
  int Index(ResourceId id) const;
  OpResult Out(const absl::Status& s, ResourceId node = ResourceId(),
               size_t count = 0) const;
  OpResult Out(const absl::StatusOr<ResourceId>& s) const {
    return s.ok() ? Out(absl::OkStatus(), *s) : Out(s.status());
  }
  OpResult Out(const absl::StatusOr<size_t>& s) const {
    return s.ok() ? Out(absl::OkStatus(), ResourceId(), *s) : Out(s.status());
  }

 private:
  mutable std::optional<std::vector<ResourceId>> pre_;                 // before
  mutable std::optional<absl::flat_hash_map<ResourceId, int>> index_;  // after
};

// KernelModel (ModelRun) and RedesignModel (RedesignRun).
template <typename M>
class ResRun {
 public:
  explicit ResRun(M& model) : m(model), pre_(model.Preorder()) {}
  M& m;
  model::Res* At(int ref) const {
    return ref < 0 || ref >= static_cast<int>(pre_.size()) ? m.root()
                                                           : pre_[ref];
  }
  int Index(const model::Res* p) const;
  OpResult Out(const model::Result& r, size_t count = 0) const;
  OpResult Out(const model::CountResult& r) const {
    return Out(r.result, r.count);
  }

 private:
  std::vector<model::Res*> pre_;
};
using ModelRun = ResRun<model::KernelModel>;
using RedesignRun = ResRun<model::RedesignModel>;

// ---------------------------------------------------------------------------
// Fields: how an operation's members print and parse.

enum class FieldKind {
  kParent,  // int node reference that may be the root: iomem, iomem:3
  kTarget,  // int node reference to a node below the root
  kHex,     // uint64_t printed %#x; parsed decimal or 0x hex
  kDec,     // unsigned printed and parsed in decimal
  kFlags,   // uint64_t printed %#x; parsed by ParseFlags (MEM|BUSY, 0x...)
  kName,    // std::string, quoted with \" and \\ escaped
  kAlignf,  // AlignFn: none, up16k
  kBool,    // bool: 0, 1
  kNames,   // std::vector<std::string>: one quoted string, ','-separated
};
enum FieldOpt : unsigned {
  kRequired = 0,
  kOptional = 1u,     // may be left out of a trace line (keeps its default)
  kOmitDefault = 2u,  // not printed while it has its default value
};

template <typename T, typename M>
struct Field {
  const char* key;
  M T::*member;
  FieldKind kind;
  unsigned opt;
};
template <typename T, typename M>
constexpr Field<T, M> F(const char* key, M T::*member, FieldKind kind,
                        unsigned opt = kRequired) {
  return {key, member, kind, opt};
}

// The alignment callbacks an op can name (functions cannot travel in text).
enum class AlignFn {
  kNone,   // the kernel's simple_align_resource: the aligned gap start
  kUp16k,  // round the aligned gap start up to 16 KiB
};

// ---------------------------------------------------------------------------
// Raw choices, and the tree they are resolved against.

// What an operation is made from before it meets a tree: generated by
// RapidCheck (each struct's Gen()) or decoded from fuzzer bytes
// (DecodeRawOp()). Each struct's Make() reads the fields it needs.
struct Raw {
  int ref = 0;    // the op's node, folded into range by Make()
  int ref2 = -1;  // the anchor of placement: -1 the op's own node, else
                  // any node (cyclically); Reparent: the new parent
  int mode = 0;   // placement (View::Place)
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t size = 0;
  uint64_t min = 0;
  uint64_t max = kMaxAddress;
  uint64_t align = 1;
  AlignFn alignf = AlignFn::kNone;
  uint64_t flags = 0;
  uint32_t desc = 0;
  const char* name = "";  // a string literal (cheap to copy while shrinking)
  uint32_t pick[4] = {0, 0, 0, 0};  // op-specific choices (indexes)
};

// A ResourceTree seen by pre-order index, for Make().
class View {
 public:
  explicit View(const ResourceTree& t);
  const ResourceTree& tree() const { return t_; }
  int n() const { return n_; }
  // Folds a raw reference into [-1, n) (a parent may be the root) or into
  // [0, n) (a target; -1 only when the tree is empty). References already
  // in range are kept.
  int Parent(int raw) const;
  int Target(int raw) const;
  ResourceId At(int ref) const;
  int Index(ResourceId id) const;
  // The anchor of `raw`'s placement: node `own` (a pre-order index) when
  // raw.ref2 < 0, else the raw.ref2-th node (cyclically; the root in an
  // empty tree).
  ResourceId Anchor(const Raw& raw, int own) const;
  // The range [raw.start, raw.start + len - 1] placed by raw.mode relative
  // to the anchor: 0 as given (len 0 gives an inverted range); 1 inside the
  // anchor (start folded in, end clipped); 2 exactly the anchor; 3 around
  // it, past one or both edges; 4 shifted to straddle one of its edges; 5
  // the hull of its children; 6 from it to a later sibling's end.
  Range Place(const Raw& raw, int own, uint64_t len) const;

 private:
  const std::vector<ResourceId>& pre() const;  // computed on first use
  const ResourceTree& t_;
  int n_;
  mutable std::optional<std::vector<ResourceId>> pre_;
};

// Generators of raw choices.
rc::Gen<uint64_t> GenAddr(uint64_t top);
rc::Gen<uint64_t> GenLen();
rc::Gen<int> GenRef();
// The kernel calls' raw choices: addresses on the grid, every field, and a
// placement mode of 0, 1 or 2 on the op's own node.
rc::Gen<Raw> GenKernelRaw(uint64_t top);
// GenKernelRaw() with the anchor any node (ops that look something up).
rc::Gen<Raw> GenLookupRaw(uint64_t top);

// ---------------------------------------------------------------------------
// The operations.

template <typename D>
struct OpBase {
  static constexpr bool kQuery = false;   // never changes the tree
  static constexpr bool kKernel = false;  // the kernel has it (as InKernel)
  static constexpr int kWeight = 1;       // in generated sequences
  bool InKernel() const { return D::kKernel; }
  static rc::Gen<Raw> Gen(uint64_t top, bool /*kernel_only*/) {
    return GenKernelRaw(top);
  }
  // What the kernel harnesses compare against the kernel: Run() except
  // where ResourceTree's operation only coincides with the kernel's in part.
  OpResult RunAsKernel(TreeRun& r) const {
    return static_cast<const D&>(*this).Run(r);
  }
};

// A ka_op for the C adapter with the fields every call shares.
ka_op KernelCall(int kind, int ref);

struct RequestResource : OpBase<RequestResource> {
  static constexpr const char* kName = "request_resource";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 6;
  int parent = -1;
  uint64_t start = 0, end = 0, flags = 0;
  uint32_t desc = 0;
  std::string name;
  static constexpr auto Fields() {
    using T = RequestResource;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("start", &T::start, FieldKind::kHex),
                           F("end", &T::end, FieldKind::kHex),
                           F("flags", &T::flags, FieldKind::kFlags),
                           F("desc", &T::desc, FieldKind::kDec, kOptional),
                           F("name", &T::name, FieldKind::kName));
  }
  ResourceSpec Spec() const { return {Range(start, end), name, flags, desc}; }
  static RequestResource Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.Request(r.At(parent), Spec()));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.RequestResource(r.At(parent), Spec()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Request(r.At(parent), Spec()));
  }
  bool ToKernel(ka_op* k) const;
};

struct InsertResource : OpBase<InsertResource> {
  static constexpr const char* kName = "insert_resource";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 6;
  int parent = -1;
  uint64_t start = 0, end = 0, flags = 0;
  uint32_t desc = 0;
  std::string name;
  static constexpr auto Fields() {
    using T = InsertResource;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("start", &T::start, FieldKind::kHex),
                           F("end", &T::end, FieldKind::kHex),
                           F("flags", &T::flags, FieldKind::kFlags),
                           F("desc", &T::desc, FieldKind::kDec, kOptional),
                           F("name", &T::name, FieldKind::kName));
  }
  ResourceSpec Spec() const { return {Range(start, end), name, flags, desc}; }
  static InsertResource Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.Insert(r.At(parent), Spec()));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.InsertResource(r.At(parent), Spec()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Insert(r.At(parent), Spec()));
  }
  bool ToKernel(ka_op* k) const;
};

struct InsertResourceExpandToFit : OpBase<InsertResourceExpandToFit> {
  static constexpr const char* kName = "insert_resource_expand_to_fit";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 3;
  int parent = -1;
  uint64_t start = 0, end = 0, flags = 0;
  uint32_t desc = 0;
  std::string name;
  static constexpr auto Fields() {
    using T = InsertResourceExpandToFit;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("start", &T::start, FieldKind::kHex),
                           F("end", &T::end, FieldKind::kHex),
                           F("flags", &T::flags, FieldKind::kFlags),
                           F("desc", &T::desc, FieldKind::kDec, kOptional),
                           F("name", &T::name, FieldKind::kName));
  }
  ResourceSpec Spec() const { return {Range(start, end), name, flags, desc}; }
  static InsertResourceExpandToFit Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.InsertExpandToFit(r.At(parent), Spec()));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.InsertResourceExpandToFit(r.At(parent), Spec()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.InsertExpandToFit(r.At(parent), Spec()));
  }
  bool ToKernel(ka_op* k) const;
};

struct RemoveResource : OpBase<RemoveResource> {
  static constexpr const char* kName = "remove_resource";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 2;
  int target = -1;
  static constexpr auto Fields() {
    return std::make_tuple(
        F("target", &RemoveResource::target, FieldKind::kTarget));
  }
  static RemoveResource Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const { return r.Out(r.t.Remove(r.At(target))); }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.RemoveResource(r.At(target)));
  }
  OpResult Run(RedesignRun& r) const { return r.Out(r.m.Remove(r.At(target))); }
  bool ToKernel(ka_op* k) const;
};

struct ReleaseResource : OpBase<ReleaseResource> {
  static constexpr const char* kName = "release_resource";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 2;
  int target = -1;
  static constexpr auto Fields() {
    return std::make_tuple(
        F("target", &ReleaseResource::target, FieldKind::kTarget));
  }
  static ReleaseResource Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const { return r.Out(r.t.Release(r.At(target))); }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.ReleaseResource(r.At(target)));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Release(r.At(target)));
  }
  bool ToKernel(ka_op* k) const;
};

struct ReleaseChildResources : OpBase<ReleaseChildResources> {
  static constexpr const char* kName = "release_child_resources";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 1;
  int target = -1;
  static constexpr auto Fields() {
    return std::make_tuple(
        F("target", &ReleaseChildResources::target, FieldKind::kTarget));
  }
  static ReleaseChildResources Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.ReleaseChildren(r.At(target)));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.ReleaseChildResources(r.At(target)));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.ReleaseChildren(r.At(target)));
  }
  bool ToKernel(ka_op* k) const;
};

struct AdjustResource : OpBase<AdjustResource> {
  static constexpr const char* kName = "adjust_resource";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 3;
  int target = -1;
  uint64_t start = 0, size = 0;
  static constexpr auto Fields() {
    using T = AdjustResource;
    return std::make_tuple(F("target", &T::target, FieldKind::kTarget),
                           F("start", &T::start, FieldKind::kHex),
                           F("size", &T::size, FieldKind::kHex));
  }
  static AdjustResource Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.Adjust(r.At(target), start, size));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.AdjustResource(r.At(target), start, size));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Adjust(r.At(target), start, size));
  }
  bool ToKernel(ka_op* k) const;
};

AllocConstraint MakeConstraint(uint64_t min, uint64_t max, uint64_t align,
                               AlignFn alignf);

struct AllocateResource : OpBase<AllocateResource> {
  static constexpr const char* kName = "allocate_resource";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 3;
  int parent = -1;
  uint64_t size = 0, min = 0, max = kMaxAddress, align = 1;
  AlignFn alignf = AlignFn::kNone;
  uint64_t flags = 0;
  uint32_t desc = 0;
  std::string name;
  static constexpr auto Fields() {
    using T = AllocateResource;
    return std::make_tuple(
        F("parent", &T::parent, FieldKind::kParent),
        F("size", &T::size, FieldKind::kHex),
        F("min", &T::min, FieldKind::kHex, kOptional),
        F("max", &T::max, FieldKind::kHex, kOptional),
        F("align", &T::align, FieldKind::kHex),
        F("alignf", &T::alignf, FieldKind::kAlignf, kOptional),
        F("flags", &T::flags, FieldKind::kFlags),
        F("desc", &T::desc, FieldKind::kDec, kOptional),
        F("name", &T::name, FieldKind::kName));
  }
  ResourceSpec Spec() const { return {Range(0, 0), name, flags, desc}; }
  AllocConstraint Constraint() const {
    return MakeConstraint(min, max, align, alignf);
  }
  static AllocateResource Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.Allocate(r.At(parent), Spec(), size, Constraint()));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(
        r.m.AllocateResource(r.At(parent), Spec(), size, Constraint()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Allocate(r.At(parent), Spec(), size, Constraint()));
  }
  bool ToKernel(ka_op* k) const;
};

struct ReallocateResource : OpBase<ReallocateResource> {
  static constexpr const char* kName = "reallocate_resource";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 2;
  int target = -1;
  uint64_t size = 0, min = 0, max = kMaxAddress, align = 1;
  AlignFn alignf = AlignFn::kNone;
  static constexpr auto Fields() {
    using T = ReallocateResource;
    return std::make_tuple(
        F("target", &T::target, FieldKind::kTarget),
        F("size", &T::size, FieldKind::kHex),
        F("min", &T::min, FieldKind::kHex, kOptional),
        F("max", &T::max, FieldKind::kHex, kOptional),
        F("align", &T::align, FieldKind::kHex),
        F("alignf", &T::alignf, FieldKind::kAlignf, kOptional));
  }
  AllocConstraint Constraint() const {
    return MakeConstraint(min, max, align, alignf);
  }
  static ReallocateResource Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.Reallocate(r.At(target), size, Constraint()));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.ReallocateResource(r.At(target), size, Constraint()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Reallocate(r.At(target), size, Constraint()));
  }
  bool ToKernel(ka_op* k) const;
};

// __request_region().
struct RequestRegion : OpBase<RequestRegion> {
  static constexpr const char* kName = "request_region";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 5;
  int parent = -1;
  uint64_t start = 0, size = 0, flags = 0;
  std::string name;
  static constexpr auto Fields() {
    using T = RequestRegion;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("start", &T::start, FieldKind::kHex),
                           F("size", &T::size, FieldKind::kHex),
                           F("flags", &T::flags, FieldKind::kFlags),
                           F("name", &T::name, FieldKind::kName));
  }
  static RequestRegion Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.RequestRegion(r.At(parent), start, size, name, flags));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.RequestRegion(r.At(parent), start, size, name, flags));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.RequestRegion(r.At(parent), start, size, name, flags));
  }
  bool ToKernel(ka_op* k) const;
};

// __release_region().
struct ReleaseRegion : OpBase<ReleaseRegion> {
  static constexpr const char* kName = "release_region";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 2;
  int parent = -1;
  uint64_t start = 0, size = 0;
  static constexpr auto Fields() {
    using T = ReleaseRegion;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("start", &T::start, FieldKind::kHex),
                           F("size", &T::size, FieldKind::kHex));
  }
  static ReleaseRegion Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool) { return GenLookupRaw(top); }
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.ReleaseRegion(r.At(parent), start, size));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.ReleaseRegion(r.At(parent), start, size));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.ReleaseRegion(r.At(parent), start, size));
  }
  bool ToKernel(ka_op* k) const;
};

struct ReleaseMemRegionAdjustable : OpBase<ReleaseMemRegionAdjustable> {
  static constexpr const char* kName = "release_mem_region_adjustable";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 3;
  uint64_t start = 0, size = 0;
  static constexpr auto Fields() {
    using T = ReleaseMemRegionAdjustable;
    return std::make_tuple(F("start", &T::start, FieldKind::kHex),
                           F("size", &T::size, FieldKind::kHex));
  }
  static ReleaseMemRegionAdjustable Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool) { return GenLookupRaw(top); }
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.ReleaseMemRegionAdjustable(start, size));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.ReleaseMemRegionAdjustable(start, size));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.ReleaseMemRegionAdjustable(start, size));
  }
  bool ToKernel(ka_op* k) const;
};

struct MergeSystemRamResource : OpBase<MergeSystemRamResource> {
  static constexpr const char* kName = "merge_system_ram_resource";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 2;
  int target = -1;
  static constexpr auto Fields() {
    return std::make_tuple(
        F("target", &MergeSystemRamResource::target, FieldKind::kTarget));
  }
  static MergeSystemRamResource Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.MergeSystemRam(r.At(target)));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.MergeSystemRamResource(r.At(target)));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.MergeSystemRam(r.At(target)));
  }
  bool ToKernel(ka_op* k) const;
};

struct RegionIntersects : OpBase<RegionIntersects> {
  static constexpr const char* kName = "region_intersects";
  static constexpr bool kKernel = true;
  static constexpr bool kQuery = true;
  static constexpr int kWeight = 3;
  uint64_t start = 0, size = 0, flags = 0;
  uint32_t desc = 0;
  static constexpr auto Fields() {
    using T = RegionIntersects;
    return std::make_tuple(F("start", &T::start, FieldKind::kHex),
                           F("size", &T::size, FieldKind::kHex),
                           F("flags", &T::flags, FieldKind::kFlags),
                           F("desc", &T::desc, FieldKind::kDec, kOptional));
  }
  static RegionIntersects Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool) { return GenLookupRaw(top); }
  OpResult Run(TreeRun& r) const {
    OpResult o;
    o.intersects = r.t.RegionIntersects(start, size, flags, desc);
    return o;
  }
  OpResult Run(ModelRun& r) const {
    OpResult o;
    o.intersects = r.m.RegionIntersects(start, size, flags, desc);
    return o;
  }
  OpResult Run(RedesignRun& r) const {
    OpResult o;
    o.intersects = r.m.kernel().RegionIntersects(start, size, flags, desc);
    return o;
  }
  bool ToKernel(ka_op* k) const;
};

struct WalkIomemResDesc : OpBase<WalkIomemResDesc> {
  static constexpr const char* kName = "walk_iomem_res_desc";
  static constexpr bool kKernel = true;
  static constexpr bool kQuery = true;
  static constexpr int kWeight = 3;
  uint64_t start = 0, end = 0, flags = 0;
  uint32_t desc = 0;
  static constexpr auto Fields() {
    using T = WalkIomemResDesc;
    return std::make_tuple(F("start", &T::start, FieldKind::kHex),
                           F("end", &T::end, FieldKind::kHex),
                           F("flags", &T::flags, FieldKind::kFlags),
                           F("desc", &T::desc, FieldKind::kDec, kOptional));
  }
  static WalkIomemResDesc Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool) { return GenLookupRaw(top); }
  OpResult Run(TreeRun& r) const;
  OpResult Run(ModelRun& r) const { return RunOn(r, r.m); }
  OpResult Run(RedesignRun& r) const { return RunOn(r, r.m.kernel()); }
  bool ToKernel(ka_op* k) const;

 private:
  template <typename R>
  OpResult RunOn(const R& r, const model::KernelModel& m) const;
};

struct AllocFreeMemRegion : OpBase<AllocFreeMemRegion> {
  static constexpr const char* kName = "alloc_free_mem_region";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 2;
  int parent = -1;
  uint64_t size = 0, align = 1;
  std::string name;
  static constexpr auto Fields() {
    using T = AllocFreeMemRegion;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("size", &T::size, FieldKind::kHex),
                           F("align", &T::align, FieldKind::kHex),
                           F("name", &T::name, FieldKind::kName));
  }
  static AllocFreeMemRegion Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.AllocFreeMemRegion(r.At(parent), size, align, name));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.GetFreeMemRegion(r.At(parent), size, align, name,
                                      iores_desc::kNone, /*descending=*/false,
                                      /*request_region=*/false));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.AllocFreeMemRegion(r.At(parent), size, align, name));
  }
  bool ToKernel(ka_op* k) const;
};

struct RequestFreeMemRegion : OpBase<RequestFreeMemRegion> {
  static constexpr const char* kName = "request_free_mem_region";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 2;
  int parent = -1;
  uint64_t size = 0;
  std::string name;
  static constexpr auto Fields() {
    using T = RequestFreeMemRegion;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("size", &T::size, FieldKind::kHex),
                           F("name", &T::name, FieldKind::kName));
  }
  static RequestFreeMemRegion Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.RequestFreeMemRegion(r.At(parent), size, name));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.GetFreeMemRegion(
        r.At(parent), size, r.m.profile().gfr_default_align, name,
        iores_desc::kDevicePrivateMemory, /*descending=*/true,
        /*request_region=*/true));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.RequestFreeMemRegion(r.At(parent), size, name));
  }
  bool ToKernel(ka_op* k) const;
};

struct LookupResource : OpBase<LookupResource> {
  static constexpr const char* kName = "lookup_resource";
  static constexpr bool kKernel = true;
  static constexpr bool kQuery = true;
  static constexpr int kWeight = 1;
  int parent = -1;
  uint64_t start = 0;
  static constexpr auto Fields() {
    using T = LookupResource;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("start", &T::start, FieldKind::kHex));
  }
  static LookupResource Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool) { return GenLookupRaw(top); }
  OpResult Run(TreeRun& r) const {
    return r.Out(absl::OkStatus(), r.t.LookupResource(r.At(parent), start));
  }
  OpResult Run(ModelRun& r) const {
    model::Result res;
    res.node = r.m.LookupResource(r.At(parent), start);
    return r.Out(res);
  }
  OpResult Run(RedesignRun& r) const {
    model::Result res;
    res.node = r.m.kernel().LookupResource(r.At(parent), start);
    return r.Out(res);
  }
  bool ToKernel(ka_op* k) const;
};

// Setting a node's flags (what kmem does to its region).
struct SetFlags : OpBase<SetFlags> {
  static constexpr const char* kName = "set_flags";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 1;
  int target = -1;
  uint64_t flags = 0;
  static constexpr auto Fields() {
    using T = SetFlags;
    return std::make_tuple(F("target", &T::target, FieldKind::kTarget),
                           F("flags", &T::flags, FieldKind::kFlags));
  }
  static SetFlags Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.SetFlags(r.At(target), flags));
  }
  OpResult Run(ModelRun& r) const {
    model::Result res = r.m.SetFlags(r.At(target), flags);
    res.node = nullptr;
    return r.Out(res);
  }
  OpResult Run(RedesignRun& r) const {
    model::Result res = r.m.SetFlags(r.At(target), flags);
    res.node = nullptr;
    return r.Out(res);
  }
  bool ToKernel(ka_op* k) const;
};

// ResourceTree::InsertOver(). With nothing splittable (`splittable` empty,
// the default, not printed) it is insert_resource() exactly, which the
// kernel side (KernelModel, the real resource.c) runs; with names to split
// the kernel has no equivalent.
struct InsertOver : OpBase<InsertOver> {
  static constexpr const char* kName = "insert_over";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 3;
  int parent = -1;
  uint64_t start = 0, end = 0, flags = 0;
  uint32_t desc = 0;
  std::string name;
  std::vector<std::string> splittable;
  static constexpr auto Fields() {
    using T = InsertOver;
    return std::make_tuple(F("parent", &T::parent, FieldKind::kParent),
                           F("start", &T::start, FieldKind::kHex),
                           F("end", &T::end, FieldKind::kHex),
                           F("flags", &T::flags, FieldKind::kFlags),
                           F("desc", &T::desc, FieldKind::kDec, kOptional),
                           F("name", &T::name, FieldKind::kName),
                           F("splittable", &T::splittable, FieldKind::kNames,
                             kOptional | kOmitDefault));
  }
  bool InKernel() const { return splittable.empty(); }
  ResourceSpec Spec() const { return {Range(start, end), name, flags, desc}; }
  static InsertOver Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    SplitPolicy p;
    p.splittable = splittable;
    return r.Out(r.t.InsertOver(r.At(parent), Spec(), p));
  }
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.InsertResource(r.At(parent), Spec()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.InsertOver(r.At(parent), Spec(), splittable));
  }
  bool ToKernel(ka_op* k) const;
};

// ResourceTree::Grow() to [start, start + size - 1]. Without
// grow_ancestors the kernel side runs adjust_resource(), and the kernel
// harnesses compare it with RunAsKernel(): Grow() where it succeeds without
// adopting a sibling (there it is adjust_resource() to a range containing
// the old one); elsewhere Grow() is rolled back (which exercises the undo
// journal) and Adjust() answers as the kernel would. With grow_ancestors
// the kernel has no equivalent.
struct Grow : OpBase<Grow> {
  static constexpr const char* kName = "grow";
  static constexpr bool kKernel = true;
  static constexpr int kWeight = 3;
  int target = -1;
  uint64_t start = 0, size = 0;
  bool grow_ancestors = false;
  static constexpr auto Fields() {
    using T = Grow;
    return std::make_tuple(F("target", &T::target, FieldKind::kTarget),
                           F("start", &T::start, FieldKind::kHex),
                           F("size", &T::size, FieldKind::kHex),
                           F("grow_ancestors", &T::grow_ancestors,
                             FieldKind::kBool, kOptional | kOmitDefault));
  }
  bool InKernel() const { return !grow_ancestors; }
  Range NewRange() const { return Range::FromStartSizeWrapping(start, size); }
  static Grow Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    GrowPolicy p;
    p.grow_ancestors = grow_ancestors;
    return r.Out(r.t.Grow(r.At(target), NewRange(), p));
  }
  OpResult RunAsKernel(TreeRun& r) const;
  OpResult Run(ModelRun& r) const {
    return r.Out(r.m.AdjustResource(r.At(target), start, size));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Grow(r.At(target), NewRange(), grow_ancestors));
  }
  bool ToKernel(ka_op* k) const;
};

// ---- Redesign operations the kernel does not have.

struct Reparent : OpBase<Reparent> {
  static constexpr const char* kName = "reparent";
  static constexpr int kWeight = 4;
  int target = -1;
  int new_parent = -1;
  static constexpr auto Fields() {
    using T = Reparent;
    return std::make_tuple(F("target", &T::target, FieldKind::kTarget),
                           F("new_parent", &T::new_parent, FieldKind::kParent));
  }
  static Reparent Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.Reparent(r.At(target), r.At(new_parent)));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Reparent(r.At(target), r.At(new_parent)));
  }
};

// ResourceTree::Shrink() to [start, start + size - 1].
struct Shrink : OpBase<Shrink> {
  static constexpr const char* kName = "shrink";
  static constexpr int kWeight = 2;
  int target = -1;
  uint64_t start = 0, size = 0;
  static constexpr auto Fields() {
    using T = Shrink;
    return std::make_tuple(F("target", &T::target, FieldKind::kTarget),
                           F("start", &T::start, FieldKind::kHex),
                           F("size", &T::size, FieldKind::kHex));
  }
  Range NewRange() const { return Range::FromStartSizeWrapping(start, size); }
  static Shrink Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.Shrink(r.At(target), NewRange()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.Shrink(r.At(target), NewRange()));
  }
};

struct ReserveChunks : OpBase<ReserveChunks> {
  static constexpr const char* kName = "reserve_chunks";
  static constexpr int kWeight = 4;
  int window = -1;
  uint64_t chunk_size = 0;
  uint32_t ways = 1;
  uint64_t memory_block_size = 0;
  uint64_t max_new_chunks = 64;
  static constexpr auto Fields() {
    using T = ReserveChunks;
    return std::make_tuple(
        F("window", &T::window, FieldKind::kTarget),
        F("chunk_size", &T::chunk_size, FieldKind::kHex),
        F("ways", &T::ways, FieldKind::kDec),
        F("memory_block_size", &T::memory_block_size, FieldKind::kHex),
        F("max_new_chunks", &T::max_new_chunks, FieldKind::kDec));
  }
  ChunkGeometry Geometry() const {
    ChunkGeometry g;
    g.chunk_size = chunk_size;
    g.ways = ways;
    g.memory_block_size = memory_block_size;
    g.max_new_chunks = max_new_chunks;
    return g;
  }
  static ReserveChunks Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.ReserveChunks(r.At(window), Geometry()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.ReserveChunks(r.At(window), Geometry()));
  }
};

struct ClaimChunks : OpBase<ClaimChunks> {
  static constexpr const char* kName = "claim_chunks";
  static constexpr int kWeight = 4;
  int window = -1;
  uint64_t start = 0, end = 0, flags = 0;
  uint32_t desc = iores_desc::kCxl;
  std::string name;
  static constexpr auto Fields() {
    using T = ClaimChunks;
    return std::make_tuple(F("window", &T::window, FieldKind::kTarget),
                           F("start", &T::start, FieldKind::kHex),
                           F("end", &T::end, FieldKind::kHex),
                           F("flags", &T::flags, FieldKind::kFlags),
                           F("desc", &T::desc, FieldKind::kDec, kOptional),
                           F("name", &T::name, FieldKind::kName));
  }
  ResourceSpec Spec() const { return {Range(start, end), name, flags, desc}; }
  static ClaimChunks Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.ClaimChunks(r.At(window), Spec()));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.ClaimChunks(r.At(window), Spec()));
  }
};

struct ReturnToChunks : OpBase<ReturnToChunks> {
  static constexpr const char* kName = "return_to_chunks";
  static constexpr int kWeight = 3;
  // Make() keeps generated ops from making more chunks than this in one
  // call (ReturnToChunks() has no bound of its own): it aims them at the
  // root instead, an error path.
  static constexpr uint64_t kMaxGeneratedChunks = 1024;
  int target = -1;
  static constexpr auto Fields() {
    return std::make_tuple(
        F("target", &ReturnToChunks::target, FieldKind::kTarget));
  }
  static ReturnToChunks Make(const Raw& raw, const View& v);
  static rc::Gen<Raw> Gen(uint64_t top, bool kernel_only);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.ReturnToChunks(r.At(target)));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.ReturnToChunks(r.At(target)));
  }
};

struct ReleaseUnusedChunks : OpBase<ReleaseUnusedChunks> {
  static constexpr const char* kName = "release_unused_chunks";
  static constexpr int kWeight = 2;
  int window = -1;
  bool shrink = false;
  static constexpr auto Fields() {
    using T = ReleaseUnusedChunks;
    return std::make_tuple(F("window", &T::window, FieldKind::kTarget),
                           F("shrink", &T::shrink, FieldKind::kBool));
  }
  static ReleaseUnusedChunks Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    return r.Out(r.t.ReleaseUnusedChunks(r.At(window), shrink));
  }
  OpResult Run(RedesignRun& r) const {
    return r.Out(r.m.ReleaseUnusedChunks(r.At(window), shrink));
  }
};

// The chunk allocation fence on or off.
struct SetChunkFence : OpBase<SetChunkFence> {
  static constexpr const char* kName = "set_chunk_fence";
  static constexpr int kWeight = 2;
  bool on = true;
  static constexpr auto Fields() {
    return std::make_tuple(F("on", &SetChunkFence::on, FieldKind::kBool));
  }
  static SetChunkFence Make(const Raw& raw, const View& v);
  OpResult Run(TreeRun& r) const {
    r.t.set_chunk_fence(on);
    return OpResult();
  }
  OpResult Run(RedesignRun& r) const {
    r.m.set_chunk_fence(on);
    return OpResult();
  }
};

// Every operation. The first kNumKernelKinds alternatives are those the
// kernel harnesses generate (in the order fuzzer bytes name them: keep it).
using Op =
    std::variant<RequestResource, InsertResource, InsertResourceExpandToFit,
                 RemoveResource, ReleaseResource, ReleaseChildResources,
                 AdjustResource, AllocateResource, ReallocateResource,
                 RequestRegion, ReleaseRegion, ReleaseMemRegionAdjustable,
                 MergeSystemRamResource, RegionIntersects, WalkIomemResDesc,
                 AllocFreeMemRegion, RequestFreeMemRegion, LookupResource,
                 SetFlags, InsertOver, Grow,
                 // not in the kernel:
                 Reparent, Shrink, ReserveChunks, ClaimChunks, ReturnToChunks,
                 ReleaseUnusedChunks, SetChunkFence>;
inline constexpr int kNumKinds = static_cast<int>(std::variant_size_v<Op>);
inline constexpr int kNumKernelKinds = 21;

// The index of T in Op.
template <typename T, size_t I = 0>
constexpr int KindOf() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Op>, T>) {
    return static_cast<int>(I);
  } else {
    return KindOf<T, I + 1>();
  }
}

// ---------------------------------------------------------------------------
// The vocabulary's API.

absl::string_view Name(const Op& op);
// The trace line; `root` is the root's label ("iomem" or "ioport").
std::string ToString(const Op& op, absl::string_view root = "iomem");
// Parses a trace line (with or without a leading "> "). Errors name the
// column and the problem.
[[nodiscard]] absl::StatusOr<Op> ParseOp(absl::string_view line);
// Every node reference in `op`, in field order.
std::vector<int> Refs(const Op& op);
// Whether `op` is a query (never changes the tree).
bool IsQuery(const Op& op);
// Whether the kernel has `op` (KernelModel and the real kernel can run it).
bool InKernel(const Op& op);

// Runs `op` on each implementation. Apply(KernelModel) is nullopt for an op
// the kernel does not have; ApplyAsKernel(ResourceTree) is what the kernel
// harnesses compare with KernelModel and the kernel (RunAsKernel()).
OpResult Apply(ResourceTree& tree, const Op& op);
OpResult ApplyAsKernel(ResourceTree& tree, const Op& op);
std::optional<OpResult> Apply(model::KernelModel& model, const Op& op);
OpResult Apply(model::RedesignModel& model, const Op& op);
// The C adapter's call for `op`; false if the kernel does not have it.
bool ToKernel(const Op& op, ka_op* k);
// The C adapter's call for `op` on the kernel plus a redesign
// implementation (tests/kernel_shim/resource_redesign.h): the kernel's
// functions as ToKernel(), and every redesign operation as its own KA_
// kind (InsertOver and Grow too, whatever their arguments), except
// SetChunkFence, which the C interface does not have (false). `names`
// holds what k->split_names points to; `op` and `names` must outlive `k`.
bool ToRedesignKernel(const Op& op, ka_op* k, std::vector<const char*>* names);

// Which operations a generator or decoder picks from.
enum class OpSet {
  kKernel,  // the first kNumKernelKinds, kernel-equivalent arguments only
  kAll,     // every operation
};

// An operation before it meets a tree: its kind (index in Op) and choices.
struct RawOp {
  int kind = 0;
  Raw raw;
};
// The operation for `tree` (references folded into it, ranges placed).
Op Make(const RawOp& raw, const ResourceTree& tree);
// RapidCheck's printer for a RawOp in a counterexample (found by argument-
// dependent lookup): its kind and what it is on an empty /proc/iomem tree.
void showValue(const RawOp& op, std::ostream& os);
// RapidCheck: a kind by the structs' kWeight, then its Gen().
rc::Gen<RawOp> GenRawOp(uint64_t top, OpSet set);
// The same restricted to `kinds` (indexes in Op).
rc::Gen<RawOp> GenRawOp(uint64_t top, const std::vector<int>& kinds);
// Fuzzer bytes: a kind, then the shared fields (addresses on the grid or
// near `top`, sizes small, wrapping or huge, flags from real combinations
// or raw); for OpSet::kAll also a placement and the op-specific choices.
// OpSet::kAll (here and in GenRawOp) never sets restree's chunk flag
// (iores::kRestreeChunk): chunks come from ReserveChunks. A node that raw
// flags mark as a chunk is a case the redesign does not specify yet (see
// RedesignScenarioTest.DISABLED_FreeRegionBelowAFlagMarkedChunk).
// The kernel set decodes exactly as it always has, so that committed
// corpora keep their meaning.
RawOp DecodeRawOp(FuzzedDataProvider& in, uint64_t top, OpSet set);

}  // namespace ops
}  // namespace restree

#endif  // RESTREE_TESTS_TREE_OPS_H_
