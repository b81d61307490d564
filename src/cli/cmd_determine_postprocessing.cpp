// `nnseg determine-postprocessing -d ID -c CONFIG [-f FOLDS...] [--raw ..] [--results ..] [-np N]`: collects the folds'
// final-validation predictions into <experiment>/cv_niftis_raw (references into gt_niftis), decides nnU-Net's
// connected-component postprocessing (and, for BraTS datasets, the ET threshold) and writes
// <experiment>/postprocessing.json and cv_niftis_postprocessed/ (spec/cli.md, spec/inference.md §8.2).
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/progress.h"
#include "dataset/dataset_json.h"
#include "dataset/dataset_locator.h"
#include "export/postprocessing.h"
#include "training/trainer.h"

namespace nnseg::cli {
namespace {

struct DeterminePostprocessingFlags {
  std::string dataset;
  std::string configuration;
  std::vector<std::string> folds;
  int threads = 1;
  PathFlags paths;
};

std::vector<int> parse_cv_folds(const std::vector<std::string>& values) {
  std::vector<int> folds;
  for (const std::string& v : values) {
    const bool digits =
        !v.empty() && v.size() <= 6 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
      throw InputError("-f", "'" + v + "': expected cross-validation fold numbers (0, 1, ...; 'all' is no fold)");
    }
    folds.push_back(std::stoi(v));
  }
  return folds;
}

int run_determine_postprocessing(const DeterminePostprocessingFlags& flags) {
  const std::vector<int> folds = parse_cv_folds(flags.folds);
  const Paths paths = resolve_paths(flags.paths);
  if (!paths.results) {
    throw InputError("nnUNet_results", "not set; set the environment variable (or RESULTS_FOLDER) or pass --results");
  }
  const fs::path raw_folder = find_raw_dataset(paths, flags.dataset);
  const DatasetSpec spec = load_dataset_spec(raw_folder);
  std::vector<int> labels = spec.foreground_labels();
  if (spec.has_regions()) {
    labels = spec.label_values();
    labels.erase(std::remove(labels.begin(), labels.end(), 0), labels.end());
  }
  if (labels.empty()) throw InputError((raw_folder / "dataset.json").string(), "labels: no foreground label");

  const fs::path experiment = *paths.results / dataset_output_name(raw_folder) /
                              experiment_folder_name(kTrainerV2, "nnUNetPlans", flags.configuration);
  const FoldConsolidation consolidated =
      consolidate_folds(experiment, folds, raw_folder / "labelsTr", spec.file_ending,
                        "nnseg train -d " + flags.dataset + " -c " + flags.configuration);

  DeterminePostprocessingOptions options;
  options.threads = flags.threads;
  options.brats_et_threshold = is_brats_et_dataset(raw_folder.filename().string() + " " + spec.name, labels);
  const fs::path json_path = experiment / "postprocessing.json";
  StreamProgress progress;
  const PostprocessingResult result =
      determine_postprocessing(consolidated.raw_folder, consolidated.gt_folder, labels,
                               experiment / "cv_niftis_postprocessed", json_path, options, progress);
  save_evaluation_summary(consolidated.raw_folder / "summary.json", result.raw);
  std::cout << format_postprocessing_table(result) << "wrote " << json_path.string() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "determine-postprocessing",
    "decides connected-component postprocessing (and the BraTS ET threshold) from the folds' validation predictions "
    "-> postprocessing.json",
    [](CLI::App& app) -> std::function<int()> {
      auto f = std::make_shared<DeterminePostprocessingFlags>();
      app.add_option("-d,--dataset", f->dataset, "dataset: 82, 082, Dataset082_BraTS2020 or Task082_BraTS2020")
          ->required();
      app.add_option("-c,--configuration", f->configuration, "configuration: 3d_fullres, 3d_lowres")->required();
      app.add_option("-f,--folds", f->folds, "folds to use (default: every fold_N folder of the experiment)");
      add_path_flags(app, f->paths);
      add_threads_flag(app, f->threads);
      return [f] { return run_determine_postprocessing(*f); };
    });

}  // namespace
}  // namespace nnseg::cli
