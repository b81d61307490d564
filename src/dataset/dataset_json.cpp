// dataset.json v1 + v2 parsing, consistency checks and the v2 writer (dataset/dataset_json.h).
#include "dataset/dataset_json.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/log.h"

namespace nnseg {
namespace {

std::string join_ints(const std::vector<int>& v) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
  s << "]";
  return s.str();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Parses a decimal non-negative integer key ("0", "12"); nullopt otherwise.
std::optional<int> parse_index(const std::string& key) {
  if (key.empty() || key.size() > 9) return std::nullopt;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoi(key);
}

class Parser {
 public:
  Parser(const OrderedJson& json, const fs::path& json_path) : json_(json), path_(json_path.string()) {}

  [[noreturn]] void fail(const std::string& what) const { throw InputError(path_, what); }

  const OrderedJson& require(const std::string& key) const {
    auto it = json_.find(key);
    if (it == json_.end()) fail("key '" + key + "' missing");
    return *it;
  }

  // {"0": name, "1": name, ...} with keys exactly 0..C-1 (any order).
  std::vector<std::string> channel_map(const std::string& key, const OrderedJson& value) const {
    if (!value.is_object() || value.empty()) fail(key + " = " + value.dump() + ": expected a non-empty object");
    std::vector<std::string> names(value.size());
    std::vector<bool> seen(value.size(), false);
    for (const auto& [k, v] : value.items()) {
      auto index = parse_index(k);
      if (!index || *index >= static_cast<int>(value.size()) || seen[static_cast<size_t>(*index)]) {
        fail(key + ": key \"" + k + "\": expected channel indices \"0\".. \"" + std::to_string(value.size() - 1) +
             "\"");
      }
      if (!v.is_string()) fail(key + "." + k + " = " + v.dump() + ": expected a string");
      names[static_cast<size_t>(*index)] = v.get<std::string>();
      seen[static_cast<size_t>(*index)] = true;
    }
    return names;
  }

  static bool is_int(const OrderedJson& v) { return v.is_number_integer(); }

  // v2: {"name": value or [values]}, in file order.
  std::vector<LabelEntry> labels_v2(const OrderedJson& value) const {
    if (!value.is_object() || value.empty()) fail("labels = " + value.dump() + ": expected a non-empty object");
    std::vector<LabelEntry> out;
    for (const auto& [k, v] : value.items()) {
      LabelEntry e{k, {}};
      if (is_int(v)) {
        e.values.push_back(v.get<int>());
      } else if (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), is_int)) {
        for (const auto& x : v) e.values.push_back(x.get<int>());
      } else {
        fail("labels." + k + " = " + v.dump() + ": expected an integer or a list of integers (v2 form name -> value)");
      }
      out.push_back(std::move(e));
    }
    return out;
  }

  // v1: {"0": "background", "1": name, ...}, returned sorted by value.
  std::vector<LabelEntry> labels_v1(const OrderedJson& value) const {
    if (!value.is_object() || value.empty()) fail("labels = " + value.dump() + ": expected a non-empty object");
    std::vector<LabelEntry> out;
    for (const auto& [k, v] : value.items()) {
      auto index = parse_index(k);
      if (!index) fail("labels: key \"" + k + "\": expected a label value (v1 form value -> name)");
      if (!v.is_string()) fail("labels." + k + " = " + v.dump() + ": expected a string (v1 form value -> name)");
      out.push_back({v.get<std::string>(), {*index}});
    }
    std::sort(out.begin(), out.end(), [](const LabelEntry& a, const LabelEntry& b) { return a.values < b.values; });
    return out;
  }

  int integer(const std::string& key, const OrderedJson& v) const {
    if (!v.is_number_integer() || v.get<int64_t>() < 0) fail(key + " = " + v.dump() + ": expected an integer >= 0");
    return v.get<int>();
  }

  std::string string(const std::string& key, const OrderedJson& v) const {
    if (!v.is_string()) fail(key + " = " + v.dump() + ": expected a string");
    return v.get<std::string>();
  }

