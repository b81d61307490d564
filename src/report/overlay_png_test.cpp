// Tests for the overlay PNG: slice choice, 4-neighbour boundaries, radiological orientation, windowing, the PNG's
// size and colours, bad inputs, and `nnseg overlay` on tiny synthetic NIfTIs.
#include "report/overlay_png.h"

#include <cairo.h>
#include <gtest/gtest.h>

#include <memory>

#include "core/error.h"
#include "io/atomic_write.h"
#include "report/png_test_util.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg::report {
namespace {

// A uint8 label volume with `label` in the box [z0, z1) x [y0, y1) x [x0, x1).
void fill_box(Image& img, uint8_t label, std::array<int64_t, 3> lo, std::array<int64_t, 3> hi) {
  uint8_t* p = img.data<uint8_t>();
  for (int64_t z = lo[0]; z < hi[0]; ++z) {
    for (int64_t y = lo[1]; y < hi[1]; ++y) {
      for (int64_t x = lo[2]; x < hi[2]; ++x) p[img.index(z, y, x)] = label;
    }
  }
}

Image labels(std::array<int64_t, 3> shape, Geometry g = {}) { return Image(PixelType::kUInt8, shape, g); }

// The pixels of a ring: rows [r0, r1) x cols [c0, c1) without its interior, sorted.
std::vector<DisplayPixel> ring(int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  std::vector<DisplayPixel> out;
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t c = c0; c < c1; ++c) {
      if (r == r0 || r == r1 - 1 || c == c0 || c == c1 - 1) out.push_back({r, c});
    }
  }
  return out;
}

// A case on a 6 x 20 x 24 grid: brain-like channels, a reference with WT (label 1) in rows 4..13, cols 5..16 of
// slice 3 and TC/ET inside it, a prediction shifted by 2 columns.
OverlayInputs small_case(Geometry g = {}) {
  const std::array<int64_t, 3> shape{6, 20, 24};
  OverlayInputs in;
  in.case_id = "case_007";
  in.flair = {testing::make_channel_image(shape, 3, PixelType::kFloat32, g), "flair.nii.gz"};
  in.t1ce = {testing::make_channel_image(shape, 1, PixelType::kInt16, g), "t1ce.nii.gz"};
  Image ref = labels(shape, g);
  fill_box(ref, 1, {2, 4, 5}, {5, 14, 17});  // slices 2-4, area 120 each
  fill_box(ref, 1, {3, 3, 5}, {4, 4, 17});   // slice 3 one row larger
  fill_box(ref, 2, {3, 6, 8}, {4, 12, 14});
  fill_box(ref, 3, {3, 8, 10}, {4, 10, 12});
  Image pred = labels(shape, g);
  fill_box(pred, 1, {3, 4, 7}, {4, 14, 19});
  fill_box(pred, 3, {3, 8, 12}, {4, 10, 14});
  in.reference = OverlayVolume{ref, "ref.nii.gz"};
  in.prediction = {pred, "pred.nii.gz"};
  return in;
}

TEST(OverlayBoundary, SquareGivesItsRingOnly) {
  DisplayMask m{7, 6, std::vector<uint8_t>(42, 0)};
  for (int64_t r = 1; r < 5; ++r) {
    for (int64_t c = 2; c < 6; ++c) m.on[static_cast<size_t>(r * 7 + c)] = 1;
  }
  EXPECT_EQ(boundary_pixels(m), ring(1, 5, 2, 6));  // 12 pixels; the 2 x 2 interior is not boundary
  EXPECT_EQ(boundary_pixels(m).size(), 12u);
}

TEST(OverlayBoundary, SliceEdgeCountsAsOutsideAndDiagonalsDoNot) {
  DisplayMask full{3, 3, std::vector<uint8_t>(9, 1)};
  EXPECT_EQ(boundary_pixels(full), ring(0, 3, 0, 3));  // all but the centre
  // A plus shape: the centre has its four 4-neighbours inside (its diagonals are outside) -> not boundary.
  DisplayMask plus{3, 3, {0, 1, 0, 1, 1, 1, 0, 1, 0}};
  EXPECT_EQ(boundary_pixels(plus), (std::vector<DisplayPixel>{{0, 1}, {1, 0}, {1, 2}, {2, 1}}));
  EXPECT_TRUE(boundary_pixels(DisplayMask{4, 2, std::vector<uint8_t>(8, 0)}).empty());
}

