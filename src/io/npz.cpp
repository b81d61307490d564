// .npz archives with libzip (io/npz.h). np.savez writes each array as "<key>.npy" (ZIP_STORED), np.savez_compressed
// the same with ZIP_DEFLATED; np.load lists the entries in archive order with ".npy" dropped.
#include "io/npz.h"

#include <zip.h>

#include <cmath>
#include <cstring>
#include <set>
#include <utility>

#include "core/check.h"
#include "core/error.h"
#include "io/atomic_write.h"

namespace nnseg {
namespace {

constexpr const char* kNpySuffix = ".npy";
// DOS date 1980-01-01, time 00:00: every entry gets it, so equal arrays give byte-identical archives.
constexpr zip_uint16_t kDosDate = (1 << 5) | 1;
constexpr zip_uint16_t kDosTime = 0;
// Deflate expands at most ~1032:1; a member that claims more than this per compressed byte is damaged.
constexpr uint64_t kMaxInflateRatio = 1100;
constexpr size_t kReadChunk = size_t{1} << 26;
// zlib's default level, as Python's zipfile (np.savez_compressed); libzip would otherwise pick 9, several times slower.
constexpr zip_uint32_t kDeflateLevel = 6;

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// An open archive; discarded (nothing written) unless close() succeeded.
class Archive {
 public:
  explicit Archive(zip_t* za) : za_(za) {}
  ~Archive() {
    if (za_ != nullptr) zip_discard(za_);
  }
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;
  zip_t* get() const { return za_; }
  std::string error_text() const { return zip_strerror(za_); }
  // zip_close; on failure the archive stays open (and is discarded by the destructor).
  bool close() {
    if (zip_close(za_) != 0) return false;
    za_ = nullptr;
    return true;
  }

 private:
  zip_t* za_;
};

// An open archive member, closed on destruction.
class Member {
 public:
  explicit Member(zip_file_t* f) : f_(f) {}
  ~Member() {
    if (f_ != nullptr) zip_fclose(f_);
  }
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;
  zip_file_t* get() const { return f_; }

 private:
  zip_file_t* f_;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// An empty zip archive: only the end-of-central-directory record (libzip deletes an archive left without entries).
std::string empty_zip() {
  std::string eocd("PK\x05\x06", 4);
  eocd.append(18, '\0');
  return eocd;
}

// Reads member `index` whole; InputError naming `item` when the archive is damaged there.
std::vector<uint8_t> read_member(zip_t* za, zip_uint64_t index, const std::string& item) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(za, index, 0, &st) != 0)
    throw InputError(item, std::string("cannot read entry: ") + zip_strerror(za));
  if ((st.valid & ZIP_STAT_SIZE) == 0) throw InputError(item, "entry has no size");
  if ((st.valid & ZIP_STAT_COMP_SIZE) != 0 && st.size > st.comp_size * kMaxInflateRatio + 4096) {
    throw InputError(item, "entry claims " + std::to_string(st.size) + " bytes from " + std::to_string(st.comp_size) +
                               " compressed bytes; the archive is damaged");
  }
  Member f(zip_fopen_index(za, index, 0));
  if (f.get() == nullptr) throw InputError(item, std::string("cannot open entry: ") + zip_strerror(za));
  std::vector<uint8_t> bytes(static_cast<size_t>(st.size));
  size_t done = 0;
  while (true) {
    // One byte of room past the end so that a longer-than-declared entry shows, and the CRC is checked at EOF.
    uint8_t extra = 0;
    void* dst = done < bytes.size() ? static_cast<void*>(bytes.data() + done) : static_cast<void*>(&extra);
    size_t want = done < bytes.size() ? std::min(bytes.size() - done, kReadChunk) : 1;
    zip_int64_t n = zip_fread(f.get(), dst, want);
    if (n < 0) throw InputError(item, std::string("cannot read entry: ") + zip_file_strerror(f.get()));
    if (n == 0) break;
    if (done >= bytes.size()) throw InputError(item, "entry is longer than its declared size");
    done += static_cast<size_t>(n);
  }
  if (done != bytes.size()) {
    throw InputError(item,
                     "entry ended after " + std::to_string(done) + " of " + std::to_string(bytes.size()) + " bytes");
  }
  return bytes;
}

}  // namespace

