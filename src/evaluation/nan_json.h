// JSON text with Python's non-standard number tokens: summary.json writes NaN as the bare token `NaN` (Python's
// json default; spec/evaluation.md §2), which nlohmann::json neither writes nor reads.
#pragma once

#include <string>

#include "io/json_file.h"

namespace nnseg {

// Like Python's json.dumps(value, indent=indent, sort_keys=True) for our values: objects in key order, NaN as
// `NaN`, infinities as `Infinity` / `-Infinity`, other numbers as nlohmann writes them (shortest round trip).
std::string dump_json_with_nan(const Json& value, int indent = 4);

// Parses JSON text that may contain the bare tokens NaN, Infinity and -Infinity (outside strings) into floats.
// InputError naming `item` for invalid text.
Json parse_json_with_nan(const std::string& text, const std::string& item);

}  // namespace nnseg
