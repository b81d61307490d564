// Folder evaluation and summary.json (evaluation/summary.h; spec/evaluation.md §2.1, §5, spec/cli.md).
#include "evaluation/summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "evaluation/nan_json.h"
#include "io/atomic_write.h"
#include "io/nifti.h"

namespace nnseg {

namespace {

struct LabelMap {
  std::vector<int32_t> values;  // C order, (z, y, x)
  std::array<int64_t, 3> shape{0, 0, 0};
  Geometry geometry;
};

// Shortest text that reads back as the same double (as Python's repr).
std::string format_double(double v) { return Json(v).dump(); }

std::string format_triple(const std::array<double, 3>& v) {
  return "[" + format_double(v[0]) + ", " + format_double(v[1]) + ", " + format_double(v[2]) + "]";
}

std::string format_shape(const std::array<int64_t, 3>& v) {
  return "[" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " + std::to_string(v[2]) + "]";
}

// Integer label values of a NIfTI file; a value that is not an integer in int32's range is an InputError.
LabelMap read_label_map(const fs::path& path, bool brats_labels) {
  Image image = read_nifti(path);
  LabelMap map;
  map.shape = image.shape;
  map.geometry = image.geometry;
  map.values.resize(static_cast<size_t>(image.numel()));
  dispatch_pixel_type(image.type, [&](auto tag) {
    using T = decltype(tag);
    const T* p = image.data<T>();
    for (size_t i = 0; i < map.values.size(); ++i) {
      const double v = static_cast<double>(p[i]);
      if (!(v == std::floor(v)) || v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
        throw InputError(path.string(), "label value " + format_double(v) + " is not an integer label");
      }
      map.values[i] = static_cast<int32_t>(p[i]);
    }
  });
  if (brats_labels) convert_brats_labels(map.values, path.string());
  return map;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-8 + 1e-5 * std::fabs(b); }

// Shape must be equal and spacing equal within the integrity-check tolerance (planning.md §2 #6).
void check_same_grid(const CasePair& pair, const LabelMap& pred, const LabelMap& ref) {
  if (pred.shape != ref.shape) {
    throw InputError(pair.prediction.string(), "size (z, y, x) " + format_shape(pred.shape) +
                                                   " differs from the reference " + pair.reference.string() + " " +
                                                   format_shape(ref.shape));
  }
  for (int d = 0; d < 3; ++d) {
    if (!close(pred.geometry.spacing[static_cast<size_t>(d)], ref.geometry.spacing[static_cast<size_t>(d)])) {
      throw InputError(pair.prediction.string(), "spacing (x, y, z) " + format_triple(pred.geometry.spacing) +
                                                     " differs from the reference " + pair.reference.string() + " " +
                                                     format_triple(ref.geometry.spacing));
    }
  }
  bool same_position = true;
  for (size_t i = 0; i < 9; ++i) {
    if (i < 3) same_position = same_position && close(pred.geometry.origin[i], ref.geometry.origin[i]);
    same_position = same_position && close(pred.geometry.direction[i], ref.geometry.direction[i]);
  }
  if (!same_position) {
    log_warning(pair.prediction.string() + ": origin or direction differs from the reference " +
                pair.reference.string() + " (evaluated voxel by voxel anyway)");
  }
}

bool is_nifti_name(const std::string& name) {
  auto ends = [&](const std::string& s) {
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return name[0] != '.' && (ends(".nii.gz") || ends(".nii"));
}

std::set<std::string> nifti_names(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir.string(), "not a folder");
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && is_nifti_name(name)) names.insert(name);
  }
  if (ec) throw InputError(dir.string(), "cannot list folder: " + ec.message());
  return names;
}

Json region_to_json(const RegionScore& r) { return Json{{"Dice", r.dice}, {"HD95", r.hd95}}; }

double json_number(const Json& j, const char* key, const std::string& item) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) {
    throw InputError(item, std::string("key \"") + key + "\" missing or not a number");
  }
  return it->get<double>();
}

const Json& json_member(const Json& j, const char* key, const std::string& item) {
  auto it = j.find(key);
  if (it == j.end()) throw InputError(item, std::string("key \"") + key + "\" missing");
  return *it;
}

std::map<std::string, RegionScore> brats_scores(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref,
                                                const std::array<int64_t, 3>& shape_zyx,
                                                const std::array<double, 3>& spacing_zyx) {
  std::map<std::string, RegionScore> scores;
  for (BratsRegion r : kBratsRegions)
    scores[to_string(r)] = evaluate_brats_region(pred, ref, shape_zyx, spacing_zyx, r);
  return scores;
}

Json case_metrics_json(const CaseEvaluation& c) {
  Json metrics = Json::object();
  for (const auto& [label, m] : c.labels) metrics[std::to_string(label)] = label_metrics_to_json(m);
  for (const auto& [name, r] : c.regions) metrics[name] = region_to_json(r);
  return metrics;
}

}  // namespace

