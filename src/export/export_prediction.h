// Export of one case's predicted probabilities to a NIfTI label map in the original image geometry, as nnU-Net v1
// save_segmentation_nifti_from_softmax (spec/inference.md §7): transpose back, resample to the original spacing
// (linear, separate z with nearest neighbour along the low-resolution axis), label map, uncrop, write <case>.nii.gz.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/image.h"
#include "fingerprint/crop_to_nonzero.h"
#include "preprocessing/preprocess_case.h"

namespace nnseg {

// How probabilities become labels, and the threads for resampling.
struct ExportOptions {
  std::vector<int> regions_class_order;  // empty: softmax model (argmax); else region rule (label_map.h)
  int threads = 1;                       // worker threads for the resampling passes
};

// Spec §7 step 1: `probs` [C, Z, Y, X] as predicted (transposed with transpose_forward, plan spacing, cropped
// extent) -> transposed back with `transpose_backward` (new axis k = predicted axis transpose_backward[k]), then, if
// the spatial shape differs from properties.crop.size_after_cropping, resampled to it: per channel linear (skimage
// resize order 1, mode 'edge', no anti-aliasing, pixel-centre aligned), or with separate z (in-plane linear, nearest
// along the low-resolution axis) decided on properties.crop.original_spacing, then on the transposed-back
// properties.spacing_after_resampling. Computed in float64, stored as float32. Without resampling the result is an
// exact copy of the transposed-back input. InputError (naming the case's first data file) for 0 channels, a
// transpose_backward that is no permutation, or a shape that disagrees with size_after_resampling.
Array4f probabilities_to_original_spacing(const Array4f& probs, const CaseProperties& properties,
                                          const std::array<int, 3>& transpose_backward, int threads = 1);

// Spec §7 step 4: a uint8 image of crop.original_size_of_raw_data, 0 outside the crop box, `labels` (cropped extent
// `cropped_shape`, z-y-x C order) written at crop.crop_bbox, with crop.geometry (origin, spacing, direction)
// exactly. InputError when labels.size() differs from the shape's volume, or the crop box (whose extent must equal
// `cropped_shape`) lies outside the original size.
Image uncrop_labels(const std::vector<uint8_t>& labels, const std::array<int64_t, 3>& cropped_shape,
                    const CropProperties& crop);

// Spec §7 steps 1, 3, 4, 5: writes `out_nifti` (uint8, atomically; nothing is written when an error is thrown) and
// returns the resampled probabilities (cropped extent, original spacing, untransposed) for an optional .npz.
// Errors name `out_nifti`.
Array4f export_prediction(const Array4f& probs, const CaseProperties& properties,
                          const std::array<int, 3>& transpose_backward, const std::filesystem::path& out_nifti,
                          const ExportOptions& options = {});

}  // namespace nnseg
