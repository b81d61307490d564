// Checkpoint files (training/checkpoint.h): a pickled dictionary written with torch::jit::pickle_save.
#include "training/checkpoint.h"

#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "io/atomic_write.h"

namespace nnseg {
namespace {

using c10::IValue;
using GenericDict = c10::impl::GenericDict;

GenericDict new_dict() { return GenericDict(c10::StringType::get(), c10::AnyType::get()); }

c10::Dict<std::string, at::Tensor> tensor_dict(const NamedTensors& tensors) {
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& [name, t] : tensors) d.insert(name, t.detach().to(torch::kCPU).contiguous());
  return d;
}

c10::List<double> double_list(const std::vector<double>& v) {
  c10::List<double> l;
  for (double x : v) l.push_back(x);
  return l;
}

IValue optional_double(const std::optional<double>& v) { return v ? IValue(*v) : IValue(); }

// Typed access to a loaded dictionary; every failure names the file and the key.
class Reader {
 public:
  Reader(GenericDict dict, std::string path, std::string prefix = "")
      : dict_(std::move(dict)), path_(std::move(path)), prefix_(std::move(prefix)) {}

  bool has(const std::string& key) const { return dict_.contains(key); }
  IValue get(const std::string& key) const {
    if (!dict_.contains(key)) fail(key, "missing");
    return dict_.at(key);
  }
  int64_t integer(const std::string& key) const {
    const IValue v = get(key);
    if (!v.isInt()) fail(key, "expected an integer, got " + v.tagKind());
    return v.toInt();
  }
  double real(const std::string& key) const {
    const IValue v = get(key);
    if (v.isInt()) return static_cast<double>(v.toInt());
    if (!v.isDouble()) fail(key, "expected a number, got " + v.tagKind());
    return v.toDouble();
  }
  std::optional<double> optional_real(const std::string& key) const {
    if (get(key).isNone()) return std::nullopt;
    return real(key);
  }
  bool boolean(const std::string& key) const {
    const IValue v = get(key);
    if (!v.isBool()) fail(key, "expected a bool, got " + v.tagKind());
    return v.toBool();
  }
  std::string text(const std::string& key) const {
    const IValue v = get(key);
    if (!v.isString()) fail(key, "expected a string, got " + v.tagKind());
    return v.toStringRef();
  }
  std::vector<double> reals(const std::string& key) const {
    const IValue v = get(key);
    if (!v.isList()) fail(key, "expected a list, got " + v.tagKind());
    std::vector<double> out;
    for (const IValue& e : v.toListRef()) {
      if (e.isDouble()) {
        out.push_back(e.toDouble());
      } else if (e.isInt()) {
        out.push_back(static_cast<double>(e.toInt()));
      } else {
        fail(key, "expected a list of numbers, got an element of type " + e.tagKind());
      }
    }
    return out;
  }
  Reader sub(const std::string& key) const {
    const IValue v = get(key);
    if (!v.isGenericDict()) fail(key, "expected a dictionary, got " + v.tagKind());
    return Reader(v.toGenericDict(), path_, prefix_ + key + ".");
  }
  NamedTensors tensors(const std::string& key) const {
    const Reader d = sub(key);
    NamedTensors out;
    for (const auto& entry : d.dict_) {
      if (!entry.key().isString() || !entry.value().isTensor()) fail(key, "expected {name: tensor} entries");
      out.emplace_back(entry.key().toStringRef(), entry.value().toTensor());
    }
    return out;
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw InputError(path_, "key '" + prefix_ + key + "': " + what);
  }

 private:
  GenericDict dict_;
  std::string path_;
  std::string prefix_;
};

}  // namespace

void TrainingHistory::truncate(size_t n) {
  train_losses.resize(std::min(n, train_losses.size()));
  val_losses.resize(std::min(n, val_losses.size()));
  pseudo_dice.resize(std::min(n, pseudo_dice.size()));
  epoch_duration_s.resize(std::min(n, epoch_duration_s.size()));
}

