#include "hotplug/apply.h"

#include <map>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "hotplug/format.h"
#include "resource_tree/kernel_status.h"
#include "resource_tree/resource_tree.h"

namespace restree {
namespace hotplug {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

absl::Status Errno(int e, absl::string_view message,
                   ResourceId conflict = ResourceId()) {
  return MakeKernelStatus(KernelOutcome::kError, e, conflict, message);
}

std::string RefText(const ResourceRef& r) {
  return r.range ? absl::StrCat(r.name, "@", r.range->ToString()) : r.name;
}

// The node `ref` names in `t`: the one named `ref.name` (and with range
// `ref.range`, if given). Several on one range nested in each other (a
// same-name chain) resolve to the outermost; otherwise several are EINVAL.
// None: ENOENT.
absl::StatusOr<ResourceId> Resolve(const ResourceTree& t,
                                   const ResourceRef& ref) {
  return Machine::Lookup(t, ref.name, ref.range);
}

Machine::RegionMode ToMachine(RegionMode m) {
  switch (m) {
    case RegionMode::kRam:
      return Machine::RegionMode::kRam;
    case RegionMode::kDc:
      return Machine::RegionMode::kDc;
    case RegionMode::kPmem:
      break;
  }
  return Machine::RegionMode::kPmem;
}
Machine::Zone ToMachine(Zone z) {
  return z == Zone::kNormal ? Machine::Zone::kNormal : Machine::Zone::kMovable;
}
Machine::NamespaceMode ToMachine(NamespaceMode m) {
  switch (m) {
    case NamespaceMode::kRaw:
      return Machine::NamespaceMode::kRaw;
    case NamespaceMode::kFsdax:
      return Machine::NamespaceMode::kFsdax;
    case NamespaceMode::kDevdax:
      break;
  }
  return Machine::NamespaceMode::kDevdax;
}

std::string DaxName(const DaxRef& d) {
  return absl::StrCat("dax", d.region, ".", d.id);
}

// Runs the events of one script on a machine and the script's other roots.
class Runner {
 public:
  explicit Runner(Machine& machine) : machine_(machine) {}

  // What the event did (a short note) or its failure.
  absl::StatusOr<std::string> Run(const EventBody& body);
  // For asserts: empty if it holds, else what was found instead.
  absl::StatusOr<std::string> Check(const Assert& a);

  Machine& machine() { return machine_; }

 private:
  // The tree `root` names: iomem (the machine's), ioport, or a declared one.
  absl::StatusOr<const ResourceTree*> Tree(const std::string& root) const;
  // Runs `fn` on the tree `root` names, atomically.
  absl::Status Mutate(const std::string& root,
                      absl::FunctionRef<absl::Status(ResourceTree&)> fn);
  absl::StatusOr<ResourceId> Parent(const ResourceTree& t,
                                    const std::optional<ResourceRef>& p);

