// `nnseg convert-brats SRC [-d 82] [--name BraTS2020] [--test VAL_SRC] [--overwrite]`: a BraTS 2020 folder ->
// $nnUNet_raw/Dataset082_BraTS2020 (data-formats.md §2, spec/cli.md).
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "dataset/convert_brats.h"
#include "dataset/dataset_locator.h"

namespace nnseg::cli {
namespace {

struct ConvertBratsFlags {
  std::string source;
  std::string dataset = "82";
  std::string name;
  std::string test;
  bool overwrite = false;
  int threads = 1;
  PathFlags paths;
};

int run_convert_brats(const ConvertBratsFlags& flags) {
  DatasetRef ref = parse_dataset_ref(flags.dataset);
  std::string name = flags.name.empty() ? (ref.name.empty() ? "BraTS2020" : ref.name) : flags.name;
  if (!ref.name.empty() && ref.name != name) {
    throw InputError("--name " + name, "differs from the name in -d " + flags.dataset);
  }
  if (name.find_first_of("/\\") != std::string::npos || name == "." || name == "..") {
    throw InputError("--name " + name, "not a valid folder name part");
  }
  Paths paths = resolve_paths(flags.paths);
  if (!paths.raw) {
    throw InputError("nnUNet_raw",
                     "raw data folder not set: set $nnUNet_raw or pass --raw (convert-brats writes "
                     "$nnUNet_raw/" +
                         dataset_folder_name(ref.id, name) + ")");
  }
  ConvertBratsOptions options;
  options.source = flags.source;
  if (!flags.test.empty()) options.test_source = fs::path(flags.test);
  options.target = *paths.raw / dataset_folder_name(ref.id, name);
  options.name = name;
  options.overwrite = flags.overwrite;
  options.threads = flags.threads;
  StreamProgress progress;
  ConvertBratsResult result = convert_brats(options, progress);
  try {
    find_raw_dataset(paths, std::to_string(ref.id));
  } catch (const InputError& e) {
    log_warning("-d " + std::to_string(ref.id) + " will not resolve to one folder: " + e.what());
  }
  std::cout << "wrote " << options.target.string() << ": " << result.num_training << " training case(s) in imagesTr"
            << (options.test_source ? ", " + std::to_string(result.num_test) + " test case(s) in imagesTs" : "")
            << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "convert-brats", "BraTS 2020 folder -> $nnUNet_raw/Dataset082_BraTS2020 (labels 1/2/4 -> 2/1/3)",
    [](CLI::App& app) -> std::function<int()> {
      auto flags = std::make_shared<ConvertBratsFlags>();
      app.add_option("SRC", flags->source, "BraTS training folder (MICCAI_BraTS2020_TrainingData)")->required();
      app.add_option("-d,--dataset", flags->dataset, "dataset id (default 82)");
      app.add_option("--name", flags->name, "dataset name (default BraTS2020)");
      app.add_option("--test", flags->test, "validation/test folder without labels -> imagesTs");
      app.add_flag("--overwrite", flags->overwrite, "replace an existing dataset folder");
      add_path_flags(app, flags->paths);
      add_threads_flag(app, flags->threads);
      return [flags] { return run_convert_brats(*flags); };
    });

}  // namespace
}  // namespace nnseg::cli
