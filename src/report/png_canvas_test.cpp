// Tests for PngCanvas: pixel colours of gray slices and label overlays, PNG encoding and atomic save.
#include "report/png_canvas.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace nnseg::report {
namespace {

TEST(RobustWindow, IgnoresZerosAndOrdersBounds) {
  std::vector<float> v = {0, 0, 0, 10, 20, 30, 40, 50};
  auto [lo, hi] = robust_window(v, 0, 100);
  EXPECT_EQ(lo, 10.0f);
  EXPECT_EQ(hi, 50.0f);
  auto [lo2, hi2] = robust_window({0, 0, 5, 5}, 1, 99);
  EXPECT_EQ(lo2, 5.0f);
  EXPECT_GT(hi2, lo2);
  auto [lo3, hi3] = robust_window({0, 0}, 1, 99);
  EXPECT_EQ(lo3, 0.0f);
  EXPECT_EQ(hi3, 1.0f);
}

TEST(PngCanvas, GraySliceMapsWindowToBlackAndWhite) {
  PngCanvas canvas(40, 20, {0, 0, 1});
  GraySlice s{2, 1, {0.0f, 100.0f}};
  canvas.draw_gray(s, 0, 0, 10, 10, 0, 100, /*smooth=*/false);
  EXPECT_NEAR(canvas.pixel(5, 5).r, 0.0, 1e-9);
  EXPECT_NEAR(canvas.pixel(15, 5).g, 1.0, 1e-9);
  // Outside the slice the background stays.
  EXPECT_NEAR(canvas.pixel(30, 5).b, 1.0, 1e-9);
  EXPECT_NEAR(canvas.pixel(5, 15).b, 1.0, 1e-9);
}

TEST(PngCanvas, LabelOverlayBlendsOnlyColouredLabels) {
  PngCanvas canvas(20, 10);
  GraySlice gray{2, 1, {50.0f, 50.0f}};
  canvas.draw_gray(gray, 0, 0, 10, 10, 0, 100, false);
  LabelSlice labels{2, 1, {0, 2}};
  canvas.draw_labels(labels, 0, 0, 10, 10, {{2, Rgb{0, 1, 0}}}, 0.5);
  Rgb untouched = canvas.pixel(5, 5);
  Rgb blended = canvas.pixel(15, 5);
  EXPECT_NEAR(untouched.g, 128 / 255.0, 1.5 / 255);
  EXPECT_NEAR(blended.r, 64 / 255.0, 1.5 / 255);     // 0.5 * grey 0.5
  EXPECT_NEAR(blended.g, 191.5 / 255.0, 1.5 / 255);  // 0.5 * grey + 0.5 * green
}

TEST(PngCanvas, SavesReadablePngAtomically) {
  testing::TempDir tmp;
  PngCanvas canvas(33, 17, {1, 1, 1});
  canvas.draw_legend({{"edema", {0, 1, 0}}, {"core", {1, 0, 0}}}, 2, 2, 6);
  canvas.draw_polyline({{0, 0}, {32, 16}}, {1, 0, 0}, 1);
  const auto path = tmp / "sub" / "a.png";
  canvas.save_png(path);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  // IHDR width and height, big-endian at offsets 16 and 20.
  auto be32 = [&](size_t o) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(bytes[o])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(bytes[o + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(bytes[o + 2])) << 8) |
           static_cast<uint32_t>(static_cast<uint8_t>(bytes[o + 3]));
  };
  EXPECT_EQ(be32(16), 33u);
  EXPECT_EQ(be32(20), 17u);
  EXPECT_EQ(testing::list_files(tmp.path()), std::vector<std::string>{"sub/a.png"});
}

}  // namespace
}  // namespace nnseg::report
