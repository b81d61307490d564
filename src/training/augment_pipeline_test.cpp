// Tests for the training and validation batch transforms: V2 parameters, shapes and finiteness, repeatability per
// seed, the mask / label / deep-supervision steps, 2D and dummy-2D layouts, and CPU-vs-CUDA agreement (skipped
// without a GPU).
#include "training/augment_pipeline.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cmath>

namespace nnseg {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A batch as the loader gives it: smooth data, labels 0..3 in blobs, -1 at the x < 4 border.
std::pair<at::Tensor, at::Tensor> loader_batch(int64_t b, int64_t c, std::vector<int64_t> spatial) {
  std::vector<int64_t> shape{b, c};
  shape.insert(shape.end(), spatial.begin(), spatial.end());
  auto gen = at::make_generator<at::CPUGeneratorImpl>(42);
  at::Tensor data = at::randn(shape, gen);
  std::vector<int64_t> seg_shape = shape;
  seg_shape[1] = 1;
  at::Tensor seg = at::randint(0, 4, seg_shape, gen).to(at::kFloat);
  seg.narrow(-1, 0, 4).fill_(-1.0f);
  return {data, seg};
}

AugmentRng seeded(uint64_t seed, int64_t iteration = 0) { return AugmentRng(make_augment_generator(seed, iteration)); }

// Every transform fires for every sample and channel.
AugmentParams always(AugmentParams p) {
  p.spatial.p_rotation = 1;
  p.spatial.p_scale = 1;
  p.intensity.p_noise = 1;
  p.intensity.p_blur = 1;
  p.intensity.p_blur_per_channel = 1;
  p.intensity.p_brightness = 1;
  p.intensity.p_contrast = 1;
  p.intensity.p_low_res = 1;
  p.intensity.p_low_res_per_channel = 1;
  p.intensity.p_gamma_inverted = 1;
  p.intensity.p_gamma = 1;
  return p;
}

const std::vector<std::vector<double>> kScales{{1, 1, 1}, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25}};

TEST(AugmentPipeline, V2Parameters) {
  const AugmentParams p = v2_augment_params({128, 128, 128}, false, {true, true, true, true}, kScales);
  for (double r : p.spatial.rotation_max_rad) EXPECT_NEAR(r, kPi / 6, 1e-12);
  EXPECT_EQ(p.spatial.p_rotation, 0.2);
  EXPECT_EQ(p.spatial.p_scale, 0.2);
  EXPECT_EQ(p.spatial.scale_min, 0.7);
  EXPECT_EQ(p.spatial.scale_max, 1.4);
  EXPECT_EQ(p.spatial.p_independent_scale_per_axis, 0.0);
  EXPECT_EQ(p.spatial.seg_border, -1.0f);
  EXPECT_FALSE(p.spatial.dummy_2d);
  EXPECT_EQ(p.intensity.p_gamma_inverted, 0.1);
  EXPECT_EQ(p.intensity.p_gamma, 0.3);
  EXPECT_EQ(p.mirror_axes, (std::vector<int64_t>{0, 1, 2}));
  const AugmentParams d = v2_augment_params({20, 192, 160}, true, {true}, {});
  EXPECT_NEAR(d.spatial.rotation_max_rad[0], kPi, 1e-12);
  EXPECT_TRUE(d.spatial.dummy_2d);
  EXPECT_TRUE(d.intensity.low_res_keep_axis0);
  const AugmentParams two = v2_augment_params({256, 128}, false, {true}, {});  // 2 > 1.5: ±15°
  EXPECT_NEAR(two.spatial.rotation_max_rad[0], kPi / 12, 1e-12);
  EXPECT_EQ(two.mirror_axes, (std::vector<int64_t>{1, 2}));
  EXPECT_NEAR(v2_augment_params({192, 160}, false, {true}, {}).spatial.rotation_max_rad[0], kPi, 1e-12);
}

