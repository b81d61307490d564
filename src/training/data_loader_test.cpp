// Tests for DataLoader3D (spec/training.md §6.3, §6.4, T7): loader patch sizes, window bounds, the oversampling
// rule, padding, determinism and bad inputs, on tiny preprocessed cases written here.
#include "training/data_loader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "core/error.h"
#include "io/npy.h"
#include "preprocessing/preprocess_case.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;
using Triple = std::array<int64_t, 3>;

constexpr double kPi = 3.141592653589793;
double deg(double d) { return d / 360 * 2.0 * kPi; }

// Image value of (c, z, y, x): distinct and exact in float32 for the small shapes used here.
float value_at(int64_t c, int64_t z, int64_t y, int64_t x) {
  return static_cast<float>(1 + c * 1000000 + z * 10000 + y * 100 + x);
}

// Writes <folder>/<id>.npy/_seg.npy/.json: `channels` channels of value_at, labels from `labels` ((z, y, x) ->
// label, 0 elsewhere), and class_locations listing every labelled voxel for classes 1..3.
void write_case(const fs::path& folder, const std::string& id, int64_t channels, const Triple& shape,
                const std::vector<std::pair<Triple, int>>& labels) {
  PreprocessedCase pc;
  pc.data = Array4f({channels, shape[0], shape[1], shape[2]});
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t z = 0; z < shape[0]; ++z)
      for (int64_t y = 0; y < shape[1]; ++y)
        for (int64_t x = 0; x < shape[2]; ++x) pc.data.at(c, z, y, x) = value_at(c, z, y, x);
  pc.seg = Array4<int8_t>({1, shape[0], shape[1], shape[2]});
  for (int label = 1; label <= 3; ++label) pc.properties.class_locations.push_back({label, {}});
  for (const auto& [v, label] : labels) {
    pc.seg.at(0, v[0], v[1], v[2]) = static_cast<int8_t>(label);
    pc.properties.class_locations[static_cast<size_t>(label - 1)].voxels.push_back(v);
  }
  pc.properties.use_nonzero_mask_for_norm.assign(static_cast<size_t>(channels), true);
  save_preprocessed_case(folder, id, pc);
}

DataLoaderOptions options(const Triple& loader_patch, const Triple& patch, int64_t batch) {
  DataLoaderOptions o;
  o.loader_patch_size = loader_patch;
  o.patch_size = patch;
  o.batch_size = batch;
  return o;
}

// Checks every voxel of every sample against the case (value_at, seg) or the padding values.
void expect_window_contents(const Batch& b, const fs::path& folder) {
  const int64_t channels = b.data_shape[1];
  const Triple p{b.data_shape[2], b.data_shape[3], b.data_shape[4]};
  const int64_t numel = p[0] * p[1] * p[2];
  for (int64_t j = 0; j < b.batch_size(); ++j) {
    const NpyArray seg = read_npy(folder / (b.case_ids[static_cast<size_t>(j)] + "_seg.npy"));
    const Triple s{seg.shape[1], seg.shape[2], seg.shape[3]};
    const Triple start = b.start[static_cast<size_t>(j)];
    int64_t outside = 0;
    for (int64_t z = 0; z < p[0]; ++z) {
      for (int64_t y = 0; y < p[1]; ++y) {
        for (int64_t x = 0; x < p[2]; ++x) {
          const Triple v{start[0] + z, start[1] + y, start[2] + x};
          const bool inside = v[0] >= 0 && v[0] < s[0] && v[1] >= 0 && v[1] < s[1] && v[2] >= 0 && v[2] < s[2];
          const int64_t i = (z * p[1] + y) * p[2] + x;
          const int8_t got_seg = b.seg[static_cast<size_t>(j * numel + i)];
          if (inside) {
            ASSERT_EQ(got_seg, seg.at<int8_t>((v[0] * s[1] + v[1]) * s[2] + v[2]));
          } else {
            ++outside;
            ASSERT_EQ(got_seg, -1);
          }
          for (int64_t c = 0; c < channels; ++c) {
            const float got = b.data[static_cast<size_t>((j * channels + c) * numel + i)];
            ASSERT_EQ(got, inside ? value_at(c, v[0], v[1], v[2]) : 0.0f) << "sample " << j << " channel " << c;
          }
        }
      }
    }
    if (s[0] < p[0] || s[1] < p[1] || s[2] < p[2]) {
      EXPECT_GT(outside, 0);
    }
  }
}

