// Sliding-window geometry (spec/inference.md §2-§3).
#include "inference/sliding_window_geometry.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace nnseg {
namespace {

std::string to_text(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

void check_shapes(const Shape& image, const Shape& patch) {
  if (image.empty() || image.size() != patch.size()) {
    throw InputError("patch_size", "image shape " + to_text(image) + " and patch size " + to_text(patch) +
                                       " must have the same number of axes (at least one)");
  }
  for (size_t d = 0; d < image.size(); ++d) {
    if (image[d] < 1)
      throw InputError("image shape", "size " + std::to_string(image[d]) + " on axis " + std::to_string(d) + " of " +
                                          to_text(image) + " is < 1");
    if (patch[d] < 1)
      throw InputError("patch_size", "size " + std::to_string(patch[d]) + " on axis " + std::to_string(d) + " of " +
                                         to_text(patch) + " is < 1");
  }
}

}  // namespace

int64_t shape_volume(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Padding compute_padding(const Shape& image_shape, const Shape& patch_size) {
  check_shapes(image_shape, patch_size);
  Padding p;
  for (size_t d = 0; d < image_shape.size(); ++d) {
    const int64_t size = image_shape[d];
    const int64_t diff = std::max(patch_size[d], size) - size;
    const int64_t before = diff / 2;
    p.padded_shape.push_back(size + diff);
    p.pad_before.push_back(before);
    p.pad_after.push_back(diff - before);
    p.crop_begin.push_back(before);
    p.crop_end.push_back(before + size);
  }
  return p;
}

std::vector<Shape> compute_steps_for_sliding_window(const Shape& image_size, const Shape& patch_size,
                                                    double step_size) {
  check_shapes(image_size, patch_size);
  if (!(step_size > 0.0 && step_size <= 1.0)) {
    throw InputError("step_size", "step size " + std::to_string(step_size) + " must be in (0, 1]");
  }
  std::vector<Shape> steps;
  for (size_t d = 0; d < image_size.size(); ++d) {
    if (image_size[d] < patch_size[d]) {
      throw InputError("image shape", "size " + std::to_string(image_size[d]) + " on axis " + std::to_string(d) +
                                          " of " + to_text(image_size) + " is smaller than the patch " +
                                          to_text(patch_size) + " (pad it first)");
    }
    // Same float64 arithmetic as nnU-Net v1: target step P * f, n = int(ceil((S - P) / t)) + 1.
    const double target_step = static_cast<double>(patch_size[d]) * step_size;
    const int64_t max_step_value = image_size[d] - patch_size[d];
    const int64_t num_steps = static_cast<int64_t>(std::ceil(static_cast<double>(max_step_value) / target_step)) + 1;
    Shape here;
    if (num_steps > 1) {
      const double actual_step = static_cast<double>(max_step_value) / static_cast<double>(num_steps - 1);
      // np.round rounds half to even; std::nearbyint does too in the default rounding mode (std::round does not).
      for (int64_t i = 0; i < num_steps; ++i) {
        here.push_back(static_cast<int64_t>(std::nearbyint(actual_step * static_cast<double>(i))));
      }
    } else {
      here.push_back(0);
    }
    steps.push_back(here);
  }
  return steps;
}

std::vector<Shape> tile_starts(const std::vector<Shape>& steps) {
  std::vector<Shape> tiles;
  if (steps.empty()) return tiles;
  for (const Shape& s : steps) {
    if (s.empty()) return tiles;
  }
  Shape index(steps.size(), 0);  // odometer over the per-axis steps, last axis fastest
  while (true) {
    Shape start(steps.size());
    for (size_t d = 0; d < steps.size(); ++d) start[d] = steps[d][static_cast<size_t>(index[d])];
    tiles.push_back(start);
    size_t d = steps.size();
    while (d > 0) {
      --d;
      if (++index[d] < static_cast<int64_t>(steps[d].size())) break;
      index[d] = 0;
      if (d == 0) return tiles;
    }
  }
}

SlidingWindowGeometry plan_sliding_window(const Shape& image_shape, const Shape& patch_size, double step_size) {
  SlidingWindowGeometry g;
  g.padding = compute_padding(image_shape, patch_size);
  g.steps = compute_steps_for_sliding_window(g.padding.padded_shape, patch_size, step_size);
  g.tiles = tile_starts(g.steps);
  return g;
}

}  // namespace nnseg
