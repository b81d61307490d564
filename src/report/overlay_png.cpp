// The per-case overlay PNG (report/overlay_png.h): slice choice, radiological orientation, region boundaries and
// the Cairo drawing through PngCanvas.
#include "report/overlay_png.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_write.h"
#include "io/nifti.h"
#include "report/png_canvas.h"

namespace nnseg::report {

namespace {

using Point = std::pair<double, double>;  // screen x, y in pixels
using Polyline = std::vector<Point>;

constexpr double kPanelMinPx = 480;   // coarse data is upscaled until a panel is at least this wide or high
constexpr double kPanelMaxPx = 1024;  // fine data is upscaled at most this far
constexpr int kMinVoxelPx = 3;        // pixels per finest voxel: 3 for 1 mm BraTS (240 voxels -> 720 px)
constexpr int kMargin = 12, kTitleHeight = 40, kCaptionHeight = 24, kGap = 12, kLegendWidth = 250;
constexpr double kLineWidth = 2.0, kDashOn = 6.0, kDashOff = 4.0;  // pixels
// TC is drawn first and wider, so where its boundary coincides with ET's (an enhancing rim) or WT's (no edema on
// that side) a red margin stays visible on both sides of the narrower line on top.
constexpr double kCoreLineWidth = 4.5;
constexpr std::array<OverlayRegion, 3> kDrawOrder{OverlayRegion::kTumourCore, OverlayRegion::kWholeTumour,
                                                  OverlayRegion::kEnhancing};
const Rgb kBackground{0.08, 0.08, 0.1};
const Rgb kDashGap{0, 0, 0};

double line_width(OverlayRegion region) { return region == OverlayRegion::kTumourCore ? kCoreLineWidth : kLineWidth; }

Rgb region_colour(OverlayRegion region) {
  switch (region) {
    case OverlayRegion::kWholeTumour:
      return {0.65, 1.0, 0.1};
    case OverlayRegion::kTumourCore:
      return {1.0, 0.15, 0.15};
    case OverlayRegion::kEnhancing:
      return {0.0, 0.9, 1.0};
  }
  return {1, 1, 1};
}

std::string shape_text(const std::array<int64_t, 3>& s) {
  return "[" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) + "]";
}

// Display pixel i (row-major) -> linear index into the volume, for axial slice z.
struct SliceMap {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<int64_t> index;
};

SliceMap slice_map(const std::array<int64_t, 3>& shape, int64_t z, const DisplayOrientation& o) {
  const int64_t ny = shape[1], nx = shape[2];
  SliceMap m;
  m.height = o.transpose ? nx : ny;
  m.width = o.transpose ? ny : nx;
  m.index.resize(static_cast<size_t>(m.width * m.height));
  for (int64_t row = 0; row < m.height; ++row) {
    const int64_t r = o.flip_rows ? m.height - 1 - row : row;
    for (int64_t col = 0; col < m.width; ++col) {
      const int64_t c = o.flip_cols ? m.width - 1 - col : col;
      const int64_t y = o.transpose ? c : r, x = o.transpose ? r : c;
      m.index[static_cast<size_t>(row * m.width + col)] = (z * ny + y) * nx + x;
    }
  }
  return m;
}

GraySlice gray_slice(const Image& image, const SliceMap& m) {
  GraySlice s{m.width, m.height, std::vector<float>(m.index.size())};
  for (size_t i = 0; i < m.index.size(); ++i) s.values[i] = static_cast<float>(image.value(m.index[i]));
  return s;
}

DisplayMask region_mask(const Image& labels, const SliceMap& m, OverlayRegion region) {
  DisplayMask mask{m.width, m.height, std::vector<uint8_t>(m.index.size(), 0)};
  for (size_t i = 0; i < m.index.size(); ++i) {
    mask.on[i] = in_region(region, static_cast<int>(std::lround(labels.value(m.index[i])))) ? 1 : 0;
  }
  return mask;
}

// Every voxel must be one of the nnU-Net labels 0..3.
void check_labels(const OverlayVolume& v) {
  dispatch_pixel_type(v.image.type, [&](auto tag) {
    using T = decltype(tag);
    const T* p = v.image.data<T>();
    for (int64_t i = 0; i < v.image.numel(); ++i) {
      const double x = static_cast<double>(p[i]);
      if (!(x == 0 || x == 1 || x == 2 || x == 3)) {
        std::ostringstream value;
        value << x;
        throw InputError(v.source, "label value " + value.str() +
                                       ": expected nnU-Net labels 0..3 (1 edema, 2 non-enhancing/necrosis, "
                                       "3 enhancing)");
      }
    }
  });
}

void check_grid(const OverlayVolume& v, const OverlayVolume& flair) {
  if (v.image.shape != flair.image.shape) {
    throw InputError(v.source, "shape (z, y, x) " + shape_text(v.image.shape) + " differs from " + flair.source + " " +
                                   shape_text(flair.image.shape));
  }
  for (int a = 0; a < 3; ++a) {
    const double s = v.image.geometry.spacing[static_cast<size_t>(a)],
                 f = flair.image.geometry.spacing[static_cast<size_t>(a)];
    if (std::abs(s - f) > 1e-8 + 1e-5 * std::abs(f)) {
      log_warning(v.source + ": spacing differs from " + flair.source + "; drawn on FLAIR's grid");
      return;
    }
  }
}

// The edges between the mask and its outside as closed polylines in voxel-corner coordinates (x = column,
// y = row), each pixel's outside sides oriented clockwise on screen so every vertex has as many edges in as out.
std::vector<Polyline> crack_loops(const DisplayMask& m) {
  const int64_t w = m.width, h = m.height, stride = w + 1;
  std::vector<std::array<int64_t, 2>> out(static_cast<size_t>((w + 1) * (h + 1)), {-1, -1});
  auto on = [&](int64_t r, int64_t c) {
    return r >= 0 && c >= 0 && r < h && c < w && m.on[static_cast<size_t>(r * w + c)] != 0;
  };
  auto add = [&](int64_t x0, int64_t y0, int64_t x1, int64_t y1) {
    auto& slots = out[static_cast<size_t>(y0 * stride + x0)];
    (slots[0] < 0 ? slots[0] : slots[1]) = y1 * stride + x1;
  };
  for (int64_t r = 0; r < h; ++r) {
    for (int64_t c = 0; c < w; ++c) {
      if (!on(r, c)) continue;
      if (!on(r - 1, c)) add(c, r, c + 1, r);
      if (!on(r, c + 1)) add(c + 1, r, c + 1, r + 1);
      if (!on(r + 1, c)) add(c + 1, r + 1, c, r + 1);
      if (!on(r, c - 1)) add(c, r + 1, c, r);
    }
  }
  std::vector<Polyline> loops;
  for (int64_t start = 0; start < static_cast<int64_t>(out.size()); ++start) {
    while (out[static_cast<size_t>(start)][0] >= 0 || out[static_cast<size_t>(start)][1] >= 0) {
      Polyline loop;
      int64_t v = start;
      for (;;) {
        loop.emplace_back(static_cast<double>(v % stride), static_cast<double>(v / stride));
        auto& slots = out[static_cast<size_t>(v)];
        int64_t& next = slots[0] >= 0 ? slots[0] : slots[1];
        if (next < 0) break;  // back at the start: in-degree equals out-degree everywhere
        v = std::exchange(next, -1);
      }
      // Drop the middle points of straight runs.
      Polyline simple;
      for (size_t i = 0; i < loop.size(); ++i) {
        if (i > 0 && i + 1 < loop.size()) {
          const Point &a = loop[i - 1], &b = loop[i], &c = loop[i + 1];
          if ((a.first == b.first && b.first == c.first) || (a.second == b.second && b.second == c.second)) continue;
        }
        simple.push_back(loop[i]);
      }
      loops.push_back(std::move(simple));
    }
  }
  return loops;
}

// A dashed line: the whole path in kDashGap, then kDashOn-long pieces in `colour` every kDashOn + kDashOff pixels
// (the pattern runs on across corners).
void draw_dashed(PngCanvas& canvas, const Polyline& path, Rgb colour, double width) {
  if (path.size() < 2) return;
  canvas.draw_polyline(path, kDashGap, width);
  bool drawing = true;
  double phase = 0;  // length done in the current on/off piece
  Polyline piece{path[0]};
  for (size_t i = 1; i < path.size(); ++i) {
    const Point a = path[i - 1], b = path[i];
    const double length = std::hypot(b.first - a.first, b.second - a.second);
    double t = 0;
    while (length - t > 1e-9) {
      const double piece_length = drawing ? kDashOn : kDashOff;
      const double step = std::min(piece_length - phase, length - t);
      t += step;
      phase += step;
      const Point p{a.first + (b.first - a.first) * t / length, a.second + (b.second - a.second) * t / length};
      if (drawing) piece.push_back(p);
      if (phase >= piece_length - 1e-9) {
        if (drawing) canvas.draw_polyline(piece, colour, width);
        piece.assign(1, p);
        drawing = !drawing;
        phase = 0;
      }
    }
  }
  if (drawing) canvas.draw_polyline(piece, colour, width);
}

Polyline to_screen(const Polyline& loop, double x0, double y0, double scale_col, double scale_row) {
  Polyline screen;
  screen.reserve(loop.size());
  for (const auto& [x, y] : loop) screen.emplace_back(x0 + x * scale_col, y0 + y * scale_row);
  return screen;
}

// The dominant LPS component (0 = L, 1 = P, 2 = S) of ITK axis `axis` and its sign.
std::pair<int, bool> dominant_axis(const Geometry& g, int axis) {
  int best = 0;
  for (int r = 1; r < 3; ++r) {
    if (std::abs(g.direction[static_cast<size_t>(r * 3 + axis)]) >
        std::abs(g.direction[static_cast<size_t>(best * 3 + axis)])) {
      best = r;
    }
  }
  return {best, g.direction[static_cast<size_t>(best * 3 + axis)] < 0};
}

}  // namespace

