// nnUNetPlans.json: round trip, layout of spec/planning.md §10.3, and load_plans errors naming file, key, value.
#include "planning/plans.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>

#include "core/error.h"
#include "fingerprint/fingerprint.h"
#include "io/atomic_write.h"
#include "planning/plan_experiment.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

Plans brats_plans() {
  Fingerprint fp;
  fp.spacings.assign(369, {1, 1, 1});
  fp.shapes_after_crop.assign(369, {139, 170, 138});
  fp.median_relative_size_after_cropping = 0.37;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int c = 0; c < 4; ++c)
    fp.foreground_intensity_properties_per_channel.push_back({1.5, 2, 0.25, -1, 7, 6.5, -0.5});
  fp.foreground_intensity_properties_per_channel[3] = {nan, nan, nan, nan, nan, nan, nan};
  return plan_experiment(fp, {"BraTS2020", {"T1", "T1ce", "T2", "FLAIR"}, {1, 2, 3}});
}

void expect_same(const Plans& a, const Plans& b) {
  EXPECT_EQ(plans_to_json(a).dump(), plans_to_json(b).dump());
  ASSERT_EQ(a.configurations.size(), b.configurations.size());
  for (const auto& [name, c] : a.configurations) {
    const ConfigurationPlan& d = b.configuration(name);
    EXPECT_EQ(c.patch_size, d.patch_size);
    EXPECT_EQ(c.spacing, d.spacing);
    EXPECT_EQ(c.normalization_schemes, d.normalization_schemes);
    EXPECT_EQ(c.use_mask_for_norm, d.use_mask_for_norm);
    EXPECT_EQ(c.conv_kernel_sizes, d.conv_kernel_sizes);
    EXPECT_EQ(c.batch_dice, d.batch_dice);
  }
}

TEST(Plans, RoundTripWithNaNStatistics) {
  TempDir dir;
  const Plans p = brats_plans();
  save_plans(dir / "nnUNetPlans.json", p);
  const Plans q = load_plans(dir / "nnUNetPlans.json");
  expect_same(p, q);
  EXPECT_TRUE(std::isnan(q.foreground_intensity_properties_per_channel[3].mean));
  EXPECT_EQ(q.foreground_intensity_properties_per_channel[0].percentile_99_5, 6.5);
  const std::string text = read_file(dir / "nnUNetPlans.json");
  EXPECT_NE(text.find("\"mean\": NaN"), std::string::npos);
  EXPECT_NE(text.find("\"normalization_schemes\": [\n                \"ZScoreNormalization\""), std::string::npos);
}

