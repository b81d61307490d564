// Cropping of a case to the bounding box of its (hole-filled) nonzero mask, as nnU-Net v1's ImageCropper
// (spec/planning.md §3). Also defines Array4, the plain [C, Z, Y, X] buffer that fingerprinting and
// preprocessing pass around.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/image.h"

namespace nnseg {

// A C-order array of shape [C, Z, Y, X] (channels first, then array order z, y, x; x fastest).
template <typename T>
struct Array4 {
  std::array<int64_t, 4> shape{0, 0, 0, 0};  // [C, Z, Y, X]
  std::vector<T> values;                     // shape[0]*...*shape[3] values, C order

  Array4() = default;
  explicit Array4(std::array<int64_t, 4> s, T fill = T{})
      : shape(s), values(static_cast<size_t>(s[0] * s[1] * s[2] * s[3]), fill) {}

  int64_t channels() const { return shape[0]; }
  std::array<int64_t, 3> spatial() const { return {shape[1], shape[2], shape[3]}; }
  int64_t channel_numel() const { return shape[1] * shape[2] * shape[3]; }
  int64_t numel() const { return shape[0] * channel_numel(); }
  T* channel(int64_t c) { return values.data() + c * channel_numel(); }
  const T* channel(int64_t c) const { return values.data() + c * channel_numel(); }
  // Linear index of (c, z, y, x).
  int64_t index(int64_t c, int64_t z, int64_t y, int64_t x) const {
    return ((c * shape[1] + z) * shape[2] + y) * shape[3] + x;
  }
  T& at(int64_t c, int64_t z, int64_t y, int64_t x) { return values[static_cast<size_t>(index(c, z, y, x))]; }
  const T& at(int64_t c, int64_t z, int64_t y, int64_t x) const {
    return values[static_cast<size_t>(index(c, z, y, x))];
  }
};

using Array4f = Array4<float>;

// [begin, end) per axis, array order (z, y, x); nnU-Net's crop_bbox [[z0, z1], [y0, y1], [x0, x1]].
using BoundingBox = std::array<std::array<int64_t, 2>, 3>;

// The properties nnU-Net's cropping records (spec/planning.md §3, preprocessing.md §5).
struct CropProperties {
  std::array<int64_t, 3> original_size_of_raw_data{0, 0, 0};  // voxels, (z, y, x), before cropping
  std::array<double, 3> original_spacing{1, 1, 1};            // mm, (z, y, x), of channel 0
  Geometry geometry;                                          // channel 0's itk_origin/spacing/direction (ITK order)
  BoundingBox crop_bbox{};                                    // voxels, (z, y, x), untransposed
  std::vector<double> classes;  // sorted distinct values of the cropped label (incl. -1 when present)
  std::array<int64_t, 3> size_after_cropping{0, 0, 0};  // voxels, (z, y, x)
};

// A cropped case: float32 channels, the label channel and the properties.
struct CroppedCase {
  Array4f data;  // [C, Z, Y, X] channels converted to float32, cropped
  Array4f seg;   // [1, Z, Y, X] label as float32, cropped; 0 outside the filled nonzero mask became -1
  CropProperties properties;
};

// mask[i] = 1 where any channel is != 0 (NaN counts as nonzero); voxels in C order of the common shape.
std::vector<uint8_t> nonzero_mask(const std::vector<Image>& channels);

// Fills holes in a binary 3D mask like scipy.ndimage.binary_fill_holes with its default (6-connected) structure:
// background voxels that cannot reach the array border through face-adjacent background become 1.
void fill_holes(std::vector<uint8_t>& mask, std::array<int64_t, 3> shape);

// Bounding box of the nonzero voxels of `mask`; InputError(item, ...) when the mask is empty.
BoundingBox bounding_box(const std::vector<uint8_t>& mask, std::array<int64_t, 3> shape, const std::string& item);

// Crops `channels` (and `label`, if not null) to the filled nonzero mask's box (spec/planning.md §3 steps 2-6).
// Without a label the seg is generated: 0 inside the mask, -1 outside. `item` (the case identifier or file) names
// the case in errors: channels or label of different shapes, or an image that is 0 everywhere (v1 fails there too).
CroppedCase crop_to_nonzero(const std::vector<Image>& channels, const Image* label, const std::string& item);

}  // namespace nnseg
