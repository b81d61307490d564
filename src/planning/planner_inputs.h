// PlannerInputs: what the planner takes from dataset.json (channel names, classes, name), read minimally from the
// v2 form (`channel_names`, `labels` name -> value) or the v1 form (`modality`, `labels` value -> name).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/json_file.h"

namespace nnseg {

struct PlannerInputs {
  std::string dataset_name;                // dataset.json `name` ("" when absent); written as plans dataset_name
  std::vector<std::string> channel_names;  // channel index -> name (v1 `modality`, v2 `channel_names`)
  std::vector<int64_t> classes;            // foreground label values (> 0), in the file's order (v1 all_classes)

  int64_t num_channels() const { return static_cast<int64_t>(channel_names.size()); }
  // Network outputs: the classes plus background (v1 num_classes + 1).
  int64_t num_classes_with_background() const { return static_cast<int64_t>(classes.size()) + 1; }
};

// Reads the two keys from a parsed dataset.json; `file` names it in errors.
PlannerInputs planner_inputs_from_json(const OrderedJson& json, const std::string& file);
// Loads and reads dataset.json; a missing file is an InputError naming it.
PlannerInputs load_planner_inputs(const std::filesystem::path& dataset_json);

}  // namespace nnseg
