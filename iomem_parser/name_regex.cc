#include "iomem_parser/name_regex.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace restree {
namespace {

using ByteSet = std::bitset<256>;

// Postfix program, as the parser emits it.
enum class Op : uint8_t {
  kSet,     // one byte of sets[set]
  kBegin,   // ^
  kEnd,     // $
  kEmpty,   // matches the empty string: "()", "a|", ""
  kConcat,  // binary
  kAlt,     // binary
  kStar,    // unary postfix
  kPlus,
  kQuest,
};

struct Token {
  Op op;
  int32_t set = -1;
};

absl::Status Error(size_t column, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("column ", column, ": ", msg));
}

ByteSet ClassEscape(char c) {
  ByteSet s;
  switch (absl::ascii_tolower(static_cast<unsigned char>(c))) {
    case 'd':
      for (int b = '0'; b <= '9'; ++b) s.set(b);
      break;
    case 'w':
      for (int b = 0; b < 256; ++b) {
        if (absl::ascii_isalnum(static_cast<unsigned char>(b)) || b == '_') {
          s.set(b);
        }
      }
      break;
    case 's':
      for (char b : {' ', '\t', '\n', '\r', '\f', '\v'}) {
        s.set(static_cast<unsigned char>(b));
      }
      break;
  }
  if (absl::ascii_isupper(static_cast<unsigned char>(c))) s.flip();
  return s;
}

bool IsClassEscape(char c) {
  return c == 'd' || c == 'D' || c == 'w' || c == 'W' || c == 's' || c == 'S';
}

// The byte a single-byte escape `\c` stands for, or -1 if `\c` is not one.
int ByteEscape(char c) {
  switch (c) {
    case 't':
      return '\t';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 'f':
      return '\f';
    case 'v':
      return '\v';
  }
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return -1;
  return static_cast<unsigned char>(c);
}

class Parser {
 public:
  explicit Parser(absl::string_view p) : p_(p) {}

  absl::Status Run();
  std::vector<Token>& out() { return out_; }
  std::vector<ByteSet>& sets() { return sets_; }

 private:
  struct Pending {
    char kind;      // '(' , '|' or '.' (concatenation)
    size_t column;  // of '(' for the error on a missing ')'
  };

  void Operand(Token t) {
    if (prev_operand_) Binary('.');
    starts_.push_back(out_.size());
    out_.push_back(t);
    prev_operand_ = true;
  }
  int32_t AddSet(const ByteSet& s) {
    sets_.push_back(s);
    return static_cast<int32_t>(sets_.size() - 1);
  }
  static int Precedence(char kind) { return kind == '.' ? 2 : 1; }
  void Binary(char kind) {
    while (!ops_.empty() && ops_.back().kind != '(' &&
           Precedence(ops_.back().kind) >= Precedence(kind)) {
      Reduce();
    }
    ops_.push_back({kind, 0});
  }
  void Reduce() {
    out_.push_back({ops_.back().kind == '.' ? Op::kConcat : Op::kAlt});
    ops_.pop_back();
    starts_.pop_back();  // the two operands are now one, starting where
                         // the first did
  }
  absl::Status ParseClass(size_t* i, ByteSet* set);
  absl::Status Repeat(size_t* i);

  absl::string_view p_;
  std::vector<Token> out_;
  std::vector<ByteSet> sets_;
  std::vector<size_t> starts_;  // where each pending operand begins in out_
  std::vector<Pending> ops_;
  bool prev_operand_ = false;  // the last thing read ends an operand
  bool last_is_anchor_ = false;
};

