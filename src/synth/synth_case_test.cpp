// Tests of the in-memory synth-brats model: grid geometry, the 1-in-6 rule, templates, tumour labels and the
// contrasts' tissue ordering, on coarse grids (spacing 3 mm) so that each test takes well under a second.
#include "synth/synth_case.h"

#include <gtest/gtest.h>

#include <map>

#include "synth/synth_render.h"

namespace nnseg::synth {
namespace {

const BrainTemplate& procedural() {
  static const BrainTemplate t = make_procedural_template(2.0);
  return t;
}

bool have_colin27() { return fs::exists(kColin27Path); }

const BrainTemplate& colin27() {
  static const BrainTemplate t = load_colin27();
  return t;
}

TEST(BratsGrid, MatchesBratsHeaderAndCoarseGridsKeepTheExtent) {
  const CaseGrid g1 = brats_grid(1);
  EXPECT_EQ(g1.shape, (std::array<int64_t, 3>{155, 240, 240}));
  EXPECT_EQ(g1.origin_mm, (std::array<double, 3>{0, -239, 0}));
  const Geometry geo = grid_geometry(g1);
  EXPECT_EQ(geo.direction, (std::array<double, 9>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(geo.spacing, (std::array<double, 3>{1, 1, 1}));
  const CaseGrid g2 = brats_grid(2);
  EXPECT_EQ(g2.shape, (std::array<int64_t, 3>{78, 120, 120}));
  EXPECT_EQ(g2.origin_mm, (std::array<double, 3>{0.5, -238.5, 0.0}));
  const CaseGrid g3 = brats_grid(3);
  EXPECT_EQ(g3.shape, (std::array<int64_t, 3>{52, 80, 80}));
  EXPECT_EQ(g3.origin_mm, (std::array<double, 3>{1.0, -238.0, 0.5}));
  // Same centre of the field of view at every spacing.
  for (const CaseGrid& g : {g1, g2, g3}) {
    const auto c = g.physical(0.5 * static_cast<double>(g.shape[0] - 1), 0.5 * static_cast<double>(g.shape[1] - 1),
                              0.5 * static_cast<double>(g.shape[2] - 1));
    EXPECT_DOUBLE_EQ(c[0], 119.5);
    EXPECT_DOUBLE_EQ(c[1], -119.5);
    EXPECT_NEAR(c[2], 77.0, 0.5);
  }
}

TEST(CaseHasEnhancing, ExactlyOneCaseInSixWithoutEnhancement) {
  std::map<int, int> position_count;
  for (uint64_t seed : {0ull, 1ull, 99ull}) {
    for (int64_t block = 0; block < 20; ++block) {
      int without = 0;
      for (int64_t k = 0; k < 6; ++k) {
        if (!case_has_enhancing(seed, block * 6 + k)) {
          ++without;
          ++position_count[static_cast<int>(k)];
        }
      }
      EXPECT_EQ(without, 1) << "seed " << seed << " block " << block;
    }
  }
  // The LGG-like case is not always at the same position in its block.
  EXPECT_GT(position_count.size(), 3u);
}

TEST(SquaredDistance, BoxEdgesAndHoles) {
  // Voxels beyond the box count as outside: along the centre row of an 11x11x5 box the distance is to the x ends.
  const std::vector<uint8_t> slab(11 * 11 * 5, 1);
  const auto d = squared_distance_to_outside(slab, {11, 11, 5});
  const size_t row = (5 * 11 + 5) * 5;
  EXPECT_EQ(std::vector<float>(d.begin() + row, d.begin() + row + 5), (std::vector<float>{1, 4, 9, 4, 1}));
  EXPECT_EQ(d[0], 1.0f);
  // A single outside voxel in the middle of an 11^3 cube.
  std::vector<uint8_t> cube(11 * 11 * 11, 1);
  auto at = [](int64_t z, int64_t y, int64_t x) { return static_cast<size_t>((z * 11 + y) * 11 + x); };
  cube[at(5, 5, 5)] = 0;
  const auto h = squared_distance_to_outside(cube, {11, 11, 11});
  EXPECT_EQ(h[at(5, 5, 5)], 0.0f);
  EXPECT_EQ(h[at(5, 5, 7)], 4.0f);
  EXPECT_EQ(h[at(5, 5, 8)], 9.0f);  // as far from the hole as from the box's end
  EXPECT_EQ(h[at(5, 6, 6)], 2.0f);
  EXPECT_EQ(h[at(4, 6, 6)], 3.0f);
}

TEST(BrainTemplate, ProceduralHeadHasOrderedTissuesAndTumourSeeds) {
  const BrainTemplate& t = procedural();
  EXPECT_EQ(t.source, "procedural");
  EXPECT_LT(t.class_means[0], t.class_means[1]);
  EXPECT_LT(t.class_means[1], t.class_means[2]);
  EXPECT_GT(t.seed_count(), 100);
  int64_t brain = 0;
  for (const auto& v : t.voxels) brain += (v.csf + v.gm + v.wm) > 0;
  const double voxel = t.geometry.spacing[0] * t.geometry.spacing[1] * t.geometry.spacing[2];
  const double cm3 = static_cast<double>(brain) * voxel / 1000.0;
  EXPECT_GT(cm3, 1100);
  EXPECT_LT(cm3, 1900);
}

TEST(BrainTemplate, Colin27TissueClasses) {
  if (!have_colin27()) GTEST_SKIP() << kColin27Path << " not installed (Debian mricron-data)";
  const BrainTemplate& t = colin27();
  EXPECT_EQ(t.shape, (std::array<int64_t, 3>{181, 217, 181}));
  // Colin27's brain intensities: CSF well below GM (~84) below WM (~114).
  EXPECT_LT(t.class_means[0], 65);
  EXPECT_NEAR(t.class_means[1], 84, 12);
  EXPECT_NEAR(t.class_means[2], 112, 8);
  EXPECT_GT(t.seed_count(), 10000);
}

TEST(BrainTemplate, BadAnatomyNameAndMissingColin) {
  EXPECT_THROW(parse_anatomy("colin", "--anatomy"), InputError);
  EXPECT_EQ(parse_anatomy("procedural", "--anatomy"), Anatomy::kProcedural);
  EXPECT_THROW(load_template(Anatomy::kColin27, "/nonexistent/ch2bet.nii.gz"), InputError);
  EXPECT_EQ(load_template(Anatomy::kAuto, "/nonexistent/ch2bet.nii.gz").source, "procedural");
}

// Mean of channel c over voxels where pick(voxel index) holds; NaN if none.
template <typename F>
double channel_mean(const SynthCase& sc, int c, F&& pick) {
  const int16_t* v = sc.channels[static_cast<size_t>(c)].data<int16_t>();
  double sum = 0;
  int64_t n = 0;
  for (int64_t i = 0; i < sc.seg.numel(); ++i) {
    if (pick(i)) {
      sum += v[i];
      ++n;
    }
  }
  return n > 0 ? sum / static_cast<double>(n) : std::nan("");
}

// Checks that hold for every case: geometry, label values, zero outside the brain, tumour nesting, contrasts.
void check_case(const SynthCase& sc, int spacing) {
  const CaseGrid grid = brats_grid(spacing);
  const uint8_t* seg = sc.seg.data<uint8_t>();
  ASSERT_EQ(sc.seg.type, PixelType::kUInt8);
  ASSERT_EQ(sc.seg.shape, grid.shape);
  ASSERT_EQ(sc.tissue.size(), static_cast<size_t>(grid.numel()));
  for (const Image& ch : sc.channels) {
    ASSERT_EQ(ch.type, PixelType::kInt16);
    ASSERT_EQ(ch.shape, grid.shape);
    ASSERT_EQ(ch.geometry, grid_geometry(grid));
  }
  const auto brain = [&](int64_t i) {
    const TissueVoxel& t = sc.tissue[static_cast<size_t>(i)];
    return t.csf + t.gm + t.wm > 0;
  };
  int64_t n_brain = 0, n_et = 0;
  std::map<int, int64_t> counts;
  for (int64_t i = 0; i < grid.numel(); ++i) {
    ++counts[seg[i]];
    const bool b = brain(i);
    n_brain += b;
    for (const Image& ch : sc.channels) {
      const int16_t v = ch.data<int16_t>()[i];
      // Nonzero exactly inside the brain: no noise outside, nothing zero inside.
      ASSERT_EQ(v != 0, b) << "voxel " << i;
      ASSERT_GE(v, 0);
    }
    if (!b) {
      ASSERT_EQ(seg[i], 0) << "label outside the brain at voxel " << i;
    }
    n_et += seg[i] == kLabelEnhancing;
  }
  for (const auto& [label, n] : counts) EXPECT_TRUE(label == 0 || label == 1 || label == 2 || label == 4) << label;
  EXPECT_EQ(sc.has_enhancing, n_et > 0);
  const double voxel_cm3 = std::pow(spacing, 3) / 1000.0;
  EXPECT_GT(sc.whole_tumour_cm3, 20.0);
  EXPECT_LT(sc.whole_tumour_cm3, 150.0);
  EXPECT_NEAR(sc.brain_cm3, static_cast<double>(n_brain) * voxel_cm3, 1e-6);
  EXPECT_GT(sc.brain_cm3, 1000.0);

  // Nesting: the core (1, 4) is wrapped by edema where it borders parenchyma; with enhancement, necrosis (1) is wrapped
  // by the rim (4).
  const int64_t nz = grid.shape[0], ny = grid.shape[1], nx = grid.shape[2];
  int64_t core_faces = 0, core_faces_edema = 0;
  for (int64_t z = 1; z + 1 < nz; ++z) {
    for (int64_t y = 1; y + 1 < ny; ++y) {
      for (int64_t x = 1; x + 1 < nx; ++x) {
        const uint8_t l = seg[grid.index(z, y, x)];
        if (l != kLabelNecrotic && l != kLabelEnhancing) continue;
        for (const auto& d :
             {std::array<int64_t, 3>{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}}) {
          const int64_t j = grid.index(z + d[0], y + d[1], x + d[2]);
          const uint8_t m = seg[j];
          if (sc.has_enhancing && l == kLabelNecrotic) {
            EXPECT_TRUE(m == kLabelNecrotic || m == kLabelEnhancing) << "necrosis touches label " << int(m);
          }
          if (m == kLabelNecrotic || m == kLabelEnhancing) continue;
          // Edema grows through parenchyma; CSF and the outside of the brain next to the core stay 0.
          const TissueVoxel& t = sc.tissue[static_cast<size_t>(j)];
          if (t.gm + t.wm < 128) continue;
          ++core_faces;
          core_faces_edema += m == kLabelEdema;
        }
      }
    }
  }
  ASSERT_GT(core_faces, 0);
  EXPECT_GT(static_cast<double>(core_faces_edema) / static_cast<double>(core_faces), 0.97);

  // Contrasts on pure tissue away from the tumour.
  const auto pure = [&](int64_t i, int cls) {
    const TissueVoxel& t = sc.tissue[static_cast<size_t>(i)];
    const uint8_t v = cls == 0 ? t.csf : cls == 1 ? t.gm : t.wm;
    return seg[i] == 0 && v >= 230;
  };
  const auto mean = [&](int c, int cls) { return channel_mean(sc, c, [&](int64_t i) { return pure(i, cls); }); };
  const auto label_mean = [&](int c, uint8_t label) {
    return channel_mean(sc, c, [&](int64_t i) { return seg[i] == label; });
  };
  EXPECT_LT(mean(0, 0), mean(0, 1));  // T1: CSF < GM < WM
  EXPECT_LT(mean(0, 1), mean(0, 2));
  EXPECT_LT(mean(1, 0), mean(1, 2));  // T1ce: CSF < WM
  EXPECT_GT(mean(2, 0), mean(2, 1));  // T2: CSF > GM > WM
  EXPECT_GT(mean(2, 1), mean(2, 2));
  EXPECT_LT(mean(3, 0), mean(3, 2));  // FLAIR: CSF < WM < GM
  EXPECT_LT(mean(3, 2), mean(3, 1));
  EXPECT_GT(label_mean(3, kLabelEdema), 1.4 * mean(3, 2));  // edema bright on FLAIR and T2, dark-ish on T1
  EXPECT_GT(label_mean(2, kLabelEdema), 1.4 * mean(2, 2));
  EXPECT_LT(label_mean(0, kLabelEdema), mean(0, 2));
  EXPECT_LT(label_mean(0, kLabelNecrotic), mean(0, 2));  // core dark on T1, bright on T2
  EXPECT_GT(label_mean(2, kLabelNecrotic), mean(2, 2));
  if (sc.has_enhancing) {
    EXPECT_GT(label_mean(1, kLabelEnhancing), 1.5 * label_mean(1, kLabelNecrotic));  // enhancing > core on T1ce
    EXPECT_GT(label_mean(1, kLabelEnhancing), mean(1, 2));
    // Enhancement shows on T1ce only: on T1 the rim stays below white matter.
    EXPECT_LT(label_mean(0, kLabelEnhancing), mean(0, 2));
  }
}

TEST(SynthesizeCase, ProceduralAnatomyPassesAllChecks) {
  for (int64_t id : {1, 2, 3}) {
    SCOPED_TRACE("case " + std::to_string(id));
    check_case(synthesize_case(procedural(), 5, id, 3, true), 3);
  }
}

TEST(SynthesizeCase, Colin27AnatomyTwelveCasesPassAllChecks) {
  if (!have_colin27()) GTEST_SKIP() << kColin27Path << " not installed (Debian mricron-data)";
  int without_et = 0;
  for (int64_t id = 1; id <= 12; ++id) {
    SCOPED_TRACE("case " + std::to_string(id));
    const SynthCase sc = synthesize_case(colin27(), 0, id, 3, true);
    check_case(sc, 3);
    EXPECT_EQ(sc.has_enhancing, case_has_enhancing(0, id));
    without_et += !sc.has_enhancing;
  }
  // Ids 1..12 span three blocks of six (0-5, 6-11, 12-17), so one to three cases are without enhancement.
  EXPECT_GE(without_et, 1);
  EXPECT_LE(without_et, 3);
}

TEST(SynthesizeCase, SameSeedSameBytesOtherSeedOtherBytes) {
  const SynthCase a = synthesize_case(procedural(), 11, 4, 3);
  const SynthCase b = synthesize_case(procedural(), 11, 4, 3);
  const SynthCase c = synthesize_case(procedural(), 12, 4, 3);
  const SynthCase d = synthesize_case(procedural(), 11, 5, 3);
  for (int ch = 0; ch < kChannels; ++ch) {
    EXPECT_EQ(a.channels[static_cast<size_t>(ch)].bytes, b.channels[static_cast<size_t>(ch)].bytes);
    EXPECT_NE(a.channels[static_cast<size_t>(ch)].bytes, c.channels[static_cast<size_t>(ch)].bytes);
    EXPECT_NE(a.channels[static_cast<size_t>(ch)].bytes, d.channels[static_cast<size_t>(ch)].bytes);
  }
  EXPECT_EQ(a.seg.bytes, b.seg.bytes);
  EXPECT_NE(a.seg.bytes, c.seg.bytes);
}

TEST(RenderParams, NominalContrastOrdering) {
  const auto t = nominal_contrast();
  EXPECT_LT(t[0][kClassCsf], t[0][kClassGm]);
  EXPECT_LT(t[0][kClassGm], t[0][kClassWm]);
  EXPECT_GT(t[1][kClassEnhancing], t[1][kClassWm]);
  EXPECT_GT(t[2][kClassCsf], t[2][kClassGm]);
  EXPECT_GT(t[2][kClassGm], t[2][kClassWm]);
  EXPECT_LT(t[3][kClassCsf], t[3][kClassWm]);
  EXPECT_GT(t[3][kClassGm], t[3][kClassWm]);
  EXPECT_GT(t[3][kClassEdema], t[3][kClassGm]);
}

}  // namespace
}  // namespace nnseg::synth
