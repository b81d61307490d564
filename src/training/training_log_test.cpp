// Tests for the training log: v1's line formats (spec/training.md §9 examples verbatim), Python float repr, the file
// name pattern, and lines flushed as they are written.
#include "training/training_log.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>
#include <random>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_write.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

// A local time 2021-03-04 05:06:07 plus `micros` microseconds.
LogClock::time_point local_time(int64_t micros) {
  std::tm tm{};
  tm.tm_year = 2021 - 1900;
  tm.tm_mon = 2;
  tm.tm_mday = 4;
  tm.tm_hour = 5;
  tm.tm_min = 6;
  tm.tm_sec = 7;
  tm.tm_isdst = -1;
  return LogClock::from_time_t(std::mktime(&tm)) + std::chrono::microseconds(micros);
}

TEST(PythonFloatRepr, TrickyValues) {
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(1234.5), "1234.5");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(0.0), "0.0");
  EXPECT_EQ(python_float_repr(2.0), "2.0");
  EXPECT_EQ(python_float_repr(100.0), "100.0");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(0.00012), "0.00012");
  EXPECT_EQ(python_float_repr(-1.5e-7), "-1.5e-07");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1.2345678901234567e17), "1.2345678901234566e+17");
  EXPECT_EQ(python_float_repr(1e22), "1e+22");
  EXPECT_EQ(python_float_repr(5e-324), "5e-324");
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(python_float_repr(std::nan("")), "nan");
  EXPECT_EQ(python_float_repr(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(python_float_repr(std::numeric_limits<double>::infinity()), "inf");
}

TEST(PythonFloatRepr, MatchesPythonOnRandomDoubles) {
  testing::TempDir dir;
  std::mt19937_64 rng(7);
  std::vector<double> values;
  std::ostringstream hex;
  for (int i = 0; i < 3000; ++i) {
    uint64_t bits = rng();
    double x;
    if (i % 3 == 0) {
      // Ordinary magnitudes (1e-8 .. 1e18) where both fixed and exponent notation occur.
      x = std::ldexp(static_cast<double>(bits >> 11) / 9007199254740992.0, static_cast<int>(i % 88) - 27);
    } else if (i % 3 == 1) {
      x = numpy_round(static_cast<double>(bits % 2000000) / 1e6 - 1.0, 4);
    } else {
      std::memcpy(&x, &bits, sizeof x);
      if (!std::isfinite(x)) x = 1.0;
    }
    values.push_back(x);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a\n", x);
    hex << buf;
  }
  write_file_atomically(dir / "in.txt", hex.str());
  const auto result = testing::run_command(
      {"/usr/bin/python3", "-c", "import sys\nfor l in open(sys.argv[1]): print(repr(float.fromhex(l.strip())))",
       (dir / "in.txt").string()});
  if (result.exit_code != 0) GTEST_SKIP() << "/usr/bin/python3 not usable: " << result.err;
  std::istringstream lines(result.out);
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(i, values.size());
    EXPECT_EQ(python_float_repr(values[i]), line) << "value " << i;
    ++i;
  }
  EXPECT_EQ(i, values.size());
}

TEST(PythonPercentF, FormatsLikePython) {
  EXPECT_EQ(python_percent_f(-0.41234, 4), "-0.4123");
  EXPECT_EQ(python_percent_f(0.00005, 4), "0.0001");  // 0.00005 is slightly above the half in binary
  EXPECT_EQ(python_percent_f(-0.00001, 4), "-0.0000");
  EXPECT_EQ(python_percent_f(123.456789, 6), "123.456789");
  EXPECT_EQ(python_percent_f(-std::nan(""), 4), "nan");
  EXPECT_EQ(python_percent_f(std::numeric_limits<double>::infinity(), 2), "inf");
  EXPECT_EQ(python_percent_f(1e20, 6), "100000000000000000000.000000");
}

TEST(NumpyRound, HalfToEvenOnScaledValue) {
  EXPECT_EQ(numpy_round(2.0 / 3.0, 4), 0.6667);
  EXPECT_EQ(numpy_round(0.00125, 4), 0.0012);  // 12.5 -> 12 (even)
  EXPECT_EQ(numpy_round(0.00135, 4), 0.0014);
  EXPECT_EQ(numpy_round(-0.55555, 0), -1.0);
  EXPECT_EQ(numpy_round(1.995262314968881e-05, 6), 2e-05);
}

TEST(TrainingLogMessages, MatchSpecExamplesVerbatim) {
  EXPECT_EQ(epoch_header_message(12), "\nepoch:  12");
  EXPECT_EQ(train_loss_message(-0.41231), "train loss : -0.4123");
  EXPECT_EQ(validation_loss_message(-0.44559), "validation loss: -0.4456");
  EXPECT_EQ(global_dice_message({0.81234, 0.70118, 0.65432}),
            "Average global foreground Dice: [0.8123, 0.7012, 0.6543]");
  EXPECT_EQ(std::string(kDiceEstimateNote),
            "(interpret this as an estimate for the Dice of the different classes. This is not exact.)");
  EXPECT_EQ(lr_message(0.009883), "lr: 0.009883");
  EXPECT_EQ(epoch_time_message(123.456789), "This epoch took 123.456789 s\n");
  EXPECT_EQ(std::string(kSavingScheduledCheckpoint), "saving scheduled checkpoint file...");
  EXPECT_EQ(std::string(kSavingCheckpoint), "saving checkpoint...");
  EXPECT_EQ(saving_took_message(1.234), "done, saving took 1.23 seconds");
  EXPECT_EQ(std::string(kDone), "done");
}

