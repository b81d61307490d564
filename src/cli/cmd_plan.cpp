// `nnseg plan --fingerprint FP.json --dataset-json DS.json -o PLANS.json [--gpu-memory-gb X]`: the experiment
// planner alone (spec/cli.md), fingerprint + dataset.json -> nnUNetPlans.json. (`plan -d ID` is wired separately.)
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "core/error.h"
#include "fingerprint/fingerprint.h"
#include "planning/plan_experiment.h"
#include "planning/planner_inputs.h"
#include "planning/plans.h"

namespace nnseg::cli {
namespace {

struct PlanFlags {
  std::string fingerprint;   // --fingerprint: dataset_fingerprint.json
  std::string dataset_json;  // --dataset-json: dataset.json (v1 or v2)
  std::string output;        // -o: nnUNetPlans.json to write
  double gpu_memory_gb = 0;  // --gpu-memory-gb; 0 = nnU-Net v1's references
};

int run_plan(const PlanFlags& flags, bool gpu_memory_given) {
  if (flags.fingerprint.empty() || flags.dataset_json.empty() || flags.output.empty()) {
    throw InputError("nnseg plan", "needs --fingerprint FP.json --dataset-json DS.json -o PLANS.json");
  }
  PlannerOptions options;
  if (gpu_memory_given) {
    if (!(flags.gpu_memory_gb > 0)) {
      throw InputError("--gpu-memory-gb", std::to_string(flags.gpu_memory_gb) + ": expected a positive number");
    }
    options.gpu_memory_gb = flags.gpu_memory_gb;
  }
  const Fingerprint fingerprint = load_fingerprint(flags.fingerprint);
  const PlannerInputs inputs = load_planner_inputs(flags.dataset_json);
  check_planner_inputs(fingerprint, inputs, flags.fingerprint, flags.dataset_json);
  std::string log;
  const Plans plans = plan_experiment(fingerprint, inputs, options, &log);
  save_plans(flags.output, plans);
  std::cout << log << "wrote " << flags.output << "\n";
  return 0;
}

const CommandRegistrar kRegistrar{
    "plan", "plan the experiment (nnUNetPlans.json) from a fingerprint and dataset.json", [](CLI::App& app) {
      auto flags = std::make_shared<PlanFlags>();
      app.add_option("--fingerprint", flags->fingerprint, "dataset_fingerprint.json to plan from");
      app.add_option("--dataset-json", flags->dataset_json, "dataset.json (channel names and labels)");
      app.add_option("-o,--output", flags->output, "nnUNetPlans.json to write");
      CLI::Option* gpu = app.add_option("--gpu-memory-gb", flags->gpu_memory_gb,
                                        "GPU memory to plan for (default: nnU-Net v1's reference, 8 GB)");
      return [flags, gpu]() { return run_plan(*flags, gpu->count() > 0); };
    }};

}  // namespace
}  // namespace nnseg::cli
