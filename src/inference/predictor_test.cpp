// Tests for the sliding-window predictor (spec/inference.md §2-§5, I4, I5): identity checks, a slow reference written
// straight from the spec, mirror bookkeeping, Gaussian use, batching, sigmoid mode, a real GenericUNet, bad inputs,
// and CUDA against the CPU (skipped without a GPU).
#include "inference/predictor.h"

#include <ATen/Context.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "inference/gaussian_map.h"

namespace nnseg {
namespace {

using Shape = std::vector<int64_t>;

Array4f random_array(std::array<int64_t, 4> shape, uint64_t seed) {
  torch::manual_seed(seed);
  Array4f a(shape);
  const torch::Tensor t = torch::randn({shape[0], shape[1], shape[2], shape[3]});
  std::copy(t.data_ptr<float>(), t.data_ptr<float>() + t.numel(), a.values.begin());
  return a;
}

SlidingWindowOptions options_for(Shape patch, std::vector<int> mirror_axes = {0, 1, 2}, double step = 0.5) {
  SlidingWindowOptions o;
  o.patch_size = std::move(patch);
  o.mirror_axes = std::move(mirror_axes);
  o.step_size = step;
  return o;
}

double max_abs_diff(const Array4f& a, const Array4f& b) {
  EXPECT_EQ(a.shape, b.shape);
  double m = 0;
  for (size_t i = 0; i < a.values.size() && i < b.values.size(); ++i) {
    m = std::max(m, std::abs(static_cast<double>(a.values[i]) - b.values[i]));
  }
  return m;
}

// Constant logits {0.5, -1, 2} for every voxel of every sample.
torch::Tensor constant_logits(const torch::Tensor& x) {
  const torch::Tensor l = torch::tensor({0.5f, -1.0f, 2.0f}).view({1, 3, 1, 1, 1});
  return l.expand({x.size(0), 3, x.size(2), x.size(3), x.size(4)}).contiguous();
}

// A per-voxel (hence flip-equivariant) function of the two input channels.
torch::Tensor per_voxel_logits(const torch::Tensor& x) {
  const torch::Tensor a = x.select(1, 0), b = x.select(1, 1);
  return torch::stack({a, 2 * b - a, torch::sin(a * b)}, 1);
}

// Not equivariant: depends on the position inside the tile and on a neighbour along every axis.
torch::Tensor toy_logits(const torch::Tensor& x) {
  const torch::Tensor a = x.select(1, 0);
  const auto f = torch::TensorOptions().dtype(torch::kFloat);
  const torch::Tensor z = torch::arange(x.size(2), f).view({1, -1, 1, 1});
  const torch::Tensor y = torch::arange(x.size(3), f).view({1, 1, -1, 1});
  const torch::Tensor xi = torch::arange(x.size(4), f).view({1, 1, 1, -1});
  return torch::stack({a, 0.7 * torch::roll(a, 1, 3) + 0.1 * z - 0.05 * xi,
                       x.select(1, 1) - 0.5 * torch::roll(a, -1, 1) + 0.08 * y * xi / (1 + z)},
                      1);
}

// The predictor written directly from spec/inference.md §2-§5 with explicit loops, one pass per forward.
Array4f reference_predict(const LogitsFunction& f, const Array4f& data, int64_t classes, const Shape& p, double step,
                          const std::vector<int>& mirror_axes, bool sigmoid) {
  const int64_t C = data.shape[0];
  const Shape img{data.shape[1], data.shape[2], data.shape[3]};
  Shape S(3), before(3);
  for (int d = 0; d < 3; ++d) {
    S[d] = std::max(p[d], img[d]);
    before[d] = (S[d] - img[d]) / 2;  // the odd voxel goes after (§2)
  }
  std::vector<float> x(static_cast<size_t>(C * S[0] * S[1] * S[2]), 0.0f);
  auto at = [&](int64_t c, int64_t z, int64_t y, int64_t xx) { return ((c * S[0] + z) * S[1] + y) * S[2] + xx; };
  for (int64_t c = 0; c < C; ++c)
    for (int64_t z = 0; z < img[0]; ++z)
      for (int64_t y = 0; y < img[1]; ++y)
        for (int64_t xx = 0; xx < img[2]; ++xx)
          x[at(c, z + before[0], y + before[1], xx + before[2])] = data.at(c, z, y, xx);
  std::vector<Shape> starts(3);  // §3
  for (int d = 0; d < 3; ++d) {
    const double t = static_cast<double>(p[d]) * step;
    const int64_t n = static_cast<int64_t>(std::ceil(static_cast<double>(S[d] - p[d]) / t)) + 1;
    for (int64_t i = 0; i < n; ++i)
      starts[d].push_back(n == 1 ? 0
                                 : static_cast<int64_t>(std::nearbyint(static_cast<double>(S[d] - p[d]) /
                                                                       static_cast<double>(n - 1) * i)));
  }
  const int64_t tiles = static_cast<int64_t>(starts[0].size() * starts[1].size() * starts[2].size());
  std::vector<float> g = gaussian_importance_map(p);
  if (tiles == 1) std::fill(g.begin(), g.end(), 1.0f);
  // §5.1 table: flipped (Z, Y, X) per combination; weight 1 / 2^k.
  const int table[8][3] = {{0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 1, 1}, {1, 0, 0}, {1, 0, 1}, {1, 1, 0}, {1, 1, 1}};
  const float w = 1.0f / static_cast<float>(1 << mirror_axes.size());
  auto allowed = [&](int axis) { return std::find(mirror_axes.begin(), mirror_axes.end(), axis) != mirror_axes.end(); };
  const int64_t P = p[0] * p[1] * p[2];
  std::vector<float> sum(static_cast<size_t>(classes * S[0] * S[1] * S[2]), 0.0f), weight(x.size() / C, 0.0f);
  for (int64_t z0 : starts[0])
    for (int64_t y0 : starts[1])
      for (int64_t x0 : starts[2]) {
        std::vector<float> res(static_cast<size_t>(classes * P), 0.0f);
        for (const auto& m : table) {
          if ((m[0] && !allowed(0)) || (m[1] && !allowed(1)) || (m[2] && !allowed(2))) continue;
          auto src = [&](int d, int64_t i) { return m[d] ? p[d] - 1 - i : i; };  // flip is its own inverse
          torch::Tensor in = torch::empty({1, C, p[0], p[1], p[2]});
          auto ia = in.accessor<float, 5>();
          for (int64_t c = 0; c < C; ++c)
            for (int64_t z = 0; z < p[0]; ++z)
              for (int64_t y = 0; y < p[1]; ++y)
                for (int64_t xx = 0; xx < p[2]; ++xx)
                  ia[0][c][z][y][xx] = x[at(c, z0 + src(0, z), y0 + src(1, y), x0 + src(2, xx))];
          const torch::Tensor out = f(in).to(torch::kFloat).contiguous();
          auto oa = out.accessor<float, 5>();
          for (int64_t z = 0; z < p[0]; ++z)
            for (int64_t y = 0; y < p[1]; ++y)
              for (int64_t xx = 0; xx < p[2]; ++xx) {
                double denom = 0;
                for (int64_t c = 0; c < classes; ++c) denom += std::exp(static_cast<double>(oa[0][c][z][y][xx]));
                const int64_t v = (src(0, z) * p[1] + src(1, y)) * p[2] + src(2, xx);  // unflipped voxel
                for (int64_t c = 0; c < classes; ++c) {
                  const double l = oa[0][c][z][y][xx];
                  const double prob = sigmoid ? 1.0 / (1.0 + std::exp(-l)) : std::exp(l) / denom;
                  res[static_cast<size_t>(c * P + v)] += w * static_cast<float>(prob);
                }
              }
        }
        for (int64_t c = 0; c < classes; ++c)
          for (int64_t z = 0; z < p[0]; ++z)
            for (int64_t y = 0; y < p[1]; ++y)
              for (int64_t xx = 0; xx < p[2]; ++xx) {
                const int64_t v = (z * p[1] + y) * p[2] + xx;
                sum[at(c, z0 + z, y0 + y, x0 + xx)] += res[static_cast<size_t>(c * P + v)] * g[v];
                if (c == 0) weight[at(0, z0 + z, y0 + y, x0 + xx)] += g[v];
              }
      }
  Array4f out({classes, img[0], img[1], img[2]});
  for (int64_t c = 0; c < classes; ++c)
    for (int64_t z = 0; z < img[0]; ++z)
      for (int64_t y = 0; y < img[1]; ++y)
        for (int64_t xx = 0; xx < img[2]; ++xx) {
          const int64_t zz = z + before[0], yy = y + before[1], xp = xx + before[2];
          out.at(c, z, y, xx) = sum[at(c, zz, yy, xp)] / weight[at(0, zz, yy, xp)];
        }
  return out;
}

TEST(Predictor, MirrorCombinationsFollowTheSpecTable) {
  using Combos = std::vector<std::vector<int64_t>>;
  EXPECT_EQ(mirror_combinations({0, 1, 2}), (Combos{{}, {2}, {1}, {1, 2}, {0}, {0, 2}, {0, 1}, {0, 1, 2}}));
  EXPECT_EQ(mirror_combinations({2, 0}), (Combos{{}, {2}, {0}, {0, 2}}));
  EXPECT_EQ(mirror_combinations({1}), (Combos{{}, {1}}));
  EXPECT_EQ(mirror_combinations({}), (Combos{{}}));
}

TEST(Predictor, I5ConstantLogitsGiveTheirSoftmaxEverywhere) {
  const double total = std::exp(0.5) + std::exp(-1.0) + std::exp(2.0);
  const std::vector<double> expected{std::exp(0.5) / total, std::exp(-1.0) / total, std::exp(2.0) / total};
  const Shape patch{8, 6, 8};
  for (const auto& shape :
       std::vector<std::array<int64_t, 4>>{{2, 5, 3, 7}, {2, 8, 6, 8}, {1, 13, 11, 17}, {2, 5, 12, 9}, {1, 9, 7, 8}}) {
    const Array4f probs = predict_sliding_window(constant_logits, random_array(shape, 1), 3, options_for(patch));
    ASSERT_EQ(probs.shape, (std::array<int64_t, 4>{3, shape[1], shape[2], shape[3]}));
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t i = 0; i < probs.channel_numel(); ++i) {
        ASSERT_NEAR(probs.channel(c)[i], expected[static_cast<size_t>(c)], 1e-6) << "shape z=" << shape[1];
      }
    }
  }
}

