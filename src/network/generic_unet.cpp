// Generic_UNet construction and forward pass (spec/network.md §2-§5), registered under nnU-Net v1's module names:
// conv_blocks_localization, conv_blocks_context, td (empty: convolutional pooling), tu, seg_outputs.
#include "network/generic_unet.h"

#include <torch/nn/functional/instancenorm.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/instancenorm.h>

#include <algorithm>
#include <array>
#include <sstream>
#include <string>
#include <utility>

#include "core/error.h"
#include "network/init_weights.h"

namespace nnseg {
namespace {

using torch::nn::AnyModule;

constexpr double kNormEps = 1e-5;
constexpr double kBatchNormMomentum = 0.1;
constexpr double kLeakySlope = 1e-2;

AnyModule make_conv(int64_t dims, int64_t in, int64_t out, const std::vector<int64_t>& kernel,
                    const std::vector<int64_t>& stride, const std::vector<int64_t>& padding, bool bias) {
  if (dims == 3) {
    return AnyModule(torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, torch::ExpandingArray<3>(kernel))
                                           .stride(torch::ExpandingArray<3>(stride))
                                           .padding(torch::ExpandingArray<3>(padding))
                                           .bias(bias)));
  }
  return AnyModule(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, torch::ExpandingArray<2>(kernel))
                                         .stride(torch::ExpandingArray<2>(stride))
                                         .padding(torch::ExpandingArray<2>(padding))
                                         .bias(bias)));
}

// Kernel = stride = the pool kernel, no bias (v1 `transpconv(..., bias=False)`).
AnyModule make_transposed_conv(int64_t dims, int64_t in, int64_t out, const std::vector<int64_t>& kernel) {
  if (dims == 3) {
    return AnyModule(
        torch::nn::ConvTranspose3d(torch::nn::ConvTranspose3dOptions(in, out, torch::ExpandingArray<3>(kernel))
                                       .stride(torch::ExpandingArray<3>(kernel))
                                       .bias(false)));
  }
  return AnyModule(
      torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(in, out, torch::ExpandingArray<2>(kernel))
                                     .stride(torch::ExpandingArray<2>(kernel))
                                     .bias(false)));
}

AnyModule make_norm(int64_t dims, int64_t channels, NormKind kind) {
  if (kind == NormKind::kBatch) {
    if (dims == 3) {
      return AnyModule(torch::nn::BatchNorm3d(
          torch::nn::BatchNorm3dOptions(channels).eps(kNormEps).momentum(kBatchNormMomentum).affine(true)));
    }
    return AnyModule(torch::nn::BatchNorm2d(
        torch::nn::BatchNorm2dOptions(channels).eps(kNormEps).momentum(kBatchNormMomentum).affine(true)));
  }
  if (dims == 3) {
    return AnyModule(torch::nn::InstanceNorm3d(
        torch::nn::InstanceNorm3dOptions(channels).eps(kNormEps).affine(true).track_running_stats(false)));
  }
  return AnyModule(torch::nn::InstanceNorm2d(
      torch::nn::InstanceNorm2dOptions(channels).eps(kNormEps).affine(true).track_running_stats(false)));
}

// v1 ConvDropoutNormNonlin with dropout p = 0 (no dropout module): conv -> norm -> LeakyReLU(0.01).
class ConvNormNonlinImpl : public torch::nn::Module {
 public:
  ConvNormNonlinImpl(int64_t dims, int64_t in, int64_t out, const std::vector<int64_t>& kernel,
                     const std::vector<int64_t>& stride, NormKind norm)
      : conv_(make_conv(dims, in, out, kernel, stride, conv_padding(kernel), /*bias=*/true)),
        norm_(make_norm(dims, out, norm)),
        lrelu_(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(kLeakySlope).inplace(true))) {
    register_module("conv", conv_.ptr());
    register_module("instnorm", norm_.ptr());
    register_module("lrelu", lrelu_.ptr());
  }

  torch::Tensor forward(const torch::Tensor& x) { return lrelu_.forward(norm_.forward(conv_.forward(x))); }

 private:
  AnyModule conv_;
  AnyModule norm_;
  AnyModule lrelu_;
};

