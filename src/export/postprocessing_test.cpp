// Keep-largest-component postprocessing (spec/inference.md §8.1, test vector I6) and postprocessing.json.
#include "export/postprocessing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/nifti.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

// I6's input rows (1 x 6 x 6, spacing 1).
const std::vector<uint8_t> kI6 = {1, 1, 0, 0, 0, 2,  //
                                  1, 1, 0, 0, 0, 0,  //
                                  0, 0, 2, 2, 0, 0,  //
                                  0, 0, 0, 2, 0, 0,  //
                                  0, 0, 0, 0, 1, 1,  //
                                  1, 0, 0, 0, 1, 1};
constexpr std::array<int64_t, 3> kI6Shape{1, 6, 6};
constexpr std::array<double, 3> kUnitSpacing{1, 1, 1};

TEST(KeepLargestComponents, I6PerClass) {
  std::vector<uint8_t> labels = kI6;
  const auto stats = keep_largest_components(labels, kI6Shape, kUnitSpacing,
                                             {PostprocessingEntry::single(1), PostprocessingEntry::single(2)});
  const std::vector<uint8_t> expected = {1, 1, 0, 0, 0, 0,  //
                                         1, 1, 0, 0, 0, 0,  //
                                         0, 0, 2, 2, 0, 0,  //
                                         0, 0, 0, 2, 0, 0,  //
                                         0, 0, 0, 0, 1, 1,  //
                                         0, 0, 0, 0, 1, 1};
  EXPECT_EQ(labels, expected);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].largest_removed, std::optional<double>(1.0));
  EXPECT_EQ(stats[0].kept, std::optional<double>(4.0));
  EXPECT_EQ(stats[1].largest_removed, std::optional<double>(1.0));
  EXPECT_EQ(stats[1].kept, std::optional<double>(3.0));
}

TEST(KeepLargestComponents, I6JointGroup) {
  std::vector<uint8_t> labels = kI6;
  const auto stats = keep_largest_components(labels, kI6Shape, kUnitSpacing, {PostprocessingEntry::of_group({1, 2})});
  const std::vector<uint8_t> expected = {1, 1, 0, 0, 0, 0,  //
                                         1, 1, 0, 0, 0, 0,  //
                                         0, 0, 0, 0, 0, 0,  //
                                         0, 0, 0, 0, 0, 0,  //
                                         0, 0, 0, 0, 1, 1,  //
                                         0, 0, 0, 0, 1, 1};
  EXPECT_EQ(labels, expected);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].largest_removed, std::optional<double>(3.0));
  EXPECT_EQ(stats[0].kept, std::optional<double>(4.0));
}

TEST(KeepLargestComponents, TiesKeepAllAndNothingRemovedIsNone) {
  // Three single voxels of label 1, none touching: all of the maximum size 1, all kept.
  std::vector<uint8_t> labels = {1, 0, 1, 0, 0, 0, 1, 0, 0};
  const auto stats = keep_largest_components(labels, {1, 3, 3}, kUnitSpacing, {PostprocessingEntry::single(1)});
  EXPECT_EQ(labels, (std::vector<uint8_t>{1, 0, 1, 0, 0, 0, 1, 0, 0}));
  EXPECT_FALSE(stats[0].largest_removed.has_value());
  EXPECT_EQ(stats[0].kept, std::optional<double>(1.0));
  // An absent label: no component, both None.
  const auto empty = keep_largest_components(labels, {1, 3, 3}, kUnitSpacing, {PostprocessingEntry::single(2)});
  EXPECT_FALSE(empty[0].largest_removed.has_value());
  EXPECT_FALSE(empty[0].kept.has_value());
}

