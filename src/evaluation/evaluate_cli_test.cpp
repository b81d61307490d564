// `nnseg evaluate` through the binary: a full run, the default output, -d labels, and every bad input's exit
// status 2 with the path or value in the message (spec/cli.md).
#include <gtest/gtest.h>

#include "evaluation/nan_json.h"
#include "io/atomic_write.h"
#include "io/nifti.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using ::nnseg::testing::run_nnseg;
using ::nnseg::testing::TempDir;
const std::array<int64_t, 3> kShape{8, 12, 16};

void write_blobs(const fs::path& path, const std::vector<int>& labels, std::array<int64_t, 3> shape = kShape) {
  write_nifti(path,
              ::nnseg::testing::make_label_blobs(shape, labels, PixelType::kUInt8, ::nnseg::testing::test_geometry()));
}

// ref/{a,b}.nii.gz and pred/{a,b}.nii.gz; pred b misses its innermost label.
struct Folders {
  TempDir tmp;
  fs::path ref = tmp / "ref", pred = tmp / "pred";
  Folders() {
    for (const char* name : {"a.nii.gz", "b.nii.gz"}) write_blobs(ref / name, {1, 2, 3});
    write_blobs(pred / "a.nii.gz", {1, 2, 3});
    write_blobs(pred / "b.nii.gz", {1, 2, 2});
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(EvaluateCliTest, FullRunWritesSummaryAndPrintsTheMeans) {
  Folders f;
  const fs::path out = f.tmp / "eval" / "summary.json";
  const auto r = run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string(), "--labels", "1,2,3",
                            "--regions", "brats", "-o", out.string(), "-np", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "mean over 2 case(s)")) << r.out;
  EXPECT_TRUE(contains(r.out, "WT")) << r.out;
  EXPECT_TRUE(contains(r.out, out.string())) << r.out;
  const Json j = parse_json_with_nan(read_file(out), out.string());
  ASSERT_EQ(j["metric_per_case"].size(), 2u);
  const Json& b = j["metric_per_case"][1];
  EXPECT_EQ(b["reference_file"], (f.ref / "b.nii.gz").string());
  EXPECT_EQ(b["prediction_file"], (f.pred / "b.nii.gz").string());
  EXPECT_EQ(b["metrics"]["3"]["Dice"].get<double>(), 0.0);  // label 3 missing from prediction b
  EXPECT_EQ(b["metrics"]["1"]["Dice"].get<double>(), 1.0);
  EXPECT_EQ(b["metrics"]["ET"]["HD95"].get<double>(), 373.12866);
  EXPECT_EQ(b["metrics"]["ET"]["Dice"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["mean"]["3"]["Dice"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["mean"]["ET"]["HD95"].get<double>(), 373.12866 / 2);
  EXPECT_FALSE(j["mean"].contains("0"));
}

TEST(EvaluateCliTest, DefaultOutputIsPredSummaryWithReferenceLabels) {
  Folders f;
  const auto r = run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = parse_json_with_nan(read_file(f.pred / "summary.json"), "summary.json");
  EXPECT_EQ(j["mean"].size(), 3u);  // 1, 2, 3: the non-zero reference values
  EXPECT_TRUE(j["mean"].contains("3"));
  EXPECT_FALSE(j["mean"].contains("WT"));
}

TEST(EvaluateCliTest, DatasetLabelsComeFromDatasetJson) {
  TempDir tmp;
  ::nnseg::testing::RawCaseOptions options;
  options.labels = {1};  // the label files hold only 1; dataset.json declares 0..3
  options.num_channels = 1;
  const fs::path dataset = tmp / "raw" / "Dataset005_Tiny";
  ::nnseg::testing::write_raw_dataset(dataset, {"c1", "c2"}, options);
  const auto r =
      run_nnseg({"evaluate", "-d", "5", "--raw", (tmp / "raw").string(), "--ref", (dataset / "labelsTr").string(),
                 "--pred", (dataset / "labelsTr").string(), "-o", (tmp / "s.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = parse_json_with_nan(read_file(tmp / "s.json"), "s.json");
  EXPECT_EQ(j["mean"].size(), 3u);
  EXPECT_EQ(j["mean"]["1"]["Dice"].get<double>(), 1.0);
  EXPECT_TRUE(std::isnan(j["mean"]["2"]["Dice"].get<double>()));
  // An unknown dataset is exit 2.
  const auto missing = run_nnseg({"evaluate", "-d", "7", "--raw", (tmp / "raw").string(), "--ref",
                                  (dataset / "labelsTr").string(), "--pred", (dataset / "labelsTr").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
}

TEST(EvaluateCliTest, PredictionWithoutReferenceIsExit2NamingIt) {
  Folders f;
  write_blobs(f.pred / "extra.nii.gz", {1});
  const auto r = run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, (f.pred / "extra.nii.gz").string())) << r.err;
}

// evaluation.md §2.1: a reference without prediction is only a warning (nnU-Net's region evaluation rule).
TEST(EvaluateCliTest, ReferenceWithoutPredictionIsAWarningNamingIt) {
  Folders f;
  write_blobs(f.ref / "c.nii.gz", {1});
  const auto r = run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "c.nii.gz")) << r.err;
  // No prediction at all is an error naming the folder.
  fs::create_directories(f.tmp / "none");
  const auto none = run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", (f.tmp / "none").string()});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_TRUE(contains(none.err, (f.tmp / "none").string())) << none.err;
}

TEST(EvaluateCliTest, BadLabelsAreExit2NamingTheValue) {
  Folders f;
  const auto r = run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string(), "--labels", "1,x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--labels")) << r.err;
  EXPECT_TRUE(contains(r.err, "\"x\"")) << r.err;
  const auto both =
      run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string(), "--labels", "1", "-d", "82"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  const auto regions =
      run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string(), "--regions", "hemispheres"});
  EXPECT_EQ(regions.exit_code, 2);
  EXPECT_TRUE(contains(regions.err, "hemispheres")) << regions.err;
  const auto no_ref = run_nnseg({"evaluate", "--pred", f.pred.string()});
  EXPECT_EQ(no_ref.exit_code, 2);
  EXPECT_TRUE(contains(no_ref.err, "--ref")) << no_ref.err;
}

TEST(EvaluateCliTest, GeometryMismatchIsExit2NamingBothFiles) {
  Folders f;
  write_blobs(f.pred / "b.nii.gz", {1, 2, 3}, {8, 12, 14});
  const auto r = run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, (f.pred / "b.nii.gz").string())) << r.err;
  EXPECT_TRUE(contains(r.err, (f.ref / "b.nii.gz").string())) << r.err;
  EXPECT_TRUE(contains(r.err, "[8, 12, 14]")) << r.err;
}

TEST(EvaluateCliTest, BratsLabelsRejectValuesOutsideBratsSpace) {
  Folders f;  // the files hold 1, 2, 3: 3 is no BraTS label
  const auto r = run_nnseg({"evaluate", "--ref", f.ref.string(), "--pred", f.pred.string(), "--brats-labels"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, (f.ref / "a.nii.gz").string()) || contains(r.err, (f.ref / "b.nii.gz").string()))
      << r.err;
  EXPECT_TRUE(contains(r.err, "value 3")) << r.err;
}

}  // namespace
}  // namespace nnseg
