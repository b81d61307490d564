// get_pool_and_conv_props, pad_shape and the VRAM estimate against spec/planning.md §12.1-§12.3.
#include "planning/network_topology.h"

#include <gtest/gtest.h>

namespace nnseg {
namespace {

KernelList repeat(std::vector<int> kernel, size_t n) { return KernelList(n, kernel); }
KernelList concat(KernelList a, const KernelList& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct PoolCase {
  std::vector<double> spacing;
  Shape patch;
  std::vector<int> num_pool;
  KernelList pools;
  KernelList convs;
  Shape patch_out;
  Shape divisor;
};

class PoolConvVectors : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolConvVectors, MatchesNnUnet) {
  const PoolCase& c = GetParam();
  PoolConvProps p = get_pool_and_conv_props(c.spacing, c.patch, 4, 999);
  EXPECT_EQ(p.num_pool_per_axis, c.num_pool);
  EXPECT_EQ(p.pool_op_kernel_sizes, c.pools);
  EXPECT_EQ(p.conv_kernel_sizes, c.convs);
  EXPECT_EQ(p.patch_size, c.patch_out);
  EXPECT_EQ(p.shape_must_be_divisible_by, c.divisor);
}

const std::vector<int> k222{2, 2, 2}, k122{1, 2, 2}, k211{2, 1, 1}, k333{3, 3, 3}, k133{1, 3, 3}, k22{2, 2}, k33{3, 3};

INSTANTIATE_TEST_SUITE_P(
    Spec12_1, PoolConvVectors,
    ::testing::Values(
        PoolCase{
            {1, 1, 1}, {139, 170, 138}, {5, 5, 5}, repeat(k222, 5), repeat(k333, 6), {160, 192, 160}, {32, 32, 32}},
        PoolCase{{5, 0.75, 0.75},
                 {20, 320, 320},
                 {2, 6, 6},
                 {k122, k122, k222, k222, k122, k122},
                 concat({k133, k133}, repeat(k333, 5)),
                 {20, 320, 320},
                 {4, 64, 64}},
        PoolCase{{2.5, 0.8, 0.8},
                 {64, 192, 160},
                 {4, 5, 5},
                 concat({k122}, repeat(k222, 4)),
                 concat({k133}, repeat(k333, 5)),
                 {64, 192, 160},
                 {16, 32, 32}},
        PoolCase{{3, 1, 1},
                 {40, 200, 200},
                 {3, 5, 5},
                 concat(concat({k122}, repeat(k222, 3)), {k122}),
                 concat({k133}, repeat(k333, 5)),
                 {40, 224, 224},
                 {8, 32, 32}},
        PoolCase{{1, 1}, {170, 138}, {5, 5}, repeat(k22, 5), repeat(k33, 6), {192, 160}, {32, 32}},
        PoolCase{{1, 1, 1}, {36, 50, 35}, {3, 3, 3}, repeat(k222, 3), repeat(k333, 4), {40, 56, 40}, {8, 8, 8}},
        PoolCase{{1, 1, 1}, {7, 100, 100}, {0, 1, 1}, {k122}, repeat(k333, 2), {7, 100, 100}, {1, 2, 2}},
        PoolCase{{10, 1.5, 1.5},
                 {9, 256, 216},
                 {1, 5, 5},
                 {k122, k122, k222, k122, k122},
                 concat({k133, k133}, repeat(k333, 4)),
                 {10, 256, 224},
                 {2, 32, 32}},
        PoolCase{{1, 1, 1}, {64, 64, 64}, {4, 4, 4}, repeat(k222, 4), repeat(k333, 5), {64, 64, 64}, {16, 16, 16}},
        PoolCase{{1, 1, 1},
                 {48, 64, 64},
                 {3, 4, 4},
                 concat(repeat(k222, 3), {k122}),
                 repeat(k333, 5),
                 {48, 64, 64},
                 {8, 16, 16}},
        PoolCase{{1, 1, 1}, {8, 8, 8}, {1, 1, 1}, {k222}, repeat(k333, 2), {8, 8, 8}, {2, 2, 2}},
        PoolCase{{1, 1, 1}, {9, 17, 33}, {1, 2, 2}, {k222, k122}, repeat(k333, 3), {10, 20, 36}, {2, 4, 4}},
        PoolCase{{1, 1, 1}, {200, 20, 20}, {3, 2, 2}, {k222, k222, k211}, repeat(k333, 4), {200, 20, 20}, {8, 4, 4}},
        PoolCase{{1, 1, 1}, {1, 256, 256}, {0, 1, 1}, {k122}, repeat(k333, 2), {1, 256, 256}, {1, 2, 2}},
        PoolCase{{1, 1.5, 1.5}, {8, 100, 100}, {1, 2, 2}, {k222, k122}, repeat(k333, 3), {8, 100, 100}, {2, 4, 4}}));

TEST(PadShape, Spec12_2) {
  EXPECT_EQ(pad_shape({139, 170, 138}, {32, 32, 32}), (Shape{160, 192, 160}));
  EXPECT_EQ(pad_shape({128, 128, 128}, {32, 32, 32}), (Shape{128, 128, 128}));
  EXPECT_EQ(pad_shape({1, 2, 3}, {1, 2, 4}), (Shape{1, 2, 4}));
  EXPECT_EQ(pad_shape({33, 64, 65}, {32, 32, 32}), (Shape{64, 64, 96}));
  EXPECT_EQ(pad_shape({0, 5, 8}, {8, 8, 8}), (Shape{0, 8, 8}));
  EXPECT_EQ(shape_must_be_divisible_by({5, 5, 3}), (Shape{32, 32, 8}));
}

TEST(VramEstimate, Spec12_3) {
  EXPECT_EQ(compute_approx_vram_consumption({128, 128, 128}, {5, 5, 5}, 32, 320, 4, 4, repeat(k222, 5), 2), 463282176);
  EXPECT_EQ(compute_approx_vram_consumption({128, 160, 128}, {5, 5, 5}, 32, 320, 4, 4, repeat(k222, 5), 2), 579102720);
  EXPECT_EQ(compute_approx_vram_consumption({160, 192, 160}, {5, 5, 5}, 32, 320, 4, 4, repeat(k222, 5), 2), 1085817600);
  EXPECT_EQ(compute_approx_vram_consumption({40, 56, 40}, {3, 3, 3}, 32, 320, 1, 3, repeat(k222, 3), 2), 19264000);
  EXPECT_EQ(compute_approx_vram_consumption({192, 160}, {5, 5}, 30, 512, 4, 4, repeat(k22, 5), 2), 9204480);
  EXPECT_EQ(compute_approx_vram_consumption({192, 160}, {5, 5}, 32, 512, 4, 4, repeat(k22, 5), 2), 9799680);
  EXPECT_EQ(compute_approx_vram_consumption({20, 320, 256}, {2, 6, 6}, 32, 320, 1, 3,
                                            {k122, k122, k222, k222, k122, k122}, 2),
            484953600);
}

// Pitfall 3: feature maps are truncated at each pooling (5 -> 2), not rounded or kept fractional.
TEST(VramEstimate, TruncatesFeatureMapsPitfall3) {
  // (5,7,9) pooled once -> (2,3,4): 5*315*32 + 315 + 2*315 + 2*24*64 = 54417.
  EXPECT_EQ(compute_approx_vram_consumption({5, 7, 9}, {1, 1, 1}, 32, 320, 1, 2, {k222}, 2), 54417);
}

// Pitfall 3: 64-bit arithmetic; a 512^3 patch with 320 features overflows 32 bits many times over.
TEST(VramEstimate, Uses64BitIntegers) {
  const int64_t v = compute_approx_vram_consumption({512, 512, 512}, {7, 7, 7}, 32, 320, 1, 3, repeat(k222, 7), 2);
  // 164*512^3 + 5*(256^3*64 + 128^3*128 + 64^3*256 + 32^3*320 + 16^3*320 + 8^3*320) + 2*4^3*320
  EXPECT_EQ(v, int64_t{29117980672});
}

// Pitfall 7: the minimum spacing is over all axes, so a thin axis that stops pooling stops the others early.
TEST(PoolConvProps, ThinAxisStopsOthersPitfall7) {
  PoolConvProps p = get_pool_and_conv_props({1, 1, 1}, {7, 100, 100});
  EXPECT_EQ(p.num_pool_per_axis, (std::vector<int>{0, 1, 1}));
}

}  // namespace
}  // namespace nnseg
