// dataset.json (dataset/dataset_json.h): the v2 text nnseg writes (data-formats.md §7.4 + name), the v1 text of
// §7.4 parsed, identifier derivation (§7.3), region labels, and bad files naming dataset.json, key and value.
#include "dataset/dataset_json.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/log.h"
#include "dataset/convert_brats.h"
#include "io/atomic_write.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

const char* kV1Text = R"({
    "description": "nothing",
    "labels": {
        "0": "background",
        "1": "edema",
        "2": "non-enhancing",
        "3": "enhancing"
    },
    "licence": "see BraTS2020 license",
    "modality": {
        "0": "T1",
        "1": "T1ce",
        "2": "T2",
        "3": "FLAIR"
    },
    "name": "BraTS2020",
    "numTest": 0,
    "numTraining": 2,
    "reference": "see BraTS2020",
    "release": "0.0",
    "tensorImageSize": "4D",
    "test": [],
    "training": [
        {
            "image": "./imagesTr/BraTS20_Training_001.nii.gz",
            "label": "./labelsTr/BraTS20_Training_001.nii.gz"
        },
        {
            "image": "./imagesTr/BraTS20_Training_002.nii.gz",
            "label": "./labelsTr/BraTS20_Training_002.nii.gz"
        }
    ]
}
)";

const char* kV2Text = R"({
    "channel_names": {
        "0": "T1",
        "1": "T1ce",
        "2": "T2",
        "3": "FLAIR"
    },
    "labels": {
        "background": 0,
        "edema": 1,
        "non-enhancing": 2,
        "enhancing": 3
    },
    "numTraining": 2,
    "file_ending": ".nii.gz",
    "name": "BraTS2020"
}
)";

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

void touch(const fs::path& p) { write_text(p, ""); }

// The InputError message of loading `text` as dataset.json ("" when it loads).
std::string load_error(const std::string& text) {
  TempDir dir;
  write_text(dir / "dataset.json", text);
  try {
    load_dataset_spec(dir.path());
  } catch (const InputError& e) {
    EXPECT_NE(e.item().find("dataset.json"), std::string::npos) << e.item();
    return e.what();
  }
  return "";
}

std::string v2_with(const std::string& labels, const std::string& extra = "") {
  return R"({"channel_names": {"0": "T1"}, "labels": )" + labels + R"(, "numTraining": 0, "file_ending": ".nii.gz")" +
         extra + "}";
}

TEST(DatasetJson, WritesTheV2TextExactly) {
  TempDir dir;
  save_dataset_json(dir / "dataset.json", brats_dataset_spec("BraTS2020", 2));
  EXPECT_EQ(read_file(dir / "dataset.json"), kV2Text);
}

