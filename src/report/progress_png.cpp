// progress.png (report/progress_png.h): v1's plot_progress figure drawn with Cairo, sizes in matplotlib points
// (figure 30 x 24 in, font 18 pt, subplot box 0.125..0.9 x 0.11..0.88, default line/tick/legend styles).
#include "report/progress_png.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "io/atomic_write.h"

namespace nnseg::report {

namespace {

constexpr double kDpi = kProgressWidth / 30.0;  // pixels per inch (the figure is 30 inches wide)
constexpr double kPx = kDpi / 72.0;             // pixels per point
constexpr double kFont = 18 * kPx;              // v1: matplotlib.rc('font', size=18)
constexpr double kLineWidth = std::max(1.5 * kPx, 1.5);
constexpr double kTickLength = 3.5 * kPx;
constexpr double kTickPad = 3.5 * kPx;
constexpr double kLabelPad = 4 * kPx;
constexpr double kSpineWidth = 0.8 * kPx;
constexpr int kMaxBins = 9;  // MaxNLocator(nbins='auto') is capped at 9 for this figure size
constexpr const char* kFontFace = "DejaVu Sans";
constexpr const char* kMinus = "\xe2\x88\x92";  // matplotlib draws U+2212 for negative tick labels

struct Colour {
  double r, g, b;
};
constexpr Colour kBlue{0, 0, 1};     // matplotlib 'b'
constexpr Colour kRed{1, 0, 0};      // 'r'
constexpr Colour kGreen{0, 0.5, 0};  // 'g'
constexpr Colour kBlack{0, 0, 0};

struct Series {
  const std::vector<double>* values;
  Colour colour;
  bool dashed;  // v1 'g--' (dash 3.7, gap 1.6 line widths)
  std::string label;
  bool right_axis;  // plotted against the twin (evaluation metric) axis
};

struct Range {
  double lo, hi;
};

// Data range plus matplotlib's 5% margins; singular ranges widened as mpl.transforms.nonsingular (expander 0.05);
// [0, 1] without data.
Range autoscale(const std::vector<const std::vector<double>*>& series) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const auto* s : series) {
    for (double v : *s) {
      if (!std::isfinite(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) return {0, 1};
  if (hi - lo <= std::max(std::abs(lo), std::abs(hi)) * 1e-15) {
    if (lo == 0 && hi == 0) {
      lo = -0.05;
      hi = 0.05;
    } else {
      lo -= 0.05 * std::abs(lo);
      hi += 0.05 * std::abs(hi);
    }
  }
  const double margin = 0.05 * (hi - lo);
  return {lo - margin, hi + margin};
}

// MaxNLocator(nbins=9, steps=[1, 2, 2.5, 5, 10]): the smallest nice step >= range / 9; ticks inside the range.
std::vector<double> nice_ticks(Range r, double* step_out) {
  const double raw = (r.hi - r.lo) / kMaxBins;
  const double scale = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * scale;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * scale >= raw * (1 - 1e-9)) {
      step = m * scale;
      break;
    }
  }
  std::vector<double> ticks;
  const double k0 = std::ceil(r.lo / step - 1e-9);
  const double k1 = std::floor(r.hi / step + 1e-9);
  for (double k = k0; k <= k1; ++k) ticks.push_back(k * step);
  *step_out = step;
  return ticks;
}

// ScalarFormatter-like labels: the same number of decimals for every tick, enough for the step.
std::vector<std::string> tick_labels(const std::vector<double>& ticks, double step) {
  const double exponent = std::floor(std::log10(step) + 1e-9);
  const double mantissa = step / std::pow(10.0, exponent);
  int decimals = std::max(0, static_cast<int>(-exponent));
  if (std::abs(mantissa - 2.5) < 1e-6) decimals = std::max(0, static_cast<int>(-exponent) + 1);
  std::vector<std::string> labels;
  for (double t : ticks) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, std::abs(t));
    const bool zero = std::string(buf).find_first_not_of("0.") == std::string::npos;
    labels.push_back((t < 0 && !zero ? kMinus : "") + std::string(buf));
  }
  return labels;
}

struct Box {
  double x, y, w, h;
};

bool inside(const Box& b, double x, double y) { return x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h; }

// Whether the segment p-q crosses box b (Liang-Barsky clipping).
bool segment_hits(const Box& b, double px, double py, double qx, double qy) {
  double t0 = 0, t1 = 1;
  const double dx = qx - px, dy = qy - py;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {px - b.x, b.x + b.w - px, py - b.y, b.y + b.h - py};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
    if (t0 > t1) return false;
  }
  return true;
}

