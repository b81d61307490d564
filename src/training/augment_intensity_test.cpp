// Tests for the intensity transforms: T9 vectors (gamma, contrast), invariants of each transform with fixed draws,
// scipy's Gaussian filter, and the draw probabilities.
#include "training/augment_intensity.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "testing/temp_dir.h"

namespace nnseg {
namespace {

at::Tensor channel(std::vector<float> v) { return at::tensor(v).view({1, static_cast<int64_t>(v.size())}); }

void expect_values(const at::Tensor& t, const std::vector<double>& expected, double tol) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(expected.size()));
  const at::Tensor f = t.flatten().to(at::kDouble);
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(f[static_cast<int64_t>(i)].item<double>(), expected[i], tol) << "index " << i;
  }
}

AugmentRng seeded(uint64_t seed) { return AugmentRng(at::make_generator<at::CPUGeneratorImpl>(seed)); }

TEST(AugmentIntensity, GammaMatchesT9) {
  const at::Tensor x = channel({0, 0.5, 1, 2});
  expect_values(adjust_gamma(x, {1.5}, false, false), {0, 0.25, 0.70710676, 1.99999995}, 2e-6);
  expect_values(adjust_gamma(x, {1.5}, false, true),
                {0.16571118963768983, 0.40557023526799546, 0.8441350204141802, 2.084583554680134}, 2e-6);
  expect_values(adjust_gamma(x, {1.5}, true, true),
                {-0.12628258703708628, 0.5766582248655744, 1.1702606577472663, 1.8793637044242455}, 2e-6);
}

TEST(AugmentIntensity, ContrastMatchesT9) {
  const at::Tensor x = channel({0, 1, 2, 3});
  expect_values(adjust_contrast(x, {1.2}, true), {0, 0.9, 2.1, 3.0}, 1e-6);
  expect_values(adjust_contrast(x, {0.8}, true), {0.3, 1.1, 1.9, 2.7}, 1e-6);
  expect_values(adjust_contrast(x, {1.2}, false), {-0.3, 0.9, 2.1, 3.3}, 1e-6);  // no range preservation
}

TEST(AugmentIntensity, GammaWithRetainedStatsKeepsMeanAndStdPerChannel) {
  const at::Tensor x = at::randn({2, 8, 8, 8}, at::make_generator<at::CPUGeneratorImpl>(1)) * 2 + 3;
  const at::Tensor y = adjust_gamma(x, {0.7, 1.4}, false, true);
  EXPECT_TRUE(at::allclose(y.mean({1, 2, 3}), x.mean({1, 2, 3}), 0, 1e-4));
  EXPECT_TRUE(at::allclose(y.std({1, 2, 3}, false), x.std({1, 2, 3}, false), 0, 1e-4));
  EXPECT_FALSE(at::allclose(y, x, 0, 1e-2));
  // Without retention min and max stay (up to the 1e-7 range epsilon); gamma 1 is the identity.
  const at::Tensor z = adjust_gamma(x, {0.7, 1.4}, false, false);
  EXPECT_TRUE(at::allclose(z.amin({1, 2, 3}), x.amin({1, 2, 3}), 0, 1e-5));
  EXPECT_TRUE(at::allclose(z.amax({1, 2, 3}), x.amax({1, 2, 3}), 0, 1e-5));
  EXPECT_TRUE(at::allclose(adjust_gamma(x, {1.0, 1.0}, true, true), x, 0, 1e-5));
}

TEST(AugmentIntensity, NoiseHasZeroMeanAndVarianceSigmaSquared) {
  AugmentRng rng = seeded(5);
  const at::Tensor x = at::full({2, 32, 32, 32}, 1.5f);
  const at::Tensor y = add_gaussian_noise(x, 0.1, rng) - x;
  EXPECT_NEAR(y.mean().item<double>(), 0.0, 3e-3);  // sigma / sqrt(65536) = 4e-4
  EXPECT_NEAR(y.var().item<double>(), 0.01, 0.0003);
  // Channels get independent noise.
  EXPECT_LT(std::abs((y[0] * y[1]).mean().item<double>()), 3e-4);
}

