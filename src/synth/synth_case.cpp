// One synthetic BraTS case (synth/synth_case.h): warp the template, grow the tumour, render four contrasts.
#include "synth/synth_case.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "synth/synth_random.h"
#include "synth/synth_render.h"

namespace nnseg::synth {

namespace {

constexpr double kPi = 3.14159265358979323846;

// RNG streams of a case; each purpose has its own so that changing one part does not shift the others.
enum Stream : uint64_t { kGeometryStream = 0, kTumourStream = 1, kNoiseStream = 2 };

// Backward map from an output (BraTS) LPS point to a continuous template index (i, j, k): the tumour's mass effect,
// then a smooth elastic displacement, then a rigid transform with isotropic scale around the brain centres.
struct Warp {
  std::array<double, 9> rot{1, 0, 0, 0, 1, 0, 0, 0, 1};  // R, row-major; template = R^T (output - ...)
  double inv_scale = 1;
  std::array<double, 3> out_centre{0, 0, 0}, shift{0, 0, 0}, template_centre{0, 0, 0};
  std::array<double, 9> to_index{1, 0, 0, 0, 1, 0, 0, 0, 1};  // template LPS -> index: idx = M (y - origin)
  std::array<double, 3> template_origin{0, 0, 0};
  struct Mode {
    std::array<double, 3> k;  // rad / mm
    double phase;
    double amplitude_mm;
  };
  std::array<std::vector<Mode>, 3> elastic;  // per displacement component (x, y, z)
  bool mass = false;
  std::array<double, 3> mass_centre{0, 0, 0};
  double mass_radius_mm = 0;
  double mass_taper_mm = 50;

  std::array<double, 3> operator()(const std::array<double, 3>& p) const {
    std::array<double, 3> x = p;
    if (mass) {
      const double d[3] = {p[0] - mass_centre[0], p[1] - mass_centre[1], p[2] - mass_centre[2]};
      const double r = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      // Volume-preserving "balloon": tissue that sat at r1 is pushed to r with r^3 = r1^3 + R^3, tapered off.
      double factor = 0;
      if (r > mass_radius_mm) {
        const double push = r - std::cbrt(r * r * r - mass_radius_mm * mass_radius_mm * mass_radius_mm);
        const double t = (r - mass_radius_mm) / mass_taper_mm;
        factor = (r - push * std::exp(-t * t)) / r;
      }
      for (int a = 0; a < 3; ++a) x[a] = mass_centre[a] + d[a] * factor;
    }
    std::array<double, 3> y = x;
    for (int a = 0; a < 3; ++a) {
      for (const Mode& m : elastic[a])
        y[a] += m.amplitude_mm * std::sin(m.k[0] * x[0] + m.k[1] * x[1] + m.k[2] * x[2] + m.phase);
    }
    double v[3];
    for (int a = 0; a < 3; ++a) v[a] = y[a] - out_centre[a] - shift[a];
    std::array<double, 3> t{};
    for (int a = 0; a < 3; ++a) {
      // R^T v: column a of R.
      t[a] =
          template_centre[a] + inv_scale * (rot[a] * v[0] + rot[3 + a] * v[1] + rot[6 + a] * v[2]) - template_origin[a];
    }
    std::array<double, 3> idx{};
    for (int a = 0; a < 3; ++a)
      idx[a] = to_index[a * 3] * t[0] + to_index[a * 3 + 1] * t[1] + to_index[a * 3 + 2] * t[2];
    return idx;
  }
};

Warp make_warp(const BrainTemplate& anatomy, const CaseGrid& grid, SynthRng& rng) {
  Warp w;
  const double deg = kPi / 180.0;
  const double ax = rng.uniform(-10, 10) * deg, ay = rng.uniform(-10, 10) * deg, az = rng.uniform(-10, 10) * deg;
  const double cx = std::cos(ax), sx = std::sin(ax), cy = std::cos(ay), sy = std::sin(ay), cz = std::cos(az),
               sz = std::sin(az);
  // R = Rz * Ry * Rx.
  w.rot = {cz * cy,
           cz * sy * sx - sz * cx,
           cz * sy * cx + sz * sx,  //
           sz * cy,
           sz * sy * sx + cz * cx,
           sz * sy * cx - cz * sx,  //
           -sy,
           cy * sx,
           cy * cx};
  const double scale = rng.uniform(0.90, 0.98);
  w.inv_scale = 1.0 / scale;
  // Place the rotated, scaled brain like BraTS: centred left-right and front-back (+-5 mm), and in height centred
  // with at least 3 mm above the vertex (a brain taller than the field loses the lower brainstem, as in BraTS).
  w.out_centre =
      grid.physical(0.5 * static_cast<double>(grid.shape[0] - 1), 0.5 * static_cast<double>(grid.shape[1] - 1),
                    0.5 * static_cast<double>(grid.shape[2] - 1));
  w.template_centre = anatomy.brain_centre_mm;
  std::array<double, 3> lo{1e30, 1e30, 1e30}, hi{-1e30, -1e30, -1e30};
  for (const auto& q : anatomy.brain_points_mm) {
    const double v[3] = {q[0] - w.template_centre[0], q[1] - w.template_centre[1], q[2] - w.template_centre[2]};
    for (int a = 0; a < 3; ++a) {
      const double r = scale * (w.rot[a * 3] * v[0] + w.rot[a * 3 + 1] * v[1] + w.rot[a * 3 + 2] * v[2]);
      lo[a] = std::min(lo[a], r);
      hi[a] = std::max(hi[a], r);
    }
  }
  for (int a = 0; a < 2; ++a) w.shift[a] = -0.5 * (lo[a] + hi[a]) + rng.uniform(-5, 5);
  const double height = 155.0, top = w.out_centre[2] + 0.5 * height;  // upper edge of the BraTS field of view
  const double margin = std::max(3.0, 0.5 * (height - (hi[2] - lo[2])) + rng.uniform(-3, 3));
  w.shift[2] = top - margin - w.out_centre[2] - hi[2];
  w.template_origin = anatomy.geometry.origin;
  const auto& d = anatomy.geometry.direction;
  const auto& sp = anatomy.geometry.spacing;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) w.to_index[r * 3 + c] = d[c * 3 + r] / sp[r];  // diag(1/sp) D^T
  }
  for (int a = 0; a < 3; ++a) {
    for (int m = 0; m < 3; ++m) {
      const double wavelength = rng.uniform(60, 150);
      std::array<double, 3> u{rng.normal(), rng.normal(), rng.normal()};
      const double n = std::max(1e-9, std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]));
      const double k = 2 * kPi / wavelength;
      w.elastic[static_cast<size_t>(a)].push_back(
          {{k * u[0] / n, k * u[1] / n, k * u[2] / n}, rng.uniform(0, 2 * kPi), rng.uniform(0.5, 1.5)});
    }
  }
  return w;
}