 private:
  const OrderedJson& json_;
  std::string path_;
};

fs::path resolve(const fs::path& folder, const std::string& p) {
  fs::path path(p);
  return path.is_absolute() ? path : (folder / path).lexically_normal();
}

// v1 identifier: base name of a "./imagesTr/CASE.nii.gz" entry minus its 7-character ".nii.gz".
std::string v1_identifier(const std::string& entry) {
  std::string base = fs::path(entry).filename().string();
  return ends_with(base, ".nii.gz") ? base.substr(0, base.size() - 7) : base;
}

void parse_v1_cases(const Parser& p, const OrderedJson& json, DatasetSpec& spec) {
  const OrderedJson& training = p.require("training");
  if (!training.is_array()) p.fail("training = " + training.dump() + ": expected a list");
  for (size_t i = 0; i < training.size(); ++i) {
    const OrderedJson& entry = training[i];
    std::string key = "training[" + std::to_string(i) + "]";
    if (!entry.is_object() || !entry.contains("image") || !entry.contains("label")) {
      p.fail(key + " = " + entry.dump() + ": expected {\"image\": ..., \"label\": ...}");
    }
    std::string image = p.string(key + ".image", entry["image"]);
    std::string label = p.string(key + ".label", entry["label"]);
    DatasetCase c;
    c.id = v1_identifier(image);
    for (int ch = 0; ch < spec.num_channels(); ++ch) {
      c.images.push_back(channel_file(spec.folder / "imagesTr", c.id, ch, spec.file_ending));
    }
    c.label = spec.folder / "labelsTr" / fs::path(label).filename();
    spec.training.push_back(std::move(c));
  }
  if (json.contains("test")) {
    const OrderedJson& test = json["test"];
    if (!test.is_array()) p.fail("test = " + test.dump() + ": expected a list");
    for (size_t i = 0; i < test.size(); ++i) {
      DatasetCase c;
      c.id = v1_identifier(p.string("test[" + std::to_string(i) + "]", test[i]));
      for (int ch = 0; ch < spec.num_channels(); ++ch) {
        c.images.push_back(channel_file(spec.folder / "imagesTs", c.id, ch, spec.file_ending));
      }
      spec.test.push_back(std::move(c));
    }
  }
}

void parse_explicit_cases(const Parser& p, const OrderedJson& cases, DatasetSpec& spec) {
  if (!cases.is_object()) p.fail("dataset = " + cases.dump() + ": expected an object {\"CASE\": {...}}");
  for (const auto& [id, entry] : cases.items()) {
    std::string key = "dataset." + id;
    if (!entry.is_object() || !entry.contains("images") || !entry["images"].is_array()) {
      p.fail(key + " = " + entry.dump() + ": expected {\"images\": [paths], \"label\": path}");
    }
    DatasetCase c;
    c.id = id;
    for (size_t i = 0; i < entry["images"].size(); ++i) {
      c.images.push_back(
          resolve(spec.folder, p.string(key + ".images[" + std::to_string(i) + "]", entry["images"][i])));
    }
    if (!entry.contains("label")) p.fail(key + ": key 'label' missing");
    c.label = resolve(spec.folder, p.string(key + ".label", entry["label"]));
    spec.training.push_back(std::move(c));
  }
}

std::vector<DatasetCase> discover_cases(const fs::path& images, const fs::path* labels, const DatasetSpec& spec) {
  std::vector<DatasetCase> out;
  for (const std::string& id : discover_case_ids(images, spec.file_ending)) {
    DatasetCase c;
    c.id = id;
    for (int ch = 0; ch < spec.num_channels(); ++ch) {
      c.images.push_back(channel_file(images, id, ch, spec.file_ending));
    }
    if (labels) c.label = *labels / (id + spec.file_ending);
    out.push_back(std::move(c));
  }
  return out;
}

