// `restree check [FILE]`: the invariants of a /proc/iomem dump and the
// driver chains of a kernel profile (resource_tree/domain_invariants.h).

#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json_writer.h"
#include "iomem_parser/parser.h"
#include "iomem_parser/streamed_check.h"
#include "resource_tree/domain_invariants.h"
#include "resource_tree/kernel_profile.h"
#include "tools/cli.h"
#include "tools/iomem_input.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree check [FILE|-] [options]\n"
    "\n"
    "Checks a /proc/iomem dump against the resource tree's invariants: every\n"
    "line inside the one its indentation puts it under, siblings sorted and\n"
    "disjoint (each violation names both lines); the memory-hotplug and CXL\n"
    "rules (driver-managed System RAM on memory-block boundaries, regions 256\n"
    "MiB aligned and sized); and the driver chains of a kernel: every CXL\n"
    "window, region, Persistent Memory, Soft Reserved, hmem, namespace, dax\n"
    "and System RAM (kmem) line sits under a parent that kernel's drivers put\n"
    "it under. Defects seen in the field are named: a CXL window that is not\n"
    "256M aligned and holds PCI buses (error); dax_hmem holding part of a\n"
    "CXL window beside a region, and kmem memory stranded under a window by a\n"
    "region teardown (warnings). FILE defaults to /proc/iomem.\n"
    "\n"
    "  --profile P        accept the driver chains of kernel P (a profile\n"
    "                     name as for restree apply: debian-6.1, linux-6.12,\n"
    "                     linux-7.0, ...; the chains differ between 6.1, 6.12\n"
    "                     and 7.x). Default: inferred, the chains with the\n"
    "                     fewest errors (then warnings), the oldest on a tie\n"
    "  --block-size SIZE  memory block size for the alignment rule (default\n"
    "                     128M, the smallest Linux uses; 0 skips the rule)\n"
    "  --json, -j         JSON (schema restree.check/1, docs/json.md)\n"
    "  --lenient, --ioports, --max-depth N   as for restree show\n"
    "\n"
    "Exit status: 0 no errors (warnings may be printed), 1 errors found, 2\n"
    "usage error, unreadable or unparsable input, or a dump without\n"
    "addresses.\n";

struct Finding {
  bool error = true;
  std::string kind;  // "structure", or an InvariantKindName()
  std::string rule;  // DomainFinding::rule, else the kind
  int line = 0;      // 0 when unknown
  int other_line = 0;
  std::string message;
};

struct ProfileRun {
  ChainProfiles profile = kChains61;
  std::vector<DomainFinding> findings;
  size_t errors = 0;
  size_t warnings = 0;
};

// The kernels whose driver chains check holds a dump to, oldest first.
const std::vector<ChainProfiles>& CheckedProfiles() {
  static const std::vector<ChainProfiles>* const kProfiles =
      new std::vector<ChainProfiles>{kChains61, kChains612, kChains7};
  return *kProfiles;
}

DomainRules RulesFor(uint64_t block_size) {
  DomainRules rules;
  rules.check_flags = false;  // a text dump has no flags
  rules.memory_block_size = block_size;
  return rules;
}

// Each profile's run from its findings (none: every profile fits).
std::vector<ProfileRun> Runs(std::vector<std::vector<DomainFinding>> findings) {
  const std::vector<ChainProfiles>& profiles = CheckedProfiles();
  std::vector<ProfileRun> runs(profiles.size());
  for (size_t k = 0; k < profiles.size(); ++k) {
    ProfileRun& run = runs[k];
    run.profile = profiles[k];
    if (k < findings.size()) run.findings = std::move(findings[k]);
    for (const DomainFinding& f : run.findings) {
      ++(f.severity == DomainFinding::Severity::kError ? run.errors
                                                       : run.warnings);
    }
  }
  return runs;
}

std::string Plural(size_t n, absl::string_view word) {
  return absl::StrCat(n, " ", word, n == 1 ? "" : "s");
}

