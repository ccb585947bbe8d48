#include "tools/iomem_input.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace restree {
namespace cli {

void AddDumpOptions(OptionParser& opts) {
  opts.Flag("lenient").Flag("ioports").Flag("allow-empty").Value("max-depth");
}

std::string SourceName(const std::string& path) {
  return path == "-" ? "<stdin>" : path;
}

absl::StatusOr<IomemParseOptions> DumpParseOptions(
    const std::string& path, const OptionParser& opts,
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
  return o;
}

absl::StatusOr<ParsedIomem> LoadDump(const std::string& path,
                                     const OptionParser& opts,
                                     std::ostream& err,
                                     bool collect_structure_problems) {
  absl::StatusOr<IomemParseOptions> o =
      DumpParseOptions(path, opts, collect_structure_problems);
  if (!o.ok()) return o.status();
  absl::StatusOr<InputBytes> input = MapInput(path);
  if (!input.ok()) return input.status();
  return ParseDump(*input, *o, opts, err);
}

absl::StatusOr<ParsedIomem> ParseDump(const InputBytes& input,
                                      IomemParseOptions o,
                                      const OptionParser& opts,
                                      std::ostream& err) {
  const absl::string_view text = input.view();
  o.text_is_file_mapping = input.is_file_mapping();
  absl::StatusOr<ParsedIomem> parsed = ParseIomem(text, o);
  if (!parsed.ok()) {
    if (o.lenient) return parsed.status();
    // Say when --lenient would read the file (a pasted or mailed dump).
    IomemParseOptions lenient = o;
    lenient.lenient = true;
    lenient.summarize = false;  // only its repairs are wanted
    absl::StatusOr<ParsedIomem> retry = ParseIomem(text, lenient);
    if (!retry.ok() || retry->node_lines.size() == 0) return parsed.status();
    return absl::Status(
        parsed.status().code(),
        absl::StrCat(parsed.status().message(), " (--lenient reads it, with ",
                     retry->repairs.size(),
                     retry->repairs.size() == 1 ? " repair)" : " repairs)"));
  }
  if (parsed->node_lines.size() == 0) {
    // A kernel never prints an empty /proc/iomem: text without a resource
    // line is the wrong file, unless the user says an empty dump is meant.
    const bool blank = absl::StripAsciiWhitespace(text).empty();
    if (!(blank && opts.Has("allow-empty"))) {
      return absl::InvalidArgumentError(absl::StrCat(
          o.filename, ": no /proc/iomem lines found",
          blank ? " (the input is empty; --allow-empty reads it as an empty "
                  "dump)"
                : " (no line reads START-END : NAME)"));
    }
  }
  for (const IomemRepair& r : parsed->repairs) {
    err << o.filename << ":" << r.line << ":" << r.column
        << ": repaired: " << r.what << "\n";
  }
  return parsed;
}

}  // namespace cli
}  // namespace restree
