// Keep-largest-component postprocessing and postprocessing.json (export/postprocessing.h; spec/inference.md §8.1,
// §8.3; as nnU-Net v1's remove_all_but_the_largest_connected_component and load_postprocessing).
#include "export/postprocessing.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "evaluation/nan_json.h"
#include "io/atomic_write.h"
#include "io/nifti.h"

namespace nnseg {

namespace {

// 6-connected components of `mask` (C order, z-y-x): component[i] = 1-based id or 0; returns the voxel count of each
// id (index 0 unused). Same components as scipy.ndimage.label's default structure.
std::vector<int64_t> label_components(const std::vector<uint8_t>& mask, const std::array<int64_t, 3>& shape,
                                      std::vector<int32_t>& component) {
  const int64_t ny = shape[1], nx = shape[2], plane = ny * nx, n = shape[0] * plane;
  component.assign(static_cast<size_t>(n), 0);
  std::vector<int64_t> counts{0};
  std::vector<int64_t> stack;
  for (int64_t start = 0; start < n; ++start) {
    if (!mask[static_cast<size_t>(start)] || component[static_cast<size_t>(start)] != 0) continue;
    const auto id = static_cast<int32_t>(counts.size());
    counts.push_back(0);
    component[static_cast<size_t>(start)] = id;
    stack.push_back(start);
    auto visit = [&](int64_t j) {
      if (mask[static_cast<size_t>(j)] && component[static_cast<size_t>(j)] == 0) {
        component[static_cast<size_t>(j)] = id;
        stack.push_back(j);
      }
    };
    while (!stack.empty()) {
      const int64_t i = stack.back();
      stack.pop_back();
      ++counts.back();
      const int64_t z = i / plane, y = (i / nx) % ny, x = i % nx;
      if (x > 0) visit(i - 1);
      if (x + 1 < nx) visit(i + 1);
      if (y > 0) visit(i - nx);
      if (y + 1 < ny) visit(i + nx);
      if (z > 0) visit(i - plane);
      if (z + 1 < shape[0]) visit(i + plane);
    }
  }
  return counts;
}

template <typename T>
std::vector<ComponentStats> keep_largest(T* values, const std::array<int64_t, 3>& shape, double voxel_volume,
                                         const std::vector<PostprocessingEntry>& entries) {
  const auto n = static_cast<size_t>(shape[0] * shape[1] * shape[2]);
  std::vector<uint8_t> mask(n);
  std::vector<int32_t> component;
  std::vector<ComponentStats> stats;
  for (const PostprocessingEntry& entry : entries) {
    NNSEG_CHECK(!entry.labels.empty()) << "empty postprocessing entry";
    for (size_t i = 0; i < n; ++i) {
      const auto v = static_cast<double>(values[i]);
      mask[i] = std::any_of(entry.labels.begin(), entry.labels.end(), [v](int l) { return v == l; }) ? 1 : 0;
    }
    const std::vector<int64_t> counts = label_components(mask, shape, component);
    ComponentStats s;
    if (counts.size() > 1) {
      std::vector<double> size_mm3(counts.size(), 0.0);
      for (size_t k = 1; k < counts.size(); ++k) size_mm3[k] = static_cast<double>(counts[k]) * voxel_volume;
      const double largest = *std::max_element(size_mm3.begin() + 1, size_mm3.end());
      s.kept = largest;
      std::vector<uint8_t> remove(counts.size(), 0);
      for (size_t k = 1; k < counts.size(); ++k) {
        if (size_mm3[k] == largest) continue;  // ties keep all
        if (entry.min_valid_size && !(size_mm3[k] < *entry.min_valid_size)) continue;
        remove[k] = 1;
        s.largest_removed = std::max(s.largest_removed.value_or(size_mm3[k]), size_mm3[k]);
      }
      if (s.largest_removed) {
        for (size_t i = 0; i < n; ++i) {
          if (component[i] != 0 && remove[static_cast<size_t>(component[i])]) values[i] = static_cast<T>(0);
        }
      }
    }
    stats.push_back(s);
  }
  return stats;
}

// np.prod of SimpleITK's (x, y, z) spacing, multiplied in that order.
double voxel_volume(const std::array<double, 3>& spacing_zyx) {
  return spacing_zyx[2] * spacing_zyx[1] * spacing_zyx[0];
}

std::string format_number(double v) { return Json(v).dump(); }

std::string entry_key_text(const PostprocessingEntry& e) {
  if (!e.group) return std::to_string(e.labels.front());
  std::string s = "(";
  for (size_t i = 0; i < e.labels.size(); ++i) s += (i ? ", " : "") + std::to_string(e.labels[i]);
  return s + (e.labels.size() == 1 ? ",)" : ")");
}

// Python's str() of v1's min_valid_object_sizes dict, or "None".
std::string min_sizes_text(const std::vector<PostprocessingEntry>& entries) {
  std::string s;
  for (const PostprocessingEntry& e : entries) {
    if (e.min_valid_size) s += (s.empty() ? "" : ", ") + entry_key_text(e) + ": " + format_number(*e.min_valid_size);
  }
  return s.empty() ? "None" : "{" + s + "}";
}

// A parser for v1's str(dict) of min_valid_object_sizes: {int or (int, ...): number, ...}.
class MinSizesParser {
 public:
  MinSizesParser(std::string text, std::string item) : text_(std::move(text)), item_(std::move(item)) {}

