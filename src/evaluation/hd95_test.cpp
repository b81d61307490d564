// HD95 as MedPy computes it: spec/evaluation.md §8 E3, E4, E5, shifted cubes with known distances, anisotropic
// spacing, and (when numpy is installed) a brute-force cross-check on random masks.
#include "evaluation/hd95.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

namespace fs = std::filesystem;
using Shape = std::array<int64_t, 3>;

// A mask of `shape` with the boxes [lo, hi) (z, y, x) set.
struct Mask {
  Shape shape;
  std::vector<uint8_t> data;
  explicit Mask(Shape s) : shape(s), data(static_cast<size_t>(s[0] * s[1] * s[2]), 0) {}
  Mask& box(Shape lo, Shape hi) {
    for (int64_t z = lo[0]; z < hi[0]; ++z)
      for (int64_t y = lo[1]; y < hi[1]; ++y)
        for (int64_t x = lo[2]; x < hi[2]; ++x) data[static_cast<size_t>((z * shape[1] + y) * shape[2] + x)] = 1;
    return *this;
  }
  MaskView view() const { return {data.data(), shape}; }
};

double dice(const Mask& a, const Mask& b) {
  int64_t both = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    both += a.data[i] & b.data[i];
    na += a.data[i];
    nb += b.data[i];
  }
  return 2.0 * static_cast<double>(both) / static_cast<double>(na + nb);
}

const std::array<double, 3> kIso{1, 1, 1};

TEST(Hd95Test, E3CubesOverlapping) {
  Mask ref(Shape{12, 12, 12}), pred(Shape{12, 12, 12});
  ref.box({2, 2, 2}, {6, 6, 6});
  pred.box({3, 2, 2}, {9, 6, 6});
  EXPECT_DOUBLE_EQ(dice(pred, ref), 0.6);
  const auto sp = mask_surface(pred.view()), sr = mask_surface(ref.view());
  EXPECT_EQ(std::count(sp.begin(), sp.end(), 1), 80);
  EXPECT_EQ(std::count(sr.begin(), sr.end(), 1), 56);
  const std::vector<double> ab = directed_surface_distances(pred.view(), ref.view(), kIso);
  const std::vector<double> ba = directed_surface_distances(ref.view(), pred.view(), kIso);
  std::map<double, int> pooled;
  for (double d : ab) ++pooled[d];
  for (double d : ba) ++pooled[d];
  EXPECT_EQ(pooled, (std::map<double, int>{{0.0, 72}, {1.0, 36}, {2.0, 12}, {3.0, 16}}));
  EXPECT_EQ(numpy_percentile(ab, 95), 3.0);
  EXPECT_EQ(numpy_percentile(ba, 95), 1.0);
  EXPECT_EQ(hd95(pred.view(), ref.view(), kIso), 3.0);
  EXPECT_EQ(hausdorff_distance(pred.view(), ref.view(), kIso), 3.0);
  EXPECT_DOUBLE_EQ(hd95(pred.view(), ref.view(), {2, 1, 1}), 6.0);
}

TEST(Hd95Test, E4PooledPercentileNotMaxOfDirected) {
  Mask ref(Shape{20, 20, 20});
  ref.box({2, 2, 2}, {12, 12, 12});
  Mask pred = ref;
  pred.box({15, 15, 15}, {18, 18, 18});
  EXPECT_DOUBLE_EQ(dice(pred, ref), 0.986679822397632);
  const auto sr = mask_surface(ref.view()), sp = mask_surface(pred.view());
  EXPECT_EQ(std::count(sr.begin(), sr.end(), 1), 488);
  EXPECT_EQ(std::count(sp.begin(), sp.end(), 1), 514);
  EXPECT_EQ(hd95(pred.view(), ref.view(), kIso), 0.0);
  EXPECT_NEAR(numpy_percentile(directed_surface_distances(pred.view(), ref.view(), kIso), 95), 2.4248711305961916,
              1e-12);
  EXPECT_EQ(numpy_percentile(directed_surface_distances(ref.view(), pred.view(), kIso), 95), 0.0);

  Mask pred2 = ref;
  pred2.box({16, 16, 16}, {18, 18, 18});
  EXPECT_EQ(hd95(pred2.view(), ref.view(), kIso), 0.0);
  EXPECT_NEAR(hausdorff_distance(pred2.view(), ref.view(), kIso), 10.392304845413264, 1e-12);
}

TEST(Hd95Test, E5SingleVoxels) {
  Mask a(Shape{5, 5, 5}), b(Shape{5, 5, 5});
  a.box({2, 2, 2}, {3, 3, 3});
  b.box({2, 2, 4}, {3, 3, 5});
  EXPECT_EQ(hd95(a.view(), b.view(), kIso), 2.0);
  EXPECT_EQ(dice(a, b), 0.0);
}

