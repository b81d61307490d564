// MedPy-compatible surface distances, HD and HD95 (evaluation/hd95.h, spec/evaluation.md §6).
#include "evaluation/hd95.h"

#include <itkImage.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/error.h"

namespace nnseg {

namespace {

using MaskImage = itk::Image<uint8_t, 3>;
using DistanceImage = itk::Image<double, 3>;

// Bounding box [lo, hi) of the union of two same-shaped masks, array order.
struct Box {
  std::array<int64_t, 3> lo{0, 0, 0};
  std::array<int64_t, 3> hi{0, 0, 0};
};

Box union_box(const MaskView& a, const MaskView& b) {
  Box box;
  box.lo = a.shape;
  bool any = false;
  for (int64_t z = 0; z < a.shape[0]; ++z) {
    for (int64_t y = 0; y < a.shape[1]; ++y) {
      const int64_t row = (z * a.shape[1] + y) * a.shape[2];
      for (int64_t x = 0; x < a.shape[2]; ++x) {
        if (a.data[row + x] == 0 && b.data[row + x] == 0) continue;
        const std::array<int64_t, 3> p{z, y, x};
        for (int d = 0; d < 3; ++d) {
          box.lo[d] = std::min(box.lo[d], p[d]);
          box.hi[d] = std::max(box.hi[d], p[d] + 1);
        }
        any = true;
      }
    }
  }
  NNSEG_CHECK(any) << "surface distances of two empty masks";
  return box;
}

// The masks' union box grown by one voxel on every side, filled with 0 beyond the array. Distances between voxels
// do not depend on the array around them, and the zero frame is exactly MedPy's erosion border value, so surface
// distances computed in the crop equal those of the whole array.
std::vector<uint8_t> crop_padded(const MaskView& m, const Box& box, std::array<int64_t, 3>& shape_out) {
  for (int d = 0; d < 3; ++d) shape_out[d] = box.hi[d] - box.lo[d] + 2;
  std::vector<uint8_t> out(static_cast<size_t>(shape_out[0] * shape_out[1] * shape_out[2]), 0);
  for (int64_t z = box.lo[0]; z < box.hi[0]; ++z) {
    for (int64_t y = box.lo[1]; y < box.hi[1]; ++y) {
      const uint8_t* src = m.data + (z * m.shape[1] + y) * m.shape[2];
      uint8_t* dst = out.data() + ((z - box.lo[0] + 1) * shape_out[1] + (y - box.lo[1] + 1)) * shape_out[2] + 1;
      for (int64_t x = box.lo[2]; x < box.hi[2]; ++x) dst[x - box.lo[2]] = src[x] != 0 ? 1 : 0;
    }
  }
  return out;
}

// Distance (mm) from every voxel to the nearest non-zero voxel of `target` (0 on it), via ITK's exact Euclidean
// distance transform.
std::vector<double> distance_to(const std::vector<uint8_t>& target, const std::array<int64_t, 3>& shape,
                                const std::array<double, 3>& spacing_zyx) {
  MaskImage::Pointer image = MaskImage::New();
  MaskImage::RegionType region;
  MaskImage::SizeType size;
  MaskImage::SpacingType spacing;
  for (int d = 0; d < 3; ++d) {
    size[static_cast<unsigned>(d)] = static_cast<itk::SizeValueType>(shape[static_cast<size_t>(2 - d)]);
    spacing[static_cast<unsigned>(d)] = spacing_zyx[static_cast<size_t>(2 - d)];
  }
  region.SetSize(size);
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->Allocate();
  std::copy(target.begin(), target.end(), image->GetBufferPointer());

  using Filter = itk::SignedMaurerDistanceMapImageFilter<MaskImage, DistanceImage>;
  Filter::Pointer filter = Filter::New();
  filter->SetInput(image);
  filter->SetBackgroundValue(0);
  filter->SetUseImageSpacing(true);
  filter->SetSquaredDistance(false);
  filter->SetInsideIsPositive(false);
  filter->SetNumberOfWorkUnits(1);  // callers parallelise over cases
  try {
    filter->Update();
  } catch (const itk::ExceptionObject& e) {
    throw Error("hd95", std::string("distance transform failed: ") + e.GetDescription());
  }
  const double* dist = filter->GetOutput()->GetBufferPointer();
  std::vector<double> out(target.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = target[i] != 0 ? 0.0 : std::max(0.0, dist[i]);
  return out;
}

void check_pair(const MaskView& a, const MaskView& b) {
  NNSEG_CHECK(a.shape == b.shape) << "masks of different shapes";
  NNSEG_CHECK(count_nonzero(a) > 0 && count_nonzero(b) > 0) << "surface distances need two non-empty masks";
}

}  // namespace

int64_t count_nonzero(const MaskView& mask) {
  const int64_t n = mask.shape[0] * mask.shape[1] * mask.shape[2];
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += mask.data[i] != 0 ? 1 : 0;
  return count;
}

std::vector<uint8_t> mask_surface(const MaskView& mask) {
  const auto& s = mask.shape;
  std::vector<uint8_t> out(static_cast<size_t>(s[0] * s[1] * s[2]), 0);
  auto inside = [&](int64_t z, int64_t y, int64_t x) {
    if (z < 0 || y < 0 || x < 0 || z >= s[0] || y >= s[1] || x >= s[2]) return false;
    return mask.data[(z * s[1] + y) * s[2] + x] != 0;
  };
  for (int64_t z = 0; z < s[0]; ++z) {
    for (int64_t y = 0; y < s[1]; ++y) {
      for (int64_t x = 0; x < s[2]; ++x) {
        if (!inside(z, y, x)) continue;
        const bool interior = inside(z - 1, y, x) && inside(z + 1, y, x) && inside(z, y - 1, x) &&
                              inside(z, y + 1, x) && inside(z, y, x - 1) && inside(z, y, x + 1);
        out[static_cast<size_t>((z * s[1] + y) * s[2] + x)] = interior ? 0 : 1;
      }
    }
  }
  return out;
}

std::vector<double> directed_surface_distances(const MaskView& a, const MaskView& b,
                                               const std::array<double, 3>& spacing_zyx) {
  check_pair(a, b);
  const Box box = union_box(a, b);
  std::array<int64_t, 3> shape{};
  const std::vector<uint8_t> crop_a = crop_padded(a, box, shape);
  const std::vector<uint8_t> crop_b = crop_padded(b, box, shape);
  const std::vector<uint8_t> surface_a = mask_surface({crop_a.data(), shape});
  const std::vector<uint8_t> surface_b = mask_surface({crop_b.data(), shape});
  const std::vector<double> dist_b = distance_to(surface_b, shape, spacing_zyx);
  std::vector<double> out;
  for (size_t i = 0; i < surface_a.size(); ++i) {
    if (surface_a[i] != 0) out.push_back(dist_b[i]);
  }
  return out;
}

double numpy_percentile(std::vector<double> values, double q) {
  NNSEG_CHECK(!values.empty()) << "percentile of no values";
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  const double virtual_index = (n - 1) * (q / 100.0);
  if (virtual_index >= n - 1) return values.back();
  if (virtual_index < 0) return values.front();
  const double below = std::floor(virtual_index);
  const double gamma = virtual_index - below;
  const double lo = values[static_cast<size_t>(below)], hi = values[static_cast<size_t>(below) + 1];
  // numpy's _lerp: a + (b - a) * t, evaluated from b's side when t >= 0.5.
  const double diff = hi - lo;
  return gamma >= 0.5 ? hi - diff * (1.0 - gamma) : lo + diff * gamma;
}

double hd95(const MaskView& a, const MaskView& b, const std::array<double, 3>& spacing_zyx) {
  std::vector<double> pooled = directed_surface_distances(a, b, spacing_zyx);
  const std::vector<double> back = directed_surface_distances(b, a, spacing_zyx);
  pooled.insert(pooled.end(), back.begin(), back.end());
  return numpy_percentile(std::move(pooled), 95.0);
}

double hausdorff_distance(const MaskView& a, const MaskView& b, const std::array<double, 3>& spacing_zyx) {
  const std::vector<double> ab = directed_surface_distances(a, b, spacing_zyx);
  const std::vector<double> ba = directed_surface_distances(b, a, spacing_zyx);
  return std::max(*std::max_element(ab.begin(), ab.end()), *std::max_element(ba.begin(), ba.end()));
}

}  // namespace nnseg
