// `nnseg plan -d ID` in one call: the preprocessed dataset folder's fingerprint and dataset.json copy ->
// nnUNetPlans.json and splits_final.json in the same folder (spec/planning.md §1, spec/preprocessing.md §9).
#pragma once

#include <filesystem>
#include <string>

#include "planning/plan_experiment.h"

namespace nnseg {

// Reads <folder>/dataset_fingerprint.json and <folder>/dataset.json, plans (dataset_name = the folder's name,
// DatasetXXX_Name), writes <folder>/nnUNetPlans.json, and writes <folder>/splits_final.json from the
// fingerprint's case_identifiers unless that file exists (it is never overwritten). Decision for nnseg: with fewer
// than 5 cases (v1's KFold cannot split them) the plans are written, a warning is logged and no splits file is
// made; fold `all` still trains, and a fold 0-4 is refused later. Nothing is written when planning or splitting
// fails. A missing fingerprint is an InputError naming it and saying to run 'nnseg extract-fingerprint -d ID'.
// `log` receives the planners' log (plan_log.h).
Plans plan_dataset_folder(const std::filesystem::path& folder, const PlannerOptions& options = {},
                          std::string* log = nullptr);

// The dataset id of a DatasetXXX_Name / TaskXXX_Name folder as the "-d" hint of messages ("82"); "ID" when the
// folder name carries none.
std::string dataset_id_hint(const std::filesystem::path& folder);

}  // namespace nnseg