TEST(AugmentIntensity, BrightnessMultipliesEachChannel) {
  const at::Tensor x = at::randn({3, 4, 5, 6}, at::make_generator<at::CPUGeneratorImpl>(2));
  const at::Tensor y = multiply_brightness(x, {0.75, 1.0, 1.25});
  EXPECT_TRUE(at::allclose(y[0], x[0] * 0.75));
  EXPECT_TRUE(at::equal(y[1], x[1]));
  EXPECT_TRUE(at::allclose(y[2], x[2] * 1.25));
}

TEST(AugmentIntensity, ContrastBelowOneKeepsTheMeanAndRange) {
  const at::Tensor x = at::randn({2, 6, 6, 6}, at::make_generator<at::CPUGeneratorImpl>(3));
  const at::Tensor y = adjust_contrast(x, {0.8, 0.9}, true);
  EXPECT_TRUE(at::allclose(y.mean({1, 2, 3}), x.mean({1, 2, 3}), 0, 1e-5));
  EXPECT_TRUE(at::allclose(y.std({1, 2, 3}), x.std({1, 2, 3}) * at::tensor({0.8f, 0.9f}), 1e-4, 1e-5));
  const at::Tensor z = adjust_contrast(x, {1.25, 1.25}, true);
  EXPECT_TRUE((z.amax({1, 2, 3}) <= x.amax({1, 2, 3})).all().item<bool>());
  EXPECT_TRUE((z.amin({1, 2, 3}) >= x.amin({1, 2, 3})).all().item<bool>());
}

TEST(AugmentIntensity, GaussianKernelIsScipys) {
  const auto w = gaussian_kernel_1d(1.0);  // radius int(4 + 0.5) = 4
  ASSERT_EQ(w.size(), 9u);
  double sum = 0;
  for (int i = -4; i <= 4; ++i) sum += std::exp(-0.5 * i * i);
  EXPECT_NEAR(w[4], 1.0 / sum, 1e-12);
  EXPECT_NEAR(w[0], std::exp(-8.0) / sum, 1e-15);
  EXPECT_EQ(gaussian_kernel_1d(0.5).size(), 5u);  // radius int(2.5) = 2
  EXPECT_EQ(gaussian_kernel_1d(0.6).size(), 5u);  // radius int(2.9) = 2
  EXPECT_EQ(gaussian_kernel_1d(0.65).size(), 7u);
}

TEST(AugmentIntensity, BlurUsesHalfSampleSymmetricBorders) {
  // An impulse at the first voxel of a 5-voxel line, sigma 0.5 (taps w0, w1, w2): mode "reflect" mirrors it at
  // position -1, so out[0] = w0 + w1, out[1] = w1 + w2, out[2] = w2, out[3] = out[4] = 0.
  const auto w = gaussian_kernel_1d(0.5);
  const at::Tensor x = at::zeros({1, 1, 1, 5});
  x[0][0][0][0] = 1.0f;
  const at::Tensor y = gaussian_blur(x, {0.5});
  expect_values(y, {w[2] + w[3], w[3] + w[4], w[4], 0, 0}, 1e-7);
  // A channel without sigma is copied; a constant volume stays constant.
  const at::Tensor c = at::full({2, 5, 6, 7}, 2.0f);
  const at::Tensor yc = gaussian_blur(c, {0.8, std::nullopt});
  EXPECT_TRUE(at::allclose(yc, c, 0, 1e-6));
}

