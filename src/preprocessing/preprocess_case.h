// The per-case preprocessing pipeline of nnU-Net v1 (spec/preprocessing.md §1): crop to the nonzero region,
// transpose, resample to the target spacing, normalise, sample class locations; and the case's files
// CASE.npy, CASE_seg.npy and CASE.json (spec/cli.md, preprocessing.md §5).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/image.h"
#include "fingerprint/crop_to_nonzero.h"
#include "fingerprint/intensity_stats.h"
#include "io/json_file.h"
#include "preprocessing/class_locations.h"
#include "preprocessing/normalize.h"

namespace nnseg {

// The few plan values the pipeline needs (from one configuration of nnUNetPlans.json) and run-time choices.
struct PreprocessParameters {
  std::array<double, 3> target_spacing{1, 1, 1};           // mm, transposed order (the configuration's `spacing`)
  std::array<int, 3> transpose_forward{0, 1, 2};           // new axis k = original axis transpose_forward[k]
  std::vector<NormalizationScheme> normalization_schemes;  // one per channel
  std::vector<bool> use_mask_for_norm;                     // one per channel
  std::vector<IntensityStats> intensity_properties;        // one per channel; read for CT/CT2 channels only
  std::vector<int> all_classes;                            // foreground labels (> 0), e.g. {1, 2, 3}
  // PreprocessorFor2D (spec §7): target_spacing[0] is replaced by the case's own transposed spacing, and NaN is
  // not replaced by 0.
  bool two_d = false;
  std::optional<bool> force_separate_z;  // nullopt: decided per case (nnU-Net's default)
  int threads = 1;                       // threads for resampling
};

// CASE.json: the properties of spec/preprocessing.md §5 (names as there).
struct CaseProperties {
  CropProperties crop;  // original_size_of_raw_data, original_spacing, itk_*, crop_bbox, classes, size_after_cropping
  std::vector<std::string> list_of_data_files;              // raw channel files, channel order
  std::string seg_file;                                     // raw label file ("" when there is none)
  std::vector<bool> use_nonzero_mask_for_norm;              // per channel
  std::array<int64_t, 3> size_after_resampling{0, 0, 0};    // voxels, transposed order
  std::array<double, 3> spacing_after_resampling{1, 1, 1};  // mm, transposed order (the target spacing)
  std::vector<ClassLocations> class_locations;              // per class of all_classes, in that order
};

// One preprocessed case.
struct PreprocessedCase {
  Array4f data;        // [C, Z, Y, X] float32, transposed, resampled, normalised
  Array4<int8_t> seg;  // [1, Z, Y, X] labels: -1 outside the nonzero mask, 0 background, 1..K-1 classes
  CaseProperties properties;
};

// Runs the pipeline on one case held in memory: `channels` in channel order, `label` null for a case without
// one. `case_id` names the case in errors (channels that disagree in shape, an all-zero image, a label value
// outside int8, a schemes/flags list of the wrong length). The file lists in the properties are left empty.
PreprocessedCase preprocess_case(const std::vector<Image>& channels, const Image* label,
                                 const PreprocessParameters& parameters, const std::string& case_id);

// Array4 transposed spatially: new axis k = old axis order[k] (channels stay first), as numpy's
// data.transpose([0, order[0] + 1, order[1] + 1, order[2] + 1]).
template <typename T>
Array4<T> transpose_spatial(const Array4<T>& in, const std::array<int, 3>& order) {
  const std::array<int64_t, 3> old_shape = in.spatial();
  const std::array<int64_t, 3> old_stride{old_shape[1] * old_shape[2], old_shape[2], 1};
  Array4<T> out({in.channels(), old_shape[order[0]], old_shape[order[1]], old_shape[order[2]]});
  const std::array<int64_t, 3> stride{old_stride[order[0]], old_stride[order[1]], old_stride[order[2]]};
  T* dst = out.values.data();
  for (int64_t c = 0; c < in.channels(); ++c) {
    const T* src = in.channel(c);
    for (int64_t i = 0; i < out.shape[1]; ++i) {
      for (int64_t j = 0; j < out.shape[2]; ++j) {
        const T* row = src + i * stride[0] + j * stride[1];
        for (int64_t k = 0; k < out.shape[3]; ++k) *dst++ = row[k * stride[2]];
      }
    }
  }
  return out;
}

// CASE.json content and back. from_json throws InputError(item, ...) naming the key for a missing or mistyped key.
OrderedJson case_properties_to_json(const CaseProperties& properties);
CaseProperties case_properties_from_json(const OrderedJson& json, const std::string& item);
CaseProperties load_case_properties(const std::filesystem::path& path);

// Writes <folder>/<case_id>.npy, <case_id>_seg.npy and <case_id>.json (each atomically; the JSON last, so a case
// with its JSON present is complete).
void save_preprocessed_case(const std::filesystem::path& folder, const std::string& case_id,
                            const PreprocessedCase& preprocessed);

}  // namespace nnseg
