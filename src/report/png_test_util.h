// Test helper for the picture tests (progress_png_test, overlay_png_test): a PNG file decoded with Cairo, read pixel
// by pixel.
#pragma once

#include <cairo.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace nnseg::report::png_test {

struct Pixel {
  int r, g, b;
};

class Picture {
 public:
  explicit Picture(const std::filesystem::path& path)
      : surface_(cairo_image_surface_create_from_png(path.c_str()), cairo_surface_destroy) {}
  bool ok() const { return cairo_surface_status(surface_.get()) == CAIRO_STATUS_SUCCESS; }
  int width() const { return cairo_image_surface_get_width(surface_.get()); }
  int height() const { return cairo_image_surface_get_height(surface_.get()); }
  Pixel at(int x, int y) const {
    const unsigned char* data = cairo_image_surface_get_data(surface_.get());
    const int stride = cairo_image_surface_get_stride(surface_.get());
    const uint32_t v = reinterpret_cast<const uint32_t*>(data + y * stride)[x];
    return {static_cast<int>((v >> 16) & 0xff), static_cast<int>((v >> 8) & 0xff), static_cast<int>(v & 0xff)};
  }
  // Whether some pixel within `radius` of (x, y) satisfies `pred`.
  template <typename P>
  bool near(double x, double y, int radius, P pred) const {
    const int cx = static_cast<int>(std::lround(x)), cy = static_cast<int>(std::lround(y));
    for (int yy = cy - radius; yy <= cy + radius; ++yy) {
      for (int xx = cx - radius; xx <= cx + radius; ++xx) {
        if (xx >= 0 && yy >= 0 && xx < width() && yy < height() && pred(at(xx, yy))) return true;
      }
    }
    return false;
  }
  // Pixels satisfying `pred` in [x0, x1) x [y0, y1), or in the whole picture.
  template <typename P>
  int count(int x0, int y0, int x1, int y1, P pred) const {
    int n = 0;
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) n += pred(at(x, y)) ? 1 : 0;
    }
    return n;
  }
  template <typename P>
  int count(P pred) const {
    return count(0, 0, width(), height(), pred);
  }

 private:
  std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> surface_;
};

}  // namespace nnseg::report::png_test
