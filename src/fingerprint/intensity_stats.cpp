// Foreground intensity statistics (fingerprint/intensity_stats.h), as nnU-Net v1 DatasetAnalyzer._compute_stats.
#include "fingerprint/intensity_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace nnseg {

double percentile_linear(const std::vector<double>& sorted_values, double q) {
  NNSEG_CHECK(!sorted_values.empty()) << "percentile of no values";
  const double position = q / 100.0 * static_cast<double>(sorted_values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(position));
  const size_t hi = std::min(lo + 1, sorted_values.size() - 1);
  const double t = position - static_cast<double>(lo);
  const double a = sorted_values[lo], b = sorted_values[hi];
  // numpy's _lerp: a + (b - a) * t, but b - (b - a) * (1 - t) for t >= 0.5.
  return t >= 0.5 ? b - (b - a) * (1.0 - t) : a + (b - a) * t;
}

IntensityStats compute_intensity_stats(const std::vector<float>& values) {
  IntensityStats s;
  // numpy gives NaN for every statistic of an empty list, and of a list holding a NaN.
  const bool has_nan = std::any_of(values.begin(), values.end(), [](float v) { return std::isnan(v); });
  if (values.empty() || has_nan) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan, nan, nan, nan, nan};
  }
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  s.median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  double sum = 0;
  for (double v : sorted) sum += v;
  s.mean = sum / static_cast<double>(n);
  double squares = 0;
  for (double v : sorted) squares += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(n));
  s.min = sorted.front();
  s.max = sorted.back();
  s.percentile_99_5 = percentile_linear(sorted, 99.5);
  s.percentile_00_5 = percentile_linear(sorted, 0.5);
  return s;
}

void append_foreground_samples(const float* channel, const float* label, int64_t numel, std::vector<float>& out) {
  int64_t seen = 0;
  for (int64_t i = 0; i < numel; ++i) {
    if (label[i] > 0.0f) {
      if (seen % 10 == 0) out.push_back(channel[i]);
      ++seen;
    }
  }
}

std::vector<float> sample_foreground(const CroppedCase& cropped, int64_t c) {
  NNSEG_CHECK(c >= 0 && c < cropped.data.channels()) << "channel " << c << " of " << cropped.data.channels();
  std::vector<float> out;
  append_foreground_samples(cropped.data.channel(c), cropped.seg.channel(0), cropped.data.channel_numel(), out);
  return out;
}

}  // namespace nnseg
