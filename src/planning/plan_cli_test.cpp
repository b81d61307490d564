// `nnseg plan --fingerprint FP.json --dataset-json DS.json -o PLANS.json` through the binary: a tiny dataset,
// and exit status 2 with the file named for missing or bad inputs (spec/cli.md).
#include <gtest/gtest.h>

#include "fingerprint/fingerprint.h"
#include "io/atomic_write.h"
#include "planning/plan_dataset.h"
#include "planning/plans.h"
#include "planning/splits.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::run_nnseg;
using testing::TempDir;

struct TinyDataset {
  TempDir dir;
  fs::path fingerprint = dir / "dataset_fingerprint.json";
  fs::path dataset_json = dir / "dataset.json";
  fs::path plans = dir / "out" / "nnUNetPlans.json";

  TinyDataset() {
    Fingerprint fp;
    fp.case_identifiers = {"c0", "c1", "c2"};
    fp.spacings.assign(3, {1, 1, 1});
    fp.shapes_after_crop = {{36, 50, 35}, {36, 50, 35}, {36, 50, 35}};
    fp.median_relative_size_after_cropping = 0.5;
    fp.foreground_intensity_properties_per_channel = {{1, 1, 1, 0, 2, 2, 0}, {1, 1, 1, 0, 2, 2, 0}};
    save_fingerprint(fingerprint, fp);
    write_file_atomically(dataset_json, R"({"name": "Tiny", "channel_names": {"0": "T1", "1": "CT"},
        "labels": {"background": 0, "a": 1, "b": 2}, "numTraining": 3, "file_ending": ".nii.gz"})");
  }
  std::vector<std::string> args() const {
    return {"plan", "--fingerprint", fingerprint.string(), "--dataset-json", dataset_json.string(),
            "-o",   plans.string()};
  }
};

TEST(PlanCli, PlansTinyDataset) {
  TinyDataset d;
  auto r = run_nnseg(d.args());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stage 0 (3d_fullres): {'batch_size': 2, 'num_pool_per_axis': [3, 3, 3], 'patch_size': "
                       "[40, 56, 40]"),
            std::string::npos)
      << r.out;
  const Plans p = load_plans(d.plans);
  EXPECT_EQ(p.dataset_name, "Tiny");
  const ConfigurationPlan& f = p.configuration("3d_fullres");
  EXPECT_EQ(f.patch_size, (std::vector<int64_t>{40, 56, 40}));
  EXPECT_EQ(f.batch_size, 2);  // 3 cases: the 5 % cap rounds to 0 and is raised to 2
  EXPECT_EQ(f.normalization_schemes, (std::vector<Normalization>{Normalization::kZScore, Normalization::kCT}));
  EXPECT_EQ(f.use_mask_for_norm, (std::vector<bool>{true, false}));
  EXPECT_EQ(p.configuration("2d").patch_size, (std::vector<int64_t>{56, 40}));
  EXPECT_EQ(p.foreground_intensity_properties_per_channel.size(), 2u);

  // The same plan with --gpu-memory-gb 8 (the reference); another value changes the estimate.
  auto args = d.args();
  args.insert(args.end(), {"--gpu-memory-gb", "8"});
  ASSERT_EQ(run_nnseg(args).exit_code, 0);
  EXPECT_EQ(load_plans(d.plans).configuration("3d_fullres").patch_size, f.patch_size);
}

TEST(PlanCli, MissingInputsExit2NamingTheFile) {
  TinyDataset d;
  auto args = d.args();
  args[2] = (d.dir / "absent_fingerprint.json").string();
  auto r = run_nnseg(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nnseg: error: " + args[2]), std::string::npos) << r.err;

  args = d.args();
  args[4] = (d.dir / "absent_dataset.json").string();
  r = run_nnseg(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(args[4]), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d.plans));

  r = run_nnseg({"plan"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--fingerprint"), std::string::npos) << r.err;
}

TEST(PlanCli, BadInputsExit2) {
  TinyDataset d;
  auto args = d.args();
  args.insert(args.end(), {"--gpu-memory-gb", "-1"});
  auto r = run_nnseg(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--gpu-memory-gb"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-1"), std::string::npos) << r.err;

  write_file_atomically(d.fingerprint, R"({"spacings": [[1, 1]], "shapes_after_crop": [[1, 2, 3]],
      "foreground_intensity_properties_per_channel": {}, "median_relative_size_after_cropping": 0.5})");
  r = run_nnseg(d.args());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(d.fingerprint.string() + ": spacings[0] = [1,1]: expected 3 values"), std::string::npos)
      << r.err;

  // Two channels in dataset.json but statistics for one.
  Fingerprint fp;
  fp.spacings.assign(3, {1, 1, 1});
  fp.shapes_after_crop.assign(3, {36, 50, 35});
  fp.foreground_intensity_properties_per_channel = {{1, 1, 1, 0, 2, 2, 0}};
  save_fingerprint(d.fingerprint, fp);
  r = run_nnseg(d.args());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(d.fingerprint.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(d.dataset_json.string()), std::string::npos) << r.err;
}

// The library call that `nnseg plan -d` makes: plans and splits into the preprocessed folder.
TEST(PlanDatasetFolder, WritesPlansAndSplitsOnce) {
  TempDir dir;
  const fs::path folder = dir / "Dataset042_Tiny";
  Fingerprint fp;
  for (int i = 0; i < 6; ++i) fp.case_identifiers.push_back("case_" + std::to_string(i));
  fp.spacings.assign(6, {1, 1, 1});
  fp.shapes_after_crop.assign(6, {36, 50, 35});
  fp.median_relative_size_after_cropping = 0.9;
  EXPECT_THROW(plan_dataset_folder(folder), InputError);  // no fingerprint yet
  save_fingerprint(folder / "dataset_fingerprint.json", fp);
  write_file_atomically(folder / "dataset.json", R"({"name": "Tiny", "channel_names": {"0": "T1"},
      "labels": {"background": 0, "a": 1}, "numTraining": 6, "file_ending": ".nii.gz"})");
  std::string log;
  const Plans p = plan_dataset_folder(folder, {}, &log);
  EXPECT_EQ(p.dataset_name, "Dataset042_Tiny");
  EXPECT_EQ(load_plans(folder / "nnUNetPlans.json").configuration("3d_fullres").patch_size,
            (std::vector<int64_t>{40, 56, 40}));
  EXPECT_EQ(load_plans(folder / "nnUNetPlans.json").configuration("3d_fullres").use_mask_for_norm,
            (std::vector<bool>{false}));
  const auto splits = load_splits(folder / "splits_final.json");
  ASSERT_EQ(splits.size(), 5u);
  EXPECT_EQ(splits[0].val.size() + splits[0].train.size(), 6u);
  EXPECT_NE(log.find("3d_fullres"), std::string::npos);
  // Custom splits survive a second run.
  write_file_atomically(folder / "splits_final.json", R"([{"train": ["case_0"], "val": ["case_1"]}])");
  plan_dataset_folder(folder);
  EXPECT_EQ(load_splits(folder / "splits_final.json").size(), 1u);
}

}  // namespace
}  // namespace nnseg