void save_checkpoint(const fs::path& path, const Checkpoint& c) {
  GenericDict d = new_dict();
  d.insert("nnseg_checkpoint_version", kCheckpointVersion);
  d.insert("epoch", c.epoch);
  d.insert("state_dict", tensor_dict(c.state_dict));

  GenericDict opt = new_dict();
  opt.insert("lr", c.optimizer.lr);
  opt.insert("momentum", c.optimizer.momentum);
  opt.insert("weight_decay", c.optimizer.weight_decay);
  opt.insert("nesterov", c.optimizer.nesterov);
  opt.insert("momentum_buffer", tensor_dict(c.optimizer.momentum_buffers));
  d.insert("optimizer_state_dict", opt);

  GenericDict plot = new_dict();
  plot.insert("train_losses", double_list(c.history.train_losses));
  plot.insert("val_losses", double_list(c.history.val_losses));
  plot.insert("val_losses_tr_mode", c10::List<double>());
  plot.insert("pseudo_dice", double_list(c.history.pseudo_dice));
  plot.insert("epoch_duration_s", double_list(c.history.epoch_duration_s));
  d.insert("plot_stuff", plot);

  GenericDict best = new_dict();
  best.insert("best_pseudo_dice_ema", optional_double(c.best_ema));
  d.insert("best_stuff", best);

  if (c.grad_scaler) {
    GenericDict s = new_dict();
    s.insert("scale", c.grad_scaler->scale);
    s.insert("growth_factor", c.grad_scaler->growth_factor);
    s.insert("backoff_factor", c.grad_scaler->backoff_factor);
    s.insert("growth_interval", c.grad_scaler->growth_interval);
    s.insert("_growth_tracker", c.grad_scaler->growth_tracker);
    d.insert("amp_grad_scaler", s);
  } else {
    d.insert("amp_grad_scaler", IValue());
  }

  GenericDict init = new_dict();
  init.insert("trainer_name", c.init.trainer_name);
  init.insert("dataset_name", c.init.dataset_name);
  init.insert("plans_name", c.init.plans_name);
  init.insert("configuration", c.init.configuration);
  init.insert("fold", static_cast<int64_t>(c.init.fold));
  init.insert("seed", static_cast<int64_t>(c.init.seed));
  init.insert("num_epochs", c.init.num_epochs);
  init.insert("iterations_per_epoch", c.init.iterations_per_epoch);
  init.insert("val_iterations", c.init.val_iterations);
  d.insert("init", init);
  d.insert("plans", c.plans_json);

  GenericDict rng = new_dict();
  if (c.cpu_generator_state.defined()) rng.insert("cpu_generator_state", c.cpu_generator_state.to(torch::kCPU));
  d.insert("rng", rng);

  std::vector<char> bytes;
  try {
    bytes = torch::jit::pickle_save(d);
  } catch (const c10::Error& e) {
    throw Error(path.string(), std::string("cannot serialise the checkpoint: ") + e.what_without_backtrace());
  }
  write_file_atomically(path, std::string(bytes.begin(), bytes.end()));
}