TEST(Plans, JsonLayoutSpec10_3) {
  const OrderedJson j = plans_to_json(brats_plans());
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"dataset_name", "plans_name", "original_median_spacing_after_transp",
                                      "original_median_shape_after_transp", "transpose_forward", "transpose_backward",
                                      "configurations", "foreground_intensity_properties_per_channel"}));
  const auto& f = j["configurations"]["3d_fullres"];
  EXPECT_EQ(f["patch_size"], OrderedJson({128, 128, 128}));
  EXPECT_EQ(f["UNet_base_num_features"], 32);
  EXPECT_EQ(f["n_conv_per_stage_encoder"], OrderedJson({2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(f["batch_dice"], false);
  EXPECT_EQ(j["configurations"]["2d"]["patch_size"], OrderedJson({192, 160}));
  EXPECT_EQ(j["original_median_shape_after_transp"], OrderedJson({139, 170, 138}));
}

TEST(Plans, ReadsV1SchemeNames) {
  OrderedJson j = plans_to_json(brats_plans());
  j["configurations"]["2d"]["normalization_schemes"] = {"nonCT", "CT", "noNorm", "nonCT"};
  j["configurations"]["3d_fullres"]["normalization_schemes"] = {"nonCT", "CT", "noNorm", "nonCT"};
  Plans p = plans_from_json(j, "p.json");
  EXPECT_EQ(p.configuration("2d").normalization_schemes,
            (std::vector<Normalization>{Normalization::kZScore, Normalization::kCT, Normalization::kNone,
                                        Normalization::kZScore}));
  EXPECT_EQ(parse_normalization("zscore"), std::nullopt);
}

// Each bad value: InputError whose message names the file, the key and the value.
void expect_error(const OrderedJson& j, const std::vector<std::string>& parts) {
  TempDir dir;
  const auto path = dir / "nnUNetPlans.json";
  save_json_allow_nan(path, j);
  try {
    load_plans(path);
    FAIL() << "no error for " << parts.back();
  } catch (const InputError& e) {
    const std::string msg = format_error(e);
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg << " lacks " << part;
  }
}

TEST(Plans, LoadErrorsNameFileKeyAndValue) {
  const OrderedJson good = plans_to_json(brats_plans());
  auto with = [&](const std::function<void(OrderedJson&)>& edit) {
    OrderedJson j = good;
    edit(j);
    return j;
  };
  expect_error(with([](OrderedJson& j) {
                 j["configurations"]["3d_fullres"]["patch_size"] = {128, 128};
               }),
               {"configurations.3d_fullres.patch_size = [128,128]", "expected 3 values"});
  expect_error(with([](OrderedJson& j) {
                 j["configurations"]["2d"]["patch_size"] = {192, 160, 1};
               }),
               {"configurations.2d.patch_size = [192,160,1]", "2 values"});
  expect_error(with([](OrderedJson& j) { j["configurations"]["3d_fullres"]["batch_size"] = 0; }),
               {"configurations.3d_fullres.batch_size = 0"});
  expect_error(with([](OrderedJson& j) { j["configurations"]["3d_fullres"]["batch_size"] = "2"; }),
               {"configurations.3d_fullres.batch_size = \"2\"", "integer"});
  expect_error(with([](OrderedJson& j) {
                 j["configurations"]["3d_fullres"]["patch_size"] = {128, 128, 120};
               }),
               {"patch_size = [128,128,120]", "multiples of the pooling strides"});
  expect_error(with([](OrderedJson& j) {
                 j["configurations"]["3d_fullres"]["spacing"] = {1.0, -1.0, 1.0};
               }),
               {"configurations.3d_fullres.spacing = [1.0,-1.0,1.0]"});
  expect_error(with([](OrderedJson& j) { j["configurations"]["3d_fullres"]["normalization_schemes"][0] = "zscore"; }),
               {"normalization_schemes", "zscore"});
  expect_error(with([](OrderedJson& j) { j["configurations"]["3d_fullres"]["use_mask_for_norm"] = {true}; }),
               {"use_mask_for_norm = [true]", "4 values"});
  expect_error(with([](OrderedJson& j) { j["configurations"]["3d_fullres"]["conv_kernel_sizes"].erase(0); }),
               {"conv_kernel_sizes", "6 kernels"});
  expect_error(with([](OrderedJson& j) {
                 j["configurations"]["3d_fullres"]["num_pool_per_axis"] = {5, 5, 4};
               }),
               {"num_pool_per_axis = [5,5,4]"});
  expect_error(with([](OrderedJson& j) { j["configurations"]["3d_fullres"]["data_identifier"] = "../x"; }),
               {"data_identifier = \"../x\""});
  expect_error(with([](OrderedJson& j) { j["configurations"]["3d_fullres"]["batchsize"] = 2; }),
               {"unknown key configurations.3d_fullres.batchsize"});
  expect_error(with([](OrderedJson& j) { j["configurations"]["3d_fullres"].erase("batch_dice"); }),
               {"missing key configurations.3d_fullres.batch_dice"});
  expect_error(with([](OrderedJson& j) {
                 j["transpose_forward"] = {0, 0, 2};
               }),
               {"transpose_forward = [0,0,2]", "permutation"});
  expect_error(with([](OrderedJson& j) {
                 j["transpose_backward"] = {1, 0, 2};
               }),
               {"transpose_backward = [1,0,2]", "inverse"});
  expect_error(with([](OrderedJson& j) { j["foreground_intensity_properties_per_channel"].erase("3"); }),
               {"foreground_intensity_properties_per_channel", "4 channels"});
  expect_error(with([](OrderedJson& j) { j["foreground_intensity_properties_per_channel"]["0"]["std"] = "x"; }),
               {"foreground_intensity_properties_per_channel.0.std = \"x\""});
  expect_error(with([](OrderedJson& j) { j["configurations"] = OrderedJson::object(); }), {"configurations = {}"});
}

TEST(Plans, MissingAndInvalidFiles) {
  TempDir dir;
  EXPECT_THROW(load_plans(dir / "absent.json"), InputError);
  write_file_atomically(dir / "broken.json", "{\"dataset_name\": ");
  try {
    load_plans(dir / "broken.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find("broken.json"), std::string::npos);
    EXPECT_NE(format_error(e).find("invalid JSON"), std::string::npos);
  }
}

}  // namespace
}  // namespace nnseg
