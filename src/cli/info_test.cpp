// `nnseg info` through the binary: text and JSON output, statistics after NIfTI scaling, and unreadable files
// reported without stopping the others (exit status 2, contract's error line).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "io/nifti.h"
#include "io/nifti_header_test_util.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using nlohmann::json;
using testing::run_nnseg;
using testing::TempDir;

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  return lines;
}

// x=5, y=4, z=3 int16 image with voxel values -10..49 and a non-trivial geometry.
fs::path write_ramp(const TempDir& dir, const std::string& name) {
  Geometry g;
  g.spacing = {0.5, 1.25, 3.0};
  g.origin = {-1.5, 239.25, 17.0};
  g.direction = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  std::vector<int> values(60);
  for (int i = 0; i < 60; ++i) values[i] = i - 10;
  const fs::path path = dir / name;
  write_nifti(path, Image::from_values<int16_t>(values, {3, 4, 5}, g));
  return path;
}

TEST(InfoCommand, JsonReportsGeometryAndStatistics) {
  TempDir dir;
  const fs::path path = write_ramp(dir, "ramp.nii.gz");
  auto r = run_nnseg({"info", "--json", path.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  const json& j = lines[0];
  const Image image = read_nifti(path);
  EXPECT_EQ(j["path"], path.string());
  EXPECT_EQ(j["size"], json({5, 4, 3}));
  EXPECT_EQ(j["spacing"].get<std::vector<double>>(),
            std::vector<double>(image.geometry.spacing.begin(), image.geometry.spacing.end()));
  EXPECT_EQ(j["origin"].get<std::vector<double>>(),
            std::vector<double>(image.geometry.origin.begin(), image.geometry.origin.end()));
  EXPECT_EQ(j["direction"], json({0, 1, 0, -1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(j["pixel_type"], "int16");
  EXPECT_EQ(j["min"], -10);
  EXPECT_EQ(j["max"], 49);
  EXPECT_EQ(j["sum"], 1170);  // sum(-10..49) = 60 * 39 / 2
  EXPECT_DOUBLE_EQ(j["mean"].get<double>(), 19.5);
  EXPECT_NEAR(j["origin"][1].get<double>(), 239.25, 1e-6);
}

TEST(InfoCommand, StatisticsAreAfterScaling) {
  TempDir dir;
  auto h = testing::RawNiftiHeader::make(2, 2, 1);
  h.scl_slope = 2;
  h.scl_inter = 10;
  testing::write_raw_nifti(dir / "s.nii", h, testing::raw_bytes(std::vector<int16_t>{-3, 0, 1, 6}));
  auto r = run_nnseg({"info", "--json", (dir / "s.nii").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json_lines(r.out).at(0);
  EXPECT_EQ(j["pixel_type"], "float32");
  EXPECT_EQ(j["min"].get<double>(), 4.0);
  EXPECT_EQ(j["max"].get<double>(), 22.0);
  EXPECT_EQ(j["sum"].get<double>(), 2.0 * 4 + 4 * 10);
  EXPECT_EQ(j["mean"].get<double>(), 12.0);
  EXPECT_EQ(j["size"], json({2, 2, 1}));
}

TEST(InfoCommand, TrailingSingletonDimensionIsDropped) {
  TempDir dir;
  auto h = testing::RawNiftiHeader::make(3, 2, 2);
  h.dim = {4, 3, 2, 2, 1, 1, 1, 1};
  testing::write_raw_nifti(dir / "t.nii.gz", h, std::string(24, '\0'));
  auto r = run_nnseg({"info", "--json", (dir / "t.nii.gz").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_lines(r.out).at(0)["size"], json({3, 2, 2}));
}

TEST(InfoCommand, TextOutput) {
  TempDir dir;
  const fs::path path = write_ramp(dir, "ramp.nii");
  auto r = run_nnseg({"info", path.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(path.string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("5 x 4 x 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("spacing:    0.5 1.25 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("direction:  0 1 0 -1 0 0 0 0 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("int16"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("min -10  max 49  mean 19.5  sum 1170"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(InfoCommand, UnreadableFilesAreReportedAndOthersStillShown) {
  TempDir dir;
  const fs::path good = write_ramp(dir, "good.nii.gz");
  const fs::path missing = dir / "missing.nii.gz";
  const fs::path text = dir / "text.nii.gz";
  testing::write_bytes(text, "not an image\n");
  auto r = run_nnseg({"info", "--json", missing.string(), good.string(), text.string()});
  EXPECT_EQ(r.exit_code, 2);
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0]["path"], missing.string());
  EXPECT_NE(lines[0]["error"].get<std::string>().find("not found"), std::string::npos);
  EXPECT_FALSE(lines[0].contains("size"));
  EXPECT_EQ(lines[1]["path"], good.string());
  EXPECT_EQ(lines[1]["max"], 49);
  EXPECT_EQ(lines[2]["path"], text.string());
  EXPECT_NE(lines[2]["error"].get<std::string>().find("too short"), std::string::npos);
  EXPECT_NE(r.err.find("nnseg: error: " + missing.string() + ": file not found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nnseg: error: " + text.string() + ": "), std::string::npos) << r.err;

  auto t = run_nnseg({"info", good.string(), missing.string()});
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.out.find("max 49"), std::string::npos) << t.out;
  EXPECT_NE(t.err.find("nnseg: error: " + missing.string() + ": file not found"), std::string::npos) << t.err;
}

TEST(InfoCommand, NoFileIsUsageError) {
  auto r = run_nnseg({"info"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nnseg: error:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nnseg