absl::Status Parser::ParseClass(size_t* i, ByteSet* set) {
  const size_t open = *i;
  size_t k = *i + 1;
  bool negate = false;
  if (k < p_.size() && p_[k] == '^') {
    negate = true;
    ++k;
  }
  // One member: a byte (possibly escaped) or a class escape.
  auto member = [&](size_t* at, int* byte, ByteSet* cls) -> absl::Status {
    if (p_[*at] != '\\') {
      *byte = static_cast<unsigned char>(p_[(*at)++]);
      return absl::OkStatus();
    }
    if (*at + 1 >= p_.size()) return Error(*at + 1, "'\\' at the end");
    const char e = p_[*at + 1];
    if (IsClassEscape(e)) {
      *byte = -1;
      *cls = ClassEscape(e);
    } else if ((*byte = ByteEscape(e)) < 0) {
      return Error(*at + 1, absl::StrCat("unsupported escape '\\",
                                         std::string(1, e), "'"));
    }
    *at += 2;
    return absl::OkStatus();
  };
  while (true) {
    if (k >= p_.size()) return Error(open + 1, "'[' without a closing ']'");
    if (p_[k] == ']') break;
    const size_t at = k;
    int lo;
    ByteSet cls;
    if (absl::Status s = member(&k, &lo, &cls); !s.ok()) return s;
    if (lo < 0) {
      *set |= cls;
      continue;
    }
    if (k + 1 < p_.size() && p_[k] == '-' && p_[k + 1] != ']') {
      ++k;
      int hi;
      if (absl::Status s = member(&k, &hi, &cls); !s.ok()) return s;
      if (hi < 0) return Error(at + 1, "a range cannot end in a class escape");
      if (hi < lo) return Error(at + 1, "range out of order");
      for (int b = lo; b <= hi; ++b) set->set(b);
    } else {
      set->set(lo);
    }
  }
  if (negate) set->flip();
  *i = k + 1;
  return absl::OkStatus();
}

absl::Status Parser::Repeat(size_t* i) {
  const size_t open = *i;
  size_t k = *i + 1;
  auto number = [&](int* v) {
    const size_t from = k;
    *v = 0;
    while (k < p_.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(p_[k])) &&
           k - from < 4) {
      *v = *v * 10 + (p_[k++] - '0');
    }
    return k > from;
  };
  int m, n;
  if (!number(&m)) return Error(open + 1, "'{' must start {m}, {m,} or {m,n}");
  bool unbounded = false;
  if (k < p_.size() && p_[k] == ',') {
    ++k;
    if (!number(&n)) {
      unbounded = true;
      n = m;
    }
  } else {
    n = m;
  }
  if (k >= p_.size() || p_[k] != '}') {
    return Error(open + 1, "'{' must be {m}, {m,} or {m,n} with a closing '}'");
  }
  if (m > 255 || n > 255) return Error(open + 1, "a count above 255");
  if (n < m) return Error(open + 1, "{m,n} with n < m");
  *i = k + 1;

  const std::vector<Token> x(
      out_.begin() + static_cast<ptrdiff_t>(starts_.back()), out_.end());
  const size_t copies = static_cast<size_t>(unbounded ? m + 1 : std::max(n, 1));
  if (x.size() * (copies + 1) + out_.size() > NameRegex::kMaxStates) {
    return Error(open + 1,
                 "the pattern is too large once repetitions are expanded");
  }
  out_.resize(starts_.back());
  int parts = 0;
  auto part = [&](Op suffix, bool has_suffix) {
    out_.insert(out_.end(), x.begin(), x.end());
    if (has_suffix) out_.push_back({suffix});
    if (parts++ > 0) out_.push_back({Op::kConcat});
  };
  for (int c = 0; c < m; ++c) part(Op::kConcat, false);
  if (unbounded) {
    part(Op::kStar, true);
  } else {
    for (int c = m; c < n; ++c) part(Op::kQuest, true);
  }
  if (parts == 0) out_.push_back({Op::kEmpty});
  return absl::OkStatus();
}

