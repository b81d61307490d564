// The training and validation batch transforms of nnUNetTrainerV2 (training/augment_pipeline.h,
// spec/training.md §7): setup as nnU-Net v1 `setup_DA_params` and `get_moreDA_augmentation`.
#include "training/augment_pipeline.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "core/check.h"
#include "training/augment_mirror.h"
#include "training/deep_supervision.h"

namespace nnseg {

namespace {

constexpr double kPi = 3.14159265358979323846;

double degrees(double d) { return d / 360.0 * 2.0 * kPi; }

// A 2d-configuration batch [B, C, Y, X] is handled as [B, C, 1, Y, X] with the dummy-2D rules; these map the
// parameters and tensors in and out of that lifted form.
struct Lifted {
  bool is_2d = false;
  std::vector<int64_t> patch;               // 3 values
  std::vector<std::vector<double>> scales;  // 3 values each
  at::Tensor data;
  at::Tensor seg;  // channel 0 only
};

Lifted lift(const at::Tensor& data, const at::Tensor& seg, const AugmentParams& params) {
  Lifted l;
  const auto n_axes = static_cast<int64_t>(params.patch_size.size());
  NNSEG_CHECK((n_axes == 3 || n_axes == 2) && data.dim() == n_axes + 2 && seg.dim() == n_axes + 2 &&
              seg.size(0) == data.size(0) && seg.size(1) >= 1)
      << "augmentation of data " << data.sizes() << ", seg " << seg.sizes() << " for a patch of " << n_axes << " axes";
  for (int64_t a = 2; a < data.dim(); ++a) {
    NNSEG_CHECK(seg.size(a) == data.size(a)) << "data " << data.sizes() << " and seg " << seg.sizes() << " differ";
  }
  l.is_2d = n_axes == 2;
  l.patch = params.patch_size;
  l.scales = params.deep_supervision_scales;
  l.data = data;
  l.seg = seg.narrow(1, 0, 1);  // selected segmentation channels: [0]
  if (l.is_2d) {
    l.patch.insert(l.patch.begin(), 1);
    for (auto& s : l.scales) s.insert(s.begin(), 1.0);
    l.data = l.data.unsqueeze(2);
    l.seg = l.seg.unsqueeze(2);
  }
  return l;
}

AugmentedBatch finish(at::Tensor data, at::Tensor seg, const Lifted& l) {
  AugmentedBatch out;
  const std::vector<std::vector<double>> scales =
      l.scales.empty() ? std::vector<std::vector<double>>{std::vector<double>(3, 1.0)} : l.scales;
  for (const auto& s : scales) {
    NNSEG_CHECK(s.size() == 3) << "deep-supervision scale with " << s.size() << " factors";
  }
  out.target = downsample_labels_for_deep_supervision(seg, scales);
  if (l.is_2d) {
    data = data.squeeze(2);
    for (auto& t : out.target) t = t.squeeze(2);
  }
  out.data = data;
  return out;
}

}  // namespace

AugmentParams v2_augment_params(const std::vector<int64_t>& patch_size, bool dummy_2d,
                                const std::vector<bool>& mask_for_norm,
                                const std::vector<std::vector<double>>& deep_supervision_scales) {
  NNSEG_CHECK(patch_size.size() == 3 || (patch_size.size() == 2 && !dummy_2d))
      << "augmentation for a patch of " << patch_size.size() << " axes (dummy 2D " << dummy_2d << ")";
  AugmentParams p;
  p.patch_size = patch_size;
  p.mask_for_norm = mask_for_norm;
  p.deep_supervision_scales = deep_supervision_scales;
  if (patch_size.size() == 2) {
    // default_2D_augmentation_params: rotation about the slice normal ±180°, or ±15° for elongated patches.
    const auto [mn, mx] = std::minmax_element(patch_size.begin(), patch_size.end());
    const double max_rot = static_cast<double>(*mx) / static_cast<double>(*mn) > 1.5 ? degrees(15) : degrees(180);
    p.spatial.rotation_max_rad = {max_rot, 0.0, 0.0};
    p.spatial.dummy_2d = true;  // the lifted axis 0 (one slice) is never resampled
    p.intensity.low_res_keep_axis0 = true;
    p.mirror_axes = {1, 2};
  } else if (dummy_2d) {
    p.spatial.rotation_max_rad[0] = degrees(180);
    p.spatial.dummy_2d = true;
    p.intensity.low_res_keep_axis0 = true;  // SimulateLowResolutionTransform(ignore_axes=(0,))
  }
  return p;
}

AugmentedBatch augment_training_batch(const torch::Tensor& data, const torch::Tensor& seg, const AugmentParams& params,
                                      AugmentRng& rng) {
  const Lifted l = lift(data, seg, params);
  NNSEG_CHECK(params.mask_for_norm.empty() || static_cast<int64_t>(params.mask_for_norm.size()) == data.size(1))
      << params.mask_for_norm.size() << " mask flags for " << data.size(1) << " channels";
  const int64_t batch = l.data.size(0);
  const int64_t channels = l.data.size(1);
  const IntensityParams& ip = params.intensity;

  // Each transform runs over the whole batch before the next (batchgenerators' Compose), drawing per sample.
  std::vector<at::Tensor> x(static_cast<size_t>(batch));
  std::vector<at::Tensor> s(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    const SpatialDraw d = draw_spatial(params.spatial, rng);
    std::tie(x[b], s[b]) = apply_spatial(l.data[b].to(at::kFloat), l.seg[b], d, l.patch, params.spatial);
  }
  for (int64_t b = 0; b < batch; ++b) {
    if (const auto sigma = draw_noise_sigma(ip, rng)) x[b] = add_gaussian_noise(x[b], *sigma, rng);
  }
  for (int64_t b = 0; b < batch; ++b) {
    const auto sigmas = draw_blur_sigmas(ip, channels, rng);
    if (std::any_of(sigmas.begin(), sigmas.end(), [](const auto& v) { return v.has_value(); })) {
      x[b] = gaussian_blur(x[b], sigmas);
    }
  }
  for (int64_t b = 0; b < batch; ++b) {
    if (const auto f = draw_brightness_factors(ip, channels, rng)) x[b] = multiply_brightness(x[b], *f);
  }
  for (int64_t b = 0; b < batch; ++b) {
    if (const auto f = draw_contrast_factors(ip, channels, rng)) {
      x[b] = adjust_contrast(x[b], *f, ip.contrast_preserve_range);
    }
  }
  for (int64_t b = 0; b < batch; ++b) {
    const auto zooms = draw_low_res_zooms(ip, channels, rng);
    if (std::any_of(zooms.begin(), zooms.end(), [](const auto& v) { return v.has_value(); })) {
      x[b] = simulate_low_resolution(x[b], zooms, ip.low_res_keep_axis0);
    }
  }
  for (int64_t b = 0; b < batch; ++b) {
    if (const auto g = draw_gammas(ip, ip.p_gamma_inverted, channels, rng)) {
      x[b] = adjust_gamma(x[b], *g, true, ip.gamma_retain_stats);
    }
  }
  for (int64_t b = 0; b < batch; ++b) {
    if (const auto g = draw_gammas(ip, ip.p_gamma, channels, rng)) {
      x[b] = adjust_gamma(x[b], *g, false, ip.gamma_retain_stats);
    }
  }
  for (int64_t b = 0; b < batch; ++b) {
    const MirrorDraw m = draw_mirror(params.mirror_axes, params.p_mirror_per_axis, rng);
    x[b] = mirror_sample(x[b], m);
    s[b] = mirror_sample(s[b], m);
  }
  at::Tensor out_data = at::stack(x, 0);
  at::Tensor out_seg = at::stack(s, 0);
  if (!params.mask_for_norm.empty()) out_data = mask_outside_brain(out_data, out_seg, params.mask_for_norm);
  out_seg = remove_outside_label(out_seg);
  return finish(out_data, out_seg, l);
}

AugmentedBatch prepare_validation_batch(const torch::Tensor& data, const torch::Tensor& seg,
                                        const AugmentParams& params) {
  const Lifted l = lift(data, seg, params);
  return finish(l.data, remove_outside_label(l.seg), l);
}

}  // namespace nnseg
