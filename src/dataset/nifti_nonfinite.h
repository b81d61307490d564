// Counts NaN and Inf voxels in a floating-point NIfTI-1 file by reading its stored values directly. ITK's NIfTI
// reader (like SimpleITK, hence nnU-Net) silently turns them into 0, so `verify` looks at the file itself.
#pragma once

#include <cstdint>
#include <filesystem>

namespace nnseg {

struct NonFiniteCount {
  int64_t nan = 0;  // NaN voxels
  int64_t inf = 0;  // +Inf or -Inf voxels
};

// Zero counts for integer data and for files this scan cannot parse (their reading errors are reported by
// read_nifti). Handles .nii and .nii.gz and either byte order.
NonFiniteCount count_nonfinite_voxels(const std::filesystem::path& path);

}  // namespace nnseg
