// `restree apply SCRIPT`: runs a hotplug event script (docs/events.md).

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/json_writer.h"
#include "base/status_macros.h"
#include "hotplug/apply.h"
#include "hotplug/parse.h"
#include "hotplug/tiers.h"
#include "iomem_parser/diff.h"
#include "iomem_parser/parser.h"
#include "iomem_parser/report.h"
#include "iomem_parser/show.h"
#include "map/html.h"
#include "map/layout.h"
#include "tools/cli.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree apply SCRIPT|- [options]\n"
    "\n"
    "Runs a hotplug event script (docs/events.md) the way the selected\n"
    "kernel's drivers would: CXL windows and regions, namespaces, device-DAX,\n"
    "kmem, ACPI/pc-dimm memory, chunked windows, reparenting, raw\n"
    "kernel/resource.c operations, expectations and asserts. Every event is\n"
    "atomic: a failing one changes nothing.\n"
    "\n"
    "Standard output is the final tree in /proc/iomem form (compare it with a\n"
    "real /proc/iomem byte for byte); standard error has one line per event\n"
    "(FILE:LINE: EVENT: result). The run stops at the first event that fails\n"
    "unexpectedly or assert that does not hold.\n"
    "\n"
    "  --base DUMP       start from this /proc/iomem dump (default: an empty\n"
    "                    iomem tree)\n"
    "  --profile P       kernel profile when the script has no `config\n"
    "                    profile=` (debian-6.1 by default; see restree show\n"
    "                    --help for the names)\n"
    "  --trace           after each event, the change to the tree (restree\n"
    "                    diff's format) on standard error\n"
    "  --tiers           after each event that changes the machine's NUMA\n"
    "                    nodes (kmem online node=N, memory add/online/\n"
    "                    offline/remove), the nodes, memory tiers, demotion\n"
    "                    targets and proposed promotion targets (restree\n"
    "                    numa's model, docs/tiering.md) on standard error\n"
    "  --perf FILE       with --tiers: node attribute text (performance,\n"
    "                    CPUs, sockets; docs/tiering.md) applied to the nodes\n"
    "  --render iomem|json  the final tree as /proc/iomem text (default) or\n"
    "                    JSON\n"
    "  --json            everything as one JSON document on standard output\n"
    "                    (schema restree.apply/1, docs/json.md)\n"
    "  --map OUT.html    the tree before the first event and after each as\n"
    "                    an interactive map (restree map's page) with one\n"
    "                    frame per event: a slider, or [ and ], steps\n"
    "                    through them; what each event changed is marked\n"
    "\n"
    "Exit status: 0 every event did what the script says, 1 an event failed\n"
    "unexpectedly or an assert failed, 2 usage error or a script, base dump "
    "or\n"
    "config error (FILE:LINE:COLUMN: message; nothing is applied).\n";

