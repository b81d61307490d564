// Weights as .npz (inference/weights_npz.h, `nnseg export-weights`): keys/shapes/values equal the checkpoint's state
// dict, loading gives identical outputs, bad archives name the tensor, the CLI's exit codes, and PyTorch loading the
// archive into the reference Generic_UNet (skipped without /usr/bin/python3 + torch).
#include "inference/weights_npz.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "core/error.h"
#include "io/npz.h"
#include "network/generic_unet_reference_test_util.h"
#include "network/state_dict.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

using testing::TempDir;

constexpr const char* kPython = "/usr/bin/python3";

NetworkConfig tiny_net(NormKind norm = NormKind::kInstance) {
  NetworkConfig c;
  c.input_channels = 2;
  c.num_classes = 3;
  c.base_num_features = 2;
  c.pool_kernel_sizes = {{2, 2, 2}, {1, 2, 2}};
  c.conv_kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  c.norm = norm;
  return c;
}

GenericUNet make_net(uint64_t seed, NormKind norm = NormKind::kInstance) {
  return GenericUNet(tiny_net(norm), at::make_generator<at::CPUGeneratorImpl>(seed));
}

// A fold folder whose checkpoint_final.pth holds `net`'s weights.
fs::path save_fold(const fs::path& fold, GenericUNet& net, const char* file = kCheckpointFinal) {
  Checkpoint c;
  c.epoch = 3;
  c.state_dict = named_state(*net);
  c.init.dataset_name = "Dataset082_BraTS2020";
  c.init.configuration = "3d_fullres";
  save_checkpoint(fold / file, c);
  return fold;
}

torch::Tensor sample_input(int64_t seed) {
  torch::manual_seed(seed);
  return torch::randn({1, 2, 4, 8, 8});
}

void expect_input_error(const std::function<void()>& f, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    const std::string msg = format_error(e);
    for (const std::string& s : fragments) EXPECT_NE(msg.find(s), std::string::npos) << msg;
  }
}

TEST(WeightsNpz, ExportHasTheStateDictNamesShapesAndValuesInOrder) {
  TempDir dir;
  GenericUNet net = make_net(3);
  save_fold(dir / "fold_0", net);
  export_weights_npz(dir / "fold_0" / kCheckpointFinal, dir / "w.npz");
  const auto members = read_npz(dir / "w.npz");
  const auto state = named_state(*net);
  ASSERT_EQ(members.size(), state.size());
  EXPECT_EQ(members.front().name, "conv_blocks_localization.0.0.blocks.0.conv.weight");  // v1 registration order
  EXPECT_EQ(members.back().name, "seg_outputs.1.weight");
  for (size_t i = 0; i < state.size(); ++i) {
    SCOPED_TRACE(state[i].first);
    EXPECT_EQ(members[i].name, state[i].first);
    EXPECT_EQ(members[i].array.dtype, NpyDType::kFloat32);
    const auto& t = state[i].second;
    EXPECT_EQ(members[i].array.shape, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()));
    const auto back = torch::from_blob(const_cast<uint8_t*>(members[i].array.bytes.data()), t.sizes(), torch::kFloat32);
    EXPECT_TRUE(torch::equal(back, t));
  }
  // read_weights_npz gives the same tensors back.
  const NamedTensors read = read_weights_npz(dir / "w.npz");
  ASSERT_EQ(read.size(), state.size());
  for (size_t i = 0; i < state.size(); ++i) EXPECT_TRUE(torch::equal(read[i].second, state[i].second));
}

TEST(WeightsNpz, LoadingIntoAFreshNetworkGivesIdenticalOutputs) {
  TempDir dir;
  GenericUNet a = make_net(3);
  GenericUNet b = make_net(4);
  const auto x = sample_input(1);
  torch::NoGradGuard no_grad;
  const auto ya = a->predict_logits(x);
  ASSERT_FALSE(torch::equal(ya, b->predict_logits(x)));  // different init: the test can fail
  write_weights_npz(dir / "w.npz", named_state(*a));
  load_weights_npz(b, dir / "w.npz");
  EXPECT_TRUE(torch::equal(ya, b->predict_logits(x)));
  const auto da = a->forward(x);
  const auto db = b->forward(x);
  ASSERT_EQ(da.size(), db.size());
  for (size_t i = 0; i < da.size(); ++i) EXPECT_TRUE(torch::equal(da[i], db[i]));
}

