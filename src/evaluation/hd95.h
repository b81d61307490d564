// Surface distances between two binary masks as MedPy's `hd`/`hd95` compute them (spec/evaluation.md §6): surface
// voxels by one 6-connected erosion with background outside the array, exact Euclidean distances (ITK's
// SignedMaurerDistanceMapImageFilter) with the voxel spacing, and numpy's linear percentile of the pooled
// distances of both directions.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace nnseg {

// A binary mask in array order (z, y, x), C order; non-zero = inside.
struct MaskView {
  const uint8_t* data = nullptr;          // shape[0]*shape[1]*shape[2] values
  std::array<int64_t, 3> shape{0, 0, 0};  // voxels, (z, y, x)
};

// The surface of `mask`: inside voxels with at least one of their 6 face neighbours outside the mask or outside
// the array (MedPy: mask ^ binary_erosion(mask, generate_binary_structure(3, 1)), border value 0).
std::vector<uint8_t> mask_surface(const MaskView& mask);

// For every surface voxel of `a` (in C order), the distance in mm to the nearest surface voxel of `b`.
// spacing_zyx: mm, array order. Both masks must be non-empty and of the same shape (NNSEG_CHECK).
std::vector<double> directed_surface_distances(const MaskView& a, const MaskView& b,
                                               const std::array<double, 3>& spacing_zyx);

// numpy.percentile(values, q) with the default 'linear' method (numpy >= 1.22 interpolation); values non-empty.
double numpy_percentile(std::vector<double> values, double q);

// MedPy hd95(a, b, spacing): 95th percentile of d(a->b) and d(b->a) pooled. Both masks non-empty.
double hd95(const MaskView& a, const MaskView& b, const std::array<double, 3>& spacing_zyx);

// MedPy hd(a, b, spacing): the larger of the two directed maxima. Both masks non-empty.
double hausdorff_distance(const MaskView& a, const MaskView& b, const std::array<double, 3>& spacing_zyx);

// Number of non-zero voxels.
int64_t count_nonzero(const MaskView& mask);

}  // namespace nnseg