DatasetSpec load(const fs::path& folder, std::vector<std::string>* problems) {
  fs::path json_path = folder / "dataset.json";
  if (!fs::exists(json_path)) throw InputError(json_path.string(), "dataset.json not found");
  DatasetSpec spec = parse_dataset_json(load_json(json_path), folder, json_path);
  std::vector<std::string> found = check_dataset_spec(spec);
  if (problems) {
    problems->insert(problems->end(), found.begin(), found.end());
  } else if (!found.empty()) {
    std::string what = found.front();
    for (size_t i = 1; i < found.size(); ++i) what += "; " + found[i];
    throw InputError(json_path.string(), what);
  }
  return spec;
}

}  // namespace

bool DatasetSpec::has_regions() const {
  return std::any_of(labels.begin(), labels.end(), [](const LabelEntry& e) { return e.values.size() > 1; });
}

std::vector<int> DatasetSpec::label_values() const {
  std::set<int> all;
  for (const auto& e : labels) all.insert(e.values.begin(), e.values.end());
  return {all.begin(), all.end()};
}

std::vector<int> DatasetSpec::foreground_labels() const {
  std::vector<int> out;
  for (int v : label_values()) {
    if (v > 0) out.push_back(v);
  }
  return out;
}

fs::path channel_file(const fs::path& folder, const std::string& id, int channel, const std::string& file_ending) {
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "_%04d", channel);
  return folder / (id + suffix + file_ending);
}

std::vector<std::string> discover_case_ids(const fs::path& folder, const std::string& file_ending) {
  std::set<std::string> ids;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return {};
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    std::string name = entry.path().filename().string();
    if (!ends_with(name, file_ending) || name.size() < file_ending.size() + 6) continue;
    std::string stem = name.substr(0, name.size() - file_ending.size());
    std::string tail = stem.substr(stem.size() - 5);
    if (tail[0] != '_' || !std::all_of(tail.begin() + 1, tail.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    ids.insert(stem.substr(0, stem.size() - 5));
  }
  return {ids.begin(), ids.end()};
}

std::vector<fs::path> find_channel_files(const fs::path& folder, const std::string& id,
                                         const std::string& file_ending) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || name.size() != id.size() + 5 + file_ending.size()) continue;
    if (name.compare(0, id.size(), id) != 0 || name[id.size()] != '_' || !ends_with(name, file_ending)) continue;
    std::string digits = name.substr(id.size() + 1, 4);
    if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

DatasetSpec parse_dataset_json(const OrderedJson& json, const fs::path& folder, const fs::path& json_path) {
  Parser p(json, json_path);
  if (!json.is_object()) p.fail("expected a JSON object, found " + json.dump().substr(0, 60));
  DatasetSpec spec;
  spec.folder = folder;
  bool v2 = json.contains("channel_names") || json.contains("file_ending");
  spec.format_version = v2 ? 2 : 1;
  if (json.contains("name")) spec.name = p.string("name", json["name"]);

  if (json.contains("channel_names")) {
    spec.channel_names = p.channel_map("channel_names", json["channel_names"]);
  } else {
    spec.channel_names = p.channel_map("modality", p.require("modality"));
    if (v2) log_warning(json_path.string() + ": v1 key 'modality' used in place of 'channel_names'");
  }

  if (v2) {
    spec.labels = p.labels_v2(p.require("labels"));
    spec.num_training = p.integer("numTraining", p.require("numTraining"));
    spec.file_ending = p.string("file_ending", p.require("file_ending"));
    if (spec.file_ending.empty() || spec.file_ending[0] != '.') {
      p.fail("file_ending = \"" + spec.file_ending + "\": expected an extension such as \".nii.gz\"");
    }
    if (json.contains("regions_class_order")) {
      const OrderedJson& order = json["regions_class_order"];
      if (!order.is_array() || !std::all_of(order.begin(), order.end(), Parser::is_int)) {
        p.fail("regions_class_order = " + order.dump() + ": expected a list of integers");
      }
      for (const auto& v : order) spec.regions_class_order.push_back(v.get<int>());
    }
    if (json.contains("dataset")) {
      spec.explicit_cases = true;
      parse_explicit_cases(p, json["dataset"], spec);
    } else {
      fs::path labels = folder / "labelsTr";
      spec.training = discover_cases(folder / "imagesTr", &labels, spec);
    }
    spec.test = discover_cases(folder / "imagesTs", nullptr, spec);
  } else {
    spec.labels = p.labels_v1(p.require("labels"));
    spec.num_training = json.contains("numTraining") ? p.integer("numTraining", json["numTraining"]) : -1;
    spec.file_ending = ".nii.gz";
    parse_v1_cases(p, json, spec);
  }
  return spec;
}

