// nnUNetPlans.json: JSON mapping, checks, load/save (planning/plans.h).
#include "planning/plans.h"

#include <algorithm>

#include "core/error.h"
#include "fingerprint/fingerprint.h"
#include "planning/json_checks.h"

namespace nnseg {

namespace jc = json_checks;

std::string to_string(Normalization n) {
  switch (n) {
    case Normalization::kZScore:
      return "ZScoreNormalization";
    case Normalization::kCT:
      return "CTNormalization";
    case Normalization::kNone:
      return "NoNormalization";
  }
  return "?";
}

std::optional<Normalization> parse_normalization(const std::string& name) {
  if (name == "ZScoreNormalization" || name == "nonCT") return Normalization::kZScore;
  if (name == "CTNormalization" || name == "CT") return Normalization::kCT;
  if (name == "NoNormalization" || name == "noNorm") return Normalization::kNone;
  return std::nullopt;
}

const ConfigurationPlan& Plans::configuration(const std::string& name, const std::string& file) const {
  auto it = configurations.find(name);
  if (it == configurations.end()) {
    std::string planned;
    for (const auto& [key, value] : configurations) planned += (planned.empty() ? "" : ", ") + key;
    throw InputError(file, "configuration '" + name + "' is not planned (planned: " + planned + ")");
  }
  return it->second;
}

namespace {

const std::vector<std::string> kTopKeys = {"dataset_name",
                                           "plans_name",
                                           "original_median_spacing_after_transp",
                                           "original_median_shape_after_transp",
                                           "transpose_forward",
                                           "transpose_backward",
                                           "configurations",
                                           "foreground_intensity_properties_per_channel"};

const std::vector<std::string> kConfigurationKeys = {"data_identifier",
                                                     "batch_size",
                                                     "patch_size",
                                                     "median_image_size_in_voxels",
                                                     "spacing",
                                                     "normalization_schemes",
                                                     "use_mask_for_norm",
                                                     "UNet_base_num_features",
                                                     "unet_max_num_features",
                                                     "n_conv_per_stage_encoder",
                                                     "n_conv_per_stage_decoder",
                                                     "num_pool_per_axis",
                                                     "pool_op_kernel_sizes",
                                                     "conv_kernel_sizes",
                                                     "batch_dice",
                                                     "do_dummy_2D_data_aug"};

OrderedJson configuration_to_json(const ConfigurationPlan& c) {
  OrderedJson j = OrderedJson::object();
  j["data_identifier"] = c.data_identifier;
  j["batch_size"] = c.batch_size;
  j["patch_size"] = c.patch_size;
  j["median_image_size_in_voxels"] = c.median_image_size_in_voxels;
  j["spacing"] = c.spacing;
  j["normalization_schemes"] = OrderedJson::array();
  for (auto n : c.normalization_schemes) j["normalization_schemes"].push_back(to_string(n));
  j["use_mask_for_norm"] = c.use_mask_for_norm;
  j["UNet_base_num_features"] = c.unet_base_num_features;
  j["unet_max_num_features"] = c.unet_max_num_features;
  j["n_conv_per_stage_encoder"] = c.n_conv_per_stage_encoder;
  j["n_conv_per_stage_decoder"] = c.n_conv_per_stage_decoder;
  j["num_pool_per_axis"] = c.num_pool_per_axis;
  j["pool_op_kernel_sizes"] = c.pool_op_kernel_sizes;
  j["conv_kernel_sizes"] = c.conv_kernel_sizes;
  j["batch_dice"] = c.batch_dice;
  j["do_dummy_2D_data_aug"] = c.do_dummy_2D_data_aug;
  return j;
}

std::vector<std::vector<int64_t>> get_kernel_list(const OrderedJson& j, const std::string& file, const std::string& key,
                                                  int64_t dim) {
  if (!j.is_array()) jc::fail(file, key, j, "a list of kernels");
  std::vector<std::vector<int64_t>> out;
  for (size_t i = 0; i < j.size(); ++i) {
    out.push_back(jc::get_int_list(j[i], file, key + "[" + std::to_string(i) + "]", dim, 1));
  }
  return out;
}

ConfigurationPlan configuration_from_json(const OrderedJson& j, const std::string& file, const std::string& key) {
  jc::expect_object(j, file, key);
  jc::reject_unknown_keys(j, file, key, kConfigurationKeys);
  auto at = [&](const std::string& name) -> const OrderedJson& { return jc::require(j, file, key, name); };
  auto path = [&](const std::string& name) { return jc::join(key, name); };

  ConfigurationPlan c;
  c.data_identifier = jc::get_string(at("data_identifier"), file, path("data_identifier"));
  if (c.data_identifier.empty() || c.data_identifier.find('/') != std::string::npos || c.data_identifier == "." ||
      c.data_identifier == "..") {
    jc::fail(file, path("data_identifier"), at("data_identifier"), "a folder name");
  }
  c.batch_size = jc::get_int(at("batch_size"), file, path("batch_size"), 1);

  const OrderedJson& patch = at("patch_size");
  if (!patch.is_array() || (patch.size() != 2 && patch.size() != 3)) {
    jc::fail(file, path("patch_size"), patch, "2 or 3 values");
  }
  const auto dim = static_cast<int64_t>(patch.size());
  // The configuration's name fixes its dimensionality when it is one of the standard ones.
  const std::string name = key.substr(key.rfind('.') + 1);
  if ((name == "2d" && dim != 2) || (name.rfind("3d", 0) == 0 && dim != 3)) {
    jc::fail(file, path("patch_size"), patch, std::to_string(name == "2d" ? 2 : 3) + " values");
  }
  c.patch_size = jc::get_int_list(patch, file, path("patch_size"), dim, 1);
  c.median_image_size_in_voxels =
      jc::get_int_list(at("median_image_size_in_voxels"), file, path("median_image_size_in_voxels"), dim, 1);
  c.spacing = jc::get_positive_double_list(at("spacing"), file, path("spacing"), dim);

  const OrderedJson& schemes = at("normalization_schemes");
  for (const auto& s : jc::get_string_list(schemes, file, path("normalization_schemes"))) {
    auto n = parse_normalization(s);
    if (!n) {
      jc::fail(file, path("normalization_schemes"), schemes,
               "ZScoreNormalization, CTNormalization or NoNormalization (or v1's nonCT, CT, noNorm)");
    }
    c.normalization_schemes.push_back(*n);
  }
  if (c.normalization_schemes.empty()) jc::fail(file, path("normalization_schemes"), schemes, "one per channel");
  const OrderedJson& mask = at("use_mask_for_norm");
  if (!mask.is_array() || mask.size() != c.normalization_schemes.size()) {
    jc::fail(file, path("use_mask_for_norm"), mask,
             std::to_string(c.normalization_schemes.size()) + " values (one per channel)");
  }
  for (const auto& m : mask) c.use_mask_for_norm.push_back(jc::get_bool(m, file, path("use_mask_for_norm")));

  c.unet_base_num_features = jc::get_int(at("UNet_base_num_features"), file, path("UNet_base_num_features"), 1);
  c.unet_max_num_features =
      jc::get_int(at("unet_max_num_features"), file, path("unet_max_num_features"), c.unet_base_num_features);
  c.num_pool_per_axis = jc::get_int_list(at("num_pool_per_axis"), file, path("num_pool_per_axis"), dim, 0);
  c.pool_op_kernel_sizes = get_kernel_list(at("pool_op_kernel_sizes"), file, path("pool_op_kernel_sizes"), dim);
  const auto num_pools = static_cast<int64_t>(c.pool_op_kernel_sizes.size());
  c.conv_kernel_sizes = get_kernel_list(at("conv_kernel_sizes"), file, path("conv_kernel_sizes"), dim);
  if (static_cast<int64_t>(c.conv_kernel_sizes.size()) != num_pools + 1) {
    jc::fail(file, path("conv_kernel_sizes"), at("conv_kernel_sizes"),
             std::to_string(num_pools + 1) + " kernels (one more than pool_op_kernel_sizes)");
  }
  c.n_conv_per_stage_encoder =
      jc::get_int_list(at("n_conv_per_stage_encoder"), file, path("n_conv_per_stage_encoder"), num_pools + 1, 1);
  c.n_conv_per_stage_decoder =
      jc::get_int_list(at("n_conv_per_stage_decoder"), file, path("n_conv_per_stage_decoder"), num_pools, 1);
  c.batch_dice = jc::get_bool(at("batch_dice"), file, path("batch_dice"));
  c.do_dummy_2D_data_aug = jc::get_bool(at("do_dummy_2D_data_aug"), file, path("do_dummy_2D_data_aug"));

  // The network must be able to pool the patch: per axis, pooled stages agree with num_pool_per_axis and the
  // patch is a multiple of the product of the strides.
  for (int64_t a = 0; a < dim; ++a) {
    int64_t pooled = 0, stride = 1;
    for (const auto& k : c.pool_op_kernel_sizes) {
      pooled += k[a] > 1 ? 1 : 0;
      stride *= k[a];
    }
    if (pooled != c.num_pool_per_axis[a]) {
      jc::fail(file, path("num_pool_per_axis"), at("num_pool_per_axis"),
               "the number of poolings per axis in pool_op_kernel_sizes");
    }
    if (c.patch_size[a] % stride != 0) {
      jc::fail(file, path("patch_size"), patch,
               "multiples of the pooling strides (axis " + std::to_string(a) + ": " + std::to_string(stride) + ")");
    }
  }
  return c;
}

}  // namespace

OrderedJson plans_to_json(const Plans& plans) {
  OrderedJson j = OrderedJson::object();
  j["dataset_name"] = plans.dataset_name;
  j["plans_name"] = plans.plans_name;
  j["original_median_spacing_after_transp"] = plans.original_median_spacing_after_transp;
  j["original_median_shape_after_transp"] = plans.original_median_shape_after_transp;
  j["transpose_forward"] = plans.transpose_forward;
  j["transpose_backward"] = plans.transpose_backward;
  OrderedJson configurations = OrderedJson::object();
  for (const auto& [name, c] : plans.configurations) configurations[name] = configuration_to_json(c);
  j["configurations"] = configurations;
  OrderedJson props = OrderedJson::object();
  for (size_t c = 0; c < plans.foreground_intensity_properties_per_channel.size(); ++c) {
    props[std::to_string(c)] = intensity_stats_to_json(plans.foreground_intensity_properties_per_channel[c]);
  }
  j["foreground_intensity_properties_per_channel"] = props;
  return j;
}

Plans plans_from_json(const OrderedJson& json, const std::string& file) {
  jc::expect_object(json, file, "(top level)");
  jc::reject_unknown_keys(json, file, "", kTopKeys);
  auto at = [&](const std::string& name) -> const OrderedJson& { return jc::require(json, file, "", name); };
  Plans p;
  p.dataset_name = jc::get_string(at("dataset_name"), file, "dataset_name");
  p.plans_name = jc::get_string(at("plans_name"), file, "plans_name");
  auto spacing = jc::get_positive_double_list(at("original_median_spacing_after_transp"), file,
                                              "original_median_spacing_after_transp", 3);
  std::copy(spacing.begin(), spacing.end(), p.original_median_spacing_after_transp.begin());
  auto shape =
      jc::get_int_list(at("original_median_shape_after_transp"), file, "original_median_shape_after_transp", 3, 0);
  std::copy(shape.begin(), shape.end(), p.original_median_shape_after_transp.begin());

  auto forward = jc::get_int_list(at("transpose_forward"), file, "transpose_forward", 3, 0);
  auto sorted = forward;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != std::vector<int64_t>{0, 1, 2})
    jc::fail(file, "transpose_forward", at("transpose_forward"), "a permutation of 0, 1, 2");
  auto backward = jc::get_int_list(at("transpose_backward"), file, "transpose_backward", 3, 0);
  for (int i = 0; i < 3; ++i) {
    p.transpose_forward[i] = static_cast<int>(forward[i]);
    if (backward[forward[i]] != i) {
      jc::fail(file, "transpose_backward", at("transpose_backward"), "the inverse of transpose_forward");
    }
  }
  for (int i = 0; i < 3; ++i) p.transpose_backward[i] = static_cast<int>(backward[i]);

