// Tests for resampling: spec/preprocessing.md §12.1/§12.2 vectors, a cubic spline reference solved here as a linear
// system (not with the recursive filter), invariants (constant, identity, threads) and a scipy cross-check.
#include "preprocessing/resample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "core/error.h"

namespace nnseg {
namespace {

Array4f make(std::array<int64_t, 4> shape, std::vector<float> values) {
  Array4f a(shape);
  EXPECT_EQ(static_cast<int64_t>(values.size()), a.numel());
  a.values = std::move(values);
  return a;
}

Array4f iota(std::array<int64_t, 4> shape) {
  Array4f a(shape);
  std::iota(a.values.begin(), a.values.end(), 0.0f);
  return a;
}

void expect_near(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

Array4f resampled(Array4f a, std::array<double, 3> spacing, std::array<double, 3> target, bool seg = false,
                  std::optional<bool> force = std::nullopt) {
  ResampleOptions options;
  options.force_separate_z = force;
  resample_patient(seg ? nullptr : &a, seg ? &a : nullptr, spacing, target, options);
  return a;
}

// Profile along z at (y, x) of channel 0.
std::vector<float> z_profile(const Array4f& a, int64_t y, int64_t x) {
  std::vector<float> out;
  for (int64_t z = 0; z < a.shape[1]; ++z) out.push_back(a.at(0, z, y, x));
  return out;
}

// Reference cubic resize of a 1D signal straight from the definitions of spec §2.6: pad 12 edge samples, solve
// (c[i-1] + 4 c[i] + c[i+1]) / 6 = g[i] with whole-sample mirror boundaries (c[-1] = c[1], c[N] = c[N-2]) by
// Gaussian elimination, evaluate sum c[i] beta3(x - i), clip to the input range.
std::vector<double> reference_cubic(const std::vector<double>& f, int64_t m) {
  const auto n = static_cast<int64_t>(f.size());
  const int64_t big_n = n + 24;
  std::vector<double> g(static_cast<size_t>(big_n));
  for (int64_t i = 0; i < big_n; ++i)
    g[static_cast<size_t>(i)] = f[static_cast<size_t>(std::clamp<int64_t>(i - 12, 0, n - 1))];
  std::vector<std::vector<double>> a(static_cast<size_t>(big_n),
                                     std::vector<double>(static_cast<size_t>(big_n) + 1, 0));
  for (int64_t i = 0; i < big_n; ++i) {
    auto& row = a[static_cast<size_t>(i)];
    auto mirror = [&](int64_t k) { return k < 0 ? -k : (k >= big_n ? 2 * (big_n - 1) - k : k); };
    row[static_cast<size_t>(mirror(i - 1))] += 1.0 / 6;
    row[static_cast<size_t>(i)] += 4.0 / 6;
    row[static_cast<size_t>(mirror(i + 1))] += 1.0 / 6;
    row[static_cast<size_t>(big_n)] = g[static_cast<size_t>(i)];
  }
  for (size_t col = 0; col < static_cast<size_t>(big_n); ++col) {
    for (size_t r = col + 1; r < static_cast<size_t>(big_n); ++r) {
      const double factor = a[r][col] / a[col][col];
      for (size_t k = col; k <= static_cast<size_t>(big_n); ++k) a[r][k] -= factor * a[col][k];
    }
  }
  std::vector<double> c(static_cast<size_t>(big_n));
  for (int64_t r = big_n - 1; r >= 0; --r) {
    double s = a[static_cast<size_t>(r)][static_cast<size_t>(big_n)];
    for (int64_t k = r + 1; k < big_n; ++k)
      s -= a[static_cast<size_t>(r)][static_cast<size_t>(k)] * c[static_cast<size_t>(k)];
    c[static_cast<size_t>(r)] = s / a[static_cast<size_t>(r)][static_cast<size_t>(r)];
  }
  auto beta = [](double t) {
    t = std::fabs(t);
    return t < 1 ? 2.0 / 3 - t * t + t * t * t / 2 : (t < 2 ? (2 - t) * (2 - t) * (2 - t) / 6 : 0.0);
  };
  const double lo = *std::min_element(f.begin(), f.end()), hi = *std::max_element(f.begin(), f.end());
  std::vector<double> out;
  for (int64_t j = 0; j < m; ++j) {
    const double x = (j + 0.5) * static_cast<double>(n) / static_cast<double>(m) - 0.5 + 12;
    double v = 0;
    for (int64_t i = 0; i < big_n; ++i) v += c[static_cast<size_t>(i)] * beta(x - static_cast<double>(i));
    out.push_back(std::clamp(v, lo, hi));
  }
  return out;
}

TEST(SeparateZ, DecisionHelpers) {
  EXPECT_FALSE(is_anisotropic({3, 1, 1}));
  EXPECT_TRUE(is_anisotropic({3.0001, 1, 1}));
  EXPECT_EQ(lowres_axes({3, 3, 1}), (std::vector<int>{0, 1}));
  EXPECT_FALSE(is_anisotropic({3, 3, 1}));
  EXPECT_EQ(lowres_axes({0.24, 1.25, 1.25}), (std::vector<int>{1, 2}));
  EXPECT_TRUE(is_anisotropic({0.24, 1.25, 1.25}));
  EXPECT_EQ(separate_z_axis({0.24, 1.25, 1.25}, {0.24, 1.25, 1.25}), std::nullopt);
  EXPECT_EQ(separate_z_axis({4, 1, 1}, {2, 1, 1}), std::optional<int>(0));
  EXPECT_EQ(separate_z_axis({1, 1, 1}, {1, 4, 1}), std::optional<int>(1));  // from the target spacing
  EXPECT_EQ(separate_z_axis({1, 1, 1}, {2, 1, 1}), std::nullopt);
  EXPECT_EQ(separate_z_axis({1, 1, 3}, {1, 1, 3}), std::nullopt);  // ratio exactly 3
  EXPECT_EQ(separate_z_axis({4, 1, 1}, {2, 1, 1}, false), std::nullopt);
  EXPECT_EQ(separate_z_axis({1, 1, 2}, {1, 1, 1}, true), std::optional<int>(2));
}

TEST(NewShape, RoundsHalfToEvenAndRejectsEmptyAxes) {
  EXPECT_EQ(compute_new_shape({1, 1, 5}, {1, 1, 1}, {1, 1, 2}), (std::array<int64_t, 3>{1, 1, 2}));
  EXPECT_EQ(compute_new_shape({1, 1, 7}, {1, 1, 1}, {1, 1, 2}), (std::array<int64_t, 3>{1, 1, 4}));
  EXPECT_EQ(compute_new_shape({3, 2, 2}, {3.5, 1, 1}, {1.5, 1, 1}), (std::array<int64_t, 3>{7, 2, 2}));
  try {
    compute_new_shape({1, 4, 4}, {1, 1, 1}, {3, 1, 1}, "case_3");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "case_3");
    EXPECT_NE(std::string(e.what()).find("target spacing 3"), std::string::npos) << e.what();
  }
}

TEST(ResampleData, SpecVectors1D) {
  expect_near(resampled(make({1, 1, 1, 4}, {0, 10, 20, 30}), {1, 1, 1}, {1, 1, 0.5}).values,
              {0.0, 1.7644284, 7.1322141, 12.5919466, 17.4080544, 22.8677864, 28.2355709, 30.0});
  const Array4f spike = make({1, 1, 1, 5}, {0, 0, 100, 0, 0});
  expect_near(resampled(spike, {1, 1, 1}, {1, 1, 0.5}).values,
              {3.2994590, 0, 0, 26.9291058, 88.1430359, 88.1430359, 26.9291058, 0, 0, 3.2994590});
  expect_near(resampled(spike, {1, 1, 1}, {1, 1, 2}).values, {0.0, 0.0});
  expect_near(resampled(make({1, 1, 1, 7}, {0, 10, 20, 30, 40, 50, 60}), {1, 1, 1}, {1, 1, 2}).values,
              {2.8989489, 21.2105465, 38.7894516, 57.1010513});
}

TEST(ResampleData, SpecVectorsSeparateZ) {
  Array4f two(std::array<int64_t, 4>{1, 2, 3, 3}, 1.0f);
  for (int i = 9; i < 18; ++i) two.values[static_cast<size_t>(i)] = 5.0f;
  Array4f sep = resampled(two, {4, 1, 1}, {2, 1, 1});
  EXPECT_EQ(sep.shape, (std::array<int64_t, 4>{1, 4, 3, 3}));
  expect_near(z_profile(sep, 1, 1), {1, 1, 5, 5});
  expect_near(z_profile(resampled(two, {4, 1, 1}, {2, 1, 1}, false, false), 2, 0), {1.0, 1.8627405, 4.1372595, 5.0});

  Array4f slices({1, 8, 2, 2});
  for (int64_t i = 0; i < 32; ++i) slices.values[static_cast<size_t>(i)] = static_cast<float>(i / 4);
  Array4f coarse = resampled(slices, {1, 1, 1}, {4, 1, 1});
  EXPECT_EQ(coarse.shape, (std::array<int64_t, 4>{1, 2, 2, 2}));
  expect_near(z_profile(coarse, 0, 1), {2, 6});
  Array4f cubic = resampled(slices, {1, 1, 1}, {2, 1, 1});
  EXPECT_EQ(cubic.shape, (std::array<int64_t, 4>{1, 4, 2, 2}));
  expect_near(z_profile(cubic, 1, 0), {0.4207825, 2.4947188, 4.5052810, 6.5792174});

  Array4f three = make({1, 3, 2, 2}, {10, 10, 10, 10, 20, 20, 20, 20, 30, 30, 30, 30});
  expect_near(z_profile(resampled(three, {3.5, 1, 1}, {1.5, 1, 1}), 1, 1), {10, 10, 20, 20, 20, 30, 30});
}

TEST(ResampleData, SpecVectorsInPlane) {
  const std::vector<double> slice0{0,         0.0214542, 0.5900840, 0.9028845, 0.3342548, 0.6470553,
                                   1.2156851, 1.5284857, 1.4715143, 1.7843149, 2.3529446, 2.6657453,
                                   2.0971155, 2.4099162, 2.9785460, 3.0};
  std::vector<double> both = slice0;
  for (double v : slice0) both.push_back(v + 4);
  Array4f sep = resampled(iota({1, 2, 2, 2}), {4, 1, 1}, {4, 0.5, 0.5});
  EXPECT_EQ(sep.shape, (std::array<int64_t, 4>{1, 2, 4, 4}));
  expect_near(sep.values, both);  // per-slice clipping: slice 0 ends at 3, slice 1 starts at 4

  std::vector<double> whole = both;
  whole[15] = 3.2913463;
  whole[16] = 3.7086537;
  expect_near(resampled(iota({1, 2, 2, 2}), {1, 1, 1}, {1, 0.5, 0.5}).values, whole);

  Array4f up = resampled(iota({1, 2, 2, 2}), {1, 1, 1}, {0.5, 0.5, 0.5});
  EXPECT_EQ(up.shape, (std::array<int64_t, 4>{1, 4, 4, 4}));
  auto row = [&](int64_t z, int64_t y) {
    return std::vector<float>(up.values.begin() + up.index(0, z, y, 0), up.values.begin() + up.index(0, z, y, 4));
  };
  expect_near(row(0, 0), {0, 0, 0.2016220, 0.5144227});
  expect_near(row(3, 3), {6.4855776, 6.7983780, 7, 7});
  expect_near(row(1, 1), {1.1969953, 1.5097958, 2.0784256, 2.3912263});
}

TEST(ResampleSeg, SpecVectors) {
  expect_near(resampled(make({1, 1, 1, 4}, {0, 1, 1, 2}), {1, 1, 1}, {1, 1, 0.5}, true).values,
              {0, 0, 1, 1, 1, 1, 2, 2}, 0);
  const Array4f labels = make({1, 1, 1, 6}, {-1, -1, 0, 1, 1, 3});
  expect_near(resampled(labels, {1, 1, 1}, {1, 1, 0.75}, true).values, {-1, -1, -1, 0, 1, 1, 1, 3}, 0);
  expect_near(resampled(labels, {1, 1, 1}, {1, 1, 2}, true).values, {-1, 1, 3}, 0);

  std::vector<float> out(9);
  const std::vector<float> tie{1, 2, 3, -1};
  resize_segmentation(tie.data(), {1, 2, 2}, out.data(), {1, 3, 3});
  expect_near(out, {1, 2, 2, 3, 0, 2, 3, 3, -1}, 0);
  const std::vector<float> diagonal{0, 1, 1, 0};
  resize_segmentation(diagonal.data(), {1, 2, 2}, out.data(), {1, 3, 3});
  expect_near(out, {0, 1, 1, 1, 1, 1, 1, 1, 0}, 0);

  Array4f centre({1, 2, 3, 3});
  centre.at(0, 1, 1, 1) = 1.0f;
  expect_near(z_profile(resampled(centre, {4, 1, 1}, {2, 1, 1}, true), 1, 1), {0, 0, 1, 1}, 0);
}

TEST(ResampleData, MatchesLinearSystemSplineReference) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> dist(-50, 50);
  const std::vector<std::pair<std::vector<double>, int64_t>> cases = {
      {{3, -1, 4, 1}, 7}, {{0, 10, 20, 30}, 7}, {{2.5}, 3}, {{}, 5}, {{}, 13}, {{}, 2}};
  for (auto [f, m] : cases) {
    if (f.empty()) {
      for (int i = 0; i < 9; ++i) f.push_back(dist(gen));
    }
    std::vector<float> in(f.begin(), f.end()), out(static_cast<size_t>(m));
    resize_cubic(in.data(), {1, 1, static_cast<int64_t>(f.size())}, out.data(), {1, 1, m});
    std::vector<double> f32(in.begin(), in.end());
    expect_near(out, reference_cubic(f32, m), 1e-4);
  }
}

TEST(ResampleData, ConstantStaysConstantAndIdentityKeepsBits) {
  Array4f constant(std::array<int64_t, 4>{2, 5, 6, 7}, 3.25f);
  for (const auto& target : {std::array<double, 3>{0.7, 1.3, 0.9}, std::array<double, 3>{4, 1.3, 0.9}}) {
    Array4f r = resampled(constant, {1, 1, 1}, target);
    for (float v : r.values) EXPECT_EQ(v, 3.25f);
  }
  Array4f random({1, 10, 10, 10});
  std::mt19937 gen(3);
  std::normal_distribution<float> dist;
  for (float& v : random.values) v = dist(gen);
  Array4f same = resampled(random, {1, 1, 1}, {1.01, 0.99, 1.02});  // 10 * 0.99... rounds back to 10
  EXPECT_EQ(same.values, random.values);
}

TEST(ResampleData, ThreadsGiveIdenticalResults) {
  Array4f random({2, 9, 70, 33});
  std::mt19937 gen(5);
  std::normal_distribution<float> dist;
  for (float& v : random.values) v = dist(gen);
  Array4f seg({1, 9, 70, 33});
  for (float& v : seg.values) v = static_cast<float>(gen() % 4) - 1.0f;
  for (const auto& target : {std::array<double, 3>{0.8, 1.3, 0.7}, std::array<double, 3>{4, 0.9, 1.1}}) {
    Array4f d1 = random, d2 = random, s1 = seg, s2 = seg;
    ResampleOptions one, two;
    two.threads = 2;
    resample_patient(&d1, &s1, {1, 1, 1}, target, one);
    resample_patient(&d2, &s2, {1, 1, 1}, target, two);
    EXPECT_EQ(d1.values, d2.values);
    EXPECT_EQ(s1.values, s2.values);
    EXPECT_EQ(d1.spatial(), s1.spatial());
  }
}

}  // namespace
}  // namespace nnseg
