#include "numa/parse.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/byte_size.h"
#include "base/status_macros.h"

namespace restree {
namespace numa {
namespace {

namespace fs = std::filesystem;

// One whitespace-separated token and its 1-based column.
struct Token {
  absl::string_view text;
  size_t column = 0;
};

std::vector<Token> Tokenize(absl::string_view line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() &&
           absl::ascii_isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
    }
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() &&
           !absl::ascii_isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
    }
    out.push_back({line.substr(start, i - start), start + 1});
  }
  return out;
}

// Splits text into lines (LF or CRLF), 1-based line numbers.
std::vector<absl::string_view> Lines(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (absl::string_view& l : lines) absl::ConsumeSuffix(&l, "\r");
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// "FILE:LINE:COL: message"
[[nodiscard]] absl::Status At(
    absl::string_view file, size_t line, size_t column,
    absl::string_view message,
    absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
  return absl::Status(
      code, absl::StrCat(file, ":", line, ":", column, ": ", message));
}

// A decimal integer in [lo, hi].
bool ParseInt(absl::string_view s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  int64_t v = 0;
  if (!absl::SimpleAtoi(s, &v)) return false;
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

[[nodiscard]] absl::Status CheckSize(absl::string_view text,
                                     absl::string_view file) {
  if (text.size() > kMaxTextInput) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": ", text.size(), " bytes exceeds the ",
                     kMaxTextInput, "-byte input limit"));
  }
  return absl::OkStatus();
}

