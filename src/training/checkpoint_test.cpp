// Checkpoint files (spec/training.md §8): round trip of every field, Python readability, the continue order, bad
// files, and loading weights into a network by v1 name.
#include "training/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "io/atomic_write.h"
#include "network/generic_unet.h"
#include "network/state_dict.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

NetworkConfig small_net() {
  NetworkConfig c;
  c.input_channels = 1;
  c.num_classes = 2;
  c.base_num_features = 2;
  c.pool_kernel_sizes = {{2, 2, 2}};
  c.conv_kernel_sizes = {{3, 3, 3}, {3, 3, 3}};
  return c;
}

Checkpoint sample_checkpoint() {
  Checkpoint c;
  c.epoch = 7;
  GenericUNet net(small_net(), at::make_generator<at::CPUGeneratorImpl>(3));
  c.state_dict = named_state(*net);
  c.optimizer.lr = 0.00931;
  c.optimizer.momentum = 0.95;
  c.optimizer.momentum_buffers = {{c.state_dict[0].first, torch::randn(c.state_dict[0].second.sizes())}};
  c.history.train_losses = {0.5, 0.25, -0.125};
  c.history.val_losses = {0.4, 0.2, -0.1};
  c.history.pseudo_dice = {std::numeric_limits<double>::quiet_NaN(), 0.5, 0.75};
  c.history.epoch_duration_s = {1.5, 1.25, 1.0};
  c.best_ema = 0.6125;
  GradScalerState s;
  s.scale = 1024;
  s.growth_tracker = 17;
  c.grad_scaler = s;
  c.init.dataset_name = "Dataset082_BraTS2020";
  c.init.configuration = "3d_fullres";
  c.init.fold = -1;
  c.init.seed = 4000000000u;  // above int32
  c.init.num_epochs = 9;
  c.init.iterations_per_epoch = 3;
  c.init.val_iterations = 2;
  c.plans_json = "{\"plans_name\": \"nnUNetPlans\"}\n";
  c.cpu_generator_state = at::detail::getDefaultCPUGenerator().get_state();
  return c;
}

TEST(Checkpoint, RoundTripKeepsEveryField) {
  TempDir dir;
  const Checkpoint a = sample_checkpoint();
  save_checkpoint(dir / "fold_0" / "checkpoint_latest.pth", a);
  EXPECT_EQ(testing::list_files(dir.path()), std::vector<std::string>{"fold_0/checkpoint_latest.pth"});  // no temp
  const Checkpoint b = load_checkpoint(dir / "fold_0" / "checkpoint_latest.pth");
  EXPECT_EQ(b.epoch, 7);
  ASSERT_EQ(b.state_dict.size(), a.state_dict.size());
  for (size_t i = 0; i < a.state_dict.size(); ++i) {
    EXPECT_EQ(b.state_dict[i].first, a.state_dict[i].first);
    EXPECT_TRUE(torch::equal(b.state_dict[i].second, a.state_dict[i].second));
  }
  EXPECT_EQ(b.optimizer.lr, 0.00931);
  EXPECT_EQ(b.optimizer.momentum, 0.95);
  EXPECT_EQ(b.optimizer.weight_decay, 3e-5);
  EXPECT_TRUE(b.optimizer.nesterov);
  ASSERT_EQ(b.optimizer.momentum_buffers.size(), 1u);
  EXPECT_EQ(b.optimizer.momentum_buffers[0].first, a.optimizer.momentum_buffers[0].first);
  EXPECT_TRUE(torch::equal(b.optimizer.momentum_buffers[0].second, a.optimizer.momentum_buffers[0].second));
  EXPECT_EQ(b.history.train_losses, a.history.train_losses);
  EXPECT_EQ(b.history.val_losses, a.history.val_losses);
  ASSERT_EQ(b.history.pseudo_dice.size(), 3u);
  EXPECT_TRUE(std::isnan(b.history.pseudo_dice[0]));
  EXPECT_EQ(b.history.pseudo_dice[2], 0.75);
  EXPECT_EQ(b.history.epoch_duration_s, a.history.epoch_duration_s);
  EXPECT_EQ(b.best_ema, 0.6125);
  ASSERT_TRUE(b.grad_scaler.has_value());
  EXPECT_EQ(b.grad_scaler->scale, 1024.0);
  EXPECT_EQ(b.grad_scaler->growth_tracker, 17);
  EXPECT_EQ(b.grad_scaler->growth_interval, 2000);
  EXPECT_EQ(b.init.trainer_name, "nnUNetTrainerV2");
  EXPECT_EQ(b.init.dataset_name, "Dataset082_BraTS2020");
  EXPECT_EQ(b.init.fold, -1);
  EXPECT_EQ(b.init.seed, 4000000000u);
  EXPECT_EQ(b.init.num_epochs, 9);
  EXPECT_EQ(b.init.iterations_per_epoch, 3);
  EXPECT_EQ(b.init.val_iterations, 2);
  EXPECT_EQ(b.plans_json, a.plans_json);
  ASSERT_TRUE(b.cpu_generator_state.defined());
  EXPECT_TRUE(torch::equal(b.cpu_generator_state, a.cpu_generator_state));
}

