// Gradient scaler rules (torch.cuda.amp.GradScaler) on the CPU path, and the autocast scope's state handling.
#include "training/amp.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

namespace nnseg {
namespace {

TEST(GradScaler, ScalesLossAndUnscalesGradients) {
  GradScaler scaler(torch::kCPU);
  EXPECT_EQ(scaler.current_scale(), 65536.0);
  EXPECT_EQ(scaler.scale(torch::tensor(2.0f)).item<float>(), 131072.0f);
  torch::Tensor p = torch::zeros({2}).requires_grad_(true);
  p.mutable_grad() = torch::tensor({65536.0f, -32768.0f});
  scaler.unscale({p});
  EXPECT_FALSE(scaler.found_inf());
  EXPECT_TRUE(torch::equal(p.grad(), torch::tensor({1.0f, -0.5f})));
  scaler.update();
  EXPECT_EQ(scaler.state().growth_tracker, 1);
  EXPECT_EQ(scaler.current_scale(), 65536.0);
}

TEST(GradScaler, OverflowHalvesTheScaleAndResetsTheTracker) {
  GradScalerState s;
  s.growth_tracker = 5;
  GradScaler scaler(torch::kCPU, s);
  torch::Tensor p = torch::zeros({2}).requires_grad_(true);
  p.mutable_grad() = torch::tensor({1.0f, std::numeric_limits<float>::infinity()});
  scaler.unscale({p});
  EXPECT_TRUE(scaler.found_inf());
  scaler.update();
  EXPECT_EQ(scaler.current_scale(), 32768.0);
  EXPECT_EQ(scaler.state().growth_tracker, 0);
  p.mutable_grad() = torch::tensor({1.0f, std::numeric_limits<float>::quiet_NaN()});
  scaler.unscale({p});
  EXPECT_TRUE(scaler.found_inf());
}

TEST(GradScaler, GrowsAfterTheIntervalOfFiniteSteps) {
  GradScalerState s;
  s.growth_interval = 3;
  s.scale = 8.0;
  GradScaler scaler(torch::kCPU, s);
  torch::Tensor p = torch::zeros({1}).requires_grad_(true);
  for (int i = 0; i < 3; ++i) {
    p.mutable_grad() = torch::ones({1});
    scaler.unscale({p});
    scaler.update();
    EXPECT_EQ(scaler.current_scale(), i < 2 ? 8.0 : 16.0) << "step " << i;
  }
  EXPECT_EQ(scaler.state().growth_tracker, 0);
  EXPECT_EQ(scaler.state().growth_interval, 3);
}

TEST(AutocastScope, EnablesAndRestores) {
  ASSERT_FALSE(cuda_autocast_enabled());
  {
    const AutocastScope outer(true);
    EXPECT_TRUE(cuda_autocast_enabled());
    {
      const AutocastScope inner(true);
      EXPECT_TRUE(cuda_autocast_enabled());
    }
    EXPECT_TRUE(cuda_autocast_enabled());
  }
  EXPECT_FALSE(cuda_autocast_enabled());
  {
    const AutocastScope off(false);
    EXPECT_FALSE(cuda_autocast_enabled());
  }
}

}  // namespace
}  // namespace nnseg