// Rejects a CPU that another node already has. `cpus` ascending.
bool CpusOverlap(const Topology& t, int node, const std::vector<int>& cpus,
                 int* other, int* cpu) {
  for (const NumaNode& n : t.nodes()) {
    if (n.id == node) continue;
    for (int c : cpus) {
      if (std::binary_search(n.cpus.begin(), n.cpus.end(), c)) {
        *other = n.id;
        *cpu = c;
        return true;
      }
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// numactl -H

struct NumactlNode {
  std::vector<int> cpus;
  bool has_cpus_line = false;
  std::optional<uint64_t> size_mb;
  size_t line = 0;
};

// `numactl -H` read line by line: the per-node lines ("available:",
// "node N cpus:|size:|free:"), then the distance table ("node distances:",
// its header, one row per node) or "No distance information".
class NumactlParser {
 public:
  explicit NumactlParser(absl::string_view file) : file_(file) {}

  // Reads line `ln` (1-based).
  [[nodiscard]] absl::Status Line(size_t ln, absl::string_view line);
  // After the last of `line_count` lines: the topology they describe.
  [[nodiscard]] absl::StatusOr<Topology> Finish(size_t line_count) const;

 private:
  enum class State { kNodes, kHeader, kRows, kNoDistances };

  [[nodiscard]] absl::Status Err(size_t ln, size_t col,
                                 absl::string_view msg) const {
    return At(file_, ln, col, msg);
  }
  // "node 0 1 ...": the ids the rows will have, ascending.
  [[nodiscard]] absl::Status DistanceHeader(size_t ln,
                                            const std::vector<Token>& tok);
  // "N: d d ...": one row of the table.
  [[nodiscard]] absl::Status DistanceRow(size_t ln,
                                         const std::vector<Token>& tok);
  // "available: N nodes (LIST)".
  [[nodiscard]] absl::Status Available(size_t ln,
                                       const std::vector<Token>& tok);
  // "node N cpus:|size:|free: ...".
  [[nodiscard]] absl::Status NodeLine(size_t ln, const std::vector<Token>& tok);
  [[nodiscard]] absl::Status NodeCpus(size_t ln, const std::vector<Token>& tok,
                                      NumactlNode* node);
  [[nodiscard]] absl::Status NodeMemory(size_t ln,
                                        const std::vector<Token>& tok,
                                        NumactlNode* node);
  // The node ids the output describes: the distance table's when there is
  // one (every node line's node must be in it), else the node lines'.
  [[nodiscard]] absl::StatusOr<std::vector<int>> NodeIds() const;
  // Fills `t`'s distances from the rows, then its nodes' CPUs and memory.
  [[nodiscard]] absl::Status SetDistances(Topology* t) const;
  [[nodiscard]] absl::Status SetNodes(Topology* t) const;

  absl::string_view file_;
  State state_ = State::kNodes;
  std::map<int, NumactlNode> nodes_;
  std::vector<int> header_;
  size_t header_line_ = 0;
  std::map<int, std::pair<std::vector<int>, size_t>>
      rows_;  // id -> (row, line)
  std::optional<std::pair<NodeMask, size_t>> available_;
};

absl::Status NumactlParser::Line(size_t ln, absl::string_view line) {
  const std::vector<Token> tok = Tokenize(line);
  if (tok.empty()) return absl::OkStatus();
  switch (state_) {
    case State::kHeader:
      return DistanceHeader(ln, tok);
    case State::kRows:
      return DistanceRow(ln, tok);
    case State::kNoDistances:
      return Err(ln, tok[0].column, "text after \"No distance information\"");
    case State::kNodes:
      break;
  }
  if (tok[0].text == "available:") return Available(ln, tok);
  if (tok[0].text == "No" &&
      line.find("No distance information") != absl::string_view::npos) {
    state_ = State::kNoDistances;
    return absl::OkStatus();
  }
  if (tok[0].text != "node") {
    return Err(ln, tok[0].column,
               absl::StrCat("unrecognised line starting '", tok[0].text, "'"));
  }
  if (tok.size() >= 2 && tok[1].text == "distances:") {
    if (tok.size() != 2) return Err(ln, tok[2].column, "unexpected text");
    state_ = State::kHeader;
    return absl::OkStatus();
  }
  return NodeLine(ln, tok);
}

absl::Status NumactlParser::DistanceHeader(size_t ln,
                                           const std::vector<Token>& tok) {
  if (tok[0].text != "node") {
    return Err(ln, tok[0].column, "expected the distance header \"node ...\"");
  }
  for (size_t k = 1; k < tok.size(); ++k) {
    int64_t id = 0;
    if (!ParseInt(tok[k].text, 0, kMaxNumNodes - 1, &id)) {
      return Err(ln, tok[k].column,
                 absl::StrCat("'", tok[k].text, "' is not a node id 0..",
                              kMaxNumNodes - 1));
    }
    if (!header_.empty() && id <= header_.back()) {
      return Err(ln, tok[k].column, "node ids must ascend");
    }
    header_.push_back(static_cast<int>(id));
  }
  if (header_.empty()) return Err(ln, tok[0].column, "no node ids");
  header_line_ = ln;
  state_ = State::kRows;
  return absl::OkStatus();
}

absl::Status NumactlParser::DistanceRow(size_t ln,
                                        const std::vector<Token>& tok) {
  absl::string_view first = tok[0].text;
  if (!absl::ConsumeSuffix(&first, ":")) {
    return Err(ln, tok[0].column, "expected a distance row \"N: d d ...\"");
  }
  int64_t id = 0;
  if (!ParseInt(first, 0, kMaxNumNodes - 1, &id)) {
    return Err(ln, tok[0].column, "bad node id in a distance row");
  }
  if (std::find(header_.begin(), header_.end(), id) == header_.end()) {
    return Err(ln, tok[0].column,
               absl::StrCat("node ", id, " is not in the header"));
  }
  if (rows_.count(static_cast<int>(id)) != 0) {
    return Err(ln, tok[0].column, absl::StrCat("second row for node ", id));
  }
  if (tok.size() - 1 != header_.size()) {
    return Err(ln, tok.back().column + tok.back().text.size(),
               absl::StrCat("row has ", tok.size() - 1,
                            " distances, the header ", header_.size()));
  }
  std::vector<int> row;
  for (size_t k = 1; k < tok.size(); ++k) {
    int64_t d = 0;
    if (!ParseInt(tok[k].text, 1, 255, &d)) {
      return Err(ln, tok[k].column,
                 absl::StrCat("'", tok[k].text, "' is not a distance 1..255"));
    }
    row.push_back(static_cast<int>(d));
  }
  rows_[static_cast<int>(id)] = {std::move(row), ln};
  return absl::OkStatus();
}

absl::Status NumactlParser::Available(size_t ln,
                                      const std::vector<Token>& tok) {
  int64_t count = 0;
  if (tok.size() == 4 && ParseInt(tok[1].text, 0, INT64_MAX, &count) &&
      count > kMaxNumNodes) {
    return Err(ln, tok[1].column,
               absl::StrCat(count,
                            " nodes: more than the kernel's "
                            "MAX_NUMNODES of ",
                            kMaxNumNodes, " (CONFIG_NODES_SHIFT=10)"));
  }
  if (tok.size() != 4 || !ParseInt(tok[1].text, 0, kMaxNumNodes, &count) ||
      (tok[2].text != "nodes" && tok[2].text != "node") ||
      !absl::StartsWith(tok[3].text, "(") ||
      !absl::EndsWith(tok[3].text, ")")) {
    return Err(ln, tok[0].column, "expected \"available: N nodes (LIST)\"");
  }
  absl::string_view list = tok[3].text.substr(1, tok[3].text.size() - 2);
  absl::StatusOr<NodeMask> mask =
      ParseNodeList(list, absl::StrCat(file_, ":", ln));
  if (!mask.ok()) {
    return Err(ln, tok[3].column + 1, mask.status().message());
  }
  if (mask->Count() != count) {
    return Err(
        ln, tok[1].column,
        absl::StrCat("says ", count, " nodes but lists ", mask->Count()));
  }
  available_ = std::make_pair(*mask, ln);
  return absl::OkStatus();
}

absl::Status NumactlParser::NodeLine(size_t ln, const std::vector<Token>& tok) {
  int64_t id = 0;
  if (tok.size() < 3 || !ParseInt(tok[1].text, 0, kMaxNumNodes - 1, &id)) {
    return Err(ln, tok.size() >= 2 ? tok[1].column : tok[0].column,
               absl::StrCat("expected \"node N cpus:|size:|free: ...\" with "
                            "N in 0..",
                            kMaxNumNodes - 1));
  }
  NumactlNode& node = nodes_[static_cast<int>(id)];
  if (node.line == 0) node.line = ln;
  const absl::string_view what = tok[2].text;
  if (what == "cpus:") return NodeCpus(ln, tok, &node);
  if (what == "size:" || what == "free:") return NodeMemory(ln, tok, &node);
  return Err(ln, tok[2].column,
             absl::StrCat("unknown field '", what, "' (cpus:, size:, free:)"));
}

absl::Status NumactlParser::NodeCpus(size_t ln, const std::vector<Token>& tok,
                                     NumactlNode* node) {
  if (node->has_cpus_line) return Err(ln, tok[2].column, "second cpus line");
  node->has_cpus_line = true;
  for (size_t k = 3; k < tok.size(); ++k) {
    int64_t cpu = 0;
    if (!ParseInt(tok[k].text, 0, kMaxCpuId, &cpu)) {
      return Err(
          ln, tok[k].column,
          absl::StrCat("'", tok[k].text, "' is not a CPU id 0..", kMaxCpuId));
    }
    if (!node->cpus.empty() && cpu <= node->cpus.back()) {
      return Err(ln, tok[k].column, "CPU ids must ascend");
    }
    node->cpus.push_back(static_cast<int>(cpu));
  }
  return absl::OkStatus();
}

absl::Status NumactlParser::NodeMemory(size_t ln, const std::vector<Token>& tok,
                                       NumactlNode* node) {
  const absl::string_view what = tok[2].text;
  int64_t mb = 0;
  const bool na =
      tok.size() == 5 && tok[3].text == "<not" && tok[4].text == "available>";
  if (!na && (tok.size() != 5 || tok[4].text != "MB" ||
              !ParseInt(tok[3].text, 0, (int64_t{1} << 44) - 1, &mb))) {
    return Err(ln, tok[2].column + what.size(),
               "expected \"X MB\" (X < 2^44) or \"<not available>\"");
  }
  if (what == "size:") {
    if (node->size_mb.has_value()) {
      return Err(ln, tok[2].column, "second size");
    }
    node->size_mb = na ? 0 : static_cast<uint64_t>(mb);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> NumactlParser::NodeIds() const {
  std::vector<int> ids;
  if (state_ == State::kRows) {
    for (int id : header_) {
      if (rows_.count(id) == 0) {
        return At(file_, header_line_, 1,
                  absl::StrCat("no distance row for node ", id));
      }
    }
    ids = header_;
    for (const auto& [id, node] : nodes_) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
        return At(file_, node.line, 1,
                  absl::StrCat("node ", id, " is not in the distance table"));
      }
    }
  } else {
    for (const auto& [id, node] : nodes_) ids.push_back(id);
  }
  if (ids.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ": no nodes (is this `numactl -H` output?)"));
  }
  return ids;
}

absl::Status NumactlParser::SetDistances(Topology* t) const {
  for (const auto& [id, row_line] : rows_) {
    const auto& [row, ln] = row_line;
    for (size_t k = 0; k < header_.size(); ++k) {
      if (absl::Status s = t->SetDistance(id, header_[k], row[k]); !s.ok()) {
        return At(file_, ln, 1, s.message());
      }
    }
  }
  return absl::OkStatus();
}

absl::Status NumactlParser::SetNodes(Topology* t) const {
  for (const auto& [id, node] : nodes_) {
    int other = 0;
    int cpu = 0;
    if (CpusOverlap(*t, id, node.cpus, &other, &cpu)) {
      return At(file_, node.line, 1,
                absl::StrCat("CPU ", cpu, " is listed for nodes ", other,
                             " and ", id));
    }
    NumaNode& n = t->mutable_node(id);
    n.cpus = node.cpus;
    n.memory_bytes = node.size_mb.value_or(0) << 20;
    n.has_memory = n.memory_bytes > 0;
  }
  return absl::OkStatus();
}

absl::StatusOr<Topology> NumactlParser::Finish(size_t line_count) const {
  if (state_ == State::kHeader) {
    return At(file_, line_count, 1, "distance header missing");
  }
  RESTREE_ASSIGN_OR_RETURN(const std::vector<int> ids, NodeIds());
  if (available_.has_value() && available_->first != NodeMask::Of(ids)) {
    return At(file_, available_->second, 1,
              absl::StrCat("lists nodes ", available_->first.ToString(),
                           " but the output describes ",
                           NodeMask::Of(ids).ToString()));
  }
  RESTREE_ASSIGN_OR_RETURN(Topology t, Topology::Create(ids));
  RESTREE_RETURN_IF_ERROR(SetDistances(&t));
  RESTREE_RETURN_IF_ERROR(SetNodes(&t));
  return t;
}

}  // namespace

