// nnU-Net v1 InitWeights_He(1e-2) (spec/network.md §6): Kaiming-normal conv weights, zero conv biases.
#pragma once

#include <ATen/core/Generator.h>

namespace torch::nn {
class Module;
}

namespace nnseg {

// v1's slope; the reference calls 0.01 an oversight (0 was meant) but uses it, so do we.
constexpr double kHeNegativeSlope = 1e-2;

// Every Conv2d/Conv3d/ConvTranspose2d/ConvTranspose3d under `module` (itself included), in registration order:
// weight ~ N(0, gain^2 / fan_in), gain = sqrt(2 / (1 + a^2)), fan_in = weight.size(1) * prod(kernel) (PyTorch's
// convention, also for transposed convs); bias = 0. Norm parameters are left alone. Draws from `generator`, or
// from the global CPU generator when it is undefined (same stream as torch.nn.init.kaiming_normal_).
void init_weights_he(torch::nn::Module& module, double negative_slope = kHeNegativeSlope, at::Generator generator = {});

}  // namespace nnseg
