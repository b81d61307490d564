// The few NumPy/Python numerics the planner must reproduce bit for bit (spec/planning.md, preamble and §11):
// np.median, np.percentile (linear), np.round (half to even), np.mean of a short vector, and numpy's pairwise sum
// (what ndarray.sum() does on a contiguous float64 array; used by the Gaussian map and the ET-threshold means).
#pragma once

#include <cstdint>
#include <vector>

namespace nnseg::np {

// np.median: the middle value, or the mean of the two middle values ((a + b) / 2) for an even count.
double median(std::vector<double> values);

// np.percentile(values, q) with the default 'linear' method (numpy >= 1.22 lerp, exact to the last bit).
double percentile(std::vector<double> values, double q);

// np.round / Python 3 round to an integer: ties to even (round(138.5) = 138, round(28.5) = 28).
int64_t round_half_even(double value);

// np.mean of a short vector: sequential sum divided by the count.
double mean(const std::vector<double>& values);

// numpy's pairwise_sum for float64 (numpy/core/src/umath/loops_utils.h): blocks of up to 128 summed with eight
// accumulators, longer runs halved (rounded down to a multiple of 8) recursively.
double pairwise_sum(const double* a, int64_t n);

}  // namespace nnseg::np