bool same_batch(const Batch& a, const Batch& b) {
  return a.data_shape == b.data_shape && a.data == b.data && a.seg == b.seg && a.case_ids == b.case_ids &&
         a.start == b.start && a.forced_foreground == b.forced_foreground;
}

TEST(LoaderPatchSize, SpecVectorsT7) {
  EXPECT_EQ(v2_loader_patch_size({128, 128, 128}, false), (std::vector<int64_t>{205, 205, 205}));
  EXPECT_EQ(basic_generator_patch_size({128, 128, 128}, {deg(30), deg(30), deg(30)}, 0.7),
            (std::vector<int64_t>{249, 249, 249}));  // DA3
  EXPECT_EQ(basic_generator_patch_size({128, 128, 128}, {deg(90), deg(90), deg(90)}, 0.7),
            (std::vector<int64_t>{182, 182, 182}));  // DA4
  EXPECT_EQ(basic_generator_patch_size({128, 128, 128}, {deg(15), deg(15), deg(15)}, 0.85),
            (std::vector<int64_t>{184, 184, 184}));
  EXPECT_EQ(v2_loader_patch_size({64, 192, 160}, false), (std::vector<int64_t>{178, 289, 200}));
  // Angles beyond 90° are capped: 180° gives what 90° gives.
  EXPECT_EQ(basic_generator_patch_size({128, 128, 128}, {deg(180), deg(180), deg(180)}, 0.7),
            (std::vector<int64_t>{182, 182, 182}));
}

TEST(LoaderPatchSize, Dummy2DAndTwoDimensionalRules) {
  // dummy 2D: axis 0 kept; 90° in-plane gives floor(max(P1, P2) / 0.85) on both axes (spec §7.1).
  EXPECT_EQ(v2_loader_patch_size({20, 192, 160}, true), (std::vector<int64_t>{20, 225, 225}));
  // 2d configuration: ±180° unless the patch is more than 1.5x longer on one axis (then ±15°); numpy-checked.
  EXPECT_EQ(v2_loader_patch_size({192, 160}, false), (std::vector<int64_t>{225, 225}));
  EXPECT_EQ(v2_loader_patch_size({256, 128}, false), (std::vector<int64_t>{329, 150}));
}

TEST(WindowBounds, SpecVectorsT7) {
  const Triple shape{139, 170, 138};
  const WindowBounds train = window_bounds(shape, {205, 205, 205}, {128, 128, 128});
  EXPECT_EQ(train.lower, (Triple{-39, -39, -39}));
  EXPECT_EQ(train.upper, (Triple{-27, 4, -28}));
  const WindowBounds val = window_bounds(shape, {128, 128, 128}, {128, 128, 128});
  EXPECT_EQ(val.lower, (Triple{0, 0, 0}));
  EXPECT_EQ(val.upper, (Triple{11, 42, 10}));
  const Triple start = forced_window_start({136, 167, 135}, train, {205, 205, 205});
  EXPECT_EQ(start, (Triple{34, 65, 33}));  // window ends at (239, 270, 238): beyond the image, not clamped
  EXPECT_GT(start[0], train.upper[0]);
  // Near the lower border the start is clipped to the lower bound.
  EXPECT_EQ(forced_window_start({3, 50, 102}, train, {205, 205, 205}), (Triple{-39, -39, 0}));
}

