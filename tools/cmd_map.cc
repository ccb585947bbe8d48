// `restree map [FILE|-] -o OUT.svg|OUT.html`: a picture of the address map.

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "iomem_parser/diff.h"
#include "map/html.h"
#include "map/layout.h"
#include "map/svg.h"
#include "tools/cli.h"
#include "tools/iomem_input.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree map [FILE|-] -o OUT.svg|OUT.html [options]\n"
    "       restree map --diff BEFORE AFTER -o OUT.svg|OUT.html [options]\n"
    "\n"
    "Draws a /proc/iomem dump: addresses left to right on an axis that cuts\n"
    "empty gaps and compresses large spans (every resource stays visible),\n"
    "nested resources as bands below their parents, coloured by kind.\n"
    "FILE defaults to /proc/iomem; - reads standard input. The format\n"
    "follows OUT's extension: .svg a static picture, .html an interactive\n"
    "page (zoom, pan, tooltips, keyboard; one file, no network).\n"
    "With --diff, both dumps on one axis, BEFORE above AFTER, and what\n"
    "`restree diff` finds marked by colour and pattern: removed (in\n"
    "BEFORE), added (in AFTER), resized, renamed and reparented (in both).\n"
    "\n"
    "  -o, --output OUT  where to write (required; - writes SVG to stdout)\n"
    "  --title TEXT      the picture's title (default: the file name)\n"
    "  --diff           draw the difference of two dumps\n"
    "  --lenient        accept mail-quoted or edited dumps; repairs go to "
    "stderr\n"
    "  --ioports        the dump is /proc/ioports\n"
    "  --max-depth N    the kernel's indentation cap, 5 or 8 (default: infer)\n"
    "\n"
    "Exit status: 0 drawn, 2 usage error, unreadable/malformed input or an\n"
    "unwritable output.\n";

int RunMap(cli::Context& ctx) {
  // -o is the one short option; spell it as --output for the parser.
  std::vector<std::string> args;
  bool options_done = false;
  for (const std::string& a : ctx.args) {
    if (options_done || a == "--") {
      options_done = true;
      args.push_back(a);
    } else if (a == "-o") {
      args.push_back("--output");
    } else if (absl::StartsWith(a, "-o") && a.size() > 2 && a[2] != '-') {
      args.push_back(absl::StrCat("--output=", a.substr(2)));
    } else {
      args.push_back(a);
    }
  }
  cli::OptionParser opts("map");
  opts.Value("output").Value("title").Flag("diff");
  cli::AddDumpOptions(opts);
  if (absl::Status s = opts.Parse(args); !s.ok()) return cli::Fail(ctx, s);
  const bool diff = opts.Has("diff");
  if (diff && opts.positional().size() != 2) {
    return cli::Fail(ctx, opts.Error("--diff takes two files, BEFORE AFTER"));
  }
  if (!diff && opts.positional().size() > 1) {
    return cli::Fail(ctx, opts.Error("takes at most one file"));
  }
  if (!opts.Has("output")) {
    return cli::Fail(ctx, opts.Error("-o OUT.svg or -o OUT.html is required"));
  }
  const std::string out_path = opts.Get("output");
  const bool html = absl::EndsWithIgnoreCase(out_path, ".html") ||
                    absl::EndsWithIgnoreCase(out_path, ".htm");
  if (!html && out_path != "-" && !absl::EndsWithIgnoreCase(out_path, ".svg")) {
    return cli::Fail(
        ctx, opts.Error(absl::StrCat("cannot tell the format of '", out_path,
                                     "': name it .svg or .html")));
  }
  const std::string path =
      opts.positional().empty() ? cli::kDefaultIomem : opts.positional()[0];
  if (diff && path == "-" && opts.positional()[1] == "-") {
    return cli::Fail(ctx, opts.Error("only one of the two can be -"));
  }
  absl::StatusOr<ParsedIomem> dump = cli::LoadDump(path, opts, *ctx.err);
  if (!dump.ok()) return cli::Fail(ctx, dump.status());

  std::string title = opts.Get("title", cli::SourceName(path));
  map::MapLayout layout;
  if (diff) {
    const std::string& after_path = opts.positional()[1];
    absl::StatusOr<ParsedIomem> after =
        cli::LoadDump(after_path, opts, *ctx.err);
    if (!after.ok()) return cli::Fail(ctx, after.status());
    const bool zeroed = dump->zeroed || after->zeroed;
    const IomemDiff d = DiffTrees(dump->tree, after->tree, {zeroed});
    layout = map::LayOutDiff(dump->tree, after->tree, d, zeroed);
    if (!opts.Has("title")) {
      title = absl::StrCat(cli::SourceName(path), " \u2192 ",
                           cli::SourceName(after_path));
    }
  } else {
    layout = map::LayOut(dump->tree, dump->zeroed);
  }
  const std::string text =
      html ? map::RenderHtml(layout, {title}) : map::RenderSvg(layout, {title});
  if (out_path == "-") {
    *ctx.out << text;
    return cli::kExitOk;
  }
  std::ofstream file(out_path, std::ios::binary | std::ios::trunc);
  if (file) file.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (file) file.close();
  if (!file) {
    return cli::Fail(ctx,
                     opts.Error(absl::StrCat("cannot write '", out_path, "'")));
  }
  return cli::kExitOk;
}

RESTREE_REGISTER_COMMAND(map, cli::Command{"map",
                                           "draw a /proc/iomem dump as an SVG "
                                           "picture or an interactive HTML "
                                           "page",
                                           kHelp, RunMap});

}  // namespace
}  // namespace restree
