// MRI contrasts for synth-brats (synth/synth_render.h).
#include "synth/synth_render.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace nnseg::synth {

namespace {

// Separable Gaussian blur of a box-shaped volume (C order, shape z, y, x), sigma in voxels.
void gaussian_blur(std::vector<float>& v, const std::array<int64_t, 3>& shape, double sigma) {
  const auto radius = static_cast<int64_t>(std::ceil(2.0 * sigma));
  if (radius < 1) return;
  std::vector<double> kernel(static_cast<size_t>(2 * radius + 1));
  double sum = 0;
  for (int64_t i = -radius; i <= radius; ++i) {
    kernel[static_cast<size_t>(i + radius)] = std::exp(-0.5 * static_cast<double>(i * i) / (sigma * sigma));
    sum += kernel[static_cast<size_t>(i + radius)];
  }
  for (double& k : kernel) k /= sum;
  const std::array<int64_t, 3> stride{shape[1] * shape[2], shape[2], 1};
  std::vector<float> line;
  for (int axis = 0; axis < 3; ++axis) {
    const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    line.resize(static_cast<size_t>(shape[axis]));
    for (int64_t i1 = 0; i1 < shape[a1]; ++i1) {
      for (int64_t i2 = 0; i2 < shape[a2]; ++i2) {
        const int64_t base = i1 * stride[a1] + i2 * stride[a2];
        for (int64_t q = 0; q < shape[axis]; ++q)
          line[static_cast<size_t>(q)] = v[static_cast<size_t>(base + q * stride[axis])];
        for (int64_t q = 0; q < shape[axis]; ++q) {
          double acc = 0;
          for (int64_t t = -radius; t <= radius; ++t) {
            const int64_t p = q + t;
            if (p >= 0 && p < shape[axis])
              acc += kernel[static_cast<size_t>(t + radius)] * line[static_cast<size_t>(p)];
          }
          v[static_cast<size_t>(base + q * stride[axis])] = static_cast<float>(acc);
        }
      }
    }
  }
}

}  // namespace

std::array<std::array<double, kClassCount>, 4> nominal_contrast() {
  //        CSF   GM    WM   edema necrosis enhancing non-enhancing
  return {{{0.28, 0.70, 1.0, 0.66, 0.38, 0.80, 0.58},    // T1
           {0.28, 0.72, 1.0, 0.68, 0.36, 1.70, 0.60},    // T1ce
           {2.70, 1.45, 1.0, 2.05, 2.45, 1.55, 2.10},    // T2
           {0.32, 1.22, 1.0, 1.95, 0.95, 1.45, 1.75}}};  // FLAIR
}

RenderParams sample_render_params(SynthRng& rng) {
  RenderParams p;
  p.contrast = nominal_contrast();
  for (auto& ch : p.contrast) {
    ch[kClassGm] *= rng.uniform(0.97, 1.03);
    for (int c = kClassEdema; c < kClassCount; ++c) ch[static_cast<size_t>(c)] *= rng.uniform(0.92, 1.08);
  }
  const double noise = rng.uniform(0.02, 0.04);
  for (int c = 0; c < 4; ++c) {
    p.wm_level[static_cast<size_t>(c)] = std::exp(rng.uniform(std::log(300.0), std::log(900.0)));
    for (int t = 0; t < 9; ++t)
      p.bias[static_cast<size_t>(c)][static_cast<size_t>(t)] = rng.normal() * (t < 3 ? 0.05 : 0.03);
    p.noise_fraction[static_cast<size_t>(c)] = noise * rng.uniform(0.8, 1.25);
  }
  return p;
}

TumourAppearance make_tumour_appearance(const CaseGrid& grid, const TumourLabels& labels, bool enhancing,
                                        SynthRng& rng) {
  TumourAppearance a;
  a.core_is_necrotic = enhancing;
  if (labels.box.empty()) return a;
  const double sigma = 0.6 / grid.spacing_mm;
  const auto grow = static_cast<int64_t>(std::ceil(2.0 * sigma));
  for (int ax = 0; ax < 3; ++ax) {
    a.box.lo[ax] = std::max<int64_t>(0, labels.box.lo[ax] - grow);
    a.box.hi[ax] = std::min<int64_t>(grid.shape[ax], labels.box.hi[ax] + grow);
  }
  const std::array<int64_t, 3> shape{a.box.size(0), a.box.size(1), a.box.size(2)};
  const auto n = static_cast<size_t>(shape[0] * shape[1] * shape[2]);
  a.edema.assign(n, 0.0f);
  a.core.assign(n, 0.0f);
  a.enhancing.assign(n, 0.0f);
  a.texture.assign(n, 0.0f);
  const auto lo_mm = grid.physical(static_cast<double>(a.box.lo[0]), static_cast<double>(a.box.lo[1]),
                                   static_cast<double>(a.box.lo[2]));
  const auto hi_mm = grid.physical(static_cast<double>(a.box.hi[0]), static_cast<double>(a.box.hi[1]),
                                   static_cast<double>(a.box.hi[2]));
  const ValueNoise fine(rng, lo_mm, hi_mm, 4.0);
  const ValueNoise coarse(rng, lo_mm, hi_mm, 9.0);
  size_t i = 0;
  for (int64_t z = a.box.lo[0]; z < a.box.hi[0]; ++z) {
    for (int64_t y = a.box.lo[1]; y < a.box.hi[1]; ++y) {
      for (int64_t x = a.box.lo[2]; x < a.box.hi[2]; ++x, ++i) {
        const uint8_t l = labels.labels[static_cast<size_t>(grid.index(z, y, x))];
        if (l == kLabelEdema) a.edema[i] = 1;
        if (l == kLabelNecrotic) a.core[i] = 1;
        if (l == kLabelEnhancing) a.enhancing[i] = 1;
        if (l != 0) {
          const auto p = grid.physical(static_cast<double>(z), static_cast<double>(y), static_cast<double>(x));
          a.texture[i] = static_cast<float>(0.6 * fine(p[0], p[1], p[2]) + 0.4 * coarse(p[0], p[1], p[2]));
        }
      }
    }
  }
  gaussian_blur(a.edema, shape, sigma);
  gaussian_blur(a.core, shape, sigma);
  gaussian_blur(a.enhancing, shape, sigma);
  return a;
}

