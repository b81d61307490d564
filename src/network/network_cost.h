// Forward-pass cost of Generic_UNet counted from its structure, without running it (spec/network.md §8):
// conv MACs = output elements x in_channels x prod(kernel); transposed conv MACs = input elements x out x prod(k).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "network/network_config.h"

namespace nnseg {

struct LayerMacs {
  std::string name;  // state-dict module name, e.g. "conv_blocks_context.1.blocks.0.conv", "tu.0"
  int64_t macs = 0;  // multiply-adds for batch 1
};

struct NetworkMacs {
  int64_t encoder_conv = 0;         // encoder convs incl. the bottleneck
  int64_t decoder_conv = 0;         // decoder convs (without heads and transposed convs)
  int64_t transposed_conv = 0;      // the upsampling transposed convs
  int64_t heads = 0;                // all 1x1 segmentation heads
  int64_t low_res_heads = 0;        // the heads other than the full-resolution one (skippable at inference)
  int64_t bias_additions = 0;       // one per output element of a conv with bias
  int64_t normalized_elements = 0;  // elements passing through the norms (= through the LeakyReLUs)
  std::vector<LayerMacs> layers;    // every conv, transposed conv and head, in forward order

  int64_t conv() const { return encoder_conv + decoder_conv + heads; }
  int64_t total() const { return conv() + transposed_conv; }
};

// Cost of one forward pass of batch 1 with the given spatial input shape (array order). Throws InputError when an
// extent is not a multiple of input_divisibility(config).
NetworkMacs count_forward_macs(const NetworkConfig& config, const std::vector<int64_t>& spatial_shape);

}  // namespace nnseg
