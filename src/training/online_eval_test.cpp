// Online evaluation and the pseudo-Dice EMA against spec/training.md §5 and test vector T6.
#include "training/online_eval.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace nnseg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// T3's logits [2, 3, 1, 2, 2] and target [2, 1, 1, 2, 2].
torch::Tensor t3_logits() {
  const std::vector<float> v{2.0f, 0.5f, -1.0f, 0.0f, 0.0f, 1.5f, 0.5f, -0.5f, -1.0f, 0.0f, 2.0f, 1.0f,
                             1.0f, 1.0f, 0.0f,  3.0f, 0.5f, -1.f, 0.0f, 0.0f,  0.0f,  0.0f, 1.0f, -2.0f};
  return torch::tensor(v).reshape({2, 3, 1, 2, 2});
}
torch::Tensor t3_target() { return torch::tensor({0.f, 1.f, 2.f, 2.f, 0.f, 0.f, 1.f, 0.f}).reshape({2, 1, 1, 2, 2}); }

TEST(OnlineEval, TestVectorT6Counts) {
  const OnlineCounts c = online_counts(t3_logits(), t3_target());
  EXPECT_EQ(c.tp, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(c.fp, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(c.fn, (std::vector<int64_t>{1, 0}));
  const std::vector<double> d = global_dice(c);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_NEAR(d[0], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(d[1], 0.8, 1e-12);
  EXPECT_NEAR(pseudo_dice_metric(d), 0.7333333333333333, 1e-12);
}

TEST(OnlineEval, TargetWithoutChannelAxisAndHalfLogits) {
  const OnlineCounts c = online_counts(t3_logits().to(torch::kHalf), t3_target().select(1, 0).to(torch::kLong));
  EXPECT_EQ(c.tp, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(c.fn, (std::vector<int64_t>{1, 0}));
}

TEST(OnlineEval, EpochSumsBatchesBeforeTheDiceAndClears) {
  OnlineEvaluation eval;
  eval.add({{1, 0}, {0, 0}, {1, 0}});  // class 1: Dice 2/3 alone; class 2: nothing anywhere
  eval.add({{3, 0}, {2, 0}, {0, 0}});  // class 1: Dice 6/8 alone
  const std::vector<double> d = eval.finish_epoch();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_NEAR(d[0], 8.0 / 11.0, 1e-12);  // global 2*4 / (2*4 + 2 + 1), not the mean of the batch Dice values
  EXPECT_TRUE(std::isnan(d[1]));
  EXPECT_NEAR(pseudo_dice_metric(d), 8.0 / 11.0, 1e-12);  // NaN class dropped
  EXPECT_TRUE(eval.empty());
  EXPECT_TRUE(eval.finish_epoch().empty());
}

TEST(OnlineEval, AllNaNMetricIsNaN) {
  EXPECT_TRUE(std::isnan(pseudo_dice_metric({kNaN, kNaN})));
  EXPECT_TRUE(std::isnan(pseudo_dice_metric({})));
}

TEST(PseudoDiceEmaTest, TestVectorT6Improving) {
  PseudoDiceEma ema;
  const double metrics[] = {0.5, 0.6, 0.7, 0.65};
  const double want_ma[] = {0.5, 0.51, 0.529, 0.5411};
  const bool want_save[] = {false, true, true, true};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ema.update(metrics[i]), want_save[i]) << "epoch " << i;
    EXPECT_NEAR(*ema.ema(), want_ma[i], 1e-12) << "epoch " << i;
    EXPECT_NEAR(*ema.best(), want_ma[i], 1e-12) << "epoch " << i;
  }
}

TEST(PseudoDiceEmaTest, TestVectorT6NeverSaved) {
  PseudoDiceEma ema;
  EXPECT_FALSE(ema.update(0.5));
  EXPECT_FALSE(ema.update(0.3));
  EXPECT_NEAR(*ema.ema(), 0.48, 1e-12);
  EXPECT_NEAR(*ema.best(), 0.5, 1e-12);
}

TEST(PseudoDiceEmaTest, StrictlyGreaterSaves) {
  PseudoDiceEma ema;
  EXPECT_FALSE(ema.update(0.5));
  EXPECT_FALSE(ema.update(0.5));  // equal EMA: no save (§12.11)
}

TEST(PseudoDiceEmaTest, NaNLeavesEmaAndBestAlone) {
  PseudoDiceEma ema;
  EXPECT_FALSE(ema.update(kNaN));  // first NaN: nothing initialised
  EXPECT_FALSE(ema.ema().has_value());
  EXPECT_FALSE(ema.update(0.5));  // first real metric initialises both
  EXPECT_FALSE(ema.update(kNaN));
  EXPECT_DOUBLE_EQ(*ema.ema(), 0.5);
  EXPECT_TRUE(ema.update(0.6));  // 0.51 > 0.5
  EXPECT_NEAR(*ema.ema(), 0.51, 1e-12);
}

TEST(PseudoDiceEmaTest, ContinueRestartsTheEmaButKeepsBest) {
  // §8.3: after --continue the EMA restarts at the first resumed metric and is compared with the stored best.
  PseudoDiceEma resumed(0.6);
  EXPECT_FALSE(resumed.update(0.55));  // EMA 0.55 < best 0.6
  EXPECT_NEAR(*resumed.best(), 0.6, 1e-12);
  PseudoDiceEma resumed2(0.6);
  EXPECT_TRUE(resumed2.update(0.7));  // EMA 0.7 > 0.6: saves at once
  EXPECT_NEAR(*resumed2.best(), 0.7, 1e-12);
}

}  // namespace
}  // namespace nnseg
