// Dataset integrity check (dataset/verify_dataset.h, planning.md §2 and §12.10): a clean dataset passes; each
// planted fault is found on its own and all of them together; v1 Task folders; tolerances; the binary's output.
#include "dataset/verify_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include "dataset/dataset_json.h"
#include "io/json_file.h"
#include "io/nifti.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::RawCaseOptions;
using testing::run_nnseg;
using testing::TempDir;

const std::vector<std::string> kCases = {"c1", "c2", "c3"};

fs::path image_path(const fs::path& ds, const std::string& id, int c, const std::string& folder = "imagesTr") {
  return channel_file(ds / folder, id, c, ".nii.gz");
}

VerifyReport verify(const fs::path& ds) {
  NullProgress progress;
  return verify_dataset(ds, 2, progress);
}

// Number of problems containing every one of `parts`.
int count(const VerifyReport& r, const std::vector<std::string>& parts) {
  int n = 0;
  for (const auto& p : r.problems) {
    bool all = true;
    for (const auto& part : parts) all = all && p.find(part) != std::string::npos;
    n += all ? 1 : 0;
  }
  return n;
}

std::string dump(const VerifyReport& r) {
  std::string s;
  for (const auto& p : r.problems) s += "problem: " + p + "\n";
  for (const auto& w : r.warnings) s += "warning: " + w + "\n";
  return s;
}

// Rewrites one file with a changed copy of itself.
template <typename F>
void modify(const fs::path& path, F&& change) {
  Image img = read_nifti(path);
  change(img);
  write_nifti(path, img);
}

// The faults, each planted in its own case file so that several can be planted together.
struct Fault {
  std::string name;
  std::function<void(const fs::path&)> plant;
  std::vector<std::string> expected;  // substrings of the one problem it must cause
};

std::vector<Fault> faults(const fs::path& ds) {
  auto img = [&](const std::string& id, int c) { return image_path(ds, id, c); };
  auto label = [&](const std::string& id) { return ds / "labelsTr" / (id + ".nii.gz"); };
  return {
      {"missing channel",
       [=](const fs::path&) { fs::remove(img("c2", 3)); },
       {img("c2", 3).string(), "missing (channel 3 of training case c2"}},
      {"size mismatch",
       [=](const fs::path&) {
         Image i = read_nifti(img("c1", 1));
         write_nifti(img("c1", 1), testing::make_channel_image({8, 12, 15}, 3, i.type, i.geometry));
       },
       {img("c1", 1).string(), "size (x, y, z) [15, 12, 8] differs from label", label("c1").string(), "[16, 12, 8]"}},
      {"spacing mismatch",
       [=](const fs::path&) { modify(img("c1", 2), [](Image& i) { i.geometry.spacing[0] += 1e-4; }); },
       {img("c1", 2).string(), "spacing [0.8001, 0.8, 3] differs from label"}},
      {"direction mismatch",
       [=](const fs::path&) {
         modify(img("c2", 0), [](Image& i) { i.geometry.direction = {0, 1, 0, 1, 0, 0, 0, 0, -1}; });
       },
       {img("c2", 0).string(), "direction [0, 1, 0, 1, 0, 0, 0, 0, -1] differs from label"}},
      {"origin mismatch",
       [=](const fs::path&) { modify(img("c3", 1), [](Image& i) { i.geometry.origin[2] += 0.5; }); },
       {img("c3", 1).string(), "origin [-10.5, 20.25, 3.5] differs from"}},
      {"bad label value",
       [=](const fs::path&) { modify(label("c2"), [](Image& i) { i.data<uint8_t>()[0] = 5; }); },
       {label("c2").string(), "unexpected label values [5]", "[0, 1, 2, 3]"}},
      {"NaN in an image",
       [=](const fs::path&) { modify(img("c3", 2), [](Image& i) { i.data<float>()[5] = NAN; }); },
       {img("c3", 2).string(), "1 NaN voxel(s)"}},
      {"Inf in an image",
       [=](const fs::path&) { modify(img("c3", 0), [](Image& i) { i.data<float>()[9] = -INFINITY; }); },
       {img("c3", 0).string(), "1 Inf voxel(s)"}},
      {"NaN in a label",
       [=](const fs::path&) {
         Image l = read_nifti(label("c1"));
         Image f = Image::from_values<double>(l.values_as<double>(), l.shape, l.geometry);
         f.data<double>()[3] = NAN;
         write_nifti(label("c1"), f);
       },
       {label("c1").string(), "1 NaN voxel(s)"}},
      {"missing label",
       [=](const fs::path&) { fs::remove(label("c3")); },
       {label("c3").string(), "missing (label of training case c3)"}},
      {"numTraining wrong",
       [=](const fs::path&) {
         OrderedJson j = load_json(ds / "dataset.json");
         j["numTraining"] = 4;
         save_json(ds / "dataset.json", j);
       },
       {(ds / "dataset.json").string(), "numTraining = 4 but 3 training cases found"}},
      {"incomplete imagesTs",
       [=](const fs::path&) {
         RawCaseOptions o;
         o.with_label = false;
         o.images_folder = "imagesTs";
         testing::write_raw_case(ds, "t1", o);
         fs::remove(image_path(ds, "t1", 2, "imagesTs"));
       },
       {image_path(ds, "t1", 2, "imagesTs").string(), "missing (channel 2 of test case t1"}},
      {"unreadable image",
       [=](const fs::path&) { std::ofstream(img("c1", 3), std::ios::trunc) << "this is no NIfTI file"; },
       {img("c1", 3).string(), "unreadable"}},
      {"extra file",
       [=](const fs::path&) { fs::copy_file(img("c2", 1), img("c2", 4)); },
       {img("c2", 4).string(), "unexpected file"}},
  };
}

