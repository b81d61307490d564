// Cross-validation splits (spec/preprocessing.md §9): nnU-Net's 5-fold split with seed 12345, fold `all`, the
// seeded 80:20 fallback for a fold beyond the stored splits, and splits_final.json load/save.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace nnseg {

struct Split {
  std::vector<std::string> train;  // case identifiers, sorted
  std::vector<std::string> val;    // case identifiers, sorted
};

constexpr int kNumFolds = 5;
constexpr uint32_t kSplitSeed = 12345;
constexpr int kFoldAll = -1;  // `-f all`: train = val = every case

// sklearn KFold(5, shuffle=True, random_state=12345) over the sorted identifiers (sorted here too), as v1
// do_split. InputError for fewer than 5 cases or duplicate identifiers.
std::vector<Split> make_splits(std::vector<std::string> case_identifiers);

// The split a fold trains on: splits[fold]; kFoldAll: everything; fold >= splits.size(): the 80:20 split of
// RandomState(12345 + fold) over the sorted identifiers (v1's fallback, logged as a warning).
Split split_for_fold(const std::vector<Split>& splits, std::vector<std::string> case_identifiers, int fold);

// splits_final.json: a list of {"train": [...], "val": [...]}. load checks the layout and names file and key.
std::vector<Split> load_splits(const std::filesystem::path& path);
void save_splits(const std::filesystem::path& path, const std::vector<Split>& splits);  // atomic

// Returns the stored splits if `path` exists (never overwritten: custom splits and parallel folds stay safe);
// otherwise makes them from `case_identifiers`, saves them and returns them.
std::vector<Split> ensure_splits(const std::filesystem::path& path, const std::vector<std::string>& case_identifiers);

}  // namespace nnseg
