// `restree cedt`: decodes an ACPI CEDT (CXL Early Discovery Table) and shows
// it with `iasl -d`'s field names, validates it, answers which host bridge
// serves an address, plans its windows into an iomem tree, and converts
// between tables and restree's description format. See docs/cedt.md.

#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/byte_size.h"
#include "cfmws/cedt.h"
#include "cfmws/description.h"
#include "cfmws/interleave.h"
#include "cfmws/plan.h"
#include "cfmws/render.h"
#include "cfmws/validate.h"
#include "resource_tree/render.h"
#include "resource_tree/resource_tree.h"
#include "tools/cli.h"
#include "tools/iomem_input.h"

namespace restree {
namespace {

constexpr char kDefaultPath[] = "/sys/firmware/acpi/tables/CEDT";
// CEDTs are a few KiB; refuse inputs (tables and descriptions) that could
// only be a mistake or an attack on memory, before reading them whole.
constexpr size_t kMaxCedtInputBytes = size_t{16} << 20;

constexpr char kHelp[] =
    "usage: restree cedt [FILE] [--json]\n"
    "       restree cedt [FILE] --validate [--json]\n"
    "       restree cedt [FILE] --hpa ADDR [--json]\n"
    "       restree cedt [FILE] --plan [--chunked [--chunk-size SIZE]] "
    "[--json]\n"
    "       restree cedt [FILE] --describe\n"
    "       restree cedt --encode DESC --output OUT\n"
    "\n"
    "Decodes an ACPI CEDT (CXL Early Discovery Table): the raw table from\n"
    "FILE (default /sys/firmware/acpi/tables/CEDT; '-' reads standard input;\n"
    "`acpidump -b` writes cedt.dat) and prints every field with the names\n"
    "`iasl -d` uses.\n"
    "\n"
    "  --json, -j        JSON (schemas restree.cedt*/1, docs/json.md)\n"
    "  --validate        list every problem with severity, subtable and\n"
    "                    offset; exit 1 if any is an error\n"
    "  --hpa ADDR        which window, interleave position, host bridge and\n"
    "                    offset serve host physical address ADDR; exit 1 if\n"
    "                    no window contains it\n"
    "  --plan            apply the windows to an empty iomem tree as Linux's\n"
    "                    cxl_acpi does and print what each window became and\n"
    "                    the resulting /proc/iomem\n"
    "  --chunked         with --plan: restree's chunked reservation instead\n"
    "  --chunk-size SIZE with --chunked: bytes per chunk (default ways x\n"
    "                    256M; a multiple of it)\n"
    "  --base DUMP       with --plan: start from this /proc/iomem dump "
    "instead\n"
    "                    of an empty tree (--lenient accepts an edited dump)\n"
    "  --describe        print the table in restree's description format\n"
    "  --encode DESC     build a table from a description file (checksum\n"
    "                    computed) and write it to --output OUT\n"
    "\n"
    "Exit status: 0 ok, 1 negative answer (validation errors, address in no\n"
    "window), 2 usage or input error.\n";

int Fail(cli::Context& ctx, absl::string_view message) {
  *ctx.err << "restree cedt: " << message << "\n";
  return cli::kExitError;
}

absl::StatusOr<std::string> ReadTable(const std::string& path) {
  absl::StatusOr<std::string> data = cli::ReadInput(path, kMaxCedtInputBytes);
  if (!data.ok()) {
    if (path == kDefaultPath &&
        data.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat(
          data.status().message(),
          " (this machine's firmware publishes no CEDT: no CXL host bridges "
          "or windows are described; give a FILE, e.g. one from `acpidump "
          "-b`)"));
    }
    return data.status();
  }
  return data;
}

int Encode(cli::Context& ctx, const cli::OptionParser& opts) {
  if (!opts.Has("output")) return Fail(ctx, "--encode needs --output OUT");
  if (!opts.positional().empty()) {
    return Fail(ctx, "--encode takes no FILE (the description is DESC)");
  }
  const std::string desc_path = opts.Get("encode");
  absl::StatusOr<std::string> text =
      cli::ReadInput(desc_path, kMaxCedtInputBytes);
  if (!text.ok()) return Fail(ctx, text.status().message());
  absl::StatusOr<cedt::Cedt> t = cedt::ParseDescription(*text);
  if (!t.ok()) {
    return Fail(ctx, absl::StrCat(desc_path, ":", t.status().message()));
  }
  absl::StatusOr<std::vector<uint8_t>> bytes = cedt::EncodeCedt(*t);
  if (!bytes.ok()) {
    return Fail(ctx, absl::StrCat(desc_path, ": ", bytes.status().message()));
  }
  const std::string out_path = opts.Get("output");
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes->data()),
            static_cast<std::streamsize>(bytes->size()));
  out.close();
  if (!out) return Fail(ctx, absl::StrCat(out_path, ": cannot write"));
  return cli::kExitOk;
}

