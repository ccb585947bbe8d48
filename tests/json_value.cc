#include "tests/json_value.h"

#include "absl/strings/str_format.h"

namespace restree {
namespace test_support {

JsonValue::~JsonValue() {
  // Move every descendant into one flat list; each then dies childless.
  std::vector<JsonValue> doomed;
  auto adopt = [&](JsonValue& v) {
    for (JsonValue& c : v.items) doomed.push_back(std::move(c));
    for (auto& f : v.fields) doomed.push_back(std::move(f.second));
    v.items.clear();
    v.fields.clear();
  };
  adopt(*this);
  while (!doomed.empty()) {
    JsonValue v = std::move(doomed.back());
    doomed.pop_back();
    adopt(v);
  }
}

const JsonValue& JsonValue::operator[](absl::string_view key) const {
  static const JsonValue* null = new JsonValue();
  for (const auto& f : fields) {
    if (f.first == key) return f.second;
  }
  return *null;
}

namespace {

class Reader {
 public:
  explicit Reader(absl::string_view s) : s_(s) {}

  absl::StatusOr<JsonValue> Document() {
    JsonValue root;
    // Stack of containers being filled, and for objects the pending key.
    struct Frame {
      JsonValue* v;
      std::string key;
      bool expect_value;
    };
    std::vector<Frame> stack;
    JsonValue* slot = &root;
    while (true) {
      Ws();
      // Read one value into *slot.
      if (pos_ >= s_.size()) return Err("unexpected end");
      const char c = s_[pos_];
      bool opened = false;
      if (c == '{' || c == '[') {
        slot->type =
            c == '{' ? JsonValue::Type::kObject : JsonValue::Type::kArray;
        ++pos_;
        Ws();
        const char close = c == '{' ? '}' : ']';
        if (pos_ < s_.size() && s_[pos_] == close) {
          ++pos_;
        } else {
          stack.push_back({slot, "", true});
          opened = true;
        }
      } else if (c == '"') {
        slot->type = JsonValue::Type::kString;
        if (!String(&slot->text)) return Err("bad string");
      } else if (Literal("true")) {
        slot->type = JsonValue::Type::kBool;
        slot->boolean = true;
      } else if (Literal("false")) {
        slot->type = JsonValue::Type::kBool;
      } else if (Literal("null")) {
        slot->type = JsonValue::Type::kNull;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        slot->type = JsonValue::Type::kNumber;
        const size_t b = pos_;
        if (s_[pos_] == '-') ++pos_;
        if (pos_ >= s_.size() ||
            !isdigit(static_cast<unsigned char>(s_[pos_]))) {
          return Err("bad number");
        }
        if (s_[pos_] == '0') {
          ++pos_;
        } else {
          while (pos_ < s_.size() &&
                 isdigit(static_cast<unsigned char>(s_[pos_])))
            ++pos_;
        }
        if (pos_ < s_.size() && s_[pos_] == '.') {
          ++pos_;
          if (pos_ >= s_.size() ||
              !isdigit(static_cast<unsigned char>(s_[pos_])))
            return Err("bad number");
          while (pos_ < s_.size() &&
                 isdigit(static_cast<unsigned char>(s_[pos_])))
            ++pos_;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
          ++pos_;
          if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
          if (pos_ >= s_.size() ||
              !isdigit(static_cast<unsigned char>(s_[pos_])))
            return Err("bad number");
          while (pos_ < s_.size() &&
                 isdigit(static_cast<unsigned char>(s_[pos_])))
            ++pos_;
        }
        slot->text = std::string(s_.substr(b, pos_ - b));
      } else {
        return Err("unexpected character");
      }
      // Find the next slot: the first element of a just-opened container, or
      // the next element of the innermost open one.
      bool first = opened;
      while (true) {
        if (stack.empty()) {
          Ws();
          if (pos_ != s_.size()) return Err("trailing characters");
          return root;
        }
        Frame& f = stack.back();
        Ws();
        const bool is_obj = f.v->type == JsonValue::Type::kObject;
        if (!first) {
          if (pos_ >= s_.size()) return Err("unexpected end");
          if (s_[pos_] == ',') {
            ++pos_;
            Ws();
          } else if (s_[pos_] == (is_obj ? '}' : ']')) {
            ++pos_;
            stack.pop_back();
            continue;
          } else {
            return Err("expected ',' or a closing bracket");
          }
        }
        if (is_obj) {
          std::string key;
          if (pos_ >= s_.size() || s_[pos_] != '"' || !String(&key)) {
            return Err("expected a key");
          }
          Ws();
          if (pos_ >= s_.size() || s_[pos_] != ':') return Err("expected ':'");
          ++pos_;
          f.v->fields.emplace_back(key, JsonValue());
          slot = &f.v->fields.back().second;
        } else {
          f.v->items.emplace_back();
          slot = &f.v->items.back();
        }
        break;
      }
    }
  }

 private:
  absl::Status Err(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("byte %d: %s", pos_, what));
  }
  void Ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool Literal(absl::string_view w) {
    if (s_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  bool String(std::string* out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        continue;
      }
      if (pos_ >= s_.size()) return false;
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return false;
          unsigned v = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = s_[pos_++];
            v <<= 4;
            if (h >= '0' && h <= '9')
              v |= h - '0';
            else if (h >= 'a' && h <= 'f')
              v |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F')
              v |= h - 'A' + 10;
            else
              return false;
          }
          // Tests only need the code points restree writes (< 0x100).
          if (v < 0x80) {
            out->push_back(static_cast<char>(v));
          } else if (v < 0x800) {
            out->push_back(static_cast<char>(0xc0 | (v >> 6)));
            out->push_back(static_cast<char>(0x80 | (v & 0x3f)));
          } else {
            out->push_back(static_cast<char>(0xe0 | (v >> 12)));
            out->push_back(static_cast<char>(0x80 | ((v >> 6) & 0x3f)));
            out->push_back(static_cast<char>(0x80 | (v & 0x3f)));
          }
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<JsonValue> ParseJson(absl::string_view text) {
  return Reader(text).Document();
}

}  // namespace test_support
}  // namespace restree
