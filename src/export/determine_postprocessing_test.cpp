// The §8.2 decision on tiny hand-made prediction/reference folders whose answer is known (spec/inference.md §8.2).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "export/postprocessing.h"
#include "io/nifti.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

constexpr std::array<int64_t, 3> kShape{4, 8, 8};

Geometry geometry() {
  Geometry g;
  g.spacing = {0.8, 0.8, 3.0};
  g.origin = {1, 2, 3};
  return g;
}

// A label volume built from boxes [z0, z1) x [y0, y1) x [x0, x1).
struct Volume {
  std::vector<int> v = std::vector<int>(4 * 8 * 8, 0);
  Volume& box(int label, int z0, int z1, int y0, int y1, int x0, int x1) {
    for (int z = z0; z < z1; ++z)
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) v[static_cast<size_t>((z * 8 + y) * 8 + x)] = label;
    return *this;
  }
  void write(const fs::path& path) const { write_nifti(path, Image::from_values<uint8_t>(v, kShape, geometry())); }
};

struct Folders {
  TempDir dir;
  fs::path raw() const { return dir / "cv_niftis_raw"; }
  fs::path ref() const { return dir / "gt_niftis"; }
  fs::path pp() const { return dir / "cv_niftis_postprocessed"; }
  fs::path json() const { return dir / "postprocessing.json"; }
  Folders() {
    fs::create_directories(raw());
    fs::create_directories(ref());
  }
  PostprocessingResult run(const std::vector<int>& labels, bool et = false) {
    NullProgress progress;
    DeterminePostprocessingOptions o;
    o.threads = 2;
    o.brats_et_threshold = et;
    return determine_postprocessing(raw(), ref(), labels, pp(), json(), o, progress);
  }
};

TEST(DeterminePostprocessing, AllForegroundAsOneAccepted) {
  Folders f;
  // Case a: classes 1 and 2 touching (one foreground object) plus a stray 1-voxel false positive of class 1.
  Volume ref_a;
  ref_a.box(1, 0, 2, 0, 4, 0, 4).box(2, 0, 2, 0, 4, 4, 6);
  ref_a.write(f.ref() / "a.nii.gz");
  Volume pred_a = ref_a;
  pred_a.box(1, 3, 4, 7, 8, 7, 8);
  pred_a.write(f.raw() / "a.nii.gz");
  // Case b: class 1 only, predicted exactly: class 2 is NaN (both empty) and left out of the mean.
  Volume ref_b;
  ref_b.box(1, 0, 2, 0, 4, 0, 4);
  ref_b.write(f.ref() / "b.nii.gz");
  ref_b.write(f.raw() / "b.nii.gz");

  const PostprocessingResult r = f.run({1, 2});
  const PostprocessingDecision& d = r.decision;
  EXPECT_DOUBLE_EQ(d.dc_per_class_raw.at(1), (64.0 / 65 + 1) / 2);
  EXPECT_EQ(d.dc_per_class_raw.at(2), 1.0);
  EXPECT_EQ(d.dc_per_class_pp_all.at(1), 1.0);
  EXPECT_EQ(d.dc_per_class_pp_all.at(2), 1.0);
  EXPECT_EQ(d.dc_per_class_pp_per_class.at(1), 1.0);  // from the accepted step 1: nothing more to gain
  EXPECT_EQ(d.for_which_classes, (std::vector<PostprocessingEntry>{PostprocessingEntry::of_group({1, 2})}));
  EXPECT_EQ(d.num_samples, 2);
  EXPECT_EQ(d.validation_raw, "cv_niftis_raw");
  EXPECT_EQ(d.validation_final, "cv_niftis_postprocessed");
  EXPECT_FALSE(d.brats_et_threshold.has_value());

  // The postprocessed files: the stray voxel gone, geometry kept; the raw files untouched; summary and JSON written.
  const Image out = read_nifti(f.pp() / "a.nii.gz");
  EXPECT_EQ(out.values_as<int>(), ref_a.v);
  EXPECT_EQ(out.geometry, read_nifti(f.raw() / "a.nii.gz").geometry);
  EXPECT_EQ(read_nifti(f.raw() / "a.nii.gz").values_as<int>(), pred_a.v);
  EXPECT_TRUE(fs::is_regular_file(f.pp() / "summary.json"));
  EXPECT_EQ(load_evaluation_summary(f.pp() / "summary.json").mean.at("1").at("Dice"), 1.0);
  EXPECT_EQ(load_postprocessing(f.json()).for_which_classes, d.for_which_classes);
  EXPECT_EQ(r.postprocessed.cases.size(), 2u);
}

