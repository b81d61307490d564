// nnU-Net v1's DataLoader3D (spec/training.md §6): batches of patches cut from the preprocessed cases
// <data_identifier>/CASE.npy, CASE_seg.npy (memory-mapped) and CASE.json, with foreground oversampling and constant
// padding. Plain float32/int8 buffers, no LibTorch: augmentation and the trainer wrap them with torch::from_blob.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace nnseg {

// nnU-Net v1 get_patch_size (spec/training.md §7.1): the final patch extent rotated by each axis's largest angle
// (capped at 90°) about that axis alone, the element-wise maximum of |rotated| and the patch, divided by
// `scale_min` and truncated. `final_patch` has 3 values (rotations about axes 0, 1, 2) or 2 (only
// max_rotation_rad[0] is used, as the 2D rule). Angles in radians, as the largest |angle| of each range.
std::vector<int64_t> basic_generator_patch_size(const std::vector<int64_t>& final_patch,
                                                const std::array<double, 3>& max_rotation_rad, double scale_min);

// The training loader patch of nnUNetTrainerV2 for a 3D patch: rotations ±30° and the default scale minimum 0.85
// (205³ for 128³). With `dummy_2d` (do_dummy_2D_data_aug): axis 0 kept, the 2D rule with ±180° on axes 1 and 2.
std::vector<int64_t> v2_loader_patch_size(const std::vector<int64_t>& final_patch, bool dummy_2d);

// Where a loader window may start on each axis (z, y, x), both bounds inclusive (spec/training.md §6.4).
struct WindowBounds {
  std::array<int64_t, 3> lower{0, 0, 0};  // floor(-need / 2), voxels, may be negative
  std::array<int64_t, 3> upper{0, 0, 0};  // S + floor(need / 2) + need % 2 - P, voxels
};

// Bounds for a case of spatial shape `case_shape` with loader patch P and final patch F (need = P - F, raised to
// P - S when the case is smaller than the patch), all (z, y, x).
WindowBounds window_bounds(const std::array<int64_t, 3>& case_shape, const std::array<int64_t, 3>& loader_patch,
                           const std::array<int64_t, 3>& final_patch);

// Start of a forced-foreground window around `voxel`: max(lower, voxel - P // 2) per axis, deliberately not clamped
// to the upper bound (nnU-Net v1; the overhang is padded).
std::array<int64_t, 3> forced_window_start(const std::array<int64_t, 3>& voxel, const WindowBounds& bounds,
                                           const std::array<int64_t, 3>& loader_patch);

// v1 get_do_oversample: sample `sample` of a batch is forced foreground iff
// not sample < round(batch_size * (1 - oversample_percent)) (Python round, half to even).
bool is_forced_foreground(int64_t sample, int64_t batch_size, double oversample_percent);

// A 64-bit seed for the random stream of batch `index` of stream `stream` (training, validation, ...) of a run
// seeded `seed` (splitmix64 mixing). Batches depend only on it, not on which thread makes them.
uint64_t batch_seed(uint64_t seed, uint64_t stream, int64_t index);

// One batch of loader patches.
struct Batch {
  int64_t index = 0;                          // batch index its random stream was derived from
  std::array<int64_t, 5> data_shape{};        // [B, C, Z, Y, X], spatial = the loader patch
  std::vector<float> data;                    // data_shape elements, C order; 0 in the padding
  std::vector<int8_t> seg;                    // [B, 1, Z, Y, X], C order; -1 outside the nonzero mask and in padding
  std::vector<std::string> case_ids;          // per sample: the case it was cut from
  std::vector<bool> forced_foreground;        // per sample: drawn by the forced-foreground rule (§6.3)
  std::vector<std::array<int64_t, 3>> start;  // per sample: case voxel (z, y, x) at patch index 0; may be negative

  int64_t batch_size() const { return data_shape[0]; }
  std::array<int64_t, 5> seg_shape() const { return {data_shape[0], 1, data_shape[2], data_shape[3], data_shape[4]}; }
};

struct DataLoaderOptions {
  std::array<int64_t, 3> patch_size{0, 0, 0};         // final patch F, voxels (z, y, x)
  std::array<int64_t, 3> loader_patch_size{0, 0, 0};  // P >= F per axis: the enlarged "basic generator" patch
                                                      // for training (v2_loader_patch_size), F for validation
  int64_t batch_size = 2;                             // samples per batch
  double oversample_foreground_percent = 0.33;        // share of forced-foreground samples, at the batch's end
  uint64_t seed = 12345;                              // run seed (--seed)
  uint64_t stream = 0;                                // separates loaders of one run (e.g. 0 train, 1 validation)
  std::vector<int> foreground_classes;  // classes a forced sample may centre on; empty: every class > 0 listed
                                        // in CASE.json's class_locations (as v1)
  bool memmap = true;                   // map the .npy files (v1 mmap_mode 'r'); false: read them whole
  float pad_data = 0.0f;                // image value outside the case (v1 trainer: constant 0)
  int8_t pad_seg = -1;                  // label value outside the case (constant -1)
};

// Cuts batches from a fixed list of preprocessed cases. make_batch is const and safe to call from several threads.
class DataLoader3D {
 public:
  // Opens <folder>/<id>.npy, <id>_seg.npy and <id>.json for every id (order kept; draws pick among them).
  // InputError naming the file and value for: a missing file, a data array that is not float32 [C,Z,Y,X], a seg
  // that is not int8 [1,Z,Y,X] of the same spatial shape, cases with different channel counts, a class location
  // outside its case; and for an empty id list or bad options (loader patch smaller than the patch, batch < 1,
  // oversampling outside [0, 1]).
  DataLoader3D(const std::filesystem::path& folder, std::vector<std::string> case_ids, DataLoaderOptions options);
  ~DataLoader3D();
  DataLoader3D(DataLoader3D&&) noexcept;
  DataLoader3D& operator=(DataLoader3D&&) noexcept;
  DataLoader3D(const DataLoader3D&) = delete;
  DataLoader3D& operator=(const DataLoader3D&) = delete;

  // Batch `index`, from its own random stream batch_seed(seed, stream, index): cases drawn uniformly with
  // replacement, then per sample either a uniform window in the bounds or, for forced samples of cases with
  // foreground, a window around a stored voxel of a uniformly chosen class (spec/training.md §6.3, §6.4).
  Batch make_batch(int64_t index) const;
  // The same batch written into `batch`, reusing its buffers: a producer thread that keeps one Batch for the loader
  // output saves the allocation and zero-filling of ~290 MB per BraTS batch (more than the copying itself).
  void fill_batch(int64_t index, Batch& batch) const;
  // make_batch(0), make_batch(1), ... (not thread-safe).
  Batch next_batch() { return make_batch(next_index_++); }

  const DataLoaderOptions& options() const { return options_; }
  int64_t channels() const { return channels_; }
  size_t num_cases() const;
  // Spatial shape (z, y, x) of case `i` in constructor order.
  std::array<int64_t, 3> case_shape(size_t i) const;

 private:
  struct Case;
  void cut_sample(const Case& c, const std::array<int64_t, 3>& start, float* data, int8_t* seg) const;

  DataLoaderOptions options_;
  std::vector<std::unique_ptr<Case>> cases_;
  int64_t channels_ = 0;
  int64_t next_index_ = 0;
};

}  // namespace nnseg
