// Autocast scope and gradient scaler (training/amp.h), following torch.cuda.amp (PyTorch 1.13).
#include "training/amp.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "core/check.h"

// PyTorch 2.4 replaced the CUDA-only autocast calls (is_enabled, set_enabled, set_autocast_gpu_dtype) by calls
// that take the device type; the old ones are deprecated there and warn at run time.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define NNSEG_AUTOCAST_BY_DEVICE 1
#else
#define NNSEG_AUTOCAST_BY_DEVICE 0
#endif

namespace nnseg {
namespace {

void set_cuda_autocast(bool enabled) {
#if NNSEG_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, enabled);
#else
  at::autocast::set_enabled(enabled);
#endif
}

void set_cuda_autocast_dtype(at::ScalarType dtype) {
#if NNSEG_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
#else
  at::autocast::set_autocast_gpu_dtype(dtype);
#endif
}

}  // namespace

bool cuda_autocast_enabled() {
#if NNSEG_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(at::kCUDA);
#else
  return at::autocast::is_enabled();
#endif
}

AutocastScope::AutocastScope(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
  previous_ = cuda_autocast_enabled();
  set_cuda_autocast_dtype(at::kHalf);
  set_cuda_autocast(true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_cuda_autocast(previous_);
}

GradScaler::GradScaler(torch::Device device, const GradScalerState& state) : options_(state) {
  const auto on = torch::TensorOptions().device(device);
  scale_ = torch::full({1}, state.scale, on.dtype(torch::kFloat));
  growth_tracker_ = torch::full({1}, state.growth_tracker, on.dtype(torch::kInt));
  found_inf_ = torch::zeros({1}, on.dtype(torch::kFloat));
}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) const { return loss * scale_.to(loss.device()); }

void GradScaler::unscale(const std::vector<torch::Tensor>& params) {
  const torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  found_inf_.zero_();
  // As GradScaler.unscale_: the reciprocal in double, then float.
  const torch::Tensor inv_scale = scale_.to(torch::kDouble).reciprocal().to(torch::kFloat);
  if (scale_.is_cuda()) {
    if (!grads.empty()) at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inv_scale);
    return;
  }
  for (auto& g : grads) {
    if (!g.isfinite().all().item<bool>()) found_inf_.fill_(1.0);
    g.mul_(inv_scale);
  }
}

bool GradScaler::found_inf() const { return found_inf_.item<float>() != 0.0f; }

void GradScaler::update() {
  if (scale_.is_cuda()) {
    at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, options_.growth_factor, options_.backoff_factor,
                           options_.growth_interval);
    return;
  }
  if (found_inf()) {
    scale_.mul_(options_.backoff_factor);
    growth_tracker_.zero_();
    return;
  }
  const int64_t successful = growth_tracker_.item<int>() + 1;
  if (successful == options_.growth_interval) {
    const torch::Tensor grown = scale_ * options_.growth_factor;
    if (grown.isfinite().all().item<bool>()) scale_.copy_(grown);
    growth_tracker_.zero_();
  } else {
    growth_tracker_.fill_(successful);
  }
}

GradScalerState GradScaler::state() const {
  GradScalerState s = options_;
  s.scale = scale_.item<double>();
  s.growth_tracker = growth_tracker_.item<int>();
  return s;
}

double GradScaler::current_scale() const { return scale_.item<double>(); }

}  // namespace nnseg
