// NIfTI I/O (io/nifti.h): round trips for every pixel type, array order, NIfTI scaling, and every kind of broken
// file giving an InputError that names the path (geometry from hand-built headers: nifti_geometry_test.cpp).
#include "io/nifti.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "core/error.h"
#include "io/nifti_header_test_util.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::expect_input_error;
using testing::expect_unreadable;
using testing::raw_bytes;
using testing::RawNiftiHeader;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;
using testing::write_raw_nifti;

const PixelType kAllTypes[] = {PixelType::kUInt8,   PixelType::kInt8,   PixelType::kUInt16, PixelType::kInt16,
                               PixelType::kUInt32,  PixelType::kInt32,  PixelType::kUInt64, PixelType::kInt64,
                               PixelType::kFloat32, PixelType::kFloat64};

// A rotation (axis (1, 2, 3), 40 degrees) as a row-major direction matrix.
std::array<double, 9> rotated_direction() {
  const double n = std::sqrt(14.0);
  const double x = 1 / n, y = 2 / n, z = 3 / n;
  const double c = std::cos(40 * M_PI / 180), s = std::sin(40 * M_PI / 180), t = 1 - c;
  return {t * x * x + c,     t * x * y - s * z, t * x * z + s * y, t * x * y + s * z, t * y * y + c,
          t * y * z - s * x, t * x * z - s * y, t * y * z + s * x, t * z * z + c};
}

// Anisotropic spacing, odd origin, and an axis-permuting, mirroring direction (exactly representable, so ITK's
// float32 header fields reproduce it bit for bit).
Geometry odd_geometry() {
  Geometry g;
  g.spacing = {0.7, 1.3, 2.9};
  g.origin = {-12.345678, 98.7654321, 3.14159};
  g.direction = {0, 0, -1, 1, 0, 0, 0, -1, 0};
  return g;
}

Geometry oblique_geometry() {
  Geometry g = odd_geometry();
  g.direction = rotated_direction();
  return g;
}

// A (3, 4, 5) image of type `type` holding the type's extremes and a ramp.
Image test_image(PixelType type, Geometry g = odd_geometry()) {
  Image img(type, {3, 4, 5}, g);
  dispatch_pixel_type(type, [&](auto tag) {
    using T = decltype(tag);
    T* p = img.data<T>();
    for (int64_t i = 0; i < img.numel(); ++i) p[i] = static_cast<T>(i * 3 % 101);
    p[0] = std::numeric_limits<T>::lowest();
    p[1] = std::numeric_limits<T>::max();
    p[2] = std::numeric_limits<T>::is_integer ? T{1} : static_cast<T>(0.1);
    if constexpr (!std::numeric_limits<T>::is_integer) p[3] = std::numeric_limits<T>::denorm_min();
  });
  return img;
}

void expect_geometry_near(const Geometry& a, const Geometry& b, const std::string& what) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(a.spacing[i], b.spacing[i], 1e-6) << what << " spacing " << i;
    EXPECT_NEAR(a.origin[i], b.origin[i], 1e-4) << what << " origin " << i;
  }
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(a.direction[i], b.direction[i], 1e-6) << what << " direction " << i;
}

// Bitwise comparison of doubles (== would accept 0.0 == -0.0).
void expect_geometry_bitwise(const Geometry& a, const Geometry& b, const std::string& what) {
  EXPECT_EQ(std::memcmp(a.spacing.data(), b.spacing.data(), sizeof(a.spacing)), 0) << what << " spacing";
  EXPECT_EQ(std::memcmp(a.origin.data(), b.origin.data(), sizeof(a.origin)), 0) << what << " origin";
  EXPECT_EQ(std::memcmp(a.direction.data(), b.direction.data(), sizeof(a.direction)), 0) << what << " direction";
}

class RoundTrip : public ::testing::TestWithParam<std::tuple<PixelType, std::string>> {};

