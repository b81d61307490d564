// Mixed precision for training on CUDA (spec/training.md §1, §3.2): an autocast scope (float16) and a gradient
// scaler with torch.cuda.amp.GradScaler's defaults and rules, built from ATen's AMP ops since LibTorch has no
// GradScaler class. On CUDA tensors the fused ops run; on CPU tensors an equivalent loop runs (tests only: nnseg
// trains in float32 on the CPU).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace nnseg {

// Enables CUDA autocast (float16) for its lifetime when `enabled`, as `with torch.cuda.amp.autocast():`
// (nesting counted, cast cache cleared on the outermost exit). A no-op when not enabled.
class AutocastScope {
 public:
  explicit AutocastScope(bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  bool previous_ = false;
};

// Whether CUDA autocast is on in this thread (torch.is_autocast_enabled()).
bool cuda_autocast_enabled();

// GradScaler.state_dict() (stored in checkpoints under the same names).
struct GradScalerState {
  double scale = 65536.0;       // initial scale 2^16
  double growth_factor = 2.0;   // after growth_interval consecutive finite steps
  double backoff_factor = 0.5;  // on a step with inf/NaN gradients
  int64_t growth_interval = 2000;
  int64_t growth_tracker = 0;  // consecutive finite steps since the last change
};

class GradScaler {
 public:
  // Scale and tracker live on `device` (as PyTorch keeps them on the gradients' device).
  explicit GradScaler(torch::Device device, const GradScalerState& state = {});

  // loss * scale.
  torch::Tensor scale(const torch::Tensor& loss) const;
  // Divides every defined gradient by the scale in place and records whether any gradient holds inf or NaN
  // (GradScaler.unscale_). Call once per step, before clipping.
  void unscale(const std::vector<torch::Tensor>& params);
  // Whether the last unscale found inf/NaN (the optimizer step must then be skipped). Synchronises the device.
  bool found_inf() const;
  // GradScaler.update(): scale *= backoff and tracker = 0 after an overflow; otherwise tracker += 1 and, when it
  // reaches growth_interval, scale *= growth and tracker = 0.
  void update();

  GradScalerState state() const;
  double current_scale() const;

 private:
  GradScalerState options_;
  torch::Tensor scale_;           // float32 [1]
  torch::Tensor growth_tracker_;  // int32 [1]
  torch::Tensor found_inf_;       // float32 [1], 1 after an overflow
};

}  // namespace nnseg
