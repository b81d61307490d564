// The training loop end to end on a tiny preprocessed dataset (spec/training.md §3, §5, §8, §9, §12): files of a
// run, --continue against an uninterrupted run, the per-epoch poly LR, checkpoint_best against the EMA rule, splits,
// and the errors of `nnseg train` through the binary.
#include "training/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/atomic_write.h"
#include "io/json_file.h"
#include "planning/splits.h"
#include "testing/temp_dir.h"
#include "training/online_eval.h"
#include "training/poly_lr.h"
#include "training/tiny_dataset_test_util.h"
#include "training/trainer_run.h"
#include "training/training_log.h"

namespace nnseg {
namespace {

using testing::TempDir;

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override { dataset_ = testing::write_tiny_dataset(dir_ / "pre", options_); }

  TrainOptions quick(int64_t epochs, int fold = kFoldAll) const {
    TrainOptions o;
    o.fold = fold;
    o.epochs = epochs;
    o.iterations_per_epoch = 2;
    o.val_iterations = 1;
    o.threads = 1;
    o.seed = 5;
    return o;
  }
  TrainFolders folders(const std::string& results = "results") const {
    return {dataset_, dir_ / results, std::nullopt, "1"};
  }
  fs::path fold_dir(const std::string& fold = "fold_all", const std::string& results = "results") const {
    return dir_ / results / "Dataset001_Tiny" / "nnUNetTrainerV2__nnUNetPlans__3d_fullres" / fold;
  }
  static std::string log_text(const fs::path& fold) {
    for (const auto& e : fs::directory_iterator(fold)) {
      if (e.path().filename().string().rfind("training_log_", 0) == 0) return read_file(e.path());
    }
    return "";
  }

  TempDir dir_;
  testing::TinyDatasetOptions options_;
  fs::path dataset_;
  NullProgress progress_;
};

void expect_same_tensors(const NamedTensors& a, const NamedTensors& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  }
}

TEST_F(TrainerTest, OneEpochWritesCheckpointLogProgressAndExperimentFiles) {
  const TrainResult r = train_fold(folders(), quick(1), progress_);
  const fs::path fold = fold_dir();
  EXPECT_EQ(r.fold_folder, fold);
  EXPECT_EQ(r.epochs_completed, 1);
  EXPECT_FALSE(r.stopped_early);
  EXPECT_GT(r.mean_iteration_s, 0.0);
  EXPECT_TRUE(fs::is_regular_file(fold / "checkpoint_final.pth"));
  EXPECT_FALSE(fs::exists(fold / "checkpoint_latest.pth"));
  const std::string png = read_file(fold / "progress.png");
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_TRUE(fs::is_regular_file(fold / "debug.json"));
  const fs::path experiment = fold.parent_path();
  EXPECT_EQ(read_file(experiment / "plans.json"), read_file(dataset_ / "nnUNetPlans.json"));
  EXPECT_EQ(read_file(experiment / "dataset.json"), read_file(dataset_ / "dataset.json"));

  const std::string log = log_text(fold);
  EXPECT_EQ(log.rfind("Starting... \n", 0), 0u);
  for (const char* line : {"epoch:  0 \n", "train loss : ", "validation loss: ", "Average global foreground Dice: [",
                           kDiceEstimateNote, "lr: 0.0 \n", "This epoch took ", "saving checkpoint...", "TRAINING KEYS",
                           "This split has 5 training and 5 validation cases."}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
  }

  const Checkpoint c = load_checkpoint(fold / "checkpoint_final.pth");
  EXPECT_EQ(c.epoch, 1);
  EXPECT_EQ(c.history.train_losses.size(), 1u);
  EXPECT_EQ(c.history.val_losses.size(), 1u);
  EXPECT_EQ(c.history.pseudo_dice.size(), 1u);
  EXPECT_EQ(c.init.fold, kFoldAll);
  EXPECT_EQ(c.init.seed, 5u);
  EXPECT_EQ(c.init.configuration, "3d_fullres");
  EXPECT_EQ(c.init.dataset_name, "Dataset001_Tiny");
  EXPECT_FALSE(c.grad_scaler.has_value());  // CPU: float32, no scaler
  EXPECT_EQ(c.plans_json, read_file(dataset_ / "nnUNetPlans.json"));
  EXPECT_DOUBLE_EQ(c.optimizer.momentum, 0.99);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.0);  // poly(1, 1), set at the end of the last epoch
  EXPECT_FALSE(c.optimizer.momentum_buffers.empty());
  EXPECT_EQ(r.history.train_losses, c.history.train_losses);
}

