// He initialisation statistics and determinism (spec/network.md §6, test vectors N8, N9).
#include "network/init_weights.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>

#include "network/generic_unet.h"

namespace nnseg {
namespace {

TEST(InitWeights, StandardDeviationsFollowPytorchFanInN8) {
  torch::set_num_threads(2);
  GenericUNet net(brats_3d_fullres_network_config(4), at::make_generator<at::CPUGeneratorImpl>(7));
  const auto p = net->named_parameters();
  // network.md §6 table; tolerance ~5 standard errors of a sample std (std / sqrt(2n)).
  const std::map<std::string, double> want{{"conv_blocks_context.0.blocks.0.conv.weight", 0.136076},
                                           {"conv_blocks_context.5.0.blocks.0.conv.weight", 0.015214},
                                           {"tu.0.weight", 0.027950},
                                           {"tu.4.weight", 0.088384},
                                           {"seg_outputs.4.weight", 0.249988}};
  for (const auto& [name, expected] : want) {
    const auto w = p[name];
    const double n = static_cast<double>(w.numel());
    const double tol = 5.0 * expected / std::sqrt(2.0 * n);
    EXPECT_NEAR(w.std().item<double>(), expected, tol) << name;
    EXPECT_NEAR(w.mean().item<double>(), 0.0, 5.0 * expected / std::sqrt(n)) << name;
  }
  // The transposed conv uses out*k^3 (PyTorch's convention), not in*k^3: 0.0884 vs 0.0625 for tu.4.
  EXPECT_GT(p["tu.4.weight"].std().item<double>(), 0.085);
}

TEST(InitWeights, BiasesZeroNormsUntouchedN9) {
  torch::set_num_threads(2);
  GenericUNet net(brats_3d_fullres_network_config(4));
  int convs = 0;
  for (const auto& p : net->named_parameters()) {
    const std::string& k = p.key();
    if (k.find(".conv.bias") != std::string::npos || k.find("instnorm.bias") != std::string::npos) {
      EXPECT_EQ(p.value().abs().max().item<float>(), 0.0f) << k;
    } else if (k.find("instnorm.weight") != std::string::npos) {
      EXPECT_TRUE(torch::all(p.value() == 1).item<bool>()) << k;
    } else {
      ++convs;
      EXPECT_GT(p.value().std().item<double>(), 0.0) << k;
    }
  }
  EXPECT_EQ(convs, 22 + 5 + 5);
}

TEST(InitWeights, SeededGeneratorIsRepeatableAndReinitialisationDraws) {
  torch::set_num_threads(2);
  NetworkConfig c;
  c.input_channels = 1;
  c.num_classes = 2;
  c.base_num_features = 4;
  c.pool_kernel_sizes.assign(2, {2, 2, 2});
  c.conv_kernel_sizes.assign(3, {3, 3, 3});
  GenericUNet a(c, at::make_generator<at::CPUGeneratorImpl>(42));
  GenericUNet b(c, at::make_generator<at::CPUGeneratorImpl>(42));
  GenericUNet other(c, at::make_generator<at::CPUGeneratorImpl>(43));
  const auto pa = a->parameters();
  const auto pb = b->parameters();
  const auto po = other->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
  EXPECT_FALSE(torch::equal(pa[0], po[0]));
  // Re-initialising (the epoch-100 rule) draws new weights and zeroes biases again.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : a->parameters()) p.add_(1.0);
  }
  init_weights_he(*a, kHeNegativeSlope, at::make_generator<at::CPUGeneratorImpl>(42));
  for (size_t i = 0; i < pa.size(); ++i) {
    const auto name = a->named_parameters()[i].key();
    if (name.find("instnorm") != std::string::npos) continue;  // not touched by the initialiser
    EXPECT_TRUE(torch::equal(pa[i], pb[i])) << name;
  }
}

}  // namespace
}  // namespace nnseg
