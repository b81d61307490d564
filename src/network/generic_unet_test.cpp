// Generic_UNet structure and forward pass against spec/network.md §3-§7 and test vectors N1-N5, N10, N11.
#include "network/generic_unet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "network/network_config.h"
#include "network/state_dict.h"

namespace nnseg {
namespace {

using Shape = std::vector<int64_t>;

class GenericUNetTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(2); }
};

// The v1 state-dict names and shapes of the BraTS network, written out from network.md §3, §4, §7.
std::vector<std::pair<std::string, Shape>> expected_brats_state(int64_t classes) {
  const Shape f{32, 64, 128, 256, 320, 320};
  std::vector<std::pair<std::string, Shape>> want;
  auto block = [&](const std::string& p, int64_t in, int64_t out) {
    want.push_back({p + ".conv.weight", {out, in, 3, 3, 3}});
    want.push_back({p + ".conv.bias", {out}});
    want.push_back({p + ".instnorm.weight", {out}});
    want.push_back({p + ".instnorm.bias", {out}});
  };
  for (int u = 0; u < 5; ++u) {
    const int64_t s = f[4 - u];
    block("conv_blocks_localization." + std::to_string(u) + ".0.blocks.0", 2 * s, s);
    block("conv_blocks_localization." + std::to_string(u) + ".1.blocks.0", s, s);
  }
  for (int d = 0; d < 5; ++d) {
    block("conv_blocks_context." + std::to_string(d) + ".blocks.0", d == 0 ? 4 : f[d - 1], f[d]);
    block("conv_blocks_context." + std::to_string(d) + ".blocks.1", f[d], f[d]);
  }
  block("conv_blocks_context.5.0.blocks.0", 320, 320);
  block("conv_blocks_context.5.1.blocks.0", 320, 320);
  for (int u = 0; u < 5; ++u) {
    want.push_back({"tu." + std::to_string(u) + ".weight", {u == 0 ? 320 : f[5 - u], f[4 - u], 2, 2, 2}});
  }
  for (int u = 0; u < 5; ++u) {
    want.push_back({"seg_outputs." + std::to_string(u) + ".weight", {classes, f[4 - u], 1, 1, 1}});
  }
  return want;
}

int64_t group_parameters(const torch::nn::Module& m, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& p : m.named_parameters()) {
    if (p.key().rfind(prefix, 0) == 0) n += p.value().numel();
  }
  return n;
}

TEST_F(GenericUNetTest, BratsParameterCountN1N2) {
  GenericUNet net(brats_3d_fullres_network_config(4));
  EXPECT_EQ(count_parameters(*net), 31198976);
  for (const auto& p : net->parameters()) EXPECT_TRUE(p.requires_grad());
  GenericUNet regions(brats_3d_fullres_network_config(3));
  EXPECT_EQ(count_parameters(*regions), 31198176);
}

TEST_F(GenericUNetTest, BratsParameterGroupsMatchSpecTable) {
  GenericUNet net(brats_3d_fullres_network_config(4));
  const std::map<std::string, int64_t> want{{"conv_blocks_context.0.", 31296},
                                            {"conv_blocks_context.1.", 166272},
                                            {"conv_blocks_context.2.", 664320},
                                            {"conv_blocks_context.3.", 2655744},
                                            {"conv_blocks_context.4.", 4978560},
                                            {"conv_blocks_context.5.", 5531520},
                                            {"tu.0.", 819200},
                                            {"tu.1.", 655360},
                                            {"tu.2.", 262144},
                                            {"tu.3.", 65536},
                                            {"tu.4.", 16384},
                                            {"conv_blocks_localization.0.", 8296320},
                                            {"conv_blocks_localization.1.", 5309952},
                                            {"conv_blocks_localization.2.", 1327872},
                                            {"conv_blocks_localization.3.", 332160},
                                            {"conv_blocks_localization.4.", 83136},
                                            {"seg_outputs.0.", 1280},
                                            {"seg_outputs.1.", 1024},
                                            {"seg_outputs.2.", 512},
                                            {"seg_outputs.3.", 256},
                                            {"seg_outputs.4.", 128}};
  for (const auto& [prefix, n] : want) EXPECT_EQ(group_parameters(*net, prefix), n) << prefix;
}

TEST_F(GenericUNetTest, BratsStateDictNamesShapesAndOrderN10) {
  GenericUNet net(brats_3d_fullres_network_config(4));
  const auto state = named_state(*net);
  const auto want = expected_brats_state(4);
  ASSERT_EQ(state.size(), 98u);
  ASSERT_EQ(want.size(), 98u);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(state[i].first, want[i].first) << "entry " << i;
    EXPECT_EQ(state[i].second.sizes().vec(), want[i].second) << want[i].first;
  }
  // named_parameters (what the optimizer sees) holds the same tensors in the same order.
  const auto params = net->named_parameters();
  ASSERT_EQ(params.size(), 98u);
  for (size_t i = 0; i < params.size(); ++i) EXPECT_EQ(params[i].key(), want[i].first);
}