  const OrderedJson& configurations = at("configurations");
  jc::expect_object(configurations, file, "configurations");
  if (configurations.empty()) jc::fail(file, "configurations", configurations, "at least one configuration");
  size_t channels = 0;
  for (const auto& item : configurations.items()) {
    const std::string key = "configurations." + item.key();
    ConfigurationPlan c = configuration_from_json(item.value(), file, key);
    if (channels != 0 && c.normalization_schemes.size() != channels) {
      jc::fail(file, key + ".normalization_schemes", item.value()["normalization_schemes"],
               std::to_string(channels) + " channels, as the other configurations");
    }
    channels = c.normalization_schemes.size();
    p.configurations[item.key()] = std::move(c);
  }

  const std::string props_key = "foreground_intensity_properties_per_channel";
  const OrderedJson& props = at(props_key);
  jc::expect_object(props, file, props_key);
  if (!props.empty() && props.size() != channels) {
    jc::fail(file, props_key, props, std::to_string(channels) + " channels (\"0\" ...) or none");
  }
  for (size_t c = 0; c < props.size(); ++c) {
    const std::string channel = std::to_string(c);
    if (!props.contains(channel))
      jc::fail(file, props_key, props, "channel keys \"0\" ... \"" + std::to_string(props.size() - 1) + "\"");
    p.foreground_intensity_properties_per_channel.push_back(
        intensity_stats_from_json(props[channel], file, props_key + "." + channel));
  }
  for (const auto& [name, c] : p.configurations) {
    for (size_t ch = 0; ch < c.normalization_schemes.size(); ++ch) {
      if (c.normalization_schemes[ch] == Normalization::kCT && p.foreground_intensity_properties_per_channel.empty()) {
        jc::fail(file, props_key, props,
                 "statistics for channel " + std::to_string(ch) + " (CTNormalization in " + name + ")");
      }
    }
  }
  return p;
}

Plans load_plans(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw InputError(path.string(), "plans not found; run 'nnseg plan' first");
  return plans_from_json(load_json_allow_nan(path), path.string());
}

void save_plans(const std::filesystem::path& path, const Plans& plans) {
  save_json_allow_nan(path, plans_to_json(plans));
}

}  // namespace nnseg
