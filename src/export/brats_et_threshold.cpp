// The BraTS ET threshold: apply and choose (export/brats_et_threshold.h; spec/training.md §11.5 procedure 1, as
// nnU-Net v1's Task082_BraTS_2020.py determine_brats_postprocessing / load_niftis_threshold_compute_dice).
#include "export/brats_et_threshold.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/parallel.h"
#include "evaluation/summary.h"
#include "io/nifti.h"
#include "planning/numpy_math.h"

namespace nnseg {

namespace {

template <typename T>
int64_t threshold_values(T* p, int64_t n, int threshold) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += static_cast<double>(p[i]) == kBratsEtLabel ? 1 : 0;
  if (count >= threshold) return 0;
  for (int64_t i = 0; i < n; ++i) {
    if (static_cast<double>(p[i]) == kBratsEtLabel) p[i] = static_cast<T>(kBratsEtReplacement);
  }
  return count;
}

EtCounts count_et_in_images(const Image& pred, const Image& ref) {
  EtCounts c;
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const bool p = pred.value(i) == kBratsEtLabel;
    const bool r = ref.value(i) == kBratsEtLabel;
    c.n_pred += p ? 1 : 0;
    c.n_ref += r ? 1 : 0;
    c.intersection += p && r ? 1 : 0;
  }
  return c;
}

}  // namespace

int64_t apply_brats_et_threshold(std::vector<uint8_t>& labels, int threshold) {
  return threshold_values(labels.data(), static_cast<int64_t>(labels.size()), threshold);
}

int64_t apply_brats_et_threshold(Image& image, int threshold) {
  return dispatch_pixel_type(image.type, [&](auto tag) -> int64_t {
    using T = decltype(tag);
    return threshold_values(image.data<T>(), image.numel(), threshold);
  });
}

std::vector<int> brats_et_candidate_thresholds() {
  std::vector<int> t;
  for (int v = 0; v <= 750; v += 10) t.push_back(v);
  return t;
}

int brats_et_threshold_for_application(int chosen) {
  return chosen > kBratsEtLargeThreshold ? kBratsEtLargeReplacement : chosen;
}

EtCounts count_et(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref) {
  NNSEG_CHECK(pred.size() == ref.size()) << pred.size() << " vs " << ref.size() << " voxels";
  EtCounts c;
  for (size_t i = 0; i < pred.size(); ++i) {
    const bool p = pred[i] == kBratsEtLabel;
    const bool r = ref[i] == kBratsEtLabel;
    c.n_pred += p ? 1 : 0;
    c.n_ref += r ? 1 : 0;
    c.intersection += p && r ? 1 : 0;
  }
  return c;
}

double et_dice_after_threshold(const EtCounts& counts, int threshold) {
  if (counts.n_pred < threshold) return counts.n_ref == 0 ? 1.0 : 0.0;
  const int64_t denominator = counts.n_pred + counts.n_ref;
  if (denominator == 0) return 0.0;  // MedPy dc: ZeroDivisionError -> 0
  return 2.0 * static_cast<double>(counts.intersection) / static_cast<double>(denominator);
}

double numpy_mean(const std::vector<double>& values) {
  return np::pairwise_sum(values.data(), static_cast<int64_t>(values.size())) / static_cast<double>(values.size());
}

EtThresholdSelection select_brats_et_threshold(const std::vector<EtCounts>& cases, const std::vector<int>& thresholds) {
  if (cases.empty()) throw InputError("cases", "no case to choose the BraTS ET threshold on");
  if (thresholds.empty()) throw InputError("thresholds", "no candidate ET threshold");
  EtThresholdSelection s;
  s.thresholds = thresholds;
  std::vector<double> dice(cases.size());
  for (int t : thresholds) {
    for (size_t i = 0; i < cases.size(); ++i) dice[i] = et_dice_after_threshold(cases[i], t);
    s.mean_dice.push_back(numpy_mean(dice));
  }
  // np.argmax: the first maximum.
  size_t best = 0;
  for (size_t i = 1; i < s.mean_dice.size(); ++i) {
    if (s.mean_dice[i] > s.mean_dice[best]) best = i;
  }
  s.chosen = thresholds[best];
  s.threshold = brats_et_threshold_for_application(s.chosen);
  return s;
}

EtThresholdSelection determine_brats_et_threshold(const fs::path& prediction_folder, const fs::path& reference_folder,
                                                  int threads, Progress& progress) {
  const std::vector<CasePair> pairs = match_folder_files(reference_folder, prediction_folder, false);
  std::vector<EtCounts> counts(pairs.size());
  progress.start("ET threshold", static_cast<int64_t>(pairs.size()));
  parallel_for(static_cast<int64_t>(pairs.size()), threads, [&](int64_t i) {
    const CasePair& pair = pairs[static_cast<size_t>(i)];
    const Image pred = read_nifti(pair.prediction);
    const Image ref = read_nifti(pair.reference);
    if (pred.shape != ref.shape) {
      throw InputError(pair.prediction.string(), "size differs from the reference " + pair.reference.string());
    }
    counts[static_cast<size_t>(i)] = count_et_in_images(pred, ref);
    progress.advance();
  });
  progress.finish();
  return select_brats_et_threshold(counts);
}

bool is_brats_et_dataset(const std::string& dataset_name, const std::vector<int>& labels) {
  std::string lower = dataset_name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("brats") != std::string::npos &&
         std::find(labels.begin(), labels.end(), kBratsEtLabel) != labels.end();
}

}  // namespace nnseg
