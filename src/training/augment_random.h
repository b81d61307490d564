// Random draws for data augmentation: one seeded CPU torch generator per training iteration, so a given --seed
// reproduces every batch (spec/training.md §1 "Decision for nnseg"); parameters are drawn here and applied on device.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>

namespace nnseg {

// The generator for the augmentation of training iteration `iteration` (counted over the whole run) of a run seeded
// with `seed`: a CPU generator whose seed mixes both (splitmix64), so iterations do not share streams.
at::Generator make_augment_generator(uint64_t seed, int64_t iteration);

// Scalar and tensor draws from one CPU generator (not thread-safe across threads sharing one AugmentRng; the
// generator's own mutex is taken for every draw).
class AugmentRng {
 public:
  explicit AugmentRng(at::Generator generator);

  // U(lo, hi); lo == hi gives lo.
  double uniform(double lo, double hi);
  // True with probability p (uniform(0, 1) < p, the batchgenerators test).
  bool chance(double p);
  // batchgenerators' "with prob 0.5 below 1" rule for a range (lo, hi): if lo < 1 and uniform() < 0.5 then
  // U(lo, 1), else U(max(lo, 1), hi). Used for scale, contrast and gamma factors.
  double split_range(double lo, double hi);
  // Standard-normal CPU float tensor of `sizes`.
  torch::Tensor randn(at::IntArrayRef sizes);

  at::Generator& generator() { return generator_; }

 private:
  at::Generator generator_;
};

}  // namespace nnseg
