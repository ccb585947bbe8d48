// `restree pool SCENARIO`: a memory appliance lending memory to several
// hosts, simulated on the hotplug applier (docs/pool.md).

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "appliance/pool.h"
#include "appliance/report.h"
#include "appliance/scenario.h"
#include "tools/cli.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree pool SCENARIO|- [options]\n"
    "\n"
    "Simulates a CXL memory appliance and the hosts it lends memory to\n"
    "(docs/pool.md). Pooled mode: each grant of chunks becomes a region,\n"
    "dax device and kmem online on the host's machine, each revoke a kmem\n"
    "offline and region destroy, which fails with EBUSY when a memory block\n"
    "holds unmovable pages. Shared mode: every host maps the whole appliance;\n"
    "allocations are tracked by the appliance or by the hosts, and the\n"
    "messages are counted. Hosts follow their demand with a reactive or\n"
    "proactive policy; the report shows grant latency, failed revokes,\n"
    "capacity warnings and when a host would have run out of memory.\n"
    "\n"
    "Standard output: the per-event log, the summary table per host, and each\n"
    "host's final /proc/iomem.\n"
    "\n"
    "  --json            everything as one JSON document instead (schema\n"
    "                    restree.pool/1, docs/json.md)\n"
    "  --plot OUT.svg    also write an SVG: each host's usable memory, demand\n"
    "                    and grants over time, near-OOM shaded, warnings and\n"
    "                    failures marked\n"
    "  --no-log          leave the per-event log out of the text output\n"
    "  --no-iomem        leave the hosts' /proc/iomem out of the text output\n"
    "  --check end       check the invariants at the end only (default:\n"
    "                    after every request and hotplug event)\n"
    "\n"
    "Files named in the scenario (base=, trace file=) are relative to the\n"
    "scenario's directory.\n"
    "\n"
    "Exit status: 0 the simulation ran (failed grants and revokes are\n"
    "results), 1 an invariant broke (a restree bug; the message says where),\n"
    "2 usage error or a scenario, base dump or trace error\n"
    "(FILE:LINE:COLUMN: message).\n";

std::string Dir(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

int RunPool(cli::Context& ctx) {
  cli::OptionParser opts("pool");
  opts.Flag("json")
      .Flag("no-log")
      .Flag("no-iomem")
      .Value("plot")
      .Value("check");
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) return cli::Fail(ctx, s);
  if (opts.positional().size() != 1) {
    return cli::Fail(ctx, opts.Error("takes one scenario file (or - for "
                                     "standard input)"));
  }
  const std::string check = opts.Get("check", "every");
  if (check != "every" && check != "end") {
    return cli::Fail(ctx, opts.Error("--check takes every or end"));
  }
  if (opts.Has("plot") && opts.Get("plot").empty()) {
    return cli::Fail(ctx, opts.Error("--plot needs a file name"));
  }
  const std::string path = opts.positional()[0];
  absl::StatusOr<std::string> text = cli::ReadInput(path);
  if (!text.ok()) return cli::Fail(ctx, text.status());
  const std::string name = path == "-" ? "<stdin>" : path;
  const std::string dir = path == "-" ? "" : Dir(path);
  appliance::FileReader read =
      [&dir](const std::string& file) -> absl::StatusOr<std::string> {
    const std::string full =
        !file.empty() && file[0] == '/' ? file : dir + file;
    absl::StatusOr<std::string> t = cli::ReadInput(full);
    if (!t.ok()) return absl::InvalidArgumentError(t.status().message());
    return t;
  };
  absl::StatusOr<appliance::Scenario> sc =
      appliance::ParseScenario(*text, name, read);
  if (!sc.ok()) return cli::Fail(ctx, sc.status());
  appliance::PoolOptions po;
  po.check_every_event = check == "every";
  absl::StatusOr<appliance::Pool> pool = appliance::Pool::Create(*sc, po);
  if (!pool.ok()) return cli::Fail(ctx, pool.status());
  if (absl::Status s = pool->Run(); !s.ok()) {
    *ctx.err << name << ": invariant violated: " << s.message() << "\n";
    return cli::kExitNegative;
  }
  if (opts.Has("plot")) {
    std::ofstream f(opts.Get("plot"), std::ios::binary | std::ios::trunc);
    f << appliance::RenderPlot(*pool, absl::StrCat("restree pool ", name));
    f.close();
    if (!f) {
      *ctx.err << opts.Get("plot") << ": cannot write the plot\n";
      return cli::kExitError;
    }
  }
  if (opts.Has("json")) {
    *ctx.out << appliance::RenderJson(*pool, name);
    return cli::kExitOk;
  }
  if (!opts.Has("no-log")) {
    *ctx.out << "# log\n" << appliance::RenderLog(*pool);
  }
  *ctx.out << "# summary\n" << appliance::RenderSummary(*pool);
  if (!opts.Has("no-iomem")) *ctx.out << appliance::RenderTrees(*pool);
  return cli::kExitOk;
}

RESTREE_REGISTER_COMMAND(pool, cli::Command{"pool",
                                            "simulate a pooled or shared CXL "
                                            "memory appliance and its hosts",
                                            kHelp, RunPool});

}  // namespace
}  // namespace restree
