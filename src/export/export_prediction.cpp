// Export of predicted probabilities to the original geometry (export/export_prediction.h), as nnU-Net v1
// save_segmentation_nifti_from_softmax with its defaults: order 1, order_z 0, separate z decided automatically
// (spec/inference.md §7).
#include "export/export_prediction.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>

#include "core/error.h"
#include "export/label_map.h"
#include "io/nifti.h"
#include "preprocessing/resample.h"

namespace nnseg {
namespace {

template <typename T, size_t N>
std::string format_list(const std::array<T, N>& values) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < N; ++i) s << (i ? ", " : "") << values[i];
  s << "]";
  return s.str();
}

// What errors about a case's probabilities name when no output file is given.
std::string case_item(const CaseProperties& properties) {
  if (!properties.list_of_data_files.empty()) return properties.list_of_data_files.front();
  if (!properties.seg_file.empty()) return properties.seg_file;
  return "prediction";
}

void check_permutation(const std::array<int, 3>& order, const std::string& item) {
  std::array<bool, 3> seen{false, false, false};
  for (int a : order) {
    if (a < 0 || a > 2 || seen[static_cast<size_t>(a)]) {
      throw InputError(item, "transpose_backward " + format_list(order) + " is not a permutation of 0, 1, 2");
    }
    seen[static_cast<size_t>(a)] = true;
  }
}

// The crop box must hold `extent` voxels per axis inside the original image (v1 assigns the array into
// seg_old_size[lo:lo + extent], which fails when the box sticks out).
void check_crop(const CropProperties& crop, const std::array<int64_t, 3>& extent, const std::string& item) {
  for (size_t a = 0; a < 3; ++a) {
    const int64_t lo = crop.crop_bbox[a][0], hi = crop.crop_bbox[a][1];
    const int64_t size = crop.original_size_of_raw_data[a];
    if (lo < 0 || hi - lo != extent[a] || hi > size || extent[a] < 1) {
      std::ostringstream msg;
      msg << "crop_bbox axis " << a << " = [" << lo << ", " << hi << ") does not hold the " << extent[a]
          << " voxels of the cropped prediction inside original_size_of_raw_data "
          << format_list(crop.original_size_of_raw_data);
      throw InputError(item, msg.str());
    }
  }
}

// v1 resample_data_or_seg(is_seg=False, order=1, order_z=0) on every channel.
Array4f resample_probabilities(const Array4f& probs, const std::array<int64_t, 3>& new_shape,
                               std::optional<int> separate_axis, int threads) {
  const std::array<int64_t, 3> shape = probs.spatial();
  Array4f out({probs.channels(), new_shape[0], new_shape[1], new_shape[2]});
  for (int64_t c = 0; c < probs.channels(); ++c) {
    if (!separate_axis.has_value()) {
      resize_linear(probs.channel(c), shape, out.channel(c), new_shape, threads);
      continue;
    }
    // In-plane linear per slice along `axis` (the axis keeps its length, so the passes never mix slices), then
    // nearest neighbour along it (map_coordinates order 0, mode 'nearest').
    const int axis = *separate_axis;
    std::array<int64_t, 3> in_plane = new_shape;
    in_plane[static_cast<size_t>(axis)] = shape[static_cast<size_t>(axis)];
    if (in_plane == new_shape) {
      resize_linear(probs.channel(c), shape, out.channel(c), new_shape, threads);
      continue;
    }
    std::vector<float> tmp(static_cast<size_t>(in_plane[0] * in_plane[1] * in_plane[2]));
    resize_linear(probs.channel(c), shape, tmp.data(), in_plane, threads);
    resize_nearest(tmp.data(), in_plane, out.channel(c), new_shape, threads);
  }
  return out;
}