int Validate(cli::Context& ctx, const cedt::Cedt& t, bool json) {
  const std::vector<cedt::Finding> findings = cedt::ValidateCedt(t);
  if (json) {
    *ctx.out << cedt::FindingsToJson(findings);
  } else {
    int counts[3] = {0, 0, 0};
    for (const cedt::Finding& f : findings) {
      *ctx.out << cedt::FormatFinding(t, f) << "\n";
      ++counts[static_cast<int>(f.severity)];
    }
    *ctx.out << absl::StrFormat("%d errors, %d warnings, %d notes\n", counts[0],
                                counts[1], counts[2]);
  }
  return cedt::CountErrors(findings) > 0 ? cli::kExitNegative : cli::kExitOk;
}

int Hpa(cli::Context& ctx, const cedt::Cedt& t, const std::string& text,
        bool json) {
  absl::StatusOr<uint64_t> hpa = ParseByteSize(text, "--hpa");
  if (!hpa.ok()) return Fail(ctx, hpa.status().message());
  const cedt::WindowIndex index = cedt::WindowIndex::Build(t);
  const std::vector<cedt::HpaMatch> matches = cedt::MatchHpa(t, index, *hpa);
  *ctx.out << (json ? cedt::HpaToJson(*hpa, matches, index.skipped())
                    : cedt::HpaToText(*hpa, matches, index.skipped()));
  return matches.empty() ? cli::kExitNegative : cli::kExitOk;
}

int Plan(cli::Context& ctx, const cedt::Cedt& t, const cli::OptionParser& opts,
         bool json) {
  cedt::PlanOptions options;
  if (opts.Has("chunked")) options.mode = cedt::PlanMode::kChunked;
  if (opts.Has("chunk-size")) {
    if (!opts.Has("chunked")) return Fail(ctx, "--chunk-size needs --chunked");
    absl::StatusOr<uint64_t> cs = opts.GetU64("chunk-size", 0);
    if (!cs.ok()) return Fail(ctx, cs.status().message());
    if (*cs == 0) return Fail(ctx, "--chunk-size must be positive");
    options.chunk_size = *cs;
  }
  ResourceTree tree = ResourceTree::Iomem();
  if (opts.Has("base")) {
    absl::StatusOr<ParsedIomem> base =
        cli::LoadDump(opts.Get("base"), opts, *ctx.err);
    if (!base.ok()) return Fail(ctx, base.status().message());
    if (base->zeroed) {
      return Fail(ctx, absl::StrCat(opts.Get("base"),
                                    ": every address is 0 (read without "
                                    "CAP_SYS_ADMIN); a plan needs addresses"));
    }
    tree = std::move(base->tree);
  }
  absl::StatusOr<cedt::PlanResult> plan = cedt::PlanWindows(t, &tree, options);
  if (!plan.ok()) return Fail(ctx, plan.status().message());
  if (json) {
    *ctx.out << cedt::PlanToJson(*plan, tree);
  } else {
    *ctx.out << cedt::FormatPlan(*plan) << "\n" << RenderProcIomem(tree);
  }
  return cli::kExitOk;
}

