// `restree check [FILE]`: the invariants of a /proc/iomem dump.

#include <string>

#include "iomem_parser/report.h"
#include "tools/cli.h"
#include "tools/iomem_input.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree check [FILE|-] [options]\n"
    "\n"
    "Checks a /proc/iomem dump against the resource tree's invariants: every\n"
    "line inside the one its indentation puts it under, siblings sorted and\n"
    "disjoint (each violation names both lines), and the memory-hotplug and\n"
    "CXL rules (driver-managed System RAM on memory-block boundaries, regions\n"
    "directly below their CXL window, 256 MiB aligned and sized).\n"
    "FILE defaults to /proc/iomem.\n"
    "\n"
    "  --block-size SIZE  memory block size for the alignment rule (default\n"
    "                     128M, the smallest Linux uses; 0 skips the rule)\n"
    "  --json             JSON (schema restree.check/1, docs/json.md)\n"
    "  --lenient, --ioports, --max-depth N   as for restree show\n"
    "\n"
    "Exit status: 0 every invariant holds, 1 problems found, 2 usage error,\n"
    "unreadable or unparsable input, or a dump without addresses.\n";

int RunCheck(cli::Context& ctx) {
  cli::OptionParser opts("check");
  opts.Flag("json").Value("block-size");
  cli::AddDumpOptions(opts);
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) return cli::Fail(ctx, s);
  if (opts.positional().size() > 1) {
    return cli::Fail(ctx, opts.Error("takes at most one file"));
  }
  absl::StatusOr<uint64_t> block = opts.GetU64("block-size", uint64_t{128} << 20);
  if (!block.ok()) return cli::Fail(ctx, block.status());
  const std::string path =
      opts.positional().empty() ? cli::kDefaultIomem : opts.positional()[0];
  absl::StatusOr<ParsedIomem> dump =
      cli::LoadDump(path, opts, *ctx.err, /*collect_structure_problems=*/true);
  if (!dump.ok()) return cli::Fail(ctx, dump.status());
  const std::string source = cli::SourceName(path);
  if (dump->zeroed) {
    *ctx.err << "restree check: " << source
             << ": every address is 0 (the dump was read without "
                "CAP_SYS_ADMIN), so nothing can be checked; read it as root\n";
    return cli::kExitError;
  }
  CheckOptions o;
  o.memory_block_size = *block;
  const std::vector<CheckFinding> findings = CheckDump(*dump, o);
  if (opts.Has("json")) {
    *ctx.out << RenderCheckJson(findings, *dump, source);
  } else {
    *ctx.out << RenderCheck(findings, *dump, source);
  }
  return findings.empty() ? cli::kExitOk : cli::kExitNegative;
}

RESTREE_REGISTER_COMMAND(check, cli::Command{"check",
                                             "check a /proc/iomem dump "
                                             "against the tree's invariants",
                                             kHelp, RunCheck});

}  // namespace
}  // namespace restree
