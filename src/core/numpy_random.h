// NumpyRandomState: MT19937 with NumPy's legacy RandomState semantics (seeding, interval, permutation, shuffle,
// choice without replacement), so that splits and class locations are bit-identical to nnU-Net's
// (spec/preprocessing.md §8).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace nnseg {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed);

  // Next raw 32-bit output (MT19937 genrand_int32).
  uint32_t next_uint32();
  // Uniform integer in [0, max] by masked rejection, as numpy's rk_interval.
  uint64_t interval(uint64_t max);
  // numpy.random.RandomState(seed).permutation(n).
  std::vector<int64_t> permutation(int64_t n);
  // numpy choice(n, k, replace=False): the first k entries of permutation(n).
  std::vector<int64_t> choice_without_replacement(int64_t n, int64_t k);
  // numpy shuffle of a sequence (same swap loop as permutation).
  template <typename T>
  void shuffle(std::vector<T>& values) {
    for (int64_t i = static_cast<int64_t>(values.size()) - 1; i >= 1; --i) {
      auto j = static_cast<int64_t>(interval(static_cast<uint64_t>(i)));
      std::swap(values[static_cast<size_t>(i)], values[static_cast<size_t>(j)]);
    }
  }

 private:
  std::array<uint32_t, 624> mt_{};
  int index_ = 624;
};

}  // namespace nnseg
