// Evaluation of prediction/reference pairs (a folder pair matched by file name) -> EvaluationSummary ->
// summary.json in the layout of spec/cli.md and spec/evaluation.md §2.1: `metric_per_case` (reference_file,
// prediction_file, metrics per label and, with BraTS regions, WT/TC/ET) and `mean` (NaN-ignoring means).
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/progress.h"
#include "evaluation/brats_regions.h"
#include "evaluation/metrics.h"
#include "io/json_file.h"

namespace nnseg {

namespace fs = std::filesystem;

struct EvaluateOptions {
  std::vector<int> labels;                   // labels to evaluate; empty: the non-zero values of the references
  bool brats_regions = false;                // also WT/TC/ET Dice and HD95 (evaluation.md §5)
  bool brats_labels = false;                 // files hold BraTS values 0/1/2/4: converted to nnU-Net labels on reading
  int threads = 1;                           // cases evaluated in parallel
  bool missing_prediction_is_error = false;  // a reference without prediction: InputError instead of a warning
};

// One prediction file and the reference it is compared with.
struct CasePair {
  fs::path prediction;
  fs::path reference;
};

struct CaseEvaluation {
  std::string reference_file;                  // path as given
  std::string prediction_file;                 // path as given
  std::map<int, LabelMetrics> labels;          // per evaluated label
  std::map<std::string, RegionScore> regions;  // "WT", "TC", "ET" when BraTS regions were asked for
};

struct EvaluationSummary {
  std::vector<CaseEvaluation> cases;  // in file-name order
  // Per label ("1", ...) or region ("WT", ...): metric name -> mean over cases ignoring NaN (all NaN: NaN).
  std::map<std::string, std::map<std::string, double>> mean;
};

// Metrics of one case from label maps in nnU-Net space (C order, array shape (z, y, x)); spacing_zyx: mm, array
// order, used for HD95. Every label of `labels` gets an entry, present in the maps or not.
CaseEvaluation evaluate_label_maps(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref,
                                   const std::array<int64_t, 3>& shape_zyx, const std::array<double, 3>& spacing_zyx,
                                   const std::vector<int>& labels, bool brats_regions);

// Pairs the NIfTI files (.nii.gz, .nii) of two folders by identical name, sorted. A prediction without reference
// is an InputError naming it; a reference without prediction a warning (or, with missing_prediction_is_error,
// an InputError naming it); no pair at all an InputError naming both folders.
std::vector<CasePair> match_folder_files(const fs::path& reference_dir, const fs::path& prediction_dir,
                                         bool missing_prediction_is_error = false);

// Reads and evaluates every pair (options.threads in parallel, one progress unit per case). InputError naming both
// files when shapes differ or spacings differ beyond |a - b| <= 1e-8 + 1e-5 |b|, naming the file and value for a
// non-integer label value or (brats_labels) a value outside {0, 1, 2, 4}.
EvaluationSummary evaluate_pairs(const std::vector<CasePair>& pairs, const EvaluateOptions& options,
                                 Progress& progress);

// match_folder_files + evaluate_pairs.
EvaluationSummary evaluate_folders(const fs::path& reference_dir, const fs::path& prediction_dir,
                                   const EvaluateOptions& options, Progress& progress);

// Fills summary.mean from summary.cases.
void compute_summary_mean(EvaluationSummary& summary);

// The summary.json object (keys sorted; NaN stays NaN).
Json summary_to_json(const EvaluationSummary& summary);

// Writes summary_to_json with NaN as the bare token NaN, indent 4, atomically.
void save_evaluation_summary(const fs::path& path, const EvaluationSummary& summary);

// Reads a summary.json written by save_evaluation_summary (NaN tokens accepted); per-label metrics are
// recomputed from TP/FP/FN/TN, means from the cases. InputError naming the file and key for anything else.
EvaluationSummary load_evaluation_summary(const fs::path& path);

// Parses --labels values: each item a comma-separated list ("1,2,3" or "1" "2" "3") of distinct non-negative
// integers; InputError naming `flag` and the offending value.
std::vector<int> parse_label_list(const std::vector<std::string>& items, const std::string& flag = "--labels");

// A compact table of the mean Dice, IoU, precision and recall per label and, when present, WT/TC/ET Dice and HD95.
std::string format_mean_table(const EvaluationSummary& summary);

}  // namespace nnseg
