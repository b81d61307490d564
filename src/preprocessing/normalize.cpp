// Intensity normalisation (preprocessing/normalize.h), as nnU-Net v1 GenericPreprocessor (spec/preprocessing.md §3).
#include "preprocessing/normalize.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/error.h"

namespace nnseg {
namespace {

// Mean and population standard deviation of values[i] where keep(i); double accumulators (numpy sums float32
// pairwise; the difference is ~1e-7 relative, spec §3).
template <typename Keep>
void mean_std(const float* values, int64_t count, Keep keep, double& mean, double& sd, int64_t& n) {
  double sum = 0;
  n = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (keep(i)) {
      sum += values[i];
      ++n;
    }
  }
  mean = n > 0 ? sum / static_cast<double>(n) : std::nan("");
  double squares = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (keep(i)) squares += (values[i] - mean) * (values[i] - mean);
  }
  sd = n > 0 ? std::sqrt(squares / static_cast<double>(n)) : std::nan("");
}

void zero_outside_mask(float* values, const float* seg, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    if (seg[i] < 0.0f) values[i] = 0.0f;
  }
}

}  // namespace

std::string to_string(NormalizationScheme scheme) {
  switch (scheme) {
    case NormalizationScheme::kCT:
      return "CT";
    case NormalizationScheme::kCT2:
      return "CT2";
    case NormalizationScheme::kNonCT:
      return "nonCT";
    case NormalizationScheme::kNoNorm:
      return "noNorm";
  }
  return "nonCT";
}

NormalizationScheme parse_normalization_scheme(const std::string& name, const std::string& item) {
  if (name == "CT" || name == "CTNormalization") return NormalizationScheme::kCT;
  if (name == "CT2") return NormalizationScheme::kCT2;
  if (name == "nonCT" || name == "ZScoreNormalization") return NormalizationScheme::kNonCT;
  if (name == "noNorm" || name == "NoNormalization") return NormalizationScheme::kNoNorm;
  throw InputError(item, "unknown normalization scheme '" + name +
                             "'; expected CTNormalization, ZScoreNormalization, NoNormalization (or v1's CT, CT2, "
                             "nonCT, noNorm)");
}

void normalize_channel(float* values, const float* seg, int64_t count, NormalizationScheme scheme,
                       bool use_nonzero_mask, const IntensityStats& stats) {
  switch (scheme) {
    case NormalizationScheme::kNoNorm:
      return;
    case NormalizationScheme::kCT: {
      // No epsilon: sd = 0 divides by zero as v1 does (spec §11).
      const auto lb = static_cast<float>(stats.percentile_00_5), ub = static_cast<float>(stats.percentile_99_5);
      for (int64_t i = 0; i < count; ++i) {
        const float clipped = std::min(std::max(values[i], lb), ub);
        values[i] = static_cast<float>((clipped - stats.mean) / stats.std);
      }
      if (use_nonzero_mask) zero_outside_mask(values, seg, count);
      return;
    }
    case NormalizationScheme::kCT2: {
      const auto lb = static_cast<float>(stats.percentile_00_5), ub = static_cast<float>(stats.percentile_99_5);
      double mean = 0, sd = 0;
      int64_t n = 0;
      mean_std(
          values, count, [&](int64_t i) { return values[i] > lb && values[i] < ub; }, mean, sd, n);
      for (int64_t i = 0; i < count; ++i) {
        const float clipped = std::min(std::max(values[i], lb), ub);
        values[i] = static_cast<float>((clipped - mean) / sd);
      }
      if (use_nonzero_mask) zero_outside_mask(values, seg, count);
      return;
    }
    case NormalizationScheme::kNonCT: {
      double mean = 0, sd = 0;
      int64_t n = 0;
      if (use_nonzero_mask) {
        mean_std(
            values, count, [&](int64_t i) { return seg[i] >= 0.0f; }, mean, sd, n);
      } else {
        mean_std(
            values, count, [](int64_t) { return true; }, mean, sd, n);
      }
      // v1 adds the epsilon to sd (v2 uses max(sd, 1e-8)); voxels outside the mask become 0.
      const double denominator = sd + 1e-8;
      for (int64_t i = 0; i < count; ++i) {
        const bool inside = !use_nonzero_mask || seg[i] >= 0.0f;
        values[i] = inside ? static_cast<float>((values[i] - mean) / denominator) : 0.0f;
      }
      return;
    }
  }
}

void normalize(Array4f& data, const Array4f& seg, const std::vector<NormalizationScheme>& schemes,
               const std::vector<bool>& use_nonzero_mask, const std::vector<IntensityStats>& stats) {
  const int64_t channels = data.channels();
  NNSEG_CHECK(static_cast<int64_t>(schemes.size()) == channels) << schemes.size() << " schemes, " << channels;
  NNSEG_CHECK(static_cast<int64_t>(use_nonzero_mask.size()) == channels) << use_nonzero_mask.size() << " flags";
  NNSEG_CHECK(seg.spatial() == data.spatial()) << "seg and data shapes differ";
  for (int64_t c = 0; c < channels; ++c) {
    const auto cu = static_cast<size_t>(c);
    const bool needs_stats = schemes[cu] == NormalizationScheme::kCT || schemes[cu] == NormalizationScheme::kCT2;
    NNSEG_CHECK(!needs_stats || cu < stats.size()) << "no intensity statistics for CT channel " << c;
    normalize_channel(data.channel(c), seg.channel(0), data.channel_numel(), schemes[cu], use_nonzero_mask[cu],
                      needs_stats ? stats[cu] : IntensityStats{});
  }
}

}  // namespace nnseg
