// End to end through the binary: plan and preprocess the tiny dataset, train two folds briefly (the first with its
// final validation), then `predict` (geometry of the inputs restored, probabilities saved, the fold ensemble equal to
// the mean of the single folds), re-runs skipping finished cases, `nnUNet_predict`, `export-weights` +
// `predict --weights`, and a case missing a channel.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "e2e_dataset.h"
#include "io/npz.h"

namespace nnseg::e2e {
namespace {

std::vector<float> softmax_of(const fs::path& npz) {
  const std::vector<NpzMember> members = read_npz(npz);
  EXPECT_EQ(members.size(), 1u);
  EXPECT_EQ(members.at(0).name, "softmax");
  const NpyArray& a = members.at(0).array;
  EXPECT_EQ(a.dtype, NpyDType::kFloat16);
  std::vector<float> out(static_cast<size_t>(a.numel()));
  const auto* bits = reinterpret_cast<const uint16_t*>(a.bytes.data());
  for (size_t i = 0; i < out.size(); ++i) out[i] = float16_to_float32(bits[i]);
  return out;
}

class E2ePredict : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run({"plan-and-preprocess", "-d", "42", "-c", "3d_fullres"}).exit_code, 0);
    // Inputs: two training cases, one cropped and one resampled on the way in (e2e_dataset.h).
    fs::create_directories(in_);
    for (const std::string id : {"case_2", "case_5"}) {
      for (int c = 0; c < kChannels; ++c) {
        const std::string name = id + "_000" + std::to_string(c) + ".nii.gz";
        fs::copy_file(t_.raw / "imagesTr" / name, in_ / name);
      }
    }
  }
  std::vector<std::string> env() const {
    std::vector<std::string> e = t_.env();
    e.push_back("nnUNet_results=" + (t_.dir / "results").string());
    return e;
  }
  testing::CommandResult run(const std::vector<std::string>& args) const { return testing::run_nnseg(args, env()); }
  testing::CommandResult train(const std::string& fold, bool validate) const {
    std::vector<std::string> args{"train",      "-d",
                                  "42",         "-c",
                                  "3d_fullres", "-f",
                                  fold,         "--epochs",
                                  "1",          "--iterations-per-epoch",
                                  "1",          "--val-iterations",
                                  "1",          "--device",
                                  "cpu",        "--np",
                                  "1"};
    if (!validate) args.push_back("--no-final-validation");
    return run(args);
  }
  testing::CommandResult predict(const fs::path& out, std::vector<std::string> extra) const {
    std::vector<std::string> args{"predict", "-i",       in_.string(), "-o",   out.string(), "-d",
                                  "42",      "--device", "cpu",        "--np", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  fs::path experiment() const {
    return t_.dir / "results" / "Dataset042_Tiny" / "nnUNetTrainerV2__nnUNetPlans__3d_fullres";
  }

  TinyEnvironment t_;
  fs::path in_ = t_.dir / "in";
};

TEST_F(E2ePredict, TrainValidatePredictEnsembleAndWeights) {
  auto r = train("0", true);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The final validation predicted and evaluated the fold's validation cases.
  EXPECT_TRUE(fs::is_regular_file(experiment() / "fold_0" / "validation" / "summary.json")) << r.err;
  ASSERT_EQ(train("1", false).exit_code, 0);

  const fs::path p0 = t_.dir / "p0", p1 = t_.dir / "p1", p01 = t_.dir / "p01";
  r = predict(p0, {"-f", "0", "--save-probabilities"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 case(s) predicted"), std::string::npos) << r.out;
  ASSERT_EQ(predict(p1, {"-f", "1", "--save-probabilities"}).exit_code, 0);
  r = predict(p01, {"-f", "0", "1", "--save-probabilities"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("with 2 model(s)"), std::string::npos) << r.out;

  for (const std::string id : {"case_2", "case_5"}) {
    // Geometry of the input, uint8, nnU-Net labels.
    const Image input = read_nifti(in_ / (id + "_0000.nii.gz"));
    const Image seg = read_nifti(p01 / (id + ".nii.gz"));
    EXPECT_EQ(seg.type, PixelType::kUInt8);
    EXPECT_EQ(seg.shape, input.shape) << id;
    EXPECT_EQ(seg.geometry.spacing, input.geometry.spacing) << id;
    EXPECT_EQ(seg.geometry.origin, input.geometry.origin) << id;
    EXPECT_EQ(seg.geometry.direction, input.geometry.direction) << id;
    for (int64_t i = 0; i < seg.numel(); ++i) ASSERT_LE(seg.value(i), 3.0);
    EXPECT_TRUE(fs::is_regular_file(p01 / (id + ".json")));
    // The ensemble's probabilities are the mean of the folds' (float16 files: half-precision tolerance).
    const std::vector<float> a = softmax_of(p0 / (id + ".npz")), b = softmax_of(p1 / (id + ".npz")),
                             ab = softmax_of(p01 / (id + ".npz"));
    ASSERT_EQ(a.size(), ab.size());
    ASSERT_EQ(b.size(), ab.size());
    double worst = 0, differs = 0;
    for (size_t i = 0; i < ab.size(); ++i) {
      worst = std::max(worst, std::abs(static_cast<double>(ab[i]) - 0.5 * (a[i] + b[i])));
      differs = std::max(differs, std::abs(static_cast<double>(a[i]) - b[i]));
    }
    EXPECT_LT(worst, 2e-3) << id;
    EXPECT_GT(differs, 1e-3) << id << ": the two folds should disagree somewhere for this test to mean anything";
  }

  // A second run skips what is there.
  r = predict(p0, {"-f", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0 case(s) predicted, 2 skipped"), std::string::npos) << r.out;

  // nnU-Net v1's spelling gives the same segmentation.
  const std::string alias = (fs::path(NNSEG_BINARY).parent_path() / "nnUNet_predict").string();
  const fs::path pa = t_.dir / "pa";
  r = testing::run_command({alias, "-i", in_.string(), "-o", pa.string(), "-t", "42", "-m", "3d_fullres", "-f", "0",
                            "-chk", "model_final_checkpoint", "--device", "cpu"},
                           env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_nifti(pa / "case_5.nii.gz").bytes, read_nifti(p0 / "case_5.nii.gz").bytes);

  // Weights out and back in: the same segmentation.
  const fs::path w = t_.dir / "w.npz", pw = t_.dir / "pw";
  ASSERT_EQ(run({"export-weights", (experiment() / "fold_0").string(), "-o", w.string()}).exit_code, 0);
  r = predict(pw, {"--weights", w.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_nifti(pw / "case_2.nii.gz").bytes, read_nifti(p0 / "case_2.nii.gz").bytes);
}

TEST_F(E2ePredict, MissingChannelOrModelIsABadInput) {
  // No trained model yet.
  auto r = predict(t_.dir / "out", {"-f", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("nnUNetTrainerV2__nnUNetPlans__3d_fullres"), std::string::npos) << r.err;
  ASSERT_EQ(train("all", false).exit_code, 0);
  fs::remove(in_ / "case_5_0002.nii.gz");
  r = predict(t_.dir / "out", {"-f", "all"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("case_5_0002.nii.gz"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t_.dir / "out" / "case_2.nii.gz"));
}

}  // namespace
}  // namespace nnseg::e2e