TEST(KeepLargestComponents, SixConnectivityOnly) {
  // z-y-x 2 x 2 x 3: a bar (0,0,0)-(0,0,1); (0,1,2) and (1,1,1) touch it (and each other) only along edges, so with
  // 6-connectivity they are separate single voxels and removed (18- or 26-connectivity would join all four).
  std::vector<uint8_t> labels(12, 0);
  auto at = [&](int z, int y, int x) -> uint8_t& { return labels[static_cast<size_t>((z * 2 + y) * 3 + x)]; };
  at(0, 0, 0) = 1;
  at(0, 0, 1) = 1;
  at(0, 1, 2) = 1;
  at(1, 1, 1) = 1;
  const auto stats = keep_largest_components(labels, {2, 2, 3}, kUnitSpacing, {PostprocessingEntry::single(1)});
  EXPECT_EQ(stats[0].kept, std::optional<double>(2.0));
  EXPECT_EQ(stats[0].largest_removed, std::optional<double>(1.0));
  EXPECT_EQ(at(0, 0, 0), 1);
  EXPECT_EQ(at(0, 0, 1), 1);
  EXPECT_EQ(at(0, 1, 2), 0);
  EXPECT_EQ(at(1, 1, 1), 0);

  // A pure corner (26-) neighbour: (0,0,0) and (1,1,1) of a 2x2x2 cube are two components of size 1 (a tie).
  std::vector<uint8_t> cube(8, 0);
  cube[0] = 1;
  cube[7] = 1;
  const auto corner = keep_largest_components(cube, {2, 2, 2}, kUnitSpacing, {PostprocessingEntry::single(1)});
  EXPECT_EQ(corner[0].kept, std::optional<double>(1.0));
  EXPECT_FALSE(corner[0].largest_removed.has_value());
  // Face neighbours across x, y and z join: an L through all three axes is one component.
  std::vector<uint8_t> l_shape(8, 0);
  l_shape[0] = l_shape[1] = l_shape[3] = l_shape[7] = 1;  // (0,0,0) (0,0,1) (0,1,1) (1,1,1)
  const auto joined = keep_largest_components(l_shape, {2, 2, 2}, kUnitSpacing, {PostprocessingEntry::single(1)});
  EXPECT_EQ(joined[0].kept, std::optional<double>(4.0));
}

TEST(KeepLargestComponents, SizesUseTheVoxelVolumeOfAnisotropicSpacing) {
  // 1 x 1 x 7 row: components of 3 and 2 voxels (label 1) at spacing z 3.0, y 0.8, x 0.5.
  std::vector<uint8_t> labels = {1, 1, 1, 0, 1, 1, 0};
  const std::array<double, 3> spacing_zyx{3.0, 0.8, 0.5};
  const double v = 0.5 * 0.8 * 3.0;  // NumPy's prod of SimpleITK's (x, y, z) spacing
  const auto stats = keep_largest_components(labels, {1, 1, 7}, spacing_zyx, {PostprocessingEntry::single(1)});
  EXPECT_EQ(stats[0].kept, std::optional<double>(3 * v));
  EXPECT_EQ(stats[0].largest_removed, std::optional<double>(2 * v));
  EXPECT_NEAR(*stats[0].kept, 3.6, 1e-12);
  EXPECT_EQ(labels, (std::vector<uint8_t>{1, 1, 1, 0, 0, 0, 0}));

  // The Image overload takes the spacing from the geometry (ITK order x, y, z) and keeps type and geometry.
  Geometry g;
  g.spacing = {0.5, 0.8, 3.0};
  g.origin = {1, 2, 3};
  Image image = Image::from_values<int16_t>(std::vector<int>{2, 2, 0, 2, 2, 2, 0}, {1, 1, 7}, g);
  const auto image_stats = keep_largest_components(image, {PostprocessingEntry::single(2)});
  EXPECT_EQ(image_stats[0].kept, std::optional<double>(3 * v));
  EXPECT_EQ(image_stats[0].largest_removed, std::optional<double>(2 * v));
  EXPECT_EQ(image.values_as<int>(), (std::vector<int>{0, 0, 0, 2, 2, 2, 0}));
  EXPECT_EQ(image.type, PixelType::kInt16);
  EXPECT_EQ(image.geometry, g);
}

TEST(KeepLargestComponents, EntriesApplySequentiallyAndMinSizesRestrictRemoval) {
  // Row: 1 1 2 0 2 0 1: group (1, 2) keeps the 3-voxel block; then class 2 alone sees only the block's 2.
  std::vector<uint8_t> labels = {1, 1, 2, 0, 2, 0, 1};
  keep_largest_components(labels, {1, 1, 7}, kUnitSpacing,
                          {PostprocessingEntry::of_group({1, 2}), PostprocessingEntry::single(2)});
  EXPECT_EQ(labels, (std::vector<uint8_t>{1, 1, 2, 0, 0, 0, 0}));

  // Advanced mode: only components smaller than the minimum size go (here: sizes 4 kept, 2 kept, 1 removed).
  std::vector<uint8_t> row = {1, 1, 1, 1, 0, 1, 1, 0, 1};
  PostprocessingEntry e = PostprocessingEntry::single(1);
  e.min_valid_size = 1.5;
  const auto stats = keep_largest_components(row, {1, 1, 9}, kUnitSpacing, {e});
  EXPECT_EQ(row, (std::vector<uint8_t>{1, 1, 1, 1, 0, 1, 1, 0, 0}));
  EXPECT_EQ(stats[0].largest_removed, std::optional<double>(1.0));
}

