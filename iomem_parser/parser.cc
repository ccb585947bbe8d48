#include "iomem_parser/parser.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "iomem_parser/internal/file_kind.h"
#include "iomem_parser/internal/parse_paths.h"
#include "resource_tree/tree_builder.h"

namespace restree {
namespace {

// One resource line, tokenised.
struct Record {
  uint64_t start = 0;
  uint64_t end = 0;
  absl::string_view name;
  int line = 0;
  int depth = 0;
  int addr_col = 0;  // 1-based column of the start address
};

// Field widths seen, for the strict check once the file's width is known.
struct HexField {
  int digits = 0;
  bool leading_zero = false;
  bool upper = false;
};

class Parser {
 public:
  Parser(absl::string_view text, const IomemParseOptions& options)
      : text_(text), opt_(options) {}

  absl::StatusOr<ParsedIomem> Run();

 private:
  absl::Status Error(int line, int col, absl::string_view msg) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d:%d: %s", opt_.filename, line, col, msg));
  }
  void Repair(int line, int col, std::string what) {
    out_.repairs.push_back(IomemRepair{line, col, std::move(what)});
  }
  // Tokenises one line (without its newline). Returns false (and no error)
  // for a line lenient mode skips.
  absl::StatusOr<bool> Tokenise(absl::string_view raw, int line, Record* rec,
                                HexField* fs, HexField* fe);
  absl::Status CheckWidth(const Record& rec, const HexField& f, int col,
                          const char* which) const;
  absl::Status Build();
  std::string Where(int line) const;

