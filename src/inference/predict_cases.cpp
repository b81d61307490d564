#include "inference/predict_cases.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "dataset/dataset_json.h"
#include "export/export_prediction.h"
#include "export/label_map.h"
#include "export/postprocessing.h"
#include "inference/predictor.h"
#include "inference/weights_npz.h"
#include "io/atomic_write.h"
#include "io/json_file.h"
#include "io/nifti.h"
#include "io/npy.h"
#include "io/npz.h"
#include "network/generic_unet.h"
#include "planning/planner_inputs.h"
#include "preprocessing/preprocess_dataset.h"
#include "training/trainer.h"

namespace nnseg {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The first of `candidates` that is a file; nullopt when none is.
std::optional<fs::path> first_file(const std::vector<fs::path>& candidates) {
  for (const auto& p : candidates) {
    if (fs::is_regular_file(p)) return p;
  }
  return std::nullopt;
}

// fold_<N> folders of an experiment, by fold number (v1 uses every fold_ folder except fold_all).
std::vector<int> discover_folds(const fs::path& experiment) {
  std::vector<int> folds;
  for (const auto& entry : fs::directory_iterator(experiment)) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    if (name.rfind("fold_", 0) != 0) continue;
    const std::string number = name.substr(5);
    if (number.empty() || !std::all_of(number.begin(), number.end(), ::isdigit)) continue;
    folds.push_back(std::stoi(number));
  }
  std::sort(folds.begin(), folds.end());
  return folds;
}

std::string file_ending_of(const fs::path& dataset_json) {
  const OrderedJson json = load_json(dataset_json);
  if (json.contains("file_ending")) {
    if (!json["file_ending"].is_string()) throw InputError(dataset_json.string(), "'file_ending' is not a string");
    return json["file_ending"].get<std::string>();
  }
  return ".nii.gz";
}

// Array4f from a float32 [C, Z, Y, X] .npy file.
Array4f read_case_data(const fs::path& path) {
  NpyArray a = read_npy(path);
  if (a.dtype != NpyDType::kFloat32 || a.shape.size() != 4) {
    throw InputError(path.string(), "expected a float32 array [C, Z, Y, X], found " + to_string(a.dtype) + " " +
                                        npy_shape_repr(a.shape));
  }
  Array4f data({a.shape[0], a.shape[1], a.shape[2], a.shape[3]});
  std::memcpy(data.values.data(), a.bytes.data(), a.bytes.size());
  return data;
}

// Everything needed to write one case, handed to the export worker.
struct ExportJob {
  std::string case_id;
  Array4f probs;  // preprocessed geometry, fold average
  CaseProperties properties;
};

class CaseExporter {
 public:
  CaseExporter(const TrainedModel& model, fs::path output_folder, const PredictOptions& options,
               std::optional<PostprocessingDecision> postprocessing)
      : model_(model),
        output_(std::move(output_folder)),
        options_(options),
        postprocessing_(std::move(postprocessing)) {}

  void run(const ExportJob& job) const {
    const Array4f resampled =
        probabilities_to_original_spacing(job.probs, job.properties, model_.plans.transpose_backward, options_.threads);
    std::vector<uint8_t> labels = argmax_labels(resampled);
    Image image = uncrop_labels(labels, resampled.spatial(), job.properties.crop);
    if (postprocessing_) apply_postprocessing(image, *postprocessing_);
    if (options_.save_probabilities) {
      const std::vector<int64_t> shape{resampled.shape[0], resampled.shape[1], resampled.shape[2], resampled.shape[3]};
      save_probabilities_npz(output_ / (job.case_id + ".npz"), shape, resampled.values.data());
      save_json(output_ / (job.case_id + ".json"), case_properties_to_json(job.properties));
    }
    write_nifti(output_ / (job.case_id + model_.file_ending), image);
  }