TEST_P(RoundTrip, DataTypeAndGeometryArePreserved) {
  const auto [type, ext] = GetParam();
  TempDir dir;
  const Image original = test_image(type);
  const fs::path first = dir / ("a" + ext);
  write_nifti(first, original);
  const Image read1 = read_nifti(first);
  EXPECT_EQ(read1.type, type);
  EXPECT_EQ(read1.shape, original.shape);
  EXPECT_EQ(read1.bytes, original.bytes) << "voxels differ";
  expect_geometry_near(read1.geometry, original.geometry, "write->read");

  // What we read, written again and read again, is bitwise identical (NIfTI stores float32 geometry, so only
  // the second generation is exact).
  const fs::path second = dir / ("b" + ext);
  write_nifti(second, read1);
  const Image read2 = read_nifti(second);
  EXPECT_EQ(read2.type, type);
  EXPECT_EQ(read2.bytes, read1.bytes);
  expect_geometry_bitwise(read2.geometry, read1.geometry, "read->write->read");

  const NiftiInfo info = read_nifti_info(second);
  EXPECT_EQ(info.type, type);
  EXPECT_EQ(info.shape, original.shape);
  expect_geometry_bitwise(info.geometry, read2.geometry, "info");

  // Only the target is left: no temporary files.
  EXPECT_EQ(testing::list_files(dir.path()), (std::vector<std::string>{"a" + ext, "b" + ext}));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RoundTrip,
                         ::testing::Combine(::testing::ValuesIn(kAllTypes), ::testing::Values(".nii", ".nii.gz")),
                         [](const auto& param_info) {
                           return to_string(std::get<0>(param_info.param)) +
                                  (std::get<1>(param_info.param) == ".nii" ? "_nii" : "_niigz");
                         });

TEST(Nifti, GzipOnlyForNiiGz) {
  TempDir dir;
  write_nifti(dir / "a.nii.gz", test_image(PixelType::kInt16));
  write_nifti(dir / "a.nii", test_image(PixelType::kInt16));
  const std::string gz = read_bytes(dir / "a.nii.gz");
  const std::string raw = read_bytes(dir / "a.nii");
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(raw.substr(344, 3), "n+1");
  EXPECT_EQ(raw.size(), 352u + 3 * 4 * 5 * 2);
}

// An oblique direction goes through ITK's float32 quaternion and sform: what comes back is within float precision,
// and writing what was read drifts by at most a few 1e-8 per generation (ITK/SimpleITK behave the same).
TEST(Nifti, ObliqueGeometryRoundTripsWithinFloatPrecision) {
  TempDir dir;
  for (bool mirrored : {false, true}) {
    Geometry g = oblique_geometry();
    if (mirrored) {
      for (int r = 0; r < 3; ++r) g.direction[r * 3 + 2] = -g.direction[r * 3 + 2];  // determinant -1: qfac = -1
    }
    write_nifti(dir / "o1.nii.gz", test_image(PixelType::kFloat32, g));
    const Image read1 = read_nifti(dir / "o1.nii.gz");
    expect_geometry_near(read1.geometry, g, mirrored ? "mirrored" : "rotated");
    write_nifti(dir / "o2.nii.gz", read1);
    const Image read2 = read_nifti(dir / "o2.nii.gz");
    EXPECT_EQ(read2.geometry.spacing, read1.geometry.spacing);
    EXPECT_EQ(read2.geometry.origin, read1.geometry.origin);
    for (int i = 0; i < 9; ++i) EXPECT_NEAR(read2.geometry.direction[i], read1.geometry.direction[i], 1e-7);
  }
}

