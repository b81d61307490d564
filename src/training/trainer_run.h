// Internal to the trainer (trainer.cpp, trainer_run.cpp): the fixed pieces of one training run, assembled from the
// plans, dataset.json and the split before the epoch loop starts.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "network/network_config.h"
#include "planning/plans.h"
#include "planning/splits.h"
#include "training/augment_pipeline.h"
#include "training/data_loader.h"
#include "training/dice_ce_loss.h"
#include "training/train_options.h"
#include "training/trainer.h"

namespace nnseg {

struct RunSetup {
  Plans plans;
  std::string plans_json;         // nnUNetPlans.json text (copied into checkpoints and the experiment folder)
  ConfigurationPlan cfg;          // the trained configuration
  std::string dataset_name;       // DatasetXXX_Name
  fs::path preprocessed_dataset;  // $nnUNet_preprocessed/DatasetXXX_Name
  std::optional<fs::path> raw_dataset;
  fs::path data_folder;        // <preprocessed>/<data_identifier>
  Split split;                 // training and validation cases of the fold
  fs::path experiment_folder;  // <results>/DatasetXXX_Name/<trainer>__<plans>__<configuration>
  fs::path fold_folder;        // experiment_folder/fold_F
  NetworkConfig network;
  std::vector<double> ds_weights;  // one per network output (§4.4)
  AugmentParams augment;           // training and validation transforms (§7)
  DiceCeOptions loss;              // batch Dice from the plans
  DataLoaderOptions train_loader;  // loader patch P, stream 0 (the seed is filled in by the run)
  DataLoaderOptions val_loader;    // patch F, stream 1
};

// Checks everything that can be checked before training (see train_fold) and fills the setup.
RunSetup prepare_run(const TrainFolders& folders, const TrainOptions& options);
// Creates fold_F/ and copies plans.json, dataset.json, dataset_fingerprint.json into the experiment folder.
void copy_experiment_files(const RunSetup& setup);
// The epoch loop (trainer_run.cpp).
TrainResult run_training(const RunSetup& setup, const TrainOptions& options, Progress& progress);

}  // namespace nnseg
