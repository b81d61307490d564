// End to end through the binary: missing-artifact messages, plan-and-preprocess (and its refusal of a dataset that
// fails verification before anything is written), the v1 name nnUNet_plan_and_preprocess, fewer than 5 cases, and
// planning.md §11 pitfall #8 (intensity statistics from label > 0, every 10th voxel) cross-checked with NumPy.
#include <gtest/gtest.h>

#include "e2e_dataset.h"
#include "fingerprint/fingerprint.h"
#include "planning/plans.h"

namespace nnseg::e2e {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(E2ECommands, MissingFingerprintAndPlansNameTheFileAndTheCommand) {
  TinyEnvironment t;
  auto r = t.nnseg({"plan", "-d", "42"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "nnseg: error: " + (t.pre / "dataset_fingerprint.json").string() +
                                  ": not found; run 'nnseg extract-fingerprint -d 42' first"))
      << r.err;

  ASSERT_EQ(t.nnseg({"extract-fingerprint", "-d", "42"}).exit_code, 0);
  r = t.nnseg({"preprocess", "-d", "42"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(
      r.err, "nnseg: error: " + (t.pre / "nnUNetPlans.json").string() + ": not found; run 'nnseg plan -d 42' first"))
      << r.err;
  EXPECT_FALSE(fs::exists(t.pre / "nnUNetPlans_3d_fullres"));

  // No preprocessed folder set: the variable is named.
  r = testing::run_nnseg({"extract-fingerprint", "-d", "42"},
                         {"nnUNet_raw=" + t.raw_root.string(), "nnUNet_preprocessed="});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "nnseg: error: nnUNet_preprocessed: ")) << r.err;
  // An unknown dataset id is named.
  r = t.nnseg({"extract-fingerprint", "-d", "43"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "nnseg: error: 43: no raw dataset found")) << r.err;
}

TEST(E2ECommands, PlanAndPreprocessRunsAllStepsAndKeepsFinishedWork) {
  TinyEnvironment t;
  auto r = t.nnseg({"plan-and-preprocess", "-d", "42", "--verify-dataset-integrity", "-np", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "verify: OK")) << r.out;
  EXPECT_TRUE(contains(r.out, "ExperimentPlanner3D_v21")) << r.out;
  EXPECT_TRUE(contains(r.out, "stage 0 (2d): {'batch_size'")) << r.out;
  EXPECT_TRUE(contains(r.out, "3d_fullres: preprocessed 6 case(s)")) << r.out;
  EXPECT_TRUE(contains(r.out, "2d: preprocessed 6 case(s)")) << r.out;
  for (const char* f : {"dataset.json", "dataset_fingerprint.json", "nnUNetPlans.json", "splits_final.json",
                        "nnUNetPlans_3d_fullres/case_5_seg.npy", "nnUNetPlans_2d/case_5.json"}) {
    EXPECT_TRUE(fs::exists(t.pre / f)) << f;
  }
  r = t.nnseg({"plan-and-preprocess", "-d", "42"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "kept " + (t.pre / "dataset_fingerprint.json").string())) << r.out;
  EXPECT_TRUE(contains(r.out, "3d_fullres: preprocessed 0 case(s), kept 6")) << r.out;
}

TEST(E2ECommands, VerifyFailureIsRefusedBeforeAnythingIsWritten) {
  TinyEnvironment t;
  // An undeclared label value 7 in one label file (dataset.json declares 0-3).
  const fs::path label_file = t.raw / "labelsTr" / "case_3.nii.gz";
  Image label = read_nifti(label_file);
  label.data<uint8_t>()[label.index(10, 12, 15)] = 7;
  write_nifti(label_file, label);
  auto r = t.nnseg({"plan-and-preprocess", "-d", "42", "--verify-dataset-integrity"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.out, "case_3")) << r.out;
  EXPECT_TRUE(contains(r.err, "nnseg: error: " + t.raw.string() + ": dataset verification failed")) << r.err;
  EXPECT_TRUE(testing::list_files(t.pre_root).empty());
  EXPECT_FALSE(fs::exists(t.pre));
}