Image render_channel(int channel, const RenderParams& params, const CaseGrid& grid,
                     const std::vector<TissueVoxel>& tissue, const TumourAppearance& tumour, SynthRng& noise_rng) {
  NNSEG_CHECK(channel >= 0 && channel < 4) << "channel " << channel;
  const auto c = static_cast<size_t>(channel);
  const auto& mu = params.contrast[c];
  const double level = params.wm_level[c];
  const double sigma = params.noise_fraction[c] * level;
  const auto& b = params.bias[c];
  const int core_class = tumour.core_is_necrotic ? kClassNecrosis : kClassNonEnhancing;
  const auto centre =
      grid.physical(0.5 * static_cast<double>(grid.shape[0] - 1), 0.5 * static_cast<double>(grid.shape[1] - 1),
                    0.5 * static_cast<double>(grid.shape[2] - 1));
  Geometry geometry;
  geometry.spacing = {grid.spacing_mm, grid.spacing_mm, grid.spacing_mm};
  geometry.origin = grid.origin_mm;
  Image out(PixelType::kInt16, grid.shape, geometry);
  int16_t* data = out.data<int16_t>();
  const std::array<int64_t, 3> tb{tumour.box.size(0), tumour.box.size(1), tumour.box.size(2)};
  for (int64_t z = 0; z < grid.shape[0]; ++z) {
    for (int64_t y = 0; y < grid.shape[1]; ++y) {
      const bool row_in_box = !tumour.box.empty() && z >= tumour.box.lo[0] && z < tumour.box.hi[0] &&
                              y >= tumour.box.lo[1] && y < tumour.box.hi[1];
      for (int64_t x = 0; x < grid.shape[2]; ++x) {
        const size_t i = static_cast<size_t>(grid.index(z, y, x));
        const TissueVoxel& t = tissue[i];
        const int sum = t.csf + t.gm + t.wm;
        if (sum == 0) continue;
        double v = (t.csf * mu[kClassCsf] + t.gm * mu[kClassGm] + t.wm * mu[kClassWm]) / sum;
        if (row_in_box && x >= tumour.box.lo[2] && x < tumour.box.hi[2]) {
          const size_t j = static_cast<size_t>(((z - tumour.box.lo[0]) * tb[1] + y - tumour.box.lo[1]) * tb[2] + x -
                                               tumour.box.lo[2]);
          const double e = tumour.edema[j], n = tumour.core[j], en = tumour.enhancing[j];
          const double q = e + n + en;
          if (q > 1e-4) {
            const double tex = tumour.texture[j];
            const double tv = e * mu[kClassEdema] * (1 + 0.08 * tex) +
                              n * mu[static_cast<size_t>(core_class)] * (1 + 0.2 * tex) +
                              en * mu[kClassEnhancing] * (1 + 0.15 * tex);
            v = q >= 1 ? tv / q : (1 - q) * v + tv;
          }
        }
        const auto p = grid.physical(static_cast<double>(z), static_cast<double>(y), static_cast<double>(x));
        const double u0 = (p[0] - centre[0]) / 100.0, u1 = (p[1] - centre[1]) / 100.0, u2 = (p[2] - centre[2]) / 100.0;
        const double log_bias = b[0] * u0 + b[1] * u1 + b[2] * u2 + b[3] * u0 * u0 + b[4] * u1 * u1 + b[5] * u2 * u2 +
                                b[6] * u0 * u1 + b[7] * u0 * u2 + b[8] * u1 * u2;
        const double signal = level * std::exp(log_bias) * v;
        const double re = signal + sigma * noise_rng.normal();
        const double im = sigma * noise_rng.normal();
        const double magnitude = std::sqrt(re * re + im * im);
        data[i] = static_cast<int16_t>(std::clamp<double>(std::round(magnitude), 1.0, 32767.0));
      }
    }
  }
  return out;
}

}  // namespace nnseg::synth
