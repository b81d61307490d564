// Cross-check against a PyTorch Generic_UNet written from spec/network.md with v1's module names
// (generic_unet_reference.py, run by /usr/bin/python3 with Debian's python3-torch): state-dict names, shapes and
// order; He init bit for bit from the same seed; outputs, gradients and BN statistics with our weights copied over.
// Skips when python3-torch is missing.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "network/generic_unet.h"
#include "network/generic_unet_reference_test_util.h"
#include "network/state_dict.h"
#include "testing/temp_dir.h"

namespace nnseg {
namespace {

namespace fs = std::filesystem;
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

constexpr const char* kPython = "/usr/bin/python3";

bool have_python_torch() {
  return testing::run_command({kPython, "-c", "import numpy, torch"}, {}, 120).exit_code == 0;
}

std::string script() { return std::string(NNSEG_SOURCE_DIR) + "/src/network/generic_unet_reference.py"; }

void write_tensors(const fs::path& dir, const NamedTensors& named) {
  fs::create_directories(dir);
  std::ofstream manifest(dir / "manifest.txt");
  for (const auto& [name, tensor] : named) {
    const auto t = tensor.detach().contiguous();
    const bool is_int = t.scalar_type() == torch::kInt64;
    const auto data = is_int ? t : t.to(torch::kFloat32);
    std::ofstream(dir / (name + ".bin"), std::ios::binary)
        .write(static_cast<const char*>(data.data_ptr()), static_cast<std::streamsize>(data.nbytes()));
    manifest << name << (is_int ? " int64" : " float32");
    for (int64_t s : t.sizes()) manifest << " " << s;
    manifest << "\n";
  }
}

std::map<std::string, torch::Tensor> read_tensors(const fs::path& dir) {
  std::map<std::string, torch::Tensor> out;
  std::ifstream manifest(dir / "manifest.txt");
  std::string line;
  while (std::getline(manifest, line)) {
    std::istringstream fields(line);
    std::string name, dtype;
    fields >> name >> dtype;
    std::vector<int64_t> shape;
    for (int64_t s; fields >> s;) shape.push_back(s);
    auto t = torch::empty(shape, dtype == "int64" ? torch::kInt64 : torch::kFloat32);
    std::ifstream(dir / (name + ".bin"), std::ios::binary)
        .read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    out[name] = t;
  }
  return out;
}

void run_python(const std::vector<std::string>& args) {
  std::vector<std::string> argv{kPython, script()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = testing::run_command(argv, {}, 300);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

class GenericUNetReference : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_python_torch()) GTEST_SKIP() << kPython << " has no torch (Debian package python3-torch)";
    torch::set_num_threads(2);
  }
};

void expect_same_names_and_shapes(const NetworkConfig& config) {
  testing::TempDir dir;
  ASSERT_NO_FATAL_FAILURE(run_python({"names", testing::reference_network_json(config), (dir / "names.txt").string()}));
  GenericUNet net(config);
  const auto ours = named_state(*net);
  std::ifstream in(dir / "names.txt");
  std::vector<std::string> theirs;
  for (std::string line; std::getline(in, line);) theirs.push_back(line);
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    std::ostringstream s;
    s << ours[i].first;
    for (int64_t d : ours[i].second.sizes()) s << " " << d;
    EXPECT_EQ(s.str(), theirs[i]) << "entry " << i;
  }
}

TEST_F(GenericUNetReference, BratsStateDictMatchesPytorch) {
  expect_same_names_and_shapes(brats_3d_fullres_network_config(4));
  NetworkConfig bn = brats_3d_fullres_network_config(3);
  bn.norm = NormKind::kBatch;
  expect_same_names_and_shapes(bn);
}

NetworkConfig anisotropic_3d() {
  NetworkConfig c;
  c.input_channels = 2;
  c.num_classes = 3;
  c.base_num_features = 4;
  c.max_num_features = 12;
  c.pool_kernel_sizes = {{1, 2, 2}, {2, 2, 2}, {2, 2, 2}};
  c.conv_kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}, {1, 3, 3}};
  c.convs_per_stage = 3;
  return c;
}