// Prints check's report on `resources` resources: the structure problems
// of `dump` and its invariant `violations`, then the driver-chain findings
// of the chosen profile or the best fit among `runs`. `dump` is the parsed
// dump the findings' nodes are in, or null for a clean dump read without a
// tree (nothing to report).
int Report(cli::Context& ctx, const cli::OptionParser& opts,
           const std::string& source, size_t resources,
           std::optional<ChainProfiles> chosen,
           const std::vector<ProfileRun>& runs, const ParsedIomem* dump,
           const std::vector<InvariantViolation>& violations) {
  std::vector<std::string> fitting;
  const ProfileRun* best = nullptr;
  for (const ProfileRun& r : runs) {
    if (r.errors == 0) fitting.push_back(ChainProfilesName(r.profile));
    if (chosen.has_value()) {
      if (r.profile == *chosen) best = &r;
    } else if (best == nullptr || r.errors < best->errors ||
               (r.errors == best->errors && r.warnings < best->warnings)) {
      best = &r;
    }
  }
  auto line_at = [&](const std::vector<ResourceId>& nodes, size_t i) {
    return nodes.size() > i ? dump->LineOf(nodes[i]) : 0;
  };
  std::vector<Finding> findings;
  if (dump != nullptr) {
    for (const IomemStructureProblem& p : dump->structure_problems) {
      findings.push_back(
          {true, "structure", "structure", p.line, p.other_line, p.message});
    }
  }
  for (const InvariantViolation& v : violations) {
    const std::string kind(InvariantKindName(v.kind));
    findings.push_back({true, kind, kind, line_at(v.nodes, 0),
                        line_at(v.nodes, 1), v.message});
  }
  for (const DomainFinding& f : best->findings) {
    findings.push_back({f.severity == DomainFinding::Severity::kError,
                        std::string(InvariantKindName(f.kind)), f.rule,
                        line_at(f.nodes, 0), line_at(f.nodes, 1), f.message});
  }
  size_t errors = 0;
  for (const Finding& f : findings) errors += f.error ? 1 : 0;
  const size_t warnings = findings.size() - errors;
  const std::string profile = ChainProfilesName(best->profile);

  if (opts.Has("json")) {
    JsonWriter w;
    w.BeginObject();
    w.Key("schema").String("restree.check/1");
    w.Key("source").String(source);
    w.Key("ok").Bool(errors == 0);
    w.Key("resources").Uint(resources);
    w.Key("profile").String(profile);
    w.Key("profile_inferred").Bool(!chosen.has_value());
    w.Key("fitting_profiles").BeginArray();
    for (const std::string& p : fitting) w.String(p);
    w.EndArray();
    w.Key("errors").Uint(errors);
    w.Key("warnings").Uint(warnings);
    w.Key("findings").BeginArray();
    for (const Finding& f : findings) {
      w.BeginObject();
      w.Key("severity").String(f.error ? "error" : "warning");
      w.Key("kind").String(f.kind);
      w.Key("rule").String(f.rule);
      w.Key("line").Int(f.line);
      if (f.other_line != 0) {
        w.Key("other_line").Int(f.other_line);
      } else {
        w.Key("other_line").Null();
      }
      w.Key("message").String(f.message);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    *ctx.out << std::move(w).Finish();
  } else {
    std::string out;
    for (const Finding& f : findings) {
      // Structure messages already carry "file:line:col:".
      if (f.kind == "structure") {
        absl::StrAppend(&out, f.message, "\n");
        continue;
      }
      absl::StrAppend(&out, source, ":", f.line, ": ",
                      f.error ? "" : "warning: ", f.kind, ": ", f.message,
                      f.other_line != 0
                          ? absl::StrCat(" (see line ", f.other_line, ")")
                          : "",
                      "\n");
    }
    absl::StrAppend(&out, source, ": driver chains of ", profile,
                    chosen.has_value() ? "" : " (inferred)", "; ",
                    fitting.empty()
                        ? std::string("no profile fits")
                        : absl::StrCat("fits ", absl::StrJoin(fitting, ", ")),
                    "\n");
    if (findings.empty()) {
      absl::StrAppend(&out, source, ": ok: ", resources,
                      " resources; every invariant holds\n");
    } else if (errors == 0) {
      absl::StrAppend(&out, source, ": ok: ", resources,
                      " resources; no errors, ", Plural(warnings, "warning"),
                      "\n");
    } else {
      absl::StrAppend(&out, source, ": ", Plural(errors, "problem"),
                      warnings == 0 ? "" : ", ",
                      warnings == 0 ? "" : Plural(warnings, "warning"), "\n");
    }
    *ctx.out << out;
  }
  return errors == 0 ? cli::kExitOk : cli::kExitNegative;
}

int RunCheck(cli::Context& ctx) {
  cli::OptionParser opts("check");
  opts.Flag("json").Value("block-size").Value("profile");
  cli::AddDumpOptions(opts);
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) return cli::Fail(ctx, s);
  if (opts.positional().size() > 1) {
    return cli::Fail(ctx, opts.Error("takes at most one file"));
  }
  absl::StatusOr<uint64_t> block =
      opts.GetU64("block-size", uint64_t{128} << 20);
  if (!block.ok()) return cli::Fail(ctx, block.status());
  std::optional<ChainProfiles> chosen;
  if (opts.Has("profile")) {
    const std::string name = opts.Get("profile");
    std::optional<KernelProfile> p = KernelProfile::ByName(name);
    if (p.has_value()) chosen = ChainProfilesOf(*p);
    if (!chosen.has_value()) {
      std::vector<std::string> known;
      for (const KernelProfile& k : KernelProfile::All()) {
        if (ChainProfilesOf(k).has_value()) known.push_back(k.name);
      }
      return cli::Fail(ctx, opts.Error(absl::StrCat(
                                "unknown --profile \"", name, "\" (known: ",
                                absl::StrJoin(known, ", "), ")")));
    }
  }
  const std::string path =
      opts.positional().empty() ? cli::kDefaultIomem : opts.positional()[0];
  absl::StatusOr<IomemParseOptions> parse_options =
      cli::DumpParseOptions(path, opts, /*collect_structure_problems=*/true);
  if (!parse_options.ok()) return cli::Fail(ctx, parse_options.status());
  absl::StatusOr<cli::InputBytes> input = cli::MapInput(path);
  if (!input.ok()) return cli::Fail(ctx, input.status());
  const std::string source = cli::SourceName(path);
  const DomainRules rules = RulesFor(*block);

  // A dump in the kernel's exact format is a valid tree; when no driver
  // chain finds anything in it either, that is the whole report, found
  // without building the tree. Otherwise the tree is built for the
  // findings, their lines and the structural invariants.
  if (const std::optional<size_t> clean = CleanResourcesWithoutTree(
          input->view(), *parse_options, rules, CheckedProfiles())) {
    return Report(ctx, opts, source, *clean, chosen, Runs({}),
                  /*dump=*/nullptr, /*violations=*/{});
  }

  absl::StatusOr<ParsedIomem> dump =
      cli::ParseDump(*input, *parse_options, opts, *ctx.err);
  if (!dump.ok()) return cli::Fail(ctx, dump.status());
  if (dump->zeroed) {
    *ctx.err << "restree check: " << source
             << ": every address is 0 (the dump was read without "
                "CAP_SYS_ADMIN), so nothing can be checked; read it as root\n";
    return cli::kExitError;
  }

  // The driver chains of each profile (one walk), and the invariants on a
  // second thread: both walks only read the tree (its const methods may
  // run concurrently).
  std::vector<InvariantViolation> violations;
  std::thread second([&] { violations = dump->tree.CheckInvariants(); });
  std::vector<ProfileRun> runs =
      Runs(CheckDomainEach(dump->tree, rules, CheckedProfiles()));
  second.join();
  return Report(ctx, opts, source, dump->tree.size() - 1, chosen, runs, &*dump,
                violations);
}

RESTREE_REGISTER_COMMAND(check, cli::Command{"check",
                                             "check a /proc/iomem dump "
                                             "against the tree's invariants "
                                             "and the kernel's driver chains",
                                             kHelp, RunCheck});

}  // namespace
}  // namespace restree
