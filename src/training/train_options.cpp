// Parsing of the device and fold flags of `nnseg train` (training/train_options.h).
#include "training/train_options.h"

#include <torch/cuda.h>

#include <string>

#include "core/error.h"
#include "planning/splits.h"

namespace nnseg {
namespace {

// A non-negative decimal integer (no sign, no spaces), or nullopt.
std::optional<int64_t> parse_index(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int64_t v = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return v;
}

}  // namespace

torch::Device parse_device_flag(const std::string& text, const std::string& flag) {
  if (text == "cpu") return torch::kCPU;
  std::optional<int64_t> index;
  if (text == "cuda") {
    index = 0;
  } else if (text.rfind("cuda:", 0) == 0) {
    index = parse_index(text.substr(5));
  }
  if (!index) throw InputError(flag, "'" + text + "': expected cpu, cuda or cuda:K");
  if (!torch::cuda::is_available()) {
    throw InputError(
        flag, "'" + text + "': CUDA is not available (this build or machine has no usable GPU); use " + flag + " cpu");
  }
  const auto count = static_cast<int64_t>(torch::cuda::device_count());
  if (*index >= count) {
    throw InputError(flag, "'" + text + "': there are " + std::to_string(count) + " CUDA device(s), numbered from 0");
  }
  return {torch::kCUDA, static_cast<torch::DeviceIndex>(*index)};
}

int parse_fold_flag(const std::string& text, const std::string& flag) {
  if (text == "all") return kFoldAll;
  const std::optional<int64_t> fold = parse_index(text);
  if (!fold) throw InputError(flag, "'" + text + "': expected a fold 0-4 (or a larger fold number) or 'all'");
  return static_cast<int>(*fold);
}

}  // namespace nnseg
