// Rotation/scaling spatial transform on LibTorch tensors (training/augment_spatial.h, spec/training.md §7.2.1).
#include "training/augment_spatial.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace nnseg {

namespace {

constexpr int64_t kGridBilinear = 0;  // aten::grid_sampler interpolation_mode: trilinear for 5-D input
constexpr int64_t kGridBorder = 1;    // aten::grid_sampler padding_mode
constexpr size_t kMaxLabels = 256;    // label indices travel as uint8 in the CPU path
// Points this close to the first or last voxel centre count as inside (float32 coordinates of exact rotations).
constexpr double kInsideTolerance = 1e-4;

Matrix3 matmul3(const Matrix3& a, const Matrix3& b) {
  Matrix3 c{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      double s = 0.0;
      for (int k = 0; k < 3; ++k) s += a[i][k] * b[k][j];
      c[i][j] = s;
    }
  }
  return c;
}

// The sampling points ((i - (So - 1)/2) · m) + (Si - 1)/2 of an output patch.
struct SamplingGrid {
  at::Tensor grid;     // [1, Zo, Yo, Xo, 3] normalised grid_sample coordinates (x, y, z; align_corners = true)
  at::Tensor outside;  // [Zo, Yo, Xo] bool: some coordinate beyond [0, Si - 1]
};

SamplingGrid make_sampling_grid(const std::vector<int64_t>& in_shape, const std::vector<int64_t>& out_shape,
                                const Matrix3& m, const at::Device& device) {
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
  std::vector<at::Tensor> axes;
  for (int a = 0; a < 3; ++a) {
    axes.push_back(at::arange(out_shape[a], opts) - (static_cast<double>(out_shape[a]) - 1.0) / 2.0);
  }
  const auto mesh = at::meshgrid(axes, "ij");
  const at::Tensor p = at::stack({mesh[0], mesh[1], mesh[2]}, -1);  // [Zo, Yo, Xo, 3], (z, y, x)
  at::Tensor mt = at::empty({3, 3}, at::TensorOptions().dtype(at::kFloat));
  auto acc = mt.accessor<float, 2>();
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) acc[i][j] = static_cast<float>(m[i][j]);
  }
  const at::Tensor q = at::matmul(p, mt.to(device));
  SamplingGrid out;
  out.outside = at::zeros({out_shape[0], out_shape[1], out_shape[2]}, opts.dtype(at::kBool));
  std::vector<at::Tensor> g(3);
  for (int a = 0; a < 3; ++a) {
    const double last = static_cast<double>(in_shape[a]) - 1.0;
    const at::Tensor c = q.select(-1, a) + last / 2.0;
    out.outside = out.outside.logical_or(c.lt(-kInsideTolerance)).logical_or(c.gt(last + kInsideTolerance));
    // A single-voxel axis (the lifted 2D case) is read at index 0 whatever the normalised value.
    g[a] = in_shape[a] > 1 ? c * (2.0 / last) - 1.0 : c;
  }
  out.grid = at::stack({g[2], g[1], g[0]}, -1).unsqueeze(0);
  return out;
}

// Trilinear sampling of x [K, Zi, Yi, Xi] at the grid; points outside the input get `border` exactly, as scipy's
// map_coordinates mode "constant" (no blending with the outside value within the last half voxel; inside
// [0, Si - 1] every neighbour exists, so the padding mode only matters for the clamped tolerance band).
at::Tensor sample_linear(const at::Tensor& x, const SamplingGrid& g, float border) {
  return at::grid_sampler(x.unsqueeze(0), g.grid, kGridBilinear, kGridBorder, true)
      .squeeze(0)
      .masked_fill(g.outside.unsqueeze(0), border);
}

