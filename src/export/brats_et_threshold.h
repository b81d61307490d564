// The BraTS enhancing-tumour (ET) threshold of nnU-Net's BraTS 2020 scripts (spec/training.md §11.5, inference.md
// §8.4): a predicted case with fewer than T voxels of label 3 gets all of them relabelled 2, and T is chosen on the
// cross-validation predictions by mean ET Dice (procedure 1). Stored as "brats_et_threshold" in postprocessing.json.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/progress.h"

namespace nnseg {

namespace fs = std::filesystem;

constexpr int kBratsEtLabel = 3;               // enhancing tumour in nnU-Net's BraTS labels
constexpr int kBratsEtReplacement = 2;         // what small ET predictions become (necrosis / non-enhancing core)
constexpr int kBratsEtLargeThreshold = 1000;   // a chosen T above this ...
constexpr int kBratsEtLargeReplacement = 750;  // ... is applied as 750 (as the reference scripts do)

// Relabels every kBratsEtLabel voxel to kBratsEtReplacement when there are fewer than `threshold` of them (T = 0 never
// changes anything). Returns the number of voxels changed.
int64_t apply_brats_et_threshold(std::vector<uint8_t>& labels, int threshold);
int64_t apply_brats_et_threshold(Image& image, int threshold);

// The candidates of procedure 1: 0, 10, 20, ..., 750.
std::vector<int> brats_et_candidate_thresholds();

// The threshold applied to new data for a chosen T: T, or 750 when T > 1000.
int brats_et_threshold_for_application(int chosen);

// Label-3 voxel counts of one case.
struct EtCounts {
  int64_t n_pred = 0;        // predicted ET voxels
  int64_t n_ref = 0;         // reference ET voxels
  int64_t intersection = 0;  // voxels ET in both
};

// Counts of label 3 in a prediction and its reference (equal lengths, checked).
EtCounts count_et(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref);

// The per-case ET Dice after thresholding at T, as the reference script: n_pred < T -> 1 if the reference ET is empty
// else 0; otherwise the unchanged Dice 2|P∩R| / (|P| + |R|), which is 0 when both are empty (MedPy's zero-division
// rule: with T = 0 an empty/empty case scores 0).
double et_dice_after_threshold(const EtCounts& counts, int threshold);

// The outcome of procedure 1.
struct EtThresholdSelection {
  std::vector<int> thresholds;    // candidates, ascending
  std::vector<double> mean_dice;  // per candidate: mean ET Dice over the cases (NumPy's pairwise sum / n)
  int chosen = 0;                 // the candidate with the highest mean (first on ties: the smallest)
  int threshold = 0;              // brats_et_threshold_for_application(chosen): what is stored and applied
};

// Procedure 1 on per-case counts; InputError naming "cases" when there is none or "thresholds" when empty.
EtThresholdSelection select_brats_et_threshold(const std::vector<EtCounts>& cases,
                                               const std::vector<int>& thresholds = brats_et_candidate_thresholds());

// Procedure 1 on a folder of predictions (NIfTI, label 3 = ET) against the references of the same name.
EtThresholdSelection determine_brats_et_threshold(const fs::path& prediction_folder, const fs::path& reference_folder,
                                                  int threads, Progress& progress);

// Whether a dataset gets the ET threshold: its name contains "brats" (any case) and `labels` contains 3.
bool is_brats_et_dataset(const std::string& dataset_name, const std::vector<int>& labels);

// np.mean of a float64 vector exactly as NumPy computes it (pairwise summation, then division by the count).
double numpy_mean(const std::vector<double>& values);

}  // namespace nnseg
