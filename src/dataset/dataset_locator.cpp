// Dataset id resolution (dataset/dataset_locator.h), data-formats.md §4.3.
#include "dataset/dataset_locator.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/error.h"

namespace nnseg {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "Dataset082_Name" / "Task082_Name" -> {82, "Name"}; nullopt for anything else.
std::optional<DatasetRef> parse_folder_name(const std::string& s) {
  for (const std::string prefix : {"Dataset", "Task"}) {
    if (s.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = s.substr(prefix.size());
    if (rest.size() < 5 || !all_digits(rest.substr(0, 3)) || rest[3] != '_') return std::nullopt;
    int id = std::stoi(rest.substr(0, 3));
    if (id < 1) return std::nullopt;
    return DatasetRef{id, rest.substr(4)};
  }
  return std::nullopt;
}

std::string prefix(const char* kind, int id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%03d_", kind, id);
  return buf;
}

struct SearchPlace {
  fs::path folder;
  std::string prefix;  // "Dataset082_"
};

}  // namespace

DatasetRef parse_dataset_ref(const std::string& text) {
  if (all_digits(text) && text.size() <= 3) {
    int id = std::stoi(text);
    if (id >= 1) return {id, ""};
  }
  if (auto ref = parse_folder_name(text)) return *ref;
  throw InputError(text, "not a dataset id: expected 82, 082, Dataset082_Name or Task082_Name (id 1..999)");
}

std::string dataset_folder_name(int id, const std::string& name) { return prefix("Dataset", id) + name; }

fs::path find_raw_dataset(const Paths& paths, const std::string& text) {
  DatasetRef ref = parse_dataset_ref(text);
  std::vector<SearchPlace> places;
  if (paths.raw) {
    places.push_back({*paths.raw, prefix("Dataset", ref.id)});
    places.push_back({*paths.raw, prefix("Task", ref.id)});
  } else if (paths.raw_v1_base) {
    places.push_back({*paths.raw_v1_base / "nnUNet_raw_data", prefix("Task", ref.id)});
  } else {
    throw InputError("nnUNet_raw",
                     "raw data folder not set: set $nnUNet_raw (or the v1 $nnUNet_raw_data_base) or pass --raw");
  }

  std::vector<fs::path> found;
  std::string searched;
  for (const auto& place : places) {
    searched += (searched.empty() ? "" : ", ") + (place.folder / (place.prefix + "*")).string();
    std::error_code ec;
    if (!fs::is_directory(place.folder, ec)) continue;
    for (const auto& entry : fs::directory_iterator(place.folder, ec)) {
      std::string name = entry.path().filename().string();
      if (!entry.is_directory(ec) || name.compare(0, place.prefix.size(), place.prefix) != 0) continue;
      if (!ref.name.empty() && name.substr(place.prefix.size()) != ref.name) continue;
      found.push_back(entry.path());
    }
  }
  std::sort(found.begin(), found.end());
  if (found.size() == 1) return found.front();
  if (found.empty()) {
    std::string what = "no raw dataset found";
    if (!ref.name.empty()) what += " named " + ref.name;
    what += "; searched " + searched;
    if (!fs::is_directory(places.front().folder)) what += " (" + places.front().folder.string() + " is no folder)";
    throw InputError(text, what);
  }
  // A full name picks its own folder when a Dataset and a Task folder share id and name.
  auto exact = std::count_if(found.begin(), found.end(), [&](const fs::path& f) { return f.filename() == text; });
  if (exact == 1) {
    return *std::find_if(found.begin(), found.end(), [&](const fs::path& f) { return f.filename() == text; });
  }
  std::string list;
  for (const auto& f : found) list += (list.empty() ? "" : ", ") + f.string();
  throw InputError(text, "more than one raw dataset matches: " + list + "; searched " + searched +
                             "; pass the full folder name or remove one");
}

std::string dataset_output_name(const fs::path& raw_folder) {
  std::string name = raw_folder.filename().string();
  if (name.empty()) name = raw_folder.parent_path().filename().string();
  auto ref = parse_folder_name(name);
  if (!ref) throw InputError(raw_folder.string(), "folder name is not DatasetXXX_Name or TaskXXX_Name");
  return dataset_folder_name(ref->id, ref->name);
}

}  // namespace nnseg