TEST(OverlaySlice, LargestReferenceAreaWins) {
  Image ref = labels({6, 8, 8});
  fill_box(ref, 1, {1, 0, 0}, {2, 2, 2});  // area 4
  fill_box(ref, 2, {4, 0, 0}, {5, 3, 3});  // area 9
  fill_box(ref, 3, {2, 5, 5}, {3, 7, 8});  // area 6
  Image pred = labels({6, 8, 8});
  fill_box(pred, 1, {0, 0, 0}, {1, 8, 8});  // larger, but the reference decides
  EXPECT_EQ(choose_overlay_slice(&ref, pred), std::make_pair(int64_t{4}, SliceSource::kReference));
}

TEST(OverlaySlice, PredictionWhenNoOrEmptyReference) {
  Image pred = labels({6, 8, 8});
  fill_box(pred, 3, {5, 1, 1}, {6, 3, 4});
  fill_box(pred, 1, {2, 1, 1}, {3, 2, 2});
  const auto expected = std::make_pair(int64_t{5}, SliceSource::kPrediction);
  EXPECT_EQ(choose_overlay_slice(nullptr, pred), expected);
  const Image empty_ref = labels({6, 8, 8});
  EXPECT_EQ(choose_overlay_slice(&empty_ref, pred), expected);
}

TEST(OverlaySlice, MiddleWhenBothEmptyAndLowestOnTies) {
  const Image empty = labels({7, 4, 4});
  EXPECT_EQ(choose_overlay_slice(&empty, empty), std::make_pair(int64_t{3}, SliceSource::kMiddle));
  Image ref = labels({7, 4, 4});
  fill_box(ref, 1, {2, 0, 0}, {3, 1, 2});
  fill_box(ref, 1, {5, 2, 2}, {6, 3, 4});
  EXPECT_EQ(choose_overlay_slice(&ref, empty).first, 2);
}

TEST(OverlayWindow, PercentilesOfNonzeroVoxels) {
  // 1000 nonzero values 1..1000 among 1000 zeros: the 0.5 / 99.5 percentiles (index floor(p * 999)) are 5 and 995.
  std::vector<float> v(2000, 0.0f);
  for (int i = 0; i < 1000; ++i) v[static_cast<size_t>(2 * i)] = static_cast<float>(1000 - i);
  const auto [lo, hi] = overlay_window(Image::from_values<float>(v, {10, 10, 20}));
  EXPECT_FLOAT_EQ(lo, 5.0f);
  EXPECT_FLOAT_EQ(hi, 995.0f);
}

TEST(OverlayOrientation, DirectionCosinesGiveRadiologicalView) {
  const DisplayOrientation id = radiological_orientation(Geometry{});
  EXPECT_TRUE(id.anatomical);
  EXPECT_FALSE(id.transpose || id.flip_rows || id.flip_cols);
  Geometry ras;  // the usual NIfTI RAS storage: x towards the right, y towards anterior
  ras.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
  const DisplayOrientation r = radiological_orientation(ras);
  EXPECT_TRUE(r.flip_rows && r.flip_cols && !r.transpose);
  Geometry swapped;  // x along P, y along L
  swapped.direction = {0, 1, 0, 1, 0, 0, 0, 0, 1};
  const DisplayOrientation s = radiological_orientation(swapped);
  EXPECT_TRUE(s.transpose && !s.flip_rows && !s.flip_cols);
  Geometry sagittal;  // x along S: not an axial slice
  sagittal.direction = {0, 0, 1, 0, 1, 0, 1, 0, 0};
  EXPECT_FALSE(radiological_orientation(sagittal).anatomical);
}

