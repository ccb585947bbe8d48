#include "tools/cli.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/byte_size.h"

namespace restree {
namespace cli {
namespace {

std::map<std::string, Command>& Registry() {
  static auto* registry = new std::map<std::string, Command>();
  return *registry;
}

void PrintUsage(std::ostream& out) {
  out << "usage: restree <command> [options] [files]\n\n"
         "restree models the Linux physical address space (/proc/iomem) and "
         "its CXL hotplug.\n\ncommands:\n";
  for (const auto& [name, cmd] : Registry()) {
    out << "  " << name
        << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ')
        << cmd.summary << "\n";
  }
  out << "\nrestree <command> --help shows a command's options; "
         "restree --version its version.\n";
}

// The long options a command's help names ("--json", ...), in order,
// each once.
std::vector<std::string> OptionsInHelp(const std::string& help) {
  std::vector<std::string> out;
  for (size_t at = help.find("--"); at != std::string::npos;
       at = help.find("--", at + 2)) {
    if (at > 0 && help[at - 1] != ' ' && help[at - 1] != '[' &&
        help[at - 1] != '(' && help[at - 1] != '|') {
      continue;
    }
    size_t end = at + 2;
    while (end < help.size() &&
           (absl::ascii_islower(static_cast<unsigned char>(help[end])) ||
            absl::ascii_isdigit(static_cast<unsigned char>(help[end])) ||
            help[end] == '-')) {
      ++end;
    }
    if (end == at + 2) continue;
    std::string opt = help.substr(at, end - at);
    if (std::find(out.begin(), out.end(), opt) == out.end()) {
      out.push_back(std::move(opt));
    }
  }
  return out;
}

// Text for a troff line: backslashes doubled, and a leading '.' or '\''
// (a request) guarded.
std::string Troff(absl::string_view line) {
  std::string out;
  if (!line.empty() && (line[0] == '.' || line[0] == '\'')) out = "\\&";
  for (char c : line) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string ManPage() {
  std::string out = absl::StrCat(".TH RESTREE 1 \"\" \"restree ", kVersion,
                                 "\" \"User Commands\"\n");
  out +=
      ".SH NAME\n"
      "restree \\- model the Linux physical address space (/proc/iomem) and "
      "its CXL hotplug\n"
      ".SH SYNOPSIS\n"
      ".B restree\n"
      ".I command\n"
      "[\\fIoptions\\fR] [\\fIfiles\\fR]\n"
      ".br\n"
      ".B restree \\-\\-version\n"
      ".SH DESCRIPTION\n"
      "Each command reads its input (a /proc/iomem dump, a CEDT, a NUMA "
      "description) and answers on standard output; errors go to standard "
      "error as one line naming the file and place. Exit status: 0 success, "
      "1 a negative answer, 2 a usage error or unreadable input.\n"
      ".PP\n"
      "Short options: \\fB\\-h\\fR (\\-\\-help), \\fB\\-V\\fR "
      "(\\-\\-version), \\fB\\-j\\fR (\\-\\-json, in every command that "
      "has it).\n"
      ".SH COMMANDS\n";
  for (const auto& [name, cmd] : Registry()) {
    absl::StrAppend(&out, ".SS ", Troff(name), "\n", Troff(cmd.summary),
                    ".\n.PP\n.nf\n");
    for (absl::string_view line : absl::StrSplit(cmd.help, '\n')) {
      absl::StrAppend(&out, Troff(line), "\n");
    }
    absl::StrAppend(&out, ".fi\n");
  }
  absl::StrAppend(&out, ".SH VERSION\n", kVersion, "\n",
                  ".SH SEE ALSO\n"
                  ".BR lsmem (1),\n.BR cxl (1),\n.BR daxctl (1),\n"
                  ".BR numactl (8)\n");
  return out;
}

std::string BashCompletion() {
  std::string names;
  std::string cases;
  for (const auto& [name, cmd] : Registry()) {
    absl::StrAppend(&names, names.empty() ? "" : " ", name);
    std::vector<std::string> opts = OptionsInHelp(cmd.help);
    opts.push_back("--help");
    absl::StrAppend(&cases, "    ", name, ") opts=\"", absl::StrJoin(opts, " "),
                    "\" ;;\n");
  }
  return absl::StrCat(
      "# bash completion for restree (generated: restree --bash-completion)\n"
      "_restree() {\n"
      "  local cur=${COMP_WORDS[COMP_CWORD]} opts\n"
      "  if [[ $COMP_CWORD -eq 1 ]]; then\n"
      "    COMPREPLY=($(compgen -W \"",
      names,
      " --help --version\" -- \"$cur\"))\n"
      "    return\n"
      "  fi\n"
      "  case ${COMP_WORDS[1]} in\n",
      cases,
      "    *) opts=\"\" ;;\n"
      "  esac\n"
      "  if [[ $cur == -* ]]; then\n"
      "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
      "  else\n"
      "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      "  fi\n"
      "}\n"
      "complete -o filenames -F _restree restree\n");
}

bool RegisterCommand(Command command) {
  const std::string name = command.name;
  return Registry().emplace(name, std::move(command)).second;
}

std::string TerminalSafe(absl::string_view text, bool allow_colour) {
  std::string out;
  out.reserve(text.size());
  const auto escape = [&out](unsigned char c) {
    absl::StrAppend(&out, "\\x",
                    absl::Hex(static_cast<unsigned>(c), absl::kZeroPad2));
  };
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c == 0x1b && allow_colour && i + 1 < text.size() &&
        text[i + 1] == '[') {
      // SGR (colour) only: ESC [ digits and ';' m.
      size_t j = i + 2;
      while (j < text.size() &&
             (absl::ascii_isdigit(static_cast<unsigned char>(text[j])) ||
              text[j] == ';')) {
        ++j;
      }
      if (j < text.size() && text[j] == 'm') {
        out.append(text.data() + i, j + 1 - i);
        i = j + 1;
        continue;
      }
    }
    // A well-formed UTF-8 sequence for a character that is not a C1
    // control passes; any other byte is escaped.
    size_t n = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
    }
    bool ok = n > 0 && i + n <= text.size();
    for (size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    if (ok && n == 2 && c == 0xc2 &&
        static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      ok = false;  // U+0080..U+009F
    }
    if (ok) {
      out.append(text.data() + i, n);
      i += n;
    } else {
      escape(c);
      ++i;
    }
  }
  return out;
}

namespace {

int RunCommand(const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err, bool out_is_terminal) {
  if (args.empty()) {
    PrintUsage(err);
    return kExitError;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage(out);
    return kExitOk;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    out << "restree " << kVersion << "\n";
    return kExitOk;
  }
  // For the build (tools:restree_man, tools:restree_bash_completion).
  if (args[0] == "--man") {
    out << ManPage();
    return kExitOk;
  }
  if (args[0] == "--bash-completion") {
    out << BashCompletion();
    return kExitOk;
  }
  auto it = Registry().find(args[0]);
  if (it == Registry().end()) {
    err << "restree: unknown command '" << args[0]
        << "' (restree --help lists them)\n";
    return kExitError;
  }
  Context ctx;
  ctx.args.assign(args.begin() + 1, args.end());
  ctx.out = &out;
  ctx.err = &err;
  ctx.out_is_terminal = out_is_terminal;
  for (const std::string& a : ctx.args) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") {
      out << it->second.help;
      return kExitOk;
    }
  }
  return it->second.run(ctx);
}

}  // namespace

