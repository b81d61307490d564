// nnU-Net v1 DataLoader3D on memory-mapped preprocessed cases (training/data_loader.h, spec/training.md §6).
#include "training/data_loader.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "io/npy.h"
#include "preprocessing/preprocess_case.h"

namespace nnseg {

namespace {

constexpr double kPi = 3.141592653589793;

// Degrees to radians in the order v1 writes it (`30. / 360 * 2. * np.pi`).
double radians(double degrees) { return degrees / 360 * 2.0 * kPi; }

std::string shape_text(const std::vector<int64_t>& shape) { return npy_shape_repr(shape); }

std::string triple_text(const std::array<int64_t, 3>& v) {
  std::ostringstream s;
  s << "[" << v[0] << ", " << v[1] << ", " << v[2] << "]";
  return s.str();
}

// Uniform integer in [lo, hi] (inclusive) by rejection, so the stream is the same with every standard library.
int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  NNSEG_CHECK(lo <= hi) << "empty range [" << lo << ", " << hi << "]";
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (range == std::numeric_limits<uint64_t>::max()) return static_cast<int64_t>(rng());
  const uint64_t n = range + 1;
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - (std::numeric_limits<uint64_t>::max() % n);
  uint64_t r = rng();
  while (r >= limit) r = rng();
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + r % n);
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Copies the window [start, start + size) of a C-order [channels, shape] array into `dst` ([channels, size]),
// writing `pad` wherever the window lies outside the array. Row by row, each element written once.
template <typename T>
void copy_window(const T* src, int64_t channels, const std::array<int64_t, 3>& shape,
                 const std::array<int64_t, 3>& start, const std::array<int64_t, 3>& size, T pad, T* dst) {
  const int64_t x0 = std::clamp<int64_t>(start[2], 0, shape[2]);
  const int64_t x1 = std::clamp<int64_t>(start[2] + size[2], 0, shape[2]);
  const int64_t left = x0 - start[2];  // padded voxels before the copied run (0 when the run is empty)
  const int64_t count = std::max<int64_t>(0, x1 - x0);
  const int64_t channel_numel = shape[0] * shape[1] * shape[2];
  for (int64_t c = 0; c < channels; ++c) {
    const T* channel = src + c * channel_numel;
    for (int64_t z = 0; z < size[0]; ++z) {
      const int64_t sz = start[0] + z;
      const bool inside_z = sz >= 0 && sz < shape[0];
      for (int64_t y = 0; y < size[1]; ++y, dst += size[2]) {
        const int64_t sy = start[1] + y;
        if (!inside_z || sy < 0 || sy >= shape[1] || count == 0) {
          std::fill(dst, dst + size[2], pad);
          continue;
        }
        std::fill(dst, dst + left, pad);
        std::memcpy(dst + left, channel + (sz * shape[1] + sy) * shape[2] + x0, static_cast<size_t>(count) * sizeof(T));
        std::fill(dst + left + count, dst + size[2], pad);
      }
    }
  }
}

}  // namespace

std::vector<int64_t> basic_generator_patch_size(const std::vector<int64_t>& final_patch,
                                                const std::array<double, 3>& max_rotation_rad, double scale_min) {
  NNSEG_CHECK(final_patch.size() == 2 || final_patch.size() == 3) << "patch of " << final_patch.size() << " axes";
  NNSEG_CHECK(scale_min > 0) << "scale minimum " << scale_min;
  const double cap = 90.0 / 360 * 2.0 * kPi;
  std::vector<double> p(final_patch.begin(), final_patch.end());
  std::vector<double> extent = p;
  auto take_max = [&extent](const std::vector<double>& rotated) {
    for (size_t i = 0; i < extent.size(); ++i) extent[i] = std::max(extent[i], std::abs(rotated[i]));
  };
  if (p.size() == 3) {
    // Row vector times the rotation matrix (batchgenerators rotate_coords_3d), one axis at a time.
    const double ax = std::min(cap, std::abs(max_rotation_rad[0]));
    const double ay = std::min(cap, std::abs(max_rotation_rad[1]));
    const double az = std::min(cap, std::abs(max_rotation_rad[2]));
    take_max({p[0], p[1] * std::cos(ax) + p[2] * std::sin(ax), -p[1] * std::sin(ax) + p[2] * std::cos(ax)});
    take_max({p[0] * std::cos(ay) - p[2] * std::sin(ay), p[1], p[0] * std::sin(ay) + p[2] * std::cos(ay)});
    take_max({p[0] * std::cos(az) + p[1] * std::sin(az), -p[0] * std::sin(az) + p[1] * std::cos(az), p[2]});
  } else {
    const double a = std::min(cap, std::abs(max_rotation_rad[0]));
    take_max({p[0] * std::cos(a) + p[1] * std::sin(a), -p[0] * std::sin(a) + p[1] * std::cos(a)});
  }
  std::vector<int64_t> out;
  for (double e : extent) out.push_back(static_cast<int64_t>(e / scale_min));  // numpy astype(int): truncation
  return out;
}

