// Sliding-window prediction of one preprocessed case with test-time mirroring and Gaussian-weighted aggregation, as
// nnU-Net v1's SegmentationNetwork.predict_3D (spec/inference.md §2-§5): [C_in, Z, Y, X] -> probabilities.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "fingerprint/crop_to_nonzero.h"
#include "network/generic_unet.h"

namespace nnseg {

struct SlidingWindowOptions {
  std::vector<int64_t> patch_size;        // voxels, z-y-x, 3 axes (the configuration's patch_size)
  double step_size = 0.5;                 // tile step as a fraction of the patch, in (0, 1]
  std::vector<int> mirror_axes{0, 1, 2};  // spatial axes (0 = Z) for test-time mirroring; empty: no mirroring
  bool sigmoid = false;                   // region models: sigmoid per channel instead of softmax over channels
  torch::Device device = torch::kCPU;     // where the network runs and the float32 accumulators live
  bool mixed_precision = true;            // float16 autocast around the network, used on CUDA only
  int64_t max_batch = 0;                  // tiles x mirror passes per forward; 0: chosen (1 on CPU; 4 at 128^3 on CUDA)
};

// [B, C_in, pz, py, px] on options.device -> logits [B, C_out, pz, py, px] (any float dtype). Each sample must be
// computed on its own (the predictor stacks tiles and mirrored passes into one batch).
using LogitsFunction = std::function<torch::Tensor(const torch::Tensor&)>;

// spec/inference.md §2-§5: pads the image up to the patch, visits the tiles (z outer, x inner), evaluates the mirror
// combinations of the §5.1 table (weight 1/2^k each, k = number of mirror axes), applies softmax/sigmoid in float32,
// flips back, multiplies the mirror average by the Gaussian (only when there is more than one tile), accumulates
// sum and weight in float32 on options.device, crops back to the image and divides.
// data: [C_in, Z, Y, X] float32 on the CPU; returns probabilities [num_classes, Z, Y, X] float32 on the CPU.
// When progress is not null: progress->start(progress_label, number of tiles), advance(1) per tile, finish().
// InputError for a bad shape, patch, step, mirror axis, batch size or device, or logits of the wrong shape.
Array4f predict_sliding_window(const LogitsFunction& logits, const Array4f& data, int64_t num_classes,
                               const SlidingWindowOptions& options, Progress* progress = nullptr,
                               const std::string& progress_label = "tiles");

// A GenericUNet as the predictor uses it: eval mode, deep supervision off (predict_logits), no grad. The network
// must already be on the device the predictor runs on. InputError when the input's channel count is not the
// network's input_channels.
LogitsFunction network_logits(GenericUNet network);

// The mirror combinations evaluated for `mirror_axes`, in the order of the spec/inference.md §5.1 table: each entry
// lists its flipped spatial axes (0 = Z). {{}} (one pass, no flip) when mirror_axes is empty.
std::vector<std::vector<int64_t>> mirror_combinations(const std::vector<int>& mirror_axes);

}  // namespace nnseg