int Main(const std::vector<std::string>& args, std::ostream& out,
         std::ostream& err, bool out_is_terminal) {
  // Input bytes reach messages and, on a terminal, the output: neither may
  // carry a control sequence from the input to the terminal.
  std::ostringstream err_text;
  std::ostringstream out_text;
  const int rc = RunCommand(args, out_is_terminal ? out_text : out, err_text,
                            out_is_terminal);
  err << TerminalSafe(err_text.str(), /*allow_colour=*/false);
  if (out_is_terminal) {
    out << TerminalSafe(out_text.str(), /*allow_colour=*/true);
  }
  return rc;
}

OptionParser& OptionParser::Flag(const std::string& name) {
  known_[name] = false;
  return *this;
}

OptionParser& OptionParser::Value(const std::string& name) {
  known_[name] = true;
  return *this;
}

absl::Status OptionParser::Error(absl::string_view message) const {
  return absl::InvalidArgumentError(
      absl::StrCat("restree ", command_, ": ", message));
}

absl::Status OptionParser::Parse(const std::vector<std::string>& args) {
  values_.clear();
  positional_.clear();
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a == "-" || !absl::StartsWith(a, "-")) {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    std::string name;
    if (!absl::StartsWith(a, "--")) {
      // The short options every command shares, for the long ones it has.
      if (a == "-j" && known_.count("json") > 0) {
        name = "json";
      } else {
        return Error(absl::StrCat("unknown option '", a, "'"));
      }
    } else {
      name = a.substr(2);
    }
    std::string value;
    bool has_value = false;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto k = known_.find(name);
    if (k == known_.end()) {
      return Error(absl::StrCat("unknown option '--", name, "'"));
    }
    if (k->second) {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          return Error(absl::StrCat("option '--", name, "' needs a value"));
        }
        value = args[++i];
      }
    } else if (has_value) {
      return Error(absl::StrCat("option '--", name, "' takes no value"));
    }
    values_.emplace(name, value);
  }
  return absl::OkStatus();
}

