#include "tools/iomem_input.h"

#include "absl/strings/str_cat.h"

namespace restree {
namespace cli {

void AddDumpOptions(OptionParser& opts) {
  opts.Flag("lenient").Flag("ioports").Value("max-depth");
}

std::string SourceName(const std::string& path) {
  return path == "-" ? "<stdin>" : path;
}

absl::StatusOr<ParsedIomem> LoadDump(const std::string& path,
                                     const OptionParser& opts,
                                     std::ostream& err,
                                     bool collect_structure_problems) {
  IomemParseOptions o;
  o.filename = SourceName(path);
  o.lenient = opts.Has("lenient");
  o.root = opts.Has("ioports") ? IomemRoot::kIoports : IomemRoot::kAuto;
  o.collect_structure_problems = collect_structure_problems;
  absl::StatusOr<int64_t> depth = opts.GetInt("max-depth", 0);
  if (!depth.ok()) return depth.status();
  if (*depth != 0 && *depth != 5 && *depth != 8) {
    return opts.Error("--max-depth must be 5 or 8 (MAX_IORES_LEVEL)");
  }
  o.max_depth = static_cast<int>(*depth);
  absl::StatusOr<std::string> text = ReadInput(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<ParsedIomem> parsed = ParseIomem(*text, o);
  if (!parsed.ok()) return parsed.status();
  for (const IomemRepair& r : parsed->repairs) {
    err << o.filename << ":" << r.line << ":" << r.column
        << ": repaired: " << r.what << "\n";
  }
  return parsed;
}

}  // namespace cli
}  // namespace restree
