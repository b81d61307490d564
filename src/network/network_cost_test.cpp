// Structural MAC count against spec/network.md §8 (test vectors N6, N7).
#include "network/network_cost.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace nnseg {
namespace {

TEST(NetworkCost, BratsAt128N6) {
  const auto m = count_forward_macs(brats_3d_fullres_network_config(4), {128, 128, 128});
  EXPECT_EQ(m.total(), 482890350592);
  EXPECT_EQ(m.conv(), 474986184704);
  EXPECT_EQ(m.transposed_conv, 7904165888);
  EXPECT_EQ(m.encoder_conv, 144233201664);
  EXPECT_EQ(m.decoder_conv + m.transposed_conv + m.heads, 338657148928);
  EXPECT_EQ(m.low_res_heads, 88735744);
  EXPECT_EQ(m.bias_additions, 357212160);
  EXPECT_EQ(m.normalized_elements, 357212160);
  ASSERT_EQ(m.layers.size(), 22u + 5u + 5u);
  std::map<std::string, int64_t> by_name;
  for (const auto& l : m.layers) by_name[l.name] = l.macs;
  EXPECT_EQ(by_name["conv_blocks_context.0.blocks.0.conv"], 7247757312);
  EXPECT_EQ(by_name["conv_blocks_context.1.blocks.0.conv"], 14495514624);
  EXPECT_EQ(by_name["conv_blocks_context.5.0.blocks.0.conv"], 176947200);
  EXPECT_EQ(by_name["tu.0"], 52428800);
  EXPECT_EQ(by_name["conv_blocks_localization.0.0.blocks.0.conv"], 2831155200);
  EXPECT_EQ(by_name["seg_outputs.0"], 655360);
  EXPECT_EQ(by_name["tu.4"], 4294967296);
  EXPECT_EQ(by_name["conv_blocks_localization.4.0.blocks.0.conv"], 115964116992);
  EXPECT_EQ(by_name["seg_outputs.4"], 268435456);
}

TEST(NetworkCost, BratsAt64IsOneEighthN7) {
  const auto m = count_forward_macs(brats_3d_fullres_network_config(4), {64, 64, 64});
  EXPECT_EQ(m.total(), 60361293824);
}

TEST(NetworkCost, ThreeOutputsSaveOnlyHeadMacs) {
  const auto four = count_forward_macs(brats_3d_fullres_network_config(4), {128, 128, 128});
  const auto three = count_forward_macs(brats_3d_fullres_network_config(3), {128, 128, 128});
  EXPECT_EQ(four.heads - three.heads, four.heads / 4);
  EXPECT_EQ(four.encoder_conv, three.encoder_conv);
}

TEST(NetworkCost, RejectsNonDivisibleShapes) {
  try {
    count_forward_macs(brats_3d_fullres_network_config(4), {128, 100, 128});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(format_error(e).find("extent 100 on axis 1: expected a positive multiple of 32"), std::string::npos)
        << format_error(e);
  }
  EXPECT_THROW(count_forward_macs(brats_3d_fullres_network_config(4), {128, 128}), InputError);
}

}  // namespace
}  // namespace nnseg
