// Intensity augmentations on LibTorch tensors (training/augment_intensity.h, spec/training.md §7.2, §7.2.2).
#include "training/augment_intensity.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "training/deep_supervision.h"

namespace nnseg {

namespace {

void check_sample(const at::Tensor& x, size_t channels, const char* what) {
  NNSEG_CHECK(x.dim() >= 2 && x.size(0) == static_cast<int64_t>(channels))
      << what << ": sample " << x.sizes() << " with " << channels << " per-channel parameters";
}

// [C, 1, 1, ...] float tensor of per-channel values on x's device, broadcastable against x.
at::Tensor per_channel(const std::vector<double>& v, const at::Tensor& x) {
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = static_cast<int64_t>(v.size());
  return at::tensor(at::ArrayRef<double>(v), at::TensorOptions().dtype(at::kDouble))
      .to(x.device(), x.scalar_type())
      .view(shape);
}

// Indices of positions -r .. n-1+r under scipy's "reflect" (half-sample symmetric: d c b a | a b c d | d c b a),
// valid for any n >= 1 (period 2n).
at::Tensor symmetric_pad_indices(int64_t n, int64_t r, const at::Device& device) {
  std::vector<int64_t> idx;
  for (int64_t j = -r; j < n + r; ++j) {
    int64_t k = ((j % (2 * n)) + 2 * n) % (2 * n);
    if (k >= n) k = 2 * n - 1 - k;
    idx.push_back(k);
  }
  return at::tensor(idx, at::TensorOptions().dtype(at::kLong)).to(device);
}

// 1-D correlation of `x` along `axis` with the symmetric kernel `w` (odd length), symmetric padding, as a sum of
// shifted slices (several times faster than conv1d on the CPU for these short kernels).
at::Tensor filter_axis(const at::Tensor& x, int64_t axis, const std::vector<double>& w) {
  const int64_t n = x.size(axis);
  const auto r = static_cast<int64_t>(w.size() / 2);
  const at::Tensor padded = x.index_select(axis, symmetric_pad_indices(n, r, x.device()));
  at::Tensor out = padded.narrow(axis, 0, n) * w[0];
  for (size_t k = 1; k < w.size(); ++k) out.add_(padded.narrow(axis, static_cast<int64_t>(k), n), w[k]);
  return out;
}

// Cubic B-spline weight at distance t.
double bspline3(double t) {
  t = std::abs(t);
  if (t < 1.0) return 2.0 / 3.0 - t * t + 0.5 * t * t * t;
  if (t < 2.0) return (2.0 - t) * (2.0 - t) * (2.0 - t) / 6.0;
  return 0.0;
}

// Cubic resize of one channel [Z, Y, X] to `shape`, one axis at a time with cubic_spline_resize_matrix (axes whose
// size does not change are left alone: the spline interpolates its own samples), then clipped to the input's range.
at::Tensor cubic_resize(const at::Tensor& v, const std::vector<int64_t>& shape) {
  const auto matrix = [&](int64_t n, int64_t m) {
    return cubic_spline_resize_matrix(n, m).to(v.device(), v.scalar_type());
  };
  at::Tensor t = v;
  if (t.size(2) != shape[2]) t = at::matmul(t, matrix(t.size(2), shape[2]).t());  // [z, y, X]
  if (t.size(1) != shape[1]) t = at::matmul(matrix(t.size(1), shape[1]), t);      // [z, Y, X]
  if (t.size(0) != shape[0]) {
    t = at::matmul(matrix(t.size(0), shape[0]), t.reshape({t.size(0), -1})).view({shape[0], shape[1], shape[2]});
  }
  return t.clamp_(v.min(), v.max());  // skimage resize's clip=True
}

}  // namespace

std::optional<double> draw_noise_sigma(const IntensityParams& p, AugmentRng& rng) {
  if (!rng.chance(p.p_noise)) return std::nullopt;
  return rng.uniform(0.0, p.noise_sigma_max);
}

std::vector<std::optional<double>> draw_blur_sigmas(const IntensityParams& p, int64_t channels, AugmentRng& rng) {
  std::vector<std::optional<double>> s(static_cast<size_t>(channels));
  if (!rng.chance(p.p_blur)) return s;
  for (auto& v : s) {
    if (rng.chance(p.p_blur_per_channel)) v = rng.uniform(p.blur_sigma_min, p.blur_sigma_max);
  }
  return s;
}

std::optional<std::vector<double>> draw_brightness_factors(const IntensityParams& p, int64_t channels,
                                                           AugmentRng& rng) {
  if (!rng.chance(p.p_brightness)) return std::nullopt;
  std::vector<double> f;
  for (int64_t c = 0; c < channels; ++c) f.push_back(rng.uniform(p.brightness_min, p.brightness_max));
  return f;
}

std::optional<std::vector<double>> draw_contrast_factors(const IntensityParams& p, int64_t channels, AugmentRng& rng) {
  if (!rng.chance(p.p_contrast)) return std::nullopt;
  std::vector<double> f;
  for (int64_t c = 0; c < channels; ++c) f.push_back(rng.split_range(p.contrast_min, p.contrast_max));
  return f;
}

std::vector<std::optional<double>> draw_low_res_zooms(const IntensityParams& p, int64_t channels, AugmentRng& rng) {
  std::vector<std::optional<double>> z(static_cast<size_t>(channels));
  if (!rng.chance(p.p_low_res)) return z;
  for (auto& v : z) {
    if (rng.chance(p.p_low_res_per_channel)) v = rng.uniform(p.low_res_zoom_min, p.low_res_zoom_max);
  }
  return z;
}

std::optional<std::vector<double>> draw_gammas(const IntensityParams& p, double p_sample, int64_t channels,
                                               AugmentRng& rng) {
  if (!rng.chance(p_sample)) return std::nullopt;
  std::vector<double> g;
  for (int64_t c = 0; c < channels; ++c) g.push_back(rng.split_range(p.gamma_min, p.gamma_max));
  return g;
}

torch::Tensor add_gaussian_noise(const torch::Tensor& x, double sigma, AugmentRng& rng) {
  const at::Tensor noise = rng.randn(x.sizes()).to(x.device(), x.scalar_type());
  return x + noise * sigma;
}

std::vector<double> gaussian_kernel_1d(double sigma) {
  NNSEG_CHECK(sigma > 0.0) << "Gaussian sigma " << sigma;
  const auto radius = static_cast<int64_t>(4.0 * sigma + 0.5);
  std::vector<double> w;
  double sum = 0.0;
  for (int64_t i = -radius; i <= radius; ++i) {
    const double v = std::exp(-0.5 * static_cast<double>(i * i) / (sigma * sigma));
    w.push_back(v);
    sum += v;
  }
  for (double& v : w) v /= sum;
  return w;
}

torch::Tensor cubic_spline_resize_matrix(int64_t n, int64_t m) {
  NNSEG_CHECK(n >= 1 && m >= 1) << "cubic resize " << n << " -> " << m;
  // scipy pads by 12 edge copies before the spline prefilter for mode "nearest" (_prepad_for_spline_filter); the
  // prefilter's own boundary rule then acts 12 samples away, where its influence is below 0.27^12 = 1.4e-7.
  constexpr int64_t kPad = 12;
  const int64_t big_n = n + 2 * kPad;
  // Spline coefficients c of the padded samples f: (c[i-1] + 4 c[i] + c[i+1]) / 6 = f[i], mirror boundary
  // (c[-1] = c[1], c[N] = c[N-2]): tridiagonal, solved by the Thomas algorithm once per input sample's unit vector.
  // coeff[k * n + i] = coefficient k for the unit input at sample i.
  std::vector<double> coeff(static_cast<size_t>(big_n * n), 0.0);
  if (big_n == 1) {
    coeff[0] = 1.0;
  } else {
    const double diag = 4.0 / 6.0;
    const double off = 1.0 / 6.0;
    std::vector<double> upper(static_cast<size_t>(big_n));  // modified upper diagonal
    std::vector<double> denom(static_cast<size_t>(big_n));
    for (int64_t k = 0; k < big_n; ++k) {
      const double lower = k == 0 ? 0.0 : (k == big_n - 1 ? 2.0 * off : off);
      const double up = k == 0 ? 2.0 * off : (k == big_n - 1 ? 0.0 : off);
      denom[k] = diag - (k == 0 ? 0.0 : lower * upper[k - 1]);
      upper[k] = up / denom[k];
    }
    std::vector<double> rhs(static_cast<size_t>(big_n));
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t k = 0; k < big_n; ++k) {
        const double f = std::clamp<int64_t>(k - kPad, 0, n - 1) == i ? 1.0 : 0.0;  // edge-padded unit sample
        const double lower = k == 0 ? 0.0 : (k == big_n - 1 ? 2.0 * off : off);
        rhs[k] = (f - (k == 0 ? 0.0 : lower * rhs[k - 1])) / denom[k];
      }
      for (int64_t k = big_n - 2; k >= 0; --k) rhs[k] -= upper[k] * rhs[k + 1];
      for (int64_t k = 0; k < big_n; ++k) coeff[static_cast<size_t>(k * n + i)] = rhs[k];
    }
  }
  // Evaluation at the pixel-centre positions (j + 0.5) n / m - 0.5 (ndi.zoom grid_mode=True), shifted by the pad.
  at::Tensor out = at::zeros({m, n}, at::TensorOptions().dtype(at::kDouble));
  auto oa = out.accessor<double, 2>();
  const double step = static_cast<double>(n) / static_cast<double>(m);
  for (int64_t j = 0; j < m; ++j) {
    const double x = (static_cast<double>(j) + 0.5) * step - 0.5 + static_cast<double>(kPad);
    const auto k0 = static_cast<int64_t>(std::floor(x));
    for (int64_t k = k0 - 1; k <= k0 + 2; ++k) {
      const double w = bspline3(x - static_cast<double>(k));
      const int64_t kc = std::clamp<int64_t>(k, 0, big_n - 1);
      for (int64_t i = 0; i < n; ++i) oa[j][i] += w * coeff[static_cast<size_t>(kc * n + i)];
    }
  }
  return out;
}

