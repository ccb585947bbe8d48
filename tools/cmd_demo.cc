// `restree demo`: builds a small machine's address map through the kernel-
// compatible API and prints it as /proc/iomem: firmware memory, then a CXL
// window that swallows firmware "System RAM" (re-parenting it), a region
// allocated in the window, its dax device, and kmem onlining it.

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "iomem_parser/parser.h"
#include "iomem_parser/show.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tools/cli.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree demo [--depth N] [--unprivileged] [--explain | --json]\n"
    "\n"
    "Builds an example CXL machine through restree's kernel-compatible API "
    "and\n"
    "prints it as /proc/iomem: e820 memory and a PCI window, then CXL Window "
    "0\n"
    "inserted with insert_resource_expand_to_fit() over firmware System RAM\n"
    "(which becomes its child), region0 from alloc_free_mem_region(), dax0.0\n"
    "requested in it, and kmem adding it as \"System RAM (kmem)\".\n"
    "\n"
    "  --depth N        indentation cap (MAX_IORES_LEVEL), 5 or 8 (default 5)\n"
    "  --unprivileged   print what a reader without CAP_SYS_ADMIN sees\n"
    "  --explain        narrate each kernel call before the tree\n"
    "  --json, -j       the tree as JSON (schema restree.demo/1, "
    "docs/json.md)\n";

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kMiB = uint64_t{1} << 20;

struct Demo {
  ResourceTree tree = ResourceTree::Iomem();
  std::ostream* log = nullptr;

  void Say(const std::string& s) {
    if (log != nullptr) *log << "# " << s << "\n";
  }
};

absl::Status Build(Demo& d) {
  ResourceTree& t = d.tree;
  const ResourceId root = t.root();
  const uint64_t ram = iores::kSystemRam | iores::kBusy;
  const uint64_t reserved = iores::kMem | iores::kBusy;

  d.Say("e820: request_resource() each firmware range under iomem");
  RESTREE_RETURN_IF_ERROR(t.Request(root, {Range(0x0, 0xfff), "Reserved",
                                           reserved, iores_desc::kReserved})
                              .status());
  RESTREE_RETURN_IF_ERROR(
      t.Request(root, {Range(0x1000, 0x9fbff), "System RAM", ram}).status());
  RESTREE_RETURN_IF_ERROR(t.Request(root, {Range(0x9fc00, 0xfffff), "Reserved",
                                           reserved, iores_desc::kReserved})
                              .status());
  RESTREE_ASSIGN_OR_RETURN(
      ResourceId low_ram,
      t.Request(root, {Range(0x100000, 0x7fffffff), "System RAM", ram}));
  RESTREE_RETURN_IF_ERROR(
      t.Request(low_ram, {Range(0x1000000, 0x1dfffff), "Kernel code", reserved})
          .status());
  RESTREE_RETURN_IF_ERROR(t.Request(low_ram, {Range(0x1e00000, 0x24fffff),
                                              "Kernel rodata", reserved})
                              .status());
  RESTREE_RETURN_IF_ERROR(
      t.Request(root, {Range(0x100000000, 0x47fffffff), "System RAM", ram})
          .status());
  // Firmware onlined the first 4 GiB of the CXL memory as ordinary RAM.
  RESTREE_RETURN_IF_ERROR(
      t.Request(root, {Range(0x1000000000, 0x10ffffffff), "System RAM", ram})
          .status());

  d.Say("PCI: insert_resource() the host bridge window");
  RESTREE_RETURN_IF_ERROR(
      t.Insert(root, {Range(0x80000000, 0xfebfffff), "PCI Bus 0000:00",
                      iores::kMem | iores::kWindow})
          .status());

  d.Say(
      "cxl_acpi: insert_resource_expand_to_fit() the CFMWS window "
      "[0x1000000000, +64G]: firmware System RAM moves under it");
  RESTREE_ASSIGN_OR_RETURN(
      ResourceId window,
      t.InsertExpandToFit(
          root, {Range(0x1000000000, 0x1fffffffff), "CXL Window 0", iores::kMem,
                 iores_desc::kCxl}));

  d.Say("cxl region: alloc_free_mem_region(window, 8G, 256M)");
  RESTREE_ASSIGN_OR_RETURN(
      ResourceId region,
      t.AllocFreeMemRegion(window, 8 * kGiB, 256 * kMiB, "region0"));
  const Range rr = t.RangeOf(region);

  d.Say(absl::StrFormat(
      "dax: __request_region(region0, %#x, 8G, \"dax0.0\") (busy)",
      rr.first()));
  RESTREE_ASSIGN_OR_RETURN(
      ResourceId dax, t.RequestRegion(root, rr.first(), 8 * kGiB, "dax0.0", 0));

  d.Say(
      "kmem: dax0.0 flags = IORESOURCE_SYSTEM_RAM (not busy), then "
      "add_memory_driver_managed() requests \"System RAM (kmem)\"");
  RESTREE_RETURN_IF_ERROR(t.SetFlags(dax, iores::kSystemRam));
  RESTREE_RETURN_IF_ERROR(
      t.RequestRegion(root, rr.first(), 8 * kGiB, "System RAM (kmem)",
                      iores::kSystemRam | iores::kSysramDriverManaged)
          .status());
  return absl::OkStatus();
}