  Machine& machine_;
  ResourceTree ioport_ = ResourceTree::Ioport();
  std::map<std::string, ResourceTree> roots_;
};

absl::StatusOr<const ResourceTree*> Runner::Tree(
    const std::string& root) const {
  if (root == kIomemRoot) return &machine_.tree();
  if (root == kIoportRoot) return &ioport_;
  auto it = roots_.find(root);
  if (it != roots_.end()) return &it->second;
  // A root of the machine's own ("CXL mem", "Soft Reserved", ...).
  if (const ResourceTree* t = machine_.PrivateRoot(root); t != nullptr) {
    return t;
  }
  return Errno(kerrno::kENOENT, absl::StrCat("no root \"", root, "\" (",
                                             machine_.profile().name, ")"));
}

absl::Status Runner::Mutate(const std::string& root,
                            absl::FunctionRef<absl::Status(ResourceTree&)> fn) {
  if (root == kIomemRoot) return machine_.RawIomem(fn);
  ResourceTree* t = nullptr;
  if (root == kIoportRoot) {
    t = &ioport_;
  } else {
    auto it = roots_.find(root);
    if (it == roots_.end()) return machine_.RawPrivate(root, fn);
    t = &it->second;
  }
  ResourceTree::Transaction tx(t);
  RESTREE_RETURN_IF_ERROR(fn(*t));
  tx.Commit();
  return absl::OkStatus();
}

absl::StatusOr<ResourceId> Runner::Parent(const ResourceTree& t,
                                          const std::optional<ResourceRef>& p) {
  if (!p) return t.root();
  return Resolve(t, *p);
}

absl::StatusOr<std::string> Runner::Run(const EventBody& body) {
  Machine& m = machine_;
  auto done = [](absl::Status s,
                 std::string note = "") -> absl::StatusOr<std::string> {
    if (!s.ok()) return s;
    return note;
  };
  return std::visit(
      Overloaded{
          [&](const ConfigEvent&) -> absl::StatusOr<std::string> {
            return std::string();  // handled before the run
          },
          [&](const RootAdd& e) -> absl::StatusOr<std::string> {
            if (e.name == kIomemRoot || e.name == kIoportRoot ||
                roots_.count(e.name) != 0) {
              return Errno(kerrno::kEEXIST,
                           absl::StrCat("root \"", e.name, "\" exists"));
            }
            roots_.emplace(e.name,
                           ResourceTree(ResourceSpec{e.range, e.name, e.flags,
                                                     iores_desc::kNone},
                                        m.profile()));
            return std::string();
          },
          [&](const WindowAdd& e) {
            return done(
                m.AddWindow(e.index, e.base, e.size, e.ways, e.granularity),
                absl::StrCat("CXL Window ", e.index));
          },
          [&](const WindowExpand& e) {
            return done(m.ExpandWindow(e.index, e.to, e.grow_ancestors));
          },
          [&](const SoftresAdd& e) {
            return done(m.AddSoftReserved(e.range).status());
          },
          [&](const RegionCreate& e) -> absl::StatusOr<std::string> {
            RESTREE_ASSIGN_OR_RETURN(
                const uint32_t k,
                m.CreateRegion(e.window, e.size, ToMachine(e.mode), e.ways,
                               e.granularity));
            return Machine::RegionName(k);
          },
          [&](const RegionDestroy& e) {
            return done(m.DestroyRegion(e.region));
          },
          [&](const RegionAssemble& e) -> absl::StatusOr<std::string> {
            RESTREE_ASSIGN_OR_RETURN(
                const uint32_t k,
                m.AssembleRegion(e.window, e.range, ToMachine(e.mode),
                                 e.failed));
            std::string note = Machine::RegionName(k);
            const Machine::Region& r = m.regions().at(k);
            if (r.dax) absl::StrAppend(&note, ", ", *r.dax);
            return note;
          },
          [&](const HmemProbe& e) -> absl::StatusOr<std::string> {
            RESTREE_ASSIGN_OR_RETURN(
                const std::vector<std::string> notes,
                m.HmemProbe(e.node ? static_cast<int>(*e.node) : 0));
            return absl::StrJoin(notes, "; ");
          },
          [&](const NamespaceCreate& e) -> absl::StatusOr<std::string> {
            if (e.size) {
              return Errno(kerrno::kEINVAL,
                           "namespace size= (part of a region) is not "
                           "modelled: a namespace covers its whole region");
            }
            return m.CreateNamespace(e.region, ToMachine(e.mode), e.align);
          },
          [&](const NamespaceDestroy& e) {
            return done(m.DestroyNamespace(
                absl::StrCat("namespace", e.ns.region, ".", e.ns.id)));
          },
          [&](const DaxCreate& e) { return m.CreateDax(e.region, e.size); },
          [&](const DaxDestroy& e) {
            return done(m.DestroyDax(DaxName(e.dax)));
          },
          [&](const ExtentAdd& e) -> absl::StatusOr<std::string> {
            std::vector<Range> offsets;
            for (const Extent& x : e.extents) {
              if (x.size == 0 || x.offset + (x.size - 1) < x.offset) {
                return Errno(kerrno::kEINVAL,
                             absl::StrFormat("extent %#x:%#x is empty or "
                                             "wraps around",
                                             x.offset, x.size));
              }
              offsets.emplace_back(x.offset, x.offset + (x.size - 1));
            }
            return done(m.AddExtents(e.region, e.tag, offsets),
                        absl::StrCat(offsets.size(), " extents"));
          },
          [&](const ExtentRelease& e) {
            return done(m.ReleaseExtents(e.region, e.tag));
          },
          [&](const KmemOnline& e) {
            std::optional<int> node;
            if (e.node) node = static_cast<int>(*e.node);
            return done(m.KmemOnline(
                DaxName(e.dax), node,
                e.zone ? ToMachine(*e.zone) : Machine::Zone::kMovable));
          },
          [&](const KmemOffline& e) {
            return done(m.KmemOffline(DaxName(e.dax)));
          },
          [&](const MemoryAdd& e) {
            return done(m.MemoryAdd(e.addr, e.size,
                                    e.node ? static_cast<int>(*e.node) : 0));
          },
          [&](const MemoryOnline& e) {
            return done(m.MemoryOnline(
                e.addr, e.size,
                e.zone ? ToMachine(*e.zone) : Machine::Zone::kMovable));
          },
          [&](const MemoryOffline& e) {
            return done(m.MemoryOffline(e.addr, e.size));
          },
          [&](const MemoryRemove& e) {
            return done(m.MemoryRemove(e.addr, e.size));
          },
          [&](const ChunksReserve& e) -> absl::StatusOr<std::string> {
            RESTREE_ASSIGN_OR_RETURN(const size_t n,
                                     m.ChunksReserve(e.window, e.size));
            return absl::StrCat(n, " chunks reserved");
          },
          [&](const ChunksReleaseUnused& e) -> absl::StatusOr<std::string> {
            RESTREE_ASSIGN_OR_RETURN(const size_t n,
                                     m.ChunksReleaseUnused(e.window, e.shrink));
            return absl::StrCat(n, " chunks released");
          },
          [&](const Reparent& e) -> absl::StatusOr<std::string> {
            if (e.root == kIomemRoot) {
              // The machine's rule: no reparenting under a busy node.
              const ResourceTree& t = m.tree();
              RESTREE_ASSIGN_OR_RETURN(const ResourceId a,
                                       Resolve(t, e.resource));
              RESTREE_ASSIGN_OR_RETURN(const ResourceId b,
                                       Resolve(t, e.new_parent));
              return done(m.Reparent(a, b));
            }
            return done(Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
              RESTREE_ASSIGN_OR_RETURN(const ResourceId a,
                                       Resolve(t, e.resource));
              RESTREE_ASSIGN_OR_RETURN(const ResourceId b,
                                       Resolve(t, e.new_parent));
              return t.Reparent(a, b);
            }));
          },
          [&](const ExpectError&) -> absl::StatusOr<std::string> {
            return std::string();  // handled by ApplyScript
          },
          [&](const Assert&) -> absl::StatusOr<std::string> {
            return std::string();  // handled by ApplyScript
          },
          [&](const InsertOp& e) {
            return done(Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
              RESTREE_ASSIGN_OR_RETURN(const ResourceId p, Parent(t, e.parent));
              return t.Insert(p, {e.range, e.name, e.flags, e.desc}).status();
            }));
          },
          [&](const RequestOp& e) {
            return done(Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
              RESTREE_ASSIGN_OR_RETURN(const ResourceId p, Parent(t, e.parent));
              return t.Request(p, {e.range, e.name, e.flags, e.desc}).status();
            }));
          },
          [&](const RequestRegionOp& e) {
            return done(Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
              RESTREE_ASSIGN_OR_RETURN(const ResourceId p, Parent(t, e.parent));
              return t.RequestRegion(p, e.start, e.size, e.name, e.flags)
                  .status();
            }));
          },
          [&](const ReleaseRegionOp& e) {
            return done(Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
              RESTREE_ASSIGN_OR_RETURN(const ResourceId p, Parent(t, e.parent));
              return t.ReleaseRegion(p, e.start, e.size);
            }));
          },
          [&](const RemoveOp& e) {
            return done(Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
              RESTREE_ASSIGN_OR_RETURN(const ResourceId r,
                                       Resolve(t, e.resource));
              return t.Remove(r);
            }));
          },
          [&](const ReleaseOp& e) {
            return done(Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
              RESTREE_ASSIGN_OR_RETURN(const ResourceId r,
                                       Resolve(t, e.resource));
              return t.Release(r);
            }));
          },
          [&](const AdjustOp& e) {
            return done(Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
              RESTREE_ASSIGN_OR_RETURN(const ResourceId r,
                                       Resolve(t, e.resource));
              return t.Adjust(r, e.start, e.size);
            }));
          },
          [&](const AllocateOp& e) -> absl::StatusOr<std::string> {
            std::string where;
            RESTREE_RETURN_IF_ERROR(
                Mutate(e.root, [&](ResourceTree& t) -> absl::Status {
                  RESTREE_ASSIGN_OR_RETURN(const ResourceId p,
                                           Parent(t, e.parent));
                  AllocConstraint c;
                  c.min = e.min;
                  c.max = e.max;
                  c.align = e.align;
                  RESTREE_ASSIGN_OR_RETURN(
                      const ResourceId id,
                      t.Allocate(p, {Range(), e.name, e.flags, e.desc}, e.size,
                                 c));
                  where = t.RangeOf(id).ToString();
                  return absl::OkStatus();
                }));
            return absl::StrCat("allocated ", where);
          },
          [&](const RegionIntersectsOp& e) -> absl::StatusOr<std::string> {
            return std::string(RegionIntersectionName(
                m.tree().RegionIntersects(e.start, e.size, e.flags, e.desc)));
          },
      },
      body);
}

