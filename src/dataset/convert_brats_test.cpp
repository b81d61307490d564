// BraTS conversion (dataset/convert_brats.h): the label vectors of data-formats.md §7.1, file naming (§7.2),
// voxel-exact labels with unchanged geometry, byte-identical image copies, .nii and non-uint8 inputs, every bad
// input naming case, file and value, atomic output, and convert-brats-back; library and binary.
#include "dataset/convert_brats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_write.h"
#include "io/nifti.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::BratsCaseOptions;
using testing::list_files;
using testing::run_nnseg;
using testing::TempDir;
using testing::write_brats_case;

const char* kCase1 = "BraTS20_Training_001";
const char* kCase2 = "BraTS20_Training_002";

Image row(const std::vector<double>& values, PixelType type = PixelType::kUInt8) {
  Image img(type, {1, 1, static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) {
    dispatch_pixel_type(type, [&](auto tag) { img.data<decltype(tag)>()[i] = static_cast<decltype(tag)>(values[i]); });
  }
  return img;
}

std::vector<int> forward(const std::vector<double>& values, PixelType type = PixelType::kUInt8) {
  return brats_label_image_to_nnunet(row(values, type), "case", "case/seg.nii.gz").values_as<int>();
}

std::string forward_error(const std::vector<double>& values, PixelType type = PixelType::kUInt8) {
  try {
    forward(values, type);
  } catch (const InputError& e) {
    return format_error(e);
  }
  return "";
}

// A rotated, anisotropic geometry, so that "unchanged" means something.
Geometry odd_geometry() {
  Geometry g;
  g.spacing = {0.8, 0.9, 3.1};
  g.origin = {-12.25, 33.5, -7.125};
  const double c = std::cos(0.3), s = std::sin(0.3);
  g.direction = {c, -s, 0, s, c, 0, 0, 0, 1};
  return g;
}

BratsCaseOptions case_options(uint32_t seed = 1) {
  BratsCaseOptions o;
  o.geometry = odd_geometry();
  o.seed = seed;
  return o;
}

// The training folder of two cases plus the CSV files that sit beside them.
void write_training_folder(const fs::path& src, const BratsCaseOptions& o = case_options()) {
  write_brats_case(src, kCase1, o);
  BratsCaseOptions o2 = o;
  o2.seed = o.seed + 1;
  write_brats_case(src, kCase2, o2);
  std::ofstream(src / "name_mapping.csv") << "Grade,BraTS_2020_subject_ID\nHGG,BraTS20_Training_001\n";
  std::ofstream(src / "survival_info.csv") << "Brats20ID,Age\n";
}

ConvertBratsResult convert(const fs::path& src, const fs::path& target, std::optional<fs::path> test = {}) {
  ConvertBratsOptions options;
  options.source = src;
  options.target = target;
  options.test_source = std::move(test);
  options.threads = 2;
  NullProgress progress;
  return convert_brats(options, progress);
}

// Every voxel of `out` is the nnU-Net value of the same voxel of `in`; geometry bitwise equal; uint8.
void expect_converted_label(const fs::path& in_path, const fs::path& out_path) {
  Image in = read_nifti(in_path), out = read_nifti(out_path);
  EXPECT_EQ(out.type, PixelType::kUInt8);
  EXPECT_EQ(out.shape, in.shape);
  EXPECT_TRUE(out.geometry == in.geometry);
  const int table[] = {0, 2, 1, -1, 3};
  std::vector<int> seen(5, 0);
  auto a = in.values_as<double>();
  auto b = out.values_as<int>();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    int v = static_cast<int>(a[i]);
    ASSERT_EQ(b[i], table[v]) << "voxel " << i;
    seen[static_cast<size_t>(v)] = 1;
  }
  EXPECT_EQ(seen, (std::vector<int>{1, 1, 1, 0, 1})) << "the input should hold every BraTS label";
}

