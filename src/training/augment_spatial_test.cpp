// Tests for the spatial transform: T11 rotation convention, identity and crop rules, known voxel moves under 90°
// rotations, zoom direction, label handling at the border, draw statistics, and a cross-check against scipy.
#include "training/augment_spatial.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>
#include <string>

#include "testing/temp_dir.h"

namespace nnseg {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A smooth test volume [C, Z, Y, X] with distinct values everywhere.
at::Tensor smooth_volume(int64_t c, int64_t z, int64_t y, int64_t x) {
  const auto zz = at::arange(z, at::kDouble).view({1, z, 1, 1});
  const auto yy = at::arange(y, at::kDouble).view({1, 1, y, 1});
  const auto xx = at::arange(x, at::kDouble).view({1, 1, 1, x});
  const auto cc = at::arange(c, at::kDouble).view({c, 1, 1, 1});
  return (at::sin(zz * 0.37 + yy * 0.21 + cc) * at::cos(xx * 0.29) + zz * yy * 0.01).to(at::kFloat);
}

// Labels -1..3 in blobs: -1 for x < 3, 2 for y > 9, 1 in a sphere, 3 in its z < 5 part.
at::Tensor blob_labels(int64_t z, int64_t y, int64_t x) {
  at::Tensor s = at::zeros({1, z, y, x});
  auto a = s.accessor<float, 4>();
  for (int64_t i = 0; i < z; ++i) {
    for (int64_t j = 0; j < y; ++j) {
      for (int64_t k = 0; k < x; ++k) {
        const double r2 = (i - 6.0) * (i - 6.0) + (j - 6.0) * (j - 6.0) + (k - 7.0) * (k - 7.0);
        float v = 0;
        if (k < 3) v = -1;
        if (j > 9) v = 2;
        if (r2 < 16) v = i < 5 ? 3 : 1;
        a[0][i][j][k] = v;
      }
    }
  }
  return s;
}

TEST(AugmentSpatial, RotationMatrixMatchesT11) {
  const Matrix3 r = rotation_matrix({kPi / 6, 0, 0});
  const auto a = rotate_row_vector({0, 1, 0}, r);
  EXPECT_NEAR(a[0], 0.0, 1e-12);
  EXPECT_NEAR(a[1], 0.8660254037844387, 1e-12);
  EXPECT_NEAR(a[2], -0.5, 1e-12);
  const auto b = rotate_row_vector({128, 128, 128}, r);
  EXPECT_NEAR(b[0], 128.0, 1e-9);
  EXPECT_NEAR(b[1], 174.85125168440817, 1e-9);
  EXPECT_NEAR(b[2], 46.85125168440817, 1e-9);
}

TEST(AugmentSpatial, RotationComposesXThenYThenZOnRowVectors) {
  const std::array<double, 3> p{1.0, 2.0, 3.0};
  const std::array<double, 3> angles{0.3, -0.4, 0.5};
  // p · Rx · Ry · Rz, applied one axis at a time.
  auto q = rotate_row_vector(p, rotation_matrix({angles[0], 0, 0}));
  q = rotate_row_vector(q, rotation_matrix({0, angles[1], 0}));
  q = rotate_row_vector(q, rotation_matrix({0, 0, angles[2]}));
  const auto r = rotate_row_vector(p, rotation_matrix(angles));
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(r[k], q[k], 1e-12) << k;
  // Ry and Rz signs as §7.2.1: Ry maps (1, 0, 0) to (c, 0, s), Rz maps (1, 0, 0) to (c, -s, 0).
  const auto y = rotate_row_vector({1, 0, 0}, rotation_matrix({0, 0.5, 0}));
  EXPECT_NEAR(y[2], std::sin(0.5), 1e-12);
  const auto z = rotate_row_vector({1, 0, 0}, rotation_matrix({0, 0, 0.5}));
  EXPECT_NEAR(z[1], -std::sin(0.5), 1e-12);
}

TEST(AugmentSpatial, NoDrawIsTheCentreCrop) {
  const at::Tensor data = smooth_volume(2, 11, 12, 14);
  const at::Tensor seg = blob_labels(11, 12, 14);
  const auto [d, s] = apply_spatial(data, seg, SpatialDraw{}, {6, 8, 9}, SpatialParams{});
  // start (S - So) // 2 = 2, 2, 2
  EXPECT_TRUE(at::equal(d, data.narrow(1, 2, 6).narrow(2, 2, 8).narrow(3, 2, 9)));
  EXPECT_TRUE(at::equal(s, seg.narrow(1, 2, 6).narrow(2, 2, 8).narrow(3, 2, 9)));
  // Same size: the input itself.
  const auto [d2, s2] = apply_spatial(data, seg, SpatialDraw{}, {11, 12, 14}, SpatialParams{});
  EXPECT_TRUE(at::equal(d2, data));
  EXPECT_TRUE(at::equal(s2, seg));
}

TEST(AugmentSpatial, IdentityParametersOnTheInterpolationPathGiveTheInputBack) {
  const at::Tensor data = smooth_volume(2, 12, 13, 14);
  const at::Tensor seg = blob_labels(12, 13, 14);
  SpatialDraw d;
  d.rotate = true;  // angles 0
  d.scale = true;   // factors 1
  // Even size differences: the interpolation centre (Si - 1)/2 - (So - 1)/2 is the integer crop start 2.
  const auto [dd, ss] = apply_spatial(data, seg, d, {8, 9, 10}, SpatialParams{});
  EXPECT_TRUE(at::allclose(dd, data.narrow(1, 2, 8).narrow(2, 2, 9).narrow(3, 2, 10), 0, 1e-5));
  EXPECT_TRUE(at::equal(ss, seg.narrow(1, 2, 8).narrow(2, 2, 9).narrow(3, 2, 10)));
}

TEST(AugmentSpatial, NinetyDegreeRotationsMoveAVoxelWhereT11Says) {
  // p' = p · R: under Rx(90°) output offset (dz, dy, dx) reads input offset (dz, dx, -dy), so an input voxel at
  // offset (0, 2, 0) shows at output offset (0, 0, 2). Under Rz(90°) output (dz, dy, dx) reads (dy, -dz, dx): input
  // offset (2, 0, 0) shows at output (0, 2, 0).
  struct Case {
    std::array<double, 3> angles;
    std::array<int64_t, 3> in_offset;
    std::array<int64_t, 3> out_offset;
  };
  for (const Case& c : {Case{{kPi / 2, 0, 0}, {0, 2, 0}, {0, 0, 2}}, Case{{0, 0, kPi / 2}, {2, 0, 0}, {0, 2, 0}},
                        Case{{0, kPi / 2, 0}, {2, 0, 0}, {0, 0, -2}}}) {
    at::Tensor data = at::zeros({1, 9, 9, 9});
    at::Tensor seg = at::zeros({1, 9, 9, 9});
    data[0][4 + c.in_offset[0]][4 + c.in_offset[1]][4 + c.in_offset[2]] = 5.0f;
    seg[0][4 + c.in_offset[0]][4 + c.in_offset[1]][4 + c.in_offset[2]] = 2.0f;
    SpatialDraw d;
    d.rotate = true;
    d.angles_rad = c.angles;
    const auto [dd, ss] = apply_spatial(data, seg, d, {9, 9, 9}, SpatialParams{});
    const int64_t z = 4 + c.out_offset[0];
    const int64_t y = 4 + c.out_offset[1];
    const int64_t x = 4 + c.out_offset[2];
    EXPECT_NEAR(dd[0][z][y][x].item<float>(), 5.0f, 1e-4) << c.angles[0] << " " << c.angles[1] << " " << c.angles[2];
    EXPECT_NEAR(dd.sum().item<float>(), 5.0f, 1e-3);
    EXPECT_EQ(ss[0][z][y][x].item<float>(), 2.0f);
    EXPECT_EQ(ss.eq(2).sum().item<int64_t>(), 1);
  }
}

TEST(AugmentSpatial, ScaleBelowOneZoomsInAndAboveOneZoomsOut) {
  // A sphere of radius 5 in the centre of a 33³ volume; count voxels of the object after scaling.
  const auto r = at::arange(33, at::kFloat) - 16.0;
  const at::Tensor r2 = r.view({33, 1, 1}).pow(2) + r.view({1, 33, 1}).pow(2) + r.view({1, 1, 33}).pow(2);
  const at::Tensor data = r2.lt(25).to(at::kFloat).unsqueeze(0);
  const at::Tensor seg = data.clone();
  const auto count = [&](double s) {
    SpatialDraw d;
    d.scale = true;
    d.scale_factors = {s, s, s};
    const auto [dd, ss] = apply_spatial(data, seg, d, {33, 33, 33}, SpatialParams{});
    return std::make_pair(dd.gt(0.5).sum().item<double>(), ss.eq(1).sum().item<double>());
  };
  const double base = data.sum().item<double>();
  const auto [zoom_in_d, zoom_in_s] = count(0.7);
  const auto [zoom_out_d, zoom_out_s] = count(1.4);
  // Volume scales with 1 / s³: 2.92x and 0.36x; allow the voxelisation some slack.
  EXPECT_GT(zoom_in_d, 2.4 * base);
  EXPECT_GT(zoom_in_s, 2.4 * base);
  EXPECT_LT(zoom_out_d, 0.5 * base);
  EXPECT_LT(zoom_out_s, 0.5 * base);
}

TEST(AugmentSpatial, LabelsStayWithinThePresentOnesAndOutsideBecomesBackground) {
  // All -1 (outside the brain) except a block of label 1; zooming out samples beyond the loader patch.
  at::Tensor seg = at::full({1, 20, 20, 20}, -1.0f);
  seg.narrow(1, 7, 6).narrow(2, 7, 6).narrow(3, 7, 6).fill_(1.0f);
  const at::Tensor data = seg + 2.0f;  // 1 outside the brain, 3 in the block
  SpatialDraw d;
  d.rotate = true;
  d.angles_rad = {0.4, -0.3, 0.2};
  d.scale = true;
  d.scale_factors = {1.4, 1.4, 1.4};
  const auto [dd, ss] = apply_spatial(data, seg, d, {20, 20, 20}, SpatialParams{});
  const auto values = std::get<0>(at::_unique(ss));
  std::set<float> present;
  for (int64_t i = 0; i < values.numel(); ++i) present.insert(values[i].item<float>());
  EXPECT_EQ(present, (std::set<float>{-1.0f, 0.0f, 1.0f}));
  // A corner reads (offset 9.5 · 1.4 ≈ 13.3 from the centre) beyond the patch: label 0, data 0.
  EXPECT_EQ(ss[0][0][0][0].item<float>(), 0.0f);
  EXPECT_EQ(dd[0][0][0][0].item<float>(), 0.0f);
  EXPECT_EQ(ss[0][10][10][10].item<float>(), 1.0f);
  EXPECT_EQ(ss[0][10][10][3].item<float>(), -1.0f);  // about 9 voxels from the centre: inside the patch
  EXPECT_TRUE(at::isfinite(dd).all().item<bool>());
  EXPECT_LE(dd.max().item<float>(), 3.0f + 1e-5f);
}

TEST(AugmentSpatial, DrawsFollowV2Probabilities) {
  AugmentRng rng(at::make_generator<at::CPUGeneratorImpl>(3));
  const SpatialParams p;
  const int n = 20000;
  int rotated = 0;
  int scaled = 0;
  int below_one = 0;
  for (int i = 0; i < n; ++i) {
    const SpatialDraw d = draw_spatial(p, rng);
    if (d.rotate) {
      ++rotated;
      for (double a : d.angles_rad) {
        EXPECT_NE(a, 0.0);
        EXPECT_LE(std::abs(a), kPi / 6);
      }
    } else {
      EXPECT_EQ(d.angles_rad, (std::array<double, 3>{0, 0, 0}));
    }
    if (d.scale) {
      ++scaled;
      EXPECT_EQ(d.scale_factors[0], d.scale_factors[1]);  // one factor for all axes
      EXPECT_EQ(d.scale_factors[0], d.scale_factors[2]);
      EXPECT_GE(d.scale_factors[0], 0.7);
      EXPECT_LE(d.scale_factors[0], 1.4);
      below_one += d.scale_factors[0] < 1.0 ? 1 : 0;
    }
  }
  EXPECT_NEAR(rotated / static_cast<double>(n), 0.2, 0.015);
  EXPECT_NEAR(scaled / static_cast<double>(n), 0.2, 0.015);
  EXPECT_NEAR(below_one / static_cast<double>(scaled), 0.5, 0.04);

  SpatialParams p2;
  p2.dummy_2d = true;
  p2.rotation_max_rad[0] = kPi;
  p2.p_rotation = 1.0;
  p2.p_scale = 1.0;
  double max_angle = 0;
  for (int i = 0; i < 2000; ++i) {
    const SpatialDraw d = draw_spatial(p2, rng);
    EXPECT_EQ(d.angles_rad[1], 0.0);
    EXPECT_EQ(d.angles_rad[2], 0.0);
    EXPECT_EQ(d.scale_factors[0], 1.0);
    EXPECT_EQ(d.scale_factors[1], d.scale_factors[2]);
    max_angle = std::max(max_angle, std::abs(d.angles_rad[0]));
  }
  EXPECT_GT(max_angle, 2.5);  // ±180° in dummy-2D mode
}

TEST(AugmentSpatial, DummyTwoDNeverMixesSlices) {
  // Each axial slice constant (its index); any in-plane rotation and scale keeps the slice value where it samples
  // inside, and 0 outside.
  const at::Tensor data = at::arange(6, at::kFloat).add(1).view({1, 6, 1, 1}).expand({1, 6, 16, 16}).contiguous();
  const at::Tensor seg = at::ones({1, 6, 16, 16});
  SpatialParams p;
  p.dummy_2d = true;
  SpatialDraw d;
  d.rotate = true;
  d.angles_rad = {2.0, 0, 0};
  d.scale = true;
  d.scale_factors = {1.0, 1.2, 1.2};
  const auto [dd, ss] = apply_spatial(data, seg, d, {6, 12, 12}, p);
  for (int64_t z = 0; z < 6; ++z) {
    const at::Tensor slice = dd[0][z];
    const at::Tensor inside = slice.ne(0);
    EXPECT_GT(inside.sum().item<int64_t>(), 100);
    EXPECT_TRUE(at::allclose(slice.masked_select(inside), at::full({1}, static_cast<float>(z + 1)), 0, 1e-5)) << z;
  }
}

TEST(AugmentSpatial, CpuKernelMatchesTheGridSamplePath) {
  const at::Tensor data = smooth_volume(3, 21, 22, 23);
  const at::Tensor seg = blob_labels(21, 22, 23);
  AugmentRng rng(at::make_generator<at::CPUGeneratorImpl>(17));
  SpatialParams p;
  p.p_rotation = 1;
  p.p_scale = 1;
  for (int trial = 0; trial < 6; ++trial) {
    const SpatialDraw d = draw_spatial(p, rng);
    const auto [kd, ks] = apply_spatial(data, seg, d, {12, 14, 16}, p);
    const auto [gd, gs] = apply_spatial(data, seg, d, {12, 14, 16}, p, SpatialBackend::kGridSample);
    EXPECT_TRUE(at::allclose(kd, gd, 0, 2e-5)) << trial << " " << (kd - gd).abs().max().item<float>();
    EXPECT_LE(ks.ne(gs).sum().item<int64_t>(), 2) << trial;  // float32 grid vs double: ties at 0.5 only
    EXPECT_EQ(ks.scalar_type(), gs.scalar_type());
  }
}

TEST(AugmentSpatial, MatchesScipyMapCoordinatesOrderOne) {
  if (::nnseg::testing::run_command({"/usr/bin/python3", "-c", "import numpy, scipy.ndimage"}).exit_code != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with numpy and scipy not available";
  }
  // The reference follows spec §7.2.1 with scipy (batchgenerators' interpolate_img), linear for data too.
  const std::string script = R"(
import sys, numpy as np
from scipy.ndimage import map_coordinates
a = [float(v) for v in sys.argv[1:4]]; s = float(sys.argv[4])
I = (12, 13, 14); O = (8, 9, 10)
z, y, x = np.meshgrid(*[np.arange(n, dtype=float) for n in I], indexing='ij')
data = (np.sin(z * 0.37 + y * 0.21) * np.cos(x * 0.29) + z * y * 0.01).astype(np.float32).astype(float)
r2 = (z - 6) ** 2 + (y - 6) ** 2 + (x - 7) ** 2
seg = np.zeros(I); seg[x < 3] = -1; seg[y > 9] = 2; seg[r2 < 16] = 1; seg[(r2 < 16) & (z < 5)] = 3
c, sn = np.cos(a), np.sin(a)
Rx = np.array([[1, 0, 0], [0, c[0], -sn[0]], [0, sn[0], c[0]]])
Ry = np.array([[c[1], 0, sn[1]], [0, 1, 0], [-sn[1], 0, c[1]]])
Rz = np.array([[c[2], -sn[2], 0], [sn[2], c[2], 0], [0, 0, 1]])
g = np.array(np.meshgrid(*[np.arange(n, dtype=float) - (n - 1) / 2 for n in O], indexing='ij'))
p = (g.reshape(3, -1).T @ (Rx @ Ry @ Rz) * s).T.reshape(g.shape)
for d in range(3): p[d] += I[d] / 2 - 0.5
out = map_coordinates(data, p, order=1, mode='constant', cval=0)
so = np.zeros(O)
for v in np.unique(seg):
    so[map_coordinates((seg == v).astype(float), p, order=1, mode='constant', cval=-1) >= 0.5] = v
print(' '.join('%.9g' % v for v in out.ravel())); print(' '.join('%g' % v for v in so.ravel()))
)";
  const at::Tensor data = smooth_volume(1, 12, 13, 14);
  const at::Tensor seg = blob_labels(12, 13, 14);
  for (const auto& [angles, scale] : std::vector<std::pair<std::array<double, 3>, double>>{
           {{0.4, -0.3, 0.5}, 1.0}, {{-0.5, 0.2, 0.1}, 1.3}, {{0.0, 0.0, 0.0}, 0.75}, {{0.3, 0.3, -0.2}, 0.9}}) {
    const auto result =
        ::nnseg::testing::run_command({"/usr/bin/python3", "-c", script, std::to_string(angles[0]),
                                       std::to_string(angles[1]), std::to_string(angles[2]), std::to_string(scale)});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::istringstream lines(result.out);
    std::string data_line;
    std::string seg_line;
    std::getline(lines, data_line);
    std::getline(lines, seg_line);
    SpatialDraw d;
    d.rotate = true;
    d.angles_rad = angles;
    d.scale = true;
    d.scale_factors = {scale, scale, scale};
    const auto [dd, ss] = apply_spatial(data, seg, d, {8, 9, 10}, SpatialParams{});
    std::istringstream dv(data_line);
    std::istringstream sv(seg_line);
    const at::Tensor df = dd.flatten();
    const at::Tensor sf = ss.flatten();
    int seg_mismatch = 0;
    for (int64_t i = 0; i < df.numel(); ++i) {
      double ref = 0;
      double ref_label = 0;
      dv >> ref;
      sv >> ref_label;
      ASSERT_NEAR(df[i].item<float>(), ref, 2e-5) << "voxel " << i << " angles " << angles[0] << " scale " << scale;
      seg_mismatch += sf[i].item<float>() != static_cast<float>(ref_label) ? 1 : 0;
    }
    // Float32 grid coordinates may flip an indicator sitting exactly on 0.5; nothing else may differ.
    EXPECT_LE(seg_mismatch, 2) << "angles " << angles[0] << " scale " << scale;
  }
}

}  // namespace
}  // namespace nnseg
