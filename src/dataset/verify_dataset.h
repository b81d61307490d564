// Dataset integrity check of a raw dataset folder (v1 TaskXXX or v2 DatasetXXX), planning.md §2: every check of
// nnU-Net v1's verify_dataset_integrity plus v2's numTraining check, with every problem listed, not the first.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "core/progress.h"

namespace nnseg {

namespace fs = std::filesystem;

struct VerifyReport {
  fs::path folder;                    // the dataset folder checked
  std::vector<std::string> problems;  // one line each: "<file>: <what is wrong, with the values>"
  std::vector<std::string> warnings;  // not failures: differing axis codes, label files with background only, ...
  int num_training = 0;               // training cases found
  int num_test = 0;                   // test cases found

  bool ok() const { return problems.empty(); }
};

// Geometry tolerance of nnU-Net's check (numpy.isclose): |a - b| <= 1e-8 + 1e-5 * |b|, b = the reference (label).
bool geometry_value_close(double a, double b);

// Orientation letters of a LPS direction matrix as nibabel's aff2axcodes gives them for the NIfTI affine
// ("RAS", "LPS", ...).
std::string axis_codes(const std::array<double, 9>& direction_lps);

// Checks `folder`; never throws for problems in the data (unreadable files are problems), only for internal errors.
VerifyReport verify_dataset(const fs::path& folder, int threads, Progress& progress);

}  // namespace nnseg
