// Tests for the export of predictions (export/export_prediction.h): linear and separate-z resampling against scipy
// and hand computations, the identity path, uncropping, the whole preprocess -> export round trip on a cropped,
// resampled, anisotropic, oblique (and transposed) case, and bad inputs (exit 2, no file written).
#include "export/export_prediction.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <random>

#include "core/error.h"
#include "io/nifti.h"
#include "io/npy.h"
#include "preprocessing/resample.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

std::array<int64_t, 3> extent(const BoundingBox& box) {
  return {box[0][1] - box[0][0], box[1][1] - box[1][0], box[2][1] - box[2][0]};
}

// Properties of a case of `original` voxels cropped to `box`, predicted at `resampled` voxels (transposed order).
CaseProperties make_properties(const std::array<int64_t, 3>& original, const BoundingBox& box,
                               const std::array<double, 3>& original_spacing,
                               const std::array<double, 3>& spacing_transposed,
                               const std::array<int64_t, 3>& resampled) {
  CaseProperties p;
  p.crop.original_size_of_raw_data = original;
  p.crop.original_spacing = original_spacing;
  p.crop.geometry.spacing = {original_spacing[2], original_spacing[1], original_spacing[0]};
  p.crop.crop_bbox = box;
  p.crop.size_after_cropping = extent(box);
  p.size_after_resampling = resampled;
  p.spacing_after_resampling = spacing_transposed;
  p.list_of_data_files = {"case_0000.nii.gz"};
  return p;
}

BoundingBox full_box(const std::array<int64_t, 3>& shape) { return {{{0, shape[0]}, {0, shape[1]}, {0, shape[2]}}}; }

Array4f random_probs(std::array<int64_t, 4> shape, uint32_t seed) {
  Array4f a(shape);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (float& v : a.values) v = dist(gen);
  return a;
}

// Reads in.npy [C, Z, Y, X] and writes out.npy resized to the given shape per channel: mode "linear" is
// map_coordinates(order=1, mode='nearest') on the pixel-centre grid (= skimage resize order 1, mode 'edge', no
// anti-aliasing); mode "separate" is v1's separate-z path along axis 0 (in-plane linear per slice, cast to float32,
// then map_coordinates order 0, mode 'nearest').
constexpr const char* kScript = R"(
import sys, numpy as np, scipy.ndimage as ndi
folder, mode = sys.argv[1], sys.argv[2]; shape = tuple(int(v) for v in sys.argv[3:6])
def grid(src, dst):
    axes = [(np.arange(m) + 0.5) * n / m - 0.5 for n, m in zip(src, dst)]
    return np.array(np.meshgrid(*axes, indexing='ij'))
out = []
for c in np.load(folder + '/in.npy').astype(np.float64):
    if mode == 'linear':
        r = ndi.map_coordinates(c, grid(c.shape, shape), order=1, mode='nearest')
    else:
        s = np.stack([ndi.map_coordinates(p, grid(p.shape, shape[1:]), order=1, mode='nearest').astype(np.float32)
                      for p in c])
        r = ndi.map_coordinates(s, grid(s.shape, shape), order=0, mode='nearest')
    out.append(r.astype(np.float32))
np.save(folder + '/out.npy', np.stack(out))
)";

