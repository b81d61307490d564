// nnUNetTrainerV2's training of one fold (spec/training.md §2-§5, §8-§10): preprocessed cases + nnUNetPlans.json ->
// $nnUNet_results/DatasetXXX_Name/<trainer>__<plans>__<configuration>/fold_F/ with checkpoint_{latest,best,final}.pth
// (training/checkpoint.h), training_log_*.txt, progress.png and debug.json; the experiment folder above it gets
// plans.json, dataset.json and dataset_fingerprint.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "network/network_config.h"
#include "planning/plans.h"
#include "training/checkpoint.h"
#include "training/train_options.h"

namespace nnseg {

namespace fs = std::filesystem;

struct TrainFolders {
  fs::path preprocessed_dataset;        // $nnUNet_preprocessed/DatasetXXX_Name: plans, dataset.json, splits, cases
  fs::path results_root;                // $nnUNet_results
  std::optional<fs::path> raw_dataset;  // raw dataset folder (labelsTr/ for the final validation); may be absent
  std::string dataset_arg;              // the -d value as given, for "run '...' first" messages
};

// "<trainer>__<plans_name>__<configuration>" (v2's experiment folder name).
std::string experiment_folder_name(const std::string& trainer, const std::string& plans_name,
                                   const std::string& configuration);
// The Generic_UNet nnUNetTrainerV2 builds for a configuration (instance norm, deep supervision on).
NetworkConfig network_config_for(const ConfigurationPlan& cfg, int64_t input_channels, int64_t num_classes);

// "fold_3", or "fold_all" for kFoldAll.
std::string fold_folder_name(int fold);

struct TrainResult {
  fs::path fold_folder;            // where checkpoints and logs went
  int64_t start_epoch = 0;         // epoch this process started at (> 0 after --continue)
  int64_t epochs_completed = 0;    // epoch counter at the end
  bool stopped_early = false;      // TrainOptions::stop_after_epochs fired (no final checkpoint)
  TrainingHistory history;         // all epochs, restored ones included
  std::optional<double> best_ema;  // best pseudo-Dice EMA
  double mean_iteration_s = 0;     // wall time per training iteration in this process (forward+backward+step)
};

// Trains one fold as nnUNetTrainerV2 (epoch loop §3, online evaluation §5, checkpoints §8, log §9). Sets the torch
// intra-op thread count to options.threads. Errors: InputError naming the file and what to run when the plans,
// dataset.json or the configuration's preprocessed cases are missing; InputError for an unknown trainer, a
// configuration that is not planned, a 2d configuration (not supported yet), --continue without a checkpoint or
// with a checkpoint of another run.
TrainResult train_fold(const TrainFolders& folders, const TrainOptions& options, Progress& progress);

// nnUNetTrainerV2.on_epoch_end's fallback (§3 step 5.7, §12.12): at epoch 100, a pseudo-Dice of exactly 0 sets the
// momentum to 0.95 and re-initialises the weights (optimizer state kept).
bool v2_momentum_fallback_due(int64_t epoch, double pseudo_dice);

// What the end-of-training validation needs (spec/training.md §10 steps 1-3).
struct FinalValidationInputs {
  fs::path fold_folder;                       // predictions go to fold_folder/validation/
  fs::path checkpoint;                        // checkpoint_final.pth
  fs::path preprocessed_cases;                // <preprocessed>/<data_identifier>
  fs::path preprocessed_dataset;              // $nnUNet_preprocessed/DatasetXXX_Name
  std::vector<std::string> validation_cases;  // the fold's validation split, sorted
  std::optional<fs::path> raw_dataset;        // references: raw labelsTr/
  std::string configuration;
  int fold = 0;  // kFoldAll for `all`
  torch::Device device = torch::kCPU;
  bool mixed_precision = true;
};

}  // namespace nnseg
