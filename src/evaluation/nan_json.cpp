// JSON with NaN tokens (evaluation/nan_json.h).
#include "evaluation/nan_json.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace nnseg {

namespace {

// Strings that stand in for the special tokens while nlohmann parses; a control character cannot occur unescaped
// in JSON text, so no real string value is mistaken for one unless it spells out the \u0001 escape.
const char kNaNSentinel[] = "\x01nnseg:NaN";
const char kInfSentinel[] = "\x01nnseg:Infinity";
const char kNegInfSentinel[] = "\x01nnseg:-Infinity";

void dump(const Json& v, int indent, int depth, std::string& out) {
  const std::string pad(static_cast<size_t>(indent * (depth + 1)), ' ');
  const std::string pad_close(static_cast<size_t>(indent * depth), ' ');
  if (v.is_object()) {
    if (v.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ",\n";
      first = false;
      out += pad + Json(it.key()).dump() + ": ";
      dump(it.value(), indent, depth + 1, out);
    }
    out += "\n" + pad_close + "}";
  } else if (v.is_array()) {
    if (v.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ",\n";
      out += pad;
      dump(v[i], indent, depth + 1, out);
    }
    out += "\n" + pad_close + "]";
  } else if (v.is_number_float() && !std::isfinite(v.get<double>())) {
    const double d = v.get<double>();
    out += std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
  } else {
    out += v.dump();
  }
}

void restore_specials(Json& v) {
  if (v.is_object() || v.is_array()) {
    for (auto& child : v) restore_specials(child);
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == kNaNSentinel) {
      v = std::numeric_limits<double>::quiet_NaN();
    } else if (s == kInfSentinel) {
      v = std::numeric_limits<double>::infinity();
    } else if (s == kNegInfSentinel) {
      v = -std::numeric_limits<double>::infinity();
    }
  }
}

bool starts_with_at(const std::string& text, size_t i, const char* token) {
  return text.compare(i, std::char_traits<char>::length(token), token) == 0;
}

}  // namespace

std::string dump_json_with_nan(const Json& value, int indent) {
  std::string out;
  dump(value, indent, 0, out);
  return out;
}

Json parse_json_with_nan(const std::string& text, const std::string& item) {
  std::string rewritten;
  rewritten.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      rewritten += c;
      if (c == '\\' && i + 1 < text.size()) {
        rewritten += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      rewritten += c;
    } else if (starts_with_at(text, i, "NaN")) {
      rewritten += Json(kNaNSentinel).dump();
      i += 2;
    } else if (starts_with_at(text, i, "-Infinity")) {
      rewritten += Json(kNegInfSentinel).dump();
      i += 8;
    } else if (starts_with_at(text, i, "Infinity")) {
      rewritten += Json(kInfSentinel).dump();
      i += 7;
    } else {
      rewritten += c;
    }
  }
  Json value;
  try {
    value = Json::parse(rewritten);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(item, std::string("invalid JSON: ") + e.what());
  }
  restore_specials(value);
  return value;
}

}  // namespace nnseg
