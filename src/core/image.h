// Image: a 3D scalar volume in nnU-Net's array order (z, y, x), C order (x fastest, the same memory layout as
// ITK's buffer), its pixel type as stored in the file, and its geometry in ITK's LPS convention (ITK order).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "core/check.h"

namespace nnseg {

// The scalar types a NIfTI file can hold (and numpy's names for them in to_string).
enum class PixelType { kUInt8, kInt8, kUInt16, kInt16, kUInt32, kInt32, kUInt64, kInt64, kFloat32, kFloat64 };

std::string to_string(PixelType type);       // "uint8", "int16", "float32", ...
PixelType parse_pixel_type(const std::string& name);  // inverse of to_string; throws InputError
size_t pixel_size_bytes(PixelType type);
bool is_integer(PixelType type);

template <typename T>
PixelType pixel_type_of();

// Calls f(T{}) with T the C++ type of `type`.
template <typename F>
decltype(auto) dispatch_pixel_type(PixelType type, F&& f) {
  switch (type) {
    case PixelType::kUInt8: return f(uint8_t{});
    case PixelType::kInt8: return f(int8_t{});
    case PixelType::kUInt16: return f(uint16_t{});
    case PixelType::kInt16: return f(int16_t{});
    case PixelType::kUInt32: return f(uint32_t{});
    case PixelType::kInt32: return f(int32_t{});
    case PixelType::kUInt64: return f(uint64_t{});
    case PixelType::kInt64: return f(int64_t{});
    case PixelType::kFloat32: return f(float{});
    case PixelType::kFloat64: return f(double{});
  }
  NNSEG_CHECK(false) << "bad PixelType";
  return f(uint8_t{});
}

// Geometry exactly as SimpleITK reports it; ITK index order (x, y, z).
struct Geometry {
  std::array<double, 3> spacing{1, 1, 1};                     // mm, ITK order (x, y, z)
  std::array<double, 3> origin{0, 0, 0};                      // mm, LPS, ITK order (x, y, z)
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major 3x3, [r*3+c] = LPS component r of axis c

  // Spacing in array order (z, y, x).
  std::array<double, 3> spacing_zyx() const { return {spacing[2], spacing[1], spacing[0]}; }
  bool operator==(const Geometry& o) const {
    return spacing == o.spacing && origin == o.origin && direction == o.direction;
  }
  bool operator!=(const Geometry& o) const { return !(*this == o); }
};

struct Image {
  PixelType type = PixelType::kFloat32;  // pixel type as stored (after NIfTI scaling, see io/nifti.h)
  std::array<int64_t, 3> shape{0, 0, 0};  // voxels, array order (z, y, x)
  Geometry geometry;                      // ITK order, LPS
  std::vector<uint8_t> bytes;             // shape[0]*shape[1]*shape[2] pixels of `type`, C order

  Image() = default;
  // A zero-filled image.
  Image(PixelType t, std::array<int64_t, 3> shape_zyx, Geometry g = {})
      : type(t), shape(shape_zyx), geometry(g), bytes(static_cast<size_t>(numel()) * pixel_size_bytes(t), 0) {}

  int64_t numel() const { return shape[0] * shape[1] * shape[2]; }
  // Linear index of (z, y, x).
  int64_t index(int64_t z, int64_t y, int64_t x) const { return (z * shape[1] + y) * shape[2] + x; }
  // ITK size (x, y, z).
  std::array<int64_t, 3> size_xyz() const { return {shape[2], shape[1], shape[0]}; }

  template <typename T>
  T* data() {
    NNSEG_CHECK(pixel_type_of<T>() == type) << "Image holds " << to_string(type);
    return reinterpret_cast<T*>(bytes.data());
  }
  template <typename T>
  const T* data() const {
    NNSEG_CHECK(pixel_type_of<T>() == type) << "Image holds " << to_string(type);
    return reinterpret_cast<const T*>(bytes.data());
  }

  // Voxel i as double (any type).
  double value(int64_t i) const {
    return dispatch_pixel_type(type, [&](auto tag) -> double {
      using T = decltype(tag);
      T v;
      std::memcpy(&v, bytes.data() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
      return static_cast<double>(v);
    });
  }

  // All voxels converted to U (e.g. float for preprocessing).
  template <typename U>
  std::vector<U> values_as() const {
    std::vector<U> out(static_cast<size_t>(numel()));
    dispatch_pixel_type(type, [&](auto tag) {
      using T = decltype(tag);
      const T* p = reinterpret_cast<const T*>(bytes.data());
      for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<U>(p[i]);
    });
    return out;
  }

  // An image of type T from values (converted with static_cast).
  template <typename T, typename U>
  static Image from_values(const std::vector<U>& values, std::array<int64_t, 3> shape_zyx, Geometry g = {}) {
    Image img(pixel_type_of<T>(), shape_zyx, g);
    NNSEG_CHECK(static_cast<int64_t>(values.size()) == img.numel()) << values.size() << " values for shape";
    T* p = img.data<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
    return img;
  }
};

template <typename T>
PixelType pixel_type_of() {
  if constexpr (std::is_same_v<T, uint8_t>) return PixelType::kUInt8;
  else if constexpr (std::is_same_v<T, int8_t>) return PixelType::kInt8;
  else if constexpr (std::is_same_v<T, uint16_t>) return PixelType::kUInt16;
  else if constexpr (std::is_same_v<T, int16_t>) return PixelType::kInt16;
  else if constexpr (std::is_same_v<T, uint32_t>) return PixelType::kUInt32;
  else if constexpr (std::is_same_v<T, int32_t>) return PixelType::kInt32;
  else if constexpr (std::is_same_v<T, uint64_t>) return PixelType::kUInt64;
  else if constexpr (std::is_same_v<T, int64_t>) return PixelType::kInt64;
  else if constexpr (std::is_same_v<T, float>) return PixelType::kFloat32;
  else if constexpr (std::is_same_v<T, double>) return PixelType::kFloat64;
  else static_assert(sizeof(T) == 0, "unsupported pixel type");
}

}  // namespace nnseg