CaseEvaluation evaluate_label_maps(const std::vector<int32_t>& pred, const std::vector<int32_t>& ref,
                                   const std::array<int64_t, 3>& shape_zyx, const std::array<double, 3>& spacing_zyx,
                                   const std::vector<int>& labels, bool brats_regions) {
  CaseEvaluation c;
  const LabelConfusion confusion = LabelConfusion::count(pred, ref);
  for (int label : labels) c.labels[label] = compute_label_metrics(confusion.counts_for({label}));
  if (brats_regions) c.regions = brats_scores(pred, ref, shape_zyx, spacing_zyx);
  return c;
}

std::vector<CasePair> match_folder_files(const fs::path& reference_dir, const fs::path& prediction_dir,
                                         bool missing_prediction_is_error) {
  const std::set<std::string> refs = nifti_names(reference_dir);
  const std::set<std::string> preds = nifti_names(prediction_dir);
  std::vector<CasePair> pairs;
  std::vector<std::string> missing;
  for (const auto& name : preds) {
    if (!refs.count(name)) {
      throw InputError((prediction_dir / name).string(),
                       "prediction has no reference file of the same name in " + reference_dir.string());
    }
    pairs.push_back({prediction_dir / name, reference_dir / name});
  }
  for (const auto& name : refs) {
    if (preds.count(name)) continue;
    if (missing_prediction_is_error) {
      throw InputError((reference_dir / name).string(), "no prediction " + (prediction_dir / name).string());
    }
    missing.push_back(name);
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 5) list += ", ...";
    log_warning(reference_dir.string() + ": " + std::to_string(missing.size()) +
                " reference file(s) have no prediction in " + prediction_dir.string() + " (" + list + ")");
  }
  if (pairs.empty()) {
    throw InputError(prediction_dir.string(),
                     "no prediction (.nii.gz/.nii) with a reference of the same name in " + reference_dir.string());
  }
  return pairs;
}

EvaluationSummary evaluate_pairs(const std::vector<CasePair>& pairs, const EvaluateOptions& options,
                                 Progress& progress) {
  struct Work {
    LabelConfusion confusion;
    CaseEvaluation evaluation;
  };
  std::vector<Work> work(pairs.size());
  progress.start("evaluate", static_cast<int64_t>(pairs.size()));
  parallel_for(static_cast<int64_t>(pairs.size()), options.threads, [&](int64_t i) {
    const CasePair& pair = pairs[static_cast<size_t>(i)];
    const LabelMap ref = read_label_map(pair.reference, options.brats_labels);
    const LabelMap pred = read_label_map(pair.prediction, options.brats_labels);
    check_same_grid(pair, pred, ref);
    Work& w = work[static_cast<size_t>(i)];
    if (options.brats_regions) {
      w.evaluation.regions = brats_scores(pred.values, ref.values, ref.shape, ref.geometry.spacing_zyx());
    }
    w.evaluation.reference_file = pair.reference.string();
    w.evaluation.prediction_file = pair.prediction.string();
    w.confusion = LabelConfusion::count(pred.values, ref.values);
    progress.advance();
  });
  progress.finish();

  std::vector<int> labels = options.labels;
  if (labels.empty()) {
    std::set<int> found;
    for (const Work& w : work) {
      for (int v : w.confusion.reference_values()) {
        if (v != 0) found.insert(v);
      }
    }
    labels.assign(found.begin(), found.end());
    if (labels.empty()) log_warning("no label given and every reference is empty: only regions are evaluated");
  }
  EvaluationSummary summary;
  for (Work& w : work) {
    for (int label : labels) w.evaluation.labels[label] = compute_label_metrics(w.confusion.counts_for({label}));
    summary.cases.push_back(std::move(w.evaluation));
  }
  compute_summary_mean(summary);
  return summary;
}

EvaluationSummary evaluate_folders(const fs::path& reference_dir, const fs::path& prediction_dir,
                                   const EvaluateOptions& options, Progress& progress) {
  return evaluate_pairs(match_folder_files(reference_dir, prediction_dir, options.missing_prediction_is_error), options,
                        progress);
}

void compute_summary_mean(EvaluationSummary& summary) {
  std::map<std::string, std::map<std::string, std::pair<double, int64_t>>> sums;  // key -> metric -> (sum, count)
  for (const CaseEvaluation& c : summary.cases) {
    const Json metrics = case_metrics_json(c);
    for (auto key = metrics.begin(); key != metrics.end(); ++key) {
      for (auto metric = key.value().begin(); metric != key.value().end(); ++metric) {
        auto& [sum, count] = sums[key.key()][metric.key()];
        const double v = metric.value().get<double>();
        if (std::isnan(v)) continue;
        sum += v;
        ++count;
      }
    }
  }
  summary.mean.clear();
  for (const auto& [key, metrics] : sums) {
    for (const auto& [name, sc] : metrics) {
      summary.mean[key][name] =
          sc.second == 0 ? std::numeric_limits<double>::quiet_NaN() : sc.first / static_cast<double>(sc.second);
    }
  }
}

