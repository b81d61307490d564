// Tests for fingerprint extraction: one case's summary, pooling in sorted order, planning.md §11 pitfall #8 (the
// intensity foreground is label > 0, every 10th voxel in C order, not the nonzero mask), and the folder-level call
// (dataset.json copy, reuse of a matching fingerprint, recompute of a changed dataset, threads give equal results).
#include "fingerprint/extract_fingerprint.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_write.h"
#include "io/nifti.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

// 4 x 5 x 6 voxels, value 1000 + linear index everywhere (so the nonzero mask is the whole volume).
Image ramp_image() {
  Image image(PixelType::kFloat32, {4, 5, 6});
  for (int64_t i = 0; i < image.numel(); ++i) image.data<float>()[i] = 1000.0f + static_cast<float>(i);
  return image;
}

TEST(FingerprintCase, ForegroundIsLabelAboveZeroEveryTenthVoxel) {
  // Pitfall #8: every voxel is nonzero in the image, but only label > 0 voxels are sampled: labels 1/2 at every
  // third voxel (40 of 120), 0 elsewhere. Foreground list = voxels 0, 3, 6, ...; every 10th: 0, 30, 60, 90.
  const Image image = ramp_image();
  Image label(PixelType::kUInt8, {4, 5, 6});
  for (int64_t i = 0; i < label.numel(); i += 3) label.data<uint8_t>()[i] = static_cast<uint8_t>(1 + (i / 3) % 2);
  const CaseFingerprint fp = fingerprint_case({image, image}, label, "c");
  ASSERT_EQ(fp.foreground_samples.size(), 2u);
  EXPECT_EQ(fp.foreground_samples[0], (std::vector<float>{1000, 1030, 1060, 1090}));
  EXPECT_EQ(fp.foreground_samples[1], fp.foreground_samples[0]);
  EXPECT_EQ(fp.shape_after_crop, (std::array<int64_t, 3>{4, 5, 6}));
  EXPECT_DOUBLE_EQ(fp.size_reduction, 1.0);
}

TEST(FingerprintCase, CropShapeSpacingAndReduction) {
  // Nonzero only in z 1..2, y 1..3, x 2..5 -> box 2 x 3 x 4 of 4 x 5 x 6 voxels. A label voxel in the box at a
  // zero-valued image voxel is still foreground (it is sampled, with its value 0).
  Geometry g;
  g.spacing = {0.8, 0.9, 3.0};  // ITK order (x, y, z)
  Image image(PixelType::kInt16, {4, 5, 6}, g);
  for (int64_t z = 1; z < 3; ++z) {
    for (int64_t y = 1; y < 4; ++y) {
      for (int64_t x = 2; x < 6; ++x) image.data<int16_t>()[image.index(z, y, x)] = 7;
    }
  }
  image.data<int16_t>()[image.index(1, 1, 2)] = 0;  // on the box's corner: not a hole, stays outside the mask
  Image label(PixelType::kUInt8, {4, 5, 6}, g);
  label.data<uint8_t>()[label.index(1, 1, 2)] = 1;
  label.data<uint8_t>()[label.index(2, 3, 5)] = 2;
  const CaseFingerprint fp = fingerprint_case({image}, label, "c");
  EXPECT_EQ(fp.shape_after_crop, (std::array<int64_t, 3>{2, 3, 4}));
  EXPECT_EQ(fp.spacing, (std::array<double, 3>{3.0, 0.9, 0.8}));
  EXPECT_DOUBLE_EQ(fp.size_reduction, 24.0 / 120.0);
  EXPECT_EQ(fp.foreground_samples[0], (std::vector<float>{0}));  // foreground list {0, 7}: every 10th = first
}

CaseFingerprint summary(const std::string& id, double reduction, std::vector<float> samples) {
  CaseFingerprint c;
  c.case_id = id;
  c.spacing = {1, 1, reduction};
  c.shape_after_crop = {1, 2, static_cast<int64_t>(samples.size())};
  c.size_reduction = reduction;
  c.foreground_samples = {std::move(samples)};
  return c;
}

TEST(CombineCaseFingerprints, SortsByFileNameAndPoolsSamples) {
  // Given out of order; v1 sorts "<id>.npz" names, where "a.npz" comes after "a-1.npz" ('-' < '.').
  std::vector<CaseFingerprint> cases{summary("b", 0.25, {10}), summary("a", 0.5, {1, 2, 3}), summary("a-1", 1.0, {})};
  const Fingerprint fp = combine_case_fingerprints(cases, 1);
  EXPECT_EQ(fp.case_identifiers, (std::vector<std::string>{"a-1", "a", "b"}));
  EXPECT_EQ(fp.spacings[0][2], 1.0);
  EXPECT_EQ(fp.spacings[1][2], 0.5);
  EXPECT_EQ(fp.shapes_after_crop[1], (std::array<int64_t, 3>{1, 2, 3}));
  EXPECT_DOUBLE_EQ(fp.median_relative_size_after_cropping, 0.5);
  ASSERT_EQ(fp.foreground_intensity_properties_per_channel.size(), 1u);
  const IntensityStats& s = fp.foreground_intensity_properties_per_channel[0];  // of {1, 2, 3, 10}
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.mean, 4.0);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 10.0);
  EXPECT_DOUBLE_EQ(s.std, std::sqrt((9.0 + 4.0 + 1.0 + 36.0) / 4.0));
}

