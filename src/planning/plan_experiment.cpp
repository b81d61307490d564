// ExperimentPlanner3D_v21 / ExperimentPlanner2D_v21 (planning/plan_experiment.h), following nnU-Net v1.7.1
// operation by operation so that float64 results match to the bit (spec/planning.md §11).
#include "planning/plan_experiment.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "planning/numpy_math.h"
#include "planning/plan_log.h"

namespace nnseg {

namespace {

constexpr int64_t kMinFeatureMapSize = 4;  // unet_featuremap_min_edge_length
constexpr int kMaxNumPool = 999;           // unet_max_numpool
constexpr int64_t kBaseNumFeatures = 32;   // v2.1 unet_base_num_features
constexpr int64_t kMaxNumFeatures3d = 320;
constexpr int64_t kMaxNumFeatures2dPlanner = 512;  // the 2D planner's estimate cap (the 2D network uses 480)
constexpr int64_t kMaxNumFeatures2dNetwork = 480;
constexpr int64_t kConvPerStage = 2;
constexpr int64_t kDefaultBatchSize3d = 2;
constexpr int64_t kMinBatchSize = 2;
constexpr double kBatchCoversMaxFractionOfDataset = 0.05;
constexpr double kAnisotropyThreshold = 3;
constexpr double kPatientFractionForLowres = 4;  // how_much_of_a_patient_must_the_network_see_at_stage0
constexpr double kLowresSpacingGrowth = 1.01;

int64_t product(const Shape& s) {
  int64_t p = 1;
  for (int64_t v : s) p *= v;
  return p;
}

// np.argsort(ratio)[-1]: the largest ratio, the highest axis on ties (insertion sort is stable for short arrays).
size_t axis_to_reduce(const Shape& patch, const Shape& median) {
  size_t best = 0;
  double best_ratio = -1;
  for (size_t i = 0; i < patch.size(); ++i) {
    const double r = static_cast<double>(patch[i]) / static_cast<double>(median[i]);
    if (r >= best_ratio) {
      best_ratio = r;
      best = i;
    }
  }
  return best;
}

// The shrink loop shared by both planners (§6.5 step 6): reduce the axis with the largest patch/median ratio by
// the divisor the reduced shape would have, recompute the topology, until the estimate fits.
struct ShrinkResult {
  PoolConvProps props;
  int64_t vram = 0;
};
ShrinkResult shrink_until_fits(const std::vector<double>& spacing, const Shape& initial_patch, const Shape& median,
                               int64_t first_features, int64_t max_features, int64_t num_modalities,
                               int64_t num_classes, double reference_vram) {
  ShrinkResult r;
  r.props = get_pool_and_conv_props(spacing, initial_patch, kMinFeatureMapSize, kMaxNumPool);
  r.vram = compute_approx_vram_consumption(r.props.patch_size, r.props.num_pool_per_axis, first_features, max_features,
                                           num_modalities, num_classes, r.props.pool_op_kernel_sizes, kConvPerStage);
  while (static_cast<double>(r.vram) > reference_vram) {
    Shape patch = r.props.patch_size;
    const size_t a = axis_to_reduce(patch, median);
    Shape tmp = patch;
    tmp[a] -= r.props.shape_must_be_divisible_by[a];
    const Shape divisor_new =
        get_pool_and_conv_props(spacing, tmp, kMinFeatureMapSize, kMaxNumPool).shape_must_be_divisible_by;
    patch[a] -= divisor_new[a];
    if (patch[a] < 1) {
      throw Error("planner", "no patch fits the GPU memory target (estimate " + std::to_string(r.vram) +
                                 " > reference " + std::to_string(reference_vram) + ")");
    }
    r.props = get_pool_and_conv_props(spacing, patch, kMinFeatureMapSize, kMaxNumPool);
    r.vram =
        compute_approx_vram_consumption(r.props.patch_size, r.props.num_pool_per_axis, kBaseNumFeatures, max_features,
                                        num_modalities, num_classes, r.props.pool_op_kernel_sizes, kConvPerStage);
  }
  return r;
}

// new_median_shape = np.round(original_spacing / current_spacing * original_shape).astype(int)
Shape median_size_at(const std::vector<double>& current_spacing, const std::vector<double>& original_spacing,
                     const std::vector<double>& original_shape) {
  Shape n;
  for (size_t i = 0; i < current_spacing.size(); ++i) {
    n.push_back(np::round_half_even(original_spacing[i] / current_spacing[i] * original_shape[i]));
    if (n.back() < 1) {
      throw InputError("dataset_fingerprint.json", "median case size rounds to 0 voxels along axis " +
                                                       std::to_string(i) + " at spacing " +
                                                       std::to_string(current_spacing[i]));
    }
  }
  return n;
}

void fill_topology(StagePlan& stage, const PoolConvProps& props) {
  stage.num_pool_per_axis = props.num_pool_per_axis;
  stage.patch_size = props.patch_size;
  stage.pool_op_kernel_sizes = props.pool_op_kernel_sizes;
  stage.conv_kernel_sizes = props.conv_kernel_sizes;
}

template <typename T>
std::vector<T> transposed(const std::array<T, 3>& v, const std::array<int, 3>& forward) {
  return {v[forward[0]], v[forward[1]], v[forward[2]]};
}

// Per-axis np.median of spacing-scaled sizes: shape_c = spacing_c / target * size_c (§6.4, pitfall 11).
std::array<double, 3> median_scaled_shape(const Fingerprint& fp, const std::array<double, 3>& target) {
  std::array<double, 3> out{};
  for (size_t a = 0; a < 3; ++a) {
    std::vector<double> values;
    for (size_t c = 0; c < fp.spacings.size(); ++c) {
      values.push_back(fp.spacings[c][a] / target[a] * static_cast<double>(fp.shapes_after_crop[c][a]));
    }
    out[a] = np::median(values);
  }
  return out;
}

double scaled_reference(double reference, const PlannerOptions& options) {
  if (!options.gpu_memory_gb) return reference;
  return reference * (*options.gpu_memory_gb / kReferenceGpuMemoryGb);
}

ConfigurationPlan to_configuration(const StagePlan& stage, bool two_d, const std::string& data_identifier,
                                   const std::vector<Normalization>& schemes, const std::vector<bool>& mask) {
  ConfigurationPlan c;
  c.data_identifier = data_identifier;
  c.batch_size = stage.batch_size;
  c.patch_size = stage.patch_size;
  const size_t skip = two_d ? 1 : 0;  // 2d keeps the in-plane axes (§10.3)
  c.median_image_size_in_voxels.assign(stage.median_patient_size_in_voxels.begin() + skip,
                                       stage.median_patient_size_in_voxels.end());
  c.spacing.assign(stage.current_spacing.begin() + skip, stage.current_spacing.end());
  c.normalization_schemes = schemes;
  c.use_mask_for_norm = mask;
  c.unet_base_num_features = kBaseNumFeatures;
  c.unet_max_num_features = two_d ? kMaxNumFeatures2dNetwork : kMaxNumFeatures3d;
  c.n_conv_per_stage_encoder.assign(stage.pool_op_kernel_sizes.size() + 1, kConvPerStage);
  c.n_conv_per_stage_decoder.assign(stage.pool_op_kernel_sizes.size(), kConvPerStage);
  c.num_pool_per_axis.assign(stage.num_pool_per_axis.begin(), stage.num_pool_per_axis.end());
  for (const auto& k : stage.pool_op_kernel_sizes) c.pool_op_kernel_sizes.emplace_back(k.begin(), k.end());
  for (const auto& k : stage.conv_kernel_sizes) c.conv_kernel_sizes.emplace_back(k.begin(), k.end());
  c.do_dummy_2D_data_aug = stage.do_dummy_2D_data_aug;
  return c;
}

}  // namespace

std::array<double, 3> target_spacing_median(const std::vector<std::array<double, 3>>& spacings) {
  std::array<double, 3> t{};
  for (size_t a = 0; a < 3; ++a) {
    std::vector<double> values;
    for (const auto& s : spacings) values.push_back(s[a]);
    t[a] = np::percentile(values, 50);
  }
  return t;
}

std::array<double, 3> target_spacing_3d_v21(const std::vector<std::array<double, 3>>& spacings,
                                            const std::vector<std::array<int64_t, 3>>& sizes) {
  std::array<double, 3> target = target_spacing_median(spacings);
  std::array<double, 3> target_size{};  // unscaled cropped sizes (pitfall 11)
  for (size_t a = 0; a < 3; ++a) {
    std::vector<double> values;
    for (const auto& s : sizes) values.push_back(static_cast<double>(s[a]));
    target_size[a] = np::percentile(values, 50);
  }
  const auto worst = static_cast<size_t>(std::max_element(target.begin(), target.end()) - target.begin());
  double max_other_spacing = -1, min_other_size = 0;
  bool first = true;
  for (size_t a = 0; a < 3; ++a) {
    if (a == worst) continue;
    max_other_spacing = std::max(max_other_spacing, target[a]);
    min_other_size = first ? target_size[a] : std::min(min_other_size, target_size[a]);
    first = false;
  }
  const bool aniso_spacing = target[worst] > kAnisotropyThreshold * max_other_spacing;
  const bool aniso_voxels = target_size[worst] * kAnisotropyThreshold < min_other_size;
  if (aniso_spacing && aniso_voxels) {
    std::vector<double> values;
    for (const auto& s : spacings) values.push_back(s[worst]);
    double t = np::percentile(values, 10);
    if (t < max_other_spacing) t = std::max(max_other_spacing, t) + 1e-5;
    target[worst] = t;
  }
  return target;
}

void compute_transposition(const std::array<double, 3>& target_spacing, std::array<int, 3>& forward,
                           std::array<int, 3>& backward) {
  const auto m =
      static_cast<int>(std::max_element(target_spacing.begin(), target_spacing.end()) - target_spacing.begin());
  forward[0] = m;
  int k = 1;
  for (int i = 0; i < 3; ++i) {
    if (i != m) forward[k++] = i;
  }
  for (int i = 0; i < 3; ++i) backward[forward[i]] = i;
}

StagePlan stage_properties_3d(const std::vector<double>& current_spacing, const std::vector<double>& original_spacing,
                              const std::vector<double>& original_shape, int64_t num_cases, int64_t num_modalities,
                              int64_t num_classes, double reference_vram) {
  StagePlan stage;
  stage.current_spacing = current_spacing;
  stage.original_spacing = original_spacing;
  stage.median_patient_size_in_voxels = median_size_at(current_spacing, original_spacing, original_shape);
  const Shape& n = stage.median_patient_size_in_voxels;
  const int64_t dataset_num_voxels = product(n) * num_cases;

  // Start from a 512-"mm" isotropic patch in voxels-per-mm units, clipped to the median size.
  std::vector<double> v;
  for (double s : current_spacing) v.push_back(1 / s);
  const double mean = np::mean(v);
  for (double& x : v) x /= mean;
  const double factor = 1 / *std::min_element(v.begin(), v.end()) * 512;
  Shape initial;
  for (size_t i = 0; i < v.size(); ++i) initial.push_back(std::min(np::round_half_even(v[i] * factor), n[i]));

  const ShrinkResult r = shrink_until_fits(current_spacing, initial, n, kBaseNumFeatures, kMaxNumFeatures3d,
                                           num_modalities, num_classes, reference_vram);
  fill_topology(stage, r.props);
  const Shape& patch = stage.patch_size;

  // Floor after doubling; the dataset cap is floored at kMinBatchSize (pitfall 4).
  auto batch = static_cast<int64_t>(
      std::floor(std::max(reference_vram / static_cast<double>(r.vram), 1.0) * kDefaultBatchSize3d));
  int64_t max_batch = np::round_half_even(kBatchCoversMaxFractionOfDataset * static_cast<double>(dataset_num_voxels) /
                                          static_cast<double>(product(patch)));
  max_batch = std::max(max_batch, kMinBatchSize);
  stage.batch_size = std::max<int64_t>(1, std::min(batch, max_batch));
  stage.do_dummy_2D_data_aug =
      static_cast<double>(*std::max_element(patch.begin(), patch.end())) / static_cast<double>(patch[0]) >
      kAnisotropyThreshold;
  return stage;
}

StagePlan stage_properties_2d(const std::vector<double>& current_spacing, const std::vector<double>& original_spacing,
                              const std::vector<double>& original_shape, int64_t num_cases, int64_t num_modalities,
                              int64_t num_classes, double reference_vram) {
  StagePlan stage;
  stage.current_spacing = current_spacing;
  stage.original_spacing = original_spacing;
  stage.median_patient_size_in_voxels = median_size_at(current_spacing, original_spacing, original_shape);
  const Shape& n = stage.median_patient_size_in_voxels;
  const int64_t dataset_num_voxels = product(n) * num_cases;
  const Shape in_plane(n.begin() + 1, n.end());
  const std::vector<double> in_plane_spacing(current_spacing.begin() + 1, current_spacing.end());

  // The first estimate uses 30 features, those in the loop 32 (pitfall 5).
  const ShrinkResult r = shrink_until_fits(in_plane_spacing, in_plane, in_plane, 30, kMaxNumFeatures2dPlanner,
                                           num_modalities, num_classes, reference_vram);
  fill_topology(stage, r.props);

  // Floor before doubling; no lower bound on the dataset cap (pitfall 4).
  const auto batch = static_cast<int64_t>(std::floor(reference_vram / static_cast<double>(r.vram)) * 2);  // v1 literal
  if (batch < kMinBatchSize) {
    throw Error("planner", "2d: batch size " + std::to_string(batch) + " < " + std::to_string(kMinBatchSize) +
                               " for patch of " + std::to_string(product(stage.patch_size)) + " voxels");
  }
  const int64_t max_batch =
      np::round_half_even(kBatchCoversMaxFractionOfDataset * static_cast<double>(dataset_num_voxels) /
                          static_cast<double>(product(stage.patch_size)));
  stage.batch_size = std::max<int64_t>(1, std::min(batch, max_batch));
  stage.do_dummy_2D_data_aug = false;
  return stage;
}

PlannerResult plan_3d_v21(const Fingerprint& fp, int64_t num_modalities, int64_t num_classes,
                          const PlannerOptions& options) {
  const double reference = scaled_reference(kReferenceVram3d, options);
  PlannerResult r;
  r.target_spacing = target_spacing_3d_v21(fp.spacings, fp.shapes_after_crop);
  compute_transposition(r.target_spacing, r.transpose_forward, r.transpose_backward);
  r.median_shape = median_scaled_shape(fp, r.target_spacing);
  const auto spacing_t = transposed(r.target_spacing, r.transpose_forward);
  const auto shape_t = transposed(r.median_shape, r.transpose_forward);

  const StagePlan fullres =
      stage_properties_3d(spacing_t, spacing_t, shape_t, fp.num_cases(), num_modalities, num_classes, reference);
  auto patch_voxels = static_cast<double>(product(fullres.patch_size));
  const double median_voxels = r.median_shape[0] * r.median_shape[1] * r.median_shape[2];
  std::optional<StagePlan> lowres;
  if (!(median_voxels / patch_voxels < kPatientFractionForLowres)) {
    // Grow the spacing by 1 % per step (only the finer axes while some axis is > 2x finer than the coarsest)
    // until the median case is at most 4 patches. A ratio of exactly 4 never enters the loop: no lowres (§6.8).
    std::array<double, 3> lowres_spacing = r.target_spacing;
    double num_voxels = median_voxels;
    while (num_voxels > kPatientFractionForLowres * patch_voxels) {
      const double max_spacing = *std::max_element(lowres_spacing.begin(), lowres_spacing.end());
      bool any_fine = false;
      for (double s : lowres_spacing) any_fine = any_fine || max_spacing / s > 2;
      for (double& s : lowres_spacing) {
        if (!any_fine || max_spacing / s > 2) s *= kLowresSpacingGrowth;
      }
      num_voxels = 1;
      for (size_t a = 0; a < 3; ++a) num_voxels *= r.target_spacing[a] / lowres_spacing[a] * r.median_shape[a];
      lowres = stage_properties_3d(transposed(lowres_spacing, r.transpose_forward), spacing_t, shape_t, fp.num_cases(),
                                   num_modalities, num_classes, reference);
      patch_voxels = static_cast<double>(product(lowres->patch_size));
      ++r.lowres_growth_steps;
    }
    if (lowres &&
        !(2 * product(lowres->median_patient_size_in_voxels) < product(fullres.median_patient_size_in_voxels))) {
      lowres.reset();
    }
  }
  if (lowres) r.stages.push_back(*lowres);
  r.stages.push_back(fullres);
  return r;
}

PlannerResult plan_2d_v21(const Fingerprint& fp, int64_t num_modalities, int64_t num_classes,
                          const PlannerOptions& options) {
  PlannerResult r;
  r.target_spacing = target_spacing_median(fp.spacings);  // no anisotropy rule in 2D (pitfall 6)
  compute_transposition(r.target_spacing, r.transpose_forward, r.transpose_backward);
  r.median_shape = median_scaled_shape(fp, r.target_spacing);
  const auto spacing_t = transposed(r.target_spacing, r.transpose_forward);
  const auto shape_t = transposed(r.median_shape, r.transpose_forward);
  r.stages.push_back(stage_properties_2d(spacing_t, spacing_t, shape_t, fp.num_cases(), num_modalities, num_classes,
                                         scaled_reference(kReferenceVram2d, options)));
  return r;
}

std::vector<Normalization> determine_normalization_schemes(const std::vector<std::string>& channel_names) {
  std::vector<Normalization> out;
  for (const auto& name : channel_names) {
    if (name == "CT" || name == "ct") {
      out.push_back(Normalization::kCT);
    } else if (name == "noNorm") {
      out.push_back(Normalization::kNone);
    } else {
      out.push_back(Normalization::kZScore);
    }
  }
  return out;
}

std::vector<bool> determine_use_mask_for_norm(const std::vector<std::string>& channel_names,
                                              double median_relative_size_after_cropping) {
  std::vector<bool> out;
  for (const auto& name : channel_names) {
    // Substring test, case-sensitive (pitfall 9): "CTA" never, "ct" possibly.
    const bool is_ct = name.find("CT") != std::string::npos;
    out.push_back(!is_ct && median_relative_size_after_cropping < 3 / 4.);
  }
  return out;
}

void check_planner_inputs(const Fingerprint& fp, const PlannerInputs& inputs, const std::string& fingerprint_file,
                          const std::string& dataset_file) {
  if (inputs.channel_names.empty()) throw InputError(dataset_file, "no channels");
  if (fp.spacings.empty() || fp.spacings.size() != fp.shapes_after_crop.size()) {
    throw InputError(fingerprint_file, "spacings and shapes_after_crop must list the same, non-zero number of cases");
  }
  const size_t props = fp.foreground_intensity_properties_per_channel.size();
  if (props != 0 && props != inputs.channel_names.size()) {
    throw InputError(fingerprint_file, "foreground_intensity_properties_per_channel has " + std::to_string(props) +
                                           " channels but " + dataset_file + " names " +
                                           std::to_string(inputs.channel_names.size()));
  }
  const auto schemes = determine_normalization_schemes(inputs.channel_names);
  for (size_t c = 0; c < schemes.size(); ++c) {
    if (schemes[c] == Normalization::kCT && props == 0) {
      throw InputError(fingerprint_file, "foreground_intensity_properties_per_channel is empty but channel " +
                                             std::to_string(c) + " ('" + inputs.channel_names[c] +
                                             "') needs them for CT normalisation");
    }
  }
}

Plans plan_experiment(const Fingerprint& fp, const PlannerInputs& inputs, const PlannerOptions& options,
                      std::string* log) {
  check_planner_inputs(fp, inputs);
  if (options.gpu_memory_gb && !(*options.gpu_memory_gb > 0)) {
    throw InputError("--gpu-memory-gb", std::to_string(*options.gpu_memory_gb) + ": expected a positive number");
  }
  const int64_t channels = inputs.num_channels();
  const int64_t classes = inputs.num_classes_with_background();
  const PlannerResult r3 = plan_3d_v21(fp, channels, classes, options);
  const PlannerResult r2 = plan_2d_v21(fp, channels, classes, options);
  if (r2.transpose_forward != r3.transpose_forward) {
    // Only when the anisotropy rule ties the coarse axis with another one; v1 would then transpose 2D data on its
    // own; nnseg's plans hold one transposition, the 3D planner's.
    log_warning("the 2D planner's transposition differs from the 3D planner's; using the 3D one");
  }
  const auto schemes = determine_normalization_schemes(inputs.channel_names);
  const auto mask = determine_use_mask_for_norm(inputs.channel_names, fp.median_relative_size_after_cropping);

  Plans plans;
  plans.dataset_name = inputs.dataset_name;
  plans.plans_name = options.plans_name;
  plans.transpose_forward = r3.transpose_forward;
  plans.transpose_backward = r3.transpose_backward;
  for (size_t a = 0; a < 3; ++a) {
    std::vector<double> spacing, shape;
    for (size_t c = 0; c < fp.spacings.size(); ++c) {
      spacing.push_back(fp.spacings[c][a]);
      shape.push_back(static_cast<double>(fp.shapes_after_crop[c][a]));
    }
    const auto t = static_cast<size_t>(r3.transpose_backward[a]);  // axis a lands at position backward[a]
    plans.original_median_spacing_after_transp[t] = np::median(spacing);
    plans.original_median_shape_after_transp[t] = np::round_half_even(np::median(shape));
  }
  plans.foreground_intensity_properties_per_channel = fp.foreground_intensity_properties_per_channel;

  const std::string prefix = options.plans_name + "_";
  const bool cascade = r3.stages.size() == 2;
  ConfigurationPlan fullres = to_configuration(r3.stages.back(), false, prefix + "3d_fullres", schemes, mask);
  fullres.batch_dice = cascade;  // §9: batch Dice for 3d_fullres only with more than one stage
  plans.configurations["3d_fullres"] = fullres;
  if (cascade) {
    ConfigurationPlan lowres = to_configuration(r3.stages.front(), false, prefix + "3d_lowres", schemes, mask);
    lowres.batch_dice = false;
    plans.configurations["3d_lowres"] = lowres;
  }
  ConfigurationPlan two_d = to_configuration(r2.stages.front(), true, prefix + "2d", schemes, mask);
  two_d.batch_dice = true;
  plans.configurations["2d"] = two_d;

  if (log) *log = format_plan_log(r3, r2, inputs, schemes, mask);
  return plans;
}

}  // namespace nnseg
