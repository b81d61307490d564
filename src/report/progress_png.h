// progress.png: nnU-Net v1's training-progress plot (NetworkTrainer.plot_progress, spec/training.md §9), drawn with
// Cairo: losses on the left axis, the per-epoch pseudo-Dice on a twin right axis, epochs on x.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace nnseg::report {

namespace fs = std::filesystem;

// The per-epoch curves, index = epoch. NaN and infinite values are left out of the drawing (the line breaks there).
struct TrainingCurves {
  std::vector<double> train_loss;       // mean training loss per epoch (v1 all_tr_losses)
  std::vector<double> val_loss;         // mean validation loss per epoch (v1 all_val_losses)
  std::vector<double> pseudo_dice;      // raw pseudo-Dice per epoch (v1 all_val_eval_metrics, §5.2)
  std::vector<double> pseudo_dice_ema;  // its moving average per epoch (§5.3); not part of v1's plot: leave empty
                                        // for v1's picture, or give one value per epoch to add it
};

// Picture size: v1's figure is 30 x 24 inches at 100 dpi (3000 x 2400 px); nnseg draws the same layout at 60 dpi.
inline constexpr int kProgressWidth = 1800;   // pixels
inline constexpr int kProgressHeight = 1440;  // pixels

// Where the plot landed, in pixels (row 0 at the top), and the data ranges of its axes (tests, overlays).
struct ProgressFrame {
  double left = 0, top = 0, right = 0, bottom = 0;  // the axes rectangle
  double x_min = 0, x_max = 1;                      // epoch axis limits
  double loss_min = 0, loss_max = 1;                // left axis limits
  double metric_min = 0, metric_max = 1;            // right axis limits

  double x_px(double epoch) const { return left + (epoch - x_min) / (x_max - x_min) * (right - left); }
  double loss_px(double v) const { return bottom - (v - loss_min) / (loss_max - loss_min) * (bottom - top); }
  double metric_px(double v) const { return bottom - (v - metric_min) / (metric_max - metric_min) * (bottom - top); }
};

// The axes rectangle and limits write_progress_png uses for `curves` (matplotlib's autoscaling: data range plus 5%
// margins; 0..1 for an axis without data).
ProgressFrame progress_frame(const TrainingCurves& curves);

// The picture as PNG bytes, kProgressWidth x kProgressHeight.
std::string render_progress_png(const TrainingCurves& curves);

// Writes render_progress_png(curves) to `path` atomically (io/atomic_write.h); Error naming the path if it cannot.
void write_progress_png(const fs::path& path, const TrainingCurves& curves);

}  // namespace nnseg::report