TEST(AugmentPipeline, TrainingBatchHasTheRightShapesAndFiniteValues) {
  const auto [data, seg] = loader_batch(2, 4, {40, 40, 40});
  const AugmentParams p = v2_augment_params({24, 24, 24}, false, {true, true, true, true}, kScales);
  for (const AugmentParams& params : {p, always(p)}) {
    AugmentRng rng = seeded(12345);
    const AugmentedBatch out = augment_training_batch(data, seg, params, rng);
    EXPECT_EQ(out.data.sizes(), (std::vector<int64_t>{2, 4, 24, 24, 24}));
    ASSERT_EQ(out.target.size(), 3u);
    EXPECT_EQ(out.target[0].sizes(), (std::vector<int64_t>{2, 1, 24, 24, 24}));
    EXPECT_EQ(out.target[1].sizes(), (std::vector<int64_t>{2, 1, 12, 12, 12}));
    EXPECT_EQ(out.target[2].sizes(), (std::vector<int64_t>{2, 1, 6, 6, 6}));
    EXPECT_TRUE(at::isfinite(out.data).all().item<bool>());
    for (const auto& t : out.target) {
      EXPECT_GE(t.min().item<float>(), 0.0f);  // -1 removed
      EXPECT_LE(t.max().item<float>(), 3.0f);
      EXPECT_TRUE(at::equal(t, t.round()));
    }
    // Deep-supervision targets are the odd voxels of the full-resolution one.
    EXPECT_TRUE(at::equal(out.target[1], out.target[0].slice(2, 1, 24, 2).slice(3, 1, 24, 2).slice(4, 1, 24, 2)));
  }
}

TEST(AugmentPipeline, SameSeedGivesTheSameBatchAnotherSeedDoesNot) {
  const auto [data, seg] = loader_batch(2, 4, {40, 40, 40});
  const AugmentParams p = v2_augment_params({24, 24, 24}, false, {true, true, true, true}, kScales);
  AugmentRng a = seeded(7, 3);
  AugmentRng b = seeded(7, 3);
  AugmentRng c = seeded(8, 3);
  AugmentRng d = seeded(7, 4);
  const AugmentedBatch ra = augment_training_batch(data, seg, p, a);
  const AugmentedBatch rb = augment_training_batch(data, seg, p, b);
  const AugmentedBatch rc = augment_training_batch(data, seg, p, c);
  const AugmentedBatch rd = augment_training_batch(data, seg, p, d);
  EXPECT_TRUE(at::equal(ra.data, rb.data));
  EXPECT_TRUE(at::equal(ra.target[0], rb.target[0]));
  EXPECT_FALSE(at::equal(ra.data, rc.data));
  EXPECT_FALSE(at::equal(ra.data, rd.data));
}

TEST(AugmentPipeline, WithoutAnyRandomTransformItIsTheCentreCropWithLabelHandling) {
  const auto [data, seg] = loader_batch(2, 2, {12, 12, 12});
  AugmentParams p = v2_augment_params({8, 8, 8}, false, {true, false}, {});
  p.spatial.p_rotation = p.spatial.p_scale = 0;
  p.intensity.p_noise = p.intensity.p_blur = p.intensity.p_brightness = p.intensity.p_contrast = 0;
  p.intensity.p_low_res = p.intensity.p_gamma = p.intensity.p_gamma_inverted = 0;
  p.p_mirror_per_axis = 0;
  AugmentRng rng = seeded(1);
  const AugmentedBatch out = augment_training_batch(data, seg, p, rng);
  const auto crop = [](const at::Tensor& t) { return t.narrow(2, 2, 8).narrow(3, 2, 8).narrow(4, 2, 8); };
  const at::Tensor s = crop(seg);
  ASSERT_EQ(out.target.size(), 1u);
  EXPECT_TRUE(at::equal(out.target[0], s.clamp_min(0)));
  const at::Tensor outside = s.lt(0).squeeze(1);
  EXPECT_TRUE(at::equal(out.data.select(1, 0), crop(data).select(1, 0).masked_fill(outside, 0)));  // masked
  EXPECT_TRUE(at::equal(out.data.select(1, 1), crop(data).select(1, 1)));                          // not masked
}

TEST(AugmentPipeline, MaskZeroesEverythingOutsideTheBrainAfterAllTransforms) {
  auto [data, seg] = loader_batch(1, 2, {30, 30, 30});
  seg.fill_(-1.0f);
  const AugmentParams p = always(v2_augment_params({20, 20, 20}, false, {true, true}, {}));
  AugmentRng rng = seeded(3);
  const AugmentedBatch out = augment_training_batch(data, seg, p, rng);
  EXPECT_EQ(out.data.abs().max().item<float>(), 0.0f);
  EXPECT_EQ(out.target[0].abs().max().item<float>(), 0.0f);
}

