// NaN/Inf voxel count of a NIfTI-1 file from its stored bytes (dataset/nifti_nonfinite.h).
#include "dataset/nifti_nonfinite.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace nnseg {
namespace {

constexpr int kHeaderBytes = 348;
constexpr int16_t kFloat32 = 16;
constexpr int16_t kFloat64 = 64;

template <typename T>
T field(const unsigned char* header, int offset, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, header + offset, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

struct GzFile {
  explicit GzFile(const std::filesystem::path& p) : f(gzopen(p.c_str(), "rb")) {}
  ~GzFile() {
    if (f) gzclose(f);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  gzFile f;
};

template <typename T>
void count_values(const std::vector<unsigned char>& bytes, size_t n, bool swap, NonFiniteCount& out) {
  for (size_t i = 0; i < n; ++i) {
    double v = static_cast<double>(field<T>(bytes.data(), static_cast<int>(i * sizeof(T)), swap));
    out.nan += std::isnan(v) ? 1 : 0;
    out.inf += std::isinf(v) ? 1 : 0;
  }
}

}  // namespace

NonFiniteCount count_nonfinite_voxels(const std::filesystem::path& path) {
  NonFiniteCount out;
  GzFile file(path);  // gzread also reads uncompressed files
  if (!file.f) return out;
  unsigned char header[kHeaderBytes];
  if (gzread(file.f, header, kHeaderBytes) != kHeaderBytes) return out;
  bool swap = false;
  if (field<int32_t>(header, 0, false) != kHeaderBytes) {
    if (field<int32_t>(header, 0, true) != kHeaderBytes) return out;
    swap = true;
  }
  int16_t datatype = field<int16_t>(header, 70, swap);
  if (datatype != kFloat32 && datatype != kFloat64) return out;
  int16_t ndim = field<int16_t>(header, 40, swap);
  if (ndim < 1 || ndim > 7) return out;
  int64_t numel = 1;
  for (int d = 1; d <= ndim; ++d) {
    int16_t n = field<int16_t>(header, 40 + 2 * d, swap);
    if (n < 1) return out;
    numel *= n;
  }
  float vox_offset = field<float>(header, 108, swap);
  if (!(vox_offset >= kHeaderBytes) || vox_offset > 1e9f) return out;
  if (gzseek(file.f, static_cast<z_off_t>(vox_offset), SEEK_SET) < 0) return out;

  const size_t size = datatype == kFloat32 ? 4 : 8;
  std::vector<unsigned char> chunk(size * (1 << 16));
  int64_t left = numel;
  while (left > 0) {
    size_t n = static_cast<size_t>(std::min<int64_t>(left, 1 << 16));
    int got = gzread(file.f, chunk.data(), static_cast<unsigned>(n * size));
    if (got <= 0) break;
    n = static_cast<size_t>(got) / size;
    if (datatype == kFloat32) {
      count_values<float>(chunk, n, swap, out);
    } else {
      count_values<double>(chunk, n, swap, out);
    }
    left -= static_cast<int64_t>(n);
  }
  return out;
}

}  // namespace nnseg
