// Tests for io/npy: numpy's exact header bytes, round trips for every dtype, memory-mapped reads, every bad input,
// atomic writes, and a cross-check against /usr/bin/python3's numpy (skipped when it is missing).
#include "io/npy.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include "core/error.h"
#include "io/atomic_write.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

const NpyDType kAllDTypes[] = {NpyDType::kBool,   NpyDType::kInt8,    NpyDType::kUInt8,   NpyDType::kInt16,
                               NpyDType::kUInt16, NpyDType::kInt32,   NpyDType::kUInt32,  NpyDType::kInt64,
                               NpyDType::kUInt64, NpyDType::kFloat16, NpyDType::kFloat32, NpyDType::kFloat64};

void write_raw(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A v1.0 file with the given dict text, padded to 64 bytes, followed by `data`.
std::string npy_with_dict(const std::string& dict, const std::string& data = "") {
  size_t len = dict.size() + 1;
  len += (64 - (10 + len) % 64) % 64;
  std::string text = dict + std::string(len - dict.size() - 1, ' ') + "\n";
  return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(len & 0xFF) + static_cast<char>(len >> 8) + text +
         data;
}

std::string f32_dict(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

// Element i of the test pattern (i % 7 - 3) in `dtype`, as little-endian bytes; numpy's astype wraps the same way.
std::string pattern_element(NpyDType dtype, int64_t i) {
  int64_t v = i % 7 - 3;
  auto raw = [](auto x) { return std::string(reinterpret_cast<const char*>(&x), sizeof x); };
  static const uint16_t kHalf[7] = {0xC200, 0xC000, 0xBC00, 0x0000, 0x3C00, 0x4000, 0x4200};  // -3 .. 3
  switch (dtype) {
    case NpyDType::kBool:
      return raw(static_cast<uint8_t>(i % 2));
    case NpyDType::kInt8:
      return raw(static_cast<int8_t>(v));
    case NpyDType::kUInt8:
      return raw(static_cast<uint8_t>(v));
    case NpyDType::kInt16:
      return raw(static_cast<int16_t>(v));
    case NpyDType::kUInt16:
      return raw(static_cast<uint16_t>(v));
    case NpyDType::kInt32:
      return raw(static_cast<int32_t>(v));
    case NpyDType::kUInt32:
      return raw(static_cast<uint32_t>(v));
    case NpyDType::kInt64:
      return raw(v);
    case NpyDType::kUInt64:
      return raw(static_cast<uint64_t>(v));
    case NpyDType::kFloat16:
      return raw(kHalf[v + 3]);
    case NpyDType::kFloat32:
      return raw(static_cast<float>(v));
    case NpyDType::kFloat64:
      return raw(static_cast<double>(v));
  }
  return "";
}

NpyArray pattern_array(NpyDType dtype, const std::vector<int64_t>& shape) {
  NpyArray a(dtype, shape);
  std::string bytes;
  for (int64_t i = 0; i < a.numel(); ++i) bytes += pattern_element(dtype, i);
  std::copy(bytes.begin(), bytes.end(), a.bytes.begin());
  return a;
}

const std::vector<std::vector<int64_t>> kShapes = {{}, {5}, {2, 3, 4, 5}, {0, 3}};

// Expects `f` to throw InputError (exit status 2) whose message names `path` and contains `value`.
void expect_input_error(const std::function<void()>& f, const fs::path& path, const std::string& value) {
  try {
    f();
    ADD_FAILURE() << "no error for " << path << " (expected one mentioning " << value << ")";
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    std::string msg = format_error(e);
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(value), std::string::npos) << msg << "\n  lacks: " << value;
  }
}

// Bad file content: read_npy, read_npy_header and MappedNpy all refuse it with the same kind of message.
void expect_bad_file(const TempDir& dir, const std::string& name, const std::string& bytes, const std::string& value) {
  fs::path p = dir / name;
  write_raw(p, bytes);
  SCOPED_TRACE(name);
  expect_input_error([&] { read_npy(p); }, p, value);
  expect_input_error([&] { read_npy_header(p); }, p, value);
  expect_input_error([&] { MappedNpy m(p); }, p, value);
}

TEST(NpyDType, NamesDescrsAndSizes) {
  for (NpyDType t : kAllDTypes) {
    EXPECT_EQ(parse_npy_dtype(to_string(t)), t);
    EXPECT_EQ(parse_npy_descr(npy_descr(t), "x.npy"), t);
  }
  EXPECT_EQ(to_string(NpyDType::kFloat32), "float32");
  EXPECT_EQ(to_string(NpyDType::kBool), "bool");
  EXPECT_EQ(npy_descr(NpyDType::kInt8), "|i1");
  EXPECT_EQ(npy_descr(NpyDType::kUInt16), "<u2");
  EXPECT_EQ(npy_dtype_size(NpyDType::kInt64), 8u);
  EXPECT_EQ(npy_dtype_size(NpyDType::kFloat16), 2u);
  EXPECT_EQ(parse_npy_descr("<u1", "x.npy"), NpyDType::kUInt8);
  EXPECT_EQ(parse_npy_descr("<i1", "x.npy"), NpyDType::kInt8);
  EXPECT_EQ(parse_npy_descr("<b1", "x.npy"), NpyDType::kBool);
  EXPECT_EQ(parse_npy_descr("<u8", "x.npy"), NpyDType::kUInt64);
  EXPECT_EQ(npy_dtype_of<float>(), NpyDType::kFloat32);
  EXPECT_EQ(npy_dtype_of<const int8_t>(), NpyDType::kInt8);
  EXPECT_EQ(npy_dtype_of<bool>(), NpyDType::kBool);
  EXPECT_THROW(parse_npy_dtype("complex64"), InputError);
  expect_input_error([] { parse_npy_descr("|f4", "x.npy"); }, "x.npy", "'|f4'");
  expect_input_error([] { parse_npy_descr("", "x.npy"); }, "x.npy", "unknown dtype ''");
}

TEST(NpyHeader, ShapeRepr) {
  EXPECT_EQ(npy_shape_repr({}), "()");
  EXPECT_EQ(npy_shape_repr({5}), "(5,)");
  EXPECT_EQ(npy_shape_repr({2, 3}), "(2, 3)");
  EXPECT_EQ(npy_numel({}), 1);
  EXPECT_EQ(npy_numel({2, 0, 3}), 0);
}

// Expected bytes from numpy's format rules (numpy >= 1.24, lib/format.py): dict text, 21 - len(repr(shape[0]))
// spare spaces (none for 0-d), then 1..64 spaces and '\n' so that 10 + header length is a multiple of 64.
TEST(NpyHeader, EncodeIsByteExactNumpy) {
  auto expected = [](char len_lo, const std::string& dict, size_t spaces) {
    return std::string("\x93NUMPY\x01\x00", 8) + len_lo + std::string(1, '\0') + dict + std::string(spaces, ' ') + "\n";
  };
  // 59 characters + 20 spare + 38 padding + '\n' = 118 = 0x76; 10 + 118 = 128.
  EXPECT_EQ(encode_npy_header(NpyDType::kFloat32, {2, 3}),
            expected('\x76', "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 58));
  EXPECT_EQ(encode_npy_header(NpyDType::kInt8, {5}),
            expected('\x76', "{'descr': '|i1', 'fortran_order': False, 'shape': (5,), }", 60));
  EXPECT_EQ(encode_npy_header(NpyDType::kFloat64, {}),
            expected('\x76', "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 62));
  EXPECT_EQ(encode_npy_header(NpyDType::kFloat32, {4, 155, 240, 240}),
            expected('\x76', "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 155, 240, 240), }", 46));
  // 97 characters + 20 spare + 1 = 118 -> 10 + 118 is already a multiple of 64, so numpy adds a full 64 spaces:
  // header length 182 = 0xB6, total 192.
  std::vector<int64_t> edge(13, 1);
  edge.push_back(100);
  std::string edge_dict =
      "{'descr': '<i2', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100), }";
  ASSERT_EQ(edge_dict.size(), 97u);
  std::string h = encode_npy_header(NpyDType::kInt16, edge);
  EXPECT_EQ(h, expected('\xB6', edge_dict, 84));
  EXPECT_EQ(h.size(), 192u);
  // A header that cannot fit format 1.0's 16-bit length moves to 2.0, as numpy does.
  std::vector<int64_t> huge(30000, 1);
  std::string h2 = encode_npy_header(NpyDType::kUInt8, huge);
  EXPECT_EQ(h2[6], '\x02');
  EXPECT_EQ(h2.size() % 64, 0u);
  NpyHeader parsed = parse_npy_header(h2.data(), h2.size(), "huge.npy");
  EXPECT_EQ(parsed.version_major, 2);
  EXPECT_EQ(parsed.shape, huge);
}

TEST(Npy, RoundTripEveryDTypeAndShape) {
  TempDir dir;
  for (NpyDType t : kAllDTypes) {
    for (const auto& shape : kShapes) {
      SCOPED_TRACE(to_string(t) + " " + npy_shape_repr(shape));
      NpyArray a = pattern_array(t, shape);
      fs::path p = dir / (to_string(t) + ".npy");
      write_npy(p, a);
      NpyArray b = read_npy(p);
      EXPECT_EQ(b.dtype, t);
      EXPECT_EQ(b.shape, shape);
      EXPECT_EQ(b.bytes, a.bytes);
      NpyHeader h = read_npy_header(p);
      EXPECT_EQ(h.version_major, 1);
      EXPECT_EQ(h.data_offset % 64, 0);
      EXPECT_EQ(static_cast<int64_t>(fs::file_size(p)), h.data_offset + h.data_bytes());
      EXPECT_EQ(read_file(p), encode_npy_header(t, shape) + std::string(a.bytes.begin(), a.bytes.end()));
    }
  }
}

TEST(Npy, TypedAccessAndRawWrite) {
  TempDir dir;
  std::vector<float> values{1.5f, -2.f, 3.25f, 0.f, 7.f, -0.5f};
  write_npy(dir / "a.npy", NpyDType::kFloat32, {2, 3}, values.data());
  NpyArray a = read_npy(dir / "a.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.at<float>(2), 3.25f);
  EXPECT_EQ(std::vector<float>(a.data<float>(), a.data<float>() + 6), values);
  EXPECT_THROW(a.data<double>(), Error);
  EXPECT_THROW(a.at<float>(6), Error);
  NpyArray seg = NpyArray::from_values<int8_t>({1, 2, 2}, {-1, 0, 1, 2});
  write_npy(dir / "seg.npy", seg);
  EXPECT_EQ(read_npy(dir / "seg.npy").at<int8_t>(0), -1);
  EXPECT_THROW(NpyArray::from_values<int8_t>({3}, {1, 2}), Error);
}

TEST(Npy, DecodeFromMemory) {
  NpyArray a = pattern_array(NpyDType::kInt32, {3, 2});
  std::string file = encode_npy_header(a.dtype, a.shape) + std::string(a.bytes.begin(), a.bytes.end());
  NpyArray b = decode_npy(file.data(), file.size(), "archive.npz/x.npy");
  EXPECT_EQ(b.bytes, a.bytes);
  EXPECT_EQ(b.shape, a.shape);
  expect_input_error([&] { decode_npy(file.data(), file.size() - 1, "archive.npz/x.npy"); }, "archive.npz/x.npy",
                     "data is 23 bytes but shape (3, 2) of int32 needs 24");
}

TEST(MappedNpy, EqualsFullReadForEveryDType) {
  TempDir dir;
  for (NpyDType t : kAllDTypes) {
    for (const auto& shape : kShapes) {
      SCOPED_TRACE(to_string(t) + " " + npy_shape_repr(shape));
      NpyArray a = pattern_array(t, shape);
      fs::path p = dir / "m.npy";
      write_npy(p, a);
      MappedNpy m(p);
      EXPECT_EQ(m.dtype(), t);
      EXPECT_EQ(m.shape(), shape);
      EXPECT_EQ(m.numel(), a.numel());
      EXPECT_EQ(m.path(), p);
      const auto* data = static_cast<const uint8_t*>(m.raw_data());
      EXPECT_EQ(std::vector<uint8_t>(data, data + a.bytes.size()), read_npy(p).bytes);
    }
  }
}

TEST(MappedNpy, TypedPointerMoveAndEmpty) {
  TempDir dir;
  NpyArray a = pattern_array(NpyDType::kFloat32, {1, 2, 3, 4});
  write_npy(dir / "case.npy", a);
  MappedNpy m(dir / "case.npy");
  EXPECT_EQ(m.data<float>()[23], a.at<float>(23));
  EXPECT_THROW(m.data<int8_t>(), Error);
  MappedNpy moved(std::move(m));
  EXPECT_EQ(moved.data<float>()[5], a.at<float>(5));
  EXPECT_EQ(m.raw_data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is documented as empty
  EXPECT_EQ(m.numel(), 0);           // NOLINT(bugprone-use-after-move)
  MappedNpy assigned;
  EXPECT_EQ(assigned.raw_data(), nullptr);
  assigned = std::move(moved);
  EXPECT_EQ(assigned.data<float>()[23], a.at<float>(23));
  EXPECT_EQ(assigned.shape(), a.shape);
}

// Files numpy may have written in other ways: format 2.0 and 3.0, double quotes, other key order, no trailing
// comma, Python 2 long integers, the 16-byte alignment of numpy < 1.14.
TEST(Npy, ReadsOtherHeaderSpellings) {
  TempDir dir;
  std::string data(24, '\0');
  for (size_t i = 0; i < 6; ++i) data[4 * i + 3] = '\x3f';  // float32 with bits 0x3f000000 = 0.5
  auto v2 = [&](char version, const std::string& dict) {
    size_t len = dict.size() + 1;
    len += (64 - (12 + len) % 64) % 64;
    return std::string("\x93NUMPY", 6) + version + std::string(1, '\0') + static_cast<char>(len & 0xFF) +
           static_cast<char>(len >> 8) + std::string(2, '\0') + dict + std::string(len - dict.size() - 1, ' ') + "\n" +
           data;
  };
  std::string legacy = "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }";
  legacy += std::string(16 - (10 + legacy.size() + 1) % 16, ' ') + "\n";
  const std::pair<std::string, std::string> files[] = {
      {"v2.npy", v2('\x02', f32_dict("(2, 3)"))},
      {"v3.npy", v2('\x03', f32_dict("(2, 3)"))},
      {"quotes.npy", npy_with_dict("{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"<f4\"}", data)},
      {"legacy.npy",
       std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(legacy.size()) + std::string(1, '\0') + legacy + data},
  };
  for (const auto& [name, bytes] : files) {
    SCOPED_TRACE(name);
    write_raw(dir / name, bytes);
    NpyArray a = read_npy(dir / name);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(a.at<float>(5), 0.5f);
    MappedNpy m(dir / name);
    EXPECT_EQ(m.data<float>()[4], 0.5f);
  }
  EXPECT_EQ(read_npy_header(dir / "v3.npy").version_major, 3);
  EXPECT_EQ(read_npy_header(dir / "v2.npy").data_offset, 128);
  EXPECT_EQ(read_npy_header(dir / "legacy.npy").data_offset % 16, 0);
}

TEST(NpyErrors, MissingFile) {
  TempDir dir;
  fs::path p = dir / "absent.npy";
  expect_input_error([&] { read_npy(p); }, p, "No such file");
  expect_input_error([&] { read_npy_header(p); }, p, "No such file");
  expect_input_error([&] { MappedNpy m(p); }, p, "No such file");
  expect_input_error([&] { read_npy(dir.path()); }, dir.path(), "not a regular file");
}

TEST(NpyErrors, BadMagicAndVersion) {
  TempDir dir;
  expect_bad_file(dir, "zip.npy", std::string("PK\x03\x04\x14\x00\x00\x00", 8) + std::string(200, 'x'),
                  "magic bytes 'PK\\x03\\x04\\x14\\x00'");
  expect_bad_file(dir, "empty.npy", "", "file has only 0 bytes");
  std::string v4 = npy_with_dict(f32_dict("(1,)"), std::string(4, '\0'));
  v4[6] = '\x04';
  expect_bad_file(dir, "v4.npy", v4, "version 4.0");
}

TEST(NpyErrors, TruncatedHeader) {
  TempDir dir;
  expect_bad_file(dir, "magic_only.npy", "\x93NUMPY", "truncated .npy header: file has only 6 bytes");
  expect_bad_file(dir, "no_len.npy", std::string("\x93NUMPY\x01\x00\x76", 9), "file has only 9 bytes");
  std::string full = npy_with_dict(f32_dict("(2, 3)"), std::string(24, '\0'));
  expect_bad_file(dir, "cut.npy", full.substr(0, 100), "file has 100 bytes, header says 128");
  std::string big = full;
  big[8] = '\xff';
  big[9] = '\xff';
  expect_bad_file(dir, "long.npy", big, "header says 65545");
}

TEST(NpyErrors, HeaderNotTheDictNumpyWrites) {
  TempDir dir;
  expect_bad_file(dir, "list.npy", npy_with_dict("[1, 2]"), "not a dict: '[1, 2]'");
  expect_bad_file(dir, "blank.npy", npy_with_dict(""), "not a dict: ''");
  expect_bad_file(dir, "unclosed.npy", npy_with_dict("{'descr': '<f4', 'shape': (2, 3)"), "cannot parse");
  expect_bad_file(dir, "junk.npy", npy_with_dict("{'descr': '<f4'} x"), "unexpected text");
  expect_bad_file(dir, "nokey.npy", npy_with_dict("{'descr': '<f4', 'fortran_order': False}"), "lacks key 'shape'");
  expect_bad_file(dir, "extra.npy", npy_with_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"),
                  "unexpected key 'x'");
  expect_bad_file(dir, "notuple.npy", npy_with_dict(f32_dict("(5)")), "shape is not a tuple of integers: (5)");
  expect_bad_file(dir, "list_shape.npy", npy_with_dict(f32_dict("[5]")), "shape is not a tuple of integers: [5]");
  expect_bad_file(dir, "float_dim.npy", npy_with_dict(f32_dict("(2.5,)")), "cannot parse");
  expect_bad_file(dir, "fortran_str.npy",
                  npy_with_dict("{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,), }", std::string(4, '\0')),
                  "fortran_order is not a bool: 'no'");
}

TEST(NpyErrors, UnsupportedDTypeAndOrder) {
  TempDir dir;
  auto dict = [](const std::string& descr, const std::string& fortran) {
    return npy_with_dict("{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': (2,), }",
                         std::string(16, '\0'));
  };
  expect_bad_file(dir, "complex.npy", dict("'<c8'", "False"), "unknown dtype '<c8'");
  expect_bad_file(dir, "object.npy", dict("'|O'", "False"), "unknown dtype '|O'");
  expect_bad_file(dir, "big.npy", dict("'>f4'", "False"), "big-endian dtype '>f4'");
  expect_bad_file(dir, "struct.npy", dict("[('a', '<f4')]", "False"), "unsupported dtype descr [('a', '<f4')]");
  expect_bad_file(dir, "fortran.npy", dict("'<f4'", "True"), "fortran_order is True");
}

TEST(NpyErrors, ShapeAndDataSize) {
  TempDir dir;
  expect_bad_file(dir, "neg.npy", npy_with_dict(f32_dict("(-1, 3)")), "negative dimension -1 in shape (-1, 3)");
  expect_bad_file(dir, "huge.npy", npy_with_dict(f32_dict("(4611686018427387904, 4)")), "is too large");
  expect_bad_file(dir, "short.npy", npy_with_dict(f32_dict("(2, 3)"), std::string(23, '\0')),
                  "data is 23 bytes but shape (2, 3) of float32 needs 24");
  expect_bad_file(dir, "nodata.npy", npy_with_dict(f32_dict("()")), "data is 0 bytes but shape () of float32 needs 4");
  // A file truncated after numpy wrote it.
  fs::path p = dir / "cut.npy";
  write_npy(p, pattern_array(NpyDType::kInt8, {1, 4, 4, 4}));
  fs::resize_file(p, fs::file_size(p) - 1);
  expect_input_error([&] { MappedNpy m(p); }, p, "data is 63 bytes but shape (1, 4, 4, 4) of int8 needs 64");
}

TEST(NpyWrite, AtomicLeavesOnlyTheTarget) {
  TempDir dir;
  write_npy(dir / "sub" / "CASE.npy", pattern_array(NpyDType::kFloat32, {2, 3}));
  write_npy(dir / "sub" / "CASE.npy", pattern_array(NpyDType::kFloat32, {4}));
  EXPECT_EQ(testing::list_files(dir.path()), (std::vector<std::string>{"sub/CASE.npy"}));
  EXPECT_EQ(read_npy(dir / "sub" / "CASE.npy").shape, (std::vector<int64_t>{4}));
}

// A write that fails half-way (here: the file size limit, as a full disk would) throws, removes its temporary file
// and leaves the previous target untouched.
TEST(NpyWrite, FailedWriteKeepsTheOldTarget) {
  TempDir dir;
  fs::path p = dir / "CASE_seg.npy";
  write_npy(p, pattern_array(NpyDType::kInt8, {1, 2, 2, 2}));
  std::string before = read_file(p);
  struct rlimit old_limit {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  bool threw = false;
  std::string message;
  try {
    write_npy(p, pattern_array(NpyDType::kInt8, {1, 64, 64, 64}));
  } catch (const Error& e) {
    threw = true;
    message = format_error(e);
  }
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(threw);
  EXPECT_NE(message.find(p.string()), std::string::npos) << message;
  EXPECT_EQ(read_file(p), before);
  EXPECT_EQ(testing::list_files(dir.path()), (std::vector<std::string>{"CASE_seg.npy"}));
}

// Mapping a 100 MB case and touching two elements must not read the file: count the pages the kernel holds for
// the mapping with mincore(). The file is sparse and never read whole, so only pages near the touched ones can be
// resident; an implementation that read or pre-faulted everything would show all of them.
TEST(MappedNpy, DoesNotReadTheWholeFile) {
  TempDir dir;
  fs::path p = dir / "big.npy";
  const std::vector<int64_t> shape{1, 100, 500, 500};  // 25e6 float32 = 100 MB
  const int64_t numel = npy_numel(shape);
  std::string header = encode_npy_header(NpyDType::kFloat32, shape);
  write_raw(p, header);
  fs::resize_file(p, header.size() + static_cast<size_t>(numel) * 4);
  {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    float value = 42.f;
    f.seekp(static_cast<std::streamoff>(header.size() + static_cast<size_t>(numel - 1) * 4));
    f.write(reinterpret_cast<const char*>(&value), sizeof value);
  }
  MappedNpy m(p);
  ASSERT_EQ(m.numel(), numel);
  EXPECT_EQ(m.data<float>()[numel - 1], 42.f);
  EXPECT_EQ(m.data<float>()[numel / 2], 0.f);
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto* data = static_cast<const uint8_t*>(m.raw_data());
  const uint8_t* start = data - reinterpret_cast<uintptr_t>(data) % page;  // mincore wants a page-aligned start
  size_t length = static_cast<size_t>(data - start) + static_cast<size_t>(numel) * 4;
  std::vector<unsigned char> resident((length + page - 1) / page);
  ASSERT_EQ(mincore(const_cast<uint8_t*>(start), length, resident.data()), 0);
  size_t count = 0;
  for (unsigned char r : resident) count += r & 1;
  EXPECT_GE(count, 1u);  // the touched pages
  // Each touch may pull in the device's read-ahead window around it (8 MB here), but never the whole file.
  EXPECT_LT(count, resident.size() / 2) << count << " of " << resident.size() << " pages resident";
}

// Cross-check with the real numpy: files numpy wrote read back with the right values, our files are byte-identical
// to numpy's, and numpy reads ours with the right dtype, shape and values.
TEST(Npy, MatchesRealNumpy) {
  const std::string python = "/usr/bin/python3";
  if (!fs::exists(python) || testing::run_command({python, "-c", "import numpy"}).exit_code != 0) {
    GTEST_SKIP() << "python3 with numpy not available";
  }
  TempDir dir;
  const std::string script = R"(
import sys, numpy as np
d, mode = sys.argv[1], sys.argv[2]
names = ['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float16', 'float32',
         'float64']
shapes = [(), (5,), (2, 3, 4, 5), (0, 3)]
for name in names:
    for k, shape in enumerate(shapes):
        n = int(np.prod(shape))
        base = np.arange(n) % 2 if name == 'bool' else np.arange(n) % 7 - 3
        want = base.astype(name).reshape(shape)
        if mode == 'write':
            np.save('%s/np_%s_%d.npy' % (d, name, k), want)
        else:
            got = np.load('%s/our_%s_%d.npy' % (d, name, k))
            assert got.dtype == np.dtype(name) and got.shape == shape, (name, got.dtype, got.shape)
            assert np.array_equal(got, want), (name, shape)
            assert np.load('%s/our_%s_%d.npy' % (d, name, k), mmap_mode='r').shape == shape
print('growth' if hasattr(np.lib.format, 'GROWTH_AXIS_MAX_DIGITS') else 'nogrowth')
)";
  auto written = testing::run_command({python, "-c", script, dir.path().string(), "write"});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  bool numpy_has_spare_space = written.out.find("nogrowth") == std::string::npos;
  for (NpyDType t : kAllDTypes) {
    for (size_t k = 0; k < kShapes.size(); ++k) {
      std::string suffix = to_string(t) + "_" + std::to_string(k) + ".npy";
      SCOPED_TRACE(suffix);
      NpyArray want = pattern_array(t, kShapes[k]);
      NpyArray got = read_npy(dir / ("np_" + suffix));
      EXPECT_EQ(got.dtype, t);
      EXPECT_EQ(got.shape, kShapes[k]);
      EXPECT_EQ(got.bytes, want.bytes);
      write_npy(dir / ("our_" + suffix), want);
      if (numpy_has_spare_space) {
        EXPECT_EQ(read_file(dir / ("our_" + suffix)), read_file(dir / ("np_" + suffix)));
      }
    }
  }
  auto checked = testing::run_command({python, "-c", script, dir.path().string(), "check"});
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
}

}  // namespace
}  // namespace nnseg