  absl::string_view text_;
  IomemParseOptions opt_;
  ParsedIomem out_;
  std::vector<Record> recs_;
  std::vector<int> lenient_indents_;  // lenient indentation levels
};

// Parses hex digits at `s[*pos]` (any case; the caller rejects uppercase in
// strict mode). Returns false if there are none or the value needs more than
// 64 bits.
bool ParseHex(absl::string_view s, size_t* pos, uint64_t* value, HexField* f,
              bool* overflow) {
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(s.data()) + *pos;
  const unsigned char* const end =
      reinterpret_cast<const unsigned char*>(s.data()) + s.size();
  const unsigned char* const begin = p;
  uint64_t v = 0;
  unsigned upper = 0;
  while (p < end && *p == '0') ++p;  // leading zeros carry no value
  const unsigned char* const significant = p;
  while (p < end) {
    const uint8_t d = internal::kHex.v[*p];
    if (d == 0xff) break;
    upper |= d;
    v = (v << 4) | (d & 15);
    ++p;
  }
  f->digits = static_cast<int>(p - begin);
  f->upper = (upper & 16) != 0;
  *overflow = p - significant > 16;
  if (f->digits == 0) return false;
  f->leading_zero = *begin == '0' && f->digits > 1;
  *pos += static_cast<size_t>(f->digits);
  *value = v;
  return !*overflow;
}

absl::StatusOr<bool> Parser::Tokenise(absl::string_view raw, int line,
                                      Record* rec, HexField* fs, HexField* fe) {
  const bool lenient = opt_.lenient;
  absl::string_view s = raw;
  if (!s.empty() && s.back() == '\r') {
    if (!lenient) {
      return Error(line, static_cast<int>(s.size()),
                   "carriage return before the newline (CRLF line ending; "
                   "--lenient accepts it)");
    }
    Repair(line, static_cast<int>(s.size()), "removed CR of a CRLF line end");
    s.remove_suffix(1);
  }
  size_t pos = 0;
  // Mail quoting: each '>' with the one space after it ("> ", ">> ").
  if (lenient && !s.empty() && s[0] == '>') {
    while (pos < s.size() && s[pos] == '>') {
      ++pos;
      if (pos < s.size() && s[pos] == ' ') ++pos;
    }
    Repair(line, 1, "removed mail quoting");
  }
  // Indentation.
  int cols = 0;
  while (pos < s.size() && (s[pos] == ' ' || (lenient && s[pos] == '\t'))) {
    if (s[pos] == '\t') {
      Repair(line, static_cast<int>(pos) + 1,
             "tab in indentation read as 8 columns");
      cols = (cols / 8 + 1) * 8;
    } else {
      ++cols;
    }
    ++pos;
  }
  if (pos < s.size() && s[pos] == '\t') {  // strict mode
    return Error(line, static_cast<int>(pos) + 1,
                 "tab in the indentation (the kernel indents with spaces; "
                 "--lenient reads a tab as 8 columns)");
  }
  if (pos == s.size() && lenient) {
    Repair(line, 1, "skipped a blank line");
    return false;
  }
  if (pos == s.size()) {
    return Error(line, 1, s.empty() ? "empty line" : "line of only spaces");
  }
  const int addr_col = static_cast<int>(pos) + 1;
  bool overflow = false;
  size_t p = pos;
  auto not_resource = [&](int col,
                          absl::string_view what) -> absl::StatusOr<bool> {
    if (lenient) {
      Repair(line, col,
             absl::StrCat("skipped a line that is not a resource "
                          "line (",
                          what, ")"));
      return false;
    }
    return Error(line, col, what);
  };
  if (!ParseHex(s, &p, &rec->start, fs, &overflow)) {
    if (overflow) {
      return Error(line, addr_col, "start address does not fit in 64 bits");
    }
    return not_resource(addr_col, "expected a hex start address");
  }
  if (p >= s.size() || s[p] != '-') {
    return not_resource(static_cast<int>(p) + 1,
                        "expected '-' after the start address");
  }
  ++p;
  const int end_col = static_cast<int>(p) + 1;
  if (!ParseHex(s, &p, &rec->end, fe, &overflow)) {
    if (overflow) {
      return Error(line, end_col, "end address does not fit in 64 bits");
    }
    return not_resource(end_col, "expected a hex end address after '-'");
  }
  if (s.substr(p, 3) != " : ") {
    if (lenient && s.substr(p) == " :") {
      Repair(line, static_cast<int>(p) + 1,
             "read \" :\" at the end of the line as an empty name");
      p = s.size();
      rec->name = absl::string_view();
    } else {
      return not_resource(static_cast<int>(p) + 1,
                          "expected \" : \" after the end address");
    }
  } else {
    rec->name = s.substr(p + 3);
  }
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
    return Error(line,
                 static_cast<int>(static_cast<const char*>(
                                      std::memchr(s.data(), '\0', s.size())) -
                                  s.data()) +
                     1,
                 "NUL byte in the line");
  }
  if (lenient) {
    size_t keep = rec->name.size();
    while (keep > 0 &&
           (rec->name[keep - 1] == ' ' || rec->name[keep - 1] == '\t' ||
            rec->name[keep - 1] == '\r')) {
      --keep;
    }
    if (keep != rec->name.size()) {
      Repair(line, static_cast<int>(p + 3 + keep) + 1,
             "removed trailing whitespace after the name");
      rec->name = rec->name.substr(0, keep);
    }
  }
  rec->line = line;
  rec->addr_col = addr_col;
  // Depth from indentation.
  if (!lenient) {
    if (cols % 2 != 0) {
      return Error(line, 1,
                   absl::StrFormat("odd indentation of %d spaces (the kernel "
                                   "indents by 2 per level)",
                                   cols));
    }
    rec->depth = cols / 2;
  } else {
    // Indentation levels as a stack of widths, so any step size works.
    if (lenient_indents_.empty()) lenient_indents_.push_back(cols);
    if (cols > lenient_indents_.back()) {
      lenient_indents_.push_back(cols);
    } else {
      while (lenient_indents_.size() > 1 && lenient_indents_.back() > cols) {
        lenient_indents_.pop_back();
      }
      if (lenient_indents_.back() != cols) {
        Repair(line, 1,
               absl::StrFormat("indentation of %d columns matches no "
                               "enclosing level; read as depth %d",
                               cols, lenient_indents_.size() - 1));
      }
    }
    rec->depth = static_cast<int>(lenient_indents_.size()) - 1;
    if (cols != 2 * rec->depth) {
      Repair(line, 1,
             absl::StrFormat("indentation of %d columns read as depth %d", cols,
                             rec->depth));
    }
  }
  return true;
}