// Voxel (i, j, k) of the file (x fastest on disk) is array element [k][j][i]: no transposition.
TEST(Nifti, ArrayOrderIsZYXWithXFastest) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(5, 4, 3);  // x=5, y=4, z=3
  std::vector<int16_t> data(60);
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j < 4; ++j) {
      for (int i = 0; i < 5; ++i) data[(k * 4 + j) * 5 + i] = static_cast<int16_t>(100 * k + 10 * j + i);
    }
  }
  write_raw_nifti(dir / "o.nii", h, raw_bytes(data));
  const Image img = read_nifti(dir / "o.nii");
  EXPECT_EQ(img.shape, (std::array<int64_t, 3>{3, 4, 5}));
  EXPECT_EQ(img.size_xyz(), (std::array<int64_t, 3>{5, 4, 3}));
  EXPECT_EQ(img.type, PixelType::kInt16);
  EXPECT_EQ(img.value(img.index(2, 1, 4)), 214);
  EXPECT_EQ(img.value(img.index(1, 3, 0)), 130);
}

// A big-endian file (header and voxels) reads like its little-endian twin.
TEST(Nifti, BigEndianFile) {
  TempDir dir;
  RawNiftiHeader h = testing::qform_header();
  std::vector<int16_t> data(24);
  std::string swapped;
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<int16_t>(300 * static_cast<int>(i) - 3000);
    swapped += static_cast<char>((data[i] >> 8) & 0xff);
    swapped += static_cast<char>(data[i] & 0xff);
  }
  write_raw_nifti(dir / "le.nii", h, raw_bytes(data));
  write_bytes(dir / "be.nii", testing::big_endian_header_bytes(h) + swapped);
  write_bytes(dir / "be.nii.gz", testing::gzip_bytes(testing::big_endian_header_bytes(h) + swapped));
  const Image le = read_nifti(dir / "le.nii");
  for (const char* name : {"be.nii", "be.nii.gz"}) {
    const Image be = read_nifti(dir / name);
    EXPECT_EQ(be.type, PixelType::kInt16) << name;
    EXPECT_EQ(be.bytes, le.bytes) << name;
    EXPECT_EQ(be.geometry, le.geometry) << name;
  }
  EXPECT_EQ(le.value(23), 300 * 23 - 3000);
  // A truncated big-endian file is still caught from its (swapped) header.
  write_bytes(dir / "cut.nii", testing::big_endian_header_bytes(h) + swapped.substr(0, 10));
  expect_unreadable(dir / "cut.nii", "truncated");
}

// Stages read cases in parallel: concurrent reads and writes of different files give the same bytes.
TEST(Nifti, ConcurrentReadsAndWrites) {
  TempDir dir;
  const Image image = test_image(PixelType::kFloat32);
  write_nifti(dir / "src.nii.gz", image);
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 5; ++k) {
        const Image back = read_nifti(dir / "src.nii.gz");
        const fs::path out = dir / ("t" + std::to_string(t) + ".nii.gz");
        write_nifti(out, back);
        ok[t] += read_nifti(out).bytes == image.bytes ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, (std::vector<int>{5, 5, 5, 5}));
}

// scl_slope/scl_inter: ITK (and so SimpleITK) switches to float and applies value * slope + inter on read.
TEST(Nifti, ScalingIsAppliedAndTypeBecomesFloat) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(4, 3, 2);
  h.scl_slope = 2;
  h.scl_inter = 10;
  std::vector<int16_t> data(24);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<int16_t>(static_cast<int>(i) - 12);
  for (const char* name : {"s.nii", "s.nii.gz"}) {
    write_raw_nifti(dir / name, h, raw_bytes(data));
    const NiftiInfo info = read_nifti_info(dir / name);
    EXPECT_EQ(info.type, PixelType::kFloat32) << name;
    const Image img = read_nifti(dir / name);
    ASSERT_EQ(img.type, PixelType::kFloat32) << name;
    for (size_t i = 0; i < data.size(); ++i) EXPECT_EQ(img.value(static_cast<int64_t>(i)), 2.0 * data[i] + 10.0);
  }
  // slope 1, inter 0 is no scaling: the type stays int16.
  h.scl_slope = 1;
  h.scl_inter = 0;
  write_raw_nifti(dir / "u.nii", h, raw_bytes(data));
  EXPECT_EQ(read_nifti(dir / "u.nii").type, PixelType::kInt16);
}