TEST(ExportResample, LinearAndSeparateZMatchScipy) {
  if (testing::run_command({kPython, "-c", "import numpy, scipy.ndimage"}, {}, 60).exit_code != 0) {
    GTEST_SKIP() << kPython << " has no numpy/scipy";
  }
  const std::array<int64_t, 3> shape{5, 7, 6};
  const Array4f probs = random_probs({2, shape[0], shape[1], shape[2]}, 5);
  struct Case {
    std::array<int64_t, 3> target;
    bool separate;
  };
  for (const Case& c : {Case{{9, 4, 6}, false}, Case{{3, 11, 13}, false}, Case{{5, 7, 10}, false},
                        Case{{9, 4, 6}, true}, Case{{3, 11, 13}, true}}) {
    // Separate z comes from an anisotropic original spacing (axis 0); otherwise everything is isotropic.
    const std::array<double, 3> spacing = c.separate ? std::array<double, 3>{4, 1, 1} : std::array<double, 3>{1, 1, 1};
    const CaseProperties p = make_properties(c.target, full_box(c.target), spacing, {1, 1, 1}, shape);
    testing::TempDir dir;
    write_npy(dir / "in.npy", NpyDType::kFloat32, {2, shape[0], shape[1], shape[2]}, probs.values.data());
    const auto result =
        testing::run_command({kPython, "-c", kScript, dir.path().string(), c.separate ? "separate" : "linear",
                              std::to_string(c.target[0]), std::to_string(c.target[1]), std::to_string(c.target[2])});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const NpyArray want = read_npy(dir / "out.npy");
    const Array4f got = probabilities_to_original_spacing(probs, p, {0, 1, 2}, 2);
    ASSERT_EQ(got.shape, (std::array<int64_t, 4>{2, c.target[0], c.target[1], c.target[2]}));
    ASSERT_EQ(want.numel(), got.numel());
    for (int64_t i = 0; i < got.numel(); ++i) {
      ASSERT_NEAR(got.values[static_cast<size_t>(i)], want.at<float>(i), 1e-6)
          << "voxel " << i << (c.separate ? " separate z" : " linear") << " target " << c.target[0] << "x"
          << c.target[1] << "x" << c.target[2];
    }
  }
}

// Slice 0 = [[0, 1], [2, 3]], slice 1 = [[10, 20], [30, 40]]; resampled to (4, 3, 2).
Array4f two_slices() {
  Array4f probs({1, 2, 2, 2});
  probs.values = {0, 1, 2, 3, 10, 20, 30, 40};
  return probs;
}

TEST(ExportResample, SeparateZByHand) {
  // Original spacing (4, 1, 1) is anisotropic: in-plane y 2 -> 3 linear at x = -1/6 (edge), 0.5, 7/6 (edge), then z
  // 2 -> 4 nearest at -0.25, 0.25, 0.75, 1.25 -> slices 0, 0, 1, 1.
  const CaseProperties p = make_properties({4, 3, 2}, full_box({4, 3, 2}), {4, 1, 1}, {8, 1.5, 1}, {2, 2, 2});
  const Array4f got = probabilities_to_original_spacing(two_slices(), p, {0, 1, 2});
  const std::vector<float> a{0, 1, 1, 2, 2, 3}, b{10, 20, 20, 30, 30, 40};
  std::vector<float> want;
  for (const auto* s : {&a, &a, &b, &b}) want.insert(want.end(), s->begin(), s->end());
  EXPECT_EQ(got.values, want);
}

