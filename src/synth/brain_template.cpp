// Brain templates for synth-brats (synth/brain_template.h): Colin27 or a procedural head -> tissue fractions.
#include "synth/brain_template.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "io/nifti.h"
#include "synth/synth_random.h"

namespace nnseg::synth {

namespace {

// Physical LPS position of voxel (x, y, z) index.
std::array<double, 3> physical(const Geometry& g, double i, double j, double k) {
  const double v[3] = {i * g.spacing[0], j * g.spacing[1], k * g.spacing[2]};
  std::array<double, 3> p{};
  for (int r = 0; r < 3; ++r)
    p[r] = g.origin[r] + g.direction[r * 3] * v[0] + g.direction[r * 3 + 1] * v[1] + g.direction[r * 3 + 2] * v[2];
  return p;
}

// 1D k-means with three clusters on a histogram of the brain intensities; returns sorted means.
std::array<double, 3> kmeans3(const std::vector<float>& values) {
  std::vector<float> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double q) { return static_cast<double>(sorted[static_cast<size_t>(q * (sorted.size() - 1))]); };
  const double lo = sorted.front(), hi = sorted.back();
  constexpr int kBins = 512;
  const double width = hi > lo ? (hi - lo) / kBins : 1.0;
  std::vector<double> count(kBins, 0.0);
  for (float v : values) count[std::min(kBins - 1, static_cast<int>((v - lo) / width))] += 1;
  std::array<double, 3> mean{pct(0.05), pct(0.5), pct(0.95)};
  for (int iter = 0; iter < 100; ++iter) {
    std::array<double, 3> sum{0, 0, 0}, n{0, 0, 0};
    for (int b = 0; b < kBins; ++b) {
      const double v = lo + (b + 0.5) * width;
      int best = 0;
      for (int c = 1; c < 3; ++c) {
        if (std::fabs(v - mean[c]) < std::fabs(v - mean[best])) best = c;
      }
      sum[best] += v * count[b];
      n[best] += count[b];
    }
    for (int c = 0; c < 3; ++c) {
      if (n[c] > 0) mean[c] = sum[c] / n[c];
    }
  }
  std::sort(mean.begin(), mean.end());
  return mean;
}

// Squared normalised radius of p in the ellipsoid (centre c, semi-axes a), and the distance to its surface
// (first-order estimate, mm; positive inside).
struct Ellipsoid {
  std::array<double, 3> c;
  std::array<double, 3> a;
  double depth(const std::array<double, 3>& p) const {
    double rho2 = 0, g2 = 0;
    for (int i = 0; i < 3; ++i) {
      const double u = (p[i] - c[i]) / a[i];
      rho2 += u * u;
      g2 += (u / a[i]) * (u / a[i]);
    }
    const double rho = std::sqrt(rho2);
    if (rho < 1e-9) return *std::min_element(a.begin(), a.end());
    return (1.0 - rho) / (std::sqrt(g2) / rho);
  }
  double rho(const std::array<double, 3>& p) const {
    double rho2 = 0;
    for (int i = 0; i < 3; ++i) rho2 += ((p[i] - c[i]) / a[i]) * ((p[i] - c[i]) / a[i]);
    return std::sqrt(rho2);
  }
};

constexpr float kCsf = 35.0f, kGm = 84.0f, kWm = 114.0f;

// T1-like intensity of the procedural head at MNI position m (mm, RAS); 0 outside the brain.
float procedural_intensity(const std::array<double, 3>& m, const ValueNoise& sulci, const ValueNoise& sulci_fine) {
  const double x = m[0], y = m[1], z = m[2];
  const Ellipsoid cerebrum{{0, -15, 14}, {68, 86, 62}};
  const Ellipsoid cerebellum{{0, -60, -32}, {50, 30, 21}};
  const double d = cerebrum.depth(m);
  if (d > 0) {
    // Ventricles, third ventricle and deep grey nuclei first (they sit deep in the white matter).
    for (double side : {-1.0, 1.0}) {
      const double zc = 15.0 - 0.004 * (y + 10) * (y + 10);
      if (Ellipsoid{{side * 11, -10, zc}, {7, 30, 10}}.rho(m) < 1.0) return kCsf;
    }
    if (std::fabs(x) < 1.5 && y > -25 && y < 0 && z > -6 && z < 10) return kCsf;
    for (double side : {-1.0, 1.0}) {
      if (Ellipsoid{{side * 11, -18, 5}, {8, 13, 8}}.rho(m) < 1.0) return 96.0f;  // thalamus
      if (Ellipsoid{{side * 24, 2, 2}, {6, 14, 10}}.rho(m) < 1.0) return 92.0f;   // putamen
      if (Ellipsoid{{side * 14, 10, 14}, {5, 10, 7}}.rho(m) < 1.0) return 88.0f;  // caudate
    }
    // Interhemispheric fissure with its grey-matter lining, down to the corpus callosum.
    // Above the corpus callosum (an arch from y = -40 to 30) and everywhere in front of and behind it.
    const double fissure_floor = std::fabs(y + 5) < 36 ? 18.0 + 0.007 * (y + 5) * (y + 5) : -60.0;
    if (z > fissure_floor) {
      if (std::fabs(x) < 1.2) return kCsf;
      if (std::fabs(x) < 4.5 && d > 0) return kGm;
    }
    // Folded cortex: sulci run along the zero set of a smooth noise field; q estimates the distance (mm) to it.
    if (d < 1.0) return kCsf;
    if (d > 26) return kWm;
    auto field = [&](double a, double b, double c) { return sulci(a, b, c) + 0.3 * sulci_fine(a, b, c); };
    const double n0 = field(x, y, z);
    const double gx = field(x + 0.5, y, z) - n0, gy = field(x, y + 0.5, z) - n0, gz = field(x, y, z + 0.5) - n0;
    const double q = std::fabs(n0) / std::max(1e-6, 2.0 * std::sqrt(gx * gx + gy * gy + gz * gz));
    const double depth = 16.0 + 8.0 * sulci_fine(y, z, x);  // sulcal depth varies over the brain
    if (q < 0.7 && d < depth) return kCsf;
    if (d < 3.5 || (q < 4.0 && d < depth + 3.5)) return kGm;
    return kWm;
  }
  // Brainstem.
  if (z < 0 && z > -62 && (x / 11) * (x / 11) + ((y + 24) / 13) * ((y + 24) / 13) < 1.0) return 104.0f;
  const double dc = cerebellum.depth(m);
  if (dc > 0) {
    if (dc < 1.0) return kCsf;
    if (std::fabs(x) < 1.5 && dc < 8) return kCsf;
    const double rho = cerebellum.rho(m);
    if (rho < 0.45) return kWm;
    // Folia: thin CSF-like lines between grey-matter leaves.
    return std::sin(rho * 6.283185307179586 * 7.0) > 0.75 ? 55.0f : kGm;
  }
  return 0.0f;
}

}  // namespace

