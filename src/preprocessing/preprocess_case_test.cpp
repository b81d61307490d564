// Tests for the per-case pipeline (crop, transpose, resample, normalise, class locations) and the CASE.npy /
// CASE_seg.npy / CASE.json files.
#include "preprocessing/preprocess_case.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/npy.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

// A case of shape (z, y, x) = (4, 10, 12): a bright box in a zero background (channel 1 = 2x channel 0 + 1 inside),
// label 1 in a corner of the box and 2 in its middle.
struct SyntheticCase {
  std::vector<Image> channels;
  Image label;
};

SyntheticCase synthetic_case(Geometry g = {}) {
  SyntheticCase c;
  c.channels = {Image(PixelType::kFloat32, {4, 10, 12}, g), Image(PixelType::kInt16, {4, 10, 12}, g)};
  c.label = Image(PixelType::kUInt8, {4, 10, 12}, g);
  for (int64_t z = 1; z < 4; ++z) {
    for (int64_t y = 2; y < 9; ++y) {
      for (int64_t x = 3; x < 11; ++x) {
        const int64_t i = c.channels[0].index(z, y, x);
        const auto v = static_cast<float>(10 + z + y * 2 + x);
        c.channels[0].data<float>()[i] = v;
        c.channels[1].data<int16_t>()[i] = static_cast<int16_t>(2 * v + 1);
        if (y < 4 && x < 5) c.label.data<uint8_t>()[i] = 1;
        if (y >= 5 && y < 7 && x >= 6 && x < 9) c.label.data<uint8_t>()[i] = 2;
      }
    }
  }
  return c;
}

PreprocessParameters parameters(int channels) {
  PreprocessParameters p;
  p.normalization_schemes.assign(static_cast<size_t>(channels), NormalizationScheme::kNonCT);
  p.use_mask_for_norm.assign(static_cast<size_t>(channels), true);
  p.all_classes = {1, 2, 3};
  return p;
}

TEST(PreprocessCase, SpecVectorNanBecomesZeroBeforeNormalisation) {
  std::vector<Image> channels{
      Image::from_values<float>(std::vector<float>{std::numeric_limits<float>::quiet_NaN(), 1, 2, 3}, {1, 1, 4})};
  Image label(PixelType::kUInt8, {1, 1, 4});
  PreprocessParameters p = parameters(1);
  p.use_mask_for_norm = {false};
  PreprocessedCase out = preprocess_case(channels, &label, p, "nan_case");
  ASSERT_EQ(out.data.values.size(), 4u);
  const std::vector<double> want{-1.3416407, -0.4472136, 0.4472136, 1.3416407};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(out.data.values[i], want[i], 1e-5);
}

TEST(PreprocessCase, CropsNormalisesAndSamplesWithoutResampling) {
  SyntheticCase c = synthetic_case();
  PreprocessedCase out = preprocess_case(c.channels, &c.label, parameters(2), "case_1");
  const CaseProperties& p = out.properties;
  EXPECT_EQ(p.crop.crop_bbox, (BoundingBox{{{1, 4}, {2, 9}, {3, 11}}}));
  EXPECT_EQ(out.data.shape, (std::array<int64_t, 4>{2, 3, 7, 8}));
  EXPECT_EQ(out.seg.shape, (std::array<int64_t, 4>{1, 3, 7, 8}));
  EXPECT_EQ(p.size_after_resampling, (std::array<int64_t, 3>{3, 7, 8}));
  EXPECT_EQ(p.spacing_after_resampling, (std::array<double, 3>{1, 1, 1}));
  EXPECT_EQ(p.crop.classes, (std::vector<double>{0, 1, 2}));  // the box is the mask: no -1 inside it
  // z-score over the mask: mean 0, population sd 1 per channel; channel 1 is an affine map of channel 0.
  for (int64_t ch = 0; ch < 2; ++ch) {
    double sum = 0, squares = 0;
    const float* v = out.data.channel(ch);
    for (int64_t i = 0; i < out.data.channel_numel(); ++i) sum += v[i];
    for (int64_t i = 0; i < out.data.channel_numel(); ++i) squares += v[i] * v[i];
    EXPECT_NEAR(sum / static_cast<double>(out.data.channel_numel()), 0.0, 1e-5);
    EXPECT_NEAR(squares / static_cast<double>(out.data.channel_numel()), 1.0, 1e-4);
  }
  for (int64_t i = 0; i < out.data.channel_numel(); ++i) {
    EXPECT_NEAR(out.data.channel(0)[i], out.data.channel(1)[i], 1e-5);
  }
  ASSERT_EQ(p.class_locations.size(), 3u);
  EXPECT_EQ(p.class_locations[0].voxels.size(), 3u * 2 * 2);  // label 1: z 1..3, y 2..3, x 3..4
  EXPECT_EQ(p.class_locations[1].voxels.size(), 3u * 2 * 3);
  EXPECT_TRUE(p.class_locations[2].voxels.empty());
  for (const auto& l : p.class_locations) {
    for (const auto& v : l.voxels) EXPECT_EQ(out.seg.at(0, v[0], v[1], v[2]), l.label);
  }
}

