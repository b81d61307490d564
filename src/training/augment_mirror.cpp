// Mirroring, mask transform and -1 removal (training/augment_mirror.h, spec/training.md §7.2 steps 10-12).
#include "training/augment_mirror.h"

#include <ATen/ATen.h>

#include "core/check.h"

namespace nnseg {

MirrorDraw draw_mirror(const std::vector<int64_t>& axes, double p, AugmentRng& rng) {
  MirrorDraw d{false, false, false};
  for (int64_t a : axes) {
    NNSEG_CHECK(a >= 0 && a < 3) << "mirror axis " << a;
    d[static_cast<size_t>(a)] = rng.chance(p);
  }
  return d;
}

torch::Tensor mirror_sample(const torch::Tensor& x, const MirrorDraw& draw) {
  NNSEG_CHECK(x.dim() == 4) << "mirror_sample expects [C, Z, Y, X], got " << x.sizes();
  std::vector<int64_t> dims;
  for (int64_t a = 0; a < 3; ++a) {
    if (draw[static_cast<size_t>(a)]) dims.push_back(a + 1);
  }
  return dims.empty() ? x : at::flip(x, dims);
}

torch::Tensor mask_outside_brain(const torch::Tensor& data, const torch::Tensor& seg,
                                 const std::vector<bool>& mask_for_norm) {
  NNSEG_CHECK(data.dim() >= 3 && seg.dim() == data.dim() && seg.size(1) >= 1 &&
              static_cast<int64_t>(mask_for_norm.size()) == data.size(1))
      << "mask transform of data " << data.sizes() << ", seg " << seg.sizes() << ", " << mask_for_norm.size()
      << " mask flags";
  bool any = false;
  for (bool m : mask_for_norm) any = any || m;
  if (!any) return data;
  std::vector<float> flags;
  for (bool m : mask_for_norm) flags.push_back(m ? 1.0f : 0.0f);
  std::vector<int64_t> shape(static_cast<size_t>(data.dim()), 1);
  shape[1] = data.size(1);
  const at::Tensor use = at::tensor(flags).to(data.device()).view(shape).gt(0.5);
  const at::Tensor outside = seg.narrow(1, 0, 1).lt(0);  // [B, 1, ...]
  return data.masked_fill(at::logical_and(use, outside), 0.0);
}

torch::Tensor remove_outside_label(const torch::Tensor& seg) { return seg.masked_fill(seg.eq(-1), 0); }

}  // namespace nnseg
