// .npz archives (io/npz.h): round trips of every dtype and odd shapes, float16 conversion (exact values, rounding,
// inf/NaN, subnormals), numpy reading ours and us reading numpy's (skipped without /usr/bin/python3 + numpy), and
// damaged files.
#include "io/npz.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "core/error.h"
#include "io/atomic_write.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

constexpr const char* kPython = "/usr/bin/python3";

bool have_numpy() {
  return fs::exists(kPython) && testing::run_command({kPython, "-c", "import numpy"}).exit_code == 0;
}

std::string hex(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::vector<NpzMember> sample_members() {
  std::vector<NpzMember> m;
  m.push_back({"weights.0", NpyArray::from_values<float>({2, 3}, {0.5f, -1.25f, 3e-8f, 1e30f, -0.0f, 7.0f})});
  m.push_back({"labels", NpyArray::from_values<int8_t>({4}, {-128, -1, 0, 127})});
  m.push_back({"scalar", NpyArray::from_values<uint8_t>({}, {200})});
  m.push_back({"empty", NpyArray(NpyDType::kInt64, {2, 0, 3})});
  m.push_back({"doubles", NpyArray::from_values<double>({1, 1, 1, 2}, {1.0 / 3.0, -2.5e300})});
  NpyArray mask(NpyDType::kBool, {3});
  mask.bytes = {1, 0, 1};
  m.push_back({"mask", mask});
  m.push_back({"i16", NpyArray::from_values<int16_t>({2}, {-32768, 12345})});
  m.push_back({"u16", NpyArray::from_values<uint16_t>({2}, {65535, 1})});
  m.push_back({"i32", NpyArray::from_values<int32_t>({1}, {-2000000000})});
  m.push_back({"u32", NpyArray::from_values<uint32_t>({1}, {4000000000u})});
  m.push_back({"i64", NpyArray::from_values<int64_t>({2, 1}, {-(int64_t{1} << 62), 5})});
  m.push_back({"u64", NpyArray::from_values<uint64_t>({1}, {~uint64_t{0}})});
  m.push_back({"half", float16_array({3}, std::vector<float>{1.0f, -0.5f, 65504.0f}.data())});
  return m;
}

void expect_same(const std::vector<NpzMember>& a, const std::vector<NpzMember>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << "member " << i;
    EXPECT_EQ(a[i].array.dtype, b[i].array.dtype) << a[i].name;
    EXPECT_EQ(a[i].array.shape, b[i].array.shape) << a[i].name;
    EXPECT_EQ(a[i].array.bytes, b[i].array.bytes) << a[i].name;
  }
}

TEST(Npz, RoundTripEveryDtypeAndShapeStoredAndDeflated) {
  TempDir dir;
  const auto members = sample_members();
  for (NpzCompression c : {NpzCompression::kStored, NpzCompression::kDeflated}) {
    const fs::path path = dir / (c == NpzCompression::kStored ? "stored.npz" : "deflated.npz");
    write_npz(path, members, c);
    expect_same(read_npz(path), members);
  }
  EXPECT_EQ(testing::list_files(dir.path()), (std::vector<std::string>{"deflated.npz", "stored.npz"}));  // no temp
}

TEST(Npz, SameArraysGiveIdenticalBytesAndOverwrite) {
  TempDir dir;
  write_npz(dir / "a.npz", sample_members());
  write_npz(dir / "b.npz", sample_members());
  EXPECT_EQ(read_file(dir / "a.npz"), read_file(dir / "b.npz"));
  write_npz(dir / "a.npz", {NpzMember{"x", NpyArray::from_values<float>({1}, {2.0f})}});
  const auto back = read_npz(dir / "a.npz");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].name, "x");
  EXPECT_EQ(back[0].array.at<float>(0), 2.0f);
}

TEST(Npz, EmptyArchiveAndViewsWithoutCopy) {
  TempDir dir;
  write_npz(dir / "none.npz", std::vector<NpzMember>{});
  EXPECT_TRUE(read_npz(dir / "none.npz").empty());
  const std::vector<int32_t> big(70000, 7);  // larger than one zlib window
  write_npz(dir / "view.npz",
            {NpzMemberView{"big", NpyDType::kInt32, {700, 100}, big.data()},
             NpzMemberView{"nothing", NpyDType::kFloat32, {0}, nullptr}},
            NpzCompression::kDeflated);
  const auto back = read_npz(dir / "view.npz");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].array.shape, (std::vector<int64_t>{700, 100}));
  EXPECT_EQ(std::vector<int32_t>(back[0].array.data<int32_t>(), back[0].array.data<int32_t>() + 70000), big);
  EXPECT_EQ(back[1].array.numel(), 0);
  EXPECT_LT(fs::file_size(dir / "view.npz"), 10000u);  // deflated
}

