// Paths: the raw / preprocessed / results roots, resolved once in cli/ from flags and environment variables
// (nnUNet_raw, nnUNet_preprocessed, nnUNet_results and the v1 names; spec/cli.md). Library code never reads
// the environment.
#pragma once

#include <filesystem>
#include <optional>

namespace nnseg {

namespace fs = std::filesystem;

struct Paths {
  std::optional<fs::path> raw;            // $nnUNet_raw (v2 layout DatasetXXX_Name/ or TaskXXX_Name/)
  std::optional<fs::path> raw_v1_base;    // $nnUNet_raw_data_base (v1: datasets in nnUNet_raw_data/TaskXXX_Name)
  std::optional<fs::path> preprocessed;   // $nnUNet_preprocessed
  std::optional<fs::path> results;        // $nnUNet_results or $RESULTS_FOLDER
};

}  // namespace nnseg
