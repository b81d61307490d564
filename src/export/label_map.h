// Label maps from probabilities (spec/inference.md §5.4): argmax over channels for softmax models (first maximum
// wins), or nnU-Net's region rule for sigmoid models (regions_class_order, threshold 0.5, later regions overwrite).
#pragma once

#include <cstdint>
#include <vector>

#include "fingerprint/crop_to_nonzero.h"

namespace nnseg {

// Labels [Z*Y*X] of `probs` [C, Z, Y, X]: the index of the largest channel value, the first on ties.
std::vector<uint8_t> argmax_labels(const Array4f& probs);

// Region models: start from 0; for i = 0..C-1 set regions_class_order[i] where probs[i] > 0.5 (strictly), in that
// order, so later regions overwrite earlier ones. InputError when the order's length differs from the channels.
std::vector<uint8_t> region_labels(const Array4f& probs, const std::vector<int>& regions_class_order);

}  // namespace nnseg