std::string to_string(OverlayRegion region) {
  static const char* const names[] = {"WT", "TC", "ET"};
  return names[static_cast<int>(region)];
}

bool in_region(OverlayRegion region, int label) {
  switch (region) {
    case OverlayRegion::kWholeTumour:
      return label > 0;
    case OverlayRegion::kTumourCore:
      return label == 2 || label == 3;
    case OverlayRegion::kEnhancing:
      return label == 3;
  }
  return false;
}

std::string to_string(SliceSource source) {
  static const char* const names[] = {"reference", "prediction", "middle"};
  return names[static_cast<int>(source)];
}

std::vector<DisplayPixel> boundary_pixels(const DisplayMask& mask) {
  NNSEG_CHECK(static_cast<int64_t>(mask.on.size()) == mask.width * mask.height) << "mask size";
  auto on = [&](int64_t r, int64_t c) {
    return r >= 0 && c >= 0 && r < mask.height && c < mask.width && mask.on[static_cast<size_t>(r * mask.width + c)];
  };
  std::vector<DisplayPixel> pixels;
  for (int64_t r = 0; r < mask.height; ++r) {
    for (int64_t c = 0; c < mask.width; ++c) {
      if (on(r, c) && !(on(r - 1, c) && on(r + 1, c) && on(r, c - 1) && on(r, c + 1))) pixels.push_back({r, c});
    }
  }
  return pixels;
}

