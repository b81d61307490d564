// `nnseg preprocess -d ID` as a library call (spec/preprocessing.md §1, §5, §7): the raw training cases and
// nnUNetPlans.json -> <preprocessed>/<data_identifier>/CASE.npy, CASE_seg.npy, CASE.json per configuration.
// Also resolves a `-d` value to the dataset's raw and preprocessed folders.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/paths.h"
#include "core/progress.h"
#include "planning/plans.h"
#include "preprocessing/preprocess_case.h"

namespace nnseg {

// The folders of one dataset.
struct DatasetFolders {
  std::optional<std::filesystem::path> raw;  // raw dataset folder; nullopt when it did not resolve (raw not needed)
  std::filesystem::path preprocessed;        // $nnUNet_preprocessed/DatasetXXX_Name (may not exist yet)
};

// Resolves `dataset` (82, 082, Dataset082_Name, Task082_Name): the raw folder (find_raw_dataset) and the
// preprocessed folder named after it (dataset_output_name). When `raw_required` is false and the raw folder does
// not resolve, the single $nnUNet_preprocessed/Dataset%03d_* folder is used instead (raw error rethrown when there
// is none). InputError naming nnUNet_preprocessed when that folder is not set.
DatasetFolders resolve_dataset_folders(const Paths& paths, const std::string& dataset, bool raw_required);

// The configurations nnseg plans, in the order `preprocess` runs them by default.
const std::vector<std::string>& known_configurations();

// Which requested configurations to run.
struct ConfigurationSelection {
  std::vector<std::string> run;          // planned, requested; in request order, each once
  std::vector<std::string> not_planned;  // known names (2d, 3d_fullres, 3d_lowres) absent from the plans: skipped
};

// `requested` empty: every planned configuration. A known configuration that was not planned (3d_lowres is planned
// only for large images) is skipped, as nnU-Net v2 does; a name that is neither planned nor known is an InputError
// naming the value, and so is a request of which nothing is planned. `plans_file` names the plans in messages.
ConfigurationSelection select_configurations(const Plans& plans, const std::vector<std::string>& requested,
                                             const std::string& plans_file);

// The pipeline parameters of one configuration: its target spacing (2d: the plans' median out-of-plane spacing in
// front, replaced per case anyway, preprocessing.md §7), transposition, schemes, mask flags, the plans' intensity
// statistics (from the fingerprint) and the foreground classes of dataset.json.
PreprocessParameters preprocess_parameters(const Plans& plans, const ConfigurationPlan& configuration,
                                           const std::vector<int>& classes, const std::string& plans_file);

// True when `folder` holds a finished case: CASE.npy, CASE_seg.npy and CASE.json exist, the JSON parses, the two
// arrays have the shapes it records ([C, size_after_resampling], C = the schemes' count) and its spacing after
// resampling is the configuration's. A half-written or stale case is not finished.
bool preprocessed_case_complete(const std::filesystem::path& folder, const std::string& case_id,
                                const PreprocessParameters& parameters);

struct PreprocessDatasetOptions {
  std::vector<std::string> configurations;  // -c; empty: every planned configuration
  int threads = 1;                          // worker threads (cases at a time, then threads within a case)
  bool overwrite = false;                   // redo finished cases too
};

// One configuration's outcome.
struct ConfigurationReport {
  std::string configuration;         // "3d_fullres"
  std::filesystem::path folder;      // <preprocessed>/<data_identifier>
  int64_t processed = 0;             // cases written by this run
  std::vector<std::string> skipped;  // cases already finished (kept)
};

struct PreprocessReport {
  std::vector<ConfigurationReport> configurations;  // in the order run
  std::vector<std::string> not_planned;             // requested but not in the plans (skipped)
};

// The lines a command prints for a report: "<config>: not planned, skipped" and
// "<config>: preprocessed N case(s), kept M finished case(s) in <folder>", each ending in a newline.
std::string describe_preprocess_report(const PreprocessReport& report);

// Preprocesses every training case of the raw dataset for the selected configurations of
// <preprocessed_folder>/nnUNetPlans.json. A missing plans file is an InputError naming it and saying to run
// 'nnseg plan -d ID' first. Cases are written atomically, the JSON last; an existing CASE.json is removed before
// a case is redone, so an interrupted run never leaves a case that looks finished.
PreprocessReport preprocess_dataset(const std::filesystem::path& raw_folder,
                                    const std::filesystem::path& preprocessed_folder,
                                    const PreprocessDatasetOptions& options, Progress& progress);

}  // namespace nnseg
