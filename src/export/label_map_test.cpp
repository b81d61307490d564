// Tests for label maps from probabilities (export/label_map.h): argmax with first-maximum ties, and the region rule
// with the spec's I5 vectors (spec/inference.md §5.4, §11 I5).
#include "export/label_map.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace nnseg {
namespace {

// probs [C, 1, 1, N] from per-voxel channel vectors.
Array4f from_voxels(const std::vector<std::vector<float>>& voxels) {
  const auto channels = static_cast<int64_t>(voxels.front().size());
  Array4f probs({channels, 1, 1, static_cast<int64_t>(voxels.size())});
  for (size_t v = 0; v < voxels.size(); ++v) {
    for (int64_t c = 0; c < channels; ++c) probs.at(c, 0, 0, static_cast<int64_t>(v)) = voxels[v][c];
  }
  return probs;
}

TEST(RegionLabels, SpecVectorsI5) {
  // (WT, TC, ET) with regions_class_order (1, 2, 3).
  const Array4f probs =
      from_voxels({{0.9f, 0.2f, 0.7f}, {0.9f, 0.6f, 0.4f}, {0.4f, 0.6f, 0.1f}, {0.6f, 0.1f, 0.1f}, {0.5f, 0.5f, 0.5f}});
  EXPECT_EQ(region_labels(probs, {1, 2, 3}), (std::vector<uint8_t>{3, 2, 2, 1, 0}));
}

TEST(RegionLabels, ThresholdIsStrictAndLaterRegionsOverwrite) {
  const Array4f probs = from_voxels({{0.5000001f, 0.5f, 0.0f}, {1.0f, 1.0f, 1.0f}, {0.0f, 0.0f, 0.51f}});
  EXPECT_EQ(region_labels(probs, {1, 2, 3}), (std::vector<uint8_t>{1, 3, 3}));
  // The order decides which label a voxel in several regions keeps: the last one listed.
  EXPECT_EQ(region_labels(probs, {3, 2, 1}), (std::vector<uint8_t>{3, 1, 1}));
}

TEST(RegionLabels, OrderLengthMustMatchChannels) {
  const Array4f probs = from_voxels({{0.9f, 0.2f, 0.7f}});
  try {
    region_labels(probs, {1, 2});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(e.item(), "regions_class_order");
    EXPECT_NE(std::string(e.what()).find("2 entries"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 channels"), std::string::npos) << e.what();
  }
}

TEST(ArgmaxLabels, LargestChannelFirstOnTies) {
  const Array4f probs = from_voxels({{0.1f, 0.2f, 0.7f},
                                     {0.3f, 0.3f, 0.4f},
                                     {0.4f, 0.4f, 0.2f},
                                     {0.2f, 0.4f, 0.4f},
                                     {0.25f, 0.25f, 0.25f},
                                     {0.6f, 0.3f, 0.1f}});
  EXPECT_EQ(argmax_labels(probs), (std::vector<uint8_t>{2, 2, 0, 1, 0, 0}));
}

TEST(ArgmaxLabels, VolumeLayoutIsVoxelOrder) {
  // 2 channels over a 2x2x3 volume: channel 1 wins where its value is the voxel index parity.
  Array4f probs({2, 2, 2, 3});
  std::vector<uint8_t> want;
  for (int64_t i = 0; i < probs.channel_numel(); ++i) {
    probs.channel(0)[i] = 0.5f;
    probs.channel(1)[i] = i % 3 == 0 ? 0.75f : 0.25f;
    want.push_back(i % 3 == 0 ? 1 : 0);
  }
  EXPECT_EQ(argmax_labels(probs), want);
}

TEST(ArgmaxLabels, SingleChannelIsAllZero) {
  const Array4f probs = from_voxels({{0.9f}, {0.1f}});
  EXPECT_EQ(argmax_labels(probs), (std::vector<uint8_t>{0, 0}));
}

}  // namespace
}  // namespace nnseg