absl::StatusOr<std::string> Runner::Check(const Assert& a) {
  RESTREE_ASSIGN_OR_RETURN(const ResourceTree* t, Tree(a.root));
  return std::visit(
      Overloaded{
          [&](const AssertParent& e) -> absl::StatusOr<std::string> {
            RESTREE_ASSIGN_OR_RETURN(const ResourceId r,
                                     Resolve(*t, e.resource));
            RESTREE_ASSIGN_OR_RETURN(const ResourceId p, Resolve(*t, e.parent));
            const ResourceId actual = t->ParentOf(r);
            if (actual == p) return std::string();
            return absl::StrCat(
                "the parent of ", RefText(e.resource), " is ",
                ResourceTree::DescribeRange(
                    t->RangeOf(actual), t->FlagsOf(actual), t->NameOf(actual)));
          },
          [&](const AssertRange& e) -> absl::StatusOr<std::string> {
            RESTREE_ASSIGN_OR_RETURN(const ResourceId r,
                                     Resolve(*t, e.resource));
            if (t->RangeOf(r) == e.range) return std::string();
            return absl::StrCat(RefText(e.resource), " is ",
                                t->RangeOf(r).ToString());
          },
          [&](const AssertName& e) -> absl::StatusOr<std::string> {
            const ResourceId r = t->Lookup(e.addr);
            if (t->NameOf(r) == e.name) return std::string();
            return absl::StrFormat("the deepest resource at %#x is \"%s\"",
                                   e.addr, t->NameOf(r));
          },
          [&](const AssertCount& e) -> absl::StatusOr<std::string> {
            uint64_t n = 0;
            t->ForEachPreorder([&](ResourceId id, int) {
              if (t->NameOf(id) == e.name) ++n;
            });
            if (n == e.count) return std::string();
            return absl::StrCat(n, " resources are named \"", e.name, "\"");
          },
          [&](const AssertAbsent& e) -> absl::StatusOr<std::string> {
            absl::StatusOr<ResourceId> r = Resolve(*t, e.resource);
            if (!r.ok() &&
                GetKernelError(r.status()).errno_value == kerrno::kENOENT) {
              return std::string();
            }
            return absl::StrCat(RefText(e.resource), " is present");
          },
      },
      a.what);
}