int RunCedt(cli::Context& ctx) {
  cli::OptionParser opts("cedt");
  opts.Flag("json")
      .Flag("validate")
      .Value("hpa")
      .Flag("plan")
      .Flag("chunked")
      .Value("chunk-size")
      .Value("base")
      .Flag("lenient")
      .Flag("describe")
      .Value("encode")
      .Value("output");
  if (absl::Status s = opts.Parse(ctx.args); !s.ok()) {
    *ctx.err << s.message() << "\n";
    return cli::kExitError;
  }
  int modes = 0;
  for (const char* m : {"validate", "hpa", "plan", "describe", "encode"}) {
    modes += opts.Has(m) ? 1 : 0;
  }
  if (modes > 1) {
    return Fail(ctx,
                "--validate, --hpa, --plan, --describe and --encode "
                "exclude each other");
  }
  if (opts.Has("encode")) return Encode(ctx, opts);
  if (opts.Has("output")) return Fail(ctx, "--output goes with --encode");
  if ((opts.Has("chunked") || opts.Has("base")) && !opts.Has("plan")) {
    return Fail(ctx, "--chunked and --base go with --plan");
  }
  if (opts.positional().size() > 1) {
    return Fail(
        ctx, absl::StrCat("unexpected argument '", opts.positional()[1], "'"));
  }
  const std::string path =
      opts.positional().empty() ? kDefaultPath : opts.positional()[0];
  const bool json = opts.Has("json");
  absl::StatusOr<std::string> data = ReadTable(path);
  if (!data.ok()) return Fail(ctx, data.status().message());
  absl::StatusOr<cedt::Cedt> t = cedt::DecodeCedt(*data);
  if (!t.ok()) {
    if (opts.Has("validate")) {
      // The answer to "is this table valid?" is no.
      if (json) {
        cedt::Finding f{cedt::Severity::kError, "decode", -1, 0,
                        std::string(t.status().message())};
        *ctx.out << cedt::FindingsToJson({f});
      } else {
        *ctx.out << "error: [decode] " << t.status().message() << "\n"
                 << "1 errors, 0 warnings, 0 notes\n";
      }
      return cli::kExitNegative;
    }
    return Fail(ctx, absl::StrCat(path, ": ", t.status().message()));
  }
  if (opts.Has("validate")) return Validate(ctx, *t, json);
  if (opts.Has("hpa")) return Hpa(ctx, *t, opts.Get("hpa"), json);
  if (opts.Has("plan")) return Plan(ctx, *t, opts, json);
  if (opts.Has("describe")) {
    if (json) return Fail(ctx, "--describe has no JSON form");
    *ctx.out << cedt::FormatDescription(*t);
    return cli::kExitOk;
  }
  const std::vector<cedt::Finding> findings = cedt::ValidateCedt(*t);
  if (json) {
    *ctx.out << cedt::CedtToJson(*t, findings);
    return cli::kExitOk;
  }
  *ctx.out << cedt::RenderHuman(*t);
  const int errors = cedt::CountErrors(findings);
  const size_t others = findings.size() - static_cast<size_t>(errors);
  *ctx.out << absl::StrFormat(
      "\n%d subtables; %d validation errors, %d warnings and notes%s\n",
      t->subtables.size(), errors, others,
      findings.empty() ? "" : " (restree cedt --validate lists them)");
  return cli::kExitOk;
}

RESTREE_REGISTER_COMMAND(
    cedt,
    cli::Command{"cedt", "decode, validate and plan an ACPI CEDT (CXL windows)",
                 kHelp, RunCedt});

}  // namespace
}  // namespace restree