absl::StatusOr<Topology> ParseNumactl(absl::string_view text,
                                      absl::string_view file) {
  RESTREE_RETURN_IF_ERROR(CheckSize(text, file));
  const std::vector<absl::string_view> lines = Lines(text);
  NumactlParser parser(file);
  for (size_t i = 0; i < lines.size(); ++i) {
    RESTREE_RETURN_IF_ERROR(parser.Line(i + 1, lines[i]));
  }
  return parser.Finish(lines.size());
}

// ---------------------------------------------------------------------------
// ACPI SLIT

absl::StatusOr<Topology> DecodeSlit(absl::Span<const uint8_t> bytes,
                                    absl::string_view file) {
  auto err = [&](size_t offset, absl::string_view msg,
                 absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    return absl::Status(code, absl::StrCat(file, ": byte ", offset, ": ", msg));
  };
  auto u32 = [&](size_t at) {
    return uint32_t{bytes[at]} | uint32_t{bytes[at + 1]} << 8 |
           uint32_t{bytes[at + 2]} << 16 | uint32_t{bytes[at + 3]} << 24;
  };
  constexpr size_t kHeader = 36;
  constexpr size_t kMatrix = 44;
  if (bytes.size() < kHeader) {
    return err(bytes.size(),
               absl::StrCat("the table is ", bytes.size(),
                            " bytes, shorter than the 36-byte ACPI header"),
               absl::StatusCode::kOutOfRange);
  }
  if (bytes[0] != 'S' || bytes[1] != 'L' || bytes[2] != 'I' ||
      bytes[3] != 'T') {
    return err(0, "signature is not \"SLIT\"");
  }
  const uint32_t length = u32(4);
  if (length != bytes.size()) {
    return err(4,
               absl::StrCat("header length ", length, " but ", bytes.size(),
                            " bytes given"),
               absl::StatusCode::kOutOfRange);
  }
  if (length < kMatrix) {
    return err(4,
               absl::StrCat("length ", length,
                            " leaves no room for the locality count"),
               absl::StatusCode::kOutOfRange);
  }
  uint8_t sum = 0;
  for (uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
  if (sum != 0) {
    return err(9, absl::StrCat("checksum mismatch (bytes sum to ", sum,
                               " mod 256, not 0): the kernel rejects the "
                               "table"));
  }
  const uint64_t count = uint64_t{u32(36)} | uint64_t{u32(40)} << 32;
  if (count == 0) return err(36, "zero localities");
  if (count > static_cast<uint64_t>(kMaxNumNodes)) {
    return err(36,
               absl::StrCat(count, " localities: proximity domains beyond ",
                            kMaxNumNodes,
                            " (MAX_PXM_DOMAINS = MAX_NUMNODES) cannot map to "
                            "nodes"),
               absl::StatusCode::kOutOfRange);
  }
  const size_t n = static_cast<size_t>(count);
  const size_t need = kMatrix + n * n;  // n <= 1024: no overflow
  if (length != need) {
    return err(length < need ? length : need,
               absl::StrCat(n, " localities need ", need,
                            " bytes but the table has ", length),
               absl::StatusCode::kOutOfRange);
  }
  // A table failing slit_valid() (10 on the diagonal, more than 10
  // elsewhere) is kept as a what-if; Topology::KernelDistanceDeviations()
  // names its entries and the tiering warns that Linux ignores it.
  std::vector<int> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int>(i);
  RESTREE_ASSIGN_OR_RETURN(Topology t, Topology::Create(ids));
  for (size_t i = 0; i < n; ++i) {
    t.mutable_node(static_cast<int>(i)).has_memory = true;
    for (size_t j = 0; j < n; ++j) {
      RESTREE_RETURN_IF_ERROR(t.SetDistance(static_cast<int>(i),
                                            static_cast<int>(j),
                                            bytes[kMatrix + i * n + j]));
    }
  }
  return t;
}

// ---------------------------------------------------------------------------
// restree's node attribute text

namespace {

// One statement of the node attribute text, split into tokens.
class AttributeStatement {
 public:
  AttributeStatement(absl::string_view file, size_t line,
                     std::vector<Token> tok)
      : file_(file), line_(line), tok_(std::move(tok)) {}

  const std::vector<Token>& tok() const { return tok_; }
  // The key=value pairs after the first argument (ParseKeyValues()).
  const std::map<absl::string_view, Token>& kv() const { return kv_; }

  [[nodiscard]] absl::Status Err(
      size_t col, absl::string_view msg,
      absl::StatusCode code = absl::StatusCode::kInvalidArgument) const {
    return At(file_, line_, col, msg, code);
  }
  // Fills kv() from the tokens after the first argument.
  [[nodiscard]] absl::Status ParseKeyValues();
  // The value of `key` (present) as an integer in [lo, hi].
  [[nodiscard]] absl::Status IntValue(absl::string_view key, int64_t lo,
                                      int64_t hi, int64_t* out) const;

 private:
  absl::string_view file_;
  size_t line_;
  std::vector<Token> tok_;
  std::map<absl::string_view, Token> kv_;
};

absl::Status AttributeStatement::ParseKeyValues() {
  for (size_t k = 2; k < tok_.size(); ++k) {
    const size_t eq = tok_[k].text.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return Err(tok_[k].column, "expected key=value");
    }
    const absl::string_view key = tok_[k].text.substr(0, eq);
    if (kv_.count(key) != 0) {
      return Err(tok_[k].column, absl::StrCat("'", key, "' given twice"));
    }
    kv_[key] = {tok_[k].text.substr(eq + 1), tok_[k].column + eq + 1};
  }
  return absl::OkStatus();
}

absl::Status AttributeStatement::IntValue(absl::string_view key, int64_t lo,
                                          int64_t hi, int64_t* out) const {
  const Token& v = kv_.at(key);
  if (!ParseInt(v.text, lo, hi, out)) {
    return Err(v.column, absl::StrCat(key, " wants an integer ", lo, "..", hi,
                                      ", got '", v.text, "'"));
  }
  return absl::OkStatus();
}

// demotion_enabled true|false
absl::Status ApplyDemotionEnabled(const AttributeStatement& st, Topology* t) {
  const std::vector<Token>& tok = st.tok();
  if (tok.size() != 2 || (tok[1].text != "true" && tok[1].text != "false")) {
    return st.Err(tok[0].column, "expected \"demotion_enabled true|false\"");
  }
  t->set_demotion_enabled(tok[1].text == "true");
  return absl::OkStatus();
}

// auto_online_blocks offline|online|online_kernel|online_movable
absl::Status ApplyAutoOnline(const AttributeStatement& st, Topology* t) {
  const std::vector<Token>& tok = st.tok();
  std::optional<OnlinePolicy> policy;
  if (tok.size() == 2) policy = ParseOnlinePolicy(tok[1].text);
  if (!policy.has_value()) {
    return st.Err(tok[0].column,
                  "expected \"auto_online_blocks offline|online|"
                  "online_kernel|online_movable\"");
  }
  t->set_auto_online(*policy);
  return absl::OkStatus();
}

// range FIRST-LAST node=N zone=normal|movable
absl::Status ApplyRange(const AttributeStatement& st, Topology* t) {
  const std::vector<Token>& tok = st.tok();
  const std::map<absl::string_view, Token>& kv = st.kv();
  const Token& r = tok[1];
  const size_t dash = r.text.find('-');
  if (dash == absl::string_view::npos) {
    return st.Err(r.column, "expected FIRST-LAST");
  }
  absl::StatusOr<uint64_t> first =
      ParseByteSize(r.text.substr(0, dash), "range start");
  if (!first.ok()) return st.Err(r.column, first.status().message());
  absl::StatusOr<uint64_t> last =
      ParseByteSize(r.text.substr(dash + 1), "range end");
  if (!last.ok()) return st.Err(r.column + dash + 1, last.status().message());
  for (const auto& [key, v] : kv) {
    if (key != "node" && key != "zone") {
      return st.Err(v.column - key.size() - 1,
                    absl::StrCat("unknown range key '", key, "'"));
    }
  }
  if (kv.count("node") == 0 || kv.count("zone") == 0) {
    return st.Err(tok[0].column, "a range needs node= and zone=");
  }
  int64_t node = 0;
  RESTREE_RETURN_IF_ERROR(st.IntValue("node", 0, kMaxNumNodes - 1, &node));
  const Token& z = kv.at("zone");
  Zone zone;
  if (z.text == "normal") {
    zone = Zone::kNormal;
  } else if (z.text == "movable") {
    zone = Zone::kMovable;
  } else {
    return st.Err(z.column, "zone must be normal or movable");
  }
  if (absl::Status s =
          t->AddRange(static_cast<int>(node), {Range(*first, *last), zone});
      !s.ok()) {
    return st.Err(r.column, s.message(), s.code());
  }
  return absl::OkStatus();
}

// One key=value of a node statement, applied to `n` (a node of `t`); the
// four performance keys go to `perf` and are counted in `perf_keys`.
absl::Status ApplyNodeKey(const AttributeStatement& st, absl::string_view key,
                          const Token& v, const Topology& t, NumaNode* n,
                          AccessPerf* perf, int* perf_keys) {
  int64_t value = 0;
  if (key == "cpus") {
    absl::StatusOr<std::vector<int>> cpus =
        ParseIdList(v.text, kMaxCpuId, "cpus");
    if (!cpus.ok()) return st.Err(v.column, cpus.status().message());
    int other = 0;
    int cpu = 0;
    if (CpusOverlap(t, n->id, *cpus, &other, &cpu)) {
      return st.Err(v.column, absl::StrCat("CPU ", cpu,
                                           " already belongs to node ", other));
    }
    n->cpus = *cpus;
  } else if (key == "memory") {
    absl::StatusOr<uint64_t> bytes = ParseByteSize(v.text, "memory");
    if (!bytes.ok()) return st.Err(v.column, bytes.status().message());
    n->memory_bytes = *bytes;
    n->has_memory = *bytes > 0 || !n->ranges.empty();
  } else if (key == "socket") {
    RESTREE_RETURN_IF_ERROR(st.IntValue(key, 0, 65535, &value));
    n->socket = static_cast<int>(value);
  } else if (key == "source") {
    if (v.text == "boot") {
      n->source = MemorySource::kBoot;
    } else if (v.text == "kmem") {
      n->source = MemorySource::kDaxKmem;
    } else {
      return st.Err(v.column, "source must be boot or kmem");
    }
  } else if (key == "read_latency" || key == "write_latency" ||
             key == "read_bandwidth" || key == "write_bandwidth") {
    RESTREE_RETURN_IF_ERROR(st.IntValue(key, 0, UINT32_MAX, &value));
    const auto u = static_cast<uint32_t>(value);
    if (key == "read_latency") perf->read_latency = u;
    if (key == "write_latency") perf->write_latency = u;
    if (key == "read_bandwidth") perf->read_bandwidth = u;
    if (key == "write_bandwidth") perf->write_bandwidth = u;
    ++*perf_keys;
  } else if (key == "access") {
    RESTREE_RETURN_IF_ERROR(st.IntValue(key, 0, 1, &value));
    perf->access_class = static_cast<int>(value);
  } else if (key == "initiators") {
    absl::StatusOr<NodeMask> mask = ParseNodeList(v.text, "initiators");
    if (!mask.ok()) return st.Err(v.column, mask.status().message());
    for (int m : mask->ToVector()) {
      if (!t.HasNode(m)) {
        return st.Err(v.column,
                      absl::StrCat("initiator node ", m, " does not exist"));
      }
    }
    n->initiators = *mask;
  } else if (key == "adistance") {
    RESTREE_RETURN_IF_ERROR(st.IntValue(key, 0, INT32_MAX, &value));
    n->adistance_override = static_cast<int>(value);
  } else {
    return st.Err(v.column - key.size() - 1,
                  absl::StrCat("unknown node key '", key, "'"));
  }
  return absl::OkStatus();
}

// node ID key=value...
absl::Status ApplyNode(const AttributeStatement& st, Topology* t) {
  const std::vector<Token>& tok = st.tok();
  const std::map<absl::string_view, Token>& kv = st.kv();
  int64_t id = 0;
  if (!ParseInt(tok[1].text, 0, kMaxNumNodes - 1, &id)) {
    return st.Err(tok[1].column,
                  absl::StrCat("'", tok[1].text, "' is not a node id"));
  }
  if (!t->HasNode(static_cast<int>(id))) {
    return st.Err(tok[1].column,
                  absl::StrCat("node ", id,
                               " is not in the distance input (add it there)"),
                  absl::StatusCode::kNotFound);
  }
  NumaNode& n = t->mutable_node(static_cast<int>(id));
  int perf_keys = 0;
  AccessPerf perf = n.perf.value_or(AccessPerf{});
  for (const auto& [key, v] : kv) {
    RESTREE_RETURN_IF_ERROR(
        ApplyNodeKey(st, key, v, *t, &n, &perf, &perf_keys));
  }
  if (perf_keys != 0 && perf_keys != 4 && !n.perf.has_value()) {
    return st.Err(tok[0].column,
                  "give all four of read_latency, write_latency, "
                  "read_bandwidth, write_bandwidth");
  }
  if (perf_keys != 0 || (n.perf.has_value() && kv.count("access") != 0)) {
    n.perf = perf;
  } else if (kv.count("access") != 0) {
    return st.Err(kv.at("access").column, "access= without performance values");
  }
  return absl::OkStatus();
}

// Line `ln` of the attribute text, applied to `t`.
absl::Status ApplyAttributeLine(absl::string_view file, size_t ln,
                                absl::string_view line, Topology* t) {
  if (const size_t hash = line.find('#'); hash != absl::string_view::npos) {
    line = line.substr(0, hash);
  }
  AttributeStatement st(file, ln, Tokenize(line));
  const std::vector<Token>& tok = st.tok();
  if (tok.empty()) return absl::OkStatus();
  const absl::string_view kind = tok[0].text;
  if (kind == "demotion_enabled") return ApplyDemotionEnabled(st, t);
  if (kind == "auto_online_blocks") return ApplyAutoOnline(st, t);
  if (kind != "node" && kind != "range") {
    return st.Err(tok[0].column,
                  absl::StrCat("unknown statement '", kind,
                               "' (node, range, demotion_enabled, "
                               "auto_online_blocks)"));
  }
  if (tok.size() < 2) return st.Err(tok[0].column, "missing argument");
  RESTREE_RETURN_IF_ERROR(st.ParseKeyValues());
  if (kind == "range") return ApplyRange(st, t);
  return ApplyNode(st, t);
}

}  // namespace