TEST(ExportResample, IsotropicIsLinearAlongZ) {
  // The same array without anisotropy: z is linear too, slice 1 = 0.75 * a + 0.25 * b.
  const CaseProperties p = make_properties({4, 3, 2}, full_box({4, 3, 2}), {1, 1, 1}, {2, 1.5, 1}, {2, 2, 2});
  const Array4f got = probabilities_to_original_spacing(two_slices(), p, {0, 1, 2});
  const std::vector<float> want_slice1{2.5f, 5.75f, 5.75f, 9.0f, 9.0f, 12.25f};
  ASSERT_EQ(got.values.size(), 24u);
  for (size_t i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(got.values[6 + i], want_slice1[i]) << i;
  EXPECT_EQ(std::vector<float>(got.values.begin(), got.values.begin() + 6), (std::vector<float>{0, 1, 1, 2, 2, 3}));
}

TEST(ExportResample, SeparateZFromTargetSpacingUsesTransposedBackAxis) {
  // transpose_forward (2, 0, 1), backward (1, 2, 0). The original z (8 voxels, spacing 1) was resampled to spacing 4
  // (transposed axis 1): 2 voxels. Original spacing isotropic, so the target spacing (4, 1, 1) after transposing
  // back decides: separate z along original axis 0, nearest: z 0-3 <- slice 0, z 4-7 <- slice 1.
  const std::array<int, 3> forward{2, 0, 1}, backward{1, 2, 0};
  const Array4f probs = random_probs({2, 3, 2, 2}, 9);  // transposed order (x, z, y)
  const CaseProperties p = make_properties({8, 2, 3}, full_box({8, 2, 3}), {1, 1, 1}, {1, 4, 1}, {3, 2, 2});
  const Array4f back = transpose_spatial(probs, backward);
  ASSERT_EQ(back.spatial(), (std::array<int64_t, 3>{2, 2, 3}));
  ASSERT_EQ(transpose_spatial(back, forward).values, probs.values);
  const Array4f got = probabilities_to_original_spacing(probs, p, backward);
  ASSERT_EQ(got.shape, (std::array<int64_t, 4>{2, 8, 2, 3}));
  for (int64_t c = 0; c < 2; ++c) {
    for (int64_t z = 0; z < 8; ++z) {
      for (int64_t y = 0; y < 2; ++y) {
        for (int64_t x = 0; x < 3; ++x) EXPECT_EQ(got.at(c, z, y, x), back.at(c, z / 4, y, x)) << c << z << y << x;
      }
    }
  }
}

TEST(ExportResample, SameShapeIsAnExactCopy) {
  // Spacings differ but the shapes agree: no resampling (v1 "no resampling necessary"), bit-identical values.
  const Array4f original = random_probs({3, 4, 5, 6}, 3);
  const CaseProperties p = make_properties({4, 5, 6}, full_box({4, 5, 6}), {3, 1, 1}, {1, 1, 1}, {4, 5, 6});
  EXPECT_EQ(probabilities_to_original_spacing(original, p, {0, 1, 2}).values, original.values);
  // Transposed prediction, no resampling: exactly the original layout again.
  const Array4f transposed = transpose_spatial(original, {2, 0, 1});
  CaseProperties pt = p;
  pt.size_after_resampling = transposed.spatial();
  const Array4f back = probabilities_to_original_spacing(transposed, pt, {1, 2, 0});
  EXPECT_EQ(back.shape, original.shape);
  EXPECT_EQ(back.values, original.values);
}

Geometry oblique_geometry(const std::array<double, 3>& spacing_xyz) {
  // Rotation about z by 25 degrees, then about y by 10 degrees, with the first axis flipped (determinant -1).
  const double a = 25.0 * M_PI / 180.0, b = 10.0 * M_PI / 180.0;
  const double rz[9] = {std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a), 0, 0, 0, 1};
  const double ry[9] = {std::cos(b), 0, std::sin(b), 0, 1, 0, -std::sin(b), 0, std::cos(b)};
  Geometry g;
  g.spacing = spacing_xyz;
  g.origin = {-12.5, 33.25, 7.75};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      double v = 0;
      for (int k = 0; k < 3; ++k) v += rz[r * 3 + k] * ry[k * 3 + c];
      g.direction[static_cast<size_t>(r * 3 + c)] = c == 0 ? -v : v;
    }
  }
  return g;
}

TEST(UncropLabels, PlacesLabelsInTheBoxWithTheGeometry) {
  CropProperties crop;
  crop.original_size_of_raw_data = {4, 6, 5};
  crop.crop_bbox = {{{1, 3}, {2, 5}, {0, 4}}};
  crop.geometry = oblique_geometry({0.9, 0.8, 3.0});
  std::vector<uint8_t> labels(24);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>(1 + i % 3);
  const Image out = uncrop_labels(labels, {2, 3, 4}, crop);
  EXPECT_EQ(out.type, PixelType::kUInt8);
  EXPECT_EQ(out.shape, crop.original_size_of_raw_data);
  EXPECT_EQ(out.geometry, crop.geometry);
  for (int64_t z = 0; z < 4; ++z) {
    for (int64_t y = 0; y < 6; ++y) {
      for (int64_t x = 0; x < 5; ++x) {
        const bool inside = z >= 1 && z < 3 && y >= 2 && y < 5 && x < 4;
        const uint8_t want = inside ? labels[static_cast<size_t>(((z - 1) * 3 + (y - 2)) * 4 + x)] : 0;
        EXPECT_EQ(out.data<uint8_t>()[out.index(z, y, x)], want) << z << " " << y << " " << x;
      }
    }
  }
}

