// File: iomem_input.h
// -----------------------------------------------------------------------------
//
// Options and loading shared by the commands that read /proc/iomem dumps
// (show, diff, check, map): --lenient, --ioports, --allow-empty,
// --max-depth N.

#ifndef RESTREE_TOOLS_IOMEM_INPUT_H_
#define RESTREE_TOOLS_IOMEM_INPUT_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "iomem_parser/parser.h"
#include "tools/cli.h"

namespace restree {
namespace cli {

inline constexpr char kDefaultIomem[] = "/proc/iomem";

// Declares --lenient, --ioports and --max-depth on `opts`.
void AddDumpOptions(OptionParser& opts);

// Reads and parses `path` ("-" = standard input) with the options given on
// the command line. Lenient-mode repairs are reported on `err`, one line
// each ("FILE:LINE:COL: repaired: ..."). Errors name the file and place; a
// strict-mode error says so when --lenient would read the file. Input with
// no resource line is an error ("no /proc/iomem lines found"), except blank
// input with --allow-empty (an empty tree).
[[nodiscard]] absl::StatusOr<ParsedIomem> LoadDump(
    const std::string& path, const OptionParser& opts, std::ostream& err,
    bool collect_structure_problems = false);

// LoadDump in steps, for a command that looks at the input before parsing
// it (show --raw): the parse options the command line gives for `path`
// (a usage error for a bad --max-depth), then the parse of input already
// read with them, reported as LoadDump reports it.
[[nodiscard]] absl::StatusOr<IomemParseOptions> DumpParseOptions(
    const std::string& path, const OptionParser& opts,
    bool collect_structure_problems = false);
[[nodiscard]] absl::StatusOr<ParsedIomem> ParseDump(const InputBytes& input,
                                                    IomemParseOptions options,
                                                    const OptionParser& opts,
                                                    std::ostream& err);

// The name to show for `path` in messages.
std::string SourceName(const std::string& path);

}  // namespace cli
}  // namespace restree

#endif  // RESTREE_TOOLS_IOMEM_INPUT_H_