class Painter {
 public:
  explicit Painter(cairo_t* cr) : cr_(cr) {
    cairo_select_font_face(cr_, kFontFace, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, kFont);
  }

  cairo_text_extents_t extents(const std::string& s) const {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    return e;
  }
  double digit_height() const { return extents("0").height; }

  void text(const std::string& s, double x, double y, Colour c = kBlack) {
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_move_to(cr_, x, y);
    cairo_show_text(cr_, s.c_str());
  }
  // Text reading bottom to top, its ink centred vertically on cy, its ink's left edge at `left` (or right edge at
  // `right` when left is NaN).
  void vertical_text(const std::string& s, double left, double right, double cy) {
    const cairo_text_extents_t e = extents(s);
    const double x0 = std::isnan(left) ? right - e.y_bearing - e.height : left - e.y_bearing;
    const double y0 = cy + e.x_bearing + e.width / 2;
    cairo_save(cr_);
    cairo_translate(cr_, x0, y0);
    cairo_rotate(cr_, -M_PI / 2);
    text(s, 0, 0);
    cairo_restore(cr_);
  }
  void line(double x0, double y0, double x1, double y1, Colour c, double width) {
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_set_line_width(cr_, width);
    cairo_move_to(cr_, x0, y0);
    cairo_line_to(cr_, x1, y1);
    cairo_stroke(cr_);
  }
  void set_dash(bool dashed) {
    const double dash[2] = {3.7 * kLineWidth, 1.6 * kLineWidth};
    cairo_set_dash(cr_, dash, dashed ? 2 : 0, 0);
  }
  // A polyline through the finite points, broken at non-finite values; a point alone between gaps is a dot.
  void curve(const std::vector<std::pair<double, double>>& pts, Colour c, bool dashed) {
    cairo_set_source_rgb(cr_, c.r, c.g, c.b);
    cairo_set_line_width(cr_, kLineWidth);
    cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
    set_dash(dashed);
    size_t i = 0;
    while (i < pts.size()) {
      if (!std::isfinite(pts[i].second)) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j + 1 < pts.size() && std::isfinite(pts[j + 1].second)) ++j;
      if (j == i) {
        cairo_arc(cr_, pts[i].first, pts[i].second, kLineWidth * 1.5, 0, 2 * M_PI);
        cairo_fill(cr_);
      } else {
        cairo_move_to(cr_, pts[i].first, pts[i].second);
        for (size_t k = i + 1; k <= j; ++k) cairo_line_to(cr_, pts[k].first, pts[k].second);
        cairo_stroke(cr_);
      }
      i = j + 1;
    }
    set_dash(false);
  }
  // Legend box: white at alpha 0.8, grey (0.8) rounded frame, one line sample + label per entry.
  Box legend_size(const std::vector<const Series*>& entries) const {
    double text_w = 0;
    for (const Series* s : entries) text_w = std::max(text_w, extents(s->label).x_advance);
    const double rows = static_cast<double>(entries.size());
    return {0, 0, (0.4 * 2 + 2.0 + 0.8) * kFont + text_w, 0.8 * kFont + rows * row_height() + (rows - 1) * 0.5 * kFont};
  }
  void legend(const std::vector<const Series*>& entries, const Box& b) {
    const double radius = 0.2 * kFont;
    cairo_new_sub_path(cr_);
    cairo_arc(cr_, b.x + b.w - radius, b.y + radius, radius, -M_PI / 2, 0);
    cairo_arc(cr_, b.x + b.w - radius, b.y + b.h - radius, radius, 0, M_PI / 2);
    cairo_arc(cr_, b.x + radius, b.y + b.h - radius, radius, M_PI / 2, M_PI);
    cairo_arc(cr_, b.x + radius, b.y + radius, radius, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr_);
    cairo_set_source_rgba(cr_, 1, 1, 1, 0.8);
    cairo_fill_preserve(cr_);
    cairo_set_source_rgba(cr_, 0.8, 0.8, 0.8, 0.8);
    cairo_set_line_width(cr_, 1.0 * kPx);
    cairo_stroke(cr_);
    cairo_font_extents_t fe;
    cairo_font_extents(cr_, &fe);
    double top = b.y + 0.4 * kFont;
    for (const Series* s : entries) {
      const double mid = top + row_height() / 2;
      set_dash(s->dashed);
      line(b.x + 0.4 * kFont, mid, b.x + 2.4 * kFont, mid, s->colour, kLineWidth);
      set_dash(false);
      text(s->label, b.x + 3.2 * kFont, mid + (fe.ascent - fe.descent) / 2);
      top += row_height() + 0.5 * kFont;
    }
  }

 private:
  double row_height() const {
    cairo_font_extents_t fe;
    cairo_font_extents(cr_, &fe);
    return fe.ascent + fe.descent;
  }
  cairo_t* cr_;
};