  std::vector<PostprocessingEntry> parse() {
    std::vector<PostprocessingEntry> out;
    expect('{');
    if (peek() == '}') return finish(out);
    while (true) {
      PostprocessingEntry e;
      if (peek() == '(') {
        ++pos_;
        e.group = true;
        while (peek() != ')') {
          e.labels.push_back(parse_int());
          if (peek() == ',') ++pos_;
        }
        ++pos_;
      } else {
        e.labels.push_back(parse_int());
      }
      expect(':');
      e.min_valid_size = parse_double();
      out.push_back(e);
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      return finish(out);
    }
  }

 private:
  char peek() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ >= text_.size()) fail();
    return text_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail();
    ++pos_;
  }
  int parse_int() {
    peek();
    const char* begin = text_.c_str() + pos_;
    char* end = nullptr;
    const long v = std::strtol(begin, &end, 10);
    if (end == begin || v <= 0 || v > 1000000) fail();
    pos_ += static_cast<size_t>(end - begin);
    return static_cast<int>(v);
  }
  double parse_double() {
    peek();
    const char* begin = text_.c_str() + pos_;
    char* end = nullptr;
    const double v = std::strtod(begin, &end);
    if (end == begin) fail();
    pos_ += static_cast<size_t>(end - begin);
    return v;
  }
  std::vector<PostprocessingEntry> finish(std::vector<PostprocessingEntry>& out) {
    expect('}');
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ != text_.size()) fail();
    return out;
  }
  [[noreturn]] void fail() {
    throw InputError(item_, "key \"min_valid_object_sizes\" = \"" + text_ +
                                "\": expected \"None\" or a dict such as \"{(1, 2): 100.0, 2: 50.0}\"");
  }

  std::string text_;
  std::string item_;
  size_t pos_ = 0;
};

bool is_json_int(const OrderedJson& v) { return v.is_number_integer() || v.is_number_unsigned(); }

int label_from_json(const OrderedJson& v, const std::string& item, const std::string& where) {
  if (!is_json_int(v) || v.get<int64_t>() <= 0 || v.get<int64_t>() > 1000000) {
    throw InputError(item, "key \"for_which_classes\": " + where + " = " + v.dump() +
                               ": expected a label (integer > 0) or a list of labels");
  }
  return static_cast<int>(v.get<int64_t>());
}

