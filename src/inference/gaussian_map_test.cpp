// Tests for the Gaussian importance map and the weight accumulator: spec/inference.md §11 vectors I1 and I3, and
// the §10 pitfalls (centre floor(P/2), max 1, min clamp, no Gaussian for one tile, Gaussian in the denominator).
#include "inference/gaussian_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace nnseg {
namespace {

const Shape kPatch{128, 128, 128};

int64_t index3(const Shape& shape, int64_t z, int64_t y, int64_t x) { return (z * shape[1] + y) * shape[2] + x; }

// One map for the 128^3 tests (8 MB; computed once).
const std::vector<float>& map128() {
  static const std::vector<float> map = gaussian_importance_map(kPatch);
  return map;
}

float g128(int64_t z, int64_t y, int64_t x) { return map128()[static_cast<size_t>(index3(kPatch, z, y, x))]; }

TEST(GaussianMap, I1PointValues) {
  ASSERT_EQ(map128().size(), 2097152u);
  EXPECT_EQ(g128(64, 64, 64), 1.0f);
  EXPECT_EQ(*std::max_element(map128().begin(), map128().end()), 1.0f);
  EXPECT_EQ(std::max_element(map128().begin(), map128().end()) - map128().begin(), index3(kPatch, 64, 64, 64));
  EXPECT_EQ(g128(0, 0, 0), static_cast<float>(3.775134371775124e-11));
  EXPECT_EQ(g128(63, 63, 63), static_cast<float>(0.9941577315330505));
  EXPECT_EQ(g128(127, 127, 127), static_cast<float>(7.945268748477119e-11));
  EXPECT_EQ(g128(0, 64, 64), static_cast<float>(0.000335462624207139));
  EXPECT_EQ(g128(64, 64, 0), static_cast<float>(0.000335462624207139));
  EXPECT_EQ(g128(127, 64, 64), static_cast<float>(0.00042990208021365106));
  EXPECT_EQ(g128(32, 64, 64), static_cast<float>(0.1353352814912796));
  EXPECT_EQ(g128(96, 64, 64), static_cast<float>(0.1353352814912796));
  const double profile[] = {0.96923321, 0.98257548, 0.99221796, 0.99804878, 1.0,
                            0.99804878, 0.99221796, 0.98257548, 0.96923321};
  for (int64_t z = 60; z <= 68; ++z) EXPECT_NEAR(g128(z, 64, 64), profile[z - 60], 5e-9) << "z " << z;
}

TEST(GaussianMap, I1MinimumSumAndMean) {
  const std::vector<float>& g = map128();
  const auto min_it = std::min_element(g.begin(), g.end());
  EXPECT_EQ(min_it - g.begin(), 0);
  EXPECT_EQ(*min_it, static_cast<float>(3.775134371775124e-11));
  EXPECT_EQ(std::count(g.begin(), g.end(), *min_it), 1);
  double sum = 0.0;
  for (float v : g) sum += v;
  EXPECT_NEAR(sum, 64498.076946603105, 1e-7);
  EXPECT_NEAR(sum / static_cast<double>(g.size()), 0.030755079720784714, 1e-12);
}

TEST(GaussianMap, I1MatchesClosedForm) {
  // G(i) = exp(-sum_d (i_d - 64)^2 / 512) up to float rounding; nothing is truncated for 128^3.
  double worst = 0.0;
  for (int64_t z = 0; z < 128; ++z) {
    for (int64_t y = 0; y < 128; ++y) {
      for (int64_t x = 0; x < 128; ++x) {
        const double r2 = static_cast<double>((z - 64) * (z - 64) + (y - 64) * (y - 64) + (x - 64) * (x - 64));
        const double want = std::exp(-r2 / 512.0);
        worst = std::max(worst, std::abs(g128(z, y, x) - want) / want);
      }
    }
  }
  EXPECT_LT(worst, 2e-7);
}

TEST(GaussianMap, I1Float16Underflow) {
  // As float16 (all_in_gpu), values below half the smallest subnormal 2^-24 round to 0 (a tie goes to even, 0).
  const double half_min = std::ldexp(1.0, -25);
  const auto zeros = std::count_if(map128().begin(), map128().end(), [&](float v) { return v <= half_min; });
  EXPECT_EQ(zeros, 37819);
}

TEST(GaussianMap, SameMinimumForOtherEvenPatches) {
  for (const Shape& patch : {Shape{64, 192, 160}, Shape{96, 96, 96}, Shape{8, 8, 8}}) {
    const std::vector<float> g = gaussian_importance_map(patch);
    ASSERT_EQ(static_cast<int64_t>(g.size()), shape_volume(patch));
    EXPECT_EQ(*std::min_element(g.begin(), g.end()), g[0]);
    EXPECT_NEAR(g[0], 3.775134371775124e-11, 1e-16);
    EXPECT_EQ(g[static_cast<size_t>(index3(patch, patch[0] / 2, patch[1] / 2, patch[2] / 2))], 1.0f);
  }
}

TEST(GaussianMap, OddPatchCornersAndCentre) {
  // 5^3: sigma 0.625, centre 2 (floor(5/2)), radius int(2.5 + 0.5) = 3 reaches every voxel.
  const Shape p{5, 5, 5};
  const std::vector<float> g = gaussian_importance_map(p);
  EXPECT_EQ(g[static_cast<size_t>(index3(p, 2, 2, 2))], 1.0f);
  const float m = *std::min_element(g.begin(), g.end());
  EXPECT_NEAR(m, 2.1342e-07, 1e-11);
  EXPECT_NEAR(m, std::exp(-15.36), 1e-13);
  EXPECT_EQ(std::count(g.begin(), g.end(), m), 8);
  for (int64_t z : {0, 4}) {
    for (int64_t y : {0, 4}) {
      for (int64_t x : {0, 4}) EXPECT_EQ(g[static_cast<size_t>(index3(p, z, y, x))], m);
    }
  }
  // Even size 4: centre at floor(4/2) = 2, not 1.5, so the map is not symmetric.
  const std::vector<float> e = gaussian_importance_map({4});
  EXPECT_EQ(e[2], 1.0f);
  EXPECT_LT(e[0], e[3]);
  EXPECT_EQ(e[1], e[3]);
}

TEST(GaussianMap, ClampReplacesTruncatedZerosBySmallestNonZero) {
  // sigma = 64/16 = 4: radius int(16.5) = 16 around centre 32, so voxels farther than 16 on some axis are exactly
  // 0 after filtering and get the smallest non-zero value, exp(-8)^3 at distance 16 on every axis.
  const Shape p{64, 64, 64};
  const std::vector<float> g = gaussian_importance_map(p, 1.0 / 16.0);
  const float smallest = g[static_cast<size_t>(index3(p, 16, 16, 16))];
  EXPECT_NEAR(smallest, 3.775134371775124e-11, 1e-16);
  EXPECT_EQ(std::count(g.begin(), g.end(), 0.0f), 0);
  EXPECT_EQ(*std::min_element(g.begin(), g.end()), smallest);
  EXPECT_EQ(g[0], smallest);
  EXPECT_EQ(g[static_cast<size_t>(index3(p, 15, 32, 32))], smallest);  // distance 17 on z only
  EXPECT_GT(g[static_cast<size_t>(index3(p, 16, 32, 32))], 3e-4f);     // distance 16: inside, exp(-8)
  EXPECT_EQ(g[static_cast<size_t>(index3(p, 32, 32, 32))], 1.0f);
}

TEST(GaussianMap, TwoDimensionalPatch) {
  const Shape p{64, 48};
  const std::vector<float> g = gaussian_importance_map(p);
  ASSERT_EQ(g.size(), 64u * 48u);
  EXPECT_EQ(g[32 * 48 + 24], 1.0f);
  // sigma (8, 6): G(0, 0) = exp(-32^2/128 - 24^2/72) = exp(-16).
  EXPECT_NEAR(g[0], std::exp(-16.0), 1e-13);
  EXPECT_NEAR(g[40 * 48 + 24], std::exp(-64.0 / 128.0), 1e-7);
}

TEST(GaussianMap, RejectsBadInput) {
  try {
    gaussian_importance_map({4, 4, 4, 4});
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "patch_size");
    EXPECT_NE(std::string(e.what()).find("4 axes"), std::string::npos);
  }
  try {
    gaussian_importance_map({8, 0});
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("size 0"), std::string::npos);
  }
  try {
    gaussian_importance_map({8}, -0.5);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "sigma_scale");
    EXPECT_NE(std::string(e.what()).find("-0.5"), std::string::npos);
  }
}