DisplayOrientation radiological_orientation(const Geometry& geometry) {
  const auto [x_axis, x_negative] = dominant_axis(geometry, 0);
  const auto [y_axis, y_negative] = dominant_axis(geometry, 1);
  DisplayOrientation o;
  if (x_axis == 0 && y_axis == 1) {  // x along L/R, y along P/A
    o.flip_cols = x_negative;
    o.flip_rows = y_negative;
  } else if (x_axis == 1 && y_axis == 0) {  // x along P/A, y along L/R
    o.transpose = true;
    o.flip_cols = y_negative;
    o.flip_rows = x_negative;
  } else {
    o.anatomical = false;
  }
  return o;
}

std::pair<int64_t, SliceSource> choose_overlay_slice(const Image* reference, const Image& prediction) {
  auto largest = [](const Image& labels) -> int64_t {
    const int64_t per_slice = labels.shape[1] * labels.shape[2];
    int64_t best = -1, best_area = 0;
    for (int64_t z = 0; z < labels.shape[0]; ++z) {
      int64_t area = 0;
      for (int64_t i = z * per_slice; i < (z + 1) * per_slice; ++i) area += labels.value(i) > 0 ? 1 : 0;
      if (area > best_area) {
        best = z;
        best_area = area;
      }
    }
    return best;
  };
  if (reference != nullptr) {
    const int64_t z = largest(*reference);
    if (z >= 0) return {z, SliceSource::kReference};
  }
  const int64_t z = largest(prediction);
  if (z >= 0) return {z, SliceSource::kPrediction};
  return {prediction.shape[0] / 2, SliceSource::kMiddle};
}