// A 4-channel 30x40x36 case (z, y, x), spacing (3.0, 0.8, 0.9) z-y-x, oblique flipped direction: the images are
// nonzero in an off-centre ellipsoid (so cropping removes a margin), the label holds three nested blobs inside it.
// Written to NIfTI and read back, so that its geometry is what a file can hold.
struct RoundTripCase {
  std::vector<Image> channels;
  Image label;
};

RoundTripCase round_trip_case(const testing::TempDir& dir) {
  const std::array<int64_t, 3> shape{30, 40, 36};
  const Geometry g = oblique_geometry({0.9, 0.8, 3.0});
  auto inside = [](double z, double y, double x, std::array<double, 6> e) {
    const double dz = (z - e[0]) / e[3], dy = (y - e[1]) / e[4], dx = (x - e[2]) / e[5];
    return dz * dz + dy * dy + dx * dx <= 1.0;
  };
  RoundTripCase c;
  for (int ch = 0; ch < 4; ++ch) c.channels.emplace_back(PixelType::kFloat32, shape, g);
  c.label = Image(PixelType::kUInt8, shape, g);
  for (int64_t z = 0; z < shape[0]; ++z) {
    for (int64_t y = 0; y < shape[1]; ++y) {
      for (int64_t x = 0; x < shape[2]; ++x) {
        const auto zd = static_cast<double>(z), yd = static_cast<double>(y), xd = static_cast<double>(x);
        if (!inside(zd, yd, xd, {14, 22, 17, 9, 13, 11})) continue;
        const int64_t i = c.label.index(z, y, x);
        for (int ch = 0; ch < 4; ++ch)
          c.channels[static_cast<size_t>(ch)].data<float>()[i] =
              static_cast<float>(1 + ch + 0.05 * zd + 0.02 * yd - 0.01 * xd);
        uint8_t l = inside(zd, yd, xd, {14, 22, 17, 7, 10, 9}) ? 1 : 0;
        if (inside(zd, yd, xd, {15, 20, 18, 5, 8, 7})) l = 2;
        if (inside(zd, yd, xd, {13, 24, 15, 3, 5, 5})) l = 3;
        c.label.data<uint8_t>()[i] = l;
      }
    }
  }
  for (int ch = 0; ch < 4; ++ch) {
    const fs::path path = dir / ("case_000" + std::to_string(ch) + ".nii.gz");
    write_nifti(path, c.channels[static_cast<size_t>(ch)]);
    c.channels[static_cast<size_t>(ch)] = read_nifti(path);
  }
  write_nifti(dir / "case.nii.gz", c.label);
  c.label = read_nifti(dir / "case.nii.gz");
  return c;
}

// One-hot "probabilities" of a preprocessed label (-1 counts as background).
Array4f one_hot(const Array4<int8_t>& seg, int64_t classes) {
  Array4f probs({classes, seg.shape[1], seg.shape[2], seg.shape[3]});
  for (int64_t i = 0; i < seg.channel_numel(); ++i) {
    const int64_t l = std::max<int64_t>(seg.values[static_cast<size_t>(i)], 0);
    probs.channel(l)[i] = 1.0f;
  }
  return probs;
}

