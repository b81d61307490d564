// U-Net topology for a patch: pooling and convolution kernels (v2.1 rule), padding to the pooling divisor, and the
// planner's VRAM estimate (spec/planning.md §6.6, §6.7). Works for 2 or 3 axes; all shapes in array order.
#pragma once

#include <cstdint>
#include <vector>

namespace nnseg {

using Shape = std::vector<int64_t>;                // voxels per axis
using KernelList = std::vector<std::vector<int>>;  // one kernel (per-axis sizes) per stage

struct PoolConvProps {
  std::vector<int> num_pool_per_axis;  // poolings per axis
  KernelList pool_op_kernel_sizes;     // one entry per pooling (v1 form, no stem entry)
  KernelList conv_kernel_sizes;        // one per resolution stage: len(pool_op_kernel_sizes) + 1 (last = bottleneck)
  Shape patch_size;                    // the input patch padded to a multiple of shape_must_be_divisible_by
  Shape shape_must_be_divisible_by;    // 2^num_pool_per_axis
};

// nnU-Net v1 `get_pool_and_conv_props` (experiment_planning/common_utils.py), the v2.1 planners' routine.
// spacing: mm per axis; patch_size: voxels per axis; min_feature_map_size 4 and max_numpool 999 in the planners.
PoolConvProps get_pool_and_conv_props(const std::vector<double>& spacing, const Shape& patch_size,
                                      int64_t min_feature_map_size = 4, int max_numpool = 999);

// nnU-Net `pad_shape`: each axis rounded up to the next multiple of its divisor (0 stays 0).
Shape pad_shape(const Shape& shape, const Shape& must_be_divisible_by);

// 2^num_pool per axis (`get_shape_must_be_divisible_by`).
Shape shape_must_be_divisible_by(const std::vector<int>& num_pool_per_axis);

// Generic_UNet.compute_approx_vram_consumption without deep supervision: a count of feature-map voxels
// (64-bit), feature maps truncated at each pooling (5 -> 2).
int64_t compute_approx_vram_consumption(const Shape& patch_size, const std::vector<int>& num_pool_per_axis,
                                        int64_t base_num_features, int64_t max_num_features, int64_t num_modalities,
                                        int64_t num_classes, const KernelList& pool_op_kernel_sizes,
                                        int64_t conv_per_stage = 2);

}  // namespace nnseg