absl::Status ApplyNodeAttributes(absl::string_view text, absl::string_view file,
                                 Topology* topology) {
  RESTREE_RETURN_IF_ERROR(CheckSize(text, file));
  Topology t = *topology;  // applied to a copy: unchanged on error
  const std::vector<absl::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    RESTREE_RETURN_IF_ERROR(ApplyAttributeLine(file, i + 1, lines[i], &t));
  }
  if (std::vector<std::string> bad = t.CheckInvariants(); !bad.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": ", bad.front()));
  }
  *topology = std::move(t);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// sysfs

namespace {

// Reads a whole (small) file; kNotFound if absent.
[[nodiscard]] absl::StatusOr<std::string> ReadSmallFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": cannot open"));
  }
  std::string data;
  char buf[4096];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxTextInput) {
      return absl::InvalidArgumentError(absl::StrCat(
          path.string(), ": larger than ", kMaxTextInput, " bytes"));
    }
  }
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(path.string(), ": read error"));
  }
  return data;
}

bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// Names of the entries of `dir` that are `prefix` followed by a decimal
// number in [0, max], as (number, name). Empty if `dir` is absent.
absl::StatusOr<std::vector<std::pair<int64_t, std::string>>> NumberedEntries(
    const fs::path& dir, absl::string_view prefix, int64_t max) {
  std::vector<std::pair<int64_t, std::string>> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir.string(), ": cannot list: ", ec.message()));
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat(dir.string(), ": cannot list: ", ec.message()));
    }
    const std::string name = it->path().filename().string();
    absl::string_view rest = name;
    if (!absl::ConsumePrefix(&rest, prefix)) continue;
    int64_t v = 0;
    // "node01" is not node 1: sysfs never pads.
    if (ParseInt(rest, 0, max, &v) && rest == absl::StrCat(v)) {
      out.emplace_back(v, name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A file holding one unsigned decimal number (a trailing newline allowed).
absl::StatusOr<int64_t> ReadNumber(const fs::path& path, int64_t max) {
  RESTREE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  absl::string_view v = absl::StripAsciiWhitespace(text);
  int64_t out = 0;
  if (!ParseInt(v, 0, max, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ":1:1: expected a number 0..", max,
                     ", got '", v.substr(0, 40), "'"));
  }
  return out;
}

absl::StatusOr<NodeMask> ReadNodeList(const fs::path& path) {
  RESTREE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  return ParseNodeList(text, absl::StrCat(path.string(), ":1"));
}

// The first access class with all four attributes, access1 first.
absl::StatusOr<std::optional<AccessPerf>> ReadPerf(const fs::path& node_dir) {
  for (int access : {1, 0}) {
    const fs::path dir =
        node_dir / absl::StrCat("access", access) / "initiators";
    if (!Exists(dir / "read_latency")) continue;
    AccessPerf p;
    p.access_class = access;
    const std::pair<const char*, uint32_t*> fields[] = {
        {"read_latency", &p.read_latency},
        {"write_latency", &p.write_latency},
        {"read_bandwidth", &p.read_bandwidth},
        {"write_bandwidth", &p.write_bandwidth},
    };
    for (const auto& [name, field] : fields) {
      RESTREE_ASSIGN_OR_RETURN(int64_t v, ReadNumber(dir / name, UINT32_MAX));
      *field = static_cast<uint32_t>(v);
    }
    return std::optional<AccessPerf>(p);
  }
  return std::optional<AccessPerf>();
}

// "Node 0 MemTotal:       16384000 kB" -> bytes.
absl::StatusOr<uint64_t> ReadMemTotal(const fs::path& path) {
  RESTREE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  const std::vector<absl::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::vector<Token> tok = Tokenize(lines[i]);
    if (tok.size() >= 4 && tok[2].text == "MemTotal:") {
      int64_t kb = 0;
      if (tok.size() != 5 || tok[4].text != "kB" ||
          !ParseInt(tok[3].text, 0, (int64_t{1} << 53) - 1, &kb)) {
        return At(path.string(), i + 1, tok[2].column,
                  "expected \"MemTotal: N kB\"");
      }
      return static_cast<uint64_t>(kb) << 10;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path.string(), ": no MemTotal line"));
}