std::vector<int64_t> v2_loader_patch_size(const std::vector<int64_t>& final_patch, bool dummy_2d) {
  // nnUNetTrainer.setup_DA_params: computed with the default scale range (0.85, 1.25) before V2 sets (0.7, 1.4).
  constexpr double kDefaultScaleMin = 0.85;
  if (final_patch.size() == 2) {
    const double longest = static_cast<double>(std::max(final_patch[0], final_patch[1]));
    const double shortest = static_cast<double>(std::min(final_patch[0], final_patch[1]));
    const double angle = longest / shortest > 1.5 ? radians(15) : radians(180);
    return basic_generator_patch_size(final_patch, {angle, 0, 0}, kDefaultScaleMin);
  }
  NNSEG_CHECK(final_patch.size() == 3) << "patch of " << final_patch.size() << " axes";
  if (dummy_2d) {
    std::vector<int64_t> in_plane =
        basic_generator_patch_size({final_patch[1], final_patch[2]}, {radians(180), 0, 0}, kDefaultScaleMin);
    return {final_patch[0], in_plane[0], in_plane[1]};
  }
  return basic_generator_patch_size(final_patch, {radians(30), radians(30), radians(30)}, kDefaultScaleMin);
}

WindowBounds window_bounds(const std::array<int64_t, 3>& case_shape, const std::array<int64_t, 3>& loader_patch,
                           const std::array<int64_t, 3>& final_patch) {
  WindowBounds b;
  for (size_t d = 0; d < 3; ++d) {
    int64_t need = loader_patch[d] - final_patch[d];
    if (need + case_shape[d] < loader_patch[d]) need = loader_patch[d] - case_shape[d];
    // Python's `-need // 2` floors the negated value; need >= 0 here, so need / 2 and need % 2 match Python's.
    b.lower[d] = -((need + 1) / 2);
    b.upper[d] = case_shape[d] + need / 2 + need % 2 - loader_patch[d];
  }
  return b;
}

std::array<int64_t, 3> forced_window_start(const std::array<int64_t, 3>& voxel, const WindowBounds& bounds,
                                           const std::array<int64_t, 3>& loader_patch) {
  std::array<int64_t, 3> start{};
  for (size_t d = 0; d < 3; ++d) start[d] = std::max(bounds.lower[d], voxel[d] - loader_patch[d] / 2);
  return start;
}

bool is_forced_foreground(int64_t sample, int64_t batch_size, double oversample_percent) {
  // std::nearbyint rounds half to even in the default rounding mode, as Python's round.
  const double threshold = std::nearbyint(static_cast<double>(batch_size) * (1 - oversample_percent));
  return !(static_cast<double>(sample) < threshold);
}

uint64_t batch_seed(uint64_t seed, uint64_t stream, int64_t index) {
  uint64_t h = splitmix64(seed);
  h = splitmix64(h ^ splitmix64(stream + 0x632BE59BD9B4E019ULL));
  return splitmix64(h ^ static_cast<uint64_t>(index));
}

struct DataLoader3D::Case {
  std::string id;
  std::array<int64_t, 3> shape{0, 0, 0};  // (z, y, x)
  MappedNpy data_map;
  MappedNpy seg_map;
  NpyArray data_memory;  // used when options.memmap is false
  NpyArray seg_memory;
  const float* data = nullptr;  // [C, Z, Y, X]
  const int8_t* seg = nullptr;  // [1, Z, Y, X]
  // Voxels of the classes a forced sample may centre on (non-empty lists only), in CASE.json order. int32 halves
  // the memory of up to 3 x 10 000 locations per case.
  std::vector<std::vector<std::array<int32_t, 3>>> foreground;
};