TEST(DeterminePostprocessing, AllAsOneMakingAClassWorseIsRejectedPerClassAccepted) {
  Folders f;
  // Class 1 (32 voxels) and class 2 (8 voxels) apart: all-as-one would delete class 2 (Dice 1 -> 0): rejected.
  // A stray class-1 voxel: class 1 alone improves (64/65 -> 1): accepted as an integer entry.
  Volume ref;
  ref.box(1, 0, 2, 0, 4, 0, 4).box(2, 0, 2, 5, 7, 5, 7);
  ref.write(f.ref() / "c.nii.gz");
  Volume pred = ref;
  pred.box(1, 3, 4, 0, 1, 7, 8);
  pred.write(f.raw() / "c.nii.gz");

  const PostprocessingResult r = f.run({1, 2});
  const PostprocessingDecision& d = r.decision;
  EXPECT_DOUBLE_EQ(d.dc_per_class_raw.at(1), 64.0 / 65);
  EXPECT_EQ(d.dc_per_class_pp_all.at(1), 1.0);
  EXPECT_EQ(d.dc_per_class_pp_all.at(2), 0.0);
  EXPECT_EQ(d.dc_per_class_pp_per_class.at(1), 1.0);  // from the raw predictions
  EXPECT_EQ(d.dc_per_class_pp_per_class.at(2), 1.0);  // unchanged: not accepted
  EXPECT_EQ(d.for_which_classes, (std::vector<PostprocessingEntry>{PostprocessingEntry::single(1)}));
  EXPECT_EQ(read_nifti(f.pp() / "c.nii.gz").values_as<int>(), ref.v);
  EXPECT_EQ(r.postprocessed.mean.at("2").at("Dice"), 1.0);
  EXPECT_NE(format_postprocessing_table(r).find("for_which_classes: [1]"), std::string::npos);
}

TEST(DeterminePostprocessing, OneClassAndNoImprovement) {
  Folders f;
  Volume ref;
  ref.box(1, 0, 2, 0, 4, 0, 4);
  ref.write(f.ref() / "d.nii.gz");
  Volume pred = ref;
  pred.box(1, 3, 4, 7, 8, 7, 8);
  pred.write(f.raw() / "d.nii.gz");
  const PostprocessingResult one = f.run({1});
  EXPECT_EQ(one.decision.for_which_classes, (std::vector<PostprocessingEntry>{PostprocessingEntry::of_group({1})}));
  EXPECT_TRUE(one.decision.dc_per_class_pp_per_class.empty());
  EXPECT_NE(postprocessing_to_json_text(one.decision).find("\"dc_per_class_pp_per_class\": {}"), std::string::npos);

  // Predictions equal to the references: nothing improves strictly, nothing is applied.
  ref.write(f.raw() / "d.nii.gz");
  const PostprocessingResult none = f.run({1});
  EXPECT_TRUE(none.decision.for_which_classes.empty());
  EXPECT_EQ(read_nifti(f.pp() / "d.nii.gz").values_as<int>(), ref.v);
}

TEST(DeterminePostprocessing, EtThresholdOnThePostprocessedPredictions) {
  Folders f;
  // e: 3 ET voxels predicted, none in the reference; g: 20 ET voxels predicted correctly; both single objects.
  Volume ref_e;
  ref_e.box(1, 0, 4, 0, 8, 0, 8).box(2, 1, 3, 2, 6, 2, 6);
  ref_e.write(f.ref() / "e.nii.gz");
  Volume pred_e = ref_e;
  pred_e.box(3, 1, 2, 3, 4, 3, 6);
  pred_e.write(f.raw() / "e.nii.gz");
  Volume ref_g = ref_e;
  ref_g.box(3, 1, 2, 2, 6, 2, 7);
  ref_g.write(f.ref() / "g.nii.gz");
  ref_g.write(f.raw() / "g.nii.gz");
  const PostprocessingResult r = f.run({1, 2, 3}, true);
  ASSERT_TRUE(r.et.has_value());
  EXPECT_EQ(r.et->chosen, 10);  // T = 0: (0 + 1) / 2; T = 10, 20: (1 + 1) / 2; T = 30: (1 + 0) / 2
  EXPECT_EQ(r.et->mean_dice[0], 0.5);
  EXPECT_EQ(r.et->mean_dice[1], 1.0);
  EXPECT_EQ(r.et->mean_dice[3], 0.5);
  EXPECT_EQ(r.decision.brats_et_threshold, std::optional<int>(10));
  EXPECT_EQ(load_postprocessing(f.json()).brats_et_threshold, std::optional<int>(10));
  EXPECT_NE(format_postprocessing_table(r).find("brats_et_threshold: 10"), std::string::npos);
}

