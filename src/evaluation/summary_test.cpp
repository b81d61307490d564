// Folder evaluation and summary.json: spec/evaluation.md §2.1 layout, E2 mean, NaN tokens, geometry checks,
// file matching, label parsing, BraTS regions and labels.
#include "evaluation/summary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/log.h"
#include "evaluation/nan_json.h"
#include "io/atomic_write.h"
#include "io/nifti.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using ::nnseg::testing::TempDir;
using Shape = std::array<int64_t, 3>;
const Shape kShape{8, 12, 16};
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Nested label blobs 1 (outer), 2, 3 (inner); `shift` moves the whole map along x.
std::vector<int32_t> blobs(int64_t shift = 0) {
  const Image img = ::nnseg::testing::make_label_blobs(kShape, {1, 2, 3});
  std::vector<int32_t> v(static_cast<size_t>(img.numel()), 0);
  for (int64_t z = 0; z < kShape[0]; ++z)
    for (int64_t y = 0; y < kShape[1]; ++y)
      for (int64_t x = 0; x < kShape[2]; ++x) {
        const int64_t sx = x - shift;
        if (sx >= 0 && sx < kShape[2])
          v[static_cast<size_t>(img.index(z, y, x))] = static_cast<int32_t>(img.value(img.index(z, y, sx)));
      }
  return v;
}

void write_labels(const fs::path& path, const std::vector<int32_t>& v, Shape shape = kShape,
                  Geometry g = ::nnseg::testing::test_geometry()) {
  write_nifti(path, Image::from_values<uint8_t>(v, shape, g));
}

// ref/ and pred/ with cases b (prediction shifted by one voxel) and a (identical).
struct Folders {
  TempDir tmp;
  fs::path ref = tmp / "ref", pred = tmp / "pred";
  Folders() {
    write_labels(ref / "b.nii.gz", blobs());
    write_labels(pred / "b.nii.gz", blobs(1));
    write_labels(ref / "a.nii.gz", blobs());
    write_labels(pred / "a.nii.gz", blobs());
  }
};

std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return format_error(e);
  }
  return "(no InputError)";
}

