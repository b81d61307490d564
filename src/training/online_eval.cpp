// Online evaluation and the pseudo-Dice EMA (training/online_eval.h, spec/training.md §5).
#include "training/online_eval.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "core/check.h"

namespace nnseg {

OnlineCounts online_counts(const torch::Tensor& logits, const torch::Tensor& target) {
  NNSEG_CHECK(logits.dim() >= 3) << "online evaluation of logits " << logits.sizes();
  torch::Tensor gt = target;
  if (gt.dim() == logits.dim()) {
    NNSEG_CHECK(gt.size(1) == 1) << "online evaluation target " << target.sizes();
    gt = gt.select(1, 0);
  }
  const torch::NoGradGuard no_grad;
  const torch::Tensor pred = logits.argmax(1);
  gt = gt.to(pred.device(), torch::kLong);
  NNSEG_CHECK(gt.sizes() == pred.sizes())
      << "online evaluation: logits " << logits.sizes() << ", target " << target.sizes();
  const int64_t classes = logits.size(1);
  OnlineCounts counts;
  if (classes < 2) return counts;
  // One pass for all classes: count pairs (pred, gt) with a bincount over pred * C + gt.
  const torch::Tensor pairs = (pred * classes + gt.clamp(0, classes - 1)).flatten();
  const torch::Tensor hist = at::bincount(pairs, {}, classes * classes).to(torch::kCPU, torch::kLong);
  const auto h = hist.accessor<int64_t, 1>();
  for (int64_t c = 1; c < classes; ++c) {
    int64_t tp = h[c * classes + c];
    int64_t pred_c = 0;
    int64_t gt_c = 0;
    for (int64_t k = 0; k < classes; ++k) {
      pred_c += h[c * classes + k];
      gt_c += h[k * classes + c];
    }
    counts.tp.push_back(tp);
    counts.fp.push_back(pred_c - tp);
    counts.fn.push_back(gt_c - tp);
  }
  return counts;
}

std::vector<double> global_dice(const OnlineCounts& counts) {
  std::vector<double> dice;
  for (size_t c = 0; c < counts.tp.size(); ++c) {
    const double den = 2.0 * static_cast<double>(counts.tp[c]) + static_cast<double>(counts.fp[c] + counts.fn[c]);
    dice.push_back(den == 0 ? std::numeric_limits<double>::quiet_NaN() : 2.0 * static_cast<double>(counts.tp[c]) / den);
  }
  return dice;
}

double pseudo_dice_metric(const std::vector<double>& dice_per_class) {
  double sum = 0;
  int n = 0;
  for (double d : dice_per_class) {
    if (std::isnan(d)) continue;
    sum += d;
    ++n;
  }
  return n == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / n;
}

void OnlineEvaluation::add_batch(const torch::Tensor& logits, const torch::Tensor& target) {
  add(online_counts(logits, target));
}

void OnlineEvaluation::add(const OnlineCounts& counts) {
  if (counts_.tp.empty()) {
    counts_ = counts;
    return;
  }
  NNSEG_CHECK(counts.tp.size() == counts_.tp.size()) << "online evaluation: class count changed";
  for (size_t c = 0; c < counts.tp.size(); ++c) {
    counts_.tp[c] += counts.tp[c];
    counts_.fp[c] += counts.fp[c];
    counts_.fn[c] += counts.fn[c];
  }
}

std::vector<double> OnlineEvaluation::finish_epoch() {
  std::vector<double> dice = global_dice(counts_);
  counts_ = OnlineCounts{};
  return dice;
}

bool PseudoDiceEma::update(double metric) {
  if (std::isnan(metric)) return false;
  ema_ = ema_ ? kPseudoDiceEmaAlpha * *ema_ + (1.0 - kPseudoDiceEmaAlpha) * metric : metric;
  if (!best_) {
    best_ = ema_;
    return false;
  }
  if (*ema_ > *best_) {
    best_ = ema_;
    return true;
  }
  return false;
}

}  // namespace nnseg
