// The postprocessing decision on cross-validation predictions and the fold consolidation before it
// (export/postprocessing.h; spec/inference.md §8.2, training.md §10 and §11.5).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "export/postprocessing.h"
#include "io/atomic_write.h"
#include "io/nifti.h"

namespace nnseg {

namespace {

constexpr const char* kNiftiSuffix = ".nii.gz";

// Integer label values of an image read from `path`; InputError naming it for a non-integer value.
std::vector<int32_t> label_values(const Image& image, const fs::path& path) {
  std::vector<int32_t> out(static_cast<size_t>(image.numel()));
  for (int64_t i = 0; i < image.numel(); ++i) {
    const double v = image.value(i);
    if (!(v == std::floor(v)) || v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      throw InputError(path.string(), "label value " + Json(v).dump() + " is not an integer label");
    }
    out[static_cast<size_t>(i)] = static_cast<int32_t>(v);
  }
  return out;
}

std::string shape_text(const std::array<int64_t, 3>& s) {
  return "[" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) + "]";
}

// A prediction and its reference, read and checked.
struct CaseData {
  Image prediction;
  std::vector<int32_t> reference;
};

CaseData read_case(const CasePair& pair) {
  CaseData c{read_nifti(pair.prediction), {}};
  const Image ref = read_nifti(pair.reference);
  if (c.prediction.shape != ref.shape) {
    throw InputError(pair.prediction.string(), "size (z, y, x) " + shape_text(c.prediction.shape) +
                                                   " differs from the reference " + pair.reference.string() + " " +
                                                   shape_text(ref.shape));
  }
  label_values(c.prediction, pair.prediction);  // checks the prediction's values once
  c.reference = label_values(ref, pair.reference);
  return c;
}

CaseEvaluation evaluate_image(const Image& image, const CaseData& data, const CasePair& pair,
                              const std::vector<int>& labels, const fs::path& prediction_file) {
  CaseEvaluation e = evaluate_label_maps(label_values(image, prediction_file), data.reference, image.shape,
                                         image.geometry.spacing_zyx(), labels, false);
  e.reference_file = pair.reference.string();
  e.prediction_file = prediction_file.string();
  return e;
}

EvaluationSummary summarize(std::vector<CaseEvaluation> cases) {
  EvaluationSummary s;
  s.cases = std::move(cases);
  compute_summary_mean(s);
  return s;
}

std::map<int, double> mean_dice(const EvaluationSummary& s, const std::vector<int>& labels) {
  std::map<int, double> out;
  for (int c : labels) {
    double v = std::numeric_limits<double>::quiet_NaN();
    auto it = s.mean.find(std::to_string(c));
    if (it != s.mean.end()) {
      auto d = it->second.find("Dice");
      if (d != it->second.end()) v = d->second;
    }
    out[c] = v;
  }
  return out;
}

std::vector<PostprocessingEntry> per_class_entries(const std::vector<int>& labels) {
  std::vector<PostprocessingEntry> entries;
  for (int c : labels) entries.push_back(PostprocessingEntry::single(c));
  return entries;
}

bool is_prediction_name(const std::string& name) {
  return name.size() > 7 && name[0] != '.' && name.compare(name.size() - 7, 7, kNiftiSuffix) == 0;
}

std::vector<fs::path> prediction_files(const fs::path& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return files;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file(ec) && is_prediction_name(entry.path().filename().string()))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string format_dice(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

PostprocessingResult determine_postprocessing(const fs::path& raw_folder, const fs::path& ref_folder,
                                              const std::vector<int>& labels, const fs::path& postprocessed_folder,
                                              const fs::path& json_path, const DeterminePostprocessingOptions& options,
                                              Progress& progress) {
  if (labels.empty()) throw InputError("labels", "no foreground label to postprocess");
  for (int c : labels) {
    if (c <= 0 || std::count(labels.begin(), labels.end(), c) > 1) {
      throw InputError("labels", std::to_string(c) + ": expected distinct foreground labels (> 0)");
    }
  }
  const std::vector<CasePair> pairs = match_folder_files(ref_folder, raw_folder, false);
  const size_t n = pairs.size();
  const std::vector<PostprocessingEntry> all_as_one{PostprocessingEntry::of_group(labels)};
  const std::vector<PostprocessingEntry> each_class = per_class_entries(labels);
  const bool several = labels.size() > 1;

  // Steps 1 and 2 in one pass: the raw predictions, all foreground as one, and each class alone starting from either
  // (step 2's starting point depends on step 1's decision, known only after all cases).
  std::vector<CaseEvaluation> raw(n), all(n), class_from_raw(n), class_from_all(n);
  progress.start("postprocessing: variants", static_cast<int64_t>(n));
  parallel_for(static_cast<int64_t>(n), options.threads, [&](int64_t k) {
    const auto i = static_cast<size_t>(k);
    const CaseData data = read_case(pairs[i]);
    const fs::path& file = pairs[i].prediction;
    raw[i] = evaluate_image(data.prediction, data, pairs[i], labels, file);
    Image one = data.prediction;
    keep_largest_components(one, all_as_one);
    all[i] = evaluate_image(one, data, pairs[i], labels, file);
    if (several) {
      Image from_raw = data.prediction;
      keep_largest_components(from_raw, each_class);
      class_from_raw[i] = evaluate_image(from_raw, data, pairs[i], labels, file);
      keep_largest_components(one, each_class);
      class_from_all[i] = evaluate_image(one, data, pairs[i], labels, file);
    }
    progress.advance();
  });
  progress.finish();

  PostprocessingResult result;
  PostprocessingDecision& d = result.decision;
  result.raw = summarize(std::move(raw));
  d.num_samples = static_cast<int64_t>(n);
  d.validation_raw = raw_folder.filename().string();
  d.validation_final = postprocessed_folder.filename().string();
  d.dc_per_class_raw = mean_dice(result.raw, labels);
  d.dc_per_class_pp_all = mean_dice(summarize(std::move(all)), labels);
  bool improved = false, worse = false;
  for (int c : labels) {
    improved = improved || d.dc_per_class_pp_all[c] > d.dc_per_class_raw[c];
    worse = worse || d.dc_per_class_pp_all[c] < d.dc_per_class_raw[c];
  }
  const bool accept_all = improved && !worse;
  if (accept_all) d.for_which_classes.push_back(all_as_one.front());
  if (several) {
    const std::map<int, double>& before = accept_all ? d.dc_per_class_pp_all : d.dc_per_class_raw;
    d.dc_per_class_pp_per_class = mean_dice(summarize(std::move(accept_all ? class_from_all : class_from_raw)), labels);
    for (int c : labels) {
      if (d.dc_per_class_pp_per_class[c] > before.at(c)) d.for_which_classes.push_back(PostprocessingEntry::single(c));
    }
  }

  // Step 3: the final entries on the raw predictions.
  std::vector<CaseEvaluation> final_cases(n);
  std::vector<EtCounts> et_counts(n);
  progress.start("postprocessing: apply", static_cast<int64_t>(n));
  parallel_for(static_cast<int64_t>(n), options.threads, [&](int64_t k) {
    const auto i = static_cast<size_t>(k);
    CaseData data = read_case(pairs[i]);
    keep_largest_components(data.prediction, d.for_which_classes);
    const fs::path out = postprocessed_folder / pairs[i].prediction.filename();
    write_nifti(out, data.prediction);
    final_cases[i] = evaluate_image(data.prediction, data, pairs[i], labels, out);
    if (options.brats_et_threshold) et_counts[i] = count_et(label_values(data.prediction, out), data.reference);
    progress.advance();
  });
  progress.finish();
  result.postprocessed = summarize(std::move(final_cases));
  save_evaluation_summary(postprocessed_folder / "summary.json", result.postprocessed);

  if (options.brats_et_threshold) {
    result.et = select_brats_et_threshold(et_counts);
    d.brats_et_threshold = result.et->threshold;
  }
  save_postprocessing(json_path, d);
  return result;
}

PostprocessingResult determine_postprocessing(const fs::path& raw_folder, const fs::path& ref_folder,
                                              const std::vector<int>& labels, const fs::path& postprocessed_folder,
                                              const fs::path& json_path, int threads) {
  NullProgress progress;
  DeterminePostprocessingOptions options;
  options.threads = threads;
  return determine_postprocessing(raw_folder, ref_folder, labels, postprocessed_folder, json_path, options, progress);
}

FoldConsolidation consolidate_folds(const fs::path& experiment_folder, const std::vector<int>& folds,
                                    const fs::path& labels_folder, const std::string& label_file_ending,
                                    const std::string& train_command) {
  std::error_code ec;
  if (!fs::is_directory(experiment_folder, ec)) {
    throw InputError(experiment_folder.string(), "not found; run '" + train_command + " -f 0' (each fold) first");
  }
  FoldConsolidation c;
  c.folds = folds;
  if (c.folds.empty()) {
    for (const auto& entry : fs::directory_iterator(experiment_folder, ec)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_directory(ec) || name.size() <= 5 || name.compare(0, 5, "fold_") != 0) continue;
      const std::string number = name.substr(5);
      if (number.size() > 6 ||
          !std::all_of(number.begin(), number.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        continue;
      c.folds.push_back(std::stoi(number));
    }
    if (c.folds.empty()) {
      throw InputError(experiment_folder.string(), "no fold_N folders; run '" + train_command + " -f 0' first");
    }
  }
  std::sort(c.folds.begin(), c.folds.end());
  c.folds.erase(std::unique(c.folds.begin(), c.folds.end()), c.folds.end());

  // Check every fold before anything is deleted or copied.
  std::vector<std::vector<fs::path>> per_fold;
  for (int fold : c.folds) {
    const fs::path fold_folder = experiment_folder / ("fold_" + std::to_string(fold));
    if (!fs::is_directory(fold_folder, ec)) {
      throw InputError(fold_folder.string(),
                       "not found; run '" + train_command + " -f " + std::to_string(fold) + "' first");
    }
    const fs::path validation = fold_folder / "validation";
    per_fold.push_back(prediction_files(validation));
    if (per_fold.back().empty()) {
      throw InputError(validation.string(), "no validation predictions (CASE.nii.gz); run '" + train_command + " -f " +
                                                std::to_string(fold) + "' without --no-final-validation");
    }
  }
  std::map<std::string, fs::path> sources;  // file name -> prediction
  for (const auto& files : per_fold) {
    for (const fs::path& f : files) {
      const std::string name = f.filename().string();
      auto [it, inserted] = sources.emplace(name, f);
      if (!inserted) {
        throw InputError(f.string(), "case also predicted in " + it->second.string() + "; the folds overlap");
      }
      const std::string id = name.substr(0, name.size() - 7);
      const fs::path ref = labels_folder / (id + label_file_ending);
      if (!fs::is_regular_file(ref, ec)) {
        throw InputError(ref.string(), "reference of the prediction " + f.string() + " not found");
      }
    }
  }

  c.raw_folder = experiment_folder / "cv_niftis_raw";
  c.gt_folder = experiment_folder / "gt_niftis";
  for (const fs::path& stale : {c.raw_folder, c.gt_folder, experiment_folder / "cv_niftis_postprocessed"}) {
    fs::remove_all(stale, ec);
    if (ec) throw Error(stale.string(), "cannot remove: " + ec.message());
  }
  fs::create_directories(c.raw_folder);
  fs::create_directories(c.gt_folder);
  for (const auto& item : sources) {
    const std::string& name = item.first;
    const fs::path& source = item.second;
    write_atomically(c.raw_folder / name,
                     [&](const fs::path& tmp) { fs::copy_file(source, tmp, fs::copy_options::overwrite_existing); });
    const std::string id = name.substr(0, name.size() - 7);
    const fs::path ref = labels_folder / (id + label_file_ending);
    if (label_file_ending == kNiftiSuffix) {
      write_atomically(c.gt_folder / name,
                       [&](const fs::path& tmp) { fs::copy_file(ref, tmp, fs::copy_options::overwrite_existing); });
    } else {
      write_nifti(c.gt_folder / name, read_nifti(ref));
    }
    ++c.num_cases;
  }
  log_info("collected " + std::to_string(c.num_cases) + " validation predictions of " + std::to_string(c.folds.size()) +
           " fold(s) in " + c.raw_folder.string());
  return c;
}

std::string format_postprocessing_table(const PostprocessingResult& result) {
  const PostprocessingDecision& d = result.decision;
  std::string s = "class  raw     pp_all  pp_per_class  final\n";
  for (const auto& [c, raw] : d.dc_per_class_raw) {
    char line[160];
    auto per_class = d.dc_per_class_pp_per_class.find(c);
    auto all = d.dc_per_class_pp_all.find(c);
    const auto final_dice = mean_dice(result.postprocessed, {c}).at(c);
    std::snprintf(line, sizeof line, "%-6d %-7s %-7s %-13s %s\n", c, format_dice(raw).c_str(),
                  all == d.dc_per_class_pp_all.end() ? "-" : format_dice(all->second).c_str(),
                  per_class == d.dc_per_class_pp_per_class.end() ? "-" : format_dice(per_class->second).c_str(),
                  format_dice(final_dice).c_str());
    s += line;
  }
  s += "for_which_classes: " + format_for_which_classes(d.for_which_classes) + " (" + std::to_string(d.num_samples) +
       " cases)\n";
  if (result.et) {
    const EtThresholdSelection& et = *result.et;
    const size_t chosen =
        static_cast<size_t>(std::find(et.thresholds.begin(), et.thresholds.end(), et.chosen) - et.thresholds.begin());
    s += "brats_et_threshold: " + std::to_string(et.threshold) + " (mean ET Dice " + format_dice(et.mean_dice.front()) +
         " at T = " + std::to_string(et.thresholds.front()) + ", " + format_dice(et.mean_dice[chosen]) +
         " at T = " + std::to_string(et.chosen) + ")\n";
  }
  return s;
}

}  // namespace nnseg