TEST(PreprocessCase, TransposesResamplesAndKeepsCropPropertiesUntransposed) {
  Geometry g;
  g.spacing = {0.5, 1.0, 2.0};  // ITK (x, y, z) -> array (z, y, x) spacing (2, 1, 0.5)
  SyntheticCase c = synthetic_case(g);
  PreprocessParameters p = parameters(2);
  p.transpose_forward = {2, 0, 1};  // new axes (x, z, y); transposed spacing (0.5, 2, 1)
  p.target_spacing = {1.0, 1.0, 1.0};
  PreprocessedCase out = preprocess_case(c.channels, &c.label, p, "case_2");
  // Cropped (3, 7, 8) -> transposed (8, 3, 7) -> new shape round(0.5*8, 2*3, 1*7) = (4, 6, 7).
  EXPECT_EQ(out.data.shape, (std::array<int64_t, 4>{2, 4, 6, 7}));
  EXPECT_EQ(out.seg.shape, (std::array<int64_t, 4>{1, 4, 6, 7}));
  EXPECT_EQ(out.properties.size_after_resampling, (std::array<int64_t, 3>{4, 6, 7}));
  EXPECT_EQ(out.properties.crop.size_after_cropping, (std::array<int64_t, 3>{3, 7, 8}));
  EXPECT_EQ(out.properties.crop.original_spacing, (std::array<double, 3>{2, 1, 0.5}));
  EXPECT_EQ(out.properties.spacing_after_resampling, (std::array<double, 3>{1, 1, 1}));
  for (int8_t v : out.seg.values) EXPECT_TRUE(v >= 0 && v <= 2) << int(v);
  for (const auto& l : out.properties.class_locations) {
    for (const auto& v : l.voxels) EXPECT_EQ(out.seg.at(0, v[0], v[1], v[2]), l.label);
  }
}

TEST(PreprocessCase, TransposeSpatialMovesAxes) {
  Array4f a({1, 2, 3, 4});
  for (int64_t i = 0; i < 24; ++i) a.values[static_cast<size_t>(i)] = static_cast<float>(i);
  Array4f t = transpose_spatial(a, {2, 0, 1});
  EXPECT_EQ(t.shape, (std::array<int64_t, 4>{1, 4, 2, 3}));
  for (int64_t z = 0; z < 2; ++z) {
    for (int64_t y = 0; y < 3; ++y) {
      for (int64_t x = 0; x < 4; ++x) EXPECT_EQ(t.at(0, x, z, y), a.at(0, z, y, x));
    }
  }
}

TEST(PreprocessCase, TwoDKeepsTheCaseSpacingAlongTheFirstAxis) {
  Geometry g;
  g.spacing = {1.0, 1.0, 5.0};
  SyntheticCase c = synthetic_case(g);
  PreprocessParameters p = parameters(2);
  p.two_d = true;
  p.target_spacing = {1.0, 0.5, 1.0};  // first entry is replaced by the case's 5.0
  PreprocessedCase out = preprocess_case(c.channels, &c.label, p, "case_2d");
  EXPECT_EQ(out.data.shape, (std::array<int64_t, 4>{2, 3, 14, 8}));
  EXPECT_EQ(out.properties.spacing_after_resampling, (std::array<double, 3>{5.0, 0.5, 1.0}));
}

