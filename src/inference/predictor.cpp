// Sliding-window prediction with mirroring and Gaussian aggregation (spec/inference.md §2-§5), as nnU-Net v1's
// SegmentationNetwork._internal_predict_3D_3Dconv_tiled and _internal_maybe_mirror_and_pred_3D.
#include "inference/predictor.h"

#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include <algorithm>
#include <sstream>
#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "inference/gaussian_map.h"
#include "inference/sliding_window_geometry.h"
#include "training/amp.h"

namespace nnseg {
namespace {

constexpr int64_t kSpatialDims = 3;
// Default CUDA batch: at most 4 samples and at most 4 patches of 128^3 voxels per forward. Measured on an H100 for a
// 4x155x240x240 case (BraTS network, float16): batch 1 2.3 s / 2.5 GB, batch 4 1.6 s / 6.7 GB, batch 8 1.5 s / 12 GB.
constexpr int64_t kCudaMaxBatch = 4;
constexpr int64_t kCudaBatchVoxels = kCudaMaxBatch * 128 * 128 * 128;

std::string join(const std::vector<int64_t>& values) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < values.size(); ++i) s << (i ? ", " : "") << values[i];
  s << "]";
  return s.str();
}

void validate(const Array4f& data, int64_t num_classes, const SlidingWindowOptions& options) {
  for (int64_t d = 0; d < 4; ++d) {
    if (data.shape[static_cast<size_t>(d)] < 1) {
      throw InputError("input data", "shape " + join({data.shape.begin(), data.shape.end()}) + " has a size < 1");
    }
  }
  if (static_cast<int64_t>(data.values.size()) != data.numel()) {
    throw InputError("input data", "has " + std::to_string(data.values.size()) + " values for shape " +
                                       join({data.shape.begin(), data.shape.end()}));
  }
  if (num_classes < 1) throw InputError("num_classes", "value " + std::to_string(num_classes) + " must be >= 1");
  if (static_cast<int64_t>(options.patch_size.size()) != kSpatialDims) {
    throw InputError("patch_size", join(options.patch_size) + " has " + std::to_string(options.patch_size.size()) +
                                       " axes; the sliding window needs 3 (z, y, x)");
  }
  for (int64_t p : options.patch_size) {
    if (p < 1) throw InputError("patch_size", join(options.patch_size) + " has a size < 1");
  }
  if (!(options.step_size > 0.0 && options.step_size <= 1.0)) {
    throw InputError("step_size", "value " + std::to_string(options.step_size) + " must be in (0, 1]");
  }
  std::vector<int> seen;
  for (int axis : options.mirror_axes) {
    if (axis < 0 || axis >= kSpatialDims || std::count(seen.begin(), seen.end(), axis) > 0) {
      throw InputError("mirror_axes",
                       "axis " + std::to_string(axis) + " is out of range (0 = Z, 1 = Y, 2 = X) or listed twice");
    }
    seen.push_back(axis);
  }
  if (options.max_batch < 0) {
    throw InputError("max_batch", "value " + std::to_string(options.max_batch) + " must be >= 0 (0: chosen)");
  }
  if (options.device.is_cuda() && !torch::cuda::is_available()) {
    throw InputError("device", options.device.str() + " requested but CUDA is not available");
  }
}

int64_t choose_batch(const SlidingWindowOptions& options, int64_t passes_per_tile) {
  if (options.max_batch > 0) return options.max_batch;
  if (!options.device.is_cuda()) return 1;
  const int64_t patch_voxels = shape_volume(options.patch_size);
  return std::max<int64_t>(1, std::min({passes_per_tile, kCudaMaxBatch, kCudaBatchVoxels / patch_voxels}));
}

// Spatial window [start, start + patch) of a [C, Z, Y, X] tensor (a view).
torch::Tensor window(const torch::Tensor& t, const Shape& start, const Shape& patch) {
  torch::Tensor w = t;
  for (int64_t d = 0; d < kSpatialDims; ++d) w = w.narrow(d + 1, start[d], patch[d]);
  return w;
}

