// `restree which ADDR [FILE|-] [--cedt CEDT]`: what is at a physical
// address: the deepest resource of a /proc/iomem dump holding it, with its
// ancestry, and, given the CEDT, the CXL window, host bridge and
// interleave target that decode it.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/byte_size.h"
#include "base/json_writer.h"
#include "cfmws/cedt.h"
#include "cfmws/interleave.h"
#include "cfmws/render.h"
#include "iomem_parser/parser.h"
#include "resource_tree/resource_tree.h"
#include "tools/cli.h"
#include "tools/iomem_input.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree which ADDR [FILE|-] [--cedt CEDT] [--json]\n"
    "\n"
    "What is at physical address ADDR: the deepest resource of a /proc/iomem\n"
    "dump that holds it, under its ancestors (outermost first). ADDR is hex,\n"
    "with or without 0x, as /proc/iomem prints it. FILE defaults to\n"
    "/proc/iomem; - reads standard input.\n"
    "\n"
    "  --cedt CEDT      also the CXL window (CFMWS), host bridge and\n"
    "                   interleave target that decode ADDR, from this binary\n"
    "                   CEDT (e.g. /sys/firmware/acpi/tables/CEDT), as\n"
    "                   restree cedt --hpa gives them\n"
    "  --json, -j       JSON (schema restree.which/1, docs/json.md)\n"
    "  --lenient, --ioports, --max-depth N   as for restree show\n"
    "\n"
    "Exit status: 0 found (in the dump, or in a CXL window of the CEDT), 1 in\n"
    "neither, 2 usage error or unreadable input.\n";

constexpr size_t kMaxCedtBytes = size_t{16} << 20;

absl::StatusOr<uint64_t> ParseAddress(const cli::OptionParser& opts,
                                      absl::string_view text) {
  absl::string_view hex = text;
  if (absl::StartsWith(hex, "0x") || absl::StartsWith(hex, "0X")) {
    hex.remove_prefix(2);
  }
  uint64_t v = 0;
  if (hex.empty() || hex.size() > 16 ||
      !std::all_of(hex.begin(), hex.end(),
                   [](char c) { return absl::ascii_isxdigit(c); }) ||
      !absl::SimpleHexAtoi(hex, &v)) {
    return opts.Error(
        absl::StrCat("ADDR '", text,
                     "' is not a hex address (e.g. 0x390000000 or "
                     "390000000, as /proc/iomem prints it)"));
  }
  return v;
}

int RunWhich(cli::Context& ctx) {
  cli::OptionParser opts("which");
  opts.Flag("json").Value("cedt");
  cli::AddDumpOptions(opts);
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) return cli::Fail(ctx, s);
  if (opts.positional().empty()) {
    return cli::Fail(ctx, opts.Error("needs an address: ADDR [FILE]"));
  }
  if (opts.positional().size() > 2) {
    return cli::Fail(ctx, opts.Error("takes ADDR and at most one file"));
  }
  absl::StatusOr<uint64_t> addr = ParseAddress(opts, opts.positional()[0]);
  if (!addr.ok()) return cli::Fail(ctx, addr.status());
  const std::string path =
      opts.positional().size() > 1 ? opts.positional()[1] : cli::kDefaultIomem;
  const std::string source = cli::SourceName(path);

  // The CEDT first: a bad table is an error before anything is printed.
  std::optional<cedt::Cedt> table;
  if (opts.Has("cedt")) {
    const std::string cedt_path = opts.Get("cedt");
    absl::StatusOr<std::string> bytes =
        cli::ReadInput(cedt_path, kMaxCedtBytes);
    if (!bytes.ok()) return cli::Fail(ctx, bytes.status());
    absl::StatusOr<cedt::Cedt> t = cedt::DecodeCedt(*bytes);
    if (!t.ok()) {
      return cli::Fail(ctx, absl::InvalidArgumentError(absl::StrCat(
                                cedt_path, ": ", t.status().message())));
    }
    table = *std::move(t);
  }

  absl::StatusOr<ParsedIomem> dump = cli::LoadDump(path, opts, *ctx.err);
  if (!dump.ok()) return cli::Fail(ctx, dump.status());
  if (dump->zeroed) {
    *ctx.err << "restree which: " << source
             << ": every address is 0 (the dump was read without "
                "CAP_SYS_ADMIN), so no resource can be placed; read it as "
                "root\n";
    return cli::kExitError;
  }
  // The resources holding the address form one chain in pre-order (siblings
  // do not overlap): the last one met is the deepest.
  const ResourceTree& tree = dump->tree;
  ResourceId deepest;
  for (const ResourceId id : tree.PreorderIds()) {
    if (tree.RangeOf(id).Contains(*addr)) deepest = id;
  }
  std::vector<ResourceId> chain;
  for (ResourceId id = deepest; id.valid() && id != tree.root();
       id = tree.ParentOf(id)) {
    chain.push_back(id);
  }
  std::reverse(chain.begin(), chain.end());

  std::vector<cedt::HpaMatch> matches;
  std::vector<cedt::WindowIndex::Skipped> skipped;
  if (table.has_value()) {
    const cedt::WindowIndex index = cedt::WindowIndex::Build(*table);
    matches = cedt::MatchHpa(*table, index, *addr);
    skipped = index.skipped();
  }
  const bool found = !chain.empty() || !matches.empty();

  if (opts.Has("json")) {
    JsonWriter w;
    w.BeginObject();
    w.Key("schema").String("restree.which/1");
    w.Key("source").String(source);
    w.Key("address").Hex(*addr);
    w.Key("resources").BeginArray();
    for (size_t d = 0; d < chain.size(); ++d) {
      const Range r = tree.RangeOf(chain[d]);
      w.BeginObject();
      w.Key("depth").Uint(d);
      w.Key("line").Int(dump->LineOf(chain[d]));
      w.Key("start").Hex(r.first());
      w.Key("end").Hex(r.last());
      w.Key("size").Uint128(r.size());
      w.Key("name").String(tree.NameOf(chain[d]));
      w.EndObject();
    }
    w.EndArray();
    if (table.has_value()) {
      w.Key("cedt").BeginObject();
      w.Key("source").String(opts.Get("cedt"));
      w.Key("windows");
      cedt::WriteHpaWindows(w, matches);
      w.EndObject();
    } else {
      w.Key("cedt").Null();
    }
    w.EndObject();
    *ctx.out << std::move(w).Finish();
    return found ? cli::kExitOk : cli::kExitNegative;
  }

  if (chain.empty()) {
    *ctx.out << absl::StrFormat("0x%x is in no resource of %s\n", *addr,
                                source);
  } else {
    *ctx.out << absl::StrFormat("0x%x in %s:\n", *addr, source);
    for (size_t d = 0; d < chain.size(); ++d) {
      const Range r = tree.RangeOf(chain[d]);
      *ctx.out << std::string(2 * d, ' ')
               << absl::StrFormat("%x-%x %6s  %s  [line %d]\n", r.first(),
                                  r.last(), HumanSize(r.size()),
                                  tree.NameOf(chain[d]),
                                  dump->LineOf(chain[d]));
    }
  }
  if (table.has_value()) {
    *ctx.out << cedt::HpaToText(*addr, matches, skipped);
  }
  return found ? cli::kExitOk : cli::kExitNegative;
}

RESTREE_REGISTER_COMMAND(which,
                         cli::Command{"which",
                                      "what is at a physical address: its "
                                      "resource, ancestry and CXL target",
                                      kHelp, RunWhich});

}  // namespace
}  // namespace restree