std::string OptionParser::Get(const std::string& name,
                              const std::string& fallback) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return fallback;
  return std::prev(range.second)->second;
}

absl::StatusOr<int64_t> OptionParser::GetInt(const std::string& name,
                                             int64_t fallback) const {
  if (!Has(name)) return fallback;
  int64_t v = 0;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return Error(absl::StrCat("option '--", name, "' wants an integer, got '",
                              Get(name), "'"));
  }
  return v;
}

absl::StatusOr<uint64_t> OptionParser::GetU64(const std::string& name,
                                              uint64_t fallback) const {
  if (!Has(name)) return fallback;
  absl::StatusOr<uint64_t> v =
      ParseByteSize(Get(name), absl::StrCat("option '--", name, "'"));
  if (!v.ok()) return Error(v.status().message());
  return v;
}

int Fail(Context& ctx, const absl::Status& s) {
  *ctx.err << s.message() << "\n";
  return kExitError;
}

absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      size_t max_bytes) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      return absl::NotFoundError(
          absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
    }
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
    }
    in = &file;
  }
  std::string data;
  char buf[1 << 16];
  while (in->read(buf, sizeof(buf)) || in->gcount() > 0) {
    data.append(buf, static_cast<size_t>(in->gcount()));
    if (data.size() > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
    }
  }
  if (in->bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read error"));
  }
  return data;
}

InputBytes::InputBytes(InputBytes&& other) noexcept
    : owned_(std::move(other.owned_)),
      map_(std::exchange(other.map_, nullptr)),
      map_size_(std::exchange(other.map_size_, 0)) {}

InputBytes& InputBytes::operator=(InputBytes&& other) noexcept {
  if (this != &other) {
    Unmap();
    owned_ = std::move(other.owned_);
    map_ = std::exchange(other.map_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
  }
  return *this;
}

InputBytes::~InputBytes() { Unmap(); }

void InputBytes::Unmap() {
  if (map_ != nullptr) munmap(const_cast<char*>(map_), map_size_);
  map_ = nullptr;
  map_size_ = 0;
}

absl::StatusOr<InputBytes> MapInput(const std::string& path, size_t max_bytes) {
  InputBytes in;
  {
    // Standard input redirected from a file is mapped as the file is.
    const bool is_stdin = path == "-";
    const int fd =
        is_stdin ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st;
      void* map = MAP_FAILED;
      size_t size = 0;
      // (Standard input part-read by an earlier command is read from
      // where it stands, not mapped from the start.)
      if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
          (!is_stdin || lseek(fd, 0, SEEK_CUR) == 0)) {
        size = static_cast<size_t>(st.st_size);
        if (size > max_bytes) {
          if (!is_stdin) close(fd);
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
        }
        // MAP_POPULATE maps the page-cache pages up front, in one pass,
        // instead of one fault per page while parsing.
        map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      }
      if (!is_stdin) close(fd);
      if (map != MAP_FAILED) {
        in.map_ = static_cast<const char*>(map);
        in.map_size_ = size;
        return in;
      }
    }
    // Not a mappable regular file (or not openable): ReadInput says why.
  }
  absl::StatusOr<std::string> data = ReadInput(path, max_bytes);
  if (!data.ok()) return data.status();
  in.owned_ = *std::move(data);
  return in;
}

}  // namespace cli
}  // namespace restree