TEST(AugmentIntensity, BlurMatchesScipyGaussianFilter) {
  if (::nnseg::testing::run_command({"/usr/bin/python3", "-c", "import numpy, scipy.ndimage"}).exit_code != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy and scipy not available";
  }
  const std::string script = R"(
import numpy as np
from scipy.ndimage import gaussian_filter
z, y, x = np.meshgrid(np.arange(6.), np.arange(7.), np.arange(9.), indexing='ij')
a = (np.sin(z * 1.3 + y * 0.7) + np.cos(x * 0.9) * z).astype(np.float32)
print(' '.join('%.9g' % v for v in gaussian_filter(a, 0.83).ravel()))
)";
  const auto result = ::nnseg::testing::run_command({"/usr/bin/python3", "-c", script});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto z = at::arange(6, at::kDouble).view({6, 1, 1});
  const auto y = at::arange(7, at::kDouble).view({1, 7, 1});
  const auto x = at::arange(9, at::kDouble).view({1, 1, 9});
  const at::Tensor a = (at::sin(z * 1.3 + y * 0.7) + at::cos(x * 0.9) * z).to(at::kFloat).unsqueeze(0);
  const at::Tensor out = gaussian_blur(a, {0.83}).flatten();
  std::istringstream in(result.out);
  for (int64_t i = 0; i < out.numel(); ++i) {
    double ref = 0;
    in >> ref;
    ASSERT_NEAR(out[i].item<float>(), ref, 1e-5) << "voxel " << i;
  }
}

TEST(AugmentIntensity, LowResolutionKeepsTheShapeAndReproducesARamp) {
  const at::Tensor ramp = at::arange(16, at::kFloat).view({1, 1, 1, 16}).expand({2, 10, 12, 16}).contiguous();
  // Zoom 1: nearest to the same shape and cubic back are both the identity.
  EXPECT_TRUE(at::allclose(simulate_low_resolution(ramp, {1.0, 1.0}, false), ramp, 0, 1e-5));
  // Zoom 0.5: nearest keeps indices 1, 3, ..., 15 (values 1, 3, ...); the spline through them is close to the
  // linear ramp x + 0.5 away from the edges (the edge extension bends it near the borders). Channel 1 untouched.
  const at::Tensor y = simulate_low_resolution(ramp, {0.5, std::nullopt}, false);
  ASSERT_EQ(y.sizes(), ramp.sizes());
  EXPECT_TRUE(at::allclose(y[0].narrow(2, 6, 4), ramp[0].narrow(2, 6, 4) + 0.5, 0, 0.02));
  EXPECT_GE(y[0].min().item<float>(), 1.0f);  // clipped to the downsampled range [1, 15]
  EXPECT_LE(y[0].max().item<float>(), 15.0f);
  EXPECT_TRUE(at::equal(y[1], ramp[1]));
  // Odd sizes and a zoom that rounds: shape kept, values finite and within a bounded overshoot.
  const at::Tensor r = at::rand({1, 7, 9, 11}, at::make_generator<at::CPUGeneratorImpl>(4));
  const at::Tensor ry = simulate_low_resolution(r, {0.63}, false);
  ASSERT_EQ(ry.sizes(), r.sizes());
  EXPECT_TRUE(at::isfinite(ry).all().item<bool>());
  EXPECT_GT(ry.min().item<float>(), -0.5f);
  EXPECT_LT(ry.max().item<float>(), 1.5f);
}

TEST(AugmentIntensity, LowResolutionMatchesScipyZoom) {
  if (::nnseg::testing::run_command({"/usr/bin/python3", "-c", "import numpy, scipy.ndimage"}).exit_code != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy and scipy not available";
  }
  // skimage resize (0.19+) = ndi.zoom(grid_mode=True, mode="nearest") + clip to the input range; skimage itself is
  // not installed here, so the reference spells that out.
  const std::string script = R"(
import sys, numpy as np
from scipy.ndimage import zoom
zf = float(sys.argv[1])
z, y, x = np.meshgrid(np.arange(9.), np.arange(12.), np.arange(14.), indexing='ij')
a = (np.sin(z * 0.9 + y * 0.4) * np.cos(x * 0.7) + 0.05 * x * z).astype(np.float32).astype(float)
small = tuple(int(v) for v in np.round(np.array(a.shape) * zf))
def resize(img, shape, order):
    out = zoom(img, [o / i for o, i in zip(shape, img.shape)], order=order, mode='nearest', grid_mode=True)
    assert out.shape == tuple(shape)
    return np.clip(out, img.min(), img.max())
print(' '.join('%.9g' % v for v in resize(resize(a, small, 0), a.shape, 3).ravel()))
)";
  const auto z = at::arange(9, at::kDouble).view({9, 1, 1});
  const auto y = at::arange(12, at::kDouble).view({1, 12, 1});
  const auto x = at::arange(14, at::kDouble).view({1, 1, 14});
  const at::Tensor a = (at::sin(z * 0.9 + y * 0.4) * at::cos(x * 0.7) + x * z * 0.05).to(at::kFloat).unsqueeze(0);
  for (double zoom : {0.5, 0.63, 0.87}) {
    const auto result = ::nnseg::testing::run_command({"/usr/bin/python3", "-c", script, std::to_string(zoom)});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const at::Tensor out = simulate_low_resolution(a, {zoom}, false).flatten();
    std::istringstream in(result.out);
    for (int64_t i = 0; i < out.numel(); ++i) {
      double ref = 0;
      in >> ref;
      ASSERT_NEAR(out[i].item<float>(), ref, 2e-5) << "voxel " << i << " zoom " << zoom;
    }
  }
}