TEST(Hd95Test, E5ArrayBorderCountsAsBackground) {
  Mask a(Shape{6, 6, 6}), b(Shape{6, 6, 6});
  a.box({0, 0, 0}, {3, 3, 3});
  b.box({0, 0, 1}, {3, 3, 4});
  const auto sa = mask_surface(a.view());
  EXPECT_EQ(std::count(sa.begin(), sa.end(), 1), 26);
  EXPECT_EQ(hd95(a.view(), b.view(), kIso), 1.0);
  EXPECT_DOUBLE_EQ(dice(a, b), 0.6666666666666666);
}

TEST(Hd95Test, E5NumpyLinearPercentile) {
  EXPECT_EQ(numpy_percentile({0, 0, 1, 1, 2, 5}, 95), 4.25);
  EXPECT_EQ(numpy_percentile({5, 1, 0, 2, 1, 0}, 95), 4.25);  // order does not matter
  EXPECT_EQ(numpy_percentile({7}, 95), 7.0);
  EXPECT_EQ(numpy_percentile({1, 3}, 50), 2.0);
  EXPECT_EQ(numpy_percentile({1, 3}, 100), 3.0);
  // 15 values: position 13.299999999999999, the interpolation E6 shows (0.29999999999999893).
  std::vector<double> v(15, 0.0);
  v[14] = 1.0;
  EXPECT_EQ(numpy_percentile(v, 95), 0.29999999999999893);
}

// Cubes of side 4 shifted apart by k voxels along one axis: pooled distances 32 x (k-3), 24 x (k-2), 24 x (k-1),
// 32 x k, so HD95 = HD = k voxels, times the spacing of that axis.
TEST(Hd95Test, ShiftedCubesGiveTheShiftInMillimetres) {
  const std::array<double, 3> spacing{3.0, 0.8, 0.8};
  for (int axis : {0, 2}) {
    for (int64_t k : {4, 5, 7}) {
      Mask a(Shape{20, 20, 20}), b(Shape{20, 20, 20});
      Shape lo{4, 4, 4}, hi{8, 8, 8};
      b.box(lo, hi);
      lo[static_cast<size_t>(axis)] += k;
      hi[static_cast<size_t>(axis)] += k;
      a.box(lo, hi);
      const double expected = static_cast<double>(k) * spacing[static_cast<size_t>(axis)];
      EXPECT_NEAR(hd95(a.view(), b.view(), spacing), expected, 1e-12) << "axis " << axis << " k " << k;
      EXPECT_NEAR(hausdorff_distance(a.view(), b.view(), spacing), expected, 1e-12);
      EXPECT_NEAR(hd95(a.view(), b.view(), kIso), static_cast<double>(k), 1e-12);
    }
  }
}

TEST(Hd95Test, IdenticalMasksAndSymmetry) {
  Mask a(Shape{8, 9, 10}), b(Shape{8, 9, 10});
  a.box({1, 1, 1}, {5, 7, 4});
  EXPECT_EQ(hd95(a.view(), a.view(), {2.5, 1, 0.7}), 0.0);
  b.box({2, 0, 3}, {8, 4, 10});
  EXPECT_EQ(hd95(a.view(), b.view(), {2.5, 1, 0.7}), hd95(b.view(), a.view(), {2.5, 1, 0.7}));
}

TEST(Hd95Test, EmptyMaskIsAnInternalError) {
  Mask a(Shape{4, 4, 4}), b(Shape{4, 4, 4});
  a.box({1, 1, 1}, {2, 2, 2});
  EXPECT_THROW(hd95(a.view(), b.view(), kIso), Error);
}