// Flip dims of a [C, Z, Y, X] sample for the spatial axes of one mirror combination.
std::vector<int64_t> flip_dims(const std::vector<int64_t>& axes) {
  std::vector<int64_t> dims;
  for (int64_t a : axes) dims.push_back(a + 1);
  return dims;
}

// The mirror-averaged probabilities of one tile while its passes come in (spec/inference.md §5.1).
struct OpenTile {
  int64_t tile = 0;
  torch::Tensor result;  // [C_out, P...] float32 on the device
};

}  // namespace

std::vector<std::vector<int64_t>> mirror_combinations(const std::vector<int>& mirror_axes) {
  // Table order of spec/inference.md §5.1: bit 0 = X (axis 2), bit 1 = Y (axis 1), bit 2 = Z (axis 0).
  auto mirrored = [&](int64_t axis) {
    return std::find(mirror_axes.begin(), mirror_axes.end(), static_cast<int>(axis)) != mirror_axes.end();
  };
  std::vector<std::vector<int64_t>> combos;
  for (int m = 0; m < 8; ++m) {
    std::vector<int64_t> axes;
    if (m & 4) axes.push_back(0);
    if (m & 2) axes.push_back(1);
    if (m & 1) axes.push_back(2);
    if (std::all_of(axes.begin(), axes.end(), mirrored)) combos.push_back(std::move(axes));
  }
  return combos;
}