// The warp sampled every `step` voxels (a linear map is reproduced exactly by trilinear interpolation, and the
// elastic and mass-effect parts are smooth at this scale).
struct NodeMap {
  int64_t step = 4;
  std::array<int64_t, 3> n{0, 0, 0};  // nodes, (z, y, x)
  std::vector<float> idx;             // 3 floats (template i, j, k) per node

  NodeMap(const Warp& w, const CaseGrid& grid, int64_t step_voxels) : step(step_voxels) {
    for (int a = 0; a < 3; ++a) n[a] = (grid.shape[a] - 1 + step - 1) / step + 1;
    idx.resize(static_cast<size_t>(3 * n[0] * n[1] * n[2]));
    size_t o = 0;
    for (int64_t z = 0; z < n[0]; ++z) {
      for (int64_t y = 0; y < n[1]; ++y) {
        for (int64_t x = 0; x < n[2]; ++x) {
          const auto t = w(grid.physical(static_cast<double>(z * step), static_cast<double>(y * step),
                                         static_cast<double>(x * step)));
          for (int a = 0; a < 3; ++a) idx[o++] = static_cast<float>(t[a]);
        }
      }
    }
  }
};

// Trilinear tissue sample at continuous template index (i, j, k); zero outside the template.
void sample_tissue(const BrainTemplate& t, double fi, double fj, double fk, double out[3]) {
  out[0] = out[1] = out[2] = 0;
  const int64_t nx = t.shape[2], ny = t.shape[1], nz = t.shape[0];
  if (!(fi >= 0 && fj >= 0 && fk >= 0 && fi < static_cast<double>(nx - 1) && fj < static_cast<double>(ny - 1) &&
        fk < static_cast<double>(nz - 1))) {
    return;
  }
  const auto i = static_cast<int64_t>(fi), j = static_cast<int64_t>(fj), k = static_cast<int64_t>(fk);
  const double wx = fi - static_cast<double>(i), wy = fj - static_cast<double>(j), wz = fk - static_cast<double>(k);
  const TissueVoxel* base = t.voxels.data() + (k * ny + j) * nx + i;
  const int64_t sy = nx, sz = nx * ny;
  const TissueVoxel* c[8] = {base,      base + 1,      base + sy,      base + sy + 1,
                             base + sz, base + sz + 1, base + sz + sy, base + sz + sy + 1};
  const double w[8] = {
      (1 - wx) * (1 - wy) * (1 - wz), wx * (1 - wy) * (1 - wz), (1 - wx) * wy * (1 - wz), wx * wy * (1 - wz),
      (1 - wx) * (1 - wy) * wz,       wx * (1 - wy) * wz,       (1 - wx) * wy * wz,       wx * wy * wz};
  for (int q = 0; q < 8; ++q) {
    out[0] += w[q] * c[q]->csf;
    out[1] += w[q] * c[q]->gm;
    out[2] += w[q] * c[q]->wm;
  }
}

