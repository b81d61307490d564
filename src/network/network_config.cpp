// NetworkConfig checks and the derived numbers of nnU-Net v1's Generic_UNet (spec/network.md §1, §3, §9).
#include "network/network_config.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "core/check.h"
#include "core/error.h"

namespace nnseg {
namespace {

const char* const kItem = "network configuration";

std::string format_kernel(const std::vector<int64_t>& k) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < k.size(); ++i) {
    s << (i ? ", " : "") << k[i];
  }
  s << "]";
  return s.str();
}

void check_positive(const char* name, int64_t value) {
  if (value < 1) {
    throw InputError(kItem, std::string(name) + " = " + std::to_string(value) + ": expected >= 1");
  }
}

}  // namespace

NetworkConfig brats_3d_fullres_network_config(int64_t num_classes) {
  NetworkConfig c;
  c.input_channels = 4;
  c.num_classes = num_classes;
  c.base_num_features = 32;
  c.max_num_features = 320;
  c.pool_kernel_sizes.assign(5, {2, 2, 2});
  c.conv_kernel_sizes.assign(6, {3, 3, 3});
  c.convs_per_stage = 2;
  return c;
}

void validate_network_config(const NetworkConfig& config) {
  check_positive("input_channels", config.input_channels);
  check_positive("num_classes", config.num_classes);
  check_positive("base_num_features", config.base_num_features);
  check_positive("max_num_features", config.max_num_features);
  check_positive("convs_per_stage", config.convs_per_stage);
  if (config.pool_kernel_sizes.empty()) {
    throw InputError(kItem, "pool_kernel_sizes is empty: expected at least one pooling");
  }
  if (config.conv_kernel_sizes.size() != config.pool_kernel_sizes.size() + 1) {
    throw InputError(kItem, "conv_kernel_sizes has " + std::to_string(config.conv_kernel_sizes.size()) +
                                " entries: expected len(pool_kernel_sizes) + 1 = " +
                                std::to_string(config.pool_kernel_sizes.size() + 1));
  }
  const size_t dims = config.conv_kernel_sizes[0].size();
  if (dims != 2 && dims != 3) {
    throw InputError(
        kItem, "conv_kernel_sizes[0] = " + format_kernel(config.conv_kernel_sizes[0]) + ": expected 2 or 3 values");
  }
  for (size_t i = 0; i < config.conv_kernel_sizes.size(); ++i) {
    const auto& k = config.conv_kernel_sizes[i];
    const bool sizes_ok = std::all_of(k.begin(), k.end(), [](int64_t v) { return v == 1 || v == 3; });
    if (k.size() != dims || !sizes_ok) {
      throw InputError(kItem, "conv_kernel_sizes[" + std::to_string(i) + "] = " + format_kernel(k) + ": expected " +
                                  std::to_string(dims) + " values, each 1 or 3");
    }
  }
  for (size_t i = 0; i < config.pool_kernel_sizes.size(); ++i) {
    const auto& k = config.pool_kernel_sizes[i];
    const bool sizes_ok = std::all_of(k.begin(), k.end(), [](int64_t v) { return v >= 1; });
    if (k.size() != dims || !sizes_ok) {
      throw InputError(kItem, "pool_kernel_sizes[" + std::to_string(i) + "] = " + format_kernel(k) + ": expected " +
                                  std::to_string(dims) + " values, each >= 1");
    }
  }
}

int64_t network_spatial_dims(const NetworkConfig& config) {
  NNSEG_CHECK(!config.conv_kernel_sizes.empty()) << "network configuration without conv kernels";
  return static_cast<int64_t>(config.conv_kernel_sizes[0].size());
}

std::vector<int64_t> stage_features(const NetworkConfig& config) {
  // v1: output_features = min(int(np.round(output_features * 2)), max); exact in integers for the factor 2.
  std::vector<int64_t> f;
  int64_t features = config.base_num_features;
  for (size_t d = 0; d <= config.pool_kernel_sizes.size(); ++d) {
    f.push_back(features);
    features = std::min(features * 2, config.max_num_features);
  }
  return f;
}

std::vector<int64_t> input_divisibility(const NetworkConfig& config) {
  std::vector<int64_t> div(static_cast<size_t>(network_spatial_dims(config)), 1);
  for (const auto& k : config.pool_kernel_sizes) {
    for (size_t a = 0; a < div.size(); ++a) {
      div[a] *= k[a];
    }
  }
  return div;
}

std::vector<int64_t> conv_padding(const std::vector<int64_t>& kernel) {
  std::vector<int64_t> pad;
  for (int64_t k : kernel) {
    pad.push_back(k == 3 ? 1 : 0);
  }
  return pad;
}

const std::vector<int64_t>& decoder_conv_kernel(const NetworkConfig& config, int64_t u) {
  const auto num_pool = static_cast<int64_t>(config.pool_kernel_sizes.size());
  NNSEG_CHECK(u >= 0 && u < num_pool) << "decoder level " << u << " of " << num_pool;
  return config.conv_kernel_sizes[static_cast<size_t>(num_pool - u)];
}

}  // namespace nnseg
