// Cropping to the nonzero region (fingerprint/crop_to_nonzero.h), as nnU-Net v1 ImageCropper.crop
// (spec/planning.md §3).
#include "fingerprint/crop_to_nonzero.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "core/error.h"

namespace nnseg {
namespace {

std::string shape_text(const std::array<int64_t, 3>& s) {
  std::ostringstream out;
  out << "[" << s[0] << ", " << s[1] << ", " << s[2] << "]";
  return out.str();
}

// Copies the box `bbox` of `image` into `out` (box-sized, C order) as float.
void copy_box_as_float(const Image& image, const BoundingBox& bbox, float* out) {
  dispatch_pixel_type(image.type, [&](auto tag) {
    using T = decltype(tag);
    const T* p = image.data<T>();
    for (int64_t z = bbox[0][0]; z < bbox[0][1]; ++z) {
      for (int64_t y = bbox[1][0]; y < bbox[1][1]; ++y) {
        const T* row = p + image.index(z, y, bbox[2][0]);
        for (int64_t x = 0; x < bbox[2][1] - bbox[2][0]; ++x) *out++ = static_cast<float>(row[x]);
      }
    }
  });
}

}  // namespace

std::vector<uint8_t> nonzero_mask(const std::vector<Image>& channels) {
  NNSEG_CHECK(!channels.empty()) << "nonzero_mask of no channels";
  std::vector<uint8_t> mask(static_cast<size_t>(channels[0].numel()), 0);
  for (const Image& image : channels) {
    NNSEG_CHECK(image.numel() == static_cast<int64_t>(mask.size())) << "channel sizes differ";
    dispatch_pixel_type(image.type, [&](auto tag) {
      using T = decltype(tag);
      const T* p = image.data<T>();
      // `!(v == 0)` so that NaN counts as nonzero, as numpy's `data != 0`.
      for (size_t i = 0; i < mask.size(); ++i) mask[i] |= static_cast<uint8_t>(!(p[i] == T{0}));
    });
  }
  return mask;
}

void fill_holes(std::vector<uint8_t>& mask, std::array<int64_t, 3> shape) {
  const int64_t nz = shape[0], ny = shape[1], nx = shape[2];
  const int64_t n = nz * ny * nx;
  NNSEG_CHECK(static_cast<int64_t>(mask.size()) == n) << "mask size " << mask.size() << " for " << shape_text(shape);
  if (n == 0) return;
  // 0 = background not (yet) reached from the border, 1 = foreground, 2 = background reached from the border.
  constexpr uint8_t kReached = 2;
  std::vector<int64_t> stack;
  auto visit = [&](int64_t i) {
    if (mask[static_cast<size_t>(i)] == 0) {
      mask[static_cast<size_t>(i)] = kReached;
      stack.push_back(i);
    }
  };
  for (int64_t z = 0; z < nz; ++z) {
    for (int64_t y = 0; y < ny; ++y) {
      const bool border_row = z == 0 || z == nz - 1 || y == 0 || y == ny - 1;
      for (int64_t x = 0; x < nx; ++x) {
        if (border_row || x == 0 || x == nx - 1) visit((z * ny + y) * nx + x);
      }
    }
  }
  while (!stack.empty()) {
    const int64_t i = stack.back();
    stack.pop_back();
    const int64_t x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
    if (x > 0) visit(i - 1);
    if (x < nx - 1) visit(i + 1);
    if (y > 0) visit(i - nx);
    if (y < ny - 1) visit(i + nx);
    if (z > 0) visit(i - nx * ny);
    if (z < nz - 1) visit(i + nx * ny);
  }
  for (uint8_t& v : mask) v = v == kReached ? 0 : 1;
}

BoundingBox bounding_box(const std::vector<uint8_t>& mask, std::array<int64_t, 3> shape, const std::string& item) {
  BoundingBox box{};
  for (int a = 0; a < 3; ++a) box[a] = {shape[a], -1};
  bool any = false;
  for (int64_t z = 0; z < shape[0]; ++z) {
    for (int64_t y = 0; y < shape[1]; ++y) {
      const uint8_t* row = mask.data() + (z * shape[1] + y) * shape[2];
      int64_t first = -1, last = -1;
      for (int64_t x = 0; x < shape[2]; ++x) {
        if (row[x]) {
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first < 0) continue;
      any = true;
      box[0] = {std::min(box[0][0], z), std::max(box[0][1], z)};
      box[1] = {std::min(box[1][0], y), std::max(box[1][1], y)};
      box[2] = {std::min(box[2][0], first), std::max(box[2][1], last)};
    }
  }
  if (!any) {
    throw InputError(item, "every channel is 0 everywhere (shape " + shape_text(shape) +
                               "): the nonzero mask is empty, there is nothing to crop to");
  }
  for (auto& b : box) b[1] += 1;
  return box;
}

CroppedCase crop_to_nonzero(const std::vector<Image>& channels, const Image* label, const std::string& item) {
  if (channels.empty()) throw InputError(item, "no image channels");
  const std::array<int64_t, 3> shape = channels[0].shape;
  for (size_t c = 1; c < channels.size(); ++c) {
    if (channels[c].shape != shape) {
      throw InputError(item, "channel " + std::to_string(c) + " has shape " + shape_text(channels[c].shape) +
                                 " but channel 0 has " + shape_text(shape));
    }
  }
  if (label != nullptr && label->shape != shape) {
    throw InputError(
        item, "label has shape " + shape_text(label->shape) + " but the image channels have " + shape_text(shape));
  }

  std::vector<uint8_t> mask = nonzero_mask(channels);
  fill_holes(mask, shape);
  const BoundingBox box = bounding_box(mask, shape, item);
  const std::array<int64_t, 3> cropped{box[0][1] - box[0][0], box[1][1] - box[1][0], box[2][1] - box[2][0]};

  CroppedCase out;
  const auto num_channels = static_cast<int64_t>(channels.size());
  out.data = Array4f({num_channels, cropped[0], cropped[1], cropped[2]});
  for (int64_t c = 0; c < num_channels; ++c)
    copy_box_as_float(channels[static_cast<size_t>(c)], box, out.data.channel(c));

  out.seg = Array4f({1, cropped[0], cropped[1], cropped[2]});
  float* seg = out.seg.channel(0);
  if (label != nullptr) copy_box_as_float(*label, box, seg);
  // seg[(seg == 0) & (mask == 0)] = -1 inside the box (without a label: 0 inside the mask, -1 outside).
  int64_t i = 0;
  for (int64_t z = box[0][0]; z < box[0][1]; ++z) {
    for (int64_t y = box[1][0]; y < box[1][1]; ++y) {
      const uint8_t* row = mask.data() + (z * shape[1] + y) * shape[2] + box[2][0];
      for (int64_t x = 0; x < cropped[2]; ++x, ++i) {
        if (!row[x] && seg[i] == 0.0f) seg[i] = -1.0f;
      }
    }
  }

  CropProperties& p = out.properties;
  p.original_size_of_raw_data = shape;
  p.geometry = channels[0].geometry;
  p.original_spacing = channels[0].geometry.spacing_zyx();
  p.crop_bbox = box;
  std::set<float> distinct;
  for (int64_t k = 0; k < out.seg.numel(); ++k) {
    if (!std::isnan(seg[k])) distinct.insert(seg[k]);
  }
  p.classes.assign(distinct.begin(), distinct.end());
  for (int64_t k = 0; k < out.seg.numel(); ++k) {
    if (seg[k] < -1.0f) seg[k] = 0.0f;
  }
  p.size_after_cropping = cropped;
  return out;
}

}  // namespace nnseg
