// make bench (issue 4): training speed of our LibTorch GenericUNet on the CPU.
//
//   nnseg_bench_train_step step PLAN PATCH BATCH THREADS STEPS
//     ms per training step (zero_grad, forward, deep-supervision Dice+CE loss, backward, gradient clipping, SGD
//     Nesterov) after one warm-up step; PLAN is `brats` (4 -> 4 classes, 6 stages, base 32) or `small` (4 -> 4,
//     4 stages, base 16). bench_train_step.py times the same step in PyTorch-Python.
//   nnseg_bench_train_step trainer THREADS ITERATIONS
//     writes a tiny preprocessed dataset (4 channels, 2 classes, small plan at 32^3), runs train_fold for one epoch
//     of ITERATIONS iterations and times every training iteration between consecutive Progress::advance calls (so
//     batch waiting + step, with loading and augmentation in the trainer's background thread). Ratios: their mean
//     over the trainer's own mean step time in the same run (ratio_same_run), and their median over the network
//     step timed alone afterwards for the same plan (ratio_standalone).
// Output: one `key value` line per number (scripts/bench.sh reads them).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "network/generic_unet.h"
#include "network/network_config.h"
#include "training/deep_supervision.h"
#include "training/dice_ce_loss.h"
#include "training/sgd.h"
#include "training/tiny_dataset_test_util.h"
#include "training/trainer.h"
#include "training/trainer_run.h"

namespace nnseg {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

NetworkConfig plan_config(const std::string& plan) {
  if (plan == "brats") return brats_3d_fullres_network_config(4);
  if (plan != "small") throw std::runtime_error("unknown plan " + plan + " (brats or small)");
  NetworkConfig c;
  c.input_channels = 4;
  c.num_classes = 4;
  c.base_num_features = 16;
  c.pool_kernel_sizes.assign(3, {2, 2, 2});
  c.conv_kernel_sizes.assign(4, {3, 3, 3});
  return c;
}

// Times `steps` network-only training steps after one warm-up step; returns the per-step milliseconds.
std::vector<double> time_network_steps(const NetworkConfig& config, const DiceCeOptions& loss_options, int64_t patch,
                                       int64_t batch, int64_t steps) {
  torch::manual_seed(0);
  GenericUNet net(config);
  net->train();
  SgdNesterov sgd(net->parameters(), SgdOptions{});
  const std::vector<double> weights = deep_supervision_weights(static_cast<int64_t>(config.pool_kernel_sizes.size()));
  const torch::Tensor x = torch::randn({batch, config.input_channels, patch, patch, patch});
  const torch::Tensor labels = torch::randint(0, config.num_classes, {batch, 1, patch, patch, patch}).to(torch::kFloat);
  const std::vector<torch::Tensor> targets =
      downsample_labels_for_deep_supervision(labels, deep_supervision_scales(config.pool_kernel_sizes));
  std::vector<double> ms;
  for (int64_t s = 0; s <= steps; ++s) {
    const auto t0 = Clock::now();
    sgd.zero_grad();
    const torch::Tensor loss = deep_supervision_loss(
        net->forward(x), targets, weights,
        [&](const torch::Tensor& l, const torch::Tensor& t) { return dice_ce_loss(l, t, loss_options); });
    loss.backward();
    clip_gradient_norm(sgd.params(), kGradClipNorm);
    sgd.step();
    (void)loss.item<double>();
    if (s > 0) ms.push_back(ms_since(t0));  // step 0 is the warm-up
  }
  return ms;
}

int run_step(int argc, char** argv) {
  if (argc != 7) throw std::runtime_error("usage: step PLAN PATCH BATCH THREADS STEPS");
  const std::string plan = argv[2];
  const int64_t patch = std::stoll(argv[3]), batch = std::stoll(argv[4]), steps = std::stoll(argv[6]);
  const int threads = std::stoi(argv[5]);
  torch::set_num_threads(threads);
  const NetworkConfig config = plan_config(plan);
  const std::vector<double> ms = time_network_steps(config, DiceCeOptions{}, patch, batch, steps);
  std::cout << "torch " << TORCH_VERSION << "\nthreads " << torch::get_num_threads() << "\nms_median " << median(ms)
            << "\nms_mean " << std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size()) << "\nsteps "
            << ms.size() << "\n";
  return 0;
}

