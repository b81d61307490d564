// summary.json's NaN-tolerant JSON text (evaluation/nan_json.h), through io/json_file.h's NaN-aware writer and
// reader. A Json object iterates in key order, so converting it keeps Python's sort_keys=True layout.
#include "evaluation/nan_json.h"

namespace nnseg {

std::string dump_json_with_nan(const Json& value, int indent) {
  return dump_json_allow_nan(OrderedJson(value), indent);
}

Json parse_json_with_nan(const std::string& text, const std::string& item) {
  return Json(parse_json_allow_nan(text, item));
}

}  // namespace nnseg