torch::Tensor gaussian_blur(const torch::Tensor& x, const std::vector<std::optional<double>>& sigmas) {
  check_sample(x, sigmas.size(), "gaussian_blur");
  std::vector<at::Tensor> out;
  for (size_t c = 0; c < sigmas.size(); ++c) {
    at::Tensor v = x[static_cast<int64_t>(c)];
    if (sigmas[c]) {
      const auto w = gaussian_kernel_1d(*sigmas[c]);
      for (int64_t a = 0; a < v.dim(); ++a) {
        if (v.size(a) > 1) v = filter_axis(v, a, w);  // a single voxel stays itself under symmetric padding
      }
    }
    out.push_back(v);
  }
  return at::stack(out, 0);
}

torch::Tensor multiply_brightness(const torch::Tensor& x, const std::vector<double>& factors) {
  check_sample(x, factors.size(), "multiply_brightness");
  return x * per_channel(factors, x);
}

torch::Tensor adjust_contrast(const torch::Tensor& x, const std::vector<double>& factors, bool preserve_range) {
  check_sample(x, factors.size(), "adjust_contrast");
  const at::Tensor flat = x.reshape({x.size(0), -1});
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  const at::Tensor mean = flat.mean(1).view(shape);
  const at::Tensor f = per_channel(factors, x);
  at::Tensor y = x * f;
  y.add_(mean * (1.0 - f));  // (x - mean) * f + mean
  if (preserve_range) {
    const auto [mn, mx] = at::aminmax(flat, 1);
    y.clamp_(mn.view(shape), mx.view(shape));
  }
  return y;
}

