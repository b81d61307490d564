// PngCanvas: a small Cairo drawing surface for report pictures (synth-brats previews, later progress.png and
// prediction overlays): grayscale slices, label overlays, text, legends, line plots; saved as PNG atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

struct _cairo;
struct _cairo_surface;

namespace nnseg::report {

namespace fs = std::filesystem;

// A colour with components in [0, 1].
struct Rgb {
  double r = 0;
  double g = 0;
  double b = 0;
};

// A 2D scalar slice, row-major: values[row * width + col]; row 0 is drawn at the top.
struct GraySlice {
  int64_t width = 0;          // columns
  int64_t height = 0;         // rows
  std::vector<float> values;  // width * height values
};

// A 2D label slice, same layout as GraySlice.
struct LabelSlice {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> labels;  // width * height label values
};

// One legend row: a colour swatch and its text.
struct LegendEntry {
  std::string text;
  Rgb colour;
};

// Display window [lo, hi] of `values`: the lo_percent / hi_percent percentiles of the nonzero values (0, 1 when
// there are none; hi > lo always).
std::pair<float, float> robust_window(const std::vector<float>& values, double lo_percent, double hi_percent);

class PngCanvas {
 public:
  // A width x height RGB canvas filled with `background`.
  PngCanvas(int width, int height, Rgb background = {0, 0, 0});
  ~PngCanvas();
  PngCanvas(const PngCanvas&) = delete;
  PngCanvas& operator=(const PngCanvas&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }

  // Draws `slice` with its top-left corner at (x, y) pixels, each voxel `scale_x` x `scale_y` pixels wide/high
  // (bilinear when `smooth`, else nearest); grey = (v - lo) / (hi - lo) clamped to [0, 1].
  void draw_gray(const GraySlice& slice, double x, double y, double scale_x, double scale_y, float lo, float hi,
                 bool smooth = true);
  // Blends colours[label] with opacity `alpha` over the voxels whose label has a colour (others untouched).
  void draw_labels(const LabelSlice& slice, double x, double y, double scale_x, double scale_y,
                   const std::map<int, Rgb>& colours, double alpha);
  // Text with its baseline-left at (x, y); size in pixels.
  void draw_text(const std::string& text, double x, double y, double size_px, Rgb colour, bool bold = false);
  // A vertical legend: one swatch + text per entry, starting at top-left (x, y); returns its height in pixels.
  double draw_legend(const std::vector<LegendEntry>& entries, double x, double y, double size_px,
                     Rgb text_colour = {1, 1, 1});
  void fill_rect(double x, double y, double w, double h, Rgb colour);
  // A polyline through `points` (pixel coordinates), `width_px` wide.
  void draw_polyline(const std::vector<std::pair<double, double>>& points, Rgb colour, double width_px);

  // The canvas as PNG file bytes.
  std::string encode_png() const;
  // Writes the PNG through a temporary file (io/atomic_write.h); Error naming the path if it cannot.
  void save_png(const fs::path& path) const;
  // The colour at pixel (x, y) (tests).
  Rgb pixel(int x, int y) const;

 private:
  int width_;
  int height_;
  _cairo_surface* surface_;
  _cairo* cr_;
};

}  // namespace nnseg::report