TEST(Checkpoint, AbsentOptionalsStayAbsent) {
  TempDir dir;
  Checkpoint a = sample_checkpoint();
  a.best_ema.reset();
  a.grad_scaler.reset();
  a.cpu_generator_state = torch::Tensor();
  a.history = {};
  save_checkpoint(dir / "c.pth", a);
  const Checkpoint b = load_checkpoint(dir / "c.pth");
  EXPECT_FALSE(b.best_ema.has_value());
  EXPECT_FALSE(b.grad_scaler.has_value());
  EXPECT_FALSE(b.cpu_generator_state.defined());
  EXPECT_EQ(b.history.epochs(), 0u);
}

TEST(Checkpoint, PythonTorchLoadReadsItAsADict) {
  if (testing::run_command({"/usr/bin/python3", "-c", "import torch"}).exit_code != 0) {
    GTEST_SKIP() << "/usr/bin/python3 has no torch";
  }
  TempDir dir;
  const Checkpoint c = sample_checkpoint();
  save_checkpoint(dir / "c.pth", c);
  const std::string script =
      "import sys, torch, math\n"
      "d = torch.load(sys.argv[1])\n"
      "print(d['epoch'], list(d['state_dict'])[0], d['optimizer_state_dict']['momentum'],\n"
      "      math.isnan(d['plot_stuff']['pseudo_dice'][0]), d['amp_grad_scaler']['scale'], d['init']['fold'])\n";
  const auto r = testing::run_command({"/usr/bin/python3", "-c", script, (dir / "c.pth").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // v1's state_dict order starts with conv_blocks_localization (registered first in Generic_UNet).
  EXPECT_EQ(c.state_dict.front().first, "conv_blocks_localization.0.0.blocks.0.conv.weight");
  EXPECT_EQ(r.out, "7 " + c.state_dict.front().first + " 0.95 True 1024.0 -1\n");
}

TEST(Checkpoint, ContinuePrefersFinalThenLatestThenBest) {
  TempDir dir;
  EXPECT_FALSE(find_checkpoint_to_continue(dir.path()).has_value());
  write_file_atomically(dir / "checkpoint_best.pth", "x");
  EXPECT_EQ(*find_checkpoint_to_continue(dir.path()), dir / "checkpoint_best.pth");
  write_file_atomically(dir / "checkpoint_latest.pth", "x");
  EXPECT_EQ(*find_checkpoint_to_continue(dir.path()), dir / "checkpoint_latest.pth");
  write_file_atomically(dir / "checkpoint_final.pth", "x");
  EXPECT_EQ(*find_checkpoint_to_continue(dir.path()), dir / "checkpoint_final.pth");
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

TEST(Checkpoint, BadFilesAreInputErrorsNamingFileAndKey) {
  TempDir dir;
  const fs::path missing = dir / "missing.pth";
  expect_input_error([&] { load_checkpoint(missing); }, {missing.string(), "not found"});
  write_file_atomically(dir / "garbage.pth", "not a zip file");
  expect_input_error([&] { load_checkpoint(dir / "garbage.pth"); }, {"garbage.pth", "not a readable checkpoint"});
  const auto write_dict = [&](const fs::path& p, const c10::impl::GenericDict& d) {
    const std::vector<char> bytes = torch::jit::pickle_save(d);
    write_file_atomically(p, std::string(bytes.begin(), bytes.end()));
  };
  c10::impl::GenericDict foreign(c10::StringType::get(), c10::AnyType::get());
  foreign.insert("state_dict", 1);
  write_dict(dir / "foreign.pth", foreign);
  expect_input_error([&] { load_checkpoint(dir / "foreign.pth"); }, {"foreign.pth", "not an nnseg checkpoint"});
  c10::impl::GenericDict bad(c10::StringType::get(), c10::AnyType::get());
  bad.insert("nnseg_checkpoint_version", kCheckpointVersion);
  bad.insert("epoch", std::string("seven"));
  write_dict(dir / "bad.pth", bad);
  expect_input_error([&] { load_checkpoint(dir / "bad.pth"); }, {"bad.pth", "'epoch'", "integer"});
  c10::impl::GenericDict future(c10::StringType::get(), c10::AnyType::get());
  future.insert("nnseg_checkpoint_version", int64_t{99});
  write_dict(dir / "future.pth", future);
  expect_input_error([&] { load_checkpoint(dir / "future.pth"); }, {"future.pth", "99"});
}

TEST(LoadNetworkState, CopiesByNameAndChecksEveryTensor) {
  GenericUNet a(small_net(), at::make_generator<at::CPUGeneratorImpl>(1));
  GenericUNet b(small_net(), at::make_generator<at::CPUGeneratorImpl>(2));
  NamedTensors state = named_state(*a);
  for (auto& [name, t] : state) name = "module." + name;  // DataParallel prefix is stripped
  load_network_state(*b, state, "w.pth");
  const NamedTensors got = named_state(*b);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(torch::equal(got[i].second, state[i].second)) << got[i].first;

  NamedTensors extra = named_state(*a);
  extra.emplace_back("surprise.weight", torch::zeros({1}));
  expect_input_error([&] { load_network_state(*b, extra, "w.pth"); }, {"w.pth", "surprise.weight"});
  NamedTensors fewer = named_state(*a);
  const std::string dropped = fewer.back().first;
  fewer.pop_back();
  expect_input_error([&] { load_network_state(*b, fewer, "w.pth"); }, {"w.pth", dropped, "missing"});
  NamedTensors wrong = named_state(*a);
  wrong[0].second = torch::zeros({1, 2, 3});
  expect_input_error([&] { load_network_state(*b, wrong, "w.pth"); }, {"w.pth", wrong[0].first, "[1, 2, 3]"});
}

}  // namespace
}  // namespace nnseg
