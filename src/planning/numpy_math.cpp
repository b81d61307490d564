// NumPy numerics for the planner (planning/numpy_math.h).
#include "planning/numpy_math.h"

#include <algorithm>
#include <array>
#include <cfenv>
#include <cmath>

#include "core/check.h"
#include "fingerprint/intensity_stats.h"

namespace nnseg::np {

double median(std::vector<double> values) {
  NNSEG_CHECK(!values.empty()) << "median of no values";
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

double percentile(std::vector<double> values, double q) {
  NNSEG_CHECK(!values.empty()) << "percentile of no values";
  std::sort(values.begin(), values.end());
  return percentile_linear(values, q);
}

int64_t round_half_even(double value) {
  // nearbyint rounds in the current mode, which is round-to-nearest-even unless someone changed it.
  NNSEG_CHECK(std::fegetround() == FE_TONEAREST) << "floating-point rounding mode changed";
  return static_cast<int64_t>(std::nearbyint(value));
}

double mean(const std::vector<double>& values) {
  NNSEG_CHECK(!values.empty()) << "mean of no values";
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double pairwise_sum(const double* a, int64_t n) {
  if (n < 8) {
    double res = 0.0;
    for (int64_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    std::array<double, 8> r{};
    for (int j = 0; j < 8; ++j) r[static_cast<size_t>(j)] = a[j];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[static_cast<size_t>(j)] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

}  // namespace nnseg::np