TEST(TrainingLogMessages, LearningRateFollowsTestVectorT1) {
  EXPECT_EQ(lr_message(0.01), "lr: 0.01");
  EXPECT_EQ(lr_message(0.009990999549834914), "lr: 0.009991");
  EXPECT_EQ(lr_message(0.007718895067235705), "lr: 0.007719");
  EXPECT_EQ(lr_message(1.995262314968881e-05), "lr: 2e-05");
  EXPECT_EQ(lr_message(0.0), "lr: 0.0");
}

TEST(TrainingLogMessages, GlobalDiceOmitsNanAndFollowsT6) {
  EXPECT_EQ(global_dice_message({2.0 / 3.0, 0.8}), "Average global foreground Dice: [0.6667, 0.8]");
  EXPECT_EQ(global_dice_message({std::nan(""), 1.0, 0.0}), "Average global foreground Dice: [1.0, 0.0]");
  EXPECT_EQ(global_dice_message({std::nan("")}), "Average global foreground Dice: []");
  EXPECT_EQ(global_dice_message({}), "Average global foreground Dice: []");
}

TEST(TrainingLogMessages, SplitAndCaseKeys) {
  EXPECT_EQ(split_sizes_message(8, 2), "This split has 8 training and 2 validation cases.");
  EXPECT_EQ(case_keys_message("TRAINING KEYS", {"BraTS20_Training_001", "it's"}),
            "TRAINING KEYS:\n odict_keys(['BraTS20_Training_001', 'it\\'s'])");
  EXPECT_EQ(case_keys_message("VALIDATION KEYS", {}), "VALIDATION KEYS:\n odict_keys([])");
}

TEST(TrainingLogTimestamps, DatetimeAndFileName) {
  EXPECT_EQ(format_log_datetime(local_time(123456)), "2021-03-04 05:06:07.123456");
  EXPECT_EQ(format_log_datetime(local_time(7)), "2021-03-04 05:06:07.000007");
  // Python's str(datetime) leaves out a zero microsecond part.
  EXPECT_EQ(format_log_datetime(local_time(0)), "2021-03-04 05:06:07");
  EXPECT_EQ(training_log_file_name(local_time(999999)), "training_log_2021_3_4_05_06_07.txt");
  EXPECT_EQ(format_log_entry(local_time(500000), "train loss : -0.4123"),
            "2021-03-04 05:06:07.500000: train loss : -0.4123 \n");
  EXPECT_EQ(format_log_entry(local_time(1), epoch_header_message(3)), "2021-03-04 05:06:07.000001: \nepoch:  3 \n");
}

TEST(TrainingLogFile, CreatesNamedFileAndFlushesEachLine) {
  testing::TempDir dir;
  std::vector<std::string> console;
  LogSink previous = set_log_sink([&](LogLevel, const std::string& m) { console.push_back(m); });
  {
    TrainingLog log(dir / "fold_0", local_time(0));
    EXPECT_EQ(log.path(), dir / "fold_0" / "training_log_2021_3_4_05_06_07.txt");
    EXPECT_EQ(read_file(log.path()), "Starting... \n");
    log.print(epoch_header_message(0));
    log.print(train_loss_message(-0.25));
    log.print(case_keys_message("TRAINING KEYS", {"a"}), /*to_console=*/false);
    log.print(epoch_time_message(1.5));
    // Read back before the log is closed: every line is already on disk.
    const std::string text = read_file(log.path());
    const std::regex pattern(
        "Starting\\.\\.\\. \n"
        "(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{6})?): \nepoch:  0 \n"
        "\\d{4}-[-0-9 :.]+: train loss : -0\\.2500 \n"
        "\\d{4}-[-0-9 :.]+: TRAINING KEYS:\n odict_keys\\(\\['a'\\]\\) \n"
        "\\d{4}-[-0-9 :.]+: This epoch took 1\\.500000 s\n \n");
    EXPECT_TRUE(std::regex_match(text, pattern)) << text;
  }
  set_log_sink(previous);
  ASSERT_EQ(console.size(), 3u);
  EXPECT_NE(console[0].find(": \nepoch:  0"), std::string::npos) << console[0];
  EXPECT_NE(console[1].find(": train loss : -0.2500"), std::string::npos) << console[1];
  EXPECT_EQ(console[1].back(), '0');  // console lines have no trailing space
}

TEST(TrainingLogFile, UnwritableFolderNamesThePath) {
  testing::TempDir dir;
  write_file_atomically(dir / "blocker", "x");
  try {
    TrainingLog log(dir / "blocker" / "fold_0");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(format_error(e).find("blocker"), std::string::npos) << format_error(e);
  }
}

}  // namespace
}  // namespace nnseg
