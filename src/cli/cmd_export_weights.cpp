// `nnseg export-weights FOLD_DIR -o W.npz [--checkpoint final|best] [--force]`: the fold's network weights as a
// NumPy .npz keyed by nnU-Net v1 Generic_UNet state-dict names, float32 in v1 shapes (spec/cli.md).
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "core/error.h"
#include "inference/weights_npz.h"

namespace nnseg::cli {
namespace {

struct ExportWeightsFlags {
  std::string fold_dir;
  std::string output;
  std::string checkpoint = "final";
  bool force = false;
};

int run_export_weights(const ExportWeightsFlags& flags) {
  const fs::path fold(flags.fold_dir);
  if (!fs::is_directory(fold)) {
    throw InputError(fold.string(), "fold folder not found (expected .../nnUNetTrainerV2__nnUNetPlans__CONFIG/fold_F)");
  }
  const fs::path checkpoint = fold / (flags.checkpoint == "best" ? kCheckpointBest : kCheckpointFinal);
  if (!fs::exists(checkpoint)) {
    throw InputError(checkpoint.string(),
                     "checkpoint not found; train the fold first ('nnseg train')" +
                         std::string(flags.checkpoint == "final" ? " or pass --checkpoint best" : ""));
  }
  const fs::path output(flags.output);
  if (fs::exists(output) && !flags.force) {
    throw InputError(output.string(), "exists; pass --force to overwrite it");
  }
  if (fs::is_directory(output)) throw InputError(output.string(), "is a folder; -o needs a file name (W.npz)");
  export_weights_npz(checkpoint, output);
  std::cout << output.string() << ": weights of " << checkpoint.string() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "export-weights", "network weights of a fold as a NumPy .npz with nnU-Net v1 state-dict names",
    [](CLI::App& app) -> std::function<int()> {
      auto f = std::make_shared<ExportWeightsFlags>();
      app.add_option("FOLD_DIR", f->fold_dir, "fold folder holding checkpoint_final.pth / checkpoint_best.pth")
          ->required();
      app.add_option("-o,--output", f->output, "the .npz file to write")->required();
      app.add_option("--checkpoint", f->checkpoint, "final (default) or best")->check(CLI::IsMember({"final", "best"}));
      app.add_flag("--force,--overwrite", f->force, "replace an existing output file");
      return [f] { return run_export_weights(*f); };
    });

}  // namespace
}  // namespace nnseg::cli
