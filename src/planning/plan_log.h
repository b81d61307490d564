// The planners' log as text, in the form nnU-Net v1 prints while planning (the stage dicts of
// spec/planning.md §8), for `plan` and `plan-and-preprocess` to show. Library code returns it; the CLI prints it.
#pragma once

#include <string>
#include <vector>

#include "planning/plan_experiment.h"

namespace nnseg {

// One v1 stage dict: {'batch_size': 2, 'num_pool_per_axis': [5, 5, 5], 'patch_size': [128, 128, 128], ...}.
std::string format_stage_plan(const StagePlan& stage);

// The whole log: normalisation decisions, median shapes, each configuration's stage dict, transpositions.
std::string format_plan_log(const PlannerResult& plan_3d, const PlannerResult& plan_2d, const PlannerInputs& inputs,
                            const std::vector<Normalization>& schemes, const std::vector<bool>& use_mask_for_norm);

}  // namespace nnseg
