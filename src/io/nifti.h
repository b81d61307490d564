// NIfTI-1 (.nii, .nii.gz) read/write through ITK, keeping exactly what SimpleITK reports: voxels in array order
// (z, y, x), geometry (spacing, origin, direction) in ITK/LPS order. Writes are atomic.
#pragma once

#include <filesystem>

#include "core/image.h"

namespace nnseg {

namespace fs = std::filesystem;

// Header facts of a NIfTI file (no voxel data read).
struct NiftiInfo {
  std::array<int64_t, 3> shape{0, 0, 0};  // voxels, array order (z, y, x)
  Geometry geometry;                      // ITK order, LPS
  PixelType type = PixelType::kFloat32;   // the type ITK reads: float32/float64 when scl_slope/scl_inter apply
};

// Reads header facts; InputError "<path>: ..." for anything that is not a readable 3D NIfTI
// (a 4D file with a singleton 4th dimension counts as 3D; a real 4D file is an error).
NiftiInfo read_nifti_info(const fs::path& path);

// Reads the whole image (scl_slope/scl_inter applied, as ITK/SimpleITK do). Same errors as read_nifti_info, plus
// truncated or corrupt data.
Image read_nifti(const fs::path& path);

// Writes `image` with its geometry and pixel type (.nii.gz is gzip-compressed), through a temporary file.
void write_nifti(const fs::path& path, const Image& image);

}  // namespace nnseg
