// nnU-Net's polynomial learning-rate schedule (spec/training.md §1, §3): set once at the start of each epoch.
#pragma once

#include <cstdint>

namespace nnseg {

constexpr double kPolyLrExponent = 0.9;

// lr = initial_lr * (1 - epoch / max_epochs)^exponent, as v1 `poly_lr`. epoch is the index of the epoch about to
// train (0 .. max_epochs; max_epochs gives 0).
double poly_lr(int64_t epoch, int64_t max_epochs, double initial_lr, double exponent = kPolyLrExponent);

}  // namespace nnseg
