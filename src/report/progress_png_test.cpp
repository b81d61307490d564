// Tests for progress.png: size, curve colours where the data points land, 0/1 epochs, NaN gaps, negative losses,
// atomic writing.
#include "report/progress_png.h"

#include <cairo.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/error.h"
#include "io/atomic_write.h"
#include "report/png_test_util.h"
#include "testing/temp_dir.h"

namespace nnseg::report {
namespace {

using png_test::Picture;
using png_test::Pixel;

bool blue(Pixel p) { return p.b > 180 && p.r < 100 && p.g < 100; }
bool red(Pixel p) { return p.r > 180 && p.g < 100 && p.b < 100; }
bool green(Pixel p) { return p.g > 80 && p.r < 60 && p.b < 60; }
bool white(Pixel p) { return p.r == 255 && p.g == 255 && p.b == 255; }

// A fake 1000-epoch run: losses from about +0.8 down to -0.75 (Dice + CE goes negative), pseudo-Dice rising to 0.85,
// one NaN epoch, and its EMA.
TrainingCurves fake_run(int epochs) {
  TrainingCurves c;
  double ema = std::nan("");
  for (int e = 0; e < epochs; ++e) {
    const double t = e / 1000.0;
    const double wiggle = ((e * 7919) % 13) / 13.0 - 0.5;
    c.train_loss.push_back(0.8 * std::exp(-6 * t) - 0.75 * (1 - std::exp(-4 * t)) + 0.01 * wiggle);
    c.val_loss.push_back(0.85 * std::exp(-6 * t) - 0.6 * (1 - std::exp(-4 * t)) + 0.03 * wiggle);
    const double d = e == 500 ? std::nan("") : 0.85 * (1 - std::exp(-8 * t)) + 0.03 * wiggle;
    c.pseudo_dice.push_back(d);
    if (!std::isnan(d)) ema = std::isnan(ema) ? d : 0.9 * ema + 0.1 * d;
    c.pseudo_dice_ema.push_back(ema);
  }
  return c;
}

TEST(ProgressPng, ThousandEpochsDrawsEveryCurveWhereItsDataIs) {
  testing::TempDir dir;
  const TrainingCurves c = fake_run(1000);
  write_progress_png(dir / "progress.png", c);
  EXPECT_EQ(testing::list_files(dir.path()), std::vector<std::string>{"progress.png"});  // no temporary left
  Picture pic(dir / "progress.png");
  ASSERT_TRUE(pic.ok());
  EXPECT_EQ(pic.width(), kProgressWidth);
  EXPECT_EQ(pic.height(), kProgressHeight);
  const ProgressFrame f = progress_frame(c);
  for (int e : {100, 400, 800, 999}) {
    EXPECT_TRUE(pic.near(f.x_px(e), f.loss_px(c.train_loss[e]), 2, blue)) << "train loss at epoch " << e;
    EXPECT_TRUE(pic.near(f.x_px(e), f.loss_px(c.val_loss[e]), 2, red)) << "val loss at epoch " << e;
    EXPECT_TRUE(pic.near(f.x_px(e), f.metric_px(c.pseudo_dice_ema[e]), 2, green)) << "EMA at epoch " << e;
  }
  EXPECT_GT(pic.count(blue), 2000);
  EXPECT_GT(pic.count(red), 2000);
  EXPECT_GT(pic.count(green), 2000);
  EXPECT_TRUE(white(pic.at(5, 5)));
  // The axes fit the data with matplotlib's 5% margins; negative losses are on the axis.
  EXPECT_NEAR(f.x_min, -49.95, 1e-9);
  EXPECT_NEAR(f.x_max, 1048.95, 1e-9);
  EXPECT_LT(f.loss_min, -0.7);
  EXPECT_GT(f.loss_max, 0.8);
  EXPECT_TRUE(std::isfinite(f.metric_min) && std::isfinite(f.metric_max));
  EXPECT_GT(f.metric_max, 0.85);
}

TEST(ProgressPng, ZeroEpochsGivesEmptyAxes) {
  testing::TempDir dir;
  write_progress_png(dir / "progress.png", TrainingCurves{});
  Picture pic(dir / "progress.png");
  ASSERT_TRUE(pic.ok());
  EXPECT_EQ(pic.width(), kProgressWidth);
  const ProgressFrame f = progress_frame(TrainingCurves{});
  EXPECT_EQ(f.x_min, 0.0);
  EXPECT_EQ(f.loss_max, 1.0);
  // Only the legend's line samples are coloured.
  EXPECT_LT(pic.count(blue), 200);
  EXPECT_EQ(pic.count(green), 0);
  EXPECT_TRUE(white(pic.at(static_cast<int>((f.left + f.right) / 2), static_cast<int>((f.top + f.bottom) / 2))));
}

TEST(ProgressPng, OneEpochShowsItsPoints) {
  testing::TempDir dir;
  TrainingCurves c{{0.5}, {0.7}, {0.3}, {}};
  write_progress_png(dir / "progress.png", c);
  Picture pic(dir / "progress.png");
  ASSERT_TRUE(pic.ok());
  const ProgressFrame f = progress_frame(c);
  EXPECT_LT(f.x_min, 0.0);
  EXPECT_GT(f.x_max, 0.0);
  EXPECT_TRUE(pic.near(f.x_px(0), f.loss_px(0.5), 1, blue));
  EXPECT_TRUE(pic.near(f.x_px(0), f.loss_px(0.7), 1, red));
  EXPECT_TRUE(pic.near(f.x_px(0), f.metric_px(0.3), 1, green));
}

TEST(ProgressPng, NanValuesLeaveGapsAndDoNotMoveTheAxes) {
  testing::TempDir dir;
  const double nan = std::nan("");
  TrainingCurves c;
  c.train_loss = {0, 0, 0, 0, nan, nan, 0, 0, 0, 0};
  c.val_loss = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  c.pseudo_dice = {nan, nan, nan, nan, nan, nan, nan, nan, nan, nan};
  write_progress_png(dir / "progress.png", c);
  Picture pic(dir / "progress.png");
  ASSERT_TRUE(pic.ok());
  const ProgressFrame f = progress_frame(c);
  EXPECT_NEAR(f.loss_min, -0.05, 1e-12);
  EXPECT_NEAR(f.loss_max, 1.05, 1e-12);
  EXPECT_EQ(f.metric_min, 0.0);  // no finite metric: matplotlib's empty 0..1
  EXPECT_EQ(f.metric_max, 1.0);
  EXPECT_TRUE(pic.near(f.x_px(1.5), f.loss_px(0), 1, blue));
  EXPECT_TRUE(pic.near(f.x_px(7.5), f.loss_px(0), 1, blue));
  EXPECT_FALSE(pic.near(f.x_px(4.5), f.loss_px(0), 3, blue));
  EXPECT_TRUE(pic.near(f.x_px(4.5), f.loss_px(1), 1, red));
}

TEST(ProgressPng, MetricNeedsOneValuePerEpoch) {
  // v1 draws the evaluation metric only when it has one value per epoch.
  testing::TempDir dir;
  TrainingCurves c{{0.5, 0.4, 0.3}, {0.6, 0.5, 0.4}, {0.2, 0.3}, {}};
  write_progress_png(dir / "progress.png", c);
  Picture pic(dir / "progress.png");
  ASSERT_TRUE(pic.ok());
  EXPECT_EQ(pic.count(green), 0);
  EXPECT_GT(pic.count(blue), 500);
}

TEST(ProgressPng, UnwritablePathNamesIt) {
  testing::TempDir dir;
  write_file_atomically(dir / "blocker", "x");
  try {
    write_progress_png(dir / "blocker" / "progress.png", fake_run(3));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(format_error(e).find("blocker"), std::string::npos) << format_error(e);
  }
}

}  // namespace
}  // namespace nnseg::report
