// Foreground intensity statistics of the dataset fingerprint (spec/planning.md §4): every 10th voxel with
// label > 0 per case, and median, mean, std, min, max and the 99.5 / 0.5 percentiles of the pooled values.
#pragma once

#include <cstdint>
#include <vector>

#include "fingerprint/crop_to_nonzero.h"

namespace nnseg {

// The seven statistics of one channel, v2 names (v1: sd = std, mn = min, mx = max). All NaN for no values.
struct IntensityStats {
  double median = 0;           // intensity units of the image
  double mean = 0;             // arithmetic mean
  double std = 0;              // population standard deviation (numpy.std, ddof 0)
  double min = 0;              // smallest value
  double max = 0;              // largest value
  double percentile_99_5 = 0;  // numpy.percentile(values, 99.5), linear interpolation
  double percentile_00_5 = 0;  // numpy.percentile(values, 0.5), linear interpolation
};

// numpy.percentile(sorted_values, q) with the default 'linear' method; `sorted_values` ascending, non-empty.
double percentile_linear(const std::vector<double>& sorted_values, double q);

// Statistics of `values` (any order); all NaN when empty or when a value is NaN (as numpy).
IntensityStats compute_intensity_stats(const std::vector<float>& values);

// Appends to `out` every 10th value (indices 0, 10, 20, ... of the foreground list) of `channel` at the voxels
// where `label` > 0, in C order; both arrays hold `numel` voxels. As nnU-Net v1 DatasetAnalyzer.
void append_foreground_samples(const float* channel, const float* label, int64_t numel, std::vector<float>& out);

// The same for channel `c` of a cropped case (its seg is the label).
std::vector<float> sample_foreground(const CroppedCase& cropped, int64_t c);

}  // namespace nnseg