TEST(AugmentPipeline, ValidationBatchOnlyHandlesLabels) {
  auto [data, seg] = loader_batch(2, 4, {16, 16, 16});
  const at::Tensor seg2 = at::cat({seg, at::full_like(seg, 7)}, 1);  // extra channels are dropped
  const AugmentParams p = v2_augment_params({16, 16, 16}, false, {true, true, true, true}, kScales);
  const AugmentedBatch out = prepare_validation_batch(data, seg2, p);
  EXPECT_TRUE(at::equal(out.data, data));  // no augmentation, no mask transform
  ASSERT_EQ(out.target.size(), 3u);
  EXPECT_TRUE(at::equal(out.target[0], seg.clamp_min(0)));
  EXPECT_EQ(out.target[2].sizes(), (std::vector<int64_t>{2, 1, 4, 4, 4}));
}

TEST(AugmentPipeline, TwoDConfigurationAndDummyTwoD) {
  const auto [d2, s2] = loader_batch(2, 3, {40, 48});
  const AugmentParams p2 = always(v2_augment_params({24, 32}, false, {true, true, true}, {{1, 1}, {0.5, 0.5}}));
  AugmentRng rng = seeded(5);
  const AugmentedBatch o2 = augment_training_batch(d2, s2, p2, rng);
  EXPECT_EQ(o2.data.sizes(), (std::vector<int64_t>{2, 3, 24, 32}));
  EXPECT_EQ(o2.target[1].sizes(), (std::vector<int64_t>{2, 1, 12, 16}));
  EXPECT_TRUE(at::isfinite(o2.data).all().item<bool>());

  const auto [d3, s3] = loader_batch(1, 2, {6, 40, 40});
  const AugmentParams p3 = always(v2_augment_params({6, 24, 24}, true, {false, false}, {}));
  const AugmentedBatch o3 = augment_training_batch(d3, s3, p3, rng);
  EXPECT_EQ(o3.data.sizes(), (std::vector<int64_t>{1, 2, 6, 24, 24}));
  EXPECT_TRUE(at::isfinite(o3.data).all().item<bool>());
}

TEST(AugmentPipeline, Int8SegmentationKeepsItsType) {
  const auto [data, seg] = loader_batch(2, 1, {20, 20, 20});
  const AugmentParams p = always(v2_augment_params({12, 12, 12}, false, {true}, kScales));
  AugmentRng rng = seeded(9);
  AugmentRng rng_f = seeded(9);
  const AugmentedBatch out = augment_training_batch(data, seg.to(at::kChar), p, rng);
  const AugmentedBatch out_f = augment_training_batch(data, seg, p, rng_f);
  EXPECT_EQ(out.target[0].scalar_type(), at::kChar);
  EXPECT_TRUE(at::equal(out.target[0].to(at::kFloat), out_f.target[0]));
  EXPECT_TRUE(at::equal(out.data, out_f.data));
}

TEST(AugmentPipeline, CudaMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto [data, seg] = loader_batch(2, 4, {40, 40, 40});
  const AugmentParams p = always(v2_augment_params({24, 24, 24}, false, {true, true, true, true}, kScales));
  AugmentRng a = seeded(21);
  AugmentRng b = seeded(21);
  const AugmentedBatch cpu = augment_training_batch(data, seg, p, a);
  const AugmentedBatch gpu = augment_training_batch(data.cuda(), seg.cuda(), p, b);
  EXPECT_TRUE(gpu.data.is_cuda());
  EXPECT_TRUE(at::allclose(gpu.data.cpu(), cpu.data, 1e-3, 1e-3));
  // Labels may differ where an interpolated indicator sits at 0.5 within float rounding.
  EXPECT_LT(gpu.target[0].cpu().ne(cpu.target[0]).sum().item<int64_t>(), cpu.target[0].numel() / 1000 + 1);
}

}  // namespace
}  // namespace nnseg