// Memory blocks: each online memoryN with a nodeK entry becomes
// [N * block, (N + 1) * block - 1] of node K in the zone valid_zones names
// first; adjacent blocks of one node and zone are merged.
[[nodiscard]] absl::Status ReadMemoryBlocks(const fs::path& sys, Topology& t) {
  const fs::path dir = sys / "devices/system/memory";
  if (!Exists(dir / "block_size_bytes")) return absl::OkStatus();
  RESTREE_ASSIGN_OR_RETURN(std::string bs_text,
                           ReadSmallFile(dir / "block_size_bytes"));
  uint64_t block = 0;
  absl::string_view bs = absl::StripAsciiWhitespace(bs_text);
  if (bs.empty() || bs.size() > 16 || !absl::SimpleHexAtoi(bs, &block) ||
      block == 0 || (block & (block - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat((dir / "block_size_bytes").string(),
                     ":1:1: expected a power-of-two hex size"));
  }
  const int64_t max_index =
      static_cast<int64_t>(std::min<uint64_t>(~uint64_t{0} / block, INT64_MAX));
  RESTREE_ASSIGN_OR_RETURN(auto blocks,
                           NumberedEntries(dir, "memory", max_index));
  struct Run {
    uint64_t first;
    uint64_t last;
    int node;
    Zone zone;
  };
  std::vector<Run> runs;
  for (const auto& [index, name] : blocks) {
    const fs::path b = dir / name;
    RESTREE_ASSIGN_OR_RETURN(std::string state, ReadSmallFile(b / "state"));
    if (absl::StripAsciiWhitespace(state) != "online") continue;
    RESTREE_ASSIGN_OR_RETURN(auto links,
                             NumberedEntries(b, "node", kMaxNumNodes - 1));
    if (links.size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(b.string(), ": expected exactly one nodeN entry, found ",
                       links.size()));
    }
    const int node = static_cast<int>(links[0].first);
    if (!t.HasNode(node)) {
      return absl::InvalidArgumentError(
          absl::StrCat(b.string(), ": node ", node, " has no node directory"));
    }
    RESTREE_ASSIGN_OR_RETURN(std::string zones,
                             ReadSmallFile(b / "valid_zones"));
    const std::vector<Token> zt = Tokenize(zones);
    if (zt.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat((b / "valid_zones").string(), ":1:1: empty"));
    }
    Zone zone;
    if (zt[0].text == "Movable") {
      zone = Zone::kMovable;
    } else if (zt[0].text == "Normal" || zt[0].text == "DMA32" ||
               zt[0].text == "DMA" || zt[0].text == "HighMem" ||
               zt[0].text == "none") {
      // "none": the block spans zones (boot memory with holes); it is not
      // movable either way.
      zone = Zone::kNormal;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat((b / "valid_zones").string(), ":1:", zt[0].column,
                       ": unknown zone '", zt[0].text, "'"));
    }
    const uint64_t first = static_cast<uint64_t>(index) * block;
    const uint64_t last = first + (block - 1);
    if (!runs.empty() && runs.back().node == node && runs.back().zone == zone &&
        runs.back().last + 1 == first) {
      runs.back().last = last;
    } else {
      runs.push_back({first, last, node, zone});
    }
  }
  for (const Run& r : runs) {
    if (absl::Status s = t.AddRange(r.node, {Range(r.first, r.last), r.zone});
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(dir.string(), ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

// Distances: each node's file lists node_distance() to every online node
// in id order (node_read_distance()).
[[nodiscard]] absl::Status ReadDistances(const fs::path& node_root,
                                         const std::vector<int>& ids,
                                         Topology& t) {
  for (int from : ids) {
    const fs::path path = node_root / absl::StrCat("node", from) / "distance";
    RESTREE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
    const std::vector<Token> tok = Tokenize(text);
    if (tok.size() != ids.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ":1:1: ", tok.size(), " distances for ",
                       ids.size(), " nodes"));
    }
    for (size_t k = 0; k < tok.size(); ++k) {
      int64_t d = 0;
      if (!ParseInt(tok[k].text, 1, 255, &d)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path.string(), ":1:", tok[k].column, ": '",
                         tok[k].text, "' is not a distance 1..255"));
      }
      if (absl::Status s = t.SetDistance(from, ids[k], static_cast<int>(d));
          !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path.string(), ":1:", tok[k].column, ": ", s.message()));
      }
    }
  }
  return absl::OkStatus();
}

