// `nnseg plan-and-preprocess -d ID [--verify-dataset-integrity] [-c ...] [-np N] [--overwrite] [--no-preprocess]`:
// verify (when asked; a failing dataset is refused before anything is written), extract-fingerprint, plan (printing
// the planners' log) and preprocess, as nnU-Net v1's nnUNet_plan_and_preprocess (spec/planning.md §1, spec/cli.md).
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/progress.h"
#include "dataset/verify_dataset.h"
#include "fingerprint/extract_fingerprint.h"
#include "planning/plan_dataset.h"
#include "preprocessing/preprocess_dataset.h"

namespace nnseg::cli {
namespace {

struct PlanAndPreprocessFlags {
  std::string dataset;
  bool verify = false;
  std::vector<std::string> configurations;
  bool overwrite = false;
  bool no_preprocess = false;
  double gpu_memory_gb = 0;
  std::string planner3d = "ExperimentPlanner3D_v21";  // v1 -pl3d: the only 3D planner, or None
  std::string planner2d = "ExperimentPlanner2D_v21";  // v1 -pl2d: the only 2D planner, or None
  int threads = 1;
  PathFlags paths;
};

// True when the planner is skipped ("None"); InputError for a planner nnseg does not have.
bool planner_skipped(const std::string& flag, const std::string& name, const std::string& available) {
  if (name == "None") return true;
  if (name == available) return false;
  throw InputError(flag + " " + name, "no such planner in nnseg; expected " + available + " or None");
}

void verify_or_refuse(const fs::path& raw, int threads) {
  StreamProgress progress;
  const VerifyReport report = verify_dataset(raw, threads, progress);
  for (const auto& w : report.warnings) std::cout << "warning: " << w << "\n";
  for (const auto& p : report.problems) std::cout << p << "\n";
  if (!report.ok()) {
    throw InputError(raw.string(), "dataset verification failed: " + std::to_string(report.problems.size()) +
                                       " problem(s), listed above; nothing was written");
  }
  std::cout << "verify: OK: " << raw.string() << ": " << report.num_training << " training case(s)\n";
}

int run_plan_and_preprocess(const PlanAndPreprocessFlags& flags, bool gpu_memory_given) {
  const bool skip3d = planner_skipped("--planner3d", flags.planner3d, "ExperimentPlanner3D_v21");
  const bool skip2d = planner_skipped("--planner2d", flags.planner2d, "ExperimentPlanner2D_v21");
  PlannerOptions planner;
  if (gpu_memory_given) {
    if (!(flags.gpu_memory_gb > 0)) {
      throw InputError("--gpu-memory-gb", std::to_string(flags.gpu_memory_gb) + ": expected a positive number");
    }
    planner.gpu_memory_gb = flags.gpu_memory_gb;
  }
  const DatasetFolders folders = resolve_dataset_folders(resolve_paths(flags.paths), flags.dataset, true);
  if (flags.verify) verify_or_refuse(*folders.raw, flags.threads);

  StreamProgress progress;
  ExtractFingerprintOptions fingerprint_options;
  fingerprint_options.threads = flags.threads;
  fingerprint_options.overwrite = flags.overwrite;
  const auto fingerprint =
      extract_dataset_fingerprint(*folders.raw, folders.preprocessed, fingerprint_options, progress);
  std::cout << (fingerprint.reused ? "kept " : "wrote ") << fingerprint.fingerprint_file.string() << ": "
            << fingerprint.fingerprint.num_cases() << " case(s)\n";

  std::string log;
  const Plans plans = plan_dataset_folder(folders.preprocessed, planner, &log);
  std::cout << log << "wrote " << (folders.preprocessed / "nnUNetPlans.json").string() << "\n";
  if (flags.no_preprocess) return 0;

  PreprocessDatasetOptions options;
  options.configurations = flags.configurations;
  if (options.configurations.empty() && (skip3d || skip2d)) {
    // v1's -pl3d None / -pl2d None: that planner's configurations are not preprocessed.
    for (const auto& name : known_configurations()) {
      const bool is2d = name == "2d";
      if (plans.configurations.count(name) != 0 && !(is2d ? skip2d : skip3d)) options.configurations.push_back(name);
    }
    if (options.configurations.empty()) return 0;
  }
  options.threads = flags.threads;
  options.overwrite = flags.overwrite;
  const PreprocessReport report = preprocess_dataset(*folders.raw, folders.preprocessed, options, progress);
  std::cout << describe_preprocess_report(report);
  return 0;
}

const CommandRegistrar kRegistrar(
    "plan-and-preprocess", "verify (optional), extract-fingerprint, plan and preprocess in one go",
    [](CLI::App& app) -> std::function<int()> {
      auto flags = std::make_shared<PlanAndPreprocessFlags>();
      app.add_option("-d,--dataset", flags->dataset, "dataset: 82, 082, Dataset082_BraTS2020 or Task082_BraTS2020")
          ->required();
      app.add_flag("--verify-dataset-integrity", flags->verify, "check the dataset first; refuse a failing one");
      app.add_option("-c,--configurations", flags->configurations,
                     "configurations to preprocess (default: every planned one)");
      app.add_flag("--overwrite", flags->overwrite, "recompute the fingerprint and redo finished cases");
      app.add_flag("--no-preprocess", flags->no_preprocess, "stop after planning (v1 -no_pp)");
      CLI::Option* gpu = app.add_option("--gpu-memory-gb", flags->gpu_memory_gb,
                                        "GPU memory to plan for (default: nnU-Net v1's reference, 8 GB)");
      app.add_option("--planner3d", flags->planner3d, "v1 -pl3d: ExperimentPlanner3D_v21 (default) or None");
      app.add_option("--planner2d", flags->planner2d, "v1 -pl2d: ExperimentPlanner2D_v21 (default) or None");
      add_path_flags(app, flags->paths);
      add_threads_flag(app, flags->threads);
      return [flags, gpu] { return run_plan_and_preprocess(*flags, gpu->count() > 0); };
    });

}  // namespace
}  // namespace nnseg::cli