TEST(Predictor, I5FlipEquivariantFunctionIsUnchangedByMirroring) {
  const Array4f data = random_array({2, 11, 9, 14}, 2);
  const Array4f mirrored = predict_sliding_window(per_voxel_logits, data, 3, options_for({8, 8, 8}));
  const Array4f plain = predict_sliding_window(per_voxel_logits, data, 3, options_for({8, 8, 8}, {}));
  EXPECT_LT(max_abs_diff(mirrored, plain), 1e-6);
  // Per voxel, the weighted mean of identical values is the value: softmax of the function on the whole image.
  const torch::Tensor whole = torch::from_blob(const_cast<float*>(data.values.data()), {1, 2, 11, 9, 14});
  const torch::Tensor direct = torch::softmax(per_voxel_logits(whole), 1).contiguous();
  for (int64_t i = 0; i < direct.numel(); ++i) ASSERT_NEAR(plain.values[i], direct.data_ptr<float>()[i], 1e-6);
}

TEST(Predictor, MatchesTheSpecReferenceForANonEquivariantFunction) {
  struct Case {
    std::array<int64_t, 4> shape;
    Shape patch;
    std::vector<int> mirror;
    double step;
    bool sigmoid;
  };
  const std::vector<Case> cases{
      {{2, 13, 11, 17}, {8, 6, 8}, {0, 1, 2}, 0.5, false}, {{2, 13, 11, 17}, {8, 6, 8}, {0, 2}, 0.5, false},
      {{2, 10, 7, 12}, {8, 6, 8}, {1}, 0.7, false},        {{2, 10, 7, 12}, {8, 6, 8}, {}, 1.0, false},
      {{2, 5, 11, 7}, {8, 6, 8}, {0, 1, 2}, 0.5, false},  // padded on z and x
      {{2, 8, 6, 8}, {8, 6, 8}, {0, 1, 2}, 0.5, false},   // one tile: no Gaussian
      {{2, 9, 10, 5}, {8, 6, 8}, {0, 1, 2}, 0.5, true}};
  for (const Case& c : cases) {
    const Array4f data = random_array(c.shape, 3);
    SlidingWindowOptions o = options_for(c.patch, c.mirror, c.step);
    o.sigmoid = c.sigmoid;
    const Array4f got = predict_sliding_window(toy_logits, data, 3, o);
    const Array4f want = reference_predict(toy_logits, data, 3, c.patch, c.step, c.mirror, c.sigmoid);
    EXPECT_LT(max_abs_diff(got, want), 1e-6) << "image z=" << c.shape[1] << " mirror axes " << c.mirror.size();
  }
}

