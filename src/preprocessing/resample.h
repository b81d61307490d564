// Resampling of a case to a target spacing, as nnU-Net v1 resample_patient / resample_data_or_seg
// (spec/preprocessing.md §2): cubic B-spline resize for data (skimage resize order 3, mode 'edge'), one-hot linear
// resize for the label, and the separate-z path (in-plane resize per slice, nearest neighbour along z).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fingerprint/crop_to_nonzero.h"

namespace nnseg {

// Spacing ratio above which a case counts as anisotropic (v1 RESAMPLING_SEPARATE_Z_ANISO_THRESHOLD).
constexpr double kSeparateZAnisotropyThreshold = 3.0;

// max(spacing) / min(spacing) > threshold (strictly).
bool is_anisotropic(const std::array<double, 3>& spacing, double threshold = kSeparateZAnisotropyThreshold);

// Axes whose spacing equals the largest spacing exactly (v1 get_lowres_axis).
std::vector<int> lowres_axes(const std::array<double, 3>& spacing);

// round_half_even(spacing / target_spacing * shape) per axis (spec §2.2). InputError naming `item` when an axis
// would get 0 voxels (v1 would produce an empty axis).
std::array<int64_t, 3> compute_new_shape(const std::array<int64_t, 3>& shape, const std::array<double, 3>& spacing,
                                         const std::array<double, 3>& target_spacing, const std::string& item = "");

// The separate-z decision of spec §2.3: the low-resolution axis to resample with nearest neighbour, or nullopt
// for one 3D interpolation. `force_separate_z` overrides the automatic decision (v1's force_separate_z).
std::optional<int> separate_z_axis(const std::array<double, 3>& spacing, const std::array<double, 3>& target_spacing,
                                   std::optional<bool> force_separate_z = std::nullopt,
                                   double threshold = kSeparateZAnisotropyThreshold);

// Cubic resize of one volume `in` (shape, C order) to `out_shape`, written to `out` (spec §2.6). Computed in
// float64 by separable passes; axes whose length is unchanged are not passed through the spline (it reproduces
// them up to rounding). The result is clipped to [min, max] of `in` as a whole when `clip_axis` is -1, else per
// slice along `clip_axis` (each slice's own min/max, spec §2.5; that axis must keep its length).
void resize_cubic(const float* in, const std::array<int64_t, 3>& shape, float* out,
                  const std::array<int64_t, 3>& out_shape, int clip_axis = -1, int threads = 1);

// One-hot linear resize of a label volume (v1 resize_segmentation, order 1, spec §2.7): per distinct label in
// increasing order, the indicator is resized linearly and the label is written where it is >= 0.5; voxels no
// label reaches stay 0. Axes whose length is unchanged are left alone (linear interpolation at the samples).
void resize_segmentation(const float* in, const std::array<int64_t, 3>& shape, float* out,
                         const std::array<int64_t, 3>& out_shape, int threads = 1);

// Nearest-neighbour resize (scipy map_coordinates order 0, mode 'nearest', spec §2.5 step 2).
void resize_nearest(const float* in, const std::array<int64_t, 3>& shape, float* out,
                    const std::array<int64_t, 3>& out_shape, int threads = 1);

// Linear resize of one volume (skimage resize order 1, mode 'edge', no anti-aliasing; nnU-Net v1's export of
// probabilities, spec/inference.md §7): computed in float64 by separable passes, stored as float32. Axes whose
// length is unchanged are left alone (linear interpolation at the samples).
void resize_linear(const float* in, const std::array<int64_t, 3>& shape, float* out,
                   const std::array<int64_t, 3>& out_shape, int threads = 1);

// v1 resample_data_or_seg: resamples every channel of `data` to `new_shape` (returns `data` unchanged when the
// shape is already `new_shape`). `is_seg` picks one-hot linear over cubic; `separate_axis` (from separate_z_axis)
// selects the separate-z path.
Array4f resample_data_or_seg(const Array4f& data, const std::array<int64_t, 3>& new_shape, bool is_seg,
                             std::optional<int> separate_axis, int threads = 1);

// Options of resample_patient.
struct ResampleOptions {
  std::optional<bool> force_separate_z;  // nullopt: decided per case (nnU-Net's default)
  int threads = 1;                       // worker threads for the line passes
};

// v1 resample_patient with GenericPreprocessor's settings (order 3 data, order 1 seg, order 0 along z): both
// arrays (either may be null) are replaced by their resampled versions. Spacings in the arrays' axis order (z, y, x
// after transposition). `item` names the case in errors.
void resample_patient(Array4f* data, Array4f* seg, const std::array<double, 3>& spacing,
                      const std::array<double, 3>& target_spacing, const ResampleOptions& options = {},
                      const std::string& item = "");

}  // namespace nnseg