// §8.2: a run stopped after 2 of 3 epochs and continued gives the uninterrupted run's weights, momentum buffers and
// curves bit for bit (CPU, same seed and threads: every batch is drawn from the seed and its index).
TEST_F(TrainerTest, ContinueMatchesAnUninterruptedRun) {
  TrainOptions first = quick(3);
  first.checkpoint_interval = 1;  // checkpoint_latest after every epoch
  first.stop_after_epochs = 2;
  const TrainResult a = train_fold(folders(), first, progress_);
  EXPECT_TRUE(a.stopped_early);
  EXPECT_EQ(a.epochs_completed, 2);
  const fs::path fold = fold_dir();
  ASSERT_TRUE(fs::is_regular_file(fold / "checkpoint_latest.pth"));
  EXPECT_FALSE(fs::exists(fold / "checkpoint_final.pth"));
  const Checkpoint latest = load_checkpoint(fold / "checkpoint_latest.pth");
  EXPECT_EQ(latest.epoch, 2);
  EXPECT_EQ(latest.history.train_losses.size(), 2u);
  EXPECT_DOUBLE_EQ(latest.optimizer.lr, poly_lr(2, 3, 0.01));  // poly LR of the next epoch (§12.9)

  TrainOptions resume = quick(3);
  resume.continue_training = true;
  resume.seed.reset();
  const TrainResult b = train_fold(folders(), resume, progress_);
  EXPECT_EQ(b.start_epoch, 2);
  EXPECT_EQ(b.epochs_completed, 3);
  EXPECT_FALSE(fs::exists(fold / "checkpoint_latest.pth"));  // deleted when training finishes
  const Checkpoint resumed = load_checkpoint(fold / "checkpoint_final.pth");

  const TrainResult c = train_fold(folders("results_uninterrupted"), quick(3), progress_);
  const Checkpoint straight = load_checkpoint(fold_dir("fold_all", "results_uninterrupted") / "checkpoint_final.pth");
  EXPECT_EQ(resumed.epoch, 3);
  EXPECT_EQ(straight.epoch, 3);
  expect_same_tensors(resumed.state_dict, straight.state_dict);
  expect_same_tensors(resumed.optimizer.momentum_buffers, straight.optimizer.momentum_buffers);
  EXPECT_EQ(resumed.history.train_losses, straight.history.train_losses);
  EXPECT_EQ(resumed.history.val_losses, straight.history.val_losses);
  EXPECT_EQ(resumed.optimizer.lr, straight.optimizer.lr);
  EXPECT_EQ(resumed.optimizer.momentum, straight.optimizer.momentum);
  EXPECT_EQ(b.history.train_losses, c.history.train_losses);
  // The continued log says where it resumed.
  EXPECT_NE(log_text(fold).find("continuing from checkpoint_latest.pth at epoch 2"), std::string::npos);
}

TEST_F(TrainerTest, ContinuePrefersFinalAndExtendsARun) {
  train_fold(folders(), quick(1), progress_);
  TrainOptions more = quick(2);
  more.continue_training = true;
  const TrainResult r = train_fold(folders(), more, progress_);
  EXPECT_EQ(r.start_epoch, 1);
  EXPECT_EQ(r.epochs_completed, 2);
  EXPECT_EQ(r.history.train_losses.size(), 2u);
  EXPECT_EQ(load_checkpoint(fold_dir() / "checkpoint_final.pth").epoch, 2);
}

TEST_F(TrainerTest, PolyLearningRateIsSetAtTheStartOfEveryEpoch) {
  train_fold(folders(), quick(3), progress_);
  const std::string log = log_text(fold_dir());
  // The lr logged at the end of epoch e is poly(e + 1), used by epoch e + 1.
  size_t pos = 0;
  for (int64_t e = 1; e <= 3; ++e) {
    const std::string line = lr_message(poly_lr(e, 3, 0.01)) + " \n";
    pos = log.find(line, pos);
    EXPECT_NE(pos, std::string::npos) << line;
  }
}

