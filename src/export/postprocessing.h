// nnU-Net v1's connected-component postprocessing (spec/inference.md §8): "keep the largest component" per label
// or label group (§8.1), the decision of which entries to apply from cross-validation predictions (§8.2), and
// postprocessing.json, which `predict` applies (§8.3). The decision and the fold consolidation before it are
// implemented in determine_postprocessing.cpp.
//
// postprocessing.json holds v1's eight keys (keys sorted, indent 4, NaN as the bare token NaN):
//   dc_per_class_raw, dc_per_class_pp_all, dc_per_class_pp_per_class  {"1": mean Dice, ...}
//   for_which_classes        entries: a list of labels is a group (one mask), an integer one label: [[1, 2, 3], 2]
//   min_valid_object_sizes   the string "None" (v1's advanced mode off), or v1's str() of a dict such as
//                            "{(1, 2, 3): 1234.0, 2: 50.0}" (mm^3 per entry; read and written, never decided here)
//   num_samples, validation_raw, validation_final
// plus one nnseg extension key, present only for BraTS datasets (dataset name contains "BraTS" and label 3 exists):
//   brats_et_threshold       int T >= 0: after the components, a case with fewer than T voxels of label 3 gets all
//                            of them relabelled 2 (training.md §11.5; export/brats_et_threshold.h).
// nnU-Net v1 ignores the extension key; files without it (v1's) read fine.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/progress.h"
#include "evaluation/summary.h"
#include "export/brats_et_threshold.h"

namespace nnseg {

namespace fs = std::filesystem;

// One entry of for_which_classes.
struct PostprocessingEntry {
  std::vector<int> labels;               // one label, or the labels of a group (all > 0)
  bool group = false;                    // written as a JSON list (one mask for all its labels), else an integer
  std::optional<double> min_valid_size;  // mm^3; v1 advanced mode: only components smaller than this are removed