TEST(CombineCaseFingerprints, NoForegroundGivesNaN) {
  const Fingerprint fp = combine_case_fingerprints({summary("a", 1.0, {})}, 1);
  EXPECT_TRUE(std::isnan(fp.foreground_intensity_properties_per_channel[0].mean));
  EXPECT_TRUE(std::isnan(fp.foreground_intensity_properties_per_channel[0].percentile_99_5));
}

struct TinyRaw {
  TempDir dir;
  fs::path raw = dir / "Dataset007_Tiny";
  fs::path out = dir / "pre" / "Dataset007_Tiny";
  explicit TinyRaw(int cases) {
    std::vector<std::string> ids;
    for (int i = 0; i < cases; ++i) ids.push_back("case_" + std::to_string(i));
    testing::RawCaseOptions o;
    o.num_channels = 2;
    testing::write_raw_dataset(raw, ids, o);
  }
};

TEST(ExtractDatasetFingerprint, WritesFingerprintAndDatasetJsonCopy) {
  TinyRaw d(3);
  NullProgress progress;
  const auto r = extract_dataset_fingerprint(d.raw, d.out, {}, progress);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(r.fingerprint_file, d.out / "dataset_fingerprint.json");
  EXPECT_EQ(read_file(d.out / "dataset.json"), read_file(d.raw / "dataset.json"));
  const Fingerprint back = load_fingerprint(r.fingerprint_file);
  EXPECT_EQ(back.case_identifiers, (std::vector<std::string>{"case_0", "case_1", "case_2"}));
  EXPECT_NEAR(back.spacings[0][0], 3.0, 1e-6);  // NIfTI stores float32 spacings
  EXPECT_NEAR(back.spacings[0][1], 0.8, 1e-6);
  EXPECT_NEAR(back.spacings[0][2], 0.8, 1e-6);
  ASSERT_EQ(back.foreground_intensity_properties_per_channel.size(), 2u);
  // The synthetic channel values lie in [100, 210) inside the ball; the labels sit inside it.
  EXPECT_GE(back.foreground_intensity_properties_per_channel[0].min, 100.0);
  EXPECT_LT(back.foreground_intensity_properties_per_channel[0].max, 210.0);

  // Two threads: the same numbers.
  ExtractFingerprintOptions two;
  two.threads = 2;
  two.overwrite = true;
  const auto r2 = extract_dataset_fingerprint(d.raw, d.out, two, progress);
  EXPECT_EQ(fingerprint_to_json(r2.fingerprint).dump(), fingerprint_to_json(r.fingerprint).dump());
}

TEST(ExtractDatasetFingerprint, ReusesMatchingFingerprintAndRecomputesChangedDataset) {
  TinyRaw d(3);
  NullProgress progress;
  extract_dataset_fingerprint(d.raw, d.out, {}, progress);
  // Plant a marker value: a reused fingerprint keeps it.
  Fingerprint planted = load_fingerprint(d.out / "dataset_fingerprint.json");
  planted.median_relative_size_after_cropping = 0.125;
  save_fingerprint(d.out / "dataset_fingerprint.json", planted);
  std::vector<std::string> messages;
  LogSink old = set_log_sink([&](LogLevel, const std::string& m) { messages.push_back(m); });
  auto r = extract_dataset_fingerprint(d.raw, d.out, {}, progress);
  EXPECT_TRUE(r.reused);
  EXPECT_EQ(r.fingerprint.median_relative_size_after_cropping, 0.125);
  // A new case: recomputed, with the reason logged.
  testing::RawCaseOptions o;
  o.num_channels = 2;
  testing::write_raw_case(d.raw, "case_3", o);
  OrderedJson ds = load_json(d.raw / "dataset.json");
  ds["numTraining"] = 4;
  save_json(d.raw / "dataset.json", ds);
  r = extract_dataset_fingerprint(d.raw, d.out, {}, progress);
  set_log_sink(old);
  EXPECT_FALSE(r.reused);
  EXPECT_EQ(r.fingerprint.num_cases(), 4);
  EXPECT_EQ(read_file(d.out / "dataset.json"), read_file(d.raw / "dataset.json"));
  bool said_why = false;
  for (const auto& m : messages) said_why = said_why || m.find("case identifiers differ") != std::string::npos;
  EXPECT_TRUE(said_why);
}

TEST(ExtractDatasetFingerprint, BadCaseWritesNothingAndNamesTheFile) {
  TinyRaw d(2);
  // Channel 1 of case_1 with another shape than its label.
  write_nifti(d.raw / "imagesTr" / "case_1_0001.nii.gz", testing::make_channel_image({4, 4, 4}, 3));
  NullProgress progress;
  try {
    extract_dataset_fingerprint(d.raw, d.out, {}, progress);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find("case_1"), std::string::npos) << format_error(e);
  }
  EXPECT_FALSE(fs::exists(d.out / "dataset_fingerprint.json"));
  EXPECT_FALSE(fs::exists(d.out / "dataset.json"));
}

}  // namespace
}  // namespace nnseg