TEST(ExportPrediction, GeometryRestoredForCroppedResampledAnisotropicTransposedCase) {
  testing::TempDir dir;
  const RoundTripCase input = round_trip_case(dir);
  const std::array<double, 3> target_zyx{2.0, 1.2, 1.3};  // mm; original (3.0, 0.8, 0.9): resampled, separate z
  std::vector<uint8_t> first_output;
  write_nifti(dir / "reference.nii.gz", input.label);
  const Image reference = read_nifti(dir / "reference.nii.gz");
  const std::vector<std::array<int, 3>> orders{{0, 1, 2}, {2, 0, 1}, {1, 0, 2}};
  for (const std::array<int, 3>& forward : orders) {
    std::array<int, 3> backward{};
    for (int k = 0; k < 3; ++k) backward[static_cast<size_t>(forward[static_cast<size_t>(k)])] = k;
    PreprocessParameters params;
    for (int k = 0; k < 3; ++k)
      params.target_spacing[static_cast<size_t>(k)] = target_zyx[static_cast<size_t>(forward[static_cast<size_t>(k)])];
    params.transpose_forward = forward;
    params.normalization_schemes.assign(4, NormalizationScheme::kNonCT);
    params.use_mask_for_norm.assign(4, true);
    params.all_classes = {1, 2, 3};
    const PreprocessedCase pre = preprocess_case(input.channels, &input.label, params, "case");
    const CaseProperties& props = pre.properties;
    const std::string name = std::to_string(forward[0]) + std::to_string(forward[1]) + std::to_string(forward[2]);
    ASSERT_EQ(separate_z_axis(props.crop.original_spacing, target_zyx), std::optional<int>(0));
    ASSERT_NE(props.crop.size_after_cropping, props.crop.original_size_of_raw_data) << "the case is not cropped";
    const fs::path out = dir / ("pred_" + name + ".nii.gz");
    const Array4f resampled = export_prediction(one_hot(pre.seg, 4), props, backward, out);

    const std::array<int64_t, 3>& cropped = props.crop.size_after_cropping;
    ASSERT_EQ(resampled.shape, (std::array<int64_t, 4>{4, cropped[0], cropped[1], cropped[2]})) << name;
    float worst_sum = 0;
    for (int64_t i = 0; i < resampled.channel_numel(); ++i) {
      float sum = 0;
      for (int64_t c = 0; c < 4; ++c) sum += resampled.channel(c)[i];
      worst_sum = std::max(worst_sum, std::fabs(sum - 1.0f));
    }
    EXPECT_LT(worst_sum, 1e-6f) << name << ": linear and nearest resampling keep a partition of unity";

    const Image got = read_nifti(out);
    EXPECT_EQ(got.type, PixelType::kUInt8) << name;
    EXPECT_EQ(got.shape, input.label.shape) << name;
    EXPECT_EQ(got.geometry.origin, input.label.geometry.origin) << name;
    EXPECT_EQ(got.geometry.spacing, input.label.geometry.spacing) << name;
    // NIfTI stores the direction as a float32 quaternion, so a file written from a direction read from a file can
    // differ from it in the last float32 digits (SimpleITK in nnU-Net alike). What export_prediction writes is
    // exactly the input's geometry: the file equals the input label written again, bit for bit.
    EXPECT_EQ(got.geometry, reference.geometry) << name;
    for (size_t k = 0; k < 9; ++k) {
      EXPECT_NEAR(got.geometry.direction[k], input.label.geometry.direction[k], 1e-7) << name << " direction " << k;
    }
    EXPECT_EQ(uncrop_labels(std::vector<uint8_t>(static_cast<size_t>(resampled.channel_numel())), cropped, props.crop)
                  .geometry,
              input.label.geometry)
        << name << ": the image handed to write_nifti carries the input geometry exactly";
    const BoundingBox& box = props.crop.crop_bbox;
    int64_t outside_nonzero = 0, box_voxels = 0, agree = 0, fg_both = 0, fg_sum = 0;
    for (int64_t z = 0; z < got.shape[0]; ++z) {
      for (int64_t y = 0; y < got.shape[1]; ++y) {
        for (int64_t x = 0; x < got.shape[2]; ++x) {
          const int64_t i = got.index(z, y, x);
          const uint8_t v = got.data<uint8_t>()[i], want = input.label.data<uint8_t>()[i];
          const bool in_box =
              z >= box[0][0] && z < box[0][1] && y >= box[1][0] && y < box[1][1] && x >= box[2][0] && x < box[2][1];
          if (!in_box) {
            outside_nonzero += v != 0;
            continue;
          }
          ++box_voxels;
          agree += v == want;
          fg_both += v != 0 && v == want;
          fg_sum += (v != 0) + (want != 0);
        }
      }
    }
    EXPECT_EQ(outside_nonzero, 0) << name;
    const double agreement = static_cast<double>(agree) / static_cast<double>(box_voxels);
    const double fg_dice = 2.0 * static_cast<double>(fg_both) / static_cast<double>(fg_sum);
    std::cout << "transpose_forward " << name << ": crop box " << cropped[0] << "x" << cropped[1] << "x" << cropped[2]
              << ", preprocessed " << pre.seg.shape[1] << "x" << pre.seg.shape[2] << "x" << pre.seg.shape[3]
              << ", label agreement in the box " << agreement << ", foreground agreement " << fg_dice << "\n";
    EXPECT_GT(agreement, 0.95) << name;
    EXPECT_GT(fg_dice, 0.9) << name;
    // Transposing is exact: every transposition gives the same labels.
    const std::vector<uint8_t> labels(got.bytes.begin(), got.bytes.end());
    if (first_output.empty()) {
      first_output = labels;
    } else {
      int64_t differ = 0;
      for (size_t i = 0; i < labels.size(); ++i) differ += labels[i] != first_output[i];
      std::cout << "transpose_forward " << name << ": " << differ << " voxels differ from the untransposed export\n";
      EXPECT_EQ(differ, 0) << name;
    }
  }
}

