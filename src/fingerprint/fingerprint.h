// Fingerprint: what the planner needs to know about a dataset (spec/planning.md §4), loaded from and saved to
// dataset_fingerprint.json (spec/cli.md). Also the JSON helpers that read and write NaN as the bare token `NaN`
// (Python's json module does the same; spec/evaluation.md §2), used by this file and by the plans.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fingerprint/intensity_stats.h"
#include "io/json_file.h"

namespace nnseg {

struct Fingerprint {
  // Case identifiers in the order of the lists below (sorted, as v1's cropped folder). Extra key of nnseg's file,
  // optional when loading (empty then); not used by the planner, kept for splits and for people.
  std::vector<std::string> case_identifiers;
  // Original spacing of every case, mm, array order (z, y, x), untransposed (v1 `all_spacings`).
  std::vector<std::array<double, 3>> spacings;
  // Shape of every case after cropping to the nonzero region, voxels, (z, y, x), untransposed (v1 `all_sizes`).
  std::vector<std::array<int64_t, 3>> shapes_after_crop;
  // Foreground intensity statistics per channel, index = channel (JSON keys "0", "1", ...). May be empty.
  std::vector<IntensityStats> foreground_intensity_properties_per_channel;
  // Median over cases of prod(shape after crop) / prod(original shape) (v1 `size_reductions`), in (0, 1].
  double median_relative_size_after_cropping = 1.0;

  int64_t num_cases() const { return static_cast<int64_t>(spacings.size()); }
};

// JSON form of dataset_fingerprint.json; keys in the order spacings, shapes_after_crop,
// foreground_intensity_properties_per_channel, median_relative_size_after_cropping, case_identifiers (when known).
OrderedJson fingerprint_to_json(const Fingerprint& fingerprint);
// Checks every key's type, lengths and ranges; InputError "<file>: <key> = <value>: expected ..." on a problem.
Fingerprint fingerprint_from_json(const OrderedJson& json, const std::string& file);

// Loads / saves (atomically) dataset_fingerprint.json. A missing file is an InputError naming it.
Fingerprint load_fingerprint(const std::filesystem::path& path);
void save_fingerprint(const std::filesystem::path& path, const Fingerprint& fingerprint);

// One channel's statistics as {"mean", "median", "std", "min", "max", "percentile_99_5", "percentile_00_5"}.
OrderedJson intensity_stats_to_json(const IntensityStats& stats);
// Reads that object; errors name `file` and `key` (e.g. "foreground_intensity_properties_per_channel.0").
IntensityStats intensity_stats_from_json(const OrderedJson& json, const std::string& file, const std::string& key);

}  // namespace nnseg