Array4f to_original_spacing(const Array4f& probs, const CaseProperties& properties,
                            const std::array<int, 3>& transpose_backward, int threads, const std::string& item) {
  if (probs.channels() < 1) {
    throw InputError(item,
                     "the probabilities have " + std::to_string(probs.channels()) + " channels; expected at least 1");
  }
  const std::array<int64_t, 3> shape = probs.spatial();
  NNSEG_CHECK(static_cast<int64_t>(probs.values.size()) == probs.numel()) << "Array4 with a wrong value count";
  check_permutation(transpose_backward, item);
  const std::array<int64_t, 3>& resampled_size = properties.size_after_resampling;
  const bool have_resampled_size =
      std::all_of(resampled_size.begin(), resampled_size.end(), [](int64_t v) { return v > 0; });
  if (std::any_of(shape.begin(), shape.end(), [](int64_t v) { return v < 1; }) ||
      (have_resampled_size && shape != resampled_size)) {
    throw InputError(item, "probabilities of spatial shape " + format_list(shape) +
                               " do not match size_after_resampling " + format_list(resampled_size) +
                               " of the case properties");
  }
  const std::array<int64_t, 3>& target_shape = properties.crop.size_after_cropping;
  if (std::any_of(target_shape.begin(), target_shape.end(), [](int64_t v) { return v < 1; })) {
    throw InputError(item, "size_after_cropping " + format_list(target_shape) + " has an empty axis");
  }

  const std::array<int, 3>& back = transpose_backward;
  const bool identity = back[0] == 0 && back[1] == 1 && back[2] == 2;
  Array4f transposed = identity ? probs : transpose_spatial(probs, back);
  if (transposed.spatial() == target_shape) return transposed;  // v1: "no resampling necessary"

  // v1 decides on original_spacing first, then on spacing_after_resampling. v1 passes the latter as stored
  // (transposed order) although the array is already transposed back; here it is transposed back, so the
  // low-resolution axis indexes the array it is applied to (the same for an identity transposition).
  const std::array<double, 3>& t = properties.spacing_after_resampling;
  const std::array<double, 3> target_spacing{t[static_cast<size_t>(back[0])], t[static_cast<size_t>(back[1])],
                                             t[static_cast<size_t>(back[2])]};
  const std::optional<int> axis = separate_z_axis(properties.crop.original_spacing, target_spacing);
  return resample_probabilities(transposed, target_shape, axis, threads);
}

Image uncrop(const std::vector<uint8_t>& labels, const std::array<int64_t, 3>& cropped_shape,
             const CropProperties& crop, const std::string& item) {
  const int64_t n = cropped_shape[0] * cropped_shape[1] * cropped_shape[2];
  if (std::any_of(cropped_shape.begin(), cropped_shape.end(), [](int64_t v) { return v < 1; }) ||
      static_cast<int64_t>(labels.size()) != n) {
    throw InputError(item, std::to_string(labels.size()) + " labels for the cropped shape " +
                               format_list(cropped_shape) + "; expected " + std::to_string(n));
  }
  check_crop(crop, cropped_shape, item);
  Image out(PixelType::kUInt8, crop.original_size_of_raw_data, crop.geometry);
  uint8_t* dst = out.data<uint8_t>();
  const BoundingBox& box = crop.crop_bbox;
  for (int64_t z = 0; z < cropped_shape[0]; ++z) {
    for (int64_t y = 0; y < cropped_shape[1]; ++y) {
      const uint8_t* row = labels.data() + (z * cropped_shape[1] + y) * cropped_shape[2];
      std::copy(row, row + cropped_shape[2], dst + out.index(box[0][0] + z, box[1][0] + y, box[2][0]));
    }
  }
  return out;
}

}  // namespace

Array4f probabilities_to_original_spacing(const Array4f& probs, const CaseProperties& properties,
                                          const std::array<int, 3>& transpose_backward, int threads) {
  return to_original_spacing(probs, properties, transpose_backward, threads, case_item(properties));
}

Image uncrop_labels(const std::vector<uint8_t>& labels, const std::array<int64_t, 3>& cropped_shape,
                    const CropProperties& crop) {
  return uncrop(labels, cropped_shape, crop, "crop_bbox");
}

Array4f export_prediction(const Array4f& probs, const CaseProperties& properties,
                          const std::array<int, 3>& transpose_backward, const std::filesystem::path& out_nifti,
                          const ExportOptions& options) {
  const std::string item = out_nifti.string();
  // Everything that can be checked before the resampling is checked first.
  check_crop(properties.crop, properties.crop.size_after_cropping, item);
  const std::vector<int>& order = options.regions_class_order;
  if (order.empty()) {
    if (probs.channels() > 256) {
      throw InputError(item, std::to_string(probs.channels()) + " channels do not fit uint8 labels (at most 256)");
    }
  } else {
    if (static_cast<int64_t>(order.size()) != probs.channels()) {
      throw InputError(item, "regions_class_order has " + std::to_string(order.size()) +
                                 " entries but the prediction has " + std::to_string(probs.channels()) + " channels");
    }
    for (int label : order) {
      if (label < 1 || label > 255) {
        throw InputError(item, "regions_class_order label " + std::to_string(label) + " is not in 1..255");
      }
    }
  }
  Array4f resampled = to_original_spacing(probs, properties, transpose_backward, options.threads, item);
  const std::vector<uint8_t> labels = order.empty() ? argmax_labels(resampled) : region_labels(resampled, order);
  const Image image = uncrop(labels, resampled.spatial(), properties.crop, item);
  write_nifti(out_nifti, image);
  return resampled;
}

}  // namespace nnseg