TEST(PreprocessCase, BadParametersAndLabelsAreInputErrors) {
  SyntheticCase c = synthetic_case();
  auto expect_error = [&](const PreprocessParameters& p, const Image* label, const std::string& needle) {
    try {
      preprocess_case(c.channels, label, p, "BraTS20_Training_042");
      FAIL() << "expected InputError containing " << needle;
    } catch (const InputError& e) {
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_EQ(e.item(), "BraTS20_Training_042");
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  PreprocessParameters p = parameters(2);
  p.normalization_schemes.pop_back();
  expect_error(p, &c.label, "1 normalization_schemes for 2 image channels");
  p = parameters(2);
  p.use_mask_for_norm = {true, true, true};
  expect_error(p, &c.label, "3 use_mask_for_norm");
  p = parameters(2);
  p.normalization_schemes[1] = NormalizationScheme::kCT;
  expect_error(p, &c.label, "channel 1 uses CT");
  p = parameters(2);
  p.transpose_forward = {0, 0, 1};
  expect_error(p, &c.label, "[0, 0, 1]");
  p = parameters(2);
  p.target_spacing = {1, -2, 1};
  expect_error(p, &c.label, "-2");
  Image big = c.label;
  big.data<uint8_t>()[big.index(2, 5, 6)] = 200;
  expect_error(parameters(2), &big, "label value 200");
}

TEST(PreprocessedCaseFiles, SaveAndLoadRoundTrip) {
  SyntheticCase c = synthetic_case();
  PreprocessedCase out = preprocess_case(c.channels, &c.label, parameters(2), "case_1");
  out.properties.list_of_data_files = {"/raw/imagesTr/case_1_0000.nii.gz", "/raw/imagesTr/case_1_0001.nii.gz"};
  out.properties.seg_file = "/raw/labelsTr/case_1.nii.gz";
  testing::TempDir dir;
  save_preprocessed_case(dir.path() / "nnUNetPlans_3d_fullres", "case_1", out);
  const fs::path folder = dir.path() / "nnUNetPlans_3d_fullres";
  EXPECT_EQ(testing::list_files(folder), (std::vector<std::string>{"case_1.json", "case_1.npy", "case_1_seg.npy"}));

  const NpyArray data = read_npy(folder / "case_1.npy");
  EXPECT_EQ(data.dtype, NpyDType::kFloat32);
  EXPECT_EQ(data.shape, (std::vector<int64_t>{2, 3, 7, 8}));
  for (int64_t i = 0; i < data.numel(); ++i) ASSERT_EQ(data.at<float>(i), out.data.values[static_cast<size_t>(i)]);
  const NpyArray seg = read_npy(folder / "case_1_seg.npy");
  EXPECT_EQ(seg.dtype, NpyDType::kInt8);
  EXPECT_EQ(seg.shape, (std::vector<int64_t>{1, 3, 7, 8}));
  for (int64_t i = 0; i < seg.numel(); ++i) ASSERT_EQ(seg.at<int8_t>(i), out.seg.values[static_cast<size_t>(i)]);

  const OrderedJson json = load_json(folder / "case_1.json");
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"original_size_of_raw_data", "original_spacing", "list_of_data_files",
                                            "seg_file", "itk_origin", "itk_spacing", "itk_direction", "crop_bbox",
                                            "classes", "size_after_cropping", "use_nonzero_mask_for_norm",
                                            "size_after_resampling", "spacing_after_resampling", "class_locations"}));
  EXPECT_EQ(json["crop_bbox"].dump(), "[[1,4],[2,9],[3,11]]");
  EXPECT_EQ(json["class_locations"]["3"].dump(), "[]");

  const CaseProperties back = load_case_properties(folder / "case_1.json");
  EXPECT_EQ(case_properties_to_json(back), json);
  EXPECT_EQ(back.crop.crop_bbox, out.properties.crop.crop_bbox);
  EXPECT_EQ(back.class_locations[1].voxels, out.properties.class_locations[1].voxels);
}

TEST(PreprocessedCaseFiles, BadJsonNamesFileAndKey) {
  SyntheticCase c = synthetic_case();
  OrderedJson json = case_properties_to_json(preprocess_case(c.channels, &c.label, parameters(2), "x").properties);
  testing::TempDir dir;
  auto expect_error = [&](const OrderedJson& j, const std::string& needle) {
    const fs::path path = dir / "case.json";
    write_file_atomically(path, j.dump());
    try {
      load_case_properties(path);
      FAIL() << "expected InputError containing " << needle;
    } catch (const InputError& e) {
      EXPECT_EQ(e.item(), path.string());
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  OrderedJson missing = json;
  missing.erase("crop_bbox");
  expect_error(missing, "crop_bbox");
  OrderedJson wrong = json;
  wrong["size_after_resampling"] = {3, 7};
  expect_error(wrong, "size_after_resampling = [3,7]");
  OrderedJson bad_class = json;
  bad_class["class_locations"]["one"] = OrderedJson::array();
  expect_error(bad_class, "'one'");
}

}  // namespace
}  // namespace nnseg
