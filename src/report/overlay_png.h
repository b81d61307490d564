// The per-case overlay PNG of the end-to-end demo: FLAIR and T1ce on the axial slice with the largest tumour area,
// with the reference (solid) and predicted (dashed) contours of the BraTS regions WT, TC and ET; reads an nnU-Net
// raw case (CASE_000c.nii.gz) and label maps in nnU-Net label space (1 edema, 2 necrosis/non-enh., 3 enhancing).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/image.h"

namespace nnseg::report {

namespace fs = std::filesystem;

// A volume and where it came from; `source` is quoted by error messages.
struct OverlayVolume {
  Image image;
  std::string source;  // file path (or any name)
};

struct OverlayInputs {
  std::string case_id;                     // first words of the title
  OverlayVolume flair;                     // channel 0003; defines the grid the others must match
  OverlayVolume t1ce;                      // channel 0001
  OverlayVolume prediction;                // labels 0..3, nnU-Net space
  std::optional<OverlayVolume> reference;  // labels 0..3, nnU-Net space; absent: prediction contours only
  std::string dice_wt, dice_tc, dice_et;   // preformatted Dice for the title (e.g. "0.912"); empty: not shown
};

// BraTS evaluation regions in nnU-Net labels (spec/evaluation.md §5).
enum class OverlayRegion { kWholeTumour, kTumourCore, kEnhancing };  // label > 0; label 2 or 3; label 3
inline constexpr std::array<OverlayRegion, 3> kOverlayRegions{OverlayRegion::kWholeTumour, OverlayRegion::kTumourCore,
                                                              OverlayRegion::kEnhancing};
std::string to_string(OverlayRegion region);  // "WT", "TC", "ET"
bool in_region(OverlayRegion region, int label);

// A pixel of a displayed slice; row 0 is the top row, col 0 the left column.
struct DisplayPixel {
  int64_t row = 0;
  int64_t col = 0;
  bool operator==(const DisplayPixel& o) const { return row == o.row && col == o.col; }
  bool operator<(const DisplayPixel& o) const { return row != o.row ? row < o.row : col < o.col; }
};

// A binary 2D mask, row-major: on[row * width + col].
struct DisplayMask {
  int64_t width = 0;
  int64_t height = 0;
  std::vector<uint8_t> on;  // 0 or 1
};

// The pixels of `mask` with at least one 4-neighbour outside the mask (pixels outside the slice count as outside),
// sorted by row, then column.
std::vector<DisplayPixel> boundary_pixels(const DisplayMask& mask);

// How an axial slice (array axis 0 fixed) is put on the screen: radiological habit as ITK-SNAP shows it, i.e.
// screen columns run from the patient's right to left (+L) and rows from anterior to posterior (+P), read from the
// direction cosines. For BraTS's identity direction (LPS) that is the array as it is: rows = y, columns = x.
// When array x runs along A/P and y along R/L the slice is transposed; when the in-plane axes are neither (the
// slice axis is not axial), rows = y and columns = x are kept.
struct DisplayOrientation {
  bool anatomical = true;  // false: the in-plane axes are not R/L and A/P; shown as stored (rows y, columns x)
  bool transpose = false;  // screen rows follow array x, columns array y
  bool flip_rows = false;  // the array axis shown down the rows runs towards anterior: reversed
  bool flip_cols = false;  // the array axis shown across the columns runs towards the patient's right: reversed
};
DisplayOrientation radiological_orientation(const Geometry& geometry);

enum class SliceSource { kReference, kPrediction, kMiddle };
std::string to_string(SliceSource source);  // "reference", "prediction", "middle"

// The axial slice (array axis 0) with the most voxels labelled > 0 in `reference` (lowest z on ties); the
// prediction's when the reference is absent or empty; the middle slice shape[0] / 2 when both are empty.
std::pair<int64_t, SliceSource> choose_overlay_slice(const Image* reference, const Image& prediction);

// Grey window of an image: the 0.5 and 99.5 percentiles of its nonzero (brain) voxels over the whole volume.
std::pair<float, float> overlay_window(const Image& image);

// Everything write_overlay_png decides, for tests and captions.
struct OverlayPlan {
  int64_t slice = 0;  // axial index (array axis 0) shown
  SliceSource slice_source = SliceSource::kMiddle;
  DisplayOrientation orientation;
  int64_t slice_width = 0;   // displayed columns (voxels)
  int64_t slice_height = 0;  // displayed rows (voxels)
  double scale_col = 1;      // screen pixels per displayed column
  double scale_row = 1;      // screen pixels per displayed row (differs from scale_col for anisotropic voxels)
  std::pair<float, float> flair_window{0, 1};  // grey window (overlay_window)
  std::pair<float, float> t1ce_window{0, 1};
  // Boundary pixels (boundary_pixels) of each region on the shown slice, display coordinates; reference_contours is
  // empty without a reference, and a region absent from the slice has an empty list.
  std::map<OverlayRegion, std::vector<DisplayPixel>> reference_contours;
  std::map<OverlayRegion, std::vector<DisplayPixel>> prediction_contours;
  int png_width = 0;  // picture size, pixels
  int png_height = 0;
  std::array<double, 2> panel_x{0, 0};  // left edge of the FLAIR and T1ce panels, pixels
  double panel_y = 0;                   // top edge of both panels, pixels
};

// Checks the inputs and decides the picture. InputError naming the file whose shape differs from FLAIR's, or a
// label file holding a value outside 0..3 (with the value); a spacing difference is only a warning.
OverlayPlan plan_overlay(const OverlayInputs& in);

// The picture as PNG bytes: title (case, slice, Dice), FLAIR and T1ce panels side by side with the contours of
// WT (yellow-green), TC (red) and ET (cyan), reference solid and prediction dashed, and a legend column.
std::string render_overlay_png(const OverlayInputs& in);

// Writes render_overlay_png(in) to `png` atomically (io/atomic_write.h); returns the plan it drew.
OverlayPlan write_overlay_png(const OverlayInputs& in, const fs::path& png);

// The files of one case for `nnseg overlay`.
struct OverlayCaseFiles {
  std::string case_id;
  fs::path flair;                     // IMAGES/CASE_0003.nii.gz
  fs::path t1ce;                      // IMAGES/CASE_0001.nii.gz
  fs::path prediction;                // PRED/CASE.nii.gz
  std::optional<fs::path> reference;  // REF/CASE.nii.gz
};

// The cases of `prediction_dir` (CASE.nii.gz or CASE.nii, sorted), or only `cases` when not empty, with their
// channel and reference files. InputError naming the missing file (a channel, a reference, a prediction asked for
// with `cases`), or the folder when it holds no prediction. Channels are looked up as .nii.gz, then .nii.
std::vector<OverlayCaseFiles> find_overlay_cases(const fs::path& images_dir, const fs::path& prediction_dir,
                                                 const std::optional<fs::path>& reference_dir,
                                                 const std::vector<std::string>& cases = {});

// Reads the files of one case (io/nifti.h); the Dice strings stay empty.
OverlayInputs load_overlay_inputs(const OverlayCaseFiles& files);

}  // namespace nnseg::report