TEST(OverlayPlan, ContoursOfTheChosenSlice) {
  const OverlayPlan plan = plan_overlay(small_case());
  EXPECT_EQ(plan.slice, 3);
  EXPECT_EQ(plan.slice_source, SliceSource::kReference);
  EXPECT_EQ(plan.slice_width, 24);
  EXPECT_EQ(plan.slice_height, 20);
  EXPECT_EQ(plan.reference_contours.at(OverlayRegion::kWholeTumour), ring(3, 14, 5, 17));
  EXPECT_EQ(plan.reference_contours.at(OverlayRegion::kTumourCore), ring(6, 12, 8, 14));
  EXPECT_EQ(plan.reference_contours.at(OverlayRegion::kEnhancing), ring(8, 10, 10, 12));
  EXPECT_EQ(plan.prediction_contours.at(OverlayRegion::kWholeTumour), ring(4, 14, 7, 19));
  EXPECT_EQ(plan.prediction_contours.at(OverlayRegion::kTumourCore), ring(8, 10, 12, 14));  // ET is inside TC
  // 24 voxels wide: upscaled to at least 480 px per panel, whole pixels per voxel.
  EXPECT_EQ(plan.scale_col, 20.0);
  EXPECT_EQ(plan.scale_row, 20.0);
}

TEST(OverlayPlan, RasDirectionMirrorsTheContours) {
  Geometry ras;
  ras.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
  const OverlayPlan plan = plan_overlay(small_case(ras));
  // Rows 3..13 -> 19-13..19-3, columns 5..16 -> 23-16..23-5.
  EXPECT_EQ(plan.reference_contours.at(OverlayRegion::kWholeTumour), ring(6, 17, 7, 19));
}

TEST(OverlayPlan, AnisotropicSpacingKeepsMillimetresSquare) {
  Geometry g;
  g.spacing = {1.0, 2.0, 3.0};  // x, y, z
  const OverlayPlan plan = plan_overlay(small_case(g));
  EXPECT_DOUBLE_EQ(plan.scale_row, 2 * plan.scale_col);
}

using png_test::Picture;
using png_test::Pixel;

bool wt_colour(Pixel p) { return p.g > 200 && p.r > 120 && p.b < 80; }
bool tc_colour(Pixel p) { return p.r > 200 && p.g < 80 && p.b < 80; }
bool et_colour(Pixel p) { return p.b > 200 && p.g > 180 && p.r < 60; }