 private:
  const TrainedModel& model_;
  fs::path output_;
  PredictOptions options_;
  std::optional<PostprocessingDecision> postprocessing_;
};

class EnsemblePredictor {
 public:
  EnsemblePredictor(const TrainedModel& model, const PredictOptions& options) : model_(model) {
    NetworkConfig config = model.network;
    network_ = GenericUNet(config);
    network_->to(options.device);
    sliding_.patch_size = model.cfg.patch_size;
    sliding_.step_size = options.step_size;
    if (!options.mirroring) sliding_.mirror_axes.clear();
    sliding_.device = options.device;
    sliding_.mixed_precision = options.mixed_precision;
  }

  // spec/inference.md §6: the arithmetic mean of the folds' probabilities.
  Array4f predict(const Array4f& data, const std::string& case_label, Progress& progress) {
    Array4f sum;
    const size_t n = model_.weights.size();
    for (size_t f = 0; f < n; ++f) {
      load_network_state(*network_, model_.weights[f], model_.fold_names[f]);
      const std::string label = case_label + (n > 1 ? " " + model_.fold_names[f] : std::string());
      Array4f probs = predict_sliding_window(network_logits(network_), data, model_.network.num_classes, sliding_,
                                             &progress, label);
      if (f == 0) {
        sum = std::move(probs);
      } else {
        for (size_t i = 0; i < sum.values.size(); ++i) sum.values[i] += probs.values[i];
      }
    }
    if (n > 1) {
      const float scale = 1.0f / static_cast<float>(n);
      for (float& v : sum.values) v *= scale;
    }
    return sum;
  }

 private:
  const TrainedModel& model_;
  GenericUNet network_{nullptr};
  SlidingWindowOptions sliding_;
};

// Runs prediction case by case with loading (`load`) one case ahead and exporting one case behind.
template <typename Load>
void run_pipeline(const std::vector<std::string>& ids, Load load, EnsemblePredictor& predictor,
                  const CaseExporter& exporter, Progress& progress, PredictReport& report) {
  if (ids.empty()) return;
  std::future<PreprocessedCase> next = std::async(std::launch::async, load, ids[0]);
  std::future<void> writing;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto started = Clock::now();
    PreprocessedCase current = next.get();
    if (i + 1 < ids.size()) next = std::async(std::launch::async, load, ids[i + 1]);
    const std::string label = ids[i] + " (" + std::to_string(i + 1) + "/" + std::to_string(ids.size()) + ")";
    Array4f probs = predictor.predict(current.data, label, progress);
    if (writing.valid()) writing.get();
    auto job = std::make_shared<ExportJob>(ExportJob{ids[i], std::move(probs), std::move(current.properties)});
    writing = std::async(std::launch::async, [&exporter, job] { exporter.run(*job); });
    std::ostringstream line;
    line.precision(3);
    line << "predicted " << ids[i] << " in " << seconds_since(started) << " s";
    log_info(line.str());
    report.predicted.push_back(ids[i]);
  }
  if (writing.valid()) writing.get();
}

}  // namespace