void write_npz(const fs::path& path, const std::vector<NpzMemberView>& members, NpzCompression compression) {
  std::set<std::string> names;
  std::vector<std::string> headers;  // built first: the archive reads them (and the data) in place at zip_close
  std::vector<uint64_t> data_bytes;
  for (const NpzMemberView& m : members) {
    NNSEG_CHECK(!m.name.empty()) << path.string() << ": empty .npz member name";
    NNSEG_CHECK(names.insert(m.name).second) << path.string() << ": duplicate .npz member '" << m.name << "'";
    for (int64_t d : m.shape) {
      NNSEG_CHECK(d >= 0) << path.string() << ": negative dimension in " << npy_shape_repr(m.shape);
    }
    data_bytes.push_back(static_cast<uint64_t>(npy_numel(m.shape)) * npy_dtype_size(m.dtype));
    NNSEG_CHECK(m.data != nullptr || data_bytes.back() == 0)
        << path.string() << ": no data for member '" << m.name << "' of shape " << npy_shape_repr(m.shape);
    headers.push_back(encode_npy_header(m.dtype, m.shape));
  }
  if (members.empty()) {
    write_file_atomically(path, empty_zip());
    return;
  }
  write_atomically(path, [&](const fs::path& tmp) {
    int code = 0;
    zip_t* za = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (za == nullptr) throw Error(path.string(), "cannot create .npz archive: " + zip_error_text(code));
    Archive archive(za);
    for (size_t i = 0; i < members.size(); ++i) {
      const NpzMemberView& m = members[i];
      // libzip only reads through these pointers.
      zip_buffer_fragment_t fragments[2] = {
          {reinterpret_cast<zip_uint8_t*>(const_cast<char*>(headers[i].data())), headers[i].size()},
          {static_cast<zip_uint8_t*>(const_cast<void*>(m.data)), data_bytes[i]}};
      zip_source_t* source = zip_source_buffer_fragment(za, fragments, data_bytes[i] > 0 ? 2 : 1, 0);
      if (source == nullptr) throw Error(path.string(), "cannot add .npz member: " + archive.error_text());
      const std::string entry = m.name + kNpySuffix;
      zip_int64_t index = zip_file_add(za, entry.c_str(), source, ZIP_FL_ENC_UTF_8);
      if (index < 0) {
        zip_source_free(source);
        throw Error(path.string(), "cannot add .npz member '" + entry + "': " + archive.error_text());
      }
      const auto u = static_cast<zip_uint64_t>(index);
      const bool deflate = compression == NpzCompression::kDeflated;
      if (zip_set_file_compression(za, u, deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, deflate ? kDeflateLevel : 0) != 0 ||
          zip_file_set_dostime(za, u, kDosTime, kDosDate, 0) != 0) {
        throw Error(path.string(), "cannot set up .npz member '" + entry + "': " + archive.error_text());
      }
    }
    if (!archive.close()) throw Error(path.string(), "cannot write .npz archive: " + archive.error_text());
  });
}

void write_npz(const fs::path& path, const std::vector<NpzMember>& members, NpzCompression compression) {
  std::vector<NpzMemberView> views;
  views.reserve(members.size());
  for (const NpzMember& m : members) {
    NNSEG_CHECK(m.array.bytes.size() == static_cast<size_t>(m.array.numel()) * npy_dtype_size(m.array.dtype))
        << path.string() << ": member '" << m.name << "' has " << m.array.bytes.size() << " bytes for shape "
        << npy_shape_repr(m.array.shape) << " of " << to_string(m.array.dtype);
    views.push_back({m.name, m.array.dtype, m.array.shape, m.array.bytes.data()});
  }
  write_npz(path, views, compression);
}