std::pair<float, float> overlay_window(const Image& image) {
  return robust_window(image.values_as<float>(), 0.5, 99.5);
}

OverlayPlan plan_overlay(const OverlayInputs& in) {
  NNSEG_CHECK(in.flair.image.numel() > 0) << "empty FLAIR image";
  check_grid(in.t1ce, in.flair);
  check_grid(in.prediction, in.flair);
  check_labels(in.prediction);
  if (in.reference) {
    check_grid(*in.reference, in.flair);
    check_labels(*in.reference);
  }
  OverlayPlan plan;
  const Image* reference = in.reference ? &in.reference->image : nullptr;
  std::tie(plan.slice, plan.slice_source) = choose_overlay_slice(reference, in.prediction.image);
  const Geometry& g = in.flair.image.geometry;
  plan.orientation = radiological_orientation(g);
  const SliceMap map = slice_map(in.flair.image.shape, plan.slice, plan.orientation);
  plan.slice_width = map.width;
  plan.slice_height = map.height;
  for (OverlayRegion region : kOverlayRegions) {
    plan.prediction_contours[region] = boundary_pixels(region_mask(in.prediction.image, map, region));
    if (in.reference) plan.reference_contours[region] = boundary_pixels(region_mask(in.reference->image, map, region));
  }
  plan.flair_window = overlay_window(in.flair.image);
  plan.t1ce_window = overlay_window(in.t1ce.image);

  // Square pixels in mm; a whole number of pixels per finest voxel.
  const double mm_col = plan.orientation.transpose ? g.spacing[1] : g.spacing[0];
  const double mm_row = plan.orientation.transpose ? g.spacing[0] : g.spacing[1];
  const double mm_min = std::min(mm_col, mm_row);
  const double extent = std::max(static_cast<double>(map.width) * mm_col, static_cast<double>(map.height) * mm_row) /
                        mm_min;  // in finest voxels
  int k = std::max(kMinVoxelPx, static_cast<int>(std::ceil(kPanelMinPx / extent)));
  while (k > 1 && k * extent > kPanelMaxPx) --k;
  plan.scale_col = k * mm_col / mm_min;
  plan.scale_row = k * mm_row / mm_min;
  const int panel_w = static_cast<int>(std::ceil(static_cast<double>(map.width) * plan.scale_col));
  const int panel_h = static_cast<int>(std::ceil(static_cast<double>(map.height) * plan.scale_row));
  plan.panel_x = {static_cast<double>(kMargin), static_cast<double>(kMargin + panel_w + kGap)};
  plan.panel_y = kTitleHeight + kCaptionHeight;
  plan.png_width = kMargin + 2 * (panel_w + kGap) + kLegendWidth;
  plan.png_height = static_cast<int>(plan.panel_y) + std::max(panel_h, 330) + kMargin;
  return plan;
}

