// `restree map [FILE|-] -o OUT.svg|OUT.html`: a picture of the address map.

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "map/html.h"
#include "map/layout.h"
#include "map/svg.h"
#include "tools/cli.h"
#include "tools/iomem_input.h"

namespace restree {
namespace {

constexpr char kHelp[] =
    "usage: restree map [FILE|-] -o OUT.svg|OUT.html [options]\n"
    "\n"
    "Draws a /proc/iomem dump: addresses left to right on an axis that cuts\n"
    "empty gaps and compresses large spans (every resource stays visible),\n"
    "nested resources as bands below their parents, coloured by kind.\n"
    "FILE defaults to /proc/iomem; - reads standard input. The format\n"
    "follows OUT's extension: .svg a static picture, .html an interactive\n"
    "page (zoom, pan, tooltips, keyboard; one file, no network).\n"
    "\n"
    "  -o, --output OUT  where to write (required; - writes SVG to stdout)\n"
    "  --title TEXT      the picture's title (default: the file name)\n"
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
  opts.Value("output").Value("title");
  cli::AddDumpOptions(opts);
  if (absl::Status s = opts.Parse(args); !s.ok()) return cli::Fail(ctx, s);
  if (opts.positional().size() > 1) {
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
  absl::StatusOr<ParsedIomem> dump = cli::LoadDump(path, opts, *ctx.err);
  if (!dump.ok()) return cli::Fail(ctx, dump.status());

  const std::string title = opts.Get("title", cli::SourceName(path));
  const map::MapLayout layout = map::LayOut(dump->tree, dump->zeroed);
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
