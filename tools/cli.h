// File: cli.h
// -----------------------------------------------------------------------------
//
// The `restree` command-line framework: a registry of subcommands and a small
// option parser. Each subcommand lives in its own library (`cmd_<name>.cc`)
// and registers itself with RESTREE_REGISTER_COMMAND; the `restree` binary
// links them all. Commands write to the streams they are given, so tests run
// them in-process.
//
// Conventions every command follows (docs/cli.md):
//   * exit 0 on success, 1 for a "negative" answer (trees differ, invariants
//     violated, validation errors), 2 for usage errors and unreadable input;
//   * a usage error is one line on stderr: "restree CMD: message";
//   * `--help` (`-h`) prints the command's help on stdout and exits 0;
//     `restree --version` (`-V`) prints "restree VERSION";
//   * input errors name the place: "FILE:LINE:COL: message" or a byte offset.

#ifndef RESTREE_TOOLS_CLI_H_
#define RESTREE_TOOLS_CLI_H_

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace restree {
namespace cli {

// What `restree --version` prints after "restree ". Raised with each
// change to a command's options or output that a script could notice (a
// JSON schema's version is in its document, docs/json.md).
inline constexpr char kVersion[] = "0.2.0";

inline constexpr int kExitOk = 0;
inline constexpr int kExitNegative = 1;
inline constexpr int kExitError = 2;

// What a command receives.
struct Context {
  std::vector<std::string> args;  // after the command name
  std::ostream* out;
  std::ostream* err;
  // True when `out` is a terminal (colour allowed).
  bool out_is_terminal = false;
};

// Writes `s`'s message and a newline to ctx.err; returns kExitError. The
// message carries its own prefix (OptionParser::Error() adds "restree CMD: ",
// input errors start with the file name).
int Fail(Context& ctx, const absl::Status& s);

struct Command {
  std::string name;
  std::string summary;  // one line, for `restree --help`
  std::string help;     // full text for `restree NAME --help`
  std::function<int(Context&)> run;
};

// `text` with every byte that could drive a terminal escaped as "\xNN":
// C0 controls other than newline and tab, DEL, C1 controls and bytes that
// are not well-formed UTF-8. With `allow_colour`, SGR colour sequences
// (ESC [ ... m) pass. O(n).
std::string TerminalSafe(absl::string_view text, bool allow_colour);

// Adds `command`; called from static initialisers. Names must be unique.
bool RegisterCommand(Command command);

#define RESTREE_REGISTER_COMMAND(ident, ...)         \
  static const bool restree_cli_registered_##ident = \
      ::restree::cli::RegisterCommand(__VA_ARGS__)

// Runs `restree ARGS...` (argv[0] excluded). Returns the exit status.
// Everything written to `err`, and to `out` when it is a terminal, passes
// through TerminalSafe() (the command's output is held until it returns;
// `err` is written before `out`).
int Main(const std::vector<std::string>& args, std::ostream& out,
         std::ostream& err, bool out_is_terminal);

// The manual page, restree(1) in troff -man: every command's summary and
// its --help text, so the two never disagree. `restree --man` prints it;
// the build writes it as tools/restree.1.
std::string ManPage();

// A bash completion script for the commands and the long options their
// help texts name. `restree --bash-completion` prints it; the build writes
// it as tools/restree.bash-completion.
std::string BashCompletion();

// Option parsing. Known options are declared up front; `--name=value` and
// `--name value` both work; `--` ends options; `-` is a positional argument
// (standard input). The short options are one set for every command
// (docs/cli.md): `-j` is `--json` wherever a command declares --json
// (`-h` and `-V` are handled by Main).
class OptionParser {
 public:
  explicit OptionParser(std::string command) : command_(std::move(command)) {}

  // A flag without a value (`--json`).
  OptionParser& Flag(const std::string& name);
  // An option that takes a value (`--depth 5`).
  OptionParser& Value(const std::string& name);

  // Parses; on error returns kInvalidArgument with a one-line message
  // ("restree show: unknown option '--x'").
  [[nodiscard]] absl::Status Parse(const std::vector<std::string>& args);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The last value given for `name`, or `fallback`.
  std::string Get(const std::string& name,
                  const std::string& fallback = "") const;
  const std::vector<std::string>& positional() const { return positional_; }

  // Helpers for typed values; errors name the option.
  [[nodiscard]] absl::StatusOr<int64_t> GetInt(const std::string& name,
                                               int64_t fallback) const;
  [[nodiscard]] absl::StatusOr<uint64_t> GetU64(const std::string& name,
                                                uint64_t fallback) const;

  // "restree CMD: " + message, as a status.
  absl::Status Error(absl::string_view message) const;

 private:
  std::string command_;
  std::map<std::string, bool> known_;  // name -> takes a value
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// Reads a whole file, or standard input for "-", in 64 KiB blocks. Errors
// name the file: cannot open, a directory, a read error, or more than
// `max_bytes` (an error, not an allocation).
inline constexpr size_t kMaxInputBytes = size_t{1} << 30;
[[nodiscard]] absl::StatusOr<std::string> ReadInput(
    const std::string& path, size_t max_bytes = kMaxInputBytes);

// The bytes of a file or of standard input, for inputs that may be large
// (/proc/iomem dumps). A regular file is mapped read-only and read in place,
// without a copy; anything else (standard input, a pipe, /proc/iomem itself,
// whose size reads as 0) is read as by ReadInput. Move-only; the view is
// valid while the object lives. A mapped file that another process
// truncates while it is read ends the process with SIGBUS, as for any
// mmap-based reader.
class InputBytes {
 public:
  InputBytes() = default;
  InputBytes(InputBytes&& other) noexcept;
  InputBytes& operator=(InputBytes&& other) noexcept;
  InputBytes(const InputBytes&) = delete;
  InputBytes& operator=(const InputBytes&) = delete;
  ~InputBytes();

  absl::string_view view() const {
    return map_ != nullptr ? absl::string_view(map_, map_size_) : owned_;
  }
  // The view is a read-only mapping of a file: its pages may be dropped
  // (IomemParseOptions::text_is_file_mapping).
  bool is_file_mapping() const { return map_ != nullptr; }

 private:
  friend absl::StatusOr<InputBytes> MapInput(const std::string& path,
                                             size_t max_bytes);
  void Unmap();

  std::string owned_;
  const char* map_ = nullptr;
  size_t map_size_ = 0;
};

// As ReadInput, but maps a regular file instead of copying it.
[[nodiscard]] absl::StatusOr<InputBytes> MapInput(
    const std::string& path, size_t max_bytes = kMaxInputBytes);

}  // namespace cli
}  // namespace restree

#endif  // RESTREE_TOOLS_CLI_H_
