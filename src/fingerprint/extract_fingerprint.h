// `nnseg extract-fingerprint` as a library call (spec/planning.md §1, §3, §4): every training case of a raw dataset
// is cropped to its nonzero region in memory and summarised -> dataset_fingerprint.json (+ a copy of dataset.json).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/progress.h"
#include "dataset/dataset_json.h"
#include "fingerprint/fingerprint.h"

namespace nnseg {

// What one case contributes to the fingerprint; small (no voxels kept but the foreground samples).
struct CaseFingerprint {
  std::string case_id;                               // case identifier
  std::array<double, 3> spacing{1, 1, 1};            // mm, (z, y, x), original spacing of channel 0
  std::array<int64_t, 3> shape_after_crop{0, 0, 0};  // voxels, (z, y, x), after cropping to the nonzero region
  double size_reduction = 1;                         // prod(shape after crop) / prod(original shape), in (0, 1]
  // Per channel: every 10th voxel value where the label > 0, in C order (planning.md §4, pitfall #8).
  std::vector<std::vector<float>> foreground_samples;
};

// Crops one case held in memory and summarises it. `case_id` names the case in errors (shape mismatch, all-zero
// image).
CaseFingerprint fingerprint_case(const std::vector<Image>& channels, const Image& label, const std::string& case_id);

// Reads the channel and label files of `c` and summarises the case. InputError naming the file for an unreadable
// file, naming the case for a case without a label file.
CaseFingerprint fingerprint_case_files(const DatasetCase& c);

// Pools the cases (any order in; sorted here by file name as v1's cropped folder, planning.md §4): spacings, shapes,
// the median size reduction, and the intensity statistics of the concatenated samples of each of `num_channels`
// channels.
Fingerprint combine_case_fingerprints(std::vector<CaseFingerprint> cases, int num_channels);

// The fingerprint of every training case of `spec`, `threads` cases at a time (each worker holds one case).
// InputError naming dataset.json when there is no training case.
Fingerprint extract_fingerprint(const DatasetSpec& spec, int threads, Progress& progress);

struct ExtractFingerprintOptions {
  int threads = 1;         // cases processed at the same time
  bool overwrite = false;  // recompute even when a fingerprint of the same cases exists
};

// What extract_dataset_fingerprint did.
struct ExtractFingerprintResult {
  std::filesystem::path fingerprint_file;  // <output>/dataset_fingerprint.json
  Fingerprint fingerprint;                 // written or reused
  bool reused = false;                     // true: an existing fingerprint of the same cases was kept
};

// Raw dataset folder -> `output_folder`/dataset_fingerprint.json, and the raw dataset.json copied verbatim beside it
// (planning.md §1 decision). An existing fingerprint whose case_identifiers and channel count match the dataset is
// kept unless options.overwrite (a changed dataset is always recomputed, with a log line saying why).
ExtractFingerprintResult extract_dataset_fingerprint(const std::filesystem::path& raw_folder,
                                                     const std::filesystem::path& output_folder,
                                                     const ExtractFingerprintOptions& options, Progress& progress);

// Copies `raw_folder`/dataset.json verbatim to `output_folder`/dataset.json (atomically).
void copy_dataset_json(const std::filesystem::path& raw_folder, const std::filesystem::path& output_folder);

}  // namespace nnseg
