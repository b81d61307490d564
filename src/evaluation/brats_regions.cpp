// BraTS regions and challenge-style Dice/HD95 (evaluation/brats_regions.h), as nnU-Net's Task082_BraTS_2020.py.
#include "evaluation/brats_regions.h"

#include "core/check.h"
#include "core/error.h"
#include "evaluation/hd95.h"

namespace nnseg {

std::string to_string(BratsRegion region) {
  switch (region) {
    case BratsRegion::kWholeTumour:
      return "WT";
    case BratsRegion::kTumourCore:
      return "TC";
    case BratsRegion::kEnhancingTumour:
      return "ET";
  }
  NNSEG_CHECK(false) << "bad BratsRegion";
  return "";
}

std::vector<int> brats_region_labels(BratsRegion region) {
  switch (region) {
    case BratsRegion::kWholeTumour:
      return {1, 2, 3};
    case BratsRegion::kTumourCore:
      return {2, 3};
    case BratsRegion::kEnhancingTumour:
      return {3};
  }
  NNSEG_CHECK(false) << "bad BratsRegion";
  return {};
}

bool in_brats_region(BratsRegion region, int32_t label) {
  switch (region) {
    case BratsRegion::kWholeTumour:
      return label != 0;
    case BratsRegion::kTumourCore:
      return label > 1;
    case BratsRegion::kEnhancingTumour:
      return label == 3;
  }
  return false;
}

RegionScore evaluate_brats_region(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref,
                                  const std::array<int64_t, 3>& shape_zyx, const std::array<double, 3>& spacing_zyx,
                                  BratsRegion region) {
  const size_t n = static_cast<size_t>(shape_zyx[0] * shape_zyx[1] * shape_zyx[2]);
  NNSEG_CHECK(pred.size() == n && ref.size() == n) << "label maps do not match the shape";
  std::vector<uint8_t> p(n), r(n);
  int64_t n_pred = 0, n_ref = 0, n_both = 0;
  for (size_t i = 0; i < n; ++i) {
    p[i] = in_brats_region(region, pred[i]) ? 1 : 0;
    r[i] = in_brats_region(region, ref[i]) ? 1 : 0;
    n_pred += p[i];
    n_ref += r[i];
    n_both += p[i] & r[i];
  }
  RegionScore score;
  if (n_ref == 0) {
    score.dice = n_pred == 0 ? 1.0 : 0.0;
  } else {
    score.dice = 2.0 * static_cast<double>(n_both) / static_cast<double>(n_pred + n_ref);
  }
  if (n_ref == 0 && n_pred == 0) {
    score.hd95 = 0.0;
  } else if (n_ref == 0 || n_pred == 0) {
    score.hd95 = kBratsEmptyHd95;
  } else {
    score.hd95 = hd95({p.data(), shape_zyx}, {r.data(), shape_zyx}, spacing_zyx);
  }
  return score;
}

int32_t brats_to_nnunet_label(int32_t brats_value) {
  switch (brats_value) {
    case 0:
      return 0;
    case 1:
      return 2;
    case 2:
      return 1;
    case 4:
      return 3;
    default:
      return -1;
  }
}

void convert_brats_labels(std::vector<int32_t>& labels, const std::string& path) {
  for (int32_t& v : labels) {
    const int32_t converted = brats_to_nnunet_label(v);
    if (converted < 0) {
      throw InputError(path, "BraTS label value " + std::to_string(v) + " is not one of 0, 1, 2, 4 (--brats-labels)");
    }
    v = converted;
  }
}

}  // namespace nnseg
