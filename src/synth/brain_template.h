// The anatomy behind synth-brats: a skull-stripped brain as partial-volume fractions of CSF, grey and white matter
// on the template's own grid, from the Colin27 T1 (Debian mricron-data) or from a procedural head.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"

namespace nnseg::synth {

namespace fs = std::filesystem;

// Colin27 brain (skull-stripped T1, 181x217x181, 1 mm) as installed by Debian's mricron-data.
inline const char* const kColin27Path = "/usr/share/mricron/templates/ch2bet.nii.gz";

// One template voxel: tissue fractions scaled to 0..255 (csf + gm + wm = 255 inside the brain, all 0 outside).
struct TissueVoxel {
  uint8_t csf = 0;
  uint8_t gm = 0;
  uint8_t wm = 0;
  uint8_t flags = 0;  // kTumourSeedFlag: a tumour centre may be placed here
};
inline constexpr uint8_t kTumourSeedFlag = 1;

struct BrainTemplate {
  std::array<int64_t, 3> shape{0, 0, 0};              // voxels, array order (z, y, x)
  Geometry geometry;                                  // ITK order, LPS
  std::vector<TissueVoxel> voxels;                    // C order, shape[0]*shape[1]*shape[2]
  std::array<double, 3> brain_centre_mm{0, 0, 0};     // centre of the brain's bounding box, LPS mm (x, y, z)
  std::array<double, 3> brain_extent_mm{0, 0, 0};     // size of the brain's bounding box, mm (x, y, z)
  std::array<double, 3> class_means{0, 0, 0};         // T1 intensity of CSF, GM, WM found by k-means
  std::string source;                                 // "Colin27 (<path>)" or "procedural"
  std::vector<std::array<float, 3>> brain_points_mm;  // LPS positions of brain voxels on a 3-voxel lattice
  // Per block of kBlock^3 template voxels: 1 when brain lies within kNearBlocks blocks (lets warping skip the
  // empty field of view).
  static constexpr int64_t kBlock = 4;
  static constexpr int64_t kNearBlocks = 3;
  std::vector<uint8_t> near_brain;             // blocks, C order (z, y, x)
  std::array<int64_t, 3> near_shape{0, 0, 0};  // blocks, (z, y, x)

  int64_t seed_count() const;  // voxels flagged kTumourSeedFlag
};

// Tissue fractions from a skull-stripped T1 (brain = voxels > 0): 3-class k-means on the brain intensities gives
// CSF < GM < WM means; a voxel between two means is a linear mix of the two classes (partial volume). Tumour seeds
// are white-matter voxels in the cerebral hemispheres (MNI box 15..50 mm off the midline, y -75..40, z -5..50).
BrainTemplate tissue_template_from_t1(const Image& t1, const std::string& source);

// Reads the Colin27 T1 from `path`; InputError naming the path if it cannot be read.
BrainTemplate load_colin27(const fs::path& path = kColin27Path);

// A synthetic T1 head with Colin27-like intensities on a 1 mm grid in MNI-like placement (ellipsoid cerebrum with
// a folded cortex, sulci, interhemispheric fissure, lateral ventricles, deep grey nuclei, cerebellum, brainstem),
// then tissue_template_from_t1. Deterministic; `spacing_mm` coarser than 1 makes it faster (tests).
Image make_procedural_t1(double spacing_mm = 1.0);
BrainTemplate make_procedural_template(double spacing_mm = 1.0);

enum class Anatomy { kAuto, kColin27, kProcedural };
// "auto", "colin27", "procedural"; InputError naming `flag` and the value otherwise.
Anatomy parse_anatomy(const std::string& value, const std::string& flag);
// kAuto: Colin27 when `colin27_path` exists, else procedural. kColin27: InputError if it is missing.
BrainTemplate load_template(Anatomy anatomy, const fs::path& colin27_path = kColin27Path);

}  // namespace nnseg::synth