// v1's remove_all_but_the_largest_connected_component with scipy.ndimage.label, for the cross-check below.
const char* const kScipyScript = R"(import sys
import numpy as np
import nibabel as nib
from scipy.ndimage import label
img = nib.load(sys.argv[1])
image = np.asarray(img.dataobj).astype(np.int64)
v = float(np.prod(img.header.get_zooms()[:3], dtype=np.float64))
out = []
for c in [(1, 2, 3), 2, 1, 3]:
    mask = np.isin(image, c) if isinstance(c, tuple) else image == c
    lmap, num = label(mask.astype(int))
    sizes = {i: (lmap == i).sum() * v for i in range(1, num + 1)}
    removed, kept = None, None
    if num > 0:
        kept = max(sizes.values())
        for i in range(1, num + 1):
            if sizes[i] != kept:
                image[(lmap == i) & mask] = 0
                removed = sizes[i] if removed is None else max(removed, sizes[i])
    out.append('%r %r' % (removed, kept))
nib.save(nib.Nifti1Image(image.astype(np.uint8), img.affine), sys.argv[2])
print('\n'.join(out))
)";

TEST(KeepLargestComponents, MatchesScipyLabelOnRandomVolumes) {
  TempDir dir;
  std::ofstream(dir / "v1.py") << kScipyScript;
  std::mt19937 rng(3);
  for (int round = 0; round < 4; ++round) {
    // Sparse random labels: many small components, some touching across classes, some ties.
    const std::array<int64_t, 3> shape{5, 9, 11};
    std::vector<int> values(5 * 9 * 11);
    for (int& v : values) v = rng() % 10 < 6 ? 0 : static_cast<int>(1 + rng() % 3);
    Geometry g;
    g.spacing = {0.5, 0.8, 3.0};
    write_nifti(dir / "in.nii.gz", Image::from_values<uint8_t>(values, shape, g));
    Image image = read_nifti(dir / "in.nii.gz");  // spacing as stored: float32 in the header, as v1 reads it
    const auto r = testing::run_command(
        {"/usr/bin/python3", (dir / "v1.py").string(), (dir / "in.nii.gz").string(), (dir / "out.nii.gz").string()});
    if (r.exit_code != 0) GTEST_SKIP() << "python3 with numpy, nibabel and scipy not available: " << r.err;
    const auto stats =
        keep_largest_components(image, {PostprocessingEntry::of_group({1, 2, 3}), PostprocessingEntry::single(2),
                                        PostprocessingEntry::single(1), PostprocessingEntry::single(3)});
    EXPECT_EQ(image.values_as<int>(), read_nifti(dir / "out.nii.gz").values_as<int>()) << "round " << round;
    std::string expected_stats;
    for (const ComponentStats& s : stats) {
      auto text = [](const std::optional<double>& v) { return v ? Json(*v).dump() : std::string("None"); };
      expected_stats += text(s.largest_removed) + " " + text(s.kept) + "\n";
    }
    EXPECT_EQ(r.out, expected_stats) << "round " << round;
  }
}

PostprocessingDecision three_class_decision() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  PostprocessingDecision d;
  d.for_which_classes = {PostprocessingEntry::of_group({1, 2, 3}), PostprocessingEntry::single(2)};
  d.dc_per_class_raw = {{1, 0.5}, {2, 0.9}, {3, nan}};
  d.dc_per_class_pp_all = {{1, 0.75}, {2, 0.9}, {3, nan}};
  d.dc_per_class_pp_per_class = {{1, 0.75}, {2, 1.0}, {3, nan}};
  d.num_samples = 3;
  d.validation_raw = "cv_niftis_raw";
  d.validation_final = "cv_niftis_postprocessed";
  return d;
}

// Python's json.dumps(..., sort_keys=True, indent=4) of v1's dictionary (generated with Python 3.11).
const char* const kThreeClassJson = R"({
    "dc_per_class_pp_all": {
        "1": 0.75,
        "2": 0.9,
        "3": NaN
    },
    "dc_per_class_pp_per_class": {
        "1": 0.75,
        "2": 1.0,
        "3": NaN
    },
    "dc_per_class_raw": {
        "1": 0.5,
        "2": 0.9,
        "3": NaN
    },
    "for_which_classes": [
        [
            1,
            2,
            3
        ],
        2
    ],
    "min_valid_object_sizes": "None",
    "num_samples": 3,
    "validation_final": "cv_niftis_postprocessed",
    "validation_raw": "cv_niftis_raw"
}
)";

