// Per-case preprocessing pipeline and its files (preprocessing/preprocess_case.h), as nnU-Net v1
// GenericPreprocessor (spec/preprocessing.md §1, §5) with nnseg's file layout (spec/cli.md).
#include "preprocessing/preprocess_case.h"

#include <cmath>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "io/npy.h"
#include "preprocessing/resample.h"

namespace nnseg {
namespace {

bool is_identity(const std::array<int, 3>& order) { return order[0] == 0 && order[1] == 1 && order[2] == 2; }

void check_parameters(const PreprocessParameters& p, int64_t channels, const std::string& case_id) {
  auto count_error = [&](const std::string& what, size_t n) {
    throw InputError(case_id, std::to_string(n) + " " + what + " for " + std::to_string(channels) +
                                  " image channels; expected one per channel");
  };
  if (static_cast<int64_t>(p.normalization_schemes.size()) != channels) {
    count_error("normalization_schemes", p.normalization_schemes.size());
  }
  if (static_cast<int64_t>(p.use_mask_for_norm.size()) != channels) {
    count_error("use_mask_for_norm flags", p.use_mask_for_norm.size());
  }
  for (int64_t c = 0; c < channels; ++c) {
    const NormalizationScheme s = p.normalization_schemes[static_cast<size_t>(c)];
    if ((s == NormalizationScheme::kCT || s == NormalizationScheme::kCT2) &&
        static_cast<int64_t>(p.intensity_properties.size()) <= c) {
      throw InputError(case_id, "channel " + std::to_string(c) + " uses " + to_string(s) +
                                    " normalization but no foreground intensity properties were given for it");
    }
  }
  std::array<bool, 3> seen{false, false, false};
  for (int a : p.transpose_forward) {
    if (a < 0 || a > 2 || seen[static_cast<size_t>(a)]) {
      throw InputError(case_id, "transpose_forward [" + std::to_string(p.transpose_forward[0]) + ", " +
                                    std::to_string(p.transpose_forward[1]) + ", " +
                                    std::to_string(p.transpose_forward[2]) + "] is not a permutation of 0, 1, 2");
    }
    seen[static_cast<size_t>(a)] = true;
  }
  for (double s : p.target_spacing) {
    if (!(s > 0) || !std::isfinite(s)) {
      std::ostringstream msg;
      msg << "target spacing " << s << " mm; expected a positive number";
      throw InputError(case_id, msg.str());
    }
  }
}

}  // namespace

PreprocessedCase preprocess_case(const std::vector<Image>& channels, const Image* label,
                                 const PreprocessParameters& parameters, const std::string& case_id) {
  check_parameters(parameters, static_cast<int64_t>(channels.size()), case_id);
  PreprocessedCase out;
  Array4f data, seg;
  {
    CroppedCase cropped = crop_to_nonzero(channels, label, case_id);
    out.properties.crop = std::move(cropped.properties);
    data = std::move(cropped.data);
    seg = std::move(cropped.seg);
  }
  const std::array<int, 3>& order = parameters.transpose_forward;
  if (!is_identity(order)) {
    data = transpose_spatial(data, order);
    seg = transpose_spatial(seg, order);
  }
  const std::array<double, 3>& spacing = out.properties.crop.original_spacing;
  const std::array<double, 3> spacing_t{spacing[static_cast<size_t>(order[0])], spacing[static_cast<size_t>(order[1])],
                                        spacing[static_cast<size_t>(order[2])]};
  std::array<double, 3> target = parameters.target_spacing;
  if (parameters.two_d) {
    target[0] = spacing_t[0];
  } else {
    for (float& v : data.values) {
      if (std::isnan(v)) v = 0.0f;
    }
  }
  ResampleOptions options;
  options.force_separate_z = parameters.force_separate_z;
  options.threads = parameters.threads;
  resample_patient(&data, &seg, spacing_t, target, options, case_id);
  for (float& v : seg.values) {
    if (v < -1.0f) v = 0.0f;
  }
  out.properties.size_after_resampling = data.spatial();
  out.properties.spacing_after_resampling = target;
  out.properties.use_nonzero_mask_for_norm = parameters.use_mask_for_norm;
  normalize(data, seg, parameters.normalization_schemes, parameters.use_mask_for_norm, parameters.intensity_properties);
  out.properties.class_locations = sample_class_locations(seg.channel(0), seg.spatial(), parameters.all_classes);

  out.seg = Array4<int8_t>(seg.shape);
  for (size_t i = 0; i < seg.values.size(); ++i) {
    const float v = seg.values[i];
    if (!(v >= -1.0f && v <= 127.0f)) {
      std::ostringstream msg;
      msg << "label value " << v << " does not fit the int8 label array (expected -1 to 127)";
      throw InputError(case_id, msg.str());
    }
    out.seg.values[i] = static_cast<int8_t>(v);  // truncation toward zero, as numpy's astype(int8)
  }
  out.data = std::move(data);
  return out;
}

OrderedJson case_properties_to_json(const CaseProperties& p) {
  OrderedJson j;
  const CropProperties& c = p.crop;
  j["original_size_of_raw_data"] = c.original_size_of_raw_data;
  j["original_spacing"] = c.original_spacing;
  j["list_of_data_files"] = p.list_of_data_files;
  j["seg_file"] = p.seg_file;
  j["itk_origin"] = c.geometry.origin;
  j["itk_spacing"] = c.geometry.spacing;
  j["itk_direction"] = c.geometry.direction;
  OrderedJson bbox = OrderedJson::array();
  for (const auto& b : c.crop_bbox) bbox.push_back({b[0], b[1]});
  j["crop_bbox"] = bbox;
  OrderedJson classes = OrderedJson::array();
  for (double v : c.classes) classes.push_back(static_cast<int64_t>(v));
  j["classes"] = classes;
  j["size_after_cropping"] = c.size_after_cropping;
  OrderedJson flags = OrderedJson::array();
  for (bool b : p.use_nonzero_mask_for_norm) flags.push_back(b);
  j["use_nonzero_mask_for_norm"] = flags;
  j["size_after_resampling"] = p.size_after_resampling;
  j["spacing_after_resampling"] = p.spacing_after_resampling;
  OrderedJson locations = OrderedJson::object();
  for (const ClassLocations& l : p.class_locations) {
    OrderedJson voxels = OrderedJson::array();
    for (const auto& v : l.voxels) voxels.push_back({v[0], v[1], v[2]});
    locations[std::to_string(l.label)] = voxels;
  }
  j["class_locations"] = locations;
  return j;
}

namespace {

const OrderedJson& key(const OrderedJson& j, const std::string& name, const std::string& item) {
  if (!j.is_object() || !j.contains(name)) throw InputError(item, "missing key '" + name + "'");
  return j.at(name);
}

template <typename T, size_t N>
std::array<T, N> fixed_array(const OrderedJson& j, const std::string& name, const std::string& item) {
  const OrderedJson& v = key(j, name, item);
  constexpr bool integral = std::is_integral_v<T>;
  if (!v.is_array() || v.size() != N) {
    throw InputError(item, name + " = " + v.dump() + ": expected a list of " + std::to_string(N) + " numbers");
  }
  std::array<T, N> out{};
  for (size_t i = 0; i < N; ++i) {
    const bool ok = integral ? v[i].is_number_integer() : v[i].is_number();
    if (!ok) {
      throw InputError(item, name + " = " + v.dump() + ": expected " + (integral ? "integers" : "numbers"));
    }
    out[i] = v[i].get<T>();
  }
  return out;
}

}  // namespace

CaseProperties case_properties_from_json(const OrderedJson& j, const std::string& item) {
  CaseProperties p;
  CropProperties& c = p.crop;
  c.original_size_of_raw_data = fixed_array<int64_t, 3>(j, "original_size_of_raw_data", item);
  c.original_spacing = fixed_array<double, 3>(j, "original_spacing", item);
  const OrderedJson& files = key(j, "list_of_data_files", item);
  if (!files.is_array()) throw InputError(item, "list_of_data_files = " + files.dump() + ": expected a list");
  for (const auto& f : files) {
    if (!f.is_string()) throw InputError(item, "list_of_data_files = " + files.dump() + ": expected strings");
    p.list_of_data_files.push_back(f.get<std::string>());
  }
  const OrderedJson& seg_file = key(j, "seg_file", item);
  if (!seg_file.is_string()) throw InputError(item, "seg_file = " + seg_file.dump() + ": expected a string");
  p.seg_file = seg_file.get<std::string>();
  c.geometry.origin = fixed_array<double, 3>(j, "itk_origin", item);
  c.geometry.spacing = fixed_array<double, 3>(j, "itk_spacing", item);
  c.geometry.direction = fixed_array<double, 9>(j, "itk_direction", item);
  const OrderedJson& bbox = key(j, "crop_bbox", item);
  const std::string bbox_error = "crop_bbox = " + bbox.dump() + ": expected [[z0, z1], [y0, y1], [x0, x1]]";
  if (!bbox.is_array() || bbox.size() != 3) throw InputError(item, bbox_error);
  for (size_t a = 0; a < 3; ++a) {
    const OrderedJson& b = bbox[a];
    if (!b.is_array() || b.size() != 2 || !b[0].is_number_integer() || !b[1].is_number_integer()) {
      throw InputError(item, bbox_error);
    }
    c.crop_bbox[a] = {b[0].get<int64_t>(), b[1].get<int64_t>()};
  }
  const OrderedJson& classes = key(j, "classes", item);
  if (!classes.is_array()) throw InputError(item, "classes = " + classes.dump() + ": expected a list of integers");
  for (const auto& v : classes) {
    if (!v.is_number_integer()) throw InputError(item, "classes = " + classes.dump() + ": expected integers");
    c.classes.push_back(static_cast<double>(v.get<int64_t>()));
  }
  c.size_after_cropping = fixed_array<int64_t, 3>(j, "size_after_cropping", item);
  const OrderedJson& flags = key(j, "use_nonzero_mask_for_norm", item);
  if (!flags.is_array()) throw InputError(item, "use_nonzero_mask_for_norm = " + flags.dump() + ": expected a list");
  for (const auto& f : flags) {
    if (!f.is_boolean()) {
      throw InputError(item, "use_nonzero_mask_for_norm = " + flags.dump() + ": expected true/false values");
    }
    p.use_nonzero_mask_for_norm.push_back(f.get<bool>());
  }
  p.size_after_resampling = fixed_array<int64_t, 3>(j, "size_after_resampling", item);
  p.spacing_after_resampling = fixed_array<double, 3>(j, "spacing_after_resampling", item);
  const OrderedJson& locations = key(j, "class_locations", item);
  if (!locations.is_object()) {
    throw InputError(item,
                     std::string("class_locations: expected an object keyed by class, got ") + locations.type_name());
  }
  for (const auto& [name, voxels] : locations.items()) {
    ClassLocations l;
    size_t used = 0;
    int label = 0;
    try {
      label = std::stoi(name, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != name.size())
      throw InputError(item, "class_locations key '" + name + "': expected a class");
    l.label = label;
    const std::string what = "class_locations." + name + ": expected a list of [z, y, x] integer triples";
    if (!voxels.is_array()) throw InputError(item, what);
    for (const auto& v : voxels) {
      if (!v.is_array() || v.size() != 3 || !v[0].is_number_integer() || !v[1].is_number_integer() ||
          !v[2].is_number_integer()) {
        throw InputError(item, what + ", got " + v.dump());
      }
      l.voxels.push_back({v[0].get<int64_t>(), v[1].get<int64_t>(), v[2].get<int64_t>()});
    }
    p.class_locations.push_back(std::move(l));
  }
  return p;
}

CaseProperties load_case_properties(const std::filesystem::path& path) {
  return case_properties_from_json(load_json(path), path.string());
}

void save_preprocessed_case(const std::filesystem::path& folder, const std::string& case_id,
                            const PreprocessedCase& preprocessed) {
  const Array4f& data = preprocessed.data;
  const Array4<int8_t>& seg = preprocessed.seg;
  write_npy(folder / (case_id + ".npy"), NpyDType::kFloat32,
            {data.shape[0], data.shape[1], data.shape[2], data.shape[3]}, data.values.data());
  write_npy(folder / (case_id + "_seg.npy"), NpyDType::kInt8, {seg.shape[0], seg.shape[1], seg.shape[2], seg.shape[3]},
            seg.values.data());
  save_json(folder / (case_id + ".json"), case_properties_to_json(preprocessed.properties));
}

}  // namespace nnseg