// §5.3: checkpoint_best exists exactly when the EMA of the logged pseudo-Dice values rose above its first value.
TEST_F(TrainerTest, BestCheckpointFollowsTheEmaRule) {
  const TrainResult r = train_fold(folders(), quick(4), progress_);
  PseudoDiceEma replay;
  bool saved = false;
  for (double m : r.history.pseudo_dice) saved = replay.update(m) || saved;
  EXPECT_EQ(fs::exists(fold_dir() / "checkpoint_best.pth"), saved);
  ASSERT_EQ(r.best_ema.has_value(), replay.best().has_value());
  if (r.best_ema) {
    EXPECT_DOUBLE_EQ(*r.best_ema, *replay.best());
  }
  const Checkpoint c = load_checkpoint(fold_dir() / "checkpoint_final.pth");
  EXPECT_EQ(c.best_ema, replay.best());
}

TEST_F(TrainerTest, SameSeedSameWeightsOtherSeedOtherWeights) {
  train_fold(folders("r1"), quick(1), progress_);
  train_fold(folders("r2"), quick(1), progress_);
  TrainOptions other = quick(1);
  other.seed = 6;
  train_fold(folders("r3"), other, progress_);
  const auto w1 = load_checkpoint(fold_dir("fold_all", "r1") / "checkpoint_final.pth").state_dict;
  const auto w2 = load_checkpoint(fold_dir("fold_all", "r2") / "checkpoint_final.pth").state_dict;
  const auto w3 = load_checkpoint(fold_dir("fold_all", "r3") / "checkpoint_final.pth").state_dict;
  expect_same_tensors(w1, w2);
  EXPECT_FALSE(torch::equal(w1.front().second, w3.front().second));
}

// §12.10: the scaler path unscales before clipping. With a power-of-two scale the unscaled gradients equal the
// float32 ones exactly, so the weights must match the plain run bit for bit (clipping the scaled gradients would
// shrink every step by the scale); the scaler state is checkpointed and restored.
TEST_F(TrainerTest, GradScalerPathUnscalesBeforeClipping) {
  train_fold(folders("plain"), quick(2), progress_);
  TrainOptions scaled = quick(2);
  scaled.grad_scaler_on_cpu = true;
  train_fold(folders("scaled"), scaled, progress_);
  const Checkpoint plain = load_checkpoint(fold_dir("fold_all", "plain") / "checkpoint_final.pth");
  const Checkpoint with_scaler = load_checkpoint(fold_dir("fold_all", "scaled") / "checkpoint_final.pth");
  expect_same_tensors(plain.state_dict, with_scaler.state_dict);
  ASSERT_TRUE(with_scaler.grad_scaler.has_value());
  EXPECT_EQ(with_scaler.grad_scaler->scale, 65536.0);
  EXPECT_EQ(with_scaler.grad_scaler->growth_tracker, 4);  // 2 epochs x 2 finite steps

  TrainOptions more = scaled;
  more.epochs = 3;
  more.continue_training = true;
  train_fold(folders("scaled"), more, progress_);
  EXPECT_EQ(load_checkpoint(fold_dir("fold_all", "scaled") / "checkpoint_final.pth").grad_scaler->growth_tracker, 6);
}

TEST_F(TrainerTest, FoldZeroCreatesTheSplitsFileAndTrainsOnItsSplit) {
  ASSERT_FALSE(fs::exists(dataset_ / "splits_final.json"));
  train_fold(folders(), quick(1, 0), progress_);
  ASSERT_TRUE(fs::exists(dataset_ / "splits_final.json"));
  const std::vector<Split> splits = load_splits(dataset_ / "splits_final.json");
  const OrderedJson debug = load_json(fold_dir("fold_0") / "debug.json");
  EXPECT_EQ(debug["val_cases"].get<std::vector<std::string>>(), splits[0].val);
  EXPECT_EQ(debug["train_cases"].get<std::vector<std::string>>(), splits[0].train);
}

TEST_F(TrainerTest, SetupFollowsThePlans) {
  const RunSetup s = prepare_run(folders(), quick(1, 7));  // fold >= 5: seeded 80:20 split (§6.2)
  EXPECT_EQ(s.split.train.size(), 4u);
  EXPECT_EQ(s.split.val.size(), 1u);
  EXPECT_EQ(s.fold_folder, fold_dir("fold_7"));
  EXPECT_EQ(s.ds_weights, (std::vector<double>{1.0, 0.0}));  // 2 outputs: the lowest one zeroed (§12.3)
  EXPECT_FALSE(s.loss.batch_dice);                           // from the plans (§12.1)
  EXPECT_EQ(s.train_loader.loader_patch_size, (std::array<int64_t, 3>{25, 25, 25}));  // 16 (cos30 + sin30) / 0.85
  EXPECT_EQ(s.val_loader.loader_patch_size, (std::array<int64_t, 3>{16, 16, 16}));
  EXPECT_EQ(s.network.base_num_features, 4);
  EXPECT_EQ(s.network.num_classes, 2);
  EXPECT_EQ(s.network.input_channels, 1);

  TempDir other;
  testing::TinyDatasetOptions bd = options_;
  bd.batch_dice = true;
  const fs::path ds = testing::write_tiny_dataset(other.path(), bd);
  EXPECT_TRUE(prepare_run({ds, other / "r", std::nullopt, "1"}, quick(1)).loss.batch_dice);
}