TEST(Nifti, FourDWithSingletonTimeReadsAs3D) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(4, 3, 2);
  h.dim = {4, 4, 3, 2, 1, 1, 1, 1};
  h.pixdim = {1, 0.5f, 0.75f, 2.5f, 3.0f, 1, 1, 1};
  h.qform_code = 1;
  h.qoffset_x = 7;
  h.qoffset_y = -8;
  h.qoffset_z = 9;
  std::vector<int16_t> data(24, 5);
  write_raw_nifti(dir / "t.nii.gz", h, raw_bytes(data));
  const Image img = read_nifti(dir / "t.nii.gz");
  EXPECT_EQ(img.shape, (std::array<int64_t, 3>{2, 3, 4}));
  EXPECT_EQ(img.geometry.spacing, (std::array<double, 3>{0.5, 0.75, 2.5}));
  EXPECT_EQ(img.geometry.origin, (std::array<double, 3>{-7, 8, 9}));
  // NIfTI's identity (RAS) is diag(-1, -1, 1) in LPS.
  EXPECT_EQ(img.geometry.direction, (std::array<double, 9>{-1, 0, 0, 0, -1, 0, 0, 0, 1}));
  EXPECT_EQ(img.value(23), 5);
}

// A file we write is what nibabel expects: the same voxels at (i, j, k) and the RAS affine
// diag(-1, -1, 1) * [direction * diag(spacing) | origin].
TEST(Nifti, NibabelReadsWhatWeWrite) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  TempDir dir;
  const Image image = test_image(PixelType::kInt16, oblique_geometry());
  write_nifti(dir / "n.nii.gz", image);
  const std::string script =
      "import sys, json\n"
      "try:\n"
      "    import nibabel, numpy\n"
      "except ImportError:\n"
      "    sys.exit(3)\n"
      "img = nibabel.load(sys.argv[1])\n"
      "data = numpy.asanyarray(img.dataobj)\n"
      "print(json.dumps({'shape': list(data.shape), 'dtype': str(data.dtype), 'affine': img.affine.tolist(),\n"
      "                  'data': [int(v) for v in data.ravel(order='F')]}))\n";
  auto py = testing::run_command({"/usr/bin/python3", "-c", script, (dir / "n.nii.gz").string()});
  if (py.exit_code == 3) GTEST_SKIP() << "nibabel not installed";
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const auto j = nlohmann::json::parse(py.out);
  EXPECT_EQ(j["shape"], nlohmann::json({5, 4, 3}));
  EXPECT_EQ(j["dtype"], "int16");
  const std::vector<int> values = j["data"].get<std::vector<int>>();
  ASSERT_EQ(values.size(), 60u);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(values[i], image.value(i)) << i;
  const Geometry& g = image.geometry;
  for (int r = 0; r < 3; ++r) {
    const double ras = r < 2 ? -1.0 : 1.0;
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(j["affine"][r][c].get<double>(), ras * g.direction[r * 3 + c] * g.spacing[c], 1e-6) << r << c;
    }
    EXPECT_NEAR(j["affine"][r][3].get<double>(), ras * g.origin[r], 1e-4) << r;
  }
}

// ---- unreadable input: InputError naming the path and what is wrong ----

TEST(NiftiErrors, MissingFile) {
  TempDir dir;
  expect_unreadable(dir / "nope.nii.gz", "not found");
}

TEST(NiftiErrors, ZeroByteFile) {
  TempDir dir;
  write_bytes(dir / "e.nii.gz", "");
  write_bytes(dir / "e.nii", "");
  expect_unreadable(dir / "e.nii.gz", "empty");
  expect_unreadable(dir / "e.nii", "empty");
}

TEST(NiftiErrors, Directory) {
  TempDir dir;
  fs::create_directories(dir / "d.nii.gz");
  expect_unreadable(dir / "d.nii.gz", "not a regular file");
}