TEST(VerifyDataset, CleanDatasetIsOk) {
  TempDir dir;
  fs::path ds = dir / "Dataset001_T";
  testing::write_raw_dataset(ds, kCases);
  VerifyReport r = verify(ds);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.warnings.empty()) << dump(r);
  EXPECT_EQ(r.num_training, 3);
}

TEST(VerifyDataset, FindsEachFaultOnItsOwn) {
  TempDir dir;
  fs::path ds = dir / "Dataset001_T";
  for (const Fault& f : faults(ds)) {
    fs::remove_all(ds);
    testing::write_raw_dataset(ds, kCases);
    f.plant(ds);
    VerifyReport r = verify(ds);
    EXPECT_EQ(r.problems.size(), 1u) << f.name << "\n" << dump(r);
    EXPECT_EQ(count(r, f.expected), 1) << f.name << "\n" << dump(r);
  }
}

TEST(VerifyDataset, FindsEveryFaultAtOnce) {
  TempDir dir;
  fs::path ds = dir / "Dataset001_T";
  testing::write_raw_dataset(ds, kCases);
  std::vector<Fault> all = faults(ds);
  for (const Fault& f : all) f.plant(ds);
  VerifyReport r = verify(ds);
  for (const Fault& f : all) EXPECT_EQ(count(r, f.expected), 1) << f.name << "\n" << dump(r);
  EXPECT_EQ(r.problems.size(), all.size()) << dump(r);

  // The binary prints each of them, a summary, and exits 2.
  auto cli = run_nnseg({"verify", "-d", "1", "--raw", dir.path().string()});
  EXPECT_EQ(cli.exit_code, 2) << cli.err;
  for (const auto& p : r.problems) EXPECT_NE(cli.out.find(p + "\n"), std::string::npos) << p;
  EXPECT_NE(cli.out.find("verify: " + std::to_string(all.size()) + " problem(s) in " + ds.string()), std::string::npos)
      << cli.out;
  EXPECT_NE(cli.err.find("nnseg: error: " + ds.string() + ": dataset verification failed"), std::string::npos)
      << cli.err;
}

TEST(VerifyDataset, GeometryToleranceIsNumpyIsclose) {
  EXPECT_FALSE(geometry_value_close(1.0001, 1.0));
  EXPECT_TRUE(geometry_value_close(1.000001, 1.0));
  EXPECT_TRUE(geometry_value_close(1e-9, 0.0));
  EXPECT_FALSE(geometry_value_close(1e-7, 0.0));
  TempDir dir;
  fs::path ds = dir / "Dataset001_T";
  testing::write_raw_dataset(ds, kCases);
  modify(image_path(ds, "c1", 1), [](Image& i) { i.geometry.spacing[2] += 1e-6 * 3.0; });
  EXPECT_TRUE(verify(ds).ok());
}

TEST(VerifyDataset, AxisCodesDifferOnlyWarn) {
  EXPECT_EQ(axis_codes({1, 0, 0, 0, 1, 0, 0, 0, 1}), "LPS");
  EXPECT_EQ(axis_codes({-1, 0, 0, 0, -1, 0, 0, 0, 1}), "RAS");
  EXPECT_EQ(axis_codes({0, 0, 1, 1, 0, 0, 0, -1, 0}), "PIL");
  TempDir dir;
  fs::path ds = dir / "Dataset001_T";
  testing::write_raw_dataset(ds, {"c1", "c2"});
  RawCaseOptions o;
  o.geometry.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
  testing::write_raw_case(ds, "c3", o);
  OrderedJson j = load_json(ds / "dataset.json");
  j["numTraining"] = 3;
  save_json(ds / "dataset.json", j);
  VerifyReport r = verify(ds);
  EXPECT_TRUE(r.ok()) << dump(r);
  ASSERT_EQ(r.warnings.size(), 1u) << dump(r);
  EXPECT_NE(r.warnings[0].find("same axis ordering"), std::string::npos);
  EXPECT_NE(r.warnings[0].find("LPS"), std::string::npos);
  EXPECT_NE(r.warnings[0].find("RAS"), std::string::npos);
}