torch::Tensor simulate_low_resolution(const torch::Tensor& x, const std::vector<std::optional<double>>& zooms,
                                      bool keep_axis0) {
  check_sample(x, zooms.size(), "simulate_low_resolution");
  NNSEG_CHECK(x.dim() == 4) << "simulate_low_resolution expects [C, Z, Y, X], got " << x.sizes();
  const std::vector<int64_t> shape{x.size(1), x.size(2), x.size(3)};
  std::vector<at::Tensor> out;
  for (size_t c = 0; c < zooms.size(); ++c) {
    at::Tensor v = x[static_cast<int64_t>(c)];
    if (zooms[c]) {
      std::vector<int64_t> small;
      for (size_t a = 0; a < 3; ++a) {
        // np.round (half to even), at least one voxel; the axis is kept as is when ignored.
        const auto s = static_cast<int64_t>(std::nearbyint(static_cast<double>(shape[a]) * *zooms[c]));
        small.push_back((a == 0 && keep_axis0) ? shape[a] : std::max<int64_t>(s, 1));
      }
      const at::Tensor down = resize_labels_nearest(v.unsqueeze(0).unsqueeze(0), small).squeeze(0).squeeze(0);
      v = cubic_resize(down.contiguous(), shape);
    }
    out.push_back(v);
  }
  return at::stack(out, 0);
}

torch::Tensor adjust_gamma(const torch::Tensor& x, const std::vector<double>& gammas, bool invert, bool retain_stats) {
  check_sample(x, gammas.size(), "adjust_gamma");
  constexpr double kRangeEps = 1e-7;  // batchgenerators' epsilon
  constexpr double kStdEps = 1e-8;
  // In-place steps on one working copy: each pass over a 4 x 128³ sample costs ~20 ms on the CPU.
  const at::Tensor src = x.reshape({x.size(0), -1});
  at::Tensor f = invert ? src.neg() : src.clone();
  const auto [sd, mu] = at::std_mean(f, 1, /*unbiased=*/false, true);
  const auto [mn, mx] = at::aminmax(f, 1, true);
  const at::Tensor range = mx - mn + kRangeEps;
  f.sub_(mn).div_(range);
  for (size_t c = 0; c < gammas.size(); ++c) f[static_cast<int64_t>(c)].pow_(gammas[c]);
  f.mul_(range).add_(mn);
  if (retain_stats) {
    // (f - mean) / (std + 1e-8) * sd + mu as one affine map per channel.
    const auto [sd_new, mu_new] = at::std_mean(f, 1, false, true);
    const at::Tensor scale = sd / (sd_new + kStdEps);
    f.mul_(scale).add_(mu - mu_new * scale);
  }
  if (invert) f.neg_();
  return f.view(x.sizes());
}

}  // namespace nnseg