NetworkConfig batchnorm_2d() {
  NetworkConfig c;
  c.input_channels = 1;
  c.num_classes = 2;
  c.base_num_features = 6;
  c.max_num_features = 20;
  c.pool_kernel_sizes.assign(3, {2, 2});
  c.conv_kernel_sizes.assign(4, {3, 3});
  c.norm = NormKind::kBatch;
  return c;
}

TEST_F(GenericUNetReference, HeInitIsBitIdenticalForTheSameSeed) {
  for (const auto& config : {anisotropic_3d(), batchnorm_2d()}) {
    testing::TempDir dir;
    ASSERT_NO_FATAL_FAILURE(
        run_python({"init", testing::reference_network_json(config), "1234", (dir / "init").string()}));
    const auto theirs = read_tensors(dir / "init");
    GenericUNet net(config, at::make_generator<at::CPUGeneratorImpl>(1234));
    const auto ours = named_state(*net);
    ASSERT_EQ(ours.size(), theirs.size());
    for (const auto& [name, t] : ours) {
      ASSERT_TRUE(theirs.count(name)) << name;
      EXPECT_TRUE(torch::equal(t, theirs.at(name))) << name;
    }
  }
}

void expect_close(const torch::Tensor& ours, const torch::Tensor& theirs, double rel, const std::string& what) {
  ASSERT_EQ(ours.sizes(), theirs.sizes()) << what;
  const double scale = std::max(theirs.abs().max().item<double>(), 1e-4);
  const double diff = (ours - theirs).abs().max().item<double>();
  EXPECT_LE(diff, rel * scale) << what << ": max |diff| " << diff << ", max |value| " << scale;
}

void compare_forward(const NetworkConfig& config, const std::vector<int64_t>& input_shape) {
  testing::TempDir dir;
  GenericUNet net(config);
  {
    // Non-trivial norm parameters, so that a swapped weight/bias would show.
    torch::NoGradGuard no_grad;
    for (auto& p : net->named_parameters()) {
      if (p.key().find("instnorm") != std::string::npos) p.value().uniform_(0.5, 1.5);
    }
  }
  const auto x = torch::randn(input_shape);
  write_tensors(dir / "weights", named_state(*net));
  write_tensors(dir / "input", {{"x", x}});
  ASSERT_NO_FATAL_FAILURE(run_python({"forward", testing::reference_network_json(config), dir.path().string()}));
  const auto theirs = read_tensors(dir / "out");

  net->train();
  const auto outs = net->forward(x);
  torch::Tensor loss = torch::zeros({});
  for (const auto& o : outs) loss = loss + o.square().mean();
  loss.backward();
  for (size_t i = 0; i < outs.size(); ++i) {
    const auto key = "out" + std::to_string(i);
    ASSERT_TRUE(theirs.count(key)) << key;
    expect_close(outs[i].detach(), theirs.at(key), 1e-4, key);
  }
  EXPECT_FALSE(theirs.count("out" + std::to_string(outs.size())));
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(theirs.count("grad." + p.key())) << p.key();
    expect_close(p.value().grad(), theirs.at("grad." + p.key()), 1e-3, "grad of " + p.key());
  }
  for (const auto& b : net->named_buffers()) {
    ASSERT_TRUE(theirs.count("state." + b.key())) << b.key();
    expect_close(b.value().to(torch::kFloat32), theirs.at("state." + b.key()).to(torch::kFloat32), 1e-4, b.key());
  }
}

TEST_F(GenericUNetReference, AnisotropicInstanceNorm3dForwardAndGradientsMatch) {
  compare_forward(anisotropic_3d(), {2, 2, 8, 32, 32});
}

TEST_F(GenericUNetReference, BatchNorm2dForwardGradientsAndRunningStatsMatch) {
  compare_forward(batchnorm_2d(), {2, 1, 32, 40});
}

}  // namespace
}  // namespace nnseg
