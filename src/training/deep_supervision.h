// Deep supervision as nnUNetTrainerV2 sets it up (spec/training.md §4.4, §7.3): output weights, target scales,
// nearest-neighbour label downsampling, and the weighted sum of per-output losses (v1 MultipleOutputLoss2).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace nnseg {

// w_i = 1/2^i for i = 0..n-1, the last one set to 0 (only the last), normalised to sum 1. n = 5 gives
// [8/15, 4/15, 2/15, 1/15, 0]; n = 1 gives [1].
std::vector<double> deep_supervision_weights(int64_t num_outputs);

// Per-output target scales: [1, ...] followed by 1 / cumprod(pool kernels) without its last entry, so one scale per
// network output (len(pool_kernel_sizes) entries), each with one factor per spatial axis.
std::vector<std::vector<double>> deep_supervision_scales(const std::vector<std::vector<int64_t>>& pool_kernel_sizes);

// Input index read by output index `i` when `in` voxels shrink to `out` under order-0 skimage resize
// (pixel-centre aligned): floor((i + 0.5) * in / out), e.g. 128 -> 64 reads 1, 3, 5, ...
std::vector<int64_t> nearest_source_indices(int64_t in, int64_t out);

// Nearest-neighbour resize of a label tensor [B, C, spatial...] to `spatial_shape` (any dtype, any device).
torch::Tensor resize_labels_nearest(const torch::Tensor& labels, const std::vector<int64_t>& spatial_shape);

// v1 downsample_seg_for_ds_transform2: one target per scale; an all-ones scale returns `labels` itself, other
// scales resize to round(shape * s) (round half to even, as np.round).
std::vector<torch::Tensor> downsample_labels_for_deep_supervision(const torch::Tensor& labels,
                                                                  const std::vector<std::vector<double>>& scales);

using OutputLoss = std::function<torch::Tensor(const torch::Tensor& logits, const torch::Tensor& target)>;

// sum_i w_i * loss(outputs[i], targets[i]); output 0 is always evaluated, the others only where w_i != 0 (so
// their targets may be undefined). Sizes of the three lists must agree.
torch::Tensor deep_supervision_loss(const std::vector<torch::Tensor>& outputs,
                                    const std::vector<torch::Tensor>& targets, const std::vector<double>& weights,
                                    const OutputLoss& loss);

}  // namespace nnseg
