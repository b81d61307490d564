// `nnseg demo [--out DIR] [--cases N] [--test-cases M] [--spacing MM] [--epochs E] [--iterations-per-epoch I]
// [--device D] [--threads N] [--force]`: the whole pipeline on synthetic BraTS data, sized for a laptop CPU
// (spec/cli.md, issue 5 item 9): synthesize, convert, verify + plan + preprocess, train fold 0 (with its final
// validation), predict unseen labelled cases, evaluate with BraTS regions, and draw one overlay per case. Each step
// runs this same binary as a child process with the command a user would type, so the demo doubles as a walkthrough.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"

extern char** environ;

namespace nnseg::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMarker = ".nnseg_demo";  // marks a folder the demo made (and may replace)

struct DemoFlags {
  std::string out = "nnseg_demo";
  int cases = 20;
  int test_cases = 3;
  int spacing = 3;
  int epochs = 20;
  int iterations = 12;
  std::string device;
  bool force = false;
  int threads = 1;
};

fs::path self_executable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("/proc/self/exe", "cannot find the nnseg binary: " + ec.message());
  return p;
}

std::string quoted(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) {
    if (!s.empty()) s += ' ';
    s += a.find(' ') == std::string::npos ? a : "'" + a + "'";
  }
  return s;
}

// Runs `nnseg args...` and throws when it fails (its own error message has already been printed).
void run_step(const fs::path& self, const std::vector<std::string>& args) {
  std::cout << "$ nnseg " << quoted(args) << std::endl;
  std::vector<std::string> argv_strings{self.string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    throw Error(self.string(), "cannot start a demo step");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error("demo", "step 'nnseg " + args.front() + "' failed (exit status " +
                            std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
}

void heading(const std::string& text) { std::cout << "\n== " << text << std::endl; }

int run_demo(const DemoFlags& f) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  const fs::path out = fs::absolute(f.out);
  if (fs::exists(out)) {
    const bool ours = fs::exists(out / kMarker);
    if (!ours && !f.force && !fs::is_empty(out)) {
      throw InputError(out.string(), "exists and was not made by 'nnseg demo'; choose another --out or pass --force");
    }
    fs::remove_all(out);
  }
  fs::create_directories(out);
  std::ofstream(out / kMarker) << "made by nnseg demo; the next demo run replaces this folder\n";
  const std::string raw = (out / "nnUNet_raw").string();
  setenv("nnUNet_raw", raw.c_str(), 1);
  setenv("nnUNet_preprocessed", (out / "nnUNet_preprocessed").c_str(), 1);
  setenv("nnUNet_results", (out / "nnUNet_results").c_str(), 1);
  const fs::path self = self_executable();
  const std::string spacing = std::to_string(f.spacing);
  const std::string np = std::to_string(f.threads);
  std::vector<std::string> device;
  if (!f.device.empty()) device = {"--device", f.device};
  const auto with_device = [&](std::vector<std::string> args) {
    args.insert(args.end(), device.begin(), device.end());
    return args;
  };

  heading("1. synthesize " + std::to_string(f.cases) + " BraTS 2020-style training cases and " +
          std::to_string(f.test_cases) + " unseen labelled cases (Colin27 anatomy, " + spacing + " mm)");
  run_step(self, {"synth-brats", (out / "MICCAI_BraTS2020_TrainingData").string(), "--cases", std::to_string(f.cases),
                  "--seed", "1", "--spacing", spacing, "--preview", (out / "preview.png").string()});
  run_step(self, {"synth-brats", (out / "unseen").string(), "--cases", std::to_string(f.test_cases), "--seed", "2",
                  "--first-id", "101", "--spacing", spacing});

  heading("2. convert to an nnU-Net dataset (Task082: T1, T1ce, T2, FLAIR -> 0000..0003; labels 2/1/4 -> 1/2/3)");
  run_step(self, {"convert-brats", (out / "MICCAI_BraTS2020_TrainingData").string(), "-d", "82", "--name", "BraTS2020",
                  "--test", (out / "unseen").string()});

  heading("3. verify, fingerprint, plan and preprocess (nnUNet_plan_and_preprocess -t 82 --verify_dataset_integrity)");
  run_step(self, {"plan-and-preprocess", "-d", "82", "-c", "3d_fullres", "--verify-dataset-integrity", "--np", np});

  heading("4. train fold 0 (nnUNetTrainerV2): " + std::to_string(f.epochs) + " epochs x " +
          std::to_string(f.iterations) + " iterations (the real schedule is 1000 x 250), then validate the fold");
  run_step(self,
           with_device({"train", "-d", "82", "-c", "3d_fullres", "-f", "0", "--epochs", std::to_string(f.epochs),
                        "--iterations-per-epoch", std::to_string(f.iterations), "--val-iterations", "4", "--np", np}));

  const fs::path dataset = out / "nnUNet_raw" / "Dataset082_BraTS2020";
  const fs::path fold =
      out / "nnUNet_results" / "Dataset082_BraTS2020" / "nnUNetTrainerV2__nnUNetPlans__3d_fullres" / "fold_0";
  heading(
      "5. decide the postprocessing on the fold's validation predictions (connected components, BraTS ET threshold)");
  run_step(self, {"determine-postprocessing", "-d", "82", "-c", "3d_fullres", "-f", "0"});

  const fs::path predictions = out / "predictions";
  heading("6. predict the unseen cases (sliding window, mirroring, as nnUNet_predict)");
  run_step(self, with_device({"predict", "-i", (dataset / "imagesTs").string(), "-o", predictions.string(), "-d", "82",
                              "-c", "3d_fullres", "-f", "0", "--np", np}));

  heading("7. evaluate the unseen cases with the BraTS regions (Dice, HD95 in mm)");
  run_step(self, {"evaluate", "--ref", (dataset / "labelsTs").string(), "--pred", predictions.string(), "-d", "82",
                  "--regions", "brats", "-o", (out / "summary_unseen.json").string()});

  heading("8. overlays: FLAIR and T1ce with reference (solid) and prediction (dashed) contours");
  run_step(self, {"overlay", "-i", (dataset / "imagesTs").string(), "--pred", predictions.string(), "--ref",
                  (dataset / "labelsTs").string(), "--summary", (out / "summary_unseen.json").string(), "-o",
                  (out / "overlays").string()});
  if (fs::is_directory(fold / "validation")) {
    run_step(self, {"overlay", "-i", (dataset / "imagesTr").string(), "--pred", (fold / "validation").string(), "--ref",
                    (dataset / "labelsTr").string(), "--summary", (fold / "validation" / "summary.json").string(), "-o",
                    (out / "overlays_validation").string()});
  }

  const double minutes = std::chrono::duration<double>(Clock::now() - started).count() / 60.0;
  heading("done in " + std::to_string(minutes).substr(0, 4) + " min");
  std::cout << "training curves:      " << (fold / "progress.png").string() << "\n"
            << "fold 0 validation:    " << (fold / "validation" / "summary.json").string() << "\n"
            << "unseen cases:         " << (out / "summary_unseen.json").string() << "\n"
            << "overlays:             " << (out / "overlays").string() << "/\n"
            << "synthetic case 001:   " << (out / "preview.png").string() << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "demo", "the whole pipeline on synthetic BraTS data, sized for a laptop CPU",
    [](CLI::App& app) -> std::function<int()> {
      auto f = std::make_shared<DemoFlags>();
      app.add_option("--out", f->out, "output folder (default ./nnseg_demo; replaced when made by an earlier demo)");
      app.add_option("--cases", f->cases, "training cases (default 20)")->check(CLI::Range(5, 1000));
      app.add_option("--test-cases", f->test_cases, "unseen labelled cases (default 3)")->check(CLI::Range(1, 1000));
      app.add_option("--spacing", f->spacing,
                     "voxel size in mm of the synthetic data: 1, 2 or 3 (default 3; 1 = real BraTS)")
          ->check(CLI::Range(1, 3));
      app.add_option("--epochs", f->epochs, "training epochs (default 20)")->check(CLI::Range(1, 1000));
      app.add_option("--iterations-per-epoch", f->iterations, "iterations per epoch (default 12)")
          ->check(CLI::Range(1, 250));
      app.add_option("--device", f->device, "cpu, cuda or cuda:K (default: cuda when available, else cpu)");
      app.add_flag("--force", f->force, "replace --out even if the demo did not make it");
      add_threads_flag(app, f->threads);
      return [f] { return run_demo(*f); };
    });

}  // namespace
}  // namespace nnseg::cli
