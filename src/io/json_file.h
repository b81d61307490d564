// JSON artifacts: load with errors naming the file, save atomically with nnU-Net's 4-space indentation.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace nnseg {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;  // keeps insertion order (dataset.json, plans)

// Parses `path`; InputError "<path>: invalid JSON: ..." or "cannot open file".
OrderedJson load_json(const std::filesystem::path& path);

// Writes `value` indented by 4 spaces plus a final newline, atomically.
void save_json(const std::filesystem::path& path, const OrderedJson& value);

}  // namespace nnseg
