// nnUNetTrainerV2's optimizer (spec/training.md §1, §3.1): SGD with Nesterov momentum and weight decay over one
// parameter group, with PyTorch's update rule, and global gradient-norm clipping. The momentum buffers are plain
// tensors so that checkpoints can store them by parameter name.
#pragma once

#include <torch/types.h>

#include <vector>

namespace nnseg {

constexpr double kInitialLr = 0.01;
constexpr double kSgdMomentum = 0.99;
constexpr double kSgdWeightDecay = 3e-5;
constexpr double kGradClipNorm = 12.0;

struct SgdOptions {
  double lr = kInitialLr;                 // set per epoch by the poly schedule
  double momentum = kSgdMomentum;         // 0.95 after v1's epoch-100 fallback
  double weight_decay = kSgdWeightDecay;  // L2 added to the gradient
  bool nesterov = true;
};

class SgdNesterov {
 public:
  // `params` are updated in place (leaf tensors with requires_grad).
  SgdNesterov(std::vector<torch::Tensor> params, SgdOptions options);

  // Zeroes every defined gradient (PyTorch 1.x optimizer.zero_grad(), set_to_none = False).
  void zero_grad();
  // For each parameter with a gradient g (PyTorch torch.optim.SGD, dampening 0): g += wd * w; b = g on the first
  // step, else b = momentum * b + g; Nesterov: g += momentum * b (else g = b); w -= lr * g.
  void step();

  void set_lr(double lr) { options_.lr = lr; }
  void set_momentum(double momentum) { options_.momentum = momentum; }
  const SgdOptions& options() const { return options_; }
  const std::vector<torch::Tensor>& params() const { return params_; }
  // One entry per parameter; undefined until that parameter's first step.
  const std::vector<torch::Tensor>& momentum_buffers() const { return buffers_; }
  // Replaces the buffers (checkpoint restore): same count as params, each undefined or of the parameter's shape;
  // moved to the parameter's device. Error otherwise.
  void set_momentum_buffers(std::vector<torch::Tensor> buffers);

 private:
  std::vector<torch::Tensor> params_;
  std::vector<torch::Tensor> buffers_;
  SgdOptions options_;
};

// Scales all gradients jointly so that their global L2 norm is at most `max_norm` (torch.nn.utils.clip_grad_norm_,
// coefficient max_norm / (norm + 1e-6) when below 1). Returns the norm before clipping.
double clip_gradient_norm(const std::vector<torch::Tensor>& params, double max_norm = kGradClipNorm);

}  // namespace nnseg
