// Tests of `nnseg synth-brats` through the binary: layout, NIfTI headers, name mapping CSV, byte-identical
// output for the same seed (whatever -np), preview PNG, and bad input (exit 2 naming the flag or folder).
#include "synth/synth_brats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "io/atomic_write.h"
#include "io/nifti.h"
#include "testing/temp_dir.h"

namespace nnseg::synth {
namespace {

using nnseg::testing::list_files;
using nnseg::testing::run_command;
using nnseg::testing::run_nnseg;
using nnseg::testing::TempDir;

std::vector<std::string> case_files(const std::string& name, bool seg) {
  std::vector<std::string> files;
  for (const char* s : {"flair", "seg", "t1", "t1ce", "t2"}) {
    if (std::string(s) == "seg" && !seg) continue;
    files.push_back(name + "/" + name + "_" + s + ".nii.gz");
  }
  return files;
}

TEST(SynthBratsCli, WritesBratsLayoutAndSameSeedGivesSameBytes) {
  TempDir tmp;
  const auto a = tmp / "a", b = tmp / "b", c = tmp / "c";
  auto r = run_nnseg({"synth-brats", a.string(), "--cases", "2", "--spacing", "3", "--seed", "7", "-np", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_nnseg({"synth-brats", b.string(), "--cases", "2", "--spacing", "3", "--seed", "7", "-np", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_nnseg({"synth-brats", c.string(), "--cases", "2", "--spacing", "3", "--seed", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::vector<std::string> expected = case_files("BraTS20_Training_001", true);
  for (const auto& f : case_files("BraTS20_Training_002", true)) expected.push_back(f);
  expected.push_back("name_mapping.csv");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(list_files(a), expected);
  EXPECT_EQ(list_files(b), expected);
  for (const auto& f : expected) {
    EXPECT_EQ(read_file(a / f), read_file(b / f)) << f << " differs between -np 1 and -np 2";
    if (f.find(".nii.gz") != std::string::npos) {
      EXPECT_NE(read_file(a / f), read_file(c / f)) << f;
    }
  }

  // Headers as BraTS: int16 images, uint8 labels, identity direction, spacing 3, centred origin.
  const Image t1 = read_nifti(a / "BraTS20_Training_001/BraTS20_Training_001_t1.nii.gz");
  const Image seg = read_nifti(a / "BraTS20_Training_001/BraTS20_Training_001_seg.nii.gz");
  EXPECT_EQ(t1.type, PixelType::kInt16);
  EXPECT_EQ(seg.type, PixelType::kUInt8);
  for (const Image* im : {&t1, &seg}) {
    EXPECT_EQ(im->shape, (std::array<int64_t, 3>{52, 80, 80}));
    EXPECT_EQ(im->geometry.spacing, (std::array<double, 3>{3, 3, 3}));
    EXPECT_EQ(im->geometry.origin, (std::array<double, 3>{1, -238, 0.5}));
    EXPECT_EQ(im->geometry.direction, (std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  }
  const std::string csv = read_file(a / "name_mapping.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "Grade,BraTS_2017_subject_ID,BraTS_2018_subject_ID,TCGA_TCIA_subject_ID,BraTS_2019_subject_ID,"
            "BraTS_2020_subject_ID");
  EXPECT_NE(csv.find(",NA,NA,NA,NA,BraTS20_Training_001\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",NA,NA,NA,NA,BraTS20_Training_002\n"), std::string::npos) << csv;
  const std::string grade1 = case_has_enhancing(7, 1) ? "HGG" : "LGG";
  EXPECT_NE(csv.find(grade1 + ",NA,NA,NA,NA,BraTS20_Training_001"), std::string::npos) << csv;
}

TEST(SynthBratsCli, NiftiAffineMatchesBratsForNibabel) {
  if (run_command({"/usr/bin/python3", "-c", "import nibabel"}).exit_code != 0) {
    GTEST_SKIP() << "python3 with nibabel not available";
  }
  TempDir tmp;
  auto r = run_nnseg({"synth-brats", tmp.path().string(), "--cases", "1", "--spacing", "2", "--anatomy", "procedural"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto file = tmp / "BraTS20_Training_001/BraTS20_Training_001_flair.nii.gz";
  r = run_command({"/usr/bin/python3", "-c",
                   "import sys, nibabel as nib, numpy as np\n"
                   "im = nib.load(sys.argv[1])\n"
                   "print(im.shape, im.get_data_dtype(), np.round(im.affine, 3).tolist())\n",
                   file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // BraTS's affine diag(-1, -1, 1) with translation (0, 239, 0), here for the 2 mm grid (origin shifted by 0.5).
  EXPECT_EQ(r.out,
            "(120, 120, 78) int16 [[-2.0, 0.0, 0.0, -0.5], [0.0, -2.0, 0.0, 238.5], [0.0, 0.0, 2.0, 0.0], "
            "[0.0, 0.0, 0.0, 1.0]]\n");
}

TEST(SynthBratsCli, ValidationLayoutWithoutSeg) {
  TempDir tmp;
  auto r = run_nnseg({"synth-brats", tmp.path().string(), "--cases", "1", "--first-id", "42", "--no-seg", "--spacing",
                      "3", "--anatomy", "procedural"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> expected = case_files("BraTS20_Validation_042", false);
  expected.push_back("name_mapping_validation_data.csv");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(list_files(tmp.path()), expected);
  EXPECT_EQ(read_file(tmp / "name_mapping_validation_data.csv"),
            "BraTS_2017_subject_ID,BraTS_2018_subject_ID,BraTS_2019_subject_ID,BraTS_2020_subject_ID\n"
            "NA,NA,NA,BraTS20_Validation_042\n");
}

TEST(SynthBratsCli, RefusesNonEmptyCaseFolderUnlessOverwrite) {
  TempDir tmp;
  const auto dir = tmp / "BraTS20_Training_003";
  fs::create_directories(dir);
  write_file_atomically(dir / "old.txt", "x");
  auto r = run_nnseg({"synth-brats", tmp.path().string(), "--cases", "1", "--first-id", "3", "--spacing", "3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(dir.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "old.txt"));
  r = run_nnseg(
      {"synth-brats", tmp.path().string(), "--cases", "1", "--first-id", "3", "--spacing", "3", "--overwrite"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / "old.txt"));
  EXPECT_EQ(list_files(dir).size(), 5u);
  // An empty existing folder is fine; adding cases keeps the earlier rows of name_mapping.csv.
  fs::create_directories(tmp / "BraTS20_Training_004");
  r = run_nnseg({"synth-brats", tmp.path().string(), "--cases", "1", "--first-id", "4", "--spacing", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(tmp / "name_mapping.csv");
  EXPECT_NE(csv.find("BraTS20_Training_003\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("BraTS20_Training_004\n"), std::string::npos) << csv;
  // No temporary folders left behind.
  for (const auto& f : list_files(tmp.path())) EXPECT_EQ(f.find(".tmp-"), std::string::npos) << f;
}

TEST(SynthBratsCli, BadFlagValuesExitTwoNamingFlagAndValue) {
  TempDir tmp;
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--spacing", "4"}, "--spacing"},      {{"--spacing", "abc"}, "--spacing"},
      {{"--spacing", "1.5"}, "--spacing"},    {{"--cases", "0"}, "--cases"},
      {{"--first-id", "1000"}, "--first-id"}, {{"--seed", "-3"}, "--seed"},
      {{"--anatomy", "atlas"}, "--anatomy"},  {{"--preview", "x.jpg"}, "--preview"},
  };
  for (const auto& [flags, name] : bad) {
    std::vector<std::string> args{"synth-brats", (tmp / "out").string()};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto r = run_nnseg(args);
    EXPECT_EQ(r.exit_code, 2) << flags[0] << " " << flags[1];
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(flags[1]), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(tmp / "out"));
  // Ids beyond 999 do not fit BraTS's three digits.
  const auto r = run_nnseg({"synth-brats", (tmp / "out").string(), "--cases", "5", "--first-id", "998"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("999"), std::string::npos) << r.err;
}

TEST(SynthBratsCli, PreviewPng) {
  TempDir tmp;
  const auto png = tmp / "preview.png";
  auto r =
      run_nnseg({"synth-brats", (tmp / "out").string(), "--cases", "1", "--spacing", "3", "--preview", png.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string bytes = read_file(png);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST(SynthBratsCli, FullSizeCase) {
  TempDir tmp;
  auto r = run_nnseg({"synth-brats", tmp.path().string(), "--cases", "1", "--seed", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Image t2 = read_nifti(tmp / "BraTS20_Training_001/BraTS20_Training_001_t2.nii.gz");
  EXPECT_EQ(t2.size_xyz(), (std::array<int64_t, 3>{240, 240, 155}));
  EXPECT_EQ(t2.geometry.origin, (std::array<double, 3>{0, -239, 0}));
  EXPECT_EQ(t2.geometry.spacing, (std::array<double, 3>{1, 1, 1}));
  // The brain sits inside the field of view with a margin above the vertex, like BraTS.
  const int16_t* v = t2.data<int16_t>();
  int64_t top = -1;
  for (int64_t i = 0; i < t2.numel(); ++i) {
    if (v[i] != 0) top = std::max(top, i / (240 * 240));
  }
  EXPECT_GT(top, 120);
  EXPECT_LT(top, 154);
}

}  // namespace
}  // namespace nnseg::synth
