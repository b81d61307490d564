// Foreground class locations stored with each preprocessed case for oversampling, as nnU-Net v1
// GenericPreprocessor._run_internal (spec/preprocessing.md §4): up to 10 000 (at least 1 %) voxels per class,
// picked with NumPy's RandomState(1234) so the picks are bit-identical to v1's.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "fingerprint/crop_to_nonzero.h"

namespace nnseg {

// Samples kept for a class with n voxels: max(min(10000, n), ceil(0.01 * n)).
int64_t class_location_sample_count(int64_t n);

// One class's sampled voxels.
struct ClassLocations {
  int label = 0;                               // class value, as listed in all_classes
  std::vector<std::array<int64_t, 3>> voxels;  // (z, y, x) in the preprocessed array, in selection order
};

// For each class of `all_classes` in order: the voxels of `seg` (shape, C order) equal to it, sub-sampled with one
// generator seeded `seed` and used sequentially over the classes. An absent class gets an empty list.
std::vector<ClassLocations> sample_class_locations(const float* seg, const std::array<int64_t, 3>& shape,
                                                   const std::vector<int>& all_classes, uint32_t seed = 1234);

}  // namespace nnseg
