// The dict of a .npy header (numpy writes it as a Python literal, read back with ast.literal_eval): a small
// parser for the literals it can hold, and the checks of its keys. Internal to io/npy.cpp.
#include "io/npy_header_dict.h"

#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace nnseg::detail {

// Python's repr of a str, quoted and escaped, cut after 120 characters: for quoting header text in messages.
std::string npy_python_repr(std::string_view s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 120; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", c);
    out += c == '\\' || c == '\''  ? std::string{'\\', static_cast<char>(c)}
           : c == '\n'             ? std::string("\\n")
           : c < 0x20 || c >= 0x7f ? std::string(hex)
                                   : std::string(1, static_cast<char>(c));
  }
  return out + (s.size() > 120 ? "'..." : "'");
}

namespace {

// A Python literal of the kinds a .npy header holds (numpy reads it with ast.literal_eval).
struct PyValue {
  enum class Kind { kStr, kInt, kBool, kTuple, kList, kDict };
  Kind kind = Kind::kStr;
  std::string str;             // kStr
  int64_t num = 0;             // kInt
  bool flag = false;           // kBool
  std::vector<PyValue> items;  // kTuple, kList; kDict: key, value, key, value, ...
  std::string text;            // the source text, for messages
};

class LiteralParser {
 public:
  LiteralParser(std::string_view text, const std::string& item) : text_(text), item_(item) {}

  PyValue parse() {
    PyValue v = value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the value");
    return v;
  }

 private:
  using Kind = PyValue::Kind;

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(item_, "cannot parse .npy header " + npy_python_repr(text_) + ": " + what + " at character " +
                                std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (text_.substr(pos_, w.size()) != w) return false;
    size_t end = pos_ + w.size();
    if (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) return false;
    pos_ = end;
    return true;
  }

  PyValue value(int depth) {
    if (depth > 16) fail("nesting too deep");
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end");
    size_t start = pos_;
    PyValue v;
    char c = text_[pos_];
    if (c == '\'' || c == '"') {
      v.kind = Kind::kStr;
      v.str = string_literal();
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      v.kind = Kind::kInt;
      v.num = integer();
    } else if (c == '(' || c == '[') {
      sequence(depth, &v);
    } else if (c == '{') {
      dict(depth, &v);
    } else if (word("True") || word("False")) {
      v.kind = Kind::kBool;
      v.flag = c == 'T';
    } else {
      fail("unexpected character " + npy_python_repr(text_.substr(pos_, 1)));
    }
    v.text = std::string(text_.substr(start, pos_ - start));
    return v;
  }

  std::string string_literal() {
    char quote = text_[pos_++];
    std::string s;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      s += text_[pos_++];
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    ++pos_;
    return s;
  }

  int64_t integer() {
    bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_]))) fail("expected a digit");
    int64_t n = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      int digit = text_[pos_++] - '0';
      if (n > (INT64_MAX - digit) / 10) fail("integer too large");
      n = n * 10 + digit;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;  // Python 2 long, as numpy's filter
    return negative ? -n : n;
  }

  // A tuple or list; "(x)" without a comma is just x, as in Python.
  void sequence(int depth, PyValue* v) {
    char open = text_[pos_++];
    char close = open == '(' ? ')' : ']';
    std::vector<PyValue> items;
    bool comma = false;
    while (!eat(close)) {
      items.push_back(value(depth + 1));
      if (eat(',')) {
        comma = true;
      } else if (eat(close)) {
        break;
      } else {
        fail(std::string("expected ',' or '") + close + "'");
      }
    }
    if (open == '(' && items.size() == 1 && !comma) {
      *v = std::move(items[0]);
      return;
    }
    v->kind = open == '(' ? Kind::kTuple : Kind::kList;
    v->items = std::move(items);
  }

  void dict(int depth, PyValue* v) {
    ++pos_;
    v->kind = Kind::kDict;
    while (!eat('}')) {
      v->items.push_back(value(depth + 1));
      if (!eat(':')) fail("expected ':'");
      v->items.push_back(value(depth + 1));
      if (eat('}')) break;
      if (!eat(',')) fail("expected ',' or '}'");
    }
  }

  std::string_view text_;
  const std::string& item_;
  size_t pos_ = 0;
};

}  // namespace

// Fills dtype and shape of `h` from the dict text of a header.
void parse_npy_header_dict(std::string_view text, const std::string& item, NpyHeader* h) {
  size_t end = text.find_last_not_of(" \t\r\n\f\v");
  text = end == std::string_view::npos ? std::string_view() : text.substr(0, end + 1);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') {
    throw InputError(item, ".npy header is not a dict: " + npy_python_repr(text));
  }
  PyValue d = LiteralParser(text, item).parse();
  std::map<std::string, const PyValue*> entries;
  for (size_t i = 0; i + 1 < d.items.size(); i += 2) {
    const PyValue& key = d.items[i];
    if (key.kind != PyValue::Kind::kStr || (key.str != "descr" && key.str != "fortran_order" && key.str != "shape")) {
      throw InputError(item, "unexpected key " + key.text + " in .npy header " + npy_python_repr(text) +
                                 " (expected 'descr', 'fortran_order', 'shape')");
    }
    entries[key.str] = &d.items[i + 1];
  }
  for (const char* name : {"descr", "fortran_order", "shape"}) {
    if (entries.count(name) == 0)
      throw InputError(item, ".npy header " + npy_python_repr(text) + " lacks key '" + name + "'");
  }
  const PyValue* descr = entries["descr"];
  const PyValue* fortran = entries["fortran_order"];
  const PyValue* shape = entries["shape"];
  if (descr->kind != PyValue::Kind::kStr) {
    throw InputError(item, "unsupported dtype descr " + descr->text + " (structured arrays are not supported)");
  }
  h->dtype = parse_npy_descr(descr->str, item);
  if (fortran->kind != PyValue::Kind::kBool) throw InputError(item, "fortran_order is not a bool: " + fortran->text);
  if (fortran->flag) {
    throw InputError(item, "fortran_order is True: only C-order arrays are supported");
  }
  if (shape->kind != PyValue::Kind::kTuple) throw InputError(item, "shape is not a tuple of integers: " + shape->text);
  int64_t bytes_total = static_cast<int64_t>(npy_dtype_size(h->dtype));
  h->shape.clear();
  for (const PyValue& e : shape->items) {
    if (e.kind != PyValue::Kind::kInt) throw InputError(item, "shape is not a tuple of integers: " + shape->text);
    if (e.num < 0) throw InputError(item, "negative dimension " + e.text + " in shape " + shape->text);
    if (e.num > 0 && bytes_total > INT64_MAX / e.num) throw InputError(item, "shape " + shape->text + " is too large");
    bytes_total *= e.num;
    h->shape.push_back(e.num);
  }
}

}  // namespace nnseg::detail
