// SGD with Nesterov momentum and gradient clipping against PyTorch's update rule (spec/training.md §3.1), by hand.
#include "training/sgd.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"

namespace nnseg {
namespace {

TEST(Sgd, TwoStepsFollowPyTorchNesterovWithWeightDecay) {
  torch::Tensor w = torch::tensor({1.0, -2.0}, torch::kDouble).requires_grad_(true);
  SgdNesterov sgd({w}, SgdOptions{0.1, 0.9, 0.01, true});
  const double g1[] = {0.5, 1.0};
  const double g2[] = {-1.0, 2.0};
  // By hand: step 1: d = g + wd w; b = d; d' = d + m b; w -= lr d'.
  double wv[] = {1.0, -2.0};
  double b[2];
  for (int k = 0; k < 2; ++k) {
    const double d = g1[k] + 0.01 * wv[k];
    b[k] = d;
    wv[k] -= 0.1 * (d + 0.9 * b[k]);
  }
  w.mutable_grad() = torch::tensor({g1[0], g1[1]}, torch::kDouble);
  sgd.step();
  EXPECT_NEAR(w[0].item<double>(), wv[0], 1e-15);
  EXPECT_NEAR(w[1].item<double>(), wv[1], 1e-15);
  // Step 2: b = m b + d.
  for (int k = 0; k < 2; ++k) {
    const double d = g2[k] + 0.01 * wv[k];
    b[k] = 0.9 * b[k] + d;
    wv[k] -= 0.1 * (d + 0.9 * b[k]);
  }
  sgd.zero_grad();
  EXPECT_EQ(w.grad().abs().sum().item<double>(), 0.0);
  w.mutable_grad() = torch::tensor({g2[0], g2[1]}, torch::kDouble);
  sgd.step();
  EXPECT_NEAR(w[0].item<double>(), wv[0], 1e-15);
  EXPECT_NEAR(w[1].item<double>(), wv[1], 1e-15);
  ASSERT_TRUE(sgd.momentum_buffers()[0].defined());
  EXPECT_NEAR(sgd.momentum_buffers()[0][1].item<double>(), b[1], 1e-15);
}

TEST(Sgd, ParametersWithoutGradientAreSkippedAndKeepNoBuffer) {
  torch::Tensor a = torch::ones({2}).requires_grad_(true);
  torch::Tensor c = torch::ones({3}).requires_grad_(true);
  SgdNesterov sgd({a, c}, SgdOptions{});
  a.mutable_grad() = torch::ones({2});
  sgd.step();
  EXPECT_TRUE(sgd.momentum_buffers()[0].defined());
  EXPECT_FALSE(sgd.momentum_buffers()[1].defined());
  EXPECT_TRUE(torch::equal(c, torch::ones({3})));
}

TEST(Sgd, RestoredBuffersGiveTheSameNextStep) {
  auto run = [](bool restore) {
    torch::Tensor w = torch::tensor({0.3f, 0.7f}).requires_grad_(true);
    SgdNesterov sgd({w}, SgdOptions{});
    w.mutable_grad() = torch::tensor({1.0f, -1.0f});
    sgd.step();
    if (restore) {
      torch::Tensor w2 = w.detach().clone().requires_grad_(true);
      SgdNesterov sgd2({w2}, SgdOptions{});
      sgd2.set_momentum_buffers({sgd.momentum_buffers()[0].clone()});
      w2.mutable_grad() = torch::tensor({0.5f, 0.25f});
      sgd2.step();
      return w2.detach();
    }
    w.mutable_grad() = torch::tensor({0.5f, 0.25f});
    sgd.step();
    return w.detach();
  };
  EXPECT_TRUE(torch::equal(run(false), run(true)));
}

TEST(Sgd, WrongBufferShapeIsAnError) {
  torch::Tensor w = torch::zeros({2}).requires_grad_(true);
  SgdNesterov sgd({w}, SgdOptions{});
  EXPECT_THROW(sgd.set_momentum_buffers({torch::zeros({3})}), Error);
  EXPECT_THROW(sgd.set_momentum_buffers({}), Error);
}

TEST(ClipGradientNorm, GlobalNormOverAllParameters) {
  torch::Tensor a = torch::zeros({1}, torch::kDouble).requires_grad_(true);
  torch::Tensor b = torch::zeros({1}, torch::kDouble).requires_grad_(true);
  a.mutable_grad() = torch::tensor({30.0}, torch::kDouble);
  b.mutable_grad() = torch::tensor({40.0}, torch::kDouble);
  const double norm = clip_gradient_norm({a, b}, 12.0);
  EXPECT_NEAR(norm, 50.0, 1e-12);
  const double coef = 12.0 / (50.0 + 1e-6);
  EXPECT_NEAR(a.grad().item<double>(), 30.0 * coef, 1e-12);
  EXPECT_NEAR(b.grad().item<double>(), 40.0 * coef, 1e-12);
  // Below the limit: unchanged.
  a.mutable_grad() = torch::tensor({3.0}, torch::kDouble);
  b.mutable_grad() = torch::tensor({4.0}, torch::kDouble);
  EXPECT_NEAR(clip_gradient_norm({a, b}, 12.0), 5.0, 1e-12);
  EXPECT_EQ(a.grad().item<double>(), 3.0);
}

}  // namespace
}  // namespace nnseg
