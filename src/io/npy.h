// NumPy .npy files (format 1.0 written; 1.0, 2.0 and 3.0 read), little-endian, C order: the preprocessed cases
// CASE.npy (float32 [C,Z,Y,X]) and CASE_seg.npy (int8 [1,Z,Y,X]) of spec/cli.md, read whole or memory-mapped.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include "core/check.h"

namespace nnseg {

namespace fs = std::filesystem;

// The element types nnseg reads and writes. kFloat16 has no C++ type: use NpyArray::bytes (raw IEEE half).
enum class NpyDType {
  kBool,
  kInt8,
  kUInt8,
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kFloat16,
  kFloat32,
  kFloat64
};

std::string to_string(NpyDType dtype);              // numpy's name: "bool", "int8", "float32", ...
NpyDType parse_npy_dtype(const std::string& name);  // inverse of to_string; InputError for anything else
size_t npy_dtype_size(NpyDType dtype);              // bytes per element
std::string npy_descr(NpyDType dtype);              // the descr numpy writes: "<f4", "|i1", "|b1", ...

// Parses a header descr ("<f4", "|u1", "<u1", ...). InputError(item, ...) naming the descr for an unknown type or a
// big-endian ('>') one.
NpyDType parse_npy_descr(const std::string& descr, const std::string& item);

template <typename T>
constexpr NpyDType npy_dtype_of() {
  using U = std::remove_cv_t<T>;
  static_assert(sizeof(bool) == 1, "numpy's bool is one byte");
  if constexpr (std::is_same_v<U, bool>)
    return NpyDType::kBool;
  else if constexpr (std::is_same_v<U, int8_t>)
    return NpyDType::kInt8;
  else if constexpr (std::is_same_v<U, uint8_t>)
    return NpyDType::kUInt8;
  else if constexpr (std::is_same_v<U, int16_t>)
    return NpyDType::kInt16;
  else if constexpr (std::is_same_v<U, uint16_t>)
    return NpyDType::kUInt16;
  else if constexpr (std::is_same_v<U, int32_t>)
    return NpyDType::kInt32;
  else if constexpr (std::is_same_v<U, uint32_t>)
    return NpyDType::kUInt32;
  else if constexpr (std::is_same_v<U, int64_t>)
    return NpyDType::kInt64;
  else if constexpr (std::is_same_v<U, uint64_t>)
    return NpyDType::kUInt64;
  else if constexpr (std::is_same_v<U, float>)
    return NpyDType::kFloat32;
  else if constexpr (std::is_same_v<U, double>)
    return NpyDType::kFloat64;
  else
    static_assert(sizeof(U) == 0, "no .npy dtype for this C++ type");
}

// Number of elements of `shape` (1 for the 0-d shape ()).
int64_t npy_numel(const std::vector<int64_t>& shape);

// Python's repr of a shape tuple, as in the header: "()", "(5,)", "(2, 3)".
std::string npy_shape_repr(const std::vector<int64_t>& shape);

// What a .npy header says.
struct NpyHeader {
  NpyDType dtype = NpyDType::kFloat32;  // element type
  std::vector<int64_t> shape;           // C order, outermost first ([C, Z, Y, X] for a case)
  int64_t data_offset = 0;              // bytes from the start of the file to the first element
  int version_major = 1;                // format version 1, 2 or 3 (minor is always 0)

  int64_t numel() const { return npy_numel(shape); }
  int64_t data_bytes() const { return numel() * static_cast<int64_t>(npy_dtype_size(dtype)); }
};

// The header bytes numpy (>= 1.24) writes for a C-order array: magic, version, length, the dict text with numpy's
// spare space for growing axis 0, space padding and '\n', in total a multiple of 64 bytes. Version 1.0 unless the
// header is too long for it (then 2.0, as numpy does).
std::string encode_npy_header(NpyDType dtype, const std::vector<int64_t>& shape);

// Parses the header at the start of `bytes` (`size` bytes available, at least the whole header). Does not check
// that the data follows. InputError(item, ...) for a bad magic, a truncated header, a header that is not the dict
// numpy writes, an unknown or big-endian dtype, fortran_order True, or a negative or too large shape.
NpyHeader parse_npy_header(const void* bytes, size_t size, const std::string& item);

// Reads only the header of `path`, and checks that the file holds all the data the shape says.
NpyHeader read_npy_header(const fs::path& path);

// A whole array in memory.
struct NpyArray {
  NpyDType dtype = NpyDType::kFloat32;  // element type
  std::vector<int64_t> shape;           // C order, outermost first
  std::vector<uint8_t> bytes;           // numel() elements of dtype, C order, little-endian

