// The planners against spec/planning.md §12.4-§12.7 (values produced by nnU-Net v1.7.1) and §8 (BraTS).
#include "planning/plan_experiment.h"

#include <gtest/gtest.h>

#include "planning/numpy_math.h"
#include "planning/plan_log.h"

namespace nnseg {
namespace {

using Spacing = std::array<double, 3>;
using Size = std::array<int64_t, 3>;

void add_cases(Fingerprint& fp, int n, Spacing spacing, Size size) {
  for (int i = 0; i < n; ++i) {
    fp.spacings.push_back(spacing);
    fp.shapes_after_crop.push_back(size);
  }
}

Fingerprint uniform(int n, Spacing spacing, Size size) {
  Fingerprint fp;
  add_cases(fp, n, spacing, size);
  return fp;
}

Fingerprint brats() {
  Fingerprint fp = uniform(369, {1, 1, 1}, {139, 170, 138});
  fp.median_relative_size_after_cropping = 0.37;
  return fp;
}

Fingerprint acdc_like() {
  Fingerprint fp;
  add_cases(fp, 50, {10, 1.5625, 1.5625}, {10, 256, 216});
  add_cases(fp, 50, {5, 1.5625, 1.5625}, {10, 256, 216});
  add_cases(fp, 50, {6.5, 1.37, 1.37}, {10, 256, 216});
  return fp;
}

Fingerprint lits_like() { return uniform(131, {1, 0.767578125, 0.767578125}, {432, 512, 512}); }

KernelList repeat(std::vector<int> kernel, size_t n) { return KernelList(n, kernel); }

PlannerInputs brats_inputs() { return {"BraTS2020", {"T1", "T1ce", "T2", "FLAIR"}, {1, 2, 3}}; }

// ---- §12.4 target spacing ----

TEST(TargetSpacing, Spec12_4) {
  struct Row {
    Fingerprint fp;
    Spacing t3d, t2d;
  };
  Fingerprint mixed20;
  add_cases(mixed20, 20, {0.5, 1, 1}, {20, 256, 256});
  add_cases(mixed20, 80, {5, 1, 1}, {20, 256, 256});
  Fingerprint mixed10;
  add_cases(mixed10, 10, {0.5, 1, 1}, {20, 256, 256});
  add_cases(mixed10, 90, {5, 1, 1}, {20, 256, 256});
  Fingerprint four;
  add_cases(four, 1, {1, 1, 1}, {10, 20, 20});
  add_cases(four, 1, {2, 1, 1}, {10, 20, 20});
  add_cases(four, 1, {3, 0.5, 0.5}, {10, 20, 20});
  add_cases(four, 1, {4, 0.5, 0.5}, {10, 20, 20});
  const std::vector<Row> rows = {
      {uniform(3, {1, 1, 1}, {10, 10, 10}), {1, 1, 1}, {1, 1, 1}},
      {uniform(5, {5, 0.5, 0.5}, {100, 200, 200}), {5, 0.5, 0.5}, {5, 0.5, 0.5}},
      {mixed20, {1.0 + 1e-5, 1, 1}, {5, 1, 1}},
      // 4.55 as numpy computes it: 0.5 + 0.9000000000000004 * 4.5.
      {mixed10, {4.550000000000002, 1, 1}, {5, 1, 1}},
      {four, {2.5, 0.75, 0.75}, {2.5, 0.75, 0.75}},
      {uniform(5, {1, 1, 4}, {200, 200, 30}), {1, 1, 4}, {1, 1, 4}},
      {acdc_like(), {5, 1.5625, 1.5625}, {6.5, 1.5625, 1.5625}},
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    EXPECT_EQ(target_spacing_3d_v21(rows[i].fp.spacings, rows[i].fp.shapes_after_crop), rows[i].t3d);
    EXPECT_EQ(target_spacing_median(rows[i].fp.spacings), rows[i].t2d);
    // Pitfall 6: the 2D planner uses the plain median, not the anisotropy rule.
    EXPECT_EQ(plan_2d_v21(rows[i].fp, 1, 2).target_spacing, rows[i].t2d);
  }
}

TEST(Transposition, Spec6_3) {
  std::array<int, 3> f{}, b{};
  compute_transposition({1, 1, 1}, f, b);
  EXPECT_EQ(f, (std::array<int, 3>{0, 1, 2}));
  EXPECT_EQ(b, (std::array<int, 3>{0, 1, 2}));
  compute_transposition({0.8, 3.0, 0.8}, f, b);
  EXPECT_EQ(f, (std::array<int, 3>{1, 0, 2}));
  EXPECT_EQ(b, (std::array<int, 3>{1, 0, 2}));
  compute_transposition({0.8, 0.8, 3.0}, f, b);
  EXPECT_EQ(f, (std::array<int, 3>{2, 0, 1}));
  EXPECT_EQ(b, (std::array<int, 3>{1, 2, 0}));
}

// ---- §12.5 complete 3D plans ----

void expect_stage(const StagePlan& s, int64_t bs, Shape patch, std::vector<int> npool, Shape median) {
  EXPECT_EQ(s.batch_size, bs);
  EXPECT_EQ(s.patch_size, patch);
  EXPECT_EQ(s.num_pool_per_axis, npool);
  EXPECT_EQ(s.median_patient_size_in_voxels, median);
}

TEST(Plan3d, BraTSSpec8) {
  PlannerResult r = plan_3d_v21(brats(), 4, 4);
  ASSERT_EQ(r.stages.size(), 1u);  // no 3d_lowres: 3 260 940 / 2 097 152 = 1.55 < 4
  const StagePlan& s = r.stages[0];
  expect_stage(s, 2, {128, 128, 128}, {5, 5, 5}, {139, 170, 138});
  EXPECT_EQ(s.current_spacing, (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(s.original_spacing, (std::vector<double>{1, 1, 1}));
  EXPECT_FALSE(s.do_dummy_2D_data_aug);
  EXPECT_EQ(s.pool_op_kernel_sizes, repeat({2, 2, 2}, 5));
  EXPECT_EQ(s.conv_kernel_sizes, repeat({3, 3, 3}, 6));
  EXPECT_EQ(r.transpose_forward, (std::array<int, 3>{0, 1, 2}));
  EXPECT_EQ(r.lowres_growth_steps, 0);
}

TEST(Plan3d, SmallIsotropic) {
  PlannerResult r = plan_3d_v21(uniform(260, {1, 1, 1}, {36, 50, 35}), 1, 3);
  ASSERT_EQ(r.stages.size(), 1u);
  expect_stage(r.stages[0], 9, {40, 56, 40}, {3, 3, 3}, {36, 50, 35});
  EXPECT_EQ(r.stages[0].pool_op_kernel_sizes, repeat({2, 2, 2}, 3));
  EXPECT_EQ(r.stages[0].conv_kernel_sizes, repeat({3, 3, 3}, 4));
  EXPECT_FALSE(r.stages[0].do_dummy_2D_data_aug);
}

TEST(Plan3d, ShrinkTrace64x300x300) {
  PlannerResult r = plan_3d_v21(uniform(50, {1, 1, 1}, {64, 300, 300}), 1, 2);
  ASSERT_EQ(r.stages.size(), 1u);
  const StagePlan& s = r.stages[0];
  expect_stage(s, 2, {48, 224, 224}, {3, 4, 4}, {64, 300, 300});
  KernelList pools = repeat({2, 2, 2}, 3);
  pools.push_back({1, 2, 2});
  EXPECT_EQ(s.pool_op_kernel_sizes, pools);
  EXPECT_EQ(s.conv_kernel_sizes, repeat({3, 3, 3}, 5));
  EXPECT_TRUE(s.do_dummy_2D_data_aug);
  // Trace values of spec §12.5: start, the step that costs a pooling level (axis 0 by 8), the end.
  EXPECT_EQ(compute_approx_vram_consumption({64, 320, 320}, {4, 5, 5}, 32, 320, 1, 2,
                                            get_pool_and_conv_props({1, 1, 1}, {64, 320, 320}).pool_op_kernel_sizes),
            1415116800);
  EXPECT_EQ(compute_approx_vram_consumption({56, 288, 288}, {3, 4, 4}, 32, 320, 1, 2, pools), 1002419712);
  EXPECT_EQ(compute_approx_vram_consumption({48, 224, 224}, {3, 4, 4}, 32, 320, 1, 2, pools), 519773184);
}

// Pitfall 2: reducing by the divisor of the *reduced* shape: 64 - 8 = 56 (not 64 - 16 = 48) on axis 0.
TEST(Plan3d, ShrinkUsesDivisorOfReducedShapePitfall2) {
  const std::vector<double> sp{1, 1, 1};
  Shape tmp{64 - 16, 288, 288};
  EXPECT_EQ(get_pool_and_conv_props(sp, tmp).shape_must_be_divisible_by[0], 8);
  // The stage ends at 48 only after passing through 56 (a reduction by 16 would skip the 56-voxel patches and
  // end elsewhere); the final patch of the full trace is the check.
  StagePlan s = stage_properties_3d(sp, sp, {64, 300, 300}, 50, 1, 2, kReferenceVram3d);
  EXPECT_EQ(s.patch_size, (Shape{48, 224, 224}));
}

TEST(Plan3d, AnisotropicTransposed) {
  PlannerResult r = plan_3d_v21(uniform(20, {0.8, 0.8, 3.0}, {200, 200, 40}), 2, 3);
  EXPECT_EQ(r.transpose_forward, (std::array<int, 3>{2, 0, 1}));
  EXPECT_EQ(r.transpose_backward, (std::array<int, 3>{1, 2, 0}));
  ASSERT_EQ(r.stages.size(), 1u);
  const StagePlan& s = r.stages[0];
  expect_stage(s, 2, {40, 224, 224}, {3, 5, 5}, {40, 200, 200});
  EXPECT_EQ(s.current_spacing, (std::vector<double>{3, 0.8, 0.8}));
  KernelList pools{{1, 2, 2}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}, {1, 2, 2}};
  EXPECT_EQ(s.pool_op_kernel_sizes, pools);
  KernelList convs{{1, 3, 3}};
  for (int i = 0; i < 5; ++i) convs.push_back({3, 3, 3});
  EXPECT_EQ(s.conv_kernel_sizes, convs);
  EXPECT_TRUE(s.do_dummy_2D_data_aug);
}

TEST(Plan3d, AcdcLike) {
  PlannerResult r = plan_3d_v21(acdc_like(), 1, 4);
  ASSERT_EQ(r.stages.size(), 1u);
  const StagePlan& s = r.stages[0];
  expect_stage(s, 5, {14, 256, 224}, {1, 4, 4}, {13, 256, 216});
  EXPECT_EQ(s.current_spacing, (std::vector<double>{5, 1.5625, 1.5625}));
  EXPECT_EQ(s.pool_op_kernel_sizes, (KernelList{{1, 2, 2}, {2, 2, 2}, {1, 2, 2}, {1, 2, 2}}));
  KernelList convs{{1, 3, 3}};
  for (int i = 0; i < 4; ++i) convs.push_back({3, 3, 3});
  EXPECT_EQ(s.conv_kernel_sizes, convs);
  EXPECT_TRUE(s.do_dummy_2D_data_aug);
}

TEST(Plan3d, LitsLikeCascade) {
  PlannerResult r = plan_3d_v21(lits_like(), 1, 3);
  EXPECT_EQ(r.lowres_growth_steps, 88);
  ASSERT_EQ(r.stages.size(), 2u);
  const StagePlan& low = r.stages[0];
  expect_stage(low, 2, {128, 128, 128}, {5, 5, 5}, {180, 213, 213});
  EXPECT_EQ(low.current_spacing[0], 2.40038493740661);
  EXPECT_EQ(low.current_spacing[1], 1.8424829695328067);
  EXPECT_EQ(low.current_spacing[2], 1.8424829695328067);
  EXPECT_EQ(low.original_spacing, (std::vector<double>{1, 0.767578125, 0.767578125}));
  const StagePlan& full = r.stages[1];
  EXPECT_EQ(full.batch_size, 2);
  EXPECT_EQ(full.patch_size, (Shape{128, 128, 128}));
  EXPECT_EQ(full.median_patient_size_in_voxels, (Shape{432, 512, 512}));
  EXPECT_EQ(full.current_spacing, (std::vector<double>{1, 0.767578125, 0.767578125}));
}

// ---- §12.6 complete 2D plans ----

TEST(Plan2d, Spec12_6) {
  PlannerResult b = plan_2d_v21(brats(), 4, 4);
  ASSERT_EQ(b.stages.size(), 1u);
  expect_stage(b.stages[0], 106, {192, 160}, {5, 5}, {139, 170, 138});
  EXPECT_EQ(b.stages[0].pool_op_kernel_sizes, repeat({2, 2}, 5));
  EXPECT_EQ(b.stages[0].conv_kernel_sizes, repeat({3, 3}, 6));
  EXPECT_FALSE(b.stages[0].do_dummy_2D_data_aug);

  PlannerResult s = plan_2d_v21(uniform(260, {1, 1, 1}, {36, 50, 35}), 1, 3);
  EXPECT_EQ(s.stages[0].batch_size, 366);
  EXPECT_EQ(s.stages[0].patch_size, (Shape{56, 40}));
  EXPECT_EQ(s.stages[0].num_pool_per_axis, (std::vector<int>{3, 3}));

  PlannerResult a = plan_2d_v21(acdc_like(), 1, 4);
  EXPECT_EQ(a.stages[0].current_spacing, (std::vector<double>{6.5, 1.5625, 1.5625}));
  expect_stage(a.stages[0], 56, {256, 224}, {6, 5}, {10, 256, 216});
  KernelList pools = repeat({2, 2}, 5);
  pools.push_back({2, 1});
  EXPECT_EQ(a.stages[0].pool_op_kernel_sizes, pools);
  EXPECT_EQ(a.stages[0].conv_kernel_sizes, repeat({3, 3}, 7));

  PlannerResult l = plan_2d_v21(lits_like(), 1, 3);
  EXPECT_EQ(l.stages[0].batch_size, 12);
  EXPECT_EQ(l.stages[0].patch_size, (Shape{512, 512}));
  EXPECT_EQ(l.stages[0].num_pool_per_axis, (std::vector<int>{7, 7}));

  PlannerResult t = plan_2d_v21(uniform(20, {0.8, 0.8, 3.0}, {200, 200, 40}), 2, 3);
  EXPECT_EQ(t.stages[0].batch_size, 32);
  EXPECT_EQ(t.stages[0].patch_size, (Shape{224, 224}));
  EXPECT_EQ(t.stages[0].num_pool_per_axis, (std::vector<int>{5, 5}));
}

// ---- §12.7 normalisation and mask ----

TEST(Normalization, Spec12_7) {
  using N = Normalization;
  EXPECT_EQ(determine_use_mask_for_norm({"T1", "T1ce", "T2", "FLAIR"}, 0.37), (std::vector<bool>(4, true)));
  EXPECT_EQ(determine_normalization_schemes({"T1", "T1ce", "T2", "FLAIR"}), (std::vector<N>(4, N::kZScore)));
  EXPECT_EQ(determine_use_mask_for_norm({"T2", "ADC"}, np::median({0.9, 0.8, 0.7})), (std::vector<bool>{false, false}));
  EXPECT_EQ(determine_use_mask_for_norm({"T1"}, np::median({0.5, 0.8})), (std::vector<bool>{true}));
  EXPECT_EQ(determine_use_mask_for_norm({"CT"}, 0.3), (std::vector<bool>{false}));
  EXPECT_EQ(determine_normalization_schemes({"CT"}), (std::vector<N>{N::kCT}));
  // Pitfall 9: the mask test is the substring "CT" (case-sensitive), the scheme is equality with CT or ct.
  EXPECT_EQ(determine_use_mask_for_norm({"ct"}, 0.3), (std::vector<bool>{true}));
  EXPECT_EQ(determine_normalization_schemes({"ct"}), (std::vector<N>{N::kCT}));
  EXPECT_EQ(determine_use_mask_for_norm({"CTA"}, 0.3), (std::vector<bool>{false}));
  EXPECT_EQ(determine_normalization_schemes({"CTA"}), (std::vector<N>{N::kZScore}));
  EXPECT_EQ(determine_use_mask_for_norm({"noNorm"}, 0.3), (std::vector<bool>{true}));
  EXPECT_EQ(determine_normalization_schemes({"noNorm"}), (std::vector<N>{N::kNone}));
  // The threshold is strict: exactly 3/4 does not use the mask.
  EXPECT_EQ(determine_use_mask_for_norm({"T1"}, 0.75), (std::vector<bool>{false}));
}

// ---- assembly into nnseg's plans (§10.3), BraTS ----

TEST(PlanExperiment, BraTSPlans) {
  std::string log;
  Plans p = plan_experiment(brats(), brats_inputs(), {}, &log);
  EXPECT_EQ(p.dataset_name, "BraTS2020");
  EXPECT_EQ(p.plans_name, "nnUNetPlans");
  EXPECT_EQ(p.original_median_spacing_after_transp, (std::array<double, 3>{1, 1, 1}));
  EXPECT_EQ(p.original_median_shape_after_transp, (std::array<int64_t, 3>{139, 170, 138}));
  ASSERT_EQ(p.configurations.size(), 2u);  // 2d and 3d_fullres; no 3d_lowres
  const ConfigurationPlan& f = p.configuration("3d_fullres");
  EXPECT_EQ(f.data_identifier, "nnUNetPlans_3d_fullres");
  EXPECT_EQ(f.batch_size, 2);
  EXPECT_EQ(f.patch_size, (std::vector<int64_t>{128, 128, 128}));
  EXPECT_EQ(f.median_image_size_in_voxels, (std::vector<int64_t>{139, 170, 138}));
  EXPECT_EQ(f.spacing, (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(f.normalization_schemes, std::vector<Normalization>(4, Normalization::kZScore));
  EXPECT_EQ(f.use_mask_for_norm, std::vector<bool>(4, true));
  EXPECT_EQ(f.unet_base_num_features, 32);
  EXPECT_EQ(f.unet_max_num_features, 320);
  EXPECT_EQ(f.n_conv_per_stage_encoder, std::vector<int64_t>(6, 2));
  EXPECT_EQ(f.n_conv_per_stage_decoder, std::vector<int64_t>(5, 2));
  EXPECT_EQ(f.num_pool_per_axis, (std::vector<int64_t>{5, 5, 5}));
  EXPECT_EQ(f.pool_op_kernel_sizes, std::vector<std::vector<int64_t>>(5, {2, 2, 2}));
  EXPECT_EQ(f.conv_kernel_sizes, std::vector<std::vector<int64_t>>(6, {3, 3, 3}));
  EXPECT_FALSE(f.batch_dice);  // one stage: sample Dice (§9)
  EXPECT_FALSE(f.do_dummy_2D_data_aug);
  const ConfigurationPlan& d = p.configuration("2d");
  EXPECT_EQ(d.data_identifier, "nnUNetPlans_2d");
  EXPECT_EQ(d.batch_size, 106);
  EXPECT_EQ(d.patch_size, (std::vector<int64_t>{192, 160}));
  EXPECT_EQ(d.median_image_size_in_voxels, (std::vector<int64_t>{170, 138}));
  EXPECT_EQ(d.spacing, (std::vector<double>{1, 1}));
  EXPECT_EQ(d.unet_max_num_features, 480);
  EXPECT_EQ(d.num_pool_per_axis, (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(d.conv_kernel_sizes, std::vector<std::vector<int64_t>>(6, {3, 3}));
  EXPECT_TRUE(d.batch_dice);
  EXPECT_FALSE(d.do_dummy_2D_data_aug);
  EXPECT_THROW(p.configuration("3d_lowres"), InputError);

  EXPECT_NE(log.find("stage 0 (3d_fullres): {'batch_size': 2, 'num_pool_per_axis': [5, 5, 5], 'patch_size': "
                     "[128, 128, 128], 'median_patient_size_in_voxels': [139, 170, 138], 'current_spacing': [1., 1., "
                     "1.], 'original_spacing': [1., 1., 1.], 'do_dummy_2D_data_aug': False, 'pool_op_kernel_sizes': "
                     "[[2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2]], 'conv_kernel_sizes': [[3, 3, 3], [3, "
                     "3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]]}"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("stage 0 (2d): {'batch_size': 106,"), std::string::npos) << log;
  EXPECT_NE(log.find("Are we using the nonzero mask for normalization? {0: True, 1: True, 2: True, 3: True}"),
            std::string::npos);
}

TEST(PlanExperiment, CascadeBatchDiceAndIdentifiers) {
  Fingerprint fp = lits_like();
  const PlannerInputs inputs{"LiTS", {"CT"}, {1, 2}};
  // CT normalisation needs the intensity statistics, which this fingerprint lacks.
  EXPECT_THROW(plan_experiment(fp, inputs), InputError);
  fp.foreground_intensity_properties_per_channel.push_back({99, 100, 20, -50, 300, 250, -20});
  Plans p = plan_experiment(fp, inputs);
  ASSERT_EQ(p.configurations.size(), 3u);
  EXPECT_TRUE(p.configuration("3d_fullres").batch_dice);  // batch Dice when a lowres stage exists (§9)
  EXPECT_FALSE(p.configuration("3d_lowres").batch_dice);
  EXPECT_TRUE(p.configuration("2d").batch_dice);
  EXPECT_EQ(p.configuration("3d_lowres").data_identifier, "nnUNetPlans_3d_lowres");
  EXPECT_EQ(p.configuration("3d_lowres").median_image_size_in_voxels, (std::vector<int64_t>{180, 213, 213}));
  EXPECT_EQ(p.configuration("3d_fullres").normalization_schemes, (std::vector<Normalization>{Normalization::kCT}));
  EXPECT_EQ(p.configuration("3d_fullres").use_mask_for_norm, (std::vector<bool>{false}));
  EXPECT_EQ(p.foreground_intensity_properties_per_channel.size(), 1u);
  EXPECT_EQ(p.foreground_intensity_properties_per_channel[0].mean, 100);
  EXPECT_EQ(p.original_median_spacing_after_transp, (std::array<double, 3>{1, 0.767578125, 0.767578125}));
  // Statistics for a different channel count than dataset.json names.
  fp.foreground_intensity_properties_per_channel.push_back({});
  EXPECT_THROW(plan_experiment(fp, inputs), InputError);
}

TEST(PlanExperiment, GpuMemoryOption) {
  PlannerOptions eight;
  eight.gpu_memory_gb = 8;
  Plans a = plan_experiment(brats(), brats_inputs());
  Plans b = plan_experiment(brats(), brats_inputs(), eight);
  EXPECT_EQ(a.configuration("3d_fullres").patch_size, b.configuration("3d_fullres").patch_size);
  EXPECT_EQ(a.configuration("2d").batch_size, b.configuration("2d").batch_size);
  PlannerOptions sixteen;
  sixteen.gpu_memory_gb = 16;  // reference 1 109 333 333 > 1 085 817 600: the padded median patch fits
  Plans c = plan_experiment(brats(), brats_inputs(), sixteen);
  EXPECT_EQ(c.configuration("3d_fullres").patch_size, (std::vector<int64_t>{160, 192, 160}));
  EXPECT_EQ(c.configuration("3d_fullres").batch_size, 2);
  PlannerOptions zero;
  zero.gpu_memory_gb = 0;
  EXPECT_THROW(plan_experiment(brats(), brats_inputs(), zero), InputError);
}

// ---- §11 pitfalls ----

// Pitfall 1: half-to-even rounding of the median size (and everywhere else).
TEST(Pitfalls, RoundHalfEven1) {
  EXPECT_EQ(np::round_half_even(138.5), 138);
  EXPECT_EQ(np::round_half_even(28.5), 28);
  EXPECT_EQ(np::round_half_even(139.5), 140);
  EXPECT_EQ(np::round_half_even(-0.5), 0);
  Fingerprint fp;
  add_cases(fp, 1, {1, 1, 1}, {139, 170, 138});
  add_cases(fp, 1, {1, 1, 1}, {138, 171, 139});  // medians 138.5, 170.5, 138.5
  Plans p = plan_experiment(fp, brats_inputs());
  EXPECT_EQ(p.original_median_shape_after_transp, (std::array<int64_t, 3>{138, 170, 138}));
  EXPECT_EQ(p.configuration("3d_fullres").median_image_size_in_voxels, (std::vector<int64_t>{138, 170, 138}));
}

// Pitfall 2, ties: equal patch/median ratios reduce the highest axis first.
TEST(Pitfalls, ShrinkTiesGoToHighestAxis2) {
  // Median (100, 100, 204): after axis 2 shrinks, axes 0 and 1 tie (112/100); axis 1 goes first. Breaking the
  // tie towards the lowest axis would give the mirror image (96, 112, 224).
  StagePlan s = stage_properties_3d({1, 1, 1}, {1, 1, 1}, {100, 100, 204}, 10, 1, 2, kReferenceVram3d);
  EXPECT_EQ(s.patch_size, (Shape{112, 96, 224}));
}

// Pitfall 4: 3D floors after doubling and caps at >= 2; 2D floors before doubling and may go below 2.
TEST(Pitfalls, BatchFormulas4) {
  // 3D: two cases of (36, 50, 35): cap round(0.05 * 126000 / 89600) = 0 -> raised to 2.
  EXPECT_EQ(plan_3d_v21(uniform(2, {1, 1, 1}, {36, 50, 35}), 1, 3).stages[0].batch_size, 2);
  // 2D: one case: cap round(0.05 * 63000 / 2240) = round(1.41) = 1, no lower bound.
  EXPECT_EQ(plan_2d_v21(uniform(1, {1, 1, 1}, {36, 50, 35}), 1, 3).stages[0].batch_size, 1);
  // 2D BraTS: floor(53.61) * 2 = 106; flooring after doubling would give 107.
  EXPECT_EQ(plan_2d_v21(brats(), 4, 4).stages[0].batch_size, 106);
  // 3D: floor(max(ref / here, 1) * 2): (40, 56, 40) estimate 19 264 000 -> floor(57.58) = 57, capped at 9.
  EXPECT_EQ(plan_3d_v21(uniform(260, {1, 1, 1}, {36, 50, 35}), 1, 3).stages[0].batch_size, 9);
  EXPECT_EQ(plan_3d_v21(uniform(100000, {1, 1, 1}, {36, 50, 35}), 1, 3).stages[0].batch_size, 57);
}

// Pitfall 5: 3D reference scaled by 32/30; the 2D planner's first estimate uses 30 features.
TEST(Pitfalls, ReferenceScalingAndThirtyFeatures5) {
  EXPECT_DOUBLE_EQ(kReferenceVram3d, 554666666.6666666);
  EXPECT_EQ(kReferenceVram2d, 493491200.0);
  // In-plane median (1025, 1025) pads to (1280, 1280): 488 115 200 with 30 features fits the 2D reference,
  // 519 859 200 with 32 would not; so the patch is kept, with batch floor(1.011) * 2 = 2.
  const KernelList pools = get_pool_and_conv_props({1, 1}, {1025, 1025}).pool_op_kernel_sizes;
  EXPECT_EQ(compute_approx_vram_consumption({1280, 1280}, {8, 8}, 30, 512, 1, 3, pools), 488115200);
  EXPECT_EQ(compute_approx_vram_consumption({1280, 1280}, {8, 8}, 32, 512, 1, 3, pools), 519859200);
  const StagePlan s = plan_2d_v21(uniform(10, {1, 1, 1}, {10, 1025, 1025}), 1, 3).stages[0];
  EXPECT_EQ(s.patch_size, (Shape{1280, 1280}));
  EXPECT_EQ(s.batch_size, 2);
}

// Pitfall 11: the anisotropy test uses unscaled cropped sizes, the median shape spacing-scaled sizes.
TEST(Pitfalls, ScaledVersusUnscaledSizes11) {
  Fingerprint fp;
  add_cases(fp, 20, {0.5, 1, 1}, {80, 256, 256});
  add_cases(fp, 80, {5, 1, 1}, {80, 256, 256});
  // Unscaled: 3 * 80 = 240 < 256 -> anisotropic voxels -> 10th percentile rule -> 1.00001
  // (in mm, 3 * 400 > 256 would keep 5).
  PlannerResult r = plan_3d_v21(fp, 1, 2);
  EXPECT_EQ(r.target_spacing[0], 1.0 + 1e-5);
  // Median shape from scaled sizes: 5 / 1.00001 * 80 = 399.996 -> 400 voxels (unscaled would give 80).
  EXPECT_EQ(r.stages.back().median_patient_size_in_voxels[0], 400);
}

// Pitfall 12: a median case of exactly 4 patches never enters v1's growth loop (v1 then crashes): no 3d_lowres.
TEST(Pitfalls, LowresRatioExactlyFour12) {
  PlannerResult r = plan_3d_v21(uniform(10, {1, 1, 1}, {64, 384, 400}), 1, 2);
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_EQ(r.stages[0].patch_size, (Shape{40, 240, 256}));  // 64 * 384 * 400 = 4 * 40 * 240 * 256
  EXPECT_EQ(r.lowres_growth_steps, 0);
  // One voxel more along x: ratio > 4, the search runs.
  EXPECT_GT(plan_3d_v21(uniform(10, {1, 1, 1}, {64, 384, 401}), 1, 2).lowres_growth_steps, 0);
}

TEST(NumpyMath, MedianAndPercentile) {
  EXPECT_EQ(np::median({3, 1, 2}), 2);
  EXPECT_EQ(np::median({0.5, 0.8}), 0.65);
  EXPECT_EQ(np::median({0.9, 0.8, 0.7}), 0.8);
  EXPECT_EQ(np::percentile({1, 2, 3, 4}, 50), 2.5);
  EXPECT_EQ(np::percentile({0, 100}, 99.5), 99.5);
  EXPECT_EQ(np::percentile({5, 1}, 0), 1);
  EXPECT_EQ(np::percentile({5, 1}, 100), 5);
  EXPECT_EQ(np::mean({1, 2, 4}), 7.0 / 3);
}

}  // namespace
}  // namespace nnseg