TEST(Float16, ExactValuesAndRounding) {
  const float tiny = std::ldexp(1.0f, -24);  // smallest subnormal half
  struct Case {
    float value;
    uint16_t bits;
  } cases[] = {
      {0.0f, 0x0000},
      {-0.0f, 0x8000},
      {1.0f, 0x3C00},
      {-2.0f, 0xC000},
      {0.5f, 0x3800},
      {0.1f, 0x2E66},
      {1.0f / 3.0f, 0x3555},
      {65504.0f, 0x7BFF},                                              // largest half
      {65519.99f, 0x7BFF},                                             // just below the rounding boundary
      {65520.0f, 0x7C00},                                              // tie with "65536": to even, which is infinity
      {1e9f, 0x7C00},                                                  // overflow
      {-1e38f, 0xFC00},                                                // overflow, negative
      {1.0f + std::ldexp(1.0f, -11), 0x3C00},                          // tie between 1 and 1+2^-10: to even (1)
      {1.0f + 3 * std::ldexp(1.0f, -11), 0x3C02},                      // tie between 1+2^-10 and 1+2^-9: to even
      {1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20), 0x3C01},  // just above the tie
      {2047.0f / 1024.0f + std::ldexp(1.0f, -11), 0x4000},             // mantissa carry into the exponent
      {std::ldexp(1.0f, -14), 0x0400},                                 // smallest normal
      {tiny, 0x0001},                                                  // smallest subnormal
      {-tiny, 0x8001},
      {1023 * tiny, 0x03FF},     // largest subnormal
      {1023.5f * tiny, 0x0400},  // tie: to even, the smallest normal
      {0.5f * tiny, 0x0000},     // tie between 0 and tiny: to even (0)
      {-0.5f * tiny, 0x8000},    // negative zero
      {0.50001f * tiny, 0x0001},
      {1.5f * tiny, 0x0002},  // tie between 1 and 2 units: to even
      {2.5f * tiny, 0x0002},  // tie between 2 and 3 units: to even
      {std::numeric_limits<float>::denorm_min(), 0x0000},
      {std::numeric_limits<float>::infinity(), 0x7C00},
      {-std::numeric_limits<float>::infinity(), 0xFC00},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(float32_to_float16(c.value), c.bits) << c.value;
  }
  const uint16_t nan = float32_to_float16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
  EXPECT_TRUE(std::isnan(float16_to_float32(nan)));
  // A NaN whose payload lives only in the low bits must not become infinity.
  uint32_t low_payload = 0x7F800001u;
  float low_nan = 0;
  std::memcpy(&low_nan, &low_payload, sizeof low_nan);
  EXPECT_EQ(float32_to_float16(low_nan), 0x7C01);
  EXPECT_EQ(float16_to_float32(0x7BFF), 65504.0f);
  EXPECT_EQ(float16_to_float32(0x0001), tiny);
  EXPECT_EQ(float16_to_float32(0x83FF), -1023 * tiny);
  EXPECT_EQ(float16_to_float32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::signbit(float16_to_float32(0x8000)));
}

TEST(Float16, EveryHalfSurvivesTheRoundTrip) {
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    const auto bits = static_cast<uint16_t>(b);
    const float f = float16_to_float32(bits);
    if (std::isnan(f)) {
      EXPECT_EQ(float32_to_float16(f), bits);  // payload fits: kept
    } else {
      ASSERT_EQ(float32_to_float16(f), bits) << std::hex << b;
    }
  }
}