TEST(NiftiErrors, TruncatedGzip) {
  TempDir dir;
  Image img(PixelType::kFloat32, {16, 16, 16});
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0, 1);
  for (int64_t i = 0; i < img.numel(); ++i) img.data<float>()[i] = u(rng);  // incompressible
  write_nifti(dir / "full.nii.gz", img);
  const std::string all = read_bytes(dir / "full.nii.gz");
  write_bytes(dir / "half.nii.gz", all.substr(0, all.size() / 2));
  // The header is intact, so only reading the voxels fails.
  EXPECT_NO_THROW(read_nifti_info(dir / "half.nii.gz"));
  expect_input_error([&] { read_nifti(dir / "half.nii.gz"); }, dir / "half.nii.gz", "unexpected end of file");
  // Only the 8-byte trailer (CRC, size) cut: every voxel is there, but the stream is still incomplete.
  write_bytes(dir / "trailer.nii.gz", all.substr(0, all.size() - 4));
  expect_input_error([&] { read_nifti(dir / "trailer.nii.gz"); }, dir / "trailer.nii.gz", "unexpected end of file");
  // One flipped byte in the middle: the CRC (or inflate) catches it.
  std::string flipped = all;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  write_bytes(dir / "flip.nii.gz", flipped);
  expect_input_error([&] { read_nifti(dir / "flip.nii.gz"); }, dir / "flip.nii.gz", "corrupt gzip data");
  // Cut inside the header.
  write_bytes(dir / "head.nii.gz", all.substr(0, 40));
  expect_unreadable(dir / "head.nii.gz", "");
}

TEST(NiftiErrors, WrongMagic) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(4, 4, 4);
  h.magic = {'x', 'y', 'z', '\0'};
  write_raw_nifti(dir / "m.nii", h, std::string(128, '\0'));
  write_raw_nifti(dir / "m.nii.gz", h, std::string(128, '\0'));
  expect_unreadable(dir / "m.nii", "magic 'xyz'");
  expect_unreadable(dir / "m.nii.gz", "magic 'xyz'");
  // Analyze 7.5 (no magic at all) is rejected too.
  h.magic = {'\0', '\0', '\0', '\0'};
  write_raw_nifti(dir / "a.nii", h, std::string(128, '\0'));
  expect_unreadable(dir / "a.nii", "magic");
}

TEST(NiftiErrors, HeaderClaimsMoreDataThanTheFileHas) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(100, 100, 100);
  write_raw_nifti(dir / "big.nii", h, std::string(16, '\1'));
  write_raw_nifti(dir / "big.nii.gz", h, std::string(16, '\1'));
  expect_unreadable(dir / "big.nii", "100x100x100");
  expect_unreadable(dir / "big.nii.gz", "100x100x100");
  // Huge dims with a tiny file: rejected from the header, nothing allocated.
  h.dim = {3, 32767, 32767, 32767, 1, 1, 1, 1};
  h.datatype = 64;
  h.bitpix = 64;
  write_raw_nifti(dir / "huge.nii", h, "");
  write_raw_nifti(dir / "huge.nii.gz", h, "");
  expect_unreadable(dir / "huge.nii", "truncated");
  expect_unreadable(dir / "huge.nii.gz", "truncated");
}

// A .nii.gz that decompresses fine but holds fewer voxels than its header needs, small enough that the
// compression-ratio bound cannot tell: ITK's own read fails and that becomes an InputError too.
TEST(NiftiErrors, GzipWithTooFewVoxels) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(20, 20, 20, 16, 32);
  std::mt19937 rng(2);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  write_raw_nifti(dir / "short.nii.gz", h, data);
  EXPECT_NO_THROW(read_nifti_info(dir / "short.nii.gz"));
  expect_input_error([&] { read_nifti(dir / "short.nii.gz"); }, dir / "short.nii.gz",
                     "decompressed file has 1352 bytes");
}

