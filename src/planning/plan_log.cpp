// Planner log text (planning/plan_log.h), Python/NumPy-like number formatting.
#include "planning/plan_log.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace nnseg {

namespace {

// A float as NumPy prints array elements: "1." for integral values, else up to 8 decimals without trailing zeros.
std::string numpy_float(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e16) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f.", v);
    return buf;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.8f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

template <typename T>
std::string int_list(const std::vector<T>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string float_list(const std::vector<double>& v, const char* separator) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? separator : "") + numpy_float(v[i]);
  return s + "]";
}

std::string kernel_list(const KernelList& k) {
  std::string s = "[";
  for (size_t i = 0; i < k.size(); ++i) s += (i ? ", " : "") + int_list(k[i]);
  return s + "]";
}

template <typename T>
std::string by_channel(const std::vector<T>& values, std::string (*show)(T)) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(i) + ": " + show(values[i]);
  return s + "}";
}

std::string show_bool(bool b) { return b ? "True" : "False"; }
std::string show_scheme(Normalization n) {
  switch (n) {
    case Normalization::kCT:
      return "'CT'";
    case Normalization::kNone:
      return "'noNorm'";
    case Normalization::kZScore:
      break;
  }
  return "'nonCT'";
}

std::vector<double> as_vector(const std::array<double, 3>& a) { return {a[0], a[1], a[2]}; }
std::vector<int> as_vector(const std::array<int, 3>& a) { return {a[0], a[1], a[2]}; }

void planner_block(std::ostringstream& out, const std::string& title, const PlannerResult& r,
                   const std::vector<std::string>& stage_names) {
  out << title << "\n";
  out << "the target spacing of the dataset is  " << float_list(as_vector(r.target_spacing), " ") << "\n";
  out << "the median shape of the dataset is  " << float_list(as_vector(r.median_shape), " ") << "\n";
  const std::vector<double> t = {r.median_shape[r.transpose_forward[0]], r.median_shape[r.transpose_forward[1]],
                                 r.median_shape[r.transpose_forward[2]]};
  out << "the transposed median shape of the dataset is  " << float_list(t, " ") << "\n";
  if (r.lowres_growth_steps > 0) out << "3d_lowres searched in " << r.lowres_growth_steps << " spacing steps of 1%\n";
  for (size_t s = 0; s < r.stages.size(); ++s) {
    out << "stage " << s << " (" << stage_names[s] << "): " << format_stage_plan(r.stages[s]) << "\n";
  }
  out << "transpose forward " << int_list(as_vector(r.transpose_forward)) << "\n";
  out << "transpose backward " << int_list(as_vector(r.transpose_backward)) << "\n";
}

}  // namespace

std::string format_stage_plan(const StagePlan& stage) {
  std::ostringstream s;
  s << "{'batch_size': " << stage.batch_size << ", 'num_pool_per_axis': " << int_list(stage.num_pool_per_axis)
    << ", 'patch_size': " << int_list(stage.patch_size)
    << ", 'median_patient_size_in_voxels': " << int_list(stage.median_patient_size_in_voxels)
    << ", 'current_spacing': " << float_list(stage.current_spacing, ", ")
    << ", 'original_spacing': " << float_list(stage.original_spacing, ", ")
    << ", 'do_dummy_2D_data_aug': " << show_bool(stage.do_dummy_2D_data_aug)
    << ", 'pool_op_kernel_sizes': " << kernel_list(stage.pool_op_kernel_sizes)
    << ", 'conv_kernel_sizes': " << kernel_list(stage.conv_kernel_sizes) << "}";
  return s.str();
}

std::string format_plan_log(const PlannerResult& plan_3d, const PlannerResult& plan_2d, const PlannerInputs& inputs,
                            const std::vector<Normalization>& schemes, const std::vector<bool>& use_mask_for_norm) {
  std::ostringstream out;
  std::string modalities = "{";
  for (size_t i = 0; i < inputs.channel_names.size(); ++i) {
    modalities += (i ? ", " : "") + std::to_string(i) + ": '" + inputs.channel_names[i] + "'";
  }
  out << "modalities: " << modalities << "}\n";
  out << "normalization schemes: " << by_channel(schemes, show_scheme) << "\n";
  out << "Are we using the nonzero mask for normalization? " << by_channel(use_mask_for_norm, show_bool) << "\n";
  out << "we don't want feature maps smaller than  4  in the bottleneck\n";
  const std::vector<std::string> names_3d = plan_3d.stages.size() == 2
                                                ? std::vector<std::string>{"3d_lowres", "3d_fullres"}
                                                : std::vector<std::string>{"3d_fullres"};
  planner_block(out, "ExperimentPlanner3D_v21", plan_3d, names_3d);
  planner_block(out, "ExperimentPlanner2D_v21", plan_2d, {"2d"});
  return out.str();
}

}  // namespace nnseg