namespace {

std::string render(const OverlayInputs& in, const OverlayPlan& plan) {
  PngCanvas canvas(plan.png_width, plan.png_height, kBackground);
  const SliceMap map = slice_map(in.flair.image.shape, plan.slice, plan.orientation);

  char buf[512];
  std::snprintf(buf, sizeof(buf), "%s    axial slice %lld of %lld", in.case_id.c_str(),
                static_cast<long long>(plan.slice), static_cast<long long>(in.flair.image.shape[0]));
  std::string title = buf;
  std::string dice;
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string*>{"WT", &in.dice_wt}, {"TC", &in.dice_tc}, {"ET", &in.dice_et}}) {
    if (!value->empty()) dice += std::string("  ") + name + " " + *value;
  }
  if (!dice.empty()) title += "    Dice" + dice;
  canvas.draw_text(title, kMargin, 27, 18, {1, 1, 1}, true);

  const OverlayVolume* panels[] = {&in.flair, &in.t1ce};
  const char* names[] = {"FLAIR", "T1ce"};
  const std::pair<float, float> windows[] = {plan.flair_window, plan.t1ce_window};
  for (size_t p = 0; p < 2; ++p) {
    const double x0 = plan.panel_x[p], y0 = plan.panel_y;
    canvas.draw_text(names[p], x0, y0 - 7, 15, {0.9, 0.9, 0.9});
    canvas.draw_gray(gray_slice(panels[p]->image, map), x0, y0, plan.scale_col, plan.scale_row, windows[p].first,
                     windows[p].second, /*smooth=*/false);
    for (OverlayRegion region : kDrawOrder) {
      if (!in.reference) break;
      for (const Polyline& loop : crack_loops(region_mask(in.reference->image, map, region))) {
        canvas.draw_polyline(to_screen(loop, x0, y0, plan.scale_col, plan.scale_row), region_colour(region),
                             line_width(region));
      }
    }
    for (OverlayRegion region : kDrawOrder) {
      for (const Polyline& loop : crack_loops(region_mask(in.prediction.image, map, region))) {
        draw_dashed(canvas, to_screen(loop, x0, y0, plan.scale_col, plan.scale_row), region_colour(region),
                    line_width(region));
      }
    }
  }

  // Legend column.
  const double lx = plan.panel_x[1] + (plan.panel_x[1] - plan.panel_x[0]) + 4;
  double y = plan.panel_y;
  const Rgb heading{1, 1, 1}, text{0.85, 0.85, 0.85};
  canvas.draw_text("Regions", lx, y + 12, 14, heading, true);
  y += 22;
  y += canvas.draw_legend({{"WT whole tumour (labels 1-3)", region_colour(OverlayRegion::kWholeTumour)},
                           {"TC tumour core (labels 2, 3)", region_colour(OverlayRegion::kTumourCore)},
                           {"ET enhancing (label 3)", region_colour(OverlayRegion::kEnhancing)}},
                          lx, y, 13, text);
  y += 12;
  canvas.draw_text("Contours", lx, y + 12, 14, heading, true);
  y += 26;
  const Rgb sample{0.85, 0.85, 0.85};
  canvas.draw_polyline({{lx, y}, {lx + 36, y}}, sample, kLineWidth);
  canvas.draw_text(in.reference ? "reference (solid)" : "reference: none", lx + 44, y + 5, 13, text);
  y += 20;
  draw_dashed(canvas, {{lx, y}, {lx + 36, y}}, sample, kLineWidth);
  canvas.draw_text("prediction (dashed)", lx + 44, y + 5, 13, text);
  y += 24;
  const auto line = [&](const std::string& s, bool bold = false) {
    canvas.draw_text(s, lx, y + 12, bold ? 14 : 13, bold ? heading : text, bold);
    y += bold ? 22 : 18;
  };
  line("Slice", true);
  if (plan.slice_source == SliceSource::kMiddle) {
    line("middle slice (no tumour labelled)");
  } else {
    line("largest tumour area in the " + to_string(plan.slice_source));
  }
  y += 6;
  line("Display", true);
  if (plan.orientation.anatomical) {
    line("radiological: patient right on the");
    line("left, anterior at the top");
  } else {
    line("array order (axes not R/L, A/P)");
  }
  line("grey: 0.5-99.5 percentile of the");
  line("nonzero voxels of each image");
  return canvas.encode_png();
}

}  // namespace