TEST(WeightsNpz, BatchNormBuffersAndModulePrefixRoundTrip) {
  TempDir dir;
  GenericUNet a = make_net(5, NormKind::kBatch);
  {
    torch::NoGradGuard no_grad;
    a->train();
    a->forward(sample_input(2));  // moves the running statistics and the step counters
  }
  NamedTensors state = named_state(*a);
  for (auto& [name, t] : state) name = "module." + name;  // as written from DataParallel
  write_weights_npz(dir / "w.npz", state);
  const auto members = read_npz(dir / "w.npz");
  ASSERT_EQ(members.size(), state.size());
  EXPECT_EQ(members[0].name, state[0].first.substr(7));
  bool saw_counter = false;
  for (const auto& m : members) {
    if (m.name.find("num_batches_tracked") != std::string::npos) {
      saw_counter = true;
      EXPECT_EQ(m.array.dtype, NpyDType::kInt64);
      EXPECT_EQ(m.array.at<int64_t>(0), 1);
    }
  }
  EXPECT_TRUE(saw_counter);
  GenericUNet b = make_net(6, NormKind::kBatch);
  load_weights_npz(b, dir / "w.npz");
  const auto sa = named_state(*a);
  const auto sb = named_state(*b);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << sa[i].first;
}

TEST(WeightsNpz, WrongShapeMissingExtraAndIntegerTensorsNameTheTensor) {
  TempDir dir;
  GenericUNet net = make_net(3);
  const NamedTensors good = named_state(*net);
  const std::string victim = "tu.1.weight";
  auto edited = [&](const std::function<void(NamedTensors&)>& edit) {
    NamedTensors s = good;
    edit(s);
    const fs::path p = dir / "bad.npz";
    write_weights_npz(p, s);
    return p;
  };
  const fs::path shape = edited([&](NamedTensors& s) {
    for (auto& [name, t] : s) {
      if (name == victim) t = torch::zeros({4, 2, 1, 2, 2});
    }
  });
  expect_input_error([&] { load_weights_npz(net, shape); }, {shape.string(), victim, "[4, 2, 1, 2, 2]"});
  const auto expected_shape = [&] {
    for (const auto& [name, t] : good) {
      if (name == victim) return t.sizes().vec();
    }
    return std::vector<int64_t>{};
  }();
  std::ostringstream want;
  want << c10::IntArrayRef(expected_shape);
  expect_input_error([&] { load_weights_npz(net, shape); }, {want.str()});

  const fs::path missing = edited([&](NamedTensors& s) { s.erase(s.begin() + 5); });
  expect_input_error([&] { load_weights_npz(net, missing); }, {missing.string(), good[5].first, "missing"});
  const fs::path extra = edited([&](NamedTensors& s) { s.emplace_back("seg_outputs.9.weight", torch::zeros({3})); });
  expect_input_error([&] { load_weights_npz(net, extra); }, {extra.string(), "seg_outputs.9.weight", "unexpected"});
  const fs::path integer =
      edited([&](NamedTensors& s) { s[0].second = torch::zeros(s[0].second.sizes(), torch::kInt32); });
  expect_input_error([&] { load_weights_npz(net, integer); }, {integer.string(), good[0].first, "integer"});

  // A bool member is refused on reading; a damaged file is read_npz's error.
  write_npz(dir / "bool.npz", {NpzMember{"flag", NpyArray(NpyDType::kBool, {1})}});
  expect_input_error([&] { read_weights_npz(dir / "bool.npz"); }, {"bool.npz", "flag", "bool"});
  expect_input_error([&] { load_weights_npz(net, dir / "absent.npz"); }, {"absent.npz", "not found"});
  // After the refused archives, a good one still loads.
  write_weights_npz(dir / "good.npz", good);
  load_weights_npz(net, dir / "good.npz");
}

TEST(WeightsNpz, ExportFromAMissingCheckpointIsAnInputError) {
  TempDir dir;
  expect_input_error([&] { export_weights_npz(dir / "checkpoint_final.pth", dir / "w.npz"); },
                     {(dir / "checkpoint_final.pth").string()});
  EXPECT_FALSE(fs::exists(dir / "w.npz"));
}

