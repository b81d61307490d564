// The ranking scheme nnU-Net's BraTS 2020 scripts use to compare variants (spec/evaluation.md §5.1): per case and
// metric, experiments ranked by score ("min" ties), ranks averaged over cases, then over the six metrics, then
// ranked again. Used to choose models and the enhancing-tumour threshold.
#pragma once

#include <array>
#include <vector>

namespace nnseg {

// HD95 scores are kBratsRankingCap - HD95 (larger is better).
constexpr double kBratsRankingCap = 373.129;

// One case of one experiment: Dice and HD95 for WT, TC, ET.
struct BratsCaseScores {
  std::array<double, 3> dice{0, 0, 0};  // WT, TC, ET
  std::array<double, 3> hd95{0, 0, 0};  // mm; WT, TC, ET; must lie in [0, kBratsRankingCap]
};

struct BratsRanking {
  // [experiment][metric]: mean rank over cases; metrics Dice WT, TC, ET, then HD95 WT, TC, ET.
  std::vector<std::array<double, 6>> mean_rank_per_metric;
  std::vector<double> average_rank;  // [experiment]: mean of the six mean ranks
  std::vector<int> final_rank;       // [experiment]: 1 = best; ties share the lowest rank
};

// scores[experiment][case]; every experiment has the same number of cases (>= 1). Error when an HD95 lies outside
// [0, kBratsRankingCap] (nnU-Net asserts this).
BratsRanking rank_brats_experiments(const std::vector<std::vector<BratsCaseScores>>& scores);

// Ranks of `values` by descending value, ties getting the lowest shared rank (scipy rankdata "min" of -values).
std::vector<int> rank_descending_min(const std::vector<double>& values);

}  // namespace nnseg
