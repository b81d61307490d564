// Tests for the augmentation debug PNGs: one file per sample (capped at n), PNG content, bad folder.
#include "training/augment_debug.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(AugmentDebug, WritesOnePngPerSampleUpToN) {
  testing::TempDir tmp;
  const at::Tensor data = at::randn({3, 2, 16, 20, 24}, at::make_generator<at::CPUGeneratorImpl>(1));
  at::Tensor seg = at::zeros({3, 1, 16, 20, 24});
  seg.narrow(3, 5, 10).narrow(4, 5, 10).fill_(2);
  seg.narrow(4, 0, 3).fill_(-1);
  const auto dir = tmp / "debug" / "nested";
  const auto written = write_augmentation_debug(dir, data, seg, 2, "it0");
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0], dir / "it0_000.png");
  EXPECT_EQ(written[1], dir / "it0_001.png");
  EXPECT_FALSE(std::filesystem::exists(dir / "it0_002.png"));
  const std::string png = read_file(written[0]);
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  // IHDR width: 3 panels (2 channels + seg) of 24 voxels scaled to 256 px, margins 8.
  const auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(png[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(png[at + 3]));
  };
  EXPECT_EQ(be32(16), 3u * (256u + 8u) + 8u);
  // A 2D batch works too.
  EXPECT_EQ(write_augmentation_debug(tmp / "d2", data.select(2, 0), seg.select(2, 0), 5).size(), 3u);
}

TEST(AugmentDebug, AFolderThatCannotBeCreatedIsAnInputErrorNamingIt) {
  testing::TempDir tmp;
  std::ofstream(tmp / "file") << "x";
  const auto bad = tmp / "file" / "sub";
  try {
    write_augmentation_debug(bad, at::zeros({1, 1, 4, 4, 4}), at::zeros({1, 1, 4, 4, 4}), 1);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find(bad.string()), std::string::npos) << format_error(e);
  }
}

}  // namespace
}  // namespace nnseg