std::vector<std::string> check_dataset_spec(const DatasetSpec& spec) {
  std::vector<std::string> problems;
  std::vector<int> values = spec.label_values();
  if (values.empty() || values.front() != 0) {
    problems.push_back("labels: values " + join_ints(values) + ": the first label must be 0 (background)");
  } else {
    for (size_t i = 1; i < values.size(); ++i) {
      if (values[i] != values[i - 1] + 1) {
        problems.push_back("labels: value " + std::to_string(values[i]) + ": labels must be consecutive 0..K, found " +
                           join_ints(values));
        break;
      }
    }
  }
  if (!spec.has_regions()) {
    std::set<int> seen;
    for (const auto& e : spec.labels) {
      if (!seen.insert(e.values.front()).second) {
        problems.push_back("labels." + e.name + " = " + std::to_string(e.values.front()) +
                           ": value used by more than one label");
      }
    }
  } else {
    size_t regions = 0;
    for (const auto& e : spec.labels) regions += (e.values.size() == 1 && e.values[0] == 0) ? 0 : 1;
    if (spec.regions_class_order.empty()) {
      problems.push_back("regions_class_order: missing, but labels define regions (a label with several values)");
    } else if (spec.regions_class_order.size() != regions) {
      problems.push_back("regions_class_order = " + join_ints(spec.regions_class_order) + ": expected " +
                         std::to_string(regions) + " values, one per region");
    }
  }
  std::set<std::string> ids;
  for (const auto& c : spec.training) {
    if (!ids.insert(c.id).second) problems.push_back("training case " + c.id + ": duplicate case identifier");
    if (static_cast<int>(c.images.size()) != spec.num_channels()) {
      problems.push_back("dataset." + c.id + ".images: " + std::to_string(c.images.size()) + " files, expected " +
                         std::to_string(spec.num_channels()) + " (one per channel)");
    }
  }
  return problems;
}

DatasetSpec load_dataset_spec(const fs::path& folder) { return load(folder, nullptr); }

DatasetSpec load_dataset_spec_lenient(const fs::path& folder, std::vector<std::string>& problems) {
  return load(folder, &problems);
}

OrderedJson dataset_spec_to_json(const DatasetSpec& spec) {
  OrderedJson j = OrderedJson::object();
  OrderedJson channels = OrderedJson::object();
  for (size_t i = 0; i < spec.channel_names.size(); ++i) channels[std::to_string(i)] = spec.channel_names[i];
  j["channel_names"] = channels;
  OrderedJson labels = OrderedJson::object();
  bool regions = spec.has_regions();
  for (const auto& e : spec.labels) {
    if (regions && !(e.values.size() == 1 && e.values[0] == 0)) {
      labels[e.name] = e.values;
    } else {
      labels[e.name] = e.values.front();
    }
  }
  j["labels"] = labels;
  j["numTraining"] = spec.num_training >= 0 ? spec.num_training : static_cast<int>(spec.training.size());
  j["file_ending"] = spec.file_ending;
  if (!spec.name.empty()) j["name"] = spec.name;
  if (regions) j["regions_class_order"] = spec.regions_class_order;
  return j;
}

void save_dataset_json(const fs::path& path, const DatasetSpec& spec) { save_json(path, dataset_spec_to_json(spec)); }

}  // namespace nnseg