TEST(PostprocessingJson, ExactV1Layout) {
  EXPECT_EQ(postprocessing_to_json_text(three_class_decision()), kThreeClassJson);
}

TEST(PostprocessingJson, BratsThresholdKeySortsFirstAndEmptyMapsStayObjects) {
  PostprocessingDecision d;
  d.dc_per_class_raw = {{1, 0.5}};
  d.dc_per_class_pp_all = {{1, 0.75}};
  d.num_samples = 1;
  d.validation_raw = "a";
  d.validation_final = "b";
  d.brats_et_threshold = 200;
  EXPECT_EQ(postprocessing_to_json_text(d), R"({
    "brats_et_threshold": 200,
    "dc_per_class_pp_all": {
        "1": 0.75
    },
    "dc_per_class_pp_per_class": {},
    "dc_per_class_raw": {
        "1": 0.5
    },
    "for_which_classes": [],
    "min_valid_object_sizes": "None",
    "num_samples": 1,
    "validation_final": "b",
    "validation_raw": "a"
}
)");
}

TEST(PostprocessingJson, ReadsV1FileAndRoundTrips) {
  TempDir dir;
  const fs::path path = dir / "postprocessing.json";
  // As nnU-Net v1 writes it (no trailing newline, no brats_et_threshold).
  write_file_atomically(path, std::string(kThreeClassJson).substr(0, std::string(kThreeClassJson).size() - 1));
  const PostprocessingDecision d = load_postprocessing(path);
  EXPECT_EQ(d.for_which_classes, three_class_decision().for_which_classes);
  EXPECT_TRUE(d.for_which_classes[0].group);
  EXPECT_FALSE(d.for_which_classes[1].group);
  EXPECT_EQ(d.dc_per_class_raw.at(1), 0.5);
  EXPECT_TRUE(std::isnan(d.dc_per_class_raw.at(3)));
  EXPECT_EQ(d.num_samples, 3);
  EXPECT_EQ(d.validation_final, "cv_niftis_postprocessed");
  EXPECT_FALSE(d.brats_et_threshold.has_value());
  EXPECT_EQ(postprocessing_to_json_text(d), kThreeClassJson);

  PostprocessingDecision with_et = d;
  with_et.brats_et_threshold = 30;
  save_postprocessing(path, with_et);
  EXPECT_EQ(load_postprocessing(path).brats_et_threshold, std::optional<int>(30));
  EXPECT_EQ(format_for_which_classes(d.for_which_classes), "[[1, 2, 3], 2]");

  // A minimal file (only for_which_classes) is enough for predict.
  write_file_atomically(path, R"({"for_which_classes": [[1], 3]})");
  const PostprocessingDecision minimal = load_postprocessing(path);
  EXPECT_EQ(minimal.for_which_classes,
            (std::vector<PostprocessingEntry>{PostprocessingEntry::of_group({1}), PostprocessingEntry::single(3)}));
}

TEST(PostprocessingJson, AdvancedModeMinSizesRoundTrip) {
  TempDir dir;
  const fs::path path = dir / "postprocessing.json";
  write_file_atomically(path, R"({"for_which_classes": [[1, 2], 2, [3]],
      "min_valid_object_sizes": "{(1, 2): 100.0, 2: 5.5, (3,): 1e+20}"})");
  const PostprocessingDecision d = load_postprocessing(path);
  ASSERT_EQ(d.for_which_classes.size(), 3u);
  EXPECT_EQ(d.for_which_classes[0].min_valid_size, std::optional<double>(100.0));
  EXPECT_EQ(d.for_which_classes[1].min_valid_size, std::optional<double>(5.5));
  EXPECT_EQ(d.for_which_classes[2].min_valid_size, std::optional<double>(1e20));
  EXPECT_NE(postprocessing_to_json_text(d).find(R"("min_valid_object_sizes": "{(1, 2): 100.0, 2: 5.5, (3,): 1e+20}")"),
            std::string::npos);
}

