// Tests for dataset preprocessing: configuration selection (3d_lowres not planned, unknown names), the parameters
// taken from the plans, finished-case detection (half-written and stale cases are redone), --overwrite, the
// missing-plans message, and -d folder resolution.
#include "preprocessing/preprocess_dataset.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "fingerprint/extract_fingerprint.h"
#include "io/json_file.h"
#include "planning/plan_dataset.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

Plans two_configuration_plans() {
  Plans plans;
  plans.original_median_spacing_after_transp = {3.0, 0.8, 0.8};
  plans.transpose_forward = {0, 1, 2};
  ConfigurationPlan full;
  full.data_identifier = "nnUNetPlans_3d_fullres";
  full.spacing = {3.0, 0.8, 0.8};
  full.normalization_schemes = {Normalization::kZScore, Normalization::kCT, Normalization::kNone};
  full.use_mask_for_norm = {true, false, false};
  ConfigurationPlan two_d = full;
  two_d.data_identifier = "nnUNetPlans_2d";
  two_d.spacing = {0.8, 0.7};
  plans.configurations = {{"3d_fullres", full}, {"2d", two_d}};
  plans.foreground_intensity_properties_per_channel.assign(3, IntensityStats{1, 2, 3, 4, 5, 6, 7});
  return plans;
}

TEST(SelectConfigurations, DefaultIsEveryPlannedOne) {
  const auto s = select_configurations(two_configuration_plans(), {}, "P.json");
  EXPECT_EQ(s.run, (std::vector<std::string>{"3d_fullres", "2d"}));
  EXPECT_TRUE(s.not_planned.empty());
}

TEST(SelectConfigurations, UnplannedLowresIsSkippedUnknownNameIsAnError) {
  const Plans plans = two_configuration_plans();
  auto s = select_configurations(plans, {"2d", "3d_lowres", "2d"}, "P.json");
  EXPECT_EQ(s.run, (std::vector<std::string>{"2d"}));
  EXPECT_EQ(s.not_planned, (std::vector<std::string>{"3d_lowres"}));
  try {
    select_configurations(plans, {"3d_lowres"}, "P.json");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(format_error(e),
              "P.json: none of the requested configurations (3d_lowres) is planned; planned: 3d_fullres, 2d");
  }
  try {
    select_configurations(plans, {"3d_full"}, "P.json");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(format_error(e), "-c 3d_full: not a configuration; P.json plans 3d_fullres, 2d");
  }
}