Array4f predict_sliding_window(const LogitsFunction& logits, const Array4f& data, int64_t num_classes,
                               const SlidingWindowOptions& options, Progress* progress,
                               const std::string& progress_label) {
  validate(data, num_classes, options);
  const c10::InferenceMode inference_mode;
  const torch::Device device = options.device;
  const auto on_device = torch::TensorOptions().dtype(torch::kFloat).device(device);
  const Shape& patch = options.patch_size;
  const Shape image_shape{data.shape[1], data.shape[2], data.shape[3]};
  const SlidingWindowGeometry geometry = plan_sliding_window(image_shape, patch, options.step_size);
  const Padding& padding = geometry.padding;
  const Shape& padded = padding.padded_shape;
  const bool needs_padding = padded != image_shape;

  // The image, padded with constant 0 on the axes smaller than the patch (§2), on the device.
  torch::Tensor image = torch::from_blob(const_cast<float*>(data.values.data()),
                                         {data.shape[0], data.shape[1], data.shape[2], data.shape[3]}, torch::kFloat);
  if (needs_padding) {
    image = torch::constant_pad_nd(image,
                                   {padding.pad_before[2], padding.pad_after[2], padding.pad_before[1],
                                    padding.pad_after[1], padding.pad_before[0], padding.pad_after[0]},
                                   0.0);
  }
  image = image.to(device);

  // Tile weights (the Gaussian only with more than one tile, §4) and their accumulated sum (§5.2).
  std::vector<float> tile_weight = tile_weights(geometry, patch);
  std::vector<float> weight_sum = accumulate_weights(padded, patch, geometry.tiles, tile_weight);
  const torch::Tensor gaussian = torch::from_blob(tile_weight.data(), {patch[0], patch[1], patch[2]}).to(device);
  const torch::Tensor weight = torch::from_blob(weight_sum.data(), {padded[0], padded[1], padded[2]}).to(device);

  // The probability sum. On the CPU without padding it is the output buffer itself (divided in place at the end).
  Array4f out({num_classes, data.shape[1], data.shape[2], data.shape[3]}, 0.0f);
  torch::Tensor out_tensor =
      torch::from_blob(out.values.data(), {num_classes, image_shape[0], image_shape[1], image_shape[2]});
  const bool sum_in_out = device.is_cpu() && !needs_padding;
  const torch::Tensor sum =
      sum_in_out ? out_tensor : torch::zeros({num_classes, padded[0], padded[1], padded[2]}, on_device);

  const std::vector<std::vector<int64_t>> combos = mirror_combinations(options.mirror_axes);
  const int64_t passes = static_cast<int64_t>(combos.size());
  const double pass_weight = 1.0 / static_cast<double>(passes);  // 1 / 2^k, exact in float32
  const int64_t num_tiles = static_cast<int64_t>(geometry.tiles.size());
  const int64_t total = num_tiles * passes;
  const int64_t batch = choose_batch(options, passes);
  const bool autocast = device.is_cuda() && options.mixed_precision;

  if (progress) progress->start(progress_label, num_tiles);
  std::vector<OpenTile> open;
  for (int64_t first = 0; first < total; first += batch) {
    const int64_t count = std::min(batch, total - first);
    std::vector<torch::Tensor> inputs;
    inputs.reserve(static_cast<size_t>(count));
    for (int64_t i = first; i < first + count; ++i) {
      const torch::Tensor w = window(image, geometry.tiles[static_cast<size_t>(i / passes)], patch);
      const std::vector<int64_t>& axes = combos[static_cast<size_t>(i % passes)];
      inputs.push_back(axes.empty() ? w : torch::flip(w, flip_dims(axes)));
    }
    torch::Tensor raw;
    {
      const AutocastScope autocast_scope(autocast);
      raw = logits(count == 1 ? inputs.front().unsqueeze(0) : torch::stack(inputs));
    }
    inputs.clear();
    const std::vector<int64_t> got = raw.sizes().vec();
    if (got.size() != 5 || got[0] != count || got[1] != num_classes || got[2] != patch[0] || got[3] != patch[1] ||
        got[4] != patch[2]) {
      throw InputError("num_classes", "the network returned logits of shape " + join(got) + " for " +
                                          std::to_string(count) + " inputs; expected " +
                                          join({count, num_classes, patch[0], patch[1], patch[2]}));
    }
    // Probabilities in float32 (under autocast the logits may be float16; v1's softmax runs in float32).
    raw = raw.to(device, torch::kFloat);
    const torch::Tensor probs = options.sigmoid ? torch::sigmoid(raw) : torch::softmax(raw, 1);
    raw = torch::Tensor();
    if (passes > 1) probs.mul_(pass_weight);  // w * p, as v1's `result += 1 / num_results * pred`
    for (int64_t j = 0; j < count; ++j) {
      const int64_t tile = (first + j) / passes;
      const int64_t m = (first + j) % passes;
      const std::vector<int64_t>& axes = combos[static_cast<size_t>(m)];
      torch::Tensor p = probs.select(0, j);
      if (!axes.empty()) {
        p = torch::flip(p, flip_dims(axes));
      } else if (count > 1) {
        p = p.clone();  // a tile's result must not keep the whole batch alive
      }
      if (m == 0) {
        open.push_back({tile, p});  // 0 + w * p
      } else {
        NNSEG_CHECK(!open.empty() && open.back().tile == tile) << "mirror pass " << m << " of tile " << tile;
        open.back().result.add_(p);
      }
      if (m == passes - 1) {
        torch::Tensor& result = open.back().result;
        if (geometry.use_gaussian()) result.mul_(gaussian);  // G multiplies the mirror average (§5.1 step 3)
        window(sum, geometry.tiles[static_cast<size_t>(tile)], patch).add_(result);
        open.pop_back();
        if (progress) progress->advance(1);
      }
    }
  }
  NNSEG_CHECK(open.empty()) << open.size() << " tiles left unfinished";

  // Crop back to the image (§2), then divide by the accumulated weights (§5.2).
  const torch::Tensor cropped_weight = window(weight.unsqueeze(0), padding.crop_begin, image_shape);
  if (sum_in_out) {
    out_tensor.div_(cropped_weight);
  } else if (device.is_cpu()) {
    torch::div_out(out_tensor, window(sum, padding.crop_begin, image_shape), cropped_weight);
  } else {
    out_tensor.copy_(window(sum, padding.crop_begin, image_shape).div(cropped_weight));
  }
  if (progress) progress->finish();
  return out;
}

LogitsFunction network_logits(GenericUNet network) {
  network->eval();
  return [network](const torch::Tensor& x) mutable -> torch::Tensor {
    const int64_t expected = network->config().input_channels;
    if (x.dim() < 2 || x.size(1) != expected) {
      throw InputError("input data", "has " + (x.dim() < 2 ? std::string("no") : std::to_string(x.size(1))) +
                                         " channels; the network expects " + std::to_string(expected));
    }
    const torch::NoGradGuard no_grad;
    return network->predict_logits(x);
  };
}

}  // namespace nnseg
