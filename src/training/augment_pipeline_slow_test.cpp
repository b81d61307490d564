// Timing of the full training augmentation of a BraTS-sized batch (loader patch 205³ -> 128³, 2 x 4 channels) on
// the CPU with 2 threads. Information only: it prints the times and checks the shapes, never a speed.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "training/augment_pipeline.h"
#include "training/deep_supervision.h"

namespace nnseg {
namespace {

TEST(AugmentPipelineTiming, BratsBatchOnTwoThreads) {
  at::set_num_threads(2);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const at::Tensor data = at::randn({2, 4, 205, 205, 205}, gen);
  at::Tensor seg = at::randint(0, 4, {2, 1, 205, 205, 205}, gen).to(at::kChar);
  seg.narrow(4, 0, 40).fill_(-1);
  const auto scales = deep_supervision_scales({{2, 2, 2}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}});
  const AugmentParams v2 = v2_augment_params({128, 128, 128}, false, {true, true, true, true}, scales);
  AugmentParams all = v2;
  all.spatial.p_rotation = all.spatial.p_scale = 1;
  all.intensity.p_noise = all.intensity.p_blur = all.intensity.p_blur_per_channel = 1;
  all.intensity.p_brightness = all.intensity.p_contrast = 1;
  all.intensity.p_low_res = all.intensity.p_low_res_per_channel = 1;
  all.intensity.p_gamma = all.intensity.p_gamma_inverted = 1;

  using Clock = std::chrono::steady_clock;
  const auto run = [&](const AugmentParams& p, int64_t iteration) {
    AugmentRng rng(make_augment_generator(12345, iteration));
    const auto t0 = Clock::now();
    const AugmentedBatch out = augment_training_batch(data, seg, p, rng);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_EQ(out.data.sizes(), (std::vector<int64_t>{2, 4, 128, 128, 128}));
    EXPECT_EQ(out.target.size(), 5u);
    EXPECT_EQ(out.target[4].sizes(), (std::vector<int64_t>{2, 1, 8, 8, 8}));
    return s;
  };
  double v2_total = 0;
  const int n = 8;
  for (int i = 0; i < n; ++i) v2_total += run(v2, i);
  const double worst = run(all, 0);
  const auto t0 = Clock::now();
  prepare_validation_batch(data.narrow(2, 0, 128).narrow(3, 0, 128).narrow(4, 0, 128),
                           seg.narrow(2, 0, 128).narrow(3, 0, 128).narrow(4, 0, 128), v2);
  const double val = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "augmentation [2,4,205^3] -> [2,4,128^3], CPU, %d threads: V2 probabilities mean %.3f s over %d "
      "iterations; every transform firing %.3f s; validation batch %.3f s\n",
      at::get_num_threads(), v2_total / n, n, worst, val);
}

}  // namespace
}  // namespace nnseg
