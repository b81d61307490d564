// train_fold: nnUNetTrainerV2's run_training for one fold (training/trainer.h, spec/training.md §3-§10). The run's
// fixed pieces are assembled here (prepare_run); the epoch loop lives in trainer_loop.cpp.
#include "training/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_write.h"
#include "io/json_file.h"
#include "planning/planner_inputs.h"
#include "planning/splits.h"
#include "training/deep_supervision.h"
#include "training/trainer_run.h"

namespace nnseg {
namespace {

// Cases of a preprocessed configuration folder: every CASE.json with its CASE.npy and CASE_seg.npy, sorted.
std::vector<std::string> list_preprocessed_cases(const fs::path& folder) {
  std::vector<std::string> ids;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const fs::path p = entry.path();
    if (p.extension() != ".json") continue;
    const std::string id = p.stem().string();
    if (fs::is_regular_file(folder / (id + ".npy")) && fs::is_regular_file(folder / (id + "_seg.npy"))) {
      ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::array<int64_t, 3> triple(const std::vector<int64_t>& v) { return {v.at(0), v.at(1), v.at(2)}; }

}  // namespace

std::string experiment_folder_name(const std::string& trainer, const std::string& plans_name,
                                   const std::string& configuration) {
  return trainer + "__" + plans_name + "__" + configuration;
}

NetworkConfig network_config_for(const ConfigurationPlan& cfg, int64_t input_channels, int64_t num_classes) {
  NetworkConfig n;
  n.input_channels = input_channels;
  n.num_classes = num_classes;
  n.base_num_features = cfg.unet_base_num_features;
  n.max_num_features = cfg.unet_max_num_features;
  n.pool_kernel_sizes = cfg.pool_op_kernel_sizes;
  n.conv_kernel_sizes = cfg.conv_kernel_sizes;
  n.convs_per_stage = cfg.n_conv_per_stage_encoder.empty() ? 2 : cfg.n_conv_per_stage_encoder.front();
  n.deep_supervision = true;
  n.norm = NormKind::kInstance;
  return n;
}

bool v2_momentum_fallback_due(int64_t epoch, double pseudo_dice) { return epoch == 100 && pseudo_dice == 0.0; }

std::string fold_folder_name(int fold) { return fold == kFoldAll ? "fold_all" : "fold_" + std::to_string(fold); }

RunSetup prepare_run(const TrainFolders& folders, const TrainOptions& options) {
  RunSetup s;
  const std::string d =
      folders.dataset_arg.empty() ? folders.preprocessed_dataset.filename().string() : folders.dataset_arg;
  if (options.trainer_name != kTrainerV2) {
    throw InputError("-tr", "'" + options.trainer_name + "': unknown trainer; available: " + kTrainerV2);
  }
  if (options.epochs < 1) throw InputError("--epochs", std::to_string(options.epochs) + ": expected >= 1");
  if (options.iterations_per_epoch < 1) {
    throw InputError("--iterations-per-epoch", std::to_string(options.iterations_per_epoch) + ": expected >= 1");
  }
  if (options.val_iterations < 1) {
    throw InputError("--val-iterations", std::to_string(options.val_iterations) + ": expected >= 1");
  }
  const fs::path plans_file = folders.preprocessed_dataset / "nnUNetPlans.json";
  if (!fs::is_regular_file(plans_file)) {
    throw InputError(plans_file.string(), "not found; run 'nnseg plan-and-preprocess -d " + d + "' first");
  }
  s.plans_json = read_file(plans_file);
  s.plans = load_plans(plans_file);
  s.cfg = s.plans.configuration(options.configuration, plans_file.string());
  if (s.cfg.dim() != 3) {
    throw InputError("-c", "'" + options.configuration + "': training a 2d configuration is not supported yet");
  }
  const PlannerInputs inputs = load_planner_inputs(folders.preprocessed_dataset / "dataset.json");
  if (inputs.num_channels() != static_cast<int64_t>(s.cfg.normalization_schemes.size())) {
    throw InputError((folders.preprocessed_dataset / "dataset.json").string(),
                     std::to_string(inputs.num_channels()) + " channels, but the plans normalise " +
                         std::to_string(s.cfg.normalization_schemes.size()));
  }
  s.dataset_name = folders.preprocessed_dataset.filename().string();
  s.data_folder = folders.preprocessed_dataset / s.cfg.data_identifier;
  const std::string run_preprocess = "run 'nnseg preprocess -d " + d + " -c " + options.configuration + "' first";
  if (!fs::is_directory(s.data_folder)) throw InputError(s.data_folder.string(), "not found; " + run_preprocess);
  const std::vector<std::string> cases = list_preprocessed_cases(s.data_folder);
  if (cases.empty()) throw InputError(s.data_folder.string(), "no preprocessed cases; " + run_preprocess);

  if (options.fold == kFoldAll) {
    s.split = split_for_fold({}, cases, kFoldAll);
  } else {
    const std::vector<Split> splits = ensure_splits(folders.preprocessed_dataset / "splits_final.json", cases);
    s.split = split_for_fold(splits, cases, options.fold);
  }
  for (const auto* list : {&s.split.train, &s.split.val}) {
    for (const auto& id : *list) {
      if (!std::binary_search(cases.begin(), cases.end(), id)) {
        throw InputError((folders.preprocessed_dataset / "splits_final.json").string(),
                         "case '" + id + "' of fold " + fold_folder_name(options.fold) + " is not preprocessed in " +
                             s.data_folder.string());
      }
    }
  }
  if (s.split.train.empty() || s.split.val.empty()) {
    throw InputError("-f", fold_folder_name(options.fold) + ": the split has no training or no validation cases");
  }

  s.experiment_folder = folders.results_root / s.dataset_name /
                        experiment_folder_name(options.trainer_name, s.plans.plans_name, options.configuration);
  s.fold_folder = s.experiment_folder / fold_folder_name(options.fold);
  s.preprocessed_dataset = folders.preprocessed_dataset;
  s.raw_dataset = folders.raw_dataset;

  s.network = network_config_for(s.cfg, inputs.num_channels(), inputs.num_classes_with_background());
  validate_network_config(s.network);
  const auto ds_scales = deep_supervision_scales(s.cfg.pool_op_kernel_sizes);
  s.ds_weights = deep_supervision_weights(static_cast<int64_t>(ds_scales.size()));
  s.augment = v2_augment_params(s.cfg.patch_size, s.cfg.do_dummy_2D_data_aug, s.cfg.use_mask_for_norm, ds_scales);
  s.loss.batch_dice = s.cfg.batch_dice;

  s.train_loader.patch_size = triple(s.cfg.patch_size);
  s.train_loader.loader_patch_size = triple(v2_loader_patch_size(s.cfg.patch_size, s.cfg.do_dummy_2D_data_aug));
  s.train_loader.batch_size = s.cfg.batch_size;
  s.train_loader.stream = 0;
  s.val_loader = s.train_loader;
  s.val_loader.loader_patch_size = s.val_loader.patch_size;
  s.val_loader.stream = 1;
  return s;
}

void copy_experiment_files(const RunSetup& s) {
  fs::create_directories(s.fold_folder);
  write_file_atomically(s.experiment_folder / "plans.json", s.plans_json);
  for (const char* name : {"dataset.json", "dataset_fingerprint.json"}) {
    const fs::path src = s.preprocessed_dataset / name;
    if (fs::is_regular_file(src)) write_file_atomically(s.experiment_folder / name, read_file(src));
  }
}

TrainResult train_fold(const TrainFolders& folders, const TrainOptions& options, Progress& progress) {
  RunSetup setup = prepare_run(folders, options);
  if (options.threads > 0) torch::set_num_threads(options.threads);
  copy_experiment_files(setup);
  return run_training(setup, options, progress);
}

}  // namespace nnseg
