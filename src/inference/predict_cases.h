// `nnseg predict` and the trainer's end-of-training validation (spec/inference.md §1, §5-§9): a trained model (one
// or more folds of <results>/DatasetXXX_Name/<trainer>__<plans>__<configuration>/), raw cases preprocessed in memory
// as in training, sliding-window prediction with mirroring, the fold average, export to the original geometry,
// postprocessing, and optional probability files.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "network/network_config.h"
#include "planning/plans.h"
#include "preprocessing/preprocess_case.h"
#include "training/checkpoint.h"

namespace nnseg {

namespace fs = std::filesystem;

// A trained model: the plans configuration and one set of weights per fold (CPU tensors).
struct TrainedModel {
  fs::path experiment_folder;  // where plans.json, dataset.json and postprocessing.json are looked up
  Plans plans;                 // plans.json of the experiment (nnUNetPlans.json as trained)
  std::string plans_file;      // names the plans in messages
  ConfigurationPlan cfg;       // the configuration predicted with
  std::vector<std::string> channel_names;
  std::vector<int> classes;             // foreground labels
  std::string file_ending = ".nii.gz";  // of the input images (dataset.json)
  NetworkConfig network;                // deep supervision off
  std::vector<std::string> fold_names;  // "fold_0", ..., or the .npz file name for --weights
  std::vector<NamedTensors> weights;    // one per fold, in fold_names order
};

// Where the model's files come from.
struct ModelSource {
  fs::path experiment_folder;            // <results>/DatasetXXX_Name/<trainer>__<plans>__<configuration>
  std::optional<fs::path> preprocessed;  // $nnUNet_preprocessed/DatasetXXX_Name (plans fallback for --weights)
  std::string configuration = "3d_fullres";
  std::vector<int> folds;               // empty: every fold_<N> folder present (not fold_all), as v1
  std::string checkpoint = "final";     // final | best
  std::optional<fs::path> weights_npz;  // --weights: one model from this file instead of the folds
};

// Loads plans, dataset facts and every fold's checkpoint. InputError naming the missing folder or file (with the
// command to run), a checkpoint of another configuration, or --checkpoint other than final/best.
TrainedModel load_trained_model(const ModelSource& source);

struct PredictOptions {
  double step_size = 0.5;
  bool mirroring = true;  // false: --disable-tta
  torch::Device device = torch::kCPU;
  bool mixed_precision = true;      // float16 autocast on CUDA
  bool save_probabilities = false;  // CASE.npz (softmax, float16) + CASE.json beside each prediction
  bool overwrite = false;           // false: cases whose output exists are skipped (v1 without --overwrite_existing)
  bool postprocess = true;          // apply <experiment>/postprocessing.json when present
  int threads = 1;                  // torch intra-op threads and export threads
  std::vector<std::string> only_cases;  // non-empty: predict only these case ids
};

struct PredictReport {
  std::vector<std::string> predicted;  // case ids written
  std::vector<std::string> skipped;    // existing outputs left alone
  bool postprocessed = false;          // postprocessing.json applied
  double seconds = 0;
};

// Case ids of an input folder (CASE_XXXX<file_ending>), each checked to have every channel of the model:
// InputError naming the missing file. InputError naming the folder when it holds no case.
std::vector<std::string> list_input_cases(const fs::path& input_folder, const TrainedModel& model);

// Predicts every case of `input_folder` into `output_folder` (created): CASE<file_ending> uint8 in the input's
// geometry; preprocessing of the next case and writing of the previous one overlap with prediction.
PredictReport predict_folder(const TrainedModel& model, const fs::path& input_folder, const fs::path& output_folder,
                             const PredictOptions& options, Progress& progress);

// Predicts preprocessed cases (<data_folder>/CASE.npy + CASE.json) into `output_folder` (the trainer's final
// validation). No postprocessing.
PredictReport predict_preprocessed_cases(const TrainedModel& model, const fs::path& data_folder,
                                         const std::vector<std::string>& case_ids, const fs::path& output_folder,
                                         const PredictOptions& options, Progress& progress);

}  // namespace nnseg