Checkpoint load_checkpoint(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw InputError(path.string(), "checkpoint not found");
  const std::string raw = read_file(path);
  IValue loaded;
  try {
    loaded = torch::jit::pickle_load(std::vector<char>(raw.begin(), raw.end()));
  } catch (const c10::Error& e) {
    throw InputError(path.string(), std::string("not a readable checkpoint: ") + e.what_without_backtrace());
  }
  if (!loaded.isGenericDict()) throw InputError(path.string(), "not an nnseg checkpoint (no dictionary inside)");
  const Reader r(loaded.toGenericDict(), path.string());
  if (!r.has("nnseg_checkpoint_version")) throw InputError(path.string(), "not an nnseg checkpoint");
  const int64_t version = r.integer("nnseg_checkpoint_version");
  if (version != kCheckpointVersion) {
    r.fail("nnseg_checkpoint_version", std::to_string(version) + ": expected " + std::to_string(kCheckpointVersion));
  }
  Checkpoint c;
  c.epoch = r.integer("epoch");
  if (c.epoch < 0) r.fail("epoch", std::to_string(c.epoch) + ": expected >= 0");
  c.state_dict = r.tensors("state_dict");

  const Reader opt = r.sub("optimizer_state_dict");
  c.optimizer.lr = opt.real("lr");
  c.optimizer.momentum = opt.real("momentum");
  c.optimizer.weight_decay = opt.real("weight_decay");
  c.optimizer.nesterov = opt.boolean("nesterov");
  c.optimizer.momentum_buffers = opt.tensors("momentum_buffer");

  const Reader plot = r.sub("plot_stuff");
  c.history.train_losses = plot.reals("train_losses");
  c.history.val_losses = plot.reals("val_losses");
  c.history.pseudo_dice = plot.reals("pseudo_dice");
  c.history.epoch_duration_s = plot.reals("epoch_duration_s");

  c.best_ema = r.sub("best_stuff").optional_real("best_pseudo_dice_ema");

  if (!r.get("amp_grad_scaler").isNone()) {
    const Reader s = r.sub("amp_grad_scaler");
    GradScalerState g;
    g.scale = s.real("scale");
    g.growth_factor = s.real("growth_factor");
    g.backoff_factor = s.real("backoff_factor");
    g.growth_interval = s.integer("growth_interval");
    g.growth_tracker = s.integer("_growth_tracker");
    c.grad_scaler = g;
  }

  const Reader init = r.sub("init");
  c.init.trainer_name = init.text("trainer_name");
  c.init.dataset_name = init.text("dataset_name");
  c.init.plans_name = init.text("plans_name");
  c.init.configuration = init.text("configuration");
  c.init.fold = static_cast<int>(init.integer("fold"));
  c.init.seed = static_cast<uint64_t>(init.integer("seed"));
  c.init.num_epochs = init.integer("num_epochs");
  c.init.iterations_per_epoch = init.integer("iterations_per_epoch");
  c.init.val_iterations = init.integer("val_iterations");
  c.plans_json = r.text("plans");

  const Reader rng = r.sub("rng");
  if (rng.has("cpu_generator_state")) {
    const IValue g = rng.get("cpu_generator_state");
    if (!g.isTensor()) rng.fail("cpu_generator_state", "expected a tensor");
    c.cpu_generator_state = g.toTensor();
  }
  return c;
}

std::optional<fs::path> find_checkpoint_to_continue(const fs::path& fold_folder) {
  for (const char* name : {kCheckpointFinal, kCheckpointLatest, kCheckpointBest}) {
    if (fs::is_regular_file(fold_folder / name)) return fold_folder / name;
  }
  return std::nullopt;
}

void load_network_state(torch::nn::Module& module, const NamedTensors& state, const std::string& item) {
  std::map<std::string, torch::Tensor> targets;
  for (const auto& p : module.named_parameters(true)) targets.emplace(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) targets.emplace(b.key(), b.value());
  std::set<std::string> seen;
  const torch::NoGradGuard no_grad;
  for (const auto& [stored_name, value] : state) {
    std::string name = stored_name;
    if (name.rfind("module.", 0) == 0) name = name.substr(7);
    const auto it = targets.find(name);
    if (it == targets.end()) throw InputError(item, "unexpected network tensor '" + stored_name + "'");
    if (it->second.sizes() != value.sizes()) {
      std::ostringstream msg;
      msg << "network tensor '" << stored_name << "' has shape " << value.sizes() << ", the network expects "
          << it->second.sizes();
      throw InputError(item, msg.str());
    }
    it->second.copy_(value);
    seen.insert(name);
  }
  for (const auto& [name, tensor] : targets) {
    if (!seen.count(name)) throw InputError(item, "network tensor '" + name + "' is missing");
  }
}

}  // namespace nnseg