  static PostprocessingEntry single(int label) { return {{label}, false, std::nullopt}; }
  static PostprocessingEntry of_group(std::vector<int> group_labels) {
    return {std::move(group_labels), true, std::nullopt};
  }
  bool operator==(const PostprocessingEntry& o) const {
    return labels == o.labels && group == o.group && min_valid_size == o.min_valid_size;
  }
};

// Sizes seen by keep_largest_components for one entry (v1's largest_removed / kept_size; nullopt = v1's None).
struct ComponentStats {
  std::optional<double> largest_removed;  // mm^3, the largest component set to 0; nullopt when none was removed
  std::optional<double> kept;             // mm^3, the size of the largest component(s); nullopt when the mask is empty
};

// §8.1 on a label map (C order, shape z-y-x): for each entry in order (each sees the result of the previous ones),
// 6-connected components of the entry's mask; size = voxel count x prod(spacing); every component of the maximum
// size is kept (ties keep all), the others (with min_valid_size: only those smaller than it) are set to 0.
std::vector<ComponentStats> keep_largest_components(std::vector<uint8_t>& labels,
                                                    const std::array<int64_t, 3>& shape_zyx,
                                                    const std::array<double, 3>& spacing_zyx,
                                                    const std::vector<PostprocessingEntry>& entries);
// The same on an image of any pixel type, with its own spacing; geometry and type unchanged.
std::vector<ComponentStats> keep_largest_components(Image& image, const std::vector<PostprocessingEntry>& entries);

// The contents of postprocessing.json.
struct PostprocessingDecision {
  std::vector<PostprocessingEntry> for_which_classes;  // applied in this order
  std::map<int, double> dc_per_class_raw;              // class -> mean Dice (NaN-ignoring) of the raw predictions
  std::map<int, double> dc_per_class_pp_all;           // after step 1 (all foreground as one group)
  std::map<int, double> dc_per_class_pp_per_class;     // after step 2 (each class alone); empty with one class
  int64_t num_samples = 0;                             // cases the decision was made on
  std::string validation_raw;                          // name of the raw prediction folder ("cv_niftis_raw")
  std::string validation_final;                        // name of the postprocessed folder
  std::optional<int> brats_et_threshold;               // nnseg extension: ET threshold T (BraTS datasets only)
};

// postprocessing.json text (keys sorted at every level, indent 4, NaN as NaN, final newline).
std::string postprocessing_to_json_text(const PostprocessingDecision& decision);
// Writes it atomically.
void save_postprocessing(const fs::path& path, const PostprocessingDecision& decision);
// Reads a file written by nnseg or nnU-Net v1 (without brats_et_threshold). for_which_classes is required; the other
// keys are optional (a missing one reads as empty) but must have their type; unknown keys are warned about.
// InputError naming the file and the key (and the value) for anything malformed.
PostprocessingDecision load_postprocessing(const fs::path& path);

// "[[1, 2, 3], 2]": for_which_classes as in the JSON, on one line.
std::string format_for_which_classes(const std::vector<PostprocessingEntry>& entries);

// §8.3: the connected components of decision.for_which_classes, then the ET threshold when present.
void apply_postprocessing(Image& image, const PostprocessingDecision& decision);
void apply_postprocessing(std::vector<uint8_t>& labels, const std::array<int64_t, 3>& shape_zyx,
                          const std::array<double, 3>& spacing_zyx, const PostprocessingDecision& decision);
// Reads `input`, applies the decision and writes `output` (may be the same file) with the same geometry and pixel
// type, atomically.
void apply_postprocessing_to_file(const fs::path& input, const fs::path& output,
                                  const PostprocessingDecision& decision);

// ---- Deciding (determine_postprocessing.cpp) ----

struct DeterminePostprocessingOptions {
  int threads = 1;                  // cases at a time
  bool brats_et_threshold = false;  // also choose the BraTS ET threshold on the postprocessed predictions
};

struct PostprocessingResult {
  PostprocessingDecision decision;         // as written to the JSON
  EvaluationSummary raw;                   // the raw predictions against the references
  EvaluationSummary postprocessed;         // the final entries applied (also postprocessed_folder/summary.json)
  std::optional<EtThresholdSelection> et;  // with options.brats_et_threshold
};

// §8.2 steps 1-4 on the NIfTI predictions of `raw_folder` (each compared with the file of the same name in
// `ref_folder`) for the foreground `labels`, deciding by mean Dice per class over the cases (NaN ignored):
//   1. all of `labels` as one group: accepted when at least one class improves strictly and none gets worse;
//   2. with more than one class, each class alone, starting from step 1's result when accepted (else the raw
//      predictions): each class accepted independently when it improves strictly;
//   3. the accepted entries applied to the raw predictions -> `postprocessed_folder` (same names, geometry and pixel
//      type) + its summary.json;
//   4. the decision -> `json_path`.
// With options.brats_et_threshold, procedure 1 of training.md §11.5 runs on the postprocessed predictions and its
// threshold is stored as brats_et_threshold. InputError naming the file for a prediction without reference, differing
// sizes or non-integer labels; naming "labels" for an empty list or a label <= 0.
PostprocessingResult determine_postprocessing(const fs::path& raw_folder, const fs::path& ref_folder,
                                              const std::vector<int>& labels, const fs::path& postprocessed_folder,
                                              const fs::path& json_path, const DeterminePostprocessingOptions& options,
                                              Progress& progress);
// The same without progress reports or ET threshold.
PostprocessingResult determine_postprocessing(const fs::path& raw_folder, const fs::path& ref_folder,
                                              const std::vector<int>& labels, const fs::path& postprocessed_folder,
                                              const fs::path& json_path, int threads);

// What consolidate_folds put where.
struct FoldConsolidation {
  fs::path raw_folder;     // <experiment>/cv_niftis_raw: every fold's validation predictions
  fs::path gt_folder;      // <experiment>/gt_niftis: their references, as CASE.nii.gz
  std::vector<int> folds;  // the folds collected, ascending
  int64_t num_cases = 0;   // predictions copied
};

// As v1's consolidate_folds: (re)creates <experiment>/cv_niftis_raw with the CASE.nii.gz predictions of
// fold_F/validation/ for each fold (`folds` empty: every fold_<int> folder present; fold_all never) and gt_niftis with
// the matching `labels_folder`/CASE`label_file_ending` (converted to .nii.gz when the ending differs), and removes a
// stale cv_niftis_postprocessed. InputError naming: the experiment folder when missing or without fold folders; a
// requested fold folder that is missing; a fold's validation folder without predictions (saying to run
// `train_command` -f F without --no-final-validation); a case predicted by two folds; a missing reference.
FoldConsolidation consolidate_folds(const fs::path& experiment_folder, const std::vector<int>& folds,
                                    const fs::path& labels_folder, const std::string& label_file_ending,
                                    const std::string& train_command);

// The table printed by `determine-postprocessing`: mean Dice per class raw / pp_all / pp_per_class / final, the
// decision and the ET threshold.
std::string format_postprocessing_table(const PostprocessingResult& result);

}  // namespace nnseg
