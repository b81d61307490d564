// Tests for class locations: spec/preprocessing.md §12.4 vectors (picks and sample counts).
#include "preprocessing/class_locations.h"

#include <gtest/gtest.h>

#include "core/numpy_random.h"

namespace nnseg {
namespace {

using Voxels = std::vector<std::array<int64_t, 3>>;

TEST(ClassLocations, SpecVector) {
  // Shape (2, 3, 4): -1 on row (0, 0); label 1 at (0,1,1), (0,1,2), (0,1,3), (1,0,3), (1,2,0); 2 at (1,1,1..3).
  std::vector<float> seg(24, 0.0f);
  auto at = [&](int64_t z, int64_t y, int64_t x) -> float& { return seg[static_cast<size_t>((z * 3 + y) * 4 + x)]; };
  for (int64_t x = 0; x < 4; ++x) at(0, 0, x) = -1;
  at(0, 1, 1) = at(0, 1, 2) = at(0, 1, 3) = at(1, 0, 3) = at(1, 2, 0) = 1;
  at(1, 1, 1) = at(1, 1, 2) = at(1, 1, 3) = 2;
  const auto locations = sample_class_locations(seg.data(), {2, 3, 4}, {1, 2, 3});
  ASSERT_EQ(locations.size(), 3u);
  EXPECT_EQ(locations[0].label, 1);
  EXPECT_EQ(locations[0].voxels, (Voxels{{1, 2, 0}, {0, 1, 1}, {0, 1, 2}, {0, 1, 3}, {1, 0, 3}}));
  EXPECT_EQ(locations[1].label, 2);
  EXPECT_EQ(locations[1].voxels, (Voxels{{1, 1, 2}, {1, 1, 3}, {1, 1, 1}}));
  EXPECT_EQ(locations[2].label, 3);
  EXPECT_TRUE(locations[2].voxels.empty());
}

TEST(ClassLocations, SampleCounts) {
  const std::vector<std::pair<int64_t, int64_t>> k{
      {1, 1},          {50, 50},         {9999, 9999},     {10000, 10000},   {10001, 10000},
      {999999, 10000}, {1000000, 10000}, {1000001, 10001}, {1500000, 15000}, {2000000, 20000}};
  for (const auto& [n, want] : k) EXPECT_EQ(class_location_sample_count(n), want) << "n = " << n;
}

TEST(ClassLocations, LargeClassTakesFirstKOfTheFullPermutation) {
  // 20 000 voxels of label 1 -> 10 000 picks = first 10 000 entries of permutation(20000) with seed 1234.
  std::vector<float> seg(20000, 1.0f);
  const auto locations = sample_class_locations(seg.data(), {1, 100, 200}, {1});
  ASSERT_EQ(locations[0].voxels.size(), 10000u);
  const std::vector<int64_t> perm = NumpyRandomState(1234).permutation(20000);
  for (size_t i = 0; i < 10000; i += 997) {
    const auto& v = locations[0].voxels[i];
    EXPECT_EQ(v[1] * 200 + v[2], perm[i]);
    EXPECT_EQ(v[0], 0);
  }
}

}  // namespace
}  // namespace nnseg
