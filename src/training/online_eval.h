// nnU-Net v1's online evaluation during training (spec/training.md §5): hard tp/fp/fn of the argmax prediction per
// foreground class over the validation batches of an epoch, the epoch's global "pseudo Dice", and the moving
// average (EMA) of that metric that decides when checkpoint_best is written.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace nnseg {

constexpr double kPseudoDiceEmaAlpha = 0.9;  // new EMA = 0.9 * old + 0.1 * metric

// Per-class hard counts (classes 1..C-1, index 0 = class 1).
struct OnlineCounts {
  std::vector<int64_t> tp;  // #(pred = c and gt = c)
  std::vector<int64_t> fp;  // #(pred = c and gt != c)
  std::vector<int64_t> fn;  // #(pred != c and gt = c)
};

// Counts of one batch: logits [B, C, spatial...] (any float dtype, any device), target [B, 1, spatial...] or
// [B, spatial...] holding class indices (any dtype). Prediction = argmax over channels (softmax is monotone).
OnlineCounts online_counts(const torch::Tensor& logits, const torch::Tensor& target);

// Global Dice per class 2 TP / (2 TP + FP + FN); NaN where the denominator is 0 (v1: no epsilon).
std::vector<double> global_dice(const OnlineCounts& counts);

// Mean of the non-NaN entries; NaN when there are none (§5.2).
double pseudo_dice_metric(const std::vector<double>& dice_per_class);

// Sums counts over the validation batches of one epoch (v1 run_online_evaluation / finish_online_evaluation).
class OnlineEvaluation {
 public:
  void add_batch(const torch::Tensor& logits, const torch::Tensor& target);
  void add(const OnlineCounts& counts);
  // Global Dice per class of everything added since the last finish (NaN where undefined); clears the sums.
  std::vector<double> finish_epoch();
  bool empty() const { return counts_.tp.empty(); }

 private:
  OnlineCounts counts_;
};

// The pseudo-Dice EMA and the best value (§5.3), with nnseg's NaN decision: a NaN metric leaves both untouched.
class PseudoDiceEma {
 public:
  // `best` restored from a checkpoint (--continue); the EMA itself is never restored (§8.3).
  explicit PseudoDiceEma(std::optional<double> best = std::nullopt) : best_(best) {}

  // Feeds one epoch's metric. EMA = metric on the first non-NaN value, else 0.9 EMA + 0.1 metric. `best` starts at
  // the first EMA (no save); returns true when the EMA is strictly above `best` (which then becomes the EMA):
  // the caller writes checkpoint_best.
  bool update(double metric);

  std::optional<double> ema() const { return ema_; }
  std::optional<double> best() const { return best_; }

 private:
  std::optional<double> ema_;
  std::optional<double> best_;
};

}  // namespace nnseg
