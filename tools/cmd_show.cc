// `restree show [FILE|-]`: a /proc/iomem dump as a readable tree.

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "iomem_parser/internal/parse_paths.h"
#include "iomem_parser/name_regex.h"
#include "iomem_parser/show.h"
#include "tools/cli.h"
#include "tools/iomem_input.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree show [FILE|-] [options]\n"
    "\n"
    "Shows a /proc/iomem (or /proc/ioports) dump as a tree with sizes.\n"
    "FILE defaults to /proc/iomem; - reads standard input.\n"
    "\n"
    "  --under NAME     only the subtrees of resources named exactly NAME\n"
    "  --name REGEX     only resources with a match of REGEX in their name\n"
    "                   (ERE/ECMAScript subset, linear time: . [] * + ? {m,n}\n"
    "                   | () ^ $ \\d \\w \\s), with their ancestors as "
    "context\n"
    "  --depth N        only the top N levels\n"
    "  --raw            the kernel's exact format (the input, for a whole "
    "dump)\n"
    "  --json, -j       JSON (schema restree.show/1, docs/json.md)\n"
    "  --lenient        accept mail-quoted or edited dumps; repairs go to "
    "stderr\n"
    "  --ioports        the dump is /proc/ioports\n"
    "  --max-depth N    the kernel's indentation cap, 5 or 8 (default: infer)\n"
    "\n"
    "  --allow-empty    read blank input as an empty dump (otherwise input\n"
    "                   without a resource line is an error)\n"
    "\n"
    "Exit status: 0 shown, 1 --under or --name matched nothing (like grep),\n"
    "2 usage error or unreadable/malformed input.\n";

int RunShow(cli::Context& ctx) {
  cli::OptionParser opts("show");
  opts.Value("under").Value("name").Value("depth").Flag("raw").Flag("json");
  cli::AddDumpOptions(opts);
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) return cli::Fail(ctx, s);
  if (opts.positional().size() > 1) {
    return cli::Fail(ctx, opts.Error("takes at most one file"));
  }
  if (opts.Has("raw") && opts.Has("json")) {
    return cli::Fail(ctx, opts.Error("--raw and --json exclude each other"));
  }
  ShowFilter filter;
  filter.under = opts.Get("under");
  if (opts.Has("name")) {
    absl::StatusOr<NameRegex> name = NameRegex::Compile(opts.Get("name"));
    if (!name.ok()) {
      return cli::Fail(
          ctx, opts.Error(absl::StrCat("--name: bad regular expression, ",
                                       name.status().message())));
    }
    filter.name = *std::move(name);
  }
  absl::StatusOr<int64_t> depth = opts.GetInt("depth", -1);
  if (!depth.ok()) return cli::Fail(ctx, depth.status());
  if (opts.Has("depth") && *depth < 1) {
    return cli::Fail(ctx, opts.Error("--depth must be at least 1"));
  }
  filter.max_depth = static_cast<int>(*depth);
  const std::string path =
      opts.positional().empty() ? cli::kDefaultIomem : opts.positional()[0];
  auto write = [&](absl::string_view piece) {
    ctx.out->write(piece.data(), static_cast<std::streamsize>(piece.size()));
  };
  const bool whole =
      filter.under.empty() && !filter.name.has_value() && filter.max_depth < 0;
  absl::StatusOr<IomemParseOptions> parse_options =
      cli::DumpParseOptions(path, opts);
  if (!parse_options.ok()) return cli::Fail(ctx, parse_options.status());
  // The readable tree and the JSON start with the counts, kept as the
  // dump is read (on the parse's threads) rather than by a walk after.
  parse_options->summarize = !opts.Has("raw");
  absl::StatusOr<cli::InputBytes> input = cli::MapInput(path);
  if (!input.ok()) return cli::Fail(ctx, input.status());
  if (whole && opts.Has("raw") && parse_options->root == IomemRoot::kAuto &&
      internal::IsKernelExactDump(input->view(), *parse_options)) {
    // A valid dump in the kernel's exact format is what restree would print
    // back byte for byte: checked without building its tree, it is copied.
    write(input->view());
    return cli::kExitOk;
  }
  absl::StatusOr<ParsedIomem> dump =
      cli::ParseDump(*input, *parse_options, opts, *ctx.err);
  if (!dump.ok()) return cli::Fail(ctx, dump.status());
  const std::string source = cli::SourceName(path);
  if (whole) {
    // The whole dump: streamed from the tree, no list of its resources.
    if (opts.Has("json")) {
      StreamShowJson(*dump, source, write);
    } else if (opts.Has("raw")) {
      StreamShowRaw(*dump, write);
    } else {
      StreamShow(*dump, source, write);
    }
    return cli::kExitOk;
  }
  const std::vector<ShownNode> nodes = SelectNodes(dump->tree, filter);
  if (nodes.empty() && (!filter.under.empty() || filter.name.has_value())) {
    // A filter that matches nothing is a negative answer, as in grep.
    ShowFilter under_only;
    under_only.under = filter.under;
    std::string what;
    if (!filter.under.empty() && SelectNodes(dump->tree, under_only).empty()) {
      what = absl::StrCat("no resource named \"", filter.under, "\"");
    } else {
      what = absl::StrCat("no resource name matches --name \"",
                          opts.Get("name"), "\"");
      if (!filter.under.empty()) {
        absl::StrAppend(&what, " under \"", filter.under, "\"");
      }
    }
    *ctx.err << "restree show: " << source << ": " << what << "\n";
    return cli::kExitNegative;
  }
  if (opts.Has("json")) {
    StreamShowJson(*dump, nodes, source, write);
  } else if (opts.Has("raw")) {
    StreamShowRaw(*dump, nodes, write);
  } else {
    StreamShow(*dump, nodes, source, write);
  }
  return cli::kExitOk;
}

RESTREE_REGISTER_COMMAND(show, cli::Command{"show",
                                            "show a /proc/iomem dump as a tree "
                                            "with sizes",
                                            kHelp, RunShow});

}  // namespace
}  // namespace restree