TEST_F(GenericUNetTest, FeaturesAndDivisibilityN3N11) {
  const auto config = brats_3d_fullres_network_config();
  EXPECT_EQ(stage_features(config), (Shape{32, 64, 128, 256, 320, 320}));
  EXPECT_EQ(input_divisibility(config), (Shape{32, 32, 32}));
  NetworkConfig two_d = config;
  two_d.max_num_features = 480;
  two_d.pool_kernel_sizes.assign(7, {2, 2});
  two_d.conv_kernel_sizes.assign(8, {3, 3});
  EXPECT_EQ(stage_features(two_d), (Shape{32, 64, 128, 256, 480, 480, 480, 480}));
  EXPECT_EQ(input_divisibility(two_d), (Shape{128, 128}));
  NetworkConfig aniso = config;
  aniso.pool_kernel_sizes = {{1, 2, 2}, {2, 2, 2}, {2, 2, 2}, {1, 2, 2}, {2, 2, 1}};
  EXPECT_EQ(input_divisibility(aniso), (Shape{8, 32, 16}));
}

TEST_F(GenericUNetTest, BratsForwardShapesN4N5) {
  // N4 at 64^3 (128^3 is too slow for a unit test): every head, highest resolution first. N5: do_ds off gives the
  // full-resolution logits only, equal to the first deep-supervision output.
  GenericUNet net(brats_3d_fullres_network_config(4));
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 4, 64, 64, 64});
  const auto out = net->forward(x);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(net->num_outputs(), 5);
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t s = 64 >> i;
    EXPECT_EQ(out[i].sizes().vec(), (Shape{1, 4, s, s, s})) << "output " << i;
  }
  net->set_do_ds(false);
  const auto full = net->forward(x);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(net->num_outputs(), 1);
  EXPECT_EQ(full[0].sizes().vec(), (Shape{1, 4, 64, 64, 64}));
  EXPECT_TRUE(torch::allclose(full[0], out[0], 1e-4, 1e-5));
}

NetworkConfig small_3d() {
  NetworkConfig c;
  c.input_channels = 2;
  c.num_classes = 3;
  c.base_num_features = 4;
  c.max_num_features = 12;
  c.pool_kernel_sizes = {{1, 2, 2}, {2, 2, 2}, {2, 2, 2}};
  c.conv_kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}, {1, 3, 3}};
  return c;
}

TEST_F(GenericUNetTest, DeepSupervisionOutputsAreTheHeadsAtEachLevel) {
  GenericUNet net(small_3d());
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 2, 8, 16, 16});
  const auto ds = net->forward(x);
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds[0].sizes().vec(), (Shape{2, 3, 8, 16, 16}));
  EXPECT_EQ(ds[1].sizes().vec(), (Shape{2, 3, 8, 8, 8}));
  EXPECT_EQ(ds[2].sizes().vec(), (Shape{2, 3, 4, 4, 4}));
  net->set_do_ds(false);
  const auto full = net->forward(x);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_TRUE(torch::allclose(full[0], ds[0], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(net->predict_logits(x), ds[0], 1e-5, 1e-6));
  NetworkConfig no_ds = small_3d();
  no_ds.deep_supervision = false;
  GenericUNet plain(no_ds);
  EXPECT_EQ(plain->num_outputs(), 1);
  EXPECT_EQ(plain->forward(x).size(), 1u);
  // All heads exist either way (v1 builds them regardless), so the parameter count does not change.
  EXPECT_EQ(count_parameters(*plain), count_parameters(*net));
}

TEST_F(GenericUNetTest, DecoderUsesV1KernelIndexing) {
  // Decoder level u takes conv_kernel_sizes[-(u+1)]: u = 0 (deepest) the bottleneck's [1,3,3].
  GenericUNet net(small_3d());
  const auto p = net->named_parameters();
  EXPECT_EQ(p["conv_blocks_localization.0.0.blocks.0.conv.weight"].sizes().vec(), (Shape{12, 24, 1, 3, 3}));
  EXPECT_EQ(p["conv_blocks_localization.1.1.blocks.0.conv.weight"].sizes().vec(), (Shape{8, 8, 3, 3, 3}));
  EXPECT_EQ(p["conv_blocks_localization.2.0.blocks.0.conv.weight"].sizes().vec(), (Shape{4, 8, 3, 3, 3}));
  EXPECT_EQ(p["conv_blocks_context.0.blocks.0.conv.weight"].sizes().vec(), (Shape{4, 2, 1, 3, 3}));
  EXPECT_EQ(p["conv_blocks_context.3.0.blocks.0.conv.weight"].sizes().vec(), (Shape{12, 12, 1, 3, 3}));
  EXPECT_EQ(p["tu.0.weight"].sizes().vec(), (Shape{12, 12, 2, 2, 2}));
  EXPECT_EQ(p["tu.2.weight"].sizes().vec(), (Shape{8, 4, 1, 2, 2}));
}

