// Spatial transform of nnUNetTrainerV2's augmentation (batchgenerators SpatialTransform, spec/training.md §7.2.1):
// random rotation and scaling about the loader patch centre, resampled to the network patch with grid_sample.
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "training/augment_random.h"

namespace nnseg {

// Parameters of the spatial transform; the defaults are nnUNetTrainerV2's for a 3D configuration (§7.1).
struct SpatialParams {
  // Maximum rotation angle in radians about array axes 0, 1, 2 (Z, Y, X; batchgenerators' "x", "y", "z");
  // each angle is drawn U(-max, +max). In dummy-2D mode only axis 0's entry is used.
  std::array<double, 3> rotation_max_rad{0.5235987755982988, 0.5235987755982988, 0.5235987755982988};
  double p_rotation = 0.2;           // per sample
  double p_rotation_per_axis = 1.0;  // per axis, once the sample rotates (V2: all three angles are drawn)
  double scale_min = 0.7;            // scaling range (V2 sets it after computing the loader patch, §7.1)
  double scale_max = 1.4;
  double p_scale = 0.2;                       // per sample
  double p_independent_scale_per_axis = 0.0;  // V2: one factor for all axes (DA3/DA4 would use 0.3)
  // do_dummy_2D_data_aug (and the lifted 2d configuration): axis 0 is never resampled; rotation about axis 0 only,
  // scale on axes 1 and 2 only; the input must then have the output's extent along axis 0.
  bool dummy_2d = false;
  float data_border = 0.0f;  // value of data voxels sampled outside the loader patch
  float seg_border = -1.0f;  // outside value of the per-label indicator interpolation (§7.2.1)
};

// The random part of one sample's spatial transform.
struct SpatialDraw {
  bool rotate = false;                                 // rotation fired for this sample
  std::array<double, 3> angles_rad{0.0, 0.0, 0.0};     // about axes 0, 1, 2 (Z, Y, X)
  bool scale = false;                                  // scaling fired for this sample
  std::array<double, 3> scale_factors{1.0, 1.0, 1.0};  // per axis Z, Y, X; < 1 zooms in (content grows)
};

// Draws one sample's parameters in batchgenerators' order: rotation coin, angles (axis 0, 1, 2, each behind its
// per-axis coin), scale coin, factor(s) with the "below 1 with probability 0.5" rule.
SpatialDraw draw_spatial(const SpatialParams& params, AugmentRng& rng);

using Matrix3 = std::array<std::array<double, 3>, 3>;

// R = Rx(a0) · Ry(a1) · Rz(a2) with batchgenerators' matrices (§7.2.1); grid points are row vectors: p' = p · R.
Matrix3 rotation_matrix(const std::array<double, 3>& angles_rad);
// p · R (T11: Rx(30°) maps (0, 1, 0) to (0, 0.8660254, -0.5)).
std::array<double, 3> rotate_row_vector(const std::array<double, 3>& p, const Matrix3& r);

// Applies `draw` to one sample: data [C, Zi, Yi, Xi] (float), seg [1, Zi, Yi, Xi] (labels, int8 or float, -1 =
// outside the brain) -> data [C, out...], seg [1, out...], on the tensors' device. When neither rotation nor scaling
// fired this is a centre crop starting at (Si - So) // 2; otherwise output voxel i samples the input at
// ((i - (So - 1)/2) · R · diag(s)) + (Si - 1)/2: data by trilinear interpolation, seg label by label (ascending)
// with trilinear interpolation of the indicator, threshold 0.5, output background 0. Points with a coordinate
// beyond [0, Si - 1] read `data_border` / `seg_border` (for the indicator) exactly, as scipy map_coordinates'
// mode "constant" does.
//
// Difference from nnU-Net: batchgenerators interpolates data with order-3 B-splines (scipy map_coordinates);
// LibTorch 1.13's 3D grid_sample offers only trilinear and nearest, so data is resampled trilinearly (slightly
// smoother; the label rule is unchanged since nnU-Net uses order 1 for labels too).
//
// Backends: on CUDA (or with kGridSample) the device-agnostic grid_sample path; on the CPU a loop kernel with the
// same arithmetic (in double), since LibTorch 1.13's CPU grid_sample was about 10x slower for this job (2.9 s vs 0.2 s
// for 4 channels + 5 labels, 205³ -> 128³).
enum class SpatialBackend { kAuto, kGridSample };
std::pair<torch::Tensor, torch::Tensor> apply_spatial(const torch::Tensor& data, const torch::Tensor& seg,
                                                      const SpatialDraw& draw, const std::vector<int64_t>& out_shape,
                                                      const SpatialParams& params,
                                                      SpatialBackend backend = SpatialBackend::kAuto);

}  // namespace nnseg