// Channel 1's logit is a ramp over the output's X position (whatever the input): a pass mirrored on X contributes
// the reversed ramp once flipped back, so one tile gives 0.5 * (s(a x) + s(a (P - 1 - x))) with s the logistic
// function. Not flipping back, weights of 1/8 with four passes, or mirroring the wrong axis all change the result.
TEST(Predictor, MirroredPassesAreFlippedBackAndWeightedOneOverTwoToTheK) {
  const Shape patch{4, 5, 6};
  const float a = 0.9f;
  const LogitsFunction ramp = [&](const torch::Tensor& x) {
    const torch::Tensor r = a * torch::arange(6, torch::kFloat).view({1, 1, 1, -1}).expand({x.size(0), 4, 5, 6});
    return torch::stack({torch::zeros_like(r), r}, 1);
  };
  const Array4f data = random_array({1, 4, 5, 6}, 4);
  auto s = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  for (const auto& axes : std::vector<std::vector<int>>{{2}, {0, 2}, {0, 1, 2}, {0, 1}, {}}) {
    const Array4f probs = predict_sliding_window(ramp, data, 2, options_for(patch, axes));
    const bool x_mirrored = std::find(axes.begin(), axes.end(), 2) != axes.end();
    for (int64_t z = 0; z < 4; ++z)
      for (int64_t y = 0; y < 5; ++y)
        for (int64_t x = 0; x < 6; ++x) {
          const double want = x_mirrored ? 0.5 * (s(a * x) + s(a * (5 - x))) : s(a * x);
          ASSERT_NEAR(probs.at(1, z, y, x), want, 1e-6) << "axes " << axes.size() << " x " << x;
          ASSERT_NEAR(probs.at(0, z, y, x) + probs.at(1, z, y, x), 1.0, 1e-6);
        }
  }
}