TEST(WindowBounds, CaseSmallerThanPatchGetsMorePadding) {
  // need = P - S when need + S < P: (4, 3, 2) -> lower floor(-need / 2), upper S + need // 2 + need % 2 - P.
  const WindowBounds b = window_bounds({4, 5, 6}, {8, 8, 8}, {8, 8, 8});
  EXPECT_EQ(b.lower, (Triple{-2, -2, -1}));
  EXPECT_EQ(b.upper, (Triple{-2, -1, -1}));
  // Training loader on a 100-voxel axis: need 77 + 100 < 205 -> need 105, bounds [-53, -52].
  const WindowBounds t = window_bounds({100, 205, 300}, {205, 205, 205}, {128, 128, 128});
  EXPECT_EQ(t.lower, (Triple{-53, -39, -39}));
  EXPECT_EQ(t.upper, (Triple{-52, 39, 134}));
}

TEST(ForcedForeground, PatternT7UsesPythonRounding) {
  const std::vector<std::pair<int64_t, std::vector<bool>>> cases{
      {1, {false}},
      {2, {false, true}},
      {3, {false, false, true}},
      {4, {false, false, false, true}},
      {5, {false, false, false, true, true}},
      {8, {false, false, false, false, false, true, true, true}}};
  for (const auto& [batch, want] : cases) {
    std::vector<bool> got;
    for (int64_t j = 0; j < batch; ++j) got.push_back(is_forced_foreground(j, batch, 0.33));
    EXPECT_EQ(got, want) << "batch " << batch;
  }
  // Half to even: 5 * 0.5 = 2.5 rounds to 2 (half-up would give 3), 3 * 0.5 = 1.5 rounds to 2.
  EXPECT_TRUE(is_forced_foreground(2, 5, 0.5));
  EXPECT_FALSE(is_forced_foreground(1, 3, 0.5));
  EXPECT_TRUE(is_forced_foreground(2, 3, 0.5));
  EXPECT_FALSE(is_forced_foreground(1, 2, 0.0));
  EXPECT_TRUE(is_forced_foreground(0, 2, 1.0));
}

TEST(BatchSeed, DependsOnSeedStreamAndIndex) {
  const uint64_t s = batch_seed(12345, 0, 0);
  EXPECT_EQ(s, batch_seed(12345, 0, 0));
  EXPECT_NE(s, batch_seed(12345, 0, 1));
  EXPECT_NE(s, batch_seed(12345, 1, 0));
  EXPECT_NE(s, batch_seed(12346, 0, 0));
  EXPECT_NE(batch_seed(12345, 1, 0), batch_seed(12345, 0, 1));
}

TEST(DataLoader3D, CopiesWindowsAndPadsOutsideTheCase) {
  TempDir dir;
  write_case(dir.path(), "big", 2, {6, 7, 9}, {{{1, 2, 3}, 1}, {{5, 6, 8}, 2}});
  write_case(dir.path(), "small", 2, {4, 5, 6}, {{{0, 0, 0}, 3}});  // smaller than the loader patch
  DataLoader3D loader(dir.path(), {"big", "small"}, options({8, 8, 8}, {4, 4, 4}, 3));
  EXPECT_EQ(loader.channels(), 2);
  ASSERT_EQ(loader.num_cases(), 2u);
  EXPECT_EQ(loader.case_shape(1), (Triple{4, 5, 6}));
  int small_samples = 0;
  for (int64_t i = 0; i < 12; ++i) {
    const Batch b = loader.make_batch(i);
    ASSERT_EQ(b.data_shape, (std::array<int64_t, 5>{3, 2, 8, 8, 8}));
    ASSERT_EQ(b.data.size(), 3u * 2 * 512);
    ASSERT_EQ(b.seg.size(), 3u * 512);
    expect_window_contents(b, dir.path());
    for (size_t j = 0; j < 3; ++j) {
      if (b.case_ids[j] == "small") ++small_samples;
      if (b.forced_foreground[j]) continue;
      const WindowBounds w = window_bounds(loader.case_shape(b.case_ids[j] == "big" ? 0 : 1), {8, 8, 8}, {4, 4, 4});
      for (size_t d = 0; d < 3; ++d) {
        EXPECT_GE(b.start[j][d], w.lower[d]);
        EXPECT_LE(b.start[j][d], w.upper[d]);
      }
    }
  }
  EXPECT_GT(small_samples, 0);
}

