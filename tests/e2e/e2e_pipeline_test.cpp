// End to end through the binary on a tiny dataset: extract-fingerprint -> plan -> preprocess gives the files of
// spec/cli.md with the right shapes, dtypes, crop boxes, -1 outside the nonzero mask and class locations; a re-run
// keeps finished cases, --overwrite redoes them, a half-written case is redone.
#include <gtest/gtest.h>

#include <chrono>

#include "e2e_dataset.h"
#include "fingerprint/fingerprint.h"
#include "io/npy.h"
#include "planning/plans.h"
#include "planning/splits.h"
#include "preprocessing/class_locations.h"
#include "preprocessing/preprocess_case.h"
#include "preprocessing/resample.h"

namespace nnseg::e2e {
namespace {

using Clock = fs::file_time_type::clock;

// Checks one preprocessed case against its raw files.
void check_case(const TinyEnvironment& t, const fs::path& folder, const std::string& id, bool two_d,
                const ConfigurationPlan& configuration) {
  SCOPED_TRACE(folder.filename().string() + "/" + id);
  const CaseProperties p = load_case_properties(folder / (id + ".json"));
  const NpyArray data = read_npy(folder / (id + ".npy"));
  const NpyArray seg = read_npy(folder / (id + "_seg.npy"));
  const auto& size = p.size_after_resampling;
  EXPECT_EQ(data.dtype, NpyDType::kFloat32);
  EXPECT_EQ(seg.dtype, NpyDType::kInt8);
  EXPECT_EQ(data.shape, (std::vector<int64_t>{kChannels, size[0], size[1], size[2]}));
  EXPECT_EQ(seg.shape, (std::vector<int64_t>{1, size[0], size[1], size[2]}));

  const int index = std::stoi(id.substr(5));
  const bool padded = index >= 2;
  EXPECT_EQ(p.crop.size_after_cropping, kShape);
  const auto& box = p.crop.crop_bbox;
  const std::array<int64_t, 3> offset = padded ? kPadding : std::array<int64_t, 3>{0, 0, 0};
  for (size_t a = 0; a < 3; ++a) EXPECT_EQ(box[a], (std::array<int64_t, 2>{offset[a], offset[a] + kShape[a]}));
  // Case 5 is 1.0 mm in-plane and resampled to the others' 0.8 mm; the 2d configuration keeps every case's z.
  const double in_plane = index == 5 ? 1.0 : 0.8;
  const std::array<double, 3>& spacing = p.crop.original_spacing;
  for (size_t a = 0; a < 3; ++a) EXPECT_NEAR(spacing[a], a == 0 ? 3.0 : in_plane, 1e-6);  // float32 in NIfTI
  std::array<double, 3> target{two_d ? 3.0 : configuration.spacing[0], configuration.spacing[two_d ? 0 : 1],
                               configuration.spacing[two_d ? 1 : 2]};
  EXPECT_EQ(size, compute_new_shape(kShape, spacing, target));
  EXPECT_EQ(p.list_of_data_files.size(), static_cast<size_t>(kChannels));
  EXPECT_EQ(p.seg_file, (t.raw / "labelsTr" / (id + ".nii.gz")).string());

  // Class locations: every voxel of a class (fewer than 10 000 here), each really of that class.
  ASSERT_EQ(p.class_locations.size(), 3u);
  const int8_t* s = seg.data<int8_t>();
  for (const ClassLocations& l : p.class_locations) {
    int64_t n = 0;
    for (int64_t i = 0; i < seg.numel(); ++i) n += s[i] == l.label;
    EXPECT_GT(n, 0) << "class " << l.label;
    EXPECT_EQ(static_cast<int64_t>(l.voxels.size()), class_location_sample_count(n)) << "class " << l.label;
    for (const auto& v : l.voxels) ASSERT_EQ(s[(v[0] * size[1] + v[1]) * size[2] + v[2]], l.label);
  }

  // -1 exactly where every raw channel is 0 (outside the ball; no resampling for cases 0-4), and 0 there in the
  // data (the nonzero mask is used: four of six cases lose more than a quarter to cropping).
  if (index == 5) return;
  std::vector<Image> raw;
  for (const auto& f : p.list_of_data_files) raw.push_back(read_nifti(f));
  int64_t outside = 0;
  const float* d = data.data<float>();
  for (int64_t z = 0; z < size[0]; ++z) {
    for (int64_t y = 0; y < size[1]; ++y) {
      for (int64_t x = 0; x < size[2]; ++x) {
        bool any = false;
        for (const Image& r : raw) any = any || r.value(r.index(z + offset[0], y + offset[1], x + offset[2])) != 0;
        const int64_t i = (z * size[1] + y) * size[2] + x;
        ASSERT_EQ(s[i] == -1, !any) << z << " " << y << " " << x;
        if (!any) {
          ++outside;
          for (int c = 0; c < kChannels; ++c) ASSERT_EQ(d[c * seg.numel() + i], 0.0f);
        }
      }
    }
  }
  EXPECT_GT(outside, 0);
}

std::vector<std::string> case_files(const fs::path& folder) { return testing::list_files(folder); }

void age_files(const fs::path& folder, const fs::file_time_type& when) {
  for (const auto& f : case_files(folder)) fs::last_write_time(folder / f, when);
}

TEST(E2EPipeline, FingerprintPlanPreprocess) {
  TinyEnvironment t;
  auto r = t.nnseg({"extract-fingerprint", "-d", "42", "-np", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Fingerprint fp = load_fingerprint(t.pre / "dataset_fingerprint.json");
  EXPECT_EQ(fp.case_identifiers.size(), 6u);
  for (const auto& s : fp.shapes_after_crop) EXPECT_EQ(s, kShape);
  const double padded_ratio = (16.0 * 20 * 24) / (20.0 * 26 * 32);
  EXPECT_DOUBLE_EQ(fp.median_relative_size_after_cropping, padded_ratio);
  EXPECT_TRUE(fs::exists(t.pre / "dataset.json"));

  r = t.nnseg({"plan", "-d", "Dataset042_Tiny"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stage 0 (3d_fullres): {'batch_size'"), std::string::npos) << r.out;
  const Plans plans = load_plans(t.pre / "nnUNetPlans.json");
  EXPECT_EQ(plans.dataset_name, "Dataset042_Tiny");
  EXPECT_EQ(load_splits(t.pre / "splits_final.json").size(), 5u);
  ASSERT_EQ(plans.configurations.count("3d_lowres"), 0u);

  r = t.nnseg({"preprocess", "-d", "042", "-np", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string name : {"3d_fullres", "2d"}) {
    const ConfigurationPlan& c = plans.configuration(name);
    EXPECT_EQ(c.use_mask_for_norm, std::vector<bool>(kChannels, true));
    const fs::path folder = t.pre / c.data_identifier;
    EXPECT_EQ(case_files(folder).size(), 18u) << folder;
    for (int i = 0; i < 6; ++i) check_case(t, folder, case_id(i), name == "2d", c);
  }
}

TEST(E2EPipeline, RerunKeepsFinishedCasesOverwriteAndHalfWrittenRedo) {
  TinyEnvironment t;
  ASSERT_EQ(t.nnseg({"extract-fingerprint", "-d", "42"}).exit_code, 0);
  ASSERT_EQ(t.nnseg({"plan", "-d", "42"}).exit_code, 0);
  auto r = t.nnseg({"preprocess", "-d", "42", "-c", "3d_fullres"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3d_fullres: preprocessed 6 case(s), kept 0"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(t.pre / "nnUNetPlans_2d"));
  const fs::path folder = t.pre / "nnUNetPlans_3d_fullres";
  const auto old = Clock::now() - std::chrono::hours(24);

  age_files(folder, old);
  r = t.nnseg({"preprocess", "-d", "42", "-c", "3d_fullres"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3d_fullres: preprocessed 0 case(s), kept 6"), std::string::npos) << r.out;
  for (const auto& f : case_files(folder)) EXPECT_EQ(fs::last_write_time(folder / f), old) << f;

  // Half-written: only case_1.npy is left.
  fs::remove(folder / "case_1_seg.npy");
  fs::remove(folder / "case_1.json");
  r = t.nnseg({"preprocess", "-d", "42", "-c", "3d_fullres"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3d_fullres: preprocessed 1 case(s), kept 5"), std::string::npos) << r.out;
  for (const auto& f : case_files(folder)) {
    EXPECT_EQ(fs::last_write_time(folder / f) != old, f.rfind("case_1", 0) == 0) << f;
  }
  EXPECT_EQ(case_files(folder).size(), 18u);

  age_files(folder, old);
  r = t.nnseg({"preprocess", "-d", "42", "-c", "3d_fullres", "--overwrite"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3d_fullres: preprocessed 6 case(s), kept 0"), std::string::npos) << r.out;
  for (const auto& f : case_files(folder)) EXPECT_NE(fs::last_write_time(folder / f), old) << f;
}

TEST(E2EPipeline, ConfigurationsNotPlannedOrUnknown) {
  TinyEnvironment t;
  ASSERT_EQ(t.nnseg({"extract-fingerprint", "-d", "42"}).exit_code, 0);
  ASSERT_EQ(t.nnseg({"plan", "-d", "42"}).exit_code, 0);
  // 3d_lowres is not planned for these small images: skipped with a message when asked with others...
  auto r = t.nnseg({"preprocess", "-d", "42", "-c", "2d", "3d_lowres"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3d_lowres: not planned, skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("configuration 3d_lowres is not planned"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(t.pre / "nnUNetPlans_2d" / "case_0.json"));
  // ... an error when it is all that was asked, and so is a name that is no configuration.
  r = t.nnseg({"preprocess", "-d", "42", "-c", "3d_lowres"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((t.pre / "nnUNetPlans.json").string() +
                       ": none of the requested configurations (3d_lowres) is planned"),
            std::string::npos)
      << r.err;
  r = t.nnseg({"preprocess", "-d", "42", "-c", "3d_full"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nnseg: error: -c 3d_full: not a configuration"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nnseg::e2e
