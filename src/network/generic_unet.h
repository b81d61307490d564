// nnU-Net v1's Generic_UNet as nnUNetTrainerV2 builds it (spec/network.md): conv-IN-LeakyReLU blocks, strided-conv
// downsampling, transposed-conv upsampling, 1x1 heads, deep supervision. Parameter names match v1's state dict.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <vector>

#include "network/network_config.h"

namespace nnseg {

struct GenericUNetLayers;  // typed handles on the registered modules (generic_unet.cpp)

class GenericUNetImpl : public torch::nn::Module {
 public:
  // Builds the network and applies He init (init_weights.h) with `generator` (the global CPU generator when
  // undefined), as v1 applies InitWeights_He(1e-2) in its constructor. Throws InputError for a bad config.
  explicit GenericUNetImpl(NetworkConfig config, at::Generator generator = {});

  // Deep supervision on (and do_ds): the logits of every head, highest resolution first (network.md §5);
  // otherwise one tensor, the full-resolution logits. Input [B, input_channels, spatial...], each extent a
  // multiple of input_divisibility(config); throws InputError otherwise.
  std::vector<torch::Tensor> forward(const torch::Tensor& x);

  // Full-resolution logits only; the low-resolution heads are not computed (inference, network.md §5).
  torch::Tensor predict_logits(const torch::Tensor& x);

  // v1's `do_ds`: the trainer switches it off around sliding-window prediction. No effect without deep supervision.
  void set_do_ds(bool on) { do_ds_ = on; }
  bool do_ds() const { return do_ds_; }

  const NetworkConfig& config() const { return config_; }
  int64_t num_outputs() const;  // tensors returned by forward() in the current mode

 private:
  torch::Tensor run(const torch::Tensor& x, bool all_heads, std::vector<torch::Tensor>* outputs);

  NetworkConfig config_;
  bool do_ds_ = true;
  std::shared_ptr<GenericUNetLayers> layers_;
};

TORCH_MODULE(GenericUNet);

// Number of scalar parameters (trainable or not; buffers excluded).
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace nnseg
