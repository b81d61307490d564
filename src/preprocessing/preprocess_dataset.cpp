// Preprocessing of a whole dataset (preprocessing/preprocess_dataset.h), as nnU-Net v1's run_preprocessing over
// the cropped cases, with nnseg's folders and files (spec/preprocessing.md §1, §5, §7; spec/cli.md).
#include "preprocessing/preprocess_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "dataset/dataset_json.h"
#include "dataset/dataset_locator.h"
#include "io/nifti.h"
#include "io/npy.h"
#include "planning/plan_dataset.h"
#include "planning/planner_inputs.h"

namespace nnseg {

namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The single $nnUNet_preprocessed/Dataset%03d_* folder of `ref` (name-filtered when the ref has a name).
std::optional<fs::path> find_preprocessed_dataset(const fs::path& root, const DatasetRef& ref) {
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "Dataset%03d_", ref.id);
  std::vector<fs::path> found;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return std::nullopt;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || name.rfind(prefix, 0) != 0) continue;
    if (!ref.name.empty() && name.substr(std::string(prefix).size()) != ref.name) continue;
    found.push_back(entry.path());
  }
  if (found.size() != 1) return std::nullopt;
  return found.front();
}

}  // namespace

DatasetFolders resolve_dataset_folders(const Paths& paths, const std::string& dataset, bool raw_required) {
  if (!paths.preprocessed) {
    throw InputError("nnUNet_preprocessed",
                     "preprocessed data folder not set: set $nnUNet_preprocessed or pass --preprocessed");
  }
  DatasetFolders folders;
  try {
    folders.raw = find_raw_dataset(paths, dataset);
  } catch (const InputError&) {
    if (raw_required) throw;
    if (auto found = find_preprocessed_dataset(*paths.preprocessed, parse_dataset_ref(dataset))) {
      folders.preprocessed = *found;
      return folders;
    }
    throw;
  }
  folders.preprocessed = *paths.preprocessed / dataset_output_name(*folders.raw);
  return folders;
}

const std::vector<std::string>& known_configurations() {
  static const std::vector<std::string> names{"3d_fullres", "2d", "3d_lowres"};
  return names;
}

