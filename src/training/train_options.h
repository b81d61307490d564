// Run-time choices of `nnseg train` (spec/cli.md `train` row, spec/training.md §1 "nnseg"): which fold and
// configuration, the schedule overrides, device, threads and seed. Never written into plans.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace nnseg {

struct FinalValidationInputs;  // trainer.h
class Progress;
// Predicts and evaluates the validation cases after training (inference/final_validation.h; the inference stage
// comes after training, so `nnseg train` passes it in).
using FinalValidationRunner = std::function<void(const FinalValidationInputs&, Progress&)>;

inline constexpr const char* kTrainerV2 = "nnUNetTrainerV2";
constexpr uint64_t kDefaultTrainingSeed = 12345;  // v1's --deterministic seed
constexpr int64_t kCheckpointInterval = 50;       // checkpoint_latest after every epoch with epoch % 50 == 49

struct TrainOptions {
  std::string trainer_name = kTrainerV2;  // -tr; only nnUNetTrainerV2 exists so far
  std::string configuration = "3d_fullres";
  int fold = 0;                        // 0.. (>= 5: v1's seeded 80:20 split), or kFoldAll (-1) for `all`
  int64_t epochs = 1000;               // --epochs: loop end, poly denominator, final checkpoint's epoch
  int64_t iterations_per_epoch = 250;  // --iterations-per-epoch
  int64_t val_iterations = 50;         // --val-iterations
  bool continue_training = false;      // --continue: resume from final, latest or best
  torch::Device device = torch::kCPU;  // --device
  bool mixed_precision = true;         // float16 autocast + gradient scaling; only ever used on CUDA
  std::optional<uint64_t> seed;        // --seed; default kDefaultTrainingSeed (a continued run keeps its own)
  int threads = 1;                     // torch intra-op threads (--threads); the caller sets them
  int loader_threads = 0;              // batch producer threads (loading + augmentation); 0: chosen from
                                       // device and threads
  bool final_validation = true;        // false: --no-final-validation
  FinalValidationRunner final_validation_runner;  // null: the validation is skipped with a log line
  std::filesystem::path debug_augmentation_dir;   // --debug-augmentation DIR: PNGs of the first augmented batch
  // Test hooks (no flags): epochs between checkpoint_latest saves, an epoch count after which this process stops as
  // if killed (no final checkpoint, checkpoint_latest kept), and the CUDA gradient-scaler path on the CPU.
  int64_t checkpoint_interval = kCheckpointInterval;
  std::optional<int64_t> stop_after_epochs;
  bool grad_scaler_on_cpu = false;  // run the gradient-scaler path (without autocast) on the CPU
};

// Parses --device: "cpu", "cuda" or "cuda:K". InputError quoting the flag and the value for anything else, or
// for CUDA when torch::cuda::is_available() is false (or K is not a present device).
torch::Device parse_device_flag(const std::string& text, const std::string& flag = "--device");

// Parses -f: "0".."4" or any larger fold number (v1's seeded 80:20 fallback), or "all" (kFoldAll). InputError
// quoting the flag and value otherwise.
int parse_fold_flag(const std::string& text, const std::string& flag = "-f");

}  // namespace nnseg
