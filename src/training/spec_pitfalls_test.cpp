// spec/training.md §12 pitfalls not pinned elsewhere: the §1 constants the trainer uses (clip norm 12, momentum
// 0.99, lr 0.01, poly exponent 0.9, Dice smooth 1e-5, He slope 1e-2), and the nearest-neighbour (2i + 1) targets
// and the -1 handling as the batch pipelines produce them (§12.6, §12.7, T8).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "network/init_weights.h"
#include "training/augment_pipeline.h"
#include "training/dice_ce_loss.h"
#include "training/poly_lr.h"
#include "training/sgd.h"

namespace nnseg {
namespace {

TEST(SpecPitfalls, TrainerConstantsFollowSectionOne) {
  EXPECT_EQ(kGradClipNorm, 12.0);  // §12.10
  EXPECT_EQ(kSgdMomentum, 0.99);   // §12.12: 0.99 until the epoch-100 fallback
  EXPECT_EQ(kInitialLr, 0.01);
  EXPECT_EQ(kSgdWeightDecay, 3e-5);
  EXPECT_EQ(kPolyLrExponent, 0.9);
  EXPECT_EQ(kDiceSmooth, 1e-5);  // §12.8
  EXPECT_EQ(kHeNegativeSlope, 1e-2);
}

// T8's 4x4x4 label volume (z-major); loader segmentations are float with -1 where padded.
at::Tensor t8_labels() {
  const std::vector<float> v{0, 3, 1, 0, 3, 3, 3, 3, 1, 3, 1, 2, 0, 3, 2, 0, 0, 0, 2, 1, 2, 3,
                             3, 2, 0, 1, 1, 1, 1, 0, 1, 0, 3, 0, 3, 1, 2, 3, 3, 0, 2, 3, 0, 1,
                             3, 1, 3, 3, 2, 3, 0, 1, 1, 1, 3, 0, 3, 2, 0, 3, 3, 2, 3, 2};
  return at::tensor(v).view({1, 1, 4, 4, 4});
}

// §12.7 through prepare_validation_batch: the half-resolution target holds the voxels (2i+1, 2j+1, 2k+1), the
// quarter-resolution one the voxel nearest_source_indices(4, 1) = 2 picks (T8: 128 -> 32 picks 4i + 2), and -1 became 0
// before downsampling.
TEST(SpecPitfalls, ValidationTargetsPickTheOddVoxelT8) {
  const at::Tensor seg = t8_labels();
  const at::Tensor data = at::zeros({1, 1, 4, 4, 4});
  const AugmentParams p =
      v2_augment_params({4, 4, 4}, false, {false}, {{1, 1, 1}, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25}});
  const AugmentedBatch out = prepare_validation_batch(data, seg, p);
  ASSERT_EQ(out.target.size(), 3u);
  EXPECT_TRUE(at::equal(out.target[0].to(at::kFloat), seg));
  const at::Tensor want1 = at::tensor(std::vector<float>{3, 2, 0, 0, 1, 0, 2, 2}).view({1, 1, 2, 2, 2});
  EXPECT_TRUE(at::equal(out.target[1].to(at::kFloat), want1)) << out.target[1];
  // 4 -> 1 picks index 2 on every axis.
  const float centre = seg[0][0][2][2][2].item<float>();
  EXPECT_EQ(out.target[2].numel(), 1);
  EXPECT_EQ(out.target[2].to(at::kFloat).item<float>(), centre);

  // A -1 at an odd voxel becomes background in every target, not a negative label.
  at::Tensor padded = seg.clone();
  padded[0][0][1][1][1] = -1.0f;
  const AugmentedBatch out2 = prepare_validation_batch(data, padded, p);
  EXPECT_EQ(out2.target[1][0][0][0][0][0].item<float>(), 0.0f);
  EXPECT_GE(out2.target[0].min().item<float>(), 0.0f);
}

// §12.6 through augment_training_batch with no random transform: the masked channel is zeroed exactly where the
// input seg is -1 (so the mask ran before -1 -> 0), the unmasked channel keeps its values there, and the target
// has background there. T8's odd-voxel rule also holds for the training targets.
TEST(SpecPitfalls, TrainingMaskRunsBeforeMinusOneBecomesBackground) {
  at::Tensor seg = t8_labels();
  seg.narrow(4, 0, 1).fill_(-1.0f);  // x = 0 padded
  const at::Tensor data = at::arange(1, 129, at::kFloat).view({1, 2, 4, 4, 4});
  AugmentParams p = v2_augment_params({4, 4, 4}, false, {true, false}, {{1, 1, 1}, {0.5, 0.5, 0.5}});
  p.spatial.p_rotation = p.spatial.p_scale = 0;
  p.intensity.p_noise = p.intensity.p_blur = p.intensity.p_brightness = p.intensity.p_contrast = 0;
  p.intensity.p_low_res = p.intensity.p_gamma = p.intensity.p_gamma_inverted = 0;
  p.p_mirror_per_axis = 0;
  AugmentRng rng(make_augment_generator(3, 0));
  const AugmentedBatch out = augment_training_batch(data, seg, p, rng);
  const at::Tensor outside = seg.lt(0).view({4, 4, 4});
  EXPECT_EQ(out.data[0][0].masked_select(outside).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(
      at::equal(out.data[0][0].masked_select(outside.logical_not()), data[0][0].masked_select(outside.logical_not())));
  EXPECT_TRUE(at::equal(out.data[0][1], data[0][1]));
  EXPECT_TRUE(at::equal(out.target[0].to(at::kFloat), seg.clamp_min(0)));
  const at::Tensor odd = seg.clamp_min(0).slice(2, 1, 4, 2).slice(3, 1, 4, 2).slice(4, 1, 4, 2);
  EXPECT_TRUE(at::equal(out.target[1].to(at::kFloat), odd)) << out.target[1];
}

}  // namespace
}  // namespace nnseg
