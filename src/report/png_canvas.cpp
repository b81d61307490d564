// PngCanvas (report/png_canvas.h) on a Cairo ARGB32 image surface.
#include "report/png_canvas.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "core/error.h"
#include "io/atomic_write.h"

namespace nnseg::report {

namespace {

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); }

// An ARGB32 surface holding one pixel per voxel, filled by `pixel(i) -> (argb)`.
template <typename F>
cairo_surface_t* make_voxel_surface(int64_t width, int64_t height, F&& pixel) {
  cairo_surface_t* s =
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, static_cast<int>(width), static_cast<int>(height));
  NNSEG_CHECK(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS)
      << "cannot create a " << width << "x" << height << " surface";
  cairo_surface_flush(s);
  unsigned char* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  for (int64_t row = 0; row < height; ++row) {
    auto* line = reinterpret_cast<uint32_t*>(data + row * stride);
    for (int64_t col = 0; col < width; ++col) line[col] = pixel(row * width + col);
  }
  cairo_surface_mark_dirty(s);
  return s;
}

void paint_scaled(cairo_t* cr, cairo_surface_t* s, double x, double y, double scale_x, double scale_y, bool smooth) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, scale_x, scale_y);
  cairo_set_source_surface(cr, s, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), smooth ? CAIRO_FILTER_BILINEAR : CAIRO_FILTER_NEAREST);
  // Without PAD the bilinear filter fades the border pixels into transparency.
  cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
  cairo_rectangle(cr, 0, 0, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s));
  cairo_fill(cr);
  cairo_restore(cr);
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::pair<float, float> robust_window(const std::vector<float>& values, double lo_percent, double hi_percent) {
  std::vector<float> nonzero;
  nonzero.reserve(values.size());
  for (float v : values) {
    if (v != 0.0f && std::isfinite(v)) nonzero.push_back(v);
  }
  if (nonzero.empty()) return {0.0f, 1.0f};
  auto at = [&](double percent) {
    const auto k = static_cast<size_t>(std::clamp(percent / 100.0, 0.0, 1.0) * static_cast<double>(nonzero.size() - 1));
    std::nth_element(nonzero.begin(), nonzero.begin() + static_cast<std::ptrdiff_t>(k), nonzero.end());
    return nonzero[k];
  };
  float lo = at(lo_percent);
  float hi = at(hi_percent);
  if (!(hi > lo)) hi = lo + 1.0f;
  return {lo, hi};
}

PngCanvas::PngCanvas(int width, int height, Rgb background) : width_(width), height_(height) {
  NNSEG_CHECK(width > 0 && height > 0 && width <= 32767 && height <= 32767) << width << "x" << height;
  surface_ = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  NNSEG_CHECK(cairo_surface_status(surface_) == CAIRO_STATUS_SUCCESS) << "cannot create the canvas";
  cr_ = cairo_create(surface_);
  fill_rect(0, 0, width, height, background);
}

PngCanvas::~PngCanvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void PngCanvas::draw_gray(const GraySlice& slice, double x, double y, double scale_x, double scale_y, float lo,
                          float hi, bool smooth) {
  NNSEG_CHECK(static_cast<int64_t>(slice.values.size()) == slice.width * slice.height) << "slice size";
  if (slice.width == 0 || slice.height == 0) return;
  const double inv = hi > lo ? 1.0 / (static_cast<double>(hi) - lo) : 1.0;
  cairo_surface_t* s = make_voxel_surface(slice.width, slice.height, [&](int64_t i) {
    const uint32_t g = to_byte((slice.values[static_cast<size_t>(i)] - lo) * inv);
    return 0xff000000u | (g << 16) | (g << 8) | g;
  });
  paint_scaled(cr_, s, x, y, scale_x, scale_y, smooth);
  cairo_surface_destroy(s);
}

void PngCanvas::draw_labels(const LabelSlice& slice, double x, double y, double scale_x, double scale_y,
                            const std::map<int, Rgb>& colours, double alpha) {
  NNSEG_CHECK(static_cast<int64_t>(slice.labels.size()) == slice.width * slice.height) << "slice size";
  if (slice.width == 0 || slice.height == 0) return;
  const uint32_t a = to_byte(alpha);
  cairo_surface_t* s = make_voxel_surface(slice.width, slice.height, [&](int64_t i) -> uint32_t {
    auto it = colours.find(slice.labels[static_cast<size_t>(i)]);
    if (it == colours.end()) return 0u;
    // ARGB32 is premultiplied.
    const uint32_t r = to_byte(it->second.r * alpha), g = to_byte(it->second.g * alpha),
                   b = to_byte(it->second.b * alpha);
    return (a << 24) | (r << 16) | (g << 8) | b;
  });
  paint_scaled(cr_, s, x, y, scale_x, scale_y, false);
  cairo_surface_destroy(s);
}

void PngCanvas::draw_text(const std::string& text, double x, double y, double size_px, Rgb colour, bool bold) {
  cairo_save(cr_);
  cairo_select_font_face(cr_, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, size_px);
  cairo_set_source_rgb(cr_, colour.r, colour.g, colour.b);
  cairo_move_to(cr_, x, y);
  cairo_show_text(cr_, text.c_str());
  cairo_restore(cr_);
}

double PngCanvas::draw_legend(const std::vector<LegendEntry>& entries, double x, double y, double size_px,
                              Rgb text_colour) {
  const double row = size_px * 1.5;
  for (size_t i = 0; i < entries.size(); ++i) {
    const double top = y + row * static_cast<double>(i);
    fill_rect(x, top + 0.15 * size_px, size_px, size_px, entries[i].colour);
    draw_text(entries[i].text, x + size_px * 1.5, top + size_px, size_px, text_colour);
  }
  return row * static_cast<double>(entries.size());
}

void PngCanvas::fill_rect(double x, double y, double w, double h, Rgb colour) {
  cairo_save(cr_);
  cairo_set_source_rgb(cr_, colour.r, colour.g, colour.b);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_fill(cr_);
  cairo_restore(cr_);
}

void PngCanvas::draw_polyline(const std::vector<std::pair<double, double>>& points, Rgb colour, double width_px) {
  if (points.size() < 2) return;
  cairo_save(cr_);
  cairo_set_source_rgb(cr_, colour.r, colour.g, colour.b);
  cairo_set_line_width(cr_, width_px);
  cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
  cairo_move_to(cr_, points[0].first, points[0].second);
  for (size_t i = 1; i < points.size(); ++i) cairo_line_to(cr_, points[i].first, points[i].second);
  cairo_stroke(cr_);
  cairo_restore(cr_);
}

std::string PngCanvas::encode_png() const {
  cairo_surface_flush(surface_);
  std::string bytes;
  const cairo_status_t st = cairo_surface_write_to_png_stream(surface_, append_to_string, &bytes);
  if (st != CAIRO_STATUS_SUCCESS) throw Error("", std::string("cannot encode PNG: ") + cairo_status_to_string(st));
  return bytes;
}

void PngCanvas::save_png(const fs::path& path) const { write_file_atomically(path, encode_png()); }

Rgb PngCanvas::pixel(int x, int y) const {
  NNSEG_CHECK(x >= 0 && y >= 0 && x < width_ && y < height_) << "pixel " << x << "," << y;
  cairo_surface_flush(surface_);
  const unsigned char* data = cairo_image_surface_get_data(surface_);
  const int stride = cairo_image_surface_get_stride(surface_);
  const uint32_t v = reinterpret_cast<const uint32_t*>(data + y * stride)[x];
  return {((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0, (v & 0xff) / 255.0};
}

}  // namespace nnseg::report
