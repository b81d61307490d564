// Channel names and classes from dataset.json, v1 or v2 form (planning/planner_inputs.h).
#include "planning/planner_inputs.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/error.h"
#include "planning/json_checks.h"

namespace nnseg {

namespace jc = json_checks;

namespace {

// "12" -> 12; nullopt-like failure via the bool.
bool parse_index(const std::string& text, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  out = std::strtoll(text.c_str(), nullptr, 10);
  return true;
}

}  // namespace

PlannerInputs planner_inputs_from_json(const OrderedJson& json, const std::string& file) {
  jc::expect_object(json, file, "(top level)");
  PlannerInputs in;
  if (json.contains("name")) in.dataset_name = jc::get_string(json["name"], file, "name");

  // Channels: {"0": "T1", "1": "T1ce", ...}; keys must be 0 ... C-1.
  const bool v2 = json.contains("channel_names");
  if (!v2 && !json.contains("modality")) throw InputError(file, "missing key channel_names (v2) or modality (v1)");
  const std::string channel_key = v2 ? "channel_names" : "modality";
  const OrderedJson& channels = json[channel_key];
  if (!channels.is_object() || channels.empty()) {
    jc::fail(file, channel_key, channels, "an object {\"0\": name, \"1\": name, ...}");
  }
  std::map<int64_t, std::string> by_index;
  for (const auto& item : channels.items()) {
    int64_t index = 0;
    if (!parse_index(item.key(), index)) jc::fail(file, channel_key, channels, "channel indices as keys");
    by_index[index] = jc::get_string(item.value(), file, channel_key + "." + item.key());
  }
  int64_t expected = 0;
  for (const auto& [index, name] : by_index) {
    if (index != expected++) {
      jc::fail(file, channel_key, channels,
               "consecutive channel keys \"0\" ... \"" + std::to_string(by_index.size() - 1) + "\"");
    }
    in.channel_names.push_back(name);
  }

  // Labels: v2 {"background": 0, "edema": 1, ...} or v1 {"0": "background", "1": "edema", ...}.
  const OrderedJson& labels = jc::require(json, file, "", "labels");
  if (!labels.is_object() || labels.empty()) jc::fail(file, "labels", labels, "an object of labels");
  const bool name_to_value = labels.begin().value().is_number_integer();
  bool has_background = false;
  for (const auto& item : labels.items()) {
    int64_t value = 0;
    if (name_to_value) {
      if (item.value().is_array()) {
        jc::fail(file, "labels." + item.key(), item.value(),
                 "a single label value (region-based labels are not supported)");
      }
      value = jc::get_int(item.value(), file, "labels." + item.key(), 0);
    } else {
      if (!parse_index(item.key(), value))
        jc::fail(file, "labels", labels, "label values as keys (v1) or as values (v2)");
      jc::get_string(item.value(), file, "labels." + item.key());
    }
    if (value == 0) {
      has_background = true;
    } else if (std::find(in.classes.begin(), in.classes.end(), value) != in.classes.end()) {
      jc::fail(file, "labels", labels, "distinct label values");
    } else {
      in.classes.push_back(value);
    }
  }
  if (!has_background) jc::fail(file, "labels", labels, "a background label 0");
  return in;
}

PlannerInputs load_planner_inputs(const std::filesystem::path& dataset_json) {
  if (!std::filesystem::exists(dataset_json)) throw InputError(dataset_json.string(), "dataset.json not found");
  return planner_inputs_from_json(load_json(dataset_json), dataset_json.string());
}

}  // namespace nnseg