// The distinct values of `seg`, ascending (a byte histogram for int8 on the CPU, else torch's unique).
std::vector<float> present_values(const at::Tensor& seg) {
  std::vector<float> out;
  if (seg.device().is_cpu() && seg.scalar_type() == at::kChar) {
    const at::Tensor c = seg.contiguous();
    const int8_t* p = c.data_ptr<int8_t>();
    std::array<bool, 256> seen{};
    for (int64_t i = 0; i < c.numel(); ++i) seen[static_cast<size_t>(p[i] + 128)] = true;
    for (int v = 0; v < 256; ++v) {
      if (seen[static_cast<size_t>(v)]) out.push_back(static_cast<float>(v - 128));
    }
    return out;
  }
  const at::Tensor u = std::get<0>(at::_unique(seg, /*sorted=*/true)).to(at::kCPU).to(at::kFloat).contiguous();
  out.assign(u.data_ptr<float>(), u.data_ptr<float>() + u.numel());
  return out;
}

// Device-agnostic resampling with grid_sample (used on CUDA; on the CPU only when asked, for tests).
std::pair<at::Tensor, at::Tensor> resample_grid_sample(const at::Tensor& data, const at::Tensor& seg,
                                                       const std::vector<float>& labels, const Matrix3& m,
                                                       const std::vector<int64_t>& out_shape,
                                                       const SpatialParams& params) {
  const std::vector<int64_t> in_shape{data.size(1), data.size(2), data.size(3)};
  const SamplingGrid grid = make_sampling_grid(in_shape, out_shape, m, data.device());
  at::Tensor data_out = sample_linear(data.to(at::kFloat), grid, params.data_border);
  std::vector<at::Tensor> indicators;
  for (float v : labels) indicators.push_back(seg[0].eq(v).to(at::kFloat));
  const at::Tensor interp = sample_linear(at::stack(indicators, 0), grid, params.seg_border);
  at::Tensor seg_out = at::zeros({1, out_shape[0], out_shape[1], out_shape[2]}, seg.options().dtype(at::kFloat));
  for (size_t k = 0; k < labels.size(); ++k) {
    seg_out.masked_fill_(interp[static_cast<int64_t>(k)].ge(0.5).unsqueeze(0), labels[k]);
  }
  return {data_out, seg_out.to(seg.dtype())};
}