TEST(TileWeights, OnesForOneTileGaussianOtherwise) {
  const std::vector<float> one = tile_weights(plan_sliding_window({100, 128, 90}, {16, 128, 16}, 0.5), {16, 128, 16});
  // 100 > 16 on z: several tiles, so the Gaussian.
  EXPECT_EQ(one, gaussian_importance_map({16, 128, 16}));
  const Shape p{16, 16, 16};
  const std::vector<float> ones = tile_weights(plan_sliding_window({16, 10, 16}, p, 0.5), p);
  EXPECT_EQ(ones, std::vector<float>(4096, 1.0f));
}

TEST(AccumulateWeights, I3) {
  const SlidingWindowGeometry geo = plan_sliding_window({139, 170, 138}, kPatch, 0.5);
  ASSERT_EQ(geo.tiles.size(), 8u);
  ASSERT_TRUE(geo.use_gaussian());
  const Shape& s = geo.padding.padded_shape;
  ASSERT_EQ(s, (Shape{139, 170, 138}));
  const std::vector<float> w = accumulate_weights(s, kPatch, geo.tiles, map128());
  ASSERT_EQ(static_cast<int64_t>(w.size()), shape_volume(s));
  auto at = [&](int64_t z, int64_t y, int64_t x) { return w[static_cast<size_t>(index3(s, z, y, x))]; };
  EXPECT_EQ(at(0, 0, 0), static_cast<float>(3.775134371775124e-11));
  EXPECT_EQ(at(138, 169, 137), static_cast<float>(7.945268748477119e-11));
  EXPECT_EQ(at(64, 64, 64), static_cast<float>(3.365567922592163));
  EXPECT_EQ(at(75, 106, 74), static_cast<float>(3.365567922592163));
  EXPECT_EQ(at(69, 85, 69), static_cast<float>(3.0336685180664062));
  const auto min_it = std::min_element(w.begin(), w.end());
  EXPECT_EQ(min_it - w.begin(), 0);
  EXPECT_NEAR(*min_it, 3.775e-11, 1e-14);
}

