// NIfTI-1 read/write through ITK's NiftiImageIO (io/nifti.h). The header is checked by hand first so that a
// broken or hostile file gives a short InputError instead of an ITK exception dump or an absurd allocation; voxels
// and geometry then come from itk::ImageFileReader<itk::Image<T, 3>>, as SimpleITK reads them.
#include "io/nifti.h"

#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkNiftiImageIO.h>
#include <itkOutputWindow.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_write.h"

namespace nnseg {

namespace {

constexpr int kNifti1HeaderBytes = 348;
// deflate cannot compress better than about 1032:1, so a .nii.gz whose header claims more voxel bytes than this
// many times its own size is certainly truncated; checked before ITK allocates the buffer.
constexpr double kMaxDeflateRatio = 1100.0;

// ITK's warnings (e.g. about non-orthonormal sforms) go through our log sink instead of stderr.
class LogOutputWindow : public itk::OutputWindow {
 public:
  using Self = LogOutputWindow;
  using Pointer = itk::SmartPointer<Self>;
  static Pointer New() {
    Pointer p = new Self;
    p->UnRegister();
    return p;
  }
  void DisplayText(const char* text) override { log_info(trim(text)); }
  void DisplayErrorText(const char* text) override { log_warning(trim(text)); }
  void DisplayWarningText(const char* text) override { log_warning(trim(text)); }
  void DisplayGenericOutputText(const char* text) override { log_info(trim(text)); }
  void DisplayDebugText(const char* text) override { log_info(trim(text)); }

 private:
  static std::string trim(const char* text) {
    std::string s(text ? text : "");
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
};

void install_itk_output_window() {
  static std::once_flag once;
  std::call_once(once, [] { itk::OutputWindow::SetInstance(LogOutputWindow::New()); });
}

bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_gzip_name(const fs::path& path) { return has_suffix(path.filename().string(), ".gz"); }

// ITK's exception text without file/line and without the multi-line dump: the first line of the description.
std::string itk_reason(const itk::ExceptionObject& e) {
  std::string s = e.GetDescription() ? e.GetDescription() : "";
  // "ITK ERROR: NiftiImageIO(0x5581...): what" -> "what"
  if (s.rfind("ITK ERROR: ", 0) == 0) s = s.substr(11);
  const auto open = s.find("(0x");
  const auto close = s.find("): ");
  if (open != std::string::npos && close != std::string::npos && open < close && s.find_first_of(" :") > open) {
    s = s.substr(close + 3);
  }
  auto nl = s.find('\n');
  if (nl != std::string::npos) s = s.substr(0, nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '.')) s.pop_back();
  if (s.empty()) s = "ITK could not read it";
  return s;
}

PixelType pixel_type_from_nifti_code(int code, bool* ok) {
  *ok = true;
  switch (code) {
    case 2:
      return PixelType::kUInt8;
    case 4:
      return PixelType::kInt16;
    case 8:
      return PixelType::kInt32;
    case 16:
      return PixelType::kFloat32;
    case 64:
      return PixelType::kFloat64;
    case 256:
      return PixelType::kInt8;
    case 512:
      return PixelType::kUInt16;
    case 768:
      return PixelType::kUInt32;
    case 1024:
      return PixelType::kInt64;
    case 1280:
      return PixelType::kUInt64;
    default:
      *ok = false;
      return PixelType::kUInt8;
  }
}

PixelType pixel_type_from_itk(itk::IOComponentEnum c, const fs::path& path) {
  using C = itk::IOComponentEnum;
  switch (c) {
    case C::UCHAR:
      return PixelType::kUInt8;
    case C::CHAR:
      return PixelType::kInt8;
    case C::USHORT:
      return PixelType::kUInt16;
    case C::SHORT:
      return PixelType::kInt16;
    case C::UINT:
      return PixelType::kUInt32;
    case C::INT:
      return PixelType::kInt32;
    case C::ULONG:
    case C::ULONGLONG:
      return PixelType::kUInt64;
    case C::LONG:
    case C::LONGLONG:
      return PixelType::kInt64;
    case C::FLOAT:
      return PixelType::kFloat32;
    case C::DOUBLE:
      return PixelType::kFloat64;
    default:
      break;
  }
  throw InputError(path.string(), "unsupported pixel component type " + itk::ImageIOBase::GetComponentTypeAsString(c));
}

template <typename T>
T load(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap) {
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  }
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

// Validates the raw NIfTI-1 header before ITK sees the file. Returns shape (z, y, x) and the on-disk type.
struct RawHeader {
  std::array<int64_t, 3> shape{0, 0, 0};
  PixelType disk_type = PixelType::kUInt8;
  int64_t data_end = 0;  // bytes the (decompressed) file must hold: data offset + voxel bytes
  std::string need;      // "AxBxC int16 voxels need N bytes from offset M", for messages
};

RawHeader check_raw_header(const fs::path& path) {
  const std::string p = path.string();
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(p, "file not found");
  if (!fs::is_regular_file(status)) throw InputError(p, "not a regular file");
  const auto file_size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) throw InputError(p, "cannot read file size: " + ec.message());
  if (file_size == 0) throw InputError(p, "empty file (0 bytes)");
  const std::string name = path.filename().string();
  if (!has_suffix(name, ".nii") && !has_suffix(name, ".nii.gz")) {
    throw InputError(p, "not a NIfTI file name (expected .nii or .nii.gz)");
  }