TEST(ConvertBrats, LabelVectorsForward) {
  EXPECT_EQ(forward({0, 1, 2, 4}), (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(forward({4, 4, 2, 0, 1}), (std::vector<int>{3, 3, 1, 0, 2}));
  EXPECT_EQ(forward({0, 0, 0}), (std::vector<int>{0, 0, 0}));
  for (PixelType t : {PixelType::kInt16, PixelType::kFloat32, PixelType::kFloat64, PixelType::kUInt32}) {
    EXPECT_EQ(forward({4, 4, 2, 0, 1}, t), (std::vector<int>{3, 3, 1, 0, 2})) << to_string(t);
  }
  std::string e = forward_error({0, 3});
  EXPECT_NE(e.find("case/seg.nii.gz: case case: unexpected label value(s) 3"), std::string::npos) << e;
  EXPECT_NE(forward_error({0, 5}).find("value(s) 5"), std::string::npos);
  EXPECT_NE(forward_error({0, 1.5}, PixelType::kFloat32).find("value(s) 1.5"), std::string::npos);
  EXPECT_NE(forward_error({0, -1}, PixelType::kInt16).find("value(s) -1"), std::string::npos);
}

TEST(ConvertBrats, LabelVectorsBackwardAndRoundTrip) {
  auto back = [](const std::vector<double>& v) { return nnunet_label_image_to_brats(row(v)).values_as<int>(); };
  EXPECT_EQ(back({0, 1, 2, 3}), (std::vector<int>{0, 2, 1, 4}));
  EXPECT_EQ(back({3, 2, 1}), (std::vector<int>{4, 1, 2}));
  EXPECT_EQ(back({5, 255}), (std::vector<int>{0, 0}));
  EXPECT_EQ(nnunet_to_brats_label(1.5), 0);
  for (int v : {0, 1, 2, 4}) EXPECT_EQ(nnunet_to_brats_label(*brats_to_nnunet_label(v)), v);
  EXPECT_FALSE(brats_to_nnunet_label(3).has_value());
}

TEST(ConvertBrats, WritesTheV2LayoutWithExactLabelsAndByteIdenticalImages) {
  TempDir src, raw;
  write_training_folder(src.path());
  fs::path target = raw / "Dataset082_BraTS2020";
  ConvertBratsResult r = convert(src.path(), target);
  EXPECT_EQ(r.num_training, 2);
  std::vector<std::string> expected = {"dataset.json"};
  for (const char* id : {kCase1, kCase2}) {
    for (int c = 0; c < 4; ++c)
      expected.push_back("imagesTr/" + std::string(id) + "_000" + std::to_string(c) + ".nii.gz");
  }
  expected.push_back("labelsTr/" + std::string(kCase1) + ".nii.gz");
  expected.push_back("labelsTr/" + std::string(kCase2) + ".nii.gz");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(list_files(target), expected);
  EXPECT_EQ(list_files(raw.path()).size(), expected.size()) << "nothing beside the dataset folder";

  const char* suffixes[] = {"t1", "t1ce", "t2", "flair"};
  for (const char* id : {kCase1, kCase2}) {
    for (int c = 0; c < 4; ++c) {
      EXPECT_EQ(read_file(src / id / (std::string(id) + "_" + suffixes[c] + ".nii.gz")),
                read_file(target / "imagesTr" / (std::string(id) + "_000" + std::to_string(c) + ".nii.gz")))
          << id << " channel " << c;
    }
    expect_converted_label(src / id / (std::string(id) + "_seg.nii.gz"),
                           target / "labelsTr" / (std::string(id) + ".nii.gz"));
  }
  DatasetSpec spec = load_dataset_spec(target);
  EXPECT_EQ(spec.num_training, 2);
  EXPECT_EQ(spec.name, "BraTS2020");
  EXPECT_EQ(read_file(target / "dataset.json").find("\"channel_names\""), 6u);
}

TEST(ConvertBrats, NiiInputsAndOtherLabelTypesAreAccepted) {
  for (PixelType seg_type : {PixelType::kInt16, PixelType::kFloat32, PixelType::kFloat64}) {
    TempDir src, raw;
    BratsCaseOptions o = case_options();
    o.extension = ".nii";
    o.image_type = PixelType::kFloat32;
    o.seg_type = seg_type;
    write_brats_case(src.path(), kCase1, o);
    fs::path target = raw / "Dataset082_BraTS2020";
    convert(src.path(), target);
    Image in = read_nifti(src / kCase1 / (std::string(kCase1) + "_t2.nii"));
    Image out = read_nifti(target / "imagesTr" / (std::string(kCase1) + "_0002.nii.gz"));
    EXPECT_EQ(out.type, in.type);
    EXPECT_EQ(out.shape, in.shape);
    EXPECT_TRUE(out.geometry == in.geometry);
    EXPECT_EQ(out.bytes, in.bytes);
    expect_converted_label(src / kCase1 / (std::string(kCase1) + "_seg.nii"),
                           target / "labelsTr" / (std::string(kCase1) + ".nii.gz"));
  }
}

TEST(ConvertBrats, BadLabelsNameCaseFileAndValue) {
  for (double bad : {3.0, 5.0, 2.5}) {
    TempDir src, raw;
    write_training_folder(src.path());
    fs::path seg = src / kCase2 / (std::string(kCase2) + "_seg.nii.gz");
    Image label = read_nifti(seg);
    Image f = Image::from_values<float>(label.values_as<float>(), label.shape, label.geometry);
    f.data<float>()[7] = static_cast<float>(bad);
    write_nifti(seg, f);
    auto r = run_nnseg({"convert-brats", src.path().string(), "-np", "2"}, {"nnUNet_raw=" + raw.path().string()});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(seg.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("case " + std::string(kCase2)), std::string::npos) << r.err;
    std::ostringstream value;
    value << "unexpected label value(s) " << bad;
    EXPECT_NE(r.err.find(value.str()), std::string::npos) << r.err;
    // Nothing is left behind: no dataset folder, no temporary folder.
    EXPECT_TRUE(fs::is_empty(raw.path())) << list_files(raw.path()).size();
  }
}

TEST(ConvertBrats, MissingChannelNamesCaseAndFile) {
  TempDir src, raw;
  write_training_folder(src.path());
  fs::remove(src / kCase2 / (std::string(kCase2) + "_t1ce.nii.gz"));
  try {
    convert(src.path(), raw / "Dataset082_BraTS2020");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), (src / kCase2).string());
    EXPECT_NE(std::string(e.what()).find("case " + std::string(kCase2) + ": missing " + kCase2 + "_t1ce.nii.gz"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_empty(raw.path()));
}

TEST(ConvertBrats, MisnamedSegIsUsedWithAWarning) {
  TempDir src, raw;
  write_training_folder(src.path());
  fs::path case_dir = src / kCase2;
  fs::rename(case_dir / (std::string(kCase2) + "_seg.nii.gz"), case_dir / "W39_1998.09.19_Segm.nii.gz");
  std::vector<std::string> warnings;
  LogSink old = set_log_sink([&](LogLevel level, const std::string& m) {
    if (level == LogLevel::kWarning) warnings.push_back(m);
  });
  convert(src.path(), raw / "Dataset082_BraTS2020");
  set_log_sink(old);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("W39_1998.09.19_Segm.nii.gz"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find(kCase2), std::string::npos) << warnings[0];
  expect_converted_label(case_dir / "W39_1998.09.19_Segm.nii.gz",
                         raw / "Dataset082_BraTS2020" / "labelsTr" / (std::string(kCase2) + ".nii.gz"));

  // Two candidates: no guess.
  std::ofstream(case_dir / "other.nii") << "x";
  try {
    find_brats_case_files(case_dir, true);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("missing " + std::string(kCase2) + "_seg.nii.gz"), std::string::npos) << what;
    EXPECT_NE(what.find("other.nii"), std::string::npos) << what;
    EXPECT_NE(what.find("W39_1998.09.19_Segm.nii.gz"), std::string::npos) << what;
  }
  // Validation cases need no label.
  EXPECT_FALSE(find_brats_case_files(case_dir, false).seg.has_value());
}

TEST(ConvertBrats, ValidationCasesGoToImagesTs) {
  TempDir src, val, raw;
  write_training_folder(src.path());
  BratsCaseOptions o = case_options(7);
  o.with_seg = false;
  write_brats_case(val.path(), "BraTS20_Validation_007", o);
  std::ofstream(val / "survival_evaluation.csv") << "x\n";
  fs::path target = raw / "Dataset082_BraTS2020";
  ConvertBratsResult r = convert(src.path(), target, val.path());
  EXPECT_EQ(r.num_test, 1);
  EXPECT_EQ(read_file(val / "BraTS20_Validation_007" / "BraTS20_Validation_007_flair.nii.gz"),
            read_file(target / "imagesTs" / "BraTS20_Validation_007_0003.nii.gz"));
  EXPECT_EQ(list_files(target / "imagesTs").size(), 4u);
  EXPECT_EQ(list_files(target / "labelsTr").size(), 2u);
  EXPECT_EQ(load_dataset_spec(target).test.size(), 1u);
}

TEST(ConvertBrats, LabelledTestCasesGetLabelsTsNotLabelsTr) {
  TempDir src, val, raw;
  write_training_folder(src.path());
  write_brats_case(val.path(), "BraTS20_Training_101", case_options(9));  // held-out case with its seg
  fs::path target = raw / "Dataset082_BraTS2020";
  convert(src.path(), target, val.path());
  EXPECT_EQ(list_files(target / "labelsTr").size(), 2u);
  ASSERT_EQ(list_files(target / "labelsTs").size(), 1u);
  EXPECT_TRUE(fs::exists(target / "labelsTs" / "BraTS20_Training_101.nii.gz"));
  EXPECT_FALSE(fs::exists(target / "labelsTr" / "BraTS20_Training_101.nii.gz"));
}

TEST(ConvertBrats, CliConvertsThenVerifies) {
  TempDir src, val, raw;
  write_training_folder(src.path());
  BratsCaseOptions o = case_options(9);
  o.with_seg = false;
  write_brats_case(val.path(), "BraTS20_Validation_001", o);
  auto r = run_nnseg({"convert-brats", src.path().string(), "--test", val.path().string(), "-np", "2"},
                     {"nnUNet_raw=" + raw.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 training case(s)"), std::string::npos) << r.out;
  r = run_nnseg({"verify", "-d", "82"}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verify: OK"), std::string::npos) << r.out;

  // -d and --name pick the folder name.
  r = run_nnseg({"convert-brats", src.path().string(), "-d", "7", "--name", "Mine", "--raw", raw.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(raw / "Dataset007_Mine" / "dataset.json"));
  EXPECT_EQ(load_dataset_spec(raw / "Dataset007_Mine").name, "Mine");
  // A second dataset with the same id is written, with a warning that -d 7 is now ambiguous.
  r = run_nnseg({"convert-brats", src.path().string(), "-d", "Dataset007_Other", "--raw", raw.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: -d 7 will not resolve to one folder"), std::string::npos) << r.err;
}

TEST(ConvertBrats, ExistingTargetIsKeptUnlessOverwrite) {
  TempDir src, raw;
  write_training_folder(src.path());
  fs::path target = raw / "Dataset082_BraTS2020";
  fs::create_directories(target);
  std::ofstream(target / "marker") << "keep me";
  auto r = run_nnseg({"convert-brats", src.path().string()}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nnseg: error: " + target.string() + ": already exists"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(list_files(raw.path()), std::vector<std::string>{"Dataset082_BraTS2020/marker"});

  r = run_nnseg({"convert-brats", src.path().string(), "--overwrite"}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(target / "marker"));
  EXPECT_TRUE(fs::exists(target / "dataset.json"));
  EXPECT_EQ(list_files(raw.path()).size(), 11u) << "no temporary or old folder left";

  // A --overwrite run that fails half-way (bad label in the second case) keeps the previous dataset.
  fs::path seg = src / kCase2 / (std::string(kCase2) + "_seg.nii.gz");
  Image label = read_nifti(seg);
  label.data<uint8_t>()[0] = 3;
  write_nifti(seg, label);
  r = run_nnseg({"convert-brats", src.path().string(), "--overwrite"}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unexpected label value(s) 3"), std::string::npos) << r.err;
  EXPECT_EQ(list_files(raw.path()).size(), 11u);
  EXPECT_EQ(std::distance(fs::directory_iterator(raw.path()), fs::directory_iterator()), 1);
}

TEST(ConvertBrats, CliBadInputs) {
  TempDir src, raw;
  write_training_folder(src.path());
  auto r = run_nnseg({"convert-brats", src.path().string()}, {"nnUNet_raw=", "nnUNet_raw_data_base="});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nnseg: error: nnUNet_raw:"), std::string::npos) << r.err;
  r = run_nnseg({"convert-brats", (src / "nope").string()}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((src / "nope").string() + ": not a folder"), std::string::npos) << r.err;
  TempDir empty;
  r = run_nnseg({"convert-brats", empty.path().string()}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no case folders"), std::string::npos) << r.err;
  r = run_nnseg({"convert-brats", src.path().string(), "-d", "1000"}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("1000"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(raw.path()));
}

TEST(ConvertBrats, BackConversionCli) {
  TempDir in, out;
  Geometry g = odd_geometry();
  Image a = row({0, 1, 2, 3, 5, 255});
  a.geometry = g;
  write_nifti(in / "a.nii.gz", a);
  Image b = row({3, 2, 1, 0}, PixelType::kInt16);
  write_nifti(in / "b.nii.gz", b);
  std::ofstream(in / "notes.txt") << "ignored";
  auto r = run_nnseg({"convert-brats-back", in.path().string(), (out / "brats").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(list_files(out.path()), (std::vector<std::string>{"brats/a.nii.gz", "brats/b.nii.gz"}));
  Image ra = read_nifti(out / "brats" / "a.nii.gz");
  EXPECT_EQ(ra.type, PixelType::kUInt8);
  EXPECT_TRUE(ra.geometry == read_nifti(in / "a.nii.gz").geometry);
  EXPECT_EQ(ra.values_as<int>(), (std::vector<int>{0, 2, 1, 4, 0, 0}));
  EXPECT_EQ(read_nifti(out / "brats" / "b.nii.gz").values_as<int>(), (std::vector<int>{4, 1, 2, 0}));

  r = run_nnseg({"convert-brats-back", in.path().string(), in.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("output folder is the input folder"), std::string::npos) << r.err;
  r = run_nnseg({"convert-brats-back", (out / "empty").string(), (out / "x").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((out / "empty").string() + ": not a folder"), std::string::npos) << r.err;
  fs::create_directories(out / "empty");
  r = run_nnseg({"convert-brats-back", (out / "empty").string(), (out / "x").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no .nii.gz files"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nnseg