TEST(ExportPrediction, RegionModelWritesRegionLabels) {
  testing::TempDir dir;
  const CaseProperties p = make_properties({3, 3, 4}, {{{1, 2}, {0, 3}, {1, 3}}}, {1, 1, 1}, {1, 1, 1}, {1, 3, 2});
  Array4f probs({3, 1, 3, 2});
  // Per voxel (WT, TC, ET): the I5 vectors and one more.
  const std::vector<std::array<float, 3>> voxels{{0.9f, 0.2f, 0.7f}, {0.9f, 0.6f, 0.4f}, {0.4f, 0.6f, 0.1f},
                                                 {0.6f, 0.1f, 0.1f}, {0.5f, 0.5f, 0.5f}, {1, 1, 1}};
  for (size_t v = 0; v < voxels.size(); ++v) {
    for (size_t c = 0; c < 3; ++c) probs.channel(static_cast<int64_t>(c))[v] = voxels[v][c];
  }
  ExportOptions options;
  options.regions_class_order = {1, 2, 3};
  export_prediction(probs, p, {0, 1, 2}, dir / "r.nii.gz", options);
  const Image got = read_nifti(dir / "r.nii.gz");
  std::vector<uint8_t> want(36, 0);
  const std::vector<uint8_t> inner{3, 2, 2, 1, 0, 3};
  for (int64_t y = 0; y < 3; ++y) {
    for (int64_t x = 0; x < 2; ++x)
      want[static_cast<size_t>((1 * 3 + y) * 4 + 1 + x)] = inner[static_cast<size_t>(y * 2 + x)];
  }
  EXPECT_EQ(std::vector<uint8_t>(got.bytes.begin(), got.bytes.end()), want);
}