  // gzread reads plain files transparently, so a mis-named file is still diagnosed by its content.
  unsigned char h[kNifti1HeaderBytes];
  gzFile gz = gzopen(p.c_str(), "rb");
  if (gz == nullptr) throw InputError(p, "cannot open file");
  int got = gzread(gz, h, kNifti1HeaderBytes);
  int gz_err = 0;
  const char* gz_msg = gzerror(gz, &gz_err);
  std::string gz_reason = (got < 0 && gz_msg != nullptr) ? gz_msg : "";
  gzclose(gz);
  if (got < 0) throw InputError(p, "cannot decompress header: " + gz_reason);
  if (got < kNifti1HeaderBytes) {
    throw InputError(p, "file too short for a NIfTI-1 header (" + std::to_string(got) + " of 348 bytes)");
  }

  int32_t sizeof_hdr = load<int32_t>(h, false);
  bool swap = false;
  if (sizeof_hdr != kNifti1HeaderBytes) {
    if (load<int32_t>(h, true) == kNifti1HeaderBytes) {
      swap = true;
    } else if (sizeof_hdr == 540 || load<int32_t>(h, true) == 540) {
      throw InputError(p, "NIfTI-2 files are not supported (only NIfTI-1)");
    } else {
      throw InputError(p, "not a NIfTI-1 file (sizeof_hdr = " + std::to_string(sizeof_hdr) + ", expected 348)");
    }
  }
  if (std::memcmp(h + 344, "n+1\0", 4) != 0) {
    std::string magic;
    for (int i = 344; i < 348 && h[i] != 0; ++i) {
      magic += (h[i] >= 32 && h[i] < 127) ? static_cast<char>(h[i]) : '?';
    }
    throw InputError(p, "bad NIfTI-1 magic '" + magic + "' (expected 'n+1'; Analyze and .hdr/.img not supported)");
  }

  int16_t dim[8];
  for (int i = 0; i < 8; ++i) dim[i] = load<int16_t>(h + 40 + 2 * i, swap);
  if (dim[0] < 1 || dim[0] > 7) throw InputError(p, "bad dim[0] = " + std::to_string(dim[0]) + " (expected 1..7)");
  for (int i = 1; i <= dim[0]; ++i) {
    if (dim[i] < 1) {
      throw InputError(p, "bad dim[" + std::to_string(i) + "] = " + std::to_string(dim[i]) + " (must be >= 1)");
    }
  }
  if (dim[0] < 3) throw InputError(p, "a " + std::to_string(dim[0]) + "D image, expected 3D");
  for (int i = 4; i <= dim[0]; ++i) {
    if (dim[i] != 1) {
      std::ostringstream s;
      s << "a " << dim[0] << "D image with dim[" << i << "] = " << dim[i] << ", expected 3D";
      throw InputError(p, s.str());
    }
  }

  int16_t datatype = load<int16_t>(h + 70, swap);
  RawHeader out;
  bool ok = false;
  out.disk_type = pixel_type_from_nifti_code(datatype, &ok);
  if (!ok) throw InputError(p, "unsupported NIfTI datatype code " + std::to_string(datatype));
  out.shape = {dim[3], dim[2], dim[1]};