// Records the wall time between consecutive advance() calls of the training loop ("... train" tasks only).
class IterationTimer : public Progress {
 public:
  void start(const std::string& label, int64_t) override {
    active_ = label.size() >= 5 && label.compare(label.size() - 5, 5, "train") == 0;
    last_ = Clock::now();
  }
  void advance(int64_t) override {
    if (!active_) return;
    intervals_ms.push_back(ms_since(last_));
    last_ = Clock::now();
  }
  void finish() override { active_ = false; }
  std::vector<double> intervals_ms;

 private:
  bool active_ = false;
  Clock::time_point last_;
};

int run_trainer(int argc, char** argv) {
  if (argc != 4) throw std::runtime_error("usage: trainer THREADS ITERATIONS");
  const int threads = std::stoi(argv[2]);
  const int64_t iterations = std::stoll(argv[3]);
  std::string pattern = (std::filesystem::temp_directory_path() / "nnseg-bench-trainer-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create a temporary folder");
  const std::filesystem::path dir = pattern;

  testing::TinyDatasetOptions tiny;
  tiny.num_cases = 4;
  tiny.case_size = 48;
  tiny.patch = 32;
  tiny.pools = 3;
  tiny.base_features = 16;
  tiny.batch_size = 2;
  tiny.channels = 4;
  const TrainFolders folders{testing::write_tiny_dataset(dir / "pre", tiny), dir / "results", std::nullopt, "1"};
  TrainOptions options;
  options.fold = kFoldAll;
  options.epochs = 1;
  options.iterations_per_epoch = iterations;
  options.val_iterations = 1;
  options.threads = threads;
  options.final_validation = false;
  const RunSetup setup = prepare_run(folders, options);

  IterationTimer timer;
  const TrainResult result = train_fold(folders, options, timer);
  // The first iteration waits for the queue to fill (start-up, not steady state): left out.
  const std::vector<double> full(timer.intervals_ms.begin() + 1, timer.intervals_ms.end());
  const double full_mean = std::accumulate(full.begin(), full.end(), 0.0) / static_cast<double>(full.size());
  // The trainer's own step time (forward+backward+step, no batch waiting) in the same run, so that other load on the
  // machine affects both sides alike; all iterations, the first included.
  const double step_mean = 1000.0 * result.mean_iteration_s;
  torch::set_num_threads(threads);
  const std::vector<double> net =
      time_network_steps(setup.network, setup.loss, setup.cfg.patch_size[0], setup.cfg.batch_size, iterations - 1);
  std::filesystem::remove_all(dir);
  std::cout << "torch " << TORCH_VERSION << "\nthreads " << threads << "\npatch " << setup.cfg.patch_size[0]
            << "\nbatch " << setup.cfg.batch_size << "\nclasses " << setup.network.num_classes << "\nfull_ms_median "
            << median(full) << "\nfull_ms_mean " << full_mean << "\ntrainer_step_ms_mean " << step_mean
            << "\nratio_same_run " << full_mean / step_mean << "\nnet_ms_median " << median(net)
            << "\nratio_standalone " << median(full) / median(net) << "\niterations " << full.size() << "\n";
  return 0;
}

}  // namespace
}  // namespace nnseg

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "step") return nnseg::run_step(argc, argv);
    if (mode == "trainer") return nnseg::run_trainer(argc, argv);
    std::cerr << "usage: nnseg_bench_train_step step PLAN PATCH BATCH THREADS STEPS | trainer THREADS ITERATIONS\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "nnseg_bench_train_step: " << e.what() << "\n";
    return 1;
  }
}
