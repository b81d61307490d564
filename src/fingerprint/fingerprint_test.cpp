// dataset_fingerprint.json: round trip, NaN tokens, and load errors naming file, key and value.
#include "fingerprint/fingerprint.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "core/error.h"
#include "io/atomic_write.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

Fingerprint sample() {
  Fingerprint fp;
  fp.case_identifiers = {"a", "b"};
  fp.spacings = {{3.0, 0.8, 0.8}, {1.0, 0.767578125, 0.767578125}};
  fp.shapes_after_crop = {{12, 100, 90}, {13, 101, 91}};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  fp.foreground_intensity_properties_per_channel = {{5.5, 5.5, 2.8722813232690143, 1, 10, 9.955, 1.045},
                                                    {nan, nan, nan, nan, nan, nan, nan}};
  fp.median_relative_size_after_cropping = 0.36842105263157893;
  return fp;
}

TEST(Fingerprint, RoundTrip) {
  TempDir dir;
  const Fingerprint fp = sample();
  save_fingerprint(dir / "dataset_fingerprint.json", fp);
  const Fingerprint back = load_fingerprint(dir / "dataset_fingerprint.json");
  EXPECT_EQ(back.case_identifiers, fp.case_identifiers);
  EXPECT_EQ(back.spacings, fp.spacings);
  EXPECT_EQ(back.shapes_after_crop, fp.shapes_after_crop);
  EXPECT_EQ(back.median_relative_size_after_cropping, fp.median_relative_size_after_cropping);
  ASSERT_EQ(back.foreground_intensity_properties_per_channel.size(), 2u);
  EXPECT_EQ(back.foreground_intensity_properties_per_channel[0].std, 2.8722813232690143);
  EXPECT_EQ(back.foreground_intensity_properties_per_channel[0].percentile_00_5, 1.045);
  EXPECT_TRUE(std::isnan(back.foreground_intensity_properties_per_channel[1].median));
  // Second save gives the same bytes.
  save_fingerprint(dir / "again.json", back);
  EXPECT_EQ(read_file(dir / "again.json"), read_file(dir / "dataset_fingerprint.json"));
}

TEST(Fingerprint, LayoutOfCliMd) {
  const std::string text = dump_json_allow_nan(fingerprint_to_json(sample()));
  const OrderedJson j = parse_json_allow_nan(text, "x");
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"spacings", "shapes_after_crop", "foreground_intensity_properties_per_channel",
                                      "median_relative_size_after_cropping", "case_identifiers"}));
  std::vector<std::string> stats;
  for (const auto& item : j["foreground_intensity_properties_per_channel"]["0"].items()) stats.push_back(item.key());
  EXPECT_EQ(stats,
            (std::vector<std::string>{"mean", "median", "std", "min", "max", "percentile_99_5", "percentile_00_5"}));
  EXPECT_NE(text.find("\"median\": NaN"), std::string::npos);
  // Without identifiers the key is left out, and loading accepts its absence.
  Fingerprint fp = sample();
  fp.case_identifiers.clear();
  EXPECT_FALSE(fingerprint_to_json(fp).contains("case_identifiers"));
  EXPECT_TRUE(fingerprint_from_json(fingerprint_to_json(fp), "f").case_identifiers.empty());
}

TEST(Fingerprint, NaNTokensOnlyOutsideStrings) {
  const OrderedJson j = parse_json_allow_nan(R"({"a": NaN, "b": "NaN Infinity", "c": [-Infinity, Infinity]})", "f");
  EXPECT_TRUE(std::isnan(j["a"].get<double>()));
  EXPECT_EQ(j["b"], "NaN Infinity");
  EXPECT_EQ(j["c"][0].get<double>(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(j["c"][1].get<double>(), std::numeric_limits<double>::infinity());
  const std::string text = dump_json_allow_nan(j);
  EXPECT_NE(text.find("-Infinity"), std::string::npos);
  EXPECT_NE(text.find("\"NaN Infinity\""), std::string::npos);
  EXPECT_THROW(parse_json_allow_nan("{\"a\": nan}", "f"), InputError);
}

void expect_error(const std::function<void(OrderedJson&)>& edit, const std::vector<std::string>& parts) {
  TempDir dir;
  OrderedJson j = fingerprint_to_json(sample());
  edit(j);
  const auto path = dir / "dataset_fingerprint.json";
  save_json_allow_nan(path, j);
  try {
    load_fingerprint(path);
    FAIL() << "no error for " << parts.front();
  } catch (const InputError& e) {
    const std::string msg = format_error(e);
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg << " lacks " << part;
  }
}

TEST(Fingerprint, LoadErrors) {
  expect_error([](OrderedJson& j) { j["spacings"][1] = {1.0, 1.0}; }, {"spacings[1] = [1.0,1.0]", "3 values"});
  expect_error([](OrderedJson& j) { j["spacings"][0][2] = 0.0; }, {"spacings[0] = [3.0,0.8,0.0]", "positive"});
  expect_error([](OrderedJson& j) { j["shapes_after_crop"].erase(1); }, {"shapes_after_crop", "2 shapes"});
  expect_error([](OrderedJson& j) { j["shapes_after_crop"][0][0] = 1.5; }, {"shapes_after_crop[0] = [1.5,100,90]"});
  expect_error([](OrderedJson& j) { j.erase("spacings"); }, {"missing key 'spacings'"});
  expect_error([](OrderedJson& j) { j["median_relative_size_after_cropping"] = 1.5; },
               {"median_relative_size_after_cropping = 1.5"});
  expect_error([](OrderedJson& j) { j["foreground_intensity_properties_per_channel"]["0"].erase("max"); },
               {"foreground_intensity_properties_per_channel.0.max"});
  expect_error([](OrderedJson& j) { j["foreground_intensity_properties_per_channel"].erase("0"); },
               {"foreground_intensity_properties_per_channel", "channel keys"});
  expect_error([](OrderedJson& j) { j["case_identifiers"] = {"a"}; }, {"case_identifiers = [\"a\"]"});
  TempDir dir;
  try {
    load_fingerprint(dir / "nope.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find("nope.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace nnseg
