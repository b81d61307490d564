// Tests for crop_to_nonzero: spec/planning.md §12.8 vectors, hole filling, boxes touching the borders, bad input.
#include "fingerprint/crop_to_nonzero.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "core/error.h"

namespace nnseg {
namespace {

Image float_image(std::array<int64_t, 3> shape) { return Image(PixelType::kFloat32, shape); }

void set(Image& image, int64_t z, int64_t y, int64_t x, float v) { image.data<float>()[image.index(z, y, x)] = v; }

// The case of §12.8: 2 channels of shape (5, 6, 7) and a label.
struct SpecCase {
  std::vector<Image> channels;
  Image label;
};

SpecCase spec_case() {
  SpecCase c;
  c.channels = {float_image({5, 6, 7}), float_image({5, 6, 7})};
  for (int64_t z = 1; z < 4; ++z) {
    for (int64_t y = 1; y < 4; ++y) {
      for (int64_t x = 2; x < 5; ++x) set(c.channels[0], z, y, x, 5.0f);
    }
  }
  set(c.channels[0], 2, 2, 3, 0.0f);
  set(c.channels[1], 3, 4, 5, 7.0f);
  c.label = Image(PixelType::kUInt8, {5, 6, 7});
  c.label.data<uint8_t>()[c.label.index(2, 2, 3)] = 2;
  c.label.data<uint8_t>()[c.label.index(1, 4, 2)] = 1;
  c.label.data<uint8_t>()[c.label.index(0, 0, 0)] = 3;
  return c;
}

std::map<float, int> histogram(const Array4f& a) {
  std::map<float, int> h;
  for (float v : a.values) ++h[v];
  return h;
}

TEST(CropToNonzero, SpecVectorMaskAndBox) {
  SpecCase c = spec_case();
  std::vector<uint8_t> mask = nonzero_mask(c.channels);
  fill_holes(mask, {5, 6, 7});
  int count = 0;
  for (uint8_t v : mask) count += v;
  EXPECT_EQ(count, 28);
  EXPECT_EQ(mask[static_cast<size_t>(c.channels[0].index(2, 2, 3))], 1);  // the centre hole is filled

  CroppedCase cropped = crop_to_nonzero(c.channels, &c.label, "case_0");
  EXPECT_EQ(cropped.properties.crop_bbox, (BoundingBox{{{1, 4}, {1, 5}, {2, 6}}}));
  EXPECT_EQ(cropped.data.shape, (std::array<int64_t, 4>{2, 3, 4, 4}));
  EXPECT_EQ(cropped.seg.shape, (std::array<int64_t, 4>{1, 3, 4, 4}));
  EXPECT_EQ(cropped.properties.size_after_cropping, (std::array<int64_t, 3>{3, 4, 4}));
  EXPECT_EQ(cropped.properties.original_size_of_raw_data, (std::array<int64_t, 3>{5, 6, 7}));
  EXPECT_EQ(histogram(cropped.seg), (std::map<float, int>{{-1.0f, 19}, {0.0f, 27}, {1.0f, 1}, {2.0f, 1}}));
  EXPECT_EQ(cropped.properties.classes, (std::vector<double>{-1, 0, 1, 2}));
  // Channel values are carried over: data[0] at cropped (0, 0, 0) = original (1, 1, 2) = 5; channel 1 at its voxel.
  EXPECT_EQ(cropped.data.at(0, 0, 0, 0), 5.0f);
  EXPECT_EQ(cropped.data.at(1, 2, 3, 3), 7.0f);
  // Size reduction 48 / 210.
  EXPECT_NEAR(static_cast<double>(cropped.seg.numel()) / 210.0, 0.228571, 1e-6);
}

TEST(CropToNonzero, SpecVectorLabelSlices) {
  SpecCase c = spec_case();
  CroppedCase cropped = crop_to_nonzero(c.channels, &c.label, "case_0");
  const std::vector<float> expected = {
      0, 0, 0, -1, 0, 0, 0, -1, 0, 0, 0, -1, 1,  -1, -1, -1,  // z = 0
      0, 0, 0, -1, 0, 2, 0, -1, 0, 0, 0, -1, -1, -1, -1, -1,  // z = 1
      0, 0, 0, -1, 0, 0, 0, -1, 0, 0, 0, -1, -1, -1, -1, 0,   // z = 2
  };
  EXPECT_EQ(cropped.seg.values, expected);
}

TEST(CropToNonzero, WithoutLabelGeneratesMaskLabel) {
  SpecCase c = spec_case();
  CroppedCase cropped = crop_to_nonzero(c.channels, nullptr, "case_0");
  EXPECT_EQ(histogram(cropped.seg), (std::map<float, int>{{-1.0f, 20}, {0.0f, 28}}));
  EXPECT_EQ(cropped.properties.classes, (std::vector<double>{-1, 0}));
}

TEST(CropToNonzero, RecordsGeometryOfChannelZero) {
  SpecCase c = spec_case();
  c.channels[0].geometry.spacing = {0.5, 0.75, 3.0};
  c.channels[0].geometry.origin = {1, 2, 3};
  CroppedCase cropped = crop_to_nonzero(c.channels, &c.label, "case_0");
  EXPECT_EQ(cropped.properties.original_spacing, (std::array<double, 3>{3.0, 0.75, 0.5}));
  EXPECT_EQ(cropped.properties.geometry, c.channels[0].geometry);
}

TEST(FillHoles, ClosedCavityIsFilledOpenTubeIsNot) {
  // A 5x5x5 hollow cube (shell of 1s) inside a 7x7x7 array: the 3x3x3 cavity is a hole.
  const std::array<int64_t, 3> shape{7, 7, 7};
  std::vector<uint8_t> mask(343, 0);
  auto at = [&](int64_t z, int64_t y, int64_t x) -> uint8_t& { return mask[static_cast<size_t>((z * 7 + y) * 7 + x)]; };
  for (int64_t z = 1; z < 6; ++z) {
    for (int64_t y = 1; y < 6; ++y) {
      for (int64_t x = 1; x < 6; ++x) {
        const bool inner = z > 1 && z < 5 && y > 1 && y < 5 && x > 1 && x < 5;
        at(z, y, x) = inner ? 0 : 1;
      }
    }
  }
  std::vector<uint8_t> closed = mask;
  fill_holes(closed, shape);
  EXPECT_EQ(closed[static_cast<size_t>((3 * 7 + 3) * 7 + 3)], 1);
  int count = 0;
  for (uint8_t v : closed) count += v;
  EXPECT_EQ(count, 125);  // the full 5x5x5 cube

  // Open one face voxel of the shell: the cavity now reaches the border through face neighbours.
  std::vector<uint8_t> open = mask;
  open[static_cast<size_t>((1 * 7 + 3) * 7 + 3)] = 0;
  fill_holes(open, shape);
  EXPECT_EQ(open[static_cast<size_t>((3 * 7 + 3) * 7 + 3)], 0);
  EXPECT_EQ(open[static_cast<size_t>((1 * 7 + 3) * 7 + 3)], 0);
}

TEST(FillHoles, DiagonalContactDoesNotConnect) {
  // Background voxel (1, 1, 1) has only foreground face neighbours; it touches the border background voxel
  // (0, 0, 0) through a corner only, so with 6-connectivity it is a hole.
  const std::array<int64_t, 3> shape{4, 4, 4};
  std::vector<uint8_t> mask(64, 1);
  mask[0] = 0;
  mask[static_cast<size_t>((1 * 4 + 1) * 4 + 1)] = 0;
  fill_holes(mask, shape);
  EXPECT_EQ(mask[0], 0);  // on the border: background
  EXPECT_EQ(mask[static_cast<size_t>((1 * 4 + 1) * 4 + 1)], 1);
}

TEST(FillHoles, TubeAlongZReachesBorder) {
  // A square ring in every z slice: a 2D hole, but a 3D tube open at both z ends -> not filled.
  const std::array<int64_t, 3> shape{4, 5, 5};
  std::vector<uint8_t> mask(100, 0);
  for (int64_t z = 0; z < 4; ++z) {
    for (int64_t y = 1; y < 4; ++y) {
      for (int64_t x = 1; x < 4; ++x) mask[static_cast<size_t>((z * 5 + y) * 5 + x)] = (y == 2 && x == 2) ? 0 : 1;
    }
  }
  fill_holes(mask, shape);
  EXPECT_EQ(mask[static_cast<size_t>((2 * 5 + 2) * 5 + 2)], 0);
}

TEST(CropToNonzero, BoxTouchingAllBordersKeepsEverything) {
  std::vector<Image> channels{float_image({3, 4, 5})};
  set(channels[0], 0, 0, 0, 1.0f);
  set(channels[0], 2, 3, 4, -2.0f);
  CroppedCase cropped = crop_to_nonzero(channels, nullptr, "edge");
  EXPECT_EQ(cropped.properties.crop_bbox, (BoundingBox{{{0, 3}, {0, 4}, {0, 5}}}));
  EXPECT_EQ(cropped.data.shape, (std::array<int64_t, 4>{1, 3, 4, 5}));
  EXPECT_EQ(cropped.data.at(0, 2, 3, 4), -2.0f);
  EXPECT_EQ(cropped.seg.at(0, 0, 0, 0), 0.0f);
  EXPECT_EQ(cropped.seg.at(0, 1, 1, 1), -1.0f);
}

TEST(CropToNonzero, NanCountsAsNonzero) {
  std::vector<Image> channels{float_image({3, 3, 3})};
  set(channels[0], 1, 1, 2, std::numeric_limits<float>::quiet_NaN());
  CroppedCase cropped = crop_to_nonzero(channels, nullptr, "nan");
  EXPECT_EQ(cropped.properties.crop_bbox, (BoundingBox{{{1, 2}, {1, 2}, {2, 3}}}));
  EXPECT_TRUE(std::isnan(cropped.data.values[0]));
}

TEST(CropToNonzero, LabelBelowMinusOneBecomesZeroAfterClasses) {
  std::vector<Image> channels{float_image({1, 1, 3})};
  for (int64_t x = 0; x < 3; ++x) set(channels[0], 0, 0, x, 1.0f);
  Image label = Image::from_values<int16_t>(std::vector<int>{-3, 0, 1}, {1, 1, 3});
  CroppedCase cropped = crop_to_nonzero(channels, &label, "neg");
  EXPECT_EQ(cropped.properties.classes, (std::vector<double>{-3, 0, 1}));
  EXPECT_EQ(cropped.seg.values, (std::vector<float>{0, 0, 1}));
}

TEST(CropToNonzero, AllZeroImageIsAnInputError) {
  std::vector<Image> channels{float_image({2, 3, 4}), float_image({2, 3, 4})};
  try {
    crop_to_nonzero(channels, nullptr, "BraTS20_Training_007");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.item(), "BraTS20_Training_007");
    EXPECT_NE(std::string(e.what()).find("[2, 3, 4]"), std::string::npos) << e.what();
  }
}

TEST(CropToNonzero, ShapeMismatchIsAnInputError) {
  std::vector<Image> channels{float_image({2, 3, 4}), float_image({2, 3, 5})};
  set(channels[0], 0, 0, 0, 1.0f);
  try {
    crop_to_nonzero(channels, nullptr, "case_9");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), "case_9");
    EXPECT_NE(std::string(e.what()).find("[2, 3, 5]"), std::string::npos) << e.what();
  }
  std::vector<Image> one{float_image({2, 3, 4})};
  set(one[0], 0, 0, 0, 1.0f);
  Image label(PixelType::kUInt8, {2, 3, 3});
  try {
    crop_to_nonzero(one, &label, "case_9");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("label has shape [2, 3, 3]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nnseg
