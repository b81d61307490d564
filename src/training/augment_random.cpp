// Seeded augmentation generator and scalar draws (training/augment_random.h).
#include "training/augment_random.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/DistributionsHelper.h>

#include <mutex>

#include "core/check.h"

namespace nnseg {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

}  // namespace

at::Generator make_augment_generator(uint64_t seed, int64_t iteration) {
  NNSEG_CHECK(iteration >= 0) << "augmentation iteration " << iteration;
  const uint64_t mixed = splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(iteration));
  return at::make_generator<at::CPUGeneratorImpl>(mixed);
}

AugmentRng::AugmentRng(at::Generator generator) : generator_(std::move(generator)) {
  NNSEG_CHECK(generator_.defined() && generator_.device().is_cpu()) << "augmentation needs a CPU generator";
}

double AugmentRng::uniform(double lo, double hi) {
  NNSEG_CHECK(lo <= hi) << "uniform(" << lo << ", " << hi << ")";
  auto* impl = at::check_generator<at::CPUGeneratorImpl>(generator_);
  std::lock_guard<std::mutex> lock(generator_.mutex());
  at::uniform_real_distribution<double> dist(lo, hi);
  return dist(impl);
}

bool AugmentRng::chance(double p) { return uniform(0.0, 1.0) < p; }

double AugmentRng::split_range(double lo, double hi) {
  // As batchgenerators' `np.random.random() < 0.5 and lo < 1`: the coin is drawn first, so it is consumed even
  // when lo >= 1.
  if (chance(0.5) && lo < 1.0) return uniform(lo, 1.0);
  return uniform(std::max(lo, 1.0), hi);
}

torch::Tensor AugmentRng::randn(at::IntArrayRef sizes) {
  return at::randn(sizes, generator_, at::TensorOptions().dtype(at::kFloat));
}

}  // namespace nnseg
