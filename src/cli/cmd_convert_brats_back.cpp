// `nnseg convert-brats-back IN_DIR OUT_DIR`: predicted nnU-Net labels -> BraTS labels (1/2/3 -> 2/1/4) for
// challenge submission (data-formats.md §2.5).
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/progress.h"
#include "dataset/convert_brats.h"

namespace nnseg::cli {
namespace {

struct ConvertBackFlags {
  std::string in;
  std::string out;
  int threads = 1;
};

const CommandRegistrar kRegistrar(
    "convert-brats-back", "nnU-Net labels -> BraTS labels (1/2/3 -> 2/1/4) for every .nii.gz of a folder",
    [](CLI::App& app) -> std::function<int()> {
      auto flags = std::make_shared<ConvertBackFlags>();
      app.add_option("IN_DIR", flags->in, "folder of predicted .nii.gz label maps (nnU-Net labels)")->required();
      app.add_option("OUT_DIR", flags->out, "output folder (created)")->required();
      add_threads_flag(app, flags->threads);
      return [flags] {
        StreamProgress progress;
        int n = convert_brats_back(flags->in, flags->out, flags->threads, progress);
        std::cout << "wrote " << n << " file(s) in BraTS labels to " << flags->out << "\n";
        return 0;
      };
    });

}  // namespace
}  // namespace nnseg::cli
