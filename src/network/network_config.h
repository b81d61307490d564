// The numbers that shape nnU-Net v1's Generic_UNet (spec/network.md §1): channels, features, kernels, depth.
// Torch-free, so that planning-side code and cost estimates need no LibTorch headers.
#pragma once

#include <cstdint>
#include <vector>

namespace nnseg {

// Normalisation of every conv block; both are registered as `instnorm` (nnU-Net's name, network.md §7).
enum class NormKind { kInstance, kBatch };

struct NetworkConfig {
  int64_t input_channels = 4;                           // image channels (plans num_modalities)
  int64_t num_classes = 4;                              // output channels (labels incl. background, or regions)
  int64_t base_num_features = 32;                       // features of stage 0 (plans base_num_features)
  int64_t max_num_features = 320;                       // cap per stage: 320 for 3D, 480 for 2d
  std::vector<std::vector<int64_t>> pool_kernel_sizes;  // one per pooling, per-axis sizes in array order (z, y, x)
  std::vector<std::vector<int64_t>> conv_kernel_sizes;  // one per stage incl. bottleneck: pools + 1 entries
  int64_t convs_per_stage = 2;                          // v1 `conv_per_stage` (encoder stages; decoder uses it too)
  bool deep_supervision = true;                         // heads at every decoder level (trainer V2: on)
  NormKind norm = NormKind::kInstance;                  // kBatch only for the BraTS `_BN` trainers
};

// The BraTS 2020 3d_fullres network of spec/network.md §1 (5 x [2,2,2] pools, 6 x [3,3,3] kernels), C outputs.
NetworkConfig brats_3d_fullres_network_config(int64_t num_classes = 4);

// Checks lengths, dimensionality (2 or 3 axes, equal everywhere), positive sizes and odd conv kernels. Throws
// InputError naming the offending field and value ("network configuration" is the item).
void validate_network_config(const NetworkConfig& config);

// Number of spatial axes (2 or 3), from the kernel lists.
int64_t network_spatial_dims(const NetworkConfig& config);

// Features per resolution level, stage 0 .. bottleneck: f[0] = base, f[d+1] = min(round(2 f[d]), max).
std::vector<int64_t> stage_features(const NetworkConfig& config);

// Per-axis divisor every input extent must be a multiple of: product of the pool kernels (network.md §9).
std::vector<int64_t> input_divisibility(const NetworkConfig& config);

// Padding of a conv: 1 on axes whose kernel is 3, else 0 (v1 `conv_pad_sizes`; kernels other than 1 and 3 get 0).
std::vector<int64_t> conv_padding(const std::vector<int64_t>& kernel);

// Conv kernel of decoder level u (u = 0 is the deepest): v1 indexes `conv_kernel_sizes[-(u + 1)]`, so decoder u
// uses the kernel of stage num_pool - u (u = 0 takes the bottleneck's kernel). Same for all-3x3x3 plans.
const std::vector<int64_t>& decoder_conv_kernel(const NetworkConfig& config, int64_t u);

}  // namespace nnseg
