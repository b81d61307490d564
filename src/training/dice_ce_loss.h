// nnU-Net v1's DC_and_CE_loss for softmax trainers (spec/training.md §4.1-§4.3): soft Dice on softmax
// probabilities (smooth 1e-5, background excluded, sample or batch Dice) plus cross-entropy, weights 1 and 1.
#pragma once

#include <torch/types.h>

namespace nnseg {

constexpr double kDiceSmooth = 1e-5;

struct DiceCeOptions {
  bool batch_dice = false;      // counts summed over the batch too (2d, multi-stage plans); BraTS 3d_fullres: false
  bool do_bg = false;           // keep class 0 in the Dice mean
  double smooth = kDiceSmooth;  // added to numerator and denominator
  double weight_ce = 1.0;       // weight of the cross-entropy term
  double weight_dice = 1.0;     // weight of the (negative) Dice term
};

struct SoftDiceCounts {
  torch::Tensor tp;  // sum p * Y: [B, C] for sample Dice, [C] for batch Dice
  torch::Tensor fp;  // sum p * (1 - Y)
  torch::Tensor fn;  // sum (1 - p) * Y
};

// Soft counts of probabilities [B, C, spatial...] against integer labels [B, 1, spatial...] or [B, spatial...]
// (stored as any dtype holding class indices 0..C-1). Throws Error when a label is outside 0..C-1.
SoftDiceCounts soft_dice_counts(const torch::Tensor& probabilities, const torch::Tensor& target, bool batch_dice);

// dc = (2 tp + smooth) / (2 tp + fp + fn + smooth + 1e-8), elementwise.
torch::Tensor soft_dice_coefficients(const SoftDiceCounts& counts, double smooth);

// -mean(dc) over samples and classes (class 0 dropped unless do_bg), softmax applied to `logits` here.
torch::Tensor soft_dice_loss(const torch::Tensor& logits, const torch::Tensor& target, const DiceCeOptions& options);

// v1 RobustCrossEntropyLoss: mean multi-class cross-entropy over all voxels of all samples (no class weights, nothing
// ignored).
torch::Tensor robust_cross_entropy_loss(const torch::Tensor& logits, const torch::Tensor& target);

// weight_ce * CE + weight_dice * DiceLoss (a scalar; negative values are normal). Half-precision logits are
// evaluated in float32, as autocast does for softmax and cross-entropy.
torch::Tensor dice_ce_loss(const torch::Tensor& logits, const torch::Tensor& target, const DiceCeOptions& options = {});

}  // namespace nnseg
