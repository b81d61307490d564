// NumPy .npz archives (zip archives of "<name>.npy" members, written and read with libzip): the exported network
// weights (`export-weights`, `predict --weights`) and the `predict --save-probabilities` softmax (spec/cli.md).
// Also the float32 <-> float16 conversion numpy's astype(np.float16) does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/npy.h"

namespace nnseg {

namespace fs = std::filesystem;

// ZIP_STORED as np.savez, or ZIP_DEFLATED as np.savez_compressed.
enum class NpzCompression { kStored, kDeflated };

// One array of an archive, owning its data.
struct NpzMember {
  std::string name;  // key as numpy shows it (the archive entry is "<name>.npy")
  NpyArray array;    // dtype, shape (C order) and data
};

// One array to write, borrowing its data (nothing is copied: the zip library reads it in place).
struct NpzMemberView {
  std::string name;            // key; the archive entry is "<name>.npy"
  NpyDType dtype;              // element type
  std::vector<int64_t> shape;  // C order, outermost first
  const void* data;            // npy_numel(shape) elements, C order, little-endian (may be null when there are none)
};

// Writes `members`, in this order, as "<name>.npy" entries (each a .npy of format 1.0, as numpy writes it) through
// a temporary file renamed into place. Names must be distinct and non-empty. Error naming the path on failure.
void write_npz(const fs::path& path, const std::vector<NpzMemberView>& members,
               NpzCompression compression = NpzCompression::kStored);
void write_npz(const fs::path& path, const std::vector<NpzMember>& members,
               NpzCompression compression = NpzCompression::kStored);

// Reads every member in archive order; a ".npy" suffix is dropped from the names (as numpy's NpzFile.files).
// InputError naming the file for a missing or unreadable file, a file that is not a zip archive, a damaged entry, or
// a member that is not a valid .npy (the member is named too).
std::vector<NpzMember> read_npz(const fs::path& path);

// IEEE 754 binary16 bits of `value`, rounded to nearest even as numpy's float32 -> float16 cast: overflow (>= 65520 in
// magnitude) gives infinity, tiny values become subnormals or signed zero, NaN stays NaN (its payload truncated).
uint16_t float32_to_float16(float value);
// The float32 equal to the binary16 `bits` (exact: every half value is a float).
float float16_to_float32(uint16_t bits);

// A float16 array holding `data` (npy_numel(shape) floats) converted with float32_to_float16.
NpyArray float16_array(const std::vector<int64_t>& shape, const float* data);

// The `predict --save-probabilities` file: one member "softmax", float16, `shape` ([classes, Z, Y, X]), deflated as
// nnU-Net v1's np.savez_compressed(..., softmax=probabilities.astype(np.float16)).
void save_probabilities_npz(const fs::path& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace nnseg
