// Pooling/convolution topology and VRAM estimate (planning/network_topology.h), as nnU-Net v1.7.1.
#include "planning/network_topology.h"

#include <algorithm>

#include "core/check.h"

namespace nnseg {

PoolConvProps get_pool_and_conv_props(const std::vector<double>& spacing, const Shape& patch_size,
                                      int64_t min_feature_map_size, int max_numpool) {
  const size_t dim = spacing.size();
  NNSEG_CHECK(patch_size.size() == dim) << "spacing has " << dim << " axes, patch " << patch_size.size();
  std::vector<double> current_spacing = spacing;
  Shape current_size = patch_size;
  PoolConvProps props;
  props.num_pool_per_axis.assign(dim, 0);

  while (true) {
    // The minimum is over all axes, also those that can no longer be pooled (spec/planning.md §11 pitfall 7).
    const double min_spacing = *std::min_element(current_spacing.begin(), current_spacing.end());
    std::vector<bool> valid(dim, false);
    for (size_t i = 0; i < dim; ++i) valid[i] = current_spacing[i] / min_spacing < 2;

    // Convolution kernel: 3 on the first largest group of axes whose spacings lie within a factor 2.
    std::vector<size_t> axes;
    for (size_t a = 0; a < dim; ++a) {
      const double mine = current_spacing[a];
      std::vector<size_t> partners;
      for (size_t i = 0; i < dim; ++i) {
        if (current_spacing[i] / mine < 2 && mine / current_spacing[i] < 2) partners.push_back(i);
      }
      if (partners.size() > axes.size()) axes = partners;
    }
    std::vector<int> conv_kernel(dim, 1);
    for (size_t i : axes) conv_kernel[i] = 3;

    bool any_valid = false;
    for (size_t i = 0; i < dim; ++i) {
      if (current_size[i] < 2 * min_feature_map_size) valid[i] = false;
      if (props.num_pool_per_axis[i] >= max_numpool) valid[i] = false;
      any_valid = any_valid || valid[i];
    }
    if (!any_valid) break;

    std::vector<int> pool_kernel(dim, 1);
    for (size_t i = 0; i < dim; ++i) {
      if (!valid[i]) continue;
      pool_kernel[i] = 2;
      props.num_pool_per_axis[i] += 1;
      current_spacing[i] *= 2;
      current_size[i] = (current_size[i] + 1) / 2;  // np.ceil(size / 2) for non-negative sizes
    }
    props.pool_op_kernel_sizes.push_back(pool_kernel);
    props.conv_kernel_sizes.push_back(conv_kernel);
  }

  props.shape_must_be_divisible_by = shape_must_be_divisible_by(props.num_pool_per_axis);
  props.patch_size = pad_shape(patch_size, props.shape_must_be_divisible_by);
  props.conv_kernel_sizes.emplace_back(dim, 3);  // the bottleneck always gets 3x3(x3)
  return props;
}

Shape pad_shape(const Shape& shape, const Shape& must_be_divisible_by) {
  NNSEG_CHECK(shape.size() == must_be_divisible_by.size()) << "pad_shape: axes differ";
  Shape out(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t d = must_be_divisible_by[i];
    NNSEG_CHECK(d > 0 && shape[i] >= 0) << "pad_shape(" << shape[i] << ", " << d << ")";
    out[i] = shape[i] % d == 0 ? shape[i] : shape[i] + d - shape[i] % d;
  }
  return out;
}

Shape shape_must_be_divisible_by(const std::vector<int>& num_pool_per_axis) {
  Shape out;
  for (int n : num_pool_per_axis) out.push_back(int64_t{1} << n);
  return out;
}

int64_t compute_approx_vram_consumption(const Shape& patch_size, const std::vector<int>& num_pool_per_axis,
                                        int64_t base_num_features, int64_t max_num_features, int64_t num_modalities,
                                        int64_t num_classes, const KernelList& pool_op_kernel_sizes,
                                        int64_t conv_per_stage) {
  auto prod = [](const Shape& s) {
    int64_t p = 1;
    for (int64_t v : s) p *= v;
    return p;
  };
  const size_t npool = pool_op_kernel_sizes.size();
  Shape map_size = patch_size;
  int64_t total = (conv_per_stage * 2 + 1) * prod(map_size) * base_num_features + num_modalities * prod(map_size) +
                  num_classes * prod(map_size);
  int64_t num_feat = base_num_features;
  for (size_t p = 0; p < npool; ++p) {
    // v1 divides per entry of num_pool_per_axis, in place on an integer array: truncation.
    for (size_t i = 0; i < num_pool_per_axis.size(); ++i) map_size[i] /= pool_op_kernel_sizes[p][i];
    num_feat = std::min(num_feat * 2, max_num_features);
    const int64_t num_blocks = p + 1 < npool ? conv_per_stage * 2 + 1 : conv_per_stage;
    total += num_blocks * prod(map_size) * num_feat;
  }
  return total;
}

}  // namespace nnseg