TEST(DeterminePostprocessing, BadInputs) {
  Folders f;
  Volume v;
  v.box(1, 0, 2, 0, 4, 0, 4);
  v.write(f.ref() / "a.nii.gz");
  v.write(f.raw() / "a.nii.gz");
  EXPECT_THROW(f.run({}), InputError);
  EXPECT_THROW(f.run({0, 1}), InputError);
  // A prediction without reference.
  v.write(f.raw() / "z.nii.gz");
  try {
    f.run({1});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find((f.raw() / "z.nii.gz").string()), std::string::npos) << format_error(e);
  }
  fs::remove(f.raw() / "z.nii.gz");
  // Differing sizes.
  write_nifti(f.raw() / "a.nii.gz", Image::from_values<uint8_t>(std::vector<int>(8, 0), {2, 2, 2}));
  try {
    f.run({1});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find("[2, 2, 2]"), std::string::npos) << format_error(e);
  }
  // A non-integer label value.
  write_nifti(f.raw() / "a.nii.gz", Image::from_values<float>(std::vector<float>(256, 0.5f), kShape, geometry()));
  try {
    f.run({1});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find("0.5"), std::string::npos) << format_error(e);
  }
}

TEST(ConsolidateFolds, CollectsFoldsConvertsReferencesAndRejectsOverlaps) {
  TempDir dir;
  const fs::path exp = dir / "experiment";
  Volume a, b;
  a.box(1, 0, 2, 0, 4, 0, 4);
  b.box(2, 1, 3, 2, 5, 2, 6);
  for (const char* sub :
       {"fold_0/validation", "fold_1/validation", "fold_all/validation", "cv_niftis_postprocessed", "labels"}) {
    fs::create_directories(exp / sub);
  }
  a.write(exp / "fold_0/validation/a.nii.gz");
  b.write(exp / "fold_1/validation/b.nii.gz");
  b.write(exp / "fold_all/validation/c.nii.gz");  // fold_all is no cross-validation fold
  a.write(exp / "cv_niftis_postprocessed/stale.nii.gz");
  a.write(exp / "labels/a.nii");
  b.write(exp / "labels/b.nii");
  const FoldConsolidation c = consolidate_folds(exp, {}, exp / "labels", ".nii", "nnseg train -d 1 -c 3d_fullres");
  EXPECT_EQ(c.folds, (std::vector<int>{0, 1}));
  EXPECT_EQ(c.num_cases, 2);
  EXPECT_EQ(testing::list_files(c.raw_folder), (std::vector<std::string>{"a.nii.gz", "b.nii.gz"}));
  EXPECT_EQ(testing::list_files(c.gt_folder), (std::vector<std::string>{"a.nii.gz", "b.nii.gz"}));
  EXPECT_EQ(read_nifti(c.gt_folder / "b.nii.gz").values_as<int>(), b.v);
  EXPECT_FALSE(fs::exists(exp / "cv_niftis_postprocessed"));

  // -f 1 only.
  EXPECT_EQ(consolidate_folds(exp, {1}, exp / "labels", ".nii", "t").num_cases, 1);
  EXPECT_FALSE(fs::exists(exp / "cv_niftis_raw" / "a.nii.gz"));

  // The same case in two folds.
  a.write(exp / "fold_1/validation/a.nii.gz");
  try {
    consolidate_folds(exp, {}, exp / "labels", ".nii", "t");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find((exp / "fold_0/validation/a.nii.gz").string()), std::string::npos)
        << format_error(e);
    EXPECT_NE(format_error(e).find((exp / "fold_1/validation/a.nii.gz").string()), std::string::npos)
        << format_error(e);
  }
  // No experiment folder.
  EXPECT_THROW(consolidate_folds(dir / "nothing", {}, exp / "labels", ".nii", "t"), InputError);
}

}  // namespace
}  // namespace nnseg