// Random pairs of masks (a few boxes, some of them cut by the array border, plus scattered voxels), written to
// `file` as uint8 pairs for a Python cross-check; returns our (HD95, HD) of each pair.
std::vector<std::pair<double, double>> write_random_pairs(const fs::path& file, Shape shape, int trials,
                                                          const std::array<double, 3>& spacing, uint32_t seed) {
  std::ofstream out(file, std::ios::binary);
  std::vector<std::pair<double, double>> ours;
  uint32_t state = seed;
  auto next = [&](int64_t n) {
    state = state * 1664525u + 1013904223u;
    return static_cast<int64_t>((state >> 8) % static_cast<uint32_t>(n));
  };
  for (int t = 0; t < trials; ++t) {
    Mask a(shape), b(shape);
    for (Mask* m : {&a, &b}) {
      for (int boxes = 0; boxes < 3; ++boxes) {
        Shape lo{}, hi{};
        for (size_t d = 0; d < 3; ++d) {
          lo[d] = next(shape[d]);
          hi[d] = std::min(shape[d], lo[d] + 1 + next(shape[d] / 2));
        }
        m->box(lo, hi);
      }
      for (int noise = 0; noise < 6; ++noise) m->data[static_cast<size_t>(next(shape[0] * shape[1] * shape[2]))] = 1;
    }
    out.write(reinterpret_cast<const char*>(a.data.data()), static_cast<std::streamsize>(a.data.size()));
    out.write(reinterpret_cast<const char*>(b.data.data()), static_cast<std::streamsize>(b.data.size()));
    ours.emplace_back(hd95(a.view(), b.view(), spacing), hausdorff_distance(a.view(), b.view(), spacing));
  }
  return ours;
}

// Runs `script FILE` and compares its lines "hd95 hd" with ours.
void compare_with_python(const std::string& script, const fs::path& file,
                         const std::vector<std::pair<double, double>>& ours, double tolerance) {
  const auto result = ::nnseg::testing::run_command({"/usr/bin/python3", "-c", script, file.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream lines(result.out);
  for (size_t t = 0; t < ours.size(); ++t) {
    double expected_hd95 = -1, expected_hd = -1;
    lines >> expected_hd95 >> expected_hd;
    EXPECT_NEAR(ours[t].first, expected_hd95, tolerance) << "pair " << t;
    EXPECT_NEAR(ours[t].second, expected_hd, tolerance) << "pair " << t;
  }
}

bool python_has(const std::string& module) {
  return ::nnseg::testing::run_command({"/usr/bin/python3", "-c", "import " + module}).exit_code == 0;
}

// Against a brute-force numpy implementation of MedPy's definition (all pairwise surface distances).
TEST(Hd95Test, MatchesBruteForceNumpyOnRandomMasks) {
  if (!python_has("numpy")) GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  ::nnseg::testing::TempDir tmp;
  const auto ours = write_random_pairs(tmp / "masks.bin", {9, 11, 13}, 12, {2.5, 0.8, 1.1}, 12345);
  compare_with_python(R"(
import sys, numpy as np
shape = (9, 11, 13); s = np.array([2.5, 0.8, 1.1])
raw = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(-1, 2, *shape).astype(bool)
def surface(m):
    p = np.pad(m, 1)
    c = p[1:-1, 1:-1, 1:-1]
    er = c & p[:-2, 1:-1, 1:-1] & p[2:, 1:-1, 1:-1] & p[1:-1, :-2, 1:-1] & p[1:-1, 2:, 1:-1] & p[1:-1, 1:-1, :-2] & p[1:-1, 1:-1, 2:]
    return m & ~er
def directed(a, b):
    pa = np.argwhere(surface(a)) * s; pb = np.argwhere(surface(b)) * s
    return np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(-1)).min(1)
for a, b in raw:
    d1, d2 = directed(a, b), directed(b, a)
    print(repr(float(np.percentile(np.hstack((d1, d2)), 95))), repr(float(max(d1.max(), d2.max()))))
)",
                      tmp / "masks.bin", ours, 1e-9);
}

// Against MedPy's own algorithm (scipy binary_erosion + distance_transform_edt + numpy percentile), when scipy is
// installed: a larger, anisotropic volume.
TEST(Hd95Test, MatchesScipyMedpyAlgorithmOnRandomMasks) {
  if (!python_has("numpy, scipy.ndimage")) GTEST_SKIP() << "/usr/bin/python3 with numpy and scipy not available";
  ::nnseg::testing::TempDir tmp;
  const auto ours = write_random_pairs(tmp / "masks.bin", {20, 33, 41}, 10, {3.0, 0.7, 0.9}, 777);
  compare_with_python(R"(
import sys, numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure
shape = (20, 33, 41); s = (3.0, 0.7, 0.9)
raw = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(-1, 2, *shape).astype(bool)
def surface_distances(result, reference):
    fp = generate_binary_structure(3, 1)
    rb = result ^ binary_erosion(result, structure=fp, iterations=1)
    fb = reference ^ binary_erosion(reference, structure=fp, iterations=1)
    return distance_transform_edt(~fb, sampling=s)[rb]
for a, b in raw:
    d1, d2 = surface_distances(a, b), surface_distances(b, a)
    print(repr(float(np.percentile(np.hstack((d1, d2)), 95))), repr(float(max(d1.max(), d2.max()))))
)",
                      tmp / "masks.bin", ours, 1e-12);
}

}  // namespace
}  // namespace nnseg