// Each node's CPUs, memory size, has_memory, access-0 performance and
// initiators, and the socket of its first CPU.
[[nodiscard]] absl::Status ReadNodeAttributes(const fs::path& sys,
                                              const fs::path& node_root,
                                              const std::vector<int>& ids,
                                              Topology& t) {
  std::optional<NodeMask> has_memory;
  if (Exists(node_root / "has_memory")) {
    RESTREE_ASSIGN_OR_RETURN(has_memory,
                             ReadNodeList(node_root / "has_memory"));
  }
  const fs::path cpu_root = sys / "devices/system/cpu";
  for (int id : ids) {
    const fs::path dir = node_root / absl::StrCat("node", id);
    NumaNode& n = t.mutable_node(id);
    if (Exists(dir / "cpulist")) {
      RESTREE_ASSIGN_OR_RETURN(std::string text,
                               ReadSmallFile(dir / "cpulist"));
      absl::StatusOr<std::vector<int>> cpus = ParseIdList(
          text, kMaxCpuId, absl::StrCat((dir / "cpulist").string(), ":1"));
      if (!cpus.ok()) return cpus.status();
      int other = 0;
      int cpu = 0;
      if (CpusOverlap(t, id, *cpus, &other, &cpu)) {
        return absl::InvalidArgumentError(
            absl::StrCat((dir / "cpulist").string(), ": CPU ", cpu,
                         " is also node ", other, "'s"));
      }
      n.cpus = *cpus;
    }
    if (Exists(dir / "meminfo")) {
      RESTREE_ASSIGN_OR_RETURN(n.memory_bytes, ReadMemTotal(dir / "meminfo"));
    }
    n.has_memory =
        has_memory.has_value() ? has_memory->Test(id) : n.memory_bytes > 0;
    RESTREE_ASSIGN_OR_RETURN(n.perf, ReadPerf(dir));
    RESTREE_ASSIGN_OR_RETURN(
        auto initiators,
        NumberedEntries(dir / "access0/initiators", "node", kMaxNumNodes - 1));
    for (const auto& [i, name] : initiators) {
      if (!t.HasNode(static_cast<int>(i))) {
        return absl::InvalidArgumentError(absl::StrCat(
            (dir / "access0/initiators" / name).string(), ": no such node"));
      }
      n.initiators.Set(static_cast<int>(i));
    }
    if (!n.cpus.empty()) {
      const fs::path pkg = cpu_root / absl::StrCat("cpu", n.cpus.front()) /
                           "topology/physical_package_id";
      if (Exists(pkg)) {
        RESTREE_ASSIGN_OR_RETURN(int64_t socket, ReadNumber(pkg, 65535));
        n.socket = static_cast<int>(socket);
      }
    }
  }
  return absl::OkStatus();
}