TEST(Predictor, GaussianWeightsOnlyWithMoreThanOneTile) {
  // Image 4x5x10, patch 4x5x8: tiles start at x = 0 and 2. Channel 1's logit is a ramp over the tile's X position.
  const Shape patch{4, 5, 8};
  const LogitsFunction ramp = [](const torch::Tensor& x) {
    const torch::Tensor r = torch::arange(8, torch::kFloat).view({1, 1, 1, -1}).expand({x.size(0), 4, 5, 8});
    return torch::stack({torch::zeros_like(r), r}, 1);
  };
  const Array4f probs = predict_sliding_window(ramp, random_array({1, 4, 5, 10}, 5), 2, options_for(patch, {}));
  const std::vector<float> g = gaussian_importance_map(patch);
  auto s = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  double max_gap_to_unweighted = 0;
  for (int64_t z = 0; z < 4; ++z)
    for (int64_t y = 0; y < 5; ++y)
      for (int64_t x = 0; x < 10; ++x) {
        double num = 0, den = 0, plain = 0, n = 0;
        for (int64_t start : {0, 2}) {
          const int64_t t = x - start;
          if (t < 0 || t >= 8) continue;
          const double gv = g[static_cast<size_t>((z * 5 + y) * 8 + t)];
          num += gv * s(t);
          den += gv;
          plain += s(t);
          n += 1;
        }
        ASSERT_NEAR(probs.at(1, z, y, x), num / den, 1e-6) << z << " " << y << " " << x;
        max_gap_to_unweighted = std::max(max_gap_to_unweighted, std::abs(num / den - plain / n));
      }
  EXPECT_GT(max_gap_to_unweighted, 1e-3);  // the check above can tell weighted from unweighted
  // One tile (image == patch): plain values, no Gaussian.
  const Array4f one = predict_sliding_window(ramp, random_array({1, 4, 5, 8}, 5), 2, options_for(patch, {}));
  for (int64_t x = 0; x < 8; ++x) EXPECT_NEAR(one.at(1, 2, 3, x), s(x), 1e-6);
}

