// Splits against spec/preprocessing.md §12.6, fold `all`, the 80:20 fallback, splits_final.json I/O.
#include "planning/splits.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "core/error.h"
#include "io/atomic_write.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

std::vector<std::string> names(const std::string& prefix, int n, int width, int first = 0) {
  std::vector<std::string> out;
  for (int i = first; i < first + n; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%0*d", width, i);
    out.push_back(prefix + buf);
  }
  return out;
}

std::vector<std::string> brats_ids(const std::string& numbers) {
  std::vector<std::string> out;
  std::istringstream in(numbers);
  std::string n;
  while (in >> n) out.push_back("BraTS20_Training_" + n);
  return out;
}

TEST(Splits, TenCases) {
  const auto splits = make_splits(names("case_", 10, 2));
  ASSERT_EQ(splits.size(), 5u);
  const std::vector<std::vector<std::string>> val = {{"case_00", "case_07"},
                                                     {"case_03", "case_09"},
                                                     {"case_04", "case_06"},
                                                     {"case_01", "case_08"},
                                                     {"case_02", "case_05"}};
  for (size_t f = 0; f < 5; ++f) {
    EXPECT_EQ(splits[f].val, val[f]) << "fold " << f;
    EXPECT_EQ(splits[f].train.size(), 8u);
    for (const auto& v : splits[f].val) {
      EXPECT_EQ(std::count(splits[f].train.begin(), splits[f].train.end(), v), 0);
    }
  }
  EXPECT_EQ(splits[0].train, (std::vector<std::string>{"case_01", "case_02", "case_03", "case_04", "case_05", "case_06",
                                                       "case_08", "case_09"}));
}

TEST(Splits, SevenCasesAndInputOrderDoesNotMatter) {
  std::vector<std::string> ids = {"c6", "c0", "c3", "c1", "c5", "c2", "c4"};  // sorted inside (pitfall 10)
  const auto splits = make_splits(ids);
  const std::vector<std::vector<std::string>> val = {{"c3", "c6"}, {"c0", "c4"}, {"c1"}, {"c5"}, {"c2"}};
  for (size_t f = 0; f < 5; ++f) EXPECT_EQ(splits[f].val, val[f]) << "fold " << f;
}

TEST(Splits, BraTS2020AllFolds) {
  const auto splits = make_splits(names("BraTS20_Training_", 369, 3, 1));
  const std::vector<std::vector<std::string>> val = {
      brats_ids("011 012 019 020 021 023 028 029 032 036 039 041 042 049 051 053 056 069 074 086 088 089 098 100 "
                "101 104 107 111 113 114 116 131 137 138 145 150 155 162 165 174 175 176 183 185 187 192 197 203 "
                "204 205 207 208 210 216 220 223 224 226 230 240 245 251 259 284 287 297 302 305 329 331 342 353 "
                "360 368"),
      brats_ids("004 005 009 015 017 022 031 034 043 046 047 048 054 055 058 068 072 076 091 102 115 121 129 133 "
                "135 136 142 149 153 158 159 161 166 169 178 181 191 198 214 229 238 241 254 255 256 261 267 269 "
                "272 277 281 283 290 294 296 304 308 309 311 313 319 333 336 338 339 340 341 343 345 352 355 357 "
                "359 369"),
      brats_ids("002 008 010 016 018 026 027 038 040 045 050 057 061 067 071 090 093 094 096 105 118 123 124 128 "
                "141 146 148 151 152 157 160 163 180 182 188 189 196 199 206 221 222 231 235 239 247 250 257 263 "
                "270 271 273 275 276 285 293 300 301 307 312 317 320 321 322 326 334 346 347 350 351 354 356 361 "
                "362 364"),
      brats_ids("003 007 014 025 033 052 062 066 070 079 080 085 087 095 097 099 103 110 112 117 122 126 127 132 "
                "140 154 164 168 170 171 177 184 193 194 195 200 201 212 213 215 217 218 225 233 234 237 242 243 "
                "244 246 260 265 266 274 278 282 289 291 292 299 306 314 315 318 323 325 327 328 335 337 344 348 "
                "363 367"),
      brats_ids("001 006 013 024 030 035 037 044 059 060 063 064 065 073 075 077 078 081 082 083 084 092 106 108 "
                "109 119 120 125 130 134 139 143 144 147 156 167 172 173 179 186 190 202 209 211 219 227 228 232 "
                "236 248 249 252 253 258 262 264 268 279 280 286 288 295 298 303 310 316 324 330 332 349 358 365 "
                "366"),
  };
  const std::vector<size_t> sizes = {74, 74, 74, 74, 73};
  for (size_t f = 0; f < 5; ++f) {
    ASSERT_EQ(val[f].size(), sizes[f]);
    EXPECT_EQ(splits[f].val, val[f]) << "fold " << f;
    EXPECT_EQ(splits[f].train.size(), 369 - sizes[f]);
  }
}

