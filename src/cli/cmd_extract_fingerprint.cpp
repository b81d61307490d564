// `nnseg extract-fingerprint -d ID [-np N] [--overwrite]`: every training case cropped in memory and summarised ->
// $nnUNet_preprocessed/DatasetXXX_Name/dataset_fingerprint.json, with dataset.json copied beside it (spec/cli.md,
// spec/planning.md §1, §3, §4).
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/progress.h"
#include "fingerprint/extract_fingerprint.h"
#include "preprocessing/preprocess_dataset.h"

namespace nnseg::cli {
namespace {

struct ExtractFingerprintFlags {
  std::string dataset;
  bool overwrite = false;
  int threads = 1;
  PathFlags paths;
};

int run_extract_fingerprint(const ExtractFingerprintFlags& flags) {
  const DatasetFolders folders = resolve_dataset_folders(resolve_paths(flags.paths), flags.dataset, true);
  ExtractFingerprintOptions options;
  options.threads = flags.threads;
  options.overwrite = flags.overwrite;
  StreamProgress progress;
  const ExtractFingerprintResult result =
      extract_dataset_fingerprint(*folders.raw, folders.preprocessed, options, progress);
  std::cout << (result.reused ? "kept " : "wrote ") << result.fingerprint_file.string() << ": "
            << result.fingerprint.num_cases() << " case(s), median relative size after cropping "
            << result.fingerprint.median_relative_size_after_cropping << "\n";
  return 0;
}

const CommandRegistrar kRegistrar("extract-fingerprint",
                                  "crops every training case, analyses it, writes dataset_fingerprint.json",
                                  [](CLI::App& app) -> std::function<int()> {
                                    auto flags = std::make_shared<ExtractFingerprintFlags>();
                                    app.add_option("-d,--dataset", flags->dataset,
                                                   "dataset: 82, 082, Dataset082_BraTS2020 or Task082_BraTS2020")
                                        ->required();
                                    app.add_flag("--overwrite", flags->overwrite,
                                                 "recompute even when a fingerprint of the same cases exists");
                                    add_path_flags(app, flags->paths);
                                    add_threads_flag(app, flags->threads);
                                    return [flags] { return run_extract_fingerprint(*flags); };
                                  });

}  // namespace
}  // namespace nnseg::cli
