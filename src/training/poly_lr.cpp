// Poly learning rate (spec/training.md §3, test vector T1).
#include "training/poly_lr.h"

#include <cmath>

#include "core/check.h"

namespace nnseg {

double poly_lr(int64_t epoch, int64_t max_epochs, double initial_lr, double exponent) {
  NNSEG_CHECK(max_epochs > 0 && epoch >= 0 && epoch <= max_epochs) << "poly_lr epoch " << epoch << " of " << max_epochs;
  return initial_lr * std::pow(1.0 - static_cast<double>(epoch) / static_cast<double>(max_epochs), exponent);
}

}  // namespace nnseg
