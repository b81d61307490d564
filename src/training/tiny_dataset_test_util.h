// Test helper (trainer_test, learning_slow_test): a tiny preprocessed dataset written directly in nnseg's layout —
// $nnUNet_preprocessed/Dataset<ID>_<Name>/{nnUNetPlans.json, dataset.json, <data_identifier>/CASE.npy/_seg.npy/.json}
// with one foreground class ("tumour"): a bright ball in a noisy brain-like cube.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/atomic_write.h"
#include "planning/plans.h"
#include "preprocessing/preprocess_case.h"

namespace nnseg::testing {

struct TinyDatasetOptions {
  int num_cases = 5;
  int64_t case_size = 20;  // cubic cases, voxels per axis
  int64_t patch = 16;      // cubic patch
  int64_t pools = 2;       // [2,2,2] poolings (stages = pools + 1)
  int64_t base_features = 4;
  int64_t batch_size = 2;
  int channels = 1;
  bool batch_dice = false;
  uint32_t seed = 7;
  float noise_sigma = 0.3f;      // N(0, sigma) everywhere
  float tumour_contrast = 1.5f;  // added to channel 0 inside the tumour (half of it to further channels)
  bool distractor = false;       // a second, non-tumour ball as bright as the tumour in channel 0 only
};

inline Plans tiny_plans(const TinyDatasetOptions& o) {
  Plans p;
  p.dataset_name = "Tiny";
  p.original_median_spacing_after_transp = {1, 1, 1};
  p.original_median_shape_after_transp = {o.case_size, o.case_size, o.case_size};
  ConfigurationPlan c;
  c.data_identifier = "nnUNetPlans_3d_fullres";
  c.batch_size = o.batch_size;
  c.patch_size = {o.patch, o.patch, o.patch};
  c.median_image_size_in_voxels = {o.case_size, o.case_size, o.case_size};
  c.spacing = {1, 1, 1};
  c.normalization_schemes.assign(static_cast<size_t>(o.channels), Normalization::kZScore);
  c.use_mask_for_norm.assign(static_cast<size_t>(o.channels), false);
  c.unet_base_num_features = o.base_features;
  c.unet_max_num_features = 320;
  c.n_conv_per_stage_encoder.assign(static_cast<size_t>(o.pools + 1), 2);
  c.n_conv_per_stage_decoder.assign(static_cast<size_t>(o.pools), 2);
  c.num_pool_per_axis = {o.pools, o.pools, o.pools};
  c.pool_op_kernel_sizes.assign(static_cast<size_t>(o.pools), {2, 2, 2});
  c.conv_kernel_sizes.assign(static_cast<size_t>(o.pools + 1), {3, 3, 3});
  c.batch_dice = o.batch_dice;
  p.configurations["3d_fullres"] = c;
  p.foreground_intensity_properties_per_channel.assign(static_cast<size_t>(o.channels), IntensityStats{});
  return p;
}

// Case i: noise N(0, noise_sigma) everywhere, a ball of radius ~size/5 (label 1) at a case-dependent place, where
// channel 0 is raised by tumour_contrast (further channels by half of it); with `distractor`, a second ball, mirrored
// through the centre, raised in channel 0 only (label 0). Class locations list every tumour voxel.
inline PreprocessedCase tiny_case(const TinyDatasetOptions& o, int i) {
  const int64_t n = o.case_size;
  PreprocessedCase pc;
  pc.data = Array4f({o.channels, n, n, n});
  pc.seg = Array4<int8_t>({1, n, n, n});
  std::mt19937 rng(o.seed * 1000u + static_cast<uint32_t>(i));
  std::normal_distribution<float> noise(0.0f, o.noise_sigma);
  std::uniform_real_distribution<double> where(0.3, 0.7);
  const double cz = where(rng) * static_cast<double>(n), cy = where(rng) * static_cast<double>(n),
               cx = where(rng) * static_cast<double>(n);
  const double r = static_cast<double>(n) / 5.0 + where(rng) * 2.0;
  ClassLocations loc{1, {}};
  for (int64_t z = 0; z < n; ++z) {
    for (int64_t y = 0; y < n; ++y) {
      for (int64_t x = 0; x < n; ++x) {
        const double d = std::sqrt((z - cz) * (z - cz) + (y - cy) * (y - cy) + (x - cx) * (x - cx));
        const bool tumour = d <= r;
        const double dz = z - (static_cast<double>(n) - cz), dy = y - (static_cast<double>(n) - cy),
                     dx = x - (static_cast<double>(n) - cx);
        const bool distractor = o.distractor && !tumour && std::sqrt(dz * dz + dy * dy + dx * dx) <= r;
        pc.seg.at(0, z, y, x) = tumour ? 1 : 0;
        if (tumour) loc.voxels.push_back({z, y, x});
        for (int c = 0; c < o.channels; ++c) {
          const float raise = c == 0 ? o.tumour_contrast : 0.5f * o.tumour_contrast;
          pc.data.at(c, z, y, x) = noise(rng) + (tumour ? raise : 0.0f) + (distractor && c == 0 ? raise : 0.0f);
        }
      }
    }
  }
  pc.properties.class_locations.push_back(loc);
  pc.properties.use_nonzero_mask_for_norm.assign(static_cast<size_t>(o.channels), false);
  pc.properties.size_after_resampling = {n, n, n};
  pc.properties.crop.size_after_cropping = {n, n, n};
  pc.properties.crop.original_size_of_raw_data = {n, n, n};
  pc.properties.crop.crop_bbox = {{{0, n}, {0, n}, {0, n}}};
  return pc;
}

inline std::string tiny_case_id(int i) { return "case_" + std::string(i < 10 ? "00" : "0") + std::to_string(i); }

// Writes the dataset under <preprocessed_root>/Dataset<id>_Tiny and returns that folder.
inline std::filesystem::path write_tiny_dataset(const std::filesystem::path& preprocessed_root,
                                                const TinyDatasetOptions& o = {}, int id = 1) {
  const std::string name = "Dataset" + std::string(id < 10 ? "00" : id < 100 ? "0" : "") + std::to_string(id) + "_Tiny";
  const std::filesystem::path folder = preprocessed_root / name;
  std::filesystem::create_directories(folder);
  save_plans(folder / "nnUNetPlans.json", tiny_plans(o));
  std::string channels;
  for (int c = 0; c < o.channels; ++c)
    channels += (c ? ", " : "") + std::string("\"") + std::to_string(c) + "\": \"C" + std::to_string(c) + "\"";
  write_file_atomically(folder / "dataset.json",
                        "{\"channel_names\": {" + channels +
                            "}, \"labels\": {\"background\": 0, \"tumour\": 1}, \"numTraining\": " +
                            std::to_string(o.num_cases) + ", \"file_ending\": \".nii.gz\", \"name\": \"Tiny\"}\n");
  for (int i = 0; i < o.num_cases; ++i) {
    save_preprocessed_case(folder / "nnUNetPlans_3d_fullres", tiny_case_id(i), tiny_case(o, i));
  }
  return folder;
}

}  // namespace nnseg::testing
