// dataset_fingerprint.json load/save with checks (fingerprint/fingerprint.h).
#include "fingerprint/fingerprint.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "io/atomic_write.h"

namespace nnseg {

namespace {

[[noreturn]] void fail(const std::string& file, const std::string& key, const OrderedJson& value,
                       const std::string& expected) {
  std::string shown = value.dump();
  if (shown.size() > 200) shown = shown.substr(0, 200) + "...";
  throw InputError(file, key + " = " + shown + ": expected " + expected);
}

// json[name]; the message names the whole key path (`path`, or `name` when empty).
const OrderedJson& require_key(const OrderedJson& json, const std::string& file, const std::string& name,
                               const std::string& path = "") {
  auto it = json.find(name);
  if (it == json.end()) throw InputError(file, "missing key '" + (path.empty() ? name : path) + "'");
  return *it;
}

double number_at(const OrderedJson& j, const std::string& file, const std::string& key) {
  if (!j.is_number()) fail(file, key, j, "a number");
  return j.get<double>();
}

}  // namespace

OrderedJson intensity_stats_to_json(const IntensityStats& stats) {
  OrderedJson j = OrderedJson::object();
  j["mean"] = stats.mean;
  j["median"] = stats.median;
  j["std"] = stats.std;
  j["min"] = stats.min;
  j["max"] = stats.max;
  j["percentile_99_5"] = stats.percentile_99_5;
  j["percentile_00_5"] = stats.percentile_00_5;
  return j;
}

IntensityStats intensity_stats_from_json(const OrderedJson& json, const std::string& file, const std::string& key) {
  if (!json.is_object()) fail(file, key, json, "an object of seven statistics");
  IntensityStats s;
  auto get = [&](const std::string& name) {
    const std::string path = key + "." + name;
    return number_at(require_key(json, file, name, path), file, path);
  };
  s.mean = get("mean");
  s.median = get("median");
  s.std = get("std");
  s.min = get("min");
  s.max = get("max");
  s.percentile_99_5 = get("percentile_99_5");
  s.percentile_00_5 = get("percentile_00_5");
  return s;
}

OrderedJson fingerprint_to_json(const Fingerprint& fingerprint) {
  OrderedJson j = OrderedJson::object();
  j["spacings"] = OrderedJson::array();
  for (const auto& s : fingerprint.spacings) j["spacings"].push_back({s[0], s[1], s[2]});
  j["shapes_after_crop"] = OrderedJson::array();
  for (const auto& s : fingerprint.shapes_after_crop) j["shapes_after_crop"].push_back({s[0], s[1], s[2]});
  OrderedJson props = OrderedJson::object();
  for (size_t c = 0; c < fingerprint.foreground_intensity_properties_per_channel.size(); ++c) {
    props[std::to_string(c)] = intensity_stats_to_json(fingerprint.foreground_intensity_properties_per_channel[c]);
  }
  j["foreground_intensity_properties_per_channel"] = props;
  j["median_relative_size_after_cropping"] = fingerprint.median_relative_size_after_cropping;
  if (!fingerprint.case_identifiers.empty()) j["case_identifiers"] = fingerprint.case_identifiers;
  return j;
}

Fingerprint fingerprint_from_json(const OrderedJson& json, const std::string& file) {
  if (!json.is_object()) throw InputError(file, "expected a JSON object");
  Fingerprint fp;

  const auto& spacings = require_key(json, file, "spacings");
  if (!spacings.is_array() || spacings.empty()) fail(file, "spacings", spacings, "a non-empty list of [z, y, x]");
  for (size_t i = 0; i < spacings.size(); ++i) {
    const std::string key = "spacings[" + std::to_string(i) + "]";
    const auto& s = spacings[i];
    if (!s.is_array() || s.size() != 3) fail(file, key, s, "3 values (z, y, x)");
    std::array<double, 3> v{};
    for (size_t a = 0; a < 3; ++a) {
      v[a] = number_at(s[a], file, key);
      if (!(std::isfinite(v[a]) && v[a] > 0)) fail(file, key, s, "positive finite spacings in mm");
    }
    fp.spacings.push_back(v);
  }

  const auto& shapes = require_key(json, file, "shapes_after_crop");
  if (!shapes.is_array() || shapes.size() != spacings.size()) {
    fail(file, "shapes_after_crop", shapes, std::to_string(spacings.size()) + " shapes (one per entry of spacings)");
  }
  for (size_t i = 0; i < shapes.size(); ++i) {
    const std::string key = "shapes_after_crop[" + std::to_string(i) + "]";
    const auto& s = shapes[i];
    if (!s.is_array() || s.size() != 3) fail(file, key, s, "3 values (z, y, x)");
    std::array<int64_t, 3> v{};
    for (size_t a = 0; a < 3; ++a) {
      if (!s[a].is_number_integer() || s[a].get<int64_t>() < 1) fail(file, key, s, "positive integer sizes");
      v[a] = s[a].get<int64_t>();
    }
    fp.shapes_after_crop.push_back(v);
  }

  const std::string props_key = "foreground_intensity_properties_per_channel";
  const auto& props = require_key(json, file, props_key);
  if (!props.is_object()) fail(file, props_key, props, "an object keyed by channel (\"0\", \"1\", ...)");
  for (size_t c = 0; c < props.size(); ++c) {
    const std::string channel = std::to_string(c);
    if (!props.contains(channel)) {
      fail(file, props_key, props, "channel keys \"0\" ... \"" + std::to_string(props.size() - 1) + "\"");
    }
    fp.foreground_intensity_properties_per_channel.push_back(
        intensity_stats_from_json(props[channel], file, props_key + "." + channel));
  }

  const std::string median_key = "median_relative_size_after_cropping";
  const auto& median = require_key(json, file, median_key);
  fp.median_relative_size_after_cropping = number_at(median, file, median_key);
  if (!(fp.median_relative_size_after_cropping > 0 && fp.median_relative_size_after_cropping <= 1)) {
    fail(file, median_key, median, "a fraction in (0, 1]");
  }

  if (json.contains("case_identifiers")) {
    const auto& ids = json["case_identifiers"];
    if (!ids.is_array() || ids.size() != spacings.size()) {
      fail(file, "case_identifiers", ids, std::to_string(spacings.size()) + " strings (one per case)");
    }
    for (const auto& id : ids) {
      if (!id.is_string()) fail(file, "case_identifiers", id, "a string");
      fp.case_identifiers.push_back(id.get<std::string>());
    }
  }
  return fp;
}

Fingerprint load_fingerprint(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    throw InputError(path.string(), "fingerprint not found; run 'nnseg extract-fingerprint' first");
  }
  return fingerprint_from_json(load_json_allow_nan(path), path.string());
}

void save_fingerprint(const std::filesystem::path& path, const Fingerprint& fingerprint) {
  save_json_allow_nan(path, fingerprint_to_json(fingerprint));
}

}  // namespace nnseg
