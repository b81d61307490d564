// splits_final.json (planning/splits.h), as nnU-Net v1 nnUNetTrainer.do_split / nnUNetTrainerV2.do_split.
#include "planning/splits.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "core/numpy_random.h"
#include "io/json_file.h"
#include "planning/json_checks.h"

namespace nnseg {

namespace jc = json_checks;

namespace {

void sort_unique(std::vector<std::string>& ids) {
  std::sort(ids.begin(), ids.end());  // byte order = Python's code-point order for UTF-8
  auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end()) throw InputError("case identifiers", "duplicate identifier '" + *dup + "'");
}

}  // namespace

std::vector<Split> make_splits(std::vector<std::string> ids) {
  sort_unique(ids);
  const auto n = static_cast<int64_t>(ids.size());
  if (n < kNumFolds) {
    throw InputError("case identifiers", std::to_string(n) + " cases: 5-fold cross-validation needs at least 5");
  }
  NumpyRandomState rng(kSplitSeed);
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  rng.shuffle(order);  // KFold shuffles np.arange(n) in place

  std::vector<Split> splits;
  int64_t start = 0;
  for (int f = 0; f < kNumFolds; ++f) {
    const int64_t size = n / kNumFolds + (f < n % kNumFolds ? 1 : 0);
    std::vector<bool> is_val(static_cast<size_t>(n), false);
    for (int64_t i = start; i < start + size; ++i) is_val[static_cast<size_t>(order[static_cast<size_t>(i)])] = true;
    start += size;
    Split s;
    for (int64_t i = 0; i < n; ++i)
      (is_val[static_cast<size_t>(i)] ? s.val : s.train).push_back(ids[static_cast<size_t>(i)]);
    splits.push_back(std::move(s));
  }
  return splits;
}

Split split_for_fold(const std::vector<Split>& splits, std::vector<std::string> ids, int fold) {
  if (fold == kFoldAll) {
    sort_unique(ids);
    return {ids, ids};
  }
  if (fold < 0) throw InputError("fold", std::to_string(fold) + ": expected 0, 1, ... or all");
  if (static_cast<size_t>(fold) < splits.size()) return splits[static_cast<size_t>(fold)];

  sort_unique(ids);
  log_warning("fold " + std::to_string(fold) + " requested but the splits hold only " + std::to_string(splits.size()) +
              " folds; using a random (seeded) 80:20 split");
  const auto n = static_cast<int64_t>(ids.size());
  NumpyRandomState rng(kSplitSeed + static_cast<uint32_t>(fold));
  const auto train_count = static_cast<int64_t>(static_cast<double>(n) * 0.8);  // int(len(keys) * 0.8)
  std::vector<bool> is_train(static_cast<size_t>(n), false);
  for (int64_t i : rng.choice_without_replacement(n, train_count)) is_train[static_cast<size_t>(i)] = true;
  Split s;
  for (int64_t i = 0; i < n; ++i)
    (is_train[static_cast<size_t>(i)] ? s.train : s.val).push_back(ids[static_cast<size_t>(i)]);
  return s;
}

std::vector<Split> load_splits(const std::filesystem::path& path) {
  const std::string file = path.string();
  if (!std::filesystem::exists(path)) throw InputError(file, "splits file not found");
  const OrderedJson json = load_json(path);
  if (!json.is_array() || json.empty())
    jc::fail(file, "(top level)", json, "a list of {\"train\": [...], \"val\": [...]}");
  std::vector<Split> splits;
  for (size_t f = 0; f < json.size(); ++f) {
    const std::string key = "[" + std::to_string(f) + "]";
    const OrderedJson& entry = json[f];
    jc::expect_object(entry, file, key);
    jc::reject_unknown_keys(entry, file, key, {"train", "val"});
    Split s;
    s.train = jc::get_string_list(jc::require(entry, file, key, "train"), file, key + ".train");
    s.val = jc::get_string_list(jc::require(entry, file, key, "val"), file, key + ".val");
    if (s.train.empty()) jc::fail(file, key + ".train", entry["train"], "at least one case");
    splits.push_back(std::move(s));
  }
  return splits;
}

void save_splits(const std::filesystem::path& path, const std::vector<Split>& splits) {
  OrderedJson json = OrderedJson::array();
  for (const auto& s : splits) {
    OrderedJson entry = OrderedJson::object();
    entry["train"] = s.train;
    entry["val"] = s.val;
    json.push_back(entry);
  }
  save_json(path, json);
}

std::vector<Split> ensure_splits(const std::filesystem::path& path, const std::vector<std::string>& ids) {
  if (std::filesystem::exists(path)) return load_splits(path);
  auto splits = make_splits(ids);
  save_splits(path, splits);
  return splits;
}

}  // namespace nnseg