std::map<int, double> dice_map_from_json(const OrderedJson& v, const std::string& key, const std::string& item) {
  if (!v.is_object()) throw InputError(item, "key \"" + key + "\" = " + v.dump() + ": expected an object");
  std::map<int, double> out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    char* end = nullptr;
    const long label = std::strtol(it.key().c_str(), &end, 10);
    if (it.key().empty() || *end != '\0' || label < 0 || !it.value().is_number()) {
      throw InputError(item, "key \"" + key + "\": entry \"" + it.key() + "\": " + it.value().dump() +
                                 ": expected \"<label>\": <Dice>");
    }
    out[static_cast<int>(label)] = it.value().get<double>();
  }
  return out;
}

Json dice_map_to_json(const std::map<int, double>& m) {
  Json j = Json::object();
  for (const auto& [label, dice] : m) j[std::to_string(label)] = dice;
  return j;
}

}  // namespace

std::vector<ComponentStats> keep_largest_components(std::vector<uint8_t>& labels,
                                                    const std::array<int64_t, 3>& shape_zyx,
                                                    const std::array<double, 3>& spacing_zyx,
                                                    const std::vector<PostprocessingEntry>& entries) {
  NNSEG_CHECK(static_cast<int64_t>(labels.size()) == shape_zyx[0] * shape_zyx[1] * shape_zyx[2])
      << labels.size() << " labels for the shape";
  return keep_largest(labels.data(), shape_zyx, voxel_volume(spacing_zyx), entries);
}

std::vector<ComponentStats> keep_largest_components(Image& image, const std::vector<PostprocessingEntry>& entries) {
  return dispatch_pixel_type(image.type, [&](auto tag) {
    using T = decltype(tag);
    return keep_largest(image.data<T>(), image.shape, voxel_volume(image.geometry.spacing_zyx()), entries);
  });
}

std::string format_for_which_classes(const std::vector<PostprocessingEntry>& entries) {
  std::string s = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    const PostprocessingEntry& e = entries[i];
    s += i ? ", " : "";
    if (!e.group) {
      s += std::to_string(e.labels.front());
      continue;
    }
    s += "[";
    for (size_t k = 0; k < e.labels.size(); ++k) s += (k ? ", " : "") + std::to_string(e.labels[k]);
    s += "]";
  }
  return s + "]";
}

std::string postprocessing_to_json_text(const PostprocessingDecision& d) {
  Json j = Json::object();
  j["dc_per_class_raw"] = dice_map_to_json(d.dc_per_class_raw);
  j["dc_per_class_pp_all"] = dice_map_to_json(d.dc_per_class_pp_all);
  j["dc_per_class_pp_per_class"] = dice_map_to_json(d.dc_per_class_pp_per_class);
  Json classes = Json::array();
  for (const PostprocessingEntry& e : d.for_which_classes) {
    if (e.group) {
      classes.push_back(e.labels);
    } else {
      classes.push_back(e.labels.front());
    }
  }
  j["for_which_classes"] = classes;
  j["min_valid_object_sizes"] = min_sizes_text(d.for_which_classes);
  j["num_samples"] = d.num_samples;
  j["validation_raw"] = d.validation_raw;
  j["validation_final"] = d.validation_final;
  if (d.brats_et_threshold) j["brats_et_threshold"] = *d.brats_et_threshold;
  return dump_json_with_nan(j, 4) + "\n";
}

void save_postprocessing(const fs::path& path, const PostprocessingDecision& decision) {
  write_file_atomically(path, postprocessing_to_json_text(decision));
}