TEST(DatasetJson, ReadsTheV1TextOfTheSpec) {
  TempDir dir;
  write_text(dir / "dataset.json", kV1Text);
  DatasetSpec spec = load_dataset_spec(dir.path());
  EXPECT_EQ(spec.format_version, 1);
  EXPECT_EQ(spec.name, "BraTS2020");
  EXPECT_EQ(spec.channel_names, (std::vector<std::string>{"T1", "T1ce", "T2", "FLAIR"}));
  ASSERT_EQ(spec.labels.size(), 4u);
  EXPECT_EQ(spec.labels[1].name, "edema");
  EXPECT_EQ(spec.labels[3].values, std::vector<int>{3});
  EXPECT_EQ(spec.foreground_labels(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(spec.num_training, 2);
  ASSERT_EQ(spec.training.size(), 2u);
  EXPECT_EQ(spec.training[0].id, "BraTS20_Training_001");
  ASSERT_EQ(spec.training[0].images.size(), 4u);
  EXPECT_EQ(spec.training[0].images[0], dir / "imagesTr" / "BraTS20_Training_001_0000.nii.gz");
  EXPECT_EQ(spec.training[0].images[3], dir / "imagesTr" / "BraTS20_Training_001_0003.nii.gz");
  EXPECT_EQ(*spec.training[1].label, dir / "labelsTr" / "BraTS20_Training_002.nii.gz");
  EXPECT_TRUE(spec.test.empty());
  EXPECT_FALSE(spec.has_regions());
}

TEST(DatasetJson, V1AndV2OfTheSameDataAgree) {
  TempDir v1, v2;
  write_text(v1 / "dataset.json", kV1Text);
  write_text(v2 / "dataset.json", kV2Text);
  for (const char* id : {"BraTS20_Training_001", "BraTS20_Training_002"}) {
    for (int c = 0; c < 4; ++c) touch(channel_file(v2 / "imagesTr", id, c, ".nii.gz"));
  }
  DatasetSpec a = load_dataset_spec(v1.path()), b = load_dataset_spec(v2.path());
  EXPECT_EQ(b.format_version, 2);
  EXPECT_EQ(a.channel_names, b.channel_names);
  ASSERT_EQ(a.labels.size(), b.labels.size());
  for (size_t i = 0; i < a.labels.size(); ++i) {
    EXPECT_EQ(a.labels[i].name, b.labels[i].name);
    EXPECT_EQ(a.labels[i].values, b.labels[i].values);
  }
  ASSERT_EQ(a.training.size(), b.training.size());
  for (size_t i = 0; i < a.training.size(); ++i) {
    EXPECT_EQ(a.training[i].id, b.training[i].id);
    EXPECT_EQ(a.training[i].images.size(), b.training[i].images.size());
    EXPECT_EQ(a.training[i].label->filename(), b.training[i].label->filename());
  }
  // A v1 spec saved gives the v2 text (modality -> channel_names, labels inverted, file_ending added).
  save_dataset_json(v1 / "v2.json", a);
  EXPECT_EQ(read_file(v1 / "v2.json"), kV2Text);
}

TEST(DatasetJson, IdentifierDerivation) {
  TempDir dir;
  // v1 test entry "./imagesTs/la_001.nii.gz" -> la_001.
  write_text(dir / "dataset.json",
             R"({"modality": {"0": "CT"}, "labels": {"0": "background", "1": "x"}, "training": [],
                 "test": ["./imagesTs/la_001.nii.gz"]})");
  DatasetSpec v1 = load_dataset_spec(dir.path());
  ASSERT_EQ(v1.test.size(), 1u);
  EXPECT_EQ(v1.test[0].id, "la_001");
  EXPECT_EQ(v1.test[0].images[0], dir / "imagesTs" / "la_001_0000.nii.gz");

  // v2: a_1_0000, a_1_0001, a_10_0000 -> cases a_1 (2 channels) and a_10 (1 channel).
  TempDir v2;
  for (const char* f : {"a_1_0000.nii.gz", "a_1_0001.nii.gz", "a_10_0000.nii.gz", "notes.txt", "x.nii.gz"}) {
    touch(v2 / "imagesTr" / f);
  }
  EXPECT_EQ(discover_case_ids(v2 / "imagesTr", ".nii.gz"), (std::vector<std::string>{"a_1", "a_10"}));
  EXPECT_EQ(find_channel_files(v2 / "imagesTr", "a_1", ".nii.gz").size(), 2u);
  EXPECT_EQ(find_channel_files(v2 / "imagesTr", "a_10", ".nii.gz"),
            (std::vector<fs::path>{v2 / "imagesTr" / "a_10_0000.nii.gz"}));
  // The channel file of BraTS20_Training_001 gives BraTS20_Training_001.
  touch(v2 / "imagesTs" / "BraTS20_Training_001_0000.nii.gz");
  EXPECT_EQ(discover_case_ids(v2 / "imagesTs", ".nii.gz"), std::vector<std::string>{"BraTS20_Training_001"});
}

TEST(DatasetJson, V2DiscoveryResolvesCasesAndTestCases) {
  TempDir dir;
  write_text(dir / "dataset.json", kV2Text);
  for (const char* id : {"b", "a"}) {
    for (int c = 0; c < 4; ++c) touch(channel_file(dir / "imagesTr", id, c, ".nii.gz"));
  }
  touch(dir / "imagesTs" / "t_0000.nii.gz");
  DatasetSpec spec = load_dataset_spec(dir.path());
  ASSERT_EQ(spec.training.size(), 2u);
  EXPECT_EQ(spec.training[0].id, "a");
  EXPECT_EQ(*spec.training[0].label, dir / "labelsTr" / "a.nii.gz");
  ASSERT_EQ(spec.test.size(), 1u);
  EXPECT_EQ(spec.test[0].images.size(), 4u);
  EXPECT_FALSE(spec.test[0].label.has_value());
}

TEST(DatasetJson, ExplicitDatasetMapping) {
  TempDir dir;
  write_text(dir / "dataset.json",
             v2_with(R"({"background": 0, "a": 1})",
                     R"(, "dataset": {"c1": {"images": ["data/c1_t1.nii.gz"], "label": "/abs/c1_seg.nii.gz"}})"));
  DatasetSpec spec = load_dataset_spec(dir.path());
  EXPECT_TRUE(spec.explicit_cases);
  ASSERT_EQ(spec.training.size(), 1u);
  EXPECT_EQ(spec.training[0].images[0], dir / "data" / "c1_t1.nii.gz");
  EXPECT_EQ(*spec.training[0].label, fs::path("/abs/c1_seg.nii.gz"));
  EXPECT_NE(load_error(
                v2_with(R"({"background": 0, "a": 1})", R"(, "dataset": {"c1": {"images": ["p", "q"], "label": "l"}})"))
                .find("2 files, expected 1"),
            std::string::npos);
}

TEST(DatasetJson, RegionLabelsKeepOrderAndRoundTrip) {
  TempDir dir;
  write_text(dir / "dataset.json",
             v2_with(R"({"background": 0, "whole tumor": [1, 2, 3], "tumor core": [2, 3], "enhancing tumor": [3]})",
                     R"(, "regions_class_order": [1, 2, 3])"));
  DatasetSpec spec = load_dataset_spec(dir.path());
  EXPECT_TRUE(spec.has_regions());
  EXPECT_EQ(spec.labels[1].name, "whole tumor");
  EXPECT_EQ(spec.labels[2].values, (std::vector<int>{2, 3}));
  EXPECT_EQ(spec.label_values(), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(spec.regions_class_order, (std::vector<int>{1, 2, 3}));
  OrderedJson j = dataset_spec_to_json(spec);
  EXPECT_EQ(j["labels"].dump(), R"({"background":0,"whole tumor":[1,2,3],"tumor core":[2,3],"enhancing tumor":[3]})");
  EXPECT_EQ(j["regions_class_order"].dump(), "[1,2,3]");
  save_dataset_json(dir / "dataset.json", spec);
  DatasetSpec again = load_dataset_spec(dir.path());
  EXPECT_EQ(again.labels[3].values, std::vector<int>{3});
  EXPECT_EQ(again.regions_class_order, spec.regions_class_order);
  // Regions need regions_class_order, one value per region.
  EXPECT_NE(load_error(v2_with(R"({"background": 0, "wt": [1, 2]})")).find("regions_class_order"), std::string::npos);
  EXPECT_NE(load_error(v2_with(R"({"background": 0, "wt": [1, 2], "tc": [2]})", R"(, "regions_class_order": [1])"))
                .find("expected 2 values"),
            std::string::npos);
}

TEST(DatasetJson, BadFilesNameKeyAndValue) {
  EXPECT_NE(load_error(R"({"channel_names": {"0": "T1"}, "numTraining": 0, "file_ending": ".nii.gz"})")
                .find("'labels' missing"),
            std::string::npos);
  std::string e = load_error(R"({"channel_names": {"0": "T1"}, "labels": {"background": 0}, "numTraining": "2",
                                 "file_ending": ".nii.gz"})");
  EXPECT_NE(e.find("numTraining = \"2\""), std::string::npos) << e;
  e = load_error(v2_with(R"({"background": 0, "edema": "one"})"));
  EXPECT_NE(e.find("labels.edema = \"one\""), std::string::npos) << e;
  e = load_error(R"({"channel_names": {"1": "T1"}, "labels": {"background": 0}, "numTraining": 0,
                     "file_ending": ".nii.gz"})");
  EXPECT_NE(e.find("\"1\""), std::string::npos) << e;
  e = load_error(v2_with(R"({"background": 0, "a": 1, "b": 3})"));
  EXPECT_NE(e.find("value 3"), std::string::npos) << e;
  EXPECT_NE(e.find("consecutive"), std::string::npos) << e;
  e = load_error(v2_with(R"({"a": 1, "b": 2})"));
  EXPECT_NE(e.find("first label must be 0"), std::string::npos) << e;
  e = load_error(R"({"modality": {"0": "T1"}, "labels": {"0": "background", "1": "a", "3": "b"}, "training": []})");
  EXPECT_NE(e.find("value 3"), std::string::npos) << e;
  e = load_error(R"({"modality": {"0": "T1"}, "labels": {"background": 0}, "training": []})");
  EXPECT_NE(e.find("\"background\""), std::string::npos) << e;
  e = load_error(R"({"modality": {"0": "T1"}, "labels": {"0": "background"}})");
  EXPECT_NE(e.find("'training' missing"), std::string::npos) << e;
  e = load_error("[1, 2]");
  EXPECT_NE(e.find("expected a JSON object"), std::string::npos) << e;
  e = load_error("{not json");
  EXPECT_NE(e.find("invalid JSON"), std::string::npos) << e;
  TempDir empty;
  EXPECT_THROW(load_dataset_spec(empty.path()), InputError);
}

