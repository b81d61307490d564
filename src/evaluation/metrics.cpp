// Confusion counts and per-label metrics (evaluation/metrics.h), as nnU-Net v1 evaluation/metrics.py.
#include "evaluation/metrics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>

#include "core/check.h"
#include "core/error.h"

namespace nnseg {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

uint64_t pair_key(int32_t pred, int32_t ref) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(pred)) << 32) | static_cast<uint32_t>(ref);
}

int64_t json_count(const Json& j, const char* key, const std::string& item) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) {
    throw InputError(item, std::string("metrics: key \"") + key + "\" missing or not an integer");
  }
  int64_t v = it->get<int64_t>();
  if (v < 0) throw InputError(item, std::string("metrics: ") + key + " = " + std::to_string(v) + " is negative");
  return v;
}

}  // namespace

LabelMetrics compute_label_metrics(const ConfusionCounts& c) {
  LabelMetrics m;
  m.counts = c;
  const double tp = static_cast<double>(c.tp), fp = static_cast<double>(c.fp), fn = static_cast<double>(c.fn),
               tn = static_cast<double>(c.tn);
  const int64_t n = c.total();
  const bool test_empty = c.tp + c.fp == 0, ref_empty = c.tp + c.fn == 0;
  const bool test_full = c.tp + c.fp == n, ref_full = c.tp + c.fn == n;

  m.dice = test_empty && ref_empty ? kNaN : 2.0 * tp / (2.0 * tp + fp + fn);
  m.iou = test_empty && ref_empty ? kNaN : tp / (tp + fp + fn);
  m.precision = test_empty ? kNaN : tp / (tp + fp);
  m.recall = ref_empty ? kNaN : tp / (tp + fn);
  m.true_negative_rate = ref_full ? kNaN : tn / (tn + fp);
  m.accuracy = (tp + tn) / (tp + fp + tn + fn);
  m.false_positive_rate = 1.0 - m.true_negative_rate;
  m.false_omission_rate = test_full ? kNaN : fn / (fn + tn);
  m.negative_predictive_value = 1.0 - m.false_omission_rate;
  m.false_negative_rate = 1.0 - m.recall;
  m.false_discovery_rate = 1.0 - m.precision;
  m.n_pred = c.tp + c.fp;
  m.n_ref = c.tp + c.fn;
  return m;
}

Json label_metrics_to_json(const LabelMetrics& m) {
  Json j = Json::object();
  j["Dice"] = m.dice;
  j["IoU"] = m.iou;
  j["TP"] = m.counts.tp;
  j["FP"] = m.counts.fp;
  j["FN"] = m.counts.fn;
  j["TN"] = m.counts.tn;
  j["n_pred"] = m.n_pred;
  j["n_ref"] = m.n_ref;
  j["Accuracy"] = m.accuracy;
  j["False Discovery Rate"] = m.false_discovery_rate;
  j["False Negative Rate"] = m.false_negative_rate;
  j["False Omission Rate"] = m.false_omission_rate;
  j["False Positive Rate"] = m.false_positive_rate;
  j["Jaccard"] = m.iou;
  j["Negative Predictive Value"] = m.negative_predictive_value;
  j["Precision"] = m.precision;
  j["Recall"] = m.recall;
  j["Total Positives Reference"] = m.n_ref;
  j["Total Positives Test"] = m.n_pred;
  j["True Negative Rate"] = m.true_negative_rate;
  return j;
}

LabelMetrics label_metrics_from_json(const Json& j, const std::string& item) {
  if (!j.is_object()) throw InputError(item, "metrics: expected an object, got " + j.dump());
  ConfusionCounts c;
  c.tp = json_count(j, "TP", item);
  c.fp = json_count(j, "FP", item);
  c.fn = json_count(j, "FN", item);
  c.tn = json_count(j, "TN", item);
  if (c.total() == 0) throw InputError(item, "metrics: TP + FP + FN + TN = 0");
  return compute_label_metrics(c);
}

LabelConfusion LabelConfusion::count(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref) {
  NNSEG_CHECK(pred.size() == ref.size()) << pred.size() << " vs " << ref.size() << " voxels";
  // Dense table for the usual small label values, a map for anything else.
  constexpr int kDense = 256;
  std::vector<int64_t> dense(kDense * kDense, 0);
  LabelConfusion out;
  for (size_t i = 0; i < pred.size(); ++i) {
    const int32_t p = pred[i], r = ref[i];
    if (static_cast<uint32_t>(p) < kDense && static_cast<uint32_t>(r) < kDense) {
      ++dense[static_cast<size_t>(p) * kDense + static_cast<size_t>(r)];
    } else {
      ++out.pairs_[pair_key(p, r)];
    }
  }
  for (int p = 0; p < kDense; ++p) {
    for (int r = 0; r < kDense; ++r) {
      int64_t n = dense[static_cast<size_t>(p) * kDense + static_cast<size_t>(r)];
      if (n != 0) out.pairs_[pair_key(p, r)] += n;
    }
  }
  out.total_ = static_cast<int64_t>(pred.size());
  return out;
}

ConfusionCounts LabelConfusion::counts_for(const std::vector<int>& labels) const {
  std::set<int32_t> in(labels.begin(), labels.end());
  ConfusionCounts c;
  for (const auto& [key, n] : pairs_) {
    const bool t = in.count(static_cast<int32_t>(static_cast<uint32_t>(key >> 32))) > 0;
    const bool r = in.count(static_cast<int32_t>(static_cast<uint32_t>(key & 0xffffffffu))) > 0;
    if (t && r) {
      c.tp += n;
    } else if (t) {
      c.fp += n;
    } else if (r) {
      c.fn += n;
    } else {
      c.tn += n;
    }
  }
  return c;
}

std::vector<int> LabelConfusion::reference_values() const {
  std::set<int> values;
  for (const auto& kv : pairs_) values.insert(static_cast<int32_t>(static_cast<uint32_t>(kv.first & 0xffffffffu)));
  return {values.begin(), values.end()};
}

}  // namespace nnseg
