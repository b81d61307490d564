// JSON load/save (io/json_file.h).
#include "io/json_file.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "io/atomic_write.h"

namespace nnseg {

namespace {

// Placeholders that stand for non-finite numbers while nlohmann::json (strict JSON) holds the document.
constexpr const char* kNanPlaceholder = "__nnseg_json_NaN__";
constexpr const char* kPosInfPlaceholder = "__nnseg_json_Infinity__";
constexpr const char* kNegInfPlaceholder = "__nnseg_json_-Infinity__";

void non_finite_to_placeholders(OrderedJson& j) {
  if (j.is_number_float()) {
    double v = j.get<double>();
    if (std::isnan(v)) {
      j = kNanPlaceholder;
    } else if (std::isinf(v)) {
      j = v > 0 ? kPosInfPlaceholder : kNegInfPlaceholder;
    }
    return;
  }
  if (j.is_array() || j.is_object()) {
    for (auto& child : j) non_finite_to_placeholders(child);
  }
}

void placeholders_to_non_finite(OrderedJson& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == kNanPlaceholder) {
      j = std::numeric_limits<double>::quiet_NaN();
    } else if (s == kPosInfPlaceholder) {
      j = std::numeric_limits<double>::infinity();
    } else if (s == kNegInfPlaceholder) {
      j = -std::numeric_limits<double>::infinity();
    }
    return;
  }
  if (j.is_array() || j.is_object()) {
    for (auto& child : j) placeholders_to_non_finite(child);
  }
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

std::string quoted(const char* s) { return std::string("\"") + s + "\""; }

}  // namespace

OrderedJson load_json(const std::filesystem::path& path) {
  std::string text = read_file(path);
  try {
    return OrderedJson::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string(), std::string("invalid JSON: ") + e.what());
  }
}

void save_json(const std::filesystem::path& path, const OrderedJson& value) {
  write_file_atomically(path, value.dump(4) + "\n");
}

std::string dump_json_allow_nan(const OrderedJson& json, int indent) {
  OrderedJson copy = json;
  non_finite_to_placeholders(copy);
  std::string text = copy.dump(indent);
  replace_all(text, quoted(kNanPlaceholder), "NaN");
  replace_all(text, quoted(kPosInfPlaceholder), "Infinity");
  replace_all(text, quoted(kNegInfPlaceholder), "-Infinity");
  return text;
}

OrderedJson parse_json_allow_nan(const std::string& text, const std::string& file) {
  // Bare NaN / Infinity / -Infinity outside strings become placeholder strings, which strict JSON accepts.
  std::string strict;
  strict.reserve(text.size() + 64);
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (in_string) {
      strict += c;
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      ++i;
    } else if (c == '"') {
      in_string = true;
      strict += c;
      ++i;
    } else if (text.compare(i, 3, "NaN") == 0) {
      strict += quoted(kNanPlaceholder);
      i += 3;
    } else if (text.compare(i, 9, "-Infinity") == 0) {
      strict += quoted(kNegInfPlaceholder);
      i += 9;
    } else if (text.compare(i, 8, "Infinity") == 0) {
      strict += quoted(kPosInfPlaceholder);
      i += 8;
    } else {
      strict += c;
      ++i;
    }
  }
  OrderedJson json;
  try {
    json = OrderedJson::parse(strict);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file, std::string("invalid JSON: ") + e.what());
  }
  placeholders_to_non_finite(json);
  return json;
}

OrderedJson load_json_allow_nan(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw InputError(path.string(), "file not found");
  return parse_json_allow_nan(read_file(path), path.string());
}

void save_json_allow_nan(const std::filesystem::path& path, const OrderedJson& json) {
  write_file_atomically(path, dump_json_allow_nan(json) + "\n");
}

}  // namespace nnseg