TEST(DataLoader3D, ValidationLoaderPadsCaseSmallerThanPatch) {
  TempDir dir;
  write_case(dir.path(), "tiny", 1, {4, 5, 6}, {{{2, 2, 2}, 1}});
  DataLoader3D loader(dir.path(), {"tiny"}, options({8, 8, 8}, {8, 8, 8}, 2));
  for (int64_t i = 0; i < 6; ++i) {
    const Batch b = loader.make_batch(i);
    expect_window_contents(b, dir.path());
    // Random sample 0: z and x have a single start (-2, -1), y two (-2 or -1).
    EXPECT_EQ(b.start[0][0], -2);
    EXPECT_EQ(b.start[0][2], -1);
    EXPECT_TRUE(b.start[0][1] == -2 || b.start[0][1] == -1);
    // Padding values at the patch corner, which is outside the case in every window.
    EXPECT_EQ(b.data[0], 0.0f);
    EXPECT_EQ(b.seg[0], -1);
  }
}

TEST(DataLoader3D, ForcedSamplesCentreOnAStoredForegroundVoxel) {
  TempDir dir;
  const Triple a{10, 12, 14};  // class 1, away from the borders
  const Triple c{3, 20, 25};   // class 2, near borders: window start clipped to the lower bound on z
  write_case(dir.path(), "fg", 1, {20, 24, 28}, {{a, 1}, {c, 2}});
  const Triple p{16, 16, 16};
  const Triple f{8, 8, 8};
  DataLoader3D loader(dir.path(), {"fg"}, options(p, f, 3));
  const WindowBounds w = window_bounds({20, 24, 28}, p, f);
  int forced = 0;
  int on_a = 0;
  int on_c = 0;
  for (int64_t i = 0; i < 40; ++i) {
    const Batch b = loader.make_batch(i);
    EXPECT_EQ(b.forced_foreground, (std::vector<bool>{false, false, true}));
    const Triple start = b.start[2];
    ASSERT_TRUE(start == forced_window_start(a, w, p) || start == forced_window_start(c, w, p))
        << start[0] << " " << start[1] << " " << start[2];
    const Triple v = start == forced_window_start(a, w, p) ? a : c;
    (v == a ? on_a : on_c)++;
    ++forced;
    // The voxel sits at v - start; inside the centre crop [(P - F) / 2, + F) that the augmentation keeps.
    const int64_t numel = p[0] * p[1] * p[2];
    bool in_final = false;
    for (int64_t z = 4; z < 12; ++z)
      for (int64_t y = 4; y < 12; ++y)
        for (int64_t x = 4; x < 12; ++x) in_final |= b.seg[static_cast<size_t>(2 * numel + (z * 16 + y) * 16 + x)] > 0;
    EXPECT_TRUE(in_final) << "batch " << i;
    const int64_t k = ((v[0] - start[0]) * 16 + (v[1] - start[1])) * 16 + (v[2] - start[2]);
    EXPECT_EQ(b.seg[static_cast<size_t>(2 * numel + k)], v == a ? 1 : 2);
    if (v == a) {
      EXPECT_EQ(k, (8 * 16 + 8) * 16 + 8);  // P // 2 on every axis
    }
  }
  EXPECT_EQ(forced, 40);
  EXPECT_GT(on_a, 5);  // classes are chosen uniformly
  EXPECT_GT(on_c, 5);

  // Restricting the foreground classes to {2}: every forced window centres on c.
  DataLoaderOptions only2 = options(p, f, 3);
  only2.foreground_classes = {2};
  DataLoader3D loader2(dir.path(), {"fg"}, only2);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(loader2.make_batch(i).start[2], forced_window_start(c, w, p));
}

