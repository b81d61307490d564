// The BraTS ET threshold: applying it and choosing it by procedure 1 (spec/training.md §11.5).
#include "export/brats_et_threshold.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"
#include "core/progress.h"
#include "io/nifti.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

TEST(BratsEtThreshold, ApplyRelabelsOnlyBelowTheThreshold) {
  const std::vector<uint8_t> input = {0, 3, 3, 1, 2, 3, 3, 0};  // 4 ET voxels
  std::vector<uint8_t> labels = input;
  EXPECT_EQ(apply_brats_et_threshold(labels, 5), 4);
  EXPECT_EQ(labels, (std::vector<uint8_t>{0, 2, 2, 1, 2, 2, 2, 0}));
  labels = input;
  EXPECT_EQ(apply_brats_et_threshold(labels, 4), 0);  // 4 < 4 is false
  EXPECT_EQ(labels, input);
  EXPECT_EQ(apply_brats_et_threshold(labels, 0), 0);
  EXPECT_EQ(labels, input);

  Image image = Image::from_values<int16_t>(std::vector<int>{3, 0, 1, 3}, {1, 2, 2});
  EXPECT_EQ(apply_brats_et_threshold(image, 200), 2);
  EXPECT_EQ(image.values_as<int>(), (std::vector<int>{2, 0, 1, 2}));
  EXPECT_EQ(image.type, PixelType::kInt16);
}

TEST(BratsEtThreshold, CandidatesAndLargeThresholdRule) {
  const std::vector<int> t = brats_et_candidate_thresholds();
  ASSERT_EQ(t.size(), 76u);
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t[1], 10);
  EXPECT_EQ(t.back(), 750);
  EXPECT_EQ(brats_et_threshold_for_application(200), 200);
  EXPECT_EQ(brats_et_threshold_for_application(1000), 1000);
  EXPECT_EQ(brats_et_threshold_for_application(1001), 750);
  EXPECT_EQ(brats_et_threshold_for_application(10000), 750);
}

TEST(BratsEtThreshold, PerCaseRuleIncludingTheEmptyEmptyQuirk) {
  EXPECT_EQ(et_dice_after_threshold({0, 0, 0}, 0), 0.0);  // MedPy's zero division: 0, not 1
  EXPECT_EQ(et_dice_after_threshold({0, 0, 0}, 10), 1.0);
  EXPECT_EQ(et_dice_after_threshold({5, 0, 0}, 10), 1.0);           // removed, reference empty
  EXPECT_EQ(et_dice_after_threshold({5, 8, 5}, 10), 0.0);           // removed, reference not empty
  EXPECT_EQ(et_dice_after_threshold({5, 10, 5}, 5), 2.0 * 5 / 15);  // 5 < 5 is false: unchanged
  EXPECT_EQ(et_dice_after_threshold({5, 0, 0}, 0), 0.0);
}

// Case A: 20 false-positive ET voxels (reference empty); B: 100 predicted, 100 reference, 90 shared; C: nothing.
const std::vector<EtCounts> kCases = {{20, 0, 0}, {100, 100, 90}, {0, 0, 0}};

TEST(BratsEtThreshold, SelectsTheHighestMeanSmallestOnTies) {
  const EtThresholdSelection s = select_brats_et_threshold(kCases);
  ASSERT_EQ(s.mean_dice.size(), 76u);
  EXPECT_DOUBLE_EQ(s.mean_dice[0], 0.9 / 3);   // T = 0: A 0, B 0.9, C 0
  EXPECT_DOUBLE_EQ(s.mean_dice[1], 1.9 / 3);   // T = 10, 20: C becomes 1
  EXPECT_DOUBLE_EQ(s.mean_dice[3], 2.9 / 3);   // T = 30 ... 100: A becomes 1 as well
  EXPECT_EQ(s.mean_dice[3], s.mean_dice[10]);  // T = 100: still B's 0.9 (100 < 100 is false)
  EXPECT_DOUBLE_EQ(s.mean_dice[11], 2.0 / 3);  // T = 110: B drops to 0
  EXPECT_EQ(s.chosen, 30);
  EXPECT_EQ(s.threshold, 30);

  // A chosen threshold above 1000 is applied as 750.
  const EtThresholdSelection large = select_brats_et_threshold({{1500, 0, 0}}, {0, 10, 2000});
  EXPECT_EQ(large.chosen, 2000);
  EXPECT_EQ(large.threshold, 750);
  // All equal: the smallest.
  EXPECT_EQ(select_brats_et_threshold({{50, 50, 50}}, {0, 10, 20}).chosen, 0);

  EXPECT_THROW(select_brats_et_threshold({}), InputError);
  EXPECT_THROW(select_brats_et_threshold(kCases, {}), InputError);
}

