// Plans: nnseg's nnUNetPlans.json (spec/cli.md, spec/planning.md §10.3), the flat nnU-Net v2.0-2.2 layout filled
// with nnU-Net v1's numbers. load_plans checks everything once; code after it trusts the struct.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fingerprint/intensity_stats.h"
#include "io/json_file.h"

namespace nnseg {

// Per-channel intensity normalisation (spec/preprocessing.md §3). Written with v2's class names; v1's names
// (nonCT, CT, noNorm) are accepted when reading.
enum class Normalization { kZScore, kCT, kNone };
std::string to_string(Normalization n);  // ZScoreNormalization, CTNormalization, NoNormalization
// Parses a v2 class name or a v1 scheme name; std::nullopt for anything else.
std::optional<Normalization> parse_normalization(const std::string& name);

// One configuration (2d, 3d_fullres, 3d_lowres). Arrays are in transposed array order (transpose_forward);
// 2d holds the two in-plane axes only.
struct ConfigurationPlan {
  std::string data_identifier;                             // preprocessed data folder, e.g. nnUNetPlans_3d_fullres
  int64_t batch_size = 0;                                  // patches per training step
  std::vector<int64_t> patch_size;                         // voxels per axis (2 or 3 values)
  std::vector<int64_t> median_image_size_in_voxels;        // median case size at `spacing`, voxels
  std::vector<double> spacing;                             // target spacing, mm
  std::vector<Normalization> normalization_schemes;        // one per channel
  std::vector<bool> use_mask_for_norm;                     // one per channel: normalise inside the nonzero mask only
  int64_t unet_base_num_features = 32;                     // features of the first stage
  int64_t unet_max_num_features = 320;                     // cap on features per stage (320 for 3D, 480 for 2d)
  std::vector<int64_t> n_conv_per_stage_encoder;           // convs per encoder stage, len(pool_op_kernel_sizes) + 1
  std::vector<int64_t> n_conv_per_stage_decoder;           // convs per decoder stage, len(pool_op_kernel_sizes)
  std::vector<int64_t> num_pool_per_axis;                  // poolings per axis
  std::vector<std::vector<int64_t>> pool_op_kernel_sizes;  // one per pooling (v1 form, no stem entry)
  std::vector<std::vector<int64_t>> conv_kernel_sizes;     // one per stage, len(pool_op_kernel_sizes) + 1
  bool batch_dice = false;                                 // Dice over the whole batch (true) or per sample (false)
  bool do_dummy_2D_data_aug = false;                       // 2D-style augmentation of an anisotropic 3D patch

  size_t dim() const { return patch_size.size(); }
};

struct Plans {
  std::string dataset_name;                                      // DatasetXXX_Name, or dataset.json `name`, or ""
  std::string plans_name = "nnUNetPlans";                        // plans identifier
  std::array<double, 3> original_median_spacing_after_transp{};  // mm, median raw spacing, transposed
  std::array<int64_t, 3> original_median_shape_after_transp{};   // voxels, median cropped shape, transposed
  std::array<int, 3> transpose_forward{0, 1, 2};                 // array axes -> plan axes (largest spacing first)
  std::array<int, 3> transpose_backward{0, 1, 2};                // inverse of transpose_forward
  std::map<std::string, ConfigurationPlan> configurations;       // "2d", "3d_fullres", "3d_lowres" (when planned)
  std::vector<IntensityStats> foreground_intensity_properties_per_channel;  // copied from the fingerprint

  // The named configuration; InputError listing the planned ones when it is absent. `file` names the plans file.
  const ConfigurationPlan& configuration(const std::string& name, const std::string& file = "nnUNetPlans.json") const;
};

// JSON in the layout of spec/planning.md §10.3 (key order as there).
OrderedJson plans_to_json(const Plans& plans);
// Checks types, lengths, ranges, consistency and unknown keys; InputError "<file>: <key> = <value>: expected ...".
Plans plans_from_json(const OrderedJson& json, const std::string& file);

Plans load_plans(const std::filesystem::path& path);
void save_plans(const std::filesystem::path& path, const Plans& plans);  // atomic

}  // namespace nnseg