int RunDemo(cli::Context& ctx) {
  cli::OptionParser opts("demo");
  opts.Value("depth").Flag("unprivileged").Flag("explain").Flag("json");
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) {
    *ctx.err << s.message() << "\n";
    return cli::kExitError;
  }
  absl::StatusOr<int64_t> depth = opts.GetInt("depth", 5);
  if (!depth.ok()) {
    *ctx.err << depth.status().message() << "\n";
    return cli::kExitError;
  }
  if (*depth < 1 || *depth > 64) {
    *ctx.err << "restree demo: --depth must be between 1 and 64\n";
    return cli::kExitError;
  }
  if (!opts.positional().empty()) {
    *ctx.err << "restree demo: unexpected argument '" << opts.positional()[0]
             << "'\n";
    return cli::kExitError;
  }
  if (opts.Has("explain") && opts.Has("json")) {
    *ctx.err << "restree demo: --explain and --json exclude each other\n";
    return cli::kExitError;
  }
  if (opts.Has("json") && *depth != 5 && *depth != 8) {
    *ctx.err << "restree demo: --json takes --depth 5 or 8 (the caps a "
                "dump is read with)\n";
    return cli::kExitError;
  }
  Demo d;
  if (opts.Has("explain")) d.log = ctx.out;
  if (absl::Status s = Build(d); !s.ok()) {
    *ctx.err << "restree demo: " << s.message() << "\n";
    return cli::kExitError;
  }
  if (!d.tree.CheckInvariants().empty()) {
    *ctx.err << "restree demo: the demo tree breaks an invariant\n";
    return cli::kExitError;
  }
  ProcRenderOptions render;
  render.max_depth = static_cast<int>(*depth);
  render.zero_addresses = opts.Has("unprivileged");
  const std::string iomem = RenderProcIomem(d.tree, render);
  if (!opts.Has("json")) {
    *ctx.out << iomem;
    return cli::kExitOk;
  }
  // The JSON describes the dump the demo prints, line numbers included.
  IomemParseOptions parse;
  parse.filename = "restree demo";
  parse.max_depth = static_cast<int>(*depth);
  absl::StatusOr<ParsedIomem> dump = ParseIomem(iomem, parse);
  if (!dump.ok()) {
    *ctx.err << "restree demo: " << dump.status().message() << "\n";
    return cli::kExitError;
  }
  *ctx.out << RenderShowJson(*dump, SelectNodes(dump->tree, ShowFilter{}),
                             "restree demo", "restree.demo/1");
  return cli::kExitOk;
}

RESTREE_REGISTER_COMMAND(demo, cli::Command{
                                   "demo",
                                   "print an example CXL machine's /proc/iomem "
                                   "built through the kernel API",
                                   kHelp, RunDemo});

}  // namespace
}  // namespace restree
