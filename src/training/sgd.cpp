// SGD with Nesterov momentum and gradient clipping (training/sgd.h), PyTorch's update order.
#include "training/sgd.h"

#include <torch/nn/utils/clip_grad.h>

#include <utility>

#include "core/check.h"

namespace nnseg {

SgdNesterov::SgdNesterov(std::vector<torch::Tensor> params, SgdOptions options)
    : params_(std::move(params)), buffers_(params_.size()), options_(options) {}

void SgdNesterov::zero_grad() {
  for (auto& p : params_) {
    if (p.mutable_grad().defined()) {
      p.mutable_grad().detach_();
      p.mutable_grad().zero_();
    }
  }
}

void SgdNesterov::step() {
  const torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    const torch::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    torch::Tensor d_p = grad;
    if (options_.weight_decay != 0) d_p = d_p.add(p, options_.weight_decay);
    if (options_.momentum != 0) {
      torch::Tensor& buf = buffers_[i];
      if (!buf.defined()) {
        buf = d_p.clone().detach();
      } else {
        buf.mul_(options_.momentum).add_(d_p);
      }
      d_p = options_.nesterov ? d_p.add(buf, options_.momentum) : buf;
    }
    p.add_(d_p, -options_.lr);
  }
}

void SgdNesterov::set_momentum_buffers(std::vector<torch::Tensor> buffers) {
  NNSEG_CHECK(buffers.size() == params_.size())
      << "momentum buffers: " << buffers.size() << " for " << params_.size() << " parameters";
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (!buffers[i].defined()) continue;
    NNSEG_CHECK(buffers[i].sizes() == params_[i].sizes())
        << "momentum buffer " << i << " " << buffers[i].sizes() << " for a parameter " << params_[i].sizes();
    buffers[i] = buffers[i].to(params_[i].device(), params_[i].scalar_type()).clone();
  }
  buffers_ = std::move(buffers);
}

double clip_gradient_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  return torch::nn::utils::clip_grad_norm_(params, max_norm);
}

}  // namespace nnseg
