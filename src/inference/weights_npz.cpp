// Network weights <-> .npz (inference/weights_npz.h), through io/npz (libzip) and the checkpoint reader.
#include "inference/weights_npz.h"

#include <torch/torch.h>

#include <cstring>
#include <map>
#include <utility>

#include "core/error.h"
#include "io/npz.h"

namespace nnseg {
namespace {

std::string strip_module_prefix(const std::string& name) {
  return name.rfind("module.", 0) == 0 ? name.substr(7) : name;
}

// An NpyArray's elements as a tensor of `type` (the array's own C type `T` first, then converted).
template <typename T>
torch::Tensor tensor_from(const NpyArray& a, torch::ScalarType type) {
  auto t = torch::empty(a.shape, torch::dtype<T>());
  if (!a.bytes.empty()) std::memcpy(t.data_ptr(), a.bytes.data(), a.bytes.size());
  return t.to(type);
}

}  // namespace

void write_weights_npz(const fs::path& npz_path, const NamedTensors& state) {
  std::vector<torch::Tensor> keep;  // contiguous CPU copies, alive until the archive is written
  std::vector<NpzMemberView> views;
  keep.reserve(state.size());
  views.reserve(state.size());
  for (const auto& [name, tensor] : state) {
    const bool floating = torch::isFloatingType(tensor.scalar_type());
    const auto t = tensor.detach().to(torch::kCPU, floating ? torch::kFloat32 : torch::kInt64).contiguous();
    keep.push_back(t);
    views.push_back({strip_module_prefix(name), floating ? NpyDType::kFloat32 : NpyDType::kInt64,
                     std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), t.data_ptr()});
  }
  write_npz(npz_path, views, NpzCompression::kStored);
}

void export_weights_npz(const fs::path& checkpoint_path, const fs::path& npz_path) {
  write_weights_npz(npz_path, load_checkpoint(checkpoint_path).state_dict);
}

NamedTensors read_weights_npz(const fs::path& npz_path) {
  NamedTensors out;
  for (NpzMember& m : read_npz(npz_path)) {
    const NpyArray& a = m.array;
    torch::Tensor t;
    switch (a.dtype) {
      case NpyDType::kFloat16: {
        auto h = torch::empty(a.shape, torch::kFloat32);
        auto* dst = h.data_ptr<float>();
        const auto* src = reinterpret_cast<const uint16_t*>(a.bytes.data());
        for (int64_t i = 0; i < a.numel(); ++i) dst[i] = float16_to_float32(src[i]);
        t = h;
        break;
      }
      case NpyDType::kFloat32:
        t = tensor_from<float>(a, torch::kFloat32);
        break;
      case NpyDType::kFloat64:
        t = tensor_from<double>(a, torch::kFloat32);
        break;
      case NpyDType::kInt8:
        t = tensor_from<int8_t>(a, torch::kInt64);
        break;
      case NpyDType::kUInt8:
        t = tensor_from<uint8_t>(a, torch::kInt64);
        break;
      case NpyDType::kInt16:
        t = tensor_from<int16_t>(a, torch::kInt64);
        break;
      case NpyDType::kInt32:
        t = tensor_from<int32_t>(a, torch::kInt64);
        break;
      case NpyDType::kInt64:
        t = tensor_from<int64_t>(a, torch::kInt64);
        break;
      default:
        throw InputError(npz_path.string(), "tensor '" + m.name + "' has dtype " + to_string(a.dtype) +
                                                "; expected float32 (or another float or signed integer type)");
    }
    out.emplace_back(std::move(m.name), std::move(t));
  }
  return out;
}

void load_weights_npz(GenericUNet& net, const fs::path& npz_path) {
  const std::string item = npz_path.string();
  const NamedTensors state = read_weights_npz(npz_path);
  std::map<std::string, bool> floating;  // the network's tensors: floating or not
  for (const auto& p : net->named_parameters(true)) floating[p.key()] = torch::isFloatingType(p.value().scalar_type());
  for (const auto& b : net->named_buffers(true)) floating[b.key()] = torch::isFloatingType(b.value().scalar_type());
  for (const auto& [name, tensor] : state) {
    const auto it = floating.find(strip_module_prefix(name));
    if (it != floating.end() && it->second && !torch::isFloatingType(tensor.scalar_type())) {
      throw InputError(item, "network tensor '" + name + "' is an integer array; the network expects float32");
    }
  }
  // Names (missing, unexpected) and shapes are checked, and the values copied, as for a checkpoint.
  load_network_state(*net, state, item);
}

}  // namespace nnseg
