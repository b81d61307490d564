// Gaussian importance map and weight accumulation (spec/inference.md §4, §5.2).
#include "inference/gaussian_map.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/check.h"
#include "core/error.h"
#include "planning/numpy_math.h"

namespace nnseg {
namespace {

constexpr double kTruncate = 4.0;  // scipy.ndimage.gaussian_filter's default

// The response of a 1-D gaussian_filter1d to a unit delta at floor(size / 2), sampled at 0..size-1: the normalised
// kernel weight at the offset, or 0 beyond the truncation radius.
std::vector<double> filtered_delta_1d(int64_t size, double sigma) {
  const int64_t radius = static_cast<int64_t>(kTruncate * sigma + 0.5);
  const double sigma2 = sigma * sigma;
  std::vector<double> kernel;
  for (int64_t x = -radius; x <= radius; ++x) kernel.push_back(std::exp(-0.5 / sigma2 * static_cast<double>(x * x)));
  const double total = np::pairwise_sum(kernel.data(), static_cast<int64_t>(kernel.size()));
  for (double& k : kernel) k /= total;
  std::vector<double> out(static_cast<size_t>(size), 0.0);
  const int64_t centre = size / 2;
  for (int64_t i = 0; i < size; ++i) {
    const int64_t offset = i - centre;
    if (offset >= -radius && offset <= radius)
      out[static_cast<size_t>(i)] = kernel[static_cast<size_t>(offset + radius)];
  }
  return out;
}

// Pads a 1-3 axis shape to 3 axes with leading 1s.
std::array<int64_t, 3> as_3d(const Shape& shape, const char* item) {
  if (shape.empty() || shape.size() > 3) {
    throw InputError(item, "has " + std::to_string(shape.size()) + " axes; 1 to 3 are supported");
  }
  std::array<int64_t, 3> s{1, 1, 1};
  const size_t offset = 3 - shape.size();
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] < 1)
      throw InputError(item, "size " + std::to_string(shape[d]) + " on axis " + std::to_string(d) + " is < 1");
    s[offset + d] = shape[d];
  }
  return s;
}

}  // namespace

std::vector<float> gaussian_importance_map(const Shape& patch_size, double sigma_scale) {
  const std::array<int64_t, 3> p = as_3d(patch_size, "patch_size");
  if (!(sigma_scale > 0.0)) throw InputError("sigma_scale", "value " + std::to_string(sigma_scale) + " must be > 0");
  // Axes added by as_3d have size 1: a delta of size 1 filtered is w(0) there, and it cancels in the division by
  // the maximum. Use a response of exactly 1 so they do not even round.
  std::array<std::vector<double>, 3> w;
  const size_t offset = 3 - patch_size.size();
  for (size_t d = 0; d < 3; ++d) {
    w[d] = d < offset ? std::vector<double>{1.0}
                      : filtered_delta_1d(p[d], static_cast<double>(patch_size[d - offset]) * sigma_scale);
  }
  // scipy filters axis 0, then 1, then 2: the value is ((1 * w0) * w1) * w2 in float64.
  std::vector<double> filtered(static_cast<size_t>(p[0] * p[1] * p[2]));
  double max_value = 0.0;
  size_t k = 0;
  for (int64_t z = 0; z < p[0]; ++z) {
    for (int64_t y = 0; y < p[1]; ++y) {
      const double zy = w[0][static_cast<size_t>(z)] * w[1][static_cast<size_t>(y)];
      for (int64_t x = 0; x < p[2]; ++x, ++k) {
        filtered[k] = zy * w[2][static_cast<size_t>(x)];
        max_value = std::max(max_value, filtered[k]);
      }
    }
  }
  NNSEG_CHECK(max_value > 0.0) << "Gaussian map of a delta has maximum " << max_value;
  std::vector<float> map(filtered.size());
  float min_nonzero = std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < filtered.size(); ++i) {
    map[i] = static_cast<float>(filtered[i] / max_value);
    if (map[i] != 0.0f) min_nonzero = std::min(min_nonzero, map[i]);
  }
  for (float& v : map) {
    if (v == 0.0f) v = min_nonzero;
  }
  return map;
}

std::vector<float> tile_weights(const SlidingWindowGeometry& geometry, const Shape& patch_size, double sigma_scale) {
  if (geometry.use_gaussian()) return gaussian_importance_map(patch_size, sigma_scale);
  return std::vector<float>(static_cast<size_t>(shape_volume(patch_size)), 1.0f);
}

std::vector<float> accumulate_weights(const Shape& padded_shape, const Shape& patch_size,
                                      const std::vector<Shape>& tiles, const std::vector<float>& weights) {
  const std::array<int64_t, 3> s = as_3d(padded_shape, "padded shape");
  const std::array<int64_t, 3> p = as_3d(patch_size, "patch_size");
  if (padded_shape.size() != patch_size.size()) {
    throw InputError("patch_size", "has " + std::to_string(patch_size.size()) + " axes, the image has " +
                                       std::to_string(padded_shape.size()));
  }
  NNSEG_CHECK(static_cast<int64_t>(weights.size()) == p[0] * p[1] * p[2])
      << "weights have " << weights.size() << " values for a patch of " << p[0] * p[1] * p[2];
  std::vector<float> sum(static_cast<size_t>(s[0] * s[1] * s[2]), 0.0f);
  const size_t offset = 3 - padded_shape.size();
  for (const Shape& tile : tiles) {
    NNSEG_CHECK(tile.size() == padded_shape.size()) << "tile start has " << tile.size() << " axes";
    std::array<int64_t, 3> t{0, 0, 0};
    for (size_t d = 0; d < tile.size(); ++d) {
      t[offset + d] = tile[d];
      NNSEG_CHECK(tile[d] >= 0 && tile[d] + patch_size[d] <= padded_shape[d])
          << "tile start " << tile[d] << " on axis " << d << " leaves the image";
    }
    const float* src = weights.data();
    for (int64_t z = 0; z < p[0]; ++z) {
      for (int64_t y = 0; y < p[1]; ++y) {
        float* dst = sum.data() + ((t[0] + z) * s[1] + (t[1] + y)) * s[2] + t[2];
        for (int64_t x = 0; x < p[2]; ++x) dst[x] += *src++;
      }
    }
  }
  return sum;
}

}  // namespace nnseg
