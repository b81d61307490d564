// Confusion metrics: spec/evaluation.md §8 E1, the empty/full conventions of §1, the JSON names of §2.1.
#include "evaluation/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace nnseg {
namespace {

const std::vector<int32_t> kE1Pred{0, 1, 1, 2, 2, 0, 0, 3, 0, 1};
const std::vector<int32_t> kE1Ref{0, 1, 2, 2, 2, 0, 1, 0, 0, 1};

LabelMetrics e1(int label) { return compute_label_metrics(LabelConfusion::count(kE1Pred, kE1Ref).counts_for({label})); }

// One row of E1's table; NaN written as std::nan("").
struct E1Row {
  int label;
  double dice, jaccard, precision, recall, accuracy, fpr, for_, npv, fnr, fdr, tnr;
  int64_t n_pred, n_ref;
};

void expect_same(double expected, double actual, const char* what, int label) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << " of label " << label << " = " << actual;
  } else {
    EXPECT_NEAR(expected, actual, 1e-15) << what << " of label " << label;
  }
}

TEST(MetricsTest, E1ConfusionMetricsMatchTheSpecTable) {
  const double nan = std::nan("");
  const std::vector<E1Row> rows{
      {0, 0.75, 0.6, 0.75, 0.75, 0.8, 0.16666666666666663, 0.16666666666666666, 0.8333333333333334, 0.25, 0.25,
       0.8333333333333334, 4, 4},
      {1, 0.6666666666666666, 0.5, 0.6666666666666666, 0.6666666666666666, 0.8, 0.1428571428571429, 0.14285714285714285,
       0.8571428571428572, 0.33333333333333337, 0.33333333333333337, 0.8571428571428571, 3, 3},
      {2, 0.8, 0.6666666666666666, 1.0, 0.6666666666666666, 0.9, 0.0, 0.125, 0.875, 0.33333333333333337, 0.0, 1.0, 2,
       3},
      {3, 0.0, 0.0, 0.0, nan, 0.9, 0.09999999999999998, 0.0, 1.0, nan, 1.0, 0.9, 1, 0},
  };
  for (const E1Row& r : rows) {
    const LabelMetrics m = e1(r.label);
    expect_same(r.dice, m.dice, "Dice", r.label);
    expect_same(r.jaccard, m.iou, "Jaccard", r.label);
    expect_same(r.precision, m.precision, "Precision", r.label);
    expect_same(r.recall, m.recall, "Recall", r.label);
    expect_same(r.accuracy, m.accuracy, "Accuracy", r.label);
    expect_same(r.fpr, m.false_positive_rate, "FPR", r.label);
    expect_same(r.for_, m.false_omission_rate, "FOR", r.label);
    expect_same(r.npv, m.negative_predictive_value, "NPV", r.label);
    expect_same(r.fnr, m.false_negative_rate, "FNR", r.label);
    expect_same(r.fdr, m.false_discovery_rate, "FDR", r.label);
    expect_same(r.tnr, m.true_negative_rate, "TNR", r.label);
    EXPECT_EQ(m.n_pred, r.n_pred) << r.label;
    EXPECT_EQ(m.n_ref, r.n_ref) << r.label;
  }
  // The "1 - x" metrics carry the subtraction's rounding exactly as nnU-Net's (bit-identical, not just close).
  EXPECT_EQ(e1(0).false_positive_rate, 0.16666666666666663);
  EXPECT_EQ(e1(1).false_negative_rate, 0.33333333333333337);
  EXPECT_EQ(e1(3).false_positive_rate, 0.09999999999999998);
}

TEST(MetricsTest, E1CountsAreConsistent) {
  const ConfusionCounts c = LabelConfusion::count(kE1Pred, kE1Ref).counts_for({2});
  EXPECT_EQ(c.tp, 2);
  EXPECT_EQ(c.fp, 0);
  EXPECT_EQ(c.fn, 1);
  EXPECT_EQ(c.tn, 7);
  // TP recovered from Dice and the totals, as §1 notes.
  const LabelMetrics m = compute_label_metrics(c);
  EXPECT_DOUBLE_EQ(m.dice * static_cast<double>(m.n_pred + m.n_ref) / 2, 2.0);
}

TEST(MetricsTest, BothEmptyGivesNaNDiceAndIoU) {
  const LabelMetrics m = compute_label_metrics({0, 0, 0, 10});
  EXPECT_TRUE(std::isnan(m.dice));
  EXPECT_TRUE(std::isnan(m.iou));
  EXPECT_TRUE(std::isnan(m.precision));
  EXPECT_TRUE(std::isnan(m.recall));
  EXPECT_TRUE(std::isnan(m.false_discovery_rate));
  EXPECT_TRUE(std::isnan(m.false_negative_rate));
  EXPECT_EQ(m.true_negative_rate, 1.0);
  EXPECT_EQ(m.accuracy, 1.0);
  EXPECT_EQ(m.n_pred, 0);
  EXPECT_EQ(m.n_ref, 0);
}