TEST(ExportWeightsCli, WritesTheNpzAndRefusesBadInput) {
  TempDir dir;
  GenericUNet net = make_net(3);
  const fs::path fold = save_fold(dir / "fold_0", net);
  const std::string out = (dir / "w.npz").string();
  auto r = testing::run_nnseg({"export-weights", fold.string(), "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const NamedTensors state = named_state(*net);
  const NamedTensors read = read_weights_npz(out);
  ASSERT_EQ(read.size(), state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    EXPECT_EQ(read[i].first, state[i].first);
    EXPECT_TRUE(torch::equal(read[i].second, state[i].second));
  }

  r = testing::run_nnseg({"export-weights", fold.string(), "-o", out});  // exists
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  r = testing::run_nnseg({"export-weights", fold.string(), "-o", out, "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = testing::run_nnseg({"export-weights", fold.string(), "-o", (dir / "b.npz").string(), "--checkpoint", "best"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((fold / kCheckpointBest).string()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "b.npz"));

  GenericUNet other = make_net(8);
  save_fold(fold, other, kCheckpointBest);
  r = testing::run_nnseg({"export-weights", fold.string(), "-o", (dir / "b.npz").string(), "--checkpoint", "best"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(torch::equal(read_weights_npz(dir / "b.npz")[0].second, named_state(*other)[0].second));

  r = testing::run_nnseg({"export-weights", (dir / "fold_9").string(), "-o", (dir / "c.npz").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("fold_9"), std::string::npos) << r.err;
  r = testing::run_nnseg({"export-weights", fold.string(), "-o", (dir / "c.npz").string(), "--checkpoint", "latest"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("latest"), std::string::npos) << r.err;
  // A file that is not a checkpoint.
  const fs::path broken = dir / "fold_1";
  fs::create_directories(broken);
  { std::ofstream(broken / kCheckpointFinal) << "not a checkpoint"; }
  r = testing::run_nnseg({"export-weights", broken.string(), "-o", (dir / "d.npz").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((broken / kCheckpointFinal).string()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "d.npz"));
}

TEST(WeightsNpzPytorch, ReferenceNetworkLoadsTheNpzStrictlyAndAgrees) {
  if (testing::run_command({kPython, "-c", "import numpy, torch"}, {}, 120).exit_code != 0) {
    GTEST_SKIP() << kPython << " has no numpy/torch";
  }
  TempDir dir;
  GenericUNet net = make_net(3);
  save_fold(dir / "fold_0", net);
  export_weights_npz(dir / "fold_0" / kCheckpointFinal, dir / "w.npz");
  const auto x = sample_input(9);
  write_npz(dir / "x.npz", {NpzMemberView{"x", NpyDType::kFloat32, x.sizes().vec(), x.data_ptr()}});
  const char* script = R"(
import json, sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from generic_unet_reference import GenericUNet
torch.set_num_threads(1)
net = GenericUNet(json.loads(sys.argv[2]))
with np.load(sys.argv[3]) as w:
    assert list(w.files) == list(net.state_dict().keys()), (w.files, list(net.state_dict().keys()))
    assert all(w[k].dtype == np.float32 for k in w.files)
    net.load_state_dict({k: torch.from_numpy(w[k]) for k in w.files}, strict=True)
net.eval()
with torch.no_grad():
    y = net(torch.from_numpy(np.load(sys.argv[4])['x']))[0]
np.savez(sys.argv[5], y=y.numpy())
)";
  const auto r = testing::run_command({kPython, "-c", script, std::string(NNSEG_SOURCE_DIR) + "/src/network",
                                       testing::reference_network_json(tiny_net()), (dir / "w.npz").string(),
                                       (dir / "x.npz").string(), (dir / "y.npz").string()},
                                      {}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto y = read_npz(dir / "y.npz");
  ASSERT_EQ(y.size(), 1u);
  torch::NoGradGuard no_grad;
  const auto ours = net->predict_logits(x);
  ASSERT_EQ(y[0].array.shape, ours.sizes().vec());
  const auto theirs = torch::from_blob(const_cast<uint8_t*>(y[0].array.bytes.data()), ours.sizes(), torch::kFloat32);
  EXPECT_TRUE(torch::allclose(ours, theirs, 1e-4, 1e-5)) << (ours - theirs).abs().max().item<float>();
}

}  // namespace
}  // namespace nnseg