TEST_F(GenericUNetTest, ThreeConvsPerStageGiveTwoBlocksInTheFirstBottleneckUnit) {
  NetworkConfig c = small_3d();
  c.convs_per_stage = 3;
  GenericUNet net(c);
  const auto p = net->named_parameters();
  EXPECT_TRUE(p.contains("conv_blocks_context.0.blocks.2.conv.weight"));
  EXPECT_TRUE(p.contains("conv_blocks_context.3.0.blocks.1.conv.weight"));
  EXPECT_FALSE(p.contains("conv_blocks_context.3.1.blocks.1.conv.weight"));
  EXPECT_TRUE(p.contains("conv_blocks_localization.0.0.blocks.1.conv.weight"));
  EXPECT_EQ(p.size(), static_cast<size_t>(4 * (3 * 3 + 3 + 3 * 3) + 3 + 3));
}

TEST_F(GenericUNetTest, TwoDimensionalNetwork) {
  NetworkConfig c;
  c.input_channels = 1;
  c.num_classes = 3;
  c.base_num_features = 8;
  c.max_num_features = 32;
  c.pool_kernel_sizes.assign(4, {2, 2});
  c.conv_kernel_sizes.assign(5, {3, 3});
  GenericUNet net(c);
  EXPECT_EQ(stage_features(c), (Shape{8, 16, 32, 32, 32}));
  const auto p = net->named_parameters();
  EXPECT_EQ(p["conv_blocks_context.0.blocks.0.conv.weight"].sizes().vec(), (Shape{8, 1, 3, 3}));
  EXPECT_EQ(p["tu.3.weight"].sizes().vec(), (Shape{16, 8, 2, 2}));
  EXPECT_EQ(p["seg_outputs.3.weight"].sizes().vec(), (Shape{3, 8, 1, 1}));
  ASSERT_NE(net->named_modules()["conv_blocks_context.0.blocks.0.instnorm"]->as<torch::nn::InstanceNorm2dImpl>(),
            nullptr);
  net->train();
  const auto out = net->forward(torch::randn({2, 1, 32, 48}));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].sizes().vec(), (Shape{2, 3, 32, 48}));
  EXPECT_EQ(out[3].sizes().vec(), (Shape{2, 3, 4, 6}));
}

TEST_F(GenericUNetTest, BatchNormVariantAddsRunningStatistics) {
  NetworkConfig c = brats_3d_fullres_network_config(4);
  c.norm = NormKind::kBatch;
  GenericUNet net(c);
  EXPECT_EQ(count_parameters(*net), 31198976);
  int64_t buffers = 0;
  for (const auto& b : net->buffers()) buffers += b.numel();
  EXPECT_EQ(buffers, 7702);
  const auto state = named_state(*net);
  EXPECT_EQ(state.size(), 98u + 22u * 3u);
  EXPECT_EQ(state[4].first, "conv_blocks_localization.0.0.blocks.0.instnorm.running_mean");
  EXPECT_EQ(state[6].first, "conv_blocks_localization.0.0.blocks.0.instnorm.num_batches_tracked");
}

std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return format_error(e);
  }
  return "no InputError";
}

TEST_F(GenericUNetTest, BadInputShapesAreInputErrors) {
  GenericUNet net(small_3d());
  torch::NoGradGuard no_grad;
  auto msg = error_text([&] { net->forward(torch::zeros({1, 3, 8, 16, 16})); });
  EXPECT_NE(msg.find("network input"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[1, 3, 8, 16, 16]"), std::string::npos) << msg;
  msg = error_text([&] { net->forward(torch::zeros({1, 2, 8, 12, 16})); });
  EXPECT_NE(msg.find("[1, 2, 8, 12, 16]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 8, 8]"), std::string::npos) << msg;
  msg = error_text([&] { net->predict_logits(torch::zeros({2, 8, 16, 16})); });
  EXPECT_NE(msg.find("[2, 8, 16, 16]"), std::string::npos) << msg;
}

TEST_F(GenericUNetTest, BadConfigurationsAreInputErrors) {
  NetworkConfig c = small_3d();
  c.conv_kernel_sizes.pop_back();
  auto msg = error_text([&] { GenericUNet n(c); });
  EXPECT_NE(msg.find("network configuration: conv_kernel_sizes has 3 entries"), std::string::npos) << msg;
  c = small_3d();
  c.conv_kernel_sizes[2] = {3, 5, 3};
  msg = error_text([&] { GenericUNet n(c); });
  EXPECT_NE(msg.find("conv_kernel_sizes[2] = [3, 5, 3]"), std::string::npos) << msg;
  c = small_3d();
  c.pool_kernel_sizes[1] = {2, 2};
  msg = error_text([&] { GenericUNet n(c); });
  EXPECT_NE(msg.find("pool_kernel_sizes[1] = [2, 2]"), std::string::npos) << msg;
  c = small_3d();
  c.base_num_features = 0;
  msg = error_text([&] { GenericUNet n(c); });
  EXPECT_NE(msg.find("base_num_features = 0"), std::string::npos) << msg;
  c = small_3d();
  c.pool_kernel_sizes.clear();
  msg = error_text([&] { validate_network_config(c); });
  EXPECT_NE(msg.find("pool_kernel_sizes is empty"), std::string::npos) << msg;
}

}  // namespace
}  // namespace nnseg
