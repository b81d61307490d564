// `nnseg train -d ID -c CONFIG -f FOLD [-tr nnUNetTrainerV2] [--epochs N] [--iterations-per-epoch N]
// [--val-iterations N] [--continue] [--device cpu|cuda|cuda:K] [--seed S] [--threads N] [--no-final-validation]
// [--debug-augmentation DIR] [--fp32]`: trains one fold (spec/cli.md, spec/training.md) into
// $nnUNet_results/DatasetXXX_Name/nnUNetTrainerV2__nnUNetPlans__CONFIG/fold_F/.
#include <torch/cuda.h>

#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/progress.h"
#include "inference/final_validation.h"
#include "preprocessing/preprocess_dataset.h"
#include "training/trainer.h"

namespace nnseg::cli {
namespace {

struct TrainFlags {
  std::string dataset;
  std::string configuration;
  std::string fold;
  std::string trainer = kTrainerV2;
  int64_t epochs = 1000;
  int64_t iterations = 250;
  int64_t val_iterations = 50;
  bool continue_training = false;
  std::string device;
  int64_t seed = -1;  // -1: not given
  bool no_final_validation = false;
  bool fp32 = false;
  std::string debug_augmentation;
  int threads = 1;
  PathFlags paths;
};

int run_train(const TrainFlags& flags) {
  TrainOptions options;
  options.trainer_name = flags.trainer;
  options.configuration = flags.configuration;
  options.fold = parse_fold_flag(flags.fold, "-f");
  options.epochs = flags.epochs;
  options.iterations_per_epoch = flags.iterations;
  options.val_iterations = flags.val_iterations;
  options.continue_training = flags.continue_training;
  // Without --device: the GPU when there is one, as nnU-Net.
  options.device = flags.device.empty() ? (torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU)
                                        : parse_device_flag(flags.device, "--device");
  options.mixed_precision = !flags.fp32;
  if (flags.seed >= 0) options.seed = static_cast<uint64_t>(flags.seed);
  options.threads = flags.threads;
  options.final_validation = !flags.no_final_validation;
  options.final_validation_runner = run_final_validation;
  options.debug_augmentation_dir = flags.debug_augmentation;

  const Paths paths = resolve_paths(flags.paths);
  if (!paths.results) {
    throw InputError("nnUNet_results", "not set; set the environment variable (or RESULTS_FOLDER) or pass --results");
  }
  const DatasetFolders folders = resolve_dataset_folders(paths, flags.dataset, false);
  StreamProgress progress;
  const TrainResult r =
      train_fold({folders.preprocessed, *paths.results, folders.raw, flags.dataset}, options, progress);
  std::cout << r.fold_folder.string() << ": " << r.epochs_completed << " of " << options.epochs << " epochs";
  if (!r.history.pseudo_dice.empty()) std::cout << ", last pseudo-Dice " << r.history.pseudo_dice.back();
  if (r.best_ema) std::cout << ", best pseudo-Dice EMA " << *r.best_ema;
  std::cout << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "train", "trains one fold of a configuration (nnUNetTrainerV2)", [](CLI::App& app) -> std::function<int()> {
      auto f = std::make_shared<TrainFlags>();
      app.add_option("-d,--dataset", f->dataset, "dataset: 82, 082, Dataset082_BraTS2020 or Task082_BraTS2020")
          ->required();
      app.add_option("-c,--configuration", f->configuration, "configuration: 3d_fullres, 3d_lowres")->required();
      app.add_option("-f,--fold", f->fold, "fold 0-4 or all")->required();
      // CLI11 takes no multi-letter single-dash names; main() rewrites the contract's "-tr" into "--tr".
      app.add_option("--tr,--trainer", f->trainer, "trainer (default nnUNetTrainerV2)");
      app.add_option("--epochs", f->epochs, "epochs (default 1000)")->check(CLI::Range(int64_t{1}, int64_t{1000000}));
      app.add_option("--iterations-per-epoch", f->iterations, "training iterations per epoch (default 250)")
          ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
      app.add_option("--val-iterations", f->val_iterations, "validation iterations per epoch (default 50)")
          ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
      app.add_flag("--continue", f->continue_training, "resume from checkpoint_final, _latest or _best");
      app.add_option("--device", f->device, "cpu, cuda or cuda:K (default: cuda when available, else cpu)");
      app.add_option("--seed", f->seed, "seed of every random draw (default 12345)")
          ->check(CLI::Range(int64_t{0}, int64_t{4294967295}));
      app.add_flag("--no-final-validation", f->no_final_validation, "skip the validation after training");
      app.add_option("--debug-augmentation", f->debug_augmentation, "write PNGs of the first augmented batch here");
      app.add_flag("--fp32", f->fp32, "no mixed precision on CUDA (CPU always trains in float32)");
      add_path_flags(app, f->paths);
      add_threads_flag(app, f->threads);
      return [f] { return run_train(*f); };
    });

}  // namespace
}  // namespace nnseg::cli
