// synth-brats preview PNG (synth/synth_preview.h).
#include "synth/synth_preview.h"

#include <cstdio>

#include "core/check.h"

namespace nnseg::synth {

report::Rgb brats_label_colour(int label) {
  switch (label) {
    case kLabelEdema:
      return {0.1, 0.85, 0.1};
    case kLabelNecrotic:
      return {0.95, 0.15, 0.1};
    case kLabelEnhancing:
      return {1.0, 0.9, 0.1};
    default:
      return {0, 0, 0};
  }
}

report::GraySlice axial_slice(const Image& image, int64_t z) {
  NNSEG_CHECK(z >= 0 && z < image.shape[0]) << "slice " << z;
  report::GraySlice s;
  s.height = image.shape[1];
  s.width = image.shape[2];
  s.values.resize(static_cast<size_t>(s.width * s.height));
  for (int64_t i = 0; i < s.width * s.height; ++i) {
    s.values[static_cast<size_t>(i)] = static_cast<float>(image.value(z * s.width * s.height + i));
  }
  return s;
}

report::LabelSlice axial_label_slice(const Image& labels, int64_t z) {
  NNSEG_CHECK(z >= 0 && z < labels.shape[0]) << "slice " << z;
  report::LabelSlice s;
  s.height = labels.shape[1];
  s.width = labels.shape[2];
  s.labels.resize(static_cast<size_t>(s.width * s.height));
  for (int64_t i = 0; i < s.width * s.height; ++i) {
    s.labels[static_cast<size_t>(i)] = static_cast<uint8_t>(labels.value(z * s.width * s.height + i));
  }
  return s;
}

void write_brats_preview(const SynthCase& c, const std::string& title, const std::string& anatomy,
                         const std::filesystem::path& png) {
  constexpr int kPanel = 300, kGap = 8, kTitle = 34, kCaption = 22;
  const int width = 3 * kPanel + 4 * kGap;
  const int height = kTitle + 2 * (kCaption + kPanel) + 2 * kGap;
  report::PngCanvas canvas(width, height, {0.08, 0.08, 0.1});
  const int64_t z = c.tumour_centre[0];
  const Image& any = c.channels[0];
  // Same pixels per mm on both axes; the panel spans the field of view's width.
  const double px_per_mm = kPanel / (static_cast<double>(any.shape[2]) * any.geometry.spacing[0]);
  const double px_x = px_per_mm * any.geometry.spacing[0], px_y = px_per_mm * any.geometry.spacing[1];

  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s: axial slice %lld of %lld", title.c_str(), static_cast<long long>(z),
                static_cast<long long>(any.shape[0]));
  canvas.draw_text(buf, kGap, 24, 17, {1, 1, 1}, true);
  const char* const names[] = {"T1", "T1ce", "T2", "FLAIR"};
  auto panel_origin = [&](int index) {
    return std::pair<double, double>{kGap + (index % 3) * (kPanel + kGap),
                                     kTitle + (index / 3) * (kPanel + kCaption + kGap)};
  };
  report::GraySlice flair;
  for (int ch = 0; ch < kChannels; ++ch) {
    const report::GraySlice s = axial_slice(c.channels[static_cast<size_t>(ch)], z);
    const float hi = report::robust_window(s.values, 0.5, 99.5).second;
    const auto [x, y] = panel_origin(ch);
    canvas.draw_text(names[ch], x, y + 16, 15, {0.9, 0.9, 0.9});
    canvas.draw_gray(s, x, y + kCaption, px_x, px_y, 0.0f, hi);
    if (ch == 3) flair = s;
  }
  const auto [ox, oy] = panel_origin(4);
  const float hi = report::robust_window(flair.values, 0.5, 99.5).second;
  canvas.draw_text("FLAIR + labels", ox, oy + 16, 15, {0.9, 0.9, 0.9});
  canvas.draw_gray(flair, ox, oy + kCaption, px_x, px_y, 0.0f, hi);
  std::map<int, report::Rgb> colours;
  for (int l : {kLabelNecrotic, kLabelEdema, kLabelEnhancing}) colours[l] = brats_label_colour(l);
  canvas.draw_labels(axial_label_slice(c.seg, z), ox, oy + kCaption, px_x, px_y, colours, 0.45);

  const auto [lx, ly] = panel_origin(5);
  double y = ly + kCaption;
  y += canvas.draw_legend({{"edema (label 2)", brats_label_colour(kLabelEdema)},
                           {"necrotic / non-enh. core (label 1)", brats_label_colour(kLabelNecrotic)},
                           {"enhancing tumour (label 4)", brats_label_colour(kLabelEnhancing)}},
                          lx, y, 12);
  y += 12;
  const auto line = [&](const std::string& text) {
    canvas.draw_text(text, lx, y + 12, 12, {0.85, 0.85, 0.85});
    y += 18;
  };
  std::snprintf(buf, sizeof(buf), "grade: %s", c.has_enhancing ? "HGG-like (enhancing)" : "LGG-like (no ET)");
  line(buf);
  std::snprintf(buf, sizeof(buf), "whole tumour %.1f cm3, core %.1f cm3", c.whole_tumour_cm3, c.core_cm3);
  line(buf);
  std::snprintf(buf, sizeof(buf), "brain %.0f cm3", c.brain_cm3);
  line(buf);
  std::snprintf(buf, sizeof(buf), "grid %lldx%lldx%lld at %.0f mm", static_cast<long long>(any.shape[2]),
                static_cast<long long>(any.shape[1]), static_cast<long long>(any.shape[0]), any.geometry.spacing[0]);
  line(buf);
  line("radiological view: patient right on the left");
  line("anatomy: " + anatomy.substr(0, anatomy.find(' ')));
  canvas.save_png(png);
}

}  // namespace nnseg::synth