TEST(NanJsonTest, WritesAndReadsBareNaNTokens) {
  Json j{{"b", kNaN}, {"a", Json::array({1, 2.5, kNaN})}, {"s", "NaN in a string"}, {"i", 3}};
  const std::string text = dump_json_with_nan(j, 4);
  EXPECT_EQ(text,
            "{\n    \"a\": [\n        1,\n        2.5,\n        NaN\n    ],\n    \"b\": NaN,\n    \"i\": 3,\n"
            "    \"s\": \"NaN in a string\"\n}");
  const Json back = parse_json_with_nan(text, "x.json");
  EXPECT_TRUE(std::isnan(back["b"].get<double>()));
  EXPECT_TRUE(std::isnan(back["a"][2].get<double>()));
  EXPECT_EQ(back["s"], "NaN in a string");
  EXPECT_EQ(back["i"].get<int>(), 3);
  const Json inf = parse_json_with_nan("[Infinity, -Infinity, 1.0]", "x.json");
  EXPECT_EQ(inf[0].get<double>(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(dump_json_with_nan(inf, 0), "[\nInfinity,\n-Infinity,\n1.0\n]");
  EXPECT_NE(error_text([] { parse_json_with_nan("{\"a\": nan}", "bad.json"); }).find("bad.json"), std::string::npos);
}

TEST(SummaryTest, E2MeanIgnoresNaN) {
  EvaluationSummary s;
  for (ConfusionCounts c : {ConfusionCounts{1, 2, 0, 5}, ConfusionCounts{0, 0, 0, 8}, ConfusionCounts{7, 6, 0, 3}}) {
    CaseEvaluation ce;
    ce.labels[1] = compute_label_metrics(c);
    ce.labels[2] = compute_label_metrics({0, 0, 0, 8});  // empty everywhere
    s.cases.push_back(ce);
  }
  EXPECT_DOUBLE_EQ(s.cases[0].labels[1].dice, 0.5);
  EXPECT_TRUE(std::isnan(s.cases[1].labels[1].dice));
  EXPECT_DOUBLE_EQ(s.cases[2].labels[1].dice, 0.7);
  compute_summary_mean(s);
  EXPECT_DOUBLE_EQ(s.mean["1"]["Dice"], 0.6);
  EXPECT_DOUBLE_EQ(s.mean["1"]["TP"], 8.0 / 3);
  EXPECT_TRUE(std::isnan(s.mean["2"]["Dice"]));  // all NaN -> NaN
  EXPECT_EQ(s.mean["2"]["TN"], 8.0);
}

TEST(SummaryTest, EvaluatesFolderPairWithAutoLabels) {
  Folders f;
  NullProgress progress;
  const EvaluationSummary s = evaluate_folders(f.ref, f.pred, {}, progress);
  ASSERT_EQ(s.cases.size(), 2u);
  EXPECT_EQ(s.cases[0].reference_file, (f.ref / "a.nii.gz").string());
  EXPECT_EQ(s.cases[0].prediction_file, (f.pred / "a.nii.gz").string());
  EXPECT_EQ(s.cases[1].prediction_file, (f.pred / "b.nii.gz").string());
  ASSERT_EQ(s.cases[0].labels.size(), 3u);  // the non-zero reference values 1, 2, 3; no background
  for (int label : {1, 2, 3}) {
    EXPECT_EQ(s.cases[0].labels.at(label).dice, 1.0) << label;
    EXPECT_LT(s.cases[1].labels.at(label).dice, 1.0) << label;
    EXPECT_GT(s.cases[1].labels.at(label).dice, 0.0) << label;
  }
  EXPECT_TRUE(s.cases[0].regions.empty());
  EXPECT_DOUBLE_EQ(s.mean.at("1").at("Dice"), (1.0 + s.cases[1].labels.at(1).dice) / 2);
}

TEST(SummaryTest, JsonLayoutAndRoundTrip) {
  Folders f;
  EvaluateOptions options;
  options.labels = {0, 1, 2, 3, 5};  // 5 occurs nowhere: NaN Dice in every case and in the mean
  options.brats_regions = true;
  options.threads = 2;
  NullProgress progress;
  const EvaluationSummary s = evaluate_folders(f.ref, f.pred, options, progress);
  const fs::path file = f.tmp / "out" / "summary.json";
  save_evaluation_summary(file, s);
  const std::string text = read_file(file);
  EXPECT_NE(text.find("\"Dice\": NaN"), std::string::npos);
  EXPECT_EQ(text.find("null"), std::string::npos);
  EXPECT_LT(text.find("\"mean\""), text.find("\"metric_per_case\""));  // keys sorted
  const Json j = parse_json_with_nan(text, file.string());
  EXPECT_EQ(j.size(), 2u);
  const Json& c0 = j["metric_per_case"][0];
  EXPECT_EQ(c0["reference_file"], (f.ref / "a.nii.gz").string());
  EXPECT_EQ(c0["prediction_file"], (f.pred / "a.nii.gz").string());
  for (const char* key : {"0", "1", "2", "3", "5", "WT", "TC", "ET"}) {
    EXPECT_TRUE(c0["metrics"].contains(key)) << key;
    EXPECT_TRUE(j["mean"].contains(key)) << key;
  }
  EXPECT_EQ(c0["metrics"]["WT"].size(), 2u);
  EXPECT_EQ(c0["metrics"]["WT"]["HD95"].get<double>(), 0.0);
  EXPECT_TRUE(c0["metrics"]["1"]["TP"].is_number_integer());
  // Mean of the regions is the plain mean; prediction b is shifted by one voxel along x (0.8 mm).
  const double hd_b = s.cases[1].regions.at("WT").hd95;
  EXPECT_NEAR(hd_b, static_cast<double>(0.8f), 1e-12);  // NIfTI stores spacing as float32
  EXPECT_DOUBLE_EQ(j["mean"]["WT"]["HD95"].get<double>(), hd_b / 2);

  const EvaluationSummary back = load_evaluation_summary(file);
  EXPECT_EQ(dump_json_with_nan(summary_to_json(back)), dump_json_with_nan(summary_to_json(s)));

  // Same result on one thread.
  options.threads = 1;
  EXPECT_EQ(dump_json_with_nan(summary_to_json(evaluate_folders(f.ref, f.pred, options, progress))),
            dump_json_with_nan(summary_to_json(s)));
}

TEST(SummaryTest, LoadRejectsBadFilesNamingThem) {
  TempDir tmp;
  write_file_atomically(tmp / "s.json",
                        "{\"metric_per_case\": [{\"reference_file\": \"r\", \"prediction_file\": "
                        "\"p\", \"metrics\": {\"x1\": {}}}], \"mean\": {}}");
  const std::string msg = error_text([&] { load_evaluation_summary(tmp / "s.json"); });
  EXPECT_NE(msg.find((tmp / "s.json").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("x1"), std::string::npos) << msg;
  write_file_atomically(tmp / "t.json", "{\"mean\": {}}");
  EXPECT_NE(error_text([&] { load_evaluation_summary(tmp / "t.json"); }).find("metric_per_case"), std::string::npos);
}

TEST(SummaryTest, ShapeMismatchNamesBothFilesAndSizes) {
  Folders f;
  write_labels(f.pred / "a.nii.gz", std::vector<int32_t>(8 * 12 * 15, 0), {8, 12, 15});
  NullProgress progress;
  const std::string msg = error_text([&] { evaluate_folders(f.ref, f.pred, {}, progress); });
  EXPECT_NE(msg.find((f.pred / "a.nii.gz").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find((f.ref / "a.nii.gz").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("[8, 12, 15]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[8, 12, 16]"), std::string::npos) << msg;
}

TEST(SummaryTest, SpacingMismatchBeyondToleranceNamesBothFiles) {
  Folders f;
  Geometry g = ::nnseg::testing::test_geometry();
  g.spacing[2] = 3.0 * (1 + 1e-7);  // within |a - b| <= 1e-8 + 1e-5 |b|
  write_labels(f.pred / "a.nii.gz", blobs(), kShape, g);
  NullProgress progress;
  EXPECT_NO_THROW(evaluate_folders(f.ref, f.pred, {}, progress));
  g.spacing[2] = 3.1;
  write_labels(f.pred / "a.nii.gz", blobs(), kShape, g);
  const std::string msg = error_text([&] { evaluate_folders(f.ref, f.pred, {}, progress); });
  EXPECT_NE(msg.find((f.pred / "a.nii.gz").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find((f.ref / "a.nii.gz").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("3.0999999046325684"), std::string::npos) << msg;
}

TEST(SummaryTest, FileMatching) {
  Folders f;
  write_file_atomically(f.pred / "summary.json", "{}");  // not a NIfTI: ignored
  write_labels(f.ref / "c.nii.gz", blobs());             // reference without prediction: warning
  std::vector<std::string> warnings;
  LogSink old = set_log_sink([&](LogLevel level, const std::string& m) {
    if (level == LogLevel::kWarning) warnings.push_back(m);
  });
  const auto pairs = match_folder_files(f.ref, f.pred);
  set_log_sink(old);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[1].prediction, f.pred / "b.nii.gz");
  EXPECT_EQ(pairs[1].reference, f.ref / "b.nii.gz");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("c.nii.gz"), std::string::npos);
  // As an error when asked.
  EXPECT_NE(error_text([&] { match_folder_files(f.ref, f.pred, true); }).find((f.ref / "c.nii.gz").string()),
            std::string::npos);
  // A prediction without reference is always an error naming it.
  write_labels(f.pred / "d.nii.gz", blobs());
  EXPECT_NE(error_text([&] { match_folder_files(f.ref, f.pred); }).find((f.pred / "d.nii.gz").string()),
            std::string::npos);
  // No folder / no pair.
  EXPECT_NE(error_text([&] { match_folder_files(f.tmp / "nope", f.pred); }).find("nope"), std::string::npos);
  fs::create_directories(f.tmp / "empty");
  EXPECT_NE(error_text([&] { match_folder_files(f.ref, f.tmp / "empty"); }).find("empty"), std::string::npos);
}

TEST(SummaryTest, NonIntegerLabelValueIsAnInputError) {
  Folders f;
  std::vector<double> v(static_cast<size_t>(kShape[0] * kShape[1] * kShape[2]), 0.0);
  v[5] = 1.5;
  write_nifti(f.pred / "a.nii.gz", Image::from_values<float>(v, kShape, ::nnseg::testing::test_geometry()));
  NullProgress progress;
  const std::string msg = error_text([&] { evaluate_folders(f.ref, f.pred, {}, progress); });
  EXPECT_NE(msg.find((f.pred / "a.nii.gz").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("1.5"), std::string::npos) << msg;
}

TEST(SummaryTest, BratsLabelsAreConvertedOnReading) {
  TempDir tmp;
  auto to_brats = [](std::vector<int32_t> v) {
    for (auto& x : v) x = x == 1 ? 2 : x == 2 ? 1 : x == 3 ? 4 : x;
    return v;
  };
  write_labels(tmp / "nn_ref" / "a.nii.gz", blobs());
  write_labels(tmp / "nn_pred" / "a.nii.gz", blobs(1));
  write_labels(tmp / "br_ref" / "a.nii.gz", to_brats(blobs()));
  write_labels(tmp / "br_pred" / "a.nii.gz", to_brats(blobs(1)));
  EvaluateOptions options;
  options.labels = {1, 2, 3};
  options.brats_regions = true;
  NullProgress progress;
  const EvaluationSummary nn = evaluate_folders(tmp / "nn_ref", tmp / "nn_pred", options, progress);
  options.brats_labels = true;
  const EvaluationSummary br = evaluate_folders(tmp / "br_ref", tmp / "br_pred", options, progress);
  EXPECT_EQ(dump_json_with_nan(summary_to_json(nn)["mean"]), dump_json_with_nan(summary_to_json(br)["mean"]));
  // A value outside {0, 1, 2, 4} names the file and the value.
  write_labels(tmp / "br_pred" / "a.nii.gz", blobs(1));  // holds 3
  const std::string msg = error_text([&] { evaluate_folders(tmp / "br_ref", tmp / "br_pred", options, progress); });
  EXPECT_NE(msg.find((tmp / "br_pred" / "a.nii.gz").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("value 3"), std::string::npos) << msg;
}

TEST(SummaryTest, InMemoryEvaluationListsEveryLabel) {
  const CaseEvaluation c = evaluate_label_maps(blobs(), blobs(), kShape, {3, 0.8, 0.8}, {1, 4}, true);
  EXPECT_EQ(c.labels.at(1).dice, 1.0);
  EXPECT_TRUE(std::isnan(c.labels.at(4).dice));
  EXPECT_EQ(c.regions.at("ET").dice, 1.0);
  EXPECT_EQ(c.regions.at("ET").hd95, 0.0);
}

TEST(LabelListTest, ParsesCommaAndSpaceSeparatedValues) {
  EXPECT_EQ(parse_label_list({"1,2,3"}), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(parse_label_list({"1", "2", " 3"}), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(parse_label_list({"0,2"}), (std::vector<int>{0, 2}));
  for (const std::string bad : {"1,x", "-1", "1,,2", "1.5", "99999999999"}) {
    const std::string msg = error_text([&] { parse_label_list({bad}); });
    EXPECT_NE(msg.find("--labels"), std::string::npos) << bad << ": " << msg;
    EXPECT_NE(msg.find("\"" + bad + "\""), std::string::npos) << bad << ": " << msg;
  }
  EXPECT_NE(error_text([] { parse_label_list({""}); }).find("--labels: no label given"), std::string::npos);
  EXPECT_NE(error_text([] { parse_label_list({"1,2,1"}); }).find("label 1 is given twice"), std::string::npos);
}

TEST(SummaryTest, MeanTableListsLabelsAndRegions) {
  Folders f;
  EvaluateOptions options;
  options.brats_regions = true;
  NullProgress progress;
  const std::string table = format_mean_table(evaluate_folders(f.ref, f.pred, options, progress));
  EXPECT_NE(table.find("mean over 2 case(s)"), std::string::npos) << table;
  EXPECT_NE(table.find("Dice"), std::string::npos) << table;
  EXPECT_NE(table.find("WT"), std::string::npos) << table;
  EXPECT_NE(table.find("HD95"), std::string::npos) << table;
}

}  // namespace
}  // namespace nnseg
