// `nnseg preprocess -d ID [-c 3d_fullres 2d 3d_lowres] [-np N] [--overwrite]`: raw training cases + nnUNetPlans.json
// -> $nnUNet_preprocessed/DatasetXXX_Name/<data_identifier>/CASE.npy, CASE_seg.npy, CASE.json (spec/cli.md,
// spec/preprocessing.md). Finished cases are kept unless --overwrite.
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/progress.h"
#include "preprocessing/preprocess_dataset.h"

namespace nnseg::cli {
namespace {

struct PreprocessFlags {
  std::string dataset;
  std::vector<std::string> configurations;
  bool overwrite = false;
  int threads = 1;
  PathFlags paths;
};

int run_preprocess(const PreprocessFlags& flags) {
  const DatasetFolders folders = resolve_dataset_folders(resolve_paths(flags.paths), flags.dataset, true);
  PreprocessDatasetOptions options;
  options.configurations = flags.configurations;
  options.threads = flags.threads;
  options.overwrite = flags.overwrite;
  StreamProgress progress;
  const PreprocessReport report = preprocess_dataset(*folders.raw, folders.preprocessed, options, progress);
  std::cout << describe_preprocess_report(report);
  return 0;
}

const CommandRegistrar kRegistrar(
    "preprocess", "writes the preprocessed cases of the planned configurations",
    [](CLI::App& app) -> std::function<int()> {
      auto flags = std::make_shared<PreprocessFlags>();
      app.add_option("-d,--dataset", flags->dataset, "dataset: 82, 082, Dataset082_BraTS2020 or Task082_BraTS2020")
          ->required();
      app.add_option("-c,--configurations", flags->configurations,
                     "configurations (default: every planned one); one not planned is skipped");
      app.add_flag("--overwrite", flags->overwrite, "redo cases that are already finished");
      add_path_flags(app, flags->paths);
      add_threads_flag(app, flags->threads);
      return [flags] { return run_preprocess(*flags); };
    });

}  // namespace
}  // namespace nnseg::cli