absl::Status Parser::CheckWidth(const Record& rec, const HexField& f, int col,
                                const char* which) const {
  const int w = out_.width;
  if (f.upper) {
    return Error(rec.line, col,
                 absl::StrCat("uppercase hex in the ", which,
                              " address (the kernel prints lowercase)"));
  }
  if (f.digits < w) {
    return Error(rec.line, col,
                 absl::StrFormat("%s address has %d digits; the kernel pads "
                                 "to %d",
                                 which, f.digits, w));
  }
  if (f.digits > w && f.leading_zero) {
    return Error(
        rec.line, col,
        absl::StrFormat("%s address is padded beyond %d digits", which, w));
  }
  return absl::OkStatus();
}

std::string Parser::Where(int line) const {
  return line == 0 ? std::string("the root") : absl::StrCat("line ", line);
}

absl::StatusOr<ParsedIomem> Parser::Run() {
  // Pass 1: tokenise every line; remember the field widths.
  std::vector<std::pair<HexField, HexField>> fields;
  size_t pos = 0;
  int line = 0;
  while (pos < text_.size()) {
    ++line;
    const size_t nl = text_.find('\n', pos);
    absl::string_view raw;
    if (nl == absl::string_view::npos) {
      raw = text_.substr(pos);
      if (!opt_.lenient) {
        return Error(line, static_cast<int>(raw.size()) + 1,
                     "missing newline at the end of the file");
      }
      Repair(line, static_cast<int>(raw.size()) + 1,
             "added the missing final newline");
      pos = text_.size();
    } else {
      raw = text_.substr(pos, nl - pos);
      pos = nl + 1;
    }
    Record rec;
    HexField fs, fe;
    absl::StatusOr<bool> ok = Tokenise(raw, line, &rec, &fs, &fe);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    recs_.push_back(rec);
    fields.emplace_back(fs, fe);
  }

  if (!recs_.empty()) {
    out_.width = internal::FileWidth(opt_.root, fields[0].first.digits);
  } else {
    out_.width = opt_.root == IomemRoot::kIoports ? 4 : 8;
  }
  for (size_t i = 0; i < recs_.size(); ++i) {
    const Record& r = recs_[i];
    const int end_col = r.addr_col + fields[i].first.digits + 1;
    if (opt_.lenient) {
      // Report what a kernel would not have printed, then accept it.
      if (!CheckWidth(r, fields[i].first, r.addr_col, "start").ok() ||
          !CheckWidth(r, fields[i].second, end_col, "end").ok()) {
        Repair(r.line, r.addr_col,
               "accepted hex that is not in the kernel's format (case or "
               "padding)");
      }
      continue;
    }
    absl::Status s = CheckWidth(r, fields[i].first, r.addr_col, "start");
    if (s.ok()) s = CheckWidth(r, fields[i].second, end_col, "end");
    if (!s.ok()) return s;
  }

  // Zeroed (unprivileged) dump: every address 0, more than one line.
  out_.zeroed = recs_.size() >= 2;
  for (const Record& r : recs_) {
    if (r.start != 0 || r.end != 0) {
      out_.zeroed = false;
      break;
    }
  }

  // The depth cap.
  int deepest = 0;
  for (const Record& r : recs_) deepest = std::max(deepest, r.depth);
  if (opt_.max_depth != 0) {
    out_.max_depth = opt_.max_depth;
  } else {
    out_.max_depth = deepest > 5 ? 8 : 5;
  }
  for (const Record& r : recs_) {
    if (r.depth > out_.max_depth) {
      return Error(r.line, 1,
                   absl::StrFormat("indentation depth %d is deeper than the "
                                   "kernel's cap (MAX_IORES_LEVEL %d)",
                                   r.depth, out_.max_depth));
    }
  }
  absl::Status built = Build();
  if (!built.ok()) return built;
  return std::move(out_);
}

