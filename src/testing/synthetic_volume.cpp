// Tiny synthetic volumes and cases for tests (testing/synthetic_volume.h).
#include "testing/synthetic_volume.h"

#include <cmath>

#include "io/json_file.h"
#include "io/nifti.h"

namespace nnseg::testing {
namespace {

double distance_voxels(int64_t z, int64_t y, int64_t x, const std::array<double, 3>& c) {
  double dz = static_cast<double>(z) - c[0], dy = static_cast<double>(y) - c[1], dx = static_cast<double>(x) - c[2];
  return std::sqrt(dz * dz + dy * dy + dx * dx);
}

std::array<double, 3> centre(const std::array<int64_t, 3>& shape) {
  return {(static_cast<double>(shape[0]) - 1) / 2, (static_cast<double>(shape[1]) - 1) / 2,
          (static_cast<double>(shape[2]) - 1) / 2};
}

void set_value(Image& img, int64_t i, double v) {
  dispatch_pixel_type(img.type, [&](auto tag) {
    using T = decltype(tag);
    img.data<T>()[i] = static_cast<T>(v);
  });
}

}  // namespace

Geometry test_geometry() {
  Geometry g;
  g.spacing = {0.8, 0.8, 3.0};
  g.origin = {-10.5, 20.25, 3.0};
  return g;
}

Image make_sphere(std::array<int64_t, 3> shape_zyx, std::array<double, 3> center_zyx, double radius, PixelType type,
                  double inside, double outside, Geometry g) {
  Image img(type, shape_zyx, g);
  for (int64_t z = 0; z < shape_zyx[0]; ++z) {
    for (int64_t y = 0; y < shape_zyx[1]; ++y) {
      for (int64_t x = 0; x < shape_zyx[2]; ++x) {
        set_value(img, img.index(z, y, x), distance_voxels(z, y, x, center_zyx) <= radius ? inside : outside);
      }
    }
  }
  return img;
}

Image make_label_blobs(std::array<int64_t, 3> shape_zyx, const std::vector<int>& labels, PixelType type, Geometry g) {
  Image img(type, shape_zyx, g);
  auto c = centre(shape_zyx);
  double smallest = static_cast<double>(std::min({shape_zyx[0], shape_zyx[1], shape_zyx[2]}));
  double outer = smallest / 2 - 0.5;
  size_t n = labels.size();
  for (int64_t z = 0; z < shape_zyx[0]; ++z) {
    for (int64_t y = 0; y < shape_zyx[1]; ++y) {
      for (int64_t x = 0; x < shape_zyx[2]; ++x) {
        double d = distance_voxels(z, y, x, c);
        double value = 0;
        // Ball k (k = 0 outermost) has radius outer * (n - k) / n.
        for (size_t k = 0; k < n; ++k) {
          if (d <= outer * static_cast<double>(n - k) / static_cast<double>(n)) value = labels[k];
        }
        set_value(img, img.index(z, y, x), value);
      }
    }
  }
  return img;
}

Image make_channel_image(std::array<int64_t, 3> shape_zyx, uint32_t seed, PixelType type, Geometry g) {
  Image img(type, shape_zyx, g);
  auto c = centre(shape_zyx);
  double radius = static_cast<double>(std::max({shape_zyx[0], shape_zyx[1], shape_zyx[2]})) / 2;
  uint32_t state = seed * 2654435761u + 12345u;
  for (int64_t z = 0; z < shape_zyx[0]; ++z) {
    for (int64_t y = 0; y < shape_zyx[1]; ++y) {
      for (int64_t x = 0; x < shape_zyx[2]; ++x) {
        state = state * 1664525u + 1013904223u;
        double noise = static_cast<double>(state >> 8) / static_cast<double>(1u << 24);  // [0, 1)
        double v = distance_voxels(z, y, x, c) <= radius ? 100 + 10 * static_cast<double>(seed % 7) + 50 * noise : 0;
        set_value(img, img.index(z, y, x), v);
      }
    }
  }
  return img;
}

fs::path write_brats_case(const fs::path& folder, const std::string& id, const BratsCaseOptions& o) {
  fs::path dir = folder / id;
  fs::create_directories(dir);
  const char* suffixes[] = {"t1", "t1ce", "t2", "flair"};
  for (uint32_t c = 0; c < 4; ++c) {
    write_nifti(dir / (id + "_" + suffixes[c] + o.extension),
                make_channel_image(o.shape_zyx, o.seed * 4 + c, o.image_type, o.geometry));
  }
  if (o.with_seg) {
    write_nifti(dir / (id + "_seg" + o.extension), make_label_blobs(o.shape_zyx, o.seg_labels, o.seg_type, o.geometry));
  }
  return dir;
}

void write_raw_case(const fs::path& dataset, const std::string& id, const RawCaseOptions& o) {
  for (int c = 0; c < o.num_channels; ++c) {
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), "_%04d", c);
    write_nifti(dataset / o.images_folder / (id + suffix + ".nii.gz"),
                make_channel_image(o.shape_zyx, o.seed * 8 + static_cast<uint32_t>(c), o.image_type, o.geometry));
  }
  if (o.with_label) {
    write_nifti(dataset / "labelsTr" / (id + ".nii.gz"),
                make_label_blobs(o.shape_zyx, o.labels, PixelType::kUInt8, o.geometry));
  }
}

void write_raw_dataset(const fs::path& dataset, const std::vector<std::string>& ids, const RawCaseOptions& options) {
  uint32_t seed = options.seed;
  for (const auto& id : ids) {
    RawCaseOptions o = options;
    o.seed = seed++;
    write_raw_case(dataset, id, o);
  }
  const char* names[] = {"T1", "T1ce", "T2", "FLAIR"};
  OrderedJson channels = OrderedJson::object();
  for (int c = 0; c < options.num_channels; ++c) channels[std::to_string(c)] = names[c % 4];
  OrderedJson j = OrderedJson::object();
  j["channel_names"] = channels;
  j["labels"] = {{"background", 0}, {"edema", 1}, {"non-enhancing", 2}, {"enhancing", 3}};
  j["numTraining"] = ids.size();
  j["file_ending"] = ".nii.gz";
  save_json(dataset / "dataset.json", j);
}

}  // namespace nnseg::testing
