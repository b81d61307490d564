// A tiny synthetic v2 raw dataset for the end-to-end tests, and the environment that points nnseg at it.
// Six 4-channel cases of 16 x 20 x 24 voxels: cases 2-5 are padded with zeros (so cropping removes a margin and the
// median size reduction is < 3/4, turning the nonzero mask on), and case 5 has a coarser in-plane spacing (so it is
// resampled).
#pragma once

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"
#include "io/json_file.h"
#include "io/nifti.h"
#include "testing/synthetic_volume.h"
#include "testing/temp_dir.h"

namespace nnseg::e2e {

namespace fs = std::filesystem;

constexpr std::array<int64_t, 3> kShape{16, 20, 24};  // voxels of a case before padding, (z, y, x)
constexpr std::array<int64_t, 3> kPadding{2, 3, 4};   // zero voxels added on both sides of a padded case
constexpr int kChannels = 4;

// `image` placed at offset `kPadding` in a zero volume `2 * kPadding` larger.
inline Image pad(const Image& image) {
  const std::array<int64_t, 3> big{image.shape[0] + 2 * kPadding[0], image.shape[1] + 2 * kPadding[1],
                                   image.shape[2] + 2 * kPadding[2]};
  Image out(image.type, big, image.geometry);
  const size_t bytes = pixel_size_bytes(image.type);
  for (int64_t z = 0; z < image.shape[0]; ++z) {
    for (int64_t y = 0; y < image.shape[1]; ++y) {
      for (int64_t x = 0; x < image.shape[2]; ++x) {
        const int64_t to = out.index(z + kPadding[0], y + kPadding[1], x + kPadding[2]);
        std::memcpy(out.bytes.data() + to * bytes, image.bytes.data() + image.index(z, y, x) * bytes, bytes);
      }
    }
  }
  return out;
}

inline std::string case_id(int i) { return "case_" + std::to_string(i); }

// Writes `root`/Dataset042_Tiny with `cases` cases (see the file comment); returns the dataset folder.
inline fs::path write_tiny_dataset(const fs::path& root, int cases = 6) {
  const fs::path dataset = root / "Dataset042_Tiny";
  std::vector<std::string> ids;
  for (int i = 0; i < cases; ++i) ids.push_back(case_id(i));
  testing::RawCaseOptions options;
  options.shape_zyx = kShape;
  options.num_channels = kChannels;
  testing::write_raw_dataset(dataset, ids, options);
  for (int i = 2; i < cases; ++i) {
    Geometry g = testing::test_geometry();
    if (i == 5) g.spacing = {1.0, 1.0, 3.0};  // ITK order (x, y, z)
    for (int c = 0; c < kChannels; ++c) {
      char name[64];
      std::snprintf(name, sizeof(name), "%s_%04d.nii.gz", case_id(i).c_str(), c);
      Image image = read_nifti(dataset / "imagesTr" / name);
      image.geometry = g;
      write_nifti(dataset / "imagesTr" / name, pad(image));
    }
    Image label = read_nifti(dataset / "labelsTr" / (case_id(i) + ".nii.gz"));
    label.geometry = g;
    write_nifti(dataset / "labelsTr" / (case_id(i) + ".nii.gz"), pad(label));
  }
  return dataset;
}

// A raw root with the tiny dataset and an empty preprocessed root, plus the environment naming them.
struct TinyEnvironment {
  testing::TempDir dir;
  fs::path raw_root = dir / "raw";
  fs::path pre_root = dir / "preprocessed";
  fs::path raw;
  fs::path pre = pre_root / "Dataset042_Tiny";

  explicit TinyEnvironment(int cases = 6) : raw(write_tiny_dataset(raw_root, cases)) {
    fs::create_directories(pre_root);
  }
  std::vector<std::string> env() const {
    return {"nnUNet_raw=" + raw_root.string(), "nnUNet_preprocessed=" + pre_root.string(),
            "nnUNet_raw_data_base=", "nnUNet_results=", "RESULTS_FOLDER="};
  }
  testing::CommandResult nnseg(const std::vector<std::string>& args) const { return testing::run_nnseg(args, env()); }
};

}  // namespace nnseg::e2e
