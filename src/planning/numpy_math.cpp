// NumPy numerics for the planner (planning/numpy_math.h).
#include "planning/numpy_math.h"

#include <algorithm>
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

}  // namespace nnseg::np
