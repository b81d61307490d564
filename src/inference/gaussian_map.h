// Gaussian importance map of nnU-Net v1 sliding-window inference (spec/inference.md §4) and the accumulated weight
// array of §5.2 (the denominator of the weighted mean). LibTorch-free; arrays are float32, row-major z-y-x.
#pragma once

#include <vector>

#include "inference/sliding_window_geometry.h"

namespace nnseg {

// nnU-Net v1's default sigma scale: sigma_d = patch_d / 8 voxels.
inline constexpr double kGaussianSigmaScale = 1.0 / 8.0;

// The map as SegmentationNetwork._get_gaussian builds it: a float64 delta at floor(P_d / 2) filtered like
// scipy.ndimage.gaussian_filter (sigma_d = P_d * sigma_scale, truncate 4.0, mode constant 0, sampled kernel
// normalised to sum 1), divided by its maximum (centre exactly 1), cast to float32, and exact zeros replaced by the
// smallest non-zero value. Returns shape_volume(patch_size) values. patch_size has 1 to 3 axes; InputError when a
// size is < 1 or sigma_scale is not > 0.
std::vector<float> gaussian_importance_map(const Shape& patch_size, double sigma_scale = kGaussianSigmaScale);

// The per-voxel weights of one tile: the Gaussian map when the geometry has more than one tile, all ones otherwise
// (spec/inference.md §4, §10.3).
std::vector<float> tile_weights(const SlidingWindowGeometry& geometry, const Shape& patch_size,
                                double sigma_scale = kGaussianSigmaScale);

// The weight accumulator of spec/inference.md §5.2 for one channel: a float32 array of `padded_shape`, zero at the
// start, to which `weights` (a patch) is added in float32 at every tile start, in the order given.
std::vector<float> accumulate_weights(const Shape& padded_shape, const Shape& patch_size,
                                      const std::vector<Shape>& tiles, const std::vector<float>& weights);

}  // namespace nnseg
