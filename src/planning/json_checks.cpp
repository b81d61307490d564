// Checked JSON access with contract-style messages (planning/json_checks.h).
#include "planning/json_checks.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace nnseg::json_checks {

void fail(const std::string& file, const std::string& key, const OrderedJson& value, const std::string& expected) {
  std::string shown = value.dump();
  if (shown.size() > 200) shown = shown.substr(0, 200) + "...";
  throw InputError(file, key + " = " + shown + ": expected " + expected);
}

std::string join(const std::string& key, const std::string& name) { return key.empty() ? name : key + "." + name; }

const OrderedJson& require(const OrderedJson& object, const std::string& file, const std::string& key,
                           const std::string& name) {
  auto it = object.find(name);
  if (it == object.end()) throw InputError(file, "missing key " + join(key, name));
  return *it;
}

void reject_unknown_keys(const OrderedJson& object, const std::string& file, const std::string& key,
                         const std::vector<std::string>& allowed) {
  for (const auto& item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      throw InputError(file, "unknown key " + join(key, item.key()));
    }
  }
}

void expect_object(const OrderedJson& j, const std::string& file, const std::string& key) {
  if (!j.is_object()) fail(file, key, j, "an object");
}

int64_t get_int(const OrderedJson& j, const std::string& file, const std::string& key, int64_t min_value) {
  if (!j.is_number_integer()) fail(file, key, j, "an integer");
  if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    fail(file, key, j, "a smaller integer");
  const auto v = j.get<int64_t>();
  if (v < min_value) fail(file, key, j, "an integer >= " + std::to_string(min_value));
  return v;
}

double get_positive_double(const OrderedJson& j, const std::string& file, const std::string& key) {
  if (!j.is_number()) fail(file, key, j, "a number");
  const auto v = j.get<double>();
  if (!(std::isfinite(v) && v > 0)) fail(file, key, j, "a positive finite number");
  return v;
}

bool get_bool(const OrderedJson& j, const std::string& file, const std::string& key) {
  if (!j.is_boolean()) fail(file, key, j, "true or false");
  return j.get<bool>();
}

std::string get_string(const OrderedJson& j, const std::string& file, const std::string& key) {
  if (!j.is_string()) fail(file, key, j, "a string");
  return j.get<std::string>();
}

namespace {
void expect_list(const OrderedJson& j, const std::string& file, const std::string& key, int64_t length,
                 const std::string& what) {
  if (!j.is_array()) fail(file, key, j, "a list of " + what);
  if (length >= 0 && static_cast<int64_t>(j.size()) != length) {
    fail(file, key, j, std::to_string(length) + " values");
  }
}
}  // namespace

std::vector<int64_t> get_int_list(const OrderedJson& j, const std::string& file, const std::string& key, int64_t length,
                                  int64_t min_value) {
  expect_list(j, file, key, length, "integers");
  std::vector<int64_t> out;
  for (const auto& v : j) {
    if (!v.is_number_integer() || v.get<int64_t>() < min_value) {
      fail(file, key, j, "integers >= " + std::to_string(min_value));
    }
    out.push_back(v.get<int64_t>());
  }
  return out;
}

std::vector<double> get_positive_double_list(const OrderedJson& j, const std::string& file, const std::string& key,
                                             int64_t length) {
  expect_list(j, file, key, length, "numbers");
  std::vector<double> out;
  for (const auto& v : j) {
    if (!v.is_number() || !(std::isfinite(v.get<double>()) && v.get<double>() > 0)) {
      fail(file, key, j, "positive finite numbers");
    }
    out.push_back(v.get<double>());
  }
  return out;
}

std::vector<std::string> get_string_list(const OrderedJson& j, const std::string& file, const std::string& key) {
  expect_list(j, file, key, -1, "strings");
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string()) fail(file, key, j, "strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace nnseg::json_checks