TEST(AugmentIntensity, LowResolutionCanKeepAxisZero) {
  // Varies only along z: with axis 0 kept, resampling y and x of a constant plane changes nothing.
  const at::Tensor x = at::arange(5, at::kFloat).view({1, 5, 1, 1}).expand({1, 5, 8, 8}).contiguous();
  EXPECT_TRUE(at::allclose(simulate_low_resolution(x, {0.5}, true), x, 0, 1e-5));
  EXPECT_FALSE(at::allclose(simulate_low_resolution(x, {0.5}, false), x, 0, 1e-3));
}

TEST(AugmentIntensity, DrawsFollowV2Probabilities) {
  AugmentRng rng = seeded(11);
  const IntensityParams p;
  const int n = 20000;
  int noise = 0;
  int blur = 0;
  int blur_channels = 0;
  int contrast_below = 0;
  int contrast = 0;
  int low_res = 0;
  int gamma = 0;
  int gamma_inv = 0;
  for (int i = 0; i < n; ++i) {
    if (const auto s = draw_noise_sigma(p, rng)) {
      ++noise;
      EXPECT_GE(*s, 0.0);
      EXPECT_LE(*s, 0.1);
    }
    const auto b = draw_blur_sigmas(p, 4, rng);
    ASSERT_EQ(b.size(), 4u);
    int fired = 0;
    for (const auto& v : b) {
      if (v) {
        ++fired;
        EXPECT_GE(*v, 0.5);
        EXPECT_LE(*v, 1.0);
      }
    }
    blur_channels += fired;
    blur += fired > 0 ? 1 : 0;
    if (const auto f = draw_contrast_factors(p, 2, rng)) {
      for (double v : *f) {
        ++contrast;
        contrast_below += v < 1 ? 1 : 0;
        EXPECT_GE(v, 0.75);
        EXPECT_LE(v, 1.25);
      }
    }
    for (const auto& z : draw_low_res_zooms(p, 1, rng)) low_res += z ? 1 : 0;
    gamma += draw_gammas(p, p.p_gamma, 1, rng) ? 1 : 0;
    gamma_inv += draw_gammas(p, p.p_gamma_inverted, 1, rng) ? 1 : 0;
  }
  const double nd = n;
  EXPECT_NEAR(noise / nd, 0.1, 0.01);
  // Blur fires with 0.2 per sample, then 0.5 per channel: 0.4 channels per sample; some sample fires with
  // 0.2 · (1 - 0.5⁴).
  EXPECT_NEAR(blur_channels / nd, 0.4, 0.03);
  EXPECT_NEAR(blur / nd, 0.2 * (1 - 0.0625), 0.015);
  EXPECT_NEAR(contrast / (2 * nd), 0.15, 0.01);
  EXPECT_NEAR(contrast_below / static_cast<double>(contrast), 0.5, 0.04);
  EXPECT_NEAR(low_res / nd, 0.125, 0.01);
  EXPECT_NEAR(gamma / nd, 0.3, 0.015);
  EXPECT_NEAR(gamma_inv / nd, 0.1, 0.01);
}

}  // namespace
}  // namespace nnseg
