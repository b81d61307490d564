// DatasetSpec: a raw dataset's dataset.json (v1 TaskXXX form or v2 DatasetXXX form, data-formats.md §3) parsed
// into one struct, with its training and test cases resolved against the dataset folder. Saved in the v2 form.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/json_file.h"

namespace nnseg {

namespace fs = std::filesystem;

// One entry of `labels`: a plain label (one value) or, in a region-based dataset, a region (several values).
struct LabelEntry {
  std::string name;         // "edema", "whole tumor", "background"
  std::vector<int> values;  // one value for a plain label; the label values a region is made of
};

// One case: its channel files (one per channel, in channel order) and its label file (training cases only).
struct DatasetCase {
  std::string id;                 // case identifier, e.g. "BraTS20_Training_001"
  std::vector<fs::path> images;   // absolute (or folder-relative joined) paths, channel 0..C-1
  std::optional<fs::path> label;  // labelsTr/<id><file_ending>; absent for test cases
};

struct DatasetSpec {
  fs::path folder;                         // the dataset folder holding dataset.json
  int format_version = 2;                  // 1: v1 dataset.json (modality, training list), 2: v2
  std::string name;                        // "name" key (informative; empty when absent)
  std::vector<std::string> channel_names;  // index = channel; "T1", "T1ce", "T2", "FLAIR"
  std::vector<LabelEntry> labels;          // in file order (v2) or by value (v1); background included
  std::vector<int> regions_class_order;    // one label value per region (non-background entry); empty if none
  int num_training = 0;                    // "numTraining" as written (-1 when a v1 file lacks it)
  std::string file_ending = ".nii.gz";     // images and labels
  bool explicit_cases = false;             // v2 "dataset" key gave the cases (no discovery)
  std::vector<DatasetCase> training;       // sorted by id (v2 discovery) or in dataset.json order (v1, "dataset")
  std::vector<DatasetCase> test;           // v1 "test" list, or v2 cases discovered in imagesTs/

  int num_channels() const { return static_cast<int>(channel_names.size()); }
  // True when any label entry has more than one value (data-formats.md §3.2).
  bool has_regions() const;
  // Every label value used by `labels` (plain values and region members), sorted, distinct; background included.
  std::vector<int> label_values() const;
  // Foreground classes of a plain-label dataset: the values > 0, sorted.
  std::vector<int> foreground_labels() const;
};

// Reads `folder`/dataset.json and resolves the cases. InputError naming dataset.json, the key and the value for a
// missing key, a wrong type or an inconsistency (labels not consecutive 0..K, regions without
// regions_class_order, a case with the wrong number of channel files in "dataset"). Files are not opened.
DatasetSpec load_dataset_spec(const fs::path& folder);

// As load_dataset_spec, but consistency problems (check_dataset_spec) are returned in `problems` instead of
// thrown; structural errors (unparseable file, missing key, wrong type) still throw. Used by verify.
DatasetSpec load_dataset_spec_lenient(const fs::path& folder, std::vector<std::string>& problems);

// Parses dataset.json text already loaded; `json_path` names the file in messages. Resolves cases in `folder`.
DatasetSpec parse_dataset_json(const OrderedJson& json, const fs::path& folder, const fs::path& json_path);

// Consistency problems of a parsed spec, one message each ("labels: ..."); empty when consistent.
std::vector<std::string> check_dataset_spec(const DatasetSpec& spec);

// The v2 dataset.json object: channel_names, labels, numTraining, file_ending, name (when set), then
// regions_class_order (when regions), in that order (data-formats.md §2 "Decision for nnseg").
OrderedJson dataset_spec_to_json(const DatasetSpec& spec);

// Writes dataset_spec_to_json(spec) to `path` (4-space indent, atomic).
void save_dataset_json(const fs::path& path, const DatasetSpec& spec);

// Case identifiers of the channel files in `folder` ending in `file_ending`: name minus file_ending minus the
// 5 characters "_XXXX", distinct and sorted (data-formats.md §3.2). Files whose name does not end in
// "_DDDD<file_ending>" are skipped.
std::vector<std::string> discover_case_ids(const fs::path& folder, const std::string& file_ending);

// The files of `folder` named exactly "<id>_DDDD<file_ending>", sorted (nnU-Net v2's channel files of a case).
std::vector<fs::path> find_channel_files(const fs::path& folder, const std::string& id, const std::string& file_ending);

// "<folder>/<id>_0003<file_ending>": the channel file of a case.
fs::path channel_file(const fs::path& folder, const std::string& id, int channel, const std::string& file_ending);

}  // namespace nnseg