TEST(Predictor, BatchingGivesTheUnbatchedResult) {
  const Array4f data = random_array({2, 13, 11, 17}, 6);
  SlidingWindowOptions o = options_for({8, 6, 8});
  o.max_batch = 1;
  const Array4f single = predict_sliding_window(toy_logits, data, 3, o);
  for (int64_t b : {2, 3, 8, 13, 200}) {
    o.max_batch = b;
    // Equal up to float rounding (vectorised softmax may round differently for another batch size).
    EXPECT_LT(max_abs_diff(predict_sliding_window(toy_logits, data, 3, o), single), 1e-6) << "max_batch " << b;
  }
}

TEST(Predictor, SigmoidModeAppliesTheLogisticFunctionPerChannel) {
  SlidingWindowOptions o = options_for({8, 6, 8});
  o.sigmoid = true;
  const Array4f probs = predict_sliding_window(constant_logits, random_array({1, 13, 7, 9}, 7), 3, o);
  const double l[3] = {0.5, -1.0, 2.0};
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < probs.channel_numel(); ++i)
      ASSERT_NEAR(probs.channel(c)[i], 1.0 / (1.0 + std::exp(-l[c])), 1e-6);
}

TEST(Predictor, I4PaddingIsCroppedBack) {
  // I4 scaled down: (10, 14, 9) with patch 12^3 pads z by 1 + 1 and x by 1 + 2; (7, 8, 9) with patch 8^3 pads z by
  // 0 + 1. A per-voxel function of random input shows any shift of the crop.
  for (const auto& [shape, patch] : std::vector<std::pair<std::array<int64_t, 4>, Shape>>{
           {{2, 10, 14, 9}, {12, 12, 12}}, {{2, 7, 8, 9}, {8, 8, 8}}}) {
    const Array4f data = random_array(shape, 8);
    const Array4f probs = predict_sliding_window(per_voxel_logits, data, 3, options_for(patch));
    ASSERT_EQ(probs.shape, (std::array<int64_t, 4>{3, shape[1], shape[2], shape[3]}));
    const torch::Tensor whole =
        torch::from_blob(const_cast<float*>(data.values.data()), {1, 2, shape[1], shape[2], shape[3]});
    const torch::Tensor direct = torch::softmax(per_voxel_logits(whole), 1).contiguous();
    for (int64_t i = 0; i < direct.numel(); ++i) ASSERT_NEAR(probs.values[i], direct.data_ptr<float>()[i], 1e-6);
  }
}

NetworkConfig tiny_unet_config() {
  NetworkConfig c;
  c.input_channels = 2;
  c.num_classes = 3;
  c.base_num_features = 4;
  c.max_num_features = 16;
  c.pool_kernel_sizes = {{2, 2, 2}, {2, 2, 2}};
  c.conv_kernel_sizes = {{3, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  return c;
}

TEST(Predictor, TinyGenericUNetThroughNetworkLogits) {
  torch::manual_seed(11);
  GenericUNet net(tiny_unet_config());
  const LogitsFunction f = network_logits(net);
  const Array4f data = random_array({2, 20, 18, 17}, 9);
  SlidingWindowOptions o = options_for({16, 16, 16});
  const Array4f probs = predict_sliding_window(f, data, 3, o);
  ASSERT_EQ(probs.shape, (std::array<int64_t, 4>{3, 20, 18, 17}));
  for (int64_t i = 0; i < probs.channel_numel(); ++i) {
    const float total = probs.channel(0)[i] + probs.channel(1)[i] + probs.channel(2)[i];
    ASSERT_NEAR(total, 1.0f, 1e-5);
  }
  EXPECT_LT(max_abs_diff(probs, reference_predict(f, data, 3, {16, 16, 16}, 0.5, {0, 1, 2}, false)), 1e-5);
  o.max_batch = 8;  // InstanceNorm is per sample: a batch of 8 passes gives the same probabilities
  EXPECT_LT(max_abs_diff(predict_sliding_window(f, data, 3, o), probs), 1e-5);
  EXPECT_FALSE(net->is_training());
}

class RecordingProgress : public Progress {
 public:
  void start(const std::string& label, int64_t total) override {
    log += "start " + label + " " + std::to_string(total);
  }
  void advance(int64_t n) override { advanced += n; }
  void finish() override { log += " finish"; }
  std::string log;
  int64_t advanced = 0;
};

TEST(Predictor, ReportsOneProgressUnitPerTile) {
  RecordingProgress progress;
  predict_sliding_window(toy_logits, random_array({2, 13, 11, 17}, 10), 3, options_for({8, 6, 8}), &progress, "case");
  // z {0, 2, 5}, y {0, 2, 5} (2.5 rounds half to even), x {0, 3, 6, 9}: 3 * 3 * 4 tiles
  EXPECT_EQ(progress.log, "start case 36 finish");
  EXPECT_EQ(progress.advanced, 36);
}

template <typename F>
void expect_input_error(F&& f, const std::string& item, const std::string& value) {
  try {
    f();
    ADD_FAILURE() << "no InputError for " << item;
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), item);
    EXPECT_NE(std::string(e.what()).find(value), std::string::npos) << e.what();
  }
}