TEST(MetricsTest, ExactlyOneEmptyGivesZeroDice) {
  const LabelMetrics only_pred = compute_label_metrics({0, 3, 0, 7});
  EXPECT_EQ(only_pred.dice, 0.0);
  EXPECT_EQ(only_pred.iou, 0.0);
  EXPECT_EQ(only_pred.precision, 0.0);
  EXPECT_TRUE(std::isnan(only_pred.recall));
  const LabelMetrics only_ref = compute_label_metrics({0, 0, 3, 7});
  EXPECT_EQ(only_ref.dice, 0.0);
  EXPECT_TRUE(std::isnan(only_ref.precision));
  EXPECT_EQ(only_ref.recall, 0.0);
  EXPECT_EQ(only_ref.false_negative_rate, 1.0);
}

TEST(MetricsTest, FullMasksGiveNaNRates) {
  // Reference full: specificity and FPR undefined; test full: false omission rate and NPV undefined.
  const LabelMetrics m = compute_label_metrics({10, 0, 0, 0});
  EXPECT_EQ(m.dice, 1.0);
  EXPECT_TRUE(std::isnan(m.true_negative_rate));
  EXPECT_TRUE(std::isnan(m.false_positive_rate));
  EXPECT_TRUE(std::isnan(m.false_omission_rate));
  EXPECT_TRUE(std::isnan(m.negative_predictive_value));
  EXPECT_EQ(m.accuracy, 1.0);
}

TEST(MetricsTest, UnionOfLabelsIsOneMask) {
  // E7's WT region in nnU-Net labels = union {1, 2, 3}.
  const std::vector<int32_t> ref{0, 1, 1, 2, 3, 0, 0, 2}, pred{0, 1, 2, 2, 0, 0, 1, 2};
  const LabelConfusion confusion = LabelConfusion::count(pred, ref);
  EXPECT_DOUBLE_EQ(compute_label_metrics(confusion.counts_for({1, 2, 3})).dice, 0.8);
  EXPECT_DOUBLE_EQ(compute_label_metrics(confusion.counts_for({2, 3})).dice, 0.6666666666666666);
  EXPECT_EQ(compute_label_metrics(confusion.counts_for({3})).dice, 0.0);
}

TEST(MetricsTest, LargeAndNegativeValuesAreCountedToo) {
  const std::vector<int32_t> pred{-1, 300, 300, 70000, 0}, ref{-1, 300, 0, 70000, 300};
  const LabelConfusion confusion = LabelConfusion::count(pred, ref);
  EXPECT_EQ(confusion.counts_for({300}), (ConfusionCounts{1, 1, 1, 2}));
  EXPECT_EQ(confusion.counts_for({70000}), (ConfusionCounts{1, 0, 0, 4}));
  EXPECT_EQ(confusion.counts_for({-1}), (ConfusionCounts{1, 0, 0, 4}));
  EXPECT_EQ(confusion.reference_values(), (std::vector<int>{-1, 0, 300, 70000}));
  EXPECT_EQ(confusion.total(), 5);
}

TEST(MetricsTest, JsonHasV1AndV2NamesAndIntegerCounts) {
  const Json j = label_metrics_to_json(e1(2));
  for (const char* key : {"Dice",
                          "IoU",
                          "TP",
                          "FP",
                          "FN",
                          "TN",
                          "n_pred",
                          "n_ref",
                          "Accuracy",
                          "False Discovery Rate",
                          "False Negative Rate",
                          "False Omission Rate",
                          "False Positive Rate",
                          "Jaccard",
                          "Negative Predictive Value",
                          "Precision",
                          "Recall",
                          "Total Positives Reference",
                          "Total Positives Test",
                          "True Negative Rate"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.size(), 20u);
  for (const char* key : {"TP", "FP", "FN", "TN", "n_pred", "n_ref", "Total Positives Test"}) {
    EXPECT_TRUE(j[key].is_number_integer()) << key;
  }
  EXPECT_TRUE(j["Dice"].is_number_float());
  EXPECT_EQ(j["Total Positives Reference"].get<int64_t>(), 3);
  const LabelMetrics back = label_metrics_from_json(j, "x.json");
  EXPECT_EQ(back.counts, e1(2).counts);
  EXPECT_EQ(back.dice, e1(2).dice);
}

TEST(MetricsTest, JsonWithoutCountsIsAnInputErrorNamingTheItem) {
  Json j = label_metrics_to_json(e1(1));
  j.erase("TN");
  try {
    label_metrics_from_json(j, "summary.json: metric_per_case[0].metrics.1");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find("metric_per_case[0].metrics.1"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("TN"), std::string::npos);
  }
}

}  // namespace
}  // namespace nnseg
