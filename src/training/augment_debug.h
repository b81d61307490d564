// Debug pictures of augmented training patches (`nnseg train --debug-augmentation DIR`): one PNG per sample with
// the middle axial slice of every channel and the segmentation overlaid on channel 0.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace nnseg {

// Writes DIR/<prefix>_<b>.png (b zero-padded to 3 digits) for the first min(n, B) samples of data [B, C, Z, Y, X]
// (or [B, C, Y, X]) and seg [B, 1, ...] (labels; -1 drawn in blue), any device. Creates DIR. Returns the paths
// written. InputError naming DIR when it cannot be created; Error naming the file when one cannot be written.
std::vector<std::filesystem::path> write_augmentation_debug(const std::filesystem::path& dir, const torch::Tensor& data,
                                                            const torch::Tensor& seg, int64_t n,
                                                            const std::string& prefix = "augmented");

}  // namespace nnseg