TEST(PreprocessParameters, TakenFromTheConfiguration) {
  const Plans plans = two_configuration_plans();
  const auto full = preprocess_parameters(plans, plans.configuration("3d_fullres"), {1, 2}, "P.json");
  EXPECT_FALSE(full.two_d);
  EXPECT_EQ(full.target_spacing, (std::array<double, 3>{3.0, 0.8, 0.8}));
  EXPECT_EQ(full.normalization_schemes,
            (std::vector<NormalizationScheme>{NormalizationScheme::kNonCT, NormalizationScheme::kCT,
                                              NormalizationScheme::kNoNorm}));
  EXPECT_EQ(full.use_mask_for_norm, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(full.intensity_properties.size(), 3u);
  EXPECT_EQ(full.intensity_properties[1].mean, 2.0);
  EXPECT_EQ(full.all_classes, (std::vector<int>{1, 2}));
  const auto two_d = preprocess_parameters(plans, plans.configuration("2d"), {1}, "P.json");
  EXPECT_TRUE(two_d.two_d);
  EXPECT_EQ(two_d.target_spacing, (std::array<double, 3>{3.0, 0.8, 0.7}));
}

// A raw dataset of 5 cases with its fingerprint and plans in <dir>/pre/Dataset009_Tiny.
struct PlannedDataset {
  TempDir dir;
  fs::path raw = dir / "raw" / "Dataset009_Tiny";
  fs::path pre = dir / "pre" / "Dataset009_Tiny";
  NullProgress progress;
  PlannedDataset() {
    testing::RawCaseOptions o;
    o.num_channels = 2;
    o.shape_zyx = {6, 10, 12};
    testing::write_raw_dataset(raw, {"c0", "c1", "c2", "c3", "c4"}, o);
    extract_dataset_fingerprint(raw, pre, {}, progress);
    plan_dataset_folder(pre);
  }
  PreprocessReport run(std::vector<std::string> configurations, bool overwrite = false) {
    PreprocessDatasetOptions options;
    options.configurations = std::move(configurations);
    options.overwrite = overwrite;
    options.threads = 2;
    return preprocess_dataset(raw, pre, options, progress);
  }
};

TEST(PreprocessDataset, SkipsFinishedCasesRedoesHalfWrittenAndStaleOnes) {
  PlannedDataset d;
  auto r = d.run({"3d_fullres"});
  ASSERT_EQ(r.configurations.size(), 1u);
  EXPECT_EQ(r.configurations[0].processed, 5);
  EXPECT_TRUE(r.configurations[0].skipped.empty());
  const fs::path folder = d.pre / "nnUNetPlans_3d_fullres";
  EXPECT_EQ(r.configurations[0].folder, folder);
  EXPECT_EQ(testing::list_files(folder).size(), 15u);

  r = d.run({"3d_fullres"});
  EXPECT_EQ(r.configurations[0].processed, 0);
  EXPECT_EQ(r.configurations[0].skipped.size(), 5u);

  // Half-written: only c1.npy left. Stale: c3.json records another spacing. Both are redone.
  fs::remove(folder / "c1_seg.npy");
  fs::remove(folder / "c1.json");
  OrderedJson j = load_json(folder / "c3.json");
  j["spacing_after_resampling"] = {1.0, 1.0, 1.0};
  save_json(folder / "c3.json", j);
  const Plans plans = load_plans(d.pre / "nnUNetPlans.json");
  const auto parameters = preprocess_parameters(plans, plans.configuration("3d_fullres"), {1, 2, 3}, "P");
  EXPECT_FALSE(preprocessed_case_complete(folder, "c1", parameters));
  EXPECT_FALSE(preprocessed_case_complete(folder, "c3", parameters));
  EXPECT_TRUE(preprocessed_case_complete(folder, "c0", parameters));
  r = d.run({"3d_fullres"});
  EXPECT_EQ(r.configurations[0].processed, 2);
  EXPECT_EQ(r.configurations[0].skipped, (std::vector<std::string>{"c0", "c2", "c4"}));
  EXPECT_TRUE(preprocessed_case_complete(folder, "c1", parameters));
  EXPECT_TRUE(preprocessed_case_complete(folder, "c3", parameters));

  // A JSON that does not parse is not finished either.
  std::ofstream(folder / "c4.json") << "{";
  EXPECT_FALSE(preprocessed_case_complete(folder, "c4", parameters));

  r = d.run({"3d_fullres"}, true);
  EXPECT_EQ(r.configurations[0].processed, 5);
}

TEST(PreprocessDataset, MissingPlansNamesFileAndCommand) {
  TempDir dir;
  testing::write_raw_dataset(dir / "Dataset011_X", {"a"});
  NullProgress progress;
  try {
    preprocess_dataset(dir / "Dataset011_X", dir / "pre" / "Dataset011_X", {}, progress);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(format_error(e), (dir / "pre" / "Dataset011_X" / "nnUNetPlans.json").string() +
                                   ": not found; run 'nnseg plan -d 11' first");
  }
}

TEST(ResolveDatasetFolders, RawOrPreprocessedOnly) {
  TempDir dir;
  fs::create_directories(dir / "raw" / "Task011_X");
  fs::create_directories(dir / "pre" / "Dataset012_Y");
  Paths paths;
  paths.raw = dir / "raw";
  paths.preprocessed = dir / "pre";
  auto f = resolve_dataset_folders(paths, "11", true);
  EXPECT_EQ(*f.raw, dir / "raw" / "Task011_X");
  EXPECT_EQ(f.preprocessed, dir / "pre" / "Dataset011_X");
  // No raw folder for 12: fine for plan (raw not required), an error for preprocess.
  f = resolve_dataset_folders(paths, "Dataset012_Y", false);
  EXPECT_FALSE(f.raw.has_value());
  EXPECT_EQ(f.preprocessed, dir / "pre" / "Dataset012_Y");
  EXPECT_THROW(resolve_dataset_folders(paths, "12", true), InputError);
  EXPECT_THROW(resolve_dataset_folders(paths, "13", false), InputError);
  paths.preprocessed.reset();
  try {
    resolve_dataset_folders(paths, "11", true);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "nnUNet_preprocessed");
  }
}

}  // namespace
}  // namespace nnseg