std::vector<NpzMember> read_npz(const fs::path& path) {
  const std::string item = path.string();
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw InputError(item, ".npz file not found");
  if (!fs::is_regular_file(status)) throw InputError(item, "not a regular file (expected a .npz archive)");
  int code = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (za == nullptr) {
    if (code == ZIP_ER_NOZIP) throw InputError(item, "not a .npz file: not a zip archive (or a truncated one)");
    throw InputError(item, "cannot open .npz archive: " + zip_error_text(code));
  }
  Archive archive(za);
  const zip_int64_t count = zip_get_num_entries(za, 0);
  if (count < 0) throw InputError(item, "cannot list .npz archive: " + archive.error_text());
  std::vector<NpzMember> members;
  members.reserve(static_cast<size_t>(count));
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    const char* raw_name = zip_get_name(za, index, 0);
    if (raw_name == nullptr)
      throw InputError(item, "cannot read entry " + std::to_string(i) + ": " + archive.error_text());
    const std::string entry = raw_name;
    const std::string member_item = item + ": member '" + entry + "'";
    std::vector<uint8_t> bytes = read_member(za, index, member_item);
    NpzMember m;
    m.name = ends_with(entry, kNpySuffix) ? entry.substr(0, entry.size() - std::strlen(kNpySuffix)) : entry;
    // As decode_npy, but the data stays in the buffer it was read into (no second copy of a large member).
    const NpyHeader header = parse_npy_header(bytes.data(), bytes.size(), member_item);
    const int64_t available = static_cast<int64_t>(bytes.size()) - header.data_offset;
    if (available < header.data_bytes()) {
      throw InputError(member_item, "data is " + std::to_string(available) + " bytes but shape " +
                                        npy_shape_repr(header.shape) + " of " + to_string(header.dtype) + " needs " +
                                        std::to_string(header.data_bytes()));
    }
    bytes.erase(bytes.begin(), bytes.begin() + header.data_offset);
    bytes.resize(static_cast<size_t>(header.data_bytes()));
    m.array.dtype = header.dtype;
    m.array.shape = header.shape;
    m.array.bytes = std::move(bytes);
    members.push_back(std::move(m));
  }
  return members;
}

uint16_t float32_to_float16(float value) {
  uint32_t f = 0;
  std::memcpy(&f, &value, sizeof f);
  const auto sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
  const uint32_t abs_bits = f & 0x7FFFFFFFu;
  if (abs_bits >= 0x7F800000u) {  // infinity or NaN
    if (abs_bits == 0x7F800000u) return sign | 0x7C00u;
    // NaN: keep the top of the payload as numpy's npy_floatbits_to_halfbits, but never turn it into infinity.
    auto h = static_cast<uint16_t>(0x7C00u + ((abs_bits & 0x007FFFFFu) >> 13));
    if (h == 0x7C00u) ++h;
    return sign | h;
  }
  if (abs_bits >= 0x47800000u) return sign | 0x7C00u;  // >= 65536: overflow
  if (abs_bits < 0x38800000u) {                        // below 2^-14: a subnormal half (or zero)
    // The value in units of 2^-24, rounded to nearest even (the scaling is exact, rint uses the default
    // round-to-nearest-even mode). 1024 units is the smallest normal half, which the bits then encode.
    float units = std::rint(std::fabs(value) * 16777216.0f);
    return sign | static_cast<uint16_t>(units);
  }
  const uint32_t exponent = (abs_bits >> 23) - 127 + 15;  // 1..30
  const uint32_t mantissa = abs_bits & 0x007FFFFFu;
  uint32_t h = (exponent << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1FFFu;
  // Round to nearest even; a carry out of the mantissa correctly bumps the exponent (up to infinity at 65520).
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) != 0)) ++h;
  return sign | static_cast<uint16_t>(h);
}

float float16_to_float32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1Fu;
  const uint32_t mantissa = bits & 0x3FFu;
  uint32_t f = 0;
  if (exponent == 0x1F) {
    f = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    f = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
  } else {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float v = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    std::memcpy(&f, &v, sizeof f);
    f |= sign;
  }
  float out = 0;
  std::memcpy(&out, &f, sizeof out);
  return out;
}

NpyArray float16_array(const std::vector<int64_t>& shape, const float* data) {
  NpyArray a(NpyDType::kFloat16, shape);
  const int64_t n = a.numel();
  NNSEG_CHECK(data != nullptr || n == 0) << "no data for shape " << npy_shape_repr(shape);
  auto* out = reinterpret_cast<uint16_t*>(a.bytes.data());
  for (int64_t i = 0; i < n; ++i) out[i] = float32_to_float16(data[i]);
  return a;
}

void save_probabilities_npz(const fs::path& path, const std::vector<int64_t>& shape, const float* data) {
  write_npz(path, {NpzMember{"softmax", float16_array(shape, data)}}, NpzCompression::kDeflated);
}

}  // namespace nnseg
