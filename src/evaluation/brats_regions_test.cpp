// BraTS regions, challenge-style Dice/HD95 and ranking: spec/evaluation.md §8 E6, E7, E8, E9 and §3's label maps.
#include "evaluation/brats_regions.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "evaluation/brats_ranking.h"
#include "evaluation/metrics.h"

namespace nnseg {
namespace {

using Shape = std::array<int64_t, 3>;
const Shape kShape{12, 12, 12};
const std::array<double, 3> kIso{1, 1, 1};

void fill(std::vector<int32_t>& v, Shape lo, Shape hi, int32_t label) {
  for (int64_t z = lo[0]; z < hi[0]; ++z)
    for (int64_t y = lo[1]; y < hi[1]; ++y)
      for (int64_t x = lo[2]; x < hi[2]; ++x) v[static_cast<size_t>((z * 12 + y) * 12 + x)] = label;
}

std::vector<int32_t> e6_reference() {
  std::vector<int32_t> v(12 * 12 * 12, 0);
  fill(v, {2, 2, 2}, {8, 8, 8}, 1);
  fill(v, {3, 3, 3}, {7, 7, 7}, 2);
  fill(v, {4, 4, 4}, {6, 6, 6}, 3);
  return v;
}

std::vector<int32_t> e6_prediction() {
  std::vector<int32_t> v(12 * 12 * 12, 0);
  fill(v, {2, 2, 3}, {8, 8, 9}, 1);
  fill(v, {3, 3, 3}, {7, 7, 7}, 2);
  fill(v, {4, 4, 4}, {6, 6, 6}, 3);
  v[(4 * 12 + 4) * 12 + 4] = 2;
  return v;
}

void replace(std::vector<int32_t>& v, int32_t from, int32_t to) {
  for (auto& x : v) x = x == from ? to : x;
}

struct Expected {
  std::array<double, 3> dice, hd95;
};

void expect_scores(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref, const Expected& e,
                   const std::string& what) {
  for (size_t r = 0; r < 3; ++r) {
    const RegionScore s = evaluate_brats_region(pred, ref, kShape, kIso, kBratsRegions[r]);
    EXPECT_NEAR(s.dice, e.dice[r], 1e-15) << what << " Dice " << to_string(kBratsRegions[r]);
    EXPECT_NEAR(s.hd95, e.hd95[r], 1e-12) << what << " HD95 " << to_string(kBratsRegions[r]);
  }
}

TEST(BratsRegionsTest, E6AsGiven) {
  expect_scores(e6_prediction(), e6_reference(),
                {{0.8333333333333334, 1.0, 0.9333333333333333}, {1.0, 0.0, 0.29999999999999893}}, "as given");
  // The interpolated ET value is bit-identical to numpy's.
  EXPECT_EQ(evaluate_brats_region(e6_prediction(), e6_reference(), kShape, kIso, BratsRegion::kEnhancingTumour).hd95,
            0.29999999999999893);
}

TEST(BratsRegionsTest, E6BothEtEmptyGivesDiceOneHd95Zero) {
  auto pred = e6_prediction(), ref = e6_reference();
  replace(pred, 3, 2);
  replace(ref, 3, 2);
  expect_scores(pred, ref, {{0.8333333333333334, 1.0, 1.0}, {1.0, 0.0, 0.0}}, "both ET empty");
}

TEST(BratsRegionsTest, E6ReferenceEtEmptyGivesDiceZeroHd95Cap) {
  auto ref = e6_reference();
  replace(ref, 3, 2);
  expect_scores(e6_prediction(), ref, {{0.8333333333333334, 1.0, 0.0}, {1.0, 0.0, 373.12866}}, "reference ET empty");
}

TEST(BratsRegionsTest, E6EmptyPredictionGivesZeroAndCap) {
  const std::vector<int32_t> empty(12 * 12 * 12, 0);
  expect_scores(empty, e6_reference(), {{0.0, 0.0, 0.0}, {373.12866, 373.12866, 373.12866}}, "prediction empty");
}

TEST(BratsRegionsTest, E6CapDoesNotDependOnSpacing) {
  const std::vector<int32_t> empty(12 * 12 * 12, 0);
  const RegionScore s =
      evaluate_brats_region(empty, e6_reference(), kShape, {3.0, 0.5, 0.5}, BratsRegion::kWholeTumour);
  EXPECT_EQ(s.hd95, kBratsEmptyHd95);
  // With real distances the spacing applies: WT differs by one voxel along x (spacing 0.5 mm) -> 0.5.
  EXPECT_NEAR(
      evaluate_brats_region(e6_prediction(), e6_reference(), kShape, {3.0, 0.5, 0.5}, BratsRegion::kWholeTumour).hd95,
      0.5, 1e-12);
}

TEST(BratsRegionsTest, E7RegionDiceOfTheRegionEvaluation) {
  const std::vector<int32_t> ref{0, 1, 1, 2, 3, 0, 0, 2}, pred{0, 1, 2, 2, 0, 0, 1, 2};
  const Shape shape{1, 2, 4};
  EXPECT_DOUBLE_EQ(evaluate_brats_region(pred, ref, shape, kIso, BratsRegion::kWholeTumour).dice, 0.8);
  EXPECT_DOUBLE_EQ(evaluate_brats_region(pred, ref, shape, kIso, BratsRegion::kTumourCore).dice, 0.6666666666666666);
  EXPECT_EQ(evaluate_brats_region(pred, ref, shape, kIso, BratsRegion::kEnhancingTumour).dice, 0.0);
  // Neither has ET: nnU-Net's region evaluation gives NaN (the summary.json rule), the BraTS-style rule 1.
  auto ref_no_et = ref;
  replace(ref_no_et, 3, 2);
  const LabelConfusion confusion = LabelConfusion::count(pred, ref_no_et);
  EXPECT_TRUE(std::isnan(compute_label_metrics(confusion.counts_for({3})).dice));
  EXPECT_EQ(evaluate_brats_region(pred, ref_no_et, shape, kIso, BratsRegion::kEnhancingTumour).dice, 1.0);
}

TEST(BratsRegionsTest, E8RankingOfThreeExperiments) {
  auto scores = [](double d0, double d1, double h0, double h1) {
    BratsCaseScores c0, c1;
    c0.dice = {d0, d0, d0};
    c1.dice = {d1, d1, d1};
    c0.hd95 = {h0, h0, h0};
    c1.hd95 = {h1, h1, h1};
    return std::vector<BratsCaseScores>{c0, c1};
  };
  const BratsRanking r =
      rank_brats_experiments({scores(0.9, 0.8, 5, 10), scores(0.85, 0.8, 5, 20), scores(0.7, 0.95, 373.12866, 2)});
  const std::vector<double> expected{1.5, 2.0, 2.0};
  for (size_t e = 0; e < 3; ++e) {
    for (size_t m = 0; m < 6; ++m) EXPECT_DOUBLE_EQ(r.mean_rank_per_metric[e][m], expected[e]) << e << " " << m;
    EXPECT_DOUBLE_EQ(r.average_rank[e], expected[e]);
  }
  EXPECT_EQ(r.final_rank, (std::vector<int>{1, 2, 2}));
}

TEST(BratsRegionsTest, RankingRejectsHd95AboveTheCap) {
  BratsCaseScores c;
  c.hd95 = {400, 0, 0};
  EXPECT_THROW(rank_brats_experiments({{c}}), Error);
  EXPECT_EQ(rank_descending_min({0.5, 0.9, 0.5, 0.1}), (std::vector<int>{2, 1, 2, 4}));
}

TEST(BratsRegionsTest, E9Constants) {
  EXPECT_EQ(kBratsEmptyHd95, 373.12866);
  EXPECT_NEAR(kBratsEmptyHd95 * kBratsEmptyHd95, 139224.9969, 1e-4);
  const double diagonal = std::sqrt(240.0 * 240 + 240.0 * 240 + 155.0 * 155);
  EXPECT_DOUBLE_EQ(diagonal, 373.1286641361127);
  EXPECT_NEAR(diagonal, kBratsEmptyHd95, 1e-5);
}

TEST(BratsRegionsTest, RegionsInNnunetLabelSpace) {
  EXPECT_EQ(brats_region_labels(BratsRegion::kWholeTumour), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(brats_region_labels(BratsRegion::kTumourCore), (std::vector<int>{2, 3}));
  EXPECT_EQ(brats_region_labels(BratsRegion::kEnhancingTumour), (std::vector<int>{3}));
  for (BratsRegion r : kBratsRegions) {
    for (int label = 0; label <= 3; ++label) {
      const auto members = brats_region_labels(r);
      EXPECT_EQ(in_brats_region(r, label), std::find(members.begin(), members.end(), label) != members.end());
    }
  }
  EXPECT_EQ(to_string(BratsRegion::kTumourCore), "TC");
}

TEST(BratsRegionsTest, BratsLabelConversion) {
  std::vector<int32_t> v{0, 1, 2, 4, 4, 0};
  convert_brats_labels(v, "seg.nii.gz");
  EXPECT_EQ(v, (std::vector<int32_t>{0, 2, 1, 3, 3, 0}));
  std::vector<int32_t> bad{0, 1, 3};
  try {
    convert_brats_labels(bad, "/data/seg.nii.gz");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "/data/seg.nii.gz");
    EXPECT_NE(std::string(e.what()).find("value 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nnseg