// dax devices: a CPU-less memory node that a dax device targets got its
// memory from dax/kmem (device-dax mode adds no memory to the node).
[[nodiscard]] absl::Status ReadDaxTargets(const fs::path& sys, Topology& t) {
  const fs::path dax = sys / "bus/dax/devices";
  std::error_code ec;
  if (fs::is_directory(dax, ec)) {
    fs::directory_iterator it(dax, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const fs::path target = it->path() / "target_node";
      if (!Exists(target)) continue;
      RESTREE_ASSIGN_OR_RETURN(int64_t node,
                               ReadNumber(target, kMaxNumNodes - 1));
      if (t.HasNode(static_cast<int>(node))) {
        NumaNode& n = t.mutable_node(static_cast<int>(node));
        if (n.has_memory && !n.has_cpu()) n.source = MemorySource::kDaxKmem;
      }
    }
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat(dax.string(), ": cannot list: ", ec.message()));
    }
  }
  return absl::OkStatus();
}

// The demotion switch and the memory hotplug online policy.
[[nodiscard]] absl::Status ReadMmSettings(const fs::path& sys, Topology& t) {
  const fs::path demotion = sys / "kernel/mm/numa/demotion_enabled";
  if (Exists(demotion)) {
    RESTREE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(demotion));
    const absl::string_view v = absl::StripAsciiWhitespace(text);
    if (v != "true" && v != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat(demotion.string(), ":1:1: expected true or false"));
    }
    t.set_demotion_enabled(v == "true");
  }

  const fs::path online = sys / "devices/system/memory/auto_online_blocks";
  if (Exists(online)) {
    RESTREE_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(online));
    const std::optional<OnlinePolicy> policy =
        ParseOnlinePolicy(absl::StripAsciiWhitespace(text));
    if (!policy.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          online.string(),
          ":1:1: expected offline, online, online_kernel or online_movable"));
    }
    t.set_auto_online(*policy);
  }
  return absl::OkStatus();
}