void expect_input_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    const std::string msg = format_error(e);
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << p << " not in: " << msg;
  }
}

TEST_F(TrainerTest, SetupErrorsNameTheProblemAndWhatToRun) {
  TrainOptions o = quick(1);
  o.configuration = "3d_lowres";
  expect_input_error([&] { prepare_run(folders(), o); }, {"3d_lowres"});
  o = quick(1);
  o.trainer_name = "nnUNetTrainerV2_Fancy";
  expect_input_error([&] { prepare_run(folders(), o); }, {"-tr", "nnUNetTrainerV2_Fancy"});
  fs::rename(dataset_ / "nnUNetPlans_3d_fullres", dataset_ / "moved");
  expect_input_error([&] { prepare_run(folders(), quick(1)); },
                     {"nnUNetPlans_3d_fullres", "nnseg preprocess -d 1 -c 3d_fullres"});
  fs::remove(dataset_ / "nnUNetPlans.json");
  expect_input_error([&] { prepare_run(folders(), quick(1)); }, {"nnUNetPlans.json", "nnseg plan-and-preprocess -d 1"});
}

TEST_F(TrainerTest, ContinueNeedsACheckpointOfTheSameRun) {
  TrainOptions o = quick(1);
  o.continue_training = true;
  expect_input_error([&] { train_fold(folders(), o, progress_); }, {"fold_all", "--continue", "checkpoint_final"});
  train_fold(folders(), quick(1), progress_);
  fs::create_directories(fold_dir("fold_0"));
  fs::copy_file(fold_dir() / "checkpoint_final.pth", fold_dir("fold_0") / "checkpoint_final.pth");
  TrainOptions f0 = quick(2, 0);
  f0.continue_training = true;
  expect_input_error([&] { train_fold(folders(), f0, progress_); }, {"checkpoint_final.pth", "fold_all", "fold_0"});
}

TEST(MomentumFallback, OnlyAtEpoch100WithAZeroPseudoDice) {
  EXPECT_TRUE(v2_momentum_fallback_due(100, 0.0));
  EXPECT_FALSE(v2_momentum_fallback_due(99, 0.0));
  EXPECT_FALSE(v2_momentum_fallback_due(101, 0.0));
  EXPECT_FALSE(v2_momentum_fallback_due(100, 1e-9));
  EXPECT_FALSE(v2_momentum_fallback_due(100, std::nan("")));
}

TEST(TrainFlags, DeviceAndFoldParsing) {
  EXPECT_EQ(parse_device_flag("cpu"), torch::Device(torch::kCPU));
  expect_input_error([] { parse_device_flag("gpu"); }, {"--device", "'gpu'"});
  expect_input_error([] { parse_device_flag("cuda:x"); }, {"--device", "'cuda:x'"});
  if (!torch::cuda::is_available()) {
    expect_input_error([] { parse_device_flag("cuda:0"); }, {"--device", "cuda:0"});
  }
  EXPECT_EQ(parse_fold_flag("0"), 0);
  EXPECT_EQ(parse_fold_flag("4"), 4);
  EXPECT_EQ(parse_fold_flag("7"), 7);
  EXPECT_EQ(parse_fold_flag("all"), kFoldAll);
  expect_input_error([] { parse_fold_flag("five"); }, {"-f", "'five'"});
  expect_input_error([] { parse_fold_flag("-1"); }, {"-f", "'-1'"});
  EXPECT_EQ(fold_folder_name(kFoldAll), "fold_all");
  EXPECT_EQ(experiment_folder_name("nnUNetTrainerV2", "nnUNetPlans", "3d_fullres"),
            "nnUNetTrainerV2__nnUNetPlans__3d_fullres");
}