// Runs `fn`, expects an InputError (exit 2) whose message holds every one of `parts`, and no file in `dir`.
template <typename F>
void expect_input_error(F&& fn, const std::vector<std::string>& parts, const testing::TempDir& dir) {
  try {
    fn();
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    const std::string message = format_error(e);
    for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
  EXPECT_TRUE(testing::list_files(dir.path()).empty()) << "files left after an error";
}

TEST(ExportPredictionErrors, BadInputsThrowAndWriteNothing) {
  testing::TempDir dir;
  const fs::path out = dir / "bad.nii.gz";
  const std::string path = out.string();
  const CaseProperties p = make_properties({5, 4, 4}, {{{1, 4}, {0, 4}, {0, 4}}}, {1, 1, 1}, {1, 1, 1}, {3, 4, 4});
  const Array4f probs = random_probs({2, 3, 4, 4}, 1);
  expect_input_error([&] { export_prediction(Array4f({0, 3, 4, 4}), p, {0, 1, 2}, out); }, {path, "0 channels"}, dir);
  CaseProperties outside = p;
  outside.crop.crop_bbox[0] = {3, 6};
  expect_input_error([&] { export_prediction(probs, outside, {0, 1, 2}, out); }, {path, "[3, 6)", "[5, 4, 4]"}, dir);
  outside.crop.crop_bbox[0] = {-1, 2};
  expect_input_error([&] { export_prediction(probs, outside, {0, 1, 2}, out); }, {path, "[-1, 2)"}, dir);
  expect_input_error(
      [&] {
        export_prediction(random_probs({2, 3, 4, 5}, 1), p, {0, 1, 2}, out);
      },
      {path, "[3, 4, 5]", "size_after_resampling [3, 4, 4]"}, dir);
  expect_input_error([&] { export_prediction(probs, p, {0, 0, 1}, out); }, {path, "[0, 0, 1]"}, dir);
  ExportOptions regions;
  regions.regions_class_order = {1, 2, 3};
  expect_input_error(
      [&] {
        export_prediction(probs, p, {0, 1, 2}, out, regions);
      },
      {path, "3 entries", "2 channels"}, dir);
  regions.regions_class_order = {1, 256};
  expect_input_error([&] { export_prediction(probs, p, {0, 1, 2}, out, regions); }, {path, "256"}, dir);
  expect_input_error(
      [&] {
        probabilities_to_original_spacing(Array4f({0, 3, 4, 4}), p, {0, 1, 2});
      },
      {"case_0000.nii.gz", "0 channels"}, dir);
  expect_input_error([&] { uncrop_labels(std::vector<uint8_t>(47), {3, 4, 4}, p.crop); }, {"47 labels", "48"}, dir);
  expect_input_error([&] { uncrop_labels(std::vector<uint8_t>(64), {4, 4, 4}, p.crop); }, {"[1, 4)", "4 voxels"}, dir);
}

// Timing of one BraTS-size export (run with --gtest_also_run_disabled_tests): 4 classes x 139x170x138 in a
// 155x240x240 image, without resampling, and from a (1, 1, 1.5) mm prediction (x: 92 -> 138 voxels, linear).
TEST(ExportPrediction, DISABLED_TimingBratsSize) {
  testing::TempDir dir;
  const BoundingBox box{{{8, 147}, {35, 205}, {51, 189}}};
  for (int threads : {1, 2}) {
    for (bool resample : {false, true}) {
      const std::array<int64_t, 3> predicted{139, 170, resample ? 92 : 138};
      const CaseProperties p =
          make_properties({155, 240, 240}, box, {1, 1, 1}, {1, 1, resample ? 1.5 : 1.0}, predicted);
      // Smooth channels, so that the labels form blobs as a real prediction's do (random labels compress slowly).
      Array4f probs({4, predicted[0], predicted[1], predicted[2]});
      for (int64_t c = 0; c < 4; ++c) {
        for (int64_t z = 0; z < predicted[0]; ++z) {
          for (int64_t y = 0; y < predicted[1]; ++y) {
            for (int64_t x = 0; x < predicted[2]; ++x) {
              probs.at(c, z, y, x) = static_cast<float>(
                  std::sin(0.05 * static_cast<double>(z + 2 * c) + 0.04 * static_cast<double>(y * (c + 1))) +
                  std::cos(0.07 * static_cast<double>(x + 5 * c)));
            }
          }
        }
      }
      ExportOptions options;
      options.threads = threads;
      const auto start = std::chrono::steady_clock::now();
      const Array4f r = export_prediction(probs, p, {0, 1, 2}, dir / "brats.nii.gz", options);
      const auto mid = std::chrono::steady_clock::now();
      probabilities_to_original_spacing(probs, p, {0, 1, 2}, threads);
      const auto end = std::chrono::steady_clock::now();
      std::cout << "threads " << threads << (resample ? ", resampled x 92->138" : ", no resampling") << ": export "
                << std::chrono::duration<double>(mid - start).count() << " s, of which resampling "
                << std::chrono::duration<double>(end - mid).count() << " s\n";
      EXPECT_EQ(r.spatial(), (std::array<int64_t, 3>{139, 170, 138}));
      const auto write_start = std::chrono::steady_clock::now();
      write_nifti(dir / "zeros.nii.gz", Image(PixelType::kUInt8, {155, 240, 240}));
      std::cout << "  writing a 155x240x240 uint8 .nii.gz alone: "
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count() << " s\n";
    }
  }
}

}  // namespace
}  // namespace nnseg
