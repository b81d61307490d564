// Tests for intensity normalisation: spec/preprocessing.md §12.3 vectors and scheme names.
#include "preprocessing/normalize.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace nnseg {
namespace {

std::vector<float> normalized(std::vector<float> values, const std::vector<float>& seg, NormalizationScheme scheme,
                              bool mask, IntensityStats stats = {}) {
  normalize_channel(values.data(), seg.data(), static_cast<int64_t>(values.size()), scheme, mask, stats);
  return values;
}

void expect_near(const std::vector<float>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "at " << i;
}

const std::vector<float> kSeg{-1, 0, 0, 1, 2, -1};

IntensityStats ct_stats() {
  IntensityStats s;
  s.mean = 50;
  s.std = 100;
  s.percentile_00_5 = -100;
  s.percentile_99_5 = 1000;
  return s;
}

TEST(Normalize, SpecVectorNonCtWithMask) {
  expect_near(normalized({0, 2, 4, 6, 8, 0}, kSeg, NormalizationScheme::kNonCT, true),
              {0, -1.3416407, -0.4472136, 0.4472136, 1.3416407, 0});
}

TEST(Normalize, SpecVectorNonCtWithoutMask) {
  expect_near(normalized({0, 1, 1, 1, 1, 0}, kSeg, NormalizationScheme::kNonCT, false),
              {-1.4142137, 0.7071067, 0.7071067, 0.7071067, 0.7071067, -1.4142137});
}

TEST(Normalize, SpecVectorCt) {
  const std::vector<float> in{-1000, 0, 40, 80, 3000, 200};
  expect_near(normalized(in, kSeg, NormalizationScheme::kCT, false, ct_stats()), {-1.5, -0.5, -0.1, 0.3, 9.5, 1.5});
  expect_near(normalized(in, kSeg, NormalizationScheme::kCT, true, ct_stats()), {0, -0.5, -0.1, 0.3, 9.5, 0});
}

TEST(Normalize, SpecVectorConstantInsideMaskBecomesZero) {
  expect_near(normalized({0, 5, 5, 5, 0}, {-1, 0, 0, 0, -1}, NormalizationScheme::kNonCT, true), {0, 0, 0, 0, 0});
}

TEST(Normalize, NoNormLeavesValuesAndEmptyMaskGivesZeros) {
  expect_near(normalized({3, -2, 7}, {-1, 0, 1}, NormalizationScheme::kNoNorm, true), {3, -2, 7});
  expect_near(normalized({3, -2, 7}, {-1, -1, -1}, NormalizationScheme::kNonCT, true), {0, 0, 0});
}

TEST(Normalize, Ct2UsesCaseStatisticsInsideTheBounds) {
  // Bounds (-100, 1000): inside strictly are 0, 40, 80, 200 -> mean 80, population sd sqrt(5600).
  const std::vector<float> in{-1000, 0, 40, 80, 3000, 200};
  const double sd = std::sqrt(5600.0);
  expect_near(normalized(in, kSeg, NormalizationScheme::kCT2, false, ct_stats()),
              {-180 / sd, -80 / sd, -40 / sd, 0, 920 / sd, 120 / sd});
}

TEST(Normalize, WholeArrayPerChannel) {
  Array4f data({2, 1, 1, 6});
  const std::vector<float> c0{0, 2, 4, 6, 8, 0}, c1{-1000, 0, 40, 80, 3000, 200};
  std::copy(c0.begin(), c0.end(), data.channel(0));
  std::copy(c1.begin(), c1.end(), data.channel(1));
  Array4f seg({1, 1, 1, 6});
  seg.values = kSeg;
  normalize(data, seg, {NormalizationScheme::kNonCT, NormalizationScheme::kCT}, {true, false},
            {IntensityStats{}, ct_stats()});
  expect_near(std::vector<float>(data.channel(0), data.channel(0) + 6),
              {0, -1.3416407, -0.4472136, 0.4472136, 1.3416407, 0});
  expect_near(std::vector<float>(data.channel(1), data.channel(1) + 6), {-1.5, -0.5, -0.1, 0.3, 9.5, 1.5});
}

TEST(NormalizationScheme, ParsesV1AndV2Names) {
  EXPECT_EQ(parse_normalization_scheme("ZScoreNormalization", "p"), NormalizationScheme::kNonCT);
  EXPECT_EQ(parse_normalization_scheme("nonCT", "p"), NormalizationScheme::kNonCT);
  EXPECT_EQ(parse_normalization_scheme("CTNormalization", "p"), NormalizationScheme::kCT);
  EXPECT_EQ(parse_normalization_scheme("CT", "p"), NormalizationScheme::kCT);
  EXPECT_EQ(parse_normalization_scheme("CT2", "p"), NormalizationScheme::kCT2);
  EXPECT_EQ(parse_normalization_scheme("NoNormalization", "p"), NormalizationScheme::kNoNorm);
  EXPECT_EQ(parse_normalization_scheme("noNorm", "p"), NormalizationScheme::kNoNorm);
  for (auto s : {NormalizationScheme::kCT, NormalizationScheme::kCT2, NormalizationScheme::kNonCT,
                 NormalizationScheme::kNoNorm}) {
    EXPECT_EQ(parse_normalization_scheme(to_string(s), "p"), s);
  }
  try {
    parse_normalization_scheme("RescaleTo01Normalization", "nnUNetPlans.json: normalization_schemes[1]");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "nnUNetPlans.json: normalization_schemes[1]");
    EXPECT_NE(std::string(e.what()).find("RescaleTo01Normalization"), std::string::npos);
  }
}

}  // namespace
}  // namespace nnseg
