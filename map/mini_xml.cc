#include "map/mini_xml.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace restree {
namespace test_support {
namespace {

absl::Status Err(size_t at, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("byte ", at, ": ", what));
}

bool NameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_' || c == ':' || c == '.' ||
         static_cast<unsigned char>(c) >= 0x80;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes character data s (starting at byte `at` of the document).
absl::StatusOr<std::string> Decode(absl::string_view s, size_t at) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') return Err(at + i, "'<' in character data");
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const size_t semi = s.find(';', i);
    if (semi == absl::string_view::npos) return Err(at + i, "unterminated '&'");
    const absl::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out += '&';
    } else if (ent == "lt") {
      out += '<';
    } else if (ent == "gt") {
      out += '>';
    } else if (ent == "quot") {
      out += '"';
    } else if (ent == "apos") {
      out += '\'';
    } else if (!ent.empty() && ent[0] == '#') {
      uint32_t cp = 0;
      const bool ok = ent.size() > 1 && (ent[1] == 'x')
                          ? absl::SimpleHexAtoi(ent.substr(2), &cp)
                          : absl::SimpleAtoi(ent.substr(1), &cp);
      if (!ok || cp == 0 || cp > 0x10FFFF) {
        return Err(at + i, "bad character reference");
      }
      AppendUtf8(cp, &out);
    } else {
      return Err(at + i, absl::StrCat("unknown entity '&", ent, ";'"));
    }
    i = semi;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<XmlElement>> ParseXml(absl::string_view doc) {
  std::vector<XmlElement> els;
  std::vector<int> open;  // indices of the open elements
  bool root_seen = false;
  size_t i = 0;
  while (i < doc.size()) {
    if (doc[i] != '<') {
      const size_t lt = doc.find('<', i);
      const size_t end = lt == absl::string_view::npos ? doc.size() : lt;
      absl::StatusOr<std::string> text = Decode(doc.substr(i, end - i), i);
      if (!text.ok()) return text.status();
      if (open.empty()) {
        for (char c : *text) {
          if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
            return Err(i, "text outside the root element");
          }
        }
      } else {
        els[static_cast<size_t>(open.back())].text += *text;
      }
      i = end;
      continue;
    }
    if (doc.substr(i, 4) == "<!--") {
      const size_t end = doc.find("-->", i + 4);
      if (end == absl::string_view::npos) return Err(i, "unterminated comment");
      i = end + 3;
      continue;
    }
    if (doc.substr(i, 2) == "<?") {
      const size_t end = doc.find("?>", i + 2);
      if (end == absl::string_view::npos) {
        return Err(i, "unterminated processing instruction");
      }
      i = end + 2;
      continue;
    }
    if (doc.substr(i, 2) == "<!") return Err(i, "DTDs and CDATA unsupported");
    if (doc.substr(i, 2) == "</") {
      size_t j = i + 2;
      while (j < doc.size() && NameChar(doc[j])) ++j;
      const absl::string_view name = doc.substr(i + 2, j - i - 2);
      while (j < doc.size() &&
             absl::ascii_isspace(static_cast<unsigned char>(doc[j])))
        ++j;
      if (j >= doc.size() || doc[j] != '>') return Err(j, "bad end tag");
      if (open.empty() || els[static_cast<size_t>(open.back())].tag != name) {
        return Err(i, absl::StrCat("end tag '", name, "' does not match"));
      }
      open.pop_back();
      i = j + 1;
      continue;
    }
    // A start tag.
    size_t j = i + 1;
    while (j < doc.size() && NameChar(doc[j])) ++j;
    if (j == i + 1) return Err(i, "'<' not followed by a name");
    if (open.empty() && root_seen) return Err(i, "a second root element");
    XmlElement el;
    el.tag = std::string(doc.substr(i + 1, j - i - 1));
    el.parent = open.empty() ? -1 : open.back();
    bool self_closing = false;
    while (true) {
      const size_t before = j;
      while (j < doc.size() &&
             absl::ascii_isspace(static_cast<unsigned char>(doc[j])))
        ++j;
      if (j >= doc.size()) return Err(i, "unterminated start tag");
      if (doc[j] == '>') {
        ++j;
        break;
      }
      if (doc.substr(j, 2) == "/>") {
        self_closing = true;
        j += 2;
        break;
      }
      if (j == before) return Err(j, "attributes must be separated by space");
      size_t k = j;
      while (k < doc.size() && NameChar(doc[k])) ++k;
      if (k == j) return Err(j, "bad attribute name");
      const std::string name(doc.substr(j, k - j));
      if (k + 1 >= doc.size() || doc[k] != '=' ||
          (doc[k + 1] != '"' && doc[k + 1] != '\'')) {
        return Err(k, "attribute without a quoted value");
      }
      const char q = doc[k + 1];
      const size_t close = doc.find(q, k + 2);
      if (close == absl::string_view::npos) return Err(k, "unterminated value");
      absl::StatusOr<std::string> value =
          Decode(doc.substr(k + 2, close - k - 2), k + 2);
      if (!value.ok()) return value.status();
      if (!el.attrs.emplace(name, *std::move(value)).second) {
        return Err(j, absl::StrCat("repeated attribute '", name, "'"));
      }
      j = close + 1;
    }
    const int index = static_cast<int>(els.size());
    if (el.parent >= 0)
      els[static_cast<size_t>(el.parent)].children.push_back(index);
    els.push_back(std::move(el));
    root_seen = true;
    if (!self_closing) open.push_back(index);
    i = j;
  }
  if (!open.empty()) {
    return Err(doc.size(),
               absl::StrCat("unclosed '",
                            els[static_cast<size_t>(open.back())].tag, "'"));
  }
  if (!root_seen) return Err(0, "no root element");
  return els;
}

}  // namespace test_support
}  // namespace restree