TEST(VerifyDataset, BadDatasetJsonIsReportedWithTheRest) {
  TempDir dir;
  fs::path ds = dir / "Dataset001_T";
  testing::write_raw_dataset(ds, kCases);
  OrderedJson j = load_json(ds / "dataset.json");
  j["labels"] = {{"background", 0}, {"edema", 1}, {"enhancing", 3}};
  save_json(ds / "dataset.json", j);
  VerifyReport r = verify(ds);
  EXPECT_EQ(count(r, {(ds / "dataset.json").string(), "value 3", "consecutive"}), 1) << dump(r);
  // Every label file holds 2, which is no longer declared.
  EXPECT_EQ(count(r, {"unexpected label values [2]"}), 3) << dump(r);

  fs::remove(ds / "dataset.json");
  r = verify(ds);
  EXPECT_EQ(count(r, {(ds / "dataset.json").string(), "not found"}), 1) << dump(r);
  fs::remove_all(ds / "labelsTr");
  std::ofstream(ds / "dataset.json") << "{\"channel_names\": 3}";
  r = verify(ds);
  EXPECT_EQ(count(r, {(ds / "labelsTr").string(), "missing folder"}), 1) << dump(r);
  EXPECT_EQ(count(r, {"channel_names = 3"}), 1) << dump(r);
}

// The v1 Task layout: dataset.json with modality, labels by value, training and test lists.
void write_v1_task(const fs::path& ds) {
  RawCaseOptions o;
  o.num_channels = 2;
  for (const char* id : {"la_001", "la_002"}) testing::write_raw_case(ds, id, o);
  o.with_label = false;
  o.images_folder = "imagesTs";
  testing::write_raw_case(ds, "la_010", o);
  std::ofstream(ds / "dataset.json") << R"({
    "labels": {"0": "background", "1": "edema", "2": "non-enhancing", "3": "enhancing"},
    "modality": {"0": "T1", "1": "T2"},
    "name": "V1", "numTest": 1, "numTraining": 2,
    "test": ["./imagesTs/la_010.nii.gz"],
    "training": [{"image": "./imagesTr/la_001.nii.gz", "label": "./labelsTr/la_001.nii.gz"},
                 {"image": "./imagesTr/la_002.nii.gz", "label": "./labelsTr/la_002.nii.gz"}]
})";
}

TEST(VerifyDataset, V1TaskFolder) {
  TempDir dir;
  fs::path ds = dir / "nnUNet_raw_data" / "Task005_V1";
  write_v1_task(ds);
  VerifyReport r = verify(ds);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.num_training, 2);
  EXPECT_EQ(r.num_test, 1);
  auto cli = run_nnseg({"verify", "-d", "Task005_V1"}, {"nnUNet_raw=", "nnUNet_raw_data_base=" + dir.path().string()});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;

  fs::remove(image_path(ds, "la_002", 1));
  fs::remove(image_path(ds, "la_010", 0, "imagesTs"));
  // A case on disk that is not in the training list (v1 check #7).
  testing::write_raw_case(ds, "la_003", RawCaseOptions{});
  r = verify(ds);
  EXPECT_EQ(count(r, {image_path(ds, "la_002", 1).string(), "missing", "la_002_0000.nii.gz, la_002_0001.nii.gz"}), 1)
      << dump(r);
  EXPECT_EQ(count(r, {image_path(ds, "la_010", 0, "imagesTs").string(), "missing (channel 0 of test case"}), 1)
      << dump(r);
  EXPECT_EQ(count(r, {image_path(ds, "la_003", 0).string(), "unexpected file"}), 1) << dump(r);
  EXPECT_EQ(count(r, {(ds / "labelsTr" / "la_003.nii.gz").string(), "unexpected file"}), 1) << dump(r);
  cli = run_nnseg({"verify", "-d", "5"}, {"nnUNet_raw=", "nnUNet_raw_data_base=" + dir.path().string()});
  EXPECT_EQ(cli.exit_code, 2);
}

TEST(VerifyDataset, BackgroundOnlyLabelWarns) {
  TempDir dir;
  fs::path ds = dir / "Dataset001_T";
  testing::write_raw_dataset(ds, kCases);
  modify(ds / "labelsTr" / "c2.nii.gz", [](Image& i) { std::fill(i.bytes.begin(), i.bytes.end(), 0); });
  VerifyReport r = verify(ds);
  EXPECT_TRUE(r.ok()) << dump(r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("c2.nii.gz: label file holds background (0) only"), std::string::npos);
}

}  // namespace
}  // namespace nnseg
