// Tumour labels for synth-brats (synth/tumour.h).
#include "synth/tumour.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>

#include "core/check.h"

namespace nnseg::synth {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kFar = 1e20;

// 1D squared distance transform of f (Felzenszwalb-Huttenlocher lower envelope), with virtual zero-cost points
// just beyond both ends. f and d have n values; scratch buffers are reused.
void distance_1d(const std::vector<double>& f, int64_t n, std::vector<double>& d, std::vector<int64_t>& v,
                 std::vector<double>& z) {
  // Padded line: index 0 and n+1 are the virtual outside points.
  const int64_t m = n + 2;
  auto fp = [&](int64_t q) { return (q == 0 || q == m - 1) ? 0.0 : f[static_cast<size_t>(q - 1)]; };
  v.assign(static_cast<size_t>(m), 0);
  z.assign(static_cast<size_t>(m + 1), 0.0);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto meet = [&](int64_t q, int64_t p) {
    return ((fp(q) + static_cast<double>(q * q)) - (fp(p) + static_cast<double>(p * p))) /
           (2.0 * static_cast<double>(q - p));
  };
  int64_t k = 0;
  v[0] = 0;
  z[0] = -kInf;
  z[1] = kInf;
  for (int64_t q = 1; q < m; ++q) {
    double s = meet(q, v[static_cast<size_t>(k)]);
    while (s <= z[static_cast<size_t>(k)]) {
      --k;
      s = meet(q, v[static_cast<size_t>(k)]);
    }
    ++k;
    v[static_cast<size_t>(k)] = q;
    z[static_cast<size_t>(k)] = s;
    z[static_cast<size_t>(k + 1)] = kInf;
  }
  k = 0;
  d.resize(static_cast<size_t>(n));
  for (int64_t q = 1; q <= n; ++q) {
    while (z[static_cast<size_t>(k + 1)] < static_cast<double>(q)) ++k;
    const int64_t p = v[static_cast<size_t>(k)];
    d[static_cast<size_t>(q - 1)] = static_cast<double>((q - p) * (q - p)) + fp(p);
  }
}

std::array<double, 3> random_direction(SynthRng& rng) {
  while (true) {
    std::array<double, 3> u{rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)};
    const double n = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    if (n > 0.1 && n <= 1.0) return {u[0] / n, u[1] / n, u[2] / n};
  }
}

bool in_brain(const TissueVoxel& t) { return t.csf + t.gm + t.wm >= 128; }

// Box of half-size `half_mm` around `centre_mm`, clipped to the grid.
VoxelBox box_around(const CaseGrid& grid, const std::array<double, 3>& centre_mm, double half_mm) {
  VoxelBox b;
  for (int a = 0; a < 3; ++a) {
    const int xyz = 2 - a;  // array axis a <-> physical axis 2 - a
    const double c = (centre_mm[xyz] - grid.origin_mm[xyz]) / grid.spacing_mm;
    const double h = half_mm / grid.spacing_mm;
    b.lo[a] = std::clamp<int64_t>(static_cast<int64_t>(std::floor(c - h)), 0, grid.shape[a]);
    b.hi[a] = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(c + h)) + 1, 0, grid.shape[a]);
  }
  return b;
}

}  // namespace

std::vector<float> squared_distance_to_outside(const std::vector<uint8_t>& inside, std::array<int64_t, 3> shape) {
  const int64_t nz = shape[0], ny = shape[1], nx = shape[2];
  NNSEG_CHECK(static_cast<int64_t>(inside.size()) == nz * ny * nx) << "mask size";
  std::vector<double> g(inside.size());
  for (size_t i = 0; i < inside.size(); ++i) g[i] = inside[i] ? kFar : 0.0;
  std::vector<double> f, d, z;
  std::vector<int64_t> v;
  // One pass per axis: (stride, length, the other two extents and strides).
  const std::array<int64_t, 3> len{nx, ny, nz};
  const std::array<int64_t, 3> stride{1, nx, nx * ny};
  for (int axis = 0; axis < 3; ++axis) {
    const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    f.resize(static_cast<size_t>(len[axis]));
    for (int64_t i2 = 0; i2 < len[a2]; ++i2) {
      for (int64_t i1 = 0; i1 < len[a1]; ++i1) {
        const int64_t base = i1 * stride[a1] + i2 * stride[a2];
        for (int64_t q = 0; q < len[axis]; ++q)
          f[static_cast<size_t>(q)] = g[static_cast<size_t>(base + q * stride[axis])];
        distance_1d(f, len[axis], d, v, z);
        for (int64_t q = 0; q < len[axis]; ++q)
          g[static_cast<size_t>(base + q * stride[axis])] = d[static_cast<size_t>(q)];
      }
    }
  }
  return std::vector<float>(g.begin(), g.end());
}

