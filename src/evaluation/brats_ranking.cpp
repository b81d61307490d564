// BraTS-style ranking of experiments (evaluation/brats_ranking.h, spec/evaluation.md §5.1).
#include "evaluation/brats_ranking.h"

#include <string>

#include "core/check.h"
#include "core/error.h"

namespace nnseg {

std::vector<int> rank_descending_min(const std::vector<double>& values) {
  std::vector<int> ranks(values.size(), 1);
  for (size_t i = 0; i < values.size(); ++i) {
    for (double other : values) {
      if (other > values[i]) ++ranks[i];
    }
  }
  return ranks;
}

BratsRanking rank_brats_experiments(const std::vector<std::vector<BratsCaseScores>>& scores) {
  NNSEG_CHECK(!scores.empty() && !scores[0].empty()) << "ranking needs at least one experiment and one case";
  const size_t num_experiments = scores.size(), num_cases = scores[0].size();
  for (const auto& e : scores) NNSEG_CHECK(e.size() == num_cases) << "experiments with different case counts";
  for (size_t e = 0; e < num_experiments; ++e) {
    for (size_t c = 0; c < num_cases; ++c) {
      for (double hd : scores[e][c].hd95) {
        if (!(hd >= 0 && hd <= kBratsRankingCap)) {
          throw Error("ranking", "HD95 " + std::to_string(hd) + " of experiment " + std::to_string(e) + ", case " +
                                     std::to_string(c) + " is outside [0, 373.129]");
        }
      }
    }
  }
  BratsRanking ranking;
  ranking.mean_rank_per_metric.assign(num_experiments, {0, 0, 0, 0, 0, 0});
  for (size_t metric = 0; metric < 6; ++metric) {
    for (size_t c = 0; c < num_cases; ++c) {
      std::vector<double> values(num_experiments);
      for (size_t e = 0; e < num_experiments; ++e) {
        const BratsCaseScores& s = scores[e][c];
        values[e] = metric < 3 ? s.dice[metric] : kBratsRankingCap - s.hd95[metric - 3];
      }
      const std::vector<int> ranks = rank_descending_min(values);
      for (size_t e = 0; e < num_experiments; ++e) ranking.mean_rank_per_metric[e][metric] += ranks[e];
    }
    for (size_t e = 0; e < num_experiments; ++e) {
      ranking.mean_rank_per_metric[e][metric] /= static_cast<double>(num_cases);
    }
  }
  std::vector<double> negated(num_experiments);
  for (size_t e = 0; e < num_experiments; ++e) {
    double sum = 0;
    for (double r : ranking.mean_rank_per_metric[e]) sum += r;
    ranking.average_rank.push_back(sum / 6.0);
    negated[e] = -ranking.average_rank.back();
  }
  ranking.final_rank = rank_descending_min(negated);
  return ranking;
}

}  // namespace nnseg