TEST(Npz, SaveProbabilitiesWritesDeflatedFloat16Softmax) {
  TempDir dir;
  const std::vector<float> p = {0.25f, 0.75f, 1.0f, 0.0f, 0.1f, 0.9f};
  save_probabilities_npz(dir / "case.npz", {2, 1, 1, 3}, p.data());
  const auto back = read_npz(dir / "case.npz");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].name, "softmax");
  EXPECT_EQ(back[0].array.dtype, NpyDType::kFloat16);
  EXPECT_EQ(back[0].array.shape, (std::vector<int64_t>{2, 1, 1, 3}));
  const auto* h = reinterpret_cast<const uint16_t*>(back[0].array.bytes.data());
  EXPECT_EQ(h[0], 0x3400);
  EXPECT_EQ(h[1], 0x3A00);
  EXPECT_EQ(h[4], 0x2E66);
  EXPECT_EQ(float16_to_float32(h[5]), 0.89990234375f);
}

void expect_input_error(const fs::path& path, const std::vector<std::string>& fragments) {
  try {
    read_npz(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const InputError& e) {
    const std::string msg = format_error(e);
    for (const std::string& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  }
}

// A zip with one entry `name` holding `contents`, written with libzip directly.
void write_raw_zip(const fs::path& path, const std::string& name, const std::string& contents) {
  int code = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  ASSERT_NE(za, nullptr);
  zip_source_t* src = zip_source_buffer(za, contents.data(), contents.size(), 0);
  ASSERT_GE(zip_file_add(za, name.c_str(), src, 0), 0);
  ASSERT_EQ(zip_close(za), 0);
}

TEST(Npz, BadFilesAreInputErrorsNamingThePath) {
  TempDir dir;
  expect_input_error(dir / "missing.npz", {"missing.npz", "not found"});
  write_file_atomically(dir / "garbage.npz", "this is not a zip archive at all, just some text\n");
  expect_input_error(dir / "garbage.npz", {"garbage.npz", "not a zip archive"});
  write_file_atomically(dir / "zero.npz", "");
  expect_input_error(dir / "zero.npz", {"zero.npz"});
  expect_input_error(dir.path(), {dir.path().string(), "not a regular file"});

  // Truncated: the central directory is gone.
  write_npz(dir / "full.npz", sample_members());
  const std::string full = read_file(dir / "full.npz");
  write_file_atomically(dir / "truncated.npz", full.substr(0, full.size() / 2));
  expect_input_error(dir / "truncated.npz", {"truncated.npz"});

  // A flipped data byte inside a stored member: the CRC check catches it.
  std::vector<NpzMember> one = {{"w", NpyArray::from_values<float>({4}, {1, 2, 3, 4})}};
  write_npz(dir / "one.npz", one);
  std::string bytes = read_file(dir / "one.npz");
  const size_t at = bytes.find(std::string("\x00\x00\x80\x3f", 4));  // 1.0f in the member data
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] = 0x40;
  write_file_atomically(dir / "crc.npz", bytes);
  expect_input_error(dir / "crc.npz", {"crc.npz", "w.npy"});

  // Members that are not valid .npy files.
  write_raw_zip(dir / "notnpy.npz", "x.npy", "hello");
  expect_input_error(dir / "notnpy.npz", {"notnpy.npz", "x.npy", "magic"});
  std::string header = encode_npy_header(NpyDType::kFloat32, {10});
  write_raw_zip(dir / "short.npz", "y.npy", header + std::string(8, '\0'));
  expect_input_error(dir / "short.npz", {"short.npz", "y.npy", "(10,)"});
}

class NpzNumpy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_numpy()) GTEST_SKIP() << kPython << " with numpy not available";
  }
  static testing::CommandResult python(const std::string& script, const std::vector<std::string>& args) {
    std::vector<std::string> argv{kPython, "-c", script};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_command(argv, {}, 120);
  }
};