// ---- nnseg train and nnUNet_train through the binary

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override { testing::write_tiny_dataset(dir_ / "pre"); }
  std::vector<std::string> env() const {
    return {"nnUNet_preprocessed=" + (dir_ / "pre").string(), "nnUNet_results=" + (dir_ / "res").string(),
            "nnUNet_raw=", "nnUNet_raw_data_base=", "RESULTS_FOLDER="};
  }
  static std::vector<std::string> with_quick(std::vector<std::string> args) {
    for (const char* a :
         {"--iterations-per-epoch", "1", "--val-iterations", "1", "--device", "cpu", "--threads", "1"}) {
      args.emplace_back(a);
    }
    return args;
  }
  fs::path fold_all() const {
    return dir_ / "res" / "Dataset001_Tiny" / "nnUNetTrainerV2__nnUNetPlans__3d_fullres" / "fold_all";
  }
  TempDir dir_;
};

TEST_F(TrainCli, TrainsAndContinues) {
  auto r = testing::run_nnseg(
      with_quick({"train", "-d", "1", "-c", "3d_fullres", "-f", "all", "--epochs", "1", "-tr", "nnUNetTrainerV2",
                  "--no-final-validation", "--debug-augmentation", (dir_ / "aug").string()}),
      env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 of 1 epochs"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_regular_file(fold_all() / "checkpoint_final.pth"));
  EXPECT_NE(r.err.find("epoch:  0"), std::string::npos);  // the log is echoed
  EXPECT_NE(r.err.find("final validation skipped (--no-final-validation)"), std::string::npos);
  // --debug-augmentation: one picture per sample of the first batch (batch size 2).
  EXPECT_EQ(testing::list_files(dir_ / "aug"),
            (std::vector<std::string>{"epoch0_iter0_000.png", "epoch0_iter0_001.png"}));
  r = testing::run_nnseg(
      with_quick({"train", "-d", "Dataset001_Tiny", "-c", "3d_fullres", "-f", "all", "--epochs", "2", "--continue"}),
      env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(load_checkpoint(fold_all() / "checkpoint_final.pth").epoch, 2);
}

TEST_F(TrainCli, V1AliasNnUNetTrain) {
  const std::string alias = (fs::path(NNSEG_BINARY).parent_path() / "nnUNet_train").string();
  auto r = testing::run_command(
      with_quick({alias, "3d_fullres", "nnUNetTrainerV2", "Task001_Tiny", "all", "--epochs", "1", "--npz"}), env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(load_checkpoint(fold_all() / "checkpoint_final.pth").epoch, 1);
  r = testing::run_command(with_quick({alias, "3d_fullres", "nnUNetTrainerV2", "1", "all", "-c", "--epochs", "2"}),
                           env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(load_checkpoint(fold_all() / "checkpoint_final.pth").epoch, 2);
}

void expect_usage_error(const testing::CommandResult& r, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  for (const auto& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << p << " not in: " << r.err;
}

TEST_F(TrainCli, BadInputsExitTwoNamingFlagAndValue) {
  const std::vector<std::string> base{"train", "-d", "1", "-c", "3d_fullres"};
  auto args = [&](std::vector<std::string> more) {
    std::vector<std::string> a = base;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  expect_usage_error(testing::run_nnseg(args({"-f", "five"}), env()), {"-f", "five"});
  expect_usage_error(testing::run_nnseg(args({"-f", "0", "--device", "gpu"}), env()), {"--device", "gpu"});
  if (!torch::cuda::is_available()) {
    expect_usage_error(testing::run_nnseg(args({"-f", "0", "--device", "cuda"}), env()), {"--device", "cuda"});
  }
  expect_usage_error(testing::run_nnseg(args({"-f", "0", "-tr", "nnUNetTrainerV3"}), env()),
                     {"-tr", "nnUNetTrainerV3"});
  expect_usage_error(testing::run_nnseg(args({"-f", "all", "--continue", "--device", "cpu"}), env()),
                     {"fold_all", "--continue"});
  std::vector<std::string> no_results = env();
  no_results[1] = "nnUNet_results=";
  expect_usage_error(testing::run_nnseg(args({"-f", "0"}), no_results), {"nnUNet_results"});
  fs::create_directories(dir_ / "pre" / "Dataset002_Unplanned");
  write_file_atomically(dir_ / "pre" / "Dataset002_Unplanned" / "dataset.json", "{}");
  expect_usage_error(testing::run_nnseg({"train", "-d", "2", "-c", "3d_fullres", "-f", "0"}, env()),
                     {"nnUNetPlans.json", "nnseg plan-and-preprocess -d 2"});
  expect_usage_error(testing::run_nnseg(args({"-f", "0", "--epochs", "0"}), env()), {"--epochs"});
}

}  // namespace
}  // namespace nnseg