TrainedModel load_trained_model(const ModelSource& source) {
  if (source.checkpoint != "final" && source.checkpoint != "best") {
    throw InputError("--checkpoint", "'" + source.checkpoint + "': expected final or best");
  }
  TrainedModel m;
  m.experiment_folder = source.experiment_folder;
  const bool have_experiment = fs::is_directory(source.experiment_folder);
  if (!have_experiment && !source.weights_npz) {
    throw InputError(source.experiment_folder.string(), "no trained model here; run 'nnseg train' first");
  }
  std::vector<fs::path> plans_candidates{source.experiment_folder / "plans.json"};
  std::vector<fs::path> dataset_candidates{source.experiment_folder / "dataset.json"};
  if (source.preprocessed) {
    plans_candidates.push_back(*source.preprocessed / "nnUNetPlans.json");
    dataset_candidates.push_back(*source.preprocessed / "dataset.json");
  }
  const auto plans_file = first_file(plans_candidates);
  if (!plans_file) throw InputError(plans_candidates.front().string(), "not found; run 'nnseg train' first");
  const auto dataset_file = first_file(dataset_candidates);
  if (!dataset_file) throw InputError(dataset_candidates.front().string(), "not found; run 'nnseg train' first");
  m.plans_file = plans_file->string();
  m.plans = load_plans(*plans_file);
  m.cfg = m.plans.configuration(source.configuration, m.plans_file);
  if (m.cfg.dim() != 3) {
    throw InputError("-c", "'" + source.configuration + "': predicting with a 2d configuration is not supported yet");
  }
  const PlannerInputs inputs = load_planner_inputs(*dataset_file);
  m.channel_names = inputs.channel_names;
  for (int64_t c : inputs.classes) m.classes.push_back(static_cast<int>(c));
  m.file_ending = file_ending_of(*dataset_file);
  m.network = network_config_for(m.cfg, inputs.num_channels(), inputs.num_classes_with_background());
  validate_network_config(m.network);

  if (source.weights_npz) {
    m.fold_names.push_back(source.weights_npz->filename().string());
    m.weights.push_back(read_weights_npz(*source.weights_npz));
    return m;
  }
  const std::vector<int> folds = source.folds.empty() ? discover_folds(source.experiment_folder) : source.folds;
  if (folds.empty()) {
    throw InputError(source.experiment_folder.string(), "no fold_N folder; train a fold first or pass -f");
  }
  const char* name = source.checkpoint == "final" ? kCheckpointFinal : kCheckpointBest;
  for (int fold : folds) {
    const fs::path fold_folder = source.experiment_folder / fold_folder_name(fold);
    const fs::path file = fold_folder / name;
    if (!fs::is_regular_file(file)) {
      throw InputError(file.string(), std::string("not found; ") + (fs::is_directory(fold_folder)
                                                                        ? "the fold has not finished training"
                                                                        : "this fold was not trained"));
    }
    Checkpoint checkpoint = load_checkpoint(file);
    if (!checkpoint.init.configuration.empty() && checkpoint.init.configuration != source.configuration) {
      throw InputError(file.string(), "trained for configuration '" + checkpoint.init.configuration + "', not '" +
                                          source.configuration + "'");
    }
    m.fold_names.push_back(fold_folder_name(fold));
    m.weights.push_back(std::move(checkpoint.state_dict));
  }
  return m;
}

std::vector<std::string> list_input_cases(const fs::path& input_folder, const TrainedModel& model) {
  if (!fs::is_directory(input_folder)) throw InputError(input_folder.string(), "input folder not found");
  const std::vector<std::string> ids = discover_case_ids(input_folder, model.file_ending);
  if (ids.empty()) {
    throw InputError(input_folder.string(), "no case files (CASE_0000" + model.file_ending + ", ...) found");
  }
  for (const auto& id : ids) {
    for (size_t c = 0; c < model.channel_names.size(); ++c) {
      const fs::path f = channel_file(input_folder, id, static_cast<int>(c), model.file_ending);
      if (!fs::is_regular_file(f)) {
        throw InputError(f.string(), "missing: case '" + id + "' has no channel " + std::to_string(c) + " (" +
                                         model.channel_names[c] + "); the model needs " +
                                         std::to_string(model.channel_names.size()) + " channels");
      }
    }
  }
  return ids;
}