absl::Status Parser::Build() {
  const ResourceSpec root = internal::RootFor(out_.width, opt_.root);
  const KernelProfile profile = internal::ProfileForCap(out_.max_depth);
  const int cap = out_.max_depth;

  // Parent of each record, by index (-1 = the root), from indentation and,
  // at the cap, containment. `path[k]` is the record at true depth k-1
  // (path[0] = the root, -1).
  std::vector<int> parent(recs_.size(), -1);
  std::vector<int> path = {-1};
  auto range_of = [&](int r) {
    return r < 0 ? root.range : Range(recs_[r].start, recs_[r].end);
  };
  auto line_of = [&](int r) { return r < 0 ? 0 : recs_[r].line; };
  std::vector<bool> dropped(recs_.size(), false);
  for (size_t i = 0; i < recs_.size(); ++i) {
    const Record& rec = recs_[i];
    const int d = rec.depth;
    const int have = static_cast<int>(path.size()) - 1;  // depth of next child
    if (d > have) {
      const std::string msg = absl::StrFormat(
          "%s:%d:%d: indentation depth %d, but the line before is at depth "
          "%d (a line may be at most one level deeper)",
          opt_.filename, rec.line, 1, d, have - 1);
      if (!opt_.collect_structure_problems) {
        return absl::InvalidArgumentError(msg);
      }
      out_.structure_problems.push_back(
          IomemStructureProblem{rec.line, line_of(path.back()), msg});
    }
    if (d < cap || out_.zeroed) {
      if (d < have) path.resize(static_cast<size_t>(d) + 1);
    } else {
      // At the cap: the deepest open line that contains this one.
      while (static_cast<int>(path.size()) > cap + 1 &&
             !range_of(path.back()).Contains(range_of(static_cast<int>(i)))) {
        path.pop_back();
      }
    }
    parent[i] = path.back();
    path.push_back(static_cast<int>(i));
  }

  // Synthetic ranges for a zeroed dump: each node spans the pre-order
  // indices of its subtree, which nests exactly as the file does.
  if (out_.zeroed) {
    std::vector<uint64_t> last(recs_.size());
    for (size_t i = 0; i < recs_.size(); ++i) last[i] = i;
    for (size_t i = recs_.size(); i-- > 0;) {
      if (parent[i] >= 0) {
        last[parent[i]] = std::max(last[parent[i]], last[i]);
      }
    }
    for (size_t i = 0; i < recs_.size(); ++i) {
      recs_[i].start = i;
      recs_[i].end = last[i];
    }
  }

  TreeBuilder builder(root, profile);
  std::vector<ResourceId> id_of(recs_.size());
  std::vector<int> rec_of_node;  // parallel to out_.node_lines
  for (size_t i = 0; i < recs_.size(); ++i) {
    const Record& rec = recs_[i];
    // A dropped line's children hang from its nearest kept ancestor (a
    // dropped line's parent[] is repointed there below, so this is one step).
    int p = parent[i];
    while (p >= 0 && dropped[p]) p = parent[p];
    const int kept_parent = p;
    const ResourceId pid = p < 0 ? builder.root() : id_of[p];
    TreeBuilder::Problem problem;
    ResourceId other;
    absl::StatusOr<ResourceId> id = builder.Append(
        pid, {Range(rec.start, rec.end), rec.name, 0, 0}, &problem, &other);
    if (id.ok()) {
      id_of[i] = *id;
      out_.node_lines.Add(*id, rec.line);
      rec_of_node.push_back(static_cast<int>(i));
      continue;
    }
    std::string msg;
    const std::string self =
        absl::StrFormat("%x-%x \"%s\"", rec.start, rec.end, rec.name);
    switch (problem) {
      case TreeBuilder::Problem::kInverted:
        msg = absl::StrCat(self, " ends before it starts");
        break;
      case TreeBuilder::Problem::kOutsideParent:
        msg = absl::StrCat(
            self, " is indented under ", Where(line_of(p)),
            p < 0 ? ""
                  : absl::StrFormat(" (%x-%x \"%s\")", recs_[p].start,
                                    recs_[p].end, recs_[p].name),
            " but is not inside it");
        break;
      default: {
        // The previous child of the same parent, found by its id (ids are
        // handed out in increasing order).
        const ptrdiff_t at = out_.node_lines.Find(other);
        const int sib = at < 0 ? -1 : rec_of_node[static_cast<size_t>(at)];
        msg = absl::StrCat(
            self, " overlaps or precedes its previous sibling on ",
            Where(line_of(sib)),
            sib < 0 ? ""
                    : absl::StrFormat(" (%x-%x \"%s\")", recs_[sib].start,
                                      recs_[sib].end, recs_[sib].name));
        p = sib;
        break;
      }
    }
    msg = absl::StrFormat("%s:%d:%d: %s", opt_.filename, rec.line, rec.addr_col,
                          msg);
    if (!opt_.collect_structure_problems) {
      return absl::InvalidArgumentError(msg);
    }
    out_.structure_problems.push_back(
        IomemStructureProblem{rec.line, line_of(p), msg});
    dropped[i] = true;
    parent[i] = kept_parent;
  }
  out_.tree = std::move(builder).Finish();
  return absl::OkStatus();
}

}  // namespace