// Tissue fractions of every output voxel through the node map.
std::vector<TissueVoxel> render_tissue(const BrainTemplate& anatomy, const CaseGrid& grid, const NodeMap& map) {
  std::vector<TissueVoxel> tissue(static_cast<size_t>(grid.numel()));
  const int64_t g = map.step, nnx = map.n[2], nny = map.n[1];
  // A voxel's template position is a convex combination of its cell's corner positions, so a cell whose corners
  // all lie in blocks far from the brain holds no brain voxel.
  const auto node_count = static_cast<size_t>(map.n[0] * nny * nnx);
  std::vector<uint8_t> node_near(node_count, 0);
  for (size_t n = 0; n < node_count; ++n) {
    int64_t b[3];
    bool inside = true;
    for (int a = 0; a < 3; ++a) {
      const double idx =
          std::floor(map.idx[3 * n + static_cast<size_t>(a)] / static_cast<double>(BrainTemplate::kBlock));
      b[a] = static_cast<int64_t>(idx);
      inside = inside && idx >= 0 && b[a] < anatomy.near_shape[static_cast<size_t>(2 - a)];
    }
    if (inside)
      node_near[n] =
          anatomy.near_brain[static_cast<size_t>((b[2] * anatomy.near_shape[1] + b[1]) * anatomy.near_shape[2] + b[0])];
  }
  const std::array<int64_t, 3> cells{std::max<int64_t>(1, map.n[0] - 1), std::max<int64_t>(1, nny - 1),
                                     std::max<int64_t>(1, nnx - 1)};
  std::vector<uint8_t> cell_near(static_cast<size_t>(cells[0] * cells[1] * cells[2]), 0);
  for (int64_t cz = 0; cz < cells[0]; ++cz) {
    for (int64_t cy = 0; cy < cells[1]; ++cy) {
      for (int64_t cx = 0; cx < cells[2]; ++cx) {
        uint8_t any = 0;
        for (int64_t dz = 0; dz <= 1; ++dz) {
          for (int64_t dy = 0; dy <= 1; ++dy) {
            for (int64_t dx = 0; dx <= 1; ++dx) {
              const int64_t z = std::min(cz + dz, map.n[0] - 1), y = std::min(cy + dy, nny - 1),
                            x = std::min(cx + dx, nnx - 1);
              any |= node_near[static_cast<size_t>((z * nny + y) * nnx + x)];
            }
          }
        }
        cell_near[static_cast<size_t>((cz * cells[1] + cy) * cells[2] + cx)] = any;
      }
    }
  }
  std::vector<float> row(static_cast<size_t>(3 * nnx));
  for (int64_t z = 0; z < grid.shape[0]; ++z) {
    const int64_t z0 = z / g;
    const double fz = static_cast<double>(z - z0 * g) / static_cast<double>(g);
    const int64_t z1 = std::min(z0 + 1, map.n[0] - 1);
    for (int64_t y = 0; y < grid.shape[1]; ++y) {
      const int64_t y0 = y / g;
      const double fy = static_cast<double>(y - y0 * g) / static_cast<double>(g);
      const int64_t y1 = std::min(y0 + 1, nny - 1);
      for (int64_t xn = 0; xn < nnx; ++xn) {
        for (int a = 0; a < 3; ++a) {
          auto at = [&](int64_t zz, int64_t yy) {
            return static_cast<double>(map.idx[static_cast<size_t>(3 * ((zz * nny + yy) * nnx + xn) + a)]);
          };
          const double v0 = at(z0, y0) + fy * (at(z0, y1) - at(z0, y0));
          const double v1 = at(z1, y0) + fy * (at(z1, y1) - at(z1, y0));
          row[static_cast<size_t>(3 * xn + a)] = static_cast<float>(v0 + fz * (v1 - v0));
        }
      }
      TissueVoxel* out = tissue.data() + grid.index(z, y, 0);
      const uint8_t* near_row =
          cell_near.data() + (std::min(z0, cells[0] - 1) * cells[1] + std::min(y0, cells[1] - 1)) * cells[2];
      for (int64_t x = 0; x < grid.shape[2]; ++x) {
        const int64_t x0 = x / g, x1 = std::min(x0 + 1, nnx - 1);
        if (!near_row[std::min(x0, cells[2] - 1)]) continue;
        const double fx = static_cast<double>(x - x0 * g) / static_cast<double>(g);
        double t[3];
        for (int a = 0; a < 3; ++a) {
          const double r0 = row[static_cast<size_t>(3 * x0 + a)], r1 = row[static_cast<size_t>(3 * x1 + a)];
          t[a] = r0 + fx * (r1 - r0);
        }
        double f[3];
        sample_tissue(anatomy, t[0], t[1], t[2], f);
        const double sum = f[0] + f[1] + f[2];
        if (sum < 127.5) continue;  // outside the brain
        // Renormalise to 255 (the brain edge is a hard skull-strip edge, as in BraTS).
        const double k = 255.0 / sum;
        TissueVoxel& v = out[x];
        v.wm = static_cast<uint8_t>(std::lround(f[2] * k));
        v.gm = static_cast<uint8_t>(std::min<long>(255 - v.wm, std::lround(f[1] * k)));
        v.csf = static_cast<uint8_t>(255 - v.wm - v.gm);
      }
    }
  }
  return tissue;
}

