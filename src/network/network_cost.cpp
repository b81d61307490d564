// Structural MAC count of Generic_UNet (spec/network.md §8), walking the same layers as generic_unet.cpp builds.
#include "network/network_cost.h"

#include <algorithm>
#include <functional>
#include <numeric>

#include "core/error.h"

namespace nnseg {
namespace {

int64_t product(const std::vector<int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), int64_t{1}, std::multiplies<int64_t>());
}

class Counter {
 public:
  explicit Counter(NetworkMacs& macs) : macs_(macs) {}

  // A conv+norm+nonlin block: output voxels `voxels`; returns its MACs and books bias and norm elements.
  int64_t block(const std::string& name, int64_t in, int64_t out, const std::vector<int64_t>& kernel, int64_t voxels) {
    const int64_t m = voxels * out * in * product(kernel);
    macs_.layers.push_back({name, m});
    macs_.bias_additions += voxels * out;
    macs_.normalized_elements += voxels * out;
    return m;
  }

 private:
  NetworkMacs& macs_;
};

}  // namespace

NetworkMacs count_forward_macs(const NetworkConfig& config, const std::vector<int64_t>& spatial_shape) {
  validate_network_config(config);
  const auto div = input_divisibility(config);
  if (spatial_shape.size() != div.size()) {
    throw InputError("network input", "spatial shape has " + std::to_string(spatial_shape.size()) + " axes: expected " +
                                          std::to_string(div.size()));
  }
  for (size_t a = 0; a < div.size(); ++a) {
    if (spatial_shape[a] <= 0 || spatial_shape[a] % div[a] != 0) {
      throw InputError("network input", "extent " + std::to_string(spatial_shape[a]) + " on axis " + std::to_string(a) +
                                            ": expected a positive multiple of " + std::to_string(div[a]));
    }
  }
  NetworkMacs macs;
  Counter count(macs);
  const auto f = stage_features(config);
  const auto num_pool = static_cast<int64_t>(config.pool_kernel_sizes.size());
  const int64_t n = config.convs_per_stage;

  // Voxels per resolution level 0 .. num_pool.
  std::vector<int64_t> voxels;
  std::vector<int64_t> shape = spatial_shape;
  voxels.push_back(product(shape));
  for (const auto& k : config.pool_kernel_sizes) {
    for (size_t a = 0; a < shape.size(); ++a) {
      shape[a] /= k[a];
    }
    voxels.push_back(product(shape));
  }

  int64_t in = config.input_channels;
  for (int64_t d = 0; d < num_pool; ++d) {
    const auto& k = config.conv_kernel_sizes[static_cast<size_t>(d)];
    const std::string stage = "conv_blocks_context." + std::to_string(d) + ".blocks.";
    for (int64_t j = 0; j < n; ++j) {
      macs.encoder_conv += count.block(stage + std::to_string(j) + ".conv", j == 0 ? in : f[d], f[d], k, voxels[d]);
    }
    in = f[d];
  }
  {
    const auto& k = config.conv_kernel_sizes[static_cast<size_t>(num_pool)];
    const std::string stage = "conv_blocks_context." + std::to_string(num_pool) + ".";
    const int64_t v = voxels[num_pool];
    const int64_t first_unit = std::max<int64_t>(1, n - 1);
    for (int64_t j = 0; j < first_unit; ++j) {
      macs.encoder_conv +=
          count.block(stage + "0.blocks." + std::to_string(j) + ".conv", j == 0 ? in : f[num_pool], f[num_pool], k, v);
    }
    macs.encoder_conv += count.block(stage + "1.blocks.0.conv", f[num_pool], f[num_pool], k, v);
  }
  int64_t down = f[num_pool];
  for (int64_t u = 0; u < num_pool; ++u) {
    const int64_t level = num_pool - 1 - u;
    const int64_t skip = f[level];
    const auto& pool = config.pool_kernel_sizes[static_cast<size_t>(level)];
    const int64_t tconv = voxels[level + 1] * down * skip * product(pool);
    macs.layers.push_back({"tu." + std::to_string(u), tconv});
    macs.transposed_conv += tconv;

    const auto& k = decoder_conv_kernel(config, u);
    const std::string stage = "conv_blocks_localization." + std::to_string(u) + ".";
    const int64_t v = voxels[level];
    const int64_t first_unit = std::max<int64_t>(1, n - 1);
    for (int64_t j = 0; j < first_unit; ++j) {
      macs.decoder_conv +=
          count.block(stage + "0.blocks." + std::to_string(j) + ".conv", j == 0 ? 2 * skip : skip, skip, k, v);
    }
    macs.decoder_conv += count.block(stage + "1.blocks.0.conv", skip, skip, k, v);

    const int64_t head = v * skip * config.num_classes;
    macs.layers.push_back({"seg_outputs." + std::to_string(u), head});
    macs.heads += head;
    if (u != num_pool - 1) {
      macs.low_res_heads += head;
    }
    down = skip;
  }
  return macs;
}

}  // namespace nnseg
