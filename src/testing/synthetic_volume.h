// Tiny deterministic volumes for tests: spheres, label blobs, and whole cases written in the BraTS 2020 layout
// (P/P_t1.nii.gz ...) or the nnU-Net v2 raw layout (imagesTr/P_0000.nii.gz, labelsTr/P.nii.gz, dataset.json).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"

namespace nnseg::testing {

namespace fs = std::filesystem;

// Geometry with anisotropic spacing (3.0, 0.8, 0.8 in z, y, x), a non-zero origin, identity direction.
Geometry test_geometry();

// A ball: `inside` where the distance (in voxels) from `center_zyx` is <= radius, `outside` elsewhere.
Image make_sphere(std::array<int64_t, 3> shape_zyx, std::array<double, 3> center_zyx, double radius,
                  PixelType type = PixelType::kUInt8, double inside = 1, double outside = 0, Geometry g = {});

// A label map of nested balls around the centre: labels[0] outermost ... labels.back() innermost, 0 elsewhere
// (every value of `labels` occurs when the shape is at least 6 voxels along each axis).
Image make_label_blobs(std::array<int64_t, 3> shape_zyx, const std::vector<int>& labels,
                       PixelType type = PixelType::kUInt8, Geometry g = {});

// An image in a brain-like ball (outside: exactly 0) with deterministic noise; `seed` varies the values.
Image make_channel_image(std::array<int64_t, 3> shape_zyx, uint32_t seed, PixelType type = PixelType::kFloat32,
                         Geometry g = {});

struct BratsCaseOptions {
  std::array<int64_t, 3> shape_zyx{8, 12, 16};  // voxels, array order
  Geometry geometry = test_geometry();
  PixelType image_type = PixelType::kInt16;
  PixelType seg_type = PixelType::kUInt8;
  std::vector<int> seg_labels{2, 1, 4};  // BraTS values, outermost first (edema, core, enhancing)
  bool with_seg = true;                  // false: validation layout
  std::string extension = ".nii.gz";     // ".nii.gz" or ".nii" for every file
  uint32_t seed = 1;
};

// Writes `folder`/`id`/`id`_{t1,t1ce,t2,flair}(+_seg)`extension`. Returns the case folder.
fs::path write_brats_case(const fs::path& folder, const std::string& id, const BratsCaseOptions& options = {});

struct RawCaseOptions {
  std::array<int64_t, 3> shape_zyx{8, 12, 16};  // voxels, array order
  Geometry geometry = test_geometry();
  int num_channels = 4;
  PixelType image_type = PixelType::kFloat32;
  std::vector<int> labels{1, 2, 3};  // nnU-Net values, outermost first
  bool with_label = true;
  std::string images_folder = "imagesTr";  // or "imagesTs"
  uint32_t seed = 1;
};

// Writes `dataset`/<images_folder>/`id`_000c.nii.gz and (with_label) `dataset`/labelsTr/`id`.nii.gz.
void write_raw_case(const fs::path& dataset, const std::string& id, const RawCaseOptions& options = {});

// A v2 raw dataset of `ids` (training cases, labelled) with a BraTS-like dataset.json (channels T1, T1ce, T2,
// FLAIR truncated to options.num_channels; labels background/edema/non-enhancing/enhancing; numTraining).
void write_raw_dataset(const fs::path& dataset, const std::vector<std::string>& ids,
                       const RawCaseOptions& options = {});

}  // namespace nnseg::testing