TEST(BratsEtThreshold, NumpyMeanIsPairwise) {
  EXPECT_EQ(numpy_mean({1.0, 2.0, 4.0}), 7.0 / 3);
  // Compare with NumPy itself where it is installed.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> arrays;
  for (size_t n : {5, 9, 17, 100, 128, 129, 300, 1000}) {
    std::vector<double> a(n);
    for (double& v : a) v = u(rng) * (u(rng) < 0.3 ? 1e8 : 1.0);
    arrays.push_back(a);
  }
  TempDir dir;
  std::ofstream script(dir / "mean.py");
  script << "import sys\nimport numpy as np\n";
  for (const auto& a : arrays) {
    script << "print(repr(float(np.mean(np.array([";
    for (double v : a) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g,", v);
      script << buf;
    }
    script << "], dtype=np.float64)))))\n";
  }
  script.close();
  const auto r = testing::run_command({"/usr/bin/python3", (dir / "mean.py").string()});
  if (r.exit_code != 0) GTEST_SKIP() << "python3 with numpy not available: " << r.err;
  std::istringstream lines(r.out);
  for (const auto& a : arrays) {
    std::string line;
    ASSERT_TRUE(std::getline(lines, line));
    EXPECT_EQ(numpy_mean(a), std::stod(line)) << a.size() << " values";
  }
}

TEST(BratsEtThreshold, DeterminesOnAFolder) {
  TempDir dir;
  const std::array<int64_t, 3> shape{4, 8, 8};  // 256 voxels
  auto write = [&](const std::string& folder, const std::string& name, int first3, int count3) {
    std::vector<int> v(256, 1);
    for (int i = first3; i < first3 + count3; ++i) v[static_cast<size_t>(i)] = 3;
    write_nifti(dir / folder / name, Image::from_values<uint8_t>(v, shape));
  };
  fs::create_directories(dir / "pred");
  fs::create_directories(dir / "ref");
  write("pred", "A.nii.gz", 0, 20);  // 20 false positives
  write("ref", "A.nii.gz", 0, 0);
  write("pred", "B.nii.gz", 0, 100);  // 90 of 100 shared
  write("ref", "B.nii.gz", 10, 100);
  write("pred", "C.nii.gz", 0, 0);
  write("ref", "C.nii.gz", 0, 0);
  NullProgress progress;
  const EtThresholdSelection s = determine_brats_et_threshold(dir / "pred", dir / "ref", 2, progress);
  EXPECT_EQ(s.chosen, 30);
  EXPECT_DOUBLE_EQ(s.mean_dice[0], 0.9 / 3);
}

TEST(BratsEtThreshold, DatasetDetection) {
  EXPECT_TRUE(is_brats_et_dataset("Dataset082_BraTS2020", {1, 2, 3}));
  EXPECT_TRUE(is_brats_et_dataset("Task043_BRATS", {1, 2, 3}));
  EXPECT_FALSE(is_brats_et_dataset("Dataset082_BraTS2020", {1, 2}));
  EXPECT_FALSE(is_brats_et_dataset("Dataset003_Liver", {1, 2, 3}));
}

}  // namespace
}  // namespace nnseg
