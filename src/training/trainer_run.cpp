// The epoch loop of nnUNetTrainerV2 (spec/training.md §3): training iterations with SGD and deep supervision,
// validation iterations with online evaluation, the end-of-epoch sequence (pseudo-Dice, progress.png, lr,
// checkpoint_latest, EMA and checkpoint_best, the epoch-100 fallback) and the final checkpoint.
#include "training/trainer_run.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "io/json_file.h"
#include "network/generic_unet.h"
#include "network/init_weights.h"
#include "network/state_dict.h"
#include "report/progress_png.h"
#include "training/amp.h"
#include "training/augment_debug.h"
#include "training/batch_queue.h"
#include "training/deep_supervision.h"
#include "training/online_eval.h"
#include "training/poly_lr.h"
#include "training/sgd.h"
#include "training/training_log.h"

namespace nnseg {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A loader batch as tensors: data [B, C, P...] float, seg [B, 1, P...] float labels.
std::pair<torch::Tensor, torch::Tensor> batch_tensors(Batch& b) {
  torch::Tensor data = torch::from_blob(b.data.data(), b.data_shape, torch::kFloat).clone();
  const auto seg_shape = b.seg_shape();
  torch::Tensor seg = torch::from_blob(b.seg.data(), seg_shape, torch::kChar).to(torch::kFloat);
  return {data, seg};
}

class Trainer {
 public:
  Trainer(const RunSetup& setup, const TrainOptions& options, Progress& progress)
      : s_(setup), o_(options), progress_(progress), log_(setup.fold_folder) {}

  TrainResult run();

 private:
  void build();
  void restore(const fs::path& path);
  Checkpoint snapshot(int64_t epochs_completed) const;
  void save(const char* name, int64_t epochs_completed);
  double train_epoch(int64_t epoch, BatchQueue<AugmentedBatch>& queue);
  double validate_epoch(BatchQueue<AugmentedBatch>& queue);
  torch::Tensor loss_of(const std::vector<torch::Tensor>& outputs, const std::vector<torch::Tensor>& targets) const;
  void write_debug_json() const;

