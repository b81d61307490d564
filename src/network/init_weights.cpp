// He initialisation as nnU-Net v1's InitWeights_He (spec/network.md §6).
#include "network/init_weights.h"

#include <torch/nn/modules/conv.h>
#include <torch/utils.h>

#include <cmath>

namespace nnseg {
namespace {

void init_conv(torch::Tensor& weight, torch::Tensor& bias, double negative_slope, const at::Generator& generator) {
  // torch.nn.init.kaiming_normal_(w, a, mode='fan_in', nonlinearity='leaky_relu'):
  // fan_in = size(1) * receptive field, std = sqrt(2 / (1 + a^2)) / sqrt(fan_in), then w.normal_(0, std).
  int64_t fan_in = weight.size(1);
  for (int64_t d = 2; d < weight.dim(); ++d) {
    fan_in *= weight.size(d);
  }
  const double gain = std::sqrt(2.0 / (1.0 + negative_slope * negative_slope));
  const double std_dev = gain / std::sqrt(static_cast<double>(fan_in));
  if (generator.defined()) {
    weight.normal_(0.0, std_dev, generator);
  } else {
    weight.normal_(0.0, std_dev);
  }
  if (bias.defined()) {
    bias.zero_();
  }
}

}  // namespace

void init_weights_he(torch::nn::Module& module, double negative_slope, at::Generator generator) {
  torch::NoGradGuard no_grad;
  auto visit = [&](torch::nn::Module& m) {
    if (auto* c3 = m.as<torch::nn::Conv3dImpl>()) {
      init_conv(c3->weight, c3->bias, negative_slope, generator);
    } else if (auto* c2 = m.as<torch::nn::Conv2dImpl>()) {
      init_conv(c2->weight, c2->bias, negative_slope, generator);
    } else if (auto* t3 = m.as<torch::nn::ConvTranspose3dImpl>()) {
      init_conv(t3->weight, t3->bias, negative_slope, generator);
    } else if (auto* t2 = m.as<torch::nn::ConvTranspose2dImpl>()) {
      init_conv(t2->weight, t2->bias, negative_slope, generator);
    }
  };
  visit(module);
  for (const auto& child : module.modules(/*include_self=*/false)) {
    visit(*child);
  }
}

}  // namespace nnseg