TumourLabels make_tumour_labels(const TumourSpec& spec, const CaseGrid& grid, const std::vector<TissueVoxel>& tissue,
                                SynthRng& rng) {
  NNSEG_CHECK(static_cast<int64_t>(tissue.size()) == grid.numel()) << "tissue size";
  const double s = grid.spacing_mm, voxel_mm3 = s * s * s;
  TumourLabels out;
  out.labels.assign(static_cast<size_t>(grid.numel()), 0);

  // --- Core: random blobs, perturbed by smooth noise; the n_core highest values form the core.
  const double r_core = std::cbrt(3.0 * spec.core_mm3 / (4.0 * kPi));
  struct Blob {
    std::array<double, 3> c;
    double inv_two_sigma2;
    double weight;
  };
  std::vector<Blob> blobs{{spec.centre_mm, 1.0 / (2.0 * std::pow(0.75 * r_core, 2)), 1.0}};
  const int64_t satellites = 2 + rng.integer(3);
  for (int64_t b = 0; b < satellites; ++b) {
    const auto u = random_direction(rng);
    const double dist = r_core * rng.uniform(0.4, 0.9);
    const double sigma = r_core * rng.uniform(0.3, 0.55);
    blobs.push_back(
        {{spec.centre_mm[0] + dist * u[0], spec.centre_mm[1] + dist * u[1], spec.centre_mm[2] + dist * u[2]},
         1.0 / (2.0 * sigma * sigma),
         rng.uniform(0.4, 0.9)});
  }
  const VoxelBox cb = box_around(grid, spec.centre_mm, 2.0 * r_core + 2.0 * s);
  const std::array<double, 3> lo_mm =
      grid.physical(static_cast<double>(cb.lo[0]), static_cast<double>(cb.lo[1]), static_cast<double>(cb.lo[2]));
  const std::array<double, 3> hi_mm =
      grid.physical(static_cast<double>(cb.hi[0]), static_cast<double>(cb.hi[1]), static_cast<double>(cb.hi[2]));
  const ValueNoise shape_noise(rng, lo_mm, hi_mm, std::max(3.5, 0.4 * r_core));
  const ValueNoise rim_noise(rng, lo_mm, hi_mm, 5.0);
  const std::array<int64_t, 3> cshape{cb.size(0), cb.size(1), cb.size(2)};
  std::vector<float> field(static_cast<size_t>(cshape[0] * cshape[1] * cshape[2]), 0.0f);
  std::vector<float> positive;
  for (int64_t z = cb.lo[0]; z < cb.hi[0]; ++z) {
    for (int64_t y = cb.lo[1]; y < cb.hi[1]; ++y) {
      for (int64_t x = cb.lo[2]; x < cb.hi[2]; ++x) {
        if (!in_brain(tissue[static_cast<size_t>(grid.index(z, y, x))])) continue;
        const auto p = grid.physical(static_cast<double>(z), static_cast<double>(y), static_cast<double>(x));
        double f = 0;
        for (const Blob& b : blobs) {
          const double d2 =
              (p[0] - b.c[0]) * (p[0] - b.c[0]) + (p[1] - b.c[1]) * (p[1] - b.c[1]) + (p[2] - b.c[2]) * (p[2] - b.c[2]);
          f += b.weight * std::exp(-d2 * b.inv_two_sigma2);
        }
        f *= 1.0 + 0.5 * shape_noise(p[0], p[1], p[2]);
        if (f > 1e-6) {
          field[static_cast<size_t>(((z - cb.lo[0]) * cshape[1] + y - cb.lo[1]) * cshape[2] + x - cb.lo[2])] =
              static_cast<float>(f);
          positive.push_back(static_cast<float>(f));
        }
      }
    }
  }
  const auto n_core = std::min<int64_t>(static_cast<int64_t>(positive.size()),
                                        std::max<int64_t>(1, std::llround(spec.core_mm3 / voxel_mm3)));
  if (positive.empty()) return out;
  std::nth_element(positive.begin(), positive.begin() + (n_core - 1), positive.end(), std::greater<float>());
  const float threshold = positive[static_cast<size_t>(n_core - 1)];
  std::vector<uint8_t> core(field.size(), 0);
  for (size_t i = 0; i < field.size(); ++i) core[i] = field[i] > 0 && field[i] >= threshold ? 1 : 0;

  // --- Enhancing rim: core voxels within the (noisy) rim thickness of the core's boundary; the rest is necrosis.
  std::vector<float> d2;
  if (spec.enhancing) d2 = squared_distance_to_outside(core, cshape);
  const double rim_mm = std::min(spec.rim_mm, 0.45 * r_core);
  for (int64_t z = 0; z < cshape[0]; ++z) {
    for (int64_t y = 0; y < cshape[1]; ++y) {
      for (int64_t x = 0; x < cshape[2]; ++x) {
        const size_t i = static_cast<size_t>((z * cshape[1] + y) * cshape[2] + x);
        if (!core[i]) continue;
        uint8_t label = kLabelNecrotic;
        if (spec.enhancing) {
          const auto p = grid.physical(static_cast<double>(z + cb.lo[0]), static_cast<double>(y + cb.lo[1]),
                                       static_cast<double>(x + cb.lo[2]));
          const double t = std::max(0.9 * s, rim_mm * (1.0 + 0.65 * rim_noise(p[0], p[1], p[2])));
          // The distance to the nearest outside voxel centre is at least one voxel; the boundary sits half-way.
          if (std::sqrt(static_cast<double>(d2[i])) * s - 0.5 * s <= t) label = kLabelEnhancing;
        }
        out.labels[static_cast<size_t>(grid.index(z + cb.lo[0], y + cb.lo[1], x + cb.lo[2]))] = label;
      }
    }
  }

  // --- Edema: Dijkstra from the core over brain voxels; step cost = length / speed, speed high in white matter,
  // low in grey matter, near zero in CSF, modulated by smooth noise for finger-like spread. The first n_whole
  // settled voxels are the whole tumour.
  const double r_whole = std::cbrt(3.0 * spec.whole_mm3 / (4.0 * kPi));
  const VoxelBox eb = box_around(grid, spec.centre_mm, 2.5 * r_whole + 8.0);
  const std::array<int64_t, 3> es{eb.size(0), eb.size(1), eb.size(2)};
  const int64_t en = es[0] * es[1] * es[2];
  const ValueNoise speed_noise(
      rng, grid.physical(static_cast<double>(eb.lo[0]), static_cast<double>(eb.lo[1]), static_cast<double>(eb.lo[2])),
      grid.physical(static_cast<double>(eb.hi[0]), static_cast<double>(eb.hi[1]), static_cast<double>(eb.hi[2])), 7.0);
  std::vector<float> dist(static_cast<size_t>(en), std::numeric_limits<float>::infinity());
  std::vector<float> inv_speed(static_cast<size_t>(en), -1.0f);  // -1: not computed yet; 0: not traversable
  auto local = [&](int64_t z, int64_t y, int64_t x) {
    return ((z - eb.lo[0]) * es[1] + y - eb.lo[1]) * es[2] + x - eb.lo[2];
  };
  auto cost_of = [&](int64_t li, int64_t z, int64_t y, int64_t x) {
    float& c = inv_speed[static_cast<size_t>(li)];
    if (c < 0) {
      const TissueVoxel& t = tissue[static_cast<size_t>(grid.index(z, y, x))];
      if (!in_brain(t)) {
        c = 0;
      } else {
        const double sum = t.csf + t.gm + t.wm;
        const auto p = grid.physical(static_cast<double>(z), static_cast<double>(y), static_cast<double>(x));
        const double speed =
            (0.03 + (t.wm + 0.12 * t.gm + 0.01 * t.csf) / sum) * std::exp(1.1 * speed_noise(p[0], p[1], p[2]));
        c = static_cast<float>(1.0 / speed);
      }
    }
    return c;
  };
  using Entry = std::pair<float, int64_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  // Seeds: the core, plus a halo of parenchyma within ~2 mm of it (peritumoural infiltration), so that edema
  // wraps the core wherever it borders grey or white matter; the fingers then grow from there.
  std::vector<uint8_t> seed(static_cast<size_t>(en), 0);
  for (int64_t z = eb.lo[0]; z < eb.hi[0]; ++z) {
    for (int64_t y = eb.lo[1]; y < eb.hi[1]; ++y) {
      for (int64_t x = eb.lo[2]; x < eb.hi[2]; ++x) {
        if (out.labels[static_cast<size_t>(grid.index(z, y, x))] != 0) seed[static_cast<size_t>(local(z, y, x))] = 1;
      }
    }
  }
  const int64_t halo = std::max<int64_t>(1, std::llround(2.0 / s));
  for (int64_t step = 0; step < halo; ++step) {
    std::vector<uint8_t> grown = seed;
    for (int64_t z = eb.lo[0]; z < eb.hi[0]; ++z) {
      for (int64_t y = eb.lo[1]; y < eb.hi[1]; ++y) {
        for (int64_t x = eb.lo[2]; x < eb.hi[2]; ++x) {
          const int64_t li = local(z, y, x);
          if (seed[static_cast<size_t>(li)]) continue;
          const TissueVoxel& t = tissue[static_cast<size_t>(grid.index(z, y, x))];
          if (t.gm + t.wm < 128) continue;
          const bool touches = (z > eb.lo[0] && seed[static_cast<size_t>(local(z - 1, y, x))]) ||
                               (z + 1 < eb.hi[0] && seed[static_cast<size_t>(local(z + 1, y, x))]) ||
                               (y > eb.lo[1] && seed[static_cast<size_t>(local(z, y - 1, x))]) ||
                               (y + 1 < eb.hi[1] && seed[static_cast<size_t>(local(z, y + 1, x))]) ||
                               (x > eb.lo[2] && seed[static_cast<size_t>(local(z, y, x - 1))]) ||
                               (x + 1 < eb.hi[2] && seed[static_cast<size_t>(local(z, y, x + 1))]);
          if (touches) grown[static_cast<size_t>(li)] = 1;
        }
      }
    }
    seed.swap(grown);
  }
  for (int64_t li = 0; li < en; ++li) {
    if (seed[static_cast<size_t>(li)]) {
      dist[static_cast<size_t>(li)] = 0;
      heap.emplace(0.0f, li);
    }
  }
  const int64_t n_whole = std::llround(spec.whole_mm3 / voxel_mm3);
  int64_t settled = 0;
  constexpr double kMaxCostMm = 80.0;
  while (!heap.empty() && settled < n_whole) {
    const auto [d, li] = heap.top();
    heap.pop();
    if (d > dist[static_cast<size_t>(li)]) continue;
    if (d > kMaxCostMm) break;
    ++settled;
    const int64_t x = li % es[2] + eb.lo[2], y = (li / es[2]) % es[1] + eb.lo[1], z = li / (es[1] * es[2]) + eb.lo[0];
    uint8_t& label = out.labels[static_cast<size_t>(grid.index(z, y, x))];
    if (label == 0) label = kLabelEdema;
    const float c0 = cost_of(li, z, y, x);
    for (int64_t dz = -1; dz <= 1; ++dz) {
      for (int64_t dy = -1; dy <= 1; ++dy) {
        for (int64_t dx = -1; dx <= 1; ++dx) {
          if (dz == 0 && dy == 0 && dx == 0) continue;
          const int64_t zz = z + dz, yy = y + dy, xx = x + dx;
          if (zz < eb.lo[0] || yy < eb.lo[1] || xx < eb.lo[2] || zz >= eb.hi[0] || yy >= eb.hi[1] || xx >= eb.hi[2])
            continue;
          const int64_t lj = local(zz, yy, xx);
          const float c1 = cost_of(lj, zz, yy, xx);
          if (c1 <= 0) continue;
          const double len = s * std::sqrt(static_cast<double>(dz * dz + dy * dy + dx * dx));
          const auto nd = static_cast<float>(d + len * 0.5 * (c0 + c1));
          if (nd < dist[static_cast<size_t>(lj)]) {
            dist[static_cast<size_t>(lj)] = nd;
            heap.emplace(nd, lj);
          }
        }
      }
    }
  }

  // Bounding box of the labels.
  out.box = {{grid.shape[0], grid.shape[1], grid.shape[2]}, {0, 0, 0}};
  for (int64_t z = eb.lo[0]; z < eb.hi[0]; ++z) {
    for (int64_t y = eb.lo[1]; y < eb.hi[1]; ++y) {
      for (int64_t x = eb.lo[2]; x < eb.hi[2]; ++x) {
        if (out.labels[static_cast<size_t>(grid.index(z, y, x))] == 0) continue;
        const std::array<int64_t, 3> v{z, y, x};
        for (int a = 0; a < 3; ++a) {
          out.box.lo[a] = std::min(out.box.lo[a], v[a]);
          out.box.hi[a] = std::max(out.box.hi[a], v[a] + 1);
        }
      }
    }
  }
  if (out.box.empty()) out.box = {};
  return out;
}

}  // namespace nnseg::synth