TEST(PostprocessingJson, MalformedFilesNameFileKeyAndValue) {
  TempDir dir;
  const fs::path path = dir / "postprocessing.json";
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {R"({"num_samples": 3})", {"for_which_classes", "missing"}},
      {R"({"for_which_classes": 1})", {"for_which_classes", "1"}},
      {R"({"for_which_classes": ["a"]})", {"for_which_classes", "\"a\""}},
      {R"({"for_which_classes": [[1, 0]]})", {"for_which_classes", "0"}},
      {R"({"for_which_classes": [[]]})", {"for_which_classes", "empty"}},
      {R"({"for_which_classes": [], "brats_et_threshold": -5})", {"brats_et_threshold", "-5"}},
      {R"({"for_which_classes": [], "brats_et_threshold": "200"})", {"brats_et_threshold", "\"200\""}},
      {R"({"for_which_classes": [], "num_samples": 1.5})", {"num_samples", "1.5"}},
      {R"({"for_which_classes": [], "dc_per_class_raw": {"x": 1}})", {"dc_per_class_raw", "x"}},
      {R"({"for_which_classes": [], "dc_per_class_pp_all": [1]})", {"dc_per_class_pp_all", "[1]"}},
      {R"({"for_which_classes": [], "validation_raw": 3})", {"validation_raw", "3"}},
      {R"({"for_which_classes": [1], "min_valid_object_sizes": "{1: }"})", {"min_valid_object_sizes", "{1: }"}},
      {R"({"for_which_classes": [1, 2], "min_valid_object_sizes": "{1: 4.0}"})", {"min_valid_object_sizes", "2"}},
      {R"({"for_which_classes": [}")", {"invalid JSON"}},
  };
  for (const auto& [text, needles] : cases) {
    write_file_atomically(path, text);
    try {
      load_postprocessing(path);
      ADD_FAILURE() << "no error for " << text;
    } catch (const InputError& e) {
      const std::string message = format_error(e);
      EXPECT_NE(message.find(path.string()), std::string::npos) << message;
      for (const std::string& needle : needles) EXPECT_NE(message.find(needle), std::string::npos) << message;
    }
  }
}

TEST(ApplyPostprocessing, ComponentsThenEtThreshold) {
  // Row: 1 3 3 0 1 0 2 3: group (1, 2, 3) keeps the first block (1 3 3), then 2 ET voxels < T = 3 become 2.
  PostprocessingDecision d;
  d.for_which_classes = {PostprocessingEntry::of_group({1, 2, 3})};
  d.brats_et_threshold = 3;
  std::vector<uint8_t> labels = {1, 3, 3, 0, 1, 0, 2, 3};
  apply_postprocessing(labels, {1, 1, 8}, kUnitSpacing, d);
  EXPECT_EQ(labels, (std::vector<uint8_t>{1, 2, 2, 0, 0, 0, 0, 0}));

  // Without the threshold the ET voxels stay.
  d.brats_et_threshold.reset();
  labels = {1, 3, 3, 0, 1, 0, 2, 3};
  apply_postprocessing(labels, {1, 1, 8}, kUnitSpacing, d);
  EXPECT_EQ(labels, (std::vector<uint8_t>{1, 3, 3, 0, 0, 0, 0, 0}));
}

TEST(ApplyPostprocessing, FileKeepsGeometryAndPixelType) {
  TempDir dir;
  Geometry g;
  g.spacing = {0.8, 0.8, 3.0};
  g.origin = {-10, 5, 2.5};
  g.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
  const Image in = Image::from_values<int16_t>(std::vector<int>{1, 1, 0, 1, 0, 0, 3, 3}, {2, 2, 2}, g);
  write_nifti(dir / "case.nii.gz", in);
  PostprocessingDecision d;
  d.for_which_classes = {PostprocessingEntry::single(1), PostprocessingEntry::single(3)};
  apply_postprocessing_to_file(dir / "case.nii.gz", dir / "out.nii.gz", d);
  const Image out = read_nifti(dir / "out.nii.gz");
  EXPECT_EQ(out.type, PixelType::kInt16);
  EXPECT_EQ(out.shape, in.shape);
  EXPECT_EQ(out.geometry, read_nifti(dir / "case.nii.gz").geometry);
  // (0,0,0) (0,0,1) (0,1,1) is one component of 1: kept; the 3s are one component: kept.
  EXPECT_EQ(out.values_as<int>(), (std::vector<int>{1, 1, 0, 1, 0, 0, 3, 3}));
  // In place, with an ET threshold of 5: the two 3s become 2.
  d.brats_et_threshold = 5;
  apply_postprocessing_to_file(dir / "out.nii.gz", dir / "out.nii.gz", d);
  EXPECT_EQ(read_nifti(dir / "out.nii.gz").values_as<int>(), (std::vector<int>{1, 1, 0, 1, 0, 0, 2, 2}));
}

}  // namespace
}  // namespace nnseg