  NpyArray() = default;
  // A zero-filled array.
  NpyArray(NpyDType t, std::vector<int64_t> s);
  // An array holding `values` (their count must match the shape).
  template <typename T>
  static NpyArray from_values(std::vector<int64_t> s, const std::vector<T>& values) {
    NpyArray a(npy_dtype_of<T>(), std::move(s));
    NNSEG_CHECK(static_cast<int64_t>(values.size()) == a.numel())
        << values.size() << " values for shape " << npy_shape_repr(a.shape);
    if (!values.empty()) std::memcpy(a.bytes.data(), values.data(), a.bytes.size());
    return a;
  }

  int64_t numel() const { return npy_numel(shape); }

  template <typename T>
  T* data() {
    check_type<T>();
    return reinterpret_cast<T*>(bytes.data());
  }
  template <typename T>
  const T* data() const {
    check_type<T>();
    return reinterpret_cast<const T*>(bytes.data());
  }
  // Element `i` in C order.
  template <typename T>
  T at(int64_t i) const {
    NNSEG_CHECK(i >= 0 && i < numel()) << "index " << i << " outside " << npy_shape_repr(shape);
    return data<T>()[i];
  }

 private:
  template <typename T>
  void check_type() const {
    NNSEG_CHECK(npy_dtype_of<T>() == dtype)
        << "NpyArray holds " << to_string(dtype) << ", not " << to_string(npy_dtype_of<T>());
  }
};

// Reads the whole file. Errors as read_npy_header, plus "cannot read" failures.
NpyArray read_npy(const fs::path& path);

// Parses a whole .npy held in memory (an .npz member); `item` names it in errors.
NpyArray decode_npy(const void* bytes, size_t size, const std::string& item);

// Writes a .npy (format 1.0 as numpy writes it) through a temporary file renamed into place.
void write_npy(const fs::path& path, const NpyArray& array);
// Same from raw memory: npy_numel(shape) elements of `dtype` at `data` (may be null when there are none).
void write_npy(const fs::path& path, NpyDType dtype, const std::vector<int64_t>& shape, const void* data);

// A read-only memory map of a .npy file, for reading patches without loading the case (as nnU-Net's
// np.load(mmap_mode='r')). Pages are read from disk only when touched. Move-only; unmaps on destruction.
class MappedNpy {
 public:
  MappedNpy() = default;  // empty (also after a move): no file, shape (), numel() == 0, raw_data() null
  // Maps `path`; InputError as read_npy_header, or when the data offset is not aligned to the element size.
  explicit MappedNpy(const fs::path& path);
  ~MappedNpy();
  MappedNpy(MappedNpy&& other) noexcept;
  MappedNpy& operator=(MappedNpy&& other) noexcept;
  MappedNpy(const MappedNpy&) = delete;
  MappedNpy& operator=(const MappedNpy&) = delete;

  const fs::path& path() const { return path_; }
  NpyDType dtype() const { return header_.dtype; }
  const std::vector<int64_t>& shape() const { return header_.shape; }
  int64_t numel() const { return map_ == nullptr ? 0 : header_.numel(); }
  const NpyHeader& header() const { return header_; }

  // First element; null for an empty MappedNpy.
  const void* raw_data() const {
    return map_ == nullptr ? nullptr : static_cast<const uint8_t*>(map_) + header_.data_offset;
  }
  template <typename T>
  const T* data() const {
    NNSEG_CHECK(npy_dtype_of<T>() == header_.dtype)
        << path_.string() << " holds " << to_string(header_.dtype) << ", not " << to_string(npy_dtype_of<T>());
    return static_cast<const T*>(raw_data());
  }

 private:
  void unmap() noexcept;

  fs::path path_;
  NpyHeader header_;
  void* map_ = nullptr;  // whole file, PROT_READ
  size_t map_size_ = 0;  // bytes mapped
};

}  // namespace nnseg
