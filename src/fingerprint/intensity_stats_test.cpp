// Tests for the fingerprint's intensity statistics: spec/planning.md §12.9 vectors and numpy's percentile.
#include "fingerprint/intensity_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace nnseg {
namespace {

void expect_stats(const IntensityStats& s, const std::array<double, 7>& e) {
  const double tol = 1e-5;
  EXPECT_NEAR(s.median, e[0], tol);
  EXPECT_NEAR(s.mean, e[1], tol);
  EXPECT_NEAR(s.std, e[2], tol);
  EXPECT_NEAR(s.min, e[3], tol);
  EXPECT_NEAR(s.max, e[4], tol);
  EXPECT_NEAR(s.percentile_99_5, e[5], tol);
  EXPECT_NEAR(s.percentile_00_5, e[6], tol);
}

TEST(IntensityStats, SpecVectorOneToTen) {
  expect_stats(compute_intensity_stats({7, 1, 2, 3, 10, 4, 5, 6, 8, 9}), {5.5, 5.5, 2.8722813, 1, 10, 9.955, 1.045});
}

TEST(IntensityStats, SpecVectorTwoValues) {
  expect_stats(compute_intensity_stats({100, 0}), {50, 50, 50, 0, 100, 99.5, 0.5});
}

TEST(IntensityStats, EmptyAndNanGiveNan) {
  for (const auto& values : {std::vector<float>{}, std::vector<float>{1, std::numeric_limits<float>::quiet_NaN()}}) {
    IntensityStats s = compute_intensity_stats(values);
    for (double v : {s.median, s.mean, s.std, s.min, s.max, s.percentile_99_5, s.percentile_00_5}) {
      EXPECT_TRUE(std::isnan(v));
    }
  }
}

TEST(IntensityStats, OddCountMedianAndSingleValue) {
  expect_stats(compute_intensity_stats({3, -1, 2}), {2, 4.0 / 3, std::sqrt(26.0 / 9), -1, 3, 2.99, -0.97});
  expect_stats(compute_intensity_stats({4}), {4, 4, 0, 4, 4, 4, 4});
}

TEST(Percentile, NumpyLinear) {
  // numpy.percentile([0, 1, 4, 9], q): position q/100*3.
  const std::vector<double> v{0, 1, 4, 9};
  EXPECT_DOUBLE_EQ(percentile_linear(v, 0), 0);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 100), 9);
  EXPECT_DOUBLE_EQ(percentile_linear(v, 50), 2.5);
  EXPECT_NEAR(percentile_linear(v, 90), 4 + 5 * 0.7, 1e-12);
}

TEST(ForegroundSamples, SpecSubsamplingVector) {
  // data = 0..59 as (3, 4, 5); label 1 on z in {1, 2}, x >= 1 (32 voxels), -1 at (0, 0, 0), 0 elsewhere.
  CroppedCase c;
  c.data = Array4f({1, 3, 4, 5});
  c.seg = Array4f({1, 3, 4, 5});
  for (int i = 0; i < 60; ++i) c.data.values[static_cast<size_t>(i)] = static_cast<float>(i);
  for (int64_t z = 1; z < 3; ++z) {
    for (int64_t y = 0; y < 4; ++y) {
      for (int64_t x = 1; x < 5; ++x) c.seg.at(0, z, y, x) = 1.0f;
    }
  }
  c.seg.at(0, 0, 0, 0) = -1.0f;
  const std::vector<float> samples = sample_foreground(c, 0);
  EXPECT_EQ(samples, (std::vector<float>{21, 33, 46, 58}));
  expect_stats(compute_intensity_stats(samples), {39.5, 39.5, 13.865424, 21, 58, 57.82, 21.18});
}

TEST(ForegroundSamples, AppendContinuesAcrossCallsPerCase) {
  // Each case restarts its every-10th count; the lists are concatenated in case order.
  const std::vector<float> channel{1, 2, 3};
  const std::vector<float> label{1, 1, 0};
  std::vector<float> out;
  append_foreground_samples(channel.data(), label.data(), 3, out);
  append_foreground_samples(channel.data(), label.data(), 3, out);
  EXPECT_EQ(out, (std::vector<float>{1, 1}));
}

}  // namespace
}  // namespace nnseg
