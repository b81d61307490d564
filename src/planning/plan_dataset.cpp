// plan_dataset_folder (planning/plan_dataset.h).
#include "planning/plan_dataset.h"

#include <optional>

#include "core/error.h"
#include "core/log.h"
#include "dataset/dataset_locator.h"
#include "planning/splits.h"

namespace nnseg {

std::string dataset_id_hint(const std::filesystem::path& folder) {
  try {
    return std::to_string(parse_dataset_ref(folder.filename().string()).id);
  } catch (const InputError&) {
    return "ID";
  }
}

Plans plan_dataset_folder(const std::filesystem::path& folder, const PlannerOptions& options, std::string* log) {
  const auto fingerprint_file = folder / "dataset_fingerprint.json";
  const auto dataset_file = folder / "dataset.json";
  if (!std::filesystem::exists(fingerprint_file)) {
    throw InputError(fingerprint_file.string(),
                     "not found; run 'nnseg extract-fingerprint -d " + dataset_id_hint(folder) + "' first");
  }
  const Fingerprint fingerprint = load_fingerprint(fingerprint_file);
  PlannerInputs inputs = load_planner_inputs(dataset_file);
  check_planner_inputs(fingerprint, inputs, fingerprint_file.string(), dataset_file.string());
  inputs.dataset_name = folder.filename().string();  // §10.3: DatasetXXX_Name
  Plans plans = plan_experiment(fingerprint, inputs, options, log);

  const auto splits_file = folder / "splits_final.json";
  std::optional<std::vector<Split>> splits;
  if (!std::filesystem::exists(splits_file)) {
    if (fingerprint.case_identifiers.empty()) {
      throw InputError(fingerprint_file.string(), "case_identifiers missing: needed for splits_final.json");
    }
    if (static_cast<int>(fingerprint.case_identifiers.size()) >= kNumFolds) {
      splits = make_splits(fingerprint.case_identifiers);
    } else {
      log_warning(std::to_string(fingerprint.case_identifiers.size()) + " case(s): fewer than " +
                  std::to_string(kNumFolds) + " for the 5-fold split, so no " + splits_file.string() +
                  " is written; train with fold 'all' or provide your own splits_final.json");
    }
  }
  save_plans(folder / "nnUNetPlans.json", plans);
  if (splits) save_splits(splits_file, *splits);
  return plans;
}

}  // namespace nnseg
