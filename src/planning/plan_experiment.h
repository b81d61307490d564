// The experiment planner: nnU-Net v1 ExperimentPlanner3D_v21 (3d_fullres, 3d_lowres) and ExperimentPlanner2D_v21
// (2d) on a Fingerprint and the dataset.json inputs -> Plans (spec/planning.md §5-§9, §10.3).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fingerprint/fingerprint.h"
#include "planning/network_topology.h"
#include "planning/planner_inputs.h"
#include "planning/plans.h"

namespace nnseg {

// VRAM references of nnU-Net v1 (spec/planning.md §6.1, §7): feature-map voxel counts that fit the GPU nnU-Net
// was tuned for. nnseg takes them to correspond to kReferenceGpuMemoryGb (nnU-Net v2's value for its references of
// almost the same size).
constexpr double kReferenceVram3d = 520000000.0 * 32 / 30;  // 554 666 666.67: 520e6 calibrated for 30 features
constexpr double kReferenceVram2d = 19739648.0 * 50 / 2;    // 493 491 200
constexpr double kReferenceGpuMemoryGb = 8.0;

struct PlannerOptions {
  // GPU memory to plan for, GB. Unset: nnU-Net v1's references unchanged (its plans, bit for bit). Set: both
  // references are scaled by gpu_memory_gb / kReferenceGpuMemoryGb (8 gives v1's plans too).
  std::optional<double> gpu_memory_gb;
  std::string plans_name = "nnUNetPlans";  // plans identifier; data identifiers are <plans_name>_<configuration>
};

// One entry of v1's plans_per_stage (spec/planning.md §6.5 table). Arrays are transposed.
struct StagePlan {
  int64_t batch_size = 0;
  std::vector<int> num_pool_per_axis;
  Shape patch_size;                      // voxels (2 values for the 2D planner)
  Shape median_patient_size_in_voxels;   // voxels, 3 values
  std::vector<double> current_spacing;   // mm, 3 values (also for 2D, as v1)
  std::vector<double> original_spacing;  // mm, the fullres target spacing
  bool do_dummy_2D_data_aug = false;
  KernelList pool_op_kernel_sizes;
  KernelList conv_kernel_sizes;
};

// One v1 planner's outcome.
struct PlannerResult {
  std::array<double, 3> target_spacing{};  // mm, untransposed (z, y, x)
  std::array<double, 3> median_shape{};    // per-axis median of the spacing-scaled case sizes, untransposed
  std::array<int, 3> transpose_forward{0, 1, 2};
  std::array<int, 3> transpose_backward{0, 1, 2};
  std::vector<StagePlan> stages;  // v1 order: stage 0 first (3D: 3d_lowres, then 3d_fullres, when two stages)
  int lowres_growth_steps = 0;    // ×1.01 spacing steps taken to find 3d_lowres (0 when not searched)
};

// Target spacing of ExperimentPlanner3D_v21: per-axis median, then the anisotropy rule (§6.2).
std::array<double, 3> target_spacing_3d_v21(const std::vector<std::array<double, 3>>& spacings,
                                            const std::vector<std::array<int64_t, 3>>& sizes);
// Target spacing of the base / 2D planner: the plain per-axis median (np.percentile 50).
std::array<double, 3> target_spacing_median(const std::vector<std::array<double, 3>>& spacings);
// Transposition for a target spacing (§6.3): the largest-spacing axis first.
void compute_transposition(const std::array<double, 3>& target_spacing, std::array<int, 3>& forward,
                           std::array<int, 3>& backward);

// get_properties_for_stage of the 3D and 2D v2.1 planners. Spacings and shape transposed; `reference_vram` is
// kReferenceVram3d / kReferenceVram2d (possibly scaled).
StagePlan stage_properties_3d(const std::vector<double>& current_spacing, const std::vector<double>& original_spacing,
                              const std::vector<double>& original_shape, int64_t num_cases, int64_t num_modalities,
                              int64_t num_classes, double reference_vram);
StagePlan stage_properties_2d(const std::vector<double>& current_spacing, const std::vector<double>& original_spacing,
                              const std::vector<double>& original_shape, int64_t num_cases, int64_t num_modalities,
                              int64_t num_classes, double reference_vram);

// The two planners. num_classes counts background (K).
PlannerResult plan_3d_v21(const Fingerprint& fingerprint, int64_t num_modalities, int64_t num_classes,
                          const PlannerOptions& options = {});
PlannerResult plan_2d_v21(const Fingerprint& fingerprint, int64_t num_modalities, int64_t num_classes,
                          const PlannerOptions& options = {});

// §5: scheme by channel name (CT/ct -> CT, noNorm -> none, else z-score); mask for channels without the
// substring "CT" when the median size reduction is below 3/4.
std::vector<Normalization> determine_normalization_schemes(const std::vector<std::string>& channel_names);
std::vector<bool> determine_use_mask_for_norm(const std::vector<std::string>& channel_names,
                                              double median_relative_size_after_cropping);

// Fingerprint and dataset.json must agree (channel count of the intensity statistics, statistics for CT
// channels); InputError naming the file otherwise.
void check_planner_inputs(const Fingerprint& fingerprint, const PlannerInputs& inputs,
                          const std::string& fingerprint_file = "dataset_fingerprint.json",
                          const std::string& dataset_file = "dataset.json");

// Both planners and the assembly of nnseg's plans (§10.3). With `log`, also the planners' log text (plan_log.h).
Plans plan_experiment(const Fingerprint& fingerprint, const PlannerInputs& inputs, const PlannerOptions& options = {},
                      std::string* log = nullptr);

}  // namespace nnseg