// Width and height from the PNG's IHDR chunk (bytes 16..23, big-endian).
std::pair<int, int> png_size(const fs::path& path) {
  const std::string bytes = read_file(path);
  EXPECT_GE(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  auto be32 = [&](size_t at) {
    int v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

TEST(OverlayPng, WritesPictureOfThePlannedSizeWithContours) {
  testing::TempDir dir;
  const OverlayInputs in = small_case();
  const OverlayPlan plan = write_overlay_png(in, dir / "case_007.png");
  EXPECT_EQ(testing::list_files(dir.path()), std::vector<std::string>{"case_007.png"});
  EXPECT_EQ(png_size(dir / "case_007.png"), std::make_pair(plan.png_width, plan.png_height));
  EXPECT_GT(plan.png_width, 2 * 480);
  Picture pic(dir / "case_007.png");
  ASSERT_TRUE(pic.ok());
  for (double x0 : plan.panel_x) {
    // The reference WT's left edge: column 5 in the 20-px-per-voxel panel, rows 3..13 (solid), and the
    // prediction's left edge at column 7 (dashed: both the colour and black along it).
    const int y0 = static_cast<int>(plan.panel_y), xr = static_cast<int>(x0) + 5 * 20,
              xp = static_cast<int>(x0) + 7 * 20;
    EXPECT_GT(pic.count(xr - 1, y0 + 4 * 20, xr + 2, y0 + 13 * 20, wt_colour), 9 * 20) << "solid reference WT";
    const int dashed = pic.count(xp - 1, y0 + 5 * 20, xp + 2, y0 + 13 * 20, wt_colour);
    EXPECT_GT(dashed, 40) << "dashed prediction WT";
    EXPECT_LT(dashed, 8 * 20 * 3 * 3 / 4) << "gaps in the dashed prediction";
    EXPECT_GT(pic.count(static_cast<int>(x0), y0, static_cast<int>(x0) + 24 * 20, y0 + 20 * 20, tc_colour), 100);
    EXPECT_GT(pic.count(static_cast<int>(x0), y0, static_cast<int>(x0) + 24 * 20, y0 + 20 * 20, et_colour), 100);
  }
  // The panels show grey brain (most of the 24 x 20 slice is inside the test ball); the title is white text.
  const int x0 = static_cast<int>(plan.panel_x[0]), y0 = static_cast<int>(plan.panel_y);
  EXPECT_GT(pic.count(x0, y0, x0 + 480, y0 + 400, [](Pixel p) { return p.r == p.g && p.g == p.b && p.r > 20; }),
            480 * 400 / 3);
  EXPECT_GT(pic.count(0, 0, plan.png_width, 40, [](Pixel p) { return p.r > 200 && p.g > 200 && p.b > 200; }), 50);
}

TEST(OverlayPng, SizeMismatchNamesTheFile) {
  OverlayInputs in = small_case();
  in.t1ce = {testing::make_channel_image({6, 20, 23}, 1), "/data/c_0001.nii.gz"};
  try {
    plan_overlay(in);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "/data/c_0001.nii.gz");
    EXPECT_NE(std::string(e.what()).find("[6, 20, 23]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("flair.nii.gz"), std::string::npos) << e.what();
  }
  in = small_case();
  in.reference->image = labels({6, 20, 25});
  EXPECT_THROW(plan_overlay(in), InputError);
}

TEST(OverlayPng, LabelOutsideNnunetSpaceNamesFileAndValue) {
  OverlayInputs in = small_case();
  fill_box(in.reference->image, 4, {1, 0, 0}, {2, 1, 1});  // a BraTS label
  try {
    plan_overlay(in);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "ref.nii.gz");
    EXPECT_NE(std::string(e.what()).find("label value 4"), std::string::npos) << e.what();
  }
}

// `nnseg overlay` on one raw case (imagesTr/case1_000c, labelsTr/case1) with the reference as prediction.
class OverlayCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RawCaseOptions o;
    o.shape_zyx = {6, 10, 12};
    testing::write_raw_case(dir_.path(), "case1", o);
    fs::create_directories(dir_ / "pred");
    fs::copy_file(dir_ / "labelsTr/case1.nii.gz", dir_ / "pred/case1.nii.gz");
  }
  std::string p(const std::string& rel) const { return (dir_ / rel).string(); }
  testing::TempDir dir_;
};

TEST_F(OverlayCli, WritesOnePngPerPrediction) {
  const auto r =
      testing::run_nnseg({"overlay", "-i", p("imagesTr"), "--pred", p("pred"), "--ref", p("labelsTr"), "-o", p("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::list_files(dir_ / "out"), std::vector<std::string>{"case1.png"});
  EXPECT_NE(r.out.find("case1.png (slice 2, largest reference tumour area)"), std::string::npos) << r.out;
  const auto [w, h] = png_size(dir_ / "out/case1.png");
  EXPECT_GT(w, 960);
  EXPECT_GT(h, 400);  // 10 x 12 voxels of 0.8 mm, 40 px each: 480 x 400 panels
}

TEST_F(OverlayCli, SummaryPutsDiceInTheTitle) {
  auto r = testing::run_nnseg(
      {"evaluate", "--ref", p("labelsTr"), "--pred", p("pred"), "--regions", "brats", "-o", p("summary.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = testing::run_nnseg({"overlay", "-i", p("imagesTr"), "--pred", p("pred"), "-o", p("out"), "--cases", "case1",
                          "--summary", p("summary.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("largest prediction tumour area, Dice WT 1.000 TC 1.000 ET 1.000"), std::string::npos) << r.out;
}

TEST_F(OverlayCli, MissingChannelIsExit2NamingTheFile) {
  fs::remove(dir_ / "imagesTr/case1_0003.nii.gz");
  const auto r = testing::run_nnseg({"overlay", "-i", p("imagesTr"), "--pred", p("pred"), "-o", p("out")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(p("imagesTr/case1_0003.nii.gz")), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out/case1.png"));
}

TEST_F(OverlayCli, UnknownCaseAndMissingReferenceAreExit2) {
  auto r = testing::run_nnseg(
      {"overlay", "-i", p("imagesTr"), "--pred", p("pred"), "-o", p("out"), "--cases", "case1,case9"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(p("pred/case9.nii.gz")), std::string::npos) << r.err;
  fs::create_directories(dir_ / "noref");
  r = testing::run_nnseg({"overlay", "-i", p("imagesTr"), "--pred", p("pred"), "--ref", p("noref"), "-o", p("out")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(p("noref/case1.nii.gz")), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nnseg::report
