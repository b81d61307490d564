// NumPy .npy read/write and read-only memory maps (io/npy.h). The header rules follow numpy's
// numpy/lib/format.py (1.24): magic "\x93NUMPY", version, little-endian header length, a Python dict literal with
// sorted keys, spare space for growing axis 0, padded with spaces and '\n' to a multiple of 64 bytes.
#include "io/npy.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <map>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/npy_header_dict.h"

namespace nnseg {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, ".npy files are read and written as little-endian");

namespace {

constexpr std::string_view kMagic("\x93NUMPY", 6);
constexpr size_t kArrayAlign = 64;           // numpy's ARRAY_ALIGN
constexpr size_t kGrowthAxisMaxDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS
constexpr size_t kMaxHeaderBytes = 1 << 20;  // numpy refuses above 10000 by default; we are a little more lenient
constexpr size_t kMaxIoChunk = size_t{1} << 30;

struct DTypeInfo {
  NpyDType dtype;
  const char* name;   // numpy's dtype name
  const char* descr;  // what numpy writes into the header
  size_t size;        // bytes per element
};

constexpr DTypeInfo kDTypes[] = {
    {NpyDType::kBool, "bool", "|b1", 1},       {NpyDType::kInt8, "int8", "|i1", 1},
    {NpyDType::kUInt8, "uint8", "|u1", 1},     {NpyDType::kInt16, "int16", "<i2", 2},
    {NpyDType::kUInt16, "uint16", "<u2", 2},   {NpyDType::kInt32, "int32", "<i4", 4},
    {NpyDType::kUInt32, "uint32", "<u4", 4},   {NpyDType::kInt64, "int64", "<i8", 8},
    {NpyDType::kUInt64, "uint64", "<u8", 8},   {NpyDType::kFloat16, "float16", "<f2", 2},
    {NpyDType::kFloat32, "float32", "<f4", 4}, {NpyDType::kFloat64, "float64", "<f8", 8},
};

const DTypeInfo& info(NpyDType dtype) {
  for (const DTypeInfo& d : kDTypes) {
    if (d.dtype == dtype) return d;
  }
  NNSEG_CHECK(false) << "bad NpyDType " << static_cast<int>(dtype);
  return kDTypes[0];
}

std::string errno_text() { return std::string(std::strerror(errno)); }

// An open file descriptor, closed on destruction.
class Fd {
 public:
  Fd(const fs::path& path, int flags, mode_t mode = 0) : fd_(::open(path.c_str(), flags | O_CLOEXEC, mode)) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  // Closes now and reports failure (a delayed write error can surface here).
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

Fd open_for_reading(const fs::path& path, int64_t* file_size) {
  Fd fd(path, O_RDONLY);
  if (fd.get() < 0) throw InputError(path.string(), "cannot open .npy file: " + errno_text());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw InputError(path.string(), "cannot stat .npy file: " + errno_text());
  if (!S_ISREG(st.st_mode)) throw InputError(path.string(), "not a regular file");
  *file_size = static_cast<int64_t>(st.st_size);
  return fd;
}

// Reads exactly `size` bytes at `offset`.
void read_exactly(int fd, void* out, size_t size, int64_t offset, const std::string& item) {
  auto* p = static_cast<uint8_t*>(out);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, std::min(size, kMaxIoChunk), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputError(item, "cannot read .npy file: " + errno_text());
    if (n == 0) throw InputError(item, "file ended while reading (was it truncated while being read?)");
    p += n;
    offset += n;
    size -= static_cast<size_t>(n);
  }
}

void write_exactly(int fd, const void* data, size_t size, const std::string& item) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, std::min(size, kMaxIoChunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(item, "cannot write .npy file: " + errno_text());
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// The prefix before the dict text: its length (10 for 1.0, 12 for 2.0/3.0), the dict's length and the version.
struct Prefix {
  size_t prefix_bytes = 0;
  size_t header_bytes = 0;
  int version_major = 1;
};

Prefix parse_prefix(const uint8_t* b, size_t size, const std::string& item) {
  size_t n = std::min(size, kMagic.size());
  if (std::string_view(reinterpret_cast<const char*>(b), n) != kMagic.substr(0, n)) {
    throw InputError(item, "not a .npy file: magic bytes " +
                               detail::npy_python_repr(std::string_view(reinterpret_cast<const char*>(b), n)) +
                               ", expected '\\x93NUMPY'");
  }
  if (size < kMagic.size() + 2) {
    throw InputError(item, "truncated .npy header: file has only " + std::to_string(size) + " bytes");
  }
  Prefix p;
  p.version_major = b[6];
  int minor = b[7];
  if (p.version_major < 1 || p.version_major > 3 || minor != 0) {
    throw InputError(item, "unsupported .npy format version " + std::to_string(p.version_major) + "." +
                               std::to_string(minor) + " (expected 1.0, 2.0 or 3.0)");
  }
  p.prefix_bytes = p.version_major == 1 ? 10 : 12;
  if (size < p.prefix_bytes) {
    throw InputError(item, "truncated .npy header: file has only " + std::to_string(size) + " bytes");
  }
  p.header_bytes = size_t{b[8]} | size_t{b[9]} << 8;
  if (p.version_major > 1) p.header_bytes |= size_t{b[10]} << 16 | size_t{b[11]} << 24;
  if (p.header_bytes > kMaxHeaderBytes) {
    throw InputError(item, "header length " + std::to_string(p.header_bytes) + " bytes is implausibly large");
  }
  return p;
}

NpyHeader read_header_from(int fd, int64_t file_size, const std::string& item) {
  uint8_t start[12] = {};
  size_t n = static_cast<size_t>(std::min<int64_t>(file_size, sizeof start));
  read_exactly(fd, start, n, 0, item);
  Prefix p = parse_prefix(start, n, item);
  std::vector<uint8_t> head(p.prefix_bytes + p.header_bytes);
  if (static_cast<int64_t>(head.size()) > file_size) {
    throw InputError(item, "truncated .npy header: file has " + std::to_string(file_size) + " bytes, header says " +
                               std::to_string(head.size()));
  }
  read_exactly(fd, head.data(), head.size(), 0, item);
  NpyHeader h = parse_npy_header(head.data(), head.size(), item);
  if (file_size - h.data_offset < h.data_bytes()) {
    throw InputError(item, "data is " + std::to_string(file_size - h.data_offset) + " bytes but shape " +
                               npy_shape_repr(h.shape) + " of " + to_string(h.dtype) + " needs " +
                               std::to_string(h.data_bytes()));
  }
  return h;
}

}  // namespace

std::string to_string(NpyDType dtype) { return info(dtype).name; }

NpyDType parse_npy_dtype(const std::string& name) {
  for (const DTypeInfo& d : kDTypes) {
    if (name == d.name) return d.dtype;
  }
  throw InputError(name, "unknown dtype (expected bool, int8, uint8, ..., float16, float32, float64)");
}

size_t npy_dtype_size(NpyDType dtype) { return info(dtype).size; }

std::string npy_descr(NpyDType dtype) { return info(dtype).descr; }

NpyDType parse_npy_descr(const std::string& descr, const std::string& item) {
  if (descr.size() >= 2) {
    char order = descr[0];
    std::string code = descr.substr(1);
    for (const DTypeInfo& d : kDTypes) {
      if (code != std::string(d.descr).substr(1)) continue;
      // One-byte types have no byte order: numpy writes '|', other writers '<' (or even '>').
      if (d.size == 1 && (order == '|' || order == '<' || order == '>')) return d.dtype;
      if (order == '<') return d.dtype;
      if (order == '>') {
        throw InputError(item, "big-endian dtype " + detail::npy_python_repr(descr) + " is not supported (expected '<" +
                                   code + "')");
      }
    }
  }
  throw InputError(item, "unknown dtype " + detail::npy_python_repr(descr) +
                             " (expected one of '|b1', '|i1', '|u1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8', "
                             "'<f2', '<f4', '<f8')");
}

int64_t npy_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string npy_shape_repr(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string encode_npy_header(NpyDType dtype, const std::vector<int64_t>& shape) {
  std::string dict =
      "{'descr': '" + npy_descr(dtype) + "', 'fortran_order': False, 'shape': " + npy_shape_repr(shape) + ", }";
  if (!shape.empty()) dict.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  // As numpy's _wrap_header: dict, then 1..64 spaces and '\n' so that prefix + text is a multiple of 64.
  int version = 1;
  size_t prefix = 10;
  size_t text = dict.size() + 1;
  size_t pad = kArrayAlign - (prefix + text) % kArrayAlign;
  if (text + pad > 0xFFFF) {
    version = 2;
    prefix = 12;
    pad = kArrayAlign - (prefix + text) % kArrayAlign;
  }
  size_t len = text + pad;
  std::string out(kMagic);
  out += static_cast<char>(version);
  out += '\0';
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xFF);
  out += dict;
  out.append(pad, ' ');
  out += '\n';
  return out;
}

NpyHeader parse_npy_header(const void* bytes, size_t size, const std::string& item) {
  const auto* b = static_cast<const uint8_t*>(bytes);
  Prefix p = parse_prefix(b, size, item);
  if (size < p.prefix_bytes + p.header_bytes) {
    throw InputError(item, "truncated .npy header: " + std::to_string(size) + " bytes, header says " +
                               std::to_string(p.prefix_bytes + p.header_bytes));
  }
  std::string_view text(reinterpret_cast<const char*>(b) + p.prefix_bytes, p.header_bytes);
  NpyHeader h;
  h.version_major = p.version_major;
  h.data_offset = static_cast<int64_t>(p.prefix_bytes + p.header_bytes);
  detail::parse_npy_header_dict(text, item, &h);
  return h;
}

NpyHeader read_npy_header(const fs::path& path) {
  int64_t size = 0;
  Fd fd = open_for_reading(path, &size);
  return read_header_from(fd.get(), size, path.string());
}

NpyArray::NpyArray(NpyDType t, std::vector<int64_t> s) : dtype(t), shape(std::move(s)) {
  for (int64_t d : shape) NNSEG_CHECK(d >= 0) << "negative dimension in shape " << npy_shape_repr(shape);
  bytes.assign(static_cast<size_t>(numel()) * npy_dtype_size(dtype), 0);
}

NpyArray read_npy(const fs::path& path) {
  int64_t size = 0;
  Fd fd = open_for_reading(path, &size);
  NpyHeader h = read_header_from(fd.get(), size, path.string());
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.bytes.resize(static_cast<size_t>(h.data_bytes()));
  read_exactly(fd.get(), a.bytes.data(), a.bytes.size(), h.data_offset, path.string());
  return a;
}

NpyArray decode_npy(const void* bytes, size_t size, const std::string& item) {
  NpyHeader h = parse_npy_header(bytes, size, item);
  int64_t available = static_cast<int64_t>(size) - h.data_offset;
  if (available < h.data_bytes()) {
    throw InputError(item, "data is " + std::to_string(available) + " bytes but shape " + npy_shape_repr(h.shape) +
                               " of " + to_string(h.dtype) + " needs " + std::to_string(h.data_bytes()));
  }
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  const auto* start = static_cast<const uint8_t*>(bytes) + h.data_offset;
  a.bytes.assign(start, start + h.data_bytes());
  return a;
}

void write_npy(const fs::path& path, NpyDType dtype, const std::vector<int64_t>& shape, const void* data) {
  for (int64_t d : shape) NNSEG_CHECK(d >= 0) << path.string() << ": negative dimension in " << npy_shape_repr(shape);
  size_t data_bytes = static_cast<size_t>(npy_numel(shape)) * npy_dtype_size(dtype);
  NNSEG_CHECK(data != nullptr || data_bytes == 0) << path.string() << ": no data for shape " << npy_shape_repr(shape);
  std::string header = encode_npy_header(dtype, shape);
  write_atomically(path, [&](const fs::path& tmp) {
    Fd fd(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd.get() < 0) throw Error(path.string(), "cannot create .npy file: " + errno_text());
    write_exactly(fd.get(), header.data(), header.size(), path.string());
    write_exactly(fd.get(), data, data_bytes, path.string());
    if (!fd.close()) throw Error(path.string(), "cannot write .npy file: " + errno_text());
  });
}

void write_npy(const fs::path& path, const NpyArray& array) {
  NNSEG_CHECK(array.bytes.size() == static_cast<size_t>(array.numel()) * npy_dtype_size(array.dtype))
      << path.string() << ": " << array.bytes.size() << " bytes for shape " << npy_shape_repr(array.shape) << " of "
      << to_string(array.dtype);
  write_npy(path, array.dtype, array.shape, array.bytes.data());
}

MappedNpy::MappedNpy(const fs::path& path) : path_(path) {
  int64_t size = 0;
  Fd fd = open_for_reading(path, &size);
  header_ = read_header_from(fd.get(), size, path.string());
  size_t item = npy_dtype_size(header_.dtype);
  if (header_.data_offset % static_cast<int64_t>(item) != 0) {
    throw InputError(path.string(), "data offset " + std::to_string(header_.data_offset) +
                                        " is not a multiple of the element size " + std::to_string(item) +
                                        "; cannot memory-map it");
  }
  map_size_ = static_cast<size_t>(size);
  void* p = ::mmap(nullptr, map_size_, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) throw Error(path.string(), "cannot memory-map .npy file: " + errno_text());
  map_ = p;
}

MappedNpy::~MappedNpy() { unmap(); }

MappedNpy::MappedNpy(MappedNpy&& other) noexcept { *this = std::move(other); }

MappedNpy& MappedNpy::operator=(MappedNpy&& other) noexcept {
  if (this != &other) {
    unmap();
    std::swap(path_, other.path_);
    std::swap(header_, other.header_);
    std::swap(map_, other.map_);
    std::swap(map_size_, other.map_size_);
  }
  return *this;
}

void MappedNpy::unmap() noexcept {
  if (map_ != nullptr) ::munmap(map_, map_size_);
  path_.clear();
  header_ = NpyHeader{};
  map_ = nullptr;
  map_size_ = 0;
}

}  // namespace nnseg
