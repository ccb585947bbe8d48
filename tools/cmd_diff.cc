// `restree diff A B`: a structural diff of two /proc/iomem dumps.

#include <cstdlib>
#include <string>

#include "iomem_parser/diff.h"
#include "iomem_parser/report.h"
#include "tools/cli.h"
#include "tools/iomem_input.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree diff OLD NEW [options]\n"
    "\n"
    "Compares two /proc/iomem dumps structurally: resources added, removed,\n"
    "resized, renamed and moved under another parent (e.g. System RAM under a\n"
    "new CXL Window), after a summary of System RAM, CXL windows, regions,\n"
    "dax and kmem. Either file may be - (standard input).\n"
    "\n"
    "  --json, -j       JSON (schema restree.diff/1, docs/json.md)\n"
    "  --color WHEN     always, never, or auto (default: on a terminal, "
    "unless\n"
    "                   NO_COLOR is set)\n"
    "  --lenient, --ioports, --max-depth N   as for restree show\n"
    "\n"
    "Exit status: 0 same, 1 different, 2 usage error or unreadable input\n"
    "(like diff(1)).\n";

int RunDiff(cli::Context& ctx) {
  cli::OptionParser opts("diff");
  opts.Flag("json").Value("color");
  cli::AddDumpOptions(opts);
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) return cli::Fail(ctx, s);
  if (opts.positional().size() != 2) {
    return cli::Fail(ctx, opts.Error("needs two files: OLD NEW"));
  }
  const std::string when = opts.Get("color", "auto");
  if (when != "auto" && when != "always" && when != "never") {
    return cli::Fail(ctx, opts.Error("--color must be auto, always or never"));
  }
  const bool color =
      when == "always" || (when == "auto" && ctx.out_is_terminal &&
                           std::getenv("NO_COLOR") == nullptr);
  const std::string& a_path = opts.positional()[0];
  const std::string& b_path = opts.positional()[1];
  if (a_path == "-" && b_path == "-") {
    return cli::Fail(ctx, opts.Error("only one file can be standard input"));
  }
  absl::StatusOr<ParsedIomem> a = cli::LoadDump(a_path, opts, *ctx.err);
  if (!a.ok()) return cli::Fail(ctx, a.status());
  absl::StatusOr<ParsedIomem> b = cli::LoadDump(b_path, opts, *ctx.err);
  if (!b.ok()) return cli::Fail(ctx, b.status());
  DiffOptions o;
  o.zeroed = a->zeroed || b->zeroed;
  const IomemDiff d = DiffTrees(a->tree, b->tree, o);
  const DiffSide old_side{&*a, cli::SourceName(a_path)};
  const DiffSide new_side{&*b, cli::SourceName(b_path)};
  if (opts.Has("json")) {
    *ctx.out << RenderDiffJson(d, old_side, new_side);
  } else {
    *ctx.out << RenderDiff(d, old_side, new_side, color);
  }
  return d.empty() ? cli::kExitOk : cli::kExitNegative;
}

RESTREE_REGISTER_COMMAND(diff, cli::Command{"diff",
                                            "structural diff of two "
                                            "/proc/iomem dumps",
                                            kHelp, RunDiff});

}  // namespace
}  // namespace restree
