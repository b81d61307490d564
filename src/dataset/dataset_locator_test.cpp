// Dataset id resolution (dataset/dataset_locator.h, data-formats.md §4.3): every -d form, v1 folders, the v1
// base variable, no match / several matches, and the missing-variable error (library and binary).
#include "dataset/dataset_locator.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::run_nnseg;
using testing::TempDir;

std::string error_of(const Paths& paths, const std::string& text) {
  try {
    find_raw_dataset(paths, text);
  } catch (const InputError& e) {
    return format_error(e);
  }
  return "";
}

TEST(DatasetLocator, ParsesEveryIdForm) {
  for (const char* text : {"82", "082", "Dataset082_BraTS2020", "Task082_BraTS2020"}) {
    DatasetRef ref = parse_dataset_ref(text);
    EXPECT_EQ(ref.id, 82) << text;
  }
  EXPECT_EQ(parse_dataset_ref("Task082_BraTS2020").name, "BraTS2020");
  EXPECT_EQ(parse_dataset_ref("Dataset001_a_b").name, "a_b");
  EXPECT_EQ(parse_dataset_ref("82").name, "");
  for (const char* bad : {"0", "1000", "abc", "Dataset82_x", "Dataset082", "Task082_", "-5", ""}) {
    try {
      parse_dataset_ref(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(e.item(), bad);
    }
  }
  EXPECT_EQ(dataset_folder_name(82, "BraTS2020"), "Dataset082_BraTS2020");
  EXPECT_EQ(dataset_folder_name(5, "X"), "Dataset005_X");
}

TEST(DatasetLocator, ResolvesEveryFormToOneRawFolder) {
  TempDir raw;
  fs::create_directories(raw / "Dataset082_BraTS2020");
  fs::create_directories(raw / "Task083_Old");
  Paths paths;
  paths.raw = raw.path();
  for (const char* text : {"82", "082", "Dataset082_BraTS2020", "Task082_BraTS2020"}) {
    EXPECT_EQ(find_raw_dataset(paths, text), raw / "Dataset082_BraTS2020") << text;
  }
  for (const char* text : {"83", "Task083_Old", "Dataset083_Old"}) {
    EXPECT_EQ(find_raw_dataset(paths, text), raw / "Task083_Old") << text;
  }
  EXPECT_EQ(dataset_output_name(raw / "Task083_Old"), "Dataset083_Old");
  EXPECT_EQ(dataset_output_name(raw / "Dataset082_BraTS2020"), "Dataset082_BraTS2020");
  EXPECT_THROW(dataset_output_name(raw / "BraTS"), InputError);
}

TEST(DatasetLocator, V1BaseVariableIsSearchedOnlyWithoutNnUNetRaw) {
  TempDir base, raw;
  fs::create_directories(base / "nnUNet_raw_data" / "Task084_V1");
  Paths paths;
  paths.raw_v1_base = base.path();
  for (const char* text : {"84", "Task084_V1", "Dataset084_V1"}) {
    EXPECT_EQ(find_raw_dataset(paths, text), base / "nnUNet_raw_data" / "Task084_V1") << text;
  }
  paths.raw = raw.path();
  std::string e = error_of(paths, "84");
  EXPECT_NE(e.find("no raw dataset found"), std::string::npos) << e;
  EXPECT_NE(e.find((raw / "Dataset084_*").string()), std::string::npos) << e;
  EXPECT_NE(e.find((raw / "Task084_*").string()), std::string::npos) << e;
}

TEST(DatasetLocator, MissingVariableNoMatchAndSeveralMatches) {
  std::string e = error_of(Paths{}, "82");
  EXPECT_NE(e.find("nnUNet_raw"), std::string::npos) << e;

  TempDir raw;
  fs::create_directories(raw / "Dataset085_A");
  fs::create_directories(raw / "Task085_B");
  fs::create_directories(raw / "Dataset0850_C");
  std::ofstream(raw / "Dataset086_file") << "not a folder";
  Paths paths;
  paths.raw = raw.path();
  e = error_of(paths, "85");
  EXPECT_NE(e.find("more than one"), std::string::npos) << e;
  EXPECT_NE(e.find((raw / "Dataset085_A").string()), std::string::npos) << e;
  EXPECT_NE(e.find((raw / "Task085_B").string()), std::string::npos) << e;
  // A full name picks one of them.
  EXPECT_EQ(find_raw_dataset(paths, "Task085_A"), raw / "Dataset085_A");
  EXPECT_EQ(find_raw_dataset(paths, "Dataset085_B"), raw / "Task085_B");
  // Same id and name as Dataset and Task folder: the exact name decides; the number alone is ambiguous.
  fs::create_directories(raw / "Task085_A");
  EXPECT_EQ(find_raw_dataset(paths, "Task085_A"), raw / "Task085_A");
  EXPECT_EQ(find_raw_dataset(paths, "Dataset085_A"), raw / "Dataset085_A");
  // No match: names what was searched; a file is no dataset; a wrong name does not match.
  e = error_of(paths, "86");
  EXPECT_NE(e.find("no raw dataset found"), std::string::npos) << e;
  EXPECT_NE(e.find((raw / "Dataset086_*").string()), std::string::npos) << e;
  e = error_of(paths, "Dataset085_Z");
  EXPECT_NE(e.find("named Z"), std::string::npos) << e;
  paths.raw = raw / "nowhere";
  e = error_of(paths, "85");
  EXPECT_NE(e.find("is no folder"), std::string::npos) << e;
}

// The binary resolves -d from the environment (and --raw) the same way.
TEST(DatasetLocator, CliResolvesFromTheEnvironment) {
  TempDir raw, base;
  testing::write_raw_dataset(raw / "Dataset082_BraTS2020", {"c1"});
  testing::write_raw_dataset(base / "nnUNet_raw_data" / "Task083_V1", {"c1"});
  for (const char* text : {"82", "082", "Dataset082_BraTS2020", "Task082_BraTS2020"}) {
    auto r =
        run_nnseg({"verify", "-d", text, "-np", "1"}, {"nnUNet_raw=" + raw.path().string(), "nnUNet_raw_data_base="});
    EXPECT_EQ(r.exit_code, 0) << text << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("OK"), std::string::npos);
  }
  auto r = run_nnseg({"verify", "-d", "83"}, {"nnUNet_raw=", "nnUNet_raw_data_base=" + base.path().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_nnseg({"verify", "-d", "82", "--raw", raw.path().string()}, {"nnUNet_raw=", "nnUNet_raw_data_base="});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  r = run_nnseg({"verify", "-d", "82"}, {"nnUNet_raw=", "nnUNet_raw_data_base="});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nnseg: error: nnUNet_raw:"), std::string::npos) << r.err;
  r = run_nnseg({"verify", "-d", "99"}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Dataset099_*"), std::string::npos) << r.err;
  r = run_nnseg({"verify", "-d", "banana"}, {"nnUNet_raw=" + raw.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("banana"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nnseg