std::string render_overlay_png(const OverlayInputs& in) { return render(in, plan_overlay(in)); }

OverlayPlan write_overlay_png(const OverlayInputs& in, const fs::path& png) {
  OverlayPlan plan = plan_overlay(in);
  write_file_atomically(png, render(in, plan));
  return plan;
}

namespace {

// `stem`.nii.gz if it exists, else `stem`.nii if that exists; nullopt otherwise.
std::optional<fs::path> find_nifti(const fs::path& dir, const std::string& stem) {
  for (const char* ext : {".nii.gz", ".nii"}) {
    const fs::path p = dir / (stem + ext);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

fs::path require_nifti(const fs::path& dir, const std::string& stem, const std::string& what) {
  if (auto p = find_nifti(dir, stem)) return *p;
  throw InputError((dir / (stem + ".nii.gz")).string(), "not found: " + what);
}

void require_folder(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir.string(), "not a folder");
}

}  // namespace

std::vector<OverlayCaseFiles> find_overlay_cases(const fs::path& images_dir, const fs::path& prediction_dir,
                                                 const std::optional<fs::path>& reference_dir,
                                                 const std::vector<std::string>& cases) {
  require_folder(images_dir);
  require_folder(prediction_dir);
  if (reference_dir) require_folder(*reference_dir);
  std::vector<std::string> ids = cases;
  if (ids.empty()) {
    for (const auto& entry : fs::directory_iterator(prediction_dir)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() || name.empty() || name[0] == '.') continue;
      for (const std::string ext : {".nii.gz", ".nii"}) {
        if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
          ids.push_back(name.substr(0, name.size() - ext.size()));
          break;
        }
      }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty()) throw InputError(prediction_dir.string(), "no predictions (CASE.nii.gz) found");
  }
  std::vector<OverlayCaseFiles> files;
  for (const std::string& id : ids) {
    OverlayCaseFiles f;
    f.case_id = id;
    f.prediction = require_nifti(prediction_dir, id, "prediction of case '" + id + "'");
    f.t1ce = require_nifti(images_dir, id + "_0001", "T1ce channel (0001) of case '" + id + "'");
    f.flair = require_nifti(images_dir, id + "_0003", "FLAIR channel (0003) of case '" + id + "'");
    if (reference_dir) f.reference = require_nifti(*reference_dir, id, "reference of case '" + id + "'");
    files.push_back(std::move(f));
  }
  return files;
}

OverlayInputs load_overlay_inputs(const OverlayCaseFiles& files) {
  OverlayInputs in;
  in.case_id = files.case_id;
  in.flair = {read_nifti(files.flair), files.flair.string()};
  in.t1ce = {read_nifti(files.t1ce), files.t1ce.string()};
  in.prediction = {read_nifti(files.prediction), files.prediction.string()};
  if (files.reference) in.reference = OverlayVolume{read_nifti(*files.reference), files.reference->string()};
  return in;
}

}  // namespace nnseg::report
