// `nnseg predict -i IN -o OUT -d ID -c CONFIG [-f FOLDS...] [--checkpoint final|best] [--step-size 0.5]
// [--disable-tta] [--save-probabilities] [--device cpu|cuda|cuda:K] [--fp32] [--no-postprocess] [--weights W.npz]
// [--overwrite] [--threads N]`: predicts every CASE_XXXX<ending> case of IN with the average of the folds
// (spec/cli.md, spec/inference.md).
#include <torch/cuda.h>
#include <torch/torch.h>

#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/progress.h"
#include "inference/predict_cases.h"
#include "preprocessing/preprocess_dataset.h"
#include "training/train_options.h"
#include "training/trainer.h"

namespace nnseg::cli {
namespace {

struct PredictFlags {
  std::string input;
  std::string output;
  std::string dataset;
  std::string configuration = "3d_fullres";
  std::vector<std::string> folds;
  std::string trainer = kTrainerV2;
  std::string checkpoint = "final";
  double step_size = 0.5;
  bool disable_tta = false;
  bool save_probabilities = false;
  std::string device;
  bool fp32 = false;
  bool no_postprocess = false;
  std::string weights;
  bool overwrite = false;
  int threads = 1;
  PathFlags paths;
};

int run_predict(const PredictFlags& flags) {
  if (!(flags.step_size > 0 && flags.step_size <= 1)) {
    throw InputError("--step-size", std::to_string(flags.step_size) + ": expected a fraction in (0, 1]");
  }
  const Paths paths = resolve_paths(flags.paths);
  if (!paths.results) {
    throw InputError("nnUNet_results", "not set; set the environment variable (or RESULTS_FOLDER) or pass --results");
  }
  const DatasetFolders folders = resolve_dataset_folders(paths, flags.dataset, false);
  const std::string dataset_name = folders.preprocessed.filename().string();
  ModelSource source;
  source.experiment_folder =
      *paths.results / dataset_name / experiment_folder_name(flags.trainer, "nnUNetPlans", flags.configuration);
  source.preprocessed = folders.preprocessed;
  source.configuration = flags.configuration;
  for (const auto& f : flags.folds) {
    const int fold = parse_fold_flag(f, "-f");
    source.folds.push_back(fold);
  }
  source.checkpoint = flags.checkpoint;
  if (!flags.weights.empty()) source.weights_npz = fs::path(flags.weights);

  PredictOptions options;
  options.step_size = flags.step_size;
  options.mirroring = !flags.disable_tta;
  options.device = flags.device.empty() ? (torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU)
                                        : parse_device_flag(flags.device, "--device");
  options.mixed_precision = !flags.fp32;
  options.save_probabilities = flags.save_probabilities;
  options.overwrite = flags.overwrite;
  options.postprocess = !flags.no_postprocess;
  options.threads = flags.threads;
  if (flags.threads > 0) torch::set_num_threads(flags.threads);

  const TrainedModel model = load_trained_model(source);
  StreamProgress progress;
  const PredictReport r = predict_folder(model, flags.input, flags.output, options, progress);
  std::cout << flags.output << ": " << r.predicted.size() << " case(s) predicted";
  if (!r.skipped.empty()) std::cout << ", " << r.skipped.size() << " skipped (already there)";
  std::cout << " with " << model.fold_names.size() << " model(s)" << (options.mirroring ? ", mirroring on" : "")
            << (r.postprocessed ? ", postprocessed" : "") << " in " << r.seconds << " s\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "predict", "predicts the cases of a folder with a trained model (fold ensemble)",
    [](CLI::App& app) -> std::function<int()> {
      auto f = std::make_shared<PredictFlags>();
      app.add_option("-i,--input", f->input, "folder of CASE_XXXX.nii.gz images")->required();
      app.add_option("-o,--output", f->output, "folder for the segmentations")->required();
      app.add_option("-d,--dataset", f->dataset, "dataset: 82, 082, Dataset082_BraTS2020 or Task082_BraTS2020")
          ->required();
      app.add_option("-c,--configuration", f->configuration, "configuration (default 3d_fullres)");
      app.add_option("-f,--folds", f->folds, "folds to ensemble (default: every trained fold_N)");
      app.add_option("--tr,--trainer", f->trainer, "trainer (default nnUNetTrainerV2)");
      app.add_option("--checkpoint", f->checkpoint, "final or best (default final)");
      app.add_option("--step-size", f->step_size, "sliding-window step as a fraction of the patch (default 0.5)");
      app.add_flag("--disable-tta", f->disable_tta, "no test-time mirroring (8x faster in 3D)");
      app.add_flag("--save-probabilities", f->save_probabilities, "also write CASE.npz (softmax) and CASE.json");
      app.add_option("--device", f->device, "cpu, cuda or cuda:K (default: cuda when available, else cpu)");
      app.add_flag("--fp32", f->fp32, "no mixed precision on CUDA");
      app.add_flag("--no-postprocess", f->no_postprocess, "do not apply the model's postprocessing.json");
      app.add_option("--weights", f->weights, "predict with weights from an .npz (nnseg export-weights)");
      app.add_flag("--overwrite", f->overwrite, "predict cases whose output already exists again");
      add_path_flags(app, f->paths);
      add_threads_flag(app, f->threads);
      return [f] { return run_predict(*f); };
    });

}  // namespace
}  // namespace nnseg::cli