  float vox_offset = load<float>(h + 108, swap);
  if (!std::isfinite(vox_offset) || vox_offset < 0) {
    throw InputError(p, "bad vox_offset = " + std::to_string(vox_offset));
  }
  const int64_t data_start = std::max<int64_t>(static_cast<int64_t>(vox_offset), kNifti1HeaderBytes);
  const int64_t data_bytes =
      static_cast<int64_t>(dim[1]) * dim[2] * dim[3] * static_cast<int64_t>(pixel_size_bytes(out.disk_type));
  out.data_end = data_start + data_bytes;
  std::ostringstream need;
  need << dim[1] << "x" << dim[2] << "x" << dim[3] << " " << to_string(out.disk_type) << " voxels need " << data_bytes
       << " bytes from offset " << data_start;
  if (is_gzip_name(path)) {
    if (static_cast<double>(data_bytes) > kMaxDeflateRatio * static_cast<double>(file_size)) {
      throw InputError(p, "truncated: header claims " + need.str() + " but the compressed file has only " +
                              std::to_string(file_size) + " bytes");
    }
  } else if (file_size < data_start + data_bytes) {
    throw InputError(p, "truncated: " + need.str() + " but the file has " + std::to_string(file_size) + " bytes");
  }
  out.need = need.str();
  return out;
}

// niftilib fills the voxels missing from a short file with zeros and reports nothing, so before ITK reads a .nii.gz
// the whole stream is decompressed once: a cut or corrupt stream (gzip CRC) or too little data is an InputError.
// (An uncompressed .nii is checked by its size in check_raw_header.)
void check_gzip_stream(const fs::path& path, const RawHeader& raw) {
  gzFile gz = gzopen(path.string().c_str(), "rb");
  if (gz == nullptr) throw InputError(path.string(), "cannot open file");
  gzbuffer(gz, 1 << 18);
  std::vector<char> chunk(1 << 20);
  int64_t total = 0;
  std::string error;
  for (;;) {
    int n = gzread(gz, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(gz, &code);
      error = msg != nullptr ? msg : "read error";
      break;
    }
    if (n == 0) {
      // A stream cut before its end reads as end-of-file with Z_BUF_ERROR ("unexpected end of file").
      int code = Z_OK;
      const char* msg = gzerror(gz, &code);
      if (code != Z_OK) error = msg != nullptr ? msg : "unexpected end of file";
      break;
    }
    total += n;
  }
  gzclose(gz);
  const std::string prefix = path.string() + ": ";  // zlib puts the path in front of its message
  if (error.rfind(prefix, 0) == 0) error = error.substr(prefix.size());
  if (!error.empty()) throw InputError(path.string(), "truncated or corrupt gzip data (" + error + ")");
  if (total < raw.data_end) {
    throw InputError(path.string(),
                     "truncated: " + raw.need + " but the decompressed file has " + std::to_string(total) + " bytes");
  }
}

itk::NiftiImageIO::Pointer make_io() {
  install_itk_output_window();
  auto io = itk::NiftiImageIO::New();
  io->SetLegacyAnalyze75Mode(itk::NiftiImageIOEnums::Analyze75Flavor::AnalyzeReject);
  return io;
}

// Reads ITK's view of the header: the pixel type it will deliver (float when scl_slope/scl_inter apply).
PixelType read_itk_pixel_type(const fs::path& path, itk::NiftiImageIO* io) {
  io->SetFileName(path.string());
  try {
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    throw InputError(path.string(), itk_reason(e));
  }
  if (io->GetPixelType() != itk::IOPixelEnum::SCALAR || io->GetNumberOfComponents() != 1) {
    throw InputError(path.string(), std::string("not a scalar image (pixel type ") +
                                        itk::ImageIOBase::GetPixelTypeAsString(io->GetPixelType()) + ")");
  }
  return pixel_type_from_itk(io->GetComponentType(), path);
}

template <typename T>
Geometry geometry_of(const itk::Image<T, 3>* image) {
  Geometry g;
  for (unsigned i = 0; i < 3; ++i) {
    g.spacing[i] = image->GetSpacing()[i];
    g.origin[i] = image->GetOrigin()[i];
    for (unsigned j = 0; j < 3; ++j) g.direction[i * 3 + j] = image->GetDirection()(i, j);
  }
  return g;
}

// Reads through itk::ImageFileReader<itk::Image<T, 3>> as SimpleITK does. A 4D file whose 4th size is 1 reaches
// here as 3D: NiftiImageIO drops trailing singleton dimensions itself and fills the 3x3 direction from the NIfTI
// affine's first three columns (the 4th axis never enters it); were it to report 4 axes, ImageFileReader would keep
// the top-left 3x3 block of the 4x4 direction, which is the same matrix.
template <typename T>
Image read_with_itk(const fs::path& path, itk::NiftiImageIO* io, const RawHeader& raw, bool with_data) {
  using ItkImage = itk::Image<T, 3>;
  auto reader = itk::ImageFileReader<ItkImage>::New();
  reader->SetImageIO(io);
  reader->SetFileName(path.string());
  Image out;
  out.type = pixel_type_of<T>();
  try {
    if (with_data) {
      reader->Update();
    } else {
      reader->UpdateOutputInformation();
    }
  } catch (const itk::ExceptionObject& e) {
    throw InputError(path.string(), itk_reason(e));
  }
  const ItkImage* image = reader->GetOutput();
  const auto size = image->GetLargestPossibleRegion().GetSize();
  out.shape = {static_cast<int64_t>(size[2]), static_cast<int64_t>(size[1]), static_cast<int64_t>(size[0])};
  if (out.shape != raw.shape) {
    throw InputError(path.string(), "ITK reports a different size than the header");
  }
  out.geometry = geometry_of(image);
  if (with_data) {
    out.bytes.resize(static_cast<size_t>(out.numel()) * sizeof(T));
    std::memcpy(out.bytes.data(), image->GetBufferPointer(), out.bytes.size());
  }
  return out;
}

Image read_impl(const fs::path& path, bool with_data) {
  RawHeader raw = check_raw_header(path);
  if (with_data && is_gzip_name(path)) check_gzip_stream(path, raw);
  auto io = make_io();
  PixelType type = read_itk_pixel_type(path, io.GetPointer());
  return dispatch_pixel_type(type, [&](auto tag) {
    using T = decltype(tag);
    return read_with_itk<T>(path, io.GetPointer(), raw, with_data);
  });
}

template <typename T>
void write_with_itk(const fs::path& target, const fs::path& tmp, const Image& image) {
  using ItkImage = itk::Image<T, 3>;
  auto itk_image = ItkImage::New();
  typename ItkImage::SizeType size;
  typename ItkImage::SpacingType spacing;
  typename ItkImage::PointType origin;
  typename ItkImage::DirectionType direction;
  for (unsigned i = 0; i < 3; ++i) {
    size[i] = static_cast<itk::SizeValueType>(image.size_xyz()[i]);
    spacing[i] = image.geometry.spacing[i];
    origin[i] = image.geometry.origin[i];
    for (unsigned j = 0; j < 3; ++j) direction(i, j) = image.geometry.direction[i * 3 + j];
  }
  itk_image->SetRegions(typename ItkImage::RegionType(size));
  try {
    itk_image->SetSpacing(spacing);
    itk_image->SetDirection(direction);
  } catch (const itk::ExceptionObject& e) {
    throw InputError(target.string(), "bad geometry: " + itk_reason(e));
  }
  itk_image->SetOrigin(origin);
  // The writer only reads the buffer: ITK borrows our voxels instead of copying them (it does not free them).
  itk_image->GetPixelContainer()->SetImportPointer(const_cast<T*>(image.data<T>()),
                                                   static_cast<itk::SizeValueType>(image.numel()), false);

  auto writer = itk::ImageFileWriter<ItkImage>::New();
  writer->SetImageIO(make_io());
  writer->SetFileName(tmp.string());
  writer->SetInput(itk_image);
  writer->SetUseCompression(is_gzip_name(target));
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw Error(target.string(), "cannot write NIfTI: " + itk_reason(e));
  }
}

}  // namespace