TEST(NiftiErrors, TextFileNamedNiiGz) {
  TempDir dir;
  write_bytes(dir / "x.nii.gz", "this is not an image\n");
  expect_unreadable(dir / "x.nii.gz", "too short");
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "this is a longer text that is still not an image\n";
  write_bytes(dir / "y.nii.gz", long_text);
  expect_unreadable(dir / "y.nii.gz", "not a NIfTI-1 file");
}

TEST(NiftiErrors, BadDatatypeCode) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(2, 2, 2, 9999, 16);
  write_raw_nifti(dir / "d.nii", h, std::string(64, '\0'));
  expect_unreadable(dir / "d.nii", "datatype code 9999");
  RawNiftiHeader rgb = RawNiftiHeader::make(2, 2, 2, 128, 24);  // RGB24 is valid NIfTI but not a scalar
  write_raw_nifti(dir / "rgb.nii", rgb, std::string(64, '\0'));
  expect_unreadable(dir / "rgb.nii", "datatype code 128");
}

TEST(NiftiErrors, NegativeOrZeroDims) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(2, -3, 2);
  write_raw_nifti(dir / "n.nii", h, std::string(64, '\0'));
  expect_unreadable(dir / "n.nii", "dim[2] = -3");
  h = RawNiftiHeader::make(2, 2, 0);
  write_raw_nifti(dir / "z.nii.gz", h, std::string(64, '\0'));
  expect_unreadable(dir / "z.nii.gz", "dim[3] = 0");
  h.dim = {0, 2, 2, 2, 1, 1, 1, 1};
  write_raw_nifti(dir / "r.nii", h, std::string(64, '\0'));
  expect_unreadable(dir / "r.nii", "dim[0] = 0");
}

TEST(NiftiErrors, Real4DAnd2DAnd5D) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(2, 2, 2);
  h.dim = {4, 2, 2, 2, 3, 1, 1, 1};
  write_raw_nifti(dir / "t.nii.gz", h, std::string(48, '\0'));
  expect_unreadable(dir / "t.nii.gz", "dim[4] = 3");
  h.dim = {2, 2, 2, 1, 1, 1, 1, 1};
  write_raw_nifti(dir / "p.nii", h, std::string(8, '\0'));
  expect_unreadable(dir / "p.nii", "2D");
  h.dim = {5, 2, 2, 2, 1, 2, 1, 1};
  write_raw_nifti(dir / "f.nii", h, std::string(32, '\0'));
  expect_unreadable(dir / "f.nii", "dim[5] = 2");
}

TEST(NiftiErrors, WriteWithBadGeometry) {
  TempDir dir;
  Geometry g;
  g.direction = {0, 0, 0, 0, 1, 0, 0, 0, 1};
  expect_input_error([&] { write_nifti(dir / "s.nii.gz", test_image(PixelType::kUInt8, g)); }, dir / "s.nii.gz",
                     "determinant is 0");
  g.direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  g.spacing = {1, 0, 1};
  expect_input_error([&] { write_nifti(dir / "z.nii", test_image(PixelType::kUInt8, g)); }, dir / "z.nii",
                     "spacing[1] = 0");
  g.spacing = {1, 1, 1};
  g.origin = {0, 0, std::nan("")};
  expect_input_error([&] { write_nifti(dir / "n.nii", test_image(PixelType::kUInt8, g)); }, dir / "n.nii",
                     "origin[2] = nan");
  EXPECT_TRUE(testing::list_files(dir.path()).empty());
}

TEST(NiftiErrors, WrongExtension) {
  TempDir dir;
  write_nifti(dir / "a.nii", test_image(PixelType::kUInt8));
  fs::copy_file(dir / "a.nii", dir / "a.img");
  expect_unreadable(dir / "a.img", ".nii");
  expect_input_error([&] { write_nifti(dir / "b.png", test_image(PixelType::kUInt8)); }, dir / "b.png", ".nii");
}

}  // namespace
}  // namespace nnseg
