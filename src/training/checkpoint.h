// fold_F/checkpoint_{latest,best,final}.pth (spec/training.md §8, spec/cli.md): everything `train --continue` and
// `predict` need, in one file written atomically.
//
// Format: torch::pickle_save of a dictionary (PyTorch's zip format, so Python's `torch.load(path)` reads it as a
// plain dict). Keys, in this order:
//   "nnseg_checkpoint_version": int (1)
//   "epoch": int, completed epochs (the final checkpoint holds the run's epoch count)
//   "state_dict": {v1 Generic_UNet parameter name: float tensor on the CPU} in state_dict order (network.md §7)
//   "optimizer_state_dict": {"lr": float, "momentum": float, "weight_decay": float, "nesterov": bool,
//                            "momentum_buffer": {parameter name: tensor}} (only parameters that have a buffer)
//   "plot_stuff": {"train_losses": [float], "val_losses": [float], "val_losses_tr_mode": [] (always empty, as v1),
//                  "pseudo_dice": [float] (NaN allowed), "epoch_duration_s": [float]}, one entry per epoch
//   "best_stuff": {"best_pseudo_dice_ema": float or None}
//   "amp_grad_scaler": None, or {"scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"}
//   "init": {"trainer_name", "dataset_name", "plans_name", "configuration", "fold" (int, -1 = all), "seed" (int),
//            "num_epochs", "iterations_per_epoch", "val_iterations" (ints)}
//   "plans": the nnUNetPlans.json text the run trained with
//   "rng": {"cpu_generator_state": uint8 tensor} (torch's default CPU generator; the batches and augmentations
//          themselves are drawn from generators derived from the seed and the iteration index, so seed and epoch
//          determine every later draw)
// The EMA of the pseudo-Dice and the train-loss moving average are not stored (v1 behaviour, §8.3).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "training/amp.h"

namespace torch::nn {
class Module;
}

namespace nnseg {

namespace fs = std::filesystem;

constexpr int64_t kCheckpointVersion = 1;

// File names in fold_F/ (v2's names, spec §8.1 "Decision for nnseg").
inline constexpr const char* kCheckpointLatest = "checkpoint_latest.pth";
inline constexpr const char* kCheckpointBest = "checkpoint_best.pth";
inline constexpr const char* kCheckpointFinal = "checkpoint_final.pth";

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// v1 plot_stuff: one entry per completed epoch.
struct TrainingHistory {
  std::vector<double> train_losses;      // mean training loss of the epoch
  std::vector<double> val_losses;        // mean validation loss of the epoch
  std::vector<double> pseudo_dice;       // epoch pseudo-Dice (mean of the non-NaN class Dice values; may be NaN)
  std::vector<double> epoch_duration_s;  // wall time of the epoch, seconds

  size_t epochs() const { return train_losses.size(); }
  // Cuts every curve to `n` entries (v1's fix when `epoch` and the curves disagree).
  void truncate(size_t n);
};

// The run's identity and schedule (v1 kept these in the .pkl next to the .model).
struct CheckpointInit {
  std::string trainer_name = "nnUNetTrainerV2";
  std::string dataset_name;  // DatasetXXX_Name
  std::string plans_name = "nnUNetPlans";
  std::string configuration;  // 3d_fullres, ...
  int fold = 0;               // -1 for `all`
  uint64_t seed = 12345;
  int64_t num_epochs = 1000;
  int64_t iterations_per_epoch = 250;
  int64_t val_iterations = 50;
};

struct SgdState {
  double lr = 0.01;
  double momentum = 0.99;
  double weight_decay = 3e-5;
  bool nesterov = true;
  NamedTensors momentum_buffers;  // by parameter name (named_parameters); parameters without a buffer are absent
};

struct Checkpoint {
  int64_t epoch = 0;        // completed epochs
  NamedTensors state_dict;  // network weights (CPU), v1 names and order
  SgdState optimizer;
  TrainingHistory history;
  std::optional<double> best_ema;              // best pseudo-Dice EMA so far (v1 best_stuff[2])
  std::optional<GradScalerState> grad_scaler;  // only when trained with mixed precision
  CheckpointInit init;
  std::string plans_json;             // nnUNetPlans.json text
  torch::Tensor cpu_generator_state;  // may be undefined
};

// Writes `checkpoint` to `path` atomically (tensors are copied to the CPU). Error naming the path on failure.
void save_checkpoint(const fs::path& path, const Checkpoint& checkpoint);

// Reads a checkpoint written by save_checkpoint. InputError naming the path for a missing or unreadable file, a
// file that is not an nnseg checkpoint, or a missing/mistyped key (named).
Checkpoint load_checkpoint(const fs::path& path);

// The checkpoint `train --continue` resumes from: final, else latest, else best (v1 load_latest_checkpoint);
// nullopt when none exists.
std::optional<fs::path> find_checkpoint_to_continue(const fs::path& fold_folder);

// Copies `state` into the module's parameters and buffers by name (a leading "module." is stripped, as v1 does).
// InputError naming `item` and the tensor for a missing, unexpected or mis-shaped entry.
void load_network_state(torch::nn::Module& module, const NamedTensors& state, const std::string& item);

}  // namespace nnseg
