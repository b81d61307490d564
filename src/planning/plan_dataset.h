// `nnseg plan -d ID` in one call: the preprocessed dataset folder's fingerprint and dataset.json copy ->
// nnUNetPlans.json and splits_final.json in the same folder (spec/planning.md §1, spec/preprocessing.md §9).
#pragma once

#include <filesystem>
#include <string>

#include "planning/plan_experiment.h"

namespace nnseg {

// Reads <folder>/dataset_fingerprint.json and <folder>/dataset.json, plans (dataset_name = the folder's name,
// DatasetXXX_Name), writes <folder>/nnUNetPlans.json, and writes <folder>/splits_final.json from the
// fingerprint's case_identifiers unless that file exists (it is never overwritten). Nothing is written when
// planning or splitting fails. `log` receives the planners' log (plan_log.h).
Plans plan_dataset_folder(const std::filesystem::path& folder, const PlannerOptions& options = {},
                          std::string* log = nullptr);

}  // namespace nnseg