// matplotlib's legend locations 1..10 (upper right, upper left, lower left, lower right, right, center left,
// center right, lower center, upper center, center), inset by borderaxespad 0.5 font sizes.
Box place_legend(int loc, Box size, const ProgressFrame& f) {
  const double pad = 0.5 * kFont;
  const double left = f.left + pad, right = f.right - pad - size.w, cx = (f.left + f.right - size.w) / 2;
  const double top = f.top + pad, bottom = f.bottom - pad - size.h, cy = (f.top + f.bottom - size.h) / 2;
  const double xs[11] = {0, right, left, left, right, right, left, right, cx, cx, cx};
  const double ys[11] = {0, top, top, bottom, bottom, cy, cy, cy, bottom, top, cy};
  return {xs[loc], ys[loc], size.w, size.h};
}

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

ProgressFrame progress_frame(const TrainingCurves& curves) {
  ProgressFrame f;
  f.left = 0.125 * kProgressWidth;
  f.right = 0.9 * kProgressWidth;
  f.top = (1 - 0.88) * kProgressHeight;
  f.bottom = (1 - 0.11) * kProgressHeight;
  const size_t epochs = std::max(curves.train_loss.size(), curves.val_loss.size());
  std::vector<double> x;
  for (size_t i = 0; i < epochs; ++i) x.push_back(static_cast<double>(i));
  const Range xr = autoscale({&x});
  const Range lr = autoscale({&curves.train_loss, &curves.val_loss});
  std::vector<const std::vector<double>*> metric;
  if (curves.pseudo_dice.size() == epochs) metric.push_back(&curves.pseudo_dice);
  if (curves.pseudo_dice_ema.size() == epochs) metric.push_back(&curves.pseudo_dice_ema);
  const Range mr = autoscale(metric);
  f.x_min = xr.lo;
  f.x_max = xr.hi;
  f.loss_min = lr.lo;
  f.loss_max = lr.hi;
  f.metric_min = mr.lo;
  f.metric_max = mr.hi;
  return f;
}

