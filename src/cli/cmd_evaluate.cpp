// `nnseg evaluate --ref DIR --pred DIR [-d ID | --labels 1,2,3] [--regions brats] [--brats-labels]
// [-o summary.json] [-np N]`: metrics per case and mean -> summary.json (spec/cli.md, spec/evaluation.md §2.1).
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/progress.h"
#include "dataset/dataset_json.h"
#include "dataset/dataset_locator.h"
#include "evaluation/summary.h"

namespace nnseg::cli {
namespace {

struct EvaluateFlags {
  std::string reference_dir;
  std::string prediction_dir;
  std::string dataset;
  std::vector<std::string> labels;
  std::string regions;
  bool brats_labels = false;
  std::string output;
  int threads = 1;
  PathFlags paths;
};

int run_evaluate(const EvaluateFlags& flags) {
  EvaluateOptions options;
  options.brats_regions = flags.regions == "brats";
  options.brats_labels = flags.brats_labels;
  options.threads = flags.threads;
  if (!flags.labels.empty()) {
    options.labels = parse_label_list(flags.labels, "--labels");
  } else if (!flags.dataset.empty()) {
    // With -d: the dataset's foreground labels (1..K), as nnU-Net v2 (evaluation.md §2.1).
    const fs::path folder = find_raw_dataset(resolve_paths(flags.paths), flags.dataset);
    options.labels = load_dataset_spec(folder).foreground_labels();
    if (options.labels.empty()) {
      throw InputError((folder / "dataset.json").string(), "labels: no foreground label to evaluate");
    }
  }
  const fs::path output =
      flags.output.empty() ? fs::path(flags.prediction_dir) / "summary.json" : fs::path(flags.output);
  StreamProgress progress;
  const EvaluationSummary summary = evaluate_folders(flags.reference_dir, flags.prediction_dir, options, progress);
  save_evaluation_summary(output, summary);
  std::cout << format_mean_table(summary) << "wrote " << output.string() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "evaluate", "metrics per case and mean of a prediction folder against a reference folder -> summary.json",
    [](CLI::App& app) -> std::function<int()> {
      auto flags = std::make_shared<EvaluateFlags>();
      app.add_option("--ref", flags->reference_dir, "folder of reference segmentations")->required();
      app.add_option("--pred", flags->prediction_dir, "folder of predictions (same file names)")->required();
      auto* dataset = app.add_option("-d,--dataset", flags->dataset,
                                     "evaluate the foreground labels of this dataset's dataset.json "
                                     "(82, 082, Dataset082_BraTS2020 or Task082_BraTS2020)");
      auto* labels = app.add_option("--labels,-l", flags->labels,
                                    "labels to evaluate, e.g. 1,2,3 (default: the non-zero values of the references)");
      dataset->excludes(labels);
      app.add_option("--regions", flags->regions, "add region metrics: 'brats' (WT/TC/ET Dice and HD95)")
          ->check(CLI::IsMember({"brats"}));
      app.add_flag("--brats-labels", flags->brats_labels,
                   "files hold BraTS labels 0/1/2/4; converted to nnU-Net labels (2/1/3) on reading");
      app.add_option("-o,--output", flags->output, "summary file (default: PRED/summary.json)");
      add_path_flags(app, flags->paths);
      add_threads_flag(app, flags->threads);
      return [flags] { return run_evaluate(*flags); };
    });

}  // namespace
}  // namespace nnseg::cli
