// `nnseg info FILE... [--json]`: geometry (ITK order, LPS) and voxel statistics (after NIfTI scaling) of images
// (spec/cli.md). Every file is reported; an unreadable one gets the contract's error line and exit status 2.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

#include "cli/command.h"
#include "core/error.h"
#include "io/json_file.h"
#include "io/nifti.h"

namespace nnseg::cli {
namespace {

struct InfoFlags {
  std::vector<std::string> files;
  bool json = false;
};

struct VoxelStats {
  double min = 0;
  double max = 0;
  long double sum = 0;  // 64-bit mantissa: exact for integer images up to 2^64
  double mean = 0;
};

VoxelStats voxel_stats(const Image& image) {
  VoxelStats s;
  const int64_t n = image.numel();
  if (n == 0) return s;
  dispatch_pixel_type(image.type, [&](auto tag) {
    using T = decltype(tag);
    const T* p = image.data<T>();
    T lo = p[0], hi = p[0];
    long double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, p[i]);
      hi = std::max(hi, p[i]);
      sum += static_cast<long double>(p[i]);
    }
    s.min = static_cast<double>(lo);
    s.max = static_cast<double>(hi);
    s.sum = sum;
  });
  s.mean = static_cast<double>(s.sum / static_cast<long double>(n));
  return s;
}

// Integer images report integral statistics as JSON integers.
Json number(long double v, bool integer) {
  if (integer && std::nearbyint(v) == v) {
    if (v >= 0 && v <= static_cast<long double>(std::numeric_limits<uint64_t>::max())) {
      return static_cast<uint64_t>(v);
    }
    if (v < 0 && v >= static_cast<long double>(std::numeric_limits<int64_t>::min())) {
      return static_cast<int64_t>(v);
    }
  }
  return static_cast<double>(v);
}

OrderedJson info_json(const std::string& path, const Image& image, const VoxelStats& s) {
  const bool integer = is_integer(image.type);
  OrderedJson j;
  j["path"] = path;
  j["size"] = image.size_xyz();
  j["spacing"] = image.geometry.spacing;
  j["origin"] = image.geometry.origin;
  j["direction"] = image.geometry.direction;
  j["pixel_type"] = to_string(image.type);
  j["min"] = number(s.min, integer);
  j["max"] = number(s.max, integer);
  j["mean"] = s.mean;
  j["sum"] = number(s.sum, integer);
  return j;
}

template <size_t N>
std::string joined(const std::array<double, N>& v) {
  std::ostringstream out;
  out << std::setprecision(10);
  for (size_t i = 0; i < N; ++i) out << (i ? " " : "") << v[i] + 0.0;  // + 0.0 prints -0 as 0
  return out.str();
}

void print_text(const std::string& path, const Image& image, const VoxelStats& s) {
  const auto size = image.size_xyz();
  std::ostringstream out;
  out << std::setprecision(10);
  out << path << "\n";
  out << "  size:       " << size[0] << " x " << size[1] << " x " << size[2] << " (ITK order x, y, z)\n";
  out << "  spacing:    " << joined(image.geometry.spacing) << "\n";
  out << "  origin:     " << joined(image.geometry.origin) << "\n";
  out << "  direction:  " << joined(image.geometry.direction) << "\n";
  out << "  pixel type: " << to_string(image.type) << "\n";
  out << "  min " << s.min << "  max " << s.max << "  mean " << s.mean << "  sum " << static_cast<double>(s.sum)
      << "\n";
  std::cout << out.str() << std::flush;
}

int run_info(const InfoFlags& flags) {
  int status = 0;
  for (const std::string& path : flags.files) {
    try {
      const Image image = read_nifti(path);
      const VoxelStats stats = voxel_stats(image);
      if (flags.json) {
        std::cout << info_json(path, image, stats).dump() << "\n" << std::flush;
      } else {
        print_text(path, image, stats);
      }
    } catch (const Error& e) {
      std::cerr << "nnseg: error: " << format_error(e) << "\n";
      if (flags.json) {
        OrderedJson j;
        j["path"] = path;
        j["error"] = e.item() == path ? std::string(e.what()) : format_error(e);
        std::cout << j.dump() << "\n" << std::flush;
      }
      status = std::max(status, e.exit_code());
    }
  }
  return status;
}

const CommandRegistrar kRegistrar("info", "geometry (ITK order, LPS) and voxel statistics of NIfTI images",
                                  [](CLI::App& app) -> std::function<int()> {
                                    auto flags = std::make_shared<InfoFlags>();
                                    app.add_option("FILE", flags->files, ".nii or .nii.gz images")->required();
                                    app.add_flag("--json", flags->json, "one JSON object per file per line");
                                    return [flags] { return run_info(*flags); };
                                  });

}  // namespace
}  // namespace nnseg::cli
