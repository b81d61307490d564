// BraTS 2020 folder -> nnU-Net v2 raw dataset (imagesTr, labelsTr, imagesTs, dataset.json), and predicted
// nnU-Net labels -> BraTS labels (data-formats.md §2, nnseg's v2 decisions).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/progress.h"
#include "dataset/dataset_json.h"

namespace nnseg {

namespace fs = std::filesystem;

// BraTS sequence suffixes in nnU-Net channel order: _t1 -> 0000, _t1ce -> 0001, _t2 -> 0002, _flair -> 0003.
inline constexpr std::array<const char*, 4> kBratsChannelSuffixes = {"t1", "t1ce", "t2", "flair"};

// BraTS label -> nnU-Net label (0->0, 2->1, 1->2, 4->3); nullopt for any other value, non-integers included.
std::optional<uint8_t> brats_to_nnunet_label(double value);
// nnU-Net label -> BraTS label (0->0, 1->2, 2->1, 3->4); anything else -> 0.
uint8_t nnunet_to_brats_label(double value);

// A whole BraTS label image -> uint8 nnU-Net labels with the same geometry. InputError naming `file`, the case and
// the unexpected values when a voxel is not one of 0, 1, 2, 4.
Image brats_label_image_to_nnunet(const Image& label, const std::string& case_id, const fs::path& file);
// A whole nnU-Net label image -> uint8 BraTS labels with the same geometry.
Image nnunet_label_image_to_brats(const Image& label);

// The files of one BraTS case folder P: P_t1, P_t1ce, P_t2, P_flair (and P_seg for training), each .nii.gz or .nii.
struct BratsCaseFiles {
  std::string id;                    // the folder name, e.g. "BraTS20_Training_001"
  std::array<fs::path, 4> channels;  // t1, t1ce, t2, flair
  std::optional<fs::path> seg;       // training cases only
  bool seg_renamed = false;          // seg is not P_seg.nii(.gz) but the folder's only other NIfTI file
};

// Sorted sub-folders of `source` (plain files such as the CSVs are skipped). InputError if `source` is no folder.
std::vector<fs::path> list_brats_case_folders(const fs::path& source);

// Finds a case's files. InputError naming the case and the missing file. When P_seg is missing and exactly one
// other NIfTI file is in the folder, that file is used (seg_renamed; a warning is logged). Without `with_seg` (test
// cases) the label is optional and taken only as <id>_seg; convert-brats writes it to labelsTs/.
BratsCaseFiles find_brats_case_files(const fs::path& case_folder, bool with_seg);

// The dataset.json nnseg writes for a BraTS conversion (channel_names T1, T1ce, T2, FLAIR; labels background,
// edema, non-enhancing, enhancing).
DatasetSpec brats_dataset_spec(const std::string& name, int num_training);

struct ConvertBratsOptions {
  fs::path source;                      // MICCAI_BraTS2020_TrainingData
  std::optional<fs::path> test_source;  // MICCAI_BraTS2020_ValidationData -> imagesTs (no labels)
  fs::path target;                      // $nnUNet_raw/Dataset082_BraTS2020
  std::string name = "BraTS2020";       // dataset.json "name"
  bool overwrite = false;               // replace an existing target (only once the new one is complete)
  int threads = 1;                      // cases converted in parallel
};

struct ConvertBratsResult {
  int num_training = 0;
  int num_test = 0;
};

// Builds the dataset in a temporary folder beside the target and renames it into place at the end; nothing is
// left behind on failure. InputError if the target exists and !overwrite.
ConvertBratsResult convert_brats(const ConvertBratsOptions& options, Progress& progress);

// Every .nii.gz in `in` (nnU-Net labels) -> `out`/<same name> in BraTS labels, uint8, geometry copied. Returns the
// number of files converted. InputError if `in` has no .nii.gz file or `out` is `in`.
int convert_brats_back(const fs::path& in, const fs::path& out, int threads, Progress& progress);

}  // namespace nnseg
