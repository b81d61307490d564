// Mirroring and the label steps of nnUNetTrainerV2's augmentation (spec/training.md §7.2 steps 10-12): per-axis
// random flips of data and segmentation, the mask transform (data 0 where seg = -1) and -1 -> 0.
#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <vector>

#include "training/augment_random.h"

namespace nnseg {

// Which spatial axes (0, 1, 2 = Z, Y, X) one sample flips.
using MirrorDraw = std::array<bool, 3>;

// For each axis in `axes` (in order), a coin with probability p; other axes are not flipped and draw nothing.
MirrorDraw draw_mirror(const std::vector<int64_t>& axes, double p, AugmentRng& rng);

// Flips one sample x [C, Z, Y, X] along the drawn axes (a no-op copy-free view when none is drawn).
torch::Tensor mirror_sample(const torch::Tensor& x, const MirrorDraw& draw);

// Mask transform: for each channel c with mask_for_norm[c], data[:, c] = 0 where seg[:, 0] < 0.
// data [B, C, ...], seg [B, 1, ...]; returns the new data.
torch::Tensor mask_outside_brain(const torch::Tensor& data, const torch::Tensor& seg,
                                 const std::vector<bool>& mask_for_norm);

// RemoveLabelTransform(-1, 0): seg values -1 become 0.
torch::Tensor remove_outside_label(const torch::Tensor& seg);

}  // namespace nnseg
