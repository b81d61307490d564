// Tests for core: errors, pixel types, Image accessors, parallel_for, progress formatting.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>

#include "core/error.h"
#include "core/image.h"
#include "core/parallel.h"
#include "core/progress.h"

namespace nnseg {
namespace {

TEST(Error, InputErrorExitsTwoRuntimeErrorOne) {
  InputError in("a.nii.gz", "bad");
  Error rt("b", "worse");
  EXPECT_EQ(in.exit_code(), 2);
  EXPECT_EQ(rt.exit_code(), 1);
  EXPECT_EQ(format_error(in), "a.nii.gz: bad");
  EXPECT_EQ(format_error(Error("", "x")), "x");
}

TEST(Check, ThrowsWithContext) {
  try {
    NNSEG_CHECK(1 + 1 == 3) << "value " << 42;
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("value 42"), std::string::npos);
  }
}

TEST(PixelType, NamesRoundTripAndSizes) {
  for (PixelType t : {PixelType::kUInt8, PixelType::kInt8, PixelType::kUInt16, PixelType::kInt16, PixelType::kUInt32,
                      PixelType::kInt32, PixelType::kUInt64, PixelType::kInt64, PixelType::kFloat32,
                      PixelType::kFloat64}) {
    EXPECT_EQ(parse_pixel_type(to_string(t)), t);
  }
  EXPECT_EQ(pixel_size_bytes(PixelType::kInt16), 2u);
  EXPECT_EQ(pixel_size_bytes(PixelType::kFloat64), 8u);
  EXPECT_THROW(parse_pixel_type("complex64"), InputError);
  EXPECT_TRUE(is_integer(PixelType::kUInt16));
  EXPECT_FALSE(is_integer(PixelType::kFloat32));
}

TEST(Image, IndexIsCOrderZYX) {
  Image img = Image::from_values<int16_t>(std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {2, 2, 3});
  EXPECT_EQ(img.index(1, 0, 2), 8);
  EXPECT_EQ(img.value(img.index(1, 1, 0)), 9.0);
  EXPECT_EQ((img.size_xyz()), (std::array<int64_t, 3>{3, 2, 2}));
  EXPECT_THROW(img.data<float>(), Error);
  auto f = img.values_as<float>();
  EXPECT_FLOAT_EQ(f[11], 11.f);
}

TEST(ParallelFor, RunsEveryItemOnceAndRethrows) {
  std::vector<std::atomic<int>> hits(100);
  parallel_for(100, 4, [&](int64_t i) { hits[static_cast<size_t>(i)]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  EXPECT_THROW(parallel_for(10, 3, [](int64_t i) { if (i == 5) throw InputError("x", "y"); }), InputError);
}

TEST(Progress, BarShowsCountRateAndEta) {
  std::string bar = StreamProgress::format_bar("cases", 5, 10, 2.0);
  EXPECT_NE(bar.find("5/10"), std::string::npos);
  EXPECT_NE(bar.find("2.50 it/s"), std::string::npos);
  EXPECT_NE(bar.find("ETA 0:02"), std::string::npos);
}

TEST(Progress, PlainLinesInLogs) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* mem = open_memstream(&buf, &len);
  {
    StreamProgress p(mem, false);
    p.start("cases", 20);
    for (int i = 0; i < 20; ++i) p.advance();
    p.finish();
  }
  std::fclose(mem);
  std::string text(buf, len);
  free(buf);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_NE(text.find("20/20"), std::string::npos);
  int lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_LE(lines, 12);
  EXPECT_GE(lines, 10);
}

}  // namespace
}  // namespace nnseg