std::string Located(const Script& s, const SourceLocation& at,
                    absl::string_view message) {
  return absl::StrFormat("%s:%d:%d: %s",
                         s.file_name.empty() ? "<script>" : s.file_name,
                         at.line, at.column, message);
}

// Why cxl_acpi cannot publish a window after dax_hmem has probed, under this
// build configuration; empty when it can (docs/events.md, "Build
// configuration").
std::string LateCxlAcpiProblem(const MachineOptions& mo, BuildMode cxl,
                               BuildMode hmem) {
  using HmemModel = KernelProfile::HmemModel;
  if (cxl == BuildMode::kBuiltin) {
    return "with cxl=builtin cxl_acpi initializes before dax_hmem probes "
           "(write config cxl=modules for a cxl_acpi loaded later)";
  }
  if (mo.profile.hmem == HmemModel::k61) return "";
  if (hmem == BuildMode::kModule && mo.cxl_region) {
    return mo.profile.hmem == HmemModel::k71
               ? "dax_hmem's init loads cxl_acpi and cxl_pci first (write "
                 "config dax-hmem=builtin for a dax_hmem that probes before "
                 "the CXL modules load)"
               : "dax_hmem soft-depends on cxl_acpi (MODULE_SOFTDEP pre: "
                 "cxl_acpi), so cxl_acpi loads first (write config "
                 "dax-hmem=builtin for a dax_hmem that probes before it)";
  }
  return "";
}

}  // namespace