Json summary_to_json(const EvaluationSummary& summary) {
  Json per_case = Json::array();
  for (const CaseEvaluation& c : summary.cases) {
    per_case.push_back(Json{{"reference_file", c.reference_file},
                            {"prediction_file", c.prediction_file},
                            {"metrics", case_metrics_json(c)}});
  }
  Json mean = Json::object();
  for (const auto& [key, metrics] : summary.mean) {
    Json m = Json::object();
    for (const auto& [name, v] : metrics) m[name] = v;
    mean[key] = m;
  }
  return Json{{"metric_per_case", per_case}, {"mean", mean}};
}

void save_evaluation_summary(const fs::path& path, const EvaluationSummary& summary) {
  write_file_atomically(path, dump_json_with_nan(summary_to_json(summary), 4) + "\n");
}

EvaluationSummary load_evaluation_summary(const fs::path& path) {
  const std::string item = path.string();
  const Json root = parse_json_with_nan(read_file(path), item);
  if (!root.is_object()) throw InputError(item, "expected a JSON object");
  const Json& per_case = json_member(root, "metric_per_case", item);
  if (!per_case.is_array()) throw InputError(item, "metric_per_case: expected a list");
  EvaluationSummary summary;
  for (size_t i = 0; i < per_case.size(); ++i) {
    const std::string where = item + ": metric_per_case[" + std::to_string(i) + "]";
    const Json& entry = per_case[i];
    if (!entry.is_object()) throw InputError(where, "expected an object");
    CaseEvaluation c;
    const Json& ref = json_member(entry, "reference_file", where);
    const Json& pred = json_member(entry, "prediction_file", where);
    const Json& metrics = json_member(entry, "metrics", where);
    if (!ref.is_string() || !pred.is_string()) throw InputError(where, "file names must be strings");
    if (!metrics.is_object()) throw InputError(where, "metrics: expected an object");
    c.reference_file = ref.get<std::string>();
    c.prediction_file = pred.get<std::string>();
    for (auto it = metrics.begin(); it != metrics.end(); ++it) {
      const std::string key_item = where + ".metrics." + it.key();
      if (it.key() == "WT" || it.key() == "TC" || it.key() == "ET") {
        if (!it.value().is_object()) throw InputError(key_item, "expected an object");
        c.regions[it.key()] = {json_number(it.value(), "Dice", key_item), json_number(it.value(), "HD95", key_item)};
        continue;
      }
      size_t used = 0;
      int label = -1;
      try {
        label = std::stoi(it.key(), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != it.key().size() || label < 0) {
        throw InputError(key_item, "key is neither a label value nor WT/TC/ET");
      }
      c.labels[label] = label_metrics_from_json(it.value(), key_item);
    }
    summary.cases.push_back(std::move(c));
  }
  compute_summary_mean(summary);
  return summary;
}

std::vector<int> parse_label_list(const std::vector<std::string>& items, const std::string& flag) {
  std::vector<int> labels;
  for (const std::string& item : items) {
    std::stringstream stream(item);
    std::string piece;
    while (std::getline(stream, piece, ',')) {
      const size_t b = piece.find_first_not_of(" \t"), e = piece.find_last_not_of(" \t");
      const std::string value = b == std::string::npos ? "" : piece.substr(b, e - b + 1);
      const bool digits = !value.empty() && value.size() <= 9 &&
                          std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) {
        throw InputError(flag, "\"" + value + "\" in \"" + item +
                                   "\" is not a label value (expected non-negative integers such as 1,2,3)");
      }
      const int label = std::stoi(value);
      if (std::find(labels.begin(), labels.end(), label) != labels.end()) {
        throw InputError(flag, "label " + value + " is given twice");
      }
      labels.push_back(label);
    }
  }
  if (labels.empty()) throw InputError(flag, "no label given");
  return labels;
}

std::string format_mean_table(const EvaluationSummary& summary) {
  auto cell = [](double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%10.*f", decimals, v);
    return std::isnan(v) ? std::string("       nan") : std::string(buf);
  };
  auto get = [&](const std::map<std::string, double>& m, const char* name) {
    auto it = m.find(name);
    return it == m.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
  };
  std::string out = "mean over " + std::to_string(summary.cases.size()) + " case(s)\n";
  bool header = false;
  for (const auto& [key, metrics] : summary.mean) {
    if (metrics.count("TP") == 0) continue;
    if (!header) out += "label       Dice       IoU Precision    Recall     n_ref    n_pred\n";
    header = true;
    char name[16];
    std::snprintf(name, sizeof(name), "%-6s", key.c_str());
    out += std::string(name) + cell(get(metrics, "Dice"), 4) + cell(get(metrics, "IoU"), 4) +
           cell(get(metrics, "Precision"), 4) + cell(get(metrics, "Recall"), 4) + cell(get(metrics, "n_ref"), 1) +
           cell(get(metrics, "n_pred"), 1) + "\n";
  }
  bool regions = false;
  for (const char* key : {"WT", "TC", "ET"}) {
    auto it = summary.mean.find(key);
    if (it == summary.mean.end()) continue;
    if (!regions) out += "region      Dice      HD95\n";
    regions = true;
    out += std::string(key) + "    " + cell(get(it->second, "Dice"), 4) + cell(get(it->second, "HD95"), 4) + "\n";
  }
  return out;
}

}  // namespace nnseg
