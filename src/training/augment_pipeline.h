// nnUNetTrainerV2's training and validation batch transforms (spec/training.md §7.1-7.4): the loader's enlarged
// patch [B, C, P...] + seg [B, 1, P...] in, the augmented network patch and the deep-supervision targets out.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "training/augment_intensity.h"
#include "training/augment_random.h"
#include "training/augment_spatial.h"

namespace nnseg {

// Everything the batch transforms need; build it with v2_augment_params.
struct AugmentParams {
  std::vector<int64_t> patch_size;  // network patch, z-y-x (3 values; 2 values, y-x, for a 2d configuration)
  SpatialParams spatial;
  IntensityParams intensity;
  std::vector<int64_t> mirror_axes{0, 1, 2};  // spatial axes of the 3D (or lifted 2D) sample
  double p_mirror_per_axis = 0.5;
  std::vector<bool> mask_for_norm;  // per image channel: zero the data where seg = -1 (plans' use_mask_for_norm)
  // Deep-supervision target scales, one entry per network output, one factor per axis of patch_size
  // (deep_supervision_scales()); empty = a single full-resolution target.
  std::vector<std::vector<double>> deep_supervision_scales;
};

// nnUNetTrainerV2's parameters (§7.1) for `patch_size` (3 values: 3D, with do_dummy_2D_data_aug = dummy_2d;
// 2 values: the 2d configuration, rotation ±180° or ±15° when max/min patch > 1.5, mirror axes y, x). The loader
// patch that feeds it is data_loader.h's v2_loader_patch_size.
AugmentParams v2_augment_params(const std::vector<int64_t>& patch_size, bool dummy_2d,
                                const std::vector<bool>& mask_for_norm,
                                const std::vector<std::vector<double>>& deep_supervision_scales);

// Augmented batch: data [B, C, patch...] float; target[i] [B, 1, round(patch · scale_i)...] labels 0.. in the
// input segmentation's dtype (int8 from the loader; the losses take any dtype).
struct AugmentedBatch {
  torch::Tensor data;
  std::vector<torch::Tensor> target;
};

// Training transforms §7.2 in order: seg channel 0, spatial (to patch_size), noise, blur, brightness, contrast,
// low resolution, inverted gamma, gamma, mirroring, mask, -1 -> 0, deep-supervision targets. data [B, C, P...],
// seg [B, K, P...] (K >= 1; channel 0 is used), both float, on any device; P >= patch_size per axis. All draws come
// from `rng` (CPU) in a fixed order, so the same generator state gives the same batch on the CPU.
AugmentedBatch augment_training_batch(const torch::Tensor& data, const torch::Tensor& seg, const AugmentParams& params,
                                      AugmentRng& rng);

// Validation transforms §7.4: -1 -> 0, seg channel 0, deep-supervision targets; data passes unchanged.
AugmentedBatch prepare_validation_batch(const torch::Tensor& data, const torch::Tensor& seg,
                                        const AugmentParams& params);

}  // namespace nnseg
