// Intensity transforms of nnUNetTrainerV2's augmentation (batchgenerators, spec/training.md §7.2 steps 3-9):
// Gaussian noise, Gaussian blur, multiplicative brightness, contrast, simulated low resolution, gamma. Each is a
// draw function (parameters from an AugmentRng, on the CPU) plus a pure function of (sample, drawn parameters) that
// runs on the sample's device, so tests can feed fixed draws (T9).
#pragma once

#include <torch/types.h>

#include <optional>
#include <vector>

#include "training/augment_random.h"

namespace nnseg {

// Probabilities and ranges; the defaults are nnUNetTrainerV2's (§7.2).
struct IntensityParams {
  double p_noise = 0.1;             // per sample
  double noise_sigma_max = 0.1;     // sigma ~ U(0, max) per sample, used as the standard deviation (§12.14)
  double p_blur = 0.2;              // per sample
  double p_blur_per_channel = 0.5;  // per channel, once the sample fires
  double blur_sigma_min = 0.5;      // isotropic sigma in voxels, drawn per channel
  double blur_sigma_max = 1.0;
  double p_brightness = 0.15;  // per sample; one factor per channel
  double brightness_min = 0.75;
  double brightness_max = 1.25;
  double p_contrast = 0.15;  // per sample; one factor per channel
  double contrast_min = 0.75;
  double contrast_max = 1.25;
  bool contrast_preserve_range = true;  // clip to the channel's pre-transform [min, max]
  double p_low_res = 0.25;              // per sample
  double p_low_res_per_channel = 0.5;   // per channel, once the sample fires
  double low_res_zoom_min = 0.5;        // zoom drawn per channel, same on all axes
  double low_res_zoom_max = 1.0;
  bool low_res_keep_axis0 = false;  // ignore_axes = (0,) under dummy-2D augmentation
  double p_gamma_inverted = 0.1;    // per sample
  double p_gamma = 0.3;             // per sample
  double gamma_min = 0.7;           // gamma drawn per channel with the "below 1 with prob 0.5" rule
  double gamma_max = 1.5;
  bool gamma_retain_stats = true;
};

// ---- draws (one sample, `channels` channels); nullopt / empty = the transform does not fire

std::optional<double> draw_noise_sigma(const IntensityParams& p, AugmentRng& rng);
// One entry per channel: the channel's sigma, or nullopt for a channel left alone (all nullopt when the sample
// does not fire).
std::vector<std::optional<double>> draw_blur_sigmas(const IntensityParams& p, int64_t channels, AugmentRng& rng);
std::optional<std::vector<double>> draw_brightness_factors(const IntensityParams& p, int64_t channels, AugmentRng& rng);
std::optional<std::vector<double>> draw_contrast_factors(const IntensityParams& p, int64_t channels, AugmentRng& rng);
std::vector<std::optional<double>> draw_low_res_zooms(const IntensityParams& p, int64_t channels, AugmentRng& rng);
// Gamma per channel, given the transform's per-sample probability (p_gamma_inverted or p_gamma).
std::optional<std::vector<double>> draw_gammas(const IntensityParams& p, double p_sample, int64_t channels,
                                               AugmentRng& rng);

// ---- pure transforms of one sample x [C, spatial...] (float); each returns a new tensor

// x + sigma · N(0, 1), the noise drawn from `rng` on the CPU (independently per voxel and channel).
torch::Tensor add_gaussian_noise(const torch::Tensor& x, double sigma, AugmentRng& rng);
// scipy.ndimage.gaussian_filter weights for `sigma` (truncate 4: radius int(4 sigma + 0.5)), normalised.
std::vector<double> gaussian_kernel_1d(double sigma);
// The [m, n] float64 CPU matrix of a 1-D order-3 B-spline resize from n to m samples, as scipy
// ndi.zoom(order=3, mode="nearest", grid_mode=True): output j samples the spline through the input (edge-extended)
// at (j + 0.5) n / m - 0.5.
torch::Tensor cubic_spline_resize_matrix(int64_t n, int64_t m);
// Per channel: filter with its sigma along every spatial axis (scipy mode "reflect" = half-sample symmetric
// padding, truncate 4); channels with nullopt are copied.
torch::Tensor gaussian_blur(const torch::Tensor& x, const std::vector<std::optional<double>>& sigmas);
// x_c · factors[c].
torch::Tensor multiply_brightness(const torch::Tensor& x, const std::vector<double>& factors);
// Per channel: (x - mean) · f + mean, then (preserve_range) clipped to the channel's [min, max] before.
torch::Tensor adjust_contrast(const torch::Tensor& x, const std::vector<double>& factors, bool preserve_range);
// Per channel with a zoom: nearest-neighbour downsampling to round(shape · zoom) (axis 0 kept when keep_axis0),
// then order-3 spline upsampling back and clipping to the downsampled channel's range, as skimage resize (order 0,
// then order 3, mode edge, clip, no anti-aliasing) via scipy ndi.zoom(grid_mode=True, mode="nearest"); channels
// with nullopt are copied. The spline is applied as one dense matrix per axis (cubic_spline_resize_matrix).
torch::Tensor simulate_low_resolution(const torch::Tensor& x, const std::vector<std::optional<double>>& zooms,
                                      bool keep_axis0);
// Per channel with gamma g_c (§7.2.2): optional inversion, min-max normalisation to [0, 1], power g_c, back;
// retain_stats restores the channel's mean and population std.
torch::Tensor adjust_gamma(const torch::Tensor& x, const std::vector<double>& gammas, bool invert, bool retain_stats);

}  // namespace nnseg