// The kernel's own memory tiers, when it shows them.
[[nodiscard]] absl::Status ReadKernelTiers(const fs::path& sys,
                                           SysrootDump& dump) {
  const fs::path tiers = sys / "devices/virtual/memory_tiering";
  RESTREE_ASSIGN_OR_RETURN(auto tier_dirs,
                           NumberedEntries(tiers, "memory_tier", INT32_MAX));
  for (const auto& [id, name] : tier_dirs) {
    RESTREE_ASSIGN_OR_RETURN(NodeMask nodes,
                             ReadNodeList(tiers / name / "nodelist"));
    dump.kernel_tiers[static_cast<int>(id)] = nodes;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SysrootDump> ReadSysroot(const std::string& root) {
  const fs::path sys = fs::path(root) / "sys";
  const fs::path node_root = sys / "devices/system/node";
  std::error_code ec;
  if (!fs::is_directory(node_root, ec)) {
    return absl::NotFoundError(absl::StrCat(
        node_root.string(), ": not a directory (is ", root, " a sysroot?)"));
  }
  RESTREE_ASSIGN_OR_RETURN(
      auto node_dirs, NumberedEntries(node_root, "node", kMaxNumNodes - 1));
  std::vector<int> ids;
  for (const auto& [id, name] : node_dirs) ids.push_back(static_cast<int>(id));
  if (ids.empty()) {
    return absl::NotFoundError(
        absl::StrCat(node_root.string(), ": no node directories"));
  }
  RESTREE_ASSIGN_OR_RETURN(Topology t, Topology::Create(ids));
  RESTREE_RETURN_IF_ERROR(ReadDistances(node_root, ids, t));
  RESTREE_RETURN_IF_ERROR(ReadNodeAttributes(sys, node_root, ids, t));
  RESTREE_RETURN_IF_ERROR(ReadDaxTargets(sys, t));
  RESTREE_RETURN_IF_ERROR(ReadMemoryBlocks(sys, t));
  RESTREE_RETURN_IF_ERROR(ReadMmSettings(sys, t));
  SysrootDump dump{std::move(t), {}};
  RESTREE_RETURN_IF_ERROR(ReadKernelTiers(sys, dump));
  if (std::vector<std::string> bad = dump.topology.CheckInvariants();
      !bad.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(root, ": ", bad.front()));
  }
  return dump;
}

}  // namespace numa
}  // namespace restree
