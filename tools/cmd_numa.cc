// `restree numa`: NUMA nodes, memory tiers, demotion and promotion paths,
// fallback order and warnings for a machine described by a sysfs tree,
// `numactl -H` output or a raw ACPI SLIT, plus restree's node attribute text.
// The model is numa/tiering.h; the formats are in docs/tiering.md.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "numa/node_mask.h"
#include "numa/parse.h"
#include "numa/render.h"
#include "numa/tiering.h"
#include "numa/topology.h"
#include "tools/cli.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree numa [--sysroot DIR | --numactl FILE | --slit FILE]\n"
    "                    [--perf FILE] [--as-linux] [--json | --dot]\n"
    "\n"
    "Shows how Linux tiers a machine's NUMA nodes (mm/memory-tiers.c): each\n"
    "memory node's abstract distance and memory_tierN, the demotion targets\n"
    "(node_demotion[].preferred and lower_tier_mask), node_is_toptier(), a\n"
    "proposed next_promotion_node() (restree's; the kernel has none), the\n"
    "page allocator's fallback order, and warnings (hot-plugged memory in\n"
    "ZONE_NORMAL, no gigantic pages on ZONE_MOVABLE-only nodes, demotion\n"
    "ignoring cpusets, tiers lumping sockets, DRAM performance mismatches).\n"
    "\n"
    "Topology (at most one; none reads this machine's /sys, as --sysroot /):\n"
    "  --sysroot DIR   a copy of /sys under DIR (DIR/sys/devices/system/node/\n"
    "                  ...); also reads performance, memory blocks, dax\n"
    "                  devices, demotion_enabled and the kernel's own tiers\n"
    "  --numactl FILE  `numactl -H` output (- for standard input)\n"
    "  --slit FILE     a raw ACPI SLIT (/sys/firmware/acpi/tables/SLIT):\n"
    "                  proximity domain i is node i; every node has memory\n"
    "\n"
    "  --perf FILE     node attributes: CPUs, memory, socket, source=kmem,\n"
    "                  read/write latency and bandwidth (HMAT/CDAT), zoned\n"
    "                  ranges, demotion_enabled (see docs/tiering.md)\n"
    "  --as-linux      a distance table Linux would not use (a self distance\n"
    "                  other than 10, a remote one of 10 or less) is replaced\n"
    "                  by the kernel's defaults (10 / 20), as Linux does when\n"
    "                  it ignores the SLIT; without it such a table is tiered\n"
    "                  as given (a what-if) with a what-if-distances warning\n"
    "  --json, -j      JSON (schema restree.numa/1, docs/json.md)\n"
    "  --dot           a Graphviz digraph of tiers and paths\n"
    "\n"
    "Exit status: 0 success, 2 usage error or bad input.\n";

int NumaFail(cli::Context& ctx, const absl::Status& s) {
  *ctx.err << "restree numa: " << s.message() << "\n";
  return cli::kExitError;
}

int RunNuma(cli::Context& ctx) {
  cli::OptionParser opts("numa");
  opts.Value("sysroot").Value("numactl").Value("slit").Value("perf");
  opts.Flag("json").Flag("dot").Flag("as-linux");
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) {
    *ctx.err << s.message() << "\n";
    return cli::kExitError;
  }
  if (!opts.positional().empty()) {
    *ctx.err << "restree numa: unexpected argument '" << opts.positional()[0]
             << "'\n";
    return cli::kExitError;
  }
  const int sources = static_cast<int>(opts.Has("sysroot")) +
                      static_cast<int>(opts.Has("numactl")) +
                      static_cast<int>(opts.Has("slit"));
  if (sources > 1) {
    *ctx.err << "restree numa: give at most one of --sysroot, --numactl, "
                "--slit\n";
    return cli::kExitError;
  }
  if (opts.Has("json") && opts.Has("dot")) {
    *ctx.err << "restree numa: --json and --dot exclude each other\n";
    return cli::kExitError;
  }

  absl::StatusOr<numa::Topology> topology =
      absl::InternalError("no topology read");
  std::map<int, numa::NodeMask> kernel_tiers;
  if (opts.Has("sysroot") || sources == 0) {
    // No input: the live machine, as `restree show` reads /proc/iomem.
    absl::StatusOr<numa::SysrootDump> dump =
        numa::ReadSysroot(opts.Get("sysroot", "/"));
    if (!dump.ok()) return NumaFail(ctx, dump.status());
    kernel_tiers = dump->kernel_tiers;
    topology = std::move(dump->topology);
  } else if (opts.Has("numactl")) {
    const std::string file = opts.Get("numactl");
    absl::StatusOr<std::string> text =
        cli::ReadInput(file, numa::kMaxTextInput);
    if (!text.ok()) return NumaFail(ctx, text.status());
    topology = numa::ParseNumactl(*text, file);
  } else {
    const std::string file = opts.Get("slit");
    absl::StatusOr<std::string> bytes =
        cli::ReadInput(file, numa::kMaxTextInput);
    if (!bytes.ok()) return NumaFail(ctx, bytes.status());
    const std::vector<uint8_t> data(bytes->begin(), bytes->end());
    topology = numa::DecodeSlit(data, file);
  }
  if (!topology.ok()) return NumaFail(ctx, topology.status());

  if (opts.Has("perf")) {
    const std::string file = opts.Get("perf");
    absl::StatusOr<std::string> text =
        cli::ReadInput(file, numa::kMaxTextInput);
    if (!text.ok()) return NumaFail(ctx, text.status());
    if (absl::Status s = numa::ApplyNodeAttributes(*text, file, &*topology);
        !s.ok()) {
      return NumaFail(ctx, s);
    }
  }

  if (opts.Has("as-linux")) topology->UseKernelDefaultDistancesIfRejected();
  absl::StatusOr<numa::Tiering> tiering = numa::ComputeTiering(*topology);
  if (!tiering.ok()) return NumaFail(ctx, tiering.status());
  const std::vector<std::string> notes =
      numa::CompareKernelTiers(*tiering, kernel_tiers);
  if (opts.Has("json")) {
    *ctx.out << numa::RenderJson(*topology, *tiering, notes);
  } else if (opts.Has("dot")) {
    *ctx.out << numa::RenderDot(*topology, *tiering);
  } else {
    *ctx.out << numa::RenderText(*topology, *tiering, notes);
  }
  return cli::kExitOk;
}

RESTREE_REGISTER_COMMAND(numa, cli::Command{"numa",
                                            "NUMA memory tiers, demotion and "
                                            "promotion paths of a topology",
                                            kHelp, RunNuma});

}  // namespace
}  // namespace restree
