// Tests for the sliding-window geometry: spec/inference.md §11 vectors I2 (tile starts) and I4 (padding), and the
// §10 pitfalls on rounding, border tiles and odd padding.
#include "inference/sliding_window_geometry.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace nnseg {
namespace {

using Steps = std::vector<Shape>;

Steps steps_for(const Shape& image, const Shape& patch, double step = 0.5) {
  return compute_steps_for_sliding_window(image, patch, step);
}

Shape steps_1d(int64_t size, int64_t patch) { return steps_for({size}, {patch})[0]; }

// Runs `f`, expects an InputError (exit 2) whose item or message contains every string in `parts`.
template <typename F>
void expect_input_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    const std::string text = format_error(e);
    for (const std::string& p : parts) EXPECT_NE(text.find(p), std::string::npos) << text << " lacks " << p;
  }
}

TEST(SlidingWindowSteps, I2Table) {
  const Shape p{128, 128, 128};
  EXPECT_EQ(steps_for({139, 170, 138}, p), (Steps{{0, 11}, {0, 42}, {0, 10}}));
  EXPECT_EQ(steps_for({138, 169, 138}, p), (Steps{{0, 10}, {0, 41}, {0, 10}}));
  EXPECT_EQ(steps_for({128, 128, 128}, p), (Steps{{0}, {0}, {0}}));
  EXPECT_EQ(steps_for({129, 129, 129}, p), (Steps{{0, 1}, {0, 1}, {0, 1}}));
  EXPECT_EQ(steps_for({155, 240, 240}, p), (Steps{{0, 27}, {0, 56, 112}, {0, 56, 112}}));
  EXPECT_EQ(steps_for({256, 256, 256}, p), (Steps{{0, 64, 128}, {0, 64, 128}, {0, 64, 128}}));
}

TEST(SlidingWindowSteps, I2OneDimensional) {
  EXPECT_EQ(steps_1d(193, 128), (Shape{0, 32, 65}));
  EXPECT_EQ(steps_1d(195, 128), (Shape{0, 34, 67}));
  EXPECT_EQ(steps_1d(250, 128), (Shape{0, 61, 122}));
  EXPECT_EQ(steps_1d(257, 128), (Shape{0, 43, 86, 129}));
  EXPECT_EQ(steps_1d(320, 128), (Shape{0, 64, 128, 192}));
  EXPECT_EQ(steps_1d(110, 64), (Shape{0, 23, 46}));
}

TEST(SlidingWindowSteps, RoundsHalfToEven) {
  // 193: a = 32.5, so round(32.5) = 32 (std::round would give 33); 2a = 65.
  EXPECT_EQ(steps_1d(193, 128)[1], 32);
  // 131 with patch 128: n = ceil(3/64)+1 = 2, a = 3 -> {0, 3}.
  EXPECT_EQ(steps_1d(131, 128), (Shape{0, 3}));
  // patch 4, step 0.5 (t = 2), size 9: n = ceil(5/2)+1 = 4, a = 5/3 -> 0, 1.67, 3.33, 5 -> {0, 2, 3, 5}.
  EXPECT_EQ(steps_1d(9, 4), (Shape{0, 2, 3, 5}));
  // patch 8, size 13, step 0.5: n = ceil(5/4)+1 = 3, a = 2.5 -> {0, round(2.5)=2, 5}.
  EXPECT_EQ(steps_1d(13, 8), (Shape{0, 2, 5}));
}

TEST(SlidingWindowSteps, BorderTilesAndOverlapForManySizes) {
  for (int64_t patch : {8, 64, 96, 128}) {
    for (int64_t size = patch; size < 3 * patch + 7; ++size) {
      const Shape s = steps_1d(size, patch);
      ASSERT_FALSE(s.empty());
      EXPECT_EQ(s.front(), 0);
      EXPECT_EQ(s.back(), size - patch) << "size " << size << " patch " << patch;
      for (size_t i = 1; i < s.size(); ++i) {
        EXPECT_GT(s[i], s[i - 1]);
        EXPECT_LE(s[i] - s[i - 1], patch / 2) << "size " << size << " patch " << patch;
      }
    }
  }
}

TEST(SlidingWindowSteps, StepSizeOneAndSmall) {
  EXPECT_EQ(steps_for({256}, {128}, 1.0), (Steps{{0, 128}}));
  EXPECT_EQ(steps_for({257}, {128}, 1.0), (Steps{{0, 64, 129}}));
  EXPECT_EQ(steps_for({132}, {128}, 0.25), (Steps{{0, 4}}));
}

