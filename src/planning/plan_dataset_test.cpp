// Tests for plan_dataset_folder's decisions: fewer than 5 cases -> plans but no splits (with a warning), and the
// missing-fingerprint message that names the file and the command to run.
#include "planning/plan_dataset.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_write.h"
#include "planning/plans.h"
#include "planning/splits.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

void write_inputs(const fs::path& folder, int cases) {
  Fingerprint fp;
  for (int i = 0; i < cases; ++i) fp.case_identifiers.push_back("case_" + std::to_string(i));
  fp.spacings.assign(static_cast<size_t>(cases), {1, 1, 1});
  fp.shapes_after_crop.assign(static_cast<size_t>(cases), {36, 50, 35});
  fp.median_relative_size_after_cropping = 0.9;
  save_fingerprint(folder / "dataset_fingerprint.json", fp);
  write_file_atomically(folder / "dataset.json", R"({"channel_names": {"0": "T1"},
      "labels": {"background": 0, "a": 1}, "numTraining": )" +
                                                     std::to_string(cases) + R"(, "file_ending": ".nii.gz"})");
}

TEST(PlanDatasetFolder, FewerThanFiveCasesPlansWithoutSplits) {
  for (int cases : {1, 4}) {
    TempDir dir;
    const fs::path folder = dir / "Dataset042_Tiny";
    write_inputs(folder, cases);
    std::vector<std::string> warnings;
    LogSink old = set_log_sink([&](LogLevel level, const std::string& m) {
      if (level == LogLevel::kWarning) warnings.push_back(m);
    });
    EXPECT_NO_THROW(plan_dataset_folder(folder));
    set_log_sink(old);
    EXPECT_TRUE(fs::exists(folder / "nnUNetPlans.json"));
    EXPECT_FALSE(fs::exists(folder / "splits_final.json"));
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find(std::to_string(cases) + " case(s): fewer than 5"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("fold 'all'"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find((folder / "splits_final.json").string()), std::string::npos) << warnings[0];
  }
}

TEST(PlanDatasetFolder, FiveCasesGetFiveSplits) {
  TempDir dir;
  const fs::path folder = dir / "Dataset042_Tiny";
  write_inputs(folder, 5);
  plan_dataset_folder(folder);
  const auto splits = load_splits(folder / "splits_final.json");
  ASSERT_EQ(splits.size(), 5u);
  for (const auto& s : splits) EXPECT_EQ(s.val.size(), 1u);
}

TEST(PlanDatasetFolder, MissingFingerprintNamesFileAndCommand) {
  TempDir dir;
  const fs::path folder = dir / "Dataset042_Tiny";
  try {
    plan_dataset_folder(folder);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(format_error(e), (folder / "dataset_fingerprint.json").string() +
                                   ": not found; run 'nnseg extract-fingerprint -d 42' first");
  }
  EXPECT_FALSE(fs::exists(folder));
  EXPECT_EQ(dataset_id_hint(dir / "Task082_BraTS2020"), "82");
  EXPECT_EQ(dataset_id_hint(dir / "somewhere"), "ID");
}

}  // namespace
}  // namespace nnseg
