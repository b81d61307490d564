// Deep-supervision weights, target downsampling and loss combination (spec/training.md §4.4, §7.3, T2, T4, T8).
#include "training/deep_supervision.h"

#include <torch/torch.h>

#include <cmath>

#include "core/check.h"

namespace nnseg {

std::vector<double> deep_supervision_weights(int64_t num_outputs) {
  NNSEG_CHECK(num_outputs >= 1) << "deep supervision with " << num_outputs << " outputs";
  std::vector<double> w;
  double sum = 0.0;
  for (int64_t i = 0; i < num_outputs; ++i) {
    // v1 masks out i == n - 1 for i >= 1 (the comment there says "lowest 2", the code zeroes one).
    const double v = (i > 0 && i == num_outputs - 1) ? 0.0 : 1.0 / std::pow(2.0, static_cast<double>(i));
    w.push_back(v);
    sum += v;
  }
  for (double& v : w) {
    v /= sum;
  }
  return w;
}

std::vector<std::vector<double>> deep_supervision_scales(const std::vector<std::vector<int64_t>>& pool_kernel_sizes) {
  NNSEG_CHECK(!pool_kernel_sizes.empty()) << "deep supervision without poolings";
  std::vector<std::vector<double>> scales;
  std::vector<double> cumulative(pool_kernel_sizes[0].size(), 1.0);
  scales.emplace_back(cumulative.size(), 1.0);
  for (size_t p = 0; p + 1 < pool_kernel_sizes.size(); ++p) {
    NNSEG_CHECK(pool_kernel_sizes[p].size() == cumulative.size()) << "pool kernel " << p << " has a different rank";
    std::vector<double> s;
    for (size_t a = 0; a < cumulative.size(); ++a) {
      cumulative[a] *= static_cast<double>(pool_kernel_sizes[p][a]);
      s.push_back(1.0 / cumulative[a]);
    }
    scales.push_back(s);
  }
  return scales;
}

std::vector<int64_t> nearest_source_indices(int64_t in, int64_t out) {
  NNSEG_CHECK(in > 0 && out > 0) << "resize " << in << " -> " << out;
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < out; ++i) {
    // floor((2i + 1) * in / (2 out)) in integers: exact where the float form has ties (factor 2 -> 2i + 1).
    idx.push_back(std::min((2 * i + 1) * in / (2 * out), in - 1));
  }
  return idx;
}

torch::Tensor resize_labels_nearest(const torch::Tensor& labels, const std::vector<int64_t>& spatial_shape) {
  NNSEG_CHECK(labels.dim() == static_cast<int64_t>(spatial_shape.size()) + 2)
      << "labels " << labels.sizes() << " vs target shape of " << spatial_shape.size() << " axes";
  torch::Tensor out = labels;
  for (size_t a = 0; a < spatial_shape.size(); ++a) {
    const auto axis = static_cast<int64_t>(a) + 2;
    if (out.size(axis) == spatial_shape[a]) {
      continue;  // identity mapping: index i reads i
    }
    const auto idx = nearest_source_indices(out.size(axis), spatial_shape[a]);
    out = out.index_select(axis, torch::tensor(idx, torch::TensorOptions().dtype(torch::kLong)).to(labels.device()));
  }
  return out;
}

std::vector<torch::Tensor> downsample_labels_for_deep_supervision(const torch::Tensor& labels,
                                                                  const std::vector<std::vector<double>>& scales) {
  std::vector<torch::Tensor> out;
  for (const auto& s : scales) {
    NNSEG_CHECK(labels.dim() == static_cast<int64_t>(s.size()) + 2)
        << "labels " << labels.sizes() << " vs scale of " << s.size() << " axes";
    bool identity = true;
    std::vector<int64_t> shape;
    for (size_t a = 0; a < s.size(); ++a) {
      identity = identity && s[a] == 1.0;
      shape.push_back(static_cast<int64_t>(std::nearbyint(static_cast<double>(labels.size(a + 2)) * s[a])));
    }
    out.push_back(identity ? labels : resize_labels_nearest(labels, shape));
  }
  return out;
}

torch::Tensor deep_supervision_loss(const std::vector<torch::Tensor>& outputs,
                                    const std::vector<torch::Tensor>& targets, const std::vector<double>& weights,
                                    const OutputLoss& loss) {
  NNSEG_CHECK(!outputs.empty() && outputs.size() == targets.size() && outputs.size() == weights.size())
      << outputs.size() << " outputs, " << targets.size() << " targets, " << weights.size() << " weights";
  torch::Tensor total = weights[0] * loss(outputs[0], targets[0]);
  for (size_t i = 1; i < outputs.size(); ++i) {
    if (weights[i] != 0.0) {
      total = total + weights[i] * loss(outputs[i], targets[i]);
    }
  }
  return total;
}

}  // namespace nnseg