// The same resampling as a CPU loop: LibTorch 1.13's CPU grid_sampler_3d is a scalar kernel parallel only over the
// batch (about 0.2 s per channel of a 128³ patch), which made one BraTS batch take seconds; this computes each
// output voxel's coordinate, its 8 trilinear corners and the per-label indicator sums once for all channels, in
// double precision, parallel over output slices.
std::pair<at::Tensor, at::Tensor> resample_cpu(const at::Tensor& data_in, const at::Tensor& seg,
                                               const std::vector<float>& labels, const Matrix3& m,
                                               const std::vector<int64_t>& out_shape, const SpatialParams& params) {
  const at::Tensor data = data_in.to(at::kFloat).contiguous();
  // Per-voxel label index through a byte code and a 256-entry table: int8 segmentations (the loader's) are read as
  // they are; other types are first coded as their label index.
  at::Tensor codes;
  std::array<uint8_t, 256> code_to_index{};
  if (seg.scalar_type() == at::kChar) {
    codes = seg[0].contiguous();
    for (size_t k = 0; k < labels.size(); ++k) {
      code_to_index[static_cast<uint8_t>(static_cast<int8_t>(labels[k]))] = static_cast<uint8_t>(k);
    }
  } else {
    codes = at::zeros(seg[0].sizes(), at::TensorOptions().dtype(at::kByte));
    for (size_t k = 0; k < labels.size(); ++k) {
      codes.masked_fill_(seg[0].eq(labels[k]), static_cast<int64_t>(k));
      code_to_index[k] = static_cast<uint8_t>(k);
    }
  }
  const int64_t channels = data.size(0);
  const std::array<int64_t, 3> in{data.size(1), data.size(2), data.size(3)};
  const std::array<int64_t, 3> out{out_shape[0], out_shape[1], out_shape[2]};
  at::Tensor data_out = at::empty({channels, out[0], out[1], out[2]}, data.options());
  at::Tensor seg_out = at::empty({1, out[0], out[1], out[2]}, data.options());
  const float* src = data.data_ptr<float>();
  const auto* lab = static_cast<const uint8_t*>(codes.data_ptr());
  float* dst = data_out.data_ptr<float>();
  float* sdst = seg_out.data_ptr<float>();
  const int64_t in_plane = in[1] * in[2];
  const int64_t in_volume = in[0] * in_plane;
  const int64_t out_volume = out[0] * out[1] * out[2];
  // Value of a voxel sampled wholly outside: every indicator equals seg_border there.
  float outside_label = 0.0f;
  if (params.seg_border >= 0.5f && !labels.empty()) outside_label = labels.back();

  at::parallel_for(0, out[0], 1, [&](int64_t z_begin, int64_t z_end) {
    std::array<double, kMaxLabels> acc{};
    for (int64_t i = z_begin; i < z_end; ++i) {
      for (int64_t j = 0; j < out[1]; ++j) {
        const double pz = static_cast<double>(i) - (static_cast<double>(out[0]) - 1.0) / 2.0;
        const double py = static_cast<double>(j) - (static_cast<double>(out[1]) - 1.0) / 2.0;
        for (int64_t k = 0; k < out[2]; ++k) {
          const double px = static_cast<double>(k) - (static_cast<double>(out[2]) - 1.0) / 2.0;
          const int64_t o = (i * out[1] + j) * out[2] + k;
          std::array<int64_t, 3> lo{};
          std::array<int64_t, 3> hi{};
          std::array<double, 3> t{};
          bool outside = false;
          for (int a = 0; a < 3; ++a) {
            const double last = static_cast<double>(in[a] - 1);
            double c = pz * m[0][a] + py * m[1][a] + px * m[2][a] + last / 2.0;
            if (c < -kInsideTolerance || c > last + kInsideTolerance) outside = true;
            c = std::clamp(c, 0.0, last);
            lo[a] = std::min(static_cast<int64_t>(std::floor(c)), std::max<int64_t>(in[a] - 2, 0));
            hi[a] = std::min(lo[a] + 1, in[a] - 1);
            t[a] = c - static_cast<double>(lo[a]);
          }
          if (outside) {
            for (int64_t ch = 0; ch < channels; ++ch) dst[ch * out_volume + o] = params.data_border;
            sdst[o] = outside_label;
            continue;
          }
          std::array<int64_t, 8> offset{};
          std::array<double, 8> weight{};
          for (int corner = 0; corner < 8; ++corner) {
            const int bz = (corner >> 2) & 1;
            const int by = (corner >> 1) & 1;
            const int bx = corner & 1;
            offset[corner] = (bz ? hi[0] : lo[0]) * in_plane + (by ? hi[1] : lo[1]) * in[2] + (bx ? hi[2] : lo[2]);
            weight[corner] = (bz ? t[0] : 1.0 - t[0]) * (by ? t[1] : 1.0 - t[1]) * (bx ? t[2] : 1.0 - t[2]);
          }
          for (int64_t ch = 0; ch < channels; ++ch) {
            const float* s = src + ch * in_volume;
            double v = 0.0;
            for (int corner = 0; corner < 8; ++corner) v += weight[corner] * static_cast<double>(s[offset[corner]]);
            dst[ch * out_volume + o] = static_cast<float>(v);
          }
          std::fill_n(acc.begin(), labels.size(), 0.0);
          for (int corner = 0; corner < 8; ++corner) acc[code_to_index[lab[offset[corner]]]] += weight[corner];
          float label = 0.0f;
          for (size_t q = 0; q < labels.size(); ++q) {
            if (acc[q] >= 0.5) label = labels[q];
          }
          sdst[o] = label;
        }
      }
    }
  });
  return {data_out, seg_out.to(seg.dtype())};
}

}  // namespace

SpatialDraw draw_spatial(const SpatialParams& params, AugmentRng& rng) {
  SpatialDraw d;
  if (rng.chance(params.p_rotation)) {
    d.rotate = true;
    const int axes = params.dummy_2d ? 1 : 3;
    for (int a = 0; a < axes; ++a) {
      if (rng.uniform(0.0, 1.0) <= params.p_rotation_per_axis) {
        d.angles_rad[a] = rng.uniform(-params.rotation_max_rad[a], params.rotation_max_rad[a]);
      }
    }
  }
  if (rng.chance(params.p_scale)) {
    d.scale = true;
    const int first = params.dummy_2d ? 1 : 0;
    if (params.p_independent_scale_per_axis > 0.0 && rng.chance(params.p_independent_scale_per_axis)) {
      for (int a = first; a < 3; ++a) d.scale_factors[a] = rng.split_range(params.scale_min, params.scale_max);
    } else {
      const double s = rng.split_range(params.scale_min, params.scale_max);
      for (int a = first; a < 3; ++a) d.scale_factors[a] = s;
    }
  }
  return d;
}

