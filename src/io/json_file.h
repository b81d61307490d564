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

// JSON text with NaN / +-inf numbers written as the bare tokens NaN, Infinity, -Infinity (as Python's json), with
// `indent` spaces (nnU-Net: 4); save adds the final newline.
std::string dump_json_allow_nan(const OrderedJson& json, int indent = 4);
// Parses JSON text that may contain those bare tokens; `file` names the source in the InputError.
OrderedJson parse_json_allow_nan(const std::string& text, const std::string& file);
// load/save counterparts of load_json/save_json that accept and write NaN tokens; save is atomic.
OrderedJson load_json_allow_nan(const std::filesystem::path& path);
void save_json_allow_nan(const std::filesystem::path& path, const OrderedJson& json);

}  // namespace nnseg
