// Deep-supervision weights, scales, nearest-neighbour targets and loss combination: spec/training.md T2, T4, T8
// and network.md N12.
#include "training/deep_supervision.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "training/dice_ce_loss.h"

namespace nnseg {
namespace {

TEST(DeepSupervision, WeightsT2N12) {
  const auto five = deep_supervision_weights(5);
  const std::vector<double> want5{0.5333333333333333, 0.26666666666666666, 0.13333333333333333, 0.06666666666666667,
                                  0.0};
  ASSERT_EQ(five.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(five[i], want5[i]) << i;
  EXPECT_DOUBLE_EQ(five[0], 8.0 / 15.0);
  EXPECT_EQ(five[4], 0.0);
  const auto six = deep_supervision_weights(6);
  const std::vector<double> want6{0.5161290322580645,  0.25806451612903225, 0.12903225806451613,
                                  0.06451612903225806, 0.03225806451612903, 0.0};
  for (size_t i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(six[i], want6[i]) << i;
  EXPECT_EQ(deep_supervision_weights(1), std::vector<double>{1.0});
  EXPECT_EQ(deep_supervision_weights(2), (std::vector<double>{1.0, 0.0}));
}

TEST(DeepSupervision, ScalesT2) {
  const auto s = deep_supervision_scales(std::vector<std::vector<int64_t>>(5, {2, 2, 2}));
  const std::vector<std::vector<double>> want{
      {1, 1, 1}, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25}, {0.125, 0.125, 0.125}, {0.0625, 0.0625, 0.0625}};
  EXPECT_EQ(s, want);
  const auto aniso = deep_supervision_scales({{1, 2, 2}, {2, 2, 2}, {2, 2, 1}});
  EXPECT_EQ(aniso, (std::vector<std::vector<double>>{{1, 1, 1}, {1, 0.5, 0.5}, {0.5, 0.25, 0.25}}));
}

TEST(DeepSupervision, NearestIndicesT8) {
  const std::vector<std::pair<int64_t, std::vector<int64_t>>> ramp{
      {64, {1, 3, 5, 7}}, {32, {2, 6, 10, 14}}, {16, {4, 12, 20, 28}}, {8, {8, 24, 40, 56}}};
  for (const auto& [out, first] : ramp) {
    const auto idx = nearest_source_indices(128, out);
    ASSERT_EQ(idx.size(), static_cast<size_t>(out));
    EXPECT_EQ(std::vector<int64_t>(idx.begin(), idx.begin() + 4), first) << "128 -> " << out;
  }
  EXPECT_EQ(nearest_source_indices(5, 2), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(nearest_source_indices(5, 3), (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(nearest_source_indices(4, 4), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(nearest_source_indices(3, 5), (std::vector<int64_t>{0, 0, 1, 2, 2}));
}

TEST(DeepSupervision, LabelVolumeT8) {
  const std::vector<float> v{0, 3, 1, 0, 3, 3, 3, 3, 1, 3, 1, 2, 0, 3, 2, 0, 0, 0, 2, 1, 2, 3,
                             3, 2, 0, 1, 1, 1, 1, 0, 1, 0, 3, 0, 3, 1, 2, 3, 3, 0, 2, 3, 0, 1,
                             3, 1, 3, 3, 2, 3, 0, 1, 1, 1, 3, 0, 3, 2, 0, 3, 3, 2, 3, 2};
  const auto labels = torch::tensor(v).reshape({1, 1, 4, 4, 4});
  const auto small = resize_labels_nearest(labels, {2, 2, 2});
  const auto want = torch::tensor(std::vector<float>{3, 2, 0, 0, 1, 0, 2, 2}).reshape({1, 1, 2, 2, 2});
  EXPECT_TRUE(torch::equal(small, want)) << small;
}

TEST(DeepSupervision, DownsampledTargetsPerScale) {
  const auto labels = torch::arange(2 * 32 * 32 * 16, torch::kFloat32).reshape({2, 1, 32, 32, 16});
  const auto scales = deep_supervision_scales({{2, 2, 1}, {2, 2, 2}, {2, 2, 2}});
  const auto targets = downsample_labels_for_deep_supervision(labels, scales);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_TRUE(targets[0].is_same(labels));
  EXPECT_EQ(targets[1].sizes().vec(), (std::vector<int64_t>{2, 1, 16, 16, 16}));
  EXPECT_EQ(targets[2].sizes().vec(), (std::vector<int64_t>{2, 1, 8, 8, 8}));
  // Voxel (z, y, x) of the 1/2-scale target is input voxel (2z+1, 2y+1, x); of the 1/4 target (4z+2, 4y+2, 2x+1).
  EXPECT_EQ(targets[1][1][0][3][5][7].item<float>(), labels[1][0][7][11][7].item<float>());
  EXPECT_EQ(targets[2][0][0][1][2][3].item<float>(), labels[0][0][6][10][7].item<float>());
  // Round half to even: 5 voxels at scale 0.5 -> 2 (np.round(2.5) = 2), 7 -> 4 (3.5 -> 4).
  const auto odd = downsample_labels_for_deep_supervision(torch::zeros({1, 1, 5, 7}), {{1, 1}, {0.5, 0.5}});
  EXPECT_EQ(odd[1].sizes().vec(), (std::vector<int64_t>{1, 1, 2, 4}));
}

TEST(DeepSupervision, CombinationT4) {
  // Output 0 = T3's batch; output 1 at 1x1x1. Weights [2/3, 1/3] (neither zeroed in this manual example).
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const auto out0 = torch::tensor({2.0, 0.5, -1.0, 0.0, 0.0, 1.5,  0.5, -0.5, -1.0, 0.0, 2.0, 1.0,
                                   1.0, 1.0, 0.0,  3.0, 0.5, -1.0, 0.0, 0.0,  0.0,  0.0, 1.0, -2.0},
                                  f64)
                        .reshape({2, 3, 1, 2, 2});
  const auto t0 = torch::tensor({0.0, 1.0, 2.0, 2.0, 0.0, 0.0, 1.0, 0.0}).reshape({2, 1, 1, 2, 2});
  const auto out1 = torch::tensor({1.0, 0.0, -1.0, 0.0, 0.5, 2.0}, f64).reshape({2, 3, 1, 1, 1});
  const auto t1 = torch::tensor({0.0, 2.0}).reshape({2, 1, 1, 1, 1});
  const OutputLoss loss = [](const torch::Tensor& x, const torch::Tensor& y) { return dice_ce_loss(x, y); };
  EXPECT_NEAR(loss(out1, t1).item<double>(), 0.1449251625799013, 1e-14);
  const auto total = deep_supervision_loss({out0, out1}, {t0, t1}, {2.0 / 3.0, 1.0 / 3.0}, loss);
  EXPECT_NEAR(total.item<double>(), 0.1089755314748428, 1e-14);
}

TEST(DeepSupervision, ZeroWeightOutputsAreNotEvaluated) {
  int calls = 0;
  const OutputLoss loss = [&](const torch::Tensor& x, const torch::Tensor& y) {
    ++calls;
    return (x - y).abs().sum();
  };
  const auto a = torch::ones({1});
  const auto total = deep_supervision_loss({a, 2 * a, 3 * a}, {torch::zeros({1}), torch::zeros({1}), torch::Tensor()},
                                           {0.5, 0.5, 0.0}, loss);
  EXPECT_EQ(calls, 2);
  EXPECT_DOUBLE_EQ(total.item<double>(), 1.5);
  calls = 0;
  deep_supervision_loss({a, a}, {a, a}, {0.0, 1.0}, loss);  // output 0 is always evaluated
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace nnseg