TEST(AccumulateWeights, CountsWithOnesAndGaussianInTheDenominator) {
  // 129^3 with patch 128: 8 tiles at {0, 1} per axis; with ones the weight is the number of covering tiles.
  const Shape p{128, 128, 128};
  const SlidingWindowGeometry geo = plan_sliding_window({129, 129, 129}, p, 0.5);
  const Shape& s = geo.padding.padded_shape;
  const std::vector<float> ones(static_cast<size_t>(shape_volume(p)), 1.0f);
  const std::vector<float> count = accumulate_weights(s, p, geo.tiles, ones);
  EXPECT_EQ(count[static_cast<size_t>(index3(s, 0, 0, 0))], 1.0f);
  EXPECT_EQ(count[static_cast<size_t>(index3(s, 64, 64, 64))], 8.0f);
  EXPECT_EQ(count[static_cast<size_t>(index3(s, 128, 64, 0))], 2.0f);
  EXPECT_EQ(count[static_cast<size_t>(index3(s, 128, 128, 128))], 1.0f);
  // With the Gaussian, the corner voxel (0, 0, 0) is covered only by tile (0, 0, 0) at its corner.
  const std::vector<float> g = accumulate_weights(s, p, geo.tiles, map128());
  EXPECT_EQ(g[0], g128(0, 0, 0));
  EXPECT_EQ(g[static_cast<size_t>(index3(s, 128, 128, 128))], g128(127, 127, 127));
}

TEST(AccumulateWeights, I5ConstantPredictionSurvivesTheWeightedMean) {
  // A tile contribution G * p accumulated and divided by the accumulated G gives back p (weights cancel).
  const SlidingWindowGeometry geo = plan_sliding_window({139, 170, 138}, kPatch, 0.5);
  const float p = 0.3f;
  std::vector<float> contribution = map128();
  for (float& v : contribution) v *= p;
  const std::vector<float> sum = accumulate_weights(geo.padding.padded_shape, kPatch, geo.tiles, contribution);
  const std::vector<float> weight = accumulate_weights(geo.padding.padded_shape, kPatch, geo.tiles, map128());
  float worst = 0.0f;
  for (size_t i = 0; i < sum.size(); ++i) worst = std::max(worst, std::abs(sum[i] / weight[i] - p));
  EXPECT_LT(worst, 1e-6f);
}

TEST(AccumulateWeights, TwoDimensionalAndMismatch) {
  const std::vector<float> w = accumulate_weights({3, 5}, {3, 3}, {{0, 0}, {0, 2}}, std::vector<float>(9, 1.0f));
  EXPECT_EQ(w, (std::vector<float>{1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1}));
  EXPECT_THROW(accumulate_weights({3, 5}, {3}, {{0}}, std::vector<float>(3, 1.0f)), InputError);
}

}  // namespace
}  // namespace nnseg
