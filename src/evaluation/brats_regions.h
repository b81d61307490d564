// BraTS regions in nnU-Net label space and the BraTS-challenge-style per-case Dice/HD95 of nnU-Net's BraTS 2020
// scripts (spec/evaluation.md §3, §5), plus the BraTS <-> nnU-Net label conversion used by --brats-labels.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace nnseg {

// HD95 when exactly one of prediction and reference is empty: the 240 x 240 x 155 BraTS volume diagonal, kept
// whatever the spacing (evaluation.md §5).
constexpr double kBratsEmptyHd95 = 373.12866;

enum class BratsRegion { kWholeTumour, kTumourCore, kEnhancingTumour };

constexpr std::array<BratsRegion, 3> kBratsRegions{BratsRegion::kWholeTumour, BratsRegion::kTumourCore,
                                                   BratsRegion::kEnhancingTumour};

// "WT", "TC", "ET" (the keys of summary.json).
std::string to_string(BratsRegion region);
// nnU-Net labels of the region: WT {1, 2, 3}, TC {2, 3}, ET {3}.
std::vector<int> brats_region_labels(BratsRegion region);
// Whether a nnU-Net label value belongs to the region (WT: != 0, TC: > 1, ET: == 3).
bool in_brats_region(BratsRegion region, int32_t label);

// Per-case score of one region.
struct RegionScore {
  double dice = 0;  // reference empty: 1 if the prediction is empty too, else 0; otherwise 2|P∩R| / (|P| + |R|)
  double hd95 = 0;  // mm; both empty: 0; exactly one empty: kBratsEmptyHd95; otherwise MedPy hd95
};

// Scores `region` for label maps in nnU-Net space (C order, array shape (z, y, x)); spacing_zyx in mm, array order
// (the reference image's spacing; evaluation.md §5 decision).
RegionScore evaluate_brats_region(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref,
                                  const std::array<int64_t, 3>& shape_zyx, const std::array<double, 3>& spacing_zyx,
                                  BratsRegion region);

// BraTS value -> nnU-Net value (0->0, 2->1, 1->2, 4->3); -1 for any other value.
int32_t brats_to_nnunet_label(int32_t brats_value);

// Converts a label map in place; InputError naming `path` and the first value outside {0, 1, 2, 4}.
void convert_brats_labels(std::vector<int32_t>& labels, const std::string& path);

}  // namespace nnseg