IomemNodeLines IomemNodeLines::OnePerLine(size_t n) {
  IomemNodeLines m;
  m.one_per_line_ = true;
  m.n_ = n;
  return m;
}

void IomemNodeLines::Add(ResourceId id, int line) {
  if (one_per_line_) {
    nodes_.reserve(n_ + 1);
    lines_.reserve(n_ + 1);
    for (size_t k = 0; k < n_; ++k) {
      nodes_.push_back(TreeBuilder::NodeId(k + 1));
      lines_.push_back(static_cast<int>(k + 1));
    }
    one_per_line_ = false;
    n_ = 0;
  }
  nodes_.push_back(id);
  lines_.push_back(line);
}

ResourceId IomemNodeLines::node(size_t k) const {
  return one_per_line_ ? TreeBuilder::NodeId(k + 1) : nodes_[k];
}

int IomemNodeLines::line(size_t k) const {
  return one_per_line_ ? static_cast<int>(k + 1) : lines_[k];
}

ptrdiff_t IomemNodeLines::Find(ResourceId id) const {
  if (one_per_line_) {
    // NodeId(k) is slot k at the first generation.
    const size_t k = static_cast<size_t>(id.value() & 0xffffffffu);
    return k >= 1 && k <= n_ && TreeBuilder::NodeId(k) == id
               ? static_cast<ptrdiff_t>(k - 1)
               : -1;
  }
  auto it = std::lower_bound(
      nodes_.begin(), nodes_.end(), id,
      [](ResourceId a, ResourceId b) { return a.value() < b.value(); });
  if (it == nodes_.end() || *it != id) return -1;
  return it - nodes_.begin();
}

namespace internal {

absl::StatusOr<ParsedIomem> ParseIomemGeneral(
    absl::string_view text, const IomemParseOptions& options) {
  Parser p(text, options);
  absl::StatusOr<ParsedIomem> parsed = p.Run();
  // The fast path counts line by line; here the tree is walked once.
  if (parsed.ok() && options.summarize) {
    parsed->summary = Summarize(parsed->tree, SummaryDetail::kCounts);
  }
  return parsed;
}

}  // namespace internal

absl::StatusOr<ParsedIomem> ParseIomem(absl::string_view text,
                                       const IomemParseOptions& options) {
  std::optional<ParsedIomem> fast = internal::ParseIomemFast(text, options);
  if (fast.has_value()) return std::move(*fast);
  return internal::ParseIomemGeneral(text, options);
}

}  // namespace restree
