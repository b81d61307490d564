// The tumour model of synth-brats: an irregular core (sum of random blobs, noise-perturbed) with an enhancing rim
// around a necrotic centre, and peritumoural edema grown geodesically from the core, fastest along white matter.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "synth/brain_template.h"
#include "synth/synth_random.h"

namespace nnseg::synth {

// BraTS label values.
inline constexpr uint8_t kLabelNecrotic = 1;   // necrotic / non-enhancing tumour core (NCR/NET)
inline constexpr uint8_t kLabelEdema = 2;      // peritumoural edema (ED)
inline constexpr uint8_t kLabelEnhancing = 4;  // GD-enhancing tumour (ET)

// An isotropic output grid with identity direction (BraTS convention).
struct CaseGrid {
  std::array<int64_t, 3> shape{0, 0, 0};     // voxels, array order (z, y, x)
  double spacing_mm = 1;                     // isotropic
  std::array<double, 3> origin_mm{0, 0, 0};  // LPS, (x, y, z)

  int64_t numel() const { return shape[0] * shape[1] * shape[2]; }
  int64_t index(int64_t z, int64_t y, int64_t x) const { return (z * shape[1] + y) * shape[2] + x; }
  // Physical LPS position (x, y, z) of voxel (z, y, x).
  std::array<double, 3> physical(double z, double y, double x) const {
    return {origin_mm[0] + x * spacing_mm, origin_mm[1] + y * spacing_mm, origin_mm[2] + z * spacing_mm};
  }
};

// A box of voxels [lo, hi), array order (z, y, x).
struct VoxelBox {
  std::array<int64_t, 3> lo{0, 0, 0};
  std::array<int64_t, 3> hi{0, 0, 0};
  bool empty() const { return hi[0] <= lo[0] || hi[1] <= lo[1] || hi[2] <= lo[2]; }
  int64_t size(int a) const { return hi[a] - lo[a]; }
};

struct TumourSpec {
  std::array<double, 3> centre_mm{0, 0, 0};  // LPS (x, y, z)
  double core_mm3 = 0;                       // tumour core (labels 1 + 4) volume to aim for
  double whole_mm3 = 0;                      // whole tumour (1 + 2 + 4) volume to aim for
  bool enhancing = true;                     // enhancing rim (4) around necrosis (1); false: core is all 1
  double rim_mm = 3;                         // mean thickness of the enhancing rim
};

struct TumourLabels {
  std::vector<uint8_t> labels;  // BraTS values on the grid, C order (z, y, x)
  VoxelBox box;                 // bounding box of the nonzero labels (empty if none)
};

// Labels of one tumour. Only brain voxels (tissue fractions sum >= 0.5) are labelled; edema does not enter CSF.
TumourLabels make_tumour_labels(const TumourSpec& spec, const CaseGrid& grid, const std::vector<TissueVoxel>& tissue,
                                SynthRng& rng);

// Exact squared Euclidean distance (in voxels^2) from every voxel of a box to the nearest voxel where
// `inside` is false (voxels beyond the box count as outside). Felzenszwalb-Huttenlocher, separable.
std::vector<float> squared_distance_to_outside(const std::vector<uint8_t>& inside, std::array<int64_t, 3> shape);

}  // namespace nnseg::synth
