// NaN/Inf count from a NIfTI file's stored bytes (dataset/nifti_nonfinite.h): float32/float64, .nii and .nii.gz,
// integer files and non-NIfTI files give zero.
#include "dataset/nifti_nonfinite.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "io/nifti.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

template <typename T>
Image with_values(std::vector<double> values) {
  return Image::from_values<T>(values, {1, 2, static_cast<int64_t>(values.size() / 2)});
}

TEST(NiftiNonFinite, CountsWhatItkHides) {
  TempDir dir;
  const std::vector<double> values = {1, NAN, INFINITY, -INFINITY, NAN, 0, 2, NAN};
  for (const char* ext : {".nii.gz", ".nii"}) {
    write_nifti(dir / (std::string("f") + ext), with_values<float>(values));
    write_nifti(dir / (std::string("d") + ext), with_values<double>(values));
    for (const char* stem : {"f", "d"}) {
      fs::path p = dir / (std::string(stem) + ext);
      NonFiniteCount n = count_nonfinite_voxels(p);
      EXPECT_EQ(n.nan, 3) << p;
      EXPECT_EQ(n.inf, 2) << p;
      // ITK's reader turns them into 0, which is why the file itself is scanned.
      Image read = read_nifti(p);
      for (double v : read.values_as<double>()) EXPECT_TRUE(std::isfinite(v)) << p;
    }
  }
  write_nifti(dir / "i.nii.gz", with_values<int16_t>({1, 2, 3, 4}));
  EXPECT_EQ(count_nonfinite_voxels(dir / "i.nii.gz").nan, 0);
  write_nifti(dir / "clean.nii.gz", with_values<float>({1, 2, 3, 4}));
  EXPECT_EQ(count_nonfinite_voxels(dir / "clean.nii.gz").nan + count_nonfinite_voxels(dir / "clean.nii.gz").inf, 0);
  std::ofstream(dir / "junk.nii.gz") << "junk";
  EXPECT_EQ(count_nonfinite_voxels(dir / "junk.nii.gz").nan, 0);
  EXPECT_EQ(count_nonfinite_voxels(dir / "missing.nii.gz").nan, 0);
}

}  // namespace
}  // namespace nnseg
