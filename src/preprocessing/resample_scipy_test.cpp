// Cross-check of resampling against scipy.ndimage.zoom (what skimage.transform.resize calls): cubic data resize
// with mode 'nearest' and grid_mode, clipped to the input range, and the one-hot linear label resize. Skips when
// /usr/bin/python3 has no numpy/scipy.
#include <gtest/gtest.h>

#include <random>

#include "io/npy.h"
#include "preprocessing/resample.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

bool have_scipy() {
  return testing::run_command({kPython, "-c", "import numpy, scipy.ndimage"}, {}, 60).exit_code == 0;
}

// Reads in.npy (data [Z,Y,X] float32) and seg.npy, writes data_out.npy / seg_out.npy resized to the shape given
// on the command line, as skimage.transform.resize(order=3, mode='edge', anti_aliasing=False) and nnU-Net's
// resize_segmentation (order 1) do.
constexpr const char* kScript = R"(
import sys, numpy as np, scipy.ndimage as ndi
folder = sys.argv[1]; shape = tuple(int(v) for v in sys.argv[2:5])
def resize(a, order):
    zoom = [o / i for o, i in zip(shape, a.shape)]
    out = ndi.zoom(a.astype(np.float64), zoom, order=order, mode='nearest', grid_mode=True)
    assert out.shape == shape, out.shape
    return np.clip(out, a.min(), a.max())
data = np.load(folder + '/in.npy')
np.save(folder + '/data_out.npy', resize(data, 3).astype(np.float32))
seg = np.load(folder + '/seg.npy')
out = np.zeros(shape, np.float32)
for u in np.unique(seg):
    out[resize((seg == u).astype(float), 1) >= 0.5] = u
np.save(folder + '/seg_out.npy', out)
)";

TEST(ResampleScipy, CubicAndOneHotMatchScipyZoom) {
  if (!have_scipy()) GTEST_SKIP() << kPython << " has no numpy/scipy";
  const std::array<int64_t, 3> shape{6, 9, 7};
  const std::vector<std::array<int64_t, 3>> targets{{11, 5, 7}, {3, 17, 10}, {6, 9, 12}};
  std::mt19937 gen(11);
  std::normal_distribution<float> dist(100, 30);
  Array4f data({1, shape[0], shape[1], shape[2]}), seg({1, shape[0], shape[1], shape[2]});
  for (float& v : data.values) v = dist(gen);
  // Blocky labels so that the one-hot result is not all ties.
  for (int64_t z = 0; z < shape[0]; ++z) {
    for (int64_t y = 0; y < shape[1]; ++y) {
      for (int64_t x = 0; x < shape[2]; ++x) seg.at(0, z, y, x) = static_cast<float>((z / 2 + y / 3 + x / 2) % 4) - 1;
    }
  }
  for (const auto& target : targets) {
    testing::TempDir dir;
    write_npy(dir / "in.npy", NpyDType::kFloat32, {shape[0], shape[1], shape[2]}, data.values.data());
    write_npy(dir / "seg.npy", NpyDType::kFloat32, {shape[0], shape[1], shape[2]}, seg.values.data());
    const auto result = testing::run_command({kPython, "-c", kScript, dir.path().string(), std::to_string(target[0]),
                                              std::to_string(target[1]), std::to_string(target[2])});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const NpyArray want_data = read_npy(dir / "data_out.npy");
    const NpyArray want_seg = read_npy(dir / "seg_out.npy");
    const Array4f got_data = resample_data_or_seg(data, target, false, std::nullopt);
    const Array4f got_seg = resample_data_or_seg(seg, target, true, std::nullopt);
    ASSERT_EQ(want_data.numel(), got_data.numel());
    for (int64_t i = 0; i < got_data.numel(); ++i) {
      EXPECT_NEAR(got_data.values[static_cast<size_t>(i)], want_data.at<float>(i), 1e-3) << "voxel " << i;
    }
    int differ = 0;
    for (int64_t i = 0; i < got_seg.numel(); ++i)
      differ += got_seg.values[static_cast<size_t>(i)] != want_seg.at<float>(i);
    EXPECT_EQ(differ, 0) << "label voxels differing for target " << target[0] << "x" << target[1] << "x" << target[2];
  }
}

}  // namespace
}  // namespace nnseg