// restree map's page of the run: the tree before the first event and after
// each event that ran, one frame each.
absl::Status WriteMap(const hotplug::ApplyRun& run, const std::string& name,
                      const std::string& path) {
  std::vector<ParsedIomem> dumps;
  std::vector<std::string> captions;
  auto add = [&](const std::string& text, std::string caption) {
    absl::StatusOr<ParsedIomem> d = ParseIomem(text);
    if (!d.ok()) return d.status();
    dumps.push_back(*std::move(d));
    captions.push_back(std::move(caption));
    return absl::OkStatus();
  };
  RESTREE_RETURN_IF_ERROR(add(run.tree_before, "before the first event"));
  for (const hotplug::EventResult& r : run.results) {
    // Events only: `assert` and `expect` lines change nothing.
    if (r.tree_after.empty() || absl::StartsWith(r.event, "assert ") ||
        absl::StartsWith(r.event, "expect ")) {
      continue;
    }
    std::string caption =
        absl::StrFormat("line %d: %s: %s", r.location.line, r.event,
                        hotplug::OutcomeName(r.outcome));
    if (!r.message.empty()) absl::StrAppend(&caption, ": ", r.message);
    RESTREE_RETURN_IF_ERROR(add(r.tree_after, std::move(caption)));
  }
  std::vector<const ResourceTree*> trees;
  for (const ParsedIomem& d : dumps) trees.push_back(&d.tree);
  const map::MapLayout layout = map::LayOutFrames(trees, captions, false);
  const std::string text = map::RenderHtml(layout, {name});
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (file) file.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (file) file.close();
  if (!file)
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

std::string TraceDiff(const std::string& before, const std::string& after) {
  IomemParseOptions o;
  o.filename = "before";
  absl::StatusOr<ParsedIomem> a = ParseIomem(before, o);
  o.filename = "after";
  absl::StatusOr<ParsedIomem> b = ParseIomem(after, o);
  if (!a.ok() || !b.ok()) return "";
  const IomemDiff d = DiffTrees(a->tree, b->tree);
  if (d.empty()) return "  (no change)\n";
  return RenderDiff(d, DiffSide{&*a, "before"}, DiffSide{&*b, "after"},
                    /*color=*/false);
}

int RunApply(cli::Context& ctx) {
  cli::OptionParser opts("apply");
  opts.Flag("json")
      .Flag("trace")
      .Flag("tiers")
      .Value("base")
      .Value("profile")
      .Value("render")
      .Value("perf")
      .Value("map");
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) return cli::Fail(ctx, s);
  if (opts.positional().size() != 1) {
    return cli::Fail(ctx, opts.Error("takes one script file (or - for "
                                     "standard input)"));
  }
  const std::string render = opts.Get("render", "iomem");
  if (render != "iomem" && render != "json") {
    return cli::Fail(ctx, opts.Error("--render takes iomem or json"));
  }
  const std::string path = opts.positional()[0];
  absl::StatusOr<std::string> text = cli::ReadInput(path);
  if (!text.ok()) return cli::Fail(ctx, text.status());
  const std::string name = path == "-" ? "<stdin>" : path;
  absl::StatusOr<hotplug::Script> script = hotplug::ParseScript(*text, name);
  if (!script.ok()) return cli::Fail(ctx, script.status());
  hotplug::ApplyOptions ao;
  ao.profile = opts.Get("profile");
  const bool trace = opts.Has("trace");
  const std::string map_path = opts.Get("map", "");
  if (opts.Has("map") && !absl::EndsWithIgnoreCase(map_path, ".html") &&
      !absl::EndsWithIgnoreCase(map_path, ".htm")) {
    return cli::Fail(ctx,
                     opts.Error("--map writes an HTML page: name it .html"));
  }
  ao.trace = trace || opts.Has("map");  // both need the tree after each event
  if (opts.Has("perf") && !opts.Has("tiers")) {
    return cli::Fail(ctx, opts.Error("--perf needs --tiers"));
  }
  std::optional<hotplug::TierWatcher> tiers;
  absl::Status tiers_error;  // the first --tiers error (bad --perf text)
  if (opts.Has("tiers")) {
    std::string attrs;
    if (opts.Has("perf")) {
      absl::StatusOr<std::string> t = cli::ReadInput(opts.Get("perf"));
      if (!t.ok()) return cli::Fail(ctx, t.status());
      attrs = *std::move(t);
    }
    tiers.emplace(std::move(attrs), opts.Get("perf"));
    ao.after_event = [&tiers,
                      &tiers_error](const hotplug::Machine& m) -> std::string {
      absl::StatusOr<std::string> summary = tiers->After(m);
      if (!summary.ok()) {
        if (tiers_error.ok()) tiers_error = summary.status();
        return absl::StrCat("  tiers: error: ", summary.status().message(),
                            "\n");
      }
      return *std::move(summary);
    };
  }
  if (opts.Has("base")) {
    absl::StatusOr<std::string> base = cli::ReadInput(opts.Get("base"));
    if (!base.ok()) return cli::Fail(ctx, base.status());
    ao.base_dump = *std::move(base);
  }
  absl::StatusOr<hotplug::ApplyRun> run = hotplug::ApplyScript(*script, ao);
  if (!run.ok()) {
    *ctx.err << (opts.Has("base") ? opts.Get("base") + ": " : std::string())
             << run.status().message() << "\n";
    return cli::kExitError;
  }
  if (opts.Has("map")) {
    if (absl::Status s = WriteMap(*run, name, map_path); !s.ok()) {
      return cli::Fail(ctx, opts.Error(s.message()));
    }
  }
  // A bad --perf file is an input error: exit 2 (after the per-event
  // output, which shows where it was first met).
  const int rc = !tiers_error.ok() ? cli::kExitError
                 : run->ok         ? cli::kExitOk
                                   : cli::kExitNegative;
  if (opts.Has("json")) {
    JsonWriter w;
    w.BeginObject();
    w.Key("schema").String("restree.apply/1");
    w.Key("script").String(name);
    w.Key("ok").Bool(run->ok);
    w.Key("events").BeginArray();
    for (const hotplug::EventResult& r : run->results) {
      w.BeginObject();
      w.Key("line").Int(r.location.line);
      w.Key("event").String(r.event);
      w.Key("outcome").String(hotplug::OutcomeName(r.outcome));
      if (r.errno_value != 0) {
        w.Key("errno").Int(r.errno_value);
        w.Key("errno_name").String(hotplug::ErrnoNameOf(r.errno_value));
      }
      w.Key("message").String(r.message);
      if (!r.annotation.empty()) w.Key("tiers").String(r.annotation);
      w.EndObject();
    }
    w.EndArray();
    w.Key("iomem").String(run->machine.Render());
    w.EndObject();
    *ctx.out << std::move(w).Finish();
    return rc;
  }
  std::string before = run->tree_before;
  for (const hotplug::EventResult& r : run->results) {
    std::string line =
        absl::StrFormat("%s:%d: %s: %s", name, r.location.line, r.event,
                        hotplug::OutcomeName(r.outcome));
    if (r.errno_value != 0) {
      absl::StrAppend(&line, " (", hotplug::ErrnoNameOf(r.errno_value), ")");
    }
    if (!r.message.empty()) absl::StrAppend(&line, ": ", r.message);
    *ctx.err << line << "\n";
    *ctx.err << r.annotation;
    if (trace) {
      *ctx.err << TraceDiff(before, r.tree_after);
      before = r.tree_after;
    }
  }
  if (render == "json") {
    // The same JSON as `restree show --json` of the final tree.
    absl::StatusOr<ParsedIomem> dump = ParseIomem(run->machine.Render());
    if (!dump.ok()) return cli::Fail(ctx, dump.status());
    *ctx.out << RenderShowJson(*dump, SelectNodes(dump->tree, ShowFilter()),
                               name);
  } else {
    *ctx.out << run->machine.Render();
  }
  return rc;
}

RESTREE_REGISTER_COMMAND(apply, cli::Command{"apply",
                                             "run a hotplug event script the "
                                             "way the kernel's drivers would",
                                             kHelp, RunApply});

}  // namespace
}  // namespace restree