TEST(E2ECommands, V1NamePlanAndPreprocess) {
  TinyEnvironment t;
  const fs::path alias = fs::path(NNSEG_BINARY).parent_path() / "nnUNet_plan_and_preprocess";
  ASSERT_TRUE(fs::exists(alias)) << alias;
  auto run = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{alias.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_command(argv, t.env());
  };
  auto r = run({"-t", "42", "--verify_dataset_integrity", "-tl", "1", "-tf", "2", "-no_pp"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "verify: OK")) << r.out;
  EXPECT_TRUE(fs::exists(t.pre / "nnUNetPlans.json"));
  EXPECT_FALSE(fs::exists(t.pre / "nnUNetPlans_3d_fullres"));

  // -pl2d None: only the 3D planner's configurations are preprocessed.
  r = run({"-t", "42", "-pl2d", "None"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(t.pre / "nnUNetPlans_3d_fullres" / "case_0.json"));
  EXPECT_FALSE(fs::exists(t.pre / "nnUNetPlans_2d"));

  r = run({"-t", "42", "-pl3d", "ExperimentPlanner3D_v21_Other"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--planner3d ExperimentPlanner3D_v21_Other: no such planner")) << r.err;
}

TEST(E2ECommands, FewerThanFiveCasesPlanWithoutSplits) {
  TinyEnvironment t(3);
  ASSERT_EQ(t.nnseg({"extract-fingerprint", "-d", "42"}).exit_code, 0);
  auto r = t.nnseg({"plan", "-d", "42"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "3 case(s): fewer than 5")) << r.err;
  EXPECT_TRUE(contains(r.out, "splits: none")) << r.out;
  EXPECT_TRUE(fs::exists(t.pre / "nnUNetPlans.json"));
  EXPECT_FALSE(fs::exists(t.pre / "splits_final.json"));
}

// Pitfall #8: v1 samples channel m at label > 0 (not the nonzero mask), every 10th voxel in C order per case,
// pooled over the cases in sorted order. NumPy recomputes that from the raw files (cropping keeps every labelled
// voxel here and C order inside the box is the same sequence, so the uncropped volumes give the same samples).
TEST(E2ECommands, FingerprintIntensityStatisticsMatchNumpyV1Rule) {
  if (testing::run_command({"/usr/bin/python3", "-c", "import numpy, nibabel"}).exit_code != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy and nibabel not available";
  }
  TinyEnvironment t;
  ASSERT_EQ(t.nnseg({"extract-fingerprint", "-d", "42"}).exit_code, 0);
  const std::string script = R"(
import glob, json, os, sys
import numpy as np, nibabel as nib
raw, channels = sys.argv[1], int(sys.argv[2])
ids = sorted(os.path.basename(f)[:-7] for f in glob.glob(os.path.join(raw, 'labelsTr', '*.nii.gz')))
def zyx(path):
    return np.ascontiguousarray(np.asarray(nib.load(path).dataobj).transpose(2, 1, 0))
out = {}
for m in range(channels):
    pooled = []
    for i in ids:
        label = zyx(os.path.join(raw, 'labelsTr', i + '.nii.gz'))
        image = zyx(os.path.join(raw, 'imagesTr', '%s_%04d.nii.gz' % (i, m))).astype(np.float32)
        pooled.append(image[label > 0][::10])
    v = np.concatenate(pooled).astype(np.float64)
    out[str(m)] = [float(np.median(v)), float(np.mean(v)), float(np.std(v)), float(np.min(v)), float(np.max(v)),
                   float(np.percentile(v, 99.5)), float(np.percentile(v, 0.5)), int(v.size)]
print(json.dumps(out))
)";
  auto r = testing::run_command({"/usr/bin/python3", "-c", script, t.raw.string(), std::to_string(kChannels)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json expected = Json::parse(r.out);
  const Fingerprint fp = load_fingerprint(t.pre / "dataset_fingerprint.json");
  ASSERT_EQ(fp.foreground_intensity_properties_per_channel.size(), static_cast<size_t>(kChannels));
  for (int m = 0; m < kChannels; ++m) {
    const auto& e = expected[std::to_string(m)];
    const IntensityStats& s = fp.foreground_intensity_properties_per_channel[static_cast<size_t>(m)];
    const double got[] = {s.median, s.mean, s.std, s.min, s.max, s.percentile_99_5, s.percentile_00_5};
    EXPECT_GT(e[7].get<int>(), 100) << "channel " << m << ": too few samples to mean anything";
    for (int k = 0; k < 7; ++k) {
      const double want = e[static_cast<size_t>(k)].get<double>();
      EXPECT_NEAR(got[k], want, 1e-9 * std::abs(want)) << "channel " << m << " statistic " << k;
    }
  }
}

}  // namespace
}  // namespace nnseg::e2e