// v1 StackedConvLayers: `blocks` holds max(1, num_convs) blocks; only the first has stride `first_stride`.
class StackedConvLayersImpl : public torch::nn::Module {
 public:
  StackedConvLayersImpl(int64_t dims, int64_t in, int64_t out, int64_t num_convs, const std::vector<int64_t>& kernel,
                        const std::vector<int64_t>& first_stride, NormKind norm) {
    const std::vector<int64_t> ones(static_cast<size_t>(dims), 1);
    torch::nn::ModuleList list;
    for (int64_t j = 0; j < std::max<int64_t>(1, num_convs); ++j) {
      auto block = std::make_shared<ConvNormNonlinImpl>(dims, j == 0 ? in : out, out, kernel,
                                                        j == 0 ? first_stride : ones, norm);
      list->push_back(block);
      blocks_.push_back(std::move(block));
    }
    register_module("blocks", list);
  }

  torch::Tensor forward(torch::Tensor x) {
    for (auto& b : blocks_) {
      x = b->forward(x);
    }
    return x;
  }

 private:
  std::vector<std::shared_ptr<ConvNormNonlinImpl>> blocks_;
};

}  // namespace

struct GenericUNetLayers {
  std::vector<std::shared_ptr<StackedConvLayersImpl>> encoder;                 // conv_blocks_context.0 .. num_pool-1
  std::vector<std::shared_ptr<StackedConvLayersImpl>> bottleneck;              // conv_blocks_context.num_pool.{0,1}
  std::vector<std::array<std::shared_ptr<StackedConvLayersImpl>, 2>> decoder;  // conv_blocks_localization.u.{0,1}
  std::vector<AnyModule> tu;                                                   // tu.u
  std::vector<AnyModule> heads;                                                // seg_outputs.u
};

GenericUNetImpl::GenericUNetImpl(NetworkConfig config, at::Generator generator)
    : config_(std::move(config)), layers_(std::make_shared<GenericUNetLayers>()) {
  validate_network_config(config_);
  const int64_t dims = network_spatial_dims(config_);
  const auto f = stage_features(config_);
  const auto num_pool = static_cast<int64_t>(config_.pool_kernel_sizes.size());
  const int64_t n = config_.convs_per_stage;
  const std::vector<int64_t> ones(static_cast<size_t>(dims), 1);
  auto& L = *layers_;

  torch::nn::ModuleList context;
  int64_t in = config_.input_channels;
  for (int64_t d = 0; d < num_pool; ++d) {
    const auto& stride = d == 0 ? ones : config_.pool_kernel_sizes[static_cast<size_t>(d - 1)];
    auto stage = std::make_shared<StackedConvLayersImpl>(
        dims, in, f[d], n, config_.conv_kernel_sizes[static_cast<size_t>(d)], stride, config_.norm);
    context->push_back(stage);
    L.encoder.push_back(std::move(stage));
    in = f[d];
  }
  {
    // Bottleneck: (n - 1) strided convs then one more (v1's nn.Sequential of two StackedConvLayers). With
    // convolutional upsampling its output width is f[num_pool] (network.md §3).
    const auto& kernel = config_.conv_kernel_sizes[static_cast<size_t>(num_pool)];
    const auto& stride = config_.pool_kernel_sizes[static_cast<size_t>(num_pool - 1)];
    torch::nn::ModuleList units;
    L.bottleneck.push_back(
        std::make_shared<StackedConvLayersImpl>(dims, in, f[num_pool], n - 1, kernel, stride, config_.norm));
    L.bottleneck.push_back(
        std::make_shared<StackedConvLayersImpl>(dims, f[num_pool], f[num_pool], 1, kernel, ones, config_.norm));
    units->push_back(L.bottleneck[0]);
    units->push_back(L.bottleneck[1]);
    context->push_back(units);
  }

  torch::nn::ModuleList localization;
  torch::nn::ModuleList tu;
  torch::nn::ModuleList seg_outputs;
  int64_t down = f[num_pool];
  for (int64_t u = 0; u < num_pool; ++u) {
    const int64_t level = num_pool - 1 - u;
    const int64_t skip = f[level];
    L.tu.push_back(make_transposed_conv(dims, down, skip, config_.pool_kernel_sizes[static_cast<size_t>(level)]));
    tu->push_back(L.tu.back().ptr());

    const auto& kernel = decoder_conv_kernel(config_, u);
    std::array<std::shared_ptr<StackedConvLayersImpl>, 2> unit = {
        std::make_shared<StackedConvLayersImpl>(dims, 2 * skip, skip, n - 1, kernel, ones, config_.norm),
        std::make_shared<StackedConvLayersImpl>(dims, skip, skip, 1, kernel, ones, config_.norm)};
    torch::nn::ModuleList units;
    units->push_back(unit[0]);
    units->push_back(unit[1]);
    localization->push_back(units);
    L.decoder.push_back(unit);

    L.heads.push_back(make_conv(dims, skip, config_.num_classes, ones, ones, std::vector<int64_t>(ones.size(), 0),
                                /*bias=*/false));
    seg_outputs->push_back(L.heads.back().ptr());
    down = skip;
  }

  // Registration order = v1's state-dict order (network.md §7).
  register_module("conv_blocks_localization", localization);
  register_module("conv_blocks_context", context);
  register_module("td", torch::nn::ModuleList());
  register_module("tu", tu);
  register_module("seg_outputs", seg_outputs);

  init_weights_he(*this, kHeNegativeSlope, std::move(generator));
}