TEST(Splits, FallbackAndAll) {
  const auto ids = names("case_", 10, 2);
  const auto splits = make_splits(ids);
  const Split s = split_for_fold(splits, ids, 5);
  // RandomState(12345 + 5).choice(10, 8): positions [0, 8, 4, 5, 3, 9, 7, 6], stored sorted.
  EXPECT_EQ(s.train, (std::vector<std::string>{"case_00", "case_03", "case_04", "case_05", "case_06", "case_07",
                                               "case_08", "case_09"}));
  EXPECT_EQ(s.val, (std::vector<std::string>{"case_01", "case_02"}));
  EXPECT_EQ(split_for_fold(splits, ids, 2).val, splits[2].val);
  const Split all = split_for_fold(splits, {"b", "a"}, kFoldAll);
  EXPECT_EQ(all.train, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(all.val, all.train);
  EXPECT_THROW(split_for_fold(splits, ids, -3), InputError);
}

TEST(Splits, TooFewOrDuplicateCases) {
  EXPECT_THROW(make_splits({"a", "b", "c", "d"}), InputError);
  EXPECT_THROW(make_splits({"a", "b", "c", "d", "e", "a"}), InputError);
}

TEST(Splits, SaveLoadAndEnsureNeverOverwrites) {
  TempDir dir;
  const auto path = dir / "splits_final.json";
  const auto ids = names("case_", 10, 2);
  const auto made = ensure_splits(path, ids);
  ASSERT_TRUE(fs::exists(path));
  const auto loaded = load_splits(path);
  ASSERT_EQ(loaded.size(), 5u);
  for (size_t f = 0; f < 5; ++f) {
    EXPECT_EQ(loaded[f].train, made[f].train);
    EXPECT_EQ(loaded[f].val, made[f].val);
  }
  // A custom split file is kept as it is, even for other identifiers.
  write_file_atomically(path, R"([{"train": ["x", "y"], "val": ["z"]}])");
  const auto custom = ensure_splits(path, ids);
  ASSERT_EQ(custom.size(), 1u);
  EXPECT_EQ(custom[0].val, (std::vector<std::string>{"z"}));
  EXPECT_EQ(read_file(path), R"([{"train": ["x", "y"], "val": ["z"]}])");
  // Fold 3 beyond the one stored split: the 80:20 fallback.
  EXPECT_EQ(split_for_fold(custom, ids, 3).train.size(), 8u);
}

TEST(Splits, LoadErrors) {
  TempDir dir;
  const auto path = dir / "splits_final.json";
  auto expect_error = [&](const std::string& text, const std::string& part) {
    write_file_atomically(path, text);
    try {
      load_splits(path);
      FAIL() << text;
    } catch (const InputError& e) {
      const std::string msg = format_error(e);
      EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
      EXPECT_NE(msg.find(part), std::string::npos) << msg;
    }
  };
  expect_error(R"({"train": []})", "(top level)");
  expect_error(R"([{"train": ["a"], "val": [1]}])", "[0].val = [1]");
  expect_error(R"([{"train": ["a"]}])", "missing key [0].val");
  expect_error(R"([{"train": ["a"], "val": [], "test": []}])", "unknown key [0].test");
  EXPECT_THROW(load_splits(dir / "absent.json"), InputError);
}

}  // namespace
}  // namespace nnseg
