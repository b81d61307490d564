// PNGs of augmented patches for --debug-augmentation (training/augment_debug.h), drawn with report/png_canvas.h.
#include "training/augment_debug.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <system_error>

#include "core/check.h"
#include "core/error.h"
#include "report/png_canvas.h"

namespace nnseg {

namespace {

constexpr int kPanel = 256;  // pixels of a panel's longer side (at least one pixel per voxel)
constexpr int kTitle = 22;   // pixels above each panel for its title
constexpr int kMargin = 8;
constexpr uint8_t kOutsideLabel = 255;  // how -1 travels in a LabelSlice

// Middle axial slice [Y, X] of one sample's channel or label map, as a CPU float tensor.
at::Tensor middle_slice(const at::Tensor& volume) {
  at::Tensor v = volume.detach().to(at::kCPU).to(at::kFloat);
  if (v.dim() == 3) v = v.select(0, v.size(0) / 2);
  return v.contiguous();
}

report::GraySlice to_gray(const at::Tensor& slice) {
  report::GraySlice g;
  g.height = slice.size(0);
  g.width = slice.size(1);
  const float* p = slice.data_ptr<float>();
  g.values.assign(p, p + slice.numel());
  return g;
}

report::LabelSlice to_labels(const at::Tensor& slice) {
  report::LabelSlice l;
  l.height = slice.size(0);
  l.width = slice.size(1);
  const float* p = slice.data_ptr<float>();
  for (int64_t i = 0; i < slice.numel(); ++i) {
    const float v = p[i];
    l.labels.push_back(v < 0 ? kOutsideLabel : static_cast<uint8_t>(std::clamp(v, 0.0f, 254.0f)));
  }
  return l;
}

}  // namespace

std::vector<std::filesystem::path> write_augmentation_debug(const std::filesystem::path& dir, const torch::Tensor& data,
                                                            const torch::Tensor& seg, int64_t n,
                                                            const std::string& prefix) {
  NNSEG_CHECK((data.dim() == 5 || data.dim() == 4) && seg.dim() == data.dim() && seg.size(0) == data.size(0))
      << "augmentation debug of data " << data.sizes() << ", seg " << seg.sizes();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir.string(), "cannot create the augmentation debug folder: " + ec.message());

  const int64_t channels = data.size(1);
  const int64_t rows = data.size(-2);
  const int64_t cols = data.size(-1);
  const double scale = std::max(1.0, static_cast<double>(kPanel) / static_cast<double>(std::max(rows, cols)));
  const int panel_w = static_cast<int>(std::lround(static_cast<double>(cols) * scale));
  const int panel_h = static_cast<int>(std::lround(static_cast<double>(rows) * scale));
  const int width = static_cast<int>(channels + 1) * (panel_w + kMargin) + kMargin;
  const int height = panel_h + kTitle + 2 * kMargin;
  const std::map<int, report::Rgb> colours{
      {1, {0.1, 0.9, 0.1}}, {2, {1.0, 0.85, 0.0}}, {3, {0.95, 0.1, 0.1}}, {kOutsideLabel, {0.15, 0.3, 1.0}}};
  const report::Rgb white{1, 1, 1};

  std::vector<std::filesystem::path> written;
  for (int64_t b = 0; b < std::min(n, data.size(0)); ++b) {
    report::PngCanvas canvas(width, height);
    report::GraySlice first;
    for (int64_t c = 0; c <= channels; ++c) {
      const double x0 = static_cast<double>(kMargin + c * (panel_w + kMargin));
      const double y0 = kMargin + kTitle;
      const report::GraySlice g = c < channels ? to_gray(middle_slice(data[b][c])) : first;
      if (c == 0) first = g;
      const auto [lo, hi] = report::robust_window(g.values, 0.5, 99.5);
      canvas.draw_gray(g, x0, y0, scale, scale, lo, hi, false);
      if (c == channels) {
        canvas.draw_labels(to_labels(middle_slice(seg[b][0])), x0, y0, scale, scale, colours, 0.5);
      }
      canvas.draw_text(c < channels ? "channel " + std::to_string(c) : "seg on channel 0", x0, y0 - 6, 14, white);
    }
    char name[32];
    std::snprintf(name, sizeof(name), "_%03lld.png", static_cast<long long>(b));
    const std::filesystem::path path = dir / (prefix + name);
    canvas.save_png(path);
    written.push_back(path);
  }
  return written;
}

}  // namespace nnseg