int64_t BrainTemplate::seed_count() const {
  return std::count_if(voxels.begin(), voxels.end(), [](const TissueVoxel& v) { return v.flags & kTumourSeedFlag; });
}

BrainTemplate tissue_template_from_t1(const Image& t1, const std::string& source) {
  BrainTemplate t;
  t.shape = t1.shape;
  t.geometry = t1.geometry;
  t.source = source;
  const std::vector<float> v = t1.values_as<float>();
  std::vector<float> brain;
  for (float x : v) {
    if (x > 0) brain.push_back(x);
  }
  if (brain.size() < 1000) throw InputError(source, "fewer than 1000 nonzero voxels; not a skull-stripped T1");
  t.class_means = kmeans3(brain);
  const auto [mc, mg, mw] = t.class_means;
  if (!(mc < mg && mg < mw)) throw InputError(source, "cannot separate CSF, grey and white matter intensities");

  t.voxels.assign(v.size(), TissueVoxel{});
  std::array<double, 3> lo{1e30, 1e30, 1e30}, hi{-1e30, -1e30, -1e30};
  const int64_t nz = t.shape[0], ny = t.shape[1], nx = t.shape[2];
  for (int64_t k = 0; k < nz; ++k) {
    for (int64_t j = 0; j < ny; ++j) {
      for (int64_t i = 0; i < nx; ++i) {
        const size_t idx = static_cast<size_t>((k * ny + j) * nx + i);
        const double x = v[idx];
        if (x <= 0) continue;
        // CSF is the remainder: below the CSF mean everything is CSF.
        double g = 0, w = 0;
        if (x > mc && x < mg) {
          g = (x - mc) / (mg - mc);
        } else if (x >= mg && x < mw) {
          w = (x - mg) / (mw - mg);
          g = 1 - w;
        } else if (x >= mw) {
          w = 1;
        }
        TissueVoxel& tv = t.voxels[idx];
        tv.wm = static_cast<uint8_t>(std::lround(255 * w));
        tv.gm = static_cast<uint8_t>(std::lround(255 * g));
        tv.csf = static_cast<uint8_t>(255 - tv.wm - tv.gm);
        const auto p = physical(t.geometry, static_cast<double>(i), static_cast<double>(j), static_cast<double>(k));
        for (int a = 0; a < 3; ++a) {
          lo[a] = std::min(lo[a], p[a]);
          hi[a] = std::max(hi[a], p[a]);
        }
        if (i % 3 == 0 && j % 3 == 0 && k % 3 == 0) {
          t.brain_points_mm.push_back({static_cast<float>(p[0]), static_cast<float>(p[1]), static_cast<float>(p[2])});
        }
      }
    }
  }
  for (int a = 0; a < 3; ++a) {
    t.brain_centre_mm[a] = 0.5 * (lo[a] + hi[a]);
    t.brain_extent_mm[a] = hi[a] - lo[a];
  }

  // Blocks near the brain.
  const int64_t b = BrainTemplate::kBlock, r = BrainTemplate::kNearBlocks;
  for (int a = 0; a < 3; ++a) t.near_shape[a] = (t.shape[a] + b - 1) / b;
  std::vector<uint8_t> has_brain(static_cast<size_t>(t.near_shape[0] * t.near_shape[1] * t.near_shape[2]), 0);
  auto block = [&](int64_t bz, int64_t by, int64_t bx) {
    return static_cast<size_t>((bz * t.near_shape[1] + by) * t.near_shape[2] + bx);
  };
  for (int64_t k = 0; k < nz; ++k) {
    for (int64_t j = 0; j < ny; ++j) {
      for (int64_t i = 0; i < nx; ++i) {
        if (v[static_cast<size_t>((k * ny + j) * nx + i)] > 0) has_brain[block(k / b, j / b, i / b)] = 1;
      }
    }
  }
  t.near_brain.assign(has_brain.size(), 0);
  for (int64_t bz = 0; bz < t.near_shape[0]; ++bz) {
    for (int64_t by = 0; by < t.near_shape[1]; ++by) {
      for (int64_t bx = 0; bx < t.near_shape[2]; ++bx) {
        if (!has_brain[block(bz, by, bx)]) continue;
        for (int64_t z = std::max<int64_t>(0, bz - r); z <= std::min(t.near_shape[0] - 1, bz + r); ++z) {
          for (int64_t y = std::max<int64_t>(0, by - r); y <= std::min(t.near_shape[1] - 1, by + r); ++y) {
            for (int64_t x = std::max<int64_t>(0, bx - r); x <= std::min(t.near_shape[2] - 1, bx + r); ++x) {
              t.near_brain[block(z, y, x)] = 1;
            }
          }
        }
      }
    }
  }

  // Tumour seeds: white matter of the hemispheres, at least 12 mm inside the brain along every axis.
  auto inside = [&](int64_t i, int64_t j, int64_t k) {
    return i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz &&
           v[static_cast<size_t>((k * ny + j) * nx + i)] > 0;
  };
  std::array<int64_t, 3> margin{};
  for (int a = 0; a < 3; ++a) margin[a] = static_cast<int64_t>(std::ceil(12.0 / t.geometry.spacing[a]));
  for (int64_t k = 0; k < nz; ++k) {
    for (int64_t j = 0; j < ny; ++j) {
      for (int64_t i = 0; i < nx; ++i) {
        TissueVoxel& tv = t.voxels[static_cast<size_t>((k * ny + j) * nx + i)];
        if (tv.wm < 204) continue;
        const auto p = physical(t.geometry, static_cast<double>(i), static_cast<double>(j), static_cast<double>(k));
        const double mx = -p[0], my = -p[1], mz = p[2];  // LPS -> MNI (RAS)
        if (std::fabs(mx) < 15 || std::fabs(mx) > 50 || my < -75 || my > 40 || mz < -5 || mz > 50) continue;
        if (!inside(i - margin[0], j, k) || !inside(i + margin[0], j, k) || !inside(i, j - margin[1], k) ||
            !inside(i, j + margin[1], k) || !inside(i, j, k - margin[2]) || !inside(i, j, k + margin[2])) {
          continue;
        }
        tv.flags |= kTumourSeedFlag;
      }
    }
  }
  if (t.seed_count() == 0) throw InputError(source, "no white matter found where a tumour could be placed");
  return t;
}

