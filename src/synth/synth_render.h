// MRI contrasts for synth-brats: tissue fractions and tumour labels -> T1, T1ce, T2, FLAIR intensities with a
// smooth multiplicative bias field, Rician noise and a per-case intensity scale; int16, zero outside the brain.
#pragma once

#include <array>
#include <vector>

#include "core/image.h"
#include "synth/brain_template.h"
#include "synth/synth_random.h"
#include "synth/tumour.h"

namespace nnseg::synth {

// Tissue classes of the contrast table.
enum TissueClass {
  kClassCsf = 0,
  kClassGm,
  kClassWm,
  kClassEdema,
  kClassNecrosis,
  kClassEnhancing,
  kClassNonEnhancing,
  kClassCount
};

struct RenderParams {
  // Mean intensity of each tissue class relative to white matter, per channel (t1, t1ce, t2, flair).
  std::array<std::array<double, kClassCount>, 4> contrast{};
  std::array<double, 4> wm_level{};             // white-matter intensity per channel (stored units)
  std::array<std::array<double, 9>, 4> bias{};  // log bias field: coefficients of x, y, z, x2, y2, z2, xy, xz, yz
  std::array<double, 4> noise_fraction{};       // Rician sigma / white-matter intensity
};

// The nominal contrast table (relative to WM = 1): T1 WM > GM > CSF; T1ce like T1 with a bright enhancing rim;
// T2 CSF bright, WM < GM; FLAIR CSF suppressed, GM > WM, edema bright.
std::array<std::array<double, kClassCount>, 4> nominal_contrast();

// Per-case jitter of the tumour contrasts, intensity scale, bias field and noise level.
RenderParams sample_render_params(SynthRng& rng);

// Soft (partial-volume) tumour memberships and a smooth texture inside the tumour's box.
struct TumourAppearance {
  VoxelBox box;                  // labels' box grown by the blur radius
  std::vector<float> edema;      // soft membership of label 2, box C order
  std::vector<float> core;       // soft membership of label 1
  std::vector<float> enhancing;  // soft membership of label 4
  std::vector<float> texture;    // smooth field in [-1, 1]
  bool core_is_necrotic = true;  // label 1 rendered as necrosis (HGG) or as non-enhancing tumour (LGG)
};

TumourAppearance make_tumour_appearance(const CaseGrid& grid, const TumourLabels& labels, bool enhancing,
                                        SynthRng& rng);

// One channel (0 t1, 1 t1ce, 2 t2, 3 flair) as int16: >= 1 inside the brain (tissue fractions > 0), 0 outside.
// `noise_rng` is consumed in voxel order, two normals per brain voxel.
Image render_channel(int channel, const RenderParams& params, const CaseGrid& grid,
                     const std::vector<TissueVoxel>& tissue, const TumourAppearance& tumour, SynthRng& noise_rng);

}  // namespace nnseg::synth
