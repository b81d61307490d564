// NumpyRandomState against spec/preprocessing.md §12.5 vectors.
#include "core/numpy_random.h"

#include <gtest/gtest.h>

namespace nnseg {
namespace {

TEST(NumpyRandomState, FirstOutputs) {
  NumpyRandomState a(1234), b(12345);
  std::vector<uint32_t> ea{822569775u, 2137449171u, 2671936806u, 3512589365u, 1880026316u};
  std::vector<uint32_t> eb{3992670690u, 3823185381u, 1358822685u, 561383553u, 789925284u};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(a.next_uint32(), ea[i]);
    EXPECT_EQ(b.next_uint32(), eb[i]);
  }
}

TEST(NumpyRandomState, Permutations) {
  EXPECT_EQ(NumpyRandomState(1234).permutation(10), (std::vector<int64_t>{7, 2, 9, 1, 0, 8, 4, 5, 6, 3}));
  EXPECT_EQ(NumpyRandomState(12345).permutation(10), (std::vector<int64_t>{0, 7, 3, 9, 6, 4, 1, 8, 5, 2}));
  EXPECT_EQ(NumpyRandomState(1234).permutation(5), (std::vector<int64_t>{4, 0, 1, 2, 3}));
  auto p = NumpyRandomState(12345).permutation(369);
  p.resize(12);
  EXPECT_EQ(p, (std::vector<int64_t>{38, 283, 97, 85, 207, 173, 48, 164, 359, 99, 219, 19}));
}

TEST(NumpyRandomState, ChoiceAndInterval) {
  EXPECT_EQ(NumpyRandomState(1234).choice_without_replacement(100, 7),
            (std::vector<int64_t>{40, 35, 81, 61, 98, 68, 85}));
  NumpyRandomState r(1234);
  EXPECT_EQ(r.interval(9), 3u);
  EXPECT_EQ(NumpyRandomState(7).interval(0), 0u);
}

}  // namespace
}  // namespace nnseg