BrainTemplate load_colin27(const fs::path& path) {
  return tissue_template_from_t1(read_nifti(path), "Colin27 (" + path.string() + ")");
}

Image make_procedural_t1(double spacing_mm) {
  Geometry g;
  g.spacing = {spacing_mm, spacing_mm, spacing_mm};
  g.origin = {-80, -80, -62};  // LPS; MNI x -80..80, y -120..80, z -62..88
  const std::array<int64_t, 3> shape{static_cast<int64_t>(std::floor(150 / spacing_mm)) + 1,
                                     static_cast<int64_t>(std::floor(200 / spacing_mm)) + 1,
                                     static_cast<int64_t>(std::floor(160 / spacing_mm)) + 1};
  SynthRng rng(0x5eed, 0, 0);
  const ValueNoise sulci(rng, {-90, -130, -70}, {90, 90, 100}, 9.0);
  const ValueNoise sulci_fine(rng, {-90, -130, -70}, {90, 90, 100}, 5.0);
  std::vector<float> hard(static_cast<size_t>(shape[0] * shape[1] * shape[2]));
  for (int64_t k = 0; k < shape[0]; ++k) {
    for (int64_t j = 0; j < shape[1]; ++j) {
      for (int64_t i = 0; i < shape[2]; ++i) {
        const auto p = physical(g, static_cast<double>(i), static_cast<double>(j), static_cast<double>(k));
        hard[static_cast<size_t>((k * shape[1] + j) * shape[2] + i)] =
            procedural_intensity({-p[0], -p[1], p[2]}, sulci, sulci_fine);
      }
    }
  }
  // Partial volume: a 3x3x3 mean over brain voxels, kept inside the brain mask.
  Image t1(PixelType::kFloat32, shape, g);
  float* out = t1.data<float>();
  for (int64_t k = 0; k < shape[0]; ++k) {
    for (int64_t j = 0; j < shape[1]; ++j) {
      for (int64_t i = 0; i < shape[2]; ++i) {
        const size_t idx = static_cast<size_t>((k * shape[1] + j) * shape[2] + i);
        if (hard[idx] <= 0) continue;
        double sum = 0;
        int n = 0;
        for (int64_t dk = -1; dk <= 1; ++dk) {
          for (int64_t dj = -1; dj <= 1; ++dj) {
            for (int64_t di = -1; di <= 1; ++di) {
              const int64_t kk = k + dk, jj = j + dj, ii = i + di;
              if (kk < 0 || jj < 0 || ii < 0 || kk >= shape[0] || jj >= shape[1] || ii >= shape[2]) continue;
              const float h = hard[static_cast<size_t>((kk * shape[1] + jj) * shape[2] + ii)];
              if (h > 0) {
                sum += h;
                ++n;
              }
            }
          }
        }
        out[idx] = static_cast<float>(sum / n);
      }
    }
  }
  return t1;
}

BrainTemplate make_procedural_template(double spacing_mm) {
  return tissue_template_from_t1(make_procedural_t1(spacing_mm), "procedural");
}

Anatomy parse_anatomy(const std::string& value, const std::string& flag) {
  if (value == "auto") return Anatomy::kAuto;
  if (value == "colin27") return Anatomy::kColin27;
  if (value == "procedural") return Anatomy::kProcedural;
  throw InputError(flag, "'" + value + "': expected auto, colin27 or procedural");
}

BrainTemplate load_template(Anatomy anatomy, const fs::path& colin27_path) {
  if (anatomy == Anatomy::kProcedural) return make_procedural_template();
  std::error_code ec;
  if (fs::exists(colin27_path, ec)) return load_colin27(colin27_path);
  if (anatomy == Anatomy::kColin27) {
    throw InputError(colin27_path.string(), "Colin27 template not found (Debian package mricron-data)");
  }
  return make_procedural_template();
}

}  // namespace nnseg::synth
