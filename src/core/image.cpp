// PixelType names and sizes (core/image.h).
#include "core/image.h"

#include "core/error.h"

namespace nnseg {

std::string to_string(PixelType type) {
  switch (type) {
    case PixelType::kUInt8: return "uint8";
    case PixelType::kInt8: return "int8";
    case PixelType::kUInt16: return "uint16";
    case PixelType::kInt16: return "int16";
    case PixelType::kUInt32: return "uint32";
    case PixelType::kInt32: return "int32";
    case PixelType::kUInt64: return "uint64";
    case PixelType::kInt64: return "int64";
    case PixelType::kFloat32: return "float32";
    case PixelType::kFloat64: return "float64";
  }
  return "unknown";
}

PixelType parse_pixel_type(const std::string& name) {
  for (PixelType t : {PixelType::kUInt8, PixelType::kInt8, PixelType::kUInt16, PixelType::kInt16, PixelType::kUInt32,
                      PixelType::kInt32, PixelType::kUInt64, PixelType::kInt64, PixelType::kFloat32,
                      PixelType::kFloat64}) {
    if (to_string(t) == name) return t;
  }
  throw InputError(name, "unknown pixel type (expected uint8, int8, uint16, int16, uint32, int32, uint64, int64, "
                         "float32 or float64)");
}

size_t pixel_size_bytes(PixelType type) {
  return dispatch_pixel_type(type, [](auto tag) { return sizeof(tag); });
}

bool is_integer(PixelType type) { return type != PixelType::kFloat32 && type != PixelType::kFloat64; }

}  // namespace nnseg
