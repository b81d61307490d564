// One training step's worth of work on the BraTS network (1 x 4 x 64^3, 2 threads): forward with deep supervision,
// backward through all five heads; every parameter must get a finite gradient. Records the time (information only).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>

#include "network/generic_unet.h"

namespace nnseg {
namespace {

TEST(GenericUNetSlow, BratsForwardBackwardAt64) {
  torch::set_num_threads(2);
  GenericUNet net(brats_3d_fullres_network_config(4));
  net->train();
  const auto x = torch::randn({1, 4, 64, 64, 64});
  const auto start = std::chrono::steady_clock::now();
  const auto out = net->forward(x);
  torch::Tensor loss = torch::zeros({});
  for (const auto& o : out) loss = loss + o.square().mean();
  loss.backward();
  const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("forward_backward_s", std::to_string(elapsed_s));
  std::cout << "BraTS Generic_UNet forward+backward, 1x4x64^3, " << torch::get_num_threads()
            << " threads: " << elapsed_s << " s\n";
  ASSERT_EQ(out.size(), 5u);
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    if (p.key().find("conv.bias") == std::string::npos) {  // biases before a norm have (near) zero gradient
      EXPECT_GT(p.value().grad().abs().max().item<double>(), 0.0) << p.key();
    }
  }
}

}  // namespace
}  // namespace nnseg