TEST(DatasetJson, ModalityInAV2FileIsAcceptedWithAWarning) {
  TempDir dir;
  write_text(dir / "dataset.json",
             R"({"modality": {"0": "CT"}, "labels": {"background": 0, "a": 1}, "numTraining": 0,
                 "file_ending": ".nii.gz"})");
  std::vector<std::string> warnings;
  LogSink old = set_log_sink([&](LogLevel level, const std::string& m) {
    if (level == LogLevel::kWarning) warnings.push_back(m);
  });
  DatasetSpec spec = load_dataset_spec(dir.path());
  set_log_sink(old);
  EXPECT_EQ(spec.channel_names, std::vector<std::string>{"CT"});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("modality"), std::string::npos);
  EXPECT_NE(warnings[0].find("dataset.json"), std::string::npos);
}

TEST(DatasetJson, LenientLoadReturnsConsistencyProblems) {
  TempDir dir;
  write_text(dir / "dataset.json", v2_with(R"({"a": 1, "b": 3})"));
  std::vector<std::string> problems;
  DatasetSpec spec = load_dataset_spec_lenient(dir.path(), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("first label must be 0"), std::string::npos);
  EXPECT_EQ(spec.labels.size(), 2u);

  // v1 check #2: duplicate training identifiers.
  write_text(dir / "dataset.json", R"({"modality": {"0": "T1"}, "labels": {"0": "background"}, "training": [
      {"image": "./imagesTr/x.nii.gz", "label": "./labelsTr/x.nii.gz"},
      {"image": "./imagesTr/x.nii.gz", "label": "./labelsTr/x.nii.gz"}]})");
  problems.clear();
  load_dataset_spec_lenient(dir.path(), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "training case x: duplicate case identifier");
}

}  // namespace
}  // namespace nnseg
