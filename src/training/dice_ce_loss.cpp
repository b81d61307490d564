// Soft Dice + cross-entropy as nnU-Net v1 (SoftDiceLoss, RobustCrossEntropyLoss, DC_and_CE_loss; spec/training.md
// §4, test vector T3).
#include "training/dice_ce_loss.h"

#include <torch/torch.h>

#include <sstream>
#include <vector>

#include "core/check.h"
#include "core/error.h"

namespace nnseg {
namespace {

// Logits in a precision the loss is computed in: half and bfloat16 go to float32, float32/float64 stay.
torch::Tensor loss_precision(const torch::Tensor& logits) {
  const auto t = logits.scalar_type();
  return (t == torch::kHalf || t == torch::kBFloat16) ? logits.to(torch::kFloat32) : logits;
}

// Labels [B, spatial...] as int64, checked against the class count.
torch::Tensor label_indices(const torch::Tensor& logits, const torch::Tensor& target) {
  torch::Tensor t = target;
  if (t.dim() == logits.dim()) {
    NNSEG_CHECK(t.size(1) == 1) << "target " << t.sizes() << " must have one channel";
    t = t.select(1, 0);
  }
  NNSEG_CHECK(t.dim() == logits.dim() - 1 && t.size(0) == logits.size(0))
      << "target " << target.sizes() << " does not fit logits " << logits.sizes();
  for (int64_t a = 1; a < t.dim(); ++a) {
    NNSEG_CHECK(t.size(a) == logits.size(a + 1)) << "target " << target.sizes() << " vs logits " << logits.sizes();
  }
  t = t.to(torch::kLong);
  if (t.numel() > 0) {
    const auto [min, max] = torch::aminmax(t);
    const auto range = torch::stack({min, max}).cpu();  // one device sync
    const int64_t lo = range[0].item<int64_t>();
    const int64_t hi = range[1].item<int64_t>();
    if (lo < 0 || hi >= logits.size(1)) {
      std::ostringstream msg;
      msg << "label value " << (lo < 0 ? lo : hi) << " outside 0.." << logits.size(1) - 1;
      throw Error("loss target", msg.str());
    }
  }
  return t;
}

SoftDiceCounts counts_from_labels(const torch::Tensor& probabilities, const torch::Tensor& labels_long,
                                  bool batch_dice) {
  const auto labels = labels_long.unsqueeze(1);
  const auto onehot = torch::zeros_like(probabilities).scatter_(1, labels, 1.0);
  std::vector<int64_t> axes;
  if (batch_dice) {
    axes.push_back(0);
  }
  for (int64_t a = 2; a < probabilities.dim(); ++a) {
    axes.push_back(a);
  }
  SoftDiceCounts c;
  c.tp = (probabilities * onehot).sum(axes);
  c.fp = (probabilities * (1.0 - onehot)).sum(axes);
  c.fn = ((1.0 - probabilities) * onehot).sum(axes);
  return c;
}

torch::Tensor dice_loss_from_labels(const torch::Tensor& logits, const torch::Tensor& labels,
                                    const DiceCeOptions& options) {
  const auto probabilities = torch::softmax(logits, 1);
  auto dc = soft_dice_coefficients(counts_from_labels(probabilities, labels, options.batch_dice), options.smooth);
  if (!options.do_bg) {
    dc = options.batch_dice ? dc.slice(0, 1) : dc.slice(1, 1);
  }
  return -dc.mean();
}

}  // namespace

SoftDiceCounts soft_dice_counts(const torch::Tensor& probabilities, const torch::Tensor& target, bool batch_dice) {
  return counts_from_labels(probabilities, label_indices(probabilities, target), batch_dice);
}

torch::Tensor soft_dice_coefficients(const SoftDiceCounts& counts, double smooth) {
  // Where the smooth term goes matters (pitfall 8): 1e-8 is added to the denominator separately.
  return (2.0 * counts.tp + smooth) / (2.0 * counts.tp + counts.fp + counts.fn + smooth + 1e-8);
}

torch::Tensor soft_dice_loss(const torch::Tensor& logits, const torch::Tensor& target, const DiceCeOptions& options) {
  const auto x = loss_precision(logits);
  return dice_loss_from_labels(x, label_indices(x, target), options);
}

torch::Tensor robust_cross_entropy_loss(const torch::Tensor& logits, const torch::Tensor& target) {
  const auto x = loss_precision(logits);
  return torch::nll_loss_nd(torch::log_softmax(x, 1), label_indices(x, target));
}

torch::Tensor dice_ce_loss(const torch::Tensor& logits, const torch::Tensor& target, const DiceCeOptions& options) {
  const auto x = loss_precision(logits);
  const auto labels = label_indices(x, target);
  torch::Tensor total = torch::zeros({}, x.options());
  if (options.weight_ce != 0.0) {
    total = total + options.weight_ce * torch::nll_loss_nd(torch::log_softmax(x, 1), labels);
  }
  if (options.weight_dice != 0.0) {
    total = total + options.weight_dice * dice_loss_from_labels(x, labels, options);
  }
  return total;
}

}  // namespace nnseg