DataLoader3D::DataLoader3D(const std::filesystem::path& folder, std::vector<std::string> case_ids,
                           DataLoaderOptions options)
    : options_(std::move(options)) {
  const DataLoaderOptions& o = options_;
  if (case_ids.empty()) throw InputError(folder.string(), "no cases to load patches from (empty case list)");
  for (size_t d = 0; d < 3; ++d) {
    if (o.patch_size[d] < 1 || o.loader_patch_size[d] < o.patch_size[d]) {
      throw InputError("patch_size", "loader patch " + triple_text(o.loader_patch_size) + " and patch " +
                                         triple_text(o.patch_size) +
                                         ": expected positive sizes and loader patch >= patch on every axis");
    }
  }
  if (o.batch_size < 1) throw InputError("batch_size", std::to_string(o.batch_size) + ": expected at least 1");
  if (!(o.oversample_foreground_percent >= 0 && o.oversample_foreground_percent <= 1)) {
    throw InputError("oversample_foreground_percent",
                     std::to_string(o.oversample_foreground_percent) + ": expected a value in [0, 1]");
  }
  const std::set<int> wanted(o.foreground_classes.begin(), o.foreground_classes.end());

  for (std::string& id : case_ids) {
    auto c = std::make_unique<Case>();
    c->id = std::move(id);
    const std::filesystem::path data_path = folder / (c->id + ".npy");
    const std::filesystem::path seg_path = folder / (c->id + "_seg.npy");
    const std::filesystem::path json_path = folder / (c->id + ".json");
    for (const auto& p : {data_path, seg_path, json_path}) {
      if (!std::filesystem::exists(p)) {
        throw InputError(p.string(), "preprocessed case file not found; run 'nnseg preprocess' first");
      }
    }
    std::vector<int64_t> data_shape;
    std::vector<int64_t> seg_shape;
    NpyDType data_type = NpyDType::kFloat32;
    NpyDType seg_type = NpyDType::kInt8;
    if (o.memmap) {
      c->data_map = MappedNpy(data_path);
      c->seg_map = MappedNpy(seg_path);
      data_shape = c->data_map.shape();
      seg_shape = c->seg_map.shape();
      data_type = c->data_map.dtype();
      seg_type = c->seg_map.dtype();
    } else {
      c->data_memory = read_npy(data_path);
      c->seg_memory = read_npy(seg_path);
      data_shape = c->data_memory.shape;
      seg_shape = c->seg_memory.shape;
      data_type = c->data_memory.dtype;
      seg_type = c->seg_memory.dtype;
    }
    if (data_type != NpyDType::kFloat32 || data_shape.size() != 4 || data_shape[0] < 1) {
      throw InputError(data_path.string(), "holds " + to_string(data_type) + " " + shape_text(data_shape) +
                                               ": expected float32 [C, Z, Y, X] with C >= 1");
    }
    if (seg_type != NpyDType::kInt8 || seg_shape.size() != 4 || seg_shape[0] != 1 ||
        !std::equal(seg_shape.begin() + 1, seg_shape.end(), data_shape.begin() + 1)) {
      throw InputError(seg_path.string(), "holds " + to_string(seg_type) + " " + shape_text(seg_shape) +
                                              ": expected int8 [1, " + std::to_string(data_shape[1]) + ", " +
                                              std::to_string(data_shape[2]) + ", " + std::to_string(data_shape[3]) +
                                              "] to match " + data_path.filename().string());
    }
    if (channels_ == 0) channels_ = data_shape[0];
    if (data_shape[0] != channels_) {
      throw InputError(data_path.string(), "has " + std::to_string(data_shape[0]) + " channels, but " +
                                               cases_.front()->id + " has " + std::to_string(channels_));
    }
    c->shape = {data_shape[1], data_shape[2], data_shape[3]};
    if (o.memmap) {
      c->data = c->data_map.data<float>();
      c->seg = c->seg_map.data<int8_t>();
    } else {
      c->data = c->data_memory.data<float>();
      c->seg = c->seg_memory.data<int8_t>();
    }

    const CaseProperties properties = load_case_properties(json_path);
    for (const ClassLocations& l : properties.class_locations) {
      // v1: keys with a non-empty list, then keys > 0.
      if (l.voxels.empty() || l.label <= 0 || (!wanted.empty() && wanted.count(l.label) == 0)) continue;
      std::vector<std::array<int32_t, 3>> voxels;
      voxels.reserve(l.voxels.size());
      for (const auto& v : l.voxels) {
        for (size_t d = 0; d < 3; ++d) {
          if (v[d] < 0 || v[d] >= c->shape[d]) {
            throw InputError(json_path.string(), "class_locations." + std::to_string(l.label) + " voxel " +
                                                     triple_text(v) + " lies outside the case shape " +
                                                     triple_text(c->shape));
          }
        }
        voxels.push_back({static_cast<int32_t>(v[0]), static_cast<int32_t>(v[1]), static_cast<int32_t>(v[2])});
      }
      c->foreground.push_back(std::move(voxels));
    }
    cases_.push_back(std::move(c));
  }
}