int64_t GenericUNetImpl::num_outputs() const {
  return config_.deep_supervision && do_ds_ ? static_cast<int64_t>(config_.pool_kernel_sizes.size()) : 1;
}

std::vector<torch::Tensor> GenericUNetImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> outputs;
  if (config_.deep_supervision && do_ds_) {
    run(x, /*all_heads=*/true, &outputs);
    std::reverse(outputs.begin(), outputs.end());  // highest resolution first
  } else {
    outputs.push_back(run(x, /*all_heads=*/false, nullptr));
  }
  return outputs;
}

torch::Tensor GenericUNetImpl::predict_logits(const torch::Tensor& x) { return run(x, /*all_heads=*/false, nullptr); }

torch::Tensor GenericUNetImpl::run(const torch::Tensor& x, bool all_heads, std::vector<torch::Tensor>* outputs) {
  const int64_t dims = network_spatial_dims(config_);
  const auto div = input_divisibility(config_);
  bool ok = x.defined() && x.dim() == dims + 2 && x.size(1) == config_.input_channels;
  for (int64_t a = 0; ok && a < dims; ++a) {
    ok = x.size(a + 2) > 0 && x.size(a + 2) % div[static_cast<size_t>(a)] == 0;
  }
  if (!ok) {
    std::ostringstream msg;
    msg << "input shape " << (x.defined() ? x.sizes() : at::IntArrayRef{}) << ": expected [B, "
        << config_.input_channels << ", ...] with " << dims << " spatial extents, each a multiple of "
        << at::IntArrayRef(div);
    throw InputError("network input", msg.str());
  }
  auto& L = *layers_;
  const auto num_pool = L.encoder.size();
  std::vector<torch::Tensor> skips;
  torch::Tensor h = x;
  for (auto& stage : L.encoder) {
    h = stage->forward(h);
    skips.push_back(h);
  }
  for (auto& unit : L.bottleneck) {
    h = unit->forward(h);
  }
  torch::Tensor last;
  for (size_t u = 0; u < num_pool; ++u) {
    h = L.tu[u].forward(h);
    h = torch::cat({h, skips[num_pool - 1 - u]}, 1);  // [upsampled, skip]
    h = L.decoder[u][1]->forward(L.decoder[u][0]->forward(h));
    if (all_heads || u + 1 == num_pool) {
      last = L.heads[u].forward(h);
      if (outputs != nullptr) {
        outputs->push_back(last);
      }
    }
  }
  return last;
}

int64_t count_parameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const auto& p : module.parameters()) {
    total += p.numel();
  }
  return total;
}

}  // namespace nnseg