// A tumour centre: a random output point whose (unshifted) template position is a tumour seed.
std::array<double, 3> place_tumour(const BrainTemplate& anatomy, const CaseGrid& grid, const Warp& warp,
                                   SynthRng& rng) {
  const int64_t nx = anatomy.shape[2], ny = anatomy.shape[1], nz = anatomy.shape[0];
  for (int attempt = 0; attempt < 1000000; ++attempt) {
    const auto p = grid.physical(rng.uniform(0, static_cast<double>(grid.shape[0] - 1)),
                                 rng.uniform(0, static_cast<double>(grid.shape[1] - 1)),
                                 rng.uniform(0, static_cast<double>(grid.shape[2] - 1)));
    const auto t = warp(p);
    const int64_t i = std::lround(t[0]), j = std::lround(t[1]), k = std::lround(t[2]);
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) continue;
    if (anatomy.voxels[static_cast<size_t>((k * ny + j) * nx + i)].flags & kTumourSeedFlag) return p;
  }
  throw Error(anatomy.source, "could not place a tumour in the template's white matter");
}

}  // namespace

CaseGrid brats_grid(int spacing_mm) {
  NNSEG_CHECK(spacing_mm >= 1 && spacing_mm <= 3) << "spacing " << spacing_mm;
  const std::array<int64_t, 3> full{155, 240, 240};     // (z, y, x)
  const std::array<double, 3> full_origin{0, -239, 0};  // (x, y, z)
  CaseGrid g;
  g.spacing_mm = spacing_mm;
  for (int a = 0; a < 3; ++a) g.shape[a] = (full[a] + spacing_mm - 1) / spacing_mm;
  for (int xyz = 0; xyz < 3; ++xyz) {
    const int a = 2 - xyz;
    g.origin_mm[xyz] =
        full_origin[xyz] + 0.5 * (static_cast<double>(full[a] - 1) - static_cast<double>(g.shape[a] - 1) * spacing_mm);
  }
  return g;
}

Geometry grid_geometry(const CaseGrid& grid) {
  Geometry g;
  g.spacing = {grid.spacing_mm, grid.spacing_mm, grid.spacing_mm};
  g.origin = grid.origin_mm;
  return g;
}