ConfigurationSelection select_configurations(const Plans& plans, const std::vector<std::string>& requested,
                                             const std::string& plans_file) {
  std::vector<std::string> planned;
  for (const auto& name : known_configurations()) {
    if (plans.configurations.count(name) != 0) planned.push_back(name);
  }
  for (const auto& [name, configuration] : plans.configurations) {
    if (std::find(planned.begin(), planned.end(), name) == planned.end()) planned.push_back(name);
  }
  ConfigurationSelection selection;
  if (requested.empty()) {
    selection.run = planned;
    return selection;
  }
  const auto& known = known_configurations();
  for (const auto& name : requested) {
    auto& list = plans.configurations.count(name) != 0 ? selection.run : selection.not_planned;
    if (plans.configurations.count(name) == 0 && std::find(known.begin(), known.end(), name) == known.end()) {
      throw InputError("-c " + name, "not a configuration; " + plans_file + " plans " + join(planned));
    }
    if (std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
  }
  if (selection.run.empty()) {
    throw InputError(plans_file, "none of the requested configurations (" + join(selection.not_planned) +
                                     ") is planned; planned: " + join(planned));
  }
  return selection;
}

PreprocessParameters preprocess_parameters(const Plans& plans, const ConfigurationPlan& configuration,
                                           const std::vector<int>& classes, const std::string& plans_file) {
  PreprocessParameters p;
  p.transpose_forward = plans.transpose_forward;
  if (configuration.spacing.size() == 3) {
    p.target_spacing = {configuration.spacing[0], configuration.spacing[1], configuration.spacing[2]};
  } else {
    NNSEG_CHECK(configuration.spacing.size() == 2) << plans_file << ": spacing of " << configuration.data_identifier;
    // The out-of-plane entry is replaced by each case's own spacing (PreprocessorFor2D, preprocessing.md §7).
    p.target_spacing = {plans.original_median_spacing_after_transp[0], configuration.spacing[0],
                        configuration.spacing[1]};
    p.two_d = true;
  }
  for (Normalization n : configuration.normalization_schemes) {
    p.normalization_schemes.push_back(parse_normalization_scheme(to_string(n), plans_file));
  }
  p.use_mask_for_norm = configuration.use_mask_for_norm;
  p.intensity_properties = plans.foreground_intensity_properties_per_channel;
  p.all_classes = classes;
  return p;
}

bool preprocessed_case_complete(const fs::path& folder, const std::string& case_id,
                                const PreprocessParameters& parameters) {
  const fs::path data_file = folder / (case_id + ".npy");
  const fs::path seg_file = folder / (case_id + "_seg.npy");
  const fs::path json_file = folder / (case_id + ".json");
  std::error_code ec;
  if (!fs::is_regular_file(data_file, ec) || !fs::is_regular_file(seg_file, ec) ||
      !fs::is_regular_file(json_file, ec)) {
    return false;
  }
  try {
    const CaseProperties properties = load_case_properties(json_file);
    const auto& size = properties.size_after_resampling;
    const int64_t channels = static_cast<int64_t>(parameters.normalization_schemes.size());
    if (read_npy_header(data_file).shape != std::vector<int64_t>{channels, size[0], size[1], size[2]}) return false;
    if (read_npy_header(seg_file).shape != std::vector<int64_t>{1, size[0], size[1], size[2]}) return false;
    // 2d keeps each case's own out-of-plane spacing; the in-plane axes (and 3D's all) are the configuration's.
    for (size_t a = parameters.two_d ? 1 : 0; a < 3; ++a) {
      const double want = parameters.target_spacing[a];
      if (std::abs(properties.spacing_after_resampling[a] - want) > 1e-9 * std::max(1.0, std::abs(want))) {
        return false;
      }
    }
  } catch (const Error&) {
    return false;
  }
  return true;
}

namespace {

// Reads, preprocesses and saves one case; its old CASE.json goes first so that a crash leaves it unfinished.
void preprocess_one_case(const DatasetCase& c, const PreprocessParameters& parameters, const fs::path& folder) {
  if (!c.label) throw InputError(c.id, "training case without a label file");
  std::error_code ec;
  fs::remove(folder / (c.id + ".json"), ec);
  PreprocessedCase preprocessed;
  {
    std::vector<Image> channels;
    channels.reserve(c.images.size());
    for (const auto& path : c.images) channels.push_back(read_nifti(path));
    const Image label = read_nifti(*c.label);
    preprocessed = preprocess_case(channels, &label, parameters, c.id);
  }
  for (const auto& path : c.images) preprocessed.properties.list_of_data_files.push_back(fs::absolute(path).string());
  preprocessed.properties.seg_file = fs::absolute(*c.label).string();
  save_preprocessed_case(folder, c.id, preprocessed);
}

}  // namespace

PreprocessReport preprocess_dataset(const fs::path& raw_folder, const fs::path& preprocessed_folder,
                                    const PreprocessDatasetOptions& options, Progress& progress) {
  const fs::path plans_file = preprocessed_folder / "nnUNetPlans.json";
  if (!fs::exists(plans_file)) {
    throw InputError(plans_file.string(),
                     "not found; run 'nnseg plan -d " + dataset_id_hint(preprocessed_folder) + "' first");
  }
  const Plans plans = load_plans(plans_file);
  DatasetSpec spec = load_dataset_spec(raw_folder);
  if (spec.training.empty()) {
    throw InputError((raw_folder / "dataset.json").string(), "no training cases found in imagesTr/");
  }
  std::sort(spec.training.begin(), spec.training.end(),
            [](const DatasetCase& a, const DatasetCase& b) { return a.id < b.id; });
  std::vector<int> classes;
  for (int64_t v : load_planner_inputs(raw_folder / "dataset.json").classes) classes.push_back(static_cast<int>(v));

  const ConfigurationSelection selection = select_configurations(plans, options.configurations, plans_file.string());
  PreprocessReport report;
  report.not_planned = selection.not_planned;
  for (const auto& name : selection.not_planned) {
    log_warning("configuration " + name + " is not planned in " + plans_file.string() + "; skipped");
  }
  for (const auto& name : selection.run) {
    const ConfigurationPlan& configuration = plans.configuration(name, plans_file.string());
    if (static_cast<int>(configuration.normalization_schemes.size()) != spec.num_channels()) {
      throw InputError(plans_file.string(), "configurations." + name + ".normalization_schemes has " +
                                                std::to_string(configuration.normalization_schemes.size()) +
                                                " entries but " + (raw_folder / "dataset.json").string() + " has " +
                                                std::to_string(spec.num_channels()) + " channels; re-run plan");
    }
    PreprocessParameters parameters = preprocess_parameters(plans, configuration, classes, plans_file.string());
    ConfigurationReport r;
    r.configuration = name;
    r.folder = preprocessed_folder / configuration.data_identifier;
    std::vector<const DatasetCase*> pending;
    for (const auto& c : spec.training) {
      if (!options.overwrite && preprocessed_case_complete(r.folder, c.id, parameters)) {
        r.skipped.push_back(c.id);
      } else {
        pending.push_back(&c);
      }
    }
    fs::create_directories(r.folder);
    // Whole cases in parallel first (memory: one case per worker); spare threads go to resampling within a case.
    const int64_t count = static_cast<int64_t>(pending.size());
    const int workers = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(options.threads, count)));
    parameters.threads = std::max(1, options.threads / workers);
    if (count > 0) {
      progress.start("preprocess " + name, count);
      parallel_for(count, workers, [&](int64_t i) {
        preprocess_one_case(*pending[static_cast<size_t>(i)], parameters, r.folder);
        progress.advance(1);
      });
      progress.finish();
    }
    r.processed = count;
    report.configurations.push_back(std::move(r));
  }
  return report;
}

std::string describe_preprocess_report(const PreprocessReport& report) {
  std::string text;
  for (const auto& name : report.not_planned) text += name + ": not planned, skipped\n";
  for (const auto& r : report.configurations) {
    text += r.configuration + ": preprocessed " + std::to_string(r.processed) + " case(s), kept " +
            std::to_string(r.skipped.size()) + " finished case(s) in " + r.folder.string() + "\n";
  }
  return text;
}

}  // namespace nnseg
