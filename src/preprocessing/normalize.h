// Per-channel intensity normalisation of a resampled case, as nnU-Net v1 GenericPreprocessor.resample_and_normalize
// (spec/preprocessing.md §3): CT (dataset percentiles and mean/std), CT2, per-case z-score (nonCT), noNorm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fingerprint/crop_to_nonzero.h"
#include "fingerprint/intensity_stats.h"

namespace nnseg {

// v1 scheme names (v2 class names in the plans map onto them, planning.md §10.3).
enum class NormalizationScheme { kCT, kCT2, kNonCT, kNoNorm };

// "CT", "CT2", "nonCT", "noNorm".
std::string to_string(NormalizationScheme scheme);
// Accepts the v1 strings and v2's CTNormalization, ZScoreNormalization, NoNormalization; InputError(item, ...)
// naming the value otherwise.
NormalizationScheme parse_normalization_scheme(const std::string& name, const std::string& item);

// Normalises `count` voxels of one channel in place. `seg` is the resampled label channel (seg < 0 marks the
// outside of the nonzero mask); `stats` (dataset foreground statistics) is used by kCT and kCT2 only.
void normalize_channel(float* values, const float* seg, int64_t count, NormalizationScheme scheme,
                       bool use_nonzero_mask, const IntensityStats& stats);

// Normalises every channel of `data` (schemes, mask flags and stats per channel; `stats` may be empty when no
// channel is CT). `seg` is [1, Z, Y, X] of the same spatial shape.
void normalize(Array4f& data, const Array4f& seg, const std::vector<NormalizationScheme>& schemes,
               const std::vector<bool>& use_nonzero_mask, const std::vector<IntensityStats>& stats);

}  // namespace nnseg
