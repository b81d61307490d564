// Checked access to parsed JSON for the planning artifacts: every failure is an InputError whose message names
// the file, the key path, the offending value and what was expected (STYLE.md §6), e.g.
// "nnUNetPlans.json: configurations.3d_fullres.patch_size = [128,128]: expected 3 values".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/json_file.h"

namespace nnseg::json_checks {

[[noreturn]] void fail(const std::string& file, const std::string& key, const OrderedJson& value,
                       const std::string& expected);

// `object[name]`; InputError "missing key <key>.<name>" when absent. `key` is the path of `object` ("" at the top).
const OrderedJson& require(const OrderedJson& object, const std::string& file, const std::string& key,
                           const std::string& name);
// Joins a key path: join("configurations", "2d") = "configurations.2d"; join("", "x") = "x".
std::string join(const std::string& key, const std::string& name);

// Fails on keys of `object` not in `allowed`.
void reject_unknown_keys(const OrderedJson& object, const std::string& file, const std::string& key,
                         const std::vector<std::string>& allowed);

void expect_object(const OrderedJson& j, const std::string& file, const std::string& key);
int64_t get_int(const OrderedJson& j, const std::string& file, const std::string& key, int64_t min_value);
double get_positive_double(const OrderedJson& j, const std::string& file, const std::string& key);
bool get_bool(const OrderedJson& j, const std::string& file, const std::string& key);
std::string get_string(const OrderedJson& j, const std::string& file, const std::string& key);

// A list of integers >= min_value with `length` entries (any length when length < 0).
std::vector<int64_t> get_int_list(const OrderedJson& j, const std::string& file, const std::string& key, int64_t length,
                                  int64_t min_value);
// A list of positive finite numbers with `length` entries (any length when length < 0).
std::vector<double> get_positive_double_list(const OrderedJson& j, const std::string& file, const std::string& key,
                                             int64_t length);
// A list of strings (any length).
std::vector<std::string> get_string_list(const OrderedJson& j, const std::string& file, const std::string& key);

}  // namespace nnseg::json_checks