absl::string_view OutcomeName(EventResult::Outcome outcome) {
  switch (outcome) {
    case EventResult::Outcome::kOk:
      return "ok";
    case EventResult::Outcome::kFailedAsExpected:
      return "failed as expected";
    case EventResult::Outcome::kFailed:
      return "FAILED";
    case EventResult::Outcome::kAssertFailed:
      return "ASSERT FAILED";
  }
  return "?";
}

absl::StatusOr<ApplyRun> ApplyScript(const Script& script,
                                     const ApplyOptions& options) {
  MachineOptions mo;
  if (!options.profile.empty()) {
    std::optional<KernelProfile> p = KernelProfile::ByName(options.profile);
    if (!p) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown kernel profile \"", options.profile, "\""));
    }
    mo.profile = *p;
  }
  // `config` events come first: they describe the machine the rest runs on.
  // Debian builds cxl_acpi and dax_hmem as modules (CONFIG_CXL_ACPI=m,
  // CONFIG_DEV_DAX_HMEM=m in its 6.12 config).
  BuildMode cxl_build = BuildMode::kModule;
  BuildMode hmem_build = BuildMode::kModule;
  bool started = false;
  for (const Event& e : script.events) {
    const ConfigEvent* c = std::get_if<ConfigEvent>(&e.body);
    if (c == nullptr) {
      started = true;
      continue;
    }
    if (started) {
      return absl::InvalidArgumentError(
          Located(script, e.location,
                  "config must come before every other event (it describes the "
                  "machine they run on)"));
    }
    if (c->profile) {
      std::optional<KernelProfile> p = KernelProfile::ByName(*c->profile);
      if (!p) {
        return absl::InvalidArgumentError(Located(
            script, e.location,
            absl::StrCat("unknown kernel profile \"", *c->profile, "\"")));
      }
      mo.profile = *p;
    }
    if (c->cxl_region) mo.cxl_region = *c->cxl_region;
    if (c->hmem_sr_reinsert) mo.hmem_sr_reinsert = *c->hmem_sr_reinsert;
    if (c->dcd) mo.dcd = *c->dcd;
    if (c->memhp_default_state) {
      using A = MachineOptions::AutoOnline;
      static constexpr A kAuto[] = {A::kOffline, A::kOnline, A::kOnlineKernel,
                                    A::kOnlineMovable};
      mo.auto_online = kAuto[static_cast<int>(*c->memhp_default_state)];
    }
    if (c->cxl) cxl_build = *c->cxl;
    if (c->dax_hmem) hmem_build = *c->dax_hmem;
    if (c->block_size) {
      const uint64_t b = *c->block_size;
      if (b == 0 || (b & (b - 1)) != 0) {
        return absl::InvalidArgumentError(Located(
            script, e.location,
            "block-size must be a power of two (memory_block_size_bytes)"));
      }
      mo.block_size = b;
    }
  }
  // Load order: can cxl_acpi publish a window after dax_hmem probed?
  const std::string late_cxl = LateCxlAcpiProblem(mo, cxl_build, hmem_build);
  bool probed = false;
  for (const Event& e : script.events) {
    probed = probed || std::holds_alternative<HmemProbe>(e.body);
    if (probed && !late_cxl.empty() &&
        std::holds_alternative<WindowAdd>(e.body)) {
      return absl::InvalidArgumentError(
          Located(script, e.location,
                  absl::StrCat("'window add' after 'hmem probe': ", late_cxl)));
    }
  }
  absl::StatusOr<Machine> machine =
      options.base_dump.empty() ? absl::StatusOr<Machine>(Machine(mo))
                                : Machine::FromIomem(options.base_dump, mo);
  if (!machine.ok()) return machine.status();
  ApplyRun run{*std::move(machine), {}, true, ""};
  Runner runner(run.machine);
  run.tree_before = run.machine.Render();
  // The errno the previous `expect error` named; 0: none. (A plain int:
  // gcc -O2 reports a std::optional<int> here as maybe-uninitialized.)
  int expected = 0;
  for (const Event& e : script.events) {
    if (std::holds_alternative<ConfigEvent>(e.body)) continue;
    EventResult r;
    r.location = e.location;
    r.event = FormatEventBody(e.body);
    if (const ExpectError* x = std::get_if<ExpectError>(&e.body)) {
      expected = x->errno_value;
      r.message = absl::StrCat("the next event must fail with ",
                               ErrnoNameOf(x->errno_value));
      run.results.push_back(std::move(r));
      continue;
    }
    if (const Assert* a = std::get_if<Assert>(&e.body)) {
      absl::StatusOr<std::string> found = runner.Check(*a);
      if (!found.ok()) {
        r.outcome = EventResult::Outcome::kAssertFailed;
        r.message = std::string(found.status().message());
      } else if (!found->empty()) {
        r.outcome = EventResult::Outcome::kAssertFailed;
        r.message = *found;
      }
    } else {
      absl::StatusOr<std::string> note = runner.Run(e.body);
      const int err = note.ok() ? 0 : GetKernelError(note.status()).errno_value;
      r.errno_value = err;
      r.message = note.ok() ? *note : std::string(note.status().message());
      if (expected != 0) {
        if (!note.ok() && err == expected) {
          r.outcome = EventResult::Outcome::kFailedAsExpected;
        } else {
          r.outcome = EventResult::Outcome::kFailed;
          r.message =
              note.ok()
                  ? absl::StrCat("succeeded, but ", ErrnoNameOf(expected),
                                 " was expected")
                  : absl::StrCat("failed with ", ErrnoNameOf(err), ", not ",
                                 ErrnoNameOf(expected), ": ", r.message);
        }
        expected = 0;
      } else if (!note.ok()) {
        r.outcome = EventResult::Outcome::kFailed;
      }
      if (const RegionIntersectsOp* q =
              std::get_if<RegionIntersectsOp>(&e.body);
          q != nullptr && q->expect && note.ok() &&
          *note != RegionIntersectionName(*q->expect)) {
        r.outcome = EventResult::Outcome::kAssertFailed;
        r.message =
            absl::StrCat(*note, ", not ", RegionIntersectionName(*q->expect));
      }
    }
    if (options.trace) r.tree_after = run.machine.Render();
    if (options.after_event) r.annotation = options.after_event(run.machine);
    const bool stop = r.outcome == EventResult::Outcome::kFailed ||
                      r.outcome == EventResult::Outcome::kAssertFailed;
    run.results.push_back(std::move(r));
    if (stop) {
      run.ok = false;
      break;
    }
  }
  return run;
}

}  // namespace hotplug
}  // namespace restree