PredictReport predict_folder(const TrainedModel& model, const fs::path& input_folder, const fs::path& output_folder,
                             const PredictOptions& options, Progress& progress) {
  const auto started = Clock::now();
  PredictReport report;
  std::vector<std::string> ids = list_input_cases(input_folder, model);
  if (!options.only_cases.empty()) {
    std::vector<std::string> kept;
    for (const auto& id : options.only_cases) {
      if (!std::binary_search(ids.begin(), ids.end(), id)) {
        throw InputError(input_folder.string(), "no case '" + id + "'");
      }
      kept.push_back(id);
    }
    ids = kept;
  }
  if (fs::exists(output_folder) && !fs::is_directory(output_folder)) {
    throw InputError(output_folder.string(), "exists and is not a folder");
  }
  fs::create_directories(output_folder);
  std::vector<std::string> todo;
  for (const auto& id : ids) {
    bool done = fs::exists(output_folder / (id + model.file_ending));
    if (options.save_probabilities) done = done && fs::exists(output_folder / (id + ".npz"));
    if (done && !options.overwrite) {
      report.skipped.push_back(id);
    } else {
      todo.push_back(id);
    }
  }
  if (!report.skipped.empty()) {
    log_info(std::to_string(report.skipped.size()) + " case(s) already predicted in " + output_folder.string() +
             " were skipped (--overwrite to redo them)");
  }

  std::optional<PostprocessingDecision> postprocessing;
  const fs::path pp_file = model.experiment_folder / "postprocessing.json";
  if (options.postprocess) {
    if (fs::is_regular_file(pp_file)) {
      postprocessing = load_postprocessing(pp_file);
      write_file_atomically(output_folder / "postprocessing.json", read_file(pp_file));
      report.postprocessed = true;
      std::string what = "keep the largest component of " + format_for_which_classes(postprocessing->for_which_classes);
      if (postprocessing->brats_et_threshold) {
        what += ", enhancing tumour below " + std::to_string(*postprocessing->brats_et_threshold) + " voxels -> 2";
      }
      log_info("postprocessing from " + pp_file.string() + ": " + what);
    } else {
      log_info("no " + pp_file.string() + "; predictions are not postprocessed (run 'nnseg determine-postprocessing')");
    }
  }
  if (fs::is_regular_file(model.experiment_folder / "plans.json")) {
    write_file_atomically(output_folder / "plans.json", read_file(model.experiment_folder / "plans.json"));
  }

  PreprocessParameters parameters = preprocess_parameters(model.plans, model.cfg, model.classes, model.plans_file);
  const auto load = [&](const std::string& id) {
    std::vector<Image> channels;
    for (size_t c = 0; c < model.channel_names.size(); ++c) {
      channels.push_back(read_nifti(channel_file(input_folder, id, static_cast<int>(c), model.file_ending)));
    }
    PreprocessedCase pc = preprocess_case(channels, nullptr, parameters, id);
    for (size_t c = 0; c < model.channel_names.size(); ++c) {
      pc.properties.list_of_data_files.push_back(
          channel_file(input_folder, id, static_cast<int>(c), model.file_ending).string());
    }
    return pc;
  };
  EnsemblePredictor predictor(model, options);
  const CaseExporter exporter(model, output_folder, options, postprocessing);
  run_pipeline(todo, load, predictor, exporter, progress, report);
  report.seconds = seconds_since(started);
  write_file_atomically(output_folder / "prediction_time.txt", std::to_string(report.seconds) + "\n");
  return report;
}

PredictReport predict_preprocessed_cases(const TrainedModel& model, const fs::path& data_folder,
                                         const std::vector<std::string>& case_ids, const fs::path& output_folder,
                                         const PredictOptions& options, Progress& progress) {
  const auto started = Clock::now();
  PredictReport report;
  fs::create_directories(output_folder);
  const auto load = [&](const std::string& id) {
    PreprocessedCase pc;
    pc.data = read_case_data(data_folder / (id + ".npy"));
    pc.properties = load_case_properties(data_folder / (id + ".json"));
    return pc;
  };
  EnsemblePredictor predictor(model, options);
  const CaseExporter exporter(model, output_folder, options, std::nullopt);
  run_pipeline(case_ids, load, predictor, exporter, progress, report);
  report.seconds = seconds_since(started);
  return report;
}

}  // namespace nnseg
