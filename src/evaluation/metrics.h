// Per-label confusion counts and the metrics nnU-Net reports for them (spec/evaluation.md §1, v1 names, and the
// v2 names of §2.1), with nnU-Net's NaN conventions for empty and full masks.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "io/json_file.h"

namespace nnseg {

// Confusion counts of one binary comparison: test T = prediction in the label set, reference R likewise.
struct ConfusionCounts {
  int64_t tp = 0;  // voxels in T and R
  int64_t fp = 0;  // voxels in T, not in R
  int64_t fn = 0;  // voxels in R, not in T
  int64_t tn = 0;  // voxels in neither

  int64_t total() const { return tp + fp + fn + tn; }
  bool operator==(const ConfusionCounts& o) const { return tp == o.tp && fp == o.fp && fn == o.fn && tn == o.tn; }
};

// Every metric of evaluation.md §1 (nan_for_nonexisting = true), computed exactly as nnU-Net v1's
// evaluation/metrics.py does (the "1 - x" metrics by subtraction, so with its rounding).
struct LabelMetrics {
  ConfusionCounts counts;
  double dice = 0;                       // 2TP / (2TP + FP + FN); NaN when T and R are both empty
  double iou = 0;                        // TP / (TP + FP + FN) (v1 "Jaccard"); NaN when both empty
  double precision = 0;                  // TP / (TP + FP); NaN when T is empty
  double recall = 0;                     // TP / (TP + FN); NaN when R is empty
  double true_negative_rate = 0;         // TN / (TN + FP); NaN when R is full
  double accuracy = 0;                   // (TP + TN) / N
  double false_positive_rate = 0;        // 1 - true_negative_rate
  double false_omission_rate = 0;        // FN / (FN + TN); NaN when T is full
  double negative_predictive_value = 0;  // 1 - false_omission_rate
  double false_negative_rate = 0;        // 1 - recall
  double false_discovery_rate = 0;       // 1 - precision
  int64_t n_pred = 0;                    // TP + FP (v1 "Total Positives Test")
  int64_t n_ref = 0;                     // TP + FN (v1 "Total Positives Reference")
};

LabelMetrics compute_label_metrics(const ConfusionCounts& counts);

// The JSON object of one label: v2 names (Dice, IoU, TP, FP, FN, TN, n_pred, n_ref) and v1 names (Accuracy,
// Jaccard, Precision, Recall, "Total Positives Test", ...); counts as integers, the rest as floats (NaN kept).
Json label_metrics_to_json(const LabelMetrics& m);

// Reads TP/FP/FN/TN from such an object and recomputes the rest; InputError naming `item` and the key.
LabelMetrics label_metrics_from_json(const Json& j, const std::string& item);

// Joint histogram of (prediction value, reference value) over the voxels of one case, from which the confusion
// counts of any label set follow without another pass over the voxels.
class LabelConfusion {
 public:
  // pred and ref: label maps of equal length (checked).
  static LabelConfusion count(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref);

  // Counts for T = (prediction in labels), R = (reference in labels): a single label or a union (region).
  ConfusionCounts counts_for(const std::vector<int>& labels) const;
  // Distinct values of the reference, sorted.
  std::vector<int> reference_values() const;
  int64_t total() const { return total_; }

 private:
  std::unordered_map<uint64_t, int64_t> pairs_;  // key (pred << 32 | ref) as unsigned 32-bit halves
  int64_t total_ = 0;
};

}  // namespace nnseg
