#include "inference/final_validation.h"

#include <algorithm>
#include <cctype>

#include "core/log.h"
#include "evaluation/summary.h"
#include "export/postprocessing.h"
#include "inference/predict_cases.h"

namespace nnseg {

bool is_brats_dataset(const std::string& dataset_name, const std::vector<int>& classes) {
  std::string lower = dataset_name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto has = [&](int label) { return std::find(classes.begin(), classes.end(), label) != classes.end(); };
  return lower.find("brats") != std::string::npos && has(1) && has(2) && has(3);
}

void run_final_validation(const FinalValidationInputs& inputs, Progress& progress) {
  ModelSource source;
  source.experiment_folder = inputs.fold_folder.parent_path();
  source.preprocessed = inputs.preprocessed_dataset;
  source.configuration = inputs.configuration;
  source.folds = {inputs.fold};
  const TrainedModel model = load_trained_model(source);

  PredictOptions options;
  options.device = inputs.device;
  options.mixed_precision = inputs.mixed_precision;
  const fs::path out = inputs.fold_folder / "validation";
  const PredictReport report =
      predict_preprocessed_cases(model, inputs.preprocessed_cases, inputs.validation_cases, out, options, progress);
  log_info("validation: " + std::to_string(report.predicted.size()) + " case(s) predicted into " + out.string());

  if (!inputs.raw_dataset || !fs::is_directory(*inputs.raw_dataset / "labelsTr")) {
    log_warning("validation: no raw labelsTr/ to compare with; evaluation skipped");
    return;
  }
  const fs::path labels_dir = *inputs.raw_dataset / "labelsTr";
  std::vector<CasePair> pairs;
  for (const auto& id : inputs.validation_cases) {
    pairs.push_back({out / (id + model.file_ending), labels_dir / (id + model.file_ending)});
  }
  EvaluateOptions evaluate;
  evaluate.labels = model.classes;
  evaluate.brats_regions = is_brats_dataset(inputs.preprocessed_dataset.filename().string(), model.classes);
  NullProgress quiet;
  const EvaluationSummary summary = evaluate_pairs(pairs, evaluate, quiet);
  save_evaluation_summary(out / "summary.json", summary);
  log_info("validation summary " + (out / "summary.json").string() + "\n" + format_mean_table(summary));
}

}  // namespace nnseg