bool case_has_enhancing(uint64_t seed, int64_t case_id) {
  const int64_t block = case_id >= 0 ? case_id / 6 : -1 - (-1 - case_id) / 6;
  const auto pick = static_cast<int64_t>(mix64(mix64(seed ^ 0x6c67675f6d61726bull) ^ static_cast<uint64_t>(block)) % 6);
  return case_id - block * 6 != pick;
}

SynthCase synthesize_case(const BrainTemplate& anatomy, uint64_t seed, int64_t case_id, int spacing_mm,
                          bool keep_tissue) {
  const CaseGrid grid = brats_grid(spacing_mm);
  const auto id = static_cast<uint64_t>(case_id);
  SynthRng rng(seed, id, kGeometryStream);
  Warp warp = make_warp(anatomy, grid, rng);

  // Tumour size and placement, then the mass effect around it.
  TumourSpec spec;
  spec.enhancing = case_has_enhancing(seed, case_id);
  spec.whole_mm3 = 1000.0 * std::exp(rng.uniform(std::log(30.0), std::log(130.0)));
  spec.core_mm3 = spec.whole_mm3 * (spec.enhancing ? rng.uniform(0.15, 0.5) : rng.uniform(0.3, 0.6));
  spec.rim_mm = rng.uniform(2.0, 6.0);
  spec.centre_mm = place_tumour(anatomy, grid, warp, rng);
  const double r_core = std::cbrt(3.0 * spec.core_mm3 / (4.0 * kPi));
  warp.mass = true;
  warp.mass_centre = spec.centre_mm;
  warp.mass_radius_mm = r_core * rng.uniform(0.45, 0.75);
  const RenderParams render = sample_render_params(rng);

  const NodeMap map(warp, grid, std::max<int64_t>(1, std::lround(4.0 / spacing_mm)));
  const std::vector<TissueVoxel> tissue = render_tissue(anatomy, grid, map);

  SynthRng tumour_rng(seed, id, kTumourStream);
  const TumourLabels labels = make_tumour_labels(spec, grid, tissue, tumour_rng);

  const TumourAppearance look = make_tumour_appearance(grid, labels, spec.enhancing, tumour_rng);

  SynthCase out;
  out.case_id = case_id;
  const Geometry geometry = grid_geometry(grid);
  for (int c = 0; c < kChannels; ++c) {
    SynthRng noise_rng(seed, id, kNoiseStream + static_cast<uint64_t>(c));
    out.channels[static_cast<size_t>(c)] = render_channel(c, render, grid, tissue, look, noise_rng);
  }
  out.seg = Image(PixelType::kUInt8, grid.shape, geometry);
  std::copy(labels.labels.begin(), labels.labels.end(), out.seg.data<uint8_t>());

  // Summary numbers.
  const double voxel_cm3 = std::pow(grid.spacing_mm, 3) / 1000.0;
  std::array<double, 3> centre{0, 0, 0};
  int64_t n_core = 0, n_whole = 0, n_brain = 0;
  for (int64_t z = 0; z < grid.shape[0]; ++z) {
    for (int64_t y = 0; y < grid.shape[1]; ++y) {
      for (int64_t x = 0; x < grid.shape[2]; ++x) {
        const size_t i = static_cast<size_t>(grid.index(z, y, x));
        const TissueVoxel& t = tissue[i];
        if (t.csf + t.gm + t.wm > 0) ++n_brain;
        const uint8_t l = labels.labels[i];
        if (l == 0) continue;
        ++n_whole;
        if (l == kLabelEdema) continue;
        ++n_core;
        centre[0] += static_cast<double>(z);
        centre[1] += static_cast<double>(y);
        centre[2] += static_cast<double>(x);
        if (l == kLabelEnhancing) out.has_enhancing = true;
      }
    }
  }
  for (size_t a = 0; a < 3; ++a) {
    out.tumour_centre[a] = n_core > 0 ? std::llround(centre[a] / static_cast<double>(n_core)) : grid.shape[a] / 2;
  }
  out.whole_tumour_cm3 = static_cast<double>(n_whole) * voxel_cm3;
  out.core_cm3 = static_cast<double>(n_core) * voxel_cm3;
  out.brain_cm3 = static_cast<double>(n_brain) * voxel_cm3;
  if (keep_tissue) out.tissue = tissue;
  return out;
}

}  // namespace nnseg::synth