  const RunSetup& s_;
  TrainOptions o_;
  Progress& progress_;
  TrainingLog log_;
  uint64_t seed_ = kDefaultTrainingSeed;
  bool amp_ = false;
  GenericUNet net_{nullptr};
  std::vector<std::string> param_names_;
  std::unique_ptr<SgdNesterov> sgd_;
  std::unique_ptr<GradScaler> scaler_;
  TrainingHistory history_;
  PseudoDiceEma ema_;
  OnlineEvaluation online_;
  int64_t epoch_ = 0;
  double train_time_s_ = 0;
  int64_t train_steps_ = 0;
};

void Trainer::build() {
  seed_ = o_.seed.value_or(kDefaultTrainingSeed);
  amp_ = o_.device.is_cuda() && o_.mixed_precision;
  net_ = GenericUNet(s_.network, at::make_generator<at::CPUGeneratorImpl>(seed_));
  net_->to(o_.device);
  net_->set_do_ds(true);
  std::vector<torch::Tensor> params;
  for (const auto& p : net_->named_parameters(true)) {
    param_names_.push_back(p.key());
    params.push_back(p.value());
  }
  sgd_ = std::make_unique<SgdNesterov>(params, SgdOptions{});
  if (amp_ || o_.grad_scaler_on_cpu) scaler_ = std::make_unique<GradScaler>(o_.device);
}

void Trainer::restore(const fs::path& path) {
  const Checkpoint c = load_checkpoint(path);
  const auto mismatch = [&](const std::string& what, const std::string& stored, const std::string& now) {
    if (stored != now) {
      throw InputError(path.string(), "was written by a run with " + what + " '" + stored + "', not '" + now +
                                          "'; cannot continue it");
    }
  };
  mismatch("trainer", c.init.trainer_name, o_.trainer_name);
  mismatch("configuration", c.init.configuration, o_.configuration);
  mismatch("plans", c.init.plans_name, s_.plans.plans_name);
  mismatch("fold", fold_folder_name(c.init.fold), fold_folder_name(o_.fold));
  if (o_.seed && *o_.seed != c.init.seed) {
    log_warning("--seed " + std::to_string(*o_.seed) + " ignored: the continued run keeps its seed " +
                std::to_string(c.init.seed));
  }
  seed_ = c.init.seed;
  load_network_state(*net_, c.state_dict, path.string());
  std::map<std::string, torch::Tensor> buffers(c.optimizer.momentum_buffers.begin(),
                                               c.optimizer.momentum_buffers.end());
  std::vector<torch::Tensor> ordered;
  for (const auto& name : param_names_) {
    const auto it = buffers.find(name);
    ordered.push_back(it == buffers.end() ? torch::Tensor() : it->second);
    if (it != buffers.end()) buffers.erase(it);
  }
  if (!buffers.empty()) {
    throw InputError(path.string(), "momentum buffer of unknown parameter '" + buffers.begin()->first + "'");
  }
  sgd_->set_momentum_buffers(ordered);
  sgd_->set_momentum(c.optimizer.momentum);
  sgd_->set_lr(c.optimizer.lr);
  if (scaler_ && c.grad_scaler) scaler_ = std::make_unique<GradScaler>(o_.device, *c.grad_scaler);
  history_ = c.history;
  epoch_ = c.epoch;
  if (static_cast<int64_t>(history_.epochs()) != epoch_) {  // v1's legacy fix
    history_.truncate(static_cast<size_t>(std::min<int64_t>(epoch_, static_cast<int64_t>(history_.epochs()))));
    epoch_ = static_cast<int64_t>(history_.epochs());
  }
  ema_ = PseudoDiceEma(c.best_ema);
  if (c.cpu_generator_state.defined()) {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(c.cpu_generator_state);
  }
  log_.print("continuing from " + path.filename().string() + " at epoch " + std::to_string(epoch_));
}

Checkpoint Trainer::snapshot(int64_t epochs_completed) const {
  Checkpoint c;
  c.epoch = epochs_completed;
  c.state_dict = named_state(*net_);
  c.optimizer.lr = sgd_->options().lr;
  c.optimizer.momentum = sgd_->options().momentum;
  c.optimizer.weight_decay = sgd_->options().weight_decay;
  c.optimizer.nesterov = sgd_->options().nesterov;
  for (size_t i = 0; i < param_names_.size(); ++i) {
    const torch::Tensor& b = sgd_->momentum_buffers()[i];
    if (b.defined()) c.optimizer.momentum_buffers.emplace_back(param_names_[i], b);
  }
  c.history = history_;
  c.best_ema = ema_.best();
  if (scaler_) c.grad_scaler = scaler_->state();
  c.init.trainer_name = o_.trainer_name;
  c.init.dataset_name = s_.dataset_name;
  c.init.plans_name = s_.plans.plans_name;
  c.init.configuration = o_.configuration;
  c.init.fold = o_.fold;
  c.init.seed = seed_;
  c.init.num_epochs = o_.epochs;
  c.init.iterations_per_epoch = o_.iterations_per_epoch;
  c.init.val_iterations = o_.val_iterations;
  c.plans_json = s_.plans_json;
  {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(generator.mutex());
    c.cpu_generator_state = generator.get_state();
  }
  return c;
}

void Trainer::save(const char* name, int64_t epochs_completed) {
  const auto t0 = Clock::now();
  log_.print(kSavingCheckpoint);
  save_checkpoint(s_.fold_folder / name, snapshot(epochs_completed));
  log_.print(saving_took_message(seconds_since(t0)));
}

torch::Tensor Trainer::loss_of(const std::vector<torch::Tensor>& outputs,
                               const std::vector<torch::Tensor>& targets) const {
  return deep_supervision_loss(outputs, targets, s_.ds_weights,
                               [this](const torch::Tensor& logits, const torch::Tensor& target) {
                                 return dice_ce_loss(logits, target, s_.loss);
                               });
}

double Trainer::train_epoch(int64_t epoch, BatchQueue<AugmentedBatch>& queue) {
  net_->train();
  progress_.start("epoch " + std::to_string(epoch) + " train", o_.iterations_per_epoch);
  double sum = 0;
  for (int64_t it = 0; it < o_.iterations_per_epoch; ++it) {
    AugmentedBatch batch = queue.pop();
    if (!o_.debug_augmentation_dir.empty() && train_steps_ == 0) {
      write_augmentation_debug(o_.debug_augmentation_dir, batch.data, batch.target.front(), batch.data.size(0),
                               "epoch" + std::to_string(epoch) + "_iter" + std::to_string(it));
    }
    const auto t0 = Clock::now();
    const torch::Tensor data = batch.data.to(o_.device);
    std::vector<torch::Tensor> targets;
    for (auto& t : batch.target) targets.push_back(t.to(o_.device));
    sgd_->zero_grad();
    torch::Tensor loss;
    {
      const AutocastScope autocast(amp_);
      loss = loss_of(net_->forward(data), targets);
    }
    if (scaler_) {  // GradScaler: unscale before clipping (§12.10); skip the step on inf/NaN
      scaler_->scale(loss).backward();
      scaler_->unscale(sgd_->params());
      clip_gradient_norm(sgd_->params(), kGradClipNorm);
      if (!scaler_->found_inf()) sgd_->step();
      scaler_->update();
    } else {
      loss.backward();
      clip_gradient_norm(sgd_->params(), kGradClipNorm);
      sgd_->step();
    }
    sum += loss.item<double>();
    train_time_s_ += seconds_since(t0);
    ++train_steps_;
    progress_.advance();
  }
  progress_.finish();
  return sum / static_cast<double>(o_.iterations_per_epoch);
}

double Trainer::validate_epoch(BatchQueue<AugmentedBatch>& queue) {
  net_->eval();
  double sum = 0;
  const torch::NoGradGuard no_grad;
  for (int64_t it = 0; it < o_.val_iterations; ++it) {
    AugmentedBatch batch = queue.pop();
    const torch::Tensor data = batch.data.to(o_.device);
    std::vector<torch::Tensor> targets;
    for (auto& t : batch.target) targets.push_back(t.to(o_.device));
    const AutocastScope autocast(amp_);
    const std::vector<torch::Tensor> outputs = net_->forward(data);
    sum += loss_of(outputs, targets).item<double>();
    online_.add_batch(outputs.front(), targets.front());
  }
  return sum / static_cast<double>(o_.val_iterations);
}

void Trainer::write_debug_json() const {
  OrderedJson j;
  j["trainer"] = o_.trainer_name;
  j["dataset"] = s_.dataset_name;
  j["plans_name"] = s_.plans.plans_name;
  j["configuration"] = o_.configuration;
  j["fold"] = fold_folder_name(o_.fold);
  j["seed"] = seed_;
  j["device"] = o_.device.str();
  j["mixed_precision"] = amp_;
  j["threads"] = o_.threads;
  j["num_epochs"] = o_.epochs;
  j["iterations_per_epoch"] = o_.iterations_per_epoch;
  j["val_iterations"] = o_.val_iterations;
  j["initial_lr"] = kInitialLr;
  j["momentum"] = kSgdMomentum;
  j["weight_decay"] = kSgdWeightDecay;
  j["grad_clip_norm"] = kGradClipNorm;
  j["batch_size"] = s_.cfg.batch_size;
  j["patch_size"] = s_.cfg.patch_size;
  j["loader_patch_size"] = s_.train_loader.loader_patch_size;
  j["batch_dice"] = s_.loss.batch_dice;
  j["deep_supervision_weights"] = s_.ds_weights;
  j["deep_supervision_scales"] = s_.augment.deep_supervision_scales;
  j["oversample_foreground_percent"] = s_.train_loader.oversample_foreground_percent;
  j["num_parameters"] = count_parameters(*net_);
  j["train_cases"] = s_.split.train;
  j["val_cases"] = s_.split.val;
  save_json(s_.fold_folder / "debug.json", j);
}

TrainResult Trainer::run() {
  build();
  if (o_.continue_training) {
    const std::optional<fs::path> from = find_checkpoint_to_continue(s_.fold_folder);
    if (!from) {
      throw InputError(s_.fold_folder.string(), std::string("--continue: no checkpoint to continue from (") +
                                                    kCheckpointFinal + ", " + kCheckpointLatest + " or " +
                                                    kCheckpointBest + ")");
    }
    restore(*from);
  }
  TrainResult result;
  result.fold_folder = s_.fold_folder;
  result.start_epoch = epoch_;

  log_.print(case_keys_message("TRAINING KEYS", s_.split.train), false);
  log_.print(case_keys_message("VALIDATION KEYS", s_.split.val), false);
  log_.print(split_sizes_message(s_.split.train.size(), s_.split.val.size()));
  log_.print("seed " + std::to_string(seed_) + ", device " + o_.device.str() + (amp_ ? " (mixed precision)" : "") +
             ", " + std::to_string(o_.threads) + " thread(s), batch " + std::to_string(s_.cfg.batch_size) + ", patch " +
             OrderedJson(s_.cfg.patch_size).dump() + ", loader patch " +
             OrderedJson(s_.train_loader.loader_patch_size).dump());
  std::ostringstream tree;
  tree << *net_;
  log_.print(tree.str(), false);
  write_debug_json();

  const int64_t last_epoch = o_.stop_after_epochs ? std::min(o_.epochs, epoch_ + *o_.stop_after_epochs) : o_.epochs;
  sgd_->set_lr(poly_lr(std::min(epoch_, o_.epochs), o_.epochs, kInitialLr));

  DataLoaderOptions train_opts = s_.train_loader;
  train_opts.seed = seed_;
  DataLoaderOptions val_opts = s_.val_loader;
  val_opts.seed = seed_;
  const DataLoader3D train_loader(s_.data_folder, s_.split.train, train_opts);
  const DataLoader3D val_loader(s_.data_folder, s_.split.val, val_opts);
  const int loader_threads =
      o_.loader_threads > 0 ? o_.loader_threads : (o_.device.is_cuda() ? std::max(1, o_.threads - 1) : 1);
  const int64_t epochs_to_run = std::max<int64_t>(0, last_epoch - epoch_);
  BatchQueueOptions tq;
  tq.threads = loader_threads;
  tq.first_index = epoch_ * o_.iterations_per_epoch;
  tq.count = epochs_to_run * o_.iterations_per_epoch;
  BatchQueueOptions vq;
  vq.threads = std::max(1, loader_threads / 2);
  vq.first_index = epoch_ * o_.val_iterations;
  vq.count = epochs_to_run * o_.val_iterations;
  const uint64_t seed = seed_;
  const AugmentParams& augment = s_.augment;
  BatchQueue<AugmentedBatch> train_queue(
      [&train_loader, &augment, seed](int64_t i) {
        Batch b = train_loader.make_batch(i);
        auto [data, seg] = batch_tensors(b);
        AugmentRng rng(make_augment_generator(seed, i));
        return augment_training_batch(data, seg, augment, rng);
      },
      tq);
  BatchQueue<AugmentedBatch> val_queue(
      [&val_loader, &augment](int64_t i) {
        Batch b = val_loader.make_batch(i);
        auto [data, seg] = batch_tensors(b);
        return prepare_validation_batch(data, seg, augment);
      },
      vq);

  if (epoch_ >= o_.epochs) log_.print("training already finished (epoch " + std::to_string(epoch_) + ")");
  while (epoch_ < last_epoch) {
    const auto t0 = Clock::now();
    log_.print(epoch_header_message(epoch_));
    const double train_loss = train_epoch(epoch_, train_queue);
    log_.print(train_loss_message(train_loss));
    const double val_loss = validate_epoch(val_queue);
    log_.print(validation_loss_message(val_loss));
    const std::vector<double> dice = online_.finish_epoch();
    const double metric = pseudo_dice_metric(dice);
    history_.train_losses.push_back(train_loss);
    history_.val_losses.push_back(val_loss);
    history_.pseudo_dice.push_back(metric);
    history_.epoch_duration_s.push_back(seconds_since(t0));
    log_.print(global_dice_message(dice));
    log_.print(kDiceEstimateNote);
    report::write_progress_png(
        s_.fold_folder / "progress.png",
        report::TrainingCurves{history_.train_losses, history_.val_losses, history_.pseudo_dice, {}});
    const double next_lr = poly_lr(epoch_ + 1, o_.epochs, kInitialLr);
    sgd_->set_lr(next_lr);
    log_.print(lr_message(next_lr));
    if (epoch_ % o_.checkpoint_interval == o_.checkpoint_interval - 1) {
      log_.print(kSavingScheduledCheckpoint);
      save(kCheckpointLatest, epoch_ + 1);
      log_.print(kDone);
    }
    if (ema_.update(metric)) save(kCheckpointBest, epoch_ + 1);
    if (v2_momentum_fallback_due(epoch_, metric)) {
      sgd_->set_momentum(0.95);
      // Drawn on the CPU (the generator is a CPU one); Module::to keeps the parameter identities the SGD holds.
      net_->to(torch::kCPU);
      init_weights_he(*net_, kHeNegativeSlope, at::make_generator<at::CPUGeneratorImpl>(seed_ + 100));
      net_->to(o_.device);
      log_.print(kMomentumResetMessage);
    }
    log_.print(epoch_time_message(seconds_since(t0)));
    ++epoch_;
  }
  result.stopped_early = epoch_ < o_.epochs;
  if (!result.stopped_early) {
    save(kCheckpointFinal, o_.epochs);
    std::error_code ec;
    fs::remove(s_.fold_folder / kCheckpointLatest, ec);
  }
  result.epochs_completed = epoch_;
  result.history = history_;
  result.best_ema = ema_.best();
  result.mean_iteration_s = train_steps_ > 0 ? train_time_s_ / static_cast<double>(train_steps_) : 0.0;
  if (train_steps_ > 0) {
    std::ostringstream msg;
    msg << "mean training iteration: " << result.mean_iteration_s << " s (" << train_steps_ << " iterations)";
    log_.print(msg.str());
  }
  if (!result.stopped_early) {
    if (o_.final_validation && o_.final_validation_runner) {
      log_.print("final validation of " + std::to_string(s_.split.val.size()) + " case(s)");
      o_.final_validation_runner(
          {s_.fold_folder, s_.fold_folder / kCheckpointFinal, s_.data_folder, s_.preprocessed_dataset, s_.split.val,
           s_.raw_dataset, o_.configuration, o_.fold, o_.device, o_.mixed_precision},
          progress_);
    } else if (o_.final_validation) {
      log_.print("final validation skipped (no validation runner in this program)");
    } else {
      log_.print("final validation skipped (--no-final-validation)");
    }
  }
  return result;
}

}  // namespace

TrainResult run_training(const RunSetup& setup, const TrainOptions& options, Progress& progress) {
  Trainer trainer(setup, options, progress);
  return trainer.run();
}

}  // namespace nnseg
