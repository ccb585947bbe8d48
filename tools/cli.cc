#include "tools/cli.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "resource_tree/byte_size.h"

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
    out << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1,
                                       ' ')
        << cmd.summary << "\n";
  }
  out << "\nrestree <command> --help shows a command's options; "
         "restree --version its version.\n";
}

}  // namespace

bool RegisterCommand(Command command) {
  const std::string name = command.name;
  return Registry().emplace(name, std::move(command)).second;
}

int Main(const std::vector<std::string>& args, std::ostream& out,
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

}  // namespace cli
}  // namespace restree
