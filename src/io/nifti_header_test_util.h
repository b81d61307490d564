// Test helper: NIfTI-1 files built byte by byte (348-byte header, 4 extension bytes, data), optionally gzipped
// with zlib, so that tests can check the reader against header fields without going through ITK's writer; and
// checks that a read fails with an InputError naming the path.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/nifti.h"

namespace nnseg::testing {

struct RawNiftiHeader {
  int32_t sizeof_hdr = 348;
  std::array<int16_t, 8> dim{3, 1, 1, 1, 1, 1, 1, 1};   // dim[0] = rank, dim[1..] = sizes (x, y, z, t...)
  int16_t datatype = 4;                                 // NIfTI code (4 = int16)
  int16_t bitpix = 16;                                  // bits per voxel
  std::array<float, 8> pixdim{1, 1, 1, 1, 1, 1, 1, 1};  // pixdim[0] = qfac (+1/-1), [1..3] = spacing
  float vox_offset = 352;                               // data start (header + 4 extension bytes)
  float scl_slope = 0;                                  // 0 = no scaling
  float scl_inter = 0;                                  // added after slope
  int16_t qform_code = 0;                               // 0 = qform unused
  int16_t sform_code = 0;                               // 0 = sform unused
  float quatern_b = 0, quatern_c = 0, quatern_d = 0;    // qform rotation
  float qoffset_x = 0, qoffset_y = 0, qoffset_z = 0;    // qform translation, RAS mm
  std::array<float, 4> srow_x{0, 0, 0, 0}, srow_y{0, 0, 0, 0}, srow_z{0, 0, 0, 0};  // sform rows, RAS
  std::array<char, 4> magic{'n', '+', '1', '\0'};

  // 348 header bytes plus the 4-byte (all zero) extension flag, in host (little-endian) byte order.
  std::string bytes() const {
    std::string h(352, '\0');
    auto put = [&h](size_t offset, const void* p, size_t n) { std::memcpy(&h[offset], p, n); };
    put(0, &sizeof_hdr, 4);
    put(40, dim.data(), 16);
    put(70, &datatype, 2);
    put(72, &bitpix, 2);
    put(76, pixdim.data(), 32);
    put(108, &vox_offset, 4);
    put(112, &scl_slope, 4);
    put(116, &scl_inter, 4);
    char xyzt_units = 2;  // mm
    put(123, &xyzt_units, 1);
    put(252, &qform_code, 2);
    put(254, &sform_code, 2);
    const float q[6] = {quatern_b, quatern_c, quatern_d, qoffset_x, qoffset_y, qoffset_z};
    put(256, q, 24);
    put(280, srow_x.data(), 16);
    put(296, srow_y.data(), 16);
    put(312, srow_z.data(), 16);
    put(344, magic.data(), 4);
    return h;
  }

