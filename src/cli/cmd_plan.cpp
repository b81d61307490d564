// `nnseg plan -d ID [--gpu-memory-gb X]`: the preprocessed folder's fingerprint (+ raw dataset.json, copied there) ->
// nnUNetPlans.json and splits_final.json in $nnUNet_preprocessed/DatasetXXX_Name/. And the planner alone:
// `nnseg plan --fingerprint FP.json --dataset-json DS.json -o PLANS.json` (spec/cli.md).
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "fingerprint/extract_fingerprint.h"
#include "fingerprint/fingerprint.h"
#include "planning/plan_dataset.h"
#include "planning/plan_experiment.h"
#include "planning/planner_inputs.h"
#include "planning/plans.h"
#include "preprocessing/preprocess_dataset.h"

namespace nnseg::cli {
namespace {

struct PlanFlags {
  std::string dataset;       // -d: plan the dataset in $nnUNet_preprocessed
  std::string fingerprint;   // --fingerprint: dataset_fingerprint.json
  std::string dataset_json;  // --dataset-json: dataset.json (v1 or v2)
  std::string output;        // -o: nnUNetPlans.json to write
  double gpu_memory_gb = 0;  // --gpu-memory-gb; 0 = nnU-Net v1's references
  PathFlags paths;
};

PlannerOptions planner_options(const PlanFlags& flags, bool gpu_memory_given) {
  PlannerOptions options;
  if (gpu_memory_given) {
    if (!(flags.gpu_memory_gb > 0)) {
      throw InputError("--gpu-memory-gb", std::to_string(flags.gpu_memory_gb) + ": expected a positive number");
    }
    options.gpu_memory_gb = flags.gpu_memory_gb;
  }
  return options;
}

int run_plan_dataset(const PlanFlags& flags, const PlannerOptions& options) {
  if (!flags.fingerprint.empty() || !flags.dataset_json.empty() || !flags.output.empty()) {
    throw InputError("nnseg plan -d " + flags.dataset,
                     "-d plans in $nnUNet_preprocessed; --fingerprint, --dataset-json and -o belong to the other form");
  }
  const DatasetFolders folders = resolve_dataset_folders(resolve_paths(flags.paths), flags.dataset, false);
  // planning.md §1 decision: plan copies the raw dataset.json (when the raw dataset is there) beside the plans.
  if (folders.raw && std::filesystem::exists(folders.preprocessed / "dataset_fingerprint.json")) {
    copy_dataset_json(*folders.raw, folders.preprocessed);
  }
  std::string log;
  plan_dataset_folder(folders.preprocessed, options, &log);
  const bool splits = std::filesystem::exists(folders.preprocessed / "splits_final.json");
  std::cout << log << "wrote " << (folders.preprocessed / "nnUNetPlans.json").string() << "\n"
            << (splits ? "splits: " + (folders.preprocessed / "splits_final.json").string() : "splits: none") << "\n";
  return 0;
}

int run_plan(const PlanFlags& flags, bool gpu_memory_given) {
  const PlannerOptions options = planner_options(flags, gpu_memory_given);
  if (!flags.dataset.empty()) return run_plan_dataset(flags, options);
  if (flags.fingerprint.empty() || flags.dataset_json.empty() || flags.output.empty()) {
    throw InputError("nnseg plan", "needs -d ID, or --fingerprint FP.json --dataset-json DS.json -o PLANS.json");
  }
  const Fingerprint fingerprint = load_fingerprint(flags.fingerprint);
  const PlannerInputs inputs = load_planner_inputs(flags.dataset_json);
  check_planner_inputs(fingerprint, inputs, flags.fingerprint, flags.dataset_json);
  std::string log;
  const Plans plans = plan_experiment(fingerprint, inputs, options, &log);
  save_plans(flags.output, plans);
  std::cout << log << "wrote " << flags.output << "\n";
  return 0;
}

const CommandRegistrar kRegistrar{
    "plan",
    "plan the experiment (nnUNetPlans.json, splits_final.json) of -d ID, or from a fingerprint and dataset.json",
    [](CLI::App& app) {
      auto flags = std::make_shared<PlanFlags>();
      app.add_option("-d,--dataset", flags->dataset,
                     "dataset to plan in $nnUNet_preprocessed (82, 082, Dataset082_BraTS2020, Task082_BraTS2020)");
      app.add_option("--fingerprint", flags->fingerprint, "dataset_fingerprint.json to plan from");
      app.add_option("--dataset-json", flags->dataset_json, "dataset.json (channel names and labels)");
      app.add_option("-o,--output", flags->output, "nnUNetPlans.json to write");
      CLI::Option* gpu = app.add_option("--gpu-memory-gb", flags->gpu_memory_gb,
                                        "GPU memory to plan for (default: nnU-Net v1's reference, 8 GB)");
      add_path_flags(app, flags->paths);
      return [flags, gpu]() { return run_plan(*flags, gpu->count() > 0); };
    }};

}  // namespace
}  // namespace nnseg::cli