DataLoader3D::~DataLoader3D() = default;
DataLoader3D::DataLoader3D(DataLoader3D&&) noexcept = default;
DataLoader3D& DataLoader3D::operator=(DataLoader3D&&) noexcept = default;

size_t DataLoader3D::num_cases() const { return cases_.size(); }

std::array<int64_t, 3> DataLoader3D::case_shape(size_t i) const { return cases_.at(i)->shape; }

void DataLoader3D::cut_sample(const Case& c, const std::array<int64_t, 3>& start, float* data, int8_t* seg) const {
  copy_window(c.data, channels_, c.shape, start, options_.loader_patch_size, options_.pad_data, data);
  copy_window(c.seg, 1, c.shape, start, options_.loader_patch_size, options_.pad_seg, seg);
}

Batch DataLoader3D::make_batch(int64_t index) const {
  Batch b;
  fill_batch(index, b);
  return b;
}

void DataLoader3D::fill_batch(int64_t index, Batch& b) const {
  const DataLoaderOptions& o = options_;
  const std::array<int64_t, 3>& p = o.loader_patch_size;
  std::mt19937_64 rng(batch_seed(o.seed, o.stream, index));

  b.index = index;
  b.data_shape = {o.batch_size, channels_, p[0], p[1], p[2]};
  const int64_t patch_numel = p[0] * p[1] * p[2];
  // Every element is overwritten below, so buffers of the right size are kept as they are.
  b.data.resize(static_cast<size_t>(o.batch_size * channels_ * patch_numel));
  b.seg.resize(static_cast<size_t>(o.batch_size * patch_numel));
  b.case_ids.clear();
  b.forced_foreground.clear();
  b.start.clear();

  // v1 draws all keys first (np.random.choice with replacement), then one window per sample.
  std::vector<size_t> picks;
  for (int64_t j = 0; j < o.batch_size; ++j) {
    picks.push_back(static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(cases_.size()) - 1)));
  }
  for (int64_t j = 0; j < o.batch_size; ++j) {
    const Case& c = *cases_[picks[static_cast<size_t>(j)]];
    const bool forced = is_forced_foreground(j, o.batch_size, o.oversample_foreground_percent);
    const WindowBounds bounds = window_bounds(c.shape, p, o.patch_size);
    std::array<int64_t, 3> start{};
    if (forced && !c.foreground.empty()) {
      const auto& voxels =
          c.foreground[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(c.foreground.size()) - 1))];
      const auto& v = voxels[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(voxels.size()) - 1))];
      start = forced_window_start({v[0], v[1], v[2]}, bounds, p);
    } else {
      // Random window; also the fallback of a forced sample whose case has no foreground (v1 prints a notice).
      for (size_t d = 0; d < 3; ++d) start[d] = uniform_int(rng, bounds.lower[d], bounds.upper[d]);
    }
    cut_sample(c, start, b.data.data() + j * channels_ * patch_numel, b.seg.data() + j * patch_numel);
    b.case_ids.push_back(c.id);
    b.forced_foreground.push_back(forced);
    b.start.push_back(start);
  }
}

}  // namespace nnseg