TEST(DataLoader3D, ForcedSampleOfCaseWithoutForegroundFallsBackToRandom) {
  TempDir dir;
  write_case(dir.path(), "empty", 1, {10, 11, 12}, {});
  const Triple p{8, 8, 8};
  DataLoader3D loader(dir.path(), {"empty"}, options(p, {4, 4, 4}, 2));
  const WindowBounds w = window_bounds({10, 11, 12}, p, {4, 4, 4});
  std::vector<Triple> starts;
  for (int64_t i = 0; i < 20; ++i) {
    const Batch b = loader.make_batch(i);
    ASSERT_TRUE(b.forced_foreground[1]);
    for (size_t d = 0; d < 3; ++d) {
      EXPECT_GE(b.start[1][d], w.lower[d]);
      EXPECT_LE(b.start[1][d], w.upper[d]);
    }
    starts.push_back(b.start[1]);
  }
  EXPECT_NE(std::count(starts.begin(), starts.end(), starts.front()), 20);  // random, not a fixed window
}

TEST(DataLoader3D, SameSeedSameBatchesOtherSeedOtherBatches) {
  TempDir dir;
  write_case(dir.path(), "a", 2, {12, 13, 14}, {{{3, 4, 5}, 1}});
  write_case(dir.path(), "b", 2, {9, 15, 10}, {{{8, 1, 2}, 2}, {{0, 0, 0}, 3}});
  const DataLoaderOptions o = options({10, 10, 10}, {6, 6, 6}, 2);
  DataLoader3D first(dir.path(), {"a", "b"}, o);
  DataLoader3D second(dir.path(), {"a", "b"}, o);
  DataLoaderOptions other = o;
  other.seed = 777;
  DataLoader3D third(dir.path(), {"a", "b"}, other);
  DataLoaderOptions validation = o;
  validation.stream = 1;
  DataLoader3D fourth(dir.path(), {"a", "b"}, validation);
  int differs_seed = 0;
  int differs_stream = 0;
  for (int64_t i = 0; i < 10; ++i) {
    const Batch b = first.next_batch();
    EXPECT_EQ(b.index, i);
    EXPECT_TRUE(same_batch(b, second.make_batch(i)));
    differs_seed += same_batch(b, third.make_batch(i)) ? 0 : 1;
    differs_stream += same_batch(b, fourth.make_batch(i)) ? 0 : 1;
  }
  EXPECT_GT(differs_seed, 5);
  EXPECT_GT(differs_stream, 5);
}

TEST(DataLoader3D, FillBatchReusesBuffersAndOverwritesEverything) {
  TempDir dir;
  write_case(dir.path(), "a", 2, {5, 6, 7}, {{{2, 3, 4}, 1}});
  DataLoader3D loader(dir.path(), {"a"}, options({8, 8, 8}, {4, 4, 4}, 2));
  Batch reused;
  reused.data.assign(2 * 2 * 512, 123.0f);  // stale contents of the right size: must all be overwritten
  reused.seg.assign(2 * 512, 7);
  reused.case_ids = {"stale"};
  const float* buffer = reused.data.data();
  for (int64_t i = 0; i < 5; ++i) {
    loader.fill_batch(i, reused);
    EXPECT_EQ(reused.data.data(), buffer);  // no reallocation
    EXPECT_TRUE(same_batch(reused, loader.make_batch(i)));
    EXPECT_EQ(reused.index, i);
  }
  Batch wrong_size;
  wrong_size.data.assign(10, 5.0f);
  loader.fill_batch(3, wrong_size);
  EXPECT_TRUE(same_batch(wrong_size, loader.make_batch(3)));
}

