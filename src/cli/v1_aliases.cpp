// nnU-Net v1 command names (links to the binary, spec/cli.md) translated into nnseg commands before parsing.
// nnUNet_plan_and_preprocess -t 82 [--verify_dataset_integrity] [-tl N] [-tf N] [-pl3d X] [-pl2d X] [-no_pp]
//   -> nnseg plan-and-preprocess -d 82 [--verify-dataset-integrity] [--np N] [--planner3d X] [--planner2d X]
//      [--no-preprocess]
#include <string>
#include <vector>

#include "cli/command.h"

namespace nnseg::cli {
namespace {

// v1's -tf (cropping, fingerprint, full-resolution and 2D preprocessing) sets nnseg's single thread count; -tl
// (low-resolution preprocessing only) is used when -tf is absent. Other arguments pass through unchanged, so CLI11
// reports flags nnseg does not have.
std::vector<std::string> translate_plan_and_preprocess(const std::vector<std::string>& args) {
  std::vector<std::string> out{"plan-and-preprocess"};
  std::string tl, tf;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "-t" || a == "--task_ids") {
      out.push_back("-d");
      // v1 takes several ids; every value is passed on, so more than one is reported by the parser.
      while (i + 1 < args.size() && !args[i + 1].empty() && args[i + 1][0] != '-') out.push_back(args[++i]);
    } else if (a == "--verify_dataset_integrity") {
      out.push_back("--verify-dataset-integrity");
    } else if ((a == "-tl" || a == "--tl") && has_value) {
      tl = args[++i];
    } else if ((a == "-tf" || a == "--tf") && has_value) {
      tf = args[++i];
    } else if ((a == "-pl3d" || a == "--planner3d") && has_value) {
      out.insert(out.end(), {"--planner3d", args[++i]});
    } else if ((a == "-pl2d" || a == "--planner2d") && has_value) {
      out.insert(out.end(), {"--planner2d", args[++i]});
    } else if (a == "-no_pp") {
      out.push_back("--no-preprocess");
    } else {
      out.push_back(a);
    }
  }
  if (!tf.empty()) {
    out.insert(out.end(), {"--np", tf});
  } else if (!tl.empty()) {
    out.insert(out.end(), {"--np", tl});
  }
  return out;
}

const AliasRegistrar kPlanAndPreprocess("nnUNet_plan_and_preprocess", translate_plan_and_preprocess);

}  // namespace
}  // namespace nnseg::cli

// nnUNet_train NETWORK TRAINER TASK FOLD [-c] [--npz] [--fp32] [--deterministic]
//   -> nnseg train -d TASK -c NETWORK -f FOLD --tr TRAINER [--continue] [--fp32]
// (spec/cli.md). --npz (probabilities of the final validation) and --deterministic (nnseg always seeds) are
// accepted and dropped; other v1 options pass through, so the parser reports the ones nnseg lacks.
namespace nnseg::cli {
namespace {

std::vector<std::string> translate_train(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-c" || a == "--continue_training") {
      rest.push_back("--continue");
    } else if (a == "--npz" || a == "--deterministic") {
      continue;
    } else if (a == "--fp32") {
      rest.push_back("--fp32");
    } else if (!a.empty() && a[0] == '-') {
      rest.push_back(a);
    } else if (positional.size() < 4) {
      positional.push_back(a);
    } else {
      rest.push_back(a);
    }
  }
  std::vector<std::string> out{"train"};
  const char* flags[] = {"-c", "--tr", "-d", "-f"};  // NETWORK TRAINER TASK FOLD
  for (size_t k = 0; k < positional.size(); ++k) out.insert(out.end(), {flags[k], positional[k]});
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

const AliasRegistrar kTrain("nnUNet_train", translate_train);

}  // namespace
}  // namespace nnseg::cli

// nnUNet_predict -i IN -o OUT -t TASK [-m CONFIG] [-f FOLDS...] [-tr TRAINER] [-p PLANS] [-z] [--disable_tta]
//   [--step_size S] [-chk model_final_checkpoint|model_best] [--overwrite_existing] [--disable_mixed_precision]
//   -> nnseg predict -i IN -o OUT -d TASK -c CONFIG [-f ...] [--tr TRAINER] [--save-probabilities] [--disable-tta]
//      [--step-size S] [--checkpoint final|best] [--overwrite] [--fp32]
// (spec/inference.md §9). -p (nnseg has one plans name), --num_threads_preprocessing, --num_threads_nifti_save,
// --all_in_gpu and --mode are accepted and dropped; --part_id/--num_parts and -l pass through and are reported.
namespace nnseg::cli {
namespace {

std::vector<std::string> translate_predict(const std::vector<std::string>& args) {
  std::vector<std::string> out{"predict"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "-t" || a == "--task_name") {
      out.push_back("-d");
    } else if (a == "-m" || a == "--model") {
      out.push_back("-c");
    } else if (a == "-z" || a == "--save_npz") {
      out.push_back("--save-probabilities");
    } else if (a == "--disable_tta") {
      out.push_back("--disable-tta");
    } else if (a == "--step_size") {
      out.push_back("--step-size");
    } else if ((a == "-chk" || a == "--chk") && has_value) {
      const std::string& v = args[++i];
      out.insert(out.end(), {"--checkpoint", v == "model_final_checkpoint" ? "final" : v == "model_best" ? "best" : v});
    } else if (a == "--overwrite_existing") {
      out.push_back("--overwrite");
    } else if (a == "--disable_mixed_precision") {
      out.push_back("--fp32");
    } else if ((a == "-p" || a == "--plans_identifier" || a == "--num_threads_preprocessing" ||
                a == "--num_threads_nifti_save" || a == "--all_in_gpu" || a == "--mode") &&
               has_value) {
      ++i;
    } else {
      out.push_back(a);
    }
  }
  return out;
}

const AliasRegistrar kPredict("nnUNet_predict", translate_predict);

}  // namespace
}  // namespace nnseg::cli