std::string render_progress_png(const TrainingCurves& curves) {
  const ProgressFrame f = progress_frame(curves);
  const size_t epochs = std::max(curves.train_loss.size(), curves.val_loss.size());
  // v1 draws the metric only when it has one value per epoch.
  std::vector<Series> series = {{&curves.train_loss, kBlue, false, "loss_tr", false},
                                {&curves.val_loss, kRed, false, "loss_val, train=False", false}};
  if (curves.pseudo_dice.size() == epochs && epochs > 0) {
    series.push_back({&curves.pseudo_dice, kGreen, true, "evaluation metric", true});
  }
  if (curves.pseudo_dice_ema.size() == epochs && epochs > 0) {
    series.push_back({&curves.pseudo_dice_ema, kGreen, false, "evaluation metric (mov. avg)", true});
  }

  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, kProgressWidth, kProgressHeight);
  NNSEG_CHECK(cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS) << "cannot create the progress surface";
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  Painter paint(cr);

  // Curves, clipped to the axes; pixel paths kept for the legend placement.
  std::vector<std::vector<std::pair<double, double>>> paths;
  cairo_save(cr);
  cairo_rectangle(cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_clip(cr);
  for (const Series& s : series) {
    std::vector<std::pair<double, double>> pts;
    for (size_t i = 0; i < s.values->size(); ++i) {
      const double v = (*s.values)[i];
      const double y = std::isfinite(v) ? (s.right_axis ? f.metric_px(v) : f.loss_px(v)) : std::nan("");
      pts.emplace_back(f.x_px(static_cast<double>(i)), y);
    }
    paint.curve(pts, s.colour, s.dashed);
    paths.push_back(std::move(pts));
  }
  cairo_restore(cr);

  // Spines, ticks, tick labels and axis labels.
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
  cairo_rectangle(cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, kSpineWidth);
  cairo_stroke(cr);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  const double digit_h = paint.digit_height();
  // matplotlib lays text out with the ascent/descent of "lp"; "va=top" puts that box's top at the anchor.
  const cairo_text_extents_t lp = paint.extents("lp");
  const double ascent = -lp.y_bearing, descent = lp.height + lp.y_bearing;
  double step = 1;
  {
    const std::vector<double> ticks = nice_ticks({f.x_min, f.x_max}, &step);
    const std::vector<std::string> labels = tick_labels(ticks, step);
    for (size_t i = 0; i < ticks.size(); ++i) {
      const double x = f.x_px(ticks[i]);
      paint.line(x, f.bottom, x, f.bottom + kTickLength, kBlack, kSpineWidth);
      paint.text(labels[i], x - paint.extents(labels[i]).x_advance / 2, f.bottom + kTickLength + kTickPad + ascent);
    }
    const cairo_text_extents_t e = paint.extents("epoch");
    const double label_top = f.bottom + kTickLength + kTickPad + ascent + descent + kLabelPad;
    paint.text("epoch", (f.left + f.right) / 2 - e.x_bearing - e.width / 2, label_top + ascent);
  }
  for (bool right : {false, true}) {
    const double lo = right ? f.metric_min : f.loss_min;
    const double hi = right ? f.metric_max : f.loss_max;
    const std::vector<double> ticks = nice_ticks({lo, hi}, &step);
    const std::vector<std::string> labels = tick_labels(ticks, step);
    double widest = 0;
    for (size_t i = 0; i < ticks.size(); ++i) {
      const double y = right ? f.metric_px(ticks[i]) : f.loss_px(ticks[i]);
      const double w = paint.extents(labels[i]).x_advance;
      widest = std::max(widest, w);
      if (right) {
        paint.line(f.right, y, f.right + kTickLength, y, kBlack, kSpineWidth);
        paint.text(labels[i], f.right + kTickLength + kTickPad, y + digit_h / 2);
      } else {
        paint.line(f.left - kTickLength, y, f.left, y, kBlack, kSpineWidth);
        paint.text(labels[i], f.left - kTickLength - kTickPad - w, y + digit_h / 2);
      }
    }
    const double offset = kTickLength + kTickPad + widest + kLabelPad;
    const double cy = (f.top + f.bottom) / 2;
    if (right) {
      paint.vertical_text("evaluation metric", f.right + offset, std::nan(""), cy);
    } else {
      paint.vertical_text("loss", std::nan(""), f.left - offset, cy);
    }
  }

  // Legends: the metric legend at "upper center" (v1 loc=9); the loss legend at matplotlib's "best" location, the
  // first of locations 1..10 covering the fewest curve points and segments (and not the other legend).
  std::vector<const Series*> left_entries, right_entries;
  for (const Series& s : series) (s.right_axis ? right_entries : left_entries).push_back(&s);
  Box right_box{0, 0, 0, 0};
  if (!right_entries.empty()) right_box = place_legend(9, paint.legend_size(right_entries), f);
  const Box left_size = paint.legend_size(left_entries);
  Box best = place_legend(1, left_size, f);
  double best_badness = std::numeric_limits<double>::infinity();
  for (int loc = 1; loc <= 10; ++loc) {
    const Box b = place_legend(loc, left_size, f);
    double badness = 0;
    for (const auto& path : paths) {
      for (size_t i = 0; i < path.size(); ++i) {
        if (!std::isfinite(path[i].second)) continue;
        if (inside(b, path[i].first, path[i].second)) badness += 1;
        if (i + 1 < path.size() && std::isfinite(path[i + 1].second) &&
            segment_hits(b, path[i].first, path[i].second, path[i + 1].first, path[i + 1].second)) {
          badness += 1;
        }
      }
    }
    const bool overlaps_right = right_box.w > 0 && b.x < right_box.x + right_box.w && right_box.x < b.x + b.w &&
                                b.y < right_box.y + right_box.h && right_box.y < b.y + b.h;
    if (overlaps_right) badness += 1e9;
    if (badness < best_badness) {
      best_badness = badness;
      best = b;
    }
  }
  paint.legend(left_entries, best);
  if (!right_entries.empty()) paint.legend(right_entries, right_box);

  cairo_destroy(cr);
  cairo_surface_flush(surface);
  std::string bytes;
  const cairo_status_t st = cairo_surface_write_to_png_stream(surface, append_bytes, &bytes);
  cairo_surface_destroy(surface);
  if (st != CAIRO_STATUS_SUCCESS)
    throw Error("progress.png", std::string("cannot encode PNG: ") + cairo_status_to_string(st));
  return bytes;
}

void write_progress_png(const fs::path& path, const TrainingCurves& curves) {
  write_file_atomically(path, render_progress_png(curves));
}

}  // namespace nnseg::report