NiftiInfo read_nifti_info(const fs::path& path) {
  Image header = read_impl(path, /*with_data=*/false);
  NiftiInfo info;
  info.shape = header.shape;
  info.geometry = header.geometry;
  info.type = header.type;
  return info;
}

Image read_nifti(const fs::path& path) { return read_impl(path, /*with_data=*/true); }

void write_nifti(const fs::path& path, const Image& image) {
  const std::string name = path.filename().string();
  if (!has_suffix(name, ".nii") && !has_suffix(name, ".nii.gz")) {
    throw InputError(path.string(), "not a NIfTI file name (expected .nii or .nii.gz)");
  }
  for (int64_t s : image.shape) {
    if (s < 1 || s > 32767) throw InputError(path.string(), "cannot write size " + std::to_string(s) + " in NIfTI-1");
  }
  for (int i = 0; i < 3; ++i) {
    const double sp = image.geometry.spacing[i], org = image.geometry.origin[i];
    if (!(std::isfinite(sp) && sp > 0) || !std::isfinite(org)) {
      std::ostringstream what;
      what << "bad geometry: spacing[" << i << "] = " << sp << ", origin[" << i << "] = " << org
           << " (spacing must be positive and both finite)";
      throw InputError(path.string(), what.str());
    }
  }
  NNSEG_CHECK(image.bytes.size() == static_cast<size_t>(image.numel()) * pixel_size_bytes(image.type))
      << "image buffer has " << image.bytes.size() << " bytes";
  write_atomically(path, [&](const fs::path& tmp) {
    dispatch_pixel_type(image.type, [&](auto tag) { write_with_itk<decltype(tag)>(path, tmp, image); });
  });
}

}  // namespace nnseg
