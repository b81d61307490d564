// `nnseg determine-postprocessing` on a tiny fake results tree (spec/cli.md; inference.md §8.2, training.md §11.5).
#include <gtest/gtest.h>

#include <cmath>

#include "export/postprocessing.h"
#include "io/json_file.h"
#include "io/nifti.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::run_nnseg;
using testing::TempDir;

constexpr std::array<int64_t, 3> kShape{8, 12, 16};  // RawCaseOptions' default shape

// A label volume of boxes [z0, z1) x [y0, y1) x [x0, x1) on the raw cases' grid.
struct Volume {
  std::vector<int> v = std::vector<int>(8 * 12 * 16, 0);
  Volume& box(int label, int z0, int z1, int y0, int y1, int x0, int x1) {
    for (int z = z0; z < z1; ++z)
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) v[static_cast<size_t>((z * 12 + y) * 16 + x)] = label;
    return *this;
  }
  void write(const fs::path& path) const {
    write_nifti(path, Image::from_values<uint8_t>(v, kShape, testing::test_geometry()));
  }
};

class DeterminePostprocessingCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run_nnseg({"determine-postprocessing", "--help"}).exit_code != 0) {
      GTEST_SKIP() << "nnseg built without the determine-postprocessing command (NNSEG_WITH_TORCH=OFF)";
    }
    raw_dataset_ = dir_ / "raw" / "Dataset082_BraTS2020";
    testing::write_raw_dataset(raw_dataset_, {"A", "B"});
    experiment_ = dir_ / "results" / "Dataset082_BraTS2020" / "nnUNetTrainerV2__nnUNetPlans__3d_fullres";
    // A: tumour without ET in the reference; 5 ET voxels predicted inside it (one foreground object).
    Volume ref_a;
    ref_a.box(1, 1, 7, 1, 11, 1, 15).box(2, 2, 6, 3, 9, 3, 13);
    ref_a.write(raw_dataset_ / "labelsTr" / "A.nii.gz");
    Volume pred_a = ref_a;
    pred_a.box(3, 3, 4, 5, 6, 5, 10);
    fs::create_directories(experiment_ / "fold_0" / "validation");
    pred_a.write(experiment_ / "fold_0" / "validation" / "A.nii.gz");
    // B: 40 ET voxels predicted exactly, plus a stray class-1 voxel in a corner.
    Volume ref_b = ref_a;
    ref_b.box(3, 3, 5, 4, 8, 5, 10);
    ref_b.write(raw_dataset_ / "labelsTr" / "B.nii.gz");
    Volume pred_b = ref_b;
    pred_b.box(1, 0, 1, 0, 1, 0, 1);
    fs::create_directories(experiment_ / "fold_1" / "validation");
    pred_b.write(experiment_ / "fold_1" / "validation" / "B.nii.gz");
    fs::create_directories(experiment_ / "fold_all");  // never a cross-validation fold
    ref_b_ = ref_b;
  }

  testing::CommandResult run(std::vector<std::string> extra = {}, const std::string& configuration = "3d_fullres") {
    std::vector<std::string> args = {
        "determine-postprocessing",  "-d",  "82", "-c", configuration, "--raw", (dir_ / "raw").string(), "--results",
        (dir_ / "results").string(), "-np", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_nnseg(args, {"nnUNet_raw=", "nnUNet_results=", "RESULTS_FOLDER=", "nnUNet_raw_data_base="});
  }

  TempDir dir_;
  fs::path raw_dataset_;
  fs::path experiment_;
  Volume ref_b_;
};

TEST_F(DeterminePostprocessingCli, WritesDecisionFoldersAndEtThreshold) {
  const auto r = run();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* f :
       {"cv_niftis_raw/A.nii.gz", "cv_niftis_raw/B.nii.gz", "cv_niftis_raw/summary.json", "gt_niftis/A.nii.gz",
        "gt_niftis/B.nii.gz", "cv_niftis_postprocessed/A.nii.gz", "cv_niftis_postprocessed/B.nii.gz",
        "cv_niftis_postprocessed/summary.json", "postprocessing.json"}) {
    EXPECT_TRUE(fs::is_regular_file(experiment_ / f)) << f;
  }
  const PostprocessingDecision d = load_postprocessing(experiment_ / "postprocessing.json");
  // The stray voxel makes all-as-one better for class 1 and no worse elsewhere; nothing more per class.
  EXPECT_EQ(d.for_which_classes, (std::vector<PostprocessingEntry>{PostprocessingEntry::of_group({1, 2, 3})}));
  EXPECT_EQ(d.num_samples, 2);
  // ET: T = 0 -> (0 + 1) / 2; T = 10 ... 40 -> 1; T = 50 -> (1 + 0) / 2: the smallest best is 10.
  EXPECT_EQ(d.brats_et_threshold, std::optional<int>(10));
  EXPECT_EQ(read_nifti(experiment_ / "cv_niftis_postprocessed" / "B.nii.gz").values_as<int>(), ref_b_.v);
  const OrderedJson json = load_json_allow_nan(experiment_ / "postprocessing.json");
  EXPECT_EQ(json.at("min_valid_object_sizes"), "None");
  EXPECT_EQ(json.at("validation_raw"), "cv_niftis_raw");
  EXPECT_EQ(json.at("validation_final"), "cv_niftis_postprocessed");
  EXPECT_NE(r.out.find("pp_all"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("for_which_classes: [[1, 2, 3]]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("brats_et_threshold: 10"), std::string::npos) << r.out;

  // -f 0 only: one case; the previous consolidation is replaced, not merged.
  const auto one = run({"-f", "0"});
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_FALSE(fs::exists(experiment_ / "cv_niftis_raw" / "B.nii.gz"));
  EXPECT_FALSE(fs::exists(experiment_ / "cv_niftis_postprocessed" / "B.nii.gz"));
  EXPECT_EQ(load_postprocessing(experiment_ / "postprocessing.json").num_samples, 1);
}

TEST_F(DeterminePostprocessingCli, MissingValidationFolderIsExit2NamingIt) {
  fs::remove_all(experiment_ / "fold_1" / "validation");
  const auto r = run();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find((experiment_ / "fold_1" / "validation").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--no-final-validation"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(experiment_ / "postprocessing.json"));
}

TEST_F(DeterminePostprocessingCli, BadFoldsAndMissingTreesAreExit2) {
  const auto all = run({"-f", "all"});
  EXPECT_EQ(all.exit_code, 2);
  EXPECT_NE(all.err.find("'all'"), std::string::npos) << all.err;
  const auto missing = run({"-f", "3"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find((experiment_ / "fold_3").string()), std::string::npos) << missing.err;
  const auto lowres = run({}, "3d_lowres");
  EXPECT_EQ(lowres.exit_code, 2);
  EXPECT_NE(lowres.err.find("nnUNetTrainerV2__nnUNetPlans__3d_lowres"), std::string::npos) << lowres.err;
  fs::remove(raw_dataset_ / "labelsTr" / "B.nii.gz");
  const auto no_ref = run();
  EXPECT_EQ(no_ref.exit_code, 2);
  EXPECT_NE(no_ref.err.find((raw_dataset_ / "labelsTr" / "B.nii.gz").string()), std::string::npos) << no_ref.err;
}

}  // namespace
}  // namespace nnseg
