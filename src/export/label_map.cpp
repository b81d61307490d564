#include "export/label_map.h"

#include <string>

#include "core/error.h"

namespace nnseg {

std::vector<uint8_t> argmax_labels(const Array4f& probs) {
  const int64_t n = probs.channel_numel();
  std::vector<uint8_t> labels(static_cast<size_t>(n), 0);
  if (probs.channels() == 0) return labels;
  std::vector<float> best(probs.channel(0), probs.channel(0) + n);
  for (int64_t c = 1; c < probs.channels(); ++c) {
    const float* p = probs.channel(c);
    for (int64_t i = 0; i < n; ++i) {
      if (p[i] > best[static_cast<size_t>(i)]) {  // strictly greater: the first maximum wins
        best[static_cast<size_t>(i)] = p[i];
        labels[static_cast<size_t>(i)] = static_cast<uint8_t>(c);
      }
    }
  }
  return labels;
}

std::vector<uint8_t> region_labels(const Array4f& probs, const std::vector<int>& regions_class_order) {
  if (static_cast<int64_t>(regions_class_order.size()) != probs.channels()) {
    throw InputError("regions_class_order", "has " + std::to_string(regions_class_order.size()) +
                                                " entries but the prediction has " + std::to_string(probs.channels()) +
                                                " channels");
  }
  const int64_t n = probs.channel_numel();
  std::vector<uint8_t> labels(static_cast<size_t>(n), 0);
  for (int64_t c = 0; c < probs.channels(); ++c) {
    const float* p = probs.channel(c);
    const auto label = static_cast<uint8_t>(regions_class_order[static_cast<size_t>(c)]);
    for (int64_t i = 0; i < n; ++i) {
      if (p[i] > 0.5f) labels[static_cast<size_t>(i)] = label;
    }
  }
  return labels;
}

}  // namespace nnseg
