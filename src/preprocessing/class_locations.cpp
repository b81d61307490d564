// Class locations (preprocessing/class_locations.h), as nnU-Net v1 (spec/preprocessing.md §4 and §8).
#include "preprocessing/class_locations.h"

#include <algorithm>
#include <cmath>

#include "core/numpy_random.h"

namespace nnseg {

int64_t class_location_sample_count(int64_t n) {
  // v1: max(min(num_samples, n), int(np.ceil(n * min_percent_coverage))), in float64 as numpy does.
  const auto one_percent = static_cast<int64_t>(std::ceil(static_cast<double>(n) * 0.01));
  return std::max(std::min<int64_t>(10000, n), one_percent);
}

std::vector<ClassLocations> sample_class_locations(const float* seg, const std::array<int64_t, 3>& shape,
                                                   const std::vector<int>& all_classes, uint32_t seed) {
  NumpyRandomState random(seed);
  const int64_t count = shape[0] * shape[1] * shape[2];
  std::vector<ClassLocations> out;
  out.reserve(all_classes.size());
  for (int label : all_classes) {
    ClassLocations locations;
    locations.label = label;
    const auto value = static_cast<float>(label);
    std::vector<int64_t> positions;  // linear indices in C order = np.argwhere order
    for (int64_t i = 0; i < count; ++i) {
      if (seg[i] == value) positions.push_back(i);
    }
    const auto n = static_cast<int64_t>(positions.size());
    if (n > 0) {
      const std::vector<int64_t> picks = random.choice_without_replacement(n, class_location_sample_count(n));
      locations.voxels.reserve(picks.size());
      for (int64_t p : picks) {
        const int64_t i = positions[static_cast<size_t>(p)];
        locations.voxels.push_back({i / (shape[1] * shape[2]), (i / shape[2]) % shape[1], i % shape[2]});
      }
    }
    out.push_back(std::move(locations));
  }
  return out;
}

}  // namespace nnseg
