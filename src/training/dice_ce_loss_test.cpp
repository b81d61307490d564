// Dice + CE against spec/training.md T3 (hand-made batch, sample and batch Dice) and nnU-Net's conventions.
#include "training/dice_ce_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"

namespace nnseg {
namespace {

const auto kF64 = torch::TensorOptions().dtype(torch::kFloat64);

// T3: B = 2, C = 3, spatial 1 x 2 x 2; voxels v0..v3 in row-major (y, x) order.
torch::Tensor t3_logits() {
  return torch::tensor({2.0, 0.5, -1.0, 0.0, 0.0, 1.5,  0.5, -0.5, -1.0, 0.0, 2.0, 1.0,    // sample 0, classes 0..2
                        1.0, 1.0, 0.0,  3.0, 0.5, -1.0, 0.0, 0.0,  0.0,  0.0, 1.0, -2.0},  // sample 1
                       kF64)
      .reshape({2, 3, 1, 2, 2});
}

torch::Tensor t3_target() { return torch::tensor({0.0, 1.0, 2.0, 2.0, 0.0, 0.0, 1.0, 0.0}).reshape({2, 1, 1, 2, 2}); }

void expect_values(const torch::Tensor& got, const std::vector<double>& want, double tol) {
  const auto flat = got.flatten();
  ASSERT_EQ(flat.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(flat[static_cast<int64_t>(i)].item<double>(), want[i], tol);
}

TEST(DiceCeLoss, SoftmaxAndCrossEntropyT3) {
  const auto p = torch::softmax(t3_logits(), 1);
  expect_values(p[0][0], {0.8437947345, 0.2312238976, 0.0391125733, 0.2312238976}, 1e-10);
  EXPECT_NEAR(robust_cross_entropy_loss(t3_logits(), t3_target()).item<double>(), 0.5042750586030809, 1e-14);
}

TEST(DiceCeLoss, SampleDiceT3) {
  const auto counts = soft_dice_counts(torch::softmax(t3_logits(), 1), t3_target(), /*batch_dice=*/false);
  EXPECT_EQ(counts.tp.sizes().vec(), (std::vector<int64_t>{2, 3}));
  const auto dc = soft_dice_coefficients(counts, kDiceSmooth);
  expect_values(dc.slice(1, 1), {0.6107422241874648, 0.7864177635802075, 0.2559275167076771, 9.86624771978108e-06},
                1e-13);
  DiceCeOptions sample;
  EXPECT_NEAR(soft_dice_loss(t3_logits(), t3_target(), sample).item<double>(), -0.4132743426807673, 1e-14);
  EXPECT_NEAR(dice_ce_loss(t3_logits(), t3_target(), sample).item<double>(), 0.09100071592231357, 1e-14);
}

TEST(DiceCeLoss, BatchDiceT3) {
  const auto counts = soft_dice_counts(torch::softmax(t3_logits(), 1), t3_target(), /*batch_dice=*/true);
  expect_values(counts.tp, {2.962015203864709, 0.8404732768288479, 1.4141287538010383}, 1e-13);
  expect_values(counts.fp, {0.7135019261320711, 0.8740798501042627, 1.195800989269071}, 1e-13);
  expect_values(counts.fn, {1.037984796135291, 1.1595267231711521, 0.5858712461989617}, 1e-13);
  expect_values(soft_dice_coefficients(counts, kDiceSmooth).slice(0, 1), {0.452531426090003, 0.6135150694146314},
                1e-13);
  DiceCeOptions batch;
  batch.batch_dice = true;
  EXPECT_NEAR(soft_dice_loss(t3_logits(), t3_target(), batch).item<double>(), -0.5330232477523172, 1e-14);
  EXPECT_NEAR(dice_ce_loss(t3_logits(), t3_target(), batch).item<double>(), -0.02874818914923638, 1e-14);
}

TEST(DiceCeLoss, Float32AndHalfLogitsAgreeWithinFloatPrecision) {
  DiceCeOptions sample;
  EXPECT_NEAR(dice_ce_loss(t3_logits().to(torch::kFloat32), t3_target(), sample).item<double>(), 0.09100071592231357,
              1e-6);
  const auto half = dice_ce_loss(t3_logits().to(torch::kHalf), t3_target(), sample);
  EXPECT_EQ(half.scalar_type(), torch::kFloat32);
  EXPECT_NEAR(half.item<double>(), 0.09100071592231357, 1e-6);  // T3's logits are exact in fp16
}

TEST(DiceCeLoss, TargetWithoutChannelAxisAndIntegerTypes) {
  const auto squeezed = t3_target().squeeze(1).to(torch::kUInt8);
  EXPECT_NEAR(dice_ce_loss(t3_logits(), squeezed).item<double>(), 0.09100071592231357, 1e-14);
}

TEST(DiceCeLoss, BackgroundAndWeightsOptions) {
  DiceCeOptions bg;
  bg.do_bg = true;
  const auto dc = soft_dice_coefficients(soft_dice_counts(torch::softmax(t3_logits(), 1), t3_target(), false), 1e-5);
  EXPECT_NEAR(soft_dice_loss(t3_logits(), t3_target(), bg).item<double>(), -dc.mean().item<double>(), 1e-14);
  DiceCeOptions ce_only;
  ce_only.weight_dice = 0.0;
  EXPECT_NEAR(dice_ce_loss(t3_logits(), t3_target(), ce_only).item<double>(), 0.5042750586030809, 1e-14);
  DiceCeOptions weighted;
  weighted.weight_ce = 2.0;
  weighted.weight_dice = 0.5;
  EXPECT_NEAR(dice_ce_loss(t3_logits(), t3_target(), weighted).item<double>(),
              2.0 * 0.5042750586030809 + 0.5 * -0.4132743426807673, 1e-14);
}

TEST(DiceCeLoss, PerfectPredictionApproachesMinusOne) {
  // Confident correct logits: CE -> 0 and dc = (2tp + s) / (2tp + s + 1e-8) with tp = 2 (class 1), 1 (class 2):
  // just above -1 because of the separate 1e-8.
  const auto target = torch::tensor({0, 1, 2, 1}).reshape({1, 1, 2, 2});
  const auto logits = 40.0 * torch::one_hot(target.squeeze(1), 3).permute({0, 3, 1, 2}).to(torch::kFloat64);
  const double s = kDiceSmooth;
  const double want = -0.5 * ((4 + s) / (4 + s + 1e-8) + (2 + s) / (2 + s + 1e-8));
  EXPECT_NEAR(dice_ce_loss(logits, target).item<double>(), want, 1e-14);
  EXPECT_GT(want, -1.0);
}

TEST(DiceCeLoss, GradientFlowsToLogits) {
  auto logits = t3_logits().clone().requires_grad_(true);
  dice_ce_loss(logits, t3_target()).backward();
  ASSERT_TRUE(logits.grad().defined());
  EXPECT_GT(logits.grad().abs().sum().item<double>(), 0.0);
  // Softmax gradients sum to zero over the class axis.
  EXPECT_LT(logits.grad().sum(1).abs().max().item<double>(), 1e-12);
}

TEST(DiceCeLoss, LabelOutsideTheClassRangeIsAnError) {
  auto target = t3_target().clone();
  target[1][0][0][1][1] = 3.0;
  try {
    dice_ce_loss(t3_logits(), target);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(format_error(e), "loss target: label value 3 outside 0..2");
  }
  target[1][0][0][1][1] = -1.0;
  EXPECT_THROW(dice_ce_loss(t3_logits(), target), Error);
}

}  // namespace
}  // namespace nnseg
