// Poly learning rate against spec/training.md T1.
#include "training/poly_lr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace nnseg {
namespace {

TEST(PolyLr, TestVectorT1) {
  const std::pair<int64_t, double> want[] = {{0, 0.01},
                                             {1, 0.009990999549834914},
                                             {250, 0.007718895067235705},
                                             {500, 0.005358867312681466},
                                             {750, 0.0028717458874925874},
                                             {999, 1.995262314968881e-05},
                                             {1000, 0.0}};
  for (const auto& [epoch, lr] : want) {
    EXPECT_NEAR(poly_lr(epoch, 1000, 0.01), lr, 1e-15 + 1e-13 * lr) << "epoch " << epoch;
  }
  char logged[32];
  std::snprintf(logged, sizeof logged, "%.6f", poly_lr(1, 1000, 0.01));
  EXPECT_STREQ(logged, "0.009991");
}

TEST(PolyLr, ShortRunsScaleTheDenominator) {
  EXPECT_DOUBLE_EQ(poly_lr(5, 10, 0.01), 0.01 * std::pow(0.5, 0.9));
  EXPECT_DOUBLE_EQ(poly_lr(0, 1, 0.02), 0.02);
  EXPECT_DOUBLE_EQ(poly_lr(2, 4, 1.0, 1.0), 0.5);
}

TEST(PolyLr, EpochOutsideTheRunIsAnInternalError) {
  EXPECT_THROW(poly_lr(1001, 1000, 0.01), Error);
  EXPECT_THROW(poly_lr(-1, 1000, 0.01), Error);
  EXPECT_THROW(poly_lr(0, 0, 0.01), Error);
}

}  // namespace
}  // namespace nnseg
