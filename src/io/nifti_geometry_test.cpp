// NIfTI geometry (io/nifti.h) from headers built byte by byte, checked against the NIfTI-1 rules computed here
// (not against ITK): qform, sform, both, the BraTS header, and which transform ITK 5.2 picks.
#include <gtest/gtest.h>

#include "io/nifti.h"
#include "io/nifti_header_test_util.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::expect_unreadable;
using testing::RawNiftiHeader;
using testing::TempDir;
using testing::write_raw_nifti;

void expect_geometry(const fs::path& path, const testing::ExpectedGeometry& want) {
  const NiftiInfo info = read_nifti_info(path);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(info.geometry.spacing[i], want.spacing[i], 1e-6) << path << " spacing " << i;
    EXPECT_NEAR(info.geometry.origin[i], want.origin[i], 1e-4) << path << " origin " << i;
  }
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(info.geometry.direction[i], want.direction[i], 1e-6) << path << " dir " << i;
  // read_nifti agrees with read_nifti_info.
  EXPECT_EQ(read_nifti(path).geometry, info.geometry) << path;
}

const std::string kInt16Voxels(4 * 3 * 2 * 2, '\0');

TEST(NiftiGeometry, QformOnly) {
  TempDir dir;
  const RawNiftiHeader h = testing::qform_header();
  for (const char* name : {"q.nii", "q.nii.gz"}) {
    write_raw_nifti(dir / name, h, kInt16Voxels);
    expect_geometry(dir / name, testing::expected_from_qform(h));
  }
  // The mirror shows: the determinant of the LPS direction is -1 * det(diag(-1, -1, 1)) = -1.
  const auto d = read_nifti_info(dir / "q.nii").geometry.direction;
  const double det =
      d[0] * (d[4] * d[8] - d[5] * d[7]) - d[1] * (d[3] * d[8] - d[5] * d[6]) + d[2] * (d[3] * d[7] - d[4] * d[6]);
  EXPECT_NEAR(det, -1.0, 1e-6);
}

TEST(NiftiGeometry, SformOnly) {
  TempDir dir;
  const RawNiftiHeader h = testing::sform_header();
  for (const char* name : {"s.nii", "s.nii.gz"}) {
    write_raw_nifti(dir / name, h, kInt16Voxels);
    expect_geometry(dir / name, testing::expected_from_sform(h));
  }
}

// (c) Both set and disagreeing. ITK 5.2 takes the sform when it is orthonormal once divided by pixdim's spacing and
// either qform_code is 0, or sform_code is 1 (SCANNER_ANAT), or both transforms agree within 1e-4; otherwise the
// qform; with neither usable it refuses the file ("No orthonormal definition found"). Spacing is always pixdim.
TEST(NiftiGeometry, BothSetSformWins) {
  TempDir dir;
  RawNiftiHeader h = testing::sform_header();
  const RawNiftiHeader q = testing::qform_header();
  h.qform_code = 1;
  h.quatern_b = q.quatern_b;
  h.quatern_c = q.quatern_c;
  h.quatern_d = q.quatern_d;
  h.qoffset_x = q.qoffset_x;
  h.qoffset_y = q.qoffset_y;
  h.qoffset_z = q.qoffset_z;
  write_raw_nifti(dir / "b.nii.gz", h, kInt16Voxels);
  expect_geometry(dir / "b.nii.gz", testing::expected_from_sform(h));
}

// sform_code 2 (ALIGNED_ANAT) disagreeing with a qform: ITK takes the qform.
TEST(NiftiGeometry, AlignedSformLosesToQform) {
  TempDir dir;
  RawNiftiHeader h = testing::sform_header();
  h.sform_code = 2;
  const RawNiftiHeader q = testing::qform_header();
  h.qform_code = 1;
  h.quatern_b = q.quatern_b;
  h.quatern_c = q.quatern_c;
  h.quatern_d = q.quatern_d;
  h.qoffset_x = q.qoffset_x;
  h.pixdim[0] = -1;
  write_raw_nifti(dir / "a.nii", h, kInt16Voxels);
  expect_geometry(dir / "a.nii", testing::expected_from_qform(h));
}

// A sheared sform: with a qform, ITK uses the qform; alone, the file is refused (InputError, ITK's reason).
TEST(NiftiGeometry, ShearedSform) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(4, 3, 2);
  h.sform_code = 1;
  h.pixdim = {1, 2, 3, 4, 1, 1, 1, 1};
  h.srow_x = {2, 0.5f, 0, 1};
  h.srow_y = {0, 3, 0, 2};
  h.srow_z = {0, 0, 4, 3};
  write_raw_nifti(dir / "alone.nii", h, kInt16Voxels);
  expect_unreadable(dir / "alone.nii", "orthonormal");
  h.qform_code = 1;
  h.qoffset_x = 10;
  write_raw_nifti(dir / "withq.nii", h, kInt16Voxels);
  expect_geometry(dir / "withq.nii", testing::expected_from_qform(h));
}

// BraTS 2020 headers: RAS affine diag(-1, -1, 1), translation (0, 239, 0) => LPS identity, origin (0, -239, 0).
TEST(NiftiGeometry, BratsHeader) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(4, 3, 2);
  h.sform_code = 1;
  h.srow_x = {-1, 0, 0, 0};
  h.srow_y = {0, -1, 0, 239};
  h.srow_z = {0, 0, 1, 0};
  write_raw_nifti(dir / "sform.nii.gz", h, kInt16Voxels);
  h.qform_code = 1;  // the same transform as a quaternion: 180 degrees about z
  h.quatern_d = 1;
  h.qoffset_y = 239;
  write_raw_nifti(dir / "both.nii.gz", h, kInt16Voxels);
  h.sform_code = 0;
  write_raw_nifti(dir / "qform.nii.gz", h, kInt16Voxels);
  testing::ExpectedGeometry want;
  want.origin = {0, -239, 0};
  for (const char* name : {"sform.nii.gz", "both.nii.gz", "qform.nii.gz"}) {
    expect_geometry(dir / name, want);
    const Geometry g = read_nifti_info(dir / name).geometry;
    EXPECT_EQ(g.direction, (std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1})) << name;
    EXPECT_EQ(g.origin[1], -239.0) << name;
  }
}

// Neither qform nor sform: ITK gives origin 0 and the identity direction (no RAS->LPS flip), spacing pixdim.
TEST(NiftiGeometry, NoTransform) {
  TempDir dir;
  RawNiftiHeader h = RawNiftiHeader::make(4, 3, 2);
  h.pixdim = {1, 2, 3, 4, 1, 1, 1, 1};
  write_raw_nifti(dir / "n.nii", h, kInt16Voxels);
  testing::ExpectedGeometry want;
  want.spacing = {2, 3, 4};
  expect_geometry(dir / "n.nii", want);
}

}  // namespace
}  // namespace nnseg