Matrix3 rotation_matrix(const std::array<double, 3>& angles_rad) {
  const double cx = std::cos(angles_rad[0]);
  const double sx = std::sin(angles_rad[0]);
  const double cy = std::cos(angles_rad[1]);
  const double sy = std::sin(angles_rad[1]);
  const double cz = std::cos(angles_rad[2]);
  const double sz = std::sin(angles_rad[2]);
  const Matrix3 rx{{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}};
  const Matrix3 ry{{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}};
  const Matrix3 rz{{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}};
  return matmul3(matmul3(rx, ry), rz);
}

std::array<double, 3> rotate_row_vector(const std::array<double, 3>& p, const Matrix3& r) {
  std::array<double, 3> q{};
  for (int j = 0; j < 3; ++j) q[j] = p[0] * r[0][j] + p[1] * r[1][j] + p[2] * r[2][j];
  return q;
}

std::pair<torch::Tensor, torch::Tensor> apply_spatial(const torch::Tensor& data, const torch::Tensor& seg,
                                                      const SpatialDraw& draw, const std::vector<int64_t>& out_shape,
                                                      const SpatialParams& params, SpatialBackend backend) {
  NNSEG_CHECK(data.dim() == 4 && seg.dim() == 4 && seg.size(0) == 1 && out_shape.size() == 3)
      << "spatial transform of data " << data.sizes() << ", seg " << seg.sizes();
  const std::vector<int64_t> in_shape{data.size(1), data.size(2), data.size(3)};
  for (int a = 0; a < 3; ++a) {
    NNSEG_CHECK(seg.size(a + 1) == in_shape[a] && in_shape[a] >= out_shape[a])
        << "spatial transform of data " << data.sizes() << ", seg " << seg.sizes() << " to " << out_shape[a]
        << " on axis " << a;
  }
  NNSEG_CHECK(!params.dummy_2d || in_shape[0] == out_shape[0])
      << "dummy-2D augmentation keeps axis 0, but the input has " << in_shape[0] << " and the output " << out_shape[0];

  if (!draw.rotate && !draw.scale) {
    // batchgenerators' centre crop: start (Si - So) // 2 (38 for 205 -> 128), half a voxel off the interpolation
    // path's centre (Si - 1)/2 - (So - 1)/2 = 38.5 (reference behaviour, §7.2.1).
    at::Tensor d = data;
    at::Tensor s = seg;
    for (int a = 0; a < 3; ++a) {
      const int64_t start = (in_shape[a] - out_shape[a]) / 2;
      d = d.narrow(a + 1, start, out_shape[a]);
      s = s.narrow(a + 1, start, out_shape[a]);
    }
    return {d.contiguous(), s.contiguous()};
  }

  Matrix3 m = draw.rotate ? rotation_matrix(draw.angles_rad) : Matrix3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) m[i][j] *= draw.scale ? draw.scale_factors[j] : 1.0;  // p' = (p · R) · diag(s)
  }
  // Labels: "order 1 per label" (batchgenerators interpolate_img with is_seg): each present value's indicator is
  // interpolated with outside value seg_border; value v is written where it reaches 0.5, ascending, so larger
  // labels win ties; voxels no label reaches stay 0 (also those sampled wholly outside the loader patch).
  const std::vector<float> labels = present_values(seg);
  NNSEG_CHECK(labels.size() <= kMaxLabels) << labels.size() << " distinct segmentation values in one patch";
  if (data.device().is_cpu() && backend == SpatialBackend::kAuto) {
    return resample_cpu(data, seg, labels, m, out_shape, params);
  }
  return resample_grid_sample(data, seg, labels, m, out_shape, params);
}

}  // namespace nnseg
