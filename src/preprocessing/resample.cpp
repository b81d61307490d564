// Resampling (preprocessing/resample.h), as nnU-Net v1 resample_patient / resample_data_or_seg with skimage's
// resize semantics (spec/preprocessing.md §2). Every resize is a sequence of 1D passes along the axes whose length
// changes; a pass gathers a batch of lines into a [position][line] buffer so the recursions run over contiguous
// memory, then writes the interpolated samples.
#include "preprocessing/resample.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/parallel.h"

namespace nnseg {
namespace {

enum class Kernel { kCubic, kLinear, kNearest };

constexpr int64_t kSplinePad = 12;  // edge samples scipy's zoom adds per side for mode 'nearest' (spec §2.6)
constexpr int64_t kBatch = 64;      // lines interpolated together

double cubic_bspline(double t) {
  t = std::fabs(t);
  if (t < 1.0) return 2.0 / 3.0 - t * t + t * t * t / 2.0;
  if (t < 2.0) return (2.0 - t) * (2.0 - t) * (2.0 - t) / 6.0;
  return 0.0;
}

// Where each output sample of one axis reads its input and with which weights.
struct AxisPlan {
  Kernel kernel = Kernel::kCubic;
  int64_t n = 0;                    // input length
  int64_t m = 0;                    // output length
  int64_t padded = 0;               // length of the buffered line (n, plus 2 * kSplinePad for the spline)
  int taps = 0;                     // samples read per output
  std::vector<int64_t> index;       // m * taps positions in the buffered line
  std::vector<double> weight;       // m * taps weights
  std::vector<double> causal_init;  // spline only: weights of c+[0] over the buffered line (gain 6 included)
  std::vector<int64_t> init_terms;  // spline only: positions whose causal_init weight matters
  double pole = 0;                  // spline only: sqrt(3) - 2
};

AxisPlan make_plan(Kernel kernel, int64_t n, int64_t m) {
  AxisPlan p;
  p.kernel = kernel;
  p.n = n;
  p.m = m;
  p.padded = kernel == Kernel::kCubic ? n + 2 * kSplinePad : n;
  p.taps = kernel == Kernel::kCubic ? 4 : kernel == Kernel::kLinear ? 2 : 1;
  p.index.resize(static_cast<size_t>(m * p.taps));
  p.weight.resize(static_cast<size_t>(m * p.taps));
  const double scale = static_cast<double>(n) / static_cast<double>(m);
  for (int64_t j = 0; j < m; ++j) {
    // Half-pixel-centre mapping of skimage/scipy zoom (grid_mode) and of v1's separate-z map_coordinates.
    const double x = (static_cast<double>(j) + 0.5) * scale - 0.5;
    int64_t* idx = p.index.data() + j * p.taps;
    double* w = p.weight.data() + j * p.taps;
    if (kernel == Kernel::kCubic) {
      const double xp = x + static_cast<double>(kSplinePad);
      const auto i0 = static_cast<int64_t>(std::floor(xp));
      for (int t = 0; t < 4; ++t) {
        const int64_t i = i0 - 1 + t;
        idx[t] = std::clamp<int64_t>(i, 0, p.padded - 1);
        w[t] = cubic_bspline(xp - static_cast<double>(i));
      }
    } else if (kernel == Kernel::kLinear) {
      const double xc = std::clamp(x, 0.0, static_cast<double>(n - 1));
      const auto i0 = static_cast<int64_t>(std::floor(xc));
      const double f = xc - static_cast<double>(i0);
      idx[0] = i0;
      idx[1] = std::min(i0 + 1, n - 1);
      w[0] = 1.0 - f;
      w[1] = f;
    } else {
      idx[0] = std::clamp<int64_t>(static_cast<int64_t>(std::floor(x + 0.5)), 0, n - 1);
      w[0] = 1.0;
    }
  }
  if (kernel == Kernel::kCubic) {
    // Causal initialisation for whole-sample mirror boundaries (spec §2.6 step 2), times the gain 6.
    const double z = std::sqrt(3.0) - 2.0;
    const int64_t big_n = p.padded;
    p.pole = z;
    p.causal_init.assign(static_cast<size_t>(big_n), 0.0);
    const double norm = 6.0 / (1.0 - std::pow(z, static_cast<double>(2 * big_n - 2)));
    p.causal_init[0] = norm;
    p.causal_init[static_cast<size_t>(big_n - 1)] += norm * std::pow(z, static_cast<double>(big_n - 1));
    for (int64_t k = 1; k < big_n - 1; ++k) {
      p.causal_init[static_cast<size_t>(k)] =
          norm * (std::pow(z, static_cast<double>(k)) + std::pow(z, static_cast<double>(2 * big_n - 2 - k)));
    }
    // Terms below 1e-30 of the leading weight cannot change a double sum of edge-padded samples: skip them.
    for (int64_t k = 0; k < big_n; ++k) {
      if (std::fabs(p.causal_init[static_cast<size_t>(k)]) > 1e-30 * norm) p.init_terms.push_back(k);
    }
  }
  return p;
}

// In-place cubic B-spline prefilter of `count` lines stored as buf[k * kBatch + b], k < padded.
void prefilter_lines(const AxisPlan& p, double* buf, int64_t count) {
  const int64_t big_n = p.padded;
  const double z = p.pole;
  double c0[kBatch];
  for (int64_t b = 0; b < count; ++b) c0[b] = 0.0;
  for (int64_t k : p.init_terms) {
    const double w = p.causal_init[static_cast<size_t>(k)];
    const double* row = buf + k * kBatch;
    for (int64_t b = 0; b < count; ++b) c0[b] += w * row[b];
  }
  for (int64_t b = 0; b < count; ++b) buf[b] = c0[b];
  for (int64_t k = 1; k < big_n; ++k) {
    double* row = buf + k * kBatch;
    const double* prev = row - kBatch;
    for (int64_t b = 0; b < count; ++b) row[b] = 6.0 * row[b] + z * prev[b];
  }
  if (big_n >= 2) {
    double* last = buf + (big_n - 1) * kBatch;
    const double* before = last - kBatch;
    const double f = z / (z * z - 1.0);
    for (int64_t b = 0; b < count; ++b) last[b] = f * (last[b] + z * before[b]);
  }
  for (int64_t k = big_n - 2; k >= 0; --k) {
    double* row = buf + k * kBatch;
    const double* next = row + kBatch;
    for (int64_t b = 0; b < count; ++b) row[b] = z * (next[b] - row[b]);
  }
}

// Resizes axis `axis` of the volume `src` (shape) to length plan.m, writing `dst` (shape with shape[axis] = m).
template <typename In, typename Out>
void resize_axis(const In* src, const std::array<int64_t, 3>& shape, int axis, const AxisPlan& plan, Out* dst,
                 int threads) {
  const int64_t n = shape[axis], m = plan.m;
  NNSEG_CHECK(n == plan.n) << "axis plan for " << plan.n << " samples used on " << n;
  int64_t outer = 1, inner = 1;
  for (int a = 0; a < axis; ++a) outer *= shape[a];
  for (int a = axis + 1; a < 3; ++a) inner *= shape[a];
  const int64_t lines = outer * inner;
  const int64_t batches = (lines + kBatch - 1) / kBatch;
  const int64_t offset = plan.kernel == Kernel::kCubic ? kSplinePad : 0;
  parallel_for(batches, threads, [&](int64_t batch) {
    const int64_t first_line = batch * kBatch;
    const int64_t count = std::min(kBatch, lines - first_line);
    int64_t src_base[kBatch], dst_base[kBatch];
    for (int64_t b = 0; b < count; ++b) {
      const int64_t line = first_line + b;
      const int64_t o = line / inner, i = line % inner;
      src_base[b] = o * n * inner + i;
      dst_base[b] = o * m * inner + i;
    }
    // One buffer per thread, reused (every position that is read was written for this batch first).
    thread_local std::vector<double> buf;
    if (buf.size() < static_cast<size_t>(plan.padded * kBatch)) buf.resize(static_cast<size_t>(plan.padded * kBatch));
    for (int64_t k = 0; k < n; ++k) {
      double* row = buf.data() + (k + offset) * kBatch;
      for (int64_t b = 0; b < count; ++b) row[b] = static_cast<double>(src[src_base[b] + k * inner]);
    }
    if (plan.kernel == Kernel::kCubic) {
      const double* head = buf.data() + kSplinePad * kBatch;
      const double* tail = buf.data() + (kSplinePad + n - 1) * kBatch;
      for (int64_t k = 0; k < kSplinePad; ++k) {
        std::copy(head, head + count, buf.data() + k * kBatch);
        std::copy(tail, tail + count, buf.data() + (kSplinePad + n + k) * kBatch);
      }
      prefilter_lines(plan, buf.data(), count);
    }
    double acc[kBatch];
    for (int64_t j = 0; j < m; ++j) {
      const int64_t* idx = plan.index.data() + j * plan.taps;
      const double* w = plan.weight.data() + j * plan.taps;
      for (int64_t b = 0; b < count; ++b) acc[b] = 0.0;
      for (int t = 0; t < plan.taps; ++t) {
        const double* row = buf.data() + idx[t] * kBatch;
        const double wt = w[t];
        for (int64_t b = 0; b < count; ++b) acc[b] += wt * row[b];
      }
      for (int64_t b = 0; b < count; ++b) dst[dst_base[b] + j * inner] = static_cast<Out>(acc[b]);
    }
  });
}

int64_t volume(const std::array<int64_t, 3>& s) { return s[0] * s[1] * s[2]; }

std::vector<int> changed_axes(const std::array<int64_t, 3>& shape, const std::array<int64_t, 3>& out_shape) {
  std::vector<int> axes;
  for (int a = 0; a < 3; ++a) {
    if (shape[a] != out_shape[a]) axes.push_back(a);
  }
  return axes;
}

// Runs the passes over `axes` from `in` (float-like) into `out` (double or float); intermediates are double.
template <typename In, typename Out>
void resize_passes(const In* in, std::array<int64_t, 3> shape, const std::array<int64_t, 3>& out_shape,
                   const std::vector<int>& axes, Kernel kernel, Out* out, int threads) {
  NNSEG_CHECK(!axes.empty()) << "resize without a changed axis";
  // Intermediate volumes (double, not zero-filled: every value is written by its pass).
  std::unique_ptr<double[]> a, b;
  const double* current = nullptr;
  for (size_t k = 0; k < axes.size(); ++k) {
    const int axis = axes[k];
    const AxisPlan plan = make_plan(kernel, shape[axis], out_shape[axis]);
    std::array<int64_t, 3> next_shape = shape;
    next_shape[axis] = out_shape[axis];
    const bool last = k + 1 == axes.size();
    if (last) {
      if (k == 0) {
        resize_axis(in, shape, axis, plan, out, threads);
      } else {
        resize_axis(current, shape, axis, plan, out, threads);
      }
    } else {
      std::unique_ptr<double[]>& target = (k % 2 == 0) ? a : b;
      target.reset(new double[static_cast<size_t>(volume(next_shape))]);
      if (k == 0) {
        resize_axis(in, shape, axis, plan, target.get(), threads);
      } else {
        resize_axis(current, shape, axis, plan, target.get(), threads);
        (k % 2 == 0 ? b : a).reset();  // the volume read in this pass is not needed any more
      }
      current = target.get();
    }
    shape = next_shape;
  }
}

}  // namespace

bool is_anisotropic(const std::array<double, 3>& spacing, double threshold) {
  const double mx = *std::max_element(spacing.begin(), spacing.end());
  const double mn = *std::min_element(spacing.begin(), spacing.end());
  return mx / mn > threshold;
}

std::vector<int> lowres_axes(const std::array<double, 3>& spacing) {
  const double mx = *std::max_element(spacing.begin(), spacing.end());
  std::vector<int> axes;
  for (int a = 0; a < 3; ++a) {
    if (spacing[a] == mx) axes.push_back(a);
  }
  return axes;
}

std::array<int64_t, 3> compute_new_shape(const std::array<int64_t, 3>& shape, const std::array<double, 3>& spacing,
                                         const std::array<double, 3>& target_spacing, const std::string& item) {
  std::array<int64_t, 3> out{};
  for (int a = 0; a < 3; ++a) {
    // numpy: np.round((spacing / target).astype(float) * shape), half to even.
    const double v = spacing[a] / target_spacing[a] * static_cast<double>(shape[a]);
    out[a] = static_cast<int64_t>(std::nearbyint(v));
    if (!(out[a] >= 1)) {
      std::ostringstream msg;
      msg << "resampling axis " << a << " of " << shape[a] << " voxels from spacing " << spacing[a]
          << " to target spacing " << target_spacing[a] << " gives " << v << " voxels; expected at least 1";
      throw InputError(item, msg.str());
    }
  }
  return out;
}

std::optional<int> separate_z_axis(const std::array<double, 3>& spacing, const std::array<double, 3>& target_spacing,
                                   std::optional<bool> force_separate_z, double threshold) {
  std::vector<int> axes;
  if (force_separate_z.has_value()) {
    if (!*force_separate_z) return std::nullopt;
    axes = lowres_axes(spacing);
  } else if (is_anisotropic(spacing, threshold)) {
    axes = lowres_axes(spacing);
  } else if (is_anisotropic(target_spacing, threshold)) {
    axes = lowres_axes(target_spacing);
  }
  if (axes.size() != 1) return std::nullopt;  // none, or two/three candidate axes: one 3D interpolation
  return axes[0];
}

void resize_cubic(const float* in, const std::array<int64_t, 3>& shape, float* out,
                  const std::array<int64_t, 3>& out_shape, int clip_axis, int threads) {
  NNSEG_CHECK(clip_axis < 0 || shape[clip_axis] == out_shape[clip_axis]) << "clip axis " << clip_axis << " resized";
  const int64_t in_n = volume(shape), out_n = volume(out_shape);
  // Value range per clipping slice (the whole volume when clip_axis < 0).
  const int64_t slices = clip_axis < 0 ? 1 : shape[clip_axis];
  std::vector<float> lo(static_cast<size_t>(slices), std::numeric_limits<float>::infinity());
  std::vector<float> hi(static_cast<size_t>(slices), -std::numeric_limits<float>::infinity());
  auto slice_of = [&](const std::array<int64_t, 3>& s, int64_t i) -> int64_t {
    if (clip_axis < 0) return 0;
    if (clip_axis == 0) return i / (s[1] * s[2]);
    if (clip_axis == 1) return (i / s[2]) % s[1];
    return i % s[2];
  };
  for (int64_t i = 0; i < in_n; ++i) {
    const auto s = static_cast<size_t>(slice_of(shape, i));
    lo[s] = std::min(lo[s], in[i]);
    hi[s] = std::max(hi[s], in[i]);
  }
  const std::vector<int> axes = changed_axes(shape, out_shape);
  if (axes.empty()) {
    std::copy(in, in + in_n, out);
  } else {
    resize_passes(in, shape, out_shape, axes, Kernel::kCubic, out, threads);
  }
  // Clipping after the cast to float32 equals clipping before it: the bounds are float32 values.
  for (int64_t i = 0; i < out_n; ++i) {
    const auto s = static_cast<size_t>(slice_of(out_shape, i));
    out[i] = std::min(std::max(out[i], lo[s]), hi[s]);
  }
}

void resize_segmentation(const float* in, const std::array<int64_t, 3>& shape, float* out,
                         const std::array<int64_t, 3>& out_shape, int threads) {
  const int64_t in_n = volume(shape), out_n = volume(out_shape);
  const std::vector<int> axes = changed_axes(shape, out_shape);
  if (axes.empty()) {
    std::copy(in, in + in_n, out);
    return;
  }
  std::set<float> labels;
  for (int64_t i = 0; i < in_n; ++i) {
    if (!std::isnan(in[i])) labels.insert(in[i]);
  }
  std::fill(out, out + out_n, 0.0f);
  std::vector<float> indicator(static_cast<size_t>(in_n));
  std::vector<double> resized(static_cast<size_t>(out_n));
  for (float label : labels) {
    for (int64_t i = 0; i < in_n; ++i) indicator[static_cast<size_t>(i)] = in[i] == label ? 1.0f : 0.0f;
    resize_passes(indicator.data(), shape, out_shape, axes, Kernel::kLinear, resized.data(), threads);
    for (int64_t i = 0; i < out_n; ++i) {
      if (resized[static_cast<size_t>(i)] >= 0.5) out[i] = label;
    }
  }
}

void resize_nearest(const float* in, const std::array<int64_t, 3>& shape, float* out,
                    const std::array<int64_t, 3>& out_shape, int threads) {
  const std::vector<int> axes = changed_axes(shape, out_shape);
  if (axes.empty()) {
    std::copy(in, in + volume(shape), out);
    return;
  }
  // Nearest neighbour is exact in float; the double intermediates only hold float values.
  resize_passes(in, shape, out_shape, axes, Kernel::kNearest, out, threads);
}

void resize_linear(const float* in, const std::array<int64_t, 3>& shape, float* out,
                   const std::array<int64_t, 3>& out_shape, int threads) {
  const std::vector<int> axes = changed_axes(shape, out_shape);
  if (axes.empty()) {
    std::copy(in, in + volume(shape), out);
    return;
  }
  resize_passes(in, shape, out_shape, axes, Kernel::kLinear, out, threads);
}

Array4f resample_data_or_seg(const Array4f& data, const std::array<int64_t, 3>& new_shape, bool is_seg,
                             std::optional<int> separate_axis, int threads) {
  const std::array<int64_t, 3> shape = data.spatial();
  if (shape == new_shape) return data;
  Array4f out({data.channels(), new_shape[0], new_shape[1], new_shape[2]});
  for (int64_t c = 0; c < data.channels(); ++c) {
    if (!separate_axis.has_value()) {
      if (is_seg) {
        resize_segmentation(data.channel(c), shape, out.channel(c), new_shape, threads);
      } else {
        resize_cubic(data.channel(c), shape, out.channel(c), new_shape, -1, threads);
      }
      continue;
    }
    // Separate z: in-plane per slice along `axis` (clipped per slice for data), then nearest along `axis`.
    const int axis = *separate_axis;
    std::array<int64_t, 3> in_plane = new_shape;
    in_plane[axis] = shape[axis];
    const bool z_changes = shape[axis] != new_shape[axis];
    std::vector<float> tmp(z_changes ? static_cast<size_t>(volume(in_plane)) : 0);
    float* target = z_changes ? tmp.data() : out.channel(c);
    if (is_seg) {
      resize_segmentation(data.channel(c), shape, target, in_plane, threads);
    } else {
      resize_cubic(data.channel(c), shape, target, in_plane, axis, threads);
    }
    if (z_changes) resize_nearest(tmp.data(), in_plane, out.channel(c), new_shape, threads);
  }
  return out;
}

void resample_patient(Array4f* data, Array4f* seg, const std::array<double, 3>& spacing,
                      const std::array<double, 3>& target_spacing, const ResampleOptions& options,
                      const std::string& item) {
  NNSEG_CHECK(data != nullptr || seg != nullptr) << "resample_patient without arrays";
  const std::array<int64_t, 3> shape = data != nullptr ? data->spatial() : seg->spatial();
  if (data != nullptr && seg != nullptr) {
    NNSEG_CHECK(seg->spatial() == shape) << "data and seg shapes differ";
  }
  const std::array<int64_t, 3> new_shape = compute_new_shape(shape, spacing, target_spacing, item);
  if (new_shape == shape) return;  // v1: "no resampling necessary", arrays unchanged
  const std::optional<int> axis = separate_z_axis(spacing, target_spacing, options.force_separate_z);
  if (data != nullptr) *data = resample_data_or_seg(*data, new_shape, false, axis, options.threads);
  if (seg != nullptr) *seg = resample_data_or_seg(*seg, new_shape, true, axis, options.threads);
}

}  // namespace nnseg
