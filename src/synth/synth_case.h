// One synthetic BraTS 2020 case in memory: the template anatomy warped into the BraTS grid (random rigid + smooth
// elastic deformation + the tumour's mass effect), a tumour (synth/tumour.h), and the four MRI contrasts with bias
// field and Rician noise. Deterministic in (seed, case id).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/image.h"
#include "synth/brain_template.h"
#include "synth/tumour.h"

namespace nnseg::synth {

// BraTS channel order and file suffixes: t1, t1ce, t2, flair (spec/data-formats.md §2.3).
inline constexpr int kChannels = 4;
inline const std::array<const char*, kChannels> kChannelSuffixes{"t1", "t1ce", "t2", "flair"};

// The BraTS grid at `spacing_mm` (1, 2 or 3): 240x240x155 voxels at 1 mm, ITK direction identity, origin
// (0, -239, 0); coarser grids have ceil(n / spacing) voxels, centred on the same physical extent.
CaseGrid brats_grid(int spacing_mm);
Geometry grid_geometry(const CaseGrid& grid);

// Whether case `case_id` gets an enhancing tumour: in every block of six consecutive ids (0-5, 6-11, ...) exactly
// one case, picked from (seed, block), has none (LGG-like), so about one case in six.
bool case_has_enhancing(uint64_t seed, int64_t case_id);

struct SynthCase {
  int64_t case_id = 0;
  std::array<Image, kChannels> channels;          // t1, t1ce, t2, flair: int16, >= 1 inside the brain, 0 outside
  Image seg;                                      // uint8 BraTS labels {0, 1, 2, 4}, 0 outside the brain
  bool has_enhancing = false;                     // label 4 present (HGG-like)
  std::array<int64_t, 3> tumour_centre{0, 0, 0};  // voxel (z, y, x) of the tumour core's centre of mass
  double whole_tumour_cm3 = 0;                    // labels 1 + 2 + 4
  double core_cm3 = 0;                            // labels 1 + 4
  double brain_cm3 = 0;                           // nonzero voxels
  std::vector<TissueVoxel> tissue;                // warped tissue fractions per voxel (only with keep_tissue)
};

// Synthesises one case on brats_grid(spacing_mm); keep_tissue also returns the warped tissue fractions (tests).
SynthCase synthesize_case(const BrainTemplate& anatomy, uint64_t seed, int64_t case_id, int spacing_mm,
                          bool keep_tissue = false);

}  // namespace nnseg::synth
