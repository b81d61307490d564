// synth-brats: a BraTS 2020-layout folder of synthetic cases (spec/data-formats.md §1, spec/cli.md):
// OUT/BraTS20_Training_XXX/BraTS20_Training_XXX_{t1,t1ce,t2,flair,seg}.nii.gz and OUT/name_mapping.csv, or with
// with_seg = false the validation form (BraTS20_Validation_XXX, no seg, name_mapping_validation_data.csv).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/progress.h"
#include "synth/brain_template.h"
#include "synth/synth_case.h"

namespace nnseg::synth {

namespace fs = std::filesystem;

struct SynthBratsOptions {
  int64_t cases = 5;       // number of cases
  uint64_t seed = 0;       // same seed, same bytes
  int64_t first_id = 1;    // id of the first case (XXX in the names, 1..999)
  bool with_seg = true;    // training layout with _seg files; false: validation layout
  int spacing_mm = 1;      // 1, 2 or 3
  bool overwrite = false;  // replace existing non-empty case folders
  int threads = 1;         // cases in parallel (the result does not depend on it)
  fs::path preview_png;    // empty: no preview; else a PNG of the first case
};

// "BraTS20_Training_007" / "BraTS20_Validation_007".
std::string brats_case_name(int64_t case_id, bool training);

// One line per written case.
struct SynthCaseSummary {
  std::string name;
  bool has_enhancing = false;
  double whole_tumour_cm3 = 0;
  double core_cm3 = 0;
  double brain_cm3 = 0;
};

// Checks the options and the target folders (InputError naming the flag or folder), then writes every case
// (each through a temporary folder renamed into place), the name-mapping CSV and the optional preview.
std::vector<SynthCaseSummary> synth_brats(const fs::path& out, const BrainTemplate& anatomy,
                                          const SynthBratsOptions& options, Progress& progress);

// Writes one case folder atomically (temporary folder, then rename); replaces an existing folder.
void write_brats_case(const fs::path& out, const SynthCase& c, bool training);

// Adds/replaces the rows of `cases` in OUT/name_mapping.csv (training) or OUT/name_mapping_validation_data.csv,
// keeping rows of other cases already there; rows sorted by BraTS 2020 id. Ids we do not have are "NA".
void update_name_mapping(const fs::path& out, const std::vector<SynthCaseSummary>& cases, bool training);

}  // namespace nnseg::synth
