// A module's tensors in PyTorch's state_dict order and naming (for checkpoints that interoperate with nnU-Net).
#pragma once

#include <torch/nn/module.h>

#include <string>
#include <utility>
#include <vector>

namespace nnseg {

// Each module's own parameters, then its own buffers, then its children in registration order, recursively
// (torch.nn.Module.state_dict). Names are dotted paths ("conv_blocks_context.0.blocks.0.conv.weight"); undefined
// tensors (a conv without bias, an instance norm without running statistics) are left out.
std::vector<std::pair<std::string, torch::Tensor>> named_state(const torch::nn::Module& module);

}  // namespace nnseg