  // A header for an image of x*y*z voxels of `code`/`bits` with identity geometry.
  static RawNiftiHeader make(int16_t x, int16_t y, int16_t z, int16_t code = 4, int16_t bits = 16) {
    RawNiftiHeader h;
    h.dim = {3, x, y, z, 1, 1, 1, 1};
    h.datatype = code;
    h.bitpix = bits;
    return h;
  }
};

// Reverses the bytes of each `width`-byte value in s[offset, offset + count * width).
inline void swap_values(std::string& s, size_t offset, size_t count, size_t width) {
  for (size_t i = 0; i < count; ++i) std::reverse(s.begin() + offset + i * width, s.begin() + offset + (i + 1) * width);
}

// The header bytes of `h` in big-endian order (the fields RawNiftiHeader sets).
inline std::string big_endian_header_bytes(const RawNiftiHeader& h) {
  std::string s = h.bytes();
  swap_values(s, 0, 1, 4);     // sizeof_hdr
  swap_values(s, 40, 8, 2);    // dim
  swap_values(s, 70, 2, 2);    // datatype, bitpix
  swap_values(s, 76, 11, 4);   // pixdim, vox_offset, scl_slope, scl_inter
  swap_values(s, 252, 2, 2);   // qform_code, sform_code
  swap_values(s, 256, 18, 4);  // quatern_b..qoffset_z, srow_x/y/z
  return s;
}

// gzip (not raw deflate, not zlib) encoding of `raw`, as a .nii.gz holds it.
inline std::string gzip_bytes(const std::string& raw) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Writes header + data to `path`, gzipped when the name ends in ".gz".
inline void write_raw_nifti(const std::filesystem::path& path, const RawNiftiHeader& header, const std::string& data) {
  std::string all = header.bytes() + data;
  const std::string name = path.filename().string();
  bool gz = name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
  write_bytes(path, gz ? gzip_bytes(all) : all);
}

// Raw little-endian bytes of a vector.
template <typename T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Geometry in ITK's convention (LPS, ITK order) derived from header fields by the NIfTI-1 rules, independently of
// ITK: the RAS affine's x and y rows change sign.
struct ExpectedGeometry {
  std::array<double, 3> spacing{1, 1, 1};                      // mm, x y z
  std::array<double, 3> origin{0, 0, 0};                       // mm, LPS
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major, [r*3+c] = LPS component r of axis c
};

// NIfTI-1 "method 2": rotation from the quaternion (b, c, d; a = sqrt(1 - b^2 - c^2 - d^2)), third column times
// qfac = pixdim[0] (-1 or +1), spacing pixdim[1..3], offset qoffset.
inline ExpectedGeometry expected_from_qform(const RawNiftiHeader& h) {
  const double b = h.quatern_b, c = h.quatern_c, d = h.quatern_d;
  const double a = std::sqrt(std::max(0.0, 1.0 - (b * b + c * c + d * d)));
  const double r[9] = {a * a + b * b - c * c - d * d, 2 * (b * c - a * d),           2 * (b * d + a * c),
                       2 * (b * c + a * d),           a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
                       2 * (b * d - a * c),           2 * (c * d + a * b),           a * a + d * d - c * c - b * b};
  const double qfac = h.pixdim[0] < 0 ? -1.0 : 1.0;
  ExpectedGeometry g;
  for (int row = 0; row < 3; ++row) {
    const double lps = row < 2 ? -1.0 : 1.0;
    for (int col = 0; col < 3; ++col) g.direction[row * 3 + col] = lps * r[row * 3 + col] * (col == 2 ? qfac : 1.0);
  }
  g.spacing = {h.pixdim[1], h.pixdim[2], h.pixdim[3]};
  g.origin = {-static_cast<double>(h.qoffset_x), -static_cast<double>(h.qoffset_y), h.qoffset_z};
  return g;
}

// NIfTI-1 "method 3": the affine rows srow_x/y/z; direction = normalised columns, spacing = column lengths.
inline ExpectedGeometry expected_from_sform(const RawNiftiHeader& h) {
  const std::array<float, 4>* rows[3] = {&h.srow_x, &h.srow_y, &h.srow_z};
  ExpectedGeometry g;
  for (int col = 0; col < 3; ++col) {
    double norm = 0;
    for (int row = 0; row < 3; ++row) norm += static_cast<double>((*rows[row])[col]) * (*rows[row])[col];
    norm = std::sqrt(norm);
    g.spacing[col] = norm;
    for (int row = 0; row < 3; ++row) g.direction[row * 3 + col] = (row < 2 ? -1.0 : 1.0) * (*rows[row])[col] / norm;
  }
  for (int row = 0; row < 3; ++row) g.origin[row] = (row < 2 ? -1.0 : 1.0) * (*rows[row])[3];
  return g;
}

// Quaternion (b, c, d) of a rotation by `degrees` about `axis`.
inline std::array<float, 3> quaternion_bcd(std::array<double, 3> axis, double degrees) {
  const double n = std::sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]);
  const double s = std::sin(degrees * M_PI / 360.0);
  return {static_cast<float>(s * axis[0] / n), static_cast<float>(s * axis[1] / n),
          static_cast<float>(s * axis[2] / n)};
}

// Runs `f`, expects an InputError whose item is `path` and whose message contains `needle`.
template <typename F>
inline void expect_input_error(F f, const std::filesystem::path& path, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error for " << path;
  } catch (const InputError& e) {
    EXPECT_EQ(e.item(), path.string());
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "multi-line message: " << e.what();
  }
}

inline void expect_unreadable(const std::filesystem::path& path, const std::string& needle) {
  expect_input_error([&] { read_nifti(path); }, path, needle);
  expect_input_error([&] { read_nifti_info(path); }, path, needle);
}

// Sample 4x3x2 int16 headers for the geometry tests.
// (a) qform only, rotated, mirrored (qfac = pixdim[0] = -1), anisotropic.
inline RawNiftiHeader qform_header() {
  RawNiftiHeader h = RawNiftiHeader::make(4, 3, 2);
  h.qform_code = 1;
  const auto q = testing::quaternion_bcd({1, 2, 3}, 40);
  h.quatern_b = q[0];
  h.quatern_c = q[1];
  h.quatern_d = q[2];
  h.qoffset_x = 10.5f;
  h.qoffset_y = -20.25f;
  h.qoffset_z = 30.125f;
  h.pixdim = {-1, 0.8f, 1.2f, 2.5f, 1, 1, 1, 1};
  return h;
}

// (b) sform only: a different rotation with a reflection, columns scaled by the spacing in pixdim.
inline RawNiftiHeader sform_header() {
  RawNiftiHeader h = RawNiftiHeader::make(4, 3, 2);
  h.sform_code = 1;
  const double spacing[3] = {0.6, 1.1, 3.0};
  h.pixdim = {1, 0.6f, 1.1f, 3.0f, 1, 1, 1, 1};
  // Rotation by 25 degrees about z, then the third axis mirrored: RAS columns.
  const double c = std::cos(25 * M_PI / 180), s = std::sin(25 * M_PI / 180);
  const double ras[3][3] = {{c, -s, 0}, {s, c, 0}, {0, 0, -1}};
  std::array<float, 4>* rows[3] = {&h.srow_x, &h.srow_y, &h.srow_z};
  const float offset[3] = {-5.5f, 7.25f, -100.0f};
  for (int r = 0; r < 3; ++r) {
    for (int col = 0; col < 3; ++col) (*rows[r])[col] = static_cast<float>(ras[r][col] * spacing[col]);
    (*rows[r])[3] = offset[r];
  }
  return h;
}

}  // namespace nnseg::testing
