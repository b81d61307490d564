// Dataset resolution: `-d 82 | 082 | Dataset082_BraTS2020 | Task082_BraTS2020` -> the raw dataset folder
// (data-formats.md §4.3), and the `Dataset%03d_<Name>` name nnseg gives its own output folders.
#pragma once

#include <filesystem>
#include <string>

#include "core/paths.h"

namespace nnseg {

namespace fs = std::filesystem;

// A parsed `-d` value: the id and, for a full name, the part after "Dataset082_"/"Task082_".
struct DatasetRef {
  int id = 0;        // 1..999
  std::string name;  // "BraTS2020"; empty when only a number was given
};

// Parses "82", "082", "Dataset082_BraTS2020" or "Task082_BraTS2020"; InputError naming `text` otherwise.
DatasetRef parse_dataset_ref(const std::string& text);

// "Dataset082_BraTS2020".
std::string dataset_folder_name(int id, const std::string& name);

// The single raw folder for `text` among $nnUNet_raw/Dataset%03d_*, $nnUNet_raw/Task%03d_* and, when only the v1
// variable is set, $nnUNet_raw_data_base/nnUNet_raw_data/Task%03d_*. A full name keeps only folders whose name
// part equals it. InputError naming nnUNet_raw when no raw folder is set; InputError listing the searched
// patterns and the folders found when there is no match or more than one.
fs::path find_raw_dataset(const Paths& paths, const std::string& text);

// The name nnseg gives a raw folder's preprocessed and results folders: "Task082_BraTS2020" and
// "Dataset082_BraTS2020" both give "Dataset082_BraTS2020". InputError if the folder name has no id.
std::string dataset_output_name(const fs::path& raw_folder);

}  // namespace nnseg
