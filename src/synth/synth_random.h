// Random numbers for synth-brats: std::mt19937_64 seeded from (seed, case id, stream) so every case is reproducible
// on its own, whatever the thread count; our own uniform/normal transforms so the values do not depend on the
// standard library's distribution classes. ValueNoise: smooth random fields (lattice value noise).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace nnseg::synth {

// SplitMix64 finaliser: a well-mixed 64-bit hash.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class SynthRng {
 public:
  // Independent streams for (seed, case id, purpose).
  SynthRng(uint64_t seed, uint64_t case_id, uint64_t stream)
      : engine_(mix64(mix64(mix64(seed) ^ case_id) ^ (stream * 0x2545f4914f6cdd1dull))) {}

  uint64_t bits() { return engine_(); }
  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n >= 1 (from 53 bits; the bias is negligible for the n used here).
  int64_t integer(int64_t n) {
    const auto k = static_cast<int64_t>(uniform() * static_cast<double>(n));
    return k < n ? k : n - 1;
  }
  // Standard normal by Marsaglia's polar method (pairs, second one cached).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0, v = 0, s = 0;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// Smooth random field in [-1, 1]: values drawn on a lattice every `cell_mm` over a physical box, interpolated
// with smoothstep weights (C1-continuous). Coordinates are in mm, (x, y, z).
class ValueNoise {
 public:
  ValueNoise() = default;
  ValueNoise(SynthRng& rng, std::array<double, 3> lo_mm, std::array<double, 3> hi_mm, double cell_mm)
      : lo_(lo_mm), inv_cell_(1.0 / cell_mm) {
    for (int a = 0; a < 3; ++a) n_[a] = static_cast<int64_t>(std::ceil((hi_mm[a] - lo_mm[a]) * inv_cell_)) + 2;
    values_.resize(static_cast<size_t>(n_[0] * n_[1] * n_[2]));
    for (auto& v : values_) v = static_cast<float>(rng.uniform(-1.0, 1.0));
  }

  double operator()(double x, double y, double z) const {
    const double p[3] = {(x - lo_[0]) * inv_cell_, (y - lo_[1]) * inv_cell_, (z - lo_[2]) * inv_cell_};
    int64_t i[3];
    double w[3];
    for (int a = 0; a < 3; ++a) {
      double c = std::fmin(std::fmax(p[a], 0.0), static_cast<double>(n_[a] - 1) - 1e-9);
      i[a] = static_cast<int64_t>(c);
      const double f = c - static_cast<double>(i[a]);
      w[a] = f * f * (3.0 - 2.0 * f);
    }
    auto at = [&](int64_t dx, int64_t dy, int64_t dz) {
      return static_cast<double>(values_[static_cast<size_t>(((i[2] + dz) * n_[1] + i[1] + dy) * n_[0] + i[0] + dx)]);
    };
    const double x00 = at(0, 0, 0) + w[0] * (at(1, 0, 0) - at(0, 0, 0));
    const double x10 = at(0, 1, 0) + w[0] * (at(1, 1, 0) - at(0, 1, 0));
    const double x01 = at(0, 0, 1) + w[0] * (at(1, 0, 1) - at(0, 0, 1));
    const double x11 = at(0, 1, 1) + w[0] * (at(1, 1, 1) - at(0, 1, 1));
    const double y0 = x00 + w[1] * (x10 - x00);
    const double y1 = x01 + w[1] * (x11 - x01);
    return y0 + w[2] * (y1 - y0);
  }

 private:
  std::array<double, 3> lo_{0, 0, 0};
  double inv_cell_ = 1;
  std::array<int64_t, 3> n_{2, 2, 2};  // lattice points, (x, y, z)
  std::vector<float> values_{0, 0, 0, 0, 0, 0, 0, 0};
};

}  // namespace nnseg::synth
