// Test helper shared by the tests that run src/network/generic_unet_reference.py: a NetworkConfig as the JSON
// object the reference script reads ({"in", "classes", "base", "max", "pools", "kernels", "convs", "norm"}).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "network/network_config.h"

namespace nnseg::testing {

inline std::string json_int_lists(const std::vector<std::vector<int64_t>>& v) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) {
    s << (i ? "," : "") << "[";
    for (size_t j = 0; j < v[i].size(); ++j) s << (j ? "," : "") << v[i][j];
    s << "]";
  }
  s << "]";
  return s.str();
}

inline std::string reference_network_json(const NetworkConfig& c) {
  std::ostringstream s;
  s << R"({"in":)" << c.input_channels << R"(,"classes":)" << c.num_classes << R"(,"base":)" << c.base_num_features
    << R"(,"max":)" << c.max_num_features << R"(,"pools":)" << json_int_lists(c.pool_kernel_sizes) << R"(,"kernels":)"
    << json_int_lists(c.conv_kernel_sizes) << R"(,"convs":)" << c.convs_per_stage << R"(,"norm":")"
    << (c.norm == NormKind::kBatch ? "batch" : "instance") << R"("})";
  return s.str();
}

}  // namespace nnseg::testing