TEST(SlidingWindowSteps, RejectsBadInput) {
  expect_input_error([] { steps_for({100, 128, 128}, {128, 128, 128}); }, {"image shape", "100", "smaller"});
  expect_input_error([] { steps_for({128, 128}, {128, 128, 128}); }, {"patch_size", "(128, 128)"});
  expect_input_error([] { steps_for({128}, {128}, 0.0); }, {"step_size", "0.0"});
  expect_input_error([] { steps_for({128}, {128}, 1.5); }, {"step_size", "1.5"});
  expect_input_error([] { steps_for({128}, {0}); }, {"patch_size", "0"});
}

TEST(TileStarts, NestedOrderZOuterXInner) {
  const std::vector<Shape> tiles = tile_starts({{0, 11}, {0, 42}, {0, 10}});
  const std::vector<Shape> want{{0, 0, 0},  {0, 0, 10},  {0, 42, 0},  {0, 42, 10},
                                {11, 0, 0}, {11, 0, 10}, {11, 42, 0}, {11, 42, 10}};
  EXPECT_EQ(tiles, want);
  EXPECT_EQ(tile_starts({{0, 5, 9}}), (std::vector<Shape>{{0}, {5}, {9}}));
  EXPECT_TRUE(tile_starts({}).empty());
}

TEST(SlidingWindowGeometry, TileCountsAndGaussianUse) {
  const Shape p{128, 128, 128};
  EXPECT_EQ(plan_sliding_window({139, 170, 138}, p, 0.5).tiles.size(), 8u);
  EXPECT_EQ(plan_sliding_window({129, 129, 129}, p, 0.5).tiles.size(), 8u);
  EXPECT_EQ(plan_sliding_window({155, 240, 240}, p, 0.5).tiles.size(), 18u);
  EXPECT_EQ(plan_sliding_window({256, 256, 256}, p, 0.5).tiles.size(), 27u);
  EXPECT_TRUE(plan_sliding_window({139, 170, 138}, p, 0.5).use_gaussian());
  const SlidingWindowGeometry one = plan_sliding_window({128, 128, 128}, p, 0.5);
  EXPECT_EQ(one.tiles, (std::vector<Shape>{{0, 0, 0}}));
  EXPECT_FALSE(one.use_gaussian());
  // 100^3 is padded to 128^3 first: one tile, no Gaussian.
  const SlidingWindowGeometry small = plan_sliding_window({100, 100, 100}, p, 0.5);
  EXPECT_EQ(small.padding.padded_shape, p);
  EXPECT_EQ(small.steps, (Steps{{0}, {0}, {0}}));
  EXPECT_FALSE(small.use_gaussian());
}

TEST(Padding, I4) {
  const Padding a = compute_padding({100, 140, 90}, {128, 128, 128});
  EXPECT_EQ(a.padded_shape, (Shape{128, 140, 128}));
  EXPECT_EQ(a.pad_before, (Shape{14, 0, 19}));
  EXPECT_EQ(a.pad_after, (Shape{14, 0, 19}));
  EXPECT_EQ(a.crop_begin, (Shape{14, 0, 19}));
  EXPECT_EQ(a.crop_end, (Shape{114, 140, 109}));

  const Padding b = compute_padding({127, 128, 129}, {128, 128, 128});
  EXPECT_EQ(b.padded_shape, (Shape{128, 128, 129}));
  EXPECT_EQ(b.pad_before, (Shape{0, 0, 0}));
  EXPECT_EQ(b.pad_after, (Shape{1, 0, 0}));  // the odd voxel goes after
  EXPECT_EQ(b.crop_begin, (Shape{0, 0, 0}));
  EXPECT_EQ(b.crop_end, (Shape{127, 128, 129}));
}

TEST(Padding, OddDifferenceGoesAfterAndNeverCrops) {
  const Padding p = compute_padding({1, 61, 300}, {64, 64, 64});
  EXPECT_EQ(p.padded_shape, (Shape{64, 64, 300}));
  EXPECT_EQ(p.pad_before, (Shape{31, 1, 0}));
  EXPECT_EQ(p.pad_after, (Shape{32, 2, 0}));
  EXPECT_EQ(p.crop_end, (Shape{32, 62, 300}));
  for (size_t d = 0; d < 3; ++d) EXPECT_EQ(p.crop_end[d] - p.crop_begin[d], (Shape{1, 61, 300})[d]);
}

TEST(Padding, RejectsBadInput) {
  expect_input_error([] { compute_padding({10, 10}, {8}); }, {"patch_size", "(10, 10)", "(8)"});
  expect_input_error([] { compute_padding({10, 0}, {8, 8}); }, {"image shape", "0", "axis 1"});
}

TEST(ShapeVolume, Products) {
  EXPECT_EQ(shape_volume({128, 128, 128}), 2097152);
  EXPECT_EQ(shape_volume({}), 1);
}

}  // namespace
}  // namespace nnseg