PostprocessingDecision load_postprocessing(const fs::path& path) {
  const std::string item = path.string();
  const OrderedJson root = load_json_allow_nan(path);
  if (!root.is_object()) throw InputError(item, "expected a JSON object");
  PostprocessingDecision d;
  auto classes = root.find("for_which_classes");
  if (classes == root.end()) throw InputError(item, "key \"for_which_classes\" missing");
  if (!classes->is_array()) {
    throw InputError(item, "key \"for_which_classes\" = " + classes->dump() + ": expected a list");
  }
  for (size_t i = 0; i < classes->size(); ++i) {
    const OrderedJson& v = (*classes)[i];
    const std::string where = "entry " + std::to_string(i);
    PostprocessingEntry e;
    if (v.is_array()) {
      if (v.empty()) throw InputError(item, "key \"for_which_classes\": " + where + " is an empty list");
      e.group = true;
      for (const OrderedJson& l : v) e.labels.push_back(label_from_json(l, item, where));
    } else {
      e.labels.push_back(label_from_json(v, item, where));
    }
    d.for_which_classes.push_back(e);
  }
  static const std::set<std::string> kKnown{"dc_per_class_raw",  "dc_per_class_pp_all",    "dc_per_class_pp_per_class",
                                            "for_which_classes", "min_valid_object_sizes", "num_samples",
                                            "validation_raw",    "validation_final",       "brats_et_threshold"};
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& key = it.key();
    const OrderedJson& v = it.value();
    if (!kKnown.count(key)) {
      log_warning(item + ": unknown key \"" + key + "\" ignored");
    } else if (key == "dc_per_class_raw") {
      d.dc_per_class_raw = dice_map_from_json(v, key, item);
    } else if (key == "dc_per_class_pp_all") {
      d.dc_per_class_pp_all = dice_map_from_json(v, key, item);
    } else if (key == "dc_per_class_pp_per_class") {
      d.dc_per_class_pp_per_class = dice_map_from_json(v, key, item);
    } else if (key == "num_samples" || key == "brats_et_threshold") {
      if (!is_json_int(v) || v.get<int64_t>() < 0 || v.get<int64_t>() > 1000000000) {
        throw InputError(item, "key \"" + key + "\" = " + v.dump() + ": expected an integer >= 0");
      }
      if (key == "num_samples") {
        d.num_samples = v.get<int64_t>();
      } else {
        d.brats_et_threshold = static_cast<int>(v.get<int64_t>());
      }
    } else if (key == "validation_raw" || key == "validation_final") {
      if (!v.is_string()) throw InputError(item, "key \"" + key + "\" = " + v.dump() + ": expected a string");
      (key == "validation_raw" ? d.validation_raw : d.validation_final) = v.get<std::string>();
    } else if (key == "min_valid_object_sizes") {
      if (v.is_null() || (v.is_string() && v.get<std::string>() == "None")) continue;
      if (!v.is_string()) throw InputError(item, "key \"" + key + "\" = " + v.dump() + ": expected a string");
      for (const PostprocessingEntry& sized : MinSizesParser(v.get<std::string>(), item).parse()) {
        for (PostprocessingEntry& e : d.for_which_classes) {
          if (e.labels == sized.labels && e.group == sized.group) e.min_valid_size = sized.min_valid_size;
        }
      }
      for (const PostprocessingEntry& e : d.for_which_classes) {
        if (!e.min_valid_size) {
          throw InputError(
              item, "key \"min_valid_object_sizes\": no size for the for_which_classes entry " + entry_key_text(e));
        }
      }
    }
  }
  return d;
}

void apply_postprocessing(Image& image, const PostprocessingDecision& decision) {
  keep_largest_components(image, decision.for_which_classes);
  if (decision.brats_et_threshold) apply_brats_et_threshold(image, *decision.brats_et_threshold);
}

void apply_postprocessing(std::vector<uint8_t>& labels, const std::array<int64_t, 3>& shape_zyx,
                          const std::array<double, 3>& spacing_zyx, const PostprocessingDecision& decision) {
  keep_largest_components(labels, shape_zyx, spacing_zyx, decision.for_which_classes);
  if (decision.brats_et_threshold) apply_brats_et_threshold(labels, *decision.brats_et_threshold);
}

void apply_postprocessing_to_file(const fs::path& input, const fs::path& output,
                                  const PostprocessingDecision& decision) {
  Image image = read_nifti(input);
  apply_postprocessing(image, decision);
  write_nifti(output, image);
}

}  // namespace nnseg
