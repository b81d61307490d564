// Sliding-window geometry of nnU-Net v1 inference (spec/inference.md §2-§3): padding of images smaller than the
// patch (batchgenerators pad_nd_image) and the tile starts of SegmentationNetwork._compute_steps_for_sliding_window.
// LibTorch-free; shapes are spatial only, in z-y-x order (2 or 3 axes, or any count >= 1).
#pragma once

#include <cstdint>
#include <vector>

namespace nnseg {

using Shape = std::vector<int64_t>;

// Constant padding of an image up to the patch size (spec/inference.md §2). Axes already >= the patch are left
// alone. The aggregated result is cropped back with [crop_begin[d], crop_end[d]) on every axis d.
struct Padding {
  Shape padded_shape;  // voxels, z-y-x: max(patch, size) per axis
  Shape pad_before;    // floor(diff / 2)
  Shape pad_after;     // diff - floor(diff / 2) (the odd voxel goes after)
  Shape crop_begin;    // == pad_before
  Shape crop_end;      // pad_before + size
};

// InputError when the ranks differ or a size is < 1.
Padding compute_padding(const Shape& image_shape, const Shape& patch_size);

// Tile starts per axis (spec/inference.md §3): n = ceil((S - P) / (P * step_size)) + 1 starts, round(a * i) with
// a = (S - P) / (n - 1) and round-half-to-even, or the single start 0. Needs image_size >= patch_size on every axis
// (pad first) and 0 < step_size <= 1; InputError otherwise.
std::vector<Shape> compute_steps_for_sliding_window(const Shape& image_size, const Shape& patch_size, double step_size);

// All combinations of the per-axis starts, first axis outermost (z, then y, then x innermost).
std::vector<Shape> tile_starts(const std::vector<Shape>& steps);

// Everything the predictor needs to place its tiles on one case.
struct SlidingWindowGeometry {
  Padding padding;
  std::vector<Shape> steps;  // per axis, on the padded image
  std::vector<Shape> tiles;  // tile_starts(steps)
  // The Gaussian importance map is used only with more than one tile (spec/inference.md §4, §10.3).
  bool use_gaussian() const { return tiles.size() > 1; }
};

SlidingWindowGeometry plan_sliding_window(const Shape& image_shape, const Shape& patch_size, double step_size);

// Number of voxels of a shape (1 for an empty shape).
int64_t shape_volume(const Shape& shape);

}  // namespace nnseg
