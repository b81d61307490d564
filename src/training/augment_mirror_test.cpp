// Tests for mirroring, the mask transform and -1 removal.
#include "training/augment_mirror.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace nnseg {
namespace {

// x[c, z, y, x] = 1000 c + 100 z + 10 y + x.
at::Tensor coded(int64_t c, int64_t z, int64_t y, int64_t x) {
  return (at::arange(c).view({c, 1, 1, 1}) * 1000 + at::arange(z).view({1, z, 1, 1}) * 100 +
          at::arange(y).view({1, 1, y, 1}) * 10 + at::arange(x).view({1, 1, 1, x}))
      .to(at::kFloat);
}

TEST(AugmentMirror, FlipsTheDrawnAxesAndTwiceIsIdentity) {
  const at::Tensor x = coded(2, 3, 4, 5);
  EXPECT_TRUE(at::equal(mirror_sample(x, {false, false, false}), x));
  const at::Tensor fx = mirror_sample(x, {false, false, true});
  EXPECT_EQ(fx[1][2][3][0].item<float>(), 1000 + 200 + 30 + 4);
  const at::Tensor fz = mirror_sample(x, {true, false, false});
  EXPECT_EQ(fz[0][0][1][2].item<float>(), 200 + 10 + 2);
  const at::Tensor fy = mirror_sample(x, {false, true, false});
  EXPECT_EQ(fy[0][1][0][2].item<float>(), 100 + 30 + 2);
  const at::Tensor all = mirror_sample(x, {true, true, true});
  EXPECT_EQ(all[1][0][0][0].item<float>(), 1000 + 200 + 30 + 4);
  EXPECT_TRUE(at::equal(mirror_sample(all, {true, true, true}), x));
  EXPECT_TRUE(at::equal(mirror_sample(fy, {false, true, false}), x));
}

TEST(AugmentMirror, DrawsEachListedAxisWithProbabilityHalf) {
  AugmentRng rng(at::make_generator<at::CPUGeneratorImpl>(9));
  std::array<int, 3> flips{0, 0, 0};
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const MirrorDraw d = draw_mirror({1, 2}, 0.5, rng);
    for (size_t a = 0; a < 3; ++a) flips[a] += d[a] ? 1 : 0;
  }
  EXPECT_EQ(flips[0], 0);
  EXPECT_NEAR(flips[1] / static_cast<double>(n), 0.5, 0.015);
  EXPECT_NEAR(flips[2] / static_cast<double>(n), 0.5, 0.015);
}

TEST(AugmentMirror, MaskZeroesFlaggedChannelsWhereSegIsMinusOne) {
  const at::Tensor data = at::ones({2, 2, 2, 2, 2});
  at::Tensor seg = at::zeros({2, 1, 2, 2, 2});
  seg[0][0][0][0][0] = -1;
  seg[1][0][1][1][1] = -1;
  seg[1][0][1][1][0] = 2;
  const at::Tensor out = mask_outside_brain(data, seg, {true, false});
  EXPECT_EQ(out[0][0][0][0][0].item<float>(), 0.0f);
  EXPECT_EQ(out[1][0][1][1][1].item<float>(), 0.0f);
  EXPECT_EQ(out[0][1][0][0][0].item<float>(), 1.0f);  // channel 1 not masked
  EXPECT_EQ(out.sum().item<float>(), 32.0f - 2.0f);
  EXPECT_TRUE(at::equal(mask_outside_brain(data, seg, {false, false}), data));
}

TEST(AugmentMirror, RemoveLabelTurnsMinusOneIntoBackgroundOnly) {
  const at::Tensor seg = at::tensor({-1.0f, 0.0f, 1.0f, 2.0f, 3.0f, -1.0f});
  EXPECT_TRUE(at::equal(remove_outside_label(seg), at::tensor({0.0f, 0.0f, 1.0f, 2.0f, 3.0f, 0.0f})));
  const at::Tensor s8 = at::tensor({-1, 3}, at::kChar);
  EXPECT_TRUE(at::equal(remove_outside_label(s8), at::tensor({0, 3}, at::kChar)));
}

}  // namespace
}  // namespace nnseg