TEST(Predictor, BadInputsAreInputErrors) {
  const Array4f data = random_array({2, 9, 9, 9}, 12);
  const Shape patch{8, 8, 8};
  auto run = [&](const SlidingWindowOptions& o, const Array4f& d = Array4f(), int64_t classes = 3,
                 const LogitsFunction& f = toy_logits) {
    return [=, &data] { predict_sliding_window(f, d.values.empty() ? data : d, classes, o); };
  };
  expect_input_error(run(options_for({8, 8})), "patch_size", "[8, 8]");
  expect_input_error(run(options_for(patch, {0, 1, 2}, 0.0)), "step_size", "0");
  expect_input_error(run(options_for(patch, {0, 1, 2}, 1.5)), "step_size", "1.5");
  expect_input_error(run(options_for(patch, {0, 3})), "mirror_axes", "3");
  expect_input_error(run(options_for(patch, {1, 1})), "mirror_axes", "1");
  expect_input_error(run(options_for(patch), Array4f(), 0), "num_classes", "0");
  expect_input_error(run(options_for(patch), Array4f(), 4), "num_classes", "[1, 3, 8, 8, 8]");
  Array4f truncated = data;
  truncated.values.pop_back();
  expect_input_error(run(options_for(patch), truncated), "input data", "1457 values");
  SlidingWindowOptions negative = options_for(patch);
  negative.max_batch = -1;
  expect_input_error(run(negative), "max_batch", "-1");
  // Channels: three image channels into a network built for two.
  torch::manual_seed(13);
  expect_input_error(run(options_for({16, 16, 16}), random_array({3, 9, 9, 9}, 14), 3,
                         network_logits(GenericUNet(tiny_unet_config()))),
                     "input data", "3 channels");
  if (!torch::cuda::is_available()) {
    SlidingWindowOptions cuda = options_for(patch);
    cuda.device = torch::Device(torch::kCUDA);
    expect_input_error(run(cuda), "device", "cuda");
  }
}

TEST(Predictor, CudaMatchesCpuInFloat32AndFloat16) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::manual_seed(15);
  GenericUNet net(tiny_unet_config());
  const Array4f data = random_array({2, 20, 18, 17}, 16);
  SlidingWindowOptions o = options_for({16, 16, 16});
  const Array4f cpu = predict_sliding_window(network_logits(net), data, 3, o);
  net->to(torch::kCUDA);
  o.device = torch::Device(torch::kCUDA);
  o.mixed_precision = false;
  // Plain float32 convolutions: cuDNN's default TF32 (as PyTorch's) differs from the CPU by ~4e-4 here.
  const bool tf32 = at::globalContext().allowTF32CuDNN();
  at::globalContext().setAllowTF32CuDNN(false);
  EXPECT_LT(max_abs_diff(predict_sliding_window(network_logits(net), data, 3, o), cpu), 1e-4);
  at::globalContext().setAllowTF32CuDNN(tf32);
  EXPECT_LT(max_abs_diff(predict_sliding_window(network_logits(net), data, 3, o), cpu), 1e-2);
  o.mixed_precision = true;
  EXPECT_LT(max_abs_diff(predict_sliding_window(network_logits(net), data, 3, o), cpu), 1e-2);
  o.max_batch = 1;
  EXPECT_LT(max_abs_diff(predict_sliding_window(network_logits(net), data, 3, o), cpu), 1e-2);
}

}  // namespace
}  // namespace nnseg