TEST(DataLoader3D, MemoryMapsTheCaseFiles) {
  TempDir dir;
  write_case(dir.path(), "large", 2, {40, 48, 56}, {{{20, 20, 20}, 1}});  // far larger than the 8³ patches
  auto mapped = [&dir] {
    std::ifstream maps("/proc/self/maps");
    const std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
    return text.find((dir.path() / "large.npy").string()) != std::string::npos &&
           text.find((dir.path() / "large_seg.npy").string()) != std::string::npos;
  };
  const DataLoaderOptions o = options({8, 8, 8}, {8, 8, 8}, 2);
  DataLoaderOptions in_memory = o;
  in_memory.memmap = false;
  {
    DataLoader3D loader(dir.path(), {"large"}, in_memory);
    EXPECT_FALSE(mapped());
  }
  DataLoader3D from_memory(dir.path(), {"large"}, in_memory);
  DataLoader3D loader(dir.path(), {"large"}, o);
  EXPECT_TRUE(mapped());
  for (int64_t i = 0; i < 4; ++i) {
    const Batch b = loader.make_batch(i);
    expect_window_contents(b, dir.path());
    EXPECT_TRUE(same_batch(b, from_memory.make_batch(i)));
  }
}

// Expects InputError (exit status 2) whose message contains every string of `parts`.
template <typename F>
void expect_input_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.exit_code(), 2);
    const std::string message = format_error(e);
    for (const auto& p : parts) EXPECT_NE(message.find(p), std::string::npos) << message << " lacks " << p;
  }
}

TEST(DataLoader3D, BadInputsNameTheFileAndValue) {
  TempDir dir;
  write_case(dir.path(), "good", 2, {5, 7, 9}, {{{1, 1, 1}, 1}});
  const DataLoaderOptions o = options({8, 8, 8}, {4, 4, 4}, 2);
  auto load_with = [&](const std::vector<std::string>& ids, const DataLoaderOptions& opts) {
    DataLoader3D loader(dir.path(), ids, opts);
  };
  auto load = [&](const std::vector<std::string>& ids) { load_with(ids, o); };
  expect_input_error([&] { load({"missing"}); }, {(dir.path() / "missing.npy").string(), "nnseg preprocess"});
  expect_input_error([&] { load({}); }, {dir.path().string(), "empty case list"});

  // Seg of another shape.
  write_case(dir.path(), "badseg", 2, {5, 7, 9}, {});
  std::vector<int8_t> seg(5 * 7 * 8, 0);
  write_npy(dir.path() / "badseg_seg.npy", NpyDType::kInt8, {1, 5, 7, 8}, seg.data());
  expect_input_error([&] { load({"badseg"}); }, {"badseg_seg.npy", "(1, 5, 7, 8)", "[1, 5, 7, 9]"});

  // Data of the wrong type.
  write_case(dir.path(), "int16", 1, {5, 7, 9}, {});
  std::vector<int16_t> data(5 * 7 * 9, 0);
  write_npy(dir.path() / "int16.npy", NpyDType::kInt16, {1, 5, 7, 9}, data.data());
  expect_input_error([&] { load({"int16"}); }, {"int16.npy", "int16", "float32"});

  // Channel counts that differ between cases.
  write_case(dir.path(), "three", 3, {5, 7, 9}, {});
  expect_input_error([&] { load({"good", "three"}); }, {"three.npy", "3 channels", "good has 2"});

  // A class location outside the case.
  write_case(dir.path(), "outside", 2, {5, 7, 9}, {});
  {
    PreprocessedCase pc;
    pc.data = Array4f({2, 5, 7, 9});
    pc.seg = Array4<int8_t>({1, 5, 7, 9});
    pc.properties.class_locations = {{1, {{4, 7, 2}}}};
    save_preprocessed_case(dir.path(), "outside", pc);
  }
  expect_input_error([&] { load({"outside"}); }, {"outside.json", "[4, 7, 2]", "[5, 7, 9]"});

  DataLoaderOptions small = o;
  small.loader_patch_size = {8, 3, 8};
  expect_input_error([&] { load_with({"good"}, small); }, {"[8, 3, 8]", "[4, 4, 4]"});
  DataLoaderOptions no_batch = o;
  no_batch.batch_size = 0;
  expect_input_error([&] { load_with({"good"}, no_batch); }, {"batch_size", "0"});
  DataLoaderOptions too_much = o;
  too_much.oversample_foreground_percent = 1.5;
  expect_input_error([&] { load_with({"good"}, too_much); }, {"oversample_foreground_percent", "1.5"});
}

}  // namespace
}  // namespace nnseg