absl::Status Parser::Run() {
  if (p_.size() > NameRegex::kMaxPatternBytes) {
    return Error(NameRegex::kMaxPatternBytes + 1,
                 absl::StrCat("patterns are limited to ",
                              NameRegex::kMaxPatternBytes, " bytes"));
  }
  size_t i = 0;
  while (i < p_.size()) {
    const char c = p_[i];
    const size_t col = i + 1;
    bool anchor = false;
    switch (c) {
      case '(': {
        if (prev_operand_) Binary('.');
        ops_.push_back({'(', col});
        prev_operand_ = false;
        if (p_.substr(i, 2) != "(?") {
          ++i;
        } else if (p_.substr(i, 3) == "(?:") {
          i += 3;
        } else {
          return Error(col, "only (?: groups are supported");
        }
        break;
      }
      case ')': {
        if (!prev_operand_) Operand({Op::kEmpty});
        while (!ops_.empty() && ops_.back().kind != '(') Reduce();
        if (ops_.empty()) return Error(col, "')' without an opening '('");
        ops_.pop_back();
        prev_operand_ = true;
        ++i;
        break;
      }
      case '|':
        if (!prev_operand_) Operand({Op::kEmpty});
        Binary('|');
        prev_operand_ = false;
        ++i;
        break;
      case '*':
      case '+':
      case '?':
      case '{':
        if (!prev_operand_ || last_is_anchor_)
          return Error(col, "nothing to repeat");
        if (c == '{') {
          if (absl::Status s = Repeat(&i); !s.ok()) return s;
        } else {
          out_.push_back({c == '*'   ? Op::kStar
                          : c == '+' ? Op::kPlus
                                     : Op::kQuest});
          ++i;
        }
        break;
      case '^':
      case '$':
        Operand({c == '^' ? Op::kBegin : Op::kEnd});
        anchor = true;
        ++i;
        break;
      case '.':
        Operand({Op::kSet, AddSet(ByteSet().set())});
        ++i;
        break;
      case '[': {
        ByteSet set;
        if (absl::Status s = ParseClass(&i, &set); !s.ok()) return s;
        Operand({Op::kSet, AddSet(set)});
        break;
      }
      case '\\': {
        if (i + 1 >= p_.size())
          return Error(col, "'\\' at the end of the pattern");
        const char e = p_[i + 1];
        ByteSet set;
        if (IsClassEscape(e)) {
          set = ClassEscape(e);
        } else if (const int b = ByteEscape(e); b >= 0) {
          set.set(b);
        } else {
          return Error(col, absl::StrCat("unsupported escape '\\",
                                         std::string(1, e), "'"));
        }
        Operand({Op::kSet, AddSet(set)});
        i += 2;
        break;
      }
      default: {
        ByteSet set;
        set.set(static_cast<unsigned char>(c));
        Operand({Op::kSet, AddSet(set)});
        ++i;
      }
    }
    last_is_anchor_ = anchor;
    if (out_.size() > NameRegex::kMaxStates) {
      return Error(col, "the pattern is too large");
    }
  }
  if (!prev_operand_) Operand({Op::kEmpty});
  while (!ops_.empty()) {
    if (ops_.back().kind == '(') {
      return Error(ops_.back().column, "'(' without a closing ')'");
    }
    Reduce();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NameRegex> NameRegex::Compile(absl::string_view pattern) {
  Parser parser(pattern);
  if (absl::Status s = parser.Run(); !s.ok()) return s;

  NameRegex re;
  re.sets_ = std::move(parser.sets());
  // Thompson's construction over the postfix program. A fragment's dangling
  // exits form a list threaded through `next` (slot = 2 * state + which out),
  // so joining two lists is O(1).
  std::vector<State>& st = re.states_;
  std::vector<int32_t> next;  // per slot: the next dangling slot, or -1
  struct Frag {
    int32_t start;
    int32_t head;  // first dangling slot
    int32_t tail;  // last dangling slot
  };
  auto state = [&](Kind k) {
    st.push_back(State{k});
    next.push_back(-1);
    next.push_back(-1);
    return static_cast<int32_t>(st.size() - 1);
  };
  auto patch = [&](int32_t slot, int32_t to) {
    while (slot >= 0) {
      State& s = st[static_cast<size_t>(slot / 2)];
      (slot % 2 == 0 ? s.out : s.out1) = to;
      slot = next[static_cast<size_t>(slot)];
    }
  };
  auto join = [&](Frag a, int32_t head, int32_t tail) {
    next[static_cast<size_t>(a.tail)] = head;
    return Frag{a.start, a.head, tail};
  };
  std::vector<Frag> stack;
  for (const Token& t : parser.out()) {
    switch (t.op) {
      case Op::kSet:
      case Op::kBegin:
      case Op::kEnd:
      case Op::kEmpty: {
        const Kind k = t.op == Op::kSet     ? Kind::kByte
                       : t.op == Op::kBegin ? Kind::kBegin
                       : t.op == Op::kEnd   ? Kind::kEnd
                                            : Kind::kSplit;
        const int32_t s = state(k);
        st[static_cast<size_t>(s)].set = t.set;
        stack.push_back({s, 2 * s, 2 * s});
        break;
      }
      case Op::kConcat: {
        const Frag b = stack.back();
        stack.pop_back();
        Frag& a = stack.back();
        patch(a.head, b.start);
        a = {a.start, b.head, b.tail};
        break;
      }
      case Op::kAlt: {
        const Frag b = stack.back();
        stack.pop_back();
        const Frag a = stack.back();
        const int32_t s = state(Kind::kSplit);
        st[static_cast<size_t>(s)].out = a.start;
        st[static_cast<size_t>(s)].out1 = b.start;
        stack.back() = join({s, a.head, a.tail}, b.head, b.tail);
        break;
      }
      case Op::kStar:
      case Op::kPlus:
      case Op::kQuest: {
        const Frag e = stack.back();
        const int32_t s = state(Kind::kSplit);
        st[static_cast<size_t>(s)].out = e.start;
        const int32_t exit = 2 * s + 1;  // out1 dangles
        if (t.op == Op::kQuest) {
          stack.back() = join({s, e.head, e.tail}, exit, exit);
        } else {
          patch(e.head, s);
          stack.back() = {t.op == Op::kStar ? s : e.start, exit, exit};
        }
        break;
      }
    }
  }
  const int32_t match = state(Kind::kMatch);
  patch(stack.back().head, match);
  re.start_ = stack.back().start;
  return re;
}

bool NameRegex::Search(absl::string_view name) const {
  const size_t n = name.size();
  std::vector<size_t> mark(states_.size(), ~size_t{0});  // last position added
  std::vector<int32_t> clist, nlist, pending;
  // Adds the byte and match states reachable from `s0` without consuming a
  // byte at position `pos`.
  auto add = [&](std::vector<int32_t>& list, int32_t s0, size_t pos) {
    pending.push_back(s0);
    while (!pending.empty()) {
      const int32_t s = pending.back();
      pending.pop_back();
      if (s < 0 || mark[static_cast<size_t>(s)] == pos) continue;
      mark[static_cast<size_t>(s)] = pos;
      const State& st = states_[static_cast<size_t>(s)];
      switch (st.kind) {
        case Kind::kByte:
        case Kind::kMatch:
          list.push_back(s);
          break;
        case Kind::kSplit:
          pending.push_back(st.out1);
          pending.push_back(st.out);
          break;
        case Kind::kBegin:
          if (pos == 0) pending.push_back(st.out);
          break;
        case Kind::kEnd:
          if (pos == n) pending.push_back(st.out);
          break;
      }
    }
  };
  add(clist, start_, 0);
  for (size_t i = 0;; ++i) {
    for (int32_t s : clist) {
      if (states_[static_cast<size_t>(s)].kind == Kind::kMatch) return true;
    }
    if (i == n) return false;
    nlist.clear();
    const unsigned char b = static_cast<unsigned char>(name[i]);
    for (int32_t s : clist) {
      const State& st = states_[static_cast<size_t>(s)];
      if (st.kind == Kind::kByte &&
          sets_[static_cast<size_t>(st.set)].test(b)) {
        add(nlist, st.out, i + 1);
      }
    }
    add(nlist, start_, i + 1);  // a match may also start here
    std::swap(clist, nlist);
  }
}

}  // namespace restree