TEST_F(NpzNumpy, NumpyReadsOurArchives) {
  TempDir dir;
  const auto members = sample_members();
  write_npz(dir / "stored.npz", members, NpzCompression::kStored);
  write_npz(dir / "deflated.npz", members, NpzCompression::kDeflated);
  const char* script = R"(
import sys, zipfile, numpy as np
for path in sys.argv[1:]:
    methods = {i.filename: i.compress_type for i in zipfile.ZipFile(path).infolist()}
    with np.load(path) as f:
        for k in f.files:
            a = f[k]
            print(k, a.dtype.name, a.shape, methods[k + '.npy'], a.tobytes().hex(), sep='|')
)";
  const auto r = python(script, {(dir / "stored.npz").string(), (dir / "deflated.npz").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ostringstream expected;
  for (int method : {0, 8}) {
    for (const NpzMember& m : members) {
      expected << m.name << "|" << to_string(m.array.dtype) << "|" << npy_shape_repr(m.array.shape) << "|" << method
               << "|" << hex(m.array.bytes) << "\n";
    }
  }
  EXPECT_EQ(r.out, expected.str());
}

TEST_F(NpzNumpy, WeReadNumpyArchives) {
  TempDir dir;
  const char* script = R"(
import sys, numpy as np
arrays = dict(a=np.arange(6, dtype=np.float32).reshape(2, 3) / 4, b=np.array(-7, dtype=np.int64),
              c=np.zeros((0, 4), dtype=np.uint8), d=np.array([True, False]),
              e=np.arange(100000, dtype=np.int32), f=np.array([0.1, 65504, -np.inf], dtype=np.float16))
np.savez(sys.argv[1] + '/plain.npz', **arrays)
np.savez_compressed(sys.argv[1] + '/compressed.npz', **arrays)
)";
  const auto r = python(script, {dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"plain.npz", "compressed.npz"}) {
    SCOPED_TRACE(name);
    const auto m = read_npz(dir / name);
    ASSERT_EQ(m.size(), 6u);
    EXPECT_EQ(m[0].name, "a");
    EXPECT_EQ(m[0].array.dtype, NpyDType::kFloat32);
    EXPECT_EQ(m[0].array.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(m[0].array.at<float>(5), 1.25f);
    EXPECT_EQ(m[1].name, "b");
    EXPECT_TRUE(m[1].array.shape.empty());
    EXPECT_EQ(m[1].array.at<int64_t>(0), -7);
    EXPECT_EQ(m[2].array.dtype, NpyDType::kUInt8);
    EXPECT_EQ(m[2].array.shape, (std::vector<int64_t>{0, 4}));
    EXPECT_EQ(m[3].array.dtype, NpyDType::kBool);
    EXPECT_EQ(m[3].array.bytes, (std::vector<uint8_t>{1, 0}));
    EXPECT_EQ(m[4].array.numel(), 100000);
    EXPECT_EQ(m[4].array.at<int32_t>(99999), 99999);
    EXPECT_EQ(m[5].array.dtype, NpyDType::kFloat16);
    const auto* h = reinterpret_cast<const uint16_t*>(m[5].array.bytes.data());
    EXPECT_EQ(h[0], float32_to_float16(0.1f));
    EXPECT_EQ(h[1], 0x7BFF);
    EXPECT_EQ(h[2], 0xFC00);
  }
}

TEST_F(NpzNumpy, Float16MatchesNumpyAstype) {
  // Special values, every rounding boundary region, and random bit patterns over the whole float range.
  std::vector<float> values;
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = rng();
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    values.push_back(f);
  }
  std::uniform_real_distribution<float> small(-70000.0f, 70000.0f);
  for (int i = 0; i < 50000; ++i) values.push_back(small(rng));
  for (int e = -30; e <= 17; ++e) {
    for (float m : {1.0f, 1.00048828125f, 1.000732421875f, 1.5f, 1.99951171875f, 1.999755859375f}) {
      values.push_back(std::ldexp(m, e));
      values.push_back(-std::ldexp(m, e));
    }
  }
  values.push_back(std::numeric_limits<float>::quiet_NaN());
  values.push_back(std::numeric_limits<float>::infinity());
  TempDir dir;
  write_npz(dir / "in.npz",
            {NpzMemberView{"x", NpyDType::kFloat32, {static_cast<int64_t>(values.size())}, values.data()}});
  const char* script = R"(
import sys, numpy as np
with np.errstate(all='ignore'):
    h = np.load(sys.argv[1])['x'].astype(np.float16)
np.savez(sys.argv[2], h=h)
)";
  const auto r = python(script, {(dir / "in.npz").string(), (dir / "out.npz").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = read_npz(dir / "out.npz");
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].array.numel(), static_cast<int64_t>(values.size()));
  const auto* theirs = reinterpret_cast<const uint16_t*>(out[0].array.bytes.data());
  int mismatches = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (float32_to_float16(values[i]) != theirs[i] && ++mismatches < 10) {
      ADD_FAILURE() << values[i] << ": ours " << std::hex << float32_to_float16(values[i]) << ", numpy " << theirs[i];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace nnseg
